//! What the agent can tell the member before sending (issue 10, `GET /api/promise`): the
//! respond-by and the first update a request sent now would get. The dates are the edge's,
//! from its clock and the rules crate's business clock, so the form says before sending
//! exactly what the acknowledgement says after; the agent's own clock decides nothing. The
//! form formats them in the agent's time zone (`localTime`) and shows nothing when the edge
//! does not answer: the line is a courtesy, never a reason to hold a request back.

use std::cell::Cell;

use rsos_rules::if_sent_now;
use wasm_bindgen::prelude::*;

use crate::browser::{fetch_json, get, get_str, local_time};
use crate::state::Options;

/// How long one answer is used before the next is asked for: the edge is asked at most once
/// per this period per page. The business clock's dates only move later as time passes, and
/// by no more than the time passed, so a line shown while the agent types is early by at most
/// this much; after an idle spell it can be older (asked again on the next keystroke). The
/// confirmation and the acknowledgement give the exact dates.
pub const REFRESH_MS: f64 = 5.0 * 60.0 * 1000.0;

thread_local! {
    /// When this page last asked the edge (`Date.now()`, ms); NaN: never. Per page, not per
    /// form: a page with two forms asks once per period (the second shows the line from its
    /// next ask). A page-wide cell and the state's `promise`, not yew hooks of the `App`:
    /// `use_state`, `use_mut_ref` and one more effect for this cost 1.1 KB gzip (measured).
    static ASKED_AT: Cell<f64> = const { Cell::new(f64::NAN) };
}

/// Asks the edge for the promise unless this page asked less than [`REFRESH_MS`] ago, and
/// then calls `shown` once with the sentence to show, or `None` (no answer, an error status,
/// an answer without both dates). Sends no token and no custom header, so a portal's browser
/// makes no preflight for it.
pub fn refresh(options: &Options, shown: impl FnOnce(Option<String>) + 'static) {
    let now = js_sys::Date::now();
    let fresh = ASKED_AT.with(|at| now - at.get() < REFRESH_MS);
    if fresh {
        return;
    }
    ASKED_AT.with(|at| at.set(now));
    fetch_json(
        &options.promise_url(),
        "",
        "",
        "",
        None,
        crate::submit::TIMEOUT_MS,
        move |reply| shown(sentence(&reply)),
    );
}

/// The sentence for one `fetchJson` reply (`{status, retryAfter, body}`, or `null`, whose
/// status reads as undefined).
fn sentence(reply: &JsValue) -> Option<String> {
    if get(reply, "status").as_f64() != Some(200.0) {
        return None;
    }
    let body = get(reply, "body");
    let respond_by = get_str(&body, "respond_by")?;
    let first_update = get_str(&body, "first_update")?;
    Some(if_sent_now(
        &local_time(&respond_by),
        &local_time(&first_update),
    ))
}
