//! Holidays by rule (SPEC §6): the dates a ruleset's calendar keeps free in any year,
//! with the observed-day rule and the file's added and removed dates.
//!
//! Policy-part layer: depends only on the file's shape ([`crate::model`]).

use chrono::{Datelike, Duration, NaiveDate, Weekday};

use crate::model::{self, HolidayRule, ObservedRule, WeekdayName};

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
