//! The ruleset file's shape, exactly as written in TOML.
//!
//! Vocabulary layer: depends on nothing else in the crate.
//!
//! Shared with `build.rs` (through `#[path]`), which parses the built-in ruleset at build
//! time and writes it out as Rust code that constructs these types (it names every field,
//! so a field added here must be added there). Checks that need no other field live in
//! `TryFrom` impls, so TOML errors point at the line.

use serde::Deserialize;

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RulesetFile {
    pub version: NonEmpty,
    pub time_zone: NonEmpty,
    pub mailbox: NonEmpty,
    pub mailbox_name: NonEmpty,
    pub limits: Limits,
    pub sla: Sla,
    pub holidays: Holidays,
    pub lines_of_business: Vec<LineOfBusinessEntry>,
    pub topics: Vec<TopicEntry>,
    pub out_of_scope: Vec<OutOfScopeEntry>,
    pub urgency: Urgency,
    pub acknowledgement: AcknowledgementEntry,
    /// What each reason requests come back for means for coaching (issue 12).
    #[serde(default)]
    pub coaching: Vec<CoachingEntry>,
    /// How insights are kept and shown (issue 12).
    #[serde(default)]
    pub insights: InsightsPolicy,
}

/// The parts of the file only the business clock, the emails and the insights read. Every
/// ruleset keeps them with its service parts (`Ruleset::service`), taken out of its file
/// ([`Deferred::take`]); the built-in ruleset's are written out apart by build.rs and made on
/// first use, so the browser form, which reads none of them, carries none of their data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deferred {
    pub holidays: Holidays,
    pub acknowledgement: AcknowledgementEntry,
    pub coaching: Vec<CoachingEntry>,
}

impl Deferred {
    /// The parts, taken out of `file`: what it holds then is the same empty placeholder in
    /// every ruleset, so files compare equal on the rest.
    #[cfg_attr(not(feature = "toml"), allow(dead_code))] // build.rs and `from_toml` take them
    pub fn take(file: &mut RulesetFile) -> Deferred {
        let taken = Holidays {
            observed: ObservedRule::None,
            add: Vec::new(),
            remove: Vec::new(),
            rules: Vec::new(),
        };
        let ack = AcknowledgementEntry {
            subject_prefix: String::new(),
            text: NonEmpty(String::new()),
        };
        Deferred {
            holidays: std::mem::replace(&mut file.holidays, taken),
            acknowledgement: std::mem::replace(&mut file.acknowledgement, ack),
            coaching: std::mem::take(&mut file.coaching),
        }
    }
}

/// `[insights]`: the weeks the page and the digest cover, how long counters are kept, and how
/// long the digest's insights link works.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct InsightsPolicy {
    /// Weeks the insights page and `GET /api/insights` cover, this week included.
    pub weeks_shown: u32,
    /// Weeks counters are kept before the purge deletes them.
    pub keep_weeks: u32,
    /// Days the digest's link to the insights page works.
    pub link_days: u32,
}

impl Default for InsightsPolicy {
    fn default() -> Self {
        InsightsPolicy {
            weeks_shown: 12,
            keep_weeks: 53,
            link_days: 14,
        }
    }
}

/// A coaching topic for a reason insights count: `reason` is a counted metric's name or the
/// start of it (`error.member_id` covers every Member ID error).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CoachingEntry {
    pub reason: NonEmpty,
    pub topic: NonEmpty,
}

/// A field's length range in characters (Unicode scalar values), inclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Limit {
    /// The fewest characters allowed.
    pub min: u32,
    /// The most characters allowed; 0 for a field without a length rule.
    pub max: u32,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Limits {
    pub agent_name: Limit,
    pub agent_san: Limit,
    pub agent_email: Limit,
    pub member_id: Limit,
    pub member_name: Limit,
    pub reference_number: Limit,
    pub summary: Limit,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Sla {
    pub respond_business_days: u32,
    pub follow_up_business_days: u32,
    #[serde(default)]
    pub seasons: Vec<Season>,
    /// When the team's daily digest goes out, local `HH:MM` on business days.
    #[serde(default = "default_digest_time")]
    pub digest_time: String,
    /// The digest names requests waiting for the agent longer than this many business days.
    #[serde(default = "default_awaiting_alert")]
    pub awaiting_agent_alert_business_days: u32,
}

fn default_digest_time() -> String {
    "08:00".to_owned()
}

fn default_awaiting_alert() -> u32 {
    3
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Season {
    pub name: NonEmpty,
    pub from: MonthDay,
    pub to: MonthDay,
    pub respond_business_days: u32,
    pub follow_up_business_days: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Holidays {
    pub observed: ObservedRule,
    #[serde(default)]
    pub add: Vec<IsoDate>,
    #[serde(default)]
    pub remove: Vec<IsoDate>,
    pub rules: Vec<HolidayRule>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ObservedRule {
    /// Saturday → the Friday before, Sunday → the Monday after (5 U.S.C. 6103 practice).
    Federal,
    /// The holiday is taken on its date, even on a weekend.
    None,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HolidayRule {
    pub name: NonEmpty,
    pub month: u32,
    #[serde(default)]
    pub day: Option<u32>,
    #[serde(default)]
    pub weekday: Option<WeekdayName>,
    /// 1 = first, 2 = second, …, -1 = last.
    #[serde(default)]
    pub nth: Option<i32>,
    #[serde(default)]
    pub since: Option<i32>,
    #[serde(default)]
    pub until: Option<i32>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WeekdayName {
    Monday,
    Tuesday,
    Wednesday,
    Thursday,
    Friday,
    Saturday,
    Sunday,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LineOfBusinessEntry {
    pub code: Code,
    pub label: NonEmpty,
    #[serde(default)]
    pub subject_label: Option<NonEmpty>,
    #[serde(default)]
    pub call_center: Option<NonEmpty>,
    #[serde(default)]
    pub out_of_scope: Option<Code>,
    #[serde(default)]
    pub names: Vec<Phrase>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TopicEntry {
    pub code: Code,
    pub label: NonEmpty,
    #[serde(default)]
    pub urgent: bool,
    #[serde(default)]
    pub out_of_scope: Option<Code>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutOfScopeEntry {
    pub category: Code,
    #[serde(default)]
    pub contact: Option<NonEmpty>,
    pub guidance: NonEmpty,
    #[serde(default)]
    pub words: Vec<Phrase>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Urgency {
    pub words: Vec<Phrase>,
    /// Phrases that take the urgency out of the urgency words inside them: "non-emergency
    /// transport" is not urgent, "an emergency" still is.
    #[serde(default)]
    pub not_urgent: Vec<Phrase>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AcknowledgementEntry {
    pub subject_prefix: String,
    pub text: NonEmpty,
}

macro_rules! checked_string {
    ($(#[$doc:meta])* $name:ident, $check:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
        #[serde(try_from = "String")]
        pub struct $name(pub String);

        impl TryFrom<String> for $name {
            type Error = String;
            fn try_from(value: String) -> Result<Self, String> {
                let check: fn(&str) -> Result<(), String> = $check;
                check(&value).map(|()| Self(value))
            }
        }
    };
}

checked_string!(
    /// Text that must say something.
    NonEmpty,
    |s| if s.trim().is_empty() { Err("must not be empty".into()) } else { Ok(()) }
);

checked_string!(
    /// A machine code such as `medicare` or `billing_premium`.
    Code,
    |s| {
        let ok = !s.is_empty()
            && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
        if ok { Ok(()) } else { Err(format!("`{s}` is not a code: use lowercase letters, digits and `_`")) }
    }
);

checked_string!(
    /// A word or phrase to find in a summary: lowercase, single spaces, starting and ending
    /// with a letter or digit (whole-word matching needs clear ends).
    Phrase,
    |s| {
        let ends_ok = s.chars().next().is_some_and(char::is_alphanumeric)
            && s.chars().last().is_some_and(char::is_alphanumeric);
        if !ends_ok {
            return Err(format!("`{s}` must start and end with a letter or digit"));
        }
        if s.chars().any(|c| c.is_uppercase()) {
            return Err(format!("`{s}` must be lowercase (matching ignores case)"));
        }
        if s.contains("  ") || s.chars().any(|c| c.is_whitespace() && c != ' ') {
            return Err(format!("`{s}` must separate words with single spaces"));
        }
        Ok(())
    }
);

checked_string!(
    /// A calendar date written `YYYY-MM-DD`.
    IsoDate,
    |s| parse_numbers(s, 3).map(drop).ok_or_else(|| format!("`{s}` is not a date: write YYYY-MM-DD"))
);

checked_string!(
    /// A day of the year written `MM-DD`.
    MonthDay,
    |s| match parse_numbers(s, 2).as_deref() {
        Some([m, d]) if (1..=12).contains(m) && (1..=31).contains(d) => Ok(()),
        _ => Err(format!("`{s}` is not a month and day: write MM-DD")),
    }
);

/// Splits `2026-11-26` or `11-26` into its numbers.
pub fn parse_numbers(s: &str, parts: usize) -> Option<Vec<i32>> {
    let numbers: Vec<i32> = s
        .split('-')
        .map(|p| {
            if p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()) {
                None
            } else {
                p.parse().ok()
            }
        })
        .collect::<Option<_>>()?;
    (numbers.len() == parts).then_some(numbers)
}
