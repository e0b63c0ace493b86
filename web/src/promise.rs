//! What the agent can tell the member before sending (issue 10, `GET /api/promise`): the
//! respond-by and the first update a request sent now would get. The dates are the edge's,
//! from its clock and the rules crate's business clock, so the form says before sending
//! exactly what the acknowledgement says after; the agent's own clock decides nothing. The
//! form formats them in the agent's time zone (`localTime`) and shows nothing when the edge
//! does not answer: the line is a courtesy, never a reason to hold a request back.

use std::cell::Cell;

use rsos_rules::if_sent_now;
use wasm_bindgen::prelude::*;

use crate::browser::{after, fetch_json, get, get_str, local_time};
use crate::state::Options;

/// The longest one answer is shown (5 minutes): its times are early by at most this much
/// (the edge's dates move with the clock), and the edge is asked at most this often per page
/// while the agent types.
const SHOWN_FOR_MS: f64 = 5.0 * 60.0 * 1000.0;

thread_local! {
    /// Until when (`Date.now()`, ms) this page's last ask stands: while it is in flight, then
    /// while its answer's dates hold (or, after a failure, [`SHOWN_FOR_MS`]). Per page, not
    /// per form. Only differences of the agent's clock are used, never its date. A page-wide
    /// cell, not yew hooks of the `App`: `use_state`, `use_mut_ref` and one more effect for
    /// this cost 1.1 KB gzip (measured).
    static HOLDS_UNTIL: Cell<f64> = const { Cell::new(f64::NEG_INFINITY) };
}

/// Whether the line from the last answer may still be shown. The view asks at every render,
/// so a line outlives its hold only on a page nobody touches (a timer can fire late after the
/// computer slept, and the next render hides it).
pub fn holds() -> bool {
    js_sys::Date::now() < HOLDS_UNTIL.with(Cell::get)
}

/// Asks the edge for the promise unless the last ask still stands, and calls `shown` with the
/// sentence to show, or `None` (no answer, an error status, an answer without its dates or its
/// hold); then, once min(`holds_for_s`, [`SHOWN_FOR_MS`]) has passed since the ask was sent
/// (the hold ends at the next midnight in the business zone), calls `shown(None)`, and the next
/// change asks again. Sends no token and no custom header, so a portal's browser makes no
/// preflight for it.
pub fn refresh(options: &Options, shown: impl Fn(Option<String>) + 'static) {
    let asked_at = js_sys::Date::now();
    if asked_at < HOLDS_UNTIL.with(Cell::get) {
        return;
    }
    HOLDS_UNTIL.with(|until| until.set(asked_at + SHOWN_FOR_MS));
    fetch_json(
        &options.promise_url(),
        "",
        "",
        "",
        None,
        crate::submit::TIMEOUT_MS,
        move |reply| {
            let (line, holds_ms) = read(&reply);
            let until = asked_at + holds_ms.min(SHOWN_FOR_MS);
            HOLDS_UNTIL.with(|cell| cell.set(until));
            shown(line);
            let left = until - js_sys::Date::now();
            after(left.max(0.0) as u32, move || {
                // A newer answer may stand by now; this one's line goes only if none does.
                if !holds() {
                    shown(None);
                }
            });
        },
    );
}

/// The sentence for one `fetchJson` reply (`{status, retryAfter, body}`, or `null`, whose
/// status reads as undefined), and how long it holds in ms: none without a hold of at least a
/// second, and then the full period before the next ask.
fn read(reply: &JsValue) -> (Option<String>, f64) {
    let body = get(reply, "body");
    let holds_ms = get(&body, "holds_for_s").as_f64().unwrap_or(0.0) * 1000.0;
    let line = (get(reply, "status").as_f64() == Some(200.0) && holds_ms >= 1000.0)
        .then(|| {
            let respond_by = get_str(&body, "respond_by")?;
            let next_follow_up = get_str(&body, "next_follow_up")?;
            Some(if_sent_now(
                &local_time(&respond_by),
                &local_time(&next_follow_up),
            ))
        })
        .flatten();
    match line {
        Some(_) => (line, holds_ms),
        None => (None, SHOWN_FOR_MS),
    }
}
