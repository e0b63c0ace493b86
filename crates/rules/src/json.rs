//! JSON in and out for the CLI and the edge function (feature `json`): one parser, so both
//! refuse the same malformed requests with the same sentence.

use serde_json::Value;
use thiserror::Error;

use crate::request::{Field, Request};

/// Why a body is not a request at all (HTTP 400, CLI exit 2). The sentence never repeats a
/// value from the body: only field names we define, or a cleaned-up unknown key.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum MalformedRequest {
    #[error("The request is not valid UTF-8 text.")]
    NotUtf8,
    #[error("The request is not valid JSON (line {line}, column {column}).")]
    NotJson { line: usize, column: usize },
    #[error("The request must be one JSON object with the request fields.")]
    NotAnObject,
    #[error("The request has an unknown field `{0}`; remove it (the fields are listed in the API documentation).")]
    UnknownField(String),
    #[error("The field `{field}` must be {expected}.")]
    WrongType {
        field: &'static str,
        expected: &'static str,
    },
}

impl Request {
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
            match (field, value) {
                (_, Value::Null) => {}
                (Field::ConfirmSingleLineOfBusiness, Value::Bool(b)) => {
                    request.confirm_single_line_of_business = b;
                }
                (Field::ConfirmSingleLineOfBusiness, _) => {
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
