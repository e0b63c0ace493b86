//! A local mailbox: it accepts the emails the component sends (through the JSON webhook or the
//! Microsoft Graph `sendMail` shape) and lists them, so someone trying the stack locally sees
//! the acknowledgement and the forward without a real mail service.

use std::sync::{Arc, Mutex};

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// One email as the component handed it over.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MailMessage {
    pub to: String,
    pub from: Option<String>,
    pub reply_to: Option<String>,
    pub subject: String,
    pub text: String,
    /// Custom headers such as `X-RSOS-Tracking-ID`.
    #[serde(default)]
    pub headers: serde_json::Map<String, Value>,
    /// Which mail API shape delivered it: `webhook` or `graph`.
    #[serde(default)]
    pub via: String,
}

#[derive(Debug, thiserror::Error)]
pub enum MailboxError {
    #[error("the body is not a mail message in the expected JSON shape")]
    Shape,
}

#[derive(Debug, Clone, Default)]
pub struct Mailbox {
    messages: Arc<Mutex<Vec<MailMessage>>>,
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
    pub fn new() -> Mailbox {
        Mailbox::default()
    }

    pub fn messages(&self) -> Vec<MailMessage> {
        self.messages
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    fn push(&self, message: MailMessage) {
        self.messages
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(message);
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

/// The mailbox page. It renders messages with `textContent` only, so nothing a sender typed
/// can become markup. Its stylesheet and script are separate files because the host serves
/// everything under a CSP without inline script or style.
pub const PAGE: &str = r#"<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Local mailbox — RSOS intake</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="/mailbox/mailbox.css">
</head>
<body>
<h1>Local mailbox</h1>
<p class="hint">Every email the edge function sent through the local mail webhook, newest first.
This page refreshes every two seconds.</p>
<main id="messages"><p>No email yet. Submit a request in the form.</p></main>
<script src="/mailbox/mailbox.js"></script>
</body>
</html>
"#;

pub const PAGE_CSS: &str = r#" body { font: 15px/1.45 system-ui, sans-serif; margin: 2rem auto; max-width: 60rem; padding: 0 1rem; color: #1d1d1f; }
 h1 { font-size: 1.4rem; }
 .hint { color: #555; }
 article { border: 1px solid #ccc; border-radius: 6px; padding: .8rem 1rem; margin: 1rem 0; }
 dl { display: grid; grid-template-columns: max-content 1fr; gap: .2rem 1rem; margin: 0 0 .6rem; }
 dt { color: #555; }
 pre { white-space: pre-wrap; background: #f6f6f6; padding: .6rem; border-radius: 4px; margin: 0; }
 .kind { font-size: .8rem; text-transform: uppercase; letter-spacing: .05em; color: #0b5; }
"#;

pub const PAGE_JS: &str = r#"function row(dl, name, value) {
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
    fn mail_in_another_shape_is_refused() {
        let mailbox = Mailbox::new();
        assert!(mailbox.accept_webhook(br#"{"to":"a@b.example"}"#).is_err());
        assert!(mailbox.accept_webhook(b"not json").is_err());
        assert!(mailbox.accept_graph("x", br#"{"message":{}}"#).is_err());
        assert!(mailbox.messages().is_empty());
    }
}
