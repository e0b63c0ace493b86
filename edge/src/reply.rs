//! What the component answers: a status, JSON bytes and a few headers. Error bodies are
//! `{"error": "<plain sentence>"}`, never an echo of what was sent.

use serde::Serialize;
use serde_json::json;
use spin_sdk::http::Response;

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

impl Reply {
    /// The HTTP response, with the headers every answer carries, and CORS for `cors_origin`.
    pub fn into_response(self, cors_origin: Option<String>) -> Response {
        let mut builder = Response::builder();
        builder.status(self.status);
        if !self.body.is_empty() {
            builder.header("content-type", "application/json");
        }
        builder.header("cache-control", "no-store");
        // JSON only: nothing here may be sniffed as a page, framed, or leak the URL onwards.
        builder.header("x-content-type-options", "nosniff");
        builder.header("referrer-policy", "no-referrer");
        builder.header(
            "content-security-policy",
            "default-src 'none'; frame-ancestors 'none'; base-uri 'none'",
        );
        for (name, value) in &self.headers {
            builder.header(*name, value.as_str());
        }
        if let Some(origin) = cors_origin {
            builder.header("access-control-allow-origin", origin);
            builder.header("vary", "Origin");
            builder.header(
                "access-control-expose-headers",
                "retry-after, idempotency-key, idempotent-replayed",
            );
        }
        builder.body(self.body.into_bytes());
        builder.build()
    }
}
