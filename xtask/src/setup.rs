//! Installs what the build and the tests need, once, from the registries this project may
//! use: rustup targets and the `rust-src` component, `wasm-bindgen-cli` at the version Cargo.lock pins, npm packages from
//! the committed lock files, and (as root, for the tests) Debian's Chromium and Redis.
//! Every step checks first, so a second run costs a few process starts.

use std::path::Path;
use std::process::Command;

use anyhow::{bail, Result};

use crate::shell::{locked_version, reports_version, root, run};

const TARGETS: &[&str] = &["wasm32-unknown-unknown", "wasm32-wasip2"];
/// `rust-src`: the shipped form build recompiles std with `panic=immediate-abort`
/// (`-Zbuild-std`, see `form.rs`), which needs std's source; about 13 KB gzip off the form.
const COMPONENTS: &[&str] = &["rust-src"];
const NPM_DIRS: &[&str] = &["web", "tests/e2e"];

/// What `cargo xtask run` needs.
pub fn for_run() -> Result<()> {
    targets()?;
    components()?;
    wasm_bindgen()?;
    npm(&["web"])
}

/// What `cargo xtask test` needs on top: the browser, Redis and the e2e packages.
pub fn for_test() -> Result<()> {
    for_run()?;
    npm(NPM_DIRS)?;
    debian_packages()
}

fn targets() -> Result<()> {
    let installed = Command::new("rustup")
        .args(["target", "list", "--installed"])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
        .unwrap_or_default();
    let missing: Vec<&str> = TARGETS
        .iter()
        .copied()
        .filter(|t| !installed.lines().any(|l| l.trim() == *t))
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    println!("setup: adding rustup targets {}", missing.join(", "));
    run(Command::new("rustup")
        .args(["target", "add"])
        .args(&missing))
}

fn components() -> Result<()> {
    let installed = Command::new("rustup")
        .args(["component", "list", "--installed"])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
        .unwrap_or_default();
    // Installed components are listed with their host suffix (`rust-src` has none).
    let missing: Vec<&str> = COMPONENTS
        .iter()
        .copied()
        .filter(|c| {
            !installed
                .lines()
                .any(|l| l.trim() == *c || l.starts_with(&format!("{c}-")))
        })
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    println!("setup: adding rustup components {}", missing.join(", "));
    run(Command::new("rustup")
        .args(["component", "add"])
        .args(&missing))
}

fn wasm_bindgen() -> Result<()> {
    let version = locked_version("wasm-bindgen")?;
    if reports_version("wasm-bindgen", &version)
        && reports_version("wasm-bindgen-test-runner", &version)
    {
        return Ok(());
    }
    println!("setup: installing wasm-bindgen-cli {version} (once, a few minutes)");
    run(Command::new("cargo").args([
        "install",
        "wasm-bindgen-cli",
        "--version",
        &format!("={version}"),
    ]))
}

fn npm(dirs: &[&str]) -> Result<()> {
    for dir in dirs {
        let path = root().join(dir);
        if !path.join("package-lock.json").exists() || up_to_date(&path) {
            continue;
        }
        println!("setup: npm ci in {dir}");
        run(Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund", "--prefix"])
            .arg(&path))?;
    }
    Ok(())
}

/// `npm ci` leaves a copy of the lock file in node_modules; equal means nothing changed.
fn up_to_date(dir: &Path) -> bool {
    let lock = std::fs::read(dir.join("package-lock.json")).ok();
    let installed = std::fs::read(dir.join("node_modules/.package-lock.json")).ok();
    lock.is_some() && installed.is_some() && {
        // The hidden copy omits the root package entry, so compare the packages section only.
        let packages = |bytes: Vec<u8>| {
            let text = String::from_utf8_lossy(&bytes).into_owned();
            text.find("\"node_modules/").map(|i| text[i..].to_string())
        };
        lock.and_then(packages) == installed.and_then(packages)
    }
}

/// Chromium and its driver for the browser tests; redis-server for the several-instances
/// test.
fn debian_packages() -> Result<()> {
    let present = [
        "/usr/bin/chromium",
        "/usr/bin/chromedriver",
        "/usr/bin/redis-server",
    ]
    .iter()
    .all(|p| Path::new(p).exists());
    if present {
        return Ok(());
    }
    let root_user = Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false);
    if !root_user {
        bail!("the tests need Debian's Chromium and Redis: run `sudo apt-get install -y chromium chromium-driver redis-server`");
    }
    println!("setup: installing Debian's chromium, chromium-driver and redis-server");
    run(Command::new("apt-get").arg("update"))?;
    run(Command::new("apt-get")
        .args([
            "install",
            "-y",
            "--no-install-recommends",
            "chromium",
            "chromium-driver",
            "redis-server",
        ])
        .env("DEBIAN_FRONTEND", "noninteractive"))
}
