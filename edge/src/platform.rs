//! The few WASI services the component needs besides HTTP and key-value: wall-clock time,
//! sleeping (a monotonic-clock pollable) and randomness.

use chrono::{DateTime, Utc};
use wasi::clocks::{monotonic_clock, wall_clock};

/// Milliseconds since the Unix epoch, from the host's wall clock.
pub fn now_ms() -> u64 {
    let now = wall_clock::now();
    now.seconds * 1000 + u64::from(now.nanoseconds / 1_000_000)
}

/// The instant a request is received, for the business clock.
pub fn now_utc() -> DateTime<Utc> {
    let now = wall_clock::now();
    let seconds = i64::try_from(now.seconds).unwrap_or(i64::MAX);
    DateTime::from_timestamp(seconds, now.nanoseconds).unwrap_or_default()
}

/// Blocks this instance for `ms` milliseconds; other instances keep running.
pub fn sleep_ms(ms: u64) {
    monotonic_clock::subscribe_duration(ms * 1_000_000).block();
}

pub fn random_u64() -> u64 {
    wasi::random::random::get_random_u64()
}

/// Wall-clock time and sleeping, from WASI, as the delivery core's clock.
pub struct WasiClock;

impl rsos_delivery::Clock for WasiClock {
    fn now_ms(&self) -> u64 {
        now_ms()
    }

    fn sleep_ms(&self, ms: u64) {
        sleep_ms(ms);
    }
}
