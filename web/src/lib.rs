//! The agents' RSOS request form, compiled to WebAssembly: one `<script type="module">`
//! and one `<rsos-request-form>` tag put it into any agent portal.
//!
//! The form runs `rsos-rules` as the agent types, so the errors, the subject preview, the
//! out-of-scope guidance, the urgent banner and the mixed-lines warning are the very verdict
//! the edge function and the CLI produce — the form renders that verdict and never decides
//! anything itself. It owns only the browser's side: the custom element and its shadow
//! root, the drafts in `sessionStorage`, and the POST with one idempotency key per draft.
//!
//! ```html
//! <script type="module" src="/form/rsos-form.js"></script>
//! <rsos-request-form endpoint="/api/requests" agent-name="Pat Agent"
//!                    agent-san="A12345" agent-email="pat@agency.example"
//!                    line-of-business="medicare"></rsos-request-form>
//! ```
//!
//! Built a second time with the feature `details` (`rsos-form-details.js`), the element is the
//! details form of the request its `details-token` attribute names (the token of the link in
//! the email that asks the agent for more details): what the team asked for, just those
//! fields, checked as the agent types, sent to the edge. Two builds, so that neither page
//! downloads the other's code.
//!
//! Portals that cannot use custom elements call the exported `mount(element, options)`
//! (options `endpoint`, `agentName`, `agentSan`, `agentEmail`, `lineOfBusiness`,
//! `embedToken`, `detailsToken`), which returns a handle with `update(options)` and
//! `unmount()`. The host element fires `rsos-ready`, `rsos-submitted` (detail: the receipt,
//! with `trackingId` and `statusUrl`), `rsos-out-of-scope` (detail: category, contact,
//! guidance) and `rsos-details-sent` (detail: `trackingId`).

// The details build (feature `details`, `rsos-form-details.js`) mounts only the details form;
// the request form's code is compiled there but never reached, and the linker drops it.
#![cfg_attr(feature = "details", allow(dead_code, unused_imports))]

mod beacons;
mod browser;
#[cfg(feature = "details")]
mod details;
mod events;
mod promise;
mod request_js;
mod state;
mod storage;
mod submit;
mod unicode;
mod view;

use wasm_bindgen::prelude::*;
use yew::AppHandle;

use crate::browser::get_str;
use crate::state::Options;
use crate::view::AppProps;

/// What the element is: the request form, or in the details build the details form. Two
/// builds, so that neither page downloads the other's code (benchmarks/form-size/README.md).
#[cfg(not(feature = "details"))]
type Form = crate::view::App;
#[cfg(feature = "details")]
type Form = crate::view::DetailsApp;

// Talc instead of std's dlmalloc for wasm32: a smaller allocator for a form whose heap is a
// few drafts and verdicts (measured in benchmarks/form-size/README.md).
#[cfg(all(target_family = "wasm", not(target_feature = "atomics")))]
#[global_allocator]
static ALLOCATOR: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();

/// The custom element's tag name.
pub const TAG: &str = "rsos-request-form";

/// `static/form.css`, minified by `cargo xtask build-form` (see build.rs).
const CSS: &str = include_str!(concat!(env!("OUT_DIR"), "/form.css"));

#[wasm_bindgen(start)]
pub fn start() {
    unicode::install();
    let mount = Closure::<dyn Fn(web_sys::Element, JsValue) -> JsValue>::new(
        |host: web_sys::Element, options: JsValue| JsValue::from(mount(host, options)),
    );
    browser::define_element(TAG, &mount);
    // The element class calls this for every instance for the page's whole life.
    mount.forget();
}

/// A mounted form: `update(options)` re-renders with new attributes, `unmount()` removes it.
#[wasm_bindgen]
pub struct FormHandle {
    app: Option<AppHandle<Form>>,
    host: web_sys::Element,
    container: web_sys::Element,
}

#[wasm_bindgen]
impl FormHandle {
    pub fn update(&mut self, options: JsValue) {
        if let Some(app) = self.app.as_mut() {
            app.update(AppProps {
                host: self.host.clone(),
                options: options_from(&options),
            });
        }
    }

    pub fn unmount(&mut self) {
        if let Some(app) = self.app.take() {
            app.destroy();
            browser::remove_root(&self.container);
        }
    }
}

/// Mounts the form into `host`'s shadow root (created if needed). `options` is an object
/// with `endpoint`, `agentName`, `agentSan`, `agentEmail`, `lineOfBusiness`, `embedToken`
/// and `detailsToken` (the element's attribute names work too); every one is optional. With
/// `detailsToken` (the agent's details link) it is the details form of that request.
#[wasm_bindgen]
pub fn mount(host: web_sys::Element, options: JsValue) -> FormHandle {
    let container = browser::prepare_root(&host, CSS);
    let props = AppProps {
        host: host.clone(),
        options: options_from(&options),
    };
    let app = yew::Renderer::<Form>::with_root_and_props(container.clone(), props).render();
    FormHandle {
        app: Some(app),
        host,
        container,
    }
}

fn options_from(js: &JsValue) -> Options {
    let read = |camel: &str, dashed: &str| {
        get_str(js, camel)
            .or_else(|| get_str(js, dashed))
            .unwrap_or_default()
    };
    let endpoint = read("endpoint", "endpoint");
    Options {
        endpoint: if endpoint.trim().is_empty() {
            Options::DEFAULT_ENDPOINT.to_string()
        } else {
            endpoint
        },
        agent_name: read("agentName", "agent-name"),
        agent_san: read("agentSan", "agent-san"),
        agent_email: read("agentEmail", "agent-email"),
        line_of_business: read("lineOfBusiness", "line-of-business"),
        embed_token: read("embedToken", "embed-token"),
        details_token: read("detailsToken", "details-token").trim().to_string(),
    }
}
