//! The flaky mail API: it answers each email with 202, fails it with HTTP 500 (`--fail`),
//! hangs (`--hang`: never answers; the connection is closed without a reply once the
//! component has given up, and a mail API that did not acknowledge an email did not accept
//! it), or accepts it and answers only after the component gave up (`--late`). It records
//! every call by tracking ID (`X-RSOS-Tracking-ID` in the webhook JSON) and kind.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::Full;
use rsos_edge_host::loopback;
use serde_json::Value;
use tokio::sync::watch;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Behaviour {
    Accept,
    Fail,
    Hang,
    /// Accepted (delivered), but the 202 is sent only after the component gave up.
    Late,
}

impl Behaviour {
    pub fn delivered(self) -> bool {
        matches!(self, Behaviour::Accept | Behaviour::Late)
    }
}

/// One email the mail API was asked to send.
#[derive(Debug, Clone)]
pub struct MailCall {
    pub at: Duration,
    pub tracking_id: String,
    pub kind: String,
    pub to: String,
    /// Kept for accepted emails only (to check they belong to their request).
    pub text: String,
    pub behaviour: Behaviour,
}

pub struct MailApi {
    pub started: Instant,
    pub fail: f64,
    pub hang: f64,
    pub late: f64,
    /// The longest a hung call is held before its connection is closed without a reply:
    /// far past the component's own deadline, so no reply could ever be awaited.
    pub hold: Duration,
    pub rng: Mutex<fastrand::Rng>,
    pub calls: Mutex<Vec<MailCall>>,
    pub hanging: AtomicUsize,
    pub peak_hanging: AtomicUsize,
    pub stop: watch::Receiver<bool>,
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

impl MailApi {
    /// Serves on an ephemeral 127.0.0.1 port until `stop` turns true.
    pub async fn serve(self: Arc<MailApi>) -> SocketAddr {
        let stop = self.stop.clone();
        let answer = move |request| {
            let api = self.clone();
            async move { api.answer(request).await }
        };
        loopback::serve(answer, Some(stop)).await.expect("bind")
    }

    fn roll(&self) -> Behaviour {
        let roll = self.rng.lock().unwrap().f64();
        if roll < self.fail {
            Behaviour::Fail
        } else if roll < self.fail + self.hang {
            Behaviour::Hang
        } else if roll < self.fail + self.hang + self.late {
            Behaviour::Late
        } else {
            Behaviour::Accept
        }
    }

    async fn answer(
        &self,
        request: hyper::Request<hyper::body::Incoming>,
    ) -> Result<hyper::Response<Full<Bytes>>, NoReply> {
        let body = loopback::body(request).await;
        let body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
        let behaviour = self.roll();
        let text = |v: &Value| v.as_str().unwrap_or_default().to_owned();
        let call = MailCall {
            at: self.started.elapsed(),
            tracking_id: text(&body["headers"]["X-RSOS-Tracking-ID"]),
            kind: text(&body["headers"]["X-RSOS-Kind"]),
            to: text(&body["to"]),
            text: if behaviour.delivered() {
                text(&body["text"])
            } else {
                String::new()
            },
            behaviour,
        };
        self.calls.lock().unwrap().push(call);
        let accepted = || {
            hyper::Response::builder()
                .status(202)
                .body(Full::new(Bytes::new()))
                .unwrap()
        };
        match behaviour {
            Behaviour::Accept => Ok(accepted()),
            Behaviour::Fail => Ok(hyper::Response::builder()
                .status(500)
                .header("content-type", "application/json")
                .body(Full::new(Bytes::from_static(b"{\"error\":\"injected\"}")))
                .unwrap()),
            Behaviour::Late => {
                tokio::time::sleep(self.hold / 5).await;
                Ok(accepted())
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
}
