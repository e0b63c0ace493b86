//! Benchmarks that print figures (issue 5, "Performance, side by side in one run").
//!
//! `verdict`: the time of one verdict for the same requests (the shared vectors and one with a
//! 4000-character summary) in rsos-rules natively, in rsos-rules compiled to WASM and run in
//! headless Chromium, and in GoRules ZEN on the equivalent decision graph
//! `benchmarks/verdict/zen/intake.json`; prints a markdown table. See
//! `benchmarks/verdict/README.md` for what is measured.
//!
//! `form`: what a portal downloads for the form (raw, gzip -9, brotli 11) against the same
//! form in React 19 + react-hook-form + zod, and the time from inserting the tag to an
//! interactive form for both in one throttled Chromium run; see
//! `benchmarks/form-size/README.md`.
//!
//! `edge`: requests/s, p50/p99 and key-value operations per request of the edge component in
//! the wasmtime host on the in-memory and SQLite backings, against the same rules behind a
//! native handler (the `post` bench of rsos-edge-host); puts its rows into README's table.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context, Result};

use crate::shell::{cargo, cargo_command, locked_version, reports_version, root, run, target_dir};

const WASM_TARGET: &str = "wasm32-unknown-unknown";
const PACKAGE: &str = "rsos-verdict-bench-wasm";
const NATIVE_BIN: &str = "rsos-verdict-bench-native";
const CHROMIUM: &str = "/usr/bin/chromium";

/// Builds the native timing binary (release) and the WASM (profile `form`, then
/// `wasm-bindgen --target web`), installs the node packages from the lock file, and runs
/// `benchmarks/verdict/run.mjs`, which prints the table.
pub fn verdict() -> Result<()> {
    let root = root();
    let target = target_dir();
    let bench = root.join("benchmarks/verdict");
    let bindgen = wasm_bindgen()?;
    need_wasm_target()?;
    if !Path::new(CHROMIUM).exists() {
        bail!("{CHROMIUM} is missing: install Debian's Chromium (`apt-get install -y chromium`)");
    }

    cargo(&["build", "--release", "-p", PACKAGE, "--bin", NATIVE_BIN])?;
    let native = target
        .join("release")
        .join(format!("{NATIVE_BIN}{}", std::env::consts::EXE_SUFFIX));

    cargo(&[
        "build",
        "--profile",
        "form",
        "--target",
        WASM_TARGET,
        "-p",
        PACKAGE,
        "--lib",
    ])?;
    let compiled = target
        .join(WASM_TARGET)
        .join("form")
        .join("rsos_verdict_bench_wasm.wasm");
    let bound = target.join("verdict-bench-wasm");
    if bound.exists() {
        fs::remove_dir_all(&bound).with_context(|| format!("cannot clear {}", bound.display()))?;
    }
    run(Command::new(&bindgen)
        .args(["--target", "web", "--no-typescript", "--out-dir"])
        .arg(&bound)
        .arg(&compiled))?;

    npm_ci(&bench)?;
    run(Command::new("node")
        .arg(bench.join("run.mjs"))
        .env("RSOS_BENCH_NATIVE", &native)
        .env("RSOS_BENCH_WASM_DIR", &bound)
        .env("CHROMIUM", CHROMIUM))
}

/// Builds the shipped form and the React comparison, prints their sizes
/// (`benchmarks/form-size/build.mjs`, which writes `report.json`), then the throttled
/// tag-to-interactive times (`start.mjs`, which writes `start.json`).
pub fn form() -> Result<()> {
    let dist = crate::form::build(crate::form::Toolchain::BuildStd)?;
    let bench = root().join("benchmarks/form-size");
    if !Path::new(CHROMIUM).exists() {
        bail!("{CHROMIUM} is missing: install Debian's Chromium (`apt-get install -y chromium`)");
    }
    npm_ci(&bench)?;
    run(Command::new("node")
        .arg(bench.join("build.mjs"))
        .env("RSOS_DIST", &dist))?;
    run(Command::new("node")
        .arg(bench.join("start.mjs"))
        .env("RSOS_DIST", &dist)
        .env("CHROMIUM", CHROMIUM))
}

/// `wasm-bindgen` at exactly the version Cargo.lock resolves: another version refuses (or
/// silently mis-binds) the module.
fn wasm_bindgen() -> Result<PathBuf> {
    let version = locked_version("wasm-bindgen")?;
    if !reports_version("wasm-bindgen", &format!("wasm-bindgen {version}")) {
        bail!(
            "`wasm-bindgen` {version} is not on PATH: install it with `cargo install wasm-bindgen-cli --version ={version}` (or `cargo xtask setup`)"
        );
    }
    Ok(PathBuf::from("wasm-bindgen"))
}

fn need_wasm_target() -> Result<()> {
    let installed = Command::new("rustup")
        .args(["target", "list", "--installed"])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
        .unwrap_or_default();
    if !installed.lines().any(|l| l.trim() == WASM_TARGET) {
        bail!("the {WASM_TARGET} target is missing: `rustup target add {WASM_TARGET}`");
    }
    Ok(())
}

/// The locked node packages, installed unless node_modules already holds them. `npm ci`
/// first; if it refuses (a registry mirror without some other platform's optional ZEN
/// binary leaves those out of the lock), `npm install --no-save` installs the same locked
/// versions without rewriting the lock file.
fn npm_ci(dir: &Path) -> Result<()> {
    if installed_as_locked(dir)? {
        return Ok(());
    }
    println!(
        "bench: installing the locked node packages in {}",
        dir.display()
    );
    let ci = Command::new("npm")
        .args(["ci", "--no-audit", "--no-fund", "--prefix"])
        .arg(dir)
        .current_dir(root())
        .output()
        .context("could not start npm")?;
    if ci.status.success() {
        return Ok(());
    }
    let stderr = String::from_utf8_lossy(&ci.stderr);
    let reason = stderr
        .lines()
        .map(|l| l.trim_start_matches("npm error").trim())
        .find(|l| !l.is_empty() && !l.starts_with("code "))
        .unwrap_or("no reason given");
    println!("bench: `npm ci` refused ({reason}); `npm install --no-save` from the same lock file");
    run(Command::new("npm")
        .args([
            "install",
            "--no-audit",
            "--no-fund",
            "--no-save",
            "--prefix",
        ])
        .arg(dir))
}

/// Whether every package of package-lock.json is in node_modules at its locked version
/// (optional packages only when present: they are other platforms' binaries).
fn installed_as_locked(dir: &Path) -> Result<bool> {
    let lock_file = dir.join("package-lock.json");
    let lock = fs::read_to_string(&lock_file)
        .with_context(|| format!("cannot read {}", lock_file.display()))?;
    let mut entries = lock.split("\"node_modules/").skip(1).peekable();
    if entries.peek().is_none() {
        bail!("{} lists no packages", lock_file.display());
    }
    for entry in entries {
        let Some((name, body)) = entry.split_once('"') else {
            return Ok(false);
        };
        let block = body.split("\n    }").next().unwrap_or(body);
        let Some(version) = block
            .split("\"version\": \"")
            .nth(1)
            .and_then(|v| v.split('"').next())
        else {
            return Ok(false);
        };
        let manifest = dir.join("node_modules").join(name).join("package.json");
        let installed = fs::read_to_string(&manifest).ok();
        let optional = block.contains("\"optional\": true");
        match installed {
            None if optional => continue,
            None => return Ok(false),
            Some(text) if !text.contains(&format!("\"version\": \"{version}\"")) => {
                return Ok(false)
            }
            Some(_) => {}
        }
    }
    Ok(true)
}

/// README's rows that `edge` writes: every row whose first cell starts with this.
const EDGE_ROWS: &str = "| edge POST";

/// Builds the edge component and runs `cargo bench -p rsos-edge-host --bench post` on the
/// in-memory and SQLite backings (16 clients, median of 3 runs, as the bench defaults), which
/// prints the table; then replaces README's edge rows with the ones it wrote.
pub fn edge() -> Result<()> {
    let wasm = root().join(crate::edge::build()?);
    let rows_file = root().join(target_dir()).join("bench/edge-rows.md");
    if let Some(dir) = rows_file.parent() {
        fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    run(cargo_command()
        .args(["bench", "-p", "rsos-edge-host", "--bench", "post", "--"])
        .args(["--backing", "memory,sqlite", "--markdown"])
        .arg(&rows_file)
        .env("RSOS_EDGE_COMPONENT", &wasm))?;
    let rows = fs::read_to_string(&rows_file)
        .with_context(|| format!("cannot read {}", rows_file.display()))?;
    let rows: Vec<&str> = rows.lines().filter(|l| l.starts_with(EDGE_ROWS)).collect();
    let readme = root().join("README.md");
    let text =
        fs::read_to_string(&readme).with_context(|| format!("cannot read {}", readme.display()))?;
    fs::write(&readme, replace_rows(&text, EDGE_ROWS, &rows)?)
        .with_context(|| format!("cannot write {}", readme.display()))?;
    println!("bench: README.md's edge rows regenerated");
    Ok(())
}

/// `text` with its lines starting with `prefix` replaced by `rows`, where the first of them
/// was; an error when there is none (the table changed shape: put one row there by hand).
fn replace_rows(text: &str, prefix: &str, rows: &[&str]) -> Result<String> {
    let lines: Vec<&str> = text.lines().collect();
    let Some(first) = lines.iter().position(|l| l.starts_with(prefix)) else {
        bail!("README.md has no row starting with `{prefix}` to replace");
    };
    let mut out: Vec<&str> = lines[..first]
        .iter()
        .copied()
        .filter(|l| !l.starts_with(prefix))
        .collect();
    out.extend_from_slice(rows);
    out.extend(
        lines[first..]
            .iter()
            .copied()
            .filter(|l| !l.starts_with(prefix)),
    );
    let mut joined = out.join("\n");
    if text.ends_with('\n') {
        joined.push('\n');
    }
    Ok(joined)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edge_rows_are_replaced_where_the_first_one_was() {
        let text = "| a |\n| edge POST, x |\n| b |\n| edge POST, y |\n";
        let out = replace_rows(text, EDGE_ROWS, &["| edge POST, 1 |", "| edge POST, 2 |"]).unwrap();
        assert_eq!(out, "| a |\n| edge POST, 1 |\n| edge POST, 2 |\n| b |\n");
    }

    #[test]
    fn a_table_without_edge_rows_is_an_error() {
        assert!(replace_rows("| a |\n", EDGE_ROWS, &["| edge POST |"]).is_err());
    }
}
