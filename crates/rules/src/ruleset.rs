//! The compiled ruleset: the file's data plus what is derived from it once (the word
//! matcher, the time zone, the holiday calendar), checked so that evaluation cannot fail.

use std::sync::OnceLock;

use chrono_tz::Tz;
use thiserror::Error;

use crate::clock::HolidayCalendar;
use crate::model::{self, RulesetFile};
use crate::request::Field;
use crate::words::{Tag, WordMatcher};

pub use crate::model::Limit;

/// A ruleset that cannot be used, said in one sentence that points at the place to fix.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum RulesetError {
    #[error("ruleset line {line}, column {column}: {message}")]
    Syntax {
        line: usize,
        column: usize,
        message: String,
    },
    #[error("ruleset {place}: {message}")]
    Invalid { place: String, message: String },
}

/// A plan a request can be about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineOfBusiness {
    pub code: String,
    pub label: String,
    /// The word the subject line ends with; `None` for out-of-scope plans.
    pub subject_label: Option<String>,
    pub call_center: Option<String>,
    /// Index into [`Ruleset::categories`] for plans the mailbox does not serve.
    pub out_of_scope: Option<usize>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Topic {
    pub code: String,
    pub label: String,
    pub urgent: bool,
    pub out_of_scope: Option<usize>,
}

/// Where an out-of-scope question goes instead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Category {
    pub code: String,
    pub contact: Option<String>,
    pub guidance: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SlaTargets {
    pub respond_business_days: u32,
    pub follow_up_business_days: u32,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Season {
    pub from: (u32, u32),
    pub to: (u32, u32),
    pub targets: SlaTargets,
}

/// Every policy value the rules apply; see `ruleset/default.toml`.
#[derive(Debug, Clone)]
pub struct Ruleset {
    pub(crate) file: RulesetFile,
    pub(crate) zone: Tz,
    pub(crate) lines: Vec<LineOfBusiness>,
    pub(crate) topics: Vec<Topic>,
    pub(crate) categories: Vec<Category>,
    pub(crate) words: WordMatcher,
    pub(crate) holidays: HolidayCalendar,
    pub(crate) sla: SlaTargets,
    pub(crate) seasons: Vec<Season>,
    pub(crate) acknowledgement_text: String,
}

/// The zones compiled in (see `.cargo/config.toml`): a ruleset naming another is an error.
pub const SUPPORTED_ZONES: &[&str] = &[
    "America/New_York",
    "America/Chicago",
    "America/Denver",
    "America/Phoenix",
    "America/Los_Angeles",
    "America/Anchorage",
    "Pacific/Honolulu",
    "UTC",
];

static BUILTIN: OnceLock<Ruleset> = OnceLock::new();
static BUILTIN_BYTES: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/default_ruleset.postcard"));

impl Ruleset {
    /// The ruleset compiled into this build (`crates/rules/ruleset/default.toml`).
    pub fn builtin() -> &'static Ruleset {
        BUILTIN.get_or_init(|| {
            // build.rs produced these bytes from the same model and a test compiles them, so
            // failing here means a broken build, not bad input.
            // (A plain panic, not `expect`: formatting the error would ship its Debug code
            // to browsers for a failure that cannot happen there.)
            let Ok(file) = postcard::from_bytes::<RulesetFile>(BUILTIN_BYTES) else {
                panic!("the built-in ruleset was encoded by build.rs from the same model");
            };
            let Ok(ruleset) = Ruleset::compile(file, None) else {
                panic!("the built-in ruleset is checked by its tests");
            };
            ruleset
        })
    }

    /// Reads a replacement ruleset; errors name the line to fix.
    #[cfg(feature = "toml")]
    pub fn from_toml(text: &str) -> Result<Ruleset, RulesetError> {
        let file: RulesetFile = toml::from_str(text).map_err(|e| {
            let (line, column) = e
                .span()
                .map(|span| line_and_column(text, span.start))
                .unwrap_or((1, 1));
            RulesetError::Syntax {
                line,
                column,
                message: e.message().trim().to_string(),
            }
        })?;
        Ruleset::compile(file, Some(text))
    }

    pub fn version(&self) -> &str {
        &self.file.version.0
    }

    /// The mailbox requests are forwarded to, unless the deployment overrides it.
    pub fn mailbox(&self) -> &str {
        &self.file.mailbox.0
    }

    pub fn mailbox_name(&self) -> &str {
        &self.file.mailbox_name.0
    }

    pub fn time_zone(&self) -> Tz {
        self.zone
    }

    pub fn lines_of_business(&self) -> &[LineOfBusiness] {
        &self.lines
    }

    pub fn topics(&self) -> &[Topic] {
        &self.topics
    }

    pub fn categories(&self) -> &[Category] {
        &self.categories
    }

    pub fn sla(&self) -> SlaTargets {
        self.sla
    }

    /// The length limits of a field, in characters. Fields without a length rule get 0..=0.
    pub fn limit(&self, field: Field) -> Limit {
        let l = &self.file.limits;
        match field {
            Field::AgentName => l.agent_name,
            Field::AgentSan => l.agent_san,
            Field::AgentEmail => l.agent_email,
            Field::MemberId => l.member_id,
            Field::MemberFirstName | Field::MemberLastName => l.member_name,
            Field::ReferenceNumber => l.reference_number,
            Field::Summary => l.summary,
            Field::LineOfBusiness | Field::Topic | Field::ConfirmSingleLineOfBusiness => {
                Limit { min: 0, max: 0 }
            }
        }
    }

    /// The seed's automatic response with the call-center numbers filled in.
    pub fn acknowledgement_text(&self) -> &str {
        &self.acknowledgement_text
    }

    pub fn acknowledgement_subject_prefix(&self) -> &str {
        &self.file.acknowledgement.subject_prefix
    }

    pub fn line_of_business(&self, code: &str) -> Option<&LineOfBusiness> {
        self.lines.iter().find(|l| l.code == code)
    }

    pub fn topic(&self, code: &str) -> Option<&Topic> {
        self.topics.iter().find(|t| t.code == code)
    }

    fn compile(file: RulesetFile, text: Option<&str>) -> Result<Ruleset, RulesetError> {
        let fail = |place: Place, message: String| RulesetError::Invalid {
            place: place.describe(text),
            message,
        };

        let zone: Tz = if SUPPORTED_ZONES.contains(&file.time_zone.0.as_str()) {
            file.time_zone.0.parse().ok()
        } else {
            None
        }
        .ok_or_else(|| {
            fail(
                Place::key("", "time_zone"),
                format!(
                    "time zone `{}` is not supported; use one of {}",
                    file.time_zone.0,
                    SUPPORTED_ZONES.join(", ")
                ),
            )
        })?;

        for (name, limit) in [
            ("agent_name", file.limits.agent_name),
            ("agent_san", file.limits.agent_san),
            ("agent_email", file.limits.agent_email),
            ("member_id", file.limits.member_id),
            ("member_name", file.limits.member_name),
            ("reference_number", file.limits.reference_number),
            ("summary", file.limits.summary),
        ] {
            if limit.min > limit.max {
                return Err(fail(
                    Place::key("limits", name),
                    format!("min ({}) is larger than max ({})", limit.min, limit.max),
                ));
            }
        }

        let mut categories = Vec::new();
        for (i, entry) in file.out_of_scope.iter().enumerate() {
            if categories
                .iter()
                .any(|c: &Category| c.code == entry.category.0)
            {
                return Err(fail(
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
        let category_index = |code: &model::Code, place: Place| {
            categories
                .iter()
                .position(|c| c.code == code.0)
                .ok_or_else(|| {
                    fail(
                        place,
                        format!(
                            "out_of_scope = `{}` names no `[[out_of_scope]]` category",
                            code.0
                        ),
                    )
                })
        };

        let mut lines = Vec::new();
        for (i, entry) in file.lines_of_business.iter().enumerate() {
            let place = Place::item("lines_of_business", i, "code");
            if lines
                .iter()
                .any(|l: &LineOfBusiness| l.code == entry.code.0)
            {
                return Err(fail(
                    place,
                    format!("plan `{}` is listed twice", entry.code.0),
                ));
            }
            let out_of_scope = match &entry.out_of_scope {
                Some(code) => Some(category_index(
                    code,
                    Place::item("lines_of_business", i, "out_of_scope"),
                )?),
                None => None,
            };
            let in_scope_complete = entry.subject_label.is_some() && entry.call_center.is_some();
            if out_of_scope.is_none() && !in_scope_complete {
                return Err(fail(
                    place,
                    format!(
                        "plan `{}` needs `subject_label` and `call_center`, or `out_of_scope`",
                        entry.code.0
                    ),
                ));
            }
            lines.push(LineOfBusiness {
                code: entry.code.0.clone(),
                label: entry.label.0.clone(),
                subject_label: entry.subject_label.as_ref().map(|s| s.0.clone()),
                call_center: entry.call_center.as_ref().map(|s| s.0.clone()),
                out_of_scope,
            });
        }

        let mut topics = Vec::new();
        for (i, entry) in file.topics.iter().enumerate() {
            if topics.iter().any(|t: &Topic| t.code == entry.code.0) {
                return Err(fail(
                    Place::item("topics", i, "code"),
                    format!("topic `{}` is listed twice", entry.code.0),
                ));
            }
            let out_of_scope = match &entry.out_of_scope {
                Some(code) => Some(category_index(
                    code,
                    Place::item("topics", i, "out_of_scope"),
                )?),
                None => None,
            };
            topics.push(Topic {
                code: entry.code.0.clone(),
                label: entry.label.0.clone(),
                urgent: entry.urgent,
                out_of_scope,
            });
        }

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
        phrases.extend(
            file.urgency
                .words
                .iter()
                .map(|p| (p.0.as_str(), Tag::Urgent)),
        );
        phrases.extend(
            file.urgency
                .not_urgent
                .iter()
                .map(|p| (p.0.as_str(), Tag::NotUrgent)),
        );
        let words = WordMatcher::new(&phrases)
            .map_err(|message| fail(Place::key("urgency", "words"), message))?;

        let holidays = HolidayCalendar::new(&file.holidays).map_err(|(index, message)| {
            let place = match index {
                Some(i) => Place::item("holidays.rules", i, "name"),
                None => Place::key("holidays", "add"),
            };
            fail(place, message)
        })?;

        let days_ok = |n: u32| (1..=260).contains(&n);
        if !days_ok(file.sla.respond_business_days) || !days_ok(file.sla.follow_up_business_days) {
            return Err(fail(
                Place::key("sla", "respond_business_days"),
                "business-day targets must be between 1 and 260".into(),
            ));
        }
        let mut seasons = Vec::new();
        for (i, s) in file.sla.seasons.iter().enumerate() {
            if !days_ok(s.respond_business_days) || !days_ok(s.follow_up_business_days) {
                return Err(fail(
                    Place::item("sla.seasons", i, "name"),
                    "business-day targets must be between 1 and 260".into(),
                ));
            }
            let month_day = |m: &model::MonthDay| match model::parse_numbers(&m.0, 2).as_deref() {
                Some([m, d]) => (*m as u32, *d as u32),
                _ => (1, 1),
            };
            seasons.push(Season {
                from: month_day(&s.from),
                to: month_day(&s.to),
                targets: SlaTargets {
                    respond_business_days: s.respond_business_days,
                    follow_up_business_days: s.follow_up_business_days,
                },
            });
        }

        let acknowledgement_text = fill_call_centers(&file.acknowledgement.text.0, &lines)
            .map_err(|message| fail(Place::key("acknowledgement", "text"), message))?;

        Ok(Ruleset {
            zone,
            lines,
            topics,
            categories,
            words,
            holidays,
            sla: SlaTargets {
                respond_business_days: file.sla.respond_business_days,
                follow_up_business_days: file.sla.follow_up_business_days,
            },
            seasons,
            acknowledgement_text,
            file,
        })
    }

    /// The targets for a receipt on this local month and day (a peak season may change them).
    pub(crate) fn targets_on(&self, month: u32, day: u32) -> SlaTargets {
        let md = (month, day);
        self.seasons
            .iter()
            .find(|s| {
                if s.from <= s.to {
                    s.from <= md && md <= s.to
                } else {
                    md >= s.from || md <= s.to
                }
            })
            .map_or(self.sla, |s| s.targets)
    }
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

#[cfg(feature = "toml")]
fn line_and_column(text: &str, offset: usize) -> (usize, usize) {
    let before = text.get(..offset).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}
