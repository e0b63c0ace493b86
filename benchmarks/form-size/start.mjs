// What an agent feels when the portal shows the form: the time from inserting the form's
// script and tag into a loaded portal page to an interactive form (the Member ID input is in
// the shadow root), in Debian's Chromium with DevTools throttling over CDP — 1.6 Mbps down,
// 750 kbps up, 150 ms round trip, CPU 4× slower — and a cold cache (a fresh browser context
// per run). The Rust/WASM form (../../dist, `cargo xtask build-form`) and the React +
// react-hook-form + zod build (./dist/react-form.js, `node build.mjs`) run alternately in
// one process; prints the medians and writes start.json. A benchmark, never a test.
//
// Both are served by one server on 127.0.0.1, gzip -9 encoded (as a CDN would serve them,
// and as the size budget counts them), `application/wasm` for the module so that
// WebAssembly.instantiateStreaming compiles while it downloads.
//
//   RUNS=7 CHROMIUM=/usr/bin/chromium node benchmarks/form-size/start.mjs
import { createServer } from 'node:http';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import zlib from 'node:zlib';
import { chromium } from 'playwright-core';

const here = path.dirname(fileURLToPath(import.meta.url));
const RUNS = Number.parseInt(process.env.RUNS ?? '7', 10);
const THROTTLING = {
  network: { offline: false, latency: 150, downloadThroughput: 1_600_000 / 8, uploadThroughput: 750_000 / 8 },
  cpuRate: 4,
};

const FORMS = {
  'Rust + Yew + WASM': {
    dir: process.env.RSOS_DIST ?? path.join(here, '../../dist'),
    script: 'rsos-form.js',
  },
  'React + react-hook-form + zod': { dir: path.join(here, 'dist'), script: 'react-form.js' },
};

const PORTAL = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>portal</title></head>
<body><h1>Agent portal</h1><main id="slot"></main></body></html>`;

const TYPES = { '.js': 'text/javascript', '.wasm': 'application/wasm', '.html': 'text/html; charset=utf-8' };

// Every file gzip -9 encoded once, up front: the server's own time stays out of the figures.
const encoded = new Map();
async function gzipped(file) {
  if (!encoded.has(file)) encoded.set(file, zlib.gzipSync(await readFile(file), { level: 9 }));
  return encoded.get(file);
}

function serve() {
  const server = createServer(async (req, res) => {
    const url = new URL(req.url, 'http://x');
    const [, name, ...rest] = url.pathname.split('/');
    const form = Object.values(FORMS)[Number.parseInt(name, 10)];
    const file = rest.join('/');
    try {
      if (!form || file.includes('..')) throw new Error('not found');
      const body = file === 'portal.html' ? zlib.gzipSync(PORTAL) : await gzipped(path.join(form.dir, file));
      res.writeHead(200, {
        'Content-Type': TYPES[path.extname(file)] ?? 'application/octet-stream',
        'Content-Encoding': 'gzip',
        'Cache-Control': 'no-store',
      });
      res.end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

async function once(browser, base, index, form) {
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    const cdp = await context.newCDPSession(page);
    let wire = 0;
    cdp.on('Network.loadingFinished', (e) => { wire += e.encodedDataLength; });
    await cdp.send('Network.enable');
    await cdp.send('Network.emulateNetworkConditions', THROTTLING.network);
    await cdp.send('Emulation.setCPUThrottlingRate', { rate: THROTTLING.cpuRate });
    await page.goto(`${base}/${index}/portal.html`);
    wire = 0;
    const ms = await page.evaluate(({ script }) => new Promise((resolve, reject) => {
      const t0 = performance.now();
      const tag = document.createElement('script');
      tag.type = 'module';
      tag.src = script;
      tag.onerror = () => reject(new Error(`${script} did not load`));
      document.head.append(tag);
      const el = document.createElement('rsos-request-form');
      el.setAttribute('endpoint', '/api/requests');
      el.setAttribute('agent-name', 'Pat Agent');
      document.getElementById('slot').append(el);
      const interactive = () => {
        if (el.shadowRoot?.querySelector('input[name="member_id"]')) resolve(performance.now() - t0);
        else setTimeout(interactive, 5);
      };
      interactive();
    }), { script: FORMS[form].script });
    return { ms, wire };
  } finally {
    await context.close();
  }
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

const server = await serve();
const base = `http://127.0.0.1:${server.address().port}`;
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-gpu', '--disable-dev-shm-usage'],
});
const names = Object.keys(FORMS);
const results = Object.fromEntries(names.map((n) => [n, { ms: [], wire: [] }]));
try {
  // One warm-up of each (process start-up, not the form), then alternate, swapping who goes
  // first every run so that neither always follows the other.
  for (const [i, name] of names.entries()) await once(browser, base, i, name);
  for (let run = 0; run < RUNS; run += 1) {
    const order = run % 2 ? [...names].reverse() : names;
    for (const name of order) {
      const { ms, wire } = await once(browser, base, names.indexOf(name), name);
      results[name].ms.push(Math.round(ms));
      results[name].wire.push(wire);
    }
  }
} finally {
  await browser.close();
  server.close();
}

const report = {
  measured: 'script + tag inserted into a loaded page → Member ID input in the shadow root',
  throttling: { down_kbps: 1600, up_kbps: 750, rtt_ms: 150, cpu_slowdown: THROTTLING.cpuRate, cache: 'cold (fresh context per run)' },
  runs: RUNS,
  forms: Object.fromEntries(names.map((n) => [n, {
    median_ms: median(results[n].ms),
    all_ms: results[n].ms,
    bytes_on_wire: median(results[n].wire),
  }])),
};
const [ours, react] = names.map((n) => report.forms[n].median_ms);
report.ratio_wasm_over_react = +(ours / react).toFixed(2);
await writeFile(path.join(here, 'start.json'), JSON.stringify(report, null, 2) + '\n');
console.log(`tag inserted → interactive form, throttled (1.6 Mbps, 150 ms RTT, CPU 4×), cold, median of ${RUNS}:`);
for (const n of names) {
  const f = report.forms[n];
  console.log(`  ${n.padEnd(32)} ${String(f.median_ms).padStart(6)} ms   (${Math.min(...f.all_ms)}–${Math.max(...f.all_ms)} ms; ${f.bytes_on_wire} bytes on the wire)`);
}
console.log(`  ratio WASM/React: ${report.ratio_wasm_over_react}`);
