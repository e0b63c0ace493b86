//! The shared test vectors, one test per file, named after it. The CLI, the edge function
//! and the form read the same files.
//!
//! - `tests/vectors/*.json`: a request (as JSON) → the exact verdict bytes;
//! - `tests/vectors/bodies/*.json`: a body as sent (any text) → the exact verdict bytes, or
//!   the sentence of the malformed-request error (HTTP 400, CLI exit 2).

use std::path::{Path, PathBuf};

use libtest_mimic::{Arguments, Failed, Trial};
use rsos_rules::{assess, Request, Ruleset};

fn main() {
    let args = Arguments::from_args();
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/vectors");
    let files = json_files(&dir);
    let count = files.len();
    let bodies = json_files(&dir.join("bodies"));
    let body_count = bodies.len();
    let mut trials: Vec<Trial> = files
        .into_iter()
        .map(|path| {
            let name = format!("vector::{}", name_of(&path));
            Trial::test(name, move || verdict_matches(&path))
        })
        .chain(bodies.into_iter().map(|path| {
            let name = format!("body::{}", name_of(&path));
            Trial::test(name, move || body_reads_as_said(&path))
        }))
        .collect();
    // A missing or moved folder must fail, not pass with zero tests.
    trials.push(Trial::test("the_shared_vectors_are_there", move || {
        if count >= 40 && body_count >= 10 {
            Ok(())
        } else {
            Err(format!("only {count} vectors and {body_count} bodies in tests/vectors").into())
        }
    }));
    libtest_mimic::run(&args, trials).exit();
}

fn name_of(path: &Path) -> String {
    path.file_stem()
        .unwrap_or_default()
        .to_string_lossy()
        .into_owned()
}

fn json_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "json"))
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    files
}

fn verdict_matches(path: &Path) -> Result<(), Failed> {
    let text = std::fs::read_to_string(path)?;
    let vector: serde_json::Value = serde_json::from_str(&text)?;
    let request = Request::from_json(vector["request"].to_string().as_bytes())?;
    // `preserve_order` keeps the file's member order: these are the expected wire bytes.
    let expected = serde_json::to_string(&vector["verdict"])?;
    let actual = assess(&request, Ruleset::builtin()).verdict.to_json();
    if actual == expected {
        Ok(())
    } else {
        Err(format!("verdict differs\n  expected {expected}\n  actual   {actual}").into())
    }
}

fn body_reads_as_said(path: &Path) -> Result<(), Failed> {
    let vector: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(path)?)?;
    let body = vector["body"].as_str().ok_or("no `body` text")?;
    let actual = match Request::from_json(body.as_bytes()) {
        Ok(request) => serde_json::json!({
            "verdict": serde_json::from_str::<serde_json::Value>(
                &assess(&request, Ruleset::builtin()).verdict.to_json()
            )?
        }),
        Err(malformed) => serde_json::json!({ "error": malformed.to_string() }),
    };
    let expected = match (&vector["verdict"], &vector["error"]) {
        (serde_json::Value::Null, error) => serde_json::json!({ "error": error }),
        (verdict, _) => serde_json::json!({ "verdict": verdict }),
    };
    if actual == expected {
        Ok(())
    } else {
        Err(format!("expected {expected}\n  actual   {actual}").into())
    }
}
