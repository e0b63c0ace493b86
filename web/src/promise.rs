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
const SHOWN_FOR_MS: u32 = 5 * 60 * 1000;

thread_local! {
    /// Whether this page has asked the edge and its answer is still shown (or its failure
    /// still counts). Per page, not per form. A page-wide cell, not yew hooks of the `App`:
    /// `use_state`, `use_mut_ref` and one more effect for this cost 1.1 KB gzip (measured).
    static ASKED: Cell<bool> = const { Cell::new(false) };
}

/// Asks the edge for the promise unless this page's last answer still stands, and calls
/// `shown` with the sentence to show, or `None` (no answer, an error status, an answer without
/// its dates); then, once the answer has stood for as long as its dates hold
/// (`holds_for_s`, until the next midnight in the business zone) or [`SHOWN_FOR_MS`],
/// whichever is first, calls `shown(None)` and lets the next change ask again. Timed from the
/// answer's arrival, so the agent's clock plays no part. Sends no token and no custom header,
/// so a portal's browser makes no preflight for it.
pub fn refresh(options: &Options, shown: impl Fn(Option<String>) + 'static) {
    if ASKED.with(|asked| asked.replace(true)) {
        return;
    }
    fetch_json(
        &options.promise_url(),
        "",
        "",
        "",
        None,
        crate::submit::TIMEOUT_MS,
        move |reply| {
            let (line, holds_ms) = read(&reply);
            shown(line);
            after(holds_ms.min(SHOWN_FOR_MS), move || {
                ASKED.with(|asked| asked.set(false));
                shown(None);
            });
        },
    );
}

/// The sentence for one `fetchJson` reply (`{status, retryAfter, body}`, or `null`, whose
/// status reads as undefined), and how long it holds in ms.
fn read(reply: &JsValue) -> (Option<String>, u32) {
    let body = get(reply, "body");
    let holds_ms = get(&body, "holds_for_s").as_f64().unwrap_or(0.0) * 1000.0;
    let line = (get(reply, "status").as_f64() == Some(200.0))
        .then(|| {
            let respond_by = get_str(&body, "respond_by")?;
            let next_follow_up = get_str(&body, "next_follow_up")?;
            Some(if_sent_now(
                &local_time(&respond_by),
                &local_time(&next_follow_up),
            ))
        })
        .flatten();
    // No answer or no hold: ask again at the next change after the full period.
    let holds_ms = if line.is_some() {
        holds_ms as u32
    } else {
        SHOWN_FOR_MS
    };
    (line, holds_ms)
}
