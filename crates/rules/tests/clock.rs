//! SPEC §6: the business clock.

use chrono::{DateTime, NaiveDate, Utc};
use rsos_rules::{rfc3339, BusinessClock, Ruleset};

fn at(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_else(|e| panic!("bad test time {text}: {e}"))
}

fn respond_by(received: &str) -> String {
    let times = BusinessClock::new(Ruleset::builtin()).service_times(at(received), 0);
    rfc3339(&times.respond_by)
}

fn follow_ups(received: &str, k: u32) -> Vec<String> {
    let times = BusinessClock::new(Ruleset::builtin()).service_times(at(received), k);
    times.follow_ups.iter().map(rfc3339).collect()
}

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default()
}

fn holiday(y: i32, m: u32, d: u32) -> bool {
    BusinessClock::new(Ruleset::builtin()).is_holiday(date(y, m, d))
}

#[test]
fn plain_weekday_receipt_is_due_three_business_days_later_same_time() {
    assert_eq!(
        respond_by("2027-03-15T10:00:00-04:00"),
        "2027-03-18T10:00:00-04:00"
    );
}

#[test]
fn friday_receipt_skips_the_weekend() {
    assert_eq!(
        respond_by("2027-03-12T16:30:00-05:00"),
        "2027-03-17T16:30:00-04:00"
    );
}

#[test]
fn thanksgiving_and_the_weekend_are_skipped() {
    // Wed 2026-11-25 → Thu 26 is Thanksgiving; Fri 27, Mon 30, Tue Dec 1.
    assert_eq!(
        respond_by("2026-11-25T10:00:00-05:00"),
        "2026-12-01T10:00:00-05:00"
    );
}

#[test]
fn receipt_on_thanksgiving_counts_from_the_next_business_day_at_midnight() {
    assert_eq!(
        respond_by("2026-11-26T14:00:00-05:00"),
        "2026-12-02T00:00:00-05:00"
    );
}

#[test]
fn christmas_is_skipped() {
    // Wed 2026-12-23 → Thu 24, Fri 25 is Christmas, Mon 28, Tue 29.
    assert_eq!(
        respond_by("2026-12-23T09:15:00-05:00"),
        "2026-12-29T09:15:00-05:00"
    );
}

#[test]
fn christmas_on_saturday_is_observed_on_friday() {
    assert!(holiday(2021, 12, 24));
    assert!(holiday(2027, 12, 24));
    assert!(!holiday(2027, 12, 27));
}

#[test]
fn new_years_day_on_saturday_is_observed_in_the_previous_year() {
    // 2022-01-01 was a Saturday: observed Friday 2021-12-31.
    assert!(holiday(2021, 12, 31));
    assert_eq!(
        respond_by("2021-12-30T10:00:00-05:00"),
        "2022-01-05T10:00:00-05:00"
    );
    // 2028-01-01 is a Saturday too.
    assert!(holiday(2027, 12, 31));
}

#[test]
fn sunday_july_fourth_is_observed_on_monday() {
    // 2027-07-04 is a Sunday → Monday 2027-07-05 off.
    assert!(holiday(2027, 7, 5));
    assert_eq!(
        respond_by("2027-07-02T11:00:00-04:00"),
        "2027-07-08T11:00:00-04:00"
    );
}

#[test]
fn federal_holidays_by_rule_for_any_year() {
    for (y, m, d) in [
        (2027, 1, 18),  // MLK: third Monday of January
        (2027, 2, 15),  // Washington's Birthday
        (2027, 5, 31),  // Memorial Day: last Monday of May
        (2027, 6, 18),  // Juneteenth on Saturday → Friday
        (2027, 9, 6),   // Labor Day
        (2027, 10, 11), // Columbus Day
        (2027, 11, 11), // Veterans Day
        (2027, 11, 25), // Thanksgiving
        (2035, 11, 22), // Thanksgiving, far ahead
        (2100, 12, 24), // Christmas 2100 is a Saturday
    ] {
        assert!(holiday(y, m, d), "{y}-{m}-{d}");
    }
    assert!(
        !holiday(2020, 6, 19),
        "Juneteenth became a federal holiday in 2021"
    );
    assert!(!holiday(2027, 3, 17));
}

#[test]
fn weekend_receipt_counts_from_monday_midnight() {
    assert_eq!(
        respond_by("2027-03-13T22:00:00-05:00"),
        "2027-03-18T00:00:00-04:00"
    );
}

#[test]
fn deadlines_keep_wall_clock_time_across_spring_forward() {
    // DST starts Sunday 2027-03-14: a naive +72h in UTC would land at 11:00 local.
    assert_eq!(
        respond_by("2027-03-11T10:00:00-05:00"),
        "2027-03-16T10:00:00-04:00"
    );
}

#[test]
fn deadlines_keep_wall_clock_time_across_fall_back() {
    // DST ends Sunday 2027-11-07.
    assert_eq!(
        respond_by("2027-11-04T10:00:00-04:00"),
        "2027-11-09T10:00:00-05:00"
    );
}

#[test]
fn receipts_given_in_utc_are_converted_to_new_york_first() {
    // 03:30 UTC on Tuesday is still Monday 22:30 in New York.
    assert_eq!(
        respond_by("2027-03-16T03:30:00Z"),
        "2027-03-18T23:30:00-04:00"
    );
    // 04:30 UTC on Saturday is still Friday evening in New York: a business day.
    assert_eq!(
        respond_by("2027-03-13T04:30:00Z"),
        "2027-03-17T23:30:00-04:00"
    );
}

#[test]
fn follow_ups_come_every_five_business_days() {
    assert_eq!(
        follow_ups("2021-12-30T10:00:00-05:00", 3),
        [
            "2022-01-07T10:00:00-05:00",
            "2022-01-14T10:00:00-05:00",
            // MLK Day 2022-01-17 is skipped.
            "2022-01-24T10:00:00-05:00",
        ]
    );
}

#[test]
fn a_custom_ruleset_can_add_and_remove_holidays() {
    let text = rsos_rules::DEFAULT_RULESET_TOML
        .replace("add = []", "add = [\"2027-03-16\"]")
        .replace("remove = []", "remove = [\"2027-11-25\"]");
    let ruleset = Ruleset::from_toml(&text).unwrap_or_else(|e| panic!("{e}"));
    let clock = BusinessClock::new(&ruleset);
    assert!(clock.is_holiday(date(2027, 3, 16)));
    assert!(!clock.is_holiday(date(2027, 11, 25)));
    let times = clock.service_times(at("2027-03-15T10:00:00-04:00"), 0);
    assert_eq!(rfc3339(&times.respond_by), "2027-03-19T10:00:00-04:00");
}

#[test]
fn a_peak_season_changes_the_targets() {
    let season = "[[sla.seasons]]\nname = \"Annual Enrollment Period\"\nfrom = \"10-15\"\nto = \"12-07\"\nrespond_business_days = 5\nfollow_up_business_days = 7\n\n[holidays]";
    let text = rsos_rules::DEFAULT_RULESET_TOML.replacen("[holidays]", season, 1);
    let ruleset = Ruleset::from_toml(&text).unwrap_or_else(|e| panic!("{e}"));
    let clock = BusinessClock::new(&ruleset);
    let inside = clock.service_times(at("2027-10-18T10:00:00-04:00"), 1);
    assert_eq!(rfc3339(&inside.respond_by), "2027-10-25T10:00:00-04:00");
    assert_eq!(rfc3339(&inside.follow_ups[0]), "2027-10-27T10:00:00-04:00");
    let outside = clock.service_times(at("2027-03-15T10:00:00-04:00"), 0);
    assert_eq!(rfc3339(&outside.respond_by), "2027-03-18T10:00:00-04:00");
}
