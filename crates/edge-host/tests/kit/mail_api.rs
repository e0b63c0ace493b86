//! A stand-in mail API on 127.0.0.1 (webhook, Graph `sendMail` and Microsoft sign-in) that
//! records every request and answers as a test's policy says. It stops accepting when its last
//! handle is dropped.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

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
}

impl MailServer {
    pub async fn start() -> MailServer {
        let state = Arc::new(MailState {
            received: Mutex::default(),
            policy: Mutex::new(Arc::new(|_: &Value| Behaviour::Accept)),
            token_lifetime_s: Mutex::new(3599),
            revoked: Mutex::default(),
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
            accepted: behaviour == Behaviour::Accept,
        });
        let issued = received
            .iter()
            .filter(|r| r.accepted && r.path.ends_with("/oauth2/v2.0/token"))
            .count();
        let status = match behaviour {
            Behaviour::Accept => 200,
            Behaviour::Fail(status) => status,
            Behaviour::Hang => 504,
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
        let headers = request
            .headers()
            .iter()
            .map(|(k, v)| (k.as_str().to_owned(), v.to_str().unwrap_or("").to_owned()))
            .collect::<BTreeMap<_, _>>();
        let body = loopback::body(request).await;
        if path.ends_with("/oauth2/v2.0/token") {
            return Ok(self.sign_in(path, headers, &body));
        }
        let body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
        let policy = self.policy.lock().unwrap().clone();
        let mut behaviour = policy(&body);
        let bearer = headers.get("authorization").cloned().unwrap_or_default();
        if self.revoked.lock().unwrap().contains(&bearer) {
            behaviour = Behaviour::Fail(401);
        }
        self.received.lock().unwrap().push(Received {
            path,
            headers,
            body,
            accepted: behaviour == Behaviour::Accept,
        });
        match behaviour {
            Behaviour::Accept => Ok(hyper::Response::builder()
                .status(202)
                .body(Full::new(Bytes::new()))
                .unwrap()),
            Behaviour::Fail(status) => Ok(hyper::Response::builder()
                .status(status)
                .body(Full::new(Bytes::from_static(b"{\"error\":\"injected\"}")))
                .unwrap()),
            Behaviour::Hang => {
                tokio::time::sleep(Duration::from_secs(30)).await;
                Ok(hyper::Response::new(Full::new(Bytes::new())))
            }
        }
    }
}
