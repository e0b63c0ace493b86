//! The business clock (SPEC §6): business days and the service times of a receipt.
//! Deadlines are local wall-clock times, so they stay put across daylight saving.
//!
//! Judgement layer: depends on the ruleset (zone, holiday calendar, SLA targets).

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveTime, TimeZone, Utc, Weekday};
use chrono_tz::Tz;

use crate::ruleset::Ruleset;

/// When a receipt must be answered and followed up, in the business time zone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceTimes {
    /// The receipt, in the ruleset's zone.
    pub received: DateTime<Tz>,
    /// The first answer is due (SPEC §6: N = the ruleset's `respond_business_days`).
    pub respond_by: DateTime<Tz>,
    /// Agent updates: follow-up k (1-based) is at index k-1 (N = k × the ruleset's
    /// `follow_up_business_days`).
    pub follow_ups: Vec<DateTime<Tz>>,
}

/// Business days and deadlines of one ruleset.
#[derive(Debug, Clone, Copy)]
pub struct BusinessClock<'r> {
    ruleset: &'r Ruleset,
}

impl<'r> BusinessClock<'r> {
    /// The clock of one ruleset (its zone, holidays and SLA targets).
    pub fn new(ruleset: &'r Ruleset) -> BusinessClock<'r> {
        BusinessClock { ruleset }
    }

    /// Monday to Friday and not a holiday of the ruleset (a local date).
    pub fn is_business_day(&self, date: NaiveDate) -> bool {
        !matches!(date.weekday(), Weekday::Sat | Weekday::Sun)
            && !self.ruleset.service().holidays.is_holiday(date)
    }

    /// Whether the ruleset's calendar observes a holiday on this local date.
    pub fn is_holiday(&self, date: NaiveDate) -> bool {
        self.ruleset.service().holidays.is_holiday(date)
    }

    /// The business day `n` business days after `date`.
    pub fn add_business_days(&self, date: NaiveDate, n: u32) -> NaiveDate {
        self.walk(date, &[n])[0]
    }

    /// The dates `n` business days after `date`, for each `n` (ascending), in one walk that
    /// computes each year's holidays once.
    fn walk(&self, date: NaiveDate, steps: &[u32]) -> Vec<NaiveDate> {
        let mut holidays = Vec::new();
        let mut holiday_year = None;
        let mut out = Vec::with_capacity(steps.len());
        let mut day = date;
        let mut counted = 0;
        for &n in steps {
            while counted < n {
                let Some(next) = day.succ_opt() else { break };
                day = next;
                if holiday_year != Some(day.year()) {
                    holidays = self
                        .ruleset
                        .service()
                        .holidays
                        .observed_in(day.year()..=day.year());
                    holiday_year = Some(day.year());
                }
                let weekend = matches!(day.weekday(), Weekday::Sat | Weekday::Sun);
                if !weekend && holidays.binary_search(&day).is_err() {
                    counted += 1;
                }
            }
            out.push(day);
        }
        out
    }

    /// The service times of a receipt with `follow_ups` follow-ups. SPEC §6: received at
    /// local time t on business day D → deadline at t on the N-th
    /// business day after D; received on a non-business day → counts as 00:00 of the next
    /// business day.
    pub fn service_times(&self, received: DateTime<Utc>, follow_ups: u32) -> ServiceTimes {
        let zone = self.ruleset.zone;
        let local = received.with_timezone(&zone);
        let date = local.date_naive();
        let (start, time) = if self.is_business_day(date) {
            (date, local.time())
        } else {
            (self.add_business_days(date, 1), NaiveTime::MIN)
        };
        let targets = self.ruleset.targets_on(date.month(), date.day());
        let mut steps = vec![targets.respond_business_days];
        steps.extend((1..=follow_ups).map(|k| targets.follow_up_business_days.saturating_mul(k)));
        let mut order: Vec<usize> = (0..steps.len()).collect();
        crate::small::sort_by_key(&mut order, |&i| steps[i]);
        let sorted: Vec<u32> = order.iter().map(|&i| steps[i]).collect();
        let walked = self.walk(start, &sorted);
        let mut dates = vec![start; steps.len()];
        for (slot, day) in order.into_iter().zip(walked) {
            dates[slot] = day;
        }
        let at = |day: NaiveDate| wall_clock(zone, day, time);
        ServiceTimes {
            received: local,
            respond_by: at(dates[0]),
            follow_ups: dates[1..].iter().map(|d| at(*d)).collect(),
        }
    }
}

impl BusinessClock<'_> {
    /// The times a receipt names (SPEC §6–7): when it was received, the respond-by and the
    /// first follow-up — what the acknowledgement, the 202 and the form's line before sending
    /// all say. [`BusinessClock::service_times`] with one follow-up.
    pub fn receipt_times(&self, received: DateTime<Utc>) -> ServiceTimes {
        self.service_times(received, 1)
    }

    /// How long, from `now`, the receipt times of a request received then move only with the
    /// time of day: until the next midnight in the business zone, where a weekend, a holiday
    /// or the end of a season can move their dates by days (SPEC §6 counts whole business days
    /// from the day received). Whole seconds, at least 1. Within it the times move forward
    /// with the clock or not at all, in every zone a ruleset may name
    /// ([`crate::SUPPORTED_ZONES`]: US zones and UTC, whose clocks change on Sundays at
    /// 02:00); a zone that changes its clock at midnight on a business day would need more.
    pub fn receipt_times_hold_for(&self, now: DateTime<Utc>) -> Duration {
        let zone = self.ruleset.zone;
        let today = now.with_timezone(&zone).date_naive();
        let next_midnight = today.succ_opt().map_or(now, |day| {
            wall_clock(zone, day, NaiveTime::MIN).with_timezone(&Utc)
        });
        Duration::seconds((next_midnight - now).num_seconds().max(1))
    }
}

impl BusinessClock<'_> {
    /// Business time between two instants: the local wall-clock time that falls on business
    /// days (SPEC §6: a business day counts 24 hours, so a day of a daylight-saving change
    /// counts 24 too). Zero when `to` is not after `from`.
    pub fn business_time_between(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> Duration {
        let zone = self.ruleset.zone;
        let (from, to) = (
            from.with_timezone(&zone).naive_local(),
            to.with_timezone(&zone).naive_local(),
        );
        let mut total = Duration::zero();
        let mut day = from.date();
        while day <= to.date() {
            if self.is_business_day(day) {
                let start = day.and_time(NaiveTime::MIN).max(from);
                let end = day
                    .succ_opt()
                    .map_or(to, |next| next.and_time(NaiveTime::MIN))
                    .min(to);
                if end > start {
                    total += end - start;
                }
            }
            let Some(next) = day.succ_opt() else { break };
            day = next;
        }
        total
    }

    /// The instant `amount` of business time after `from`, counted as
    /// [`business_time_between`](Self::business_time_between) measures it; a start outside
    /// business days counts from 00:00 of the next business day (SPEC §6). With 72 hours it is
    /// the respond-by of [`service_times`](Self::service_times).
    pub fn after_business_time(&self, from: DateTime<Utc>, amount: Duration) -> DateTime<Tz> {
        let zone = self.ruleset.zone;
        let mut at = from.with_timezone(&zone).naive_local();
        let mut left = amount.max(Duration::zero());
        // A bounded walk: a year of holidays cannot make it run for ever.
        for _ in 0..3_660 {
            if !self.is_business_day(at.date()) {
                let next = self.add_business_days(at.date(), 1);
                at = next.and_time(NaiveTime::MIN);
                continue;
            }
            let Some(midnight) = at.date().succ_opt().map(|d| d.and_time(NaiveTime::MIN)) else {
                break;
            };
            if left < midnight - at {
                at += left;
                break;
            }
            left -= midnight - at;
            at = midnight;
        }
        wall_clock(zone, at.date(), at.time())
    }
}

/// The instant a local date and time names. Business days never hold a daylight-saving
/// jump in the US zones, but a custom ruleset might: an ambiguous time takes the earlier
/// instant, a skipped one moves forward an hour.
fn wall_clock(zone: Tz, date: NaiveDate, time: NaiveTime) -> DateTime<Tz> {
    let naive = date.and_time(time);
    zone.from_local_datetime(&naive)
        .earliest()
        .or_else(|| {
            zone.from_local_datetime(&(naive + Duration::hours(1)))
                .earliest()
        })
        .unwrap_or_else(|| zone.from_utc_datetime(&naive))
}

/// RFC 3339 with the local offset, whole seconds: `2027-03-17T10:00:00-04:00`.
pub fn rfc3339(instant: &DateTime<Tz>) -> String {
    instant.to_rfc3339_opts(chrono::SecondsFormat::Secs, false)
}
