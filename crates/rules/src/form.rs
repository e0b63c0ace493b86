//! What a form shows around the fields and the verdict, made here so that a rule change in
//! the ruleset never leaves a shell saying something stale: the hint under each field (with
//! the ruleset's limits) and the urgent banner with its `tel:` link.
//!
//! Output layer: depends on the vocabulary, the ruleset and the verdict.

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
