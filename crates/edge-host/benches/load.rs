//! `cargo bench -p rsos-edge-host --bench load -- --seconds 60 --agents 200 --fail 0.30 --hang 0.05`
//! (or `cargo xtask load …`): the load figures of issue 5. A benchmark that prints figures, not
//! a test.
//!
//! Simulated agents on 127.0.0.1 post distinct, valid requests to the edge host running the
//! real component (wasmtime) for a fixed time. The fake mail API behind it answers each email
//! with 202, fails it with HTTP 500 (`--fail`) or hangs (`--hang`): it never answers, and the
//! connection is closed without a reply once the component has given up (its
//! `mail_timeout_ms`) — a mail API that did not acknowledge an email did not accept it, so a
//! hung email counts as not delivered.
//!
//! Each agent loops: a new request, a fresh `Idempotency-Key`, `POST /api/requests`; on 503,
//! 429, a 409 "still being processed" (both come with `Retry-After`) or a network error it
//! retries with the same key after a short backoff (`Retry-After` is honoured but capped at
//! `--retry-cap-ms`), until 202 or `--tries` attempts (then the agent gave up: not accepted,
//! and not a loss). After `--seconds` no agent starts a new request; requests in flight may
//! finish their retries for `--drain` more seconds.
//!
//! The mail API records every email it accepted by tracking ID (`X-RSOS-Tracking-ID` in the
//! webhook JSON) and kind. At the end: lost = accepted requests whose forward (or
//! acknowledgement) was never delivered, duplicates = tracking IDs delivered more than once.
//! Exit status 1 if any is not 0 (or a delivered email does not belong to its request).
//!
//! `--late P` (default 0, not part of the figures) makes the mail API accept an email and
//! answer 202 only after the component has given up: SPEC §7's mail boundary is at-least-once
//! (`edge/IDEMPOTENCY.md`, residual risks), so this must show duplicates — a check that the
//! duplicate detector and the exit status work.
//!
//! The component's own log (its stderr: one line per accepted request and per email not sent)
//! goes to a file (`--log`, default `<target>/rsos-load-edge.log`), so the figures stay
//! readable and a duplicate can be traced.

use std::collections::{BTreeMap, HashMap};
use std::fs::File;
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use http_body_util::Full;
use rsos_edge_host::{loopback, start, EdgeRuntime, HostConfig};
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::watch;

const USAGE: &str =
    "usage: load [--seconds S] [--agents N] [--fail P] [--hang P] [--late P] [--tries N] \
[--mail-timeout-ms MS] [--retry-cap-ms MS] [--drain S] [--log FILE] [--seed N]";

/// What one agent's client waits for one attempt before calling it a network error. The
/// component answers well within it (at most ~25 s waiting for another owner of the key).
const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(30);

#[derive(Debug, Clone)]
struct Options {
    seconds: f64,
    agents: usize,
    fail: f64,
    hang: f64,
    late: f64,
    tries: u32,
    mail_timeout_ms: u64,
    retry_cap: Duration,
    drain: Duration,
    log: PathBuf,
    seed: u64,
}

fn target_dir() -> PathBuf {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    // A relative CARGO_TARGET_DIR is relative to the workspace root, where cargo runs.
    std::env::var_os("CARGO_TARGET_DIR")
        .map(|dir| root.join(dir))
        .unwrap_or_else(|| root.join("target"))
}

fn component_path() -> PathBuf {
    std::env::var_os("RSOS_EDGE_COMPONENT")
        .map(PathBuf::from)
        .unwrap_or_else(|| target_dir().join("wasm32-wasip2/release/rsos_edge.wasm"))
}

fn parse_options(args: &[String]) -> Result<Options, String> {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    let mut options = Options {
        seconds: 60.0,
        agents: 200,
        fail: 0.30,
        hang: 0.05,
        late: 0.0,
        tries: 10,
        mail_timeout_ms: 1000,
        retry_cap: Duration::from_millis(1000),
        drain: Duration::from_secs(20),
        log: target_dir().join("rsos-load-edge.log"),
        seed: now.as_nanos() as u64,
    };
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        // `cargo bench` adds `--bench`; a filter word (no dashes) is ignored likewise.
        if arg == "--bench" || !arg.starts_with("--") {
            continue;
        }
        let (name, inline) = match arg.split_once('=') {
            Some((name, value)) => (name, Some(value.to_owned())),
            None => (arg.as_str(), None),
        };
        let value = match inline {
            Some(value) => value,
            None => args
                .next()
                .cloned()
                .ok_or_else(|| format!("{name} needs a value"))?,
        };
        let bad = || format!("{name}: cannot read {value:?}");
        match name {
            "--seconds" => options.seconds = value.parse().map_err(|_| bad())?,
            "--agents" => options.agents = value.parse().map_err(|_| bad())?,
            "--fail" => options.fail = value.parse().map_err(|_| bad())?,
            "--hang" => options.hang = value.parse().map_err(|_| bad())?,
            "--late" => options.late = value.parse().map_err(|_| bad())?,
            "--tries" => options.tries = value.parse().map_err(|_| bad())?,
            "--mail-timeout-ms" => options.mail_timeout_ms = value.parse().map_err(|_| bad())?,
            "--retry-cap-ms" => {
                options.retry_cap = Duration::from_millis(value.parse().map_err(|_| bad())?)
            }
            "--drain" => options.drain = Duration::from_secs_f64(value.parse().map_err(|_| bad())?),
            "--log" => options.log = PathBuf::from(value),
            "--seed" => options.seed = value.parse().map_err(|_| bad())?,
            _ => return Err(format!("unknown option {name}")),
        }
    }
    if !(options.seconds > 0.0 && options.seconds <= 3600.0) {
        return Err("--seconds must be in (0, 3600]".into());
    }
    if options.agents == 0 || options.agents > 1000 {
        return Err("--agents must be 1 to 1000".into());
    }
    if !(0.0..=1.0).contains(&options.fail)
        || !(0.0..=1.0).contains(&options.hang)
        || !(0.0..=1.0).contains(&options.late)
        || options.fail + options.hang + options.late > 1.0
    {
        return Err("--fail, --hang and --late are probabilities with a sum of at most 1".into());
    }
    if options.tries == 0 {
        return Err("--tries must be at least 1".into());
    }
    Ok(options)
}

/// SplitMix64: reproducible per agent from `--seed`, no dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[(self.next() % items.len() as u64) as usize]
    }
}

// ---------------------------------------------------------------------------------------------
// The fake mail API.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Behaviour {
    Accept,
    Fail,
    Hang,
    /// Accepted (delivered), but the 202 is sent only after the component gave up.
    Late,
}

/// One email the mail API was asked to send.
#[derive(Debug, Clone)]
struct MailCall {
    at: Duration,
    tracking_id: String,
    kind: String,
    to: String,
    /// Kept for accepted emails only (to check they belong to their request).
    text: String,
    behaviour: Behaviour,
}

impl Behaviour {
    fn delivered(self) -> bool {
        matches!(self, Behaviour::Accept | Behaviour::Late)
    }
}

struct MailApi {
    started: Instant,
    fail: f64,
    hang: f64,
    late: f64,
    /// The longest a hung call is held before its connection is closed without a reply:
    /// far past the component's own deadline, so no reply could ever be awaited.
    hold: Duration,
    rng: Mutex<Rng>,
    calls: Mutex<Vec<MailCall>>,
    hanging: AtomicUsize,
    peak_hanging: AtomicUsize,
    stop: watch::Receiver<bool>,
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
struct NoReply;

impl std::fmt::Display for NoReply {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("hung: connection closed without a reply")
    }
}

impl std::error::Error for NoReply {}

impl MailApi {
    async fn answer(
        &self,
        request: hyper::Request<hyper::body::Incoming>,
    ) -> Result<hyper::Response<Full<Bytes>>, NoReply> {
        let body = loopback::body(request).await;
        let body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
        let behaviour = {
            let roll = self.rng.lock().unwrap().unit();
            if roll < self.fail {
                Behaviour::Fail
            } else if roll < self.fail + self.hang {
                Behaviour::Hang
            } else if roll < self.fail + self.hang + self.late {
                Behaviour::Late
            } else {
                Behaviour::Accept
            }
        };
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
        match behaviour {
            Behaviour::Accept => Ok(hyper::Response::builder()
                .status(202)
                .body(Full::new(Bytes::new()))
                .unwrap()),
            Behaviour::Fail => Ok(hyper::Response::builder()
                .status(500)
                .header("content-type", "application/json")
                .body(Full::new(Bytes::from_static(b"{\"error\":\"injected\"}")))
                .unwrap()),
            Behaviour::Late => {
                tokio::time::sleep(self.hold / 5).await;
                Ok(hyper::Response::builder()
                    .status(202)
                    .body(Full::new(Bytes::new()))
                    .unwrap())
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

async fn start_mail_api(api: Arc<MailApi>) -> SocketAddr {
    let stop = api.stop.clone();
    let answer = move |request| {
        let api = api.clone();
        async move { api.answer(request).await }
    };
    loopback::serve(answer, Some(stop)).await.expect("bind")
}

// ---------------------------------------------------------------------------------------------
// The agents.

/// One `POST /api/requests` as an agent's client saw it.
#[derive(Debug, Clone)]
struct Attempt {
    at: Duration,
    took: Duration,
    /// 0: a network error (connect, reset, no complete reply, client timeout).
    status: u16,
    retry_after: Option<u64>,
    /// From a 503: which emails the component says were already sent.
    sent: Vec<String>,
    /// From a 409: the error sentence.
    error: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
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
struct Submitted {
    agent: usize,
    key: String,
    member_id: String,
    agent_email: String,
    attempts: Vec<Attempt>,
    outcome: Outcome,
    /// First attempt's start to the 202 read.
    accepted_after: Option<Duration>,
    tracking_id: Option<String>,
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

fn request_body(agent: usize, seq: u64, rng: &mut Rng) -> (String, String, Vec<u8>) {
    let member_id = format!("M{agent:04}-{seq:06}-{:04X}", rng.next() & 0xFFFF);
    let agent_email = format!("agent{agent}.{}@{}", rng.next() % 7, rng.pick(DOMAINS));
    let body = json!({
        "line_of_business": "medicare",
        "topic": "claims",
        "agent_name": rng.pick(AGENT_NAMES),
        "agent_san": format!("A{agent:04}{}", rng.next() % 10),
        "agent_email": agent_email,
        "member_id": member_id,
        "member_first_name": rng.pick(FIRST_NAMES),
        "member_last_name": rng.pick(LAST_NAMES),
        "reference_number": format!("CLM-{agent:04}{seq:06}"),
        "summary": format!(
            "Claim for the {} {} office visit was denied as out of network.",
            rng.pick(MONTHS),
            1 + rng.next() % 28
        ),
        "confirm_single_line_of_business": false
    });
    (member_id, agent_email, serde_json::to_vec(&body).unwrap())
}

struct Reply {
    status: u16,
    retry_after: Option<u64>,
    body: Value,
}

/// One request on a fresh connection (`Connection: close`), read to the end.
async fn post(addr: SocketAddr, key: &str, body: &[u8]) -> Option<Reply> {
    let exchange = async {
        let mut stream = TcpStream::connect(addr).await.ok()?;
        let head = format!(
            "POST /api/requests HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Type: application/json\r\nIdempotency-Key: {key}\r\nContent-Length: {}\r\n\r\n",
            body.len()
        );
        stream.write_all(head.as_bytes()).await.ok()?;
        stream.write_all(body).await.ok()?;
        let mut bytes = Vec::new();
        stream.read_to_end(&mut bytes).await.ok()?;
        parse_reply(&bytes)
    };
    tokio::time::timeout(ATTEMPT_TIMEOUT, exchange)
        .await
        .ok()
        .flatten()
}

fn parse_reply(bytes: &[u8]) -> Option<Reply> {
    let split = bytes.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = std::str::from_utf8(&bytes[..split]).ok()?;
    let mut lines = head.split("\r\n");
    let status: u16 = lines.next()?.split(' ').nth(1)?.parse().ok()?;
    let headers: HashMap<String, String> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let rest = &bytes[split + 4..];
    let body = if headers
        .get("transfer-encoding")
        .is_some_and(|v| v.contains("chunked"))
    {
        dechunk(rest)?
    } else {
        if let Some(length) = headers.get("content-length") {
            // A reply cut short is a network error, not a reply.
            if length.parse::<usize>().ok()? != rest.len() {
                return None;
            }
        }
        rest.to_vec()
    };
    Some(Reply {
        status,
        retry_after: headers.get("retry-after").and_then(|v| v.parse().ok()),
        body: serde_json::from_slice(&body).unwrap_or(Value::Null),
    })
}

/// `None` if the chunked body is incomplete (no terminating chunk).
fn dechunk(mut rest: &[u8]) -> Option<Vec<u8>> {
    let mut body = Vec::new();
    loop {
        let line_end = rest.windows(2).position(|w| w == b"\r\n")?;
        let size_text = std::str::from_utf8(&rest[..line_end]).ok()?;
        let size = usize::from_str_radix(size_text.split(';').next()?.trim(), 16).ok()?;
        rest = &rest[line_end + 2..];
        if size == 0 {
            return Some(body);
        }
        if rest.len() < size + 2 {
            return None;
        }
        body.extend_from_slice(&rest[..size]);
        rest = &rest[size + 2..];
    }
}

struct Clock {
    started: Instant,
    /// No new request after this.
    stop_new: Instant,
    /// No new attempt after this.
    stop_all: Instant,
}

async fn agent(
    agent: usize,
    host: SocketAddr,
    options: Arc<Options>,
    clock: Arc<Clock>,
    run_id: u64,
) -> Vec<Submitted> {
    let mut rng = Rng(options.seed ^ (agent as u64).wrapping_mul(0xA24B_AED4_963E_E407));
    let mut done = Vec::new();
    let mut seq = 0u64;
    // Agents start spread over the first 200 ms rather than in one burst.
    tokio::time::sleep(Duration::from_millis(rng.next() % 200)).await;
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
            let reply = post(host, &key, &body).await;
            let took = t.elapsed();
            let (status, retry_after, reply_body) = match reply {
                Some(r) => (r.status, r.retry_after, r.body),
                None => (0, None, Value::Null),
            };
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
            let jitter = 0.5 + rng.unit() / 2.0;
            tokio::time::sleep(wanted.mul_f64(jitter)).await;
        }
        done.push(submitted);
    }
    done
}

// ---------------------------------------------------------------------------------------------
// Figures.

fn quantile(sorted: &[Duration], q: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((sorted.len() as f64) * q).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

fn latency_line(label: &str, mut samples: Vec<Duration>) -> String {
    samples.sort();
    format!(
        "{label:<34} p50 {:>10}   p99 {:>10}   max {:>10}   (n = {})",
        ms(quantile(&samples, 0.50)),
        ms(quantile(&samples, 0.99)),
        ms(samples.last().copied().unwrap_or_default()),
        samples.len()
    )
}

/// Where fd 2 went before the component's log took it over.
struct SavedStderr(i32);

/// Sends this process's stderr (the component's `eprintln!`s, inherited by WASI) to `path`.
fn redirect_stderr(path: &Path) -> std::io::Result<SavedStderr> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let file = File::create(path)?;
    // SAFETY: plain descriptor calls on descriptors this process owns; `file` stays open
    // until dup2 has duplicated it.
    unsafe {
        let saved = libc::dup(2);
        if saved < 0 || libc::dup2(file.as_raw_fd(), 2) < 0 {
            return Err(std::io::Error::last_os_error());
        }
        Ok(SavedStderr(saved))
    }
}

fn restore_stderr(saved: SavedStderr) {
    // SAFETY: `saved.0` is the duplicate made by `redirect_stderr`, closed once here.
    unsafe {
        libc::dup2(saved.0, 2);
        libc::close(saved.0);
    }
}

fn log_lines_for(path: &Path, tracking_id: &str) -> Vec<String> {
    let Ok(file) = File::open(path) else {
        return Vec::new();
    };
    BufReader::new(file)
        .lines()
        .map_while(Result::ok)
        .filter(|l| l.contains(tracking_id))
        .collect()
}

/// Prints everything known about one tracking ID: the agent's attempts, the mail API's calls
/// and the component's log lines, in order.
fn trace(tracking_id: &str, by_tid: &HashMap<&str, &Submitted>, calls: &[MailCall], log: &Path) {
    println!("  {tracking_id}:");
    let mut events: Vec<(Duration, String)> = Vec::new();
    if let Some(s) = by_tid.get(tracking_id) {
        println!(
            "    agent {} key {} outcome {:?}",
            s.agent, s.key, s.outcome
        );
        for a in &s.attempts {
            let status = match a.status {
                0 => "network error".to_owned(),
                status => status.to_string(),
            };
            let mut line = format!("agent POST → {status} after {}", ms(a.took));
            if let Some(seconds) = a.retry_after {
                line.push_str(&format!(", Retry-After {seconds}"));
            }
            if a.status == 503 {
                line.push_str(&format!(", sent so far {:?}", a.sent));
            }
            if let (409, Some(error)) = (a.status, &a.error) {
                line.push_str(&format!(": {error}"));
            }
            events.push((a.at, line));
        }
    } else {
        println!("    (no agent saw this tracking ID)");
    }
    for c in calls.iter().filter(|c| c.tracking_id == tracking_id) {
        events.push((c.at, format!("mail API ← {} → {:?}", c.kind, c.behaviour)));
    }
    events.sort_by_key(|(at, _)| *at);
    for (at, line) in events {
        println!("    {:>9.3} s  {line}", at.as_secs_f64());
    }
    for line in log_lines_for(log, tracking_id) {
        println!("    component log: {line}");
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let options = match parse_options(&args) {
        Ok(options) => Arc::new(options),
        Err(problem) => {
            eprintln!("{problem}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let path = component_path();
    let engine = EdgeRuntime::engine().expect("engine");
    let component = match EdgeRuntime::compile(&engine, &path) {
        Ok(component) => component,
        Err(e) => {
            eprintln!(
                "cannot load the component {}: {e}\nbuild it with `cargo build -p rsos-edge --release --target wasm32-wasip2` (or run `cargo xtask load`)",
                path.display()
            );
            return ExitCode::from(2);
        }
    };

    let (stop_mail, stop) = watch::channel(false);
    let started = Instant::now();
    let mail = Arc::new(MailApi {
        started,
        fail: options.fail,
        hang: options.hang,
        late: options.late,
        hold: Duration::from_millis(options.mail_timeout_ms * 10),
        rng: Mutex::new(Rng(options.seed.rotate_left(17) ^ 0x5DEE_CE66)),
        calls: Mutex::default(),
        hanging: AtomicUsize::new(0),
        peak_hanging: AtomicUsize::new(0),
        stop,
    });
    let mail_addr = start_mail_api(mail.clone()).await;
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../edge/spin.toml");
    let config = HostConfig::new(manifest)
        .var("mail_api", "webhook")
        .var("mail_base_url", format!("http://{mail_addr}"))
        .var("mail_webhook_path", "/mail")
        .var("mail_timeout_ms", options.mail_timeout_ms.to_string())
        .var("rate_limit_per_address_per_minute", "0")
        .var("rate_limit_per_san_per_hour", "0")
        .var("rate_limit_per_recipient_per_hour", "0");

    println!(
        "RSOS edge load: {} agents for {} s on 127.0.0.1; mail API fails {:.0}% (HTTP 500), hangs {:.0}% (component mail timeout {} ms); at most {} tries per request, Retry-After capped at {}; seed {}",
        options.agents,
        options.seconds,
        options.fail * 100.0,
        options.hang * 100.0,
        options.mail_timeout_ms,
        options.tries,
        ms(options.retry_cap),
        options.seed
    );
    if options.late > 0.0 {
        println!(
            "mail API also accepts {:.0}% but answers only after the timeout (--late): duplicates are expected",
            options.late * 100.0
        );
    }
    println!("component: {}", path.display());
    println!("component log: {}", options.log.display());
    let saved = match redirect_stderr(&options.log) {
        Ok(saved) => saved,
        Err(e) => {
            eprintln!("cannot write {}: {e}", options.log.display());
            return ExitCode::from(2);
        }
    };
    let host = start(&engine, &component, config)
        .await
        .expect("host starts");

    let run_started = Instant::now();
    let clock = Arc::new(Clock {
        started,
        stop_new: run_started + Duration::from_secs_f64(options.seconds),
        stop_all: run_started + Duration::from_secs_f64(options.seconds) + options.drain,
    });
    let run_id = options.seed;
    let agents: Vec<_> = (0..options.agents)
        .map(|i| tokio::spawn(agent(i, host.addr, options.clone(), clock.clone(), run_id)))
        .collect();
    let mut submitted: Vec<Submitted> = Vec::new();
    for handle in agents {
        submitted.extend(handle.await.expect("agent"));
    }
    let run_time = run_started.elapsed();
    // Let any instance still running (a client that timed out) finish its mail before
    // counting.
    tokio::time::sleep(Duration::from_millis(3 * options.mail_timeout_ms)).await;
    host.shutdown().await;
    let still_hanging_at_end = mail.hanging.load(Ordering::SeqCst);
    let _ = stop_mail.send(true);
    restore_stderr(saved);

    // -----------------------------------------------------------------------------------------
    let calls = mail.calls.lock().unwrap().clone();
    let accepted: Vec<&Submitted> = submitted
        .iter()
        .filter(|s| s.outcome == Outcome::Accepted)
        .collect();
    let count = |o: fn(&Outcome) -> bool| submitted.iter().filter(|s| o(&s.outcome)).count();
    let gave_up = count(|o| *o == Outcome::GaveUp);
    let abandoned = count(|o| *o == Outcome::Abandoned);
    let refused = count(|o| matches!(o, Outcome::Refused(_)));

    let mut statuses: BTreeMap<u16, usize> = BTreeMap::new();
    let mut attempt_latency = Vec::new();
    for a in submitted.iter().flat_map(|s| &s.attempts) {
        *statuses.entry(a.status).or_default() += 1;
        attempt_latency.push(a.took);
    }
    let attempts: usize = statuses.values().sum();
    let accepted_latency: Vec<Duration> =
        accepted.iter().filter_map(|s| s.accepted_after).collect();

    // Delivered = the mail API answered 202.
    let mut delivered: HashMap<(&str, &str), Vec<&MailCall>> = HashMap::new();
    let mut by_behaviour: BTreeMap<&str, usize> = BTreeMap::new();
    for c in &calls {
        let name = match c.behaviour {
            Behaviour::Accept => "accepted (202)",
            Behaviour::Fail => "failed (500)",
            Behaviour::Hang => "hung (no reply)",
            Behaviour::Late => "accepted late (202 after the timeout)",
        };
        *by_behaviour.entry(name).or_default() += 1;
        if c.behaviour.delivered() {
            delivered
                .entry((c.tracking_id.as_str(), c.kind.as_str()))
                .or_default()
                .push(c);
        }
    }
    let delivered_of = |kind: &str| -> Vec<(&str, usize)> {
        delivered
            .iter()
            .filter(|((_, k), _)| *k == kind)
            .map(|((tid, _), v)| (*tid, v.len()))
            .collect()
    };
    let forwards = delivered_of("forward");
    let acks = delivered_of("acknowledgement");
    let other_kinds: usize = delivered
        .iter()
        .filter(|((_, k), _)| *k != "forward" && *k != "acknowledgement")
        .map(|(_, v)| v.len())
        .sum();
    let total = |list: &[(&str, usize)]| list.iter().map(|(_, n)| n).sum::<usize>();
    let duplicated = |list: &[(&str, usize)]| -> Vec<String> {
        let mut d: Vec<String> = list
            .iter()
            .filter(|(_, n)| *n > 1)
            .map(|(tid, _)| tid.to_string())
            .collect();
        d.sort();
        d
    };
    let dup_forwards = duplicated(&forwards);
    let dup_acks = duplicated(&acks);

    let mut lost_forwards = Vec::new();
    let mut lost_acks = Vec::new();
    let mut mismatched = Vec::new();
    let mut accepted_without_id = 0;
    for s in &accepted {
        let Some(tid) = s.tracking_id.as_deref() else {
            accepted_without_id += 1;
            continue;
        };
        match delivered.get(&(tid, "forward")) {
            None => lost_forwards.push(tid.to_owned()),
            Some(list) => {
                if list.iter().any(|c| {
                    !c.text.contains(&s.member_id)
                        || !c.to.eq_ignore_ascii_case("AgentRSOS@humana.com")
                }) {
                    mismatched.push(tid.to_owned());
                }
            }
        }
        match delivered.get(&(tid, "acknowledgement")) {
            None => lost_acks.push(tid.to_owned()),
            Some(list) => {
                if list.iter().any(|c| {
                    !c.to.eq_ignore_ascii_case(&s.agent_email) || c.text.contains(&s.member_id)
                }) {
                    mismatched.push(tid.to_owned());
                }
            }
        }
    }
    let accepted_tids: std::collections::HashSet<&str> = accepted
        .iter()
        .filter_map(|s| s.tracking_id.as_deref())
        .collect();
    let distinct_accepted_tids = accepted_tids.len();
    let orphan_forwards = forwards
        .iter()
        .filter(|(tid, _)| !accepted_tids.contains(tid))
        .count();

    let secs = run_time.as_secs_f64();
    println!();
    println!("run time (submissions and retries)  {secs:.1} s");
    println!("requests submitted                  {}", submitted.len());
    println!("  accepted (202)                    {}", accepted.len());
    println!(
        "  gave up after {} tries            {gave_up}",
        options.tries
    );
    println!("  abandoned at the end of the run   {abandoned}");
    println!("  refused (other final status)      {refused}");
    let statuses_text: Vec<String> = statuses
        .iter()
        .map(|(status, n)| {
            if *status == 0 {
                format!("network error {n}")
            } else {
                format!("{status}: {n}")
            }
        })
        .collect();
    println!(
        "attempts                            {attempts}  ({})",
        statuses_text.join(", ")
    );
    println!(
        "attempts per accepted request       {:.2}",
        accepted.iter().map(|s| s.attempts.len()).sum::<usize>() as f64
            / accepted.len().max(1) as f64
    );
    let behaviour_text: Vec<String> = by_behaviour
        .iter()
        .map(|(name, n)| format!("{name} {n}"))
        .collect();
    println!(
        "mail API calls                      {}  ({}); peak hung at once {}, still held at the end {}",
        calls.len(),
        behaviour_text.join(", "),
        mail.peak_hanging.load(Ordering::SeqCst),
        still_hanging_at_end
    );
    println!(
        "forwards delivered                  {}  (distinct tracking IDs {}, of requests never accepted {})",
        total(&forwards),
        forwards.len(),
        orphan_forwards
    );
    println!(
        "  lost (accepted, never delivered)  {}",
        lost_forwards.len()
    );
    println!("  duplicates (delivered > once)     {}", dup_forwards.len());
    println!(
        "acknowledgements delivered          {}  (distinct tracking IDs {})",
        total(&acks),
        acks.len()
    );
    println!("  lost (accepted, never delivered)  {}", lost_acks.len());
    println!("  duplicates (delivered > once)     {}", dup_acks.len());
    if other_kinds > 0 {
        println!("other emails delivered              {other_kinds}  (expected none)");
    }
    println!("emails not matching their request  {}", mismatched.len());
    if accepted_without_id > 0 || distinct_accepted_tids != accepted.len() - accepted_without_id {
        println!(
            "202s without a tracking ID {accepted_without_id}; distinct tracking IDs among 202s {distinct_accepted_tids} of {}",
            accepted.len()
        );
    }
    println!("{}", latency_line("latency per attempt", attempt_latency));
    println!(
        "{}",
        latency_line("latency per accepted request", accepted_latency)
    );
    println!(
        "throughput                          {:.1} accepted requests/s, {:.1} attempts/s, {:.1} emails delivered/s",
        accepted.len() as f64 / secs,
        attempts as f64 / secs,
        (total(&forwards) + total(&acks)) as f64 / secs
    );

    let by_tid: HashMap<&str, &Submitted> = submitted
        .iter()
        .filter_map(|s| s.tracking_id.as_deref().map(|t| (t, s)))
        .collect();
    let mut problems: Vec<(&str, &String)> = Vec::new();
    problems.extend(lost_forwards.iter().map(|t| ("lost forward", t)));
    problems.extend(dup_forwards.iter().map(|t| ("duplicate forward", t)));
    problems.extend(lost_acks.iter().map(|t| ("lost acknowledgement", t)));
    problems.extend(dup_acks.iter().map(|t| ("duplicate acknowledgement", t)));
    problems.extend(
        mismatched
            .iter()
            .map(|t| ("email not matching its request", t)),
    );
    if !problems.is_empty() {
        println!();
        println!("problems (first 10, traced):");
        for (what, tid) in problems.iter().take(10) {
            println!("- {what}");
            trace(tid, &by_tid, &calls, &options.log);
        }
    }
    let failed = !lost_forwards.is_empty()
        || !dup_forwards.is_empty()
        || !lost_acks.is_empty()
        || !dup_acks.is_empty()
        || !mismatched.is_empty()
        || accepted_without_id > 0;
    println!();
    if failed {
        println!("FAIL: accepted requests were not delivered exactly once");
        ExitCode::FAILURE
    } else {
        println!("PASS: every accepted request was forwarded and acknowledged exactly once");
        ExitCode::SUCCESS
    }
}
