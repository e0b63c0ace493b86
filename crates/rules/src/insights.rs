//! Coaching insights (issue 12): what agents send, counted without member data. The seed
//! gives the mailbox a second purpose — "identify key opportunities for communications,
//! coaching, training and other process enhancements" — and every verdict already knows why a
//! request was incomplete, out of scope, mixed or urgent.
//!
//! Counters, not records: a [`Metric`] is a name from a closed list (field names, error codes,
//! category codes from the ruleset), counted per ISO week (business zone) and agent SAN. Nothing
//! counted can carry a member's data or any free text. This module decides what a request, a
//! ledger event or a form event counts, and turns counts into the report; the shell increments.
//!
//! Output layer: depends on codes, fields, the verdict, the ledger and the ruleset.

use std::fmt::Write as _;

use chrono::{DateTime, Datelike, Utc};
use serde::Serialize;

use crate::codes::{ErrorCode, Outcome, WarningCode};
use crate::field::Field;
use crate::ruleset::Ruleset;
use crate::verdict::{Assessment, Verdict};

/// One thing counted.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Metric {
    /// A request's outcome (`outcome.forward`, `outcome.out_of_scope`, `outcome.needs_changes`).
    Outcome(Outcome),
    /// A field error as answered in a 422 (`error.<field>.<code>`).
    Error(Field, ErrorCode),
    /// An out-of-scope request by category (`out_of_scope.<category>`).
    OutOfScope(String),
    /// The form showed out-of-scope guidance instead of the send button
    /// (`guidance_shown.<category>`).
    GuidanceShown(String),
    /// A mixed-lines request the agent confirmed as one plan (`mixed.confirmed`).
    MixedConfirmed,
    /// A mixed-lines draft the agent split in two in the form (`mixed.split`).
    MixedSplit,
    /// An urgent request (`urgent`).
    Urgent,
    /// The team asked for more details (`details.requested`).
    DetailsRequested,
    /// The agent answered a request for details (`details.answered`).
    DetailsAnswered,
    /// Business minutes the agent took to answer, summed (`details.wait_minutes`).
    DetailsWaitMinutes,
    /// The first answer came by the respond-by (`respond_by.kept`) or after it
    /// (`respond_by.missed`).
    RespondBy(bool),
    /// A scheduled agent update went out (`updates.sent`).
    UpdateSent,
}

impl Metric {
    /// The metric's name in counter keys, exports and coaching reasons.
    pub fn name(&self) -> String {
        match self {
            Metric::Outcome(outcome) => format!("outcome.{}", outcome.as_str()),
            Metric::Error(field, code) => format!("error.{}.{}", field.as_str(), code.as_str()),
            Metric::OutOfScope(category) => format!("out_of_scope.{category}"),
            Metric::GuidanceShown(category) => format!("guidance_shown.{category}"),
            Metric::MixedConfirmed => "mixed.confirmed".into(),
            Metric::MixedSplit => "mixed.split".into(),
            Metric::Urgent => "urgent".into(),
            Metric::DetailsRequested => "details.requested".into(),
            Metric::DetailsAnswered => "details.answered".into(),
            Metric::DetailsWaitMinutes => "details.wait_minutes".into(),
            Metric::RespondBy(true) => "respond_by.kept".into(),
            Metric::RespondBy(false) => "respond_by.missed".into(),
            Metric::UpdateSent => "updates.sent".into(),
        }
    }

    /// The metric a name stands for; `None` for a name this version does not count (a counter
    /// key can hold nothing else, so no other text is ever read back).
    pub fn parse(name: &str, ruleset: &Ruleset) -> Option<Metric> {
        let category = |code: &str| {
            ruleset
                .categories()
                .iter()
                .any(|c| c.code == code)
                .then(|| code.to_owned())
        };
        Some(match name.split_once('.') {
            Some(("outcome", outcome)) => Metric::Outcome(Outcome::from_name(outcome)?),
            Some(("error", rest)) => {
                let (field, code) = rest.split_once('.')?;
                Metric::Error(Field::from_name(field)?, ErrorCode::from_name(code)?)
            }
            Some(("out_of_scope", code)) => Metric::OutOfScope(category(code)?),
            Some(("guidance_shown", code)) => Metric::GuidanceShown(category(code)?),
            _ => match name {
                "mixed.confirmed" => Metric::MixedConfirmed,
                "mixed.split" => Metric::MixedSplit,
                "urgent" => Metric::Urgent,
                "details.requested" => Metric::DetailsRequested,
                "details.answered" => Metric::DetailsAnswered,
                "details.wait_minutes" => Metric::DetailsWaitMinutes,
                "respond_by.kept" => Metric::RespondBy(true),
                "respond_by.missed" => Metric::RespondBy(false),
                "updates.sent" => Metric::UpdateSent,
                _ => return None,
            },
        })
    }

    /// Whether it is a request coming back to the agent: what coaching can avoid.
    pub fn is_avoidable_return(&self) -> bool {
        matches!(
            self,
            Metric::Outcome(Outcome::NeedsChanges | Outcome::OutOfScope) | Metric::DetailsRequested
        )
    }
}

/// What a judged request counts once it is answered: its outcome; for a 422 each field error;
/// out of scope, its category; a confirmed mix of plans; urgency.
pub fn judged(assessment: &Assessment) -> Vec<Metric> {
    let verdict = &assessment.verdict;
    let mut metrics = vec![Metric::Outcome(verdict.outcome)];
    match verdict.outcome {
        Outcome::NeedsChanges => metrics.extend(
            verdict
                .errors
                .iter()
                .map(|e| Metric::Error(e.field, e.code)),
        ),
        Outcome::OutOfScope => {
            if let Some(scope) = &verdict.out_of_scope {
                metrics.push(Metric::OutOfScope(scope.category.clone()));
            }
        }
        Outcome::Forward => {
            if verdict
                .warnings
                .iter()
                .any(|w| w.code == WarningCode::MixedLinesOfBusiness)
            {
                metrics.push(Metric::MixedConfirmed);
            }
        }
    }
    if verdict.urgent && verdict.outcome != Outcome::NeedsChanges {
        metrics.push(Metric::Urgent);
    }
    metrics
}

/// What the last event of a ledger entry counts, once the action that made it is recorded: a
/// first answer's respond-by kept or missed, a return for details, an answer to one (and the
/// business minutes it took), a scheduled update. Read from the entry alone (its event log),
/// so a retry that finds the action done counts the same event, which [`Tally`] counts once.
pub fn acted(entry: &crate::ledger::Entry, ruleset: &Ruleset) -> Option<Tally> {
    use crate::ledger::Happened;
    let index = entry.events.len().checked_sub(1)?;
    let event = entry.events.get(index)?;
    let counts = match &event.happened {
        Happened::Responded => {
            let first = entry
                .events
                .iter()
                .filter(|e| e.happened == Happened::Responded)
                .count()
                == 1;
            if !first {
                return None;
            }
            vec![(Metric::RespondBy(event.at_ms <= entry.respond_by_ms), 1)]
        }
        Happened::DetailsRequested { .. } => vec![(Metric::DetailsRequested, 1)],
        Happened::DetailsReceived => {
            let asked = entry.events[..index]
                .iter()
                .rev()
                .find(|e| matches!(e.happened, Happened::DetailsRequested { .. }))
                .map_or(entry.received_ms, |e| e.at_ms);
            let minutes = match (
                DateTime::from_timestamp_millis(asked),
                DateTime::from_timestamp_millis(event.at_ms),
            ) {
                (Some(from), Some(to)) => crate::clock::BusinessClock::new(ruleset)
                    .business_time_between(from, to)
                    .num_minutes(),
                _ => 0,
            };
            vec![
                (Metric::DetailsAnswered, 1),
                (Metric::DetailsWaitMinutes, minutes),
            ]
        }
        Happened::UpdateSent { .. } => vec![(Metric::UpdateSent, 1)],
        Happened::Forwarded | Happened::Resolved => return None,
    };
    let at = DateTime::from_timestamp_millis(event.at_ms)?;
    Some(Tally {
        week: week_of(at, ruleset),
        agent_san: entry.agent_san.clone(),
        items: vec![TallyItem {
            once_per: Some(format!("event|{}|{index}", entry.tracking_id)),
            counts,
        }],
    })
}

/// The SAN counts are kept under when no valid SAN is known (a 422 for the SAN itself): not
/// a SAN, since SANs are letters and digits.
pub const UNKNOWN_SAN: &str = "-";

/// What to count for one answer: under one week and agent, items each counted at most once
/// per identity. The shell keeps a marker per identity (an atomic increment: only the first
/// caller sees 1) and increments the counters only then, so retries, replays and concurrent
/// instances never count twice. An item without an identity is counted every time it is
/// given: [`recorded`]'s, which the edge gives only at a request's first recorded answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tally {
    /// The ISO week counted in (`2026-W49`, business zone).
    pub week: String,
    /// The agent's SAN, or [`UNKNOWN_SAN`].
    pub agent_san: String,
    /// What is counted.
    pub items: Vec<TallyItem>,
}

/// Counts that go together, and the identity they are counted once under (`None`: every time).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TallyItem {
    /// An identity of codes, tracking IDs, SANs and the client's key (hashed by the shell
    /// before it is stored, since a client's key is free text).
    pub once_per: Option<String>,
    /// Metrics and how much each adds.
    pub counts: Vec<(Metric, i64)>,
}

/// What a request the edge recorded counts (forwarded or out of scope), in the week it was
/// received. It carries no identity: the edge counts it once, at the first answer its
/// delivery record holds (`rsos_delivery::Facts::first_answer`), which costs no counter of
/// its own (issue 13).
pub fn recorded(assessment: &Assessment, received: DateTime<Utc>, ruleset: &Ruleset) -> Tally {
    Tally {
        week: week_of(received, ruleset),
        agent_san: assessment.request.agent_san.clone(),
        items: vec![TallyItem {
            once_per: None,
            counts: judged(assessment).into_iter().map(|m| (m, 1)).collect(),
        }],
    }
}

/// What a 422 counts: the outcome once per agent and key (the client's Idempotency-Key, or a
/// digest of the request), and each field error once per agent, key, field and code — a
/// resubmission that still has an error does not count it again, a new error does. The agent
/// is `token_san` (a verified embed token's, normalised) or else the request's SAN when it has
/// no error; otherwise [`UNKNOWN_SAN`].
pub fn returned(
    assessment: &Assessment,
    token_san: Option<&str>,
    key: &str,
    at: DateTime<Utc>,
    ruleset: &Ruleset,
) -> Tally {
    let agent_san = match token_san {
        Some(san) => san.to_owned(),
        None if assessment.verdict.error_for(Field::AgentSan).is_none()
            && !assessment.request.agent_san.is_empty() =>
        {
            assessment.request.agent_san.clone()
        }
        None => UNKNOWN_SAN.to_owned(),
    };
    let items = judged(assessment)
        .into_iter()
        .map(|metric| TallyItem {
            once_per: Some(format!("returned|{agent_san}|{key}|{}", metric.name())),
            counts: vec![(metric, 1)],
        })
        .collect();
    Tally {
        week: week_of(at, ruleset),
        agent_san,
        items,
    }
}

/// The kinds of form event (`POST /api/events`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FormEventKind {
    /// The form showed out-of-scope guidance instead of the send button (needs `category`).
    GuidanceShown,
    /// The agent split a mixed-lines draft in two.
    Split,
}

impl FormEventKind {
    /// The wire name (`guidance_shown`, `split`), as serde writes it.
    pub const fn as_str(self) -> &'static str {
        match self {
            FormEventKind::GuidanceShown => "guidance_shown",
            FormEventKind::Split => "split",
        }
    }
}

/// A form event (`POST /api/events`, issue 12): what happened in the form that never reaches
/// the edge as a request. Codes and the agent's SAN only: no member data, no free text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FormEvent {
    /// What happened.
    pub kind: FormEventKind,
    /// The out-of-scope category's code, for `guidance_shown`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    /// The agent's SAN as typed in the form.
    pub agent_san: String,
    /// The ruleset version the form ran.
    pub ruleset: String,
}

/// Why a form event is not counted (HTTP 422). `Display` is the sentence for the client.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EventRefusal {
    /// `guidance_shown` without a category this ruleset has, or `split` with one.
    #[error("The event's category is not an out-of-scope category of this ruleset.")]
    Category,
    /// The SAN breaks the SAN rules.
    #[error("The event's agent_san is not a valid agent SAN.")]
    AgentSan,
    /// The ruleset version is empty or longer than 40 visible ASCII characters.
    #[error("The event's ruleset must be the ruleset version the form ran.")]
    Ruleset,
}

impl FormEvent {
    /// The event's JSON body, as the form sends it: `{"kind":…,"category":…,"agent_san":…,
    /// "ruleset":…}` in that order, without `category` for `split`, strings escaped as JSON
    /// requires. Written by hand rather than by serde_json, so the browser form need not carry
    /// serde_json for one small object; [`FormEvent::from_json`] reads it back to the same
    /// event (tested).
    pub fn to_json(&self) -> String {
        let mut json = String::from("{");
        let mut member = |name: &str, value: &str| {
            if json.len() > 1 {
                json.push(',');
            }
            json.push('"');
            json.push_str(name);
            json.push_str("\":\"");
            for c in value.chars() {
                match c {
                    '"' => json.push_str("\\\""),
                    '\\' => json.push_str("\\\\"),
                    c if u32::from(c) < 0x20 => {
                        let _ = write!(json, "\\u{:04x}", u32::from(c));
                    }
                    c => json.push(c),
                }
            }
            json.push('"');
        };
        member("kind", self.kind.as_str());
        if let Some(category) = &self.category {
            member("category", category);
        }
        member("agent_san", &self.agent_san);
        member("ruleset", &self.ruleset);
        json.push('}');
        json
    }

    /// The `guidance_shown` event of a form whose `verdict` shows out-of-scope guidance instead
    /// of the send button, for the agent SAN typed in the form. `None` when the verdict is not
    /// out of scope, or while the SAN breaks its rule (SPEC §1: the verdict has an `agent_san`
    /// error): events count per agent, and the edge would refuse it.
    pub fn guidance_shown(verdict: &Verdict, agent_san: &str) -> Option<FormEvent> {
        let scope = verdict.out_of_scope.as_ref()?;
        FormEvent::for_agent(verdict, agent_san, FormEventKind::GuidanceShown).map(|event| {
            FormEvent {
                category: Some(scope.category.clone()),
                ..event
            }
        })
    }

    /// The `split` event of a form whose agent split the draft judged by `verdict` in two.
    /// `None` while the SAN breaks its rule, as for [`FormEvent::guidance_shown`].
    pub fn split(verdict: &Verdict, agent_san: &str) -> Option<FormEvent> {
        FormEvent::for_agent(verdict, agent_san, FormEventKind::Split)
    }

    fn for_agent(verdict: &Verdict, agent_san: &str, kind: FormEventKind) -> Option<FormEvent> {
        verdict
            .error_for(Field::AgentSan)
            .is_none()
            .then(|| FormEvent {
                kind,
                category: None,
                agent_san: agent_san.to_owned(),
                ruleset: verdict.ruleset.clone(),
            })
    }

    /// The Idempotency-Key a form sends the event with: `<draft_key>:<kind>[:<category>]`, so
    /// the same draft showing the same guidance counts once however often the form renders it
    /// (for `split`, pass the key of the draft the split created: each split counts once).
    pub fn idempotency_key(&self, draft_key: &str) -> String {
        match &self.category {
            Some(category) => format!("{draft_key}:{}:{category}", self.kind.as_str()),
            None => format!("{draft_key}:{}", self.kind.as_str()),
        }
    }

    /// Reads an event from a JSON body: an object of exactly these fields.
    ///
    /// # Errors
    /// The JSON error's sentence (no value from the body is repeated).
    #[cfg(feature = "json")]
    pub fn from_json(bytes: &[u8]) -> Result<FormEvent, String> {
        serde_json::from_slice(bytes).map_err(|e| match e.classify() {
            serde_json::error::Category::Data => {
                "The event must be {kind, category, agent_san, ruleset} with kind guidance_shown or split.".to_owned()
            }
            _ => format!(
                "The event is not valid JSON (line {}, column {}).",
                e.line(),
                e.column()
            ),
        })
    }

    /// What the event counts at `at`, once per agent and `key` (the client's Idempotency-Key)
    /// when there is one. The SAN is checked and normalised with the request rules; with
    /// embed tokens the shell has already compared it with the token's.
    ///
    /// # Errors
    /// [`EventRefusal`] for a category, SAN or version that does not fit.
    pub fn tally(
        &self,
        key: Option<&str>,
        at: DateTime<Utc>,
        ruleset: &Ruleset,
    ) -> Result<Tally, EventRefusal> {
        let version_ok = !self.ruleset.is_empty()
            && self.ruleset.len() <= 40
            && self.ruleset.bytes().all(|b| b.is_ascii_graphic());
        if !version_ok {
            return Err(EventRefusal::Ruleset);
        }
        let agent_san = self.agent_san(ruleset)?;
        let known = |code: &str| ruleset.categories().iter().any(|c| c.code == code);
        let metric = match (self.kind, self.category.as_deref()) {
            (FormEventKind::GuidanceShown, Some(code)) if known(code) => {
                Metric::GuidanceShown(code.to_owned())
            }
            (FormEventKind::Split, None) => Metric::MixedSplit,
            _ => return Err(EventRefusal::Category),
        };
        Ok(Tally {
            week: week_of(at, ruleset),
            items: vec![TallyItem {
                once_per: key.map(|k| format!("event|{agent_san}|{k}")),
                counts: vec![(metric, 1)],
            }],
            agent_san,
        })
    }

    /// The SAN, normalised, when it keeps the SAN rules.
    ///
    /// # Errors
    /// [`EventRefusal::AgentSan`] otherwise.
    pub fn agent_san(&self, ruleset: &Ruleset) -> Result<String, EventRefusal> {
        let request = crate::Request {
            agent_san: self.agent_san.clone(),
            ..crate::Request::default()
        };
        let assessment = crate::assess(&request, ruleset);
        if assessment.verdict.error_for(Field::AgentSan).is_some() {
            return Err(EventRefusal::AgentSan);
        }
        Ok(assessment.request.agent_san)
    }
}

/// The ISO week of `at` in the business zone, `2026-W49`: the period counters are kept by.
pub fn week_of(at: DateTime<Utc>, ruleset: &Ruleset) -> String {
    let week = at.with_timezone(&ruleset.time_zone()).iso_week();
    format!("{}-W{:02}", week.year(), week.week())
}

/// The week whose coaching topics the digest at `now` carries: the previous ISO week, when
/// today is the first business day of this one (a Monday holiday moves it to Tuesday).
pub fn coaching_week_due(now: DateTime<Utc>, ruleset: &Ruleset) -> Option<String> {
    let today = now.with_timezone(&ruleset.time_zone()).date_naive();
    let clock = crate::clock::BusinessClock::new(ruleset);
    let monday = today - chrono::Duration::days(i64::from(today.weekday().num_days_from_monday()));
    let first = (0..7)
        .map(|i| monday + chrono::Duration::days(i))
        .find(|d| clock.is_business_day(*d))?;
    (first == today).then(|| week_of(now - chrono::Duration::weeks(1), ruleset))
}

/// The weeks from `at`'s back `n` weeks, newest first.
pub fn last_weeks(at: DateTime<Utc>, n: u32, ruleset: &Ruleset) -> Vec<String> {
    (0..n)
        .map(|i| week_of(at - chrono::Duration::weeks(i64::from(i)), ruleset))
        .collect()
}

/// One counter as read from the store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Count {
    /// `2026-W49`.
    pub week: String,
    /// The agent's SAN.
    pub agent_san: String,
    /// The metric's name.
    pub metric: String,
    /// How many (minutes, for `details.wait_minutes`).
    pub count: i64,
}

/// One reason requests come back, with its coaching topic.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Reason {
    /// The metric's name.
    pub metric: String,
    /// What it means, in words.
    pub label: String,
    /// The coaching topic from the ruleset, if it has one.
    pub topic: Option<String>,
    /// How many.
    pub count: i64,
}

/// The insights over some weeks: what the page shows and the API answers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Report {
    /// The weeks covered, newest first.
    pub weeks: Vec<String>,
    /// Requests by outcome, per week (newest first): forwarded, out of scope, needs changes.
    pub outcomes: Vec<WeekOutcomes>,
    /// The reasons requests come back, most frequent first.
    pub reasons: Vec<Reason>,
    /// Out-of-scope categories: requests sent, and guidance the form showed instead.
    pub out_of_scope: Vec<CategoryCount>,
    /// Agents (by SAN) with the most avoidable returns, most first (at most 10).
    pub agents: Vec<AgentCount>,
    /// Ledger figures: respond-by kept and missed, updates sent, details asked and answered,
    /// and the average business hours agents took to answer.
    pub ledger: LedgerFigures,
}

/// One week's outcomes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WeekOutcomes {
    /// `2026-W49`.
    pub week: String,
    /// Forwarded.
    pub forward: i64,
    /// Out of scope.
    pub out_of_scope: i64,
    /// Needed changes (422).
    pub needs_changes: i64,
}

/// One out-of-scope category.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CategoryCount {
    /// Its code.
    pub category: String,
    /// The guidance agents are shown.
    pub guidance: String,
    /// Requests sent anyway (API clients; the form never sends one).
    pub sent: i64,
    /// Times the form showed the guidance instead of the send button.
    pub shown: i64,
}

/// One agent's avoidable returns.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AgentCount {
    /// The agent's SAN.
    pub agent_san: String,
    /// Requests that needed changes, were out of scope, or were returned for details.
    pub returns: i64,
}

/// The ledger's figures.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct LedgerFigures {
    /// First answers by the respond-by.
    pub respond_by_kept: i64,
    /// First answers after it.
    pub respond_by_missed: i64,
    /// Scheduled updates sent.
    pub updates_sent: i64,
    /// Requests returned for details.
    pub details_requested: i64,
    /// Answers to them.
    pub details_answered: i64,
    /// Average business hours to answer, rounded; `None` without answers.
    pub details_average_hours: Option<i64>,
}

/// What a metric means, in words.
pub fn label(metric: &Metric) -> String {
    match metric {
        Metric::Outcome(Outcome::Forward) => "Forwarded".into(),
        Metric::Outcome(Outcome::OutOfScope) => "Out of scope".into(),
        Metric::Outcome(Outcome::NeedsChanges) => "Needed changes".into(),
        Metric::Error(field, code) => {
            format!("{}: {}", field.label(), code.as_str().replace('_', " "))
        }
        Metric::OutOfScope(category) => format!("Out of scope: {category}"),
        Metric::GuidanceShown(category) => format!("Guidance shown: {category}"),
        Metric::MixedConfirmed => "Medicare and Individual in one request (confirmed)".into(),
        Metric::MixedSplit => "Medicare and Individual split into two requests".into(),
        Metric::Urgent => "Urgent".into(),
        Metric::DetailsRequested => "Returned for more details".into(),
        Metric::DetailsAnswered => "Details sent by the agent".into(),
        Metric::DetailsWaitMinutes => "Business minutes agents took to send details".into(),
        Metric::RespondBy(true) => "Respond-by kept".into(),
        Metric::RespondBy(false) => "Respond-by missed".into(),
        Metric::UpdateSent => "Scheduled updates sent".into(),
    }
}

/// The report of `counts` over `weeks` (newest first). Counters of other weeks, and names
/// this version does not count, are left out.
pub fn report(counts: &[Count], weeks: &[String], ruleset: &Ruleset) -> Report {
    let in_range: Vec<(&Count, Metric)> = counts
        .iter()
        .filter(|c| weeks.contains(&c.week))
        .filter_map(|c| Some((c, Metric::parse(&c.metric, ruleset)?)))
        .collect();
    let sum = |pick: &dyn Fn(&Metric) -> bool| -> i64 {
        in_range
            .iter()
            .filter(|(_, m)| pick(m))
            .map(|(c, _)| c.count)
            .sum()
    };
    let outcomes = weeks
        .iter()
        .map(|week| {
            let of = |outcome: Outcome| -> i64 {
                in_range
                    .iter()
                    .filter(|(c, m)| c.week == *week && *m == Metric::Outcome(outcome))
                    .map(|(c, _)| c.count)
                    .sum()
            };
            WeekOutcomes {
                week: week.clone(),
                forward: of(Outcome::Forward),
                out_of_scope: of(Outcome::OutOfScope),
                needs_changes: of(Outcome::NeedsChanges),
            }
        })
        .collect();
    // Reasons: field errors, out-of-scope categories, confirmed mixes, returns for details.
    let mut reasons: Vec<Reason> = Vec::new();
    for (count, metric) in &in_range {
        let is_reason = matches!(
            metric,
            Metric::Error(..)
                | Metric::OutOfScope(_)
                | Metric::MixedConfirmed
                | Metric::DetailsRequested
        );
        if !is_reason {
            continue;
        }
        let name = metric.name();
        match reasons.iter_mut().find(|r| r.metric == name) {
            Some(reason) => reason.count += count.count,
            None => reasons.push(Reason {
                topic: ruleset.coaching_topic(&name).map(str::to_owned),
                label: label(metric),
                metric: name,
                count: count.count,
            }),
        }
    }
    crate::small::sort_by_key(&mut reasons, |r| {
        (std::cmp::Reverse(r.count), r.metric.clone())
    });
    let out_of_scope = ruleset
        .categories()
        .iter()
        .map(|c| CategoryCount {
            category: c.code.clone(),
            guidance: c.guidance.clone(),
            sent: sum(&|m| *m == Metric::OutOfScope(c.code.clone())),
            shown: sum(&|m| *m == Metric::GuidanceShown(c.code.clone())),
        })
        .collect();
    let mut agents: Vec<AgentCount> = Vec::new();
    for (count, metric) in &in_range {
        if !metric.is_avoidable_return() || count.agent_san == UNKNOWN_SAN {
            continue;
        }
        match agents.iter_mut().find(|a| a.agent_san == count.agent_san) {
            Some(agent) => agent.returns += count.count,
            None => agents.push(AgentCount {
                agent_san: count.agent_san.clone(),
                returns: count.count,
            }),
        }
    }
    crate::small::sort_by_key(&mut agents, |a| {
        (std::cmp::Reverse(a.returns), a.agent_san.clone())
    });
    agents.truncate(10);
    let answered = sum(&|m| *m == Metric::DetailsAnswered);
    let minutes = sum(&|m| *m == Metric::DetailsWaitMinutes);
    Report {
        weeks: weeks.to_vec(),
        outcomes,
        reasons,
        out_of_scope,
        agents,
        ledger: LedgerFigures {
            respond_by_kept: sum(&|m| *m == Metric::RespondBy(true)),
            respond_by_missed: sum(&|m| *m == Metric::RespondBy(false)),
            updates_sent: sum(&|m| *m == Metric::UpdateSent),
            details_requested: sum(&|m| *m == Metric::DetailsRequested),
            details_answered: answered,
            details_average_hours: (answered > 0).then(|| (minutes / answered + 30) / 60),
        },
    }
}

/// The counts as CSV: `week,agent_san,metric,count`, one line each (every value is a code).
pub fn csv(counts: &[Count]) -> String {
    let mut out = String::from("week,agent_san,metric,count\n");
    for c in counts {
        let _ = writeln!(out, "{},{},{},{}", c.week, c.agent_san, c.metric, c.count);
    }
    out
}

/// The week's top three coaching topics, for the weekly digest.
pub fn top_topics(report: &Report) -> Vec<String> {
    let mut topics: Vec<String> = Vec::new();
    for reason in &report.reasons {
        if let Some(topic) = &reason.topic {
            if !topics.contains(topic) {
                topics.push(topic.clone());
            }
        }
        if topics.len() == 3 {
            break;
        }
    }
    topics
}
