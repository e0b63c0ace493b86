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

/// Issue 9: internationalised domains. A top-level label in ASCII form is valid; a domain
/// typed in another script is accepted and sent to in its ASCII form.
#[test]
fn agent_email_accepts_internationalised_domains() {
    for (typed, sent) in [
        (
            "dana.whitfield@agency.xn--p1ai",
            "dana.whitfield@agency.xn--p1ai",
        ),
        (
            "dana.whitfield@agency.XN--P1AI",
            "dana.whitfield@agency.XN--P1AI",
        ),
        ("dana@agency.\u{440}\u{444}", "dana@agency.xn--p1ai"),
        ("dana@b\u{FC}cher.de", "dana@xn--bcher-kva.de"),
        ("dana@B\u{FC}cher.DE", "dana@xn--bcher-kva.de"),
        ("dana@bu\u{308}cher.de", "dana@xn--bcher-kva.de"), // decomposed: NFC first
        ("dana@m\u{FC}nchen\u{3002}de", "dana@xn--mnchen-3ya.de"), // ideographic full stop
        (
            "dana@\u{4F8B}\u{3048}.\u{30C6}\u{30B9}\u{30C8}",
            "dana@xn--r8jz45g.xn--zckzah",
        ),
    ] {
        assert_eq!(code_for(Field::AgentEmail, typed), None, "{typed}");
        assert_eq!(normalise(Field::AgentEmail, typed), sent, "{typed}");
    }
}

#[test]
fn agent_email_refuses_what_no_domain_label_can_hold_with_a_sentence_for_it() {
    for bad in [
        "dana@\u{410}\u{413}\u{415}\u{41D}\u{422}.\u{420}\u{424}", // capitals in another script
        "dana@\u{1F4A9}.la",                                       // an emoji
        "dana@-b\u{FC}cher.de",                                    // a hyphen at an end
        "dana@b\u{FC}cher-.de",
        "dana@ab--\u{FC}.de", // `--` in the third and fourth places
        "dana@agency.xn--",
        "dana@xn--.com",
    ] {
        assert_eq!(
            code_for(Field::AgentEmail, bad),
            Some(InvalidEmail),
            "{bad}"
        );
    }
    let v = with(
        Field::AgentEmail,
        "dana@\u{410}\u{413}\u{415}\u{41D}\u{422}.\u{420}\u{424}",
    );
    let message = v.error_for(Field::AgentEmail).map(|e| e.message.as_str());
    assert!(
        message.is_some_and(|m| m.contains("lowercase") && m.contains("xn--")),
        "{message:?}"
    );
    // A mailbox name in another script (SMTPUTF8) is not accepted: agents' mail is ASCII.
    assert_eq!(
        code_for(Field::AgentEmail, "jos\u{E9}@agency.com"),
        Some(InvalidEmail)
    );
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

/// Issue 9: a name is letters plus the marks (general category M) that belong to them, in
/// every script. Thai tone marks and the Thai thanthakhat were refused by the old hand-kept
/// list of mark blocks.
#[test]
fn member_names_take_the_marks_of_every_script() {
    for good in [
        "แก้ว",                  // Thai: tone mark U+0E49
        "สมศักดิ์",                // Thai: thanthakhat U+0E4C
        "ສົມພອນ",                // Lao: vowel sign U+0EBB
        "မောင်",                 // Myanmar: asat U+103A
        "សុខា",                  // Khmer
        "שָׁלוֹם",                 // Hebrew points
        "محمّد",                 // Arabic shadda
        "Nguye\u{302}\u{303}n", // Vietnamese, decomposed
        "ʻIolani",              // Hawaiian ʻokina: a letter, kept
    ] {
        assert_eq!(code_for(Field::MemberFirstName, good), None, "{good}");
    }
}

/// Issue 9: punctuation other scripts write inside names is kept as typed.
#[test]
fn member_names_keep_the_name_punctuation_of_other_scripts() {
    for good in [
        "བཀྲ་ཤིས",          // Tibetan tsheg U+0F0B
        "Gal·la",         // Catalan middle dot U+00B7
        "ジョン・ポール", // katakana middle dot U+30FB
        "ג׳ורג׳",         // Hebrew geresh U+05F3
    ] {
        assert_eq!(code_for(Field::MemberLastName, good), None, "{good}");
        assert_eq!(
            normalise(Field::MemberLastName, good),
            good,
            "kept as typed"
        );
    }
}

/// Issue 9: apostrophe, hyphen and full-stop look-alikes are folded to `'`, `-` and `.`, so
/// the subject line is the same however the name was typed.
#[test]
fn member_name_look_alikes_fold_to_one_form() {
    for typed in [
        "O\u{2018}Brien", // ‘ some phone keyboards
        "O\u{2019}Brien", // ’ word processors, iOS smart punctuation
        "O\u{201B}Brien", // ‛
        "O\u{02BC}Brien", // ʼ modifier letter apostrophe
        "O\u{FF07}Brien", // ＇ fullwidth (Japanese and Chinese input methods)
        "O\u{2032}Brien", // ′ prime
        "O\u{00B4}Brien", // ´ acute accent key
        "O`Brien",        // grave accent key
    ] {
        assert_eq!(
            normalise(Field::MemberLastName, typed),
            "O'Brien",
            "{typed}"
        );
        let mut request = valid();
        request.member_last_name = typed.into();
        assert_eq!(
            verdict_of(&request).subject.as_deref(),
            Some("O'Brien, John Medicare"),
            "{typed}"
        );
    }
    for typed in [
        "Smith\u{2010}Jones",
        "Smith\u{2011}Jones",
        "Smith\u{FF0D}Jones",
    ] {
        assert_eq!(
            normalise(Field::MemberLastName, typed),
            "Smith-Jones",
            "{typed}"
        );
    }
    assert_eq!(
        normalise(Field::MemberFirstName, "St\u{FF0E} John"),
        "St. John"
    );
    // Only member names are folded: other fields keep what the agent typed.
    assert_eq!(
        normalise(Field::AgentName, "Pat O\u{2019}Brien"),
        "Pat O\u{2019}Brien"
    );
}

/// Issue 9: the same name typed composed or decomposed gives the same subject line (NFC).
#[test]
fn composed_and_decomposed_names_give_the_same_subject() {
    let mut composed = valid();
    composed.member_first_name = "Jos\u{E9}".into();
    composed.member_last_name = "Nguy\u{1EC5}n".into();
    let mut decomposed = valid();
    decomposed.member_first_name = "Jose\u{301}".into();
    decomposed.member_last_name = "Nguye\u{302}\u{303}n".into();
    let subject = verdict_of(&composed).subject;
    assert_eq!(
        subject.as_deref(),
        Some("Nguy\u{1EC5}n, Jos\u{E9} Medicare")
    );
    assert_eq!(verdict_of(&decomposed).subject, subject);
}

#[test]
fn every_text_field_is_composed_and_lengths_count_the_composed_text() {
    assert_eq!(normalise(Field::Summary, "cafe\u{301}"), "caf\u{E9}");
    assert_eq!(normalise(Field::AgentName, "Rene\u{301}e"), "Ren\u{E9}e");
    // 60 decomposed é are 120 scalar values as typed, 60 once composed.
    assert_eq!(
        code_for(Field::MemberFirstName, &"e\u{301}".repeat(60)),
        None
    );
}

#[test]
fn member_names_refuse_symbols_and_emoji() {
    for bad in [
        "Smith\u{2122}",
        "\u{1F600}",
        "Smith\u{00A9}",
        "A\u{2013}B",
        "Smith\u{00B7}\u{2022}",
    ] {
        assert_eq!(
            code_for(Field::MemberLastName, bad),
            Some(InvalidCharacters),
            "{bad}"
        );
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
