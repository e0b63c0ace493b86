//! `cargo bench -p rsos-edge-host --bench load -- --seconds 60 --agents 200 --fail 0.30 --hang 0.05`
//! (or `cargo xtask load -- …`): the load figures of issue 5. A benchmark that prints figures,
//! not a test; `--help` lists the options.
//!
//! Simulated agents on 127.0.0.1 (`agents`) post distinct, valid requests to the edge host
//! running the real component (wasmtime) for a fixed time, while a flaky mail API behind it
//! (`mail_api`) fails, hangs or answers late. At the end (`report`): lost = accepted requests
//! whose forward (or acknowledgement) was never delivered, duplicates = tracking IDs
//! delivered more than once; exit status 1 if any is not 0 (or a delivered email does not
//! belong to its request).
//!
//! `--late P` (default 0, not part of the figures) makes the mail API accept an email and
//! answer 202 only after the component has given up: SPEC §7's mail boundary is at-least-once
//! (`edge/IDEMPOTENCY.md`, residual risks), so this must show duplicates — a check that the
//! duplicate detector and the exit status work.
//!
//! `--backing sqlite` keeps the component's key-value store as `spin up` does (SQLite, a
//! transaction and a sync per write), `--backing redis` in a Redis; the report counts the
//! key-value operations per accepted request.
//!
//! The component's own log goes to a file (`--log`, default `<target>/rsos-load-edge.log`,
//! see `kit::component_log`), so the figures stay readable and a duplicate can be traced.

#[path = "../../tests/kit/mod.rs"]
mod kit;

mod agents;
mod mail_api;
mod options;
mod report;

use std::process::ExitCode;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::Parser;
use rsos_edge_host::key_value::Backing;
use rsos_edge_host::{start, EdgeRuntime, HostConfig};
use tokio::sync::watch;

use agents::{Clock, Submitted};
use kit::BackingKind;
use mail_api::{MailApi, Rates};
use options::Options;

#[tokio::main]
async fn main() -> ExitCode {
    let options = match Options::parse().validated() {
        Ok(options) => Arc::new(options),
        Err(problem) => {
            eprintln!("{problem}; see --help");
            return ExitCode::from(2);
        }
    };
    let path = kit::component_path();
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
    let mail = Arc::new(MailApi::new(
        started,
        Rates {
            fail: options.fail,
            hang: options.hang,
            late: options.late,
        },
        Duration::from_millis(options.mail_timeout_ms * 10),
        options.seed.rotate_left(17) ^ 0x5DEE_CE66,
        stop,
    ));
    let mail_addr = mail.clone().serve().await;
    let limit = options.rate_limits.limit();
    let mut config = HostConfig::new(kit::manifest())
        .var("mail_api", options.mail_api.as_str())
        .var("mail_base_url", format!("http://{mail_addr}"))
        .var("mail_webhook_path", "/mail")
        // Graph without app credentials takes a bearer token as is: no sign-in in the figures.
        .var("mail_api_token", "load-bench-token")
        .var("mail_timeout_ms", options.mail_timeout_ms.to_string())
        .var("rate_limit_per_address_per_minute", limit)
        .var("rate_limit_per_san_per_hour", limit)
        .var("rate_limit_per_recipient_per_hour", limit);
    if options.sweep_every_s > 0 {
        config = config.var("maintenance_token", SWEEP_TOKEN);
    }
    // Kept until the end of the run: the SQLite file's directory, the Redis server.
    let mut store_dir = None;
    let mut redis_server = None;
    config.key_value = match options.backing {
        BackingKind::Memory => Backing::Memory,
        BackingKind::Sqlite => {
            let dir = match tempfile::Builder::new()
                .prefix("rsos-load-kv")
                .tempdir_in(kit::target_dir())
            {
                Ok(dir) => dir,
                Err(e) => {
                    eprintln!("cannot make a directory for the SQLite store: {e}");
                    return ExitCode::from(2);
                }
            };
            let file = dir.path().join("sqlite_key_value.db");
            store_dir = Some(dir);
            Backing::File(file)
        }
        BackingKind::Redis => match &options.redis_url {
            Some(url) => Backing::Redis(url.clone()),
            None => match kit::RedisServer::start() {
                Ok(server) => {
                    let url = server.url.clone();
                    redis_server = Some(server);
                    Backing::Redis(url)
                }
                Err(problem) => {
                    eprintln!("{problem}");
                    return ExitCode::from(2);
                }
            },
        },
    };

    println!(
        "RSOS edge load: {} agents for {} s on 127.0.0.1; mail API ({}) fails {:.0}% (HTTP 500), hangs {:.0}% (component mail timeout {} ms); at most {} tries per request, Retry-After capped at {}; seed {}",
        options.agents,
        options.seconds,
        options.mail_api,
        options.fail * 100.0,
        options.hang * 100.0,
        options.mail_timeout_ms,
        options.tries,
        report::ms(options.retry_cap),
        options.seed
    );
    if options.late > 0.0 {
        let expected = if options.mail_api == "graph" {
            "Graph's draft, send by id and probe must still deliver each email once"
        } else {
            "the webhook is at-least-once there: duplicates are expected"
        };
        println!(
            "mail API also carries out {:.0}% of calls but answers only after the timeout (--late): {expected}",
            options.late * 100.0
        );
    }
    if options.sweep_every_s > 0 {
        println!(
            "sweep every {} s during the run; at the end the mail API recovers and the sweep finishes what agents gave up on",
            options.sweep_every_s
        );
    }
    println!(
        "key-value: {}; rate limits {}",
        options.backing.name(),
        options.rate_limits.describe()
    );
    println!("component: {}", path.display());
    println!("component log: {}", options.log.display());
    let saved = match kit::component_log::redirect_stderr(&options.log) {
        Ok(saved) => saved,
        Err(e) => {
            eprintln!("cannot write {}: {e}", options.log.display());
            return ExitCode::from(2);
        }
    };
    let host = start(&engine, &component, config)
        .await
        .expect("host starts");

    let sweeps = (options.sweep_every_s > 0).then(|| {
        let addr = host.addr;
        let every = Duration::from_secs(options.sweep_every_s);
        tokio::spawn(async move {
            let mut ticks = tokio::time::interval(every);
            ticks.tick().await;
            loop {
                ticks.tick().await;
                sweep(addr).await;
            }
        })
    });
    let run_started = Instant::now();
    let clock = Arc::new(Clock {
        started,
        stop_new: run_started + Duration::from_secs_f64(options.seconds),
        stop_all: run_started + Duration::from_secs_f64(options.seconds) + options.drain,
    });
    let run_id = options.seed;
    let agents: Vec<_> = (0..options.agents)
        .map(|i| {
            tokio::spawn(agents::agent(
                i,
                host.addr,
                options.clone(),
                clock.clone(),
                run_id,
            ))
        })
        .collect();
    let mut submitted: Vec<Submitted> = Vec::new();
    for handle in agents {
        submitted.extend(handle.await.expect("agent"));
    }
    let run_time = run_started.elapsed();
    // Let any instance still running (a client that timed out) finish its mail before
    // counting.
    tokio::time::sleep(Duration::from_millis(3 * options.mail_timeout_ms)).await;
    if let Some(sweeps) = sweeps {
        sweeps.abort();
        finish_with_sweeps(&mail, host.addr, options.mail_timeout_ms).await;
    }
    let key_value_operations = host.key_value_operations();
    host.shutdown().await;
    drop(redis_server);
    drop(store_dir);
    let still_hanging_at_end = mail.hanging.load(Ordering::SeqCst);
    let _ = stop_mail.send(true);
    kit::component_log::restore_stderr(saved);

    let calls = mail.calls.lock().unwrap().clone();
    report::report(report::Run {
        options: &options,
        submitted: &submitted,
        calls: &calls,
        run_time,
        key_value_operations,
        peak_hanging: mail.peak_hanging.load(Ordering::SeqCst),
        still_hanging_at_end,
    })
}

/// The maintenance token of the bench's host (a local secret: it serves 127.0.0.1).
const SWEEP_TOKEN: &str = "load-bench-maintenance-token";

/// One `POST /api/maintenance/sweep`; its JSON answer (null when it failed).
async fn sweep(addr: std::net::SocketAddr) -> serde_json::Value {
    let bearer = format!("Bearer {SWEEP_TOKEN}");
    let request = kit::request_bytes(
        "POST",
        addr,
        "/api/maintenance/sweep",
        &[("Authorization", bearer.as_str())],
        b"",
    );
    match kit::exchange(addr, &request, Duration::from_secs(120)).await {
        Some(reply) if reply.status == 200 => reply.json_or_null(),
        _ => serde_json::Value::Null,
    }
}

/// The end of the outage: the mail API recovers, and the sweep runs until two calls in a row
/// find nothing left to finish. A Graph send whose answer was lost is only sent again once it
/// has had time to settle (`rsos_delivery::Config::settle_ms`: two leases), so this waits up to
/// three leases and a margin, one sweep a second while any delivery still fails.
async fn finish_with_sweeps(mail: &MailApi, addr: std::net::SocketAddr, mail_timeout_ms: u64) {
    mail.recover();
    let lease = Duration::from_millis(4 * mail_timeout_ms + 5_000);
    let deadline = Instant::now() + 3 * lease + Duration::from_secs(30);
    let mut quiet = 0;
    let mut finished = 0;
    let mut calls = 0;
    while Instant::now() < deadline {
        let swept = sweep(addr).await;
        calls += 1;
        let done = swept["finished"].as_u64().unwrap_or(0);
        finished += done;
        let idle = !swept.is_null()
            && done == 0
            && swept["failed"].as_u64() == Some(0)
            && swept["more"] == false;
        quiet = if idle { quiet + 1 } else { 0 };
        if quiet == 2 {
            break;
        }
        if swept["more"] != true {
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    }
    println!("sweeps after the recovery: {calls} calls finished {finished} deliveries");
}
