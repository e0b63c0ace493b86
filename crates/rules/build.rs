//! Parses the built-in ruleset at build time, so a broken file fails the build with its line,
//! and stores it as compact postcard bytes: the browser form then ships no TOML parser.

#[allow(dead_code)]
#[path = "src/model.rs"]
mod model;

use std::path::PathBuf;

fn main() {
    let source = "ruleset/default.toml";
    println!("cargo:rerun-if-changed={source}");
    let text = std::fs::read_to_string(source).unwrap_or_else(|e| panic!("reading {source}: {e}"));
    let file: model::RulesetFile =
        toml::from_str(&text).unwrap_or_else(|e| panic!("{source} is not a valid ruleset:\n{e}"));
    let bytes = postcard::to_allocvec(&file).unwrap_or_else(|e| panic!("encoding {source}: {e}"));
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    std::fs::write(out.join("default_ruleset.postcard"), bytes)
        .unwrap_or_else(|e| panic!("writing the built-in ruleset: {e}"));
}
