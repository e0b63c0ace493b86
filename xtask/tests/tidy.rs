//! Guard rails over the whole tree, as rust-analyzer's tidy test keeps its own: every source
//! file opens with a `//!` paragraph saying what it is; the pure cores (`crates/rules`,
//! `crates/delivery`) use no I/O, clock, randomness or platform code; and ARCHITECTURE.md's
//! code map names every module the code has, so the map a new maintainer reads first stays true.

use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask sits in the workspace root")
        .to_path_buf()
}

/// Every `.rs` file under `dir`, skipping build output and dependencies.
fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if path.is_dir() {
            if !matches!(
                name.as_ref(),
                "target" | "node_modules" | "corpus" | "artifacts"
            ) && !name.starts_with('.')
            {
                rust_files(&path, out);
            }
        } else if name.ends_with(".rs") {
            out.push(path);
        }
    }
}

fn all_rust_files() -> Vec<PathBuf> {
    let root = root();
    let mut files = Vec::new();
    for dir in [
        "crates",
        "edge",
        "web",
        "xtask",
        "fuzz",
        "benchmarks",
        "tests",
    ] {
        rust_files(&root.join(dir), &mut files);
    }
    files.sort();
    assert!(files.len() > 50, "found only {} source files", files.len());
    files
}

fn relative(path: &Path) -> String {
    path.strip_prefix(root())
        .unwrap_or(path)
        .display()
        .to_string()
}

#[test]
fn every_source_file_opens_with_a_module_paragraph() {
    let missing: Vec<String> = all_rust_files()
        .iter()
        .filter(|path| {
            let text = std::fs::read_to_string(path).unwrap_or_default();
            let first = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
            !first.starts_with("//!")
        })
        .map(|p| relative(p))
        .collect();
    assert!(
        missing.is_empty(),
        "these files do not open with a `//!` paragraph saying what they are: {missing:#?}"
    );
}

/// What the pure cores may not name: I/O, clocks, randomness, environment, processes,
/// threads and platform crates. Tests and build scripts may.
const IMPURE: &[&str] = &[
    "std::fs",
    "std::net",
    "std::io::stdin",
    "std::io::stdout",
    "std::io::stderr",
    "std::env",
    "std::process",
    "std::thread::sleep",
    "SystemTime",
    "Instant::now",
    "Utc::now",
    "Local::now",
    "rand::",
    "getrandom",
    "fastrand",
    "spin_sdk",
    "wasi::",
    "web_sys",
    "js_sys",
    "tokio",
    "println!",
    "eprintln!",
];

#[test]
fn the_pure_cores_use_no_io_clock_randomness_or_platform() {
    let root = root();
    let mut found = Vec::new();
    for core in ["crates/rules/src", "crates/delivery/src"] {
        let mut files = Vec::new();
        rust_files(&root.join(core), &mut files);
        for file in files {
            let text = std::fs::read_to_string(&file).unwrap_or_default();
            // Unit tests at the end of a file may use what they like.
            let code = text.split("#[cfg(test)]").next().unwrap_or_default();
            for (n, line) in code.lines().enumerate() {
                let line = line.split("//").next().unwrap_or_default();
                for word in IMPURE {
                    if line.contains(word) {
                        found.push(format!("{}:{}: {word}", relative(&file), n + 1));
                    }
                }
            }
        }
    }
    assert!(
        found.is_empty(),
        "the pure cores take the clock, randomness and the store's answers from their callers: {found:#?}"
    );
}

/// The module names of a crate's `src`: file stems (not `lib`, `main`, `mod`) and
/// directories with a `mod.rs`, one level down.
fn modules(src: &Path) -> Vec<String> {
    let mut names = Vec::new();
    for entry in std::fs::read_dir(src).into_iter().flatten().flatten() {
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        if let Some(stem) = name.strip_suffix(".rs") {
            if !matches!(stem, "lib" | "main" | "mod") {
                names.push(stem.to_owned());
            }
        } else if path.join("mod.rs").is_file() || path.join("main.rs").is_file() {
            names.push(name);
        }
    }
    names.sort();
    names.dedup();
    names
}

/// The text of ARCHITECTURE.md's code-map section headed `### \`<path>\``.
fn section<'a>(architecture: &'a str, path: &str) -> &'a str {
    let heading = format!("### `{path}`");
    let start = architecture
        .find(&heading)
        .unwrap_or_else(|| panic!("ARCHITECTURE.md has no section {heading}"));
    let rest = &architecture[start + heading.len()..];
    let end = rest
        .find("\n## ")
        .into_iter()
        .chain(rest.find("\n### "))
        .min();
    &rest[..end.unwrap_or(rest.len())]
}

#[test]
fn the_code_map_names_every_module() {
    let root = root();
    let architecture =
        std::fs::read_to_string(root.join("ARCHITECTURE.md")).expect("ARCHITECTURE.md is there");
    let crates = [
        ("crates/rules", "crates/rules/src"),
        ("crates/delivery", "crates/delivery/src"),
        ("crates/cli", "crates/cli/src"),
        ("crates/embed-token", "crates/embed-token/src"),
        ("crates/edge-host", "crates/edge-host/src"),
        ("edge/", "edge/src"),
        ("web/", "web/src"),
        ("xtask/", "xtask/src"),
    ];
    let mut unnamed = Vec::new();
    for (heading, src) in crates {
        let text = section(&architecture, heading);
        for module in modules(&root.join(src)) {
            if !text.contains(&format!("`{module}`")) && !text.contains(&format!("`{module}/")) {
                unnamed.push(format!("{src}: `{module}`"));
            }
        }
    }
    assert!(
        unnamed.is_empty(),
        "ARCHITECTURE.md's code map does not name these modules (add a word on each): {unnamed:#?}"
    );
}
