//! Text normalisation (SPEC §1), identical in every shell: trim both ends, and in
//! single-line fields collapse every run of white space to one space.
//!
//! Vocabulary layer: depends only on [`crate::field`].

use crate::field::{Field, NormalisedRequest, Request};

/// SPEC §1 normalisation of one field's text. Idempotent: normalising twice changes
/// nothing more.
pub fn normalise(field: Field, raw: &str) -> String {
    let trimmed = raw.trim();
    if !field.input().is_single_line() {
        return trimmed.to_string();
    }
    collapse_white_space(trimmed)
}

impl Request {
    /// Every field normalised (SPEC §1): what [`assess`](crate::assess) judges.
    pub fn normalise(&self) -> NormalisedRequest {
        self.normalised_with(&normalise)
    }
}

/// Every run of white space becomes one space.
pub(crate) fn collapse_white_space(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut in_space = false;
    for c in text.chars() {
        if c.is_whitespace() {
            if !in_space {
                out.push(' ');
            }
            in_space = true;
        } else {
            out.push(c);
            in_space = false;
        }
    }
    out
}
