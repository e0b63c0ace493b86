//! `cargo bench -p rsos-edge-host --bench post`: requests/s and p50/p99 latency of
//! `POST /api/requests` on the wasmtime host running the real component, against the same
//! rules behind a native hyper handler, in one run, on 127.0.0.1.
//!
//! Two scenarios per target:
//! - `forward`: a complete request — parse, assess, render both emails and POST them to a mail
//!   sink on 127.0.0.1 (one connection per email, as wasmtime's outbound HTTP does). The
//!   component also does its key-value work (idempotency record, lock, per-email state); the
//!   native handler keeps no state, so this ratio includes the cost of exactly-once.
//! - `needs_changes`: an incomplete request answered 422 — parse and assess only, no mail and
//!   no key-value: the engine's own overhead (instantiation per request) against native.
//!
//! A benchmark, not a test: numbers depend on the machine; the ratios are what to read.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::Full;
use rsos_edge_host::{loopback, start, EdgeRuntime, HostConfig};
use rsos_rules::{assess, emails, BusinessClock, Outcome, Request, Ruleset, Stamp};
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const CLIENTS: usize = 8;
const REQUESTS: usize = 1000;

fn component_path() -> PathBuf {
    if let Some(path) = std::env::var_os("RSOS_EDGE_COMPONENT") {
        return PathBuf::from(path);
    }
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target"));
    target.join("wasm32-wasip2/release/rsos_edge.wasm")
}

/// `loopback::serve` for handlers that always answer.
async fn serve<F, Fut>(handler: F) -> SocketAddr
where
    F: Fn(hyper::Request<hyper::body::Incoming>) -> Fut + Clone + Send + Sync + 'static,
    Fut: std::future::Future<Output = hyper::Response<Full<Bytes>>> + Send + 'static,
{
    let answer = move |request| {
        let reply = handler(request);
        async move { Ok::<_, std::convert::Infallible>(reply.await) }
    };
    loopback::serve(answer, None).await.expect("bind")
}

/// One request on a fresh connection; returns the status.
async fn post(addr: SocketAddr, path: &str, key: &str, body: &[u8]) -> u16 {
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Type: application/json\r\nIdempotency-Key: {key}\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).await.expect("write");
    stream.write_all(body).await.expect("write");
    let mut reply = Vec::new();
    stream.read_to_end(&mut reply).await.expect("read");
    std::str::from_utf8(&reply[..12.min(reply.len())])
        .ok()
        .and_then(|l| l.get(9..12))
        .and_then(|s| s.parse().ok())
        .unwrap_or(0)
}

/// The native equivalent of the component, minus key-value.
async fn native(
    request: hyper::Request<hyper::body::Incoming>,
    sink: SocketAddr,
) -> hyper::Response<Full<Bytes>> {
    let body = loopback::body(request).await;
    let respond = |status: u16, body: String| {
        hyper::Response::builder()
            .status(status)
            .header("content-type", "application/json")
            .body(Full::new(Bytes::from(body)))
            .unwrap()
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
    let times = BusinessClock::new(ruleset).service_times(received, 1);
    let stamp = Stamp::new(rsos_rules::tracking_id(received, 42), &times);
    for email in emails(&assessment, ruleset, ruleset.mailbox(), &stamp) {
        let mail = serde_json::to_vec(&json!({"to": email.to, "reply_to": email.reply_to, "subject": email.subject, "text": email.text})).unwrap();
        post(sink, "/mail", "native", &mail).await;
    }
    respond(
        202,
        format!("{{\"outcome\":\"forwarded\",\"verdict\":{verdict}}}"),
    )
}

struct Figures {
    per_second: f64,
    p50: Duration,
    p99: Duration,
}

async fn load(addr: SocketAddr, body: Arc<Vec<u8>>, expect: u16, label: &str) -> Figures {
    let started = Instant::now();
    let mut tasks = Vec::new();
    for client in 0..CLIENTS {
        let body = body.clone();
        let label = label.to_owned();
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            for i in 0..REQUESTS / CLIENTS {
                let key = format!("{label}-{client}-{i}");
                let t = Instant::now();
                let status = post(addr, "/api/requests", &key, &body).await;
                assert_eq!(status, expect, "{label}");
                latencies.push(t.elapsed());
            }
            latencies
        }));
    }
    let mut latencies = Vec::new();
    for task in tasks {
        latencies.extend(task.await.expect("client"));
    }
    let elapsed = started.elapsed();
    latencies.sort();
    let at = |q: f64| latencies[((latencies.len() as f64 - 1.0) * q) as usize];
    Figures {
        per_second: latencies.len() as f64 / elapsed.as_secs_f64(),
        p50: at(0.50),
        p99: at(0.99),
    }
}

#[tokio::main]
async fn main() {
    let sink = serve(
        |request: hyper::Request<hyper::body::Incoming>| async move {
            loopback::body(request).await;
            hyper::Response::builder()
                .status(202)
                .body(Full::new(Bytes::new()))
                .unwrap()
        },
    )
    .await;
    let native_addr = serve(move |request| native(request, sink)).await;

    let engine = EdgeRuntime::engine().expect("engine");
    let compiled = Instant::now();
    let component = EdgeRuntime::compile(&engine, &component_path())
        .expect("component (build it with cargo xtask build-edge)");
    let compile_time = compiled.elapsed();
    let config =
        HostConfig::new(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../edge/spin.toml"))
            .var("mail_base_url", format!("http://{sink}"))
            .var("mail_webhook_path", "/mail")
            .var("rate_limit_per_address_per_minute", "0")
            .var("rate_limit_per_san_per_hour", "0")
            .var("rate_limit_per_recipient_per_hour", "0");
    let host = start(&engine, &component, config).await.expect("host");

    let complete = json!({
        "line_of_business": "medicare", "topic": "claims", "agent_name": "Pat Agent",
        "agent_san": "A12345", "agent_email": "pat.agent@agency.example", "member_id": "H1234-5678",
        "member_first_name": "John", "member_last_name": "Smith", "reference_number": "CLM-20261101",
        "summary": "Claim for the March 3 office visit was denied as out of network."
    });
    let mut incomplete = complete.clone();
    incomplete["member_id"] = json!("");

    println!("component compiled in {compile_time:?}; {REQUESTS} requests per run, {CLIENTS} concurrent clients, new connection per request");
    println!(
        "{:<15} {:<8} {:>10} {:>10} {:>10}",
        "scenario", "target", "req/s", "p50", "p99"
    );
    for (scenario, body, status) in [
        ("forward", &complete, 202),
        ("needs_changes", &incomplete, 422),
    ] {
        let body = Arc::new(serde_json::to_vec(body).unwrap());
        // Warm-up: first instantiations, connection setup, allocator.
        load(
            host.addr,
            body.clone(),
            status,
            &format!("warm-w-{scenario}"),
        )
        .await;
        load(
            native_addr,
            body.clone(),
            status,
            &format!("warm-n-{scenario}"),
        )
        .await;
        let wasm = load(host.addr, body.clone(), status, &format!("w-{scenario}")).await;
        let nat = load(native_addr, body.clone(), status, &format!("n-{scenario}")).await;
        for (target, f) in [("wasmtime", &wasm), ("native", &nat)] {
            println!(
                "{scenario:<15} {target:<8} {:>10.0} {:>10.2?} {:>10.2?}",
                f.per_second, f.p50, f.p99
            );
        }
        println!(
            "{scenario:<15} ratio    native/wasmtime throughput {:.2}x, p50 {:.2}x, p99 {:.2}x",
            nat.per_second / wasm.per_second,
            wasm.p50.as_secs_f64() / nat.p50.as_secs_f64(),
            wasm.p99.as_secs_f64() / nat.p99.as_secs_f64()
        );
    }
    host.shutdown().await;
}
