//! Lists the shared test vectors (`tests/vectors/*.json` at the workspace root) for the
//! in-browser vector test: a WASM test cannot read files, so they are compiled in. Only the
//! test target includes the generated list; the shipped form never does.
//!
//! Also puts the form's stylesheet in `OUT_DIR`: the minified copy `cargo xtask build-form`
//! makes with esbuild (path in `RSOS_FORM_CSS`; ~0.25 KB gzip off the WASM), else
//! `static/form.css` as written.

use std::fmt::Write as _;
use std::path::Path;
use std::{env, fs};

fn main() {
    stylesheet();
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/vectors");
    println!("cargo:rerun-if-changed={}", dir.display());
    let mut files: Vec<_> = fs::read_dir(&dir)
        .map(|entries| {
            entries
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "json"))
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    // One test per vector, named after it, so a failure names the behaviour.
    let mut out = format!("pub const VECTOR_COUNT: usize = {};\n", files.len());
    for file in &files {
        let name = file.file_stem().unwrap_or_default().to_string_lossy();
        let ident: String = name
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() {
                    c.to_ascii_lowercase()
                } else {
                    '_'
                }
            })
            .collect();
        let path = file.canonicalize().unwrap_or_else(|_| file.clone());
        let _ = writeln!(
            out,
            "#[wasm_bindgen_test]\nfn vector_{ident}() {{ check({name:?}, include_str!({:?})); }}",
            path.display()
        );
    }
    let target = Path::new(&env::var("OUT_DIR").unwrap_or_else(|_| ".".into())).join("vectors.rs");
    if let Err(e) = fs::write(&target, out) {
        panic!("cannot write {}: {e}", target.display());
    }
}

fn stylesheet() {
    println!("cargo:rerun-if-env-changed=RSOS_FORM_CSS");
    let source = env::var_os("RSOS_FORM_CSS")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("static/form.css"));
    println!("cargo:rerun-if-changed={}", source.display());
    let target = Path::new(&env::var("OUT_DIR").unwrap_or_else(|_| ".".into())).join("form.css");
    if let Err(e) = fs::copy(&source, &target) {
        panic!(
            "cannot copy {} to {}: {e}",
            source.display(),
            target.display()
        );
    }
}
