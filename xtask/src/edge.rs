//! Building, testing and serving the Spin edge component (`edge/`, package `rsos-edge`) with
//! its wasmtime host (`crates/edge-host`, package `rsos-edge-host`).
//!
//! `build` compiles the component for `wasm32-wasip2` (what `spin build` does with the
//! manifest's build command). `test` builds it and runs the host's tests, which load that very
//! file into wasmtime. `run` serves it like `spin up` would, plus the built form from `dist/`
//! and a local mailbox, on http://127.0.0.1:8080.
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::time::{Duration, Instant};

use anyhow::{bail, Result};

use crate::shell::{cargo, cargo_command, root, run as run_command, target_dir};

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
    let key_value = target_dir().join("rsos-edge-kv.db");
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
        .args(["--var", &format!("allowed_origins={origin}")])
        // The promise ledger's links and sweep, as a deployment would run them: links point
        // at this host, the sweep runs every minute (local secrets: this serves 127.0.0.1).
        .args(["--var", &format!("public_url={origin}")])
        .args(["--var", "link_secret=local-demo-link-secret"])
        .args(["--var", "maintenance_token=local-demo-maintenance-token"])
        // The coaching insights for scripts: `curl -H 'Authorization: Bearer
        // local-demo-insights-token' http://127.0.0.1:8080/api/insights?format=csv`.
        .args(["--var", "insights_token=local-demo-insights-token"])
        .args(["--sweep-every-s", "60"]);
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

/// A port nobody listens on right now, for a server started next.
pub fn free_port() -> Result<u16> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    Ok(listener.local_addr()?.port())
}

/// The edge host serving the built component, `dist/` and the local mailbox on a free port
/// of 127.0.0.1, for the end-to-end tests; stopped when dropped. It signs links (status
/// pages, the team's actions, the agent's details form at `<url>/?details=`, the insights
/// page) with [`LocalHost::LINK_SECRET`] and answers `GET /api/insights` to
/// [`LocalHost::INSIGHTS_TOKEN`]; the tests get both (`RSOS_E2E_LINK_SECRET`,
/// `RSOS_E2E_INSIGHTS_TOKEN`) to sign an insights link and read the counts.
pub struct LocalHost {
    pub url: String,
    child: Child,
}

impl LocalHost {
    pub const LINK_SECRET: &'static str = "e2e link secret, local only";
    pub const INSIGHTS_TOKEN: &'static str = "e2e-insights-token";

    pub fn start(dist: &Path, extra_origins: &[&str]) -> Result<LocalHost> {
        let wasm = build()?;
        // Built as the host's tests build it (same features, dev-dependencies unified), so
        // after `edge::test` this compiles nothing: no second wasmtime build.
        cargo(&["test", "-p", "rsos-edge-host", "--no-run"])?;
        let binary = target_dir().join("debug/rsos-edge-host");
        let port = free_port()?;
        let url = format!("http://127.0.0.1:{port}");
        let mut origins = vec![url.clone()];
        origins.extend(extra_origins.iter().map(|o| o.to_string()));
        let child = Command::new(&binary)
            .arg("serve")
            .arg("--component")
            .arg(&wasm)
            .arg("--manifest")
            .arg(root().join("edge/spin.toml"))
            .args(["--listen", &format!("127.0.0.1:{port}"), "--local-mailbox"])
            .arg("--static")
            .arg(dist)
            .args(["--var", &format!("allowed_origins={}", origins.join(","))])
            // The suite sends dozens of requests and form events as one agent from one
            // address in a minute.
            .args(["--var", "rate_limit_per_address_per_minute=0"])
            .args(["--var", "rate_limit_per_san_per_hour=0"])
            .args(["--var", "rate_limit_events_per_minute=0"])
            .args(["--var", &format!("public_url={url}")])
            .args(["--var", &format!("link_secret={}", Self::LINK_SECRET)])
            .args(["--var", &format!("insights_token={}", Self::INSIGHTS_TOKEN)])
            .spawn()
            .map_err(|e| anyhow::anyhow!("cannot start {}: {e}", binary.display()))?;
        let mut host = LocalHost { url, child };
        let addr: SocketAddr = ([127, 0, 0, 1], port).into();
        let deadline = Instant::now() + Duration::from_secs(120);
        while TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_err() {
            if let Some(status) = host.child.try_wait()? {
                bail!("the edge host exited before serving ({status})");
            }
            if Instant::now() > deadline {
                bail!("the edge host did not listen on {addr} within 2 minutes");
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        println!("edge host for the e2e tests: {}", host.url);
        Ok(host)
    }
}

impl Drop for LocalHost {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
