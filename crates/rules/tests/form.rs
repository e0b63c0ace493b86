//! What forms show around the fields and the verdict, made by the rules crate (issue 8):
//! input kinds, requiredness, autocomplete, hints with the ruleset's limits, the urgent
//! banner with its `tel:` link, and what the agent can tell the member before sending
//! (issue 10).

mod common;

use chrono::{DateTime, Utc};
use common::{summary, valid, verdict_of, with};
use rsos_rules::{
    assess, dispatch, if_sent_now, promise_if_sent, rfc3339, urgent_banner, BusinessClock, Field,
    InputKind, Links, Ruleset, DEFAULT_RULESET_TOML,
};

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

fn at(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_else(|e| panic!("bad test time {text}: {e}"))
}

/// The promise for a receipt, as RFC 3339: (received, respond by, first update).
fn promise_at(received: &str, ruleset: &Ruleset) -> [String; 3] {
    let promise = promise_if_sent(at(received), ruleset);
    let next = promise.next_follow_up.unwrap_or_default();
    [promise.received_at, promise.respond_by, next]
}

#[test]
fn the_promise_before_sending_skips_the_thanksgiving_weekend() {
    // Wednesday before Thanksgiving 2026, 3 PM: Thu 26 is Thanksgiving, then the weekend.
    // Respond by: Fri 27, Mon 30, Tue Dec 1. First update: … Wed 2, Thu 3.
    assert_eq!(
        promise_at("2026-11-25T20:00:00Z", Ruleset::builtin()),
        [
            "2026-11-25T15:00:00-05:00",
            "2026-12-01T15:00:00-05:00",
            "2026-12-03T15:00:00-05:00",
        ]
    );
}

#[test]
fn the_promise_before_sending_keeps_local_times_across_daylight_saving() {
    // Thursday 11 March 2027, 10 AM EST; clocks go forward on Sunday the 14th.
    assert_eq!(
        promise_at("2027-03-11T15:00:00Z", Ruleset::builtin()),
        [
            "2027-03-11T10:00:00-05:00",
            "2027-03-16T10:00:00-04:00",
            "2027-03-18T10:00:00-04:00",
        ]
    );
}

#[test]
fn the_promise_on_a_weekend_counts_from_monday_morning() {
    // Saturday 28 November 2026 (after Thanksgiving): counts as Monday 30, 00:00.
    assert_eq!(
        promise_at("2026-11-28T16:00:00Z", Ruleset::builtin()),
        [
            "2026-11-28T11:00:00-05:00",
            "2026-12-03T00:00:00-05:00",
            "2026-12-07T00:00:00-05:00",
        ]
    );
}

#[test]
fn the_promise_is_what_the_acknowledgement_says_after_sending() {
    let ruleset = Ruleset::builtin();
    let assessment = assess(&common::valid(), ruleset);
    for received in [
        "2026-11-25T20:00:00Z",
        "2026-12-24T22:59:59Z",
        "2027-03-12T21:30:00Z",
        "2027-11-06T05:30:00Z",
    ] {
        let promise = promise_if_sent(at(received), ruleset);
        let times = BusinessClock::new(ruleset).receipt_times(at(received));
        assert_eq!(promise.received_at, rfc3339(&times.received), "{received}");
        assert_eq!(promise.respond_by, rfc3339(&times.respond_by), "{received}");
        assert_eq!(
            promise.next_follow_up,
            times.follow_ups.first().map(rfc3339)
        );
        assert_eq!(promise.ruleset, ruleset.version());
        let sent = dispatch(
            &assessment,
            ruleset,
            ruleset.mailbox(),
            "RSOS-20261125-ABCDEFGH",
            at(received),
            &Links::default(),
        );
        assert_eq!(rfc3339(&sent.times.respond_by), promise.respond_by);
        let follow_ups: Vec<String> = sent.times.follow_ups.iter().map(rfc3339).collect();
        assert_eq!(Some(follow_ups.concat()), promise.next_follow_up);
    }
}

/// The built-in ruleset with its example peak season switched on: 5 business days to
/// respond, updates every 10, from 15 October to 7 December.
fn peak_season() -> Ruleset {
    let text = DEFAULT_RULESET_TOML.replacen(
        "# [[sla.seasons]]\n# name = \"Annual Enrollment Period\"\n# from = \"10-15\"\n# to = \"12-07\"\n# respond_business_days = 5\n# follow_up_business_days = 5",
        "[[sla.seasons]]\nname = \"Annual Enrollment Period\"\nfrom = \"10-15\"\nto = \"12-07\"\nrespond_business_days = 5\nfollow_up_business_days = 10",
        1,
    );
    assert_ne!(
        text, DEFAULT_RULESET_TOML,
        "the example season is in the ruleset file"
    );
    Ruleset::from_toml(&text).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn the_promise_follows_the_rulesets_peak_season_targets() {
    let ruleset = peak_season();
    // Wednesday before Thanksgiving: 5 business days → Thu Dec 3; 10 → Thu Dec 10.
    assert_eq!(
        promise_at("2026-11-25T20:00:00Z", &ruleset)[1..],
        ["2026-12-03T15:00:00-05:00", "2026-12-10T15:00:00-05:00"]
    );
}

#[test]
fn the_promise_holds_until_midnight_in_the_business_zone_and_no_longer() {
    let ruleset = Ruleset::builtin();
    // Tuesday 17 November 2026, 11:58 PM EST: two minutes to midnight.
    let before = promise_if_sent(at("2026-11-18T04:58:00Z"), ruleset);
    assert_eq!(before.holds_for_s, 120);
    assert_eq!(before.respond_by, "2026-11-20T23:58:00-05:00");
    // One second before it ends: the same date, 1 min 59 s later.
    let last = promise_if_sent(at("2026-11-18T04:59:59Z"), ruleset);
    assert_eq!(last.respond_by, "2026-11-20T23:59:59-05:00");
    assert_eq!(last.holds_for_s, 1);
    // Five minutes later it is Wednesday: the weekend moves the respond-by by two days and
    // five minutes, from Friday night to Monday.
    let after = promise_if_sent(at("2026-11-18T05:03:00Z"), ruleset);
    assert_eq!(after.respond_by, "2026-11-23T00:03:00-05:00");
    assert_eq!(after.holds_for_s, 24 * 3600 - 180);
}

#[test]
fn within_its_hold_a_promise_moves_only_by_the_time_passed() {
    // Every 7 h 13 min over a year (DST changes, holidays, weekends and the peak season of
    // the ruleset's example included); a later receipt within the hold: the same dates, later
    // by the time passed on a business day and not at all on other days.
    let seasonal = peak_season();
    for ruleset in [Ruleset::builtin(), &seasonal] {
        let mut t = at("2026-01-01T00:00:00Z");
        while t < at("2027-01-01T00:00:00Z") {
            let first = promise_if_sent(t, ruleset);
            let passed = chrono::Duration::seconds((first.holds_for_s - 1).min(4321));
            let later = promise_if_sent(t + passed, ruleset);
            let moved = |a: &str, b: &str| {
                DateTime::parse_from_rfc3339(b)
                    .map(|b| b.timestamp())
                    .and_then(|b| DateTime::parse_from_rfc3339(a).map(|a| b - a.timestamp()))
                    .unwrap_or(i64::MIN)
            };
            let (shift, n) = (
                moved(&first.received_at, &later.received_at),
                passed.num_seconds(),
            );
            assert_eq!(shift, n, "{t}");
            // On a business day the times move with the clock; on a weekend or holiday they
            // stay at 00:00 of the day counted from.
            let respond_moved = moved(&first.respond_by, &later.respond_by);
            assert!((0..=n).contains(&respond_moved), "{t}: {respond_moved} s");
            assert_eq!(
                first.respond_by.get(..10),
                later.respond_by.get(..10),
                "respond-by date, received {t} and {passed} later"
            );
            assert_eq!(
                first.next_follow_up.as_deref().and_then(|d| d.get(..10)),
                later.next_follow_up.as_deref().and_then(|d| d.get(..10)),
                "follow-up date, received {t}"
            );
            t += chrono::Duration::minutes(7 * 60 + 13);
        }
    }
}

#[test]
fn the_sentence_before_sending_names_both_times_as_the_form_formats_them() {
    let sentence = if_sent_now(
        "Tuesday, December 1 at 3:00 PM EST",
        "Thursday, December 3 at 3:00 PM EST",
    );
    assert_eq!(
        sentence,
        "If you send now: answer by Tuesday, December 1 at 3:00 PM EST, first update by Thursday, December 3 at 3:00 PM EST."
    );
}
