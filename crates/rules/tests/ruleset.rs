//! The ruleset is data: built in, replaceable, and a broken file is a clear error.

use rsos_rules::{Ruleset, RulesetError, DEFAULT_RULESET_TOML};

fn error_of(text: &str) -> String {
    match Ruleset::from_toml(text) {
        Ok(_) => panic!("the broken ruleset was accepted"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn the_built_in_ruleset_equals_the_file_it_was_built_from() {
    let parsed = Ruleset::from_toml(DEFAULT_RULESET_TOML).unwrap_or_else(|e| panic!("{e}"));
    // Every part: the file's data and all that is compiled from it (word matcher, zone,
    // holiday calendar, seasons, filled-in texts). A value build.rs writes out wrongly fails here.
    assert_eq!(&parsed, Ruleset::builtin());
}

#[test]
fn a_changed_word_list_makes_another_ruleset() {
    let parsed = Ruleset::from_toml(DEFAULT_RULESET_TOML).unwrap_or_else(|e| panic!("{e}"));
    let text = DEFAULT_RULESET_TOML.replacen("\"chemo\",", "\"chemo\", \"radiation\",", 1);
    let changed = Ruleset::from_toml(&text).unwrap_or_else(|e| panic!("{e}"));
    assert_ne!(parsed, changed, "equality must see the word lists");
}

#[test]
fn the_parts_made_on_first_use_count_for_equality_too() {
    // Holidays, the acknowledgement and the coaching topics live with the service parts, not
    // in the file: a ruleset that changes only them is still another ruleset.
    let parsed = Ruleset::from_toml(DEFAULT_RULESET_TOML).unwrap_or_else(|e| panic!("{e}"));
    for (from, to) in [
        ("name = \"Veterans Day\"", "name = \"Veterans' Day\""),
        (
            "subject_prefix = \"Received: \"",
            "subject_prefix = \"Got: \"",
        ),
        ("SPAA issues go through", "SPAA questions go through"),
    ] {
        assert!(DEFAULT_RULESET_TOML.contains(from), "{from}");
        let text = DEFAULT_RULESET_TOML.replacen(from, to, 1);
        let changed = Ruleset::from_toml(&text).unwrap_or_else(|e| panic!("{e}"));
        assert_ne!(&changed, Ruleset::builtin(), "{to}");
        assert_ne!(changed, parsed, "{to}");
    }
    assert_eq!(
        Ruleset::builtin().acknowledgement_subject_prefix(),
        "Received: "
    );
    assert!(Ruleset::builtin()
        .holiday_names()
        .any(|name| name == "Veterans Day"));
}

#[test]
fn seed_call_center_numbers_are_in_the_ruleset() {
    let ruleset = Ruleset::builtin();
    let number = |code: &str| {
        ruleset
            .line_of_business(code)
            .and_then(|l| l.call_center.clone())
    };
    assert_eq!(number("individual").as_deref(), Some("1-800-833-6917"));
    assert_eq!(number("medicare").as_deref(), Some("1-800-457-4708"));
}

#[test]
fn a_syntax_error_names_its_line() {
    let text = DEFAULT_RULESET_TOML.replacen("time_zone = \"America/New_York\"", "time_zone = ", 1);
    let line = DEFAULT_RULESET_TOML
        .lines()
        .position(|l| l.starts_with("time_zone"))
        .map(|i| i + 1)
        .unwrap_or(0);
    let message = error_of(&text);
    assert!(
        message.starts_with(&format!("ruleset line {line},")),
        "{message}"
    );
}

#[test]
fn a_wrong_type_names_its_line() {
    let text = DEFAULT_RULESET_TOML.replacen(
        "respond_business_days = 3",
        "respond_business_days = \"three\"",
        1,
    );
    let message = error_of(&text);
    assert!(message.contains("line"), "{message}");
}

#[test]
fn an_unknown_time_zone_is_refused_with_the_supported_list() {
    let text = DEFAULT_RULESET_TOML.replacen("America/New_York", "Europe/Paris", 1);
    let message = error_of(&text);
    assert!(message.contains("line 11"), "{message}");
    assert!(message.contains("America/Chicago"), "{message}");
}

#[test]
fn an_uppercase_word_is_refused_with_its_line() {
    let text = DEFAULT_RULESET_TOML.replacen("\"hospital\",", "\"Hospital\",", 1);
    let message = error_of(&text);
    assert!(message.contains("lowercase"), "{message}");
    assert!(message.starts_with("ruleset line"), "{message}");
}

#[test]
fn a_topic_naming_a_missing_category_is_refused_with_its_line() {
    let text =
        DEFAULT_RULESET_TOML.replacen("out_of_scope = \"spaa\"", "out_of_scope = \"nowhere\"", 1);
    let message = error_of(&text);
    assert!(message.contains("[[topics]] #11"), "{message}");
    assert!(message.contains("nowhere"), "{message}");
    let line = DEFAULT_RULESET_TOML
        .lines()
        .position(|l| l.contains("out_of_scope = \"spaa\""))
        .map(|i| i + 1)
        .unwrap_or(0);
    assert!(message.contains(&format!("line {line} ")), "{message}");
}

#[test]
fn a_broken_holiday_rule_is_refused() {
    let text = DEFAULT_RULESET_TOML.replacen(
        "weekday = \"monday\"\nnth = -1",
        "weekday = \"monday\"\nnth = 0",
        1,
    );
    let message = error_of(&text);
    assert!(
        message.contains("Memorial Day") || message.contains("holidays.rules"),
        "{message}"
    );
}

#[test]
fn an_unknown_placeholder_in_the_acknowledgement_is_refused() {
    let text = DEFAULT_RULESET_TOML.replacen("{call_center.medicare}", "{call_center.dental}", 1);
    assert!(error_of(&text).contains("dental"));
}

#[test]
fn unknown_keys_are_refused() {
    let text = DEFAULT_RULESET_TOML.replacen("version =", "colour = \"blue\"\nversion =", 1);
    assert!(matches!(
        Ruleset::from_toml(&text),
        Err(RulesetError::Syntax { .. })
    ));
}

#[test]
fn garbage_is_an_error_not_a_panic() {
    for text in [
        "",
        "\u{0}",
        "[[[",
        "version = 1",
        "[limits]\nagent_name = { min = 5, max = 1 }",
    ] {
        assert!(Ruleset::from_toml(text).is_err());
    }
}

#[test]
fn a_replaced_ruleset_changes_the_verdict() {
    let version = format!("version = \"{}\"", Ruleset::builtin().version());
    let text = DEFAULT_RULESET_TOML
        .replacen(&version, "version = \"test.1\"", 1)
        .replacen("\"1-800-457-4708\"", "\"1-800-000-0000\"", 1);
    let ruleset = Ruleset::from_toml(&text).unwrap_or_else(|e| panic!("{e}"));
    let mut request = rsos_rules::Request {
        line_of_business: "medicare".into(),
        topic: "access_to_care".into(),
        ..Default::default()
    };
    request.summary = "Member cannot get an appointment anywhere near home.".into();
    let v = rsos_rules::assess(&request, &ruleset).verdict;
    assert_eq!(v.ruleset, "test.1");
    assert_eq!(v.call_center.as_deref(), Some("1-800-000-0000"));
    assert!(ruleset
        .acknowledgement_text()
        .contains("Medicare is 1-800-000-0000"));
}
