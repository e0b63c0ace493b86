//! Text normalisation (SPEC §1), identical in every shell: trim both ends; compose to
//! Unicode NFC, so that text typed composed or decomposed is the same text; in member names
//! fold apostrophe, hyphen and full-stop look-alikes to their ASCII forms; in single-line
//! fields collapse every run of white space to one space.
//!
//! Vocabulary layer: depends only on [`crate::field`] and [`crate::unicode`] (the Unicode
//! data).

use std::borrow::Cow;

use crate::field::{Field, InputKind, NormalisedRequest, Request};
use crate::unicode::{self, GeneralCategory};

/// SPEC §1 normalisation of one field's text. Idempotent: normalising twice changes
/// nothing more.
pub fn normalise(field: Field, raw: &str) -> String {
    let composed = nfc(raw.trim());
    let needs_folding =
        is_member_name(field) && composed.chars().any(|c| fold_name_punctuation(c) != c);
    let folded: Cow<str> = if needs_folding {
        Cow::Owned(composed.chars().map(fold_name_punctuation).collect())
    } else {
        composed
    };
    if !field.input().is_single_line() {
        return folded.into_owned();
    }
    let collapsed = collapse_white_space(&folded);
    if field.input() == InputKind::Email {
        return ascii_domain(&collapsed).unwrap_or(collapsed);
    }
    collapsed
}

/// An address whose domain is internationalised (`dana@agency.рф`, what Firefox sends for
/// `type=email`) with the domain in its ASCII form for sending (`dana@agency.xn--p1ai`).
/// `None` when the domain is ASCII already (kept as typed) or holds a character no domain
/// label can (left for the address check to refuse).
///
/// The core of IDNA2008, written here: labels split at the full stops UTS #46 maps to `.`,
/// composed (NFC, done already), ASCII capitals lowered, made of lowercase or caseless
/// letters, marks, digits and inner hyphens (Unicode general categories Ll, Lm, Lo, M, Nd;
/// no `--` in the third and fourth places), then Punycode from the `idna`
/// crate; the address check then applies the DNS lengths and hyphen rules to the ASCII form.
/// Measured with `cargo xtask build-form`: `idna`'s full UTS #46 processing (its mapping
/// table, contextual and bidi rules) cost the browser form 37.5 KB of gzip (146.3 → 183.8 KB),
/// std's `to_lowercase` table 7.8 KB; this costs 1.3 KB. So a label with capitals in another
/// script is refused with a sentence that says to write it in lowercase rather than mapped;
/// what IDNA2008 allows and this refuses (joiners, the Catalan middle dot of `.cat` names) is
/// rare in agents' addresses, and what it accepts that IDNA2008 refuses cannot resolve and
/// bounces like any typo.
fn ascii_domain(address: &str) -> Option<String> {
    let (local, domain) = address.rsplit_once('@')?;
    if domain.is_ascii() {
        return None;
    }
    let mut ascii = String::with_capacity(domain.len() * 2);
    for (i, label) in domain
        .split(['.', '\u{3002}', '\u{FF0E}', '\u{FF61}'])
        .enumerate()
    {
        if i > 0 {
            ascii.push('.');
        }
        if label.is_ascii() {
            ascii.push_str(&label.to_ascii_lowercase());
            continue;
        }
        // IDNA2008's hyphen rules apply to the label as typed: its ASCII form starts with
        // `xn--` whatever the label's ends are.
        let label = label.to_ascii_lowercase();
        let hyphens_ok =
            !label.starts_with('-') && !label.ends_with('-') && label.get(2..4) != Some("--");
        if !hyphens_ok || !label.chars().all(is_domain_character) {
            return None;
        }
        ascii.push_str("xn--");
        ascii.push_str(&idna::punycode::encode_str(&label)?);
    }
    Some(format!("{local}@{ascii}"))
}

fn is_domain_character(c: char) -> bool {
    if c.is_ascii() {
        return c == '-' || c.is_ascii_lowercase() || c.is_ascii_digit();
    }
    let category = (unicode::data().general_category)(c);
    category.is_mark()
        || matches!(
            category,
            GeneralCategory::LowercaseLetter
                | GeneralCategory::ModifierLetter
                | GeneralCategory::OtherLetter
                | GeneralCategory::DecimalNumber
        )
}

fn is_member_name(field: Field) -> bool {
    matches!(field, Field::MemberFirstName | Field::MemberLastName)
}

/// Unicode Normalization Form C (UAX #15), from the Unicode data in use
/// ([`crate::unicode`]). Nearly every request is ASCII, which is always NFC, so that is
/// checked first.
fn nfc(text: &str) -> Cow<'_, str> {
    if text.is_ascii() {
        return Cow::Borrowed(text);
    }
    Cow::Owned((unicode::data().nfc)(text))
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
