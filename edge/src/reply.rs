//! What the component answers: a status, a body and a few headers. API bodies are JSON; error
//! bodies are `{"error": "<plain sentence>"}`, never an echo of what was sent. The pages of
//! signed links (status, team actions) are small HTML documents with their own strict CSP.

use serde::Serialize;
use serde_json::json;
use spin_sdk::http::Response;

/// The CSP of every JSON answer: nothing in it may run, be framed or load anything.
const JSON_CSP: &str = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'";

#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub body: String,
    pub headers: Vec<(&'static str, String)>,
    /// `application/json`, `text/html; charset=utf-8` for a page, `text/csv` for an export.
    pub content_type: &'static str,
    /// The Content-Security-Policy.
    pub csp: String,
}

impl Reply {
    pub fn json<T: Serialize>(status: u16, value: &T) -> Reply {
        // Serialising our own plain structs cannot fail; an empty object keeps the reply JSON.
        let body = serde_json::to_string(value).unwrap_or_else(|_| "{}".to_owned());
        Reply {
            status,
            body,
            headers: Vec::new(),
            content_type: "application/json",
            csp: JSON_CSP.to_owned(),
        }
    }

    pub fn error(status: u16, sentence: &str) -> Reply {
        Reply::json(status, &json!({ "error": sentence }))
    }

    /// An HTML page whose only allowed resource is its inline style (`style_hash`: the
    /// base64 SHA-256 of it) and whose forms post back to this origin.
    pub fn page(status: u16, html: String, style_hash: &str) -> Reply {
        Reply {
            status,
            body: html,
            headers: Vec::new(),
            content_type: "text/html; charset=utf-8",
            csp: format!(
                "default-src 'none'; style-src 'sha256-{style_hash}'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
            ),
        }
    }

    /// A plain text body of `content_type` (the insights CSV).
    pub fn text(status: u16, content_type: &'static str, body: String) -> Reply {
        Reply {
            status,
            body,
            headers: Vec::new(),
            content_type,
            csp: JSON_CSP.to_owned(),
        }
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
            content_type: "application/json",
            csp: JSON_CSP.to_owned(),
        }
    }

    /// The HTTP response, with the headers every answer carries, and CORS for `cors_origin`.
    pub fn into_response(self, cors_origin: Option<String>) -> Response {
        let mut builder = Response::builder();
        builder.status(self.status);
        if !self.body.is_empty() {
            builder.header("content-type", self.content_type);
        }
        builder.header("cache-control", "no-store");
        // Nothing may be sniffed as another type, framed, or leak the URL (a signed link) on.
        builder.header("x-content-type-options", "nosniff");
        builder.header("referrer-policy", "no-referrer");
        builder.header("content-security-policy", self.csp.as_str());
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
