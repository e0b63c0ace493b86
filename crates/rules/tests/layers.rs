//! The crate's layers (ARCHITECTURE.md, `crates/rules`): each module uses only modules
//! listed before it, so the module graph has no cycle. Read from the source, as
//! rust-analyzer's tidy tests read theirs.

use std::path::{Path, PathBuf};

/// Vocabulary, policy parts, the ruleset, judgement, output: the order of lib.rs.
const ORDER: &[&str] = &[
    "codes", "field", "model", "small", "unicode", "text", // vocabulary
    "holidays", "words",   // policy parts
    "ruleset", // the ruleset
    "verdict", "clock", // judgement
    "email", "ledger", "insights", "tracking", "form", "policy", "notice", "json", // output
];

fn source_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.map(|e| e.path()).unwrap_or_default();
        if path.is_dir() {
            source_files(&path, out);
        } else if path.extension().is_some_and(|x| x == "rs") {
            out.push(path);
        }
    }
}

/// The top-level module a source file belongs to (`src/ruleset/compile.rs` → `ruleset`).
fn module_of(src: &Path, file: &Path) -> String {
    let relative = file.strip_prefix(src).unwrap_or(file);
    let first = relative
        .components()
        .next()
        .map(|c| c.as_os_str().to_string_lossy());
    first
        .unwrap_or_default()
        .trim_end_matches(".rs")
        .to_string()
}

#[test]
fn every_module_uses_only_modules_of_lower_layers() {
    let src = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    source_files(&src, &mut files);
    let mut problems = Vec::new();
    for file in &files {
        let module = module_of(&src, file);
        if module == "lib" {
            continue;
        }
        let Some(rank) = ORDER.iter().position(|m| *m == module) else {
            problems.push(format!(
                "module `{module}` is in no layer: add it to ORDER and ARCHITECTURE.md"
            ));
            continue;
        };
        let text = std::fs::read_to_string(file).unwrap_or_default();
        for (at, _) in text.match_indices("crate::") {
            let used: String = text[at + "crate::".len()..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            match ORDER.iter().position(|m| *m == used) {
                Some(used_rank) if used_rank < rank => {}
                Some(_) => problems.push(format!(
                    "{}: `{module}` uses `{used}`, which is not below it",
                    file.display()
                )),
                // A re-export from lib.rs (`crate::Email` in a doc link) or a macro.
                None => {}
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
