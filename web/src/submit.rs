//! Sending one draft to the edge function (SPEC §7): the same `Idempotency-Key` on every
//! attempt, automatic retries with backoff when no answer came or the mail service is down
//! (the server guarantees a retry sends only what was not yet sent), and every answer turned
//! into one reducer action.
//!
//! Driven by callbacks from `js/element.js` (`postJson` calls back with the answer, `after`
//! after the backoff) rather than Rust futures: no `JsFuture` and no async state machine in
//! the WASM (measured in benchmarks/form-size/README.md). The decisions stay here.

use std::rc::Rc;

use js_sys::Array;
use rsos_rules::{Field, OutOfScope, Request};
use wasm_bindgen::prelude::*;

use crate::browser::{after, get, get_str, new_idempotency_key, post_json};
use crate::request_js;
use crate::state::{Action, Receipt, ShownError};

/// Attempts in all, the first included.
pub const MAX_ATTEMPTS: u32 = 5;
const TIMEOUT_MS: u32 = 20_000;
/// A `Retry-After` beyond this is not waited for automatically: the agent decides.
const MAX_WAIT_SECONDS: u32 = 30;

/// The backoff before attempt `next` (2, 3, …): 1 s, 2 s, 4 s, 8 s, unless the server said.
pub fn delay_seconds(next: u32, retry_after: Option<u32>) -> u32 {
    retry_after.unwrap_or_else(|| 1 << next.saturating_sub(2).min(3))
}

/// Posts until there is an answer to act on, reporting progress through `dispatch`.
pub fn send(
    endpoint: &str,
    embed_token: &str,
    trap: &str,
    key: &str,
    request: &Request,
    dispatch: impl Fn(Action) + 'static,
) {
    Rc::new(Delivery {
        endpoint: endpoint.to_string(),
        embed_token: embed_token.to_string(),
        trap: trap.to_string(),
        key: key.to_string(),
        body: request_js::to_json(request),
        dispatch: Box::new(dispatch),
    })
    .attempt(1);
}

/// One draft on its way: what every attempt sends, and where progress goes.
struct Delivery {
    endpoint: String,
    embed_token: String,
    trap: String,
    key: String,
    body: String,
    dispatch: Box<dyn Fn(Action)>,
}

impl Delivery {
    fn attempt(self: Rc<Self>, attempt: u32) {
        (self.dispatch)(Action::Sending { attempt });
        let this = Rc::clone(&self);
        let answered = Closure::once_into_js(move |reply: JsValue| this.answered(attempt, &reply));
        post_json(
            &self.endpoint,
            &self.key,
            &self.embed_token,
            &self.trap,
            &self.body,
            TIMEOUT_MS,
            &answered,
        );
    }

    fn answered(self: Rc<Self>, attempt: u32, reply: &JsValue) {
        let retry_after = match answer(&self.key, reply) {
            Answer::Final(action) => return (self.dispatch)(action),
            Answer::TryAgain { retry_after } => retry_after,
        };
        if attempt >= MAX_ATTEMPTS || retry_after.is_some_and(|s| s > MAX_WAIT_SECONDS) {
            return (self.dispatch)(Action::Failed {
                message: "The request could not be sent: the connection or the mail service is down. Your draft is kept; try again in a moment.".into(),
            });
        }
        let next = attempt + 1;
        let seconds = delay_seconds(next, retry_after);
        (self.dispatch)(Action::Retrying {
            attempt: next,
            seconds,
        });
        let this = Rc::clone(&self);
        after(
            seconds * 1000,
            &Closure::once_into_js(move || this.attempt(next)),
        );
    }
}

enum Answer {
    Final(Action),
    TryAgain { retry_after: Option<u32> },
}

/// What one reply of `postJson` means: `null` when no answer came (network cut, DNS, CORS,
/// timeout), else `{status, retryAfter, body}`.
fn answer(key: &str, reply: &JsValue) -> Answer {
    if reply.is_null() || reply.is_undefined() {
        return Answer::TryAgain { retry_after: None };
    }
    let status = get(reply, "status").as_f64().unwrap_or(0.0) as u32;
    let retry_after = get(reply, "retryAfter")
        .as_f64()
        .filter(|s| *s >= 0.0)
        .map(|s| s as u32);
    let json = get(reply, "body");
    let text = |k: &str| get_str(&json, k).unwrap_or_default();
    match status {
        202 => Answer::Final(Action::Forwarded {
            key: key.to_string(),
            receipt: Receipt {
                tracking_id: text("tracking_id"),
                subject: text("subject"),
                received_at: text("received_at"),
                respond_by: text("respond_by"),
                next_follow_up: text("next_follow_up"),
                urgent: get(&json, "urgent").as_bool() == Some(true),
            },
            fresh_key: new_idempotency_key(),
        }),
        200 => Answer::Final(Action::OutOfScope {
            key: key.to_string(),
            out_of_scope: OutOfScope {
                category: text("category"),
                contact: get_str(&json, "contact"),
                guidance: text("guidance"),
            },
            fresh_key: new_idempotency_key(),
        }),
        422 => {
            let errors: Vec<ShownError> = Array::from(&get(&json, "errors"))
                .iter()
                .filter_map(|e| {
                    Some(ShownError {
                        field: Field::from_name(&get_str(&e, "field")?)?,
                        message: get_str(&e, "message")?,
                    })
                })
                .collect();
            if errors.is_empty() {
                // Nothing to put on a field: say so rather than show an unchanged form.
                return Answer::Final(Action::Failed {
                    message: "The server asked for changes but named no field. Check the form and try again.".into(),
                });
            }
            Answer::Final(Action::Rejected {
                key: key.to_string(),
                errors,
            })
        }
        429 | 503 => Answer::TryAgain { retry_after },
        // The same key still being worked by an earlier attempt: it comes with Retry-After.
        // A 409 without one is a key used for another request, which waiting cannot fix.
        409 if retry_after.is_some() => Answer::TryAgain { retry_after },
        // Gateways in front of the edge function answer 502/504 for a short outage.
        502 | 504 => Answer::TryAgain { retry_after: None },
        _ => Answer::Final(Action::Failed {
            message: get_str(&json, "error").unwrap_or_else(|| {
                format!("The server refused the request (HTTP {status}). Your draft is kept.")
            }),
        }),
    }
}
