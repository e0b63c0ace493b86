//! Sending one draft to the edge function (SPEC §7): the same `Idempotency-Key` on every
//! attempt, automatic retries with backoff when no answer came or the mail service is down
//! (the server guarantees a retry sends only what was not yet sent), and every answer turned
//! into one reducer action.

use js_sys::{Array, JSON};
use rsos_rules::{Field, OutOfScope, Request};
use wasm_bindgen::JsValue;
use wasm_bindgen_futures::JsFuture;

use crate::browser::{get, get_str, new_idempotency_key, object, post_json, sleep};
use crate::state::{Action, Receipt, ShownError};

/// Attempts in all, the first included.
pub const MAX_ATTEMPTS: u32 = 5;
const TIMEOUT_MS: u32 = 20_000;
/// A `Retry-After` beyond this is not waited for automatically: the agent decides.
const MAX_WAIT_SECONDS: u32 = 30;

/// The request body: the request's fields exactly as typed; the server normalises and
/// rebuilds the subject itself.
pub fn body(request: &Request) -> String {
    let mut entries: Vec<(&str, JsValue)> = Field::ALL
        .iter()
        .filter(|f| **f != Field::ConfirmSingleLineOfBusiness)
        .map(|f| (f.as_str(), JsValue::from_str(request.text(*f))))
        .collect();
    entries.push((
        Field::ConfirmSingleLineOfBusiness.as_str(),
        JsValue::from_bool(request.confirm_single_line_of_business),
    ));
    JSON::stringify(&object(&entries))
        .map(String::from)
        .unwrap_or_default()
}

/// The backoff before attempt `next` (2, 3, …): 1 s, 2 s, 4 s, 8 s, unless the server said.
pub fn delay_seconds(next: u32, retry_after: Option<u32>) -> u32 {
    retry_after.unwrap_or_else(|| 1 << next.saturating_sub(2).min(3))
}

/// Posts until there is an answer to act on, reporting progress through `dispatch`.
pub async fn send(
    endpoint: &str,
    embed_token: &str,
    trap: &str,
    key: &str,
    request: &Request,
    dispatch: impl Fn(Action),
) {
    let body = body(request);
    let mut attempt = 1;
    loop {
        dispatch(Action::Sending { attempt });
        let retry_after = match post(endpoint, embed_token, trap, key, &body).await {
            Answer::Final(action) => return dispatch(action),
            Answer::TryAgain { retry_after } => retry_after,
        };
        if attempt >= MAX_ATTEMPTS || retry_after.is_some_and(|s| s > MAX_WAIT_SECONDS) {
            return dispatch(Action::Failed {
                message: "The request could not be sent: the connection or the mail service is down. Your draft is kept; try again in a moment.".into(),
            });
        }
        attempt += 1;
        let seconds = delay_seconds(attempt, retry_after);
        dispatch(Action::Retrying { attempt, seconds });
        let _ = JsFuture::from(sleep(seconds * 1000)).await;
    }
}

enum Answer {
    Final(Action),
    TryAgain { retry_after: Option<u32> },
}

async fn post(endpoint: &str, embed_token: &str, trap: &str, key: &str, body: &str) -> Answer {
    let reply = match post_json(endpoint, key, embed_token, trap, body, TIMEOUT_MS) {
        Ok(promise) => JsFuture::from(promise).await,
        Err(e) => Err(e),
    };
    let Ok(reply) = reply else {
        return Answer::TryAgain { retry_after: None };
    };
    let status = get(&reply, "status").as_f64().unwrap_or(0.0) as u32;
    let retry_after = get(&reply, "retryAfter")
        .as_f64()
        .filter(|s| *s >= 0.0)
        .map(|s| s as u32);
    let json = get(&reply, "body");
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
