//! The promise ledger (SPEC §9): every transition, every date, pause and resume across a
//! holiday and a daylight-saving change, repeated actions and actions on a resolved request.

use chrono::{DateTime, Duration, TimeZone, Utc};
use chrono_tz::America::New_York;
use rsos_rules::ledger::{
    action_emails, Action, Applied, DetailsReply, Entry, Happened, Promise, State,
};
use rsos_rules::Links;
use rsos_rules::{assess, BusinessClock, EmailKind, Field, Request, Ruleset};

fn ruleset() -> &'static Ruleset {
    Ruleset::builtin()
}

/// A New York wall-clock instant.
fn ny(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
    New_York
        .with_ymd_and_hms(y, m, d, h, min, 0)
        .single()
        .expect("an unambiguous local time")
        .with_timezone(&Utc)
}

fn request() -> Request {
    Request {
        line_of_business: "medicare".into(),
        topic: "claims".into(),
        agent_name: "Pat Agent".into(),
        agent_san: "A12345".into(),
        agent_email: "pat@agency.example".into(),
        member_id: "H1234-5678".into(),
        member_first_name: "John".into(),
        member_last_name: "Smith".into(),
        summary: "Claim for the March 3 office visit was denied as out of network.".into(),
        ..Request::default()
    }
}

fn opened(received: DateTime<Utc>) -> Entry {
    let assessment = assess(&request(), ruleset());
    Entry::open(&assessment, "RSOS-T", received, ruleset()).expect("a forwarded request")
}

fn changed(applied: Result<Applied, rsos_rules::ledger::Refusal>) -> Entry {
    match applied {
        Ok(Applied::Changed(entry)) => *entry,
        other => panic!("expected a change, got {other:?}"),
    }
}

fn ask(fields: &[Field], note: &str) -> Action {
    Action::AskDetails {
        fields: fields.to_vec(),
        note: note.into(),
    }
}

fn instant(ms: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(ms).unwrap()
}

#[test]
fn a_forwarded_request_opens_an_entry_without_member_data() {
    let entry = opened(ny(2026, 11, 23, 10, 0));
    assert_eq!(entry.state, State::Open);
    assert_eq!(entry.events.len(), 1);
    assert_eq!(entry.events[0].happened, Happened::Forwarded);
    let json = serde_json::to_string(&entry).unwrap();
    for member in ["H1234-5678", "John", "Smith", "office visit"] {
        assert!(!json.contains(member), "{member} kept in {json}");
    }
}

#[test]
fn a_request_that_is_not_forwarded_opens_no_entry() {
    let mut out_of_scope = request();
    out_of_scope.topic = "commission".into();
    let assessment = assess(&out_of_scope, ruleset());
    assert_eq!(
        Entry::open(&assessment, "T", ny(2026, 11, 23, 10, 0), ruleset()),
        None
    );
}

#[test]
fn respond_by_is_three_business_days_across_thanksgiving() {
    let entry = opened(ny(2026, 11, 23, 10, 0));
    assert_eq!(instant(entry.respond_by_ms), ny(2026, 11, 27, 10, 0));
}

#[test]
fn the_first_response_keeps_the_promise_and_a_repeat_is_harmless() {
    let entry = opened(ny(2026, 11, 23, 10, 0));
    assert_eq!(entry.promise(ny(2026, 11, 24, 0, 0)), Promise::Due);
    let responded = changed(entry.apply(&Action::Respond, ny(2026, 11, 24, 9, 0), ruleset()));
    assert_eq!(responded.state, State::Responded);
    assert_eq!(responded.promise(ny(2026, 12, 30, 0, 0)), Promise::Kept);
    assert_eq!(
        responded.apply(&Action::Respond, ny(2026, 11, 24, 9, 5), ruleset()),
        Ok(Applied::AlreadyDone)
    );
}

#[test]
fn an_answer_after_the_respond_by_misses_the_promise() {
    let entry = opened(ny(2026, 11, 23, 10, 0));
    assert_eq!(entry.promise(ny(2026, 11, 27, 10, 1)), Promise::Missed);
    let late = changed(entry.apply(&Action::Respond, ny(2026, 11, 30, 9, 0), ruleset()));
    assert_eq!(late.promise(ny(2026, 11, 30, 9, 0)), Promise::Missed);
}

#[test]
fn asking_for_details_pauses_and_the_reply_resumes_across_a_holiday() {
    // Received Monday; respond-by Friday 10:00 (Thanksgiving Thursday is no business day).
    let entry = opened(ny(2026, 11, 23, 10, 0));
    let asked = changed(entry.apply(
        &ask(&[Field::MemberId], "The ID on file does not match."),
        ny(2026, 11, 24, 10, 0),
        ruleset(),
    ));
    assert_eq!(asked.state, State::AwaitingAgent);
    assert_eq!(asked.promise(ny(2026, 12, 10, 0, 0)), Promise::Paused);
    let left = asked.asked.as_ref().unwrap().remaining_ms;
    // Tuesday 10:00 → Friday 10:00: 14 h + 24 h (Wednesday) + 10 h (Friday).
    assert_eq!(left, Duration::hours(48).num_milliseconds());
    // The agent answers Monday 09:00: 48 business hours from then is Wednesday 09:00.
    let resumed = changed(asked.apply(&Action::ProvideDetails, ny(2026, 11, 30, 9, 0), ruleset()));
    assert_eq!(resumed.state, State::Open);
    assert_eq!(instant(resumed.respond_by_ms), ny(2026, 12, 2, 9, 0));
    assert!(resumed.asked.is_none());
}

#[test]
fn a_pause_across_a_daylight_saving_change_keeps_wall_clock_time() {
    // Received Friday 12 March 2027 10:00 EST; clocks spring forward Sunday 14 March.
    let entry = opened(ny(2027, 3, 12, 10, 0));
    assert_eq!(instant(entry.respond_by_ms), ny(2027, 3, 17, 10, 0));
    let asked = changed(entry.apply(&ask(&[], "Which claim?"), ny(2027, 3, 12, 16, 0), ruleset()));
    // Friday 16:00 → Wednesday 10:00: 8 h + 24 h + 24 h + 10 h, in wall-clock hours.
    assert_eq!(
        asked.asked.as_ref().unwrap().remaining_ms,
        Duration::hours(66).num_milliseconds()
    );
    // A reply on Saturday counts from Monday 00:00 (EDT now): Monday, Tuesday, then 18 h.
    let resumed = changed(asked.apply(&Action::ProvideDetails, ny(2027, 3, 13, 11, 0), ruleset()));
    let respond_by = instant(resumed.respond_by_ms).with_timezone(&New_York);
    assert_eq!(respond_by.to_rfc3339(), "2027-03-17T18:00:00-04:00");
}

#[test]
fn a_reply_after_the_respond_by_had_passed_is_due_at_once() {
    let entry = opened(ny(2026, 11, 23, 10, 0));
    let asked = changed(entry.apply(
        &ask(&[Field::Summary], ""),
        ny(2026, 11, 30, 10, 0),
        ruleset(),
    ));
    assert_eq!(asked.asked.as_ref().unwrap().remaining_ms, 0);
    let resumed = changed(asked.apply(&Action::ProvideDetails, ny(2026, 12, 1, 9, 30), ruleset()));
    assert_eq!(instant(resumed.respond_by_ms), ny(2026, 12, 1, 9, 30));
}

#[test]
fn a_request_the_team_answered_goes_back_to_answered_and_keeps_its_respond_by() {
    let entry = opened(ny(2026, 11, 23, 10, 0));
    let responded = changed(entry.apply(&Action::Respond, ny(2026, 11, 24, 9, 0), ruleset()));
    let asked = changed(responded.apply(
        &ask(&[Field::ReferenceNumber], ""),
        ny(2026, 11, 24, 11, 0),
        ruleset(),
    ));
    let back = changed(asked.apply(&Action::ProvideDetails, ny(2026, 12, 1, 9, 0), ruleset()));
    assert_eq!(back.state, State::Responded);
    assert_eq!(back.respond_by_ms, entry.respond_by_ms);
    assert_eq!(back.promise(ny(2026, 12, 1, 9, 0)), Promise::Kept);
}

#[test]
fn asking_twice_without_an_answer_is_refused() {
    let entry = opened(ny(2026, 11, 23, 10, 0));
    let asked = changed(entry.apply(
        &ask(&[Field::MemberId], ""),
        ny(2026, 11, 24, 9, 0),
        ruleset(),
    ));
    let refusal = asked
        .apply(
            &ask(&[Field::Summary], ""),
            ny(2026, 11, 24, 9, 5),
            ruleset(),
        )
        .unwrap_err();
    assert_eq!(refusal.status, 409);
}

#[test]
fn an_empty_ask_or_one_for_an_unknown_field_is_refused() {
    let entry = opened(ny(2026, 11, 23, 10, 0));
    let now = ny(2026, 11, 24, 9, 0);
    assert_eq!(
        entry
            .apply(&ask(&[], "  "), now, ruleset())
            .unwrap_err()
            .status,
        422
    );
    assert_eq!(
        entry
            .apply(&ask(&[Field::LineOfBusiness], ""), now, ruleset())
            .unwrap_err()
            .status,
        422
    );
    let long = "x".repeat(1001);
    assert_eq!(
        entry
            .apply(&ask(&[], &long), now, ruleset())
            .unwrap_err()
            .status,
        422
    );
}

#[test]
fn details_nobody_asked_for_are_refused() {
    let entry = opened(ny(2026, 11, 23, 10, 0));
    let refusal = entry
        .apply(&Action::ProvideDetails, ny(2026, 11, 24, 9, 0), ruleset())
        .unwrap_err();
    assert_eq!(refusal.status, 409);
}

#[test]
fn resolving_is_final_and_resolving_again_is_harmless() {
    let entry = opened(ny(2026, 11, 23, 10, 0));
    let resolved = changed(entry.apply(&Action::Resolve, ny(2026, 11, 25, 9, 0), ruleset()));
    assert_eq!(resolved.state, State::Resolved);
    assert_eq!(
        resolved.next_update(ny(2026, 11, 25, 9, 0), ruleset()),
        None
    );
    assert_eq!(
        resolved.apply(&Action::Resolve, ny(2026, 11, 25, 9, 1), ruleset()),
        Ok(Applied::AlreadyDone)
    );
    for action in [
        Action::Respond,
        ask(&[Field::MemberId], ""),
        Action::ProvideDetails,
    ] {
        let refusal = resolved
            .apply(&action, ny(2026, 11, 26, 9, 0), ruleset())
            .unwrap_err();
        assert_eq!(refusal.status, 409, "{action:?}");
    }
}

#[test]
fn the_next_update_is_every_five_business_days_and_none_while_waiting() {
    let received = ny(2026, 11, 23, 10, 0);
    let entry = opened(received);
    let times = BusinessClock::new(ruleset()).service_times(received, 2);
    assert_eq!(
        entry.next_update(ny(2026, 11, 24, 0, 0), ruleset()),
        Some(times.follow_ups[0])
    );
    let after_first = times.follow_ups[0].with_timezone(&Utc) + Duration::minutes(1);
    assert_eq!(
        entry.next_update(after_first, ruleset()),
        Some(times.follow_ups[1])
    );
    let asked = changed(entry.apply(
        &ask(&[Field::MemberId], ""),
        ny(2026, 11, 24, 9, 0),
        ruleset(),
    ));
    assert_eq!(asked.next_update(ny(2026, 11, 24, 9, 0), ruleset()), None);
}

#[test]
fn the_status_names_what_is_needed_and_no_member_data() {
    let entry = opened(ny(2026, 11, 23, 10, 0));
    let asked = changed(entry.apply(
        &ask(&[Field::MemberId, Field::MemberLastName], "Check the card."),
        ny(2026, 11, 24, 9, 0),
        ruleset(),
    ));
    let status = asked.status(ny(2026, 11, 24, 9, 0), ruleset());
    assert_eq!(status.state, State::AwaitingAgent);
    let needed = status.needed.expect("what is needed");
    assert_eq!(needed.note, "Check the card.");
    let fields: Vec<Field> = needed.fields.iter().map(|f| f.field).collect();
    assert_eq!(fields, [Field::MemberId, Field::MemberLastName]);
    assert_eq!(status.received, "2026-11-23T10:00:00-05:00");
}

#[test]
fn details_are_checked_with_the_field_rules_and_rebuild_the_subject_line() {
    let entry = opened(ny(2026, 11, 23, 10, 0));
    let asked = changed(entry.apply(
        &ask(&[Field::MemberId], ""),
        ny(2026, 11, 24, 9, 0),
        ruleset(),
    ));
    let reply = DetailsReply {
        fields: vec![
            (Field::MemberFirstName, " John ".into()),
            (Field::MemberLastName, "O\u{2018}Brien".into()),
            (Field::MemberId, "-bad".into()),
        ],
        details: "short".into(),
    };
    let errors = asked.check_details(&reply, ruleset()).unwrap_err();
    let fields: Vec<Field> = errors.iter().map(|e| e.field).collect();
    assert_eq!(fields, [Field::MemberId, Field::Summary]);
    let reply = DetailsReply {
        fields: vec![
            (Field::MemberFirstName, " John ".into()),
            (Field::MemberLastName, "O\u{2018}Brien".into()),
            (Field::MemberId, "H1234-5679".into()),
        ],
        details: "The member ID on the new card is H1234-5679.".into(),
    };
    let checked = asked.check_details(&reply, ruleset()).unwrap();
    assert_eq!(checked.subject, "O'Brien, John Medicare");
}

#[test]
fn each_action_sends_what_it_promises() {
    let links = Links {
        status: Some("https://rsos.example/status/s".into()),
        details: Some("https://portal.example/?details=d".into()),
        ..Links::default()
    };
    let entry = opened(ny(2026, 11, 23, 10, 0));
    let now = ny(2026, 11, 24, 9, 0);
    let action = ask(&[Field::MemberId], "Check the card.");
    let asked = changed(entry.apply(&action, now, ruleset()));
    let emails = action_emails(
        &entry,
        &asked,
        &action,
        ruleset(),
        "AgentRSOS@humana.com",
        &links,
        None,
    );
    assert_eq!(emails.len(), 1);
    assert_eq!(emails[0].kind, EmailKind::DetailsRequest);
    assert_eq!(emails[0].to, "pat@agency.example");
    assert!(emails[0].subject.contains("RSOS-T"));
    assert!(
        !emails[0].subject.contains("Smith"),
        "no member name to the agent"
    );
    assert!(emails[0].text.contains("Member ID #") && emails[0].text.contains("details=d"));
    let resolved = changed(asked.apply(&Action::Resolve, now, ruleset()));
    let emails = action_emails(
        &asked,
        &resolved,
        &Action::Resolve,
        ruleset(),
        "m",
        &links,
        None,
    );
    assert_eq!(emails[0].kind, EmailKind::Resolved);
    let responded = changed(entry.apply(&Action::Respond, now, ruleset()));
    assert!(action_emails(
        &entry,
        &responded,
        &Action::Respond,
        ruleset(),
        "m",
        &links,
        None
    )
    .is_empty());
}

#[test]
fn business_time_counts_wall_clock_hours_on_business_days_only() {
    let clock = BusinessClock::new(ruleset());
    // Friday 20:00 to Monday 04:00: 4 h on Friday, none at the weekend, 4 h on Monday.
    assert_eq!(
        clock.business_time_between(ny(2026, 12, 4, 20, 0), ny(2026, 12, 7, 4, 0)),
        Duration::hours(8)
    );
    // The SPEC §6 respond-by is 72 business hours.
    for received in [
        ny(2026, 11, 23, 10, 0),
        ny(2026, 11, 28, 15, 0),
        ny(2027, 3, 12, 10, 0),
    ] {
        let times = clock.service_times(received, 0);
        assert_eq!(
            clock.after_business_time(received, Duration::hours(72)),
            times.respond_by,
            "{received}"
        );
    }
}
