//! `cargo bench -p rsos-edge-host --bench post [-- --backing memory,sqlite --runs 3 …]`:
//! requests/s, p50/p99 latency and key-value operations per request of `POST /api/requests`
//! on the wasmtime host running the real component, against the same rules behind a native
//! hyper handler, on 127.0.0.1, in one run; `--help` lists the options.
//!
//! Two scenarios per target:
//! - `forward`: a complete request — parse, assess, render both emails and POST them to a mail
//!   API on 127.0.0.1 (one connection per email, as wasmtime's outbound HTTP does). The
//!   component also does its key-value work (rate counters, idempotency record, claim,
//!   per-email state) on the chosen backing; the native handler keeps no state, so this ratio
//!   includes the cost of exactly-once. Every request comes from another agent (`Body`).
//! - `needs_changes`: an incomplete request answered 422 — parse and assess only, no mail and
//!   only the address counter: the engine's own overhead (instantiation per request).
//!
//! Targets: every `--component` (default: the one built from this tree) on every `--backing`
//! (`memory`, `sqlite` — Spin's default store as `spin up` keeps it, see
//! `rsos_edge_host::key_value` — or `redis`), each run on an empty store; then the native
//! handler. `--component before=old.wasm` compares another build of the component in the same
//! run (benchmarks/edge/README.md: before and after the delivery core). `--sweep 1,2,…,200`
//! adds throughput and memory per in-flight request from 1 to 200 concurrent clients.
//!
//! The component's log (a line per accepted request) goes to a file (`--log`).
//!
//! A benchmark, not a test: numbers depend on the machine (it prints the machine's load before
//! and after); the ratios are what to read.

#[path = "../../tests/kit/mod.rs"]
mod kit;

mod measure;
mod options;
mod report;
mod targets;

use std::fmt::Write as _;
use std::process::ExitCode;
use std::sync::atomic::AtomicU64;
use std::time::{Duration, Instant};

use clap::Parser;
use rsos_edge_host::EdgeRuntime;
use serde_json::json;

use measure::{closed_loop, parked, Amount, Body, Sample};
use options::{BackingKind, Options};
use report::{backing_text, speed_text, Figure, Memory};
use targets::{Bench, Component, Sink, Target};

/// The order of the targets in run `run`: forwards, then backwards (A B B A …), so a slow
/// drift of the machine's load falls on every target alike.
fn in_turn(run: u16, targets: usize) -> Vec<usize> {
    if run.is_multiple_of(2) {
        (0..targets).collect()
    } else {
        (0..targets).rev().collect()
    }
}

/// Throughput of one target over another's, run by run: runs of the two are neighbours in
/// time, so the ratio of a pair shrugs off a busy minute that the medians of each do not.
struct Paired {
    median: f64,
    low: f64,
    high: f64,
}

impl Paired {
    fn of(new: &Figure, old: &Figure) -> Paired {
        let ratios: Vec<f64> = new.runs.iter().zip(&old.runs).map(|(n, o)| n / o).collect();
        Paired {
            median: median(ratios.clone()),
            low: ratios.iter().copied().fold(f64::INFINITY, f64::min),
            high: ratios.iter().copied().fold(0.0, f64::max),
        }
    }
}

/// "1 run", "3 runs".
fn runs(n: u16) -> String {
    if n == 1 {
        "1 run".to_owned()
    } else {
        format!("{n} runs")
    }
}

/// The machine's load average (`/proc/loadavg`, as `uptime` shows it) and the share of the
/// last minute in which some task waited for a CPU or for I/O (`/proc/pressure`).
fn machine_load() -> String {
    let load = std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "unknown".to_owned());
    let pressure = |what: &str| {
        std::fs::read_to_string(format!("/proc/pressure/{what}"))
            .ok()
            .and_then(|p| {
                let some = p.lines().next()?;
                let avg60 = some.split_whitespace().find(|f| f.starts_with("avg60="))?;
                Some(format!("{}%", &avg60["avg60=".len()..]))
            })
            .unwrap_or_else(|| "unknown".to_owned())
    };
    format!(
        "{load}; waiting in the last minute: for a CPU {}, for I/O {}; {}",
        pressure("cpu"),
        pressure("io"),
        sync_time()
    )
}

/// The median time to write and sync 4 KiB in the target directory (where the SQLite stores
/// live), of 20 tries: what each SQLite write waits for, several times over.
fn sync_time() -> String {
    use std::io::Write as _;
    let path = kit::target_dir().join("rsos-post-bench-sync-probe");
    let Ok(mut file) = std::fs::File::create(&path) else {
        return "sync time unknown".to_owned();
    };
    let mut times = Vec::new();
    for _ in 0..20 {
        let t = Instant::now();
        if file.write_all(&[0u8; 4096]).is_err() || file.sync_data().is_err() {
            return "sync time unknown".to_owned();
        }
        times.push(t.elapsed().as_secs_f64());
    }
    let _ = std::fs::remove_file(&path);
    format!(
        "4 KiB write + fdatasync {}",
        report::ms(Duration::from_secs_f64(median(times)))
    )
}

/// The forward and needs_changes requests.
fn bodies() -> (Body, Body) {
    let complete = kit::forwardable();
    let mut incomplete = complete.clone();
    incomplete["member_id"] = json!("");
    (Body::new(complete), Body::new(incomplete))
}

/// Every host target (components × backings), then the native handler.
fn targets(bench: &Bench, backings: &[BackingKind]) -> Vec<Target> {
    let mut all: Vec<Target> = (0..bench.components.len())
        .flat_map(|component| {
            backings
                .iter()
                .map(move |&backing| Target::Host { component, backing })
        })
        .collect();
    all.push(Target::Native);
    all
}

/// One run: a fresh target, a warm-up of a tenth of the requests (first instantiations,
/// connections, allocator, SQLite's cache), then the measured load.
async fn one_run(
    bench: &Bench,
    target: Target,
    body: &Body,
    expect: u16,
    clients: usize,
    requests: usize,
) -> Sample {
    let serving = bench.serve(target).await;
    let warm = Amount::Requests(requests / 10);
    closed_loop(&serving, body.clone(), expect, clients, warm).await;
    let amount = Amount::Requests(requests);
    let sample = closed_loop(&serving, body.clone(), expect, clients, amount).await;
    serving.stop().await;
    sample
}

/// The table of both scenarios: every target, `--runs` interleaved runs, medians.
async fn table(bench: &Bench, options: &Options, markdown: &mut String) {
    let (forward, incomplete) = bodies();
    let targets = targets(bench, &options.backing);
    let clients = usize::from(options.clients);
    println!();
    println!(
        "POST /api/requests: {} requests per run after a warm-up, {clients} concurrent clients, new connection per request, median of {}",
        options.requests,
        runs(options.runs)
    );
    println!("{}", report::TABLE_HEAD);
    let mut figures = Vec::new();
    for (scenario, body, status) in [
        ("forward", &forward, 202),
        ("needs_changes", &incomplete, 422),
    ] {
        let mut samples: Vec<Vec<Sample>> = vec![Vec::new(); targets.len()];
        for run in 0..options.runs {
            for i in in_turn(run, targets.len()) {
                let requests = options.requests as usize;
                samples[i].push(one_run(bench, targets[i], body, status, clients, requests).await);
            }
        }
        let scenario_figures: Vec<Figure> = samples.iter().map(|s| Figure::of(s)).collect();
        for (target, figure) in targets.iter().zip(&scenario_figures) {
            println!(
                "{}",
                report::table_row(scenario, &bench.label(*target), figure)
            );
        }
        figures.push((scenario, scenario_figures));
    }
    println!();
    let native = targets.len() - 1;
    for (scenario, figures) in &figures {
        for (i, target) in targets[..native].iter().enumerate() {
            let (host, nat) = (&figures[i], &figures[native]);
            println!(
                "{scenario:<14} native / {}: throughput {:.1}×, p50 {:.1}×, p99 {:.1}×",
                bench.label(*target),
                nat.per_second / host.per_second,
                host.p50.as_secs_f64() / nat.p50.as_secs_f64(),
                host.p99.as_secs_f64() / nat.p99.as_secs_f64()
            );
        }
        // The first component against each other one, backing by backing.
        for (i, target) in targets[..native].iter().enumerate() {
            let Target::Host { component, backing } = *target else {
                continue;
            };
            if component == 0 {
                continue;
            }
            let first = targets
                .iter()
                .position(|t| {
                    *t == Target::Host {
                        component: 0,
                        backing,
                    }
                })
                .expect("the first component runs on every backing");
            let (new, old) = (&figures[first], &figures[i]);
            let paired = Paired::of(new, old);
            println!(
                "{scenario:<14} {} / {}: throughput {:.2}× (run by run: median {:.2}×, {:.2}–{:.2}×), p50 {:.2}× lower, p99 {:.2}× lower",
                bench.label(targets[first]),
                bench.label(*target),
                new.per_second / old.per_second,
                paired.median,
                paired.low,
                paired.high,
                old.p50.as_secs_f64() / new.p50.as_secs_f64(),
                old.p99.as_secs_f64() / new.p99.as_secs_f64()
            );
        }
    }
    readme_rows(bench, options, &targets, &figures, markdown);
}

/// README's rows for the first component (and, with more components, before → after).
fn readme_rows(
    bench: &Bench,
    options: &Options,
    targets: &[Target],
    figures: &[(&str, Vec<Figure>)],
    markdown: &mut String,
) {
    let of = |scenario: &str, target: Target| -> &Figure {
        let (_, list) = figures
            .iter()
            .find(|(s, _)| *s == scenario)
            .expect("scenario");
        &list[targets.iter().position(|t| *t == target).expect("target")]
    };
    let command = format!(
        "`cargo bench -p rsos-edge-host --bench post` ({} clients, median of {})",
        options.clients,
        runs(options.runs)
    );
    let nat = of("forward", Target::Native);
    for (k, &backing) in options.backing.iter().enumerate() {
        let f = of(
            "forward",
            Target::Host {
                component: 0,
                backing,
            },
        );
        let native_text = if k == 0 {
            format!(
                "same rules behind a native hyper handler, no key-value: {}",
                speed_text(nat)
            )
        } else {
            format!("native: {} req/s", whole(nat.per_second))
        };
        let _ = writeln!(
            markdown,
            "| edge POST, forward (2 emails), key-value {} | wasmtime host: **{}**; {} per request | {native_text} ({:.1}×) | {} |",
            backing_text(backing.name()),
            speed_text(f),
            report::operations_text(f),
            nat.per_second / f.per_second,
            if k == 0 { command.as_str() } else { "same" }
        );
    }
    let nat = of("needs_changes", Target::Native);
    let parts: Vec<String> = options
        .backing
        .iter()
        .map(|&backing| {
            let f = of(
                "needs_changes",
                Target::Host {
                    component: 0,
                    backing,
                },
            );
            format!("{}: {}", backing.name(), speed_text(f))
        })
        .collect();
    let first = of(
        "needs_changes",
        Target::Host {
            component: 0,
            backing: options.backing[0],
        },
    );
    let _ = writeln!(
        markdown,
        "| edge POST, 422 (rules only) | {}; {} per request | native: {} ({:.1}× {}) | same |",
        parts.join("; "),
        report::operations_text(first),
        speed_text(nat),
        nat.per_second / first.per_second,
        options.backing[0].name()
    );
    // Before → after: the first component against each other one, on SQLite if it ran.
    let backing = if options.backing.contains(&BackingKind::Sqlite) {
        BackingKind::Sqlite
    } else {
        options.backing[0]
    };
    for other in 1..bench.components.len() {
        let new = of(
            "forward",
            Target::Host {
                component: 0,
                backing,
            },
        );
        let old = of(
            "forward",
            Target::Host {
                component: other,
                backing,
            },
        );
        let paired = Paired::of(new, old);
        let _ = writeln!(
            markdown,
            "| edge forward {}: `{}` vs `{}` component | {}; {} per request | {}; {} per request ({:.1}× the throughput by medians, {:.1}× run by run, {:.1}–{:.1}×; p50 {:.1}× lower) | `… --bench post -- --component {}=… --component {}=…` ([notes](benchmarks/edge/README.md)) |",
            backing_text(backing.name()),
            bench.components[0].name,
            bench.components[other].name,
            speed_text(new),
            report::operations_text(new),
            speed_text(old),
            report::operations_text(old),
            new.per_second / old.per_second,
            paired.median,
            paired.low,
            paired.high,
            old.p50.as_secs_f64() / new.p50.as_secs_f64(),
            bench.components[0].name,
            bench.components[other].name,
        );
    }
}

/// The sweep: at each level, every target's closed-loop figures and its memory per request
/// in flight, `--runs` interleaved runs, medians.
async fn sweep(bench: &Bench, options: &Options, markdown: &mut String) {
    let (forward, _) = bodies();
    let targets = targets(bench, &options.backing);
    let seconds = Duration::from_secs_f64(options.sweep_seconds);
    println!();
    println!(
        "sweep, forward: {:.0} s of closed-loop load per level and target after a warm-up, then as many requests held at the mail API at once (memory above a trimmed baseline, per request in flight); median of {}",
        options.sweep_seconds,
        runs(options.runs)
    );
    println!("{}", report::SWEEP_HEAD);
    let mut results: Vec<(u16, Vec<(Figure, Memory)>)> = Vec::new();
    for &clients in &options.sweep {
        let mut samples: Vec<Vec<Sample>> = vec![Vec::new(); targets.len()];
        let mut memory: Vec<Vec<measure::Parked>> = vec![Vec::new(); targets.len()];
        for run in 0..options.runs {
            for i in in_turn(run, targets.len()) {
                let serving = bench.serve(targets[i]).await;
                let n = usize::from(clients);
                let warm = Amount::Requests(n.max(20));
                closed_loop(&serving, forward.clone(), 202, n, warm).await;
                samples[i].push(
                    closed_loop(&serving, forward.clone(), 202, n, Amount::For(seconds)).await,
                );
                memory[i].push(parked(&serving, &bench.sink, &forward, n).await);
                serving.stop().await;
            }
        }
        let level: Vec<(Figure, Memory)> = samples
            .iter()
            .zip(&memory)
            .map(|(s, m)| (Figure::of(s), Memory::of(m)))
            .collect();
        for (target, (figure, memory)) in targets.iter().zip(&level) {
            println!(
                "{}",
                report::sweep_row(clients, &bench.label(*target), figure, memory)
            );
        }
        results.push((clients, level));
    }
    // README: from the lowest to the highest level, for the first component and native.
    let (Some((low, first)), Some((high, last))) = (results.first(), results.last()) else {
        return;
    };
    let mut parts = Vec::new();
    for (i, target) in targets.iter().enumerate() {
        let name = match target {
            Target::Host {
                component: 0,
                backing,
            } => backing_text(backing.name()).to_owned(),
            Target::Native => continue,
            Target::Host { .. } => continue,
        };
        let memory = median(results.iter().map(|(_, level)| level[i].1.mib()).collect());
        parts.push(format!(
            "{name}: {} → {} req/s, p99 {} → {}; {:.1} MiB per request in flight",
            whole(first[i].0.per_second),
            whole(last[i].0.per_second),
            report::ms(first[i].0.p99),
            report::ms(last[i].0.p99),
            memory
        ));
    }
    let native = targets.len() - 1;
    let nat_memory = median(
        results
            .iter()
            .map(|(_, level)| level[native].1.mib())
            .collect(),
    );
    let levels: Vec<String> = options.sweep.iter().map(u16::to_string).collect();
    let _ = writeln!(
        markdown,
        "| edge forward, {low} → {high} concurrent agents | {} | native: {} → {} req/s; {:.2} MiB per request in flight | `… --bench post -- --sweep {}` ([sweep](benchmarks/edge/README.md)) |",
        parts.join("; "),
        whole(first[native].0.per_second),
        whole(last[native].0.per_second),
        nat_memory,
        levels.join(",")
    );
}

use report::{median, whole};

#[tokio::main]
async fn main() -> ExitCode {
    let options = match Options::parse().validated() {
        Ok(options) => options,
        Err(problem) => {
            eprintln!("{problem}; see --help");
            return ExitCode::from(2);
        }
    };
    println!("machine load before: {}", machine_load());
    let started = Instant::now();
    let engine = EdgeRuntime::engine().expect("engine");
    let mut components = Vec::new();
    for (name, path) in options.component_paths(kit::component_path) {
        let compiling = Instant::now();
        let compiled = match EdgeRuntime::compile(&engine, &path) {
            Ok(compiled) => compiled,
            Err(e) => {
                eprintln!("cannot load the component `{name}`: {e}");
                return ExitCode::from(2);
            }
        };
        println!(
            "component `{name}`: {} (compiled in {:.1?})",
            path.display(),
            compiling.elapsed()
        );
        components.push(Component { name, compiled });
    }
    let mut redis_server = None;
    let redis = if options.backing.contains(&BackingKind::Redis) {
        match &options.redis_url {
            Some(url) => Some((url.clone(), false)),
            None => match kit::RedisServer::start() {
                Ok(server) => {
                    let url = server.url.clone();
                    redis_server = Some(server);
                    Some((url, true))
                }
                Err(problem) => {
                    eprintln!("{problem}");
                    return ExitCode::from(2);
                }
            },
        }
    } else {
        None
    };
    let sink = Sink::start().await;
    let native = targets::serve_native(sink.addr).await;
    let store_dir = tempfile::Builder::new()
        .prefix("rsos-post-bench-kv")
        .tempdir_in(kit::target_dir())
        .expect("a directory for the SQLite stores");
    let bench = Bench {
        engine,
        components,
        sink,
        native,
        rate_limits: options.rate_limits,
        redis,
        store_dir,
        databases: AtomicU64::new(0),
    };
    println!("rate limits: {}", options.rate_limits.describe());
    println!("component log: {}", options.log.display());
    let saved = match kit::component_log::redirect_stderr(&options.log) {
        Ok(saved) => saved,
        Err(e) => {
            eprintln!("cannot write {}: {e}", options.log.display());
            return ExitCode::from(2);
        }
    };
    // Stderr is the log file now: say on stdout why the bench stopped.
    let report_panic = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        println!("the bench stopped: {info}");
        report_panic(info);
    }));
    let mut markdown = String::new();
    if !options.sweep_only {
        table(&bench, &options, &mut markdown).await;
    }
    if !options.sweep.is_empty() {
        sweep(&bench, &options, &mut markdown).await;
    }
    kit::component_log::restore_stderr(saved);
    println!();
    println!(
        "machine load after: {} ({:.0} s)",
        machine_load(),
        started.elapsed().as_secs_f64()
    );
    println!();
    println!("README rows:");
    print!("{markdown}");
    if let Some(path) = &options.markdown {
        if let Err(e) = std::fs::write(path, &markdown) {
            eprintln!("cannot write {}: {e}", path.display());
            return ExitCode::FAILURE;
        }
    }
    drop(redis_server);
    ExitCode::SUCCESS
}
