//! Build chores in Rust, the rust-analyzer way: `cargo xtask <task>` needs no extra install.
//!
//! - `cargo xtask run`: build the form and the edge component, then serve the demo portal,
//!   the form, the edge API and a local mailbox on http://127.0.0.1:8080.
//! - `cargo xtask test`: every test: native crates, the edge component in wasmtime, the form
//!   in headless Chromium, end to end.
//! - `cargo xtask bench`: the side-by-side figures in one run: verdict time (native, WASM in
//!   Chromium, GoRules ZEN), form bytes and throttled start (vs React + react-hook-form +
//!   zod), edge throughput (wasmtime host on in-memory and SQLite key-value vs a native
//!   handler; `cargo xtask bench edge` runs only that part); it rewrites README's edge rows.
//! - `cargo xtask bench-form`: only the form's figures (bytes and throttled start vs React).
//! - `cargo xtask load [-- --seconds 60 --agents 200]`: the edge under load with a flaky mail API.
//! - `cargo xtask test-form`: only the form's tests (in Chromium, and end to end against the
//!   real edge host).
//! - `cargo xtask setup`: install the tools both need (run and test do it themselves).
//! - `cargo xtask build-edge` / `cargo xtask build-form [--stable]`: one artefact each.

mod bench;
mod edge;
mod form;
mod load;
mod setup;
mod shell;

use anyhow::{bail, Result};

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let task = args.first().map(String::as_str).unwrap_or("help");
    match task {
        "build-edge" => edge::build().map(drop),
        "build-form" => form::build(form::Toolchain::from_args(&args[1..])?).map(drop),
        "setup" => setup::for_test(),
        "bench" if args.get(1).is_some_and(|a| a == "edge") => bench::edge(),
        "bench" => bench_all(),
        "bench-form" => setup::for_test().and_then(|()| bench::form()),
        "load" => load::run(&args[1..]),
        "test" => test(),
        "test-form" => setup::for_test().and_then(|()| form::test()),
        "run" => run(&args[1..]),
        "help" | "--help" | "-h" => {
            println!(
                "usage: cargo xtask <run|test|test-form|bench|bench-form|load|setup|build-edge|build-form [--stable]>"
            );
            Ok(())
        }
        other => bail!("unknown task `{other}`: try `cargo xtask help`"),
    }
}

fn test() -> Result<()> {
    setup::for_test()?;
    // Native crates. The edge host's tests need the built component, so `edge::test` runs
    // them; the WASM-only crates are tested in their own targets below.
    shell::cargo(&[
        "test",
        "--workspace",
        "--exclude",
        "rsos-edge",
        "--exclude",
        "rsos-edge-host",
        "--exclude",
        "rsos-form",
        "--exclude",
        "rsos-verdict-bench-wasm",
    ])?;
    // The fuzz corpus replayed through the fuzz properties: the CI smoke of `cargo fuzz`.
    shell::cargo(&[
        "test",
        "--manifest-path",
        "fuzz/Cargo.toml",
        "--no-default-features",
    ])?;
    edge::test()?;
    form::test()?;
    Ok(())
}

fn bench_all() -> Result<()> {
    setup::for_test()?;
    bench::verdict()?;
    bench::form()?;
    bench::edge()
}

fn run(_args: &[String]) -> Result<()> {
    setup::for_run()?;
    form::build(form::Toolchain::BuildStd)?;
    edge::run()
}
