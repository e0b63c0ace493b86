//! The flaky mail API: it answers each call with success, fails it with HTTP 500 (`--fail`),
//! hangs (`--hang`: never answers; the connection is closed without a reply once the
//! component has given up, and a mail API that did not acknowledge a call did not carry it
//! out), or carries it out and answers only after the component gave up (`--late`).
//!
//! Two dialects (`--mail-api`): a JSON webhook, one call per email; and Microsoft Graph as
//! the component uses it — `POST …/messages` creates a draft (201 with its id), `POST
//! …/messages/{id}/send` sends it (202; a message already sent is refused with 400), `GET
//! …/messages/{id}` answers `isDraft` or 404 (never flaky: the probe after a lost answer).
//! Either way it records every call by tracking ID (`X-RSOS-Tracking-ID`) and kind; an email
//! counts as delivered when the call that sends it (the webhook call, or Graph's send) was
//! carried out. `recover` ends the flakiness: the end of an outage, before the last sweeps.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::Full;
use rsos_edge_host::loopback;
use serde_json::{json, Value};

use crate::kit::json_response;
use tokio::sync::watch;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Behaviour {
    Accept,
    Fail,
    Hang,
    /// Carried out, but the success is answered only after the component gave up.
    Late,
}

impl Behaviour {
    /// Whether the call is carried out.
    pub fn carried_out(self) -> bool {
        matches!(self, Behaviour::Accept | Behaviour::Late)
    }
}

/// One call to the mail API.
#[derive(Debug, Clone)]
pub struct MailCall {
    pub at: Duration,
    pub tracking_id: String,
    pub kind: String,
    /// `send` (the webhook call, or Graph's send), `draft` (Graph's create), `probe`.
    pub step: &'static str,
    pub to: String,
    /// Kept for delivered emails only (to check they belong to their request).
    pub text: String,
    pub behaviour: Behaviour,
}

impl MailCall {
    /// Whether this call delivered an email.
    pub fn delivers(&self) -> bool {
        self.step == "send" && self.behaviour.carried_out()
    }
}

/// How often each failure happens: `--fail`, `--hang`, `--late`.
#[derive(Debug, Clone, Copy)]
pub struct Rates {
    pub fail: f64,
    pub hang: f64,
    pub late: f64,
}

/// A Graph message: the fields the report reads, and whether it was sent.
#[derive(Debug, Clone)]
struct Draft {
    tracking_id: String,
    kind: String,
    to: String,
    text: String,
    sent: bool,
}

pub struct MailApi {
    pub started: Instant,
    pub rates: Mutex<Rates>,
    /// The longest a hung call is held before its connection is closed without a reply:
    /// far past the component's own deadline, so no reply could ever be awaited.
    pub hold: Duration,
    pub rng: Mutex<fastrand::Rng>,
    pub calls: Mutex<Vec<MailCall>>,
    pub hanging: AtomicUsize,
    pub peak_hanging: AtomicUsize,
    pub stop: watch::Receiver<bool>,
    drafts: Mutex<HashMap<String, Draft>>,
}

/// Counts a hung call while its handler lives (hyper drops it when the client disconnects).
struct Hanging<'a>(&'a MailApi);

impl<'a> Hanging<'a> {
    fn new(api: &'a MailApi) -> Hanging<'a> {
        let now = api.hanging.fetch_add(1, Ordering::SeqCst) + 1;
        api.peak_hanging.fetch_max(now, Ordering::SeqCst);
        Hanging(api)
    }
}

impl Drop for Hanging<'_> {
    fn drop(&mut self) {
        self.0.hanging.fetch_sub(1, Ordering::SeqCst);
    }
}

#[derive(Debug)]
pub struct NoReply;

impl std::fmt::Display for NoReply {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("hung: connection closed without a reply")
    }
}

impl std::error::Error for NoReply {}

type Answer = Result<hyper::Response<Full<Bytes>>, NoReply>;

/// The Graph message's header `name`.
fn graph_header(message: &Value, name: &str) -> String {
    message["internetMessageHeaders"]
        .as_array()
        .and_then(|headers| headers.iter().find(|h| h["name"] == name))
        .and_then(|h| h["value"].as_str())
        .unwrap_or_default()
        .to_owned()
}

impl MailApi {
    pub fn new(
        started: Instant,
        rates: Rates,
        hold: Duration,
        seed: u64,
        stop: watch::Receiver<bool>,
    ) -> MailApi {
        MailApi {
            started,
            rates: Mutex::new(rates),
            hold,
            rng: Mutex::new(fastrand::Rng::with_seed(seed)),
            calls: Mutex::default(),
            hanging: AtomicUsize::new(0),
            peak_hanging: AtomicUsize::new(0),
            stop,
            drafts: Mutex::default(),
        }
    }

    /// Serves on an ephemeral 127.0.0.1 port until `stop` turns true.
    pub async fn serve(self: Arc<MailApi>) -> SocketAddr {
        let stop = self.stop.clone();
        let answer = move |request| {
            let api = self.clone();
            async move { api.answer(request).await }
        };
        loopback::serve(answer, Some(stop)).await.expect("bind")
    }

    /// The outage ends: every call succeeds from now on.
    pub fn recover(&self) {
        *self.rates.lock().unwrap() = Rates {
            fail: 0.0,
            hang: 0.0,
            late: 0.0,
        };
    }

    fn roll(&self) -> Behaviour {
        let rates = *self.rates.lock().unwrap();
        let roll = self.rng.lock().unwrap().f64();
        if roll < rates.fail {
            Behaviour::Fail
        } else if roll < rates.fail + rates.hang {
            Behaviour::Hang
        } else if roll < rates.fail + rates.hang + rates.late {
            Behaviour::Late
        } else {
            Behaviour::Accept
        }
    }

    fn record(&self, call: MailCall) {
        self.calls.lock().unwrap().push(call);
    }

    /// Answers `status` with `body` as `behaviour` says.
    async fn respond(&self, behaviour: Behaviour, status: u16, body: Value) -> Answer {
        // A success without a body (202) has none, as the real APIs answer it.
        let success = |status: u16, body: Value| {
            if body.is_null() {
                hyper::Response::builder()
                    .status(status)
                    .body(Full::new(Bytes::new()))
                    .unwrap()
            } else {
                json_response(status, body)
            }
        };
        match behaviour {
            Behaviour::Accept => Ok(success(status, body)),
            Behaviour::Fail => Ok(json_response(500, json!({"error": "injected"}))),
            Behaviour::Late => {
                tokio::time::sleep(self.hold / 5).await;
                Ok(success(status, body))
            }
            Behaviour::Hang => {
                let _hanging = Hanging::new(self);
                let mut stop = self.stop.clone();
                tokio::select! {
                    _ = stop.wait_for(|stopped| *stopped) => {}
                    _ = tokio::time::sleep(self.hold) => {}
                }
                // An error makes hyper close the connection without writing any response.
                Err(NoReply)
            }
        }
    }

    async fn answer(&self, request: hyper::Request<hyper::body::Incoming>) -> Answer {
        let method = request.method().clone();
        let path = request.uri().path().to_owned();
        let body = loopback::body(request).await;
        let body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
        let graph = path
            .strip_prefix("/v1.0/users/")
            .and_then(|rest| rest.split_once('/'))
            .and_then(|(_, rest)| rest.strip_prefix("messages"))
            .map(|rest| rest.trim_start_matches('/').to_owned());
        match graph {
            Some(rest) => self.graph(&method, &rest, body).await,
            None => self.webhook(body).await,
        }
    }

    async fn webhook(&self, body: Value) -> Answer {
        let behaviour = self.roll();
        let text = |v: &Value| v.as_str().unwrap_or_default().to_owned();
        self.record(MailCall {
            at: self.started.elapsed(),
            tracking_id: text(&body["headers"]["X-RSOS-Tracking-ID"]),
            kind: text(&body["headers"]["X-RSOS-Kind"]),
            step: "send",
            to: text(&body["to"]),
            text: if behaviour.carried_out() {
                text(&body["text"])
            } else {
                String::new()
            },
            behaviour,
        });
        self.respond(behaviour, 202, Value::Null).await
    }

    async fn graph(&self, method: &hyper::Method, rest: &str, body: Value) -> Answer {
        let not_found = || {
            Ok(json_response(
                404,
                json!({"error": {"code": "ErrorItemNotFound"}}),
            ))
        };
        let call = |draft: &Draft, step: &'static str, behaviour: Behaviour| MailCall {
            at: self.started.elapsed(),
            tracking_id: draft.tracking_id.clone(),
            kind: draft.kind.clone(),
            step,
            to: draft.to.clone(),
            text: draft.text.clone(),
            behaviour,
        };
        match (method, rest.split_once('/')) {
            (&hyper::Method::POST, None) if rest.is_empty() => {
                let behaviour = self.roll();
                let draft = Draft {
                    tracking_id: graph_header(&body, "X-RSOS-Tracking-ID"),
                    kind: graph_header(&body, "X-RSOS-Kind"),
                    to: body["toRecipients"][0]["emailAddress"]["address"]
                        .as_str()
                        .unwrap_or_default()
                        .to_owned(),
                    text: body["body"]["content"]
                        .as_str()
                        .unwrap_or_default()
                        .to_owned(),
                    sent: false,
                };
                self.record(call(&draft, "draft", behaviour));
                let mut reply = Value::Null;
                if behaviour.carried_out() {
                    let mut drafts = self.drafts.lock().unwrap();
                    let id = format!("AAMkLoad-{}=", drafts.len() + 1);
                    drafts.insert(id.clone(), draft);
                    reply = json!({ "id": id, "isDraft": true });
                }
                self.respond(behaviour, 201, reply).await
            }
            (&hyper::Method::POST, Some((id, "send"))) => {
                let id = percent_encoding::percent_decode_str(id)
                    .decode_utf8_lossy()
                    .into_owned();
                let Some(draft) = self.drafts.lock().unwrap().get(&id).cloned() else {
                    return not_found();
                };
                if draft.sent {
                    return Ok(json_response(
                        400,
                        json!({"error": {"code": "ErrorInvalidOperation"}}),
                    ));
                }
                let behaviour = self.roll();
                self.record(call(&draft, "send", behaviour));
                if behaviour.carried_out() {
                    if let Some(d) = self.drafts.lock().unwrap().get_mut(&id) {
                        d.sent = true;
                    }
                }
                self.respond(behaviour, 202, Value::Null).await
            }
            (&hyper::Method::GET, None) => {
                let id = percent_encoding::percent_decode_str(rest)
                    .decode_utf8_lossy()
                    .into_owned();
                let found = self.drafts.lock().unwrap().get(&id).cloned();
                match found {
                    None => not_found(),
                    Some(draft) => {
                        self.record(call(&draft, "probe", Behaviour::Accept));
                        Ok(json_response(
                            200,
                            json!({ "id": id, "isDraft": !draft.sent }),
                        ))
                    }
                }
            }
            _ => not_found(),
        }
    }
}
