//! `cargo xtask load [--seconds 60 --agents 200 --fail 0.30 --hang 0.05 --backing sqlite …]`:
//! the load figures of issues 5 and 13. Builds the edge component, then runs the `load` bench
//! of `rsos-edge-host` (`crates/edge-host/benches/load/`) against that very file, passing the
//! arguments through (`-- --help` lists them; `--backing memory|sqlite|redis` picks the
//! key-value store). The bench prints the figures, key-value operations per request among
//! them, and fails if an accepted request was lost or delivered twice.

use anyhow::Result;

use crate::edge;
use crate::shell::{root, run as run_command};

pub fn run(args: &[String]) -> Result<()> {
    // `cargo xtask load -- --seconds 60` hands this task the `--` too; the bench's option
    // parser would read everything after it as positional words.
    let args = args.strip_prefix(&["--".to_owned()]).unwrap_or(args);
    // Absolute: cargo runs the bench from the package's directory, not the root.
    let wasm = root().join(edge::build()?);
    run_command(
        crate::shell::cargo_command()
            .args(["bench", "-p", "rsos-edge-host", "--bench", "load", "--"])
            .args(args)
            .env("RSOS_EDGE_COMPONENT", &wasm),
    )
}
