//! The promise ledger (SPEC §9): what the system keeps of a forwarded request until it is
//! resolved, how the team's and the agent's actions change it, which dates are due, and what
//! the agent and the mailbox are told. Pure: the caller brings the instant.
//!
//! Minimum necessary: an [`Entry`] holds the tracking ID, dates, state, plan, topic, urgency,
//! the agent's SAN and email and the event log — no member name, member ID or summary. The
//! specialist's note, asked for without member data, is kept only while the agent is asked.
//!
//! The pause (ARCHITECTURE.md, "The promise ledger"): while a request awaits the agent, its
//! respond-by clock stops. The business time that was left when the team asked (none, if the
//! respond-by had passed) counts again from the agent's reply, by the business clock: the new
//! respond-by is [`BusinessClock::after_business_time`] of the reply and that time. A request
//! the team had already answered keeps its respond-by as history.
//!
//! Output layer: depends on fields, codes, the clock, the ruleset, the verdict and emails.

use std::fmt::Write as _;

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use crate::clock::{rfc3339, BusinessClock};
use crate::codes::EmailKind;
use crate::email::{action_lines, push_action_links, Email, Links};
use crate::field::Field;
use crate::ruleset::Ruleset;
use crate::verdict::fields::check_field;
use crate::verdict::{Assessment, FieldError};

/// Where a request is in its life (SPEC §9).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    /// Forwarded; the team's first answer is due by the respond-by.
    Open,
    /// The team answered; updates are due until it is resolved.
    Responded,
    /// The team asked the agent for more details; the clock is paused.
    AwaitingAgent,
    /// Final.
    Resolved,
}

impl State {
    /// The wire name (`open`, `responded`, `awaiting_agent`, `resolved`).
    pub const fn as_str(self) -> &'static str {
        match self {
            State::Open => "open",
            State::Responded => "responded",
            State::AwaitingAgent => "awaiting_agent",
            State::Resolved => "resolved",
        }
    }

    /// What an agent reads on the status page.
    pub const fn label(self) -> &'static str {
        match self {
            State::Open => "Received: waiting for the team's first answer",
            State::Responded => "Answered: the team is working on it",
            State::AwaitingAgent => "Waiting for more details from you",
            State::Resolved => "Resolved",
        }
    }
}

/// Who did something.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Actor {
    /// The intake (the request was received and forwarded).
    Intake,
    /// A Customer Care Specialist, through a signed link in the forward.
    Team,
    /// The agent, through a signed link in their email.
    Agent,
    /// The scheduled sweep.
    Sweep,
}

/// What happened, as the event log records it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "what", rename_all = "snake_case")]
pub enum Happened {
    /// The request was forwarded to the mailbox.
    Forwarded,
    /// The team sent its first answer.
    Responded,
    /// The team asked the agent for more details about these fields.
    DetailsRequested {
        /// The template fields named missing or unclear.
        fields: Vec<Field>,
    },
    /// The agent sent the details.
    DetailsReceived,
    /// The team marked the request resolved.
    Resolved,
    /// The sweep sent agent update `k` (issue 11).
    UpdateSent {
        /// Which follow-up period (1-based).
        k: u32,
    },
}

/// One entry of the event log.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Event {
    /// When, in ms since the Unix epoch (UTC).
    pub at_ms: i64,
    /// Who.
    pub by: Actor,
    /// What.
    #[serde(flatten)]
    pub happened: Happened,
}

/// What the team asked the agent for, while the request awaits them.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Asked {
    /// Since when, ms since the Unix epoch.
    pub since_ms: i64,
    /// The state the request goes back to when the agent answers.
    pub back_to: State,
    /// The template fields to fill in again (the original member data is not kept).
    pub fields: Vec<Field>,
    /// The specialist's note (the page asks for no member data in it).
    pub note: String,
    /// The business time that was left until the respond-by, in ms (0 when it had passed or
    /// the team had already answered).
    pub remaining_ms: i64,
}

/// One forwarded request's ledger entry (SPEC §9).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Entry {
    /// The request's tracking ID.
    pub tracking_id: String,
    /// Received, ms since the Unix epoch (UTC).
    pub received_ms: i64,
    /// The plan's code (`medicare`, `individual`).
    pub plan: String,
    /// The topic's code.
    pub topic: String,
    /// Urgent (SPEC §5).
    pub urgent: bool,
    /// The agent's SAN.
    pub agent_san: String,
    /// The agent's address, where updates go (ASCII form).
    pub agent_email: String,
    /// Where it is.
    pub state: State,
    /// When the team's first answer is due, ms since the Unix epoch.
    pub respond_by_ms: i64,
    /// When the team first answered.
    pub responded_ms: Option<i64>,
    /// When it was resolved.
    pub resolved_ms: Option<i64>,
    /// What the agent was asked for, while the state is `awaiting_agent`.
    pub asked: Option<Asked>,
    /// Everything that happened, oldest first.
    pub events: Vec<Event>,
}

/// Something the team, the agent or the sweep does to a request.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum Action {
    /// "First response sent".
    Respond,
    /// "Ask the agent for more details".
    AskDetails {
        /// The template fields missing or unclear.
        fields: Vec<Field>,
        /// A note for the agent (no member data).
        note: String,
    },
    /// The agent sent the details.
    ProvideDetails,
    /// "Resolved".
    Resolve,
    /// The sweep sends the agent update of follow-up period `k` ([`Entry::update_due`]).
    SendUpdate {
        /// The follow-up period (1-based).
        k: u32,
    },
}

impl Action {
    /// Who may do it.
    pub fn actor(&self) -> Actor {
        match self {
            Action::ProvideDetails => Actor::Agent,
            Action::SendUpdate { .. } => Actor::Sweep,
            _ => Actor::Team,
        }
    }
}

/// Why an action cannot be applied: an HTTP status and one sentence for the person.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Refusal {
    /// 409 for a request in another state, 422 for an action that is incomplete.
    pub status: u16,
    /// What to tell the person.
    pub sentence: String,
}

/// The outcome of an action that may be applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Applied {
    /// The entry changed.
    Changed(Box<Entry>),
    /// Nothing to change: the action had been done already (repeating it is harmless).
    AlreadyDone,
}

/// The most a note may hold, in characters.
pub const NOTE_LIMIT: usize = 1000;

/// Template fields the team may ask the agent to fill in again (member data the ledger does
/// not keep, and the summary).
pub const ASKABLE: [Field; 6] = [
    Field::MemberId,
    Field::MemberFirstName,
    Field::MemberLastName,
    Field::ReferenceNumber,
    Field::Summary,
    Field::AgentName,
];

impl Entry {
    /// The entry a forwarded request opens, or `None` for a request that is not forwarded
    /// (out of scope, needs changes).
    pub fn open(
        assessment: &Assessment,
        tracking_id: &str,
        received: DateTime<Utc>,
        ruleset: &Ruleset,
    ) -> Option<Entry> {
        if assessment.verdict.outcome != crate::codes::Outcome::Forward {
            return None;
        }
        let r = &assessment.request;
        let times = BusinessClock::new(ruleset).service_times(received, 0);
        Some(Entry {
            tracking_id: tracking_id.to_owned(),
            received_ms: received.timestamp_millis(),
            plan: r.line_of_business.clone(),
            topic: r.topic.clone(),
            urgent: assessment.verdict.urgent,
            agent_san: r.agent_san.clone(),
            agent_email: r.agent_email.clone(),
            state: State::Open,
            respond_by_ms: times.respond_by.timestamp_millis(),
            responded_ms: None,
            resolved_ms: None,
            asked: None,
            events: vec![Event {
                at_ms: received.timestamp_millis(),
                by: Actor::Intake,
                happened: Happened::Forwarded,
            }],
        })
    }

    /// Applies `action` at `at`: the next entry, [`Applied::AlreadyDone`] for a harmless
    /// repeat, or why not.
    pub fn apply(
        &self,
        action: &Action,
        at: DateTime<Utc>,
        ruleset: &Ruleset,
    ) -> Result<Applied, Refusal> {
        let refuse = |status: u16, sentence: &str| Refusal {
            status,
            sentence: sentence.to_owned(),
        };
        let at_ms = at.timestamp_millis();
        let mut next = self.clone();
        let happened = match (self.state, action) {
            (State::Resolved, Action::Resolve) => return Ok(Applied::AlreadyDone),
            (State::Resolved, _) => {
                return Err(refuse(
                    409,
                    "This request is resolved; nothing more can be done to it.",
                ))
            }
            (State::Responded, Action::Respond) => return Ok(Applied::AlreadyDone),
            (State::Open, Action::Respond) => {
                next.state = State::Responded;
                next.responded_ms = Some(at_ms);
                Happened::Responded
            }
            // The team answered while waiting for the agent: recorded; the request goes back
            // to "answered" when the agent replies.
            (State::AwaitingAgent, Action::Respond) => {
                if let Some(asked) = next.asked.as_mut() {
                    if asked.back_to == State::Responded {
                        return Ok(Applied::AlreadyDone);
                    }
                    asked.back_to = State::Responded;
                    asked.remaining_ms = 0;
                }
                next.responded_ms.get_or_insert(at_ms);
                Happened::Responded
            }
            (State::AwaitingAgent, Action::AskDetails { .. }) => {
                return Err(refuse(
                    409,
                    "The agent has already been asked for more details and has not answered yet.",
                ))
            }
            (State::Open | State::Responded, Action::AskDetails { fields, note }) => {
                let note = note.trim();
                if fields.is_empty() && note.is_empty() {
                    return Err(refuse(
                        422,
                        "Tick the fields the agent should fill in again, or write a note.",
                    ));
                }
                if fields.iter().any(|f| !ASKABLE.contains(f)) {
                    return Err(refuse(422, "Ask only for fields of the request template."));
                }
                if note.chars().count() > NOTE_LIMIT {
                    return Err(refuse(
                        422,
                        "The note is too long: keep it under 1,000 characters.",
                    ));
                }
                if note
                    .chars()
                    .any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t')
                {
                    return Err(refuse(
                        422,
                        "The note contains invisible control characters.",
                    ));
                }
                let clock = BusinessClock::new(ruleset);
                let remaining = if self.state == State::Open {
                    let respond_by =
                        DateTime::from_timestamp_millis(self.respond_by_ms).unwrap_or_default();
                    clock.business_time_between(at, respond_by)
                } else {
                    Duration::zero()
                };
                let mut fields = fields.clone();
                crate::small::sort_by_key(&mut fields, |f| *f);
                fields.dedup();
                next.state = State::AwaitingAgent;
                next.asked = Some(Asked {
                    since_ms: at_ms,
                    back_to: self.state,
                    fields: fields.clone(),
                    note: note.to_owned(),
                    remaining_ms: remaining.num_milliseconds(),
                });
                Happened::DetailsRequested { fields }
            }
            (State::AwaitingAgent, Action::ProvideDetails) => {
                let Some(asked) = next.asked.take() else {
                    return Err(refuse(409, "No details were asked for."));
                };
                next.state = asked.back_to;
                if asked.back_to == State::Open {
                    let resumed = BusinessClock::new(ruleset)
                        .after_business_time(at, Duration::milliseconds(asked.remaining_ms));
                    next.respond_by_ms = resumed.timestamp_millis();
                }
                Happened::DetailsReceived
            }
            (_, Action::ProvideDetails) => {
                return Err(refuse(
                    409,
                    "No details were asked for this request, or they were sent already.",
                ))
            }
            (_, Action::SendUpdate { k }) if self.updated(*k) => return Ok(Applied::AlreadyDone),
            (State::Open | State::Responded, Action::SendUpdate { k }) => {
                Happened::UpdateSent { k: *k }
            }
            (State::AwaitingAgent, Action::SendUpdate { .. }) => {
                return Err(refuse(
                    409,
                    "No update is sent while the team waits for the agent's details.",
                ))
            }
            (State::Open | State::Responded | State::AwaitingAgent, Action::Resolve) => {
                next.state = State::Resolved;
                next.asked = None;
                next.resolved_ms = Some(at_ms);
                Happened::Resolved
            }
        };
        next.events.push(Event {
            at_ms,
            by: action.actor(),
            happened,
        });
        Ok(Applied::Changed(Box::new(next)))
    }

    /// Whether the update of follow-up period `k` was sent.
    fn updated(&self, k: u32) -> bool {
        self.events
            .iter()
            .any(|e| e.happened == Happened::UpdateSent { k })
    }

    /// The follow-up period whose agent update is due at `now`, if any (SPEC §9): the latest
    /// follow-up date that has passed (every `follow_up_business_days` business days from
    /// receipt), while the request is neither resolved nor waiting for the agent, unless the
    /// update was sent or the team was in touch (answered, or asked for details) in that
    /// period. A sweep that missed several dates sends the latest update only.
    pub fn update_due(&self, now: DateTime<Utc>, ruleset: &Ruleset) -> Option<u32> {
        if !matches!(self.state, State::Open | State::Responded) {
            return None;
        }
        let received = DateTime::from_timestamp_millis(self.received_ms)?;
        let clock = BusinessClock::new(ruleset);
        let mut previous = received.timestamp_millis();
        // A few years of periods is more than any request stays open.
        for k in 1..=520u32 {
            let due = clock.service_times(received, k).follow_ups.pop()?;
            if due > now {
                return None;
            }
            let next_due = clock
                .service_times(received, k + 1)
                .follow_ups
                .pop()
                .map(|t| t.timestamp_millis());
            let latest = next_due.is_none_or(|next| next > now.timestamp_millis());
            if latest {
                let (from, to) = (previous, due.timestamp_millis());
                let in_touch = self.events.iter().any(|e| {
                    matches!(
                        e.happened,
                        Happened::Responded | Happened::DetailsRequested { .. }
                    ) && e.at_ms > from
                        && e.at_ms <= to
                });
                return (!in_touch && !self.updated(k)).then_some(k);
            }
            previous = due.timestamp_millis();
        }
        None
    }

    /// Where the respond-by promise stands at `now`.
    pub fn promise(&self, now: DateTime<Utc>) -> Promise {
        let now_ms = now.timestamp_millis();
        match (self.responded_ms, self.state) {
            (Some(at), _) if at <= self.respond_by_ms => Promise::Kept,
            (Some(_), _) => Promise::Missed,
            (None, State::AwaitingAgent) => Promise::Paused,
            (None, _) if now_ms > self.respond_by_ms => Promise::Missed,
            (None, _) => Promise::Due,
        }
    }

    /// The next agent update due after `now` (every `follow_up_business_days` business days
    /// from receipt), while the request is neither resolved nor awaiting the agent.
    pub fn next_update(
        &self,
        now: DateTime<Utc>,
        ruleset: &Ruleset,
    ) -> Option<DateTime<chrono_tz::Tz>> {
        if matches!(self.state, State::Resolved | State::AwaitingAgent) {
            return None;
        }
        let received = DateTime::from_timestamp_millis(self.received_ms)?;
        let clock = BusinessClock::new(ruleset);
        // Follow-ups come every few business days; a few years of them is more than any
        // request stays open.
        for k in 1..=520 {
            let due = clock.service_times(received, k).follow_ups.pop()?;
            if due > now {
                return Some(due);
            }
        }
        None
    }

    /// What the status page and `GET /api/requests/{tracking_id}` show at `now`.
    pub fn status(&self, now: DateTime<Utc>, ruleset: &Ruleset) -> Status {
        let zone = ruleset.time_zone();
        let show =
            |ms: i64| DateTime::from_timestamp_millis(ms).map(|t| rfc3339(&t.with_timezone(&zone)));
        Status {
            tracking_id: self.tracking_id.clone(),
            state: self.state,
            state_label: self.state.label(),
            received: show(self.received_ms).unwrap_or_default(),
            respond_by: show(self.respond_by_ms).unwrap_or_default(),
            promise: self.promise(now),
            next_update: self.next_update(now, ruleset).map(|t| rfc3339(&t)),
            resolved: self.resolved_ms.and_then(show),
            needed: self.asked.as_ref().map(|asked| Needed {
                fields: asked
                    .fields
                    .iter()
                    .map(|f| NeededField {
                        field: *f,
                        label: f.label(),
                    })
                    .collect(),
                note: asked.note.clone(),
            }),
        }
    }
}

/// Where the respond-by promise stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Promise {
    /// Not answered yet, not due yet.
    Due,
    /// Answered by the respond-by.
    Kept,
    /// Answered late, or not answered and past due.
    Missed,
    /// Waiting for the agent: the clock is stopped.
    Paused,
}

impl Promise {
    /// What the status page says of it.
    pub const fn label(self) -> &'static str {
        match self {
            Promise::Due => "due",
            Promise::Kept => "kept",
            Promise::Missed => "missed",
            Promise::Paused => "paused while we wait for your details",
        }
    }
}

/// A request's status as an agent or a portal may see it: no member data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Status {
    /// The tracking ID.
    pub tracking_id: String,
    /// The state's wire name.
    pub state: State,
    /// The state in words.
    pub state_label: &'static str,
    /// RFC 3339, business zone.
    pub received: String,
    /// RFC 3339, business zone.
    pub respond_by: String,
    /// Kept, missed, due or paused.
    pub promise: Promise,
    /// The next agent update, RFC 3339; none once resolved or while waiting for the agent.
    pub next_update: Option<String>,
    /// When it was resolved, RFC 3339.
    pub resolved: Option<String>,
    /// What the team needs from the agent.
    pub needed: Option<Needed>,
}

/// What the team asked the agent for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Needed {
    /// The fields to fill in again.
    pub fields: Vec<NeededField>,
    /// The specialist's note.
    pub note: String,
}

/// One field to fill in again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NeededField {
    /// Its JSON name.
    pub field: Field,
    /// Its label.
    pub label: &'static str,
}

/// The agent's answer to a request for details: the member's names again (the subject line
/// is rebuilt from them, so the mailbox gets the update in the same thread), the fields asked
/// for, and what they want to add.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DetailsReply {
    /// Field values as typed, by field (names and the fields asked for).
    pub fields: Vec<(Field, String)>,
    /// What the agent adds (the summary's rules apply).
    pub details: String,
}

impl DetailsReply {
    /// The details as the form (or an API client) sends them: a request body (SPEC §1 field
    /// names, read by the one JSON parser, `Request::from_json`) holding the member's names, the
    /// fields asked for, and the details in `summary`.
    pub fn from_request(request: &crate::field::Request) -> DetailsReply {
        DetailsReply {
            fields: Field::ALL
                .into_iter()
                .filter(|f| f.input().is_single_line() && !request.text(*f).is_empty())
                .map(|f| (f, request.text(f).to_owned()))
                .collect(),
            details: request.summary.clone(),
        }
    }
}

/// A checked [`DetailsReply`]: normalised values and the rebuilt subject line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckedDetails {
    /// The subject line of the original forward (SPEC §2).
    pub subject: String,
    /// The fields, normalised, in SPEC §1 order.
    pub fields: Vec<(Field, String)>,
    /// The agent's text, normalised.
    pub details: String,
}

/// The fields of the agent's details form, in SPEC §1 order: the member's names (the
/// subject line of the mailbox's thread is rebuilt from them), every field the team asked for
/// (`asked`, as [`Needed`] lists them), and last [`Field::Summary`], which holds the details
/// text. Every one is required (a reference number is there only when it was asked for).
/// [`check_reply`] checks exactly these.
pub fn details_fields(asked: &[Field]) -> Vec<Field> {
    let mut fields = vec![Field::MemberFirstName, Field::MemberLastName];
    fields.extend(asked.iter().copied().filter(|f| *f != Field::Summary));
    crate::small::sort_by_key(&mut fields, |f| *f);
    fields.dedup();
    fields.push(Field::Summary);
    fields
}

/// Checks the agent's details for a request whose team asked for `asked`: each field of
/// [`details_fields`] with the field rules of SPEC §1, the details text as a summary. The
/// normalised single-line values in SPEC §1 order (the text is not among them), or every
/// error, one per field, in that order. Pure: the form checks as the agent types with it and
/// the edge judges the POST with it ([`Entry::check_details`]), so both say the same.
///
/// # Errors
/// The [`FieldError`]s: `required` with "Enter the … again: the team asked for it.", else
/// the field's own rule's code and message.
pub fn check_reply(
    asked: &[Field],
    reply: &DetailsReply,
    ruleset: &Ruleset,
) -> Result<Vec<(Field, String)>, Vec<FieldError>> {
    let value = |field: Field| {
        reply
            .fields
            .iter()
            .find(|(f, _)| *f == field)
            .map_or("", |(_, v)| v.as_str())
    };
    let mut errors = Vec::new();
    let mut fields = Vec::new();
    for field in details_fields(asked) {
        let raw = if field == Field::Summary {
            reply.details.as_str()
        } else {
            value(field)
        };
        let normalised = crate::text::normalise(field, raw);
        if normalised.is_empty() {
            errors.push(FieldError {
                field,
                code: crate::codes::ErrorCode::Required,
                message: format!("Enter the {} again: the team asked for it.", field.label()),
            });
            continue;
        }
        if let Some((code, message)) = check_field(field, raw, &normalised, ruleset) {
            errors.push(FieldError {
                field,
                code,
                message,
            });
            continue;
        }
        if field != Field::Summary {
            fields.push((field, normalised));
        }
    }
    if errors.is_empty() {
        Ok(fields)
    } else {
        Err(errors)
    }
}

impl Entry {
    /// Checks the agent's details with [`check_reply`] against what the team asked for, and
    /// rebuilds the subject line of the original forward (SPEC §2) from the member's names
    /// and the entry's plan.
    ///
    /// # Errors
    /// [`check_reply`]'s field errors.
    pub fn check_details(
        &self,
        reply: &DetailsReply,
        ruleset: &Ruleset,
    ) -> Result<CheckedDetails, Vec<FieldError>> {
        let asked: &[Field] = self.asked.as_ref().map_or(&[], |a| &a.fields);
        let fields = check_reply(asked, reply, ruleset)?;
        let name = |field: Field| {
            fields
                .iter()
                .find(|(f, _)| *f == field)
                .map_or(String::new(), |(_, v)| v.clone())
        };
        let label = ruleset
            .line_of_business(&self.plan)
            .and_then(|l| l.subject_label.clone())
            .unwrap_or_default();
        Ok(CheckedDetails {
            subject: format!(
                "{}, {} {label}",
                name(Field::MemberLastName),
                name(Field::MemberFirstName)
            ),
            fields,
            details: crate::text::normalise(Field::Summary, &reply.details),
        })
    }
}

/// The subject of a ledger email to the agent: the mailbox and the tracking ID, and no member
/// name (SPEC §9: none in an agent update). The tracking ID routes it, as the seed's subject
/// line would.
fn agent_subject(ruleset: &Ruleset, tracking_id: &str, what: &str) -> String {
    format!("{} request [{tracking_id}]: {what}", ruleset.mailbox_name())
}

/// The email that asks the agent for more details (to the agent; no member data).
pub fn details_request_email(
    entry: &Entry,
    ruleset: &Ruleset,
    mailbox: &str,
    links: &Links,
) -> Email {
    let mut text = format!(
        "The Customer Care Specialist working on your request {} needs more details before it can be resolved.\n",
        entry.tracking_id
    );
    if let Some(asked) = &entry.asked {
        if !asked.fields.is_empty() {
            text.push_str("\nPlease fill in again:\n");
            for field in &asked.fields {
                let _ = writeln!(text, "- {}", field.label());
            }
        }
        if !asked.note.is_empty() {
            let _ = write!(text, "\nNote from the team:\n{}\n", asked.note);
        }
    }
    if let Some(url) = &links.details {
        let _ = write!(
            text,
            "\nSend the details here (the form opens with what is needed):\n{url}\n"
        );
    }
    text.push_str("\nWhile we wait for your details the response time is paused; it continues when you send them.");
    if let Some(url) = &links.status {
        let _ = write!(text, "\n\nStatus: {url}");
    }
    Email {
        kind: EmailKind::DetailsRequest,
        to: entry.agent_email.clone(),
        reply_to: Some(mailbox.to_owned()),
        subject: agent_subject(ruleset, &entry.tracking_id, "more details needed"),
        text,
    }
}

/// The agent's details, forwarded to the mailbox in the thread of the original forward (same
/// subject line, tracking ID in the body and the tracking header).
pub fn details_reply_email(
    entry: &Entry,
    ruleset: &Ruleset,
    mailbox: &str,
    details: &CheckedDetails,
    links: &Links,
) -> Email {
    let mut text = format!(
        "More details from the agent for request {}.\n\n",
        entry.tracking_id
    );
    for (field, value) in &details.fields {
        let _ = writeln!(text, "{}: {value}", field.label());
    }
    let _ = write!(text, "Details:\n{}\n", details.details);
    let _ = write!(
        text,
        "\nAgent SAN: {}\nAgent email: {}\nTracking ID: {}",
        entry.agent_san, entry.agent_email, entry.tracking_id
    );
    let zone = ruleset.time_zone();
    if let Some(respond_by) = DateTime::from_timestamp_millis(entry.respond_by_ms) {
        if entry.state == State::Open {
            let _ = write!(
                text,
                "\nRespond by: {}",
                respond_by
                    .with_timezone(&zone)
                    .format("%A, %B %-d, %Y, %-I:%M %p %Z")
            );
        }
    }
    push_action_links(&mut text, links);
    Email {
        kind: EmailKind::DetailsReply,
        to: mailbox.to_owned(),
        reply_to: Some(entry.agent_email.clone()),
        subject: details.subject.clone(),
        text,
    }
}

/// The email telling the agent their request is resolved.
pub fn resolved_email(entry: &Entry, ruleset: &Ruleset, mailbox: &str, links: &Links) -> Email {
    let mut text = format!(
        "Your request {} has been resolved by the {}. Thank you.",
        entry.tracking_id,
        ruleset.mailbox_name()
    );
    if let Some(url) = &links.status {
        let _ = write!(text, "\n\nStatus: {url}");
    }
    Email {
        kind: EmailKind::Resolved,
        to: entry.agent_email.clone(),
        reply_to: Some(mailbox.to_owned()),
        subject: agent_subject(ruleset, &entry.tracking_id, "resolved"),
        text,
    }
}

/// The emails an applied action sends at `now`: the agent is asked for details, the mailbox
/// gets the agent's details, the agent hears the request is resolved, or gets its scheduled
/// update.
#[allow(clippy::too_many_arguments)] // each is a different input of one pure decision
pub fn action_emails(
    before: &Entry,
    after: &Entry,
    action: &Action,
    now: DateTime<Utc>,
    ruleset: &Ruleset,
    mailbox: &str,
    links: &Links,
    details: Option<&CheckedDetails>,
) -> Vec<Email> {
    match action {
        Action::AskDetails { .. } => vec![details_request_email(after, ruleset, mailbox, links)],
        Action::ProvideDetails => details
            .map(|d| details_reply_email(after, ruleset, mailbox, d, links))
            .into_iter()
            .collect(),
        Action::Resolve if before.state != State::Resolved => {
            vec![resolved_email(after, ruleset, mailbox, links)]
        }
        Action::Respond | Action::Resolve => Vec::new(),
        Action::SendUpdate { .. } => {
            vec![status_update_email(after, now, ruleset, mailbox, links)]
        }
    }
}

/// The scheduled update of follow-up period `k` (to the agent; no member data).
pub fn status_update_email(
    entry: &Entry,
    now: DateTime<Utc>,
    ruleset: &Ruleset,
    mailbox: &str,
    links: &Links,
) -> Email {
    let status = entry.status(now, ruleset);
    let zone = ruleset.time_zone();
    let show = |rfc: &str| {
        DateTime::parse_from_rfc3339(rfc)
            .map(|t| {
                t.with_timezone(&zone)
                    .format("%A, %B %-d, %Y, %-I:%M %p %Z")
                    .to_string()
            })
            .unwrap_or_else(|_| rfc.to_owned())
    };
    let mut text = format!(
        "An update on your request {} to the {}.\n\nStatus: {}\nReceived: {}\nResponse due by: {} ({})",
        entry.tracking_id,
        ruleset.mailbox_name(),
        status.state_label,
        show(&status.received),
        show(&status.respond_by),
        status.promise.label(),
    );
    if let Some(next) = &status.next_update {
        let _ = write!(text, "\nNext update by: {}", show(next));
    }
    text.push_str("\n\nThe team is still working on it; you will hear again until it is resolved.");
    if let Some(url) = &links.status {
        let _ = write!(text, "\n\nStatus: {url}");
    }
    Email {
        kind: EmailKind::StatusUpdate,
        to: entry.agent_email.clone(),
        reply_to: Some(mailbox.to_owned()),
        subject: agent_subject(ruleset, &entry.tracking_id, "update"),
        text,
    }
}

/// The local date whose digest is due at `now`: a business day once its digest time has
/// come (`sla.digest_time`).
pub fn digest_due(now: DateTime<Utc>, ruleset: &Ruleset) -> Option<chrono::NaiveDate> {
    let local = now.with_timezone(&ruleset.time_zone());
    let today = local.date_naive();
    (BusinessClock::new(ruleset).is_business_day(today) && local.time() >= ruleset.digest_time())
        .then_some(today)
}

/// The team's daily digest at `now` (to the mailbox): requests whose respond-by is today,
/// overdue ones, agent updates due, and requests waiting for the agent longer than
/// `sla.awaiting_agent_alert_business_days`; each line with its tracking ID, plan, topic,
/// urgency, dates and action links; then `coaching` (issue 12). `None` when nothing is due
/// and there are no coaching topics: no email is sent then.
pub fn digest_email(
    entries: &[Entry],
    now: DateTime<Utc>,
    ruleset: &Ruleset,
    mailbox: &str,
    links: &dyn Fn(&str) -> Links,
    coaching: &DigestCoaching,
) -> Option<Email> {
    let zone = ruleset.time_zone();
    let clock = BusinessClock::new(ruleset);
    let today = now.with_timezone(&zone).date_naive();
    let at = |ms: i64| DateTime::from_timestamp_millis(ms).unwrap_or_default();
    let mut due_today = Vec::new();
    let mut overdue = Vec::new();
    let mut updates = Vec::new();
    let mut waiting = Vec::new();
    for entry in entries {
        let respond_by = at(entry.respond_by_ms);
        match entry.state {
            State::Open if respond_by < now => overdue.push(entry),
            State::Open if respond_by.with_timezone(&zone).date_naive() == today => {
                due_today.push(entry)
            }
            State::AwaitingAgent => {
                let since = entry
                    .asked
                    .as_ref()
                    .map_or(entry.received_ms, |a| a.since_ms);
                let threshold =
                    chrono::Duration::days(i64::from(ruleset.awaiting_agent_alert_business_days()));
                if clock.business_time_between(at(since), now) > threshold {
                    waiting.push(entry);
                }
            }
            _ => {}
        }
        if entry.update_due(now, ruleset).is_some() {
            updates.push(entry);
        }
    }
    let nothing_due =
        due_today.is_empty() && overdue.is_empty() && updates.is_empty() && waiting.is_empty();
    if nothing_due && coaching.topics.is_empty() {
        return None;
    }
    let show = |ms: i64| {
        at(ms)
            .with_timezone(&zone)
            .format("%a %b %-d, %-I:%M %p")
            .to_string()
    };
    let mut text = format!(
        "Daily digest of the {} for {}.\n",
        ruleset.mailbox_name(),
        today.format("%A, %B %-d, %Y")
    );
    for (title, list) in [
        ("Response due today", &due_today),
        ("Overdue", &overdue),
        ("Agent updates due", &updates),
        ("Waiting for the agent's details", &waiting),
    ] {
        if list.is_empty() {
            continue;
        }
        let _ = write!(text, "\n{title} ({}):\n", list.len());
        for entry in list.iter() {
            let plan = ruleset
                .line_of_business(&entry.plan)
                .map_or(entry.plan.as_str(), |l| l.label.as_str());
            let topic = ruleset
                .topic(&entry.topic)
                .map_or(entry.topic.as_str(), |t| t.label.as_str());
            let _ = writeln!(
                text,
                "- {} | {plan} | {topic} | {} | received {} | respond by {}",
                entry.tracking_id,
                if entry.urgent { "URGENT" } else { "not urgent" },
                show(entry.received_ms),
                show(entry.respond_by_ms),
            );
            for line in action_lines(&links(&entry.tracking_id)) {
                let _ = writeln!(text, "    {line}");
            }
        }
    }
    if nothing_due {
        text.push_str("\nNo request needs the team's attention today.\n");
    }
    if let Some(week) = coaching
        .week
        .as_ref()
        .filter(|_| !coaching.topics.is_empty())
    {
        let _ = write!(text, "\nLast week's top coaching topics ({week}):\n");
        for (i, topic) in coaching.topics.iter().enumerate() {
            let _ = writeln!(text, "{}. {topic}", i + 1);
        }
    }
    if let Some(link) = &coaching.link {
        let _ = write!(
            text,
            "\nCoaching insights, last {} weeks: {link}\n",
            ruleset.insights().weeks_shown
        );
    }
    Some(Email {
        kind: EmailKind::Digest,
        to: mailbox.to_owned(),
        reply_to: None,
        subject: format!(
            "{}: daily digest for {}",
            ruleset.mailbox_name(),
            today.format("%B %-d, %Y")
        ),
        text,
    })
}

/// The coaching part of the team's digest (issue 12): the link to the insights page, and on
/// the first business day of a week the previous week's top coaching topics.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DigestCoaching {
    /// The signed insights page link, when the deployment signs links.
    pub link: Option<String>,
    /// The week the topics are from (`2026-W48`).
    pub week: Option<String>,
    /// At most three topics, most frequent reason first.
    pub topics: Vec<String>,
}

/// What the confirmation page of a team action says.
pub struct ActionPage {
    /// The page's heading.
    pub heading: &'static str,
    /// What pressing the button does.
    pub explanation: &'static str,
    /// The button.
    pub button: &'static str,
}

impl Action {
    /// The confirmation page of the action behind a team link (`respond`, `ask`, `resolve`).
    pub fn page(name: &str) -> Option<ActionPage> {
        Some(match name {
            "respond" => ActionPage {
                heading: "Record the first response",
                explanation: "Records that the team sent its first answer to the agent. The respond-by promise is then kept (or missed, if it is late).",
                button: "Record first response",
            },
            "ask" => ActionPage {
                heading: "Ask the agent for more details",
                explanation: "The agent gets an email naming what is needed and a link to send it; the response time is paused until they do. Do not write member data in the note: it is emailed to the agent.",
                button: "Send the request for details",
            },
            "resolve" => ActionPage {
                heading: "Mark the request resolved",
                explanation: "Marks the request resolved and tells the agent; no more updates are sent.",
                button: "Mark resolved",
            },
            _ => return None,
        })
    }
}
