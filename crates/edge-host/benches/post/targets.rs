//! What the bench runs against: the wasmtime host with one component on one key-value backing
//! (a fresh store every run), or the same rules behind a native hyper handler; and the
//! stand-in mail API both send their emails to.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;

use bytes::Bytes;
use http_body_util::Full;
use rsos_edge_host::key_value::Backing;
use rsos_edge_host::{loopback, start, HostConfig, RunningHost};
use rsos_rules::{assess, emails, BusinessClock, Outcome, Request, Ruleset, Stamp};
use serde_json::json;
use tokio::sync::watch;
use wasmtime::Engine;

use crate::kit;
use crate::options::{BackingKind, RateLimits};

/// A compiled component and the name the tables give it.
pub struct Component {
    pub name: String,
    pub compiled: wasmtime::component::Component,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// The component at this index of `Bench::components`, on this backing.
    Host {
        component: usize,
        backing: BackingKind,
    },
    Native,
}

/// Everything the runs share.
pub struct Bench {
    pub engine: Engine,
    pub components: Vec<Component>,
    pub sink: Sink,
    pub native: SocketAddr,
    pub rate_limits: RateLimits,
    /// The Redis of the `redis` backing, and whether this bench started it (then each run
    /// starts on an empty database, as each SQLite run does on a new file).
    pub redis: Option<(String, bool)>,
    /// SQLite databases live here (in the target directory: a real disk, as `spin up`'s
    /// `.spin/` is; not a tmpfs).
    pub store_dir: tempfile::TempDir,
    pub databases: AtomicU64,
}

impl Bench {
    pub fn label(&self, target: Target) -> String {
        match target {
            Target::Native => "native".to_owned(),
            Target::Host { component, backing } => {
                format!("{} · {}", self.components[component].name, backing.name())
            }
        }
    }

    /// Starts `target` with an empty store.
    pub async fn serve(&self, target: Target) -> Serving {
        let Target::Host { component, backing } = target else {
            return Serving {
                addr: self.native,
                host: None,
                database: None,
            };
        };
        let mut database = None;
        let key_value = match backing {
            BackingKind::Memory => Backing::Memory,
            BackingKind::Sqlite => {
                let n = self.databases.fetch_add(1, Ordering::Relaxed);
                let file = self.store_dir.path().join(format!("kv-{n}.db"));
                database = Some(file.clone());
                Backing::File(file)
            }
            BackingKind::Redis => {
                let (url, ours) = self.redis.clone().expect("a Redis for the redis backing");
                if ours {
                    flush(&url).await;
                }
                Backing::Redis(url)
            }
        };
        let limit = self.rate_limits.limit();
        let mut config = HostConfig::new(kit::manifest())
            .var("mail_api", "webhook")
            .var("mail_base_url", format!("http://{}", self.sink.addr))
            .var("mail_webhook_path", "/mail")
            // The manifest's default: long enough that requests parked in the mail call
            // (the memory measure) stay in flight.
            .var("mail_timeout_ms", "10000")
            .var("rate_limit_per_address_per_minute", limit)
            .var("rate_limit_per_san_per_hour", limit)
            .var("rate_limit_per_recipient_per_hour", limit);
        config.key_value = key_value;
        let host = start(&self.engine, &self.components[component].compiled, config)
            .await
            .expect("host starts");
        Serving {
            addr: host.addr,
            host: Some(host),
            database,
        }
    }
}

async fn flush(url: &str) {
    let client = redis::Client::open(url).expect("Redis URL");
    let mut connection = client
        .get_multiplexed_async_connection()
        .await
        .expect("Redis connects");
    redis::cmd("FLUSHDB")
        .exec_async(&mut connection)
        .await
        .expect("FLUSHDB");
}

/// A target taking requests; a host stops, and its database is removed, when dropped.
pub struct Serving {
    pub addr: SocketAddr,
    pub host: Option<RunningHost>,
    database: Option<PathBuf>,
}

impl Serving {
    /// Key-value operations so far (`None` for the native handler, which keeps no state).
    pub fn operations(&self) -> Option<u64> {
        self.host.as_ref().map(RunningHost::key_value_operations)
    }

    pub async fn stop(mut self) {
        if let Some(host) = self.host.take() {
            host.shutdown().await;
        }
    }
}

impl Drop for Serving {
    fn drop(&mut self) {
        if let Some(file) = &self.database {
            let _ = std::fs::remove_file(file);
        }
    }
}

/// A mail API that keeps nothing (so the process's memory is the requests'), answers 202 at
/// once, or holds every email while `hold` is on.
#[derive(Clone)]
pub struct Sink {
    pub addr: SocketAddr,
    holding: Arc<watch::Sender<bool>>,
    held: Arc<AtomicUsize>,
}

impl Sink {
    pub async fn start() -> Sink {
        let holding = Arc::new(watch::Sender::new(false));
        let held = Arc::new(AtomicUsize::new(0));
        let (h, n) = (holding.clone(), held.clone());
        let answer = move |request| {
            let (holding, held) = (h.clone(), n.clone());
            async move {
                drop(loopback::body(request).await);
                let mut hold = holding.subscribe();
                if *hold.borrow_and_update() {
                    held.fetch_add(1, Ordering::SeqCst);
                    let _ = hold.wait_for(|on| !*on).await;
                }
                Ok::<_, std::convert::Infallible>(
                    hyper::Response::builder()
                        .status(202)
                        .body(Full::new(Bytes::new()))
                        .expect("a response"),
                )
            }
        };
        let addr = loopback::serve(answer, None).await.expect("bind");
        Sink {
            addr,
            holding,
            held,
        }
    }

    /// From now on every email waits for `release`.
    pub fn hold(&self) {
        self.held.store(0, Ordering::SeqCst);
        self.holding.send_replace(true);
    }

    /// Emails waiting since `hold`.
    pub fn held(&self) -> usize {
        self.held.load(Ordering::SeqCst)
    }

    pub fn release(&self) {
        self.holding.send_replace(false);
    }
}

/// The native equivalent of the component, minus key-value: parse, assess, render both
/// emails and post them to `sink`, one connection each (as the component's outbound HTTP does).
pub async fn native(
    request: hyper::Request<hyper::body::Incoming>,
    sink: SocketAddr,
) -> hyper::Response<Full<Bytes>> {
    let body = loopback::body(request).await;
    let respond = |status: u16, body: String| {
        hyper::Response::builder()
            .status(status)
            .header("content-type", "application/json")
            .body(Full::new(Bytes::from(body)))
            .expect("a response")
    };
    let Ok(parsed) = Request::from_json(&body) else {
        return respond(400, json!({"error": "malformed"}).to_string());
    };
    let ruleset = Ruleset::builtin();
    let assessment = assess(&parsed, ruleset);
    let verdict = assessment.verdict.to_json();
    if assessment.verdict.outcome == Outcome::NeedsChanges {
        return respond(
            422,
            format!("{{\"outcome\":\"needs_changes\",\"verdict\":{verdict}}}"),
        );
    }
    let received = chrono::DateTime::from_timestamp(1_800_000_000, 0).unwrap_or_default();
    let times = BusinessClock::new(ruleset).receipt_times(received);
    let stamp = Stamp::new(rsos_rules::tracking_id(received, 42), &times);
    for email in emails(&assessment, ruleset, ruleset.mailbox(), &stamp) {
        let mail = serde_json::to_vec(&json!({"to": email.to, "reply_to": email.reply_to, "subject": email.subject, "text": email.text})).expect("JSON");
        let request = kit::request_bytes(
            "POST",
            sink,
            "/mail",
            &[("Content-Type", "application/json")],
            &mail,
        );
        kit::exchange(sink, &request, kit::EXCHANGE_TIMEOUT).await;
    }
    respond(
        202,
        format!("{{\"outcome\":\"forwarded\",\"verdict\":{verdict}}}"),
    )
}

/// Serves `native` on 127.0.0.1, its emails going to `sink`.
pub async fn serve_native(sink: SocketAddr) -> SocketAddr {
    let answer = move |request| async move {
        Ok::<_, std::convert::Infallible>(native(request, sink).await)
    };
    loopback::serve(answer, None).await.expect("bind")
}
