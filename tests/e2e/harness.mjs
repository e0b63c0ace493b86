// Shared set-up for the end-to-end tests: which server to test, Debian's Chromium through
// playwright-core, and helpers that act like an agent (labels, keyboard), never like code
// poking at internals.
//
// Target: RSOS_E2E_BASE_URL (the real stack: `cargo xtask run` → rsos-edge-host on
// http://127.0.0.1:8080) when set; otherwise the DEV STAND-IN in standin-server.mjs.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { startStandIn } from './standin-server.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
export const ARTIFACTS = path.join(here, 'artifacts');

export const CHROMIUM_ARGS = [
  '--no-sandbox', '--disable-background-networking', '--disable-component-update',
  '--disable-gpu', '--no-first-run', '--disable-dev-shm-usage',
];

export async function startTarget() {
  const real = process.env.RSOS_E2E_BASE_URL;
  if (real) return { url: real.replace(/\/$/, ''), standIn: false, close: async () => {} };
  const standIn = await startStandIn();
  return { url: standIn.url, standIn: true, close: standIn.close };
}

export async function launch() {
  await mkdir(ARTIFACTS, { recursive: true });
  return chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: CHROMIUM_ARGS,
  });
}

/** A fresh page on the demo portal, failing the test on any page error or CSP violation. */
export async function openPortal(browser, baseUrl, { viewport = { width: 1000, height: 1200 }, timezoneId } = {}) {
  const context = await browser.newContext({ viewport, timezoneId });
  const page = await context.newPage();
  page.problems = [];
  page.on('pageerror', (e) => page.problems.push(`page error: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error' && !/favicon|Failed to load resource/.test(m.text())) page.problems.push(`console: ${m.text()}`);
    if (/Content Security Policy/i.test(m.text())) page.problems.push(`CSP: ${m.text()}`);
  });
  await page.goto(`${baseUrl}/`);
  await form(page).waitFor();
  return page;
}

export const form = (page) => page.locator('rsos-request-form form');
export const field = (page, label) => page.locator('rsos-request-form').getByLabel(label, { exact: true });
export const status = (page) => page.locator('rsos-request-form [role="status"]');

export const GOOD = {
  plan: 'medicare',
  topic: 'claims',
  memberId: 'H1234-5678',
  first: 'John',
  last: 'Smith',
  reference: 'CLM-20261101',
  summary: 'Claim for the March 3 office visit was denied as out of network although the provider is in network.',
};

export async function fill(page, values = {}) {
  const v = { ...GOOD, ...values };
  await field(page, 'Plan').selectOption(v.plan);
  await field(page, 'Topic').selectOption(v.topic);
  await field(page, 'Member ID #').fill(v.memberId);
  await field(page, 'Member first name').fill(v.first);
  await field(page, 'Member last name').fill(v.last);
  await field(page, 'Reference # (optional)').fill(v.reference);
  await field(page, 'Summary of issue').fill(v.summary);
}

export async function mailbox(baseUrl) {
  const response = await fetch(`${baseUrl}/mailbox/api/messages`, { cache: 'no-store' });
  const json = await response.json();
  return Array.isArray(json) ? json : json.messages ?? [];
}

export async function screenshot(page, name) {
  await page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: true });
}

export async function axeScan(page) {
  const source = await readFile(path.join(here, 'node_modules/axe-core/axe.min.js'), 'utf8');
  // Evaluated through the DevTools protocol, so the portal's CSP does not block it.
  await page.evaluate(source);
  return page.evaluate(async () => {
    const result = await globalThis.axe.run(document, {
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice'] },
    });
    return result.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => n.target.join(' ')) }));
  });
}

export async function writeMetrics(name, data) {
  await mkdir(ARTIFACTS, { recursive: true });
  await writeFile(path.join(ARTIFACTS, `${name}.json`), JSON.stringify(data, null, 2));
}

/** Waits (Yew renders asynchronously) until `read()` gives `expected`, then asserts it. */
export async function eventually(read, expected, message, timeout = 5000) {
  const deadline = Date.now() + timeout;
  let value = await read();
  while (value !== expected && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 25));
    value = await read();
  }
  if (value !== expected) {
    const { strict: assert } = await import('node:assert');
    assert.equal(value, expected, message);
  }
}

export const expectAttr = (locator, name, expected, message) =>
  eventually(() => locator.getAttribute(name), expected, message);
