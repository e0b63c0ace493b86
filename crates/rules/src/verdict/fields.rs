//! The rules of each field (SPEC §1): the first rule a field breaks, with the message that
//! says what to fix.

use crate::codes::ErrorCode;
use crate::field::Field;
use crate::ruleset::Ruleset;
use crate::unicode;

fn is_control(c: char) -> bool {
    matches!(c, '\u{0}'..='\u{1f}' | '\u{7f}'..='\u{9f}')
}

fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// Characters no field may hold. Checked on the trimmed raw text, before white space is
/// collapsed, so a line break inside a name is refused rather than quietly turned into a
/// space (it is how header injection starts).
fn forbidden(field: Field, c: char) -> bool {
    if is_bidi_control(c) {
        return true;
    }
    if field.input().is_single_line() {
        return is_control(c);
    }
    is_control(c) && c != '\n' && c != '\t' && c != '\r'
}

fn has_forbidden_character(field: Field, text: &str) -> bool {
    // Printable ASCII, line breaks and tabs cover nearly every request: decide those with a
    // branch-free pass over the bytes (it vectorises) and walk characters only otherwise.
    let bytes = text.as_bytes();
    let (other, breaks) = bytes.iter().fold((false, false), |(other, breaks), &b| {
        let line_break = b == b'\n' || b == b'\t' || b == b'\r';
        let printable = b.wrapping_sub(0x20) < 0x5f;
        (other | !(printable | line_break), breaks | line_break)
    });
    if other {
        text.chars().any(|c| forbidden(field, c))
    } else {
        field.input().is_single_line() && breaks
    }
}

/// A summary may hold `\r` only as part of `\r\n`.
fn has_lone_carriage_return(text: &str) -> bool {
    let bytes = text.as_bytes();
    memchr_cr(bytes)
        && bytes
            .iter()
            .enumerate()
            .any(|(i, &b)| b == b'\r' && bytes.get(i + 1) != Some(&b'\n'))
}

/// Characters a name may hold besides letters, marks, spaces and SPEC §1's `-`, `'`, `.`:
/// punctuation that other scripts write inside names, kept as typed. The zero-width
/// (non-)joiners are format characters some scripts need between letters.
const NAME_PUNCTUATION: &[char] = &[
    '\u{00B7}', // · middle dot: Catalan l·l (Gal·la)
    '\u{30FB}', // ・ katakana middle dot: between the parts of a transcribed name
    '\u{FF65}', // ･ its halfwidth form
    '\u{0F0B}', // ་ Tibetan tsheg: between syllables (བཀྲ་ཤིས)
    '\u{0F0C}', // ༌ Tibetan non-breaking tsheg
    '\u{05F3}', // ׳ Hebrew geresh: transcribed sounds (ג׳ורג׳)
    '\u{200C}', // zero-width non-joiner
    '\u{200D}', // zero-width joiner
];

/// A letter of any script (`char::is_alphabetic`), or a mark that belongs to one (Unicode
/// general category M: combining accents, vowel signs, viramas, tone marks), from the
/// Unicode data in use ([`crate::unicode`]), not from a hand-kept list of blocks.
fn is_name_letter(c: char) -> bool {
    c.is_alphabetic() || (unicode::data().general_category)(c).is_mark()
}

fn has_allowed_set(field: Field) -> bool {
    matches!(
        field,
        Field::AgentSan
            | Field::MemberId
            | Field::ReferenceNumber
            | Field::MemberFirstName
            | Field::MemberLastName
    )
}

fn memchr_cr(bytes: &[u8]) -> bool {
    bytes.iter().fold(false, |found, &b| found | (b == b'\r'))
}

fn in_allowed_set(field: Field, c: char) -> bool {
    match field {
        Field::AgentSan => c.is_ascii_alphanumeric(),
        Field::MemberId | Field::ReferenceNumber => c.is_ascii_alphanumeric() || c == '-',
        // Apostrophe look-alikes (O’Brien) were folded to `'` by normalisation.
        Field::MemberFirstName | Field::MemberLastName => {
            is_name_letter(c)
                || matches!(c, ' ' | '-' | '\'' | '.')
                || NAME_PUNCTUATION.contains(&c)
        }
        _ => true,
    }
}

/// The first rule a field breaks, with the message that says what to fix. `None` = valid.
pub(crate) fn check_field(
    field: Field,
    raw: &str,
    normalised: &str,
    ruleset: &Ruleset,
) -> Option<(ErrorCode, String)> {
    let label = field.label();
    if normalised.is_empty() {
        return field
            .is_required()
            .then(|| (ErrorCode::Required, required_message(field, ruleset)));
    }
    let trimmed = raw.trim();
    if has_forbidden_character(field, trimmed)
        || (field == Field::Summary && has_lone_carriage_return(trimmed))
    {
        let message = if field.input().is_single_line() {
            format!("{label} must be one line of plain text: remove line breaks, tabs and invisible control characters.")
        } else {
            format!("{label} contains invisible control characters: keep to plain text (line breaks and tabs are fine).")
        };
        return Some((ErrorCode::InvalidCharacters, message));
    }
    if has_allowed_set(field) && !normalised.chars().all(|c| in_allowed_set(field, c)) {
        return Some((ErrorCode::InvalidCharacters, allowed_set_message(field)));
    }
    let limit = ruleset.limit(field);
    let length = normalised.chars().count();
    let has_length_rule = limit.max > 0;
    if has_length_rule && length < limit.min as usize {
        let extra = if field == Field::Summary {
            " Describe the member's issue so a Customer Care Specialist can work it."
        } else {
            ""
        };
        return Some((
            ErrorCode::TooShort,
            format!(
                "{label} must be at least {} characters (it has {length}).{extra}",
                limit.min
            ),
        ));
    }
    if has_length_rule && length > limit.max as usize {
        return Some((
            ErrorCode::TooLong,
            format!(
                "{label} must be at most {} characters (it has {length}).",
                limit.max
            ),
        ));
    }
    match field {
        Field::MemberId | Field::ReferenceNumber
            if normalised.starts_with('-') || normalised.ends_with('-') =>
        {
            Some((
                ErrorCode::InvalidFormat,
                format!("{label} cannot start or end with a hyphen (-)."),
            ))
        }
        Field::AgentEmail if !is_mailbox_address(normalised) => {
            Some((ErrorCode::InvalidEmail, invalid_email_message(normalised)))
        }
        Field::LineOfBusiness if ruleset.line_of_business(normalised).is_none() => {
            let labels: Vec<&str> = ruleset
                .lines_of_business()
                .iter()
                .map(|l| l.label.as_str())
                .collect();
            Some((
                ErrorCode::UnknownOption,
                format!("Choose the member's plan: {}.", labels.join(", ")),
            ))
        }
        Field::Topic if ruleset.topic(normalised).is_none() => Some((
            ErrorCode::UnknownOption,
            "Choose a topic from the list.".into(),
        )),
        _ => None,
    }
}

/// Normalisation puts a valid internationalised domain in its ASCII form, so a domain still
/// in another script has a character no domain label can hold, or capitals.
fn invalid_email_message(address: &str) -> String {
    let international = address.rsplit_once('@').is_some_and(|(_, d)| !d.is_ascii());
    let local_ascii = address.rsplit_once('@').is_none_or(|(l, _)| l.is_ascii());
    if international && local_ascii {
        "Agent email: write a domain in another script in lowercase, with letters, digits and hyphens only (or in its ASCII form, which starts with xn--).".into()
    } else {
        "Agent email must be an address like name@example.com, so the acknowledgement reaches you."
            .into()
    }
}

fn required_message(field: Field, ruleset: &Ruleset) -> String {
    match field {
        Field::LineOfBusiness => {
            let served: Vec<&str> = ruleset
                .lines_of_business()
                .iter()
                .filter(|l| l.out_of_scope.is_none())
                .map(|l| l.label.as_str())
                .collect();
            format!("Choose the member's plan: {}.", served.join(" or "))
        }
        Field::Topic => "Choose the topic of the member's issue.".into(),
        Field::AgentEmail => "Enter your email address: the acknowledgement is sent there.".into(),
        Field::Summary => "Describe the member's issue in the summary.".into(),
        other => format!("Enter the {}.", other.label()),
    }
}

fn allowed_set_message(field: Field) -> String {
    let label = field.label();
    match field {
        Field::AgentSan => format!("{label} may contain only letters A–Z and digits 0–9."),
        Field::MemberId | Field::ReferenceNumber => {
            format!("{label} may contain only letters A–Z, digits 0–9 and hyphens (-).")
        }
        Field::MemberFirstName | Field::MemberLastName => format!(
            "{label} may contain only letters, spaces, hyphens (-), apostrophes (') and periods (.); commas and brackets are not allowed."
        ),
        _ => format!("{label} contains characters that are not allowed."),
    }
}

/// Whether `address` is a mailbox address the acknowledgement can go to (SPEC §1
/// `agent_email`, after normalisation, which puts an internationalised domain in its ASCII
/// form). A practical mailbox check: `local@domain` with a dot-atom local part and a DNS
/// domain whose last label is alphabetic or an internationalised one in ASCII form
/// (`xn--p1ai`). Quoted local parts and IP-literal domains are refused: no agent address
/// uses them, and they are where header tricks hide.
pub fn is_mailbox_address(address: &str) -> bool {
    let Some((local, domain)) = address.rsplit_once('@') else {
        return false;
    };
    let local_ok = !local.is_empty()
        && local.len() <= 64
        && !local.starts_with('.')
        && !local.ends_with('.')
        && !local.contains("..")
        && local
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "!#$%&'*+/=?^_`{|}~.-".contains(c));
    let labels: Vec<&str> = domain.split('.').collect();
    let domain_ok = domain.len() <= 253
        && labels.len() >= 2
        && labels.iter().all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        })
        && labels.last().is_some_and(|tld| is_top_level_label(tld));
    local_ok && domain_ok
}

/// A top-level label: letters (`com`), or an internationalised one in ASCII form (`xn--`
/// and letters, digits or hyphens: `xn--p1ai` is .рф). The caller has checked the label is
/// letters, digits and inner hyphens.
fn is_top_level_label(label: &str) -> bool {
    let alphabetic = label.len() >= 2 && label.chars().all(|c| c.is_ascii_alphabetic());
    let a_label = label.len() > 4 && label[..4].eq_ignore_ascii_case("xn--");
    alphabetic || a_label
}
