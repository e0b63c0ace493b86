//! Properties that hold for any input (proptest).

use std::sync::OnceLock;

use proptest::prelude::*;
use rsos_rules::{assess, normalise, Field, Request, Ruleset, DEFAULT_RULESET_TOML};

/// The built-in ruleset again, compiled from its TOML text at run time rather than from
/// the Rust code build.rs wrote out.
fn ruleset_from_text() -> &'static Ruleset {
    static PARSED: OnceLock<Ruleset> = OnceLock::new();
    PARSED
        .get_or_init(|| Ruleset::from_toml(DEFAULT_RULESET_TOML).unwrap_or_else(|e| panic!("{e}")))
}

fn any_text() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[ a-zA-Z0-9,'.\\-\\[\\]\t\r\n\u{a0}\u{202e}\u{85}éß李]{0,80}",
        Just(String::new()),
    ]
}

fn any_request() -> impl Strategy<Value = Request> {
    (
        prop_oneof![
            Just("medicare".to_string()),
            Just("individual".to_string()),
            Just("medicaid".to_string()),
            any_text()
        ],
        prop_oneof![
            Just("claims".to_string()),
            Just("commission".to_string()),
            Just("access_to_care".to_string()),
            any_text()
        ],
        any_text(),
        any_text(),
        any_text(),
        any_text(),
        (any_text(), any_text(), any_text()),
        prop_oneof![
            any_text(),
            "(Medicare|HumanaOne|hospital|commission|agent of record| |x){0,40}"
        ],
        any::<bool>(),
    )
        .prop_map(
            |(lob, topic, name, san, email, id, (first, last, reference), summary, confirm)| {
                Request {
                    line_of_business: lob,
                    topic,
                    agent_name: name,
                    agent_san: san,
                    agent_email: email,
                    member_id: id,
                    member_first_name: first,
                    member_last_name: last,
                    reference_number: reference,
                    summary,
                    confirm_single_line_of_business: confirm,
                }
            },
        )
}

fn without_controls(mut request: Request) -> Request {
    for field in Field::ALL {
        if let Some(text) = request.text_mut(field) {
            text.retain(|c| {
                !c.is_control()
                    && !('\u{202a}'..='\u{202e}').contains(&c)
                    && !('\u{2066}'..='\u{2069}').contains(&c)
            });
        }
    }
    request
}

/// `Last, First Medicare` or `Last, First HumanaOne`, names free of separators.
fn subject_has_spec_shape(subject: &str) -> bool {
    let Some((rest, label)) = subject.rsplit_once(' ') else {
        return false;
    };
    let Some((last, first)) = rest.split_once(", ") else {
        return false;
    };
    let name_ok = |n: &str| {
        !n.is_empty() && !n.contains([',', '[', ']']) && n.trim() == n && !n.contains("  ")
    };
    matches!(label, "Medicare" | "HumanaOne") && name_ok(last) && name_ok(first)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    #[test]
    fn any_request_gets_a_verdict_without_panicking(request in any_request()) {
        let _ = assess(&request, Ruleset::builtin());
    }

    /// The verdict depends only on the request and the ruleset, not on how they arrived: a
    /// request built in code and the same request read from its JSON, judged by the
    /// built-in ruleset and by the same ruleset read from its TOML, get the same bytes.
    #[test]
    fn the_verdict_depends_only_on_the_request_and_the_ruleset(request in any_request()) {
        let direct = assess(&request, Ruleset::builtin()).verdict.to_json();
        let json = serde_json::to_vec(&request).unwrap_or_default();
        let read = Request::from_json(&json).unwrap_or_else(|e| panic!("{e}"));
        prop_assert_eq!(&read, &request);
        let again = assess(&read, ruleset_from_text()).verdict.to_json();
        prop_assert_eq!(direct, again);
    }

    #[test]
    fn normalisation_is_idempotent(text in any_text()) {
        for field in Field::ALL {
            let once = normalise(field, &text);
            prop_assert_eq!(normalise(field, &once), once.clone());
        }
    }

    #[test]
    fn judging_the_normalised_request_changes_nothing(request in any_request()) {
        // Control characters are refused before white space is collapsed (a tab inside a
        // name is an error, not a space), so the property holds for text without them.
        let request = without_controls(request);
        let first = assess(&request, Ruleset::builtin());
        let n = &first.request;
        let again = Request {
            line_of_business: n.line_of_business.clone(),
            topic: n.topic.clone(),
            agent_name: n.agent_name.clone(),
            agent_san: n.agent_san.clone(),
            agent_email: n.agent_email.clone(),
            member_id: n.member_id.clone(),
            member_first_name: n.member_first_name.clone(),
            member_last_name: n.member_last_name.clone(),
            reference_number: n.reference_number.clone().unwrap_or_default(),
            summary: n.summary.clone(),
            confirm_single_line_of_business: n.confirm_single_line_of_business,
        };
        let second = assess(&again, Ruleset::builtin());
        prop_assert_eq!(&first.request, &second.request);
        prop_assert_eq!(first.verdict.subject, second.verdict.subject);
        prop_assert_eq!(first.verdict.outcome, second.verdict.outcome);
    }

    /// Addresses go to the mail API in ASCII, whatever script the agent typed the domain in.
    #[test]
    fn every_email_goes_to_ascii_addresses(
        domain in prop_oneof!["\\PC{1,12}", "[a-zA-Zäöüßрфæ例え\\-\u{301}。]{1,12}"],
        tld in prop_oneof![Just("com".to_string()), Just("xn--p1ai".to_string()), "\\PC{1,6}"],
        topic in prop_oneof![Just("claims"), Just("commission")],
    ) {
        let request = Request {
            line_of_business: "medicare".into(),
            topic: topic.into(),
            agent_name: "Pat Agent".into(),
            agent_san: "A12345".into(),
            agent_email: format!("pat@{domain}.{tld}"),
            member_id: "H1234-5678".into(),
            member_first_name: "John".into(),
            member_last_name: "Smith".into(),
            summary: "Claim for the March 3 office visit was denied as out of network.".into(),
            ..Request::default()
        };
        let ruleset = Ruleset::builtin();
        let assessment = assess(&request, ruleset);
        let received = chrono::DateTime::UNIX_EPOCH;
        let sent = rsos_rules::dispatch(&assessment, ruleset, ruleset.mailbox(), "RSOS-X", received, &rsos_rules::Links::default());
        for email in sent.emails {
            prop_assert!(email.to.is_ascii(), "{:?}", email.to);
            prop_assert!(email.reply_to.as_deref().is_none_or(str::is_ascii), "{:?}", email.reply_to);
        }
    }

    #[test]
    fn every_subject_has_the_spec_shape(request in any_request()) {
        if let Some(subject) = assess(&request, Ruleset::builtin()).verdict.subject {
            prop_assert!(subject_has_spec_shape(&subject), "{subject:?}");
            prop_assert!(!subject.chars().any(char::is_control));
        }
    }

    #[test]
    fn any_bytes_parse_to_a_request_or_a_plain_error(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
        match Request::from_json(&bytes) {
            Ok(request) => { let _ = assess(&request, Ruleset::builtin()); }
            Err(e) => prop_assert!(e.to_string().ends_with('.')),
        }
    }

    #[test]
    fn any_ruleset_text_is_a_ruleset_or_an_error(text in any_text()) {
        let _ = Ruleset::from_toml(&text);
    }

    #[test]
    fn the_business_clock_never_panics(seconds in -2_000_000_000i64..8_000_000_000i64, k in 0u32..20) {
        if let Some(received) = chrono::DateTime::from_timestamp(seconds, 0) {
            let times = rsos_rules::BusinessClock::new(Ruleset::builtin()).service_times(received, k);
            prop_assert!(times.respond_by > times.received);
            prop_assert_eq!(times.follow_ups.len(), k as usize);
        }
    }
}
