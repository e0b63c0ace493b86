//! The bench's options (`cargo bench -p rsos-edge-host --bench post -- --help`), read by clap.

use std::path::PathBuf;

use clap::Parser;

pub use crate::kit::{BackingKind, RateLimits};

/// `POST /api/requests` on the wasmtime host running the real component, against the same
/// rules behind a native hyper handler, on 127.0.0.1; figures are medians of `--runs` runs.
#[derive(Debug, Clone, Parser)]
#[command(name = "post")]
pub struct Options {
    /// Key-value backings, comma-separated: `memory` (the host's own), `sqlite` (as `spin up`
    /// keeps it: one connection, a transaction per operation, SQLite's default durability, a
    /// file in the target directory), `redis` (a fresh `redis-server`, or `--redis-url`).
    #[arg(long, value_delimiter = ',', default_value = "memory,sqlite")]
    pub backing: Vec<BackingKind>,
    /// Use this Redis (`redis://host:port`) for the `redis` backing instead of starting one.
    #[arg(long)]
    pub redis_url: Option<String>,
    /// A component to run, `NAME=PATH` (repeatable; ratios compare the first with the
    /// others). Default: `current=` the component built from this tree.
    #[arg(long = "component", value_name = "NAME=PATH")]
    pub components: Vec<String>,
    /// Concurrent clients, each with one request in flight, a new connection per request.
    #[arg(long, default_value_t = 16, value_parser = clap::value_parser!(u16).range(1..=250))]
    pub clients: u16,
    /// Requests per run and target (after a warm-up of a tenth as many).
    #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u32).range(10..))]
    pub requests: u32,
    /// Runs per figure; the figures are medians. Runs of every target are interleaved, so a
    /// busy moment of the machine falls on all of them alike.
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u16).range(1..))]
    pub runs: u16,
    /// `on`: the three rate-limit counters are kept as with the manifest's defaults, but every
    /// limit is 10^9 so none refuses (the bench sends from one address, as one agent); `off`:
    /// every limit 0, no counter.
    #[arg(long, default_value = "on")]
    pub rate_limits: RateLimits,
    /// Also sweep these concurrency levels (comma-separated, e.g. 1,2,4,8,16,32,64,128,200):
    /// forward throughput, latency, key-value operations and memory per in-flight request.
    #[arg(long, value_delimiter = ',', value_parser = clap::value_parser!(u16).range(1..=250))]
    pub sweep: Vec<u16>,
    /// Seconds of closed-loop load per sweep level and target.
    #[arg(long, default_value_t = 5.0)]
    pub sweep_seconds: f64,
    /// Only the sweep, not the table of both scenarios.
    #[arg(long)]
    pub sweep_only: bool,
    /// Also write the figures as rows of README's "Performance, side by side" table here
    /// (`cargo xtask bench` puts them into README.md).
    #[arg(long)]
    pub markdown: Option<PathBuf>,
    /// Where the component's log goes (default `<target>/rsos-post-edge.log`).
    #[arg(long, default_value_os_t = crate::kit::target_dir().join("rsos-post-edge.log"))]
    pub log: PathBuf,
    /// Added by `cargo bench`; ignored.
    #[arg(long, hide = true)]
    pub bench: bool,
    /// A `cargo bench` filter word; ignored.
    #[arg(hide = true)]
    pub filter: Vec<String>,
}

impl Options {
    /// The options, or the sentence that says which one is wrong.
    pub fn validated(self) -> Result<Options, String> {
        if self.backing.is_empty() {
            return Err("--backing needs at least one of memory, sqlite, redis".into());
        }
        if !(self.sweep_seconds > 0.0 && self.sweep_seconds <= 600.0) {
            return Err("--sweep-seconds must be in (0, 600]".into());
        }
        if self.sweep_only && self.sweep.is_empty() {
            return Err("--sweep-only needs --sweep".into());
        }
        for component in &self.components {
            match component.split_once('=') {
                Some((name, path)) if !name.trim().is_empty() && !path.is_empty() => {}
                _ => {
                    return Err(format!(
                        "--component {component:?} must look like NAME=PATH"
                    ))
                }
            }
        }
        Ok(self)
    }

    /// The components as (name, path), the default one when none was named.
    pub fn component_paths(&self, default: impl FnOnce() -> PathBuf) -> Vec<(String, PathBuf)> {
        if self.components.is_empty() {
            return vec![("current".to_owned(), default())];
        }
        self.components
            .iter()
            .filter_map(|c| c.split_once('='))
            .map(|(name, path)| (name.trim().to_owned(), PathBuf::from(path)))
            .collect()
    }
}
