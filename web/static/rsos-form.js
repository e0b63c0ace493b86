// The one script a portal includes: <script type="module" src=".../rsos-form.js">.
// `cargo xtask build-form` bundles it with the wasm-bindgen glue and js/element.js into one
// minified file, so the browser asks for the WASM right after this single script (no import
// waterfall), also cross-origin with CORS. It defines <rsos-request-form>; portals that
// cannot use custom elements import `mount` from here.
import init, { mount as mountNow } from './rsos_form.js';

// Asked for first thing: `init` hands the response to WebAssembly.instantiateStreaming, which
// compiles the module while it downloads.
const wasm = fetch(new URL('./rsos_form_bg.wasm', import.meta.url));

export const ready = init({ module_or_path: wasm });

export async function mount(element, options = {}) {
  await ready;
  return mountNow(element, options);
}
