//! The few browser calls the form makes, bound from `js/element.js`. Keeping them in one
//! small JS module keeps web-sys bindings (and shipped bytes) down, and keeps every
//! platform call out of the state and view code.

use js_sys::{Array, Object, Reflect};
use wasm_bindgen::prelude::*;

#[wasm_bindgen(module = "/js/element.js")]
extern "C" {
    #[wasm_bindgen(js_name = defineElement)]
    pub fn define_element(tag: &str, mount: &Closure<dyn Fn(web_sys::Element, JsValue) -> JsValue>);

    #[wasm_bindgen(js_name = prepareRoot)]
    pub fn prepare_root(host: &web_sys::Element, css: &str) -> web_sys::Element;

    #[wasm_bindgen(js_name = removeRoot)]
    pub fn remove_root(container: &web_sys::Element);

    #[wasm_bindgen(js_name = localTime)]
    pub fn local_time(rfc3339: &str) -> String;

    /// The agent's clock time `seconds` from now (`10:42:05 AM`), for "trying again at".
    #[wasm_bindgen(js_name = clockIn)]
    pub fn clock_in(seconds: u32) -> String;

    #[wasm_bindgen(js_name = newIdempotencyKey)]
    pub fn new_idempotency_key() -> String;

    #[wasm_bindgen(js_name = after)]
    fn after_with(ms: u32, then: &JsValue);

    pub fn emit(host: &web_sys::Element, name: &str, detail: &JsValue);

    #[wasm_bindgen(js_name = fetchJson)]
    fn fetch_json_with(
        url: &str,
        idempotency_key: &str,
        bearer: &str,
        trap: &str,
        body: Option<String>,
        timeout_ms: u32,
        answered: &JsValue,
    );

    /// A fire-and-forget POST (`fetch` with `keepalive`): the form never reads its answer.
    pub fn beacon(url: &str, idempotency_key: &str, bearer: &str, body: &str);

    /// The tracking ID a signed link's payload names, unverified; empty when it names none.
    #[wasm_bindgen(js_name = linkTrackingId)]
    pub fn link_tracking_id(token: &str) -> String;
}

/// One request: a POST of `body` with `idempotency_key`, or a GET when `body` is `None`.
/// Calls `answered` once with `{status, retryAfter, body}`, or with `null` when no answer
/// came. `bearer`: the embed token or the details link, empty for none.
///
/// Every caller's callback goes to JS as the same boxed type, so the WASM holds one closure
/// shim for all of them rather than one per caller (measured: −87 bytes gzip in the request
/// form, whose callers are the POST and the promise; −17 in the details form).
pub fn fetch_json(
    url: &str,
    idempotency_key: &str,
    bearer: &str,
    trap: &str,
    body: Option<String>,
    timeout_ms: u32,
    answered: impl FnOnce(JsValue) + 'static,
) {
    let answered: Box<dyn FnOnce(JsValue)> = Box::new(answered);
    fetch_json_with(
        url,
        idempotency_key,
        bearer,
        trap,
        body,
        timeout_ms,
        &Closure::once_into_js(answered),
    );
}

/// Calls `then` once after `ms` milliseconds (`setTimeout`). Boxed for the reason
/// [`fetch_json`] is: one closure shim for every caller (measured with the promise line's
/// timer: −95 bytes gzip in the request form, +15 in the details form).
pub fn after(ms: u32, then: impl FnOnce() + 'static) {
    let then: Box<dyn FnOnce()> = Box::new(then);
    after_with(ms, &Closure::once_into_js(then));
}

/// `value` if it is an array, else an empty one: JS `Array.from` (js-sys `Array::from`) throws
/// on `undefined`, and a throw inside a callback would leave the form stuck mid-send.
pub fn array(value: &JsValue) -> Array {
    if Array::is_array(value) {
        value.clone().unchecked_into()
    } else {
        Array::new()
    }
}

/// A string property of a JS object, if it is one.
pub fn get_str(object: &JsValue, key: &str) -> Option<String> {
    Reflect::get(object, &JsValue::from_str(key))
        .ok()
        .and_then(|v| v.as_string())
}

pub fn get(object: &JsValue, key: &str) -> JsValue {
    Reflect::get(object, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
}

/// Builds a plain JS object; `Reflect::set` on a fresh object cannot fail.
pub fn object(entries: &[(&str, JsValue)]) -> JsValue {
    let object = Object::new();
    for (key, value) in entries {
        let _ = Reflect::set(&object, &JsValue::from_str(key), value);
    }
    object.into()
}

pub fn session_storage() -> Option<web_sys::Storage> {
    // Private modes and sandboxed iframes can refuse storage: the form then just forgets.
    web_sys::window()?.session_storage().ok().flatten()
}
