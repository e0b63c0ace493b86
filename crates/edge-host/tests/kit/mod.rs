//! The edge host's test kit, one for the integration tests (`tests/edge`) and both benches
//! (`benches/post`, `benches/load`), which include it with `#[path]`: the component (built
//! if needed, compiled once per process), a host on an ephemeral 127.0.0.1 port that stops when
//! dropped, a scriptable stand-in mail API that stops when its last handle is dropped, a raw
//! HTTP/1.1 client (raw, so tests can send what well-behaved clients never would), for the
//! benches a throwaway `redis-server` and their backing and rate-limit options, and the facts
//! the tests check against (the mailbox address from the built-in ruleset, a forwardable
//! request).

#![allow(dead_code, unused_imports)] // each test module and bench uses its own part of the kit

pub mod bench_options;
pub mod client;
pub mod component_log;
pub mod mail_api;
pub mod redis_server;
pub mod stack;

use std::path::PathBuf;
use std::sync::OnceLock;

use rsos_edge_host::EdgeRuntime;
use serde_json::Value;
use wasmtime::component::Component;
use wasmtime::Engine;

pub use bench_options::*;
pub use client::*;
pub use mail_api::*;
pub use redis_server::*;
pub use stack::*;

/// The workspace root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("workspace root")
}

/// Cargo's target directory: `$CARGO_TARGET_DIR` (relative to the root, where cargo runs) or
/// `<root>/target`.
pub fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(|dir| root().join(dir))
        .unwrap_or_else(|| root().join("target"))
}

/// `RSOS_EDGE_COMPONENT` if set (xtask builds it first), else the component cargo builds
/// right here — a no-op when it is fresh — at `<target>/wasm32-wasip2/release/rsos_edge.wasm`,
/// so a plain `cargo test` or `cargo bench` never runs a stale one.
pub fn component_path() -> PathBuf {
    if let Some(path) = std::env::var_os("RSOS_EDGE_COMPONENT") {
        return PathBuf::from(path);
    }
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let status = std::process::Command::new(cargo)
        .args([
            "build",
            "-p",
            "rsos-edge",
            "--release",
            "--target",
            "wasm32-wasip2",
        ])
        .current_dir(root())
        .status()
        .expect("cargo runs");
    assert!(status.success(), "building the edge component failed");
    let path = target_dir().join("wasm32-wasip2/release/rsos_edge.wasm");
    assert!(
        path.exists(),
        "{} is missing after the build",
        path.display()
    );
    path
}

/// The engine and the component, compiled once per process.
pub fn compiled() -> &'static (Engine, Component) {
    static COMPILED: OnceLock<(Engine, Component)> = OnceLock::new();
    COMPILED.get_or_init(|| {
        let engine = EdgeRuntime::engine().expect("engine");
        let component =
            EdgeRuntime::compile(&engine, &component_path()).expect("component compiles");
        (engine, component)
    })
}

/// `edge/spin.toml`.
pub fn manifest() -> PathBuf {
    root().join("edge/spin.toml")
}

/// Where forwards go unless `mailbox_address` says otherwise: the built-in ruleset's mailbox,
/// which `edge/spin.toml`'s default repeats.
pub fn mailbox_address() -> &'static str {
    rsos_rules::Ruleset::builtin().mailbox()
}

/// A complete, in-scope Medicare request.
pub fn forwardable() -> Value {
    serde_json::json!({
        "line_of_business": "medicare",
        "topic": "claims",
        "agent_name": "Pat Agent",
        "agent_san": "A12345",
        "agent_email": "pat.agent@agency.example",
        "member_id": "H1234-5678",
        "member_first_name": "John",
        "member_last_name": "Smith",
        "reference_number": "CLM-20261101",
        "summary": "Claim for the March 3 office visit was denied as out of network.",
        "confirm_single_line_of_business": false
    })
}
