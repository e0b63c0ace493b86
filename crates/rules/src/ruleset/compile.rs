//! From the file's shape to a [`Ruleset`] that cannot fail at evaluation time: one step
//! per SPEC section, each refusing what its section cannot use with a sentence that names
//! the place in the file.

use std::sync::OnceLock;

use chrono_tz::Tz;

use super::{
    tel_uri, Category, LineOfBusiness, Ruleset, RulesetError, Season, Service, SlaTargets, Topic,
    SUPPORTED_ZONES,
};
use crate::holidays::HolidayCalendar;
use crate::model::{self, Deferred, RulesetFile};
use crate::words::{Tag, WordMatcher};

impl Ruleset {
    /// Every part checked and made now, so that every error names its place (`from_toml`).
    #[cfg(feature = "toml")]
    pub(super) fn compile(
        mut file: RulesetFile,
        text: Option<&str>,
    ) -> Result<Ruleset, RulesetError> {
        // Kept with the service parts, where the built-in ruleset makes them on first use.
        let deferred = Deferred::take(&mut file);
        let ruleset = Ruleset::compile_lazily_at(file, &Locator { text })?;
        let service = service(&ruleset.file, deferred, &ruleset.lines, text)?;
        let _ = ruleset.service.set(service);
        Ok(ruleset)
    }

    /// What verdicts need, checked and made now; the clock's and the emails' parts on first
    /// use ([`Ruleset::service`]). For the built-in ruleset, which its tests check whole.
    pub(super) fn compile_lazily(file: RulesetFile) -> Result<Ruleset, RulesetError> {
        Ruleset::compile_lazily_at(file, &Locator { text: None })
    }

    fn compile_lazily_at(file: RulesetFile, at: &Locator) -> Result<Ruleset, RulesetError> {
        let zone = time_zone(&file, at)?;
        check_limits(&file.limits, at)?;
        let categories = categories(&file, at)?;
        let lines = lines_of_business(&file, &categories, at)?;
        let topics = topics(&file, &categories, at)?;
        let words = word_lists(&file, at)?;
        Ok(Ruleset {
            zone,
            lines,
            topics,
            categories,
            words,
            service: OnceLock::new(),
            file,
        })
    }
}

/// SPEC §6 and §7: the parts of the business clock and the emails.
pub(super) fn service(
    file: &RulesetFile,
    deferred: Deferred,
    lines: &[LineOfBusiness],
    text: Option<&str>,
) -> Result<Service, RulesetError> {
    let at = Locator { text };
    let holidays = holiday_calendar(&deferred, &at)?;
    let (sla, seasons) = service_level(file, &at)?;
    let acknowledgement_text = acknowledgement(&deferred, lines, &at)?;
    check_insights(file, &at)?;
    Ok(Service {
        holidays,
        sla,
        seasons,
        acknowledgement_text,
        deferred,
    })
}

/// [`SUPPORTED_ZONES`] with their zones. Looked up here rather than parsed with chrono-tz's
/// `FromStr`, which would bring its table of every alias of these zones (`US/Eastern`,
/// `Etc/GMT+5`, …) and a hash function into the browser form (measured: −0.5 KB gzip).
const ZONES: [(&str, Tz); 8] = [
    ("America/New_York", Tz::America__New_York),
    ("America/Chicago", Tz::America__Chicago),
    ("America/Denver", Tz::America__Denver),
    ("America/Phoenix", Tz::America__Phoenix),
    ("America/Los_Angeles", Tz::America__Los_Angeles),
    ("America/Anchorage", Tz::America__Anchorage),
    ("Pacific/Honolulu", Tz::Pacific__Honolulu),
    ("UTC", Tz::UTC),
];

/// SPEC §6: the business zone must be one compiled in.
fn time_zone(file: &RulesetFile, at: &Locator) -> Result<Tz, RulesetError> {
    let name = file.time_zone.0.as_str();
    ZONES
        .iter()
        .find(|(zone_name, _)| *zone_name == name)
        .map(|(_, zone)| *zone)
        .ok_or_else(|| {
            at.fail(
                Place::key("", "time_zone"),
                format!(
                    "time zone `{name}` is not supported; use one of {}",
                    SUPPORTED_ZONES.join(", ")
                ),
            )
        })
}

/// SPEC §1: every length range is a range.
fn check_limits(limits: &model::Limits, at: &Locator) -> Result<(), RulesetError> {
    for (name, limit) in [
        ("agent_name", limits.agent_name),
        ("agent_san", limits.agent_san),
        ("agent_email", limits.agent_email),
        ("member_id", limits.member_id),
        ("member_name", limits.member_name),
        ("reference_number", limits.reference_number),
        ("summary", limits.summary),
    ] {
        if limit.min > limit.max {
            return Err(at.fail(
                Place::key("limits", name),
                format!("min ({}) is larger than max ({})", limit.min, limit.max),
            ));
        }
    }
    Ok(())
}

/// SPEC §3: out-of-scope categories, each listed once.
fn categories(file: &RulesetFile, at: &Locator) -> Result<Vec<Category>, RulesetError> {
    let mut categories: Vec<Category> = Vec::new();
    for (i, entry) in file.out_of_scope.iter().enumerate() {
        if categories.iter().any(|c| c.code == entry.category.0) {
            return Err(at.fail(
                Place::item("out_of_scope", i, "category"),
                format!("category `{}` is listed twice", entry.category.0),
            ));
        }
        categories.push(Category {
            code: entry.category.0.clone(),
            contact: entry.contact.as_ref().map(|c| c.0.clone()),
            guidance: entry.guidance.0.clone(),
        });
    }
    Ok(categories)
}

/// The index of the category a plan or topic names.
fn category_index(
    categories: &[Category],
    code: &Option<model::Code>,
    place: Place,
    at: &Locator,
) -> Result<Option<usize>, RulesetError> {
    let Some(code) = code else {
        return Ok(None);
    };
    match categories.iter().position(|c| c.code == code.0) {
        Some(index) => Ok(Some(index)),
        None => Err(at.fail(
            place,
            format!(
                "out_of_scope = `{}` names no `[[out_of_scope]]` category",
                code.0
            ),
        )),
    }
}

/// SPEC §1, §2, §3: plans, each listed once; an in-scope plan has a subject label and a
/// call-center number a `tel:` link can dial, an out-of-scope one names its category.
fn lines_of_business(
    file: &RulesetFile,
    categories: &[Category],
    at: &Locator,
) -> Result<Vec<LineOfBusiness>, RulesetError> {
    let mut lines: Vec<LineOfBusiness> = Vec::new();
    for (i, entry) in file.lines_of_business.iter().enumerate() {
        let place = || Place::item("lines_of_business", i, "code");
        if lines.iter().any(|l| l.code == entry.code.0) {
            return Err(at.fail(place(), format!("plan `{}` is listed twice", entry.code.0)));
        }
        let out_of_scope = category_index(
            categories,
            &entry.out_of_scope,
            Place::item("lines_of_business", i, "out_of_scope"),
            at,
        )?;
        let in_scope_complete = entry.subject_label.is_some() && entry.call_center.is_some();
        if out_of_scope.is_none() && !in_scope_complete {
            return Err(at.fail(
                place(),
                format!(
                    "plan `{}` needs `subject_label` and `call_center`, or `out_of_scope`",
                    entry.code.0
                ),
            ));
        }
        if let Some(number) = &entry.call_center {
            if tel_uri(&number.0).is_none() {
                return Err(at.fail(
                    Place::item("lines_of_business", i, "call_center"),
                    format!(
                        "`{}` is not a phone number a link can dial: write a North American number (1-800-457-4708) or +, the country code and the number",
                        number.0
                    ),
                ));
            }
        }
        lines.push(LineOfBusiness {
            code: entry.code.0.clone(),
            label: entry.label.0.clone(),
            subject_label: entry.subject_label.as_ref().map(|s| s.0.clone()),
            call_center: entry.call_center.as_ref().map(|s| s.0.clone()),
            out_of_scope,
        });
    }
    Ok(lines)
}

/// SPEC §3: topics, each listed once.
fn topics(
    file: &RulesetFile,
    categories: &[Category],
    at: &Locator,
) -> Result<Vec<Topic>, RulesetError> {
    let mut topics: Vec<Topic> = Vec::new();
    for (i, entry) in file.topics.iter().enumerate() {
        if topics.iter().any(|t| t.code == entry.code.0) {
            return Err(at.fail(
                Place::item("topics", i, "code"),
                format!("topic `{}` is listed twice", entry.code.0),
            ));
        }
        let out_of_scope = category_index(
            categories,
            &entry.out_of_scope,
            Place::item("topics", i, "out_of_scope"),
            at,
        )?;
        topics.push(Topic {
            code: entry.code.0.clone(),
            label: entry.label.0.clone(),
            urgent: entry.urgent,
            out_of_scope,
        });
    }
    Ok(topics)
}

/// SPEC §4: every word list in one matcher.
fn word_lists(file: &RulesetFile, at: &Locator) -> Result<WordMatcher, RulesetError> {
    let mut phrases = Vec::new();
    for (i, entry) in file.lines_of_business.iter().enumerate() {
        phrases.extend(entry.names.iter().map(|p| (p.0.as_str(), Tag::Plan(i))));
    }
    for (i, entry) in file.out_of_scope.iter().enumerate() {
        phrases.extend(
            entry
                .words
                .iter()
                .map(|p| (p.0.as_str(), Tag::OutOfScope(i))),
        );
    }
    let urgency = &file.urgency;
    phrases.extend(urgency.words.iter().map(|p| (p.0.as_str(), Tag::Urgent)));
    phrases.extend(
        urgency
            .not_urgent
            .iter()
            .map(|p| (p.0.as_str(), Tag::NotUrgent)),
    );
    WordMatcher::new(&phrases).map_err(|message| at.fail(Place::key("urgency", "words"), message))
}

/// SPEC §6: the holiday calendar.
fn holiday_calendar(deferred: &Deferred, at: &Locator) -> Result<HolidayCalendar, RulesetError> {
    HolidayCalendar::new(&deferred.holidays).map_err(|(index, message)| {
        let place = match index {
            Some(i) => Place::item("holidays.rules", i, "name"),
            None => Place::key("holidays", "add"),
        };
        at.fail(place, message)
    })
}

/// Issue 12: the insights cover 1 to 53 weeks, are kept at least as long as they are shown
/// (at most ten years), and the digest's link works 1 to 90 days.
fn check_insights(file: &RulesetFile, at: &Locator) -> Result<(), RulesetError> {
    let policy = &file.insights;
    if !(1..=53).contains(&policy.weeks_shown) {
        return Err(at.fail(
            Place::key("insights", "weeks_shown"),
            "weeks_shown must be between 1 and 53".into(),
        ));
    }
    if !(policy.weeks_shown..=530).contains(&policy.keep_weeks) {
        return Err(at.fail(
            Place::key("insights", "keep_weeks"),
            "keep_weeks must be at least weeks_shown and at most 530".into(),
        ));
    }
    if !(1..=90).contains(&policy.link_days) {
        return Err(at.fail(
            Place::key("insights", "link_days"),
            "link_days must be between 1 and 90".into(),
        ));
    }
    Ok(())
}

/// SPEC §6: business-day targets of 1 to 260 days (a year), and the peak seasons.
fn service_level(
    file: &RulesetFile,
    at: &Locator,
) -> Result<(SlaTargets, Vec<Season>), RulesetError> {
    let days_ok = |n: u32| (1..=260).contains(&n);
    let sla = &file.sla;
    if !days_ok(sla.respond_business_days) || !days_ok(sla.follow_up_business_days) {
        return Err(at.fail(
            Place::key("sla", "respond_business_days"),
            "business-day targets must be between 1 and 260".into(),
        ));
    }
    if digest_time(&sla.digest_time).is_none() {
        return Err(at.fail(
            Place::key("sla", "digest_time"),
            format!("`{}` is not a time of day: write HH:MM", sla.digest_time),
        ));
    }
    if !days_ok(sla.awaiting_agent_alert_business_days) {
        return Err(at.fail(
            Place::key("sla", "awaiting_agent_alert_business_days"),
            "business-day thresholds must be between 1 and 260".into(),
        ));
    }
    let mut seasons = Vec::new();
    for (i, s) in sla.seasons.iter().enumerate() {
        if !days_ok(s.respond_business_days) || !days_ok(s.follow_up_business_days) {
            return Err(at.fail(
                Place::item("sla.seasons", i, "name"),
                "business-day targets must be between 1 and 260".into(),
            ));
        }
        // `MonthDay` already checked the shape when the file was read.
        let month_day = |m: &model::MonthDay| match model::parse_numbers(&m.0, 2).as_deref() {
            Some([m, d]) => (*m as u32, *d as u32),
            _ => (1, 1),
        };
        seasons.push(Season {
            name: s.name.0.clone(),
            from: month_day(&s.from),
            to: month_day(&s.to),
            targets: SlaTargets {
                respond_business_days: s.respond_business_days,
                follow_up_business_days: s.follow_up_business_days,
            },
        });
    }
    let targets = SlaTargets {
        respond_business_days: sla.respond_business_days,
        follow_up_business_days: sla.follow_up_business_days,
    };
    Ok((targets, seasons))
}

/// SPEC §7: the seed's automatic response with `{call_center.<plan>}` filled in.
fn acknowledgement(
    deferred: &Deferred,
    lines: &[LineOfBusiness],
    at: &Locator,
) -> Result<String, RulesetError> {
    fill_call_centers(&deferred.acknowledgement.text.0, lines)
        .map_err(|message| at.fail(Place::key("acknowledgement", "text"), message))
}

/// Replaces `{call_center.<plan>}` with that plan's number.
fn fill_call_centers(template: &str, lines: &[LineOfBusiness]) -> Result<String, String> {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(start) = rest.find('{') {
        out.push_str(&rest[..start]);
        let after = &rest[start + 1..];
        let end = after
            .find('}')
            .ok_or_else(|| "a `{` has no closing `}`".to_string())?;
        let name = &after[..end];
        let plan = name.strip_prefix("call_center.").ok_or_else(|| {
            format!("`{{{name}}}` is not a placeholder; only {{call_center.<plan>}} is")
        })?;
        let number = lines
            .iter()
            .find(|l| l.code == plan)
            .and_then(|l| l.call_center.as_deref())
            .ok_or_else(|| format!("`{{{name}}}`: plan `{plan}` has no call_center"))?;
        out.push_str(number);
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

/// Turns a place in the file into an error, naming the line when the text is known.
struct Locator<'t> {
    text: Option<&'t str>,
}

impl Locator<'_> {
    fn fail(&self, place: Place, message: String) -> RulesetError {
        RulesetError::Invalid {
            place: place.describe(self.text),
            message,
        }
    }
}

/// Where in the file a problem is, found again in the text to name its line.
struct Place {
    table: &'static str,
    index: Option<usize>,
    key: &'static str,
}

impl Place {
    fn key(table: &'static str, key: &'static str) -> Place {
        Place {
            table,
            index: None,
            key,
        }
    }

    fn item(table: &'static str, index: usize, key: &'static str) -> Place {
        Place {
            table,
            index: Some(index),
            key,
        }
    }

    fn describe(&self, text: Option<&str>) -> String {
        let path = match (self.table, self.index) {
            ("", _) => self.key.to_string(),
            (table, Some(i)) => format!("[[{table}]] #{} `{}`", i + 1, self.key),
            (table, None) => format!("[{table}] `{}`", self.key),
        };
        match text.and_then(|t| self.line_in(t)) {
            Some(line) => format!("line {line} ({path})"),
            None => path,
        }
    }

    fn line_in(&self, text: &str) -> Option<usize> {
        let lines: Vec<&str> = text.lines().map(str::trim).collect();
        let section_start = match (self.table, self.index) {
            ("", _) => 0,
            (table, Some(i)) => {
                let header = format!("[[{table}]]");
                lines
                    .iter()
                    .enumerate()
                    .filter(|(_, l)| **l == header)
                    .nth(i)?
                    .0
            }
            (table, None) => {
                let header = format!("[{table}]");
                lines.iter().position(|l| *l == header)?
            }
        };
        let key_line = lines
            .iter()
            .enumerate()
            .skip(section_start)
            .take_while(|(n, l)| *n == section_start || !l.starts_with('['))
            .find(|(_, l)| {
                l.strip_prefix(self.key)
                    .is_some_and(|r| r.trim_start().starts_with('='))
            })
            .map(|(n, _)| n);
        Some(key_line.unwrap_or(section_start) + 1)
    }
}

/// A local time of day written `HH:MM` (24-hour).
pub(crate) fn digest_time(text: &str) -> Option<chrono::NaiveTime> {
    let (hours, minutes) = text.split_once(':')?;
    let number = |t: &str| {
        (t.len() == 2 && t.bytes().all(|b| b.is_ascii_digit()))
            .then(|| t.parse::<u32>().ok())
            .flatten()
    };
    chrono::NaiveTime::from_hms_opt(number(hours)?, number(minutes)?, 0)
}

#[cfg(test)]
mod tests {
    use super::{Tz, SUPPORTED_ZONES, ZONES};

    #[test]
    fn the_zone_table_is_the_supported_zones_as_chrono_tz_reads_them() {
        let names: Vec<&str> = ZONES.iter().map(|(name, _)| *name).collect();
        assert_eq!(names, SUPPORTED_ZONES);
        for (name, zone) in ZONES {
            assert_eq!(name.parse::<Tz>(), Ok(zone), "{name}");
        }
    }
}
