//! Closed-loop load (each client one request in flight, a new connection per request),
//! latency quantiles, key-value operations per request, and the process's resident memory
//! with requests parked in the mail call.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::kit;
use crate::targets::{Serving, Sink};

/// One run against one target.
#[derive(Debug, Clone, Copy)]
pub struct Sample {
    pub per_second: f64,
    pub p50: Duration,
    pub p99: Duration,
    /// Key-value operations per request (`None` for the native handler).
    pub operations: Option<f64>,
}

/// How much load a run is.
#[derive(Debug, Clone, Copy)]
pub enum Amount {
    /// This many requests in all, shared out over the clients.
    Requests(usize),
    /// New requests for this long; those started finish.
    For(Duration),
}

/// Idempotency keys never repeat within a process, whatever the store keeps.
static RUNS: AtomicU64 = AtomicU64::new(0);

/// Agents never repeat within a process.
static AGENTS: AtomicU64 = AtomicU64::new(0);

/// What a run posts: one request, each time from another agent (its own SAN and email), as a
/// mailbox hears from many agents. Each agent's hourly counters are then new, as in the
/// count of issue 13 on Spin (the component before the delivery core deleted the previous
/// window's counter whenever a window began: 24 operations rather than 22).
#[derive(Clone)]
pub struct Body(Arc<Value>);

impl Body {
    pub fn new(template: Value) -> Body {
        Body(Arc::new(template))
    }

    /// The request of the next agent.
    fn next(&self) -> Vec<u8> {
        let agent = AGENTS.fetch_add(1, Ordering::Relaxed);
        let mut request = (*self.0).clone();
        request["agent_san"] = json!(format!("A{agent:08}"));
        request["agent_email"] = json!(format!("agent{agent}@agency.example"));
        serde_json::to_vec(&request).expect("JSON")
    }
}

/// One request on a fresh connection; returns the status (0: no complete reply).
async fn post(addr: SocketAddr, key: &str, body: &[u8]) -> u16 {
    let headers = [
        ("Content-Type", "application/json"),
        ("Idempotency-Key", key),
    ];
    let request = kit::request_bytes("POST", addr, "/api/requests", &headers, body);
    kit::exchange(addr, &request, kit::EXCHANGE_TIMEOUT)
        .await
        .map_or(0, |reply| reply.status)
}

/// `q` of sorted latencies by nearest rank.
fn quantile(sorted: &[Duration], q: f64) -> Duration {
    let rank = ((sorted.len() as f64) * q).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// `clients` clients post `body` to `serving` until `amount` is done; every answer must be
/// `expect` (a different one is a broken setup, and stops the bench).
pub async fn closed_loop(
    serving: &Serving,
    body: Body,
    expect: u16,
    clients: usize,
    amount: Amount,
) -> Sample {
    let run = RUNS.fetch_add(1, Ordering::Relaxed);
    let addr = serving.addr;
    let operations_before = serving.operations();
    let started = Instant::now();
    let deadline = match amount {
        Amount::For(duration) => Some(started + duration),
        Amount::Requests(_) => None,
    };
    let mut tasks = Vec::new();
    for client in 0..clients {
        let body = body.clone();
        let quota = match amount {
            Amount::Requests(n) => n / clients + usize::from(client < n % clients),
            Amount::For(_) => usize::MAX,
        };
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            let mut i = 0;
            while i < quota && deadline.is_none_or(|d| Instant::now() < d) {
                let key = format!("bench-{run}-{client}-{i}");
                let bytes = body.next();
                let t = Instant::now();
                let status = post(addr, &key, &bytes).await;
                assert_eq!(
                    status, expect,
                    "a request was answered {status} (0: no complete reply), not {expect}"
                );
                latencies.push(t.elapsed());
                i += 1;
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
    let operations = match (operations_before, serving.operations()) {
        (Some(before), Some(after)) => Some((after - before) as f64 / latencies.len() as f64),
        _ => None,
    };
    Sample {
        per_second: latencies.len() as f64 / elapsed.as_secs_f64(),
        p50: quantile(&latencies, 0.50),
        p99: quantile(&latencies, 0.99),
        operations,
    }
}

/// This process's resident memory in bytes (`/proc/self/statm`), 0 where unreadable.
pub fn resident_bytes() -> u64 {
    let pages = std::fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|statm| statm.split_whitespace().nth(1)?.parse::<u64>().ok())
        .unwrap_or(0);
    // SAFETY: sysconf has no preconditions.
    let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    pages * u64::try_from(page).unwrap_or(4096)
}

/// Gives freed heap back to the system, so a baseline holds only memory in use.
fn trim() {
    // SAFETY: malloc_trim only releases free memory of glibc's arenas.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// `n` forward requests held in flight at once.
#[derive(Debug, Clone, Copy)]
pub struct Parked {
    /// Resident memory added per request in flight.
    pub bytes_per_request: f64,
    /// Requests in flight when memory was read (all `n` unless some failed early).
    pub in_flight: usize,
    /// Of those, how many had reached the mail API (the others waited for key-value).
    pub at_mail_api: usize,
}

/// Sends `n` forward requests to `serving` while the mail API holds every email, reads the
/// resident memory once all `n` are at the mail API (or 8 s have passed), then lets them
/// finish: the memory each request in flight costs — its connection, the instance's linear
/// memory, stack and tables, the host's state and the client's side, and the store's growth
/// up to the forward — over a baseline taken after giving freed heap back.
pub async fn parked(serving: &Serving, sink: &Sink, body: &Body, n: usize) -> Parked {
    let run = RUNS.fetch_add(1, Ordering::Relaxed);
    trim();
    tokio::time::sleep(Duration::from_millis(100)).await;
    trim();
    let baseline = resident_bytes();
    sink.hold();
    let answered = Arc::new(AtomicUsize::new(0));
    let tasks: Vec<_> = (0..n)
        .map(|i| {
            let (bytes, answered, addr) = (body.next(), answered.clone(), serving.addr);
            tokio::spawn(async move {
                let status = post(addr, &format!("parked-{run}-{i}"), &bytes).await;
                answered.fetch_add(1, Ordering::SeqCst);
                status
            })
        })
        .collect();
    let waiting = Instant::now();
    while sink.held() < n && waiting.elapsed() < Duration::from_secs(8) {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    tokio::time::sleep(Duration::from_millis(20)).await;
    let mut peak = 0;
    for _ in 0..5 {
        peak = peak.max(resident_bytes());
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let in_flight = n - answered.load(Ordering::SeqCst);
    let at_mail_api = sink.held().min(in_flight);
    sink.release();
    for task in tasks {
        let status = task.await.expect("client");
        assert_eq!(status, 202, "a parked request was answered {status}");
    }
    Parked {
        bytes_per_request: peak.saturating_sub(baseline) as f64 / in_flight.max(1) as f64,
        in_flight,
        at_mail_api,
    }
}
