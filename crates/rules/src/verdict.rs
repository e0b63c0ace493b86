//! The verdict (SPEC §5): what the form renders, the edge function acts on and `rsos check`
//! prints. Made in exactly one place, [`assess`], in one step per SPEC section.
//!
//! Judgement layer: depends on the vocabulary, the policy parts and the ruleset.

pub(crate) mod fields;

use serde::{Deserialize, Serialize};

use self::fields::check_field;
pub use self::fields::is_mailbox_address;
use crate::codes::{ErrorCode, Outcome, WarningCode};
use crate::field::{Field, NormalisedRequest, Request};
use crate::ruleset::{Category, LineOfBusiness, Ruleset, Topic};
use crate::words::{Hit, Tag};

/// A field's first broken rule (SPEC §1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldError {
    /// The field, serialised as its JSON name.
    pub field: Field,
    /// Which rule.
    pub code: ErrorCode,
    /// What to fix, in plain English (the same text in every shell).
    pub message: String,
}

/// A hint from the summary (SPEC §4).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Warning {
    /// Which hint.
    pub code: WarningCode,
    /// What it means for the agent, in plain English.
    pub message: String,
}

/// Where an out-of-scope request goes instead (SPEC §3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutOfScope {
    /// The category code, e.g. `commission`.
    pub category: String,
    /// An address to write to instead; `None` where the seed names none.
    pub contact: Option<String>,
    /// The sentence agents read.
    pub guidance: String,
}

/// The verdict on one request (SPEC §5). Field order is the wire order: do not reorder.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Verdict {
    /// The version of the ruleset that judged it.
    pub ruleset: String,
    /// What happens to the request.
    pub outcome: Outcome,
    /// `Last, First Medicare|HumanaOne` (SPEC §2); `None` for out-of-scope plans or while a
    /// name has an error.
    pub subject: Option<String>,
    /// One per field at most, in field order.
    pub errors: Vec<FieldError>,
    /// Mixed lines of business, possible out-of-scope subjects, then urgency.
    pub warnings: Vec<Warning>,
    /// Where the request goes instead, when the mailbox does not take it.
    pub out_of_scope: Option<OutOfScope>,
    /// The topic is urgent or the summary sounds urgent.
    pub urgent: bool,
    /// The plan's call-center number, when urgent.
    pub call_center: Option<String>,
}

impl Verdict {
    /// The canonical bytes of a verdict: the form, the edge function and the CLI all emit
    /// exactly this (compact JSON in SPEC §5 member order).
    #[cfg(feature = "json")]
    pub fn to_json(&self) -> String {
        // A struct of strings, bools and unit enums always serialises.
        serde_json::to_string(self).unwrap_or_default()
    }

    /// The error of one field, if it has one.
    pub fn error_for(&self, field: Field) -> Option<&FieldError> {
        self.errors.iter().find(|e| e.field == field)
    }
}

/// A verdict together with the normalised request it was made from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assessment {
    /// The verdict (SPEC §5).
    pub verdict: Verdict,
    /// The normalised request the subject and the emails are made from.
    pub request: NormalisedRequest,
    /// For a request that mixes lines of business: the code of the other plan its summary
    /// names (what the form's "split into two requests" creates the second draft for).
    pub mixed_with: Option<String>,
}

/// Judges one request. Pure and deterministic: the same request and ruleset always give the
/// same verdict, byte for byte, on every platform. Never fails: every problem is in the
/// verdict.
pub fn assess(request: &Request, ruleset: &Ruleset) -> Assessment {
    let normalised = request.normalise();
    let mut errors = field_errors(request, &normalised, ruleset);
    let scope = Scope::of(&normalised, &errors, ruleset);
    let hints = SummaryHints::of(&normalised, &scope, ruleset);
    errors.extend(hints.confirmation_error);
    let subject = subject(&normalised, &scope, &errors);
    crate::small::sort_by_key(&mut errors, |e| e.field);
    let outcome = outcome(&scope, &errors);
    let urgent = scope.topic.is_some_and(|t| t.urgent) || hints.urgent;
    let call_center = scope
        .plan
        .and_then(|p| p.call_center.clone())
        .filter(|_| urgent);
    Assessment {
        verdict: Verdict {
            ruleset: ruleset.version().to_string(),
            outcome,
            subject,
            errors,
            warnings: hints.warnings,
            out_of_scope: scope.category.map(|c| OutOfScope {
                category: c.code.clone(),
                contact: c.contact.clone(),
                guidance: c.guidance.clone(),
            }),
            urgent,
            call_center,
        },
        request: normalised,
        mixed_with: hints.mixed_with,
    }
}

/// SPEC §1: each field's first broken rule, in field order. The confirmation box has no
/// rule of its own; SPEC §4 gives it one (see [`SummaryHints`]).
fn field_errors(
    request: &Request,
    normalised: &NormalisedRequest,
    ruleset: &Ruleset,
) -> Vec<FieldError> {
    Field::ALL
        .into_iter()
        .filter(|&field| field != Field::ConfirmSingleLineOfBusiness)
        .filter_map(|field| {
            let (code, message) =
                check_field(field, request.text(field), normalised.text(field), ruleset)?;
            Some(FieldError {
                field,
                code,
                message,
            })
        })
        .collect()
}

fn has_error(errors: &[FieldError], field: Field) -> bool {
    errors.iter().any(|e| e.field == field)
}

/// SPEC §3: the plan and topic (when valid) and the out-of-scope category, if any.
struct Scope<'r> {
    plan: Option<&'r LineOfBusiness>,
    plan_index: Option<usize>,
    topic: Option<&'r Topic>,
    category: Option<&'r Category>,
}

impl<'r> Scope<'r> {
    fn of(normalised: &NormalisedRequest, errors: &[FieldError], ruleset: &'r Ruleset) -> Self {
        let plan_index = (!has_error(errors, Field::LineOfBusiness))
            .then(|| {
                ruleset
                    .lines
                    .iter()
                    .position(|l| l.code == normalised.line_of_business)
            })
            .flatten();
        let plan = plan_index.and_then(|i| ruleset.lines.get(i));
        let topic = (!has_error(errors, Field::Topic))
            .then(|| ruleset.topic(&normalised.topic))
            .flatten();
        // Where both the plan and the topic are out of scope, the plan's category wins.
        let category = plan
            .and_then(|p| p.out_of_scope)
            .or_else(|| topic.and_then(|t| t.out_of_scope))
            .and_then(|i| ruleset.categories.get(i));
        Scope {
            plan,
            plan_index,
            topic,
            category,
        }
    }
}

/// SPEC §4: what the summary's words say, in warning order (mixed lines of business,
/// possible out-of-scope subjects, urgency).
struct SummaryHints {
    warnings: Vec<Warning>,
    /// `confirmation_required` for a mixed request the agent has not confirmed.
    confirmation_error: Option<FieldError>,
    mixed_with: Option<String>,
    urgent: bool,
}

impl SummaryHints {
    fn of(normalised: &NormalisedRequest, scope: &Scope, ruleset: &Ruleset) -> SummaryHints {
        let hits = if normalised.summary.is_empty() {
            Vec::new()
        } else {
            ruleset.words.find(&normalised.summary)
        };
        let mut hints = SummaryHints {
            warnings: Vec::new(),
            confirmation_error: None,
            mixed_with: None,
            urgent: false,
        };
        hints.mixed_lines_of_business(&hits, normalised, scope, ruleset);
        if scope.category.is_none() {
            hints.possible_out_of_scope(&hits, ruleset);
        }
        hints.urgency(&hits, scope);
        hints
    }

    /// A request for one in-scope plan whose summary names the other.
    fn mixed_lines_of_business(
        &mut self,
        hits: &[Hit],
        normalised: &NormalisedRequest,
        scope: &Scope,
        ruleset: &Ruleset,
    ) {
        let (Some(plan), Some(plan_index)) = (scope.plan, scope.plan_index) else {
            return;
        };
        let other_plan = hits.iter().find_map(|h| match h.tag {
            Tag::Plan(i) if i != plan_index => ruleset
                .lines
                .get(i)
                .filter(|l| l.out_of_scope.is_none() && plan.out_of_scope.is_none())
                .map(|l| (h.phrase, l)),
            _ => None,
        });
        let Some((phrase, other)) = other_plan else {
            return;
        };
        self.mixed_with = Some(other.code.clone());
        self.warnings.push(Warning {
            code: WarningCode::MixedLinesOfBusiness,
            message: format!(
                "The summary mentions \"{phrase}\", which is {other}, but this request is for {this}. Medicare and Individual concerns in one request delay the response: split them into two requests, or confirm that this request is about {this} only.",
                other = other.label,
                this = plan.label,
            ),
        });
        if !normalised.confirm_single_line_of_business {
            self.confirmation_error = Some(FieldError {
                field: Field::ConfirmSingleLineOfBusiness,
                code: ErrorCode::ConfirmationRequired,
                message: format!(
                    "Confirm that this request is about {} only, or split it into two requests.",
                    plan.label
                ),
            });
        }
    }

    /// One warning per out-of-scope category the summary mentions, in text order.
    fn possible_out_of_scope(&mut self, hits: &[Hit], ruleset: &Ruleset) {
        let mut seen: Vec<usize> = Vec::new();
        for hit in hits {
            let Tag::OutOfScope(i) = hit.tag else {
                continue;
            };
            if seen.contains(&i) {
                continue;
            }
            seen.push(i);
            if let Some(c) = ruleset.categories.get(i) {
                self.warnings.push(Warning {
                    code: WarningCode::PossibleOutOfScope,
                    message: format!(
                        "The summary mentions \"{}\". If that is the question, it does not belong here: {}",
                        hit.phrase, c.guidance
                    ),
                });
            }
        }
    }

    /// One urgent warning, naming the first urgency phrase and the plan's number.
    fn urgency(&mut self, hits: &[Hit], scope: &Scope) {
        let Some(hit) = hits.iter().find(|h| h.tag == Tag::Urgent) else {
            return;
        };
        let call = match scope.plan.and_then(|p| Some((p, p.call_center.as_ref()?))) {
            Some((plan, number)) => format!(
                "call them in to {} Customer Service at {number} now",
                plan.label
            ),
            None => "call them in to the member's plan's Customer Service now".to_string(),
        };
        self.warnings.push(Warning {
            code: WarningCode::Urgent,
            message: format!(
                "This sounds urgent (\"{}\"). Access to care and critical time-sensitive issues need immediate attention: {call}. You can still send this request.",
                hit.phrase
            ),
        });
        self.urgent = true;
    }
}

/// SPEC §2: `Last, First Medicare|HumanaOne` from the normalised names, for an in-scope
/// plan and names without errors.
fn subject(normalised: &NormalisedRequest, scope: &Scope, errors: &[FieldError]) -> Option<String> {
    let names_ok =
        !has_error(errors, Field::MemberFirstName) && !has_error(errors, Field::MemberLastName);
    let label = scope.plan?.subject_label.as_deref().filter(|_| names_ok)?;
    Some(format!(
        "{}, {} {label}",
        normalised.member_last_name, normalised.member_first_name
    ))
}

/// SPEC §5: out of scope whenever §3 says so; else needs changes when there are errors.
fn outcome(scope: &Scope, errors: &[FieldError]) -> Outcome {
    if scope.category.is_some() {
        Outcome::OutOfScope
    } else if !errors.is_empty() {
        Outcome::NeedsChanges
    } else {
        Outcome::Forward
    }
}
