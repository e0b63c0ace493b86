//! The bench's options (`cargo xtask load -- --seconds 60 --agents 200 …`), read by clap.

use std::path::PathBuf;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use clap::builder::TypedValueParser as _;
use clap::Parser;

use crate::kit::{self, BackingKind, RateLimits};

/// Agents on 127.0.0.1 post distinct, valid requests to the edge host for a fixed time while
/// the mail API behind it fails, hangs or answers late; then every accepted request is checked
/// for exactly one forward and one acknowledgement.
#[derive(Debug, Clone, Parser)]
#[command(name = "load")]
pub struct Options {
    /// Seconds during which agents start new requests (0 < S ≤ 3600).
    #[arg(long, default_value_t = 60.0)]
    pub seconds: f64,
    /// Simulated agents, each with one request in flight (1 to 1000).
    #[arg(long, default_value_t = 200, value_parser = clap::value_parser!(u16).range(1..=1000).map(usize::from))]
    pub agents: usize,
    /// Probability that the mail API answers an email with HTTP 500.
    #[arg(long, default_value_t = 0.30)]
    pub fail: f64,
    /// Probability that the mail API never answers an email.
    #[arg(long, default_value_t = 0.05)]
    pub hang: f64,
    /// Probability that the mail API accepts an email but answers only after the component
    /// gave up (not part of the figures: it checks the duplicate detector).
    #[arg(long, default_value_t = 0.0)]
    pub late: f64,
    /// The mail API the component talks to: `webhook` (one call per email) or `graph`
    /// (Microsoft Graph: create a draft, send it by id, and probe it after a lost answer).
    #[arg(long, default_value = "webhook", value_parser = ["webhook", "graph"])]
    pub mail_api: String,
    /// Call `POST /api/maintenance/sweep` every this many seconds during the run (0: never).
    /// At the end the mail API recovers and the sweep finishes what agents gave up on: every
    /// request the component recorded (any reply with a tracking ID) must then be delivered.
    #[arg(long, default_value_t = 0)]
    pub sweep_every_s: u64,
    /// Attempts per request before the agent gives up.
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u32).range(1..))]
    pub tries: u32,
    /// The component's `mail_timeout_ms`.
    #[arg(long, default_value_t = 1000)]
    pub mail_timeout_ms: u64,
    /// The longest an agent waits before a retry, whatever `Retry-After` says (milliseconds).
    #[arg(long = "retry-cap-ms", default_value = "1000", value_parser = parse_millis)]
    pub retry_cap: Duration,
    /// Seconds after `--seconds` in which requests in flight may still finish their retries.
    #[arg(long, default_value = "20", value_parser = parse_seconds)]
    pub drain: Duration,
    /// Where the component's key-value store lives: `memory`, `sqlite` (as `spin up` keeps it:
    /// one connection, a transaction per operation, default durability; a new file in the
    /// target directory) or `redis` (a fresh `redis-server`, or `--redis-url`).
    #[arg(long, default_value = "memory")]
    pub backing: BackingKind,
    /// Use this Redis (`redis://host:port`) for `--backing redis` instead of starting one.
    #[arg(long)]
    pub redis_url: Option<String>,
    /// `on`: the three rate-limit counters are kept as with the manifest's defaults, but every
    /// limit is 10^9 so none refuses (all agents share 127.0.0.1); `off`: no counters.
    #[arg(long, default_value = "on")]
    pub rate_limits: RateLimits,
    /// Where the component's log goes (default `<target>/rsos-load-edge.log`).
    #[arg(long, default_value_os_t = kit::target_dir().join("rsos-load-edge.log"))]
    pub log: PathBuf,
    /// Seed of the agents' and the mail API's random choices (default: the clock).
    #[arg(long, default_value_t = clock_seed())]
    pub seed: u64,
    /// Added by `cargo bench`; ignored.
    #[arg(long, hide = true)]
    pub bench: bool,
    /// A `cargo bench` filter word; ignored.
    #[arg(hide = true)]
    pub filter: Vec<String>,
}

impl Options {
    /// The options, or the sentence that says which one is out of range.
    pub fn validated(self) -> Result<Options, String> {
        if !(self.seconds > 0.0 && self.seconds <= 3600.0) {
            return Err("--seconds must be in (0, 3600]".into());
        }
        let probability = |p: f64| (0.0..=1.0).contains(&p);
        if !probability(self.fail)
            || !probability(self.hang)
            || !probability(self.late)
            || self.fail + self.hang + self.late > 1.0
        {
            return Err(
                "--fail, --hang and --late are probabilities with a sum of at most 1".into(),
            );
        }
        Ok(self)
    }
}

fn clock_seed() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_nanos() as u64
}

fn parse_millis(text: &str) -> Result<Duration, String> {
    text.parse()
        .map(Duration::from_millis)
        .map_err(|_| format!("cannot read {text:?} as milliseconds"))
}

fn parse_seconds(text: &str) -> Result<Duration, String> {
    text.parse::<f64>()
        .ok()
        .and_then(|s| Duration::try_from_secs_f64(s).ok())
        .ok_or_else(|| format!("cannot read {text:?} as seconds"))
}
