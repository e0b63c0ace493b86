//! What the component answers: a status, JSON bytes and a few headers. Error bodies are
//! `{"error": "<plain sentence>"}`, never an echo of what was sent.

use serde::Serialize;
use serde_json::json;

#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub body: String,
    pub headers: Vec<(&'static str, String)>,
}

impl Reply {
    pub fn json<T: Serialize>(status: u16, value: &T) -> Reply {
        // Serialising our own plain structs cannot fail; an empty object keeps the reply JSON.
        let body = serde_json::to_string(value).unwrap_or_else(|_| "{}".to_owned());
        Reply {
            status,
            body,
            headers: Vec::new(),
        }
    }

    pub fn error(status: u16, sentence: &str) -> Reply {
        Reply::json(status, &json!({ "error": sentence }))
    }

    pub fn with_header(mut self, name: &'static str, value: impl Into<String>) -> Reply {
        self.headers.push((name, value.into()));
        self
    }

    pub fn empty(status: u16) -> Reply {
        Reply {
            status,
            body: String::new(),
            headers: Vec::new(),
        }
    }
}
