//! Building and testing the WASM form (`web/`, package `rsos-form`).
//!
//! `build` makes `dist/`: the demo portal (`index.html`, `portal.css`, `portal.js`), and twice
//! the one script a portal includes with its WASM after `wasm-opt -Oz` — `rsos-form.js` for
//! the request form and `rsos-form-details.js` (cargo feature `details`) for the details form
//! of a tracked request, each the loader, the wasm-bindgen glue and `js/element.js` bundled
//! and minified by esbuild. Two builds so that neither page downloads the other's code. One script instead of
//! three chained imports saves two round trips before the WASM is asked for, and minifying
//! the glue ~3 KB gzip. No trunk or wasm-pack: cargo, `wasm-bindgen` (the exact version in
//! Cargo.lock), binaryen's `wasm-opt` and esbuild (both from npm; Debian's binaryen is too
//! old).
//!
//! The shipped build rebuilds the standard library with the form (`-Zbuild-std`) so that
//! panics abort on the spot (`-Cpanic=immediate-abort`): no panic messages, no formatting
//! and no unwinding paths are left in the WASM, about 13 KB gzip of the download. The standard
//! library is built with its `optimize_for_size` feature (`-Zbuild-std-features`: smaller
//! variants of sorting, formatting and the like, the same results): −0.5 KB gzip for each
//! form, measured 2026-11-30. These flags are unstable, so the pinned stable toolchain is
//! told to accept them with `RUSTC_BOOTSTRAP=1` (as the fuzz build already does) and needs
//! the `rust-src` component, which `cargo xtask setup` installs. Only this one artefact is
//! built that way; every test and every other crate builds on plain stable. `cargo xtask
//! build-form --stable` is the fallback for a toolchain without `rust-src` or when a Rust
//! release breaks the flags.
//!
//! `test` runs the form's WASM tests in headless Chromium (wasm-bindgen-test, including the
//! shared `tests/vectors`) and then the end-to-end tests in `tests/e2e` (playwright-core
//! driving Debian's Chromium). The e2e tests target `RSOS_E2E_BASE_URL` when it is set (the
//! real edge host), else they start their own dev stand-in server on 127.0.0.1.
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use anyhow::{bail, Context, Result};

use crate::shell::{cargo_command, locked_version, root, run, target_dir};

const WASM_TARGET: &str = "wasm32-unknown-unknown";
const BINARYEN_VERSION: u32 = 132;
const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

/// How the form's WASM is compiled.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Toolchain {
    /// The shipped build: std rebuilt with `panic=immediate-abort` (see the module docs).
    BuildStd,
    /// Plain stable cargo: the fallback, ~13 KB gzip larger.
    Stable,
}

impl Toolchain {
    /// `--stable` selects the fallback; anything else is refused.
    pub fn from_args(args: &[String]) -> Result<Toolchain> {
        match args {
            [] => Ok(Toolchain::BuildStd),
            [flag] if flag == "--stable" => Ok(Toolchain::Stable),
            _ => bail!("usage: cargo xtask build-form [--stable]"),
        }
    }
}

/// The features rustc enables by default for wasm32 today; wasm-opt must accept them and may
/// use them, and every browser that runs the form supports them.
const WASM_FEATURES: &[&str] = &[
    "--enable-bulk-memory",
    "--enable-mutable-globals",
    "--enable-nontrapping-float-to-int",
    "--enable-sign-ext",
    "--enable-reference-types",
    "--enable-multivalue",
];

/// Flags of the shipped build. `immediate-abort` became a panic strategy in Rust 1.95; the
/// older `panic_immediate_abort` std feature now stops the build.
const IMMEDIATE_ABORT_RUSTFLAGS: &str = "-Zunstable-options -Cpanic=immediate-abort";

/// One of the two builds of the form: the request form every portal page embeds, and the
/// details form a portal's details page embeds (cargo feature `details`). Two builds so that
/// neither page downloads the other's code; each stays within the size budget.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Bundle {
    /// The cargo feature that makes it, if any.
    pub feature: Option<&'static str>,
    /// wasm-bindgen's `--out-name`: the glue `<name>.js`, the WASM `<name>_bg.wasm`.
    pub name: &'static str,
    /// The one script a portal includes.
    pub script: &'static str,
}

pub const REQUEST_FORM: Bundle = Bundle {
    feature: None,
    name: "rsos_form",
    script: "rsos-form.js",
};

pub const DETAILS_FORM: Bundle = Bundle {
    feature: Some("details"),
    name: "rsos_form_details",
    script: "rsos-form-details.js",
};

impl Bundle {
    /// The files a portal downloads for it.
    pub fn files(self) -> [String; 2] {
        [self.script.to_string(), format!("{}_bg.wasm", self.name)]
    }
}

pub fn build(toolchain: Toolchain) -> Result<PathBuf> {
    let started = Instant::now();
    let root = root();
    let target = target_dir();
    let bindgen = wasm_bindgen_tool("wasm-bindgen")?;
    let wasm_opt = wasm_opt_tool()?;
    let esbuild = npm_tool("esbuild")?;

    // The stylesheet compiled into the WASM, minified (web/build.rs reads RSOS_FORM_CSS).
    let css = target.join("form-css/form.css");
    run(Command::new(&esbuild)
        .arg(root.join("web/static/form.css"))
        .args(["--minify", "--log-level=warning"])
        .arg(format!("--outfile={}", css.display())))?;
    if toolchain == Toolchain::BuildStd {
        need_rust_src()?;
    }
    let dist = root.join("dist");
    recreate(&dist)?;
    let mut compiled_sizes = Vec::new();
    for bundle in [REQUEST_FORM, DETAILS_FORM] {
        let mut compile = cargo_command();
        compile.env("RSOS_FORM_CSS", &css).args([
            "build",
            "--profile",
            "form",
            "--target",
            WASM_TARGET,
            "-p",
            "rsos-form",
        ]);
        if let Some(feature) = bundle.feature {
            compile.args(["--features", feature]);
        }
        if toolchain == Toolchain::BuildStd {
            compile
                .arg("-Zbuild-std=std,panic_abort")
                // Replaces Cargo's default list (`panic-unwind`, `backtrace`): neither does
                // anything here, immediate-abort does not unwind and this target has no
                // backtraces.
                .arg("-Zbuild-std-features=optimize_for_size")
                .env("RUSTC_BOOTSTRAP", "1")
                .env("RUSTFLAGS", IMMEDIATE_ABORT_RUSTFLAGS);
        }
        run(&mut compile)?;
        // Both builds write this file: each is taken on at once.
        let compiled = target.join(WASM_TARGET).join("form").join("rsos_form.wasm");

        let staging = target.join(format!("form-bindgen/{}", bundle.name));
        recreate(&staging)?;
        run(Command::new(&bindgen)
            .args([
                "--target",
                "web",
                "--no-typescript",
                "--out-name",
                bundle.name,
                "--out-dir",
            ])
            .arg(&staging)
            .arg(&compiled))?;
        let bound = staging.join(format!("{}_bg.wasm", bundle.name));
        let optimised = staging.join("optimised.wasm");
        run(Command::new(&wasm_opt)
            .args([
                "-Oz",
                // Repeats -Oz until the module stops shrinking: ~0.3 KB gzip.
                "--converge",
                // Custom sections no browser reads.
                "--strip-target-features",
                "--strip-producers",
            ])
            .args(WASM_FEATURES)
            .arg(&bound)
            .arg("-o")
            .arg(&optimised))?;
        let shipped = dist.join(format!("{}_bg.wasm", bundle.name));
        minify_names(
            &wasm_opt,
            &optimised,
            &shipped,
            &staging.join(format!("{}.js", bundle.name)),
            bundle.name,
        )?;
        // The loader imports the glue as `./rsos_form.js` and asks for `./rsos_form_bg.wasm`,
        // the request form's names; the glue imports its snippets: bundled from where
        // wasm-bindgen put them.
        let loader = fs::read_to_string(root.join("web/static/rsos-form.js"))?;
        if !loader.contains("'./rsos_form.js'") || !loader.contains("'./rsos_form_bg.wasm'") {
            bail!("web/static/rsos-form.js no longer names ./rsos_form.js and ./rsos_form_bg.wasm");
        }
        let loader = loader
            .replace("'./rsos_form.js'", &format!("'./{}.js'", bundle.name))
            .replace(
                "'./rsos_form_bg.wasm'",
                &format!("'./{}_bg.wasm'", bundle.name),
            );
        fs::write(staging.join("loader.js"), loader)?;
        run(Command::new(&esbuild)
            .arg(staging.join("loader.js"))
            .args([
                "--bundle",
                "--minify",
                "--format=esm",
                // What custom elements with adopted stylesheets already require.
                "--target=es2022",
                "--legal-comments=none",
                "--log-level=warning",
            ])
            .arg(format!("--outfile={}", dist.join(bundle.script).display())))?;
        let size = |p: &Path| fs::metadata(p).map(|m| m.len()).unwrap_or(0);
        compiled_sizes.push((bundle, size(&compiled), size(&bound), size(&shipped)));
    }
    for file in ["portal.css", "portal.js"] {
        copy(&root.join("web/static").join(file), &dist.join(file))?;
    }
    copy(&root.join("index.html"), &dist.join("index.html"))?;

    for (bundle, compiled, bound, shipped) in compiled_sizes {
        report_sizes(&dist, bundle)?;
        println!(
            "form: {} wasm {compiled} bytes from cargo, {bound} after wasm-bindgen, {shipped} after wasm-opt -Oz",
            bundle.script
        );
    }
    println!(
        "form: built {} ({toolchain:?}) in {:.1} s",
        dist.display(),
        started.elapsed().as_secs_f64()
    );
    Ok(dist)
}

pub fn test() -> Result<()> {
    let root = root();
    let runner = wasm_bindgen_tool("wasm-bindgen-test-runner")?;
    let chromedriver = chromedriver()?;
    // wasm-bindgen-test: the form's unit tests and the shared vectors, in headless Chromium;
    // then the details build's own (its state), which the request build does not compile.
    for features in [&[][..], &["--features", "details", "--lib"][..]] {
        run(cargo_command()
            .args(["test", "--target", WASM_TARGET, "-p", "rsos-form"])
            .args(features)
            .env("CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER", &runner)
            .env("CHROMEDRIVER", &chromedriver)
            .env(
                "WASM_BINDGEN_TEST_WEBDRIVER_JSON",
                root.join("web/webdriver.json"),
            )
            .env(
                "WASM_BINDGEN_TEST_TIMEOUT",
                std::env::var("WASM_BINDGEN_TEST_TIMEOUT").unwrap_or_else(|_| "180".into()),
            ))?;
    }

    let dist = build(Toolchain::BuildStd)?;
    if std::env::var_os("RSOS_E2E_BASE_URL").is_some() {
        return e2e(&dist, &[]);
    }
    // The real stack: the edge component in the wasmtime host, serving dist/ and the local
    // mailbox. The cross-origin test's portal port is fixed so the host can allow it.
    let portal_port = crate::edge::free_port()?;
    let host = crate::edge::LocalHost::start(&dist, &[&format!("http://localhost:{portal_port}")])?;
    e2e(
        &dist,
        &[
            ("RSOS_E2E_BASE_URL", host.url.clone()),
            ("RSOS_E2E_PORTAL_PORT", portal_port.to_string()),
            (
                "RSOS_E2E_LINK_SECRET",
                crate::edge::LocalHost::LINK_SECRET.to_string(),
            ),
            (
                "RSOS_E2E_INSIGHTS_TOKEN",
                crate::edge::LocalHost::INSIGHTS_TOKEN.to_string(),
            ),
        ],
    )
}

/// The end-to-end tests (node's test runner, playwright-core, Debian's Chromium).
pub fn e2e(dist: &Path, env: &[(&str, String)]) -> Result<()> {
    let root = root();
    let e2e = root.join("tests/e2e");
    need_file(CHROMIUM, "Debian's Chromium: `apt-get install -y chromium`")?;
    need_file(
        e2e.join("node_modules/playwright-core/package.json"),
        "the e2e test packages: `npm ci --prefix tests/e2e`",
    )?;
    let tests: Vec<PathBuf> = fs::read_dir(&e2e)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.to_string_lossy().ends_with(".test.mjs"))
        .collect();
    if tests.is_empty() {
        bail!("no end-to-end tests (*.test.mjs) in {}", e2e.display());
    }
    run(Command::new("node")
        .args(["--test", "--test-concurrency=1"])
        .args(&tests)
        .env("RSOS_DIST", dist)
        .env("CHROMIUM", CHROMIUM)
        .envs(env.iter().map(|(k, v)| (*k, v.as_str()))))
}

/// `wasm-bindgen` or `wasm-bindgen-test-runner`, checked against the version Cargo.lock
/// resolves: the CLI refuses (or silently miscompiles) a WASM made by another version.
fn wasm_bindgen_tool(name: &str) -> Result<PathBuf> {
    let wanted = locked_version("wasm-bindgen")?;
    let install = format!("`cargo install wasm-bindgen-cli --version ={wanted}` (about 6 minutes)");
    let output = Command::new(name)
        .arg("--version")
        .output()
        .with_context(|| format!("`{name}` is not on PATH: install it with {install}"))?;
    let version = String::from_utf8_lossy(&output.stdout);
    let found = version.split_whitespace().nth(1).unwrap_or("unknown");
    if found != wanted {
        bail!("`{name}` is version {found}, but Cargo.lock has wasm-bindgen {wanted}: install it with {install}");
    }
    Ok(PathBuf::from(name))
}

/// A tool from `web/node_modules` (`npm ci --prefix web`, versions pinned in its lock file).
fn npm_tool(name: &str) -> Result<PathBuf> {
    let path = root().join("web/node_modules/.bin").join(name);
    need_file(&path, &format!("`{name}`: `npm ci --prefix web`"))?;
    Ok(path)
}

/// binaryen's `wasm-opt`, version 132 or newer: from `web/node_modules` (the npm package
/// pinned in web/package.json), else from PATH.
fn wasm_opt_tool() -> Result<PathBuf> {
    let local = root().join("web/node_modules/.bin/wasm-opt");
    let install = format!("`npm ci --prefix web` (npm package binaryen {BINARYEN_VERSION})");
    for candidate in [local, PathBuf::from("wasm-opt")] {
        let Ok(output) = Command::new(&candidate).arg("--version").output() else {
            continue;
        };
        let text = String::from_utf8_lossy(&output.stdout);
        let version: u32 = text
            .split_whitespace()
            .find_map(|w| w.parse().ok())
            .unwrap_or(0);
        if version >= BINARYEN_VERSION {
            return Ok(candidate);
        }
        eprintln!(
            "form: skipping {} (binaryen {version} is too old)",
            candidate.display()
        );
    }
    bail!("wasm-opt (binaryen {BINARYEN_VERSION}+) not found: install it with {install}")
}

/// `-Zbuild-std` compiles std from the `rust-src` component of the active toolchain.
fn need_rust_src() -> Result<()> {
    let sysroot = Command::new("rustc")
        .args(["--print", "sysroot"])
        .output()
        .context("cannot run rustc")?;
    let sysroot = PathBuf::from(String::from_utf8_lossy(&sysroot.stdout).trim());
    need_file(
        sysroot.join("lib/rustlib/src/rust/library/std/Cargo.toml"),
        "the `rust-src` component: `rustup component add rust-src` (or `cargo xtask setup`), or build with `cargo xtask build-form --stable`",
    )
}

fn chromedriver() -> Result<PathBuf> {
    if let Some(path) = std::env::var_os("CHROMEDRIVER") {
        return Ok(PathBuf::from(path));
    }
    need_file(
        CHROMEDRIVER,
        "Debian's chromedriver: `apt-get install -y chromium chromium-driver`",
    )?;
    Ok(PathBuf::from(CHROMEDRIVER))
}

fn need_file(path: impl AsRef<Path>, install: &str) -> Result<()> {
    let path = path.as_ref();
    if !path.exists() {
        bail!("{} is missing: install {install}", path.display());
    }
    Ok(())
}

fn recreate(dir: &Path) -> Result<()> {
    if dir.exists() {
        fs::remove_dir_all(dir).with_context(|| format!("cannot clear {}", dir.display()))?;
    }
    fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))
}

fn copy(from: &Path, to: &Path) -> Result<()> {
    fs::copy(from, to)
        .map(drop)
        .with_context(|| format!("cannot copy {} to {}", from.display(), to.display()))
}

/// Raw, gzip and brotli bytes of what a portal page downloads for one bundle.
fn report_sizes(dist: &Path, bundle: Bundle) -> Result<()> {
    println!(
        "form: what a portal downloads for {} (bytes)",
        bundle.script
    );
    println!(
        "  {:<48} {:>9} {:>9} {:>9}",
        "file", "raw", "gzip -9", "brotli 11"
    );
    let mut total = (0, 0, 0);
    for name in bundle.files() {
        let bytes = fs::read(dist.join(&name))?;
        let (raw, gz, br) = (bytes.len(), gzip(&bytes)?, brotli(&bytes)?);
        total = (total.0 + raw, total.1 + gz, total.2 + br);
        println!("  {name:<48} {raw:>9} {gz:>9} {br:>9}");
    }
    println!(
        "  {:<48} {:>9} {:>9} {:>9}",
        "total", total.0, total.1, total.2
    );
    Ok(())
}

fn gzip(bytes: &[u8]) -> Result<usize> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    encoder.write_all(bytes)?;
    Ok(encoder.finish()?.len())
}

fn brotli(bytes: &[u8]) -> Result<usize> {
    let mut out = Vec::new();
    let params = brotli::enc::BrotliEncoderParams {
        quality: 11,
        lgwin: 22,
        ..Default::default()
    };
    brotli::BrotliCompress(&mut &bytes[..], &mut out, &params)?;
    Ok(out.len())
}

/// The module every import is moved to by binaryen's `--minify-imports-and-exports-and-modules`.
const MINIFIED_MODULE: &str = "a";

/// Gives the WASM's imports and exports short names and renames them in the wasm-bindgen glue
/// to match. wasm-bindgen names each import `__wbg_<name>_<16 hex digits>` and each closure
/// export after its full Rust type; both lists sit in the WASM and again in the glue, and
/// hashes do not compress: −3.8 KB gzip measured (binaryen 132, wasm-bindgen 0.2.130).
/// wasm-bindgen has no option for it; binaryen renames the WASM and prints the mapping, and
/// this applies it to the glue, refusing (so the build fails) when the glue does not have the
/// shape it expects: every import once as a key of the import object, every export used as
/// `wasm.<name>`.
fn minify_names(
    wasm_opt: &Path,
    input: &Path,
    output: &Path,
    glue: &Path,
    name: &str,
) -> Result<()> {
    let mut command = Command::new(wasm_opt);
    command
        .arg("--minify-imports-and-exports-and-modules")
        .args(WASM_FEATURES)
        .arg(input)
        .arg("-o")
        .arg(output);
    let printed = command
        .output()
        .with_context(|| format!("could not start {}", wasm_opt.display()))?;
    if !printed.status.success() {
        bail!(
            "wasm-opt --minify-imports-and-exports-and-modules failed: {}",
            String::from_utf8_lossy(&printed.stderr)
        );
    }
    let mapping: NameMapping = serde_json::from_slice(&printed.stdout)
        .context("wasm-opt printed no import/export mapping")?;
    let text =
        fs::read_to_string(glue).with_context(|| format!("cannot read {}", glue.display()))?;
    let renamed = mapping.apply(&text, &format!("./{name}_bg.js"))?;
    let minified = fs::read(output)?;
    for (module, _, _) in &mapping.imports {
        if minified
            .windows(module.len())
            .any(|w| w == module.as_bytes())
        {
            bail!(
                "wasm-opt left imports in module `{module}`; expected all in `{MINIFIED_MODULE}`"
            );
        }
    }
    fs::write(glue, renamed).with_context(|| format!("cannot write {}", glue.display()))
}

/// What binaryen prints: `imports` as `[module, name, new name]`, `exports` as
/// `[name, new name]`.
#[derive(serde::Deserialize)]
struct NameMapping {
    imports: Vec<(String, String, String)>,
    exports: Vec<(String, String)>,
}

impl NameMapping {
    /// `main_module`: the module wasm-bindgen names the glue's own imports after
    /// (`./<out-name>_bg.js`).
    fn apply(&self, glue: &str, main_module: &str) -> Result<String> {
        // The import object the glue returns has one entry per module, `"<module>": <var>,`.
        let module_var = |module: &str| -> Result<String> {
            let key = format!("\"{module}\": ");
            let at = glue
                .find(&key)
                .with_context(|| format!("the glue has no import object entry for `{module}`"))?;
            let var: String = glue[at + key.len()..]
                .chars()
                .take_while(|c| is_identifier(*c))
                .collect();
            Ok(var)
        };
        let main_var = module_var(main_module)?;
        let mut keys = std::collections::HashMap::new();
        let mut snippets = Vec::new();
        for (module, name, short) in &self.imports {
            if module == main_module {
                keys.insert(name.as_str(), short.as_str());
            } else {
                snippets.push(format!("{short}:{}.{name}", module_var(module)?));
            }
        }
        let exports: std::collections::HashMap<&str, &str> = self
            .exports
            .iter()
            .map(|(name, short)| (name.as_str(), short.as_str()))
            .collect();

        let mut out = String::with_capacity(glue.len());
        let mut seen = std::collections::HashMap::new();
        let mut rest = glue;
        while let Some(start) = rest.find(is_identifier) {
            let (before, from) = rest.split_at(start);
            let len = from.find(|c| !is_identifier(c)).unwrap_or(from.len());
            let (token, after) = from.split_at(len);
            out.push_str(before);
            let exported = out.ends_with("wasm.")
                && !out[..out.len() - 5].ends_with(is_identifier)
                && !token.starts_with(|c: char| c.is_ascii_digit());
            if exported {
                let short = exports.get(token).with_context(|| {
                    format!("the glue uses `wasm.{token}`, which the WASM does not export")
                })?;
                out.push_str(short);
            } else if let Some(short) = keys.get(token) {
                *seen.entry(token).or_insert(0) += 1;
                out.push_str(short);
            } else {
                out.push_str(token);
            }
            rest = after;
        }
        out.push_str(rest);
        if let Some((name, _)) = keys.iter().find(|(name, _)| seen.get(*name) != Some(&1)) {
            bail!(
                "the glue names the import `{name}` {} times, expected once",
                seen.get(name).unwrap_or(&0)
            );
        }

        // Every module's entry goes; one module `a` takes all imports.
        let mut entries = Vec::new();
        for module in self.imports.iter().map(|(m, _, _)| m.as_str()) {
            let entry = format!("\"{module}\": {},", module_var(module)?);
            if !entries.contains(&entry) {
                entries.push(entry);
            }
        }
        let mut first = true;
        for entry in entries {
            let replacement = if first {
                format!(
                    "{MINIFIED_MODULE}: Object.assign({main_var}, {{{}}}),",
                    snippets.join(",")
                )
            } else {
                String::new()
            };
            first = false;
            if !out.contains(&entry) {
                bail!("the glue's import object has no `{entry}`");
            }
            out = out.replacen(&entry, &replacement, 1);
        }
        Ok(out)
    }
}

fn is_identifier(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '$'
}
