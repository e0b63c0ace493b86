//! The shared test vectors (`tests/vectors/*.json`): request → the exact verdict bytes.
//! The CLI, the edge function and the form read the same files.

use std::path::PathBuf;

use rsos_rules::{assess, Request, Ruleset};

#[test]
fn every_vector_gives_its_verdict_byte_for_byte() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/vectors");
    let mut count = 0;
    for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.map(|e| e.path()).unwrap_or_default();
        if path.extension().is_none_or(|x| x != "json") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        let vector: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
        let request_bytes = serde_json::to_vec(&vector["request"]).unwrap_or_default();
        let request = Request::from_json(&request_bytes)
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let expected = serde_json::to_string(&vector["verdict"]).unwrap_or_default();
        let actual = assess(&request, Ruleset::builtin()).verdict.to_json();
        assert_eq!(actual, expected, "{}", path.display());
        count += 1;
    }
    assert!(count >= 30, "only {count} vectors found");
}
