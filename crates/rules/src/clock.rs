//! The business clock (SPEC §6): business days, holidays by rule, and the service times of a
//! receipt. Deadlines are local wall-clock times, so they stay put across daylight saving.

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveTime, TimeZone, Utc, Weekday};
use chrono_tz::Tz;

use crate::model::{self, HolidayRule, ObservedRule, WeekdayName};
use crate::ruleset::Ruleset;

/// Holidays of any year, computed from the ruleset's rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct HolidayCalendar {
    rules: Vec<Rule>,
    observed: ObservedRule,
    /// Sorted, without repeats.
    added: Vec<NaiveDate>,
    /// Sorted, without repeats.
    removed: Vec<NaiveDate>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Rule {
    month: u32,
    when: When,
    since: Option<i32>,
    until: Option<i32>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum When {
    Day(u32),
    /// The nth weekday of the month; negative counts from the end.
    Nth(Weekday, i32),
}

const MAX_RULES: usize = 64;
const MAX_DATES: usize = 366;

impl HolidayCalendar {
    /// Errors carry the index of the broken rule (`None` for the add/remove lists).
    pub fn new(file: &model::Holidays) -> Result<HolidayCalendar, (Option<usize>, String)> {
        // Bounds that keep every deadline computation small (its lists are sorted by
        // insertion, `small.rs`); real calendars have a dozen rules and a few extra dates.
        if file.rules.len() > MAX_RULES {
            return Err((
                Some(MAX_RULES),
                format!("at most {MAX_RULES} holiday rules"),
            ));
        }
        if file.add.len() > MAX_DATES || file.remove.len() > MAX_DATES {
            return Err((
                None,
                format!("`add` and `remove` list at most {MAX_DATES} dates each"),
            ));
        }
        let mut rules = Vec::new();
        for (i, r) in file.rules.iter().enumerate() {
            rules.push(Rule::new(r).map_err(|m| (Some(i), m))?);
        }
        let dates = |list: &[model::IsoDate]| {
            list.iter()
                .map(|d| {
                    model::parse_numbers(&d.0, 3)
                        .and_then(|n| NaiveDate::from_ymd_opt(n[0], n[1] as u32, n[2] as u32))
                        .ok_or_else(|| (None, format!("`{}` is not a calendar date", d.0)))
                })
                .collect::<Result<Vec<_>, _>>()
                .map(sorted_dates)
        };
        Ok(HolidayCalendar {
            rules,
            observed: file.observed,
            added: dates(&file.add)?,
            removed: dates(&file.remove)?,
        })
    }

    pub fn is_holiday(&self, date: NaiveDate) -> bool {
        self.observed_in(date.year()..=date.year())
            .binary_search(&date)
            .is_ok()
    }

    /// Every holiday observed in the given years, sorted: what a deadline computation
    /// consults for each day it walks, computed once per computation.
    pub fn observed_in(&self, years: std::ops::RangeInclusive<i32>) -> Vec<NaiveDate> {
        let (first, last) = (*years.start(), *years.end());
        // An observed day can fall in the neighbouring year (New Year's Day on a Saturday
        // is observed on December 31st), so the rules of the years around are asked too.
        let dates: Vec<NaiveDate> = (first.saturating_sub(1)..=last.saturating_add(1))
            .flat_map(|y| self.rules.iter().filter_map(move |r| r.date_in(y)))
            .map(|d| self.observe(d))
            .chain(self.added.iter().copied())
            .filter(|d| {
                (first..=last).contains(&d.year()) && self.removed.binary_search(d).is_err()
            })
            .collect();
        sorted_dates(dates)
    }

    fn observe(&self, date: NaiveDate) -> NaiveDate {
        match (self.observed, date.weekday()) {
            (ObservedRule::Federal, Weekday::Sat) => date - Duration::days(1),
            (ObservedRule::Federal, Weekday::Sun) => date + Duration::days(1),
            _ => date,
        }
    }
}

fn sorted_dates(mut dates: Vec<NaiveDate>) -> Vec<NaiveDate> {
    crate::small::sort_by_key(&mut dates, |d| *d);
    dates.dedup();
    dates
}

impl Rule {
    fn new(r: &HolidayRule) -> Result<Rule, String> {
        if !(1..=12).contains(&r.month) {
            return Err(format!("month {} is not 1 to 12", r.month));
        }
        let when = match (r.day, r.weekday, r.nth) {
            (Some(day), None, None) => {
                // 2024 is a leap year, so February 29th passes here and is skipped in others.
                NaiveDate::from_ymd_opt(2024, r.month, day)
                    .ok_or_else(|| format!("day {day} is not in month {}", r.month))?;
                When::Day(day)
            }
            (None, Some(weekday), Some(nth))
                if (1..=5).contains(&nth) || (-5..=-1).contains(&nth) =>
            {
                When::Nth(weekday_of(weekday), nth)
            }
            (None, Some(_), Some(nth)) => {
                return Err(format!(
                    "nth = {nth}: use 1 to 5, or -1 to -5 counting from the end"
                ))
            }
            _ => return Err("give either `day`, or `weekday` with `nth`".into()),
        };
        Ok(Rule {
            month: r.month,
            when,
            since: r.since,
            until: r.until,
        })
    }

    fn date_in(&self, year: i32) -> Option<NaiveDate> {
        if self.since.is_some_and(|s| year < s) || self.until.is_some_and(|u| year > u) {
            return None;
        }
        match self.when {
            When::Day(day) => NaiveDate::from_ymd_opt(year, self.month, day),
            When::Nth(weekday, nth) if nth > 0 => {
                NaiveDate::from_weekday_of_month_opt(year, self.month, weekday, nth as u8)
            }
            When::Nth(weekday, nth) => {
                let (next_year, next_month) = if self.month == 12 {
                    (year + 1, 1)
                } else {
                    (year, self.month + 1)
                };
                let last = NaiveDate::from_ymd_opt(next_year, next_month, 1)?.pred_opt()?;
                let back = (7 + last.weekday().num_days_from_monday()
                    - weekday.num_days_from_monday())
                    % 7;
                let date = last - Duration::days(i64::from(back) + 7 * i64::from(-nth - 1));
                (date.month() == self.month).then_some(date)
            }
        }
    }
}

fn weekday_of(name: WeekdayName) -> Weekday {
    match name {
        WeekdayName::Monday => Weekday::Mon,
        WeekdayName::Tuesday => Weekday::Tue,
        WeekdayName::Wednesday => Weekday::Wed,
        WeekdayName::Thursday => Weekday::Thu,
        WeekdayName::Friday => Weekday::Fri,
        WeekdayName::Saturday => Weekday::Sat,
        WeekdayName::Sunday => Weekday::Sun,
    }
}

/// When a receipt must be answered and followed up, in the business time zone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceTimes {
    pub received: DateTime<Tz>,
    pub respond_by: DateTime<Tz>,
    /// Follow-up k (1-based) is at index k-1.
    pub follow_ups: Vec<DateTime<Tz>>,
}

/// Business days and deadlines of one ruleset.
#[derive(Debug, Clone, Copy)]
pub struct BusinessClock<'r> {
    ruleset: &'r Ruleset,
}

impl<'r> BusinessClock<'r> {
    pub fn new(ruleset: &'r Ruleset) -> BusinessClock<'r> {
        BusinessClock { ruleset }
    }

    pub fn is_business_day(&self, date: NaiveDate) -> bool {
        !matches!(date.weekday(), Weekday::Sat | Weekday::Sun)
            && !self.ruleset.holidays.is_holiday(date)
    }

    pub fn is_holiday(&self, date: NaiveDate) -> bool {
        self.ruleset.holidays.is_holiday(date)
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
                    holidays = self.ruleset.holidays.observed_in(day.year()..=day.year());
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

    /// SPEC §6: received at local time t on business day D → deadline at t on the N-th
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
