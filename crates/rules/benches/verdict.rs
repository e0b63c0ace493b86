//! How long one full verdict and one service-time computation take (issue target: a full
//! verdict under 5 µs native). `cargo bench -p rsos-rules` prints the figures.

use std::hint::black_box;

use chrono::{DateTime, Utc};
use criterion::{criterion_group, criterion_main, Criterion};
use rsos_rules::{assess, BusinessClock, Request, Ruleset};

fn request(summary: String) -> Request {
    Request {
        line_of_business: "medicare".into(),
        topic: "claims".into(),
        agent_name: "Pat Agent".into(),
        agent_san: "A12345".into(),
        agent_email: "pat.agent@agency.example".into(),
        member_id: "H1234-5678".into(),
        member_first_name: "John".into(),
        member_last_name: "Smith".into(),
        reference_number: "CLM-20261101".into(),
        summary,
        confirm_single_line_of_business: false,
    }
}

fn verdict(c: &mut Criterion) {
    let ruleset = Ruleset::builtin();
    let short = request("Claim for the March 3 office visit was denied as out of network.".into());
    let sentence = "The member called about a denied claim for an office visit in March; provider is in network. ";
    let long = request(sentence.repeat(50).chars().take(4000).collect());
    c.bench_function("verdict/short summary", |b| {
        b.iter(|| assess(black_box(&short), ruleset))
    });
    c.bench_function("verdict/4000-char summary", |b| {
        b.iter(|| assess(black_box(&long), ruleset))
    });
    c.bench_function("verdict/to_json", |b| {
        let v = assess(&short, ruleset).verdict;
        b.iter(|| black_box(&v).to_json())
    });
}

fn clock(c: &mut Criterion) {
    let clock = BusinessClock::new(Ruleset::builtin());
    let received: DateTime<Utc> = DateTime::parse_from_rfc3339("2026-11-25T15:00:00Z")
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_default();
    c.bench_function("clock/respond_by + 1 follow-up (over Thanksgiving)", |b| {
        b.iter(|| clock.service_times(black_box(received), 1))
    });
    c.bench_function("clock/respond_by + 3 follow-ups", |b| {
        b.iter(|| clock.service_times(black_box(received), 3))
    });
}

criterion_group!(benches, verdict, clock);
criterion_main!(benches);
