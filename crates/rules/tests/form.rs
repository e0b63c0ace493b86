//! What forms show around the fields and the verdict, made by the rules crate (issue 8):
//! input kinds, requiredness, autocomplete, hints with the ruleset's limits, the urgent
//! banner with its `tel:` link.

mod common;

use common::{summary, valid, verdict_of, with};
use rsos_rules::{urgent_banner, Field, InputKind, Ruleset, DEFAULT_RULESET_TOML};

#[test]
fn required_fields_are_those_of_spec_section_1() {
    let optional: Vec<Field> = Field::ALL
        .into_iter()
        .filter(|f| !f.is_required())
        .collect();
    assert_eq!(
        optional,
        [Field::ReferenceNumber, Field::ConfirmSingleLineOfBusiness]
    );
}

#[test]
fn each_field_has_its_kind_of_input() {
    let kind = |f: Field| f.input();
    assert_eq!(kind(Field::LineOfBusiness), InputKind::Choice);
    assert_eq!(kind(Field::Topic), InputKind::Choice);
    assert_eq!(kind(Field::AgentEmail), InputKind::Email);
    assert_eq!(kind(Field::Summary), InputKind::MultiLine);
    assert_eq!(
        kind(Field::ConfirmSingleLineOfBusiness),
        InputKind::Checkbox
    );
    for f in [
        Field::AgentName,
        Field::AgentSan,
        Field::MemberId,
        Field::ReferenceNumber,
    ] {
        assert_eq!(kind(f), InputKind::Line, "{f:?}");
    }
}

#[test]
fn only_the_agents_own_name_and_address_may_be_filled_in_by_the_browser() {
    for field in Field::ALL {
        let expected = match field {
            Field::AgentName => "name",
            Field::AgentEmail => "email",
            _ => "off",
        };
        assert_eq!(field.autocomplete(), expected, "{field:?}");
    }
}

#[test]
fn hints_quote_the_limits_of_the_ruleset_in_use() {
    let builtin = Ruleset::builtin();
    assert_eq!(
        builtin.hint(Field::MemberId),
        "3–30 letters, digits or hyphens."
    );
    assert_eq!(
        builtin.hint(Field::Summary),
        "20–4000 characters: what happened, what you need."
    );
    assert_eq!(
        builtin.hint(Field::AgentSan),
        "Letters and digits, up to 20."
    );
    let text = DEFAULT_RULESET_TOML
        .replacen(
            "member_id = { min = 3, max = 30 }",
            "member_id = { min = 5, max = 12 }",
            1,
        )
        .replacen(
            "summary = { min = 20, max = 4000 }",
            "summary = { min = 30, max = 2000 }",
            1,
        );
    let custom = Ruleset::from_toml(&text).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        custom.hint(Field::MemberId),
        "5–12 letters, digits or hyphens."
    );
    assert_eq!(
        custom.hint(Field::Summary),
        "30–2000 characters: what happened, what you need."
    );
}

#[test]
fn every_field_has_a_hint_that_is_a_sentence() {
    for field in Field::ALL {
        let hint = Ruleset::builtin().hint(field);
        assert!(hint.ends_with('.'), "{field:?}: {hint}");
    }
}

#[test]
fn no_banner_when_not_urgent() {
    assert_eq!(urgent_banner(&verdict_of(&valid())), None);
}

#[test]
fn the_banner_links_the_plans_number_as_a_tel_uri() {
    let banner = urgent_banner(&summary(
        "Member is in the hospital and cannot get her medication",
    ))
    .unwrap_or_else(|| panic!("urgent"));
    assert_eq!(banner.heading, "Urgent: call it in first");
    let call = banner.call.unwrap_or_else(|| panic!("a Medicare number"));
    assert_eq!(call.uri, "tel:+18004574708");
    assert_eq!(call.label, "call 1-800-457-4708");
    assert_eq!(banner.messages.len(), 1);
    assert!(
        banner.messages[0].contains("\"hospital\""),
        "{:?}",
        banner.messages
    );

    let individual =
        urgent_banner(&with(Field::LineOfBusiness, "individual").clone()).map(|b| b.call);
    assert_eq!(individual, None, "a calm summary is not urgent");
    let mut request = valid();
    request.line_of_business = "individual".into();
    request.topic = "access_to_care".into();
    let banner = urgent_banner(&verdict_of(&request)).unwrap_or_else(|| panic!("urgent topic"));
    assert_eq!(
        banner.call.map(|c| c.uri).as_deref(),
        Some("tel:+18008336917")
    );
    assert_eq!(
        banner.messages,
        ["You can still send this request for follow-up."]
    );
}

#[test]
fn without_a_plan_the_banner_asks_for_one() {
    let mut request = valid();
    request.line_of_business.clear();
    request.topic = "access_to_care".into();
    let banner = urgent_banner(&verdict_of(&request)).unwrap_or_else(|| panic!("urgent topic"));
    assert_eq!(banner.call, None);
    assert!(banner.text.contains("Choose the plan"), "{}", banner.text);
}

#[test]
fn a_call_center_no_link_can_dial_is_refused_by_the_ruleset() {
    let text = DEFAULT_RULESET_TOML.replacen("\"1-800-457-4708\"", "\"call us\"", 1);
    let message = Ruleset::from_toml(&text)
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(message.contains("call_center"), "{message}");
    assert!(message.contains("not a phone number"), "{message}");
}
