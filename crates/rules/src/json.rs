//! JSON in for the CLI, the edge function and every test (feature `json`): one parser, so
//! all refuse the same malformed requests with the same sentence.
//!
//! Output layer (the JSON boundary): depends on the vocabulary only.

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
    /// where a missing or `null` field is empty (or `false`).
    ///
    /// # Errors
    /// [`MalformedRequest`] for anything that is not such an object (HTTP 400, CLI exit 2).
    pub fn from_json(bytes: &[u8]) -> Result<Request, MalformedRequest> {
        let text = std::str::from_utf8(bytes).map_err(|_| MalformedRequest::NotUtf8)?;
        let value: Value = serde_json::from_str(text).map_err(|e| MalformedRequest::NotJson {
            line: e.line(),
            column: e.column(),
        })?;
        let Value::Object(map) = value else {
            return Err(MalformedRequest::NotAnObject);
        };
        let mut request = Request::default();
        for (key, value) in map {
            let field = Field::from_name(&key)
                .ok_or_else(|| MalformedRequest::UnknownField(clean_key(&key)))?;
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
        }
        Ok(request)
    }
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
