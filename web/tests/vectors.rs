//! The shared test vectors, judged inside WebAssembly in headless Chromium with the
//! browser's Unicode data, as the shipped form judges them: the form's verdicts must equal
//! the native ones (ICU4X's data) byte for byte (the expected verdicts were made by the
//! native rules crate; the field order of the file is the wire order). `build.rs` generates
//! one test per `tests/vectors/*.json` file.

#[path = "../src/unicode.rs"]
mod unicode;

use rsos_rules::{assess, Request, Ruleset};
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

include!(concat!(env!("OUT_DIR"), "/vectors.rs"));

// A missing or moved vectors folder must fail the build, not pass with zero tests.
const _: () = assert!(
    VECTOR_COUNT >= 10,
    "expected the shared vectors in tests/vectors"
);

fn check(name: &str, text: &str) {
    unicode::install();
    let vector: serde_json::Value =
        serde_json::from_str(text).unwrap_or_else(|e| panic!("{name}: not JSON: {e}"));
    let request = Request::from_json(vector["request"].to_string().as_bytes())
        .unwrap_or_else(|e| panic!("{name}: the request does not parse: {e}"));
    // `preserve_order` keeps the file's key order, so these are the expected wire bytes.
    let expected = serde_json::to_string(&vector["verdict"]).unwrap_or_default();
    let verdict = assess(&request, Ruleset::builtin()).verdict;
    let actual = serde_json::to_string(&verdict).unwrap_or_default();
    assert_eq!(actual, expected, "{name}: the WASM verdict differs");
}
