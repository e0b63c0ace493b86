//! Building, testing and serving the Spin edge component (`edge/`, package `rsos-edge`) with
//! its wasmtime host (`crates/edge-host`, package `rsos-edge-host`).
//!
//! `build` compiles the component for `wasm32-wasip2` (what `spin build` does with the
//! manifest's build command). `test` builds it and runs the host's tests, which load that very
//! file into wasmtime. `run` serves it like `spin up` would, plus the built form from `dist/`
//! and a local mailbox, on http://127.0.0.1:8080.
use std::path::PathBuf;
use std::process::Command;

use anyhow::{bail, Result};

use crate::shell::{cargo, root, run as run_command, target_dir};

const TARGET: &str = "wasm32-wasip2";
const LISTEN: &str = "127.0.0.1:8080";

pub fn build() -> Result<PathBuf> {
    cargo(&["build", "-p", "rsos-edge", "--release", "--target", TARGET])?;
    let wasm = target_dir().join(TARGET).join("release/rsos_edge.wasm");
    if !wasm.exists() {
        bail!("the build finished but {} is missing", wasm.display());
    }
    println!("edge component: {}", wasm.display());
    Ok(wasm)
}

fn cargo_command() -> Command {
    Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
}

pub fn test() -> Result<()> {
    let wasm = build()?;
    run_command(
        cargo_command()
            .args(["test", "-p", "rsos-edge-host"])
            .env("RSOS_EDGE_COMPONENT", &wasm),
    )
}

pub fn run() -> Result<()> {
    let wasm = build()?;
    let root = root();
    let manifest = root.join("edge/spin.toml");
    let dist = root.join("dist");
    let key_value = target_dir().join("rsos-edge-kv.json");
    let origin = format!("http://{LISTEN}");
    let mut command = cargo_command();
    command
        .args([
            "run",
            "--release",
            "-p",
            "rsos-edge-host",
            "--",
            "serve",
            "--component",
        ])
        .arg(&wasm)
        .arg("--manifest")
        .arg(&manifest)
        .args(["--listen", LISTEN, "--local-mailbox"])
        .arg("--key-value-file")
        .arg(&key_value)
        .args(["--var", &format!("allowed_origins={origin}")]);
    if dist.is_dir() {
        command.arg("--static").arg(&dist);
    } else {
        println!(
            "no {} yet: serving the API and the mailbox only",
            dist.display()
        );
    }
    run_command(&mut command)
}
