// The one script a portal includes: <script type="module" src=".../rsos-form.js">.
// It loads the WASM next to it (also cross-origin, with CORS) and defines
// <rsos-request-form>. Portals that cannot use custom elements import `mount` from here.
import init, { mount as mountNow } from './rsos_form.js';

export const ready = init({ module_or_path: new URL('./rsos_form_bg.wasm', import.meta.url) });

export async function mount(element, options = {}) {
  await ready;
  return mountNow(element, options);
}
