//! The shared test vectors (`tests/vectors/*.json`): request → the exact verdict bytes, one
//! test per vector, named after its file. The CLI, the edge function and the form read the
//! same files.

use std::path::{Path, PathBuf};

use libtest_mimic::{Arguments, Failed, Trial};
use rsos_rules::{assess, Request, Ruleset};

fn main() {
    let args = Arguments::from_args();
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/vectors");
    let files = json_files(&dir);
    let count = files.len();
    let mut trials: Vec<Trial> = files
        .into_iter()
        .map(|path| {
            let name = path
                .file_stem()
                .unwrap_or_default()
                .to_string_lossy()
                .into_owned();
            Trial::test(format!("vector::{name}"), move || verdict_matches(&path))
        })
        .collect();
    // A missing or moved folder must fail, not pass with zero tests.
    trials.push(Trial::test("the_shared_vectors_are_there", move || {
        if count >= 40 {
            Ok(())
        } else {
            Err(format!("only {count} vectors in tests/vectors").into())
        }
    }));
    libtest_mimic::run(&args, trials).exit();
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
