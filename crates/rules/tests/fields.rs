//! SPEC §1: one error per field, the first rule that applies, in field order.

mod common;

use common::{code_for, valid, verdict_of, with};
use rsos_rules::{normalise, ErrorCode::*, Field, Outcome};

#[test]
fn a_complete_request_is_forwarded_without_errors() {
    let v = verdict_of(&valid());
    assert_eq!(v.outcome, Outcome::Forward);
    assert!(v.errors.is_empty());
}

#[test]
fn every_required_field_left_empty_is_required() {
    for field in Field::ALL {
        if matches!(
            field,
            Field::ReferenceNumber | Field::ConfirmSingleLineOfBusiness
        ) {
            continue;
        }
        assert_eq!(code_for(field, "   "), Some(Required), "{field:?}");
    }
}

#[test]
fn reference_number_is_optional() {
    assert_eq!(code_for(Field::ReferenceNumber, ""), None);
    assert_eq!(code_for(Field::ReferenceNumber, "  "), None);
}

#[test]
fn errors_come_in_field_order() {
    let mut r = valid();
    r.summary.clear();
    r.member_id = "x".into();
    r.line_of_business = "nope".into();
    let fields: Vec<Field> = verdict_of(&r).errors.iter().map(|e| e.field).collect();
    assert_eq!(
        fields,
        [Field::LineOfBusiness, Field::MemberId, Field::Summary]
    );
}

#[test]
fn unknown_plan_and_topic_are_unknown_options() {
    assert_eq!(
        code_for(Field::LineOfBusiness, "dental"),
        Some(UnknownOption)
    );
    assert_eq!(
        code_for(Field::LineOfBusiness, "Medicare"),
        Some(UnknownOption)
    );
    assert_eq!(code_for(Field::Topic, "complaints"), Some(UnknownOption));
    assert_eq!(code_for(Field::Topic, " claims "), None);
}

#[test]
fn every_plan_and_topic_of_the_ruleset_is_accepted() {
    let ruleset = rsos_rules::Ruleset::builtin();
    for plan in ruleset.lines_of_business() {
        assert_eq!(code_for(Field::LineOfBusiness, &plan.code), None);
    }
    for topic in ruleset.topics() {
        assert_eq!(code_for(Field::Topic, &topic.code), None);
    }
}

#[test]
fn agent_name_is_one_line_of_up_to_100_characters() {
    assert_eq!(code_for(Field::AgentName, &"a".repeat(100)), None);
    assert_eq!(code_for(Field::AgentName, &"a".repeat(101)), Some(TooLong));
    assert_eq!(
        code_for(Field::AgentName, "Pat\nAgent"),
        Some(InvalidCharacters)
    );
    assert_eq!(
        code_for(Field::AgentName, "Pat\tAgent"),
        Some(InvalidCharacters)
    );
    assert_eq!(
        code_for(Field::AgentName, "Pat\rAgent"),
        Some(InvalidCharacters)
    );
    assert_eq!(
        code_for(Field::AgentName, "Pat\u{85}Agent"),
        Some(InvalidCharacters)
    );
}

#[test]
fn agent_san_is_ascii_letters_and_digits_up_to_20() {
    assert_eq!(code_for(Field::AgentSan, "A1b2C3"), None);
    assert_eq!(code_for(Field::AgentSan, "A-1"), Some(InvalidCharacters));
    assert_eq!(code_for(Field::AgentSan, "Ä1"), Some(InvalidCharacters));
    assert_eq!(code_for(Field::AgentSan, "A 1"), Some(InvalidCharacters));
    assert_eq!(code_for(Field::AgentSan, &"1".repeat(20)), None);
    assert_eq!(code_for(Field::AgentSan, &"1".repeat(21)), Some(TooLong));
}

#[test]
fn agent_email_must_be_a_mailbox_address() {
    for good in [
        "pat@agency.example",
        "pat.o'neil+rsos@sub.agency.com",
        "A_B@x-y.org",
    ] {
        assert_eq!(code_for(Field::AgentEmail, good), None, "{good}");
    }
    for bad in [
        "pat",
        "pat@",
        "@agency.com",
        "pat@agency",
        "pat@@agency.com",
        "pat..o@agency.com",
        ".pat@agency.com",
        "pat@-agency.com",
        "pat@agency.c0m",
        "pat agent@agency.com",
        "pat@agency..com",
        "\"pat\"@agency.com",
        "pat@[127.0.0.1]",
    ] {
        assert_eq!(
            code_for(Field::AgentEmail, bad),
            Some(InvalidEmail),
            "{bad}"
        );
    }
}

#[test]
fn agent_email_over_254_characters_is_too_long() {
    let long = format!("{}@{}.com", "a".repeat(60), "b".repeat(200));
    assert_eq!(code_for(Field::AgentEmail, &long), Some(TooLong));
}

#[test]
fn agent_email_with_a_line_break_is_refused_as_invalid_characters() {
    assert_eq!(
        code_for(Field::AgentEmail, "pat@agency.com\r\nBcc: x@evil.com"),
        Some(InvalidCharacters)
    );
}

#[test]
fn member_id_is_3_to_30_letters_digits_and_hyphens() {
    assert_eq!(code_for(Field::MemberId, "H12"), None);
    assert_eq!(code_for(Field::MemberId, "H1"), Some(TooShort));
    assert_eq!(code_for(Field::MemberId, &"9".repeat(30)), None);
    assert_eq!(code_for(Field::MemberId, &"9".repeat(31)), Some(TooLong));
    assert_eq!(
        code_for(Field::MemberId, "H12_345"),
        Some(InvalidCharacters)
    );
    assert_eq!(
        code_for(Field::MemberId, "H12 345"),
        Some(InvalidCharacters)
    );
}

#[test]
fn member_id_cannot_start_or_end_with_a_hyphen() {
    assert_eq!(code_for(Field::MemberId, "-H123"), Some(InvalidFormat));
    assert_eq!(code_for(Field::MemberId, "H123-"), Some(InvalidFormat));
    assert_eq!(code_for(Field::MemberId, "H1-23"), None);
}

#[test]
fn invalid_characters_wins_over_length() {
    assert_eq!(code_for(Field::MemberId, "H_"), Some(InvalidCharacters));
}

#[test]
fn reference_number_follows_member_id_shape_up_to_40() {
    assert_eq!(code_for(Field::ReferenceNumber, "CLM-1"), None);
    assert_eq!(code_for(Field::ReferenceNumber, "1"), None);
    assert_eq!(
        code_for(Field::ReferenceNumber, &"1".repeat(41)),
        Some(TooLong)
    );
    assert_eq!(
        code_for(Field::ReferenceNumber, "CLM#1"),
        Some(InvalidCharacters)
    );
    assert_eq!(
        code_for(Field::ReferenceNumber, "CLM-"),
        Some(InvalidFormat)
    );
}

#[test]
fn member_names_allow_letters_of_any_script_and_name_punctuation() {
    for good in [
        "José",
        "Nguyễn",
        "O'Neil",
        "O’Brien",
        "Smith-Jones",
        "St. John",
        "Mary Ann",
        "李",
        "Øyvind",
        "Jose\u{301}",
        "कृष्ण",
        "Renée\u{200D}",
    ] {
        assert_eq!(code_for(Field::MemberFirstName, good), None, "{good}");
        assert_eq!(code_for(Field::MemberLastName, good), None, "{good}");
    }
}

#[test]
fn member_names_refuse_commas_brackets_and_digits() {
    for bad in [
        "Smith, Jr",
        "John [Jack]",
        "R2D2",
        "Smith/Jones",
        "Smith;",
        "<b>",
    ] {
        assert_eq!(
            code_for(Field::MemberLastName, bad),
            Some(InvalidCharacters),
            "{bad}"
        );
    }
}

#[test]
fn member_names_are_at_most_60_characters() {
    assert_eq!(code_for(Field::MemberFirstName, &"a".repeat(60)), None);
    assert_eq!(
        code_for(Field::MemberFirstName, &"a".repeat(61)),
        Some(TooLong)
    );
}

#[test]
fn lengths_count_unicode_scalar_values_not_bytes() {
    assert_eq!(code_for(Field::MemberFirstName, &"é".repeat(60)), None);
}

#[test]
fn bidi_controls_are_refused_in_every_text_field() {
    for field in Field::ALL {
        if field == Field::ConfirmSingleLineOfBusiness {
            continue;
        }
        for c in ['\u{202a}', '\u{202e}', '\u{2066}', '\u{2069}'] {
            let mut value = valid().text(field).to_string();
            if value.is_empty() {
                value = "REF1".into();
            }
            value.insert(1, c);
            assert_eq!(
                code_for(field, &value),
                Some(InvalidCharacters),
                "{field:?} {c:?}"
            );
        }
    }
}

#[test]
fn summary_is_20_to_4000_characters() {
    assert_eq!(code_for(Field::Summary, &"x".repeat(19)), Some(TooShort));
    assert_eq!(code_for(Field::Summary, &"x".repeat(20)), None);
    assert_eq!(code_for(Field::Summary, &"x".repeat(4000)), None);
    assert_eq!(code_for(Field::Summary, &"x".repeat(4001)), Some(TooLong));
}

#[test]
fn summary_allows_line_breaks_and_tabs_but_no_other_controls() {
    assert_eq!(
        code_for(
            Field::Summary,
            "Line one of the issue\nline two\r\nthree\tend"
        ),
        None
    );
    assert_eq!(
        code_for(Field::Summary, "Line one of the issue\rline two"),
        Some(InvalidCharacters)
    );
    assert_eq!(
        code_for(Field::Summary, "Line one of the issue\u{0}line two"),
        Some(InvalidCharacters)
    );
    assert_eq!(
        code_for(Field::Summary, "Line one of the issue\u{1b}[2J"),
        Some(InvalidCharacters)
    );
}

#[test]
fn normalisation_trims_and_collapses_single_line_fields_only() {
    assert_eq!(
        normalise(Field::AgentName, "  Pat \u{a0}  Agent  "),
        "Pat Agent"
    );
    assert_eq!(normalise(Field::Summary, "  a  b\n\nc  "), "a  b\n\nc");
}

#[test]
fn every_error_message_names_the_field_or_what_to_do() {
    let v = with(Field::MemberId, "x");
    let message = &v
        .error_for(Field::MemberId)
        .map(|e| e.message.clone())
        .unwrap_or_default();
    assert!(message.contains("Member ID #"), "{message}");
    assert!(message.contains('3'), "{message}");
}
