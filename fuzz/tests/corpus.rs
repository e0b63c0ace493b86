//! The CI smoke: every kept corpus input, replayed through the fuzz properties on stable.

use std::path::{Path, PathBuf};

fn replay(target: &str, check: fn(&[u8])) {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("corpus")
        .join(target);
    let mut count = 0;
    for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.map(|e| e.path()).unwrap_or_default();
        check(&std::fs::read(&path).unwrap_or_default());
        count += 1;
    }
    assert!(count > 0, "no corpus in {}", Path::new(&dir).display());
    println!("{target}: {count} inputs replayed");
}

#[test]
fn request_corpus_keeps_every_property() {
    replay("request", rsos_fuzz::request_bytes);
}

#[test]
fn ruleset_corpus_keeps_every_property() {
    replay("ruleset", rsos_fuzz::ruleset_text);
}
