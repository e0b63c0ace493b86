//! The built `rsos` binary, run as the mailbox team and scripts run it.

use std::path::PathBuf;

use assert_cmd::Command;

fn rsos() -> Command {
    Command::cargo_bin("rsos").unwrap_or_else(|e| panic!("the rsos binary is not built: {e}"))
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn run(args: &[&str], stdin: &str) -> Run {
    let out = rsos()
        .args(args)
        .write_stdin(stdin.as_bytes().to_vec())
        .output()
        .unwrap_or_else(|e| panic!("rsos did not run: {e}"));
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn example() -> String {
    std::fs::read_to_string(root().join("examples/request.json")).unwrap_or_default()
}

#[test]
fn check_reads_a_file_argument() {
    let path = root().join("examples/request.json");
    let r = run(&["check", path.to_str().unwrap_or_default()], "");
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("\"subject\":\"Smith, John Medicare\""));
}

#[test]
fn malformed_input_exits_2_with_one_plain_sentence_and_no_stdout() {
    for (input, says) in [
        ("{", "not valid JSON"),
        ("[1,2]", "one JSON object"),
        ("{\"member_id\": 5}", "`member_id` must be text"),
        (
            "{\"confirm_single_line_of_business\": \"yes\"}",
            "true or false",
        ),
        (
            "{\"favourite_colour\": \"blue\"}",
            "unknown field `favourite_colour`",
        ),
        ("\u{feff}", "not valid JSON"),
    ] {
        let r = run(&["check"], input);
        assert_eq!(r.code, 2, "{input}");
        assert!(r.stdout.is_empty(), "{input}");
        assert_eq!(r.stderr.lines().count(), 1, "{input}: {}", r.stderr);
        assert!(r.stderr.contains(says), "{input}: {}", r.stderr);
    }
}

#[test]
fn invalid_utf8_is_a_plain_error() {
    let out = rsos()
        .arg("check")
        .write_stdin(vec![b'{', 0xff, b'}'])
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("UTF-8"));
}

#[test]
fn a_request_saved_as_utf16_is_a_plain_error_naming_the_encoding() {
    // What Windows PowerShell 5's `>` writes: a UTF-16LE byte-order mark, then UTF-16.
    let mut bytes = vec![0xFF, 0xFE];
    bytes.extend(example().encode_utf16().flat_map(u16::to_le_bytes));
    let out = rsos()
        .arg("check")
        .write_stdin(bytes)
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "rsos: The request is UTF-16 text; send it as UTF-8.\n"
    );
}

#[test]
fn a_file_with_a_byte_order_mark_is_read_by_render_too() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let path = dir.path().join("request.json");
    std::fs::write(&path, format!("\u{feff}{}", example())).unwrap_or_default();
    let r = run(&["render", path.to_str().unwrap_or_default()], "");
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("Smith, John Medicare"), "{}", r.stdout);
}

#[test]
fn a_missing_file_is_a_plain_error() {
    let r = run(&["check", "/no/such/request.json"], "");
    assert_eq!(r.code, 2);
    assert_eq!(
        r.stderr.trim(),
        "rsos: cannot read /no/such/request.json: no such file"
    );
}

#[test]
fn sla_prints_received_respond_by_and_three_follow_ups() {
    let r = run(&["sla", "--received", "2026-11-25T15:00:00Z"], "");
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(
        r.stdout.trim(),
        r#"{"received":"2026-11-25T10:00:00-05:00","respond_by":"2026-12-01T10:00:00-05:00","follow_ups":["2026-12-03T10:00:00-05:00","2026-12-10T10:00:00-05:00","2026-12-17T10:00:00-05:00"]}"#
    );
}

#[test]
fn sla_converts_other_offsets() {
    let r = run(
        &[
            "sla",
            "--received",
            "2027-03-15T16:00:00+02:00",
            "--follow-ups",
            "1",
        ],
        "",
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stdout
            .contains("\"received\":\"2027-03-15T10:00:00-04:00\""),
        "{}",
        r.stdout
    );
}

#[test]
fn sla_refuses_a_bad_time_in_one_line() {
    let r = run(&["sla", "--received", "next tuesday"], "");
    assert_eq!(r.code, 2);
    assert_eq!(r.stderr.lines().count(), 1);
    assert!(r.stderr.contains("RFC 3339"));
}

#[test]
fn render_shows_forward_and_acknowledgement_with_placeholders() {
    let r = run(&["render"], &example());
    assert_eq!(r.code, 0, "{}", r.stderr);
    let emails: serde_json::Value = serde_json::from_str(&r.stdout).unwrap_or_default();
    assert_eq!(emails[0]["kind"], "forward");
    assert_eq!(emails[0]["to"], "AgentRSOS@humana.com");
    assert_eq!(emails[0]["subject"], "Smith, John Medicare");
    assert_eq!(emails[1]["kind"], "acknowledgement");
    assert_eq!(emails[1]["to"], "pat.agent@agency.example");
    assert!(emails[1]["text"]
        .as_str()
        .unwrap_or_default()
        .contains("RSOS-YYYYMMDD-XXXXXXXX"));
    let keys: Vec<&String> = emails[0]
        .as_object()
        .map(|o| o.keys().collect())
        .unwrap_or_default();
    assert_eq!(keys, ["kind", "to", "reply_to", "subject", "text"]);
}

#[test]
fn render_with_received_fills_real_times_and_a_stable_tracking_id() {
    let a = run(
        &["render", "--received", "2027-03-15T14:00:00Z"],
        &example(),
    );
    let b = run(
        &["render", "--received", "2027-03-15T14:00:00Z"],
        &example(),
    );
    assert_eq!(a.code, 0, "{}", a.stderr);
    assert_eq!(a.stdout, b.stdout);
    assert!(a
        .stdout
        .contains("Respond by: Thursday, March 18, 2027, 10:00 AM EDT"));
    assert!(a.stdout.contains("RSOS-20270315-"));
}

#[test]
fn render_of_an_out_of_scope_request_is_one_guidance_email() {
    let request = example().replace("\"claims\"", "\"aor\"");
    let r = run(&["render"], &request);
    let emails: serde_json::Value = serde_json::from_str(&r.stdout).unwrap_or_default();
    assert_eq!(emails.as_array().map(Vec::len), Some(1));
    assert_eq!(emails[0]["kind"], "guidance");
}

#[test]
fn ruleset_option_replaces_the_rules() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let path = dir.path().join("rules.toml");
    let version = format!("version = \"{}\"", rsos_rules::Ruleset::builtin().version());
    let text = rsos_rules::DEFAULT_RULESET_TOML.replacen(&version, "version = \"local.7\"", 1);
    std::fs::write(&path, text).unwrap_or_default();
    let r = run(
        &["check", "--ruleset", path.to_str().unwrap_or_default()],
        &example(),
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.starts_with("{\"ruleset\":\"local.7\""));
}

#[test]
fn a_broken_ruleset_file_is_one_line_naming_the_line() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let path = dir.path().join("rules.toml");
    std::fs::write(&path, "version = \"x\"\ntime_zone = \n").unwrap_or_default();
    let r = run(
        &["check", "--ruleset", path.to_str().unwrap_or_default()],
        &example(),
    );
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("line 2"), "{}", r.stderr);
    assert_eq!(r.stderr.lines().count(), 1, "{}", r.stderr);
}

#[test]
fn help_speaks_to_the_mailbox_team() {
    let r = run(&["check", "--help"], "");
    assert_eq!(r.code, 0);
    assert!(r.stdout.contains("out of scope"));
    assert!(r.stdout.contains("Exit status"));
}

#[test]
fn ruleset_prints_the_built_in_file() {
    let r = run(&["ruleset"], "");
    assert_eq!(r.stdout, rsos_rules::DEFAULT_RULESET_TOML);
}

#[test]
fn sla_help_states_the_policy_of_the_ruleset_in_use() {
    let r = run(&["sla", "--help"], "");
    assert!(r.stdout.contains("America/New_York"), "{}", r.stdout);
    assert!(r.stdout.contains("Juneteenth"), "{}", r.stdout);
    assert!(
        r.stdout.contains("one every 5 business days"),
        "{}",
        r.stdout
    );

    let dir = tempfile::tempdir().expect("a temporary directory");
    let path = dir.path().join("rules.toml");
    let text = rsos_rules::DEFAULT_RULESET_TOML
        .replacen(
            "time_zone = \"America/New_York\"",
            "time_zone = \"America/Chicago\"",
            1,
        )
        .replacen(
            "follow_up_business_days = 5",
            "follow_up_business_days = 7",
            1,
        )
        .replacen(
            "name = \"Juneteenth National Independence Day\"",
            "name = \"Founders Day\"",
            1,
        );
    std::fs::write(&path, text).unwrap_or_default();
    let path = path.to_str().unwrap_or_default();
    for args in [
        ["sla", "--help", "--ruleset", path],
        ["--ruleset", path, "sla", "--help"],
    ] {
        let r = run(&args, "");
        assert_eq!(r.code, 0, "{}", r.stderr);
        assert!(r.stdout.contains("America/Chicago"), "{}", r.stdout);
        assert!(r.stdout.contains("Founders Day"), "{}", r.stdout);
        assert!(!r.stdout.contains("Juneteenth"), "{}", r.stdout);
        assert!(
            r.stdout.contains("one every 7 business days"),
            "{}",
            r.stdout
        );
        assert!(!r.stdout.contains("New_York"), "{}", r.stdout);
    }
}

#[test]
fn render_with_received_prints_what_dispatch_sends() {
    let received = "2027-03-15T14:00:00Z";
    let r = run(&["render", "--received", received], &example());
    assert_eq!(r.code, 0, "{}", r.stderr);
    let printed: Vec<rsos_rules::Email> = serde_json::from_str(&r.stdout).unwrap_or_default();
    let ruleset = rsos_rules::Ruleset::builtin();
    let request = rsos_rules::Request::from_json(example().as_bytes()).unwrap_or_default();
    let assessment = rsos_rules::assess(&request, ruleset);
    let tracking_id = printed[1]
        .text
        .lines()
        .find_map(|l| l.strip_prefix("Tracking ID: "))
        .unwrap_or_default()
        .to_string();
    let at = chrono::DateTime::parse_from_rfc3339(received).map(|t| t.to_utc());
    let sent = rsos_rules::dispatch(
        &assessment,
        ruleset,
        ruleset.mailbox(),
        &tracking_id,
        at.unwrap_or_default(),
        &rsos_rules::Links::default(),
    );
    assert_eq!(printed, sent.emails);
}

#[test]
fn a_ruleset_on_standard_input_still_works_with_a_request_file() {
    let version = format!("version = \"{}\"", rsos_rules::Ruleset::builtin().version());
    let text = rsos_rules::DEFAULT_RULESET_TOML.replacen(&version, "version = \"stdin.1\"", 1);
    let path = root().join("examples/request.json");
    let r = run(
        &["check", path.to_str().unwrap_or_default(), "--ruleset", "-"],
        &text,
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stdout.starts_with("{\"ruleset\":\"stdin.1\""),
        "{}",
        r.stdout
    );
}
