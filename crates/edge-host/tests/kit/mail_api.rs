//! A stand-in mail API on 127.0.0.1 — a JSON webhook, Microsoft Graph's message endpoints and
//! Microsoft sign-in — that records every request and answers as a test's policy says. It
//! stops accepting when its last handle is dropped.
//!
//! Graph as the component uses it, behaving as the Graph docs describe: `POST
//! /v1.0/users/{sender}/messages` creates a draft and answers 201 with its id;
//! `POST …/messages/{id}/send` answers 202 and sends it (a message that is no longer a draft
//! is refused, 400); `GET …/messages/{id}` answers the draft (`isDraft: true`), the Sent Items
//! copy under the same immutable id (`isDraft: false`) once it exists — `set_copy_delay` —, or
//! 404 `ErrorItemNotFound`. A policy sees a create's message, and `{"send": <message>}` for a
//! send. `Behaviour::Late` carries a call out and answers after the
//! component's timeout; `Behaviour::Throttle` answers 429 with `Retry-After`.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::Full;
use rsos_edge_host::loopback;
use serde_json::Value;
use tokio::sync::watch;

/// What the fake mail API does with one email.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Behaviour {
    Accept,
    Fail(u16),
    /// Never answers (the component's timeout must fire).
    Hang,
    /// Carries the call out, then answers only after this long (past the component's timeout).
    Late(Duration),
    /// 429 Too Many Requests with `Retry-After: <seconds>`, as Graph throttles.
    Throttle(u64),
}

impl Behaviour {
    /// Whether the call is carried out.
    fn carried_out(self) -> bool {
        matches!(self, Behaviour::Accept | Behaviour::Late(_))
    }
}

/// A message created through the Graph endpoints.
#[derive(Debug, Clone)]
pub struct GraphMessage {
    pub id: String,
    pub message: Value,
    pub sent_at: Option<Instant>,
}

/// One request the mail API received.
#[derive(Debug, Clone)]
pub struct Received {
    pub path: String,
    pub headers: BTreeMap<String, String>,
    pub body: Value,
    pub accepted: bool,
}

type Policy = Arc<dyn Fn(&Value) -> Behaviour + Send + Sync>;

/// A mail API on 127.0.0.1 that records every request and answers as its policy says.
/// Clones share it; it stops accepting when the last clone is dropped.
#[derive(Clone)]
pub struct MailServer {
    pub addr: SocketAddr,
    state: Arc<MailState>,
    _stop: Arc<watch::Sender<bool>>,
}

/// What the answering side shares with the handles.
struct MailState {
    received: Mutex<Vec<Received>>,
    policy: Mutex<Policy>,
    /// Also a Microsoft sign-in service: `POST /{tenant}/oauth2/v2.0/token` issues
    /// `token-1`, `token-2`, … valid this many seconds.
    token_lifetime_s: Mutex<u64>,
    /// Bearer tokens the API answers 401 to (revoked).
    revoked: Mutex<Vec<String>>,
    /// Graph messages, drafts and sent.
    messages: Mutex<Vec<GraphMessage>>,
    /// How long after a send the Sent Items copy can be found.
    copy_delay: Mutex<Duration>,
}

impl MailServer {
    pub async fn start() -> MailServer {
        let state = Arc::new(MailState {
            received: Mutex::default(),
            policy: Mutex::new(Arc::new(|_: &Value| Behaviour::Accept)),
            token_lifetime_s: Mutex::new(3599),
            revoked: Mutex::default(),
            messages: Mutex::default(),
            copy_delay: Mutex::new(Duration::ZERO),
        });
        // The server holds the state, never a handle: dropping the last handle drops the
        // sender, which stops the accept loop.
        let (stop, stopped) = watch::channel(false);
        let answering = state.clone();
        let answer = move |request| {
            let answering = answering.clone();
            async move { answering.answer(request).await }
        };
        let addr = loopback::serve(answer, Some(stopped)).await.expect("bind");
        MailServer {
            addr,
            state,
            _stop: Arc::new(stop),
        }
    }

    pub fn set_token_lifetime(&self, seconds: u64) {
        *self.state.token_lifetime_s.lock().unwrap() = seconds;
    }

    pub fn revoke(&self, token: &str) {
        self.state
            .revoked
            .lock()
            .unwrap()
            .push(format!("Bearer {token}"));
    }

    /// The sign-in requests, oldest first (their bodies are the form text as a string).
    pub fn sign_ins(&self) -> Vec<Received> {
        self.state
            .received
            .lock()
            .unwrap()
            .iter()
            .filter(|r| r.path.ends_with("/oauth2/v2.0/token"))
            .cloned()
            .collect()
    }

    /// Graph: how long after a send the sent message can be found again by its id.
    pub fn set_copy_delay(&self, delay: Duration) {
        *self.state.copy_delay.lock().unwrap() = delay;
    }

    /// Graph messages created so far, drafts and sent.
    pub fn graph_messages(&self) -> Vec<GraphMessage> {
        self.state.messages.lock().unwrap().clone()
    }

    /// Graph messages sent, in the order they were sent.
    pub fn graph_sent(&self) -> Vec<Value> {
        let mut sent: Vec<GraphMessage> = self
            .graph_messages()
            .into_iter()
            .filter(|m| m.sent_at.is_some())
            .collect();
        sent.sort_by_key(|m| m.sent_at);
        sent.into_iter().map(|m| m.message).collect()
    }

    /// Graph messages of one kind (`X-RSOS-Kind`) that were sent.
    pub fn graph_sent_kind(&self, kind: &str) -> Vec<Value> {
        self.graph_sent()
            .into_iter()
            .filter(|m| {
                m["internetMessageHeaders"].as_array().is_some_and(|h| {
                    h.iter()
                        .any(|h| h["name"] == "X-RSOS-Kind" && h["value"] == kind)
                })
            })
            .collect()
    }

    pub fn set_policy(&self, policy: impl Fn(&Value) -> Behaviour + Send + Sync + 'static) {
        *self.state.policy.lock().unwrap() = Arc::new(policy);
    }

    pub fn received(&self) -> Vec<Received> {
        self.state.received.lock().unwrap().clone()
    }

    /// Emails the API accepted (answered 2xx), in order.
    pub fn delivered(&self) -> Vec<Value> {
        self.received()
            .into_iter()
            .filter(|r| r.accepted)
            .map(|r| r.body)
            .collect()
    }

    pub fn delivered_kind(&self, kind: &str) -> Vec<Value> {
        self.delivered()
            .into_iter()
            .filter(|m| m["headers"]["X-RSOS-Kind"] == kind)
            .collect()
    }
}

impl MailState {
    /// The client credentials grant as Microsoft's sign-in service answers it; the policy
    /// sees the form text as a JSON string (so a test can fail sign-ins).
    fn sign_in(
        &self,
        path: String,
        headers: BTreeMap<String, String>,
        body: &[u8],
    ) -> hyper::Response<Full<Bytes>> {
        let form = Value::String(String::from_utf8_lossy(body).into_owned());
        let policy = self.policy.lock().unwrap().clone();
        let behaviour = policy(&form);
        let mut received = self.received.lock().unwrap();
        received.push(Received {
            path,
            headers,
            body: form,
            accepted: behaviour.carried_out(),
        });
        let issued = received
            .iter()
            .filter(|r| r.accepted && r.path.ends_with("/oauth2/v2.0/token"))
            .count();
        let status = match behaviour {
            Behaviour::Accept | Behaviour::Late(_) => 200,
            Behaviour::Fail(status) => status,
            Behaviour::Hang => 504,
            Behaviour::Throttle(_) => 429,
        };
        let reply = serde_json::json!({
            "token_type": "Bearer",
            "expires_in": *self.token_lifetime_s.lock().unwrap(),
            "access_token": format!("token-{issued}"),
        });
        hyper::Response::builder()
            .status(status)
            .header("content-type", "application/json")
            .body(Full::new(Bytes::from(reply.to_string())))
            .unwrap()
    }

    async fn answer(
        &self,
        request: hyper::Request<hyper::body::Incoming>,
    ) -> Result<hyper::Response<Full<Bytes>>, std::convert::Infallible> {
        let path = request.uri().path().to_owned();
        let request_method = request.method().clone();
        let headers = request
            .headers()
            .iter()
            .map(|(k, v)| (k.as_str().to_owned(), v.to_str().unwrap_or("").to_owned()))
            .collect::<BTreeMap<_, _>>();
        let body = loopback::body(request).await;
        if path.ends_with("/oauth2/v2.0/token") {
            return Ok(self.sign_in(path, headers, &body));
        }
        let method = request_method.clone();
        let body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
        let bearer = headers.get("authorization").cloned().unwrap_or_default();
        let revoked = self.revoked.lock().unwrap().contains(&bearer);
        if let Some(rest) = graph_messages_path(&path).map(str::to_owned) {
            return Ok(self
                .graph(&method, &rest, path, headers, body, revoked)
                .await);
        }
        let policy = self.policy.lock().unwrap().clone();
        let mut behaviour = policy(&body);
        if revoked {
            behaviour = Behaviour::Fail(401);
        }
        self.received.lock().unwrap().push(Received {
            path,
            headers,
            body,
            accepted: behaviour.carried_out(),
        });
        Ok(respond(behaviour, 202, Value::Null).await)
    }

    /// Graph's message endpoints (`rest` is what follows `/messages`).
    async fn graph(
        &self,
        method: &hyper::Method,
        rest: &str,
        path: String,
        headers: BTreeMap<String, String>,
        body: Value,
        revoked: bool,
    ) -> hyper::Response<Full<Bytes>> {
        let not_found = || {
            json_response(
                404,
                serde_json::json!({"error": {"code": "ErrorItemNotFound", "message": "The specified object was not found in the store."}}),
            )
        };
        let record = |accepted: bool, body: Value| {
            self.received.lock().unwrap().push(Received {
                path: path.clone(),
                headers: headers.clone(),
                body,
                accepted,
            });
        };
        if revoked {
            record(false, body);
            return json_response(
                401,
                serde_json::json!({"error": {"code": "InvalidAuthenticationToken"}}),
            );
        }
        let policy = self.policy.lock().unwrap().clone();
        match (method, rest.trim_start_matches('/').split_once('/')) {
            // Create a draft.
            (&hyper::Method::POST, None) if rest.is_empty() => {
                let behaviour = policy(&body);
                record(behaviour.carried_out(), body.clone());
                let mut reply = Value::Null;
                if behaviour.carried_out() {
                    let mut messages = self.messages.lock().unwrap();
                    let id = format!("AAMkImmutable-{}=", messages.len() + 1);
                    messages.push(GraphMessage {
                        id: id.clone(),
                        message: body,
                        sent_at: None,
                    });
                    reply = serde_json::json!({ "id": id, "isDraft": true });
                }
                respond(behaviour, 201, reply).await
            }
            // Send a draft.
            (&hyper::Method::POST, Some((id, "send"))) => {
                let id = percent_decode(id);
                let found = self
                    .messages
                    .lock()
                    .unwrap()
                    .iter()
                    .find(|m| m.id == id)
                    .cloned();
                let Some(message) = found else {
                    record(false, body);
                    return not_found();
                };
                if message.sent_at.is_some() {
                    record(false, message.message);
                    return json_response(
                        400,
                        serde_json::json!({"error": {"code": "ErrorInvalidOperation", "message": "The item has already been sent."}}),
                    );
                }
                // The policy tells a send from a create: it sees `{"send": <message>}`.
                let behaviour = policy(&serde_json::json!({ "send": message.message }));
                record(behaviour.carried_out(), message.message.clone());
                if behaviour.carried_out() {
                    let mut messages = self.messages.lock().unwrap();
                    if let Some(m) = messages.iter_mut().find(|m| m.id == id) {
                        m.sent_at = Some(Instant::now());
                    }
                }
                respond(behaviour, 202, Value::Null).await
            }
            // Read one message.
            (&hyper::Method::GET, None) => {
                let id = percent_decode(rest.trim_start_matches('/'));
                record(true, Value::Null);
                let delay = *self.copy_delay.lock().unwrap();
                let found = self
                    .messages
                    .lock()
                    .unwrap()
                    .iter()
                    .find(|m| m.id == id)
                    .cloned();
                match found {
                    None => not_found(),
                    Some(m) => match m.sent_at {
                        None => {
                            json_response(200, serde_json::json!({ "id": m.id, "isDraft": true }))
                        }
                        Some(at) if at.elapsed() < delay => not_found(),
                        Some(_) => {
                            json_response(200, serde_json::json!({ "id": m.id, "isDraft": false }))
                        }
                    },
                }
            }
            _ => {
                record(false, body);
                not_found()
            }
        }
    }
}

/// `/v1.0/users/{sender}/messages…` → what follows `/messages`.
fn graph_messages_path(path: &str) -> Option<&str> {
    let rest = path.strip_prefix("/v1.0/users/")?;
    let (_sender, rest) = rest.split_once('/')?;
    rest.strip_prefix("messages")
}

fn percent_decode(text: &str) -> String {
    percent_encoding::percent_decode_str(text)
        .decode_utf8_lossy()
        .into_owned()
}

/// A JSON answer of `status` (the stand-ins' every answer with a body).
pub fn json_response(status: u16, body: Value) -> hyper::Response<Full<Bytes>> {
    hyper::Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .body(Full::new(Bytes::from(body.to_string())))
        .unwrap()
}

/// The answer `behaviour` gives a call whose success is `status` with `body`.
async fn respond(behaviour: Behaviour, status: u16, body: Value) -> hyper::Response<Full<Bytes>> {
    let success = |status: u16, body: &Value| {
        let bytes = if body.is_null() {
            Bytes::new()
        } else {
            Bytes::from(body.to_string())
        };
        hyper::Response::builder()
            .status(status)
            .header("content-type", "application/json")
            .body(Full::new(bytes))
            .unwrap()
    };
    match behaviour {
        Behaviour::Accept => success(status, &body),
        Behaviour::Late(after) => {
            tokio::time::sleep(after).await;
            success(status, &body)
        }
        Behaviour::Fail(status) => hyper::Response::builder()
            .status(status)
            .body(Full::new(Bytes::from_static(b"{\"error\":\"injected\"}")))
            .unwrap(),
        Behaviour::Throttle(seconds) => hyper::Response::builder()
            .status(429)
            .header("retry-after", seconds.to_string())
            .body(Full::new(Bytes::from_static(
                b"{\"error\":{\"code\":\"ApplicationThrottled\"}}",
            )))
            .unwrap(),
        Behaviour::Hang => {
            tokio::time::sleep(Duration::from_secs(30)).await;
            hyper::Response::new(Full::new(Bytes::new()))
        }
    }
}
