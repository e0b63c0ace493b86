//! The compiled ruleset: the file's data plus what is derived from it once (the word
//! matcher, the time zone, the holiday calendar), checked so that evaluation cannot fail.
//! `ruleset/compile.rs` holds the checks, one step per SPEC section.
//!
//! Ruleset layer: depends on the vocabulary (fields, the file's shape) and the policy parts
//! (word matcher, holiday calendar).

mod compile;

use std::sync::OnceLock;

use chrono_tz::Tz;
use thiserror::Error;

use crate::field::Field;
use crate::holidays::HolidayCalendar;
use crate::model::{Deferred, RulesetFile};
use crate::words::WordMatcher;

pub use crate::model::{InsightsPolicy, Limit};

/// A ruleset that cannot be used, said in one sentence that points at the place to fix.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum RulesetError {
    /// The text is not TOML, or not the ruleset's shape (a missing key, a wrong type).
    #[error("ruleset line {line}, column {column}: {message}")]
    Syntax {
        /// 1-based line of the problem.
        line: usize,
        /// 1-based column, in characters.
        column: usize,
        /// What is wrong, from the TOML reader.
        message: String,
    },
    /// Well-formed, but a value breaks a rule (a duplicate code, an unknown zone, …).
    #[error("ruleset {place}: {message}")]
    Invalid {
        /// Where: `line N ([table] key)` when the text is known, else the table and key.
        place: String,
        /// What is wrong and what to write instead.
        message: String,
    },
}

/// A plan a request can be about (SPEC §1 `line_of_business`, §3).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineOfBusiness {
    /// The request's value, e.g. `medicare`.
    pub code: String,
    /// What agents read, e.g. `Individual (HumanaOne)`.
    pub label: String,
    /// The word the subject line ends with (SPEC §2); `None` for out-of-scope plans.
    pub subject_label: Option<String>,
    /// The plan's Customer Service number as people read it (`1-800-457-4708`).
    pub call_center: Option<String>,
    /// Index into [`Ruleset::categories`] for plans the mailbox does not serve.
    pub out_of_scope: Option<usize>,
}

impl LineOfBusiness {
    /// The call-center number as a `tel:` URI for a link (RFC 3966 global form, digits
    /// only: `tel:+18004574708`). The ruleset refuses numbers that have none.
    pub fn call_center_uri(&self) -> Option<String> {
        self.call_center.as_deref().and_then(tel_uri)
    }
}

/// A topic a request can be about (SPEC §3).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Topic {
    /// The request's value, e.g. `billing_premium`.
    pub code: String,
    /// What agents read, e.g. `Billing and premium`.
    pub label: String,
    /// Whether the topic makes every request urgent (`access_to_care`).
    pub urgent: bool,
    /// Index into [`Ruleset::categories`] for topics the mailbox does not take.
    pub out_of_scope: Option<usize>,
}

/// Where an out-of-scope question goes instead (SPEC §3).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Category {
    /// The verdict's `out_of_scope.category`, e.g. `commission`.
    pub code: String,
    /// An address to write to instead; `None` where the seed names none.
    pub contact: Option<String>,
    /// The sentence agents read.
    pub guidance: String,
}

/// Service-level targets (SPEC §6), in business days.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SlaTargets {
    /// The first answer is due after this many business days (3: the seed's 72 hours).
    pub respond_business_days: u32,
    /// An agent update is due every this many business days after the receipt (5).
    pub follow_up_business_days: u32,
}

/// A peak season whose receipts get other targets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Season {
    pub name: String,
    /// (month, day), inclusive.
    pub from: (u32, u32),
    /// (month, day), inclusive; before `from` for a season across the year end.
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
    /// Made with the rest by [`Ruleset::from_toml`], so that its errors name their line; for
    /// the built-in ruleset on first use ([`Ruleset::service`]).
    service: OnceLock<Service>,
}

/// The parts only the business clock and the emails use (SPEC §6, §7). The built-in ruleset
/// makes them on first use, so a shell that never computes a deadline or writes an email
/// (the browser form) links none of their code: 2.8 KB of the form's gzip bytes
/// (benchmarks/form-size/README.md).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Service {
    pub holidays: HolidayCalendar,
    pub sla: SlaTargets,
    pub seasons: Vec<Season>,
    /// The seed's automatic response with the call-center numbers filled in.
    pub acknowledgement_text: String,
    /// Holidays, the acknowledgement and `[[coaching]]`, taken out of the file (the built-in
    /// file is written without them).
    pub deferred: Deferred,
}

/// Every part, the lazily made ones included.
impl PartialEq for Ruleset {
    fn eq(&self, other: &Ruleset) -> bool {
        let Ruleset {
            file,
            zone,
            lines,
            topics,
            categories,
            words,
            service: _,
        } = self;
        *file == other.file
            && *zone == other.zone
            && *lines == other.lines
            && *topics == other.topics
            && *categories == other.categories
            && *words == other.words
            && self.service() == other.service()
    }
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

/// The built-in ruleset's file as build.rs wrote it out, in Rust, from
/// `ruleset/default.toml` (which it parsed with the same model).
fn builtin_file() -> RulesetFile {
    use crate::model;
    fn s(text: &str) -> String {
        text.to_owned()
    }
    include!(concat!(env!("OUT_DIR"), "/default_ruleset.rs"))
}

/// The built-in ruleset's holidays, acknowledgement and coaching topics, written out apart by
/// build.rs so that only shells that compute deadlines, write emails or count insights link
/// them.
fn builtin_deferred() -> Deferred {
    use crate::model;
    fn s(text: &str) -> String {
        text.to_owned()
    }
    include!(concat!(env!("OUT_DIR"), "/default_deferred.rs"))
}

impl Ruleset {
    /// The ruleset compiled into this build (`crates/rules/ruleset/default.toml`).
    pub fn builtin() -> &'static Ruleset {
        BUILTIN.get_or_init(|| {
            // build.rs wrote the file out from the same model and a test compiles it, so
            // failing here means a broken build, not bad input.
            // (A plain panic, not `expect`: formatting the error would ship its Debug code
            // to browsers for a failure that cannot happen there.)
            let Ok(ruleset) = Ruleset::compile_lazily(builtin_file()) else {
                panic!("the built-in ruleset is checked by its tests");
            };
            ruleset
        })
    }

    /// Reads a replacement ruleset (the format of `ruleset/default.toml`).
    ///
    /// # Errors
    /// [`RulesetError::Syntax`] for text that is not the ruleset's TOML shape,
    /// [`RulesetError::Invalid`] for a value that breaks a rule; both name the line.
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

    /// The `version` every verdict reports, e.g. `2026.11.1`.
    pub fn version(&self) -> &str {
        &self.file.version.0
    }

    /// The mailbox requests are forwarded to, unless the deployment overrides it.
    pub fn mailbox(&self) -> &str {
        &self.file.mailbox.0
    }

    /// The mailbox's name as agents know it (`Agent Retail Service Ops. Support`).
    pub fn mailbox_name(&self) -> &str {
        &self.file.mailbox_name.0
    }

    /// The business time zone (SPEC §6).
    pub fn time_zone(&self) -> Tz {
        self.zone
    }

    /// The plans, in the ruleset's order (the order forms offer them).
    pub fn lines_of_business(&self) -> &[LineOfBusiness] {
        &self.lines
    }

    /// The topics, in the ruleset's order (the order forms offer them).
    pub fn topics(&self) -> &[Topic] {
        &self.topics
    }

    /// The out-of-scope categories that plans and topics point into.
    pub fn categories(&self) -> &[Category] {
        &self.categories
    }

    /// The targets outside peak seasons.
    pub fn sla(&self) -> SlaTargets {
        self.service().sla
    }

    /// The coaching topic for a counted reason (a metric name, e.g. `error.member_id.required`):
    /// the `[[coaching]]` entry whose `reason` is the longest start of it.
    pub fn coaching_topic(&self, reason: &str) -> Option<&str> {
        self.service()
            .deferred
            .coaching
            .iter()
            .filter(|c| {
                reason == c.reason.0
                    || reason
                        .strip_prefix(c.reason.0.as_str())
                        .is_some_and(|rest| rest.starts_with('.'))
            })
            .max_by_key(|c| c.reason.0.len())
            .map(|c| c.topic.0.as_str())
    }

    /// How insights are kept and shown (`[insights]`, issue 12).
    pub fn insights(&self) -> InsightsPolicy {
        self.file.insights
    }

    /// When the team's daily digest goes out on business days, local time (`sla.digest_time`).
    pub fn digest_time(&self) -> chrono::NaiveTime {
        compile::digest_time(&self.file.sla.digest_time).unwrap_or_default()
    }

    /// How many business days a request may wait for the agent before the digest names it
    /// (`sla.awaiting_agent_alert_business_days`).
    pub fn awaiting_agent_alert_business_days(&self) -> u32 {
        self.file.sla.awaiting_agent_alert_business_days
    }

    /// The length limits of a field, in characters (Unicode scalar values, after
    /// normalisation). Fields without a length rule get 0..=0.
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
        &self.service().acknowledgement_text
    }

    /// What the acknowledgement's subject starts with (`Received: `).
    pub fn acknowledgement_subject_prefix(&self) -> &str {
        &self.service().deferred.acknowledgement.subject_prefix
    }

    /// The plan with this code.
    pub fn line_of_business(&self, code: &str) -> Option<&LineOfBusiness> {
        self.lines.iter().find(|l| l.code == code)
    }

    /// The topic with this code.
    pub fn topic(&self, code: &str) -> Option<&Topic> {
        self.topics.iter().find(|t| t.code == code)
    }

    /// The names of the holiday rules, in the ruleset's order (`New Year's Day`, …).
    pub fn holiday_names(&self) -> impl Iterator<Item = &str> {
        self.service()
            .deferred
            .holidays
            .rules
            .iter()
            .map(|r| r.name.0.as_str())
    }

    /// The targets for a receipt on this local month and day (a peak season may change them).
    pub(crate) fn targets_on(&self, month: u32, day: u32) -> SlaTargets {
        let md = (month, day);
        let service = self.service();
        service
            .seasons
            .iter()
            .find(|s| {
                if s.from <= s.to {
                    s.from <= md && md <= s.to
                } else {
                    md >= s.from || md <= s.to
                }
            })
            .map_or(service.sla, |s| s.targets)
    }

    /// The clock's and the emails' parts, made now if they were left for first use (only the
    /// built-in ruleset's are, and its tests check it whole).
    pub(crate) fn service(&self) -> &Service {
        self.service.get_or_init(|| {
            let Ok(service) = compile::service(&self.file, builtin_deferred(), &self.lines, None)
            else {
                panic!("the built-in ruleset is checked by its tests");
            };
            service
        })
    }
}

/// `tel:` URIs take the global number's digits; rulesets write numbers the way people read
/// them. A number starting with `+` carries its country code; any other must be a North
/// American one (10 digits, or 11 starting with 1), as the seed's are.
pub(crate) fn tel_uri(number: &str) -> Option<String> {
    let punctuation_ok = number
        .chars()
        .enumerate()
        .all(|(i, c)| c.is_ascii_digit() || " -.()".contains(c) || (c == '+' && i == 0));
    let digits: String = number.chars().filter(char::is_ascii_digit).collect();
    let global = match (number.starts_with('+'), digits.len()) {
        (true, 8..=15) => digits,
        (false, 10) => format!("1{digits}"),
        (false, 11) if digits.starts_with('1') => digits,
        _ => return None,
    };
    punctuation_ok.then(|| format!("tel:+{global}"))
}

#[cfg(feature = "toml")]
fn line_and_column(text: &str, offset: usize) -> (usize, usize) {
    let before = text.get(..offset).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

#[cfg(test)]
mod tests {
    use super::tel_uri;

    #[test]
    fn tel_uris_are_global_numbers_in_digits() {
        assert_eq!(
            tel_uri("1-800-457-4708").as_deref(),
            Some("tel:+18004574708")
        );
        assert_eq!(
            tel_uri("(800) 457-4708").as_deref(),
            Some("tel:+18004574708")
        );
        assert_eq!(
            tel_uri("+44 20 7946 0958").as_deref(),
            Some("tel:+442079460958")
        );
        for not_a_number in ["", "457-4708", "2-800-457-4708", "1-800-CALL-NOW", "+1 800"] {
            assert_eq!(tel_uri(not_a_number), None, "{not_a_number}");
        }
    }
}
