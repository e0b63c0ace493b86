//! Text normalisation (SPEC §1), identical in every shell: trim both ends; compose to
//! Unicode NFC, so that text typed composed or decomposed is the same text; in member names
//! fold apostrophe, hyphen and full-stop look-alikes to their ASCII forms; in single-line
//! fields collapse every run of white space to one space.
//!
//! Vocabulary layer: depends only on [`crate::field`] (and ICU4X's Unicode data).

use icu_normalizer::ComposingNormalizerBorrowed;

use crate::field::{Field, NormalisedRequest, Request};

/// SPEC §1 normalisation of one field's text. Idempotent: normalising twice changes
/// nothing more.
pub fn normalise(field: Field, raw: &str) -> String {
    let trimmed = raw.trim();
    let composed = nfc(trimmed);
    let folded = if is_member_name(field) {
        composed.chars().map(fold_name_punctuation).collect()
    } else {
        composed
    };
    if !field.input().is_single_line() {
        return folded;
    }
    collapse_white_space(&folded)
}

fn is_member_name(field: Field) -> bool {
    matches!(field, Field::MemberFirstName | Field::MemberLastName)
}

/// Unicode Normalization Form C (UAX #15), from ICU4X's normalizer and its compiled-in
/// data. Nearly every request is ASCII, which is always NFC, so that is checked first.
///
/// ICU4X rather than `unicode-normalization`: the browser form pays 22 KB of gzip for
/// ICU4X's NFC against 29 KB for the other crate's canonical tables alone (and 72 KB with
/// its `nfc()` iterator, which links the compatibility tables too), ICU4X is already in the
/// dependency graph (through `idna`), and it also supplies the general categories that name
/// letters are checked against (measured with `cargo xtask build-form`, issue 9).
fn nfc(text: &str) -> String {
    if text.is_ascii() {
        return text.to_string();
    }
    ComposingNormalizerBorrowed::new_nfc()
        .normalize(text)
        .into_owned()
}

/// Characters that phones, keyboards and word processors type where a name has `'`, `-` or
/// `.`: the subject line is how the mailbox finds a member's requests again, so O‘Brien,
/// O’Brien and O'Brien must be one name. Characters that are part of a script's spelling
/// (the middle dot of Catalan `l·l`, the katakana middle dot, the Tibetan tsheg) are not
/// look-alikes and are kept as typed.
pub(crate) fn fold_name_punctuation(c: char) -> char {
    match c {
        // ‘ ’ ‛ ʼ ＇ ′ ´ `
        '\u{2018}' | '\u{2019}' | '\u{201B}' | '\u{02BC}' | '\u{FF07}' | '\u{2032}'
        | '\u{00B4}' | '`' => '\'',
        // ‐ ‑ －
        '\u{2010}' | '\u{2011}' | '\u{FF0D}' => '-',
        // ．
        '\u{FF0E}' => '.',
        other => other,
    }
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
