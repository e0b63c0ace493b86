//! The promise ledger (SPEC §9): every transition, every date, pause and resume across a
//! holiday and a daylight-saving change, repeated actions and actions on a resolved request.

mod common;

use chrono::{DateTime, Duration, TimeZone, Utc};
use chrono_tz::America::New_York;
use rsos_rules::ledger::{
    action_emails, check_reply, details_fields, Action, Applied, DetailsReply, Entry, Happened,
    Promise, State,
};
use rsos_rules::Links;
use rsos_rules::{assess, BusinessClock, EmailKind, ErrorCode, Field, Request, Ruleset};

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

/// The shared valid request (`common::valid`).
fn request() -> Request {
    common::valid()
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
fn the_details_form_has_the_names_what_was_asked_and_the_text_last() {
    assert_eq!(
        details_fields(&[]),
        [
            Field::MemberFirstName,
            Field::MemberLastName,
            Field::Summary
        ]
    );
    assert_eq!(
        details_fields(&[
            Field::Summary,
            Field::ReferenceNumber,
            Field::MemberId,
            Field::AgentName
        ]),
        [
            Field::AgentName,
            Field::MemberId,
            Field::MemberFirstName,
            Field::MemberLastName,
            Field::ReferenceNumber,
            Field::Summary,
        ]
    );
    assert_eq!(
        details_fields(&[Field::MemberFirstName]),
        [
            Field::MemberFirstName,
            Field::MemberLastName,
            Field::Summary
        ],
        "a name asked for is there once"
    );
}

#[test]
fn every_field_of_the_details_form_is_required_and_checked_with_its_own_rule() {
    let empty = DetailsReply::default();
    let errors = check_reply(&[Field::ReferenceNumber], &empty, ruleset()).unwrap_err();
    let fields: Vec<(Field, ErrorCode)> = errors.iter().map(|e| (e.field, e.code)).collect();
    assert_eq!(
        fields,
        [
            (Field::MemberFirstName, ErrorCode::Required),
            (Field::MemberLastName, ErrorCode::Required),
            (Field::ReferenceNumber, ErrorCode::Required),
            (Field::Summary, ErrorCode::Required),
        ]
    );
    assert_eq!(
        errors[2].message,
        "Enter the Reference # again: the team asked for it."
    );
    let reply = DetailsReply {
        fields: vec![
            (Field::MemberFirstName, "John".into()),
            (Field::MemberLastName, "Smith, Jr".into()),
            (Field::ReferenceNumber, "CLM-1".into()),
        ],
        details: "The claim was filed again on the 4th.".into(),
    };
    let errors = check_reply(&[Field::ReferenceNumber], &reply, ruleset()).unwrap_err();
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].field, Field::MemberLastName);
    assert_eq!(errors[0].code, ErrorCode::InvalidCharacters);
}

#[test]
fn the_form_and_the_edge_check_details_alike() {
    let entry = opened(ny(2026, 11, 23, 10, 0));
    let asked = changed(entry.apply(
        &ask(&[Field::MemberId], ""),
        ny(2026, 11, 24, 9, 0),
        ruleset(),
    ));
    for reply in [
        DetailsReply::default(),
        DetailsReply {
            fields: vec![
                (Field::MemberFirstName, " John ".into()),
                (Field::MemberLastName, "Smith".into()),
                (Field::MemberId, "H1234-5679".into()),
            ],
            details: "The member ID on the new card is H1234-5679.".into(),
        },
    ] {
        let form = check_reply(&[Field::MemberId], &reply, ruleset());
        let edge = asked.check_details(&reply, ruleset());
        assert_eq!(form.clone().err(), edge.clone().err());
        assert_eq!(form.ok(), edge.ok().map(|checked| checked.fields));
    }
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
        now,
        ruleset(),
        "AgentRSOS@humana.com",
        &links,
        None,
    );
    assert_eq!(emails.len(), 1);
    assert_eq!(emails[0].kind, EmailKind::DetailsRequest);
    assert_eq!(emails[0].to, "pat.agent@agency.example");
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
        now,
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
        now,
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

#[test]
fn an_update_is_due_once_a_follow_up_date_passes_without_contact() {
    // Received Monday 23 November 2026; follow-ups every 5 business days (Thanksgiving off):
    // 1 December, 8 December, 15 December, 10:00.
    let received = ny(2026, 11, 23, 10, 0);
    let entry = opened(received);
    let times = BusinessClock::new(ruleset()).service_times(received, 3);
    assert_eq!(
        times.follow_ups[0].with_timezone(&Utc),
        ny(2026, 12, 1, 10, 0)
    );
    assert_eq!(entry.update_due(ny(2026, 12, 1, 9, 59), ruleset()), None);
    assert_eq!(entry.update_due(ny(2026, 12, 1, 10, 0), ruleset()), Some(1));
    let updated = changed(entry.apply(
        &Action::SendUpdate { k: 1 },
        ny(2026, 12, 1, 10, 5),
        ruleset(),
    ));
    assert_eq!(updated.update_due(ny(2026, 12, 7, 0, 0), ruleset()), None);
    assert_eq!(
        updated.apply(
            &Action::SendUpdate { k: 1 },
            ny(2026, 12, 1, 10, 6),
            ruleset()
        ),
        Ok(Applied::AlreadyDone)
    );
    assert_eq!(
        updated.update_due(ny(2026, 12, 8, 10, 0), ruleset()),
        Some(2)
    );
    // A sweep that was down for two weeks sends the latest period only.
    assert_eq!(entry.update_due(ny(2026, 12, 16, 9, 0), ruleset()), Some(3));
}

#[test]
fn the_team_in_touch_in_a_period_makes_its_update_unnecessary() {
    let entry = opened(ny(2026, 11, 23, 10, 0));
    let responded = changed(entry.apply(&Action::Respond, ny(2026, 11, 30, 9, 0), ruleset()));
    assert_eq!(
        responded.update_due(ny(2026, 12, 1, 11, 0), ruleset()),
        None
    );
    assert_eq!(
        responded.update_due(ny(2026, 12, 8, 11, 0), ruleset()),
        Some(2)
    );
}

#[test]
fn no_update_is_due_while_waiting_for_the_agent_or_once_resolved() {
    let entry = opened(ny(2026, 11, 23, 10, 0));
    let asked = changed(entry.apply(
        &ask(&[Field::MemberId], ""),
        ny(2026, 11, 24, 9, 0),
        ruleset(),
    ));
    assert_eq!(asked.update_due(ny(2026, 12, 20, 0, 0), ruleset()), None);
    assert_eq!(
        asked
            .apply(
                &Action::SendUpdate { k: 1 },
                ny(2026, 12, 1, 11, 0),
                ruleset()
            )
            .unwrap_err()
            .status,
        409
    );
    let resolved = changed(entry.apply(&Action::Resolve, ny(2026, 11, 24, 9, 0), ruleset()));
    assert_eq!(resolved.update_due(ny(2026, 12, 20, 0, 0), ruleset()), None);
}

#[test]
fn updates_across_a_daylight_saving_change_keep_local_time() {
    // Received Thursday 4 March 2027 10:00 EST; the first follow-up is Thursday 11 March
    // (EST), the second Thursday 18 March 10:00 EDT, after the change.
    let entry = opened(ny(2027, 3, 4, 10, 0));
    assert_eq!(entry.update_due(ny(2027, 3, 18, 9, 59), ruleset()), Some(1));
    assert_eq!(entry.update_due(ny(2027, 3, 18, 10, 0), ruleset()), Some(2));
}

#[test]
fn the_update_email_names_the_dates_and_no_member_data() {
    let entry = opened(ny(2026, 11, 23, 10, 0));
    let now = ny(2026, 12, 1, 10, 5);
    let updated = changed(entry.apply(&Action::SendUpdate { k: 1 }, now, ruleset()));
    let links = Links {
        status: Some("https://rsos.example/api/status/s".into()),
        ..Links::default()
    };
    let emails = action_emails(
        &entry,
        &updated,
        &Action::SendUpdate { k: 1 },
        now,
        ruleset(),
        "m",
        &links,
        None,
    );
    assert_eq!(emails.len(), 1);
    let email = &emails[0];
    assert_eq!(email.kind, EmailKind::StatusUpdate);
    assert!(email.subject.contains("RSOS-T") && email.subject.contains("update"));
    assert!(email.text.contains("Next update by") && email.text.contains("/api/status/s"));
    for member in ["H1234", "Smith", "John"] {
        assert!(!email.text.contains(member) && !email.subject.contains(member));
    }
}

#[test]
fn the_digest_is_due_on_business_days_at_its_time() {
    use rsos_rules::ledger::digest_due;
    assert_eq!(digest_due(ny(2026, 12, 1, 7, 59), ruleset()), None);
    assert_eq!(
        digest_due(ny(2026, 12, 1, 8, 0), ruleset()),
        chrono::NaiveDate::from_ymd_opt(2026, 12, 1)
    );
    // Thanksgiving and a Saturday: none.
    assert_eq!(digest_due(ny(2026, 11, 26, 9, 0), ruleset()), None);
    assert_eq!(digest_due(ny(2026, 11, 28, 9, 0), ruleset()), None);
}

#[test]
fn the_digest_lists_what_is_due_and_is_not_sent_when_nothing_is() {
    use rsos_rules::ledger::{digest_email, DigestCoaching};
    let links = |tracking: &str| Links {
        ask: Some(format!("https://rsos.example/api/actions/ask-{tracking}")),
        ..Links::default()
    };
    let fresh = opened(ny(2026, 11, 30, 10, 0));
    assert_eq!(
        digest_email(
            std::slice::from_ref(&fresh),
            ny(2026, 11, 30, 11, 0),
            ruleset(),
            "m",
            &links,
            &DigestCoaching::default(),
        ),
        None,
        "nothing due"
    );
    let mut overdue = opened(ny(2026, 11, 23, 10, 0));
    overdue.tracking_id = "RSOS-OVERDUE".into();
    let mut due_today = opened(ny(2026, 11, 25, 10, 0));
    due_today.tracking_id = "RSOS-TODAY".into();
    let mut waiting = changed(opened(ny(2026, 11, 23, 10, 0)).apply(
        &ask(&[Field::MemberId], ""),
        ny(2026, 11, 24, 9, 0),
        ruleset(),
    ));
    waiting.tracking_id = "RSOS-WAITING".into();
    // Tuesday 1 December, 08:00: respond-by of the 25th's request is today (Thanksgiving off).
    let now = ny(2026, 12, 1, 8, 0);
    let email = digest_email(
        &[fresh, overdue, due_today, waiting],
        now,
        ruleset(),
        "AgentRSOS@humana.com",
        &links,
        &DigestCoaching {
            link: Some("https://rsos.example/api/insights/l1.x.y".into()),
            week: Some("2026-W48".into()),
            topics: vec!["Member ID missing or mistyped.".into()],
        },
    )
    .expect("a digest");
    assert_eq!(email.kind, EmailKind::Digest);
    assert_eq!(email.to, "AgentRSOS@humana.com");
    let text = &email.text;
    let section = |title: &str| text.split(title).nth(1).unwrap_or_default().to_owned();
    assert!(
        section("Response due today").contains("RSOS-TODAY"),
        "{text}"
    );
    assert!(section("Overdue").contains("RSOS-OVERDUE"), "{text}");
    assert!(
        section("Waiting for the agent").contains("RSOS-WAITING"),
        "{text}"
    );
    assert!(text.contains("ask-RSOS-OVERDUE"), "action links: {text}");
    assert!(
        section("Last week's top coaching topics (2026-W48)").contains("1. Member ID missing"),
        "{text}"
    );
    assert!(
        text.contains("Coaching insights, last 12 weeks: https://rsos.example/api/insights/l1.x.y")
    );
    // A quiet Monday still carries last week's topics.
    let quiet = digest_email(
        &[],
        ny(2026, 11, 30, 8, 0),
        ruleset(),
        "m",
        &links,
        &DigestCoaching {
            link: None,
            week: Some("2026-W48".into()),
            topics: vec!["Summaries too short.".into()],
        },
    )
    .expect("topics alone make a digest");
    assert!(quiet
        .text
        .contains("No request needs the team's attention today."));
    for member in ["H1234", "Smith", "John"] {
        assert!(!text.contains(member));
    }
}
