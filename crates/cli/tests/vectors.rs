//! The shared test vectors through the built `rsos check`, one test per file: the exact
//! verdict bytes on stdout and the outcome's exit status (`tests/vectors/*.json`, and the
//! bodies of `tests/vectors/bodies/*.json` that are requests), or exit 2 with the one
//! sentence of a malformed body on stderr.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use libtest_mimic::{Arguments, Failed, Trial};

fn main() {
    let args = Arguments::from_args();
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/vectors");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map(|entries| {
            entries
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "json"))
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    let count = files.len();
    let mut bodies: Vec<PathBuf> = std::fs::read_dir(dir.join("bodies"))
        .map(|entries| entries.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    bodies.retain(|p| p.extension().is_some_and(|x| x == "json"));
    bodies.sort();
    let mut trials: Vec<Trial> = files
        .into_iter()
        .map(|path| {
            let name = path
                .file_stem()
                .unwrap_or_default()
                .to_string_lossy()
                .into_owned();
            Trial::test(format!("vector::{name}"), move || check_prints_it(&path))
        })
        .chain(bodies.into_iter().map(|path| {
            let name = path
                .file_stem()
                .unwrap_or_default()
                .to_string_lossy()
                .into_owned();
            Trial::test(format!("body::{name}"), move || check_reads_the_body(&path))
        }))
        .collect();
    trials.push(Trial::test("the_shared_vectors_are_there", move || {
        if count >= 40 {
            Ok(())
        } else {
            Err(format!("only {count} vectors in tests/vectors").into())
        }
    }));
    libtest_mimic::run(&args, trials).exit();
}

fn check_prints_it(path: &Path) -> Result<(), Failed> {
    let vector: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(path)?)?;
    check_gives_the_verdict(&vector["request"].to_string(), &vector)
}

fn check_reads_the_body(path: &Path) -> Result<(), Failed> {
    let vector: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(path)?)?;
    let body = vector["body"].as_str().ok_or("no `body` text")?;
    let Some(error) = vector["error"].as_str() else {
        return check_gives_the_verdict(body, &vector);
    };
    let out = Command::cargo_bin("rsos")?
        .args(["check", "-"])
        .write_stdin(body)
        .output()?;
    let stderr = String::from_utf8_lossy(&out.stderr);
    if out.status.code() != Some(2)
        || !out.stdout.is_empty()
        || stderr != format!("rsos: {error}\n")
    {
        return Err(format!(
            "exit {:?} (expected 2), stdout {:?}, stderr {stderr:?} (expected {error:?})",
            out.status.code(),
            String::from_utf8_lossy(&out.stdout)
        )
        .into());
    }
    Ok(())
}

fn check_gives_the_verdict(input: &str, vector: &serde_json::Value) -> Result<(), Failed> {
    let out = Command::cargo_bin("rsos")?
        .args(["check", "-"])
        .write_stdin(input.to_string())
        .output()?;
    let expected = format!("{}\n", serde_json::to_string(&vector["verdict"])?);
    let stdout = String::from_utf8_lossy(&out.stdout);
    if stdout != expected {
        return Err(format!("stdout differs\n  expected {expected}  actual   {stdout}").into());
    }
    let code = match vector["verdict"]["outcome"].as_str() {
        Some("forward") => 0,
        Some("needs_changes") => 1,
        Some("out_of_scope") => 3,
        other => return Err(format!("unexpected outcome {other:?}").into()),
    };
    if out.status.code() != Some(code) || !out.stderr.is_empty() {
        return Err(format!(
            "exit {:?} (expected {code}), stderr {:?}",
            out.status.code(),
            String::from_utf8_lossy(&out.stderr)
        )
        .into());
    }
    Ok(())
}
