//! The verdict (SPEC §5): what the form renders, the edge function acts on and `rsos check`
//! prints. Made in exactly one place, [`assess`].

use serde::{Deserialize, Serialize};

use crate::request::{check_field, Field, NormalisedRequest, Request};
use crate::ruleset::{Category, Ruleset};
use crate::words::Tag;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Forward,
    OutOfScope,
    NeedsChanges,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    Required,
    InvalidCharacters,
    TooShort,
    TooLong,
    InvalidFormat,
    InvalidEmail,
    UnknownOption,
    ConfirmationRequired,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WarningCode {
    MixedLinesOfBusiness,
    PossibleOutOfScope,
    Urgent,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldError {
    pub field: Field,
    pub code: ErrorCode,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Warning {
    pub code: WarningCode,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutOfScope {
    pub category: String,
    pub contact: Option<String>,
    pub guidance: String,
}

/// Field order is the wire order of SPEC §5: do not reorder.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Verdict {
    pub ruleset: String,
    pub outcome: Outcome,
    pub subject: Option<String>,
    pub errors: Vec<FieldError>,
    pub warnings: Vec<Warning>,
    pub out_of_scope: Option<OutOfScope>,
    pub urgent: bool,
    pub call_center: Option<String>,
}

impl Verdict {
    /// The canonical bytes of a verdict: the form, the edge function and the CLI all emit
    /// exactly this.
    #[cfg(feature = "json")]
    pub fn to_json(&self) -> String {
        // A struct of strings, bools and unit enums always serialises.
        serde_json::to_string(self).unwrap_or_default()
    }

    pub fn error_for(&self, field: Field) -> Option<&FieldError> {
        self.errors.iter().find(|e| e.field == field)
    }
}

/// A verdict together with the normalised request it was made from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assessment {
    pub verdict: Verdict,
    pub request: NormalisedRequest,
    /// For a request that mixes lines of business: the code of the other plan its summary
    /// names (what the form's "split into two requests" creates the second draft for).
    pub mixed_with: Option<String>,
}

/// Judges one request. Pure and deterministic: the same request and ruleset always give the
/// same verdict, byte for byte, on every platform.
pub fn assess(request: &Request, ruleset: &Ruleset) -> Assessment {
    let normalised = request.normalise();
    let mut errors = Vec::new();
    for field in Field::ALL {
        if field == Field::ConfirmSingleLineOfBusiness {
            continue;
        }
        let value = normalised.text(field);
        if let Some((code, message)) = check_field(field, request.text(field), value, ruleset) {
            errors.push(FieldError {
                field,
                code,
                message,
            });
        }
    }
    let has_error = |errors: &[FieldError], f: Field| errors.iter().any(|e| e.field == f);

    let plan = (!has_error(&errors, Field::LineOfBusiness))
        .then(|| ruleset.line_of_business(&normalised.line_of_business))
        .flatten();
    let topic = (!has_error(&errors, Field::Topic))
        .then(|| ruleset.topic(&normalised.topic))
        .flatten();

    // SPEC §3: where both the plan and the topic are out of scope, the plan's category wins.
    let category: Option<&Category> = plan
        .and_then(|p| p.out_of_scope)
        .or_else(|| topic.and_then(|t| t.out_of_scope))
        .and_then(|i| ruleset.categories.get(i));

    let hits = if normalised.summary.is_empty() {
        Vec::new()
    } else {
        ruleset.words.find(&normalised.summary)
    };

    let mut warnings = Vec::new();
    let mut mixed_with = None;
    let plan_index = plan.and_then(|p| ruleset.lines.iter().position(|l| l.code == p.code));
    if let (Some(plan), Some(plan_index)) = (plan, plan_index) {
        let other_plan = hits.iter().find_map(|h| match h.tag {
            Tag::Plan(i) if i != plan_index => ruleset
                .lines
                .get(i)
                .filter(|l| l.out_of_scope.is_none() && plan.out_of_scope.is_none())
                .map(|l| (h.phrase, l)),
            _ => None,
        });
        if let Some((_, other)) = other_plan {
            mixed_with = Some(other.code.clone());
        }
        if let Some((phrase, other)) = other_plan {
            warnings.push(Warning {
                code: crate::verdict::WarningCode::MixedLinesOfBusiness,
                message: format!(
                    "The summary mentions \"{phrase}\", which is {other}, but this request is for {this}. Medicare and Individual concerns in one request delay the response: split them into two requests, or confirm that this request is about {this} only.",
                    other = other.label,
                    this = plan.label,
                ),
            });
            if !normalised.confirm_single_line_of_business {
                errors.push(FieldError {
                    field: Field::ConfirmSingleLineOfBusiness,
                    code: ErrorCode::ConfirmationRequired,
                    message: format!(
                        "Confirm that this request is about {} only, or split it into two requests.",
                        plan.label
                    ),
                });
            }
        }
    }

    if category.is_none() {
        let mut seen: Vec<usize> = Vec::new();
        for hit in &hits {
            if let Tag::OutOfScope(i) = hit.tag {
                if seen.contains(&i) {
                    continue;
                }
                seen.push(i);
                if let Some(c) = ruleset.categories.get(i) {
                    warnings.push(Warning {
                        code: WarningCode::PossibleOutOfScope,
                        message: format!(
                            "The summary mentions \"{}\". If that is the question, it does not belong here: {}",
                            hit.phrase, c.guidance
                        ),
                    });
                }
            }
        }
    }

    let call_center = plan.and_then(|p| p.call_center.clone());
    if let Some(hit) = hits.iter().find(|h| h.tag == Tag::Urgent) {
        let call = match (&call_center, plan) {
            (Some(number), Some(p)) => {
                format!(
                    "call them in to {} Customer Service at {number} now",
                    p.label
                )
            }
            _ => "call them in to the member's plan's Customer Service now".to_string(),
        };
        warnings.push(Warning {
            code: WarningCode::Urgent,
            message: format!(
                "This sounds urgent (\"{}\"). Access to care and critical time-sensitive issues need immediate attention: {call}. You can still send this request.",
                hit.phrase
            ),
        });
    }
    let urgent =
        topic.is_some_and(|t| t.urgent) || warnings.iter().any(|w| w.code == WarningCode::Urgent);

    let names_ok =
        !has_error(&errors, Field::MemberFirstName) && !has_error(&errors, Field::MemberLastName);
    let subject = plan
        .and_then(|p| p.subject_label.as_deref())
        .filter(|_| names_ok)
        .map(|label| {
            format!(
                "{}, {} {label}",
                normalised.member_last_name, normalised.member_first_name
            )
        });

    crate::small::sort_by_key(&mut errors, |e| e.field);
    let outcome = if category.is_some() {
        Outcome::OutOfScope
    } else if !errors.is_empty() {
        Outcome::NeedsChanges
    } else {
        Outcome::Forward
    };

    Assessment {
        verdict: Verdict {
            ruleset: ruleset.version().to_string(),
            outcome,
            subject,
            errors,
            warnings,
            out_of_scope: category.map(|c| OutOfScope {
                category: c.code.clone(),
                contact: c.contact.clone(),
                guidance: c.guidance.clone(),
            }),
            urgent,
            call_center: call_center.filter(|_| urgent),
        },
        request: normalised,
        mixed_with,
    }
}
