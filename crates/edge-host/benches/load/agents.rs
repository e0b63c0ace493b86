//! The agents: each loops — a new request, a fresh `Idempotency-Key`, `POST /api/requests`;
//! on 503, 429, a 409 "still being processed" (both come with `Retry-After`) or a network
//! error it retries with the same key after a short backoff (`Retry-After` honoured but capped
//! at `--retry-cap-ms`), until 202 or `--tries` attempts (then the agent gave up: not
//! accepted, and not a loss). After `--seconds` no agent starts a new request; requests in
//! flight may finish their retries for `--drain` more seconds.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::kit::{exchange, request_bytes};
use crate::options::Options;

/// What one agent's client waits for one attempt before calling it a network error. The
/// component answers well within it (at most ~25 s waiting for another owner of the key).
const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(30);

/// One `POST /api/requests` as an agent's client saw it.
#[derive(Debug, Clone)]
pub struct Attempt {
    pub at: Duration,
    pub took: Duration,
    /// 0: a network error (connect, reset, no complete reply, client timeout).
    pub status: u16,
    pub retry_after: Option<u64>,
    /// From a 503: which emails the component says were already sent.
    pub sent: Vec<String>,
    /// From a 409: the error sentence.
    pub error: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Accepted,
    /// `--tries` attempts without a 202.
    GaveUp,
    /// Time ran out (`--seconds` + `--drain`) before a 202.
    Abandoned,
    /// A final answer other than 202 (the generator made an invalid request, or a 409
    /// conflict): a bug in the benchmark or the component, reported.
    Refused(u16),
}

#[derive(Debug, Clone)]
pub struct Submitted {
    pub agent: usize,
    pub key: String,
    pub member_id: String,
    pub agent_email: String,
    pub attempts: Vec<Attempt>,
    pub outcome: Outcome,
    /// First attempt's start to the 202 read.
    pub accepted_after: Option<Duration>,
    pub tracking_id: Option<String>,
}

/// When the run started, stops taking new requests, and stops altogether.
pub struct Clock {
    pub started: Instant,
    /// No new request after this.
    pub stop_new: Instant,
    /// No new attempt after this.
    pub stop_all: Instant,
}

const FIRST_NAMES: &[&str] = &[
    "John", "Maria", "Wei", "Aisha", "Carlos", "Emily", "Dmitri", "Grace", "Kofi", "Hannah",
];
const LAST_NAMES: &[&str] = &[
    "Smith", "Garcia", "Chen", "Okafor", "Nguyen", "Johnson", "Petrov", "Lee", "Mensah", "Brown",
];
const AGENT_NAMES: &[&str] = &[
    "Pat Agent",
    "Robin Broker",
    "Sam Rivera",
    "Alex Morgan",
    "Jordan Ellis",
];
const MONTHS: &[&str] = &["January", "February", "March", "April", "May", "June"];
const DOMAINS: &[&str] = &["agency.example", "brokers.example", "insure.example"];

fn pick<'a>(rng: &mut fastrand::Rng, items: &[&'a str]) -> &'a str {
    items[rng.usize(..items.len())]
}

/// A distinct, valid request of `agent`: its member ID, the agent's email and the JSON body.
fn request_body(agent: usize, seq: u64, rng: &mut fastrand::Rng) -> (String, String, Vec<u8>) {
    let member_id = format!("M{agent:04}-{seq:06}-{:04X}", rng.u16(..));
    let agent_email = format!("agent{agent}.{}@{}", rng.u8(..7), pick(rng, DOMAINS));
    let body = json!({
        "line_of_business": "medicare",
        "topic": "claims",
        "agent_name": pick(rng, AGENT_NAMES),
        "agent_san": format!("A{agent:04}{}", rng.u8(..10)),
        "agent_email": agent_email,
        "member_id": member_id,
        "member_first_name": pick(rng, FIRST_NAMES),
        "member_last_name": pick(rng, LAST_NAMES),
        "reference_number": format!("CLM-{agent:04}{seq:06}"),
        "summary": format!(
            "Claim for the {} {} office visit was denied as out of network.",
            pick(rng, MONTHS),
            rng.u8(1..=28)
        ),
        "confirm_single_line_of_business": false
    });
    (member_id, agent_email, serde_json::to_vec(&body).unwrap())
}

/// One attempt: the reply's status (0 for a network error), `Retry-After` and body.
async fn post(host: SocketAddr, key: &str, body: &[u8]) -> (u16, Option<u64>, Value) {
    let request = request_bytes(
        "POST",
        host,
        "/api/requests",
        &[
            ("Content-Type", "application/json"),
            ("Idempotency-Key", key),
        ],
        body,
    );
    match exchange(host, &request, ATTEMPT_TIMEOUT).await {
        Some(reply) => (
            reply.status,
            reply.header("retry-after").and_then(|v| v.parse().ok()),
            reply.json_or_null(),
        ),
        None => (0, None, Value::Null),
    }
}

/// One agent's requests, each retried until accepted, given up or out of time.
pub async fn agent(
    agent: usize,
    host: SocketAddr,
    options: Arc<Options>,
    clock: Arc<Clock>,
    run_id: u64,
) -> Vec<Submitted> {
    let mut rng =
        fastrand::Rng::with_seed(options.seed ^ (agent as u64).wrapping_mul(0xA24B_AED4_963E_E407));
    let mut done = Vec::new();
    let mut seq = 0u64;
    // Agents start spread over the first 200 ms rather than in one burst.
    tokio::time::sleep(Duration::from_millis(rng.u64(..200))).await;
    while Instant::now() < clock.stop_new {
        seq += 1;
        let key = format!("load-{run_id:x}-{agent}-{seq}");
        let (member_id, agent_email, body) = request_body(agent, seq, &mut rng);
        let mut submitted = Submitted {
            agent,
            key: key.clone(),
            member_id,
            agent_email,
            attempts: Vec::new(),
            outcome: Outcome::GaveUp,
            accepted_after: None,
            tracking_id: None,
        };
        let first = Instant::now();
        for attempt in 1..=options.tries {
            if Instant::now() >= clock.stop_all {
                submitted.outcome = Outcome::Abandoned;
                break;
            }
            let t = Instant::now();
            let (status, retry_after, reply_body) = post(host, &key, &body).await;
            let took = t.elapsed();
            let tracking_id = reply_body["tracking_id"].as_str().map(str::to_owned);
            submitted.attempts.push(Attempt {
                at: t - clock.started,
                took,
                status,
                retry_after,
                sent: reply_body["sent"]
                    .as_array()
                    .map(|a| {
                        a.iter()
                            .filter_map(|s| s.as_str().map(str::to_owned))
                            .collect()
                    })
                    .unwrap_or_default(),
                error: reply_body["error"].as_str().map(str::to_owned),
            });
            if tracking_id.is_some() {
                submitted.tracking_id = tracking_id;
            }
            let retryable =
                matches!(status, 0 | 503 | 429) || (status == 409 && retry_after.is_some());
            if status == 202 {
                submitted.outcome = Outcome::Accepted;
                submitted.accepted_after = Some(first.elapsed());
                break;
            }
            if !retryable {
                submitted.outcome = Outcome::Refused(status);
                break;
            }
            if attempt == options.tries {
                submitted.outcome = Outcome::GaveUp;
                break;
            }
            // Exponential from 100 ms, at least Retry-After, capped, with jitter (50–100 %).
            let backoff = Duration::from_millis(100 << (attempt - 1).min(6));
            let wanted = backoff
                .max(Duration::from_secs(retry_after.unwrap_or(0)))
                .min(options.retry_cap);
            let jitter = 0.5 + rng.f64() / 2.0;
            tokio::time::sleep(wanted.mul_f64(jitter)).await;
        }
        done.push(submitted);
    }
    done
}
