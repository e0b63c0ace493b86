//! Medians of runs, the tables the bench prints, and README's rows.

use std::time::Duration;

use crate::measure::{Parked, Sample};

/// Median of `values` (the mean of the middle two for an even count).
pub fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    let n = values.len();
    match n {
        0 => f64::NAN,
        _ if n % 2 == 1 => values[n / 2],
        _ => (values[n / 2 - 1] + values[n / 2]) / 2.0,
    }
}

/// The figures of one target: medians over its runs.
#[derive(Debug, Clone)]
pub struct Figure {
    pub per_second: f64,
    pub p50: Duration,
    pub p99: Duration,
    pub operations: Option<f64>,
    /// Requests per second of each run, in order.
    pub runs: Vec<f64>,
}

impl Figure {
    pub fn of(samples: &[Sample]) -> Figure {
        let secs = |f: fn(&Sample) -> Duration| {
            Duration::from_secs_f64(median(samples.iter().map(|s| f(s).as_secs_f64()).collect()))
        };
        let operations: Vec<f64> = samples.iter().filter_map(|s| s.operations).collect();
        Figure {
            per_second: median(samples.iter().map(|s| s.per_second).collect()),
            p50: secs(|s| s.p50),
            p99: secs(|s| s.p99),
            operations: (!operations.is_empty()).then(|| median(operations)),
            runs: samples.iter().map(|s| s.per_second).collect(),
        }
    }
}

/// Memory per in-flight request: medians over runs.
#[derive(Debug, Clone, Copy)]
pub struct Memory {
    pub bytes_per_request: f64,
    pub in_flight: usize,
    pub at_mail_api: usize,
}

impl Memory {
    pub fn of(parked: &[Parked]) -> Memory {
        Memory {
            bytes_per_request: median(parked.iter().map(|p| p.bytes_per_request).collect()),
            in_flight: parked.iter().map(|p| p.in_flight).min().unwrap_or(0),
            at_mail_api: parked.iter().map(|p| p.at_mail_api).min().unwrap_or(0),
        }
    }

    pub fn mib(&self) -> f64 {
        self.bytes_per_request / (1024.0 * 1024.0)
    }
}

/// Milliseconds, one decimal below 100.
pub fn ms(d: Duration) -> String {
    let ms = d.as_secs_f64() * 1000.0;
    if ms < 100.0 {
        format!("{ms:.1} ms")
    } else {
        format!("{ms:.0} ms")
    }
}

/// A whole number with thousands separators.
pub fn whole(x: f64) -> String {
    let digits = format!("{:.0}", x.max(0.0));
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Key-value operations per request, or a dash for the native handler.
pub fn operations(figure: &Figure) -> String {
    figure
        .operations
        .map_or_else(|| "-".to_owned(), |o| format!("{o:.1}"))
}

pub const TABLE_HEAD: &str = "scenario       target                      req/s        p50        p99  kv ops/req  req/s of each run";

pub fn table_row(scenario: &str, target: &str, f: &Figure) -> String {
    let runs: Vec<String> = f.runs.iter().map(|r| format!("{r:.0}")).collect();
    format!(
        "{scenario:<14} {target:<22} {:>9.0} {:>10} {:>10} {:>11}  {}",
        f.per_second,
        ms(f.p50),
        ms(f.p99),
        operations(f),
        runs.join(" ")
    )
}

pub const SWEEP_HEAD: &str = "clients  target                      req/s        p50        p99  kv ops/req  MiB in flight  req/s of each run";

pub fn sweep_row(clients: u16, target: &str, f: &Figure, m: &Memory) -> String {
    let waiting = if m.at_mail_api < m.in_flight {
        format!(
            "  ({} of {} at the mail API, the rest waiting for key-value)",
            m.at_mail_api, m.in_flight
        )
    } else {
        String::new()
    };
    let runs: Vec<String> = f.runs.iter().map(|r| format!("{r:.0}")).collect();
    format!(
        "{clients:<8} {target:<22} {:>9.0} {:>10} {:>10} {:>11}  {:>13.2}  {}{waiting}",
        f.per_second,
        ms(f.p50),
        ms(f.p99),
        operations(f),
        m.mib(),
        runs.join(" ")
    )
}

/// "1 key-value operation", "8 key-value operations".
pub fn operations_text(figure: &Figure) -> String {
    match figure.operations {
        Some(o) if (o - o.round()).abs() < 0.05 && o.round() == 1.0 => {
            "1 key-value operation".to_owned()
        }
        Some(o) if (o - o.round()).abs() < 0.05 => format!("{o:.0} key-value operations"),
        Some(o) => format!("{o:.1} key-value operations"),
        None => "no key-value".to_owned(),
    }
}

/// "2,340 req/s, p50 3.4 ms, p99 4.5 ms".
pub fn speed_text(f: &Figure) -> String {
    format!(
        "{} req/s, p50 {}, p99 {}",
        whole(f.per_second),
        ms(f.p50),
        ms(f.p99)
    )
}

/// How a backing is named in README's rows.
pub fn backing_text(backing: &str) -> &'static str {
    match backing {
        "memory" => "in memory",
        "sqlite" => "in SQLite as `spin up` keeps it",
        _ => "in Redis",
    }
}
