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

#[path = "../tests/kit/mod.rs"]
mod kit;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::Full;
use rsos_edge_host::loopback;
use rsos_rules::{assess, emails, BusinessClock, Outcome, Request, Ruleset, Stamp};
use serde_json::json;

const CLIENTS: usize = 8;
const REQUESTS: usize = 1000;

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

/// One request on a fresh connection; returns the status (0: no complete reply).
async fn post(addr: SocketAddr, path: &str, key: &str, body: &[u8]) -> u16 {
    let headers = [
        ("Content-Type", "application/json"),
        ("Idempotency-Key", key),
    ];
    let request = kit::request_bytes("POST", addr, path, &headers, body);
    kit::exchange(addr, &request, kit::EXCHANGE_TIMEOUT)
        .await
        .map_or(0, |reply| reply.status)
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
    let compiling = Instant::now();
    kit::compiled();
    let compile_time = compiling.elapsed();
    // The component's mail and the native handler's go to the same stand-in mail API.
    let stack = kit::Stack::start(&[]).await;
    let sink = stack.mail.addr;
    let native_addr = serve(move |request| native(request, sink)).await;
    let host = &stack.host;

    let complete = kit::forwardable();
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
}
