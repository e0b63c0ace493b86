//! What a form shows around the fields and the verdict, made here so that a rule change in
//! the ruleset never leaves a shell saying something stale: the hint under each field (with
//! the ruleset's limits), the urgent banner with its `tel:` link, and what the agent can tell
//! the member before sending (the promise if the request were received now, and its
//! sentence).
//!
//! Output layer: depends on the vocabulary, the ruleset, the verdict and the clock.

use chrono::{DateTime, SubsecRound, Utc};
use serde::Serialize;

use crate::clock::{rfc3339, BusinessClock};
use crate::codes::WarningCode;
use crate::field::Field;
use crate::ruleset::{tel_uri, Ruleset};
use crate::verdict::Verdict;

impl Ruleset {
    /// The hint under a field: what to type, with this ruleset's length limits where the
    /// field has them (`3–30 letters, digits or hyphens.`). For the checkbox, the sentence
    /// beside the box.
    pub fn hint(&self, field: Field) -> String {
        let limit = self.limit(field);
        match field {
            Field::LineOfBusiness => "The member's plan: one plan per request.".into(),
            Field::Topic => "What the member's issue is about.".into(),
            Field::AgentName => format!("Up to {} characters.", limit.max),
            Field::AgentSan => format!("Letters and digits, up to {}.", limit.max),
            Field::AgentEmail => "The acknowledgement and updates go here.".into(),
            Field::MemberId => {
                format!("{}–{} letters, digits or hyphens.", limit.min, limit.max)
            }
            Field::MemberFirstName | Field::MemberLastName => {
                "As on the member's ID card; no commas or brackets.".into()
            }
            Field::ReferenceNumber => "Optional: a call or case reference, if you have one.".into(),
            Field::Summary => format!(
                "{}–{} characters: what happened, what you need.",
                limit.min, limit.max
            ),
            Field::ConfirmSingleLineOfBusiness => "This request is about one plan only.".into(),
        }
    }
}

/// The banner a form shows first when a verdict is urgent (SPEC §3 `access_to_care`, §4
/// urgency): call it in before sending.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UrgentBanner {
    /// `Urgent: call it in first`.
    pub heading: &'static str,
    /// What to do; when there is a number, the sentence the call link follows.
    pub text: &'static str,
    /// The plan's Customer Service number as a link; `None` until a plan is chosen.
    pub call: Option<CallLink>,
    /// The urgent warnings' messages, or one line saying the request can still be sent.
    pub messages: Vec<String>,
}

/// A call-center number as a link.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallLink {
    /// What the link says: `call 1-800-457-4708`.
    pub label: String,
    /// Where it goes: `tel:+18004574708` (RFC 3966).
    pub uri: String,
}

/// The urgent banner for a verdict; `None` when the verdict is not urgent.
pub fn urgent_banner(verdict: &Verdict) -> Option<UrgentBanner> {
    if !verdict.urgent {
        return None;
    }
    let call = verdict.call_center.as_deref().and_then(|number| {
        Some(CallLink {
            label: format!("call {number}"),
            uri: tel_uri(number)?,
        })
    });
    let text = if call.is_some() {
        "Access to care and critical time-sensitive issues go to Customer Service now:"
    } else {
        "Access to care and critical time-sensitive issues go to the plan's Customer Service now. Choose the plan to see its number."
    };
    let mut messages: Vec<String> = verdict
        .warnings
        .iter()
        .filter(|w| w.code == WarningCode::Urgent)
        .map(|w| w.message.clone())
        .collect();
    if messages.is_empty() {
        messages.push("You can still send this request for follow-up.".into());
    }
    Some(UrgentBanner {
        heading: "Urgent: call it in first",
        text,
        call,
        messages,
    })
}

/// What the team promises for a request received at one instant (issue 10): the times the
/// acknowledgement and the edge's 202 would name for it ([`BusinessClock::receipt_times`],
/// SPEC §6), and how long they hold. The body of `GET /api/promise`: the 202's names, RFC 3339
/// strings in the ruleset's zone (`2026-12-01T15:00:00-05:00`), whole seconds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PromiseIfSent {
    /// The receipt the promise is for: the edge's clock when it answered, whole seconds.
    pub received_at: String,
    /// The team's first answer is due (the 202's `respond_by`).
    pub respond_by: String,
    /// The first agent update is due (the 202's `next_follow_up`).
    pub next_follow_up: Option<String>,
    /// Seconds these dates hold ([`BusinessClock::receipt_times_hold_for`]): until then a
    /// request sent gets the same dates, later only by the time passed; after it they can
    /// move by days, so a form must not show them any longer.
    pub holds_for_s: i64,
    /// The ruleset version the dates come from ([`Ruleset::version`]).
    pub ruleset: String,
}

/// The promise for a request received at `now` (taken to the whole second): what a form can
/// tell the agent before sending, the very times the acknowledgement then names.
pub fn promise_if_sent(now: DateTime<Utc>, ruleset: &Ruleset) -> PromiseIfSent {
    let now = now.trunc_subsecs(0);
    let clock = BusinessClock::new(ruleset);
    let times = clock.receipt_times(now);
    PromiseIfSent {
        received_at: rfc3339(&times.received),
        respond_by: rfc3339(&times.respond_by),
        next_follow_up: times.follow_ups.first().map(rfc3339),
        holds_for_s: clock.receipt_times_hold_for(now).num_seconds(),
        ruleset: ruleset.version().to_owned(),
    }
}

/// The sentence a form shows beside its send button, filled with [`promise_if_sent`]'s
/// times as the form formats them for the agent (their own time zone and language): what the
/// agent can tell a member on the phone before sending. Issue 10's words, kept short: the
/// agent reads it at a glance, and every byte ships in the form.
pub fn if_sent_now(respond_by: &str, first_update: &str) -> String {
    format!("If you send now: answer by {respond_by}, first update by {first_update}.")
}
