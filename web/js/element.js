// Browser plumbing the Rust side imports through wasm-bindgen: the custom element class,
// the shadow root and its stylesheet, and locale time formatting. Kept in JS because these
// are one-liners here and each would pull extra web-sys bindings (and bytes) into the WASM.
// No eval, no inline <style>: this works under a CSP with only 'wasm-unsafe-eval'.

const ATTRIBUTES = ['endpoint', 'agent-name', 'agent-san', 'agent-email', 'line-of-business', 'embed-token', 'details-token'];

function attributesOf(element) {
  const options = {};
  for (const name of ATTRIBUTES) {
    const value = element.getAttribute(name);
    if (value !== null) options[name] = value;
  }
  return options;
}

// `mount(host, options)` is the Rust mount function; it returns a handle with
// `update(options)` and `unmount()`.
export function defineElement(tag, mount) {
  if (customElements.get(tag)) return;
  customElements.define(tag, class extends HTMLElement {
    static get observedAttributes() { return ATTRIBUTES; }

    connectedCallback() {
      if (!this.rsosForm) this.rsosForm = mount(this, attributesOf(this));
    }

    attributeChangedCallback() {
      if (this.rsosForm) this.rsosForm.update(attributesOf(this));
    }

    disconnectedCallback() {
      // Moving the element fires disconnect then connect in one task: unmount only when it
      // is still detached afterwards, so a move does not lose the agent's typing.
      queueMicrotask(() => {
        if (!this.isConnected && this.rsosForm) {
          this.rsosForm.unmount();
          this.rsosForm = undefined;
        }
      });
    }
  });
}

// A constructed stylesheet, not a <style> element: CSP `style-src` without
// 'unsafe-inline' would block the latter, and portal CSS cannot reach into the shadow root.
let sheet;
export function prepareRoot(host, css) {
  let root = host.shadowRoot;
  if (!root) {
    try {
      root = host.attachShadow({ mode: 'open' });
    } catch {
      root = host; // elements that cannot host a shadow root still get a working form
    }
  }
  if (!sheet) {
    sheet = new CSSStyleSheet();
    sheet.replaceSync(css);
  }
  if ('adoptedStyleSheets' in root && !root.adoptedStyleSheets.includes(sheet)) {
    root.adoptedStyleSheets = [...root.adoptedStyleSheets, sheet];
  }
  const container = document.createElement('div');
  container.className = 'rsos-root';
  root.appendChild(container);
  return container;
}

export function removeRoot(container) {
  container.remove();
}

// The agent's own time zone and locale: the receipt is read by a person, not a parser.
export function localTime(rfc3339) {
  const date = new Date(rfc3339);
  if (Number.isNaN(date.getTime())) return rfc3339;
  return date.toLocaleString(undefined, {
    weekday: 'long', year: 'numeric', month: 'long', day: 'numeric',
    hour: 'numeric', minute: '2-digit', timeZoneName: 'short',
  });
}

export function clockIn(seconds) {
  return new Date(Date.now() + seconds * 1000).toLocaleTimeString();
}

export function newIdempotencyKey() {
  if (globalThis.crypto && crypto.randomUUID) return crypto.randomUUID();
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

export function after(ms, then) {
  setTimeout(then, ms);
}

export function emit(host, name, detail) {
  host.dispatchEvent(new CustomEvent(name, { detail, bubbles: true, composed: true }));
}

// One request (a POST with a body, or a GET without). Calls `answered` once: with {status,
// retryAfter, body} for every HTTP answer, with null when no answer came (network cut, DNS,
// CORS, timeout). The Rust side decides what to retry. `bearer`: the portal's embed token, or
// the agent's details link; `trap`: what the hidden field holds.
export function fetchJson(url, idempotencyKey, bearer, trap, body, timeoutMs, answered) {
  call(url, idempotencyKey, bearer, trap, body, timeoutMs).then(answered, () => answered(null));
}

function headersFor(idempotencyKey, bearer, trap) {
  const headers = {};
  if (idempotencyKey) {
    headers['Content-Type'] = 'application/json';
    headers['Idempotency-Key'] = idempotencyKey;
  }
  // The portal's signed statement of who is signed in (see crates/embed-token), or a link's.
  if (bearer) headers.Authorization = `Bearer ${bearer}`;
  if (trap) headers['X-RSOS-Trap'] = trap;
  return headers;
}

async function call(url, idempotencyKey, bearer, trap, body, timeoutMs) {
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), timeoutMs);
  try {
    const response = await fetch(url, {
      method: body === undefined ? 'GET' : 'POST',
      headers: headersFor(idempotencyKey, bearer, trap),
      body,
      signal: abort.signal,
      credentials: 'omit',
    });
    let json = null;
    try { json = await response.json(); } catch { json = null; }
    const retryAfter = Number.parseInt(response.headers.get('Retry-After') ?? '', 10);
    return { status: response.status, retryAfter: Number.isFinite(retryAfter) ? retryAfter : -1, body: json };
  } finally {
    clearTimeout(timer);
  }
}

// A form event for the coaching insights: sent and forgotten. `keepalive` lets it finish when
// the agent leaves the page; no answer is read, and a failure changes nothing.
export function beacon(url, idempotencyKey, bearer, body) {
  fetch(url, { method: 'POST', headers: headersFor(idempotencyKey, bearer), body, keepalive: true, credentials: 'omit' })
    .catch(() => {});
}

// The tracking ID a signed link names: `l1.<base64url(tracking ID \n action \n expiry)>.<mac>`
// (crates/embed-token/src/link.rs). Read, not verified: the edge verifies every use of the
// link. Empty when the link is not of that shape.
export function linkTrackingId(token) {
  try {
    return atob(token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/')).split('\n')[0];
  } catch {
    return '';
  }
}

// The browser's Unicode data for the rules (web/src/unicode.rs): NFC, and the general
// category of a code point as an index into the short names the Rust side gives, so the
// form ships no Unicode tables. One regular expression with a group per category: the group
// that matched is the category.
let categories = /$^/u;
export function useUnicodeCategories(names) {
  categories = new RegExp(names.split(' ').map((name) => `(\\p{${name}})`).join('|'), 'u');
}

export function generalCategory(codePoint) {
  const character = String.fromCodePoint(codePoint);
  const match = categories.exec(character);
  return match ? match.indexOf(character, 1) - 1 : -1;
}

export function nfc(text) {
  return text.normalize('NFC');
}
