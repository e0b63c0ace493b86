//! SPEC §2–§4: subject line, out-of-scope triage, urgency and the summary hints.

mod common;

use common::{summary, valid, verdict_of, warning_codes, with};
use rsos_rules::{ErrorCode, Field, Outcome, Ruleset, WarningCode};

#[test]
fn medicare_subject_is_last_first_medicare() {
    assert_eq!(
        verdict_of(&valid()).subject.as_deref(),
        Some("Smith, John Medicare")
    );
}

#[test]
fn individual_subject_ends_with_humanaone() {
    let v = with(Field::LineOfBusiness, "individual");
    assert_eq!(v.subject.as_deref(), Some("Smith, John HumanaOne"));
}

#[test]
fn subject_uses_normalised_names() {
    let mut r = valid();
    r.member_first_name = "  Mary    Ann ".into();
    r.member_last_name = " de  la Cruz".into();
    assert_eq!(
        verdict_of(&r).subject.as_deref(),
        Some("de la Cruz, Mary Ann Medicare")
    );
}

#[test]
fn no_subject_for_medicaid_or_other_plans() {
    assert_eq!(with(Field::LineOfBusiness, "medicaid").subject, None);
    assert_eq!(with(Field::LineOfBusiness, "other").subject, None);
}

#[test]
fn no_subject_while_a_name_has_an_error() {
    assert_eq!(with(Field::MemberLastName, "Smith, Jr").subject, None);
    assert_eq!(with(Field::MemberFirstName, "").subject, None);
}

fn scope_of(field: Field, value: &str) -> (Outcome, Option<String>, Option<String>) {
    let v = with(field, value);
    let scope = v.out_of_scope.clone();
    (
        v.outcome,
        scope.as_ref().map(|s| s.category.clone()),
        scope.and_then(|s| s.contact),
    )
}

#[test]
fn commission_topic_is_out_of_scope_with_agent_support_contact() {
    let (outcome, category, contact) = scope_of(Field::Topic, "commission");
    assert_eq!(outcome, Outcome::OutOfScope);
    assert_eq!(category.as_deref(), Some("commission"));
    assert_eq!(contact.as_deref(), Some("AgentSupport@humana.com"));
}

#[test]
fn aor_topic_is_out_of_scope_with_agent_support_contact() {
    let (outcome, category, contact) = scope_of(Field::Topic, "aor");
    assert_eq!(outcome, Outcome::OutOfScope);
    assert_eq!(category.as_deref(), Some("aor"));
    assert_eq!(contact.as_deref(), Some("AgentSupport@humana.com"));
}

#[test]
fn spaa_topic_is_out_of_scope_without_a_contact() {
    let (outcome, category, contact) = scope_of(Field::Topic, "spaa");
    assert_eq!(outcome, Outcome::OutOfScope);
    assert_eq!(category.as_deref(), Some("spaa"));
    assert_eq!(contact, None);
}

#[test]
fn medicaid_plan_is_out_of_scope() {
    let (outcome, category, contact) = scope_of(Field::LineOfBusiness, "medicaid");
    assert_eq!(outcome, Outcome::OutOfScope);
    assert_eq!(category.as_deref(), Some("medicaid"));
    assert_eq!(contact, None);
}

#[test]
fn other_plan_is_out_of_scope() {
    let (outcome, category, _) = scope_of(Field::LineOfBusiness, "other");
    assert_eq!(outcome, Outcome::OutOfScope);
    assert_eq!(category.as_deref(), Some("other_plan"));
}

#[test]
fn plan_category_wins_when_plan_and_topic_are_out_of_scope() {
    let mut r = valid();
    r.line_of_business = "other".into();
    r.topic = "commission".into();
    let v = verdict_of(&r);
    assert_eq!(
        v.out_of_scope.map(|s| s.category).as_deref(),
        Some("other_plan")
    );
}

#[test]
fn out_of_scope_still_lists_other_errors() {
    let mut r = valid();
    r.topic = "commission".into();
    r.member_id.clear();
    let v = verdict_of(&r);
    assert_eq!(v.outcome, Outcome::OutOfScope);
    assert_eq!(v.errors.len(), 1);
}

#[test]
fn guidance_texts_come_from_the_ruleset() {
    let ruleset = Ruleset::builtin();
    for category in ruleset.categories() {
        assert!(!category.guidance.is_empty());
    }
    let v = with(Field::Topic, "commission");
    let guidance = v.out_of_scope.map(|s| s.guidance).unwrap_or_default();
    assert!(guidance.contains("AgentSupport@humana.com"));
}

#[test]
fn access_to_care_topic_is_urgent_with_the_plans_call_center() {
    let v = with(Field::Topic, "access_to_care");
    assert_eq!(v.outcome, Outcome::Forward);
    assert!(v.urgent);
    assert_eq!(v.call_center.as_deref(), Some("1-800-457-4708"));
    let mut r = valid();
    r.line_of_business = "individual".into();
    r.topic = "access_to_care".into();
    assert_eq!(
        verdict_of(&r).call_center.as_deref(),
        Some("1-800-833-6917")
    );
}

#[test]
fn not_urgent_means_no_call_center() {
    let v = verdict_of(&valid());
    assert!(!v.urgent);
    assert_eq!(v.call_center, None);
}

#[test]
fn every_urgency_word_makes_the_request_urgent() {
    let ruleset = rsos_rules::DEFAULT_RULESET_TOML;
    let words = list_in(ruleset, "[urgency]");
    assert!(words.len() > 10);
    for word in words {
        let v = summary(&format!(
            "Member update for the case: {word}, please review this."
        ));
        assert!(v.urgent, "{word}");
        assert!(warning_codes(&v).contains(&WarningCode::Urgent), "{word}");
        assert_eq!(v.outcome, Outcome::Forward, "{word}");
    }
}

#[test]
fn urgency_words_match_whole_words_in_any_case() {
    assert!(summary("Member is in the HOSPITAL since Monday, please review").urgent);
    assert!(summary("Member needs Chemo next week and the claim is stuck").urgent);
    assert!(!summary("Member asked about hospitality benefits on the plan").urgent);
    assert!(!summary("The claim shows a chemotherapist visit with wrong code").urgent);
    assert!(!summary("Member has medication questions about the formulary list").urgent);
}

#[test]
fn an_urgency_word_inside_a_not_urgent_phrase_is_not_urgent() {
    assert!(!summary("Member needs non-emergency transport to the clinic on Monday").urgent);
    assert!(!summary("This is not urgent: the claim shows the wrong office visit date").urgent);
    assert!(summary("Non-emergency ride was denied and now it is an emergency for her").urgent);
    assert!(summary("The member cannot urgently reach the office about the claim").urgent);
    // Only listed phrases calm: a negation in front of any urgency word does not.
    assert!(summary("Member will die if not immediately treated; the claim was denied").urgent);
}

/// Issue 9, "urgency that reads like a person": negation written as a prefix, and everyday
/// negations of the same words, are not urgent.
#[test]
fn negation_written_as_a_prefix_is_not_urgent() {
    for text in [
        "The denial letter calls the condition non-life-threatening; please review the claim.",
        "The denial letter calls the condition non life-threatening; please review the claim.",
        "The denial letter calls the condition NON-LIFE-THREATENING; please review the claim.",
        "The denial letter calls it non-life threatening, so the claim went to review.",
        "Plan says the visit was non-urgent and denied the claim for the office visit.",
        "Plan says the transport was non-emergent and denied the claim for it.",
        "Plan says the visit was nonurgent and denied the claim for the office visit.",
        "The lab result was marked non-critical, but the claim for it was denied.",
        "There is no emergency; the claim for the March visit shows the wrong code.",
        "The issue is no longer urgent but the claim still shows the wrong code.",
    ] {
        let v = summary(text);
        assert!(!v.urgent, "{text}: {:?}", v.warnings);
        assert_eq!(v.call_center, None, "{text}");
    }
}

#[test]
fn every_not_urgent_phrase_takes_the_urgency_out_of_its_words() {
    let phrases = not_urgent_phrases();
    assert!(phrases.len() >= 15, "{phrases:?}");
    for phrase in phrases {
        let v = summary(&format!(
            "The letter calls the member's condition {phrase}; please review the claim."
        ));
        assert!(!v.urgent, "{phrase}: {:?}", v.warnings);
    }
}

#[test]
fn a_negated_urgency_word_does_not_calm_another_one() {
    assert!(
        summary("The letter says non-life-threatening, but she is in the hospital now.").urgent
    );
    assert!(
        summary("Not critical per the plan, yet the member will die if not immediately treated.")
            .urgent
    );
    // A negation that is not one of the listed phrases does not calm.
    assert!(
        summary("The member is not in a life-threatening state only because of dialysis").urgent
    );
    assert!(summary("The member has no insulin left and the pharmacy refuses the refill").urgent);
}

#[test]
fn urgent_warning_names_the_call_center_number() {
    let v = summary("Member is in the hospital and the claim was denied today.");
    let message = &v.warnings[0].message;
    assert!(message.contains("1-800-457-4708"), "{message}");
}

#[test]
fn medicare_request_naming_an_individual_plan_needs_confirmation() {
    for text in [
        "Member had HumanaOne before and the claim went there.",
        "Member had Humana One before and the claim went there.",
        "Member had Humana\n  One before and the claim went there.",
        "Member's individual plan billed the claim instead of this one.",
        "The individual policy billed the claim instead of this one.",
    ] {
        let v = summary(text);
        assert!(
            warning_codes(&v).contains(&WarningCode::MixedLinesOfBusiness),
            "{text}"
        );
        let error = v
            .error_for(Field::ConfirmSingleLineOfBusiness)
            .map(|e| e.code);
        assert_eq!(error, Some(ErrorCode::ConfirmationRequired), "{text}");
        assert_eq!(v.outcome, Outcome::NeedsChanges);
    }
}

#[test]
fn individual_request_naming_medicare_needs_confirmation() {
    for word in list_of_plan("medicare") {
        let mut r = valid();
        r.line_of_business = "individual".into();
        r.summary = format!("Member asked whether {word} covers this claim as well.");
        let v = verdict_of(&r);
        assert!(
            warning_codes(&v).contains(&WarningCode::MixedLinesOfBusiness),
            "{word}"
        );
    }
}

#[test]
fn every_individual_plan_name_is_found_in_a_medicare_request() {
    for word in list_of_plan("individual") {
        let v = summary(&format!(
            "Member asked whether the {word} covers this claim."
        ));
        assert!(
            warning_codes(&v).contains(&WarningCode::MixedLinesOfBusiness),
            "{word}"
        );
    }
}

#[test]
fn medicaid_is_not_medicare() {
    let mut r = valid();
    r.line_of_business = "individual".into();
    r.summary = "Member also has Medicaid and the claim went to the wrong plan.".into();
    let v = verdict_of(&r);
    assert!(!warning_codes(&v).contains(&WarningCode::MixedLinesOfBusiness));
    assert_eq!(v.error_for(Field::ConfirmSingleLineOfBusiness), None);
}

#[test]
fn a_request_naming_its_own_plan_is_not_mixed() {
    let v = summary("Member's Medicare Advantage claim was denied in March.");
    assert!(v.warnings.is_empty());
}

#[test]
fn confirming_one_line_of_business_lets_a_mixed_request_through() {
    let mut r = valid();
    r.summary = "Member left HumanaOne last year; this Medicare claim was denied.".into();
    r.confirm_single_line_of_business = true;
    let v = verdict_of(&r);
    assert_eq!(v.outcome, Outcome::Forward);
    assert!(warning_codes(&v).contains(&WarningCode::MixedLinesOfBusiness));
}

#[test]
fn every_out_of_scope_word_gives_a_hint_naming_where_it_goes() {
    for (category, contact_or_text) in [
        ("commission", "AgentSupport@humana.com"),
        ("aor", "AgentSupport@humana.com"),
        ("spaa", "SPAA"),
        ("medicaid", "Medicaid"),
    ] {
        let words = list_of_category(category);
        assert!(!words.is_empty(), "{category}");
        for word in words {
            let v = summary(&format!(
                "Claim denied last week. Also a question: {word} for this member?"
            ));
            let hint = v
                .warnings
                .iter()
                .find(|w| w.code == WarningCode::PossibleOutOfScope);
            let hint = hint.unwrap_or_else(|| panic!("no hint for {word}"));
            assert!(
                hint.message.contains(contact_or_text),
                "{word}: {}",
                hint.message
            );
            assert_eq!(v.outcome, Outcome::Forward, "hints never block: {word}");
        }
    }
}

#[test]
fn agent_of_record_is_a_hint_but_record_alone_is_not() {
    let v = summary("Please send the agent of record letter again for this member.");
    assert_eq!(warning_codes(&v), [WarningCode::PossibleOutOfScope]);
    let v = summary("Please update the member's record with the new mailing address.");
    assert!(v.warnings.is_empty());
}

#[test]
fn near_misses_are_not_hints() {
    for text in [
        "The decommissioned provider office still shows in the directory.",
        "The claim mentions a boring letter that arrived late to the member.",
        "Member asked about the SPAAS program? No, the spa benefit claim.",
        "Medicaidlike wording appears on the notice but this is a claim issue.",
    ] {
        let v = summary(text);
        assert!(
            !warning_codes(&v).contains(&WarningCode::PossibleOutOfScope),
            "{text}"
        );
    }
}

#[test]
fn no_hint_when_the_request_is_already_out_of_scope() {
    let mut r = valid();
    r.topic = "commission".into();
    r.summary = "My commission for this member never arrived this month.".into();
    assert!(verdict_of(&r).warnings.is_empty());
}

#[test]
fn warnings_come_in_spec_order() {
    let v =
        summary("Member moved from HumanaOne; my commission is late and she is in the hospital.");
    assert_eq!(
        warning_codes(&v),
        [
            WarningCode::MixedLinesOfBusiness,
            WarningCode::PossibleOutOfScope,
            WarningCode::Urgent
        ]
    );
}

#[test]
fn verdict_reports_the_ruleset_version() {
    assert_eq!(verdict_of(&valid()).ruleset, Ruleset::builtin().version());
}

/// The phrases of one array in the ruleset file, read from the TOML text so that adding a
/// word to the data adds it to these tests.
fn list_in(text: &str, header: &str) -> Vec<String> {
    let start = text.find(header).unwrap_or(0);
    let words_at = text[start..]
        .find("words = [")
        .map(|i| start + i + 9)
        .unwrap_or(start);
    let end = text[words_at..]
        .find(']')
        .map(|i| words_at + i)
        .unwrap_or(words_at);
    text[words_at..end]
        .split(',')
        .filter_map(|w| {
            let w = w.trim().trim_matches('"');
            (!w.is_empty()).then(|| w.to_string())
        })
        .collect()
}

fn not_urgent_phrases() -> Vec<String> {
    let text = rsos_rules::DEFAULT_RULESET_TOML;
    let start = text.find("not_urgent = [").map_or(text.len(), |i| i + 14);
    let end = text[start..].find(']').map_or(start, |i| start + i);
    text[start..end]
        .split(',')
        .filter_map(|w| {
            let w = w.trim().trim_matches('"');
            (!w.is_empty()).then(|| w.to_string())
        })
        .collect()
}

fn list_of_plan(code: &str) -> Vec<String> {
    let text = rsos_rules::DEFAULT_RULESET_TOML;
    let start = text.find(&format!("code = \"{code}\"")).unwrap_or(0);
    let names = text[start..]
        .find("names = [")
        .map(|i| start + i + 9)
        .unwrap_or(start);
    let end = text[names..].find(']').map(|i| names + i).unwrap_or(names);
    text[names..end]
        .split(',')
        .filter_map(|w| {
            let w = w.trim().trim_matches('"');
            (!w.is_empty()).then(|| w.to_string())
        })
        .collect()
}

fn list_of_category(category: &str) -> Vec<String> {
    list_in(
        rsos_rules::DEFAULT_RULESET_TOML,
        &format!("category = \"{category}\""),
    )
}
