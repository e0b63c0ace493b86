// Verdict time, side by side, in one run: rsos-rules natively, rsos-rules as WASM in headless
// Chromium, and GoRules ZEN on the equivalent decision graph in zen/intake.json. Prints a
// markdown table. `cargo xtask bench` builds what this needs and runs it; see README.md.
//
// Inputs (environment; xtask sets them):
//   RSOS_BENCH_NATIVE    the native timing binary (rsos-verdict-bench-native, release build)
//   RSOS_BENCH_WASM_DIR  the `wasm-bindgen --target web` output of rsos-verdict-bench-wasm
//   CHROMIUM             the browser (default /usr/bin/chromium)
//   RSOS_BENCH_ROUNDS    timed rounds per figure, the median is reported (default 11)
//   RSOS_BENCH_MIN_MS    minimum length of one round in milliseconds (default 100)
import { spawnSync } from 'node:child_process';
import { createServer } from 'node:http';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { ZenEngine } from '@gorules/zen-engine';

// Vectors whose decision ZEN's expression language cannot state (README.md says why).
const ZEN_CANNOT = {
  non_emergency_is_not_urgent:
    'an urgency word inside a not-urgent phrase ("non-emergency") needs `replace` or a regex look-behind; ZEN has neither',
};

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');
const target = process.env.CARGO_TARGET_DIR || path.join(root, 'target');
const NATIVE = process.env.RSOS_BENCH_NATIVE || path.join(target, 'release/rsos-verdict-bench-native');
const WASM_DIR = process.env.RSOS_BENCH_WASM_DIR || path.join(target, 'verdict-bench-wasm');
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const ROUNDS = Number(process.env.RSOS_BENCH_ROUNDS || 11);
const MIN_MS = Number(process.env.RSOS_BENCH_MIN_MS || 100);
const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
  '--disable-component-update', '--no-first-run',
];

for (const [file, how] of [
  [NATIVE, 'cargo build --release -p rsos-verdict-bench-wasm --bin rsos-verdict-bench-native'],
  [path.join(WASM_DIR, 'rsos_verdict_bench_wasm.js'), 'cargo xtask bench (it runs wasm-bindgen)'],
  [CHROMIUM, 'apt-get install -y chromium'],
]) {
  if (!existsSync(file)) fail(`${file} is missing: ${how}`);
}

// ---- The requests: the shared vectors, and one with a 4000-character summary. ----------
const vectorDir = path.join(root, 'tests/vectors');
const vectors = readdirSync(vectorDir).filter((f) => f.endsWith('.json')).sort()
  .map((f) => JSON.parse(readFileSync(path.join(vectorDir, f), 'utf8')));
// "Short": every vector whose summary is an ordinary length (all but the too-long one).
const short = vectors.map((v) => v.request).filter((r) => (r.summary ?? '').length <= 500);
// The same 4000-character request as `cargo bench -p rsos-rules` (verdict/4000-char summary).
const sentence = 'The member called about a denied claim for an office visit in March; provider is in network. ';
const long = [{
  line_of_business: 'medicare', topic: 'claims', agent_name: 'Pat Agent', agent_san: 'A12345',
  agent_email: 'pat.agent@agency.example', member_id: 'H1234-5678', member_first_name: 'John',
  member_last_name: 'Smith', reference_number: 'CLM-20261101',
  summary: [...sentence.repeat(50)].slice(0, 4000).join(''), confirm_single_line_of_business: false,
}];
const all = vectors.map((v) => v.request);

const work = mkdtempSync(path.join(os.tmpdir(), 'rsos-verdict-bench-'));
const files = {};
for (const [name, list] of Object.entries({ short, long, all })) {
  files[name] = path.join(work, `${name}.json`);
  writeFileSync(files[name], JSON.stringify(list));
}

try {
  const native = runNative();
  const wasm = await runWasm();
  const zen = await runZen();
  report(native, wasm, zen);
} finally {
  rmSync(work, { recursive: true, force: true });
}

// ---- (a) native ------------------------------------------------------------------------
function runNative() {
  const call = (file, rounds, minMs) => {
    const out = spawnSync(NATIVE, [file, String(rounds), String(minMs)], { encoding: 'utf8' });
    if (out.status !== 0) fail(`${NATIVE} failed: ${out.stderr}`);
    const result = JSON.parse(out.stdout);
    if (result.timing.error) fail(`native: ${result.timing.error}`);
    return result;
  };
  const shortRun = call(files.short, ROUNDS, MIN_MS);
  const longRun = call(files.long, ROUNDS, MIN_MS);
  const verdicts = call(files.all, 1, 1).verdicts;
  return {
    short: shortRun.timing, long: longRun.timing, verdicts, agree: exactAgreement(verdicts),
    longVerdict: JSON.parse(longRun.verdicts[0]),
  };
}

// ---- (b) WASM in headless Chromium ----------------------------------------------------------
async function runWasm() {
  const server = await serve();
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
  try {
    const page = await browser.newPage();
    const problems = [];
    page.on('pageerror', (e) => problems.push(e.message));
    await page.goto(`${server.url}/`);
    const result = await page.evaluate(async ({ short, long, all, rounds, minMs }) => {
      const m = await import('/pkg/rsos_verdict_bench_wasm.js');
      await m.default();
      return {
        short: JSON.parse(m.bench(short, rounds, minMs)),
        long: JSON.parse(m.bench(long, rounds, minMs)),
        verdicts: JSON.parse(m.verdicts(all)),
      };
    }, { short: JSON.stringify(short), long: JSON.stringify(long), all: JSON.stringify(all), rounds: ROUNDS, minMs: MIN_MS });
    if (problems.length) fail(`page errors: ${problems.join('; ')}`);
    for (const part of [result.short, result.long]) if (part.error) fail(`wasm: ${part.error}`);
    return { ...result, agree: exactAgreement(result.verdicts), browser: `Chromium ${browser.version()}` };
  } finally {
    await browser.close();
    await server.close();
  }
}

/** The page and the wasm-bindgen output, on 127.0.0.1 only. */
function serve() {
  const types = { '.js': 'text/javascript', '.wasm': 'application/wasm', '.html': 'text/html' };
  const server = createServer((req, res) => {
    const url = new URL(req.url, 'http://127.0.0.1');
    if (url.pathname === '/') {
      res.writeHead(200, { 'content-type': 'text/html' });
      return res.end('<!doctype html><meta charset="utf-8"><title>rsos verdict benchmark</title>');
    }
    const name = url.pathname.startsWith('/pkg/') ? path.basename(url.pathname) : '';
    const file = path.join(WASM_DIR, name);
    if (!name || !existsSync(file)) {
      res.writeHead(404);
      return res.end();
    }
    res.writeHead(200, { 'content-type': types[path.extname(file)] || 'application/octet-stream' });
    res.end(readFileSync(file));
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({
    url: `http://127.0.0.1:${server.address().port}`,
    close: () => new Promise((done) => server.close(done)),
  })));
}

// ---- (c) GoRules ZEN --------------------------------------------------------------------
async function runZen() {
  const engine = new ZenEngine();
  try {
    const decision = engine.createDecision(readFileSync(path.join(here, 'zen/intake.json')));
    const time = async (requests) => {
      const rounds = [];
      const reported = [];
      for (let round = 0; round < ROUNDS + 2; round++) {
        let verdicts = 0;
        const start = performance.now();
        do {
          for (const r of requests) {
            const response = await decision.evaluate(r);
            reported.push(duration(response.performance));
            verdicts++;
          }
        } while (performance.now() - start < MIN_MS);
        // The first two rounds warm up, as in the Rust loop.
        if (round >= 2) rounds.push(((performance.now() - start) * 1e6) / verdicts);
      }
      return { ns: median(rounds), engine_ns: median(reported) };
    };
    const shortRun = await time(short);
    const longRun = await time(long);
    let agree = 0;
    const disagreements = [];
    const inexpressible = [];
    for (const v of vectors) {
      const got = modelled((await decision.evaluate(v.request)).result);
      const want = modelled(v.verdict);
      if (JSON.stringify(got) === JSON.stringify(want)) agree++;
      else if (ZEN_CANNOT[v.name]) inexpressible.push(`${v.name}: ${ZEN_CANNOT[v.name]}`);
      else disagreements.push(`${v.name}: ZEN ${JSON.stringify(got)}, rsos ${JSON.stringify(want)}`);
    }
    // The timed requests too: ZEN must decide the long one as rsos does, or its time means nothing.
    const longZen = modelled((await decision.evaluate(long[0])).result);
    return { short: shortRun, long: longRun, agree, disagreements, inexpressible, longZen };
  } finally {
    engine.dispose();
  }
}

/** What the ZEN graph models of a verdict, in one comparable shape. */
function modelled(v) {
  return {
    outcome: v.outcome,
    subject: v.subject ?? null,
    out_of_scope: v.out_of_scope?.category ?? null,
    urgent: v.urgent,
    // Modelled as well (not the messages, which the graph does not write):
    errors: (v.errors ?? []).map((e) => `${e.field}:${e.code}`),
    warnings: (v.warnings ?? []).map((w) => (typeof w === 'string' ? w : w.code)),
    call_center: v.call_center ?? null,
    contact: v.out_of_scope?.contact ?? null,
  };
}

/** ZEN's `performance` field: "997.7µs", "1.2ms", "850ns", "1.1s" → nanoseconds. */
function duration(text) {
  const m = /^([\d.]+)\s*(ns|µs|us|ms|s)$/.exec(String(text).trim());
  if (!m) return NaN;
  return Number(m[1]) * { ns: 1, 'µs': 1e3, us: 1e3, ms: 1e6, s: 1e9 }[m[2]];
}

// ---- Report --------------------------------------------------------------------------------
function exactAgreement(verdicts) {
  return vectors.filter((v, i) => {
    try {
      return JSON.stringify(JSON.parse(verdicts[i])) === JSON.stringify(v.verdict);
    } catch {
      return false;
    }
  }).length;
}

function report(native, wasm, zen) {
  const zenVersion = JSON.parse(readFileSync(path.join(here, 'node_modules/@gorules/zen-engine/package.json'), 'utf8')).version;
  const n = vectors.length;
  const us = (ns) => {
    if (!Number.isFinite(ns)) return 'n/a';
    const v = ns / 1000;
    return v >= 100 ? Math.round(v).toLocaleString('en-US') : v.toPrecision(3);
  };
  const rows = [
    ['rsos-rules native (release): JSON in → verdict JSON out', native.short.json_in_json_out_ns, native.long.json_in_json_out_ns, `${native.agree}/${n} exact`],
    ['rsos-rules native (release): `assess` only', native.short.assess_only_ns, native.long.assess_only_ns, '(same code)'],
    [`rsos-rules WASM in headless ${wasm.browser} (profile form): JSON in → verdict JSON out`, wasm.short.json_in_json_out_ns, wasm.long.json_in_json_out_ns, `${wasm.agree}/${n} exact`],
    ['rsos-rules WASM in headless Chromium: `assess` only', wasm.short.assess_only_ns, wasm.long.assess_only_ns, '(same code)'],
    [`GoRules ZEN ${zenVersion} (Node ${process.versions.node} addon): \`await decision.evaluate\``, zen.short.ns, zen.long.ns, `${zen.agree}/${n} on modelled parts`],
    [`GoRules ZEN ${zenVersion}: engine-reported \`performance\``, zen.short.engine_ns, zen.long.engine_ns, '(same graph)'],
  ];
  console.log(`\nVerdict time, µs per verdict (median of ${ROUNDS} rounds of ≥ ${MIN_MS} ms; ${os.cpus().length} × ${os.cpus()[0]?.model?.trim()}, load ${os.loadavg().map((l) => l.toFixed(1)).join(' ')})\n`);
  console.log(`| engine | short summary µs/verdict (${short.length} vectors, mean) | 4000-char summary µs/verdict | vectors agreeing |`);
  console.log('|---|---:|---:|---|');
  for (const [name, s, l, agree] of rows) console.log(`| ${name} | ${us(s)} | ${us(l)} | ${agree} |`);
  const ratio = (a, b) => (a / b).toPrecision(3);
  console.log(`\nZEN / native (JSON in → out): ${ratio(zen.short.ns, native.short.json_in_json_out_ns)}× short, ${ratio(zen.long.ns, native.long.json_in_json_out_ns)}× 4000-char; WASM / native: ${ratio(wasm.short.json_in_json_out_ns, native.short.json_in_json_out_ns)}× short, ${ratio(wasm.long.json_in_json_out_ns, native.long.json_in_json_out_ns)}× 4000-char.`);
  const sameLong = JSON.stringify(modelled(native.longVerdict)) === JSON.stringify(zen.longZen);
  console.log(`The 4000-char request: ZEN ${sameLong ? 'agrees' : 'DISAGREES'} with rsos-rules on the modelled parts (${zen.longZen.outcome}).`);
  console.log('Modelled parts: outcome, subject, out_of_scope category and contact, urgent, call_center, error field+code list, warning code list (not message texts). See README.md for what ZEN cannot express.');
  if (zen.inexpressible.length) {
    console.log('\nNot expressible in ZEN (README.md), so not counted against it:');
    for (const d of zen.inexpressible) console.log(`- ${d}`);
  }
  if (zen.disagreements.length) {
    console.log('\nZEN disagreements:');
    for (const d of zen.disagreements) console.log(`- ${d}`);
  }
  const zenExpected = n - zen.inexpressible.length;
  if (native.agree !== n || wasm.agree !== n || zen.agree !== zenExpected || !sameLong) process.exitCode = 1;
}

function median(values) {
  const sorted = values.filter(Number.isFinite).sort((a, b) => a - b);
  if (!sorted.length) return NaN;
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

function fail(message) {
  console.error(`verdict benchmark: ${message}`);
  process.exit(2);
}
