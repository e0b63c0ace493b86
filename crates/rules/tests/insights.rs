//! Coaching insights (issue 12): what each request and action counts, the report, and that no
//! counted name can carry anything but codes.

mod common;

use chrono::{TimeZone, Utc};
use chrono_tz::America::New_York;
use rsos_rules::insights::{
    acted, coaching_week_due, csv, judged, last_weeks, recorded, report, returned, top_topics,
    week_of, Count, EventRefusal, FormEvent, FormEventKind, Metric, UNKNOWN_SAN,
};
use rsos_rules::ledger::{Action, Applied, Entry};
use rsos_rules::{assess, ErrorCode, Field, Outcome, Request, Ruleset};

fn ruleset() -> &'static Ruleset {
    Ruleset::builtin()
}

/// The shared valid request (`common::valid`).
fn request() -> Request {
    common::valid()
}

fn names(metrics: &[Metric]) -> Vec<String> {
    metrics.iter().map(Metric::name).collect()
}

#[test]
fn a_forwarded_request_counts_its_outcome() {
    let assessment = assess(&request(), ruleset());
    assert_eq!(names(&judged(&assessment)), ["outcome.forward"]);
}

#[test]
fn a_returned_request_counts_each_field_error() {
    let mut r = request();
    r.member_id = String::new();
    r.summary = "too short".into();
    let assessment = assess(&r, ruleset());
    assert_eq!(
        names(&judged(&assessment)),
        [
            "outcome.needs_changes",
            "error.member_id.required",
            "error.summary.too_short"
        ]
    );
}

#[test]
fn out_of_scope_urgent_and_confirmed_mixes_are_counted() {
    let mut commission = request();
    commission.topic = "commission".into();
    assert_eq!(
        names(&judged(&assess(&commission, ruleset()))),
        ["outcome.out_of_scope", "out_of_scope.commission"]
    );
    let mut urgent = request();
    urgent.topic = "access_to_care".into();
    assert_eq!(
        names(&judged(&assess(&urgent, ruleset()))),
        ["outcome.forward", "urgent"]
    );
    let mut mixed = request();
    mixed.summary = "The member also has a HumanaOne plan with the same claim problem.".into();
    mixed.confirm_single_line_of_business = true;
    assert_eq!(
        names(&judged(&assess(&mixed, ruleset()))),
        ["outcome.forward", "mixed.confirmed"]
    );
}

#[test]
fn every_name_parses_back_and_nothing_else_does() {
    let metrics = [
        Metric::Outcome(Outcome::Forward),
        Metric::Error(Field::MemberId, ErrorCode::Required),
        Metric::OutOfScope("aor".into()),
        Metric::GuidanceShown("commission".into()),
        Metric::MixedConfirmed,
        Metric::MixedSplit,
        Metric::Urgent,
        Metric::DetailsRequested,
        Metric::DetailsAnswered,
        Metric::DetailsWaitMinutes,
        Metric::RespondBy(true),
        Metric::RespondBy(false),
        Metric::UpdateSent,
    ];
    for metric in metrics {
        assert_eq!(
            Metric::parse(&metric.name(), ruleset()),
            Some(metric.clone())
        );
    }
    for name in [
        "out_of_scope.H1234-5678",
        "error.member_id.Smith",
        "guidance_shown.John",
        "outcome.maybe",
        "anything",
    ] {
        assert_eq!(Metric::parse(name, ruleset()), None, "{name}");
    }
}

#[test]
fn weeks_are_iso_weeks_in_the_business_zone() {
    // Sunday 29 November 2026, 23:30 in New York is already Monday in UTC.
    let sunday_night = New_York
        .with_ymd_and_hms(2026, 11, 29, 23, 30, 0)
        .unwrap()
        .with_timezone(&Utc);
    assert_eq!(week_of(sunday_night, ruleset()), "2026-W48");
    let monday = New_York
        .with_ymd_and_hms(2026, 11, 30, 9, 0, 0)
        .unwrap()
        .with_timezone(&Utc);
    assert_eq!(week_of(monday, ruleset()), "2026-W49");
    assert_eq!(last_weeks(monday, 2, ruleset()), ["2026-W49", "2026-W48"]);
}

fn count(week: &str, san: &str, metric: &str, count: i64) -> Count {
    Count {
        week: week.into(),
        agent_san: san.into(),
        metric: metric.into(),
        count,
    }
}

#[test]
fn the_report_ranks_reasons_with_their_coaching_topics_and_agents_by_returns() {
    let counts = [
        count("2026-W49", "A1", "outcome.needs_changes", 4),
        count("2026-W49", "A1", "error.member_id.required", 3),
        count("2026-W49", "A2", "error.member_id.invalid_characters", 1),
        count("2026-W49", "A2", "error.summary.too_short", 2),
        count("2026-W49", "A2", "outcome.needs_changes", 2),
        count("2026-W48", "A3", "out_of_scope.commission", 1),
        count("2026-W48", "A3", "outcome.out_of_scope", 1),
        count("2026-W48", "A3", "guidance_shown.commission", 5),
        count("2026-W49", "A1", "details.requested", 1),
        count("2026-W49", "A1", "details.answered", 1),
        count("2026-W49", "A1", "details.wait_minutes", 90),
        count("2026-W49", "A1", "respond_by.kept", 3),
        count("2026-W40", "A9", "error.member_id.required", 50),
    ];
    let weeks = vec!["2026-W49".to_string(), "2026-W48".to_string()];
    let report = report(&counts, &weeks, ruleset());
    assert_eq!(report.reasons[0].metric, "error.member_id.required");
    assert_eq!(
        report.reasons[0].count, 3,
        "weeks outside the range are left out"
    );
    assert!(report.reasons[0]
        .topic
        .as_deref()
        .unwrap()
        .contains("where the ID is on the member's card"));
    assert_eq!(report.agents[0].agent_san, "A1");
    assert_eq!(report.agents[0].returns, 5);
    let commission = report
        .out_of_scope
        .iter()
        .find(|c| c.category == "commission")
        .unwrap();
    assert_eq!((commission.sent, commission.shown), (1, 5));
    assert_eq!(report.ledger.details_average_hours, Some(2));
    assert_eq!(report.outcomes[0].needs_changes, 6);
    assert_eq!(top_topics(&report).len(), 3);
}

#[test]
fn the_csv_holds_codes_only() {
    let text = csv(&[count("2026-W49", "A1", "outcome.forward", 7)]);
    assert_eq!(
        text,
        "week,agent_san,metric,count\n2026-W49,A1,outcome.forward,7\n"
    );
}

fn monday() -> chrono::DateTime<Utc> {
    New_York
        .with_ymd_and_hms(2026, 11, 30, 9, 0, 0)
        .unwrap()
        .with_timezone(&Utc)
}

#[test]
fn a_422_counts_each_error_once_per_agent_and_key_and_never_a_broken_san() {
    let mut r = request();
    r.member_id = String::new();
    let tally = returned(&assess(&r, ruleset()), None, "key-1", monday(), ruleset());
    assert_eq!(tally.agent_san, "A12345");
    assert_eq!(tally.week, "2026-W49");
    let identities: Vec<_> = tally
        .items
        .iter()
        .map(|i| i.once_per.clone().unwrap())
        .collect();
    assert_eq!(
        identities,
        [
            "returned|A12345|key-1|outcome.needs_changes",
            "returned|A12345|key-1|error.member_id.required"
        ]
    );
    r.agent_san = "A-12 345!".into();
    let broken = returned(&assess(&r, ruleset()), None, "key-1", monday(), ruleset());
    assert_eq!(broken.agent_san, UNKNOWN_SAN);
    let vouched = returned(
        &assess(&r, ruleset()),
        Some("B777"),
        "key-1",
        monday(),
        ruleset(),
    );
    assert_eq!(
        vouched.agent_san, "B777",
        "a verified token names the agent"
    );
}

#[test]
fn a_recorded_request_is_counted_in_its_week_without_an_identity_of_its_own() {
    let tally = recorded(&assess(&request(), ruleset()), monday(), ruleset());
    assert_eq!(tally.items.len(), 1);
    // Once per request is the delivery record's business (its first answer), not a marker's.
    assert_eq!(tally.items[0].once_per, None);
    assert_eq!(
        tally.items[0].counts,
        [(Metric::Outcome(Outcome::Forward), 1)]
    );
}

fn apply(entry: &Entry, action: Action, at: chrono::DateTime<Utc>) -> Entry {
    match entry.apply(&action, at, ruleset()).unwrap() {
        Applied::Changed(next) => *next,
        Applied::AlreadyDone => panic!("already done"),
    }
}

#[test]
fn ledger_events_count_what_they_mean_from_the_event_log() {
    let at = monday();
    let entry = Entry::open(&assess(&request(), ruleset()), "RSOS-1", at, ruleset()).unwrap();
    assert_eq!(
        acted(&entry, ruleset()),
        None,
        "the forward itself is counted as a request"
    );
    let asked = apply(
        &entry,
        Action::AskDetails {
            fields: vec![Field::MemberId],
            note: String::new(),
        },
        at + chrono::Duration::hours(1),
    );
    let tally = acted(&asked, ruleset()).unwrap();
    assert_eq!(tally.items[0].counts, [(Metric::DetailsRequested, 1)]);
    assert_eq!(tally.items[0].once_per.as_deref(), Some("event|RSOS-1|1"));
    let answered = apply(
        &asked,
        Action::ProvideDetails,
        at + chrono::Duration::hours(3),
    );
    let tally = acted(&answered, ruleset()).unwrap();
    assert_eq!(
        tally.items[0].counts,
        [
            (Metric::DetailsAnswered, 1),
            (Metric::DetailsWaitMinutes, 120)
        ]
    );
    let responded = apply(&answered, Action::Respond, at + chrono::Duration::hours(4));
    let tally = acted(&responded, ruleset()).unwrap();
    assert_eq!(tally.items[0].counts, [(Metric::RespondBy(true), 1)]);
    assert_eq!(tally.agent_san, "A12345");
}

fn event(kind: FormEventKind, category: Option<&str>, san: &str) -> FormEvent {
    FormEvent {
        kind,
        category: category.map(str::to_owned),
        agent_san: san.into(),
        ruleset: ruleset().version().to_string(),
    }
}

#[test]
fn form_events_count_codes_only_and_refuse_anything_else() {
    let shown = event(FormEventKind::GuidanceShown, Some("commission"), " a12345 ");
    let tally = shown.tally(Some("k"), monday(), ruleset()).unwrap();
    assert_eq!(
        tally.items[0].counts,
        [(Metric::GuidanceShown("commission".into()), 1)]
    );
    assert!(tally.agent_san.eq_ignore_ascii_case("A12345"));
    let split = event(FormEventKind::Split, None, "A12345");
    assert_eq!(
        split.tally(None, monday(), ruleset()).unwrap().items[0].counts,
        [(Metric::MixedSplit, 1)]
    );
    for (bad, why) in [
        (
            event(FormEventKind::GuidanceShown, Some("John Smith"), "A12345"),
            EventRefusal::Category,
        ),
        (
            event(FormEventKind::GuidanceShown, None, "A12345"),
            EventRefusal::Category,
        ),
        (
            event(FormEventKind::Split, Some("commission"), "A12345"),
            EventRefusal::Category,
        ),
        (
            event(FormEventKind::Split, None, "H1234-5678 John"),
            EventRefusal::AgentSan,
        ),
    ] {
        assert_eq!(bad.tally(None, monday(), ruleset()), Err(why));
    }
    let parsed = FormEvent::from_json(shown.to_json().as_bytes()).unwrap();
    assert_eq!(parsed, shown);
    assert!(FormEvent::from_json(
        br#"{"kind":"split","agent_san":"A1","ruleset":"x","note":"John"}"#
    )
    .is_err());
}

#[test]
fn a_form_shows_guidance_as_one_event_per_draft_and_category_for_a_valid_san_only() {
    let commission = Request {
        topic: "commission".into(),
        ..request()
    };
    let verdict = assess(&commission, ruleset()).verdict;
    let shown = FormEvent::guidance_shown(&verdict, "A12345").unwrap();
    assert_eq!(
        shown,
        event(FormEventKind::GuidanceShown, Some("commission"), "A12345")
    );
    assert_eq!(
        shown.idempotency_key("draft-1"),
        "draft-1:guidance_shown:commission"
    );
    assert!(shown.tally(Some("k"), monday(), ruleset()).is_ok());
    // A request in scope shows no guidance.
    let in_scope = assess(&request(), ruleset()).verdict;
    assert_eq!(FormEvent::guidance_shown(&in_scope, "A12345"), None);
    // While the SAN breaks its rule nothing is sent: the edge would refuse it.
    for san in ["", "A12 345", "H1234-5678"] {
        let typed = Request {
            agent_san: san.into(),
            ..commission.clone()
        };
        let verdict = assess(&typed, ruleset()).verdict;
        assert_eq!(FormEvent::guidance_shown(&verdict, san), None, "{san:?}");
        assert_eq!(FormEvent::split(&verdict, san), None, "{san:?}");
    }
}

#[test]
fn a_split_event_carries_codes_only_and_its_key_names_the_new_draft() {
    let verdict = assess(&request(), ruleset()).verdict;
    let split = FormEvent::split(&verdict, "A12345").unwrap();
    assert_eq!(split, event(FormEventKind::Split, None, "A12345"));
    assert_eq!(split.idempotency_key("draft-2"), "draft-2:split");
}

#[test]
fn an_events_json_is_what_serde_writes_and_reads_back_as_the_same_event() {
    for event in [
        event(FormEventKind::GuidanceShown, Some("aor"), "A12345"),
        event(FormEventKind::Split, None, "A12345"),
    ] {
        let serde = serde_json::to_string(&event).unwrap();
        assert_eq!(event.to_json(), serde);
    }
    // What a SAN typed into a form may hold: quotes, backslashes, control characters, other
    // scripts. The edge refuses such a SAN, but the body must still be JSON that says it.
    let odd = event(FormEventKind::Split, None, "a\"b\\c\n\u{1}\t é");
    assert_eq!(FormEvent::from_json(odd.to_json().as_bytes()), Ok(odd));
}

#[test]
fn the_coaching_topics_go_out_on_the_first_business_day_of_a_week() {
    let at = |d: u32, m: u32| {
        New_York
            .with_ymd_and_hms(2026, m, d, 8, 30, 0)
            .unwrap()
            .with_timezone(&Utc)
    };
    assert_eq!(
        coaching_week_due(at(30, 11), ruleset()).as_deref(),
        Some("2026-W48")
    );
    assert_eq!(coaching_week_due(at(1, 12), ruleset()), None, "Tuesday");
    // Monday 7 September 2026 is Labor Day: the topics go out on Tuesday the 8th.
    assert_eq!(coaching_week_due(at(7, 9), ruleset()), None);
    assert_eq!(
        coaching_week_due(at(8, 9), ruleset()).as_deref(),
        Some("2026-W36")
    );
}
