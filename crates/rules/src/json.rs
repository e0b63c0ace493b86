//! JSON in for the CLI, the edge function and every test (feature `json`): one parser, so
//! all refuse the same malformed requests with the same sentence.
//!
//! Output layer (the JSON boundary): depends on the vocabulary only.

use std::fmt;

use serde::de::{self, Deserialize, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::Value;
use thiserror::Error;

use crate::field::{Field, InputKind, Request};

/// Why a body is not a request at all (HTTP 400, CLI exit 2). The sentence never repeats a
/// value from the body: only field names we define, or a cleaned-up unknown key.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum MalformedRequest {
    /// The bytes are not UTF-8.
    #[error("The request is not valid UTF-8 text.")]
    NotUtf8,
    /// The bytes start with a UTF-16 byte-order mark (what Windows PowerShell 5's `>` writes).
    #[error("The request is UTF-16 text; send it as UTF-8.")]
    Utf16,
    /// Not JSON; the place of the first problem (1-based line, column in bytes).
    #[error("The request is not valid JSON (line {line}, column {column}).")]
    NotJson {
        /// 1-based line.
        line: usize,
        /// Column of the problem within its line.
        column: usize,
    },
    /// JSON, but not an object.
    #[error("The request must be one JSON object with the request fields.")]
    NotAnObject,
    /// A member that is not a request field (its name cleaned to visible ASCII, ≤ 40 chars).
    #[error("The request has an unknown field `{0}`; remove it (the fields are listed in the API documentation).")]
    UnknownField(String),
    /// A field given more than once: one request must mean one thing, and parsers differ on
    /// which of two values they keep.
    #[error("The field `{0}` is given more than once; give it once.")]
    RepeatedField(&'static str),
    /// A field whose value has the wrong JSON type.
    #[error("The field `{field}` must be {expected}.")]
    WrongType {
        /// The field's JSON name.
        field: &'static str,
        /// What it must be, e.g. `text (a JSON string)`.
        expected: &'static str,
    },
}

impl Request {
    /// Reads one request from a JSON body (SPEC §1): an object of the request's fields,
    /// where a missing or `null` field is empty (or `false`). One UTF-8 byte-order mark at
    /// the start is read over (Windows PowerShell writes one); every other byte counts.
    ///
    /// # Errors
    /// [`MalformedRequest`] for anything that is not such an object (HTTP 400, CLI exit 2):
    /// a JSON syntax error wins over everything else, then the first problem in document
    /// order (an unknown field, a wrong type, a field given twice).
    pub fn from_json(bytes: &[u8]) -> Result<Request, MalformedRequest> {
        if bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF]) {
            return Err(MalformedRequest::Utf16);
        }
        let text = std::str::from_utf8(bytes).map_err(|_| MalformedRequest::NotUtf8)?;
        let text = text.strip_prefix('\u{FEFF}').unwrap_or(text);
        let syntax = |e: serde_json::Error| MalformedRequest::NotJson {
            line: e.line(),
            column: e.column(),
        };
        let mut reader = serde_json::Deserializer::from_str(text);
        let Parsed(request) = Parsed::deserialize(&mut reader).map_err(syntax)?;
        reader.end().map_err(syntax)?;
        request
    }
}

/// A whole document read: the request, or the first problem that is not a syntax error
/// (kept while the rest is still read, so that a syntax error later in the text wins).
struct Parsed(Result<Request, MalformedRequest>);

impl<'de> Deserialize<'de> for Parsed {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Parsed, D::Error> {
        deserializer.deserialize_any(DocumentVisitor)
    }
}

struct DocumentVisitor;

impl<'de> Visitor<'de> for DocumentVisitor {
    type Value = Parsed;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Parsed, A::Error> {
        let mut request = Request::default();
        let mut seen = [false; Field::ALL.len()];
        let mut problem = None;
        while let Some(key) = map.next_key::<String>()? {
            if problem.is_some() {
                map.next_value::<IgnoredAny>()?;
                continue;
            }
            let Some(field) = Field::from_name(&key) else {
                problem = Some(MalformedRequest::UnknownField(clean_key(&key)));
                map.next_value::<IgnoredAny>()?;
                continue;
            };
            if std::mem::replace(&mut seen[field as usize], true) {
                problem = Some(MalformedRequest::RepeatedField(field.as_str()));
                map.next_value::<IgnoredAny>()?;
                continue;
            }
            if let Err(wrong) = set(&mut request, field, map.next_value::<Value>()?) {
                problem = Some(wrong);
            }
        }
        Ok(Parsed(match problem {
            Some(problem) => Err(problem),
            None => Ok(request),
        }))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Parsed, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(not_an_object())
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Parsed, E> {
        Ok(not_an_object())
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Parsed, E> {
        Ok(not_an_object())
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Parsed, E> {
        Ok(not_an_object())
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Parsed, E> {
        Ok(not_an_object())
    }

    fn visit_str<E: de::Error>(self, _: &str) -> Result<Parsed, E> {
        Ok(not_an_object())
    }

    fn visit_unit<E: de::Error>(self) -> Result<Parsed, E> {
        Ok(not_an_object())
    }
}

fn not_an_object() -> Parsed {
    Parsed(Err(MalformedRequest::NotAnObject))
}

/// One member's value into its field: text for text fields, `true`/`false` for the
/// checkbox, `null` for either (empty, or `false`).
fn set(request: &mut Request, field: Field, value: Value) -> Result<(), MalformedRequest> {
    match (field.input(), value) {
        (_, Value::Null) => {}
        (InputKind::Checkbox, Value::Bool(b)) => {
            if let Some(slot) = request.flag_mut(field) {
                *slot = b;
            }
        }
        (InputKind::Checkbox, _) => {
            return Err(MalformedRequest::WrongType {
                field: field.as_str(),
                expected: "true or false",
            })
        }
        (_, Value::String(s)) => {
            if let Some(slot) = request.text_mut(field) {
                *slot = s;
            }
        }
        _ => {
            return Err(MalformedRequest::WrongType {
                field: field.as_str(),
                expected: "text (a JSON string)",
            })
        }
    }
    Ok(())
}

/// An unknown key, cut short and reduced to visible ASCII so it cannot smuggle anything
/// into a log line or an error.
fn clean_key(key: &str) -> String {
    let mut cleaned: String = key
        .chars()
        .filter(|c| c.is_ascii_graphic() && *c != '`')
        .take(40)
        .collect();
    if cleaned.is_empty() {
        cleaned.push('?');
    }
    cleaned
}
