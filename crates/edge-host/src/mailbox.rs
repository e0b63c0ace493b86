//! A local mailbox: it accepts the emails the component sends (through the JSON webhook or the
//! Microsoft Graph `sendMail` shape) and lists them, so someone trying the stack locally sees
//! the acknowledgement and the forward without a real mail service.
//!
//! It holds member data, so it is for a local demo only, and guarded as such: it answers only
//! requests whose `Host` names this host by a loopback address or `localhost` (a page on
//! another site cannot read it through DNS rebinding), takes mail only as `application/json`
//! (a cross-site form cannot post one without a CORS preflight, which it never answers), and
//! keeps the newest [`DEFAULT_CAPACITY`] messages.

use std::collections::VecDeque;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};

use http::uri::Authority;
use http::{header, Method, StatusCode};
use http_body_util::{BodyExt, Limited};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use wasmtime_wasi_http::p2::body::HyperOutgoingBody;

use crate::answer::{full, json_error};

/// Messages kept when no other capacity is given; older ones are dropped first.
pub const DEFAULT_CAPACITY: usize = 500;

/// The largest email the mailbox takes (the component's are a few KiB).
const MAX_MAIL_BYTES: usize = 1024 * 1024;

/// One email as the component handed it over.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MailMessage {
    /// The recipient's address (webhook `to`; Graph: the first of `toRecipients`).
    pub to: String,
    /// The sender: webhook `from` (may be absent), or the Graph user the mail was sent as.
    pub from: Option<String>,
    /// The Reply-To address (webhook `reply_to`; Graph: the first of `replyTo`), if any.
    pub reply_to: Option<String>,
    /// The subject line as sent (SPEC §2 for a forward).
    pub subject: String,
    /// The plain-text body (Graph: `body.content`).
    pub text: String,
    /// Custom headers such as `X-RSOS-Tracking-ID`.
    #[serde(default)]
    pub headers: serde_json::Map<String, Value>,
    /// Which mail API shape delivered it: `webhook` or `graph`.
    #[serde(default)]
    pub via: String,
}

/// Why mail handed in was refused (answered 400 with the message).
#[derive(Debug, thiserror::Error)]
pub enum MailboxError {
    /// Not JSON, or without a field the webhook or Graph `sendMail` shape requires (the
    /// webhook shape also refuses unknown fields).
    #[error("the body is not a mail message in the expected JSON shape")]
    Shape,
}

/// The newest messages, oldest first, shared by every clone.
#[derive(Debug, Clone)]
pub struct Mailbox {
    messages: Arc<Mutex<VecDeque<MailMessage>>>,
    capacity: usize,
}

impl Default for Mailbox {
    fn default() -> Mailbox {
        Mailbox::with_capacity(DEFAULT_CAPACITY)
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct WebhookMail {
    to: String,
    from: Option<String>,
    reply_to: Option<String>,
    subject: String,
    text: String,
    #[serde(default)]
    headers: serde_json::Map<String, Value>,
}

impl Mailbox {
    /// An empty mailbox that keeps the newest [`DEFAULT_CAPACITY`] messages.
    pub fn new() -> Mailbox {
        Mailbox::default()
    }

    /// A mailbox that keeps the newest `capacity` messages (at least one).
    pub fn with_capacity(capacity: usize) -> Mailbox {
        Mailbox {
            messages: Arc::default(),
            capacity: capacity.max(1),
        }
    }

    /// The messages kept, oldest first.
    pub fn messages(&self) -> Vec<MailMessage> {
        self.messages
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .cloned()
            .collect()
    }

    fn push(&self, message: MailMessage) {
        let mut messages = self.messages.lock().unwrap_or_else(|p| p.into_inner());
        while messages.len() >= self.capacity {
            messages.pop_front();
        }
        messages.push_back(message);
    }

    /// Everything under `/mailbox` for a host listening on `listen`: the page, its style and
    /// script, the listing (`/mailbox/api/messages`) and the two ways in (`/mailbox/webhook`,
    /// `/mailbox/v1.0/users/{sender}/sendMail`).
    pub async fn serve<B>(
        &self,
        request: hyper::Request<B>,
        listen: SocketAddr,
    ) -> hyper::Response<HyperOutgoingBody>
    where
        B: hyper::body::Body + Send,
        B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    {
        let local = request
            .headers()
            .get(header::HOST)
            .and_then(|host| host.to_str().ok())
            .is_some_and(|host| names_this_host_locally(host, listen));
        if !local {
            return json_error(
                StatusCode::FORBIDDEN,
                "The local mailbox answers only on this computer: open it at http://localhost or http://127.0.0.1 with the host's port.",
            );
        }
        let path = request.uri().path().to_owned();
        match path.as_str() {
            "/mailbox" | "/mailbox/" => full(StatusCode::OK, "text/html; charset=utf-8", PAGE),
            "/mailbox/mailbox.css" => full(StatusCode::OK, "text/css; charset=utf-8", PAGE_CSS),
            "/mailbox/mailbox.js" => {
                full(StatusCode::OK, "text/javascript; charset=utf-8", PAGE_JS)
            }
            "/mailbox/api/messages" => {
                let body = serde_json::to_string(&self.messages()).unwrap_or_else(|_| "[]".into());
                full(StatusCode::OK, "application/json", body)
            }
            "/mailbox/webhook" => self.mail_in(request, None).await,
            _ => match path
                .strip_prefix("/mailbox/v1.0/users/")
                .and_then(|rest| rest.strip_suffix("/sendMail"))
            {
                Some(sender) => {
                    let sender = sender.to_owned();
                    self.mail_in(request, Some(&sender)).await
                }
                None => json_error(StatusCode::NOT_FOUND, "There is nothing at this address."),
            },
        }
    }

    /// Mail handed in: a webhook body, or Graph's `sendMail` for `sender`. Bodies may arrive
    /// chunked (wasmtime streams outbound bodies); hyper de-chunks them, and the size limit
    /// holds either way.
    async fn mail_in<B>(
        &self,
        request: hyper::Request<B>,
        sender: Option<&str>,
    ) -> hyper::Response<HyperOutgoingBody>
    where
        B: hyper::body::Body,
        B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    {
        if request.method() != Method::POST {
            return json_error(StatusCode::METHOD_NOT_ALLOWED, "Send mail with POST.");
        }
        let json = request
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|value| value.to_str().ok())
            .is_some_and(is_json);
        if !json {
            return json_error(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "Send mail as JSON with Content-Type: application/json.",
            );
        }
        let body = match Limited::new(request.into_body(), MAX_MAIL_BYTES)
            .collect()
            .await
        {
            Ok(body) => body.to_bytes(),
            // Over the limit is the sender's mistake; a connection that broke is not.
            Err(e) if e.is::<http_body_util::LengthLimitError>() => {
                return json_error(StatusCode::PAYLOAD_TOO_LARGE, "The email is too large.")
            }
            Err(_) => return json_error(StatusCode::BAD_REQUEST, "The email could not be read."),
        };
        let accepted = match sender {
            None => self.accept_webhook(&body),
            Some(sender) => self.accept_graph(sender, &body),
        };
        match accepted {
            Ok(()) => full(
                StatusCode::ACCEPTED,
                "application/json",
                r#"{"accepted":true}"#,
            ),
            Err(e) => json_error(StatusCode::BAD_REQUEST, &e.to_string()),
        }
    }

    /// `{to, from, reply_to, subject, text, headers}`.
    pub fn accept_webhook(&self, body: &[u8]) -> Result<(), MailboxError> {
        let mail: WebhookMail = serde_json::from_slice(body).map_err(|_| MailboxError::Shape)?;
        self.push(MailMessage {
            to: mail.to,
            from: mail.from,
            reply_to: mail.reply_to,
            subject: mail.subject,
            text: mail.text,
            headers: mail.headers,
            via: "webhook".into(),
        });
        Ok(())
    }

    /// Graph's `sendMail` body: `{"message": {subject, body, toRecipients, replyTo, internetMessageHeaders}}`.
    pub fn accept_graph(&self, sender: &str, body: &[u8]) -> Result<(), MailboxError> {
        let value: Value = serde_json::from_slice(body).map_err(|_| MailboxError::Shape)?;
        let message = value.get("message").ok_or(MailboxError::Shape)?;
        let address = |list: &Value| {
            list.get(0)
                .and_then(|r| r.pointer("/emailAddress/address"))
                .and_then(Value::as_str)
                .map(str::to_owned)
        };
        let to = message
            .get("toRecipients")
            .and_then(address)
            .ok_or(MailboxError::Shape)?;
        let mut headers = serde_json::Map::new();
        for header in message
            .get("internetMessageHeaders")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if let (Some(name), Some(value)) = (
                header.get("name").and_then(Value::as_str),
                header.get("value"),
            ) {
                headers.insert(name.to_owned(), value.clone());
            }
        }
        self.push(MailMessage {
            to,
            from: Some(sender.to_owned()),
            reply_to: message.get("replyTo").and_then(address),
            subject: message
                .get("subject")
                .and_then(Value::as_str)
                .ok_or(MailboxError::Shape)?
                .to_owned(),
            text: message
                .pointer("/body/content")
                .and_then(Value::as_str)
                .ok_or(MailboxError::Shape)?
                .to_owned(),
            headers,
            via: "graph".into(),
        });
        Ok(())
    }
}

/// Whether a `Host` header names the host listening on `listen` from this computer:
/// `localhost`, a loopback address or the listening address itself, with its port. A DNS
/// rebinding page sends its own name instead.
fn names_this_host_locally(host: &str, listen: SocketAddr) -> bool {
    let Ok(authority) = host.parse::<Authority>() else {
        return false;
    };
    if authority.port_u16() != Some(listen.port()) {
        return false;
    }
    let name = authority.host();
    if name.eq_ignore_ascii_case("localhost") {
        return true;
    }
    name.trim_start_matches('[')
        .trim_end_matches(']')
        .parse::<IpAddr>()
        .is_ok_and(|ip| ip.is_loopback() || ip == listen.ip())
}

/// `application/json`, optionally with `charset=utf-8` (parsed by the `mime` crate).
fn is_json(content_type: &str) -> bool {
    content_type.parse::<mime_guess::Mime>().is_ok_and(|mime| {
        mime.essence_str() == "application/json"
            && mime
                .get_param(mime_guess::mime::CHARSET)
                .is_none_or(|charset| charset.as_str().eq_ignore_ascii_case("utf-8"))
    })
}

/// The mailbox page. It renders messages with `textContent` only, so nothing a sender typed
/// can become markup. Its stylesheet and script are separate files because the host serves
/// everything under a CSP without inline script or style.
pub(crate) const PAGE: &str = r#"<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Local mailbox — RSOS intake</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="/mailbox/mailbox.css">
</head>
<body>
<h1>Local mailbox</h1>
<p class="hint">Every email the edge function sent to this local mailbox (webhook or Graph), newest first.
This page refreshes every two seconds.</p>
<main id="messages"><p>No email yet. Submit a request in the form.</p></main>
<script src="/mailbox/mailbox.js"></script>
</body>
</html>
"#;

/// The mailbox page's stylesheet, `/mailbox/mailbox.css`.
pub(crate) const PAGE_CSS: &str = r#" body { font: 15px/1.45 system-ui, sans-serif; margin: 2rem auto; max-width: 60rem; padding: 0 1rem; color: #1d1d1f; }
 h1 { font-size: 1.4rem; }
 .hint { color: #555; }
 article { border: 1px solid #ccc; border-radius: 6px; padding: .8rem 1rem; margin: 1rem 0; }
 dl { display: grid; grid-template-columns: max-content 1fr; gap: .2rem 1rem; margin: 0 0 .6rem; }
 dt { color: #555; }
 pre { white-space: pre-wrap; background: #f6f6f6; padding: .6rem; border-radius: 4px; margin: 0; }
 .kind { font-size: .8rem; text-transform: uppercase; letter-spacing: .05em; color: #0b5; }
"#;

/// The mailbox page's script, `/mailbox/mailbox.js`: fetches `/mailbox/api/messages` every 2 s
/// and lists them newest first, as text only.
pub(crate) const PAGE_JS: &str = r#"function row(dl, name, value) {
  if (value === null || value === undefined || value === "") return;
  const dt = document.createElement("dt"); dt.textContent = name;
  const dd = document.createElement("dd"); dd.textContent = value;
  dl.append(dt, dd);
}
async function refresh() {
  try {
    const response = await fetch("/mailbox/api/messages", { cache: "no-store" });
    const messages = await response.json();
    if (!messages.length) return;
    const main = document.getElementById("messages");
    main.replaceChildren();
    for (const m of messages.slice().reverse()) {
      const article = document.createElement("article");
      const kind = document.createElement("div");
      kind.className = "kind"; kind.textContent = m.headers["X-RSOS-Kind"] || m.via;
      const dl = document.createElement("dl");
      row(dl, "To", m.to); row(dl, "From", m.from); row(dl, "Reply-To", m.reply_to);
      row(dl, "Subject", m.subject); row(dl, "Tracking ID", m.headers["X-RSOS-Tracking-ID"]);
      const pre = document.createElement("pre"); pre.textContent = m.text;
      article.append(kind, dl, pre);
      main.append(article);
    }
  } catch (_) { /* the host restarted; try again on the next tick */ }
}
refresh();
setInterval(refresh, 2000);
"#;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn webhook_mail_is_listed_as_sent() {
        let mailbox = Mailbox::new();
        let body = br#"{"to":"a@b.example","from":"m@b.example","reply_to":null,"subject":"S","text":"T","headers":{"X-RSOS-Kind":"guidance"}}"#;
        mailbox.accept_webhook(body).unwrap();
        let messages = mailbox.messages();
        assert_eq!(messages.len(), 1);
        assert_eq!(messages[0].to, "a@b.example");
        assert_eq!(messages[0].via, "webhook");
        assert_eq!(messages[0].headers["X-RSOS-Kind"], "guidance");
    }

    #[test]
    fn graph_send_mail_body_is_understood() {
        let mailbox = Mailbox::new();
        let body = br#"{"message":{"subject":"Smith, John Medicare","body":{"contentType":"Text","content":"Hello"},
            "toRecipients":[{"emailAddress":{"address":"AgentRSOS@humana.com"}}],
            "replyTo":[{"emailAddress":{"address":"pat@agency.example"}}],
            "internetMessageHeaders":[{"name":"X-RSOS-Tracking-ID","value":"RSOS-1"}]},"saveToSentItems":true}"#;
        mailbox.accept_graph("AgentRSOS@humana.com", body).unwrap();
        let message = &mailbox.messages()[0];
        assert_eq!(message.to, "AgentRSOS@humana.com");
        assert_eq!(message.reply_to.as_deref(), Some("pat@agency.example"));
        assert_eq!(message.text, "Hello");
        assert_eq!(message.headers["X-RSOS-Tracking-ID"], "RSOS-1");
    }

    #[test]
    fn only_the_newest_messages_are_kept() {
        let mailbox = Mailbox::with_capacity(2);
        for subject in ["one", "two", "three"] {
            let body = serde_json::json!({"to":"a@b.example","from":null,"reply_to":null,"subject":subject,"text":"T"});
            mailbox.accept_webhook(body.to_string().as_bytes()).unwrap();
        }
        let subjects: Vec<String> = mailbox.messages().into_iter().map(|m| m.subject).collect();
        assert_eq!(subjects, ["two", "three"]);
    }

    #[test]
    fn only_local_names_of_this_host_are_answered() {
        let listen = SocketAddr::from(([127, 0, 0, 1], 8080));
        for host in [
            "127.0.0.1:8080",
            "localhost:8080",
            "LOCALHOST:8080",
            "[::1]:8080",
            "127.0.0.2:8080",
        ] {
            assert!(names_this_host_locally(host, listen), "{host}");
        }
        for host in [
            "attacker.example:8080",
            "127.0.0.1:9090",
            "127.0.0.1",
            "localhost",
            "10.0.0.5:8080",
            "",
            "a b",
        ] {
            assert!(!names_this_host_locally(host, listen), "{host}");
        }
    }

    #[test]
    fn mail_is_json_only() {
        assert!(is_json("application/json"));
        assert!(is_json("Application/JSON; charset=UTF-8"));
        assert!(!is_json("text/plain"));
        assert!(!is_json("application/x-www-form-urlencoded"));
        assert!(!is_json("multipart/form-data; boundary=x"));
        assert!(!is_json("application/json; charset=latin1"));
    }

    #[test]
    fn mail_in_another_shape_is_refused() {
        let mailbox = Mailbox::new();
        assert!(mailbox.accept_webhook(br#"{"to":"a@b.example"}"#).is_err());
        assert!(mailbox.accept_webhook(b"not json").is_err());
        assert!(mailbox.accept_graph("x", br#"{"message":{}}"#).is_err());
        assert!(mailbox.messages().is_empty());
    }
}
