//! Shared test fixtures: the real component compiled once per test binary, a host on an
//! ephemeral 127.0.0.1 port, a scriptable mail API server and a raw HTTP client (raw, so
//! tests can send what well-behaved clients never would).

#![allow(dead_code)] // each test module uses its own part of the kit

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use rsos_edge_host::{loopback, start, EdgeRuntime, HostConfig, RunningHost};
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use wasmtime::component::Component;
use wasmtime::Engine;

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("workspace root")
}

/// `RSOS_EDGE_COMPONENT` if set (xtask builds it first), else the component cargo builds
/// right here — a no-op when it is fresh — at `$CARGO_TARGET_DIR` (or `<root>/target`)
/// `/wasm32-wasip2/release/rsos_edge.wasm`, so a plain `cargo test` never runs a stale one.
pub fn component_path() -> PathBuf {
    if let Some(path) = std::env::var_os("RSOS_EDGE_COMPONENT") {
        return PathBuf::from(path);
    }
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let status = std::process::Command::new(cargo)
        .args([
            "build",
            "-p",
            "rsos-edge",
            "--release",
            "--target",
            "wasm32-wasip2",
        ])
        .current_dir(root())
        .status()
        .expect("cargo runs");
    assert!(status.success(), "building the edge component failed");
    // A relative CARGO_TARGET_DIR is relative to where cargo ran: the root.
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(|dir| root().join(dir))
        .unwrap_or_else(|| root().join("target"));
    let path = target.join("wasm32-wasip2/release/rsos_edge.wasm");
    assert!(
        path.exists(),
        "{} is missing after the build",
        path.display()
    );
    path
}

pub fn compiled() -> &'static (Engine, Component) {
    static COMPILED: OnceLock<(Engine, Component)> = OnceLock::new();
    COMPILED.get_or_init(|| {
        let engine = EdgeRuntime::engine().expect("engine");
        let component =
            EdgeRuntime::compile(&engine, &component_path()).expect("component compiles");
        (engine, component)
    })
}

pub fn manifest() -> PathBuf {
    root().join("edge/spin.toml")
}

/// A host whose mail goes to `mail` (webhook at `/mail`), with extra variable overrides.
pub async fn host_with(mail: &MailServer, vars: &[(&str, &str)]) -> RunningHost {
    host_with_latency(mail, vars, None).await
}

/// Like `host_with`, with every key-value operation delayed as a remote store would be.
pub async fn host_with_latency(
    mail: &MailServer,
    vars: &[(&str, &str)],
    latency: Option<Duration>,
) -> RunningHost {
    let (engine, component) = compiled();
    let mut config = HostConfig::new(manifest())
        .var("mail_base_url", format!("http://{}", mail.addr))
        .var("mail_webhook_path", "/mail")
        .var("mail_timeout_ms", "1500")
        .var("rate_limit_per_address_per_minute", "0")
        .var("rate_limit_per_san_per_hour", "0")
        .var("rate_limit_per_recipient_per_hour", "0");
    for (name, value) in vars {
        config = config.var(name, *value);
    }
    config.key_value_latency = latency;
    start(engine, component, config).await.expect("host starts")
}

pub async fn host(mail: &MailServer) -> RunningHost {
    host_with(mail, &[]).await
}

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
#[derive(Clone)]
pub struct MailServer {
    pub addr: SocketAddr,
    received: Arc<Mutex<Vec<Received>>>,
    policy: Arc<Mutex<Policy>>,
    /// Also a Microsoft sign-in service: `POST /{tenant}/oauth2/v2.0/token` issues
    /// `token-1`, `token-2`, … valid this many seconds.
    token_lifetime_s: Arc<Mutex<u64>>,
    /// Bearer tokens the API answers 401 to (revoked).
    revoked: Arc<Mutex<Vec<String>>>,
}

impl MailServer {
    pub async fn start() -> MailServer {
        let mut server = MailServer {
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            received: Arc::default(),
            policy: Arc::new(Mutex::new(Arc::new(|_: &Value| Behaviour::Accept))),
            token_lifetime_s: Arc::new(Mutex::new(3599)),
            revoked: Arc::default(),
        };
        // The answering copy shares every record and setting; only its `addr` is unset,
        // and answering never reads it.
        let answering = server.clone();
        let answer = move |request| {
            let answering = answering.clone();
            async move { answering.answer(request).await }
        };
        server.addr = loopback::serve(answer, None).await.expect("bind");
        server
    }

    pub fn set_token_lifetime(&self, seconds: u64) {
        *self.token_lifetime_s.lock().unwrap() = seconds;
    }

    pub fn revoke(&self, token: &str) {
        self.revoked.lock().unwrap().push(format!("Bearer {token}"));
    }

    /// The sign-in requests, oldest first (their bodies are the form text as a string).
    pub fn sign_ins(&self) -> Vec<Received> {
        self.received
            .lock()
            .unwrap()
            .iter()
            .filter(|r| r.path.ends_with("/oauth2/v2.0/token"))
            .cloned()
            .collect()
    }

    pub fn set_policy(&self, policy: impl Fn(&Value) -> Behaviour + Send + Sync + 'static) {
        *self.policy.lock().unwrap() = Arc::new(policy);
    }

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

    pub fn received(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
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

/// A response as the client saw it.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub headers: BTreeMap<String, String>,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "body is not JSON ({e}): {}",
                String::from_utf8_lossy(&self.body)
            )
        })
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).map(String::as_str)
    }
}

/// Sends raw bytes as one HTTP/1.1 request and reads the reply to the end.
pub async fn raw(addr: SocketAddr, request: &[u8]) -> Reply {
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    // The server may answer and close before a huge body is written; that is fine.
    let _ = stream.write_all(request).await;
    let mut bytes = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(30), stream.read_to_end(&mut bytes)).await;
    parse_reply(&bytes)
}

fn parse_reply(bytes: &[u8]) -> Reply {
    let split = bytes
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or_else(|| panic!("no response head in {:?}", String::from_utf8_lossy(bytes)));
    let head = String::from_utf8_lossy(&bytes[..split]).into_owned();
    let mut lines = head.split("\r\n");
    let status: u16 = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|s| s.parse().ok())
        .expect("status line");
    let headers: BTreeMap<String, String> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let rest = &bytes[split + 4..];
    let body = if headers
        .get("transfer-encoding")
        .is_some_and(|v| v.contains("chunked"))
    {
        dechunk(rest)
    } else {
        rest.to_vec()
    };
    Reply {
        status,
        headers,
        body,
    }
}

fn dechunk(mut rest: &[u8]) -> Vec<u8> {
    let mut body = Vec::new();
    while let Some(line_end) = rest.windows(2).position(|w| w == b"\r\n") {
        let size_text = String::from_utf8_lossy(&rest[..line_end]);
        let size = usize::from_str_radix(size_text.split(';').next().unwrap_or("0").trim(), 16)
            .unwrap_or(0);
        rest = &rest[line_end + 2..];
        if size == 0 || rest.len() < size {
            break;
        }
        body.extend_from_slice(&rest[..size]);
        rest = &rest[(size + 2).min(rest.len())..];
    }
    body
}

/// A POST with the given headers and body, `Connection: close`.
pub async fn post(addr: SocketAddr, path: &str, headers: &[(&str, &str)], body: &[u8]) -> Reply {
    let mut request = format!(
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str("\r\n");
    let mut bytes = request.into_bytes();
    bytes.extend_from_slice(body);
    raw(addr, &bytes).await
}

pub async fn submit(host: &RunningHost, key: Option<&str>, body: &Value) -> Reply {
    let body = serde_json::to_vec(body).unwrap();
    let mut headers = vec![("Content-Type", "application/json")];
    if let Some(key) = key {
        headers.push(("Idempotency-Key", key));
    }
    post(host.addr, "/api/requests", &headers, &body).await
}

pub async fn get(addr: SocketAddr, path: &str) -> Reply {
    let request = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    raw(addr, request.as_bytes()).await
}

/// A complete, in-scope Medicare request.
pub fn forwardable() -> Value {
    serde_json::json!({
        "line_of_business": "medicare",
        "topic": "claims",
        "agent_name": "Pat Agent",
        "agent_san": "A12345",
        "agent_email": "pat.agent@agency.example",
        "member_id": "H1234-5678",
        "member_first_name": "John",
        "member_last_name": "Smith",
        "reference_number": "CLM-20261101",
        "summary": "Claim for the March 3 office visit was denied as out of network.",
        "confirm_single_line_of_business": false
    })
}
