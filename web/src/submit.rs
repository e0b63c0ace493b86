//! Sending one draft to the edge function (SPEC §7), or the agent's details to a tracked
//! request (SPEC §9, `POST /api/requests/{tracking_id}/details`): the same `Idempotency-Key` on every
//! attempt, automatic retries with backoff when no answer came or the mail service is down
//! (the server guarantees a retry sends only what was not yet sent), and every answer turned
//! into one reducer action. What the agent is told while waiting and when the form stops
//! trying comes from `rsos_rules::notice`.
//!
//! Driven by callbacks from `js/element.js` (`fetchJson` calls back with the answer, `after`
//! after the backoff) rather than Rust futures: no `JsFuture` and no async state machine in
//! the WASM (measured in benchmarks/form-size/README.md). The decisions stay here.

use std::rc::Rc;

use rsos_rules::notice::{self, Wait};
use rsos_rules::{Field, OutOfScope, Request};
use wasm_bindgen::prelude::*;

use crate::browser::{after, array, clock_in, fetch_json, get, get_str, new_idempotency_key};
use crate::request_js;
use crate::state::{Action, Options, Receipt, ShownError};

/// Attempts in all, the first included.
pub const MAX_ATTEMPTS: u32 = 5;
pub const TIMEOUT_MS: u32 = 20_000;
/// The longest wait the form takes on its own: the edge passes the mail API's own wait on
/// up to 120 s (Graph throttling). A longer one (a rate limit's hour) is the agent's to take,
/// so the form stops and says when to try again. With 5 attempts the form gives up within
/// 4 × 120 s plus the time-outs, and says so at every wait.
const MAX_WAIT_SECONDS: u32 = 120;

/// The backoff before attempt `next` (2, 3, …): 1 s, 2 s, 4 s, 8 s, unless the server said.
pub fn delay_seconds(next: u32, retry_after: Option<u32>) -> u32 {
    retry_after.unwrap_or_else(|| 1 << next.saturating_sub(2).min(3))
}

/// Posts until there is an answer to act on, reporting progress through `dispatch`.
/// `trap`: what the hidden field holds (empty for people).
pub fn send(
    options: &Options,
    trap: &str,
    key: &str,
    request: &Request,
    dispatch: impl Fn(Action) + 'static,
) {
    Rc::new(Delivery {
        url: options.endpoint.clone(),
        bearer: options.embed_token.clone(),
        trap: trap.to_string(),
        key: key.to_string(),
        body: request_js::to_json(request),
        read: answer,
        not_sent: notice::not_sent,
        dispatch: Box::new(dispatch),
    })
    .attempt(1);
}

/// Posts the agent's details to `url` (`…/requests/{tracking_id}/details`) with the details
/// link as Bearer, retrying as [`send`] does; `read` turns the details' own answers (202)
/// into actions and leaves the rest to the shared [`answer`].
#[cfg(feature = "details")]
pub fn send_details(
    url: String,
    link: &str,
    key: &str,
    request: &Request,
    read: fn(&str, &JsValue) -> Answer,
    dispatch: impl Fn(Action) + 'static,
) {
    Rc::new(Delivery {
        url,
        bearer: link.to_string(),
        trap: String::new(),
        key: key.to_string(),
        body: request_js::to_json(request),
        read,
        not_sent: notice::details_not_sent,
        dispatch: Box::new(dispatch),
    })
    .attempt(1);
}

/// One draft on its way: what every attempt sends, and where progress goes.
struct Delivery {
    url: String,
    bearer: String,
    trap: String,
    key: String,
    body: String,
    /// What an answer means.
    read: fn(&str, &JsValue) -> Answer,
    /// What the agent is told when the form stops trying.
    not_sent: fn(Option<u32>) -> String,
    dispatch: Box<dyn Fn(Action)>,
}

impl Delivery {
    fn attempt(self: Rc<Self>, attempt: u32) {
        (self.dispatch)(Action::Sending { attempt });
        let this = Rc::clone(&self);
        fetch_json(
            &self.url,
            &self.key,
            &self.bearer,
            &self.trap,
            Some(self.body.clone()),
            TIMEOUT_MS,
            move |reply| this.answered(attempt, &reply),
        );
    }

    fn answered(self: Rc<Self>, attempt: u32, reply: &JsValue) {
        let (retry_after, pause) = match (self.read)(&self.key, reply) {
            Answer::Final(action) => return (self.dispatch)(action),
            Answer::TryAgain { retry_after, pause } => (retry_after, pause),
        };
        let next = attempt + 1;
        let seconds = delay_seconds(next, retry_after);
        if attempt >= MAX_ATTEMPTS || seconds > MAX_WAIT_SECONDS {
            let longer = Some(seconds).filter(|s| *s > MAX_WAIT_SECONDS);
            return (self.dispatch)(match pause {
                Pause::Forwarded(tracking_id) => Action::ConfirmationDelayed {
                    key: self.key.clone(),
                    tracking_id,
                    forwarded: true,
                    finishing: false,
                },
                _ => Action::Failed {
                    message: (self.not_sent)(longer),
                },
            });
        }
        (self.dispatch)(Action::Retrying {
            status: notice::waiting(
                pause.wait(),
                seconds,
                &clock_in(seconds),
                next,
                MAX_ATTEMPTS,
            ),
        });
        let this = Rc::clone(&self);
        after(seconds * 1000, move || this.attempt(next));
    }
}

pub enum Answer {
    Final(Action),
    TryAgain {
        retry_after: Option<u32>,
        pause: Pause,
    },
}

/// Why the form waits: [`notice::Wait`], owning the tracking ID.
pub enum Pause {
    NoAnswer,
    Busy,
    Unavailable,
    /// The forward reached the mailbox under this tracking ID.
    Forwarded(String),
}

impl Pause {
    fn wait(&self) -> Wait<'_> {
        match self {
            Pause::NoAnswer => Wait::NoAnswer,
            Pause::Busy => Wait::Busy,
            Pause::Unavailable => Wait::Unavailable,
            Pause::Forwarded(tracking_id) => Wait::ConfirmationDelayed(tracking_id),
        }
    }
}

/// What one reply of `fetchJson` means: `null` when no answer came (network cut, DNS, CORS,
/// timeout), else `{status, retryAfter, body}`.
pub fn answer(key: &str, reply: &JsValue) -> Answer {
    let no_answer = Answer::TryAgain {
        retry_after: None,
        pause: Pause::NoAnswer,
    };
    if reply.is_null() || reply.is_undefined() {
        return no_answer;
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
                status_url: get_str(&json, "status_url"),
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
            let errors: Vec<ShownError> = array(&get(&json, "errors"))
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
        // The hidden field came filled (autofill, or a bot): nothing was sent or kept, so the
        // same key sends the request once the view has cleared the field.
        400 if get(&json, "trap").as_bool() == Some(true) => Answer::Final(Action::TrapFilled {
            message: get_str(&json, "error").unwrap_or_else(|| notice::trap_filled().into()),
        }),
        503 => {
            let tracking_id = get_str(&json, "tracking_id");
            let forwarded = get(&json, "forwarded").as_bool() == Some(true);
            match tracking_id {
                // The deployment's sweep finishes the delivery: nothing for the agent to wait
                // for (`notice::recorded_finishing`, `notice::mail_unavailable_finishing`).
                Some(tracking_id)
                    if get(&json, "finishes_automatically").as_bool() == Some(true) =>
                {
                    Answer::Final(Action::ConfirmationDelayed {
                        key: key.to_string(),
                        tracking_id,
                        forwarded,
                        finishing: true,
                    })
                }
                // Only the confirmation is missing: said so while waiting and after.
                Some(tracking_id) if forwarded => Answer::TryAgain {
                    retry_after,
                    pause: Pause::Forwarded(tracking_id),
                },
                _ => Answer::TryAgain {
                    retry_after,
                    pause: Pause::Unavailable,
                },
            }
        }
        // A 429, or the same key still being worked by an earlier attempt (it comes with
        // Retry-After; a 409 without one is a key used for another request, which waiting
        // cannot fix).
        429 => Answer::TryAgain {
            retry_after,
            pause: Pause::Busy,
        },
        409 if retry_after.is_some() => Answer::TryAgain {
            retry_after,
            pause: Pause::Busy,
        },
        // Gateways in front of the edge function answer 502/504 for a short outage.
        502 | 504 => no_answer,
        _ => Answer::Final(Action::Failed {
            message: get_str(&json, "error").unwrap_or_else(|| {
                format!("The server refused the request (HTTP {status}). Your draft is kept.")
            }),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::browser::object;
    use wasm_bindgen_test::wasm_bindgen_test;

    fn reply(status: u32, retry_after: i32, body: &[(&str, JsValue)]) -> JsValue {
        object(&[
            ("status", status.into()),
            ("retryAfter", retry_after.into()),
            ("body", object(body)),
        ])
    }

    #[wasm_bindgen_test]
    fn a_filled_trap_is_final_and_says_what_to_do() {
        let trap = reply(
            400,
            -1,
            &[("error", "cleared".into()), ("trap", true.into())],
        );
        assert!(matches!(
            answer("k", &trap),
            Answer::Final(Action::TrapFilled { message }) if message == "cleared"
        ));
        let other = reply(400, -1, &[("error", "bad".into())]);
        assert!(matches!(
            answer("k", &other),
            Answer::Final(Action::Failed { .. })
        ));
    }

    #[wasm_bindgen_test]
    fn a_503_after_the_forward_keeps_its_tracking_id_and_the_servers_wait() {
        let forwarded = reply(
            503,
            60,
            &[
                ("tracking_id", "RSOS-1".into()),
                ("forwarded", true.into()),
                ("sent", js_sys::Array::of1(&"forward".into()).into()),
            ],
        );
        assert!(matches!(
            answer("k", &forwarded),
            Answer::TryAgain { retry_after: Some(60), pause: Pause::Forwarded(t) } if t == "RSOS-1"
        ));
        let not_forwarded = reply(
            503,
            10,
            &[
                ("tracking_id", "RSOS-1".into()),
                ("forwarded", false.into()),
            ],
        );
        assert!(matches!(
            answer("k", &not_forwarded),
            Answer::TryAgain {
                retry_after: Some(10),
                pause: Pause::Unavailable
            }
        ));
        assert!(matches!(
            answer("k", &JsValue::NULL),
            Answer::TryAgain {
                retry_after: None,
                pause: Pause::NoAnswer
            }
        ));
    }

    #[wasm_bindgen_test]
    fn a_503_the_sweep_finishes_ends_the_attempts_with_that_truth_at_once() {
        for forwarded in [false, true] {
            let finishing = reply(
                503,
                10,
                &[
                    ("tracking_id", "RSOS-1".into()),
                    ("forwarded", forwarded.into()),
                    ("finishes_automatically", true.into()),
                ],
            );
            assert!(matches!(
                answer("k", &finishing),
                Answer::Final(Action::ConfirmationDelayed { key, tracking_id, forwarded: f, finishing: true })
                    if key == "k" && tracking_id == "RSOS-1" && f == forwarded
            ));
        }
    }

    #[wasm_bindgen_test]
    fn a_202_keeps_the_status_page_link() {
        let forwarded = reply(
            202,
            -1,
            &[
                ("tracking_id", "RSOS-1".into()),
                (
                    "status_url",
                    "https://intake.example/api/status/l1.x.y".into(),
                ),
            ],
        );
        assert!(matches!(
            answer("k", &forwarded),
            Answer::Final(Action::Forwarded { receipt, .. })
                if receipt.status_url.as_deref() == Some("https://intake.example/api/status/l1.x.y")
        ));
    }
}
