// Measurements, not timed assertions: time from inserting the tag to an interactive form,
// and time per keystroke validation, in headless Chromium. Written to artifacts/perf.json.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { launch, openPortal, startTarget, writeMetrics } from './harness.mjs';

let target;
let browser;
before(async () => { target = await startTarget(); browser = await launch(); });
after(async () => { await browser?.close(); await target?.close(); });

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

test('measure: tag insertion to interactive form, and keystroke validation', async () => {
  const page = await openPortal(browser, target.url);
  const insertion = [];
  for (let i = 0; i < 10; i += 1) {
    insertion.push(await page.evaluate(() => new Promise((resolve) => {
      const el = document.createElement('rsos-request-form');
      const t0 = performance.now();
      el.addEventListener('rsos-ready', () => {
        const input = el.shadowRoot.querySelector('#rsos-member_id');
        resolve(input ? performance.now() - t0 : -1);
        el.remove();
      }, { once: true });
      document.body.append(el);
    })));
  }
  // Each keystroke: input event → reducer → rsos_rules::assess → Yew re-render, timed until
  // the subject preview shows the new name (yielding through MessageChannel, which does not
  // wait for a frame). A long, word-rich summary makes every assess() scan it.
  const keystroke = await page.evaluate(async () => {
    const root = document.querySelector('rsos-request-form').shadowRoot;
    const set = (id, value) => {
      const el = root.querySelector(id);
      el.value = value;
      el.dispatchEvent(new Event(el.tagName === 'SELECT' ? 'change' : 'input', { bubbles: true, composed: true }));
    };
    set('#rsos-line_of_business', 'medicare');
    set('#rsos-member_first_name', 'John');
    set('#rsos-summary', 'The member is in the hospital; the Medicare claim was denied and HumanaOne billing is wrong. '.repeat(40));
    const channel = new MessageChannel();
    const tick = () => new Promise((r) => { channel.port1.onmessage = r; channel.port2.postMessage(0); });
    await tick();
    const name = 'Montgomery-Wolfeschlegelsteinhausenbergerdorff';
    const times = [];
    for (let i = 1; i <= name.length; i += 1) {
      const last = name.slice(0, i);
      const t0 = performance.now();
      set('#rsos-member_last_name', last);
      while (!root.querySelector('output').textContent.startsWith(`${last},`)) await tick();
      times.push(performance.now() - t0);
    }
    return times;
  });
  // Cold: a fresh page, from navigation start to the form's `rsos-ready` (download,
  // compile and instantiate the WASM, define the element, first render).
  const cold = [];
  for (let i = 0; i < 5; i += 1) {
    const context = await browser.newContext();
    const fresh = await context.newPage();
    await fresh.addInitScript(() => {
      document.addEventListener('rsos-ready', () => { globalThis.rsosReadyAt = performance.now(); }, { once: true });
    });
    await fresh.goto(`${target.url}/`);
    await fresh.waitForFunction(() => globalThis.rsosReadyAt !== undefined);
    cold.push(await fresh.evaluate(() => globalThis.rsosReadyAt));
    await context.close();
  }
  const metrics = {
    navigation_to_ready_cold_ms: { median: median(cold), all: cold },
    insertion_to_interactive_ms: { median: median(insertion), all: insertion },
    keystroke_to_rendered_verdict_ms: { median: median(keystroke), max: Math.max(...keystroke), count: keystroke.length, summary_chars: 3720 },
  };
  await writeMetrics('perf', metrics);
  console.log(JSON.stringify(metrics));
  assert.ok(insertion.every((t) => t >= 0));
});
