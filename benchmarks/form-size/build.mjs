// Builds the React comparison form (minified, production) and compares what a portal
// downloads with the WASM form in ../../dist (run `cargo xtask build-form` first): the
// request form's script and WASM, which the React form rebuilds. The details form (its own
// script and WASM, on the page an agent's details link opens) is measured beside it.
// Writes report.json and prints a table. Sizes: raw, gzip -9, brotli 11.
import { build } from 'esbuild';
import { readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import zlib from 'node:zlib';

const here = path.dirname(fileURLToPath(import.meta.url));
const distWasm = process.env.RSOS_DIST ?? path.join(here, '../../dist');

await build({
  entryPoints: [path.join(here, 'src/form.jsx')],
  bundle: true, minify: true, format: 'esm', target: 'es2022', jsx: 'automatic',
  define: { 'process.env.NODE_ENV': '"production"' }, legalComments: 'none',
  outfile: path.join(here, 'dist/react-form.js'),
});

function sizes(bytes) {
  return {
    raw: bytes.length,
    gzip: zlib.gzipSync(bytes, { level: 9 }).length,
    brotli: zlib.brotliCompressSync(bytes, { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 11 } }).length,
  };
}

/** What a portal page downloads for each build of the WASM form. */
const BUNDLES = {
  request: ['rsos-form.js', 'rsos_form_bg.wasm'],
  details: ['rsos-form-details.js', 'rsos_form_details_bg.wasm'],
};

function total(files) {
  return files.reduce((t, f) => ({ raw: t.raw + f.raw, gzip: t.gzip + f.gzip, brotli: t.brotli + f.brotli }), { raw: 0, gzip: 0, brotli: 0 });
}

const react = [{ file: 'react-form.js', ...sizes(await readFile(path.join(here, 'dist/react-form.js'))) }];
const measure = (files) => Promise.all(files.map(async (file) => ({ file, ...sizes(await readFile(path.join(distWasm, file))) })));
let wasm = [];
let details = [];
try {
  await stat(distWasm);
  wasm = await measure(BUNDLES.request);
  details = await measure(BUNDLES.details);
} catch {
  console.error('no ../../dist with both builds: run `cargo xtask build-form` first to compare');
}
const report = {
  react_rhf_zod: { files: react, total: total(react) },
  rust_yew_wasm: { files: wasm, total: total(wasm) },
  rust_yew_wasm_details_form: { files: details, total: total(details) },
};
report.gzip_ratio_wasm_over_react = wasm.length ? +(report.rust_yew_wasm.total.gzip / report.react_rhf_zod.total.gzip).toFixed(3) : null;
report.brotli_ratio_wasm_over_react = wasm.length ? +(report.rust_yew_wasm.total.brotli / report.react_rhf_zod.total.brotli).toFixed(3) : null;
report.budget = '≤ 0.8 × the React gzip size';
report.within_budget = report.gzip_ratio_wasm_over_react !== null && report.gzip_ratio_wasm_over_react <= 0.8;
report.details_form_within_budget = details.length > 0 && report.rust_yew_wasm_details_form.total.gzip <= 0.8 * report.react_rhf_zod.total.gzip;
await writeFile(path.join(here, 'report.json'), JSON.stringify(report, null, 2) + '\n');
for (const [name, { total: t }] of Object.entries({ 'React + react-hook-form + zod': report.react_rhf_zod, 'Rust + Yew + WASM': report.rust_yew_wasm, '  its details form (own page)': report.rust_yew_wasm_details_form })) {
  console.log(`${name.padEnd(32)} raw ${String(t.raw).padStart(8)}  gzip ${String(t.gzip).padStart(7)}  brotli ${String(t.brotli).padStart(7)}`);
}
console.log(`gzip ratio WASM/React: ${report.gzip_ratio_wasm_over_react} (budget ≤ 0.8: ${report.within_budget ? 'met' : 'NOT met'}); brotli ratio ${report.brotli_ratio_wasm_over_react}`);
