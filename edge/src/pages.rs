//! The small HTML pages behind signed links: the agent's status page and the team's action
//! pages (a GET shows the page, its form POSTs the action). Formatting only: every sentence and
//! label comes from `rsos_rules::ledger`, every value is escaped, and no page shows member data.

use std::sync::OnceLock;

use base64::Engine as _;
use html_escape::{encode_double_quoted_attribute as attribute, encode_text as text};
use rsos_rules::ledger::{Status, ASKABLE, NOTE_LIMIT};
use sha2::{Digest, Sha256};

use crate::reply::Reply;

/// The pages' one style sheet, inline, allowed by its hash (no `unsafe-inline`).
const STYLE: &str = "body{font:16px/1.5 system-ui,sans-serif;margin:0;color:#1b1b1b;background:#fff}main{max-width:40rem;margin:2rem auto;padding:0 1rem}h1{font-size:1.5rem}dl{display:grid;grid-template-columns:max-content 1fr;gap:.25rem 1rem}dt{font-weight:600}button{font:inherit;padding:.5rem 1rem;border:2px solid #0b4f8a;background:#0b4f8a;color:#fff;border-radius:4px;cursor:pointer}button:focus{outline:3px solid #f2a900;outline-offset:2px}fieldset{border:1px solid #767676;margin:1rem 0}textarea{width:100%;font:inherit}.note{border-left:4px solid #0b4f8a;padding-left:.75rem}";

fn style_hash() -> &'static str {
    static HASH: OnceLock<String> = OnceLock::new();
    HASH.get_or_init(|| base64::engine::general_purpose::STANDARD.encode(Sha256::digest(STYLE)))
}

/// A whole page: `heading` and already escaped `body`.
pub fn page(status: u16, heading: &str, body: &str) -> Reply {
    let html = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>{title} – Agent Retail Service Ops. Support</title><style>{STYLE}</style></head><body><main><h1>{title}</h1>{body}</main></body></html>",
        title = text(heading),
    );
    Reply::page(status, html, style_hash())
}

/// A page that says one sentence.
pub fn sentence(status: u16, heading: &str, sentence: &str) -> Reply {
    page(status, heading, &format!("<p>{}</p>", text(sentence)))
}

/// The agent's status page.
pub fn status(status: &Status) -> Reply {
    let mut body = String::from("<dl>");
    let mut row = |label: &str, value: &str| {
        body.push_str(&format!("<dt>{}</dt><dd>{}</dd>", text(label), text(value)));
    };
    row("Tracking ID", &status.tracking_id);
    row("Status", status.state_label);
    row("Received", &status.received);
    row(
        "Response due by",
        &format!("{} ({})", status.respond_by, status.promise.label()),
    );
    if let Some(next) = &status.next_update {
        row("Next update by", next);
    }
    if let Some(resolved) = &status.resolved {
        row("Resolved", resolved);
    }
    body.push_str("</dl>");
    if let Some(needed) = &status.needed {
        body.push_str("<h2>What the team needs from you</h2>");
        if !needed.fields.is_empty() {
            body.push_str("<ul>");
            for field in &needed.fields {
                body.push_str(&format!("<li>{}</li>", text(field.label)));
            }
            body.push_str("</ul>");
        }
        if !needed.note.is_empty() {
            body.push_str(&format!("<p class=\"note\">{}</p>", text(&needed.note)));
        }
        body.push_str(
            "<p>Use the link in the email that asked for these details to send them.</p>",
        );
    }
    page(200, "Your request", &body)
}

/// A team action's confirmation page: what pressing the button does, and the form that posts
/// it (with the ledger's version, so a double click is one action).
pub fn confirm(heading: &str, explanation: &str, button: &str, version: usize, ask: bool) -> Reply {
    let mut body = format!("<p>{}</p><form method=\"post\">", text(explanation));
    body.push_str(&format!(
        "<input type=\"hidden\" name=\"version\" value=\"{version}\">"
    ));
    if ask {
        body.push_str("<fieldset><legend>Fields to fill in again</legend>");
        for field in ASKABLE {
            let id = format!("field-{}", field.as_str());
            body.push_str(&format!(
                "<div><input type=\"checkbox\" name=\"field\" id=\"{id}\" value=\"{value}\"> <label for=\"{id}\">{label}</label></div>",
                id = attribute(&id),
                value = attribute(field.as_str()),
                label = text(field.label()),
            ));
        }
        body.push_str("</fieldset>");
        body.push_str(&format!(
            "<p><label for=\"note\">Note for the agent (no member data: it is emailed)</label><br><textarea id=\"note\" name=\"note\" rows=\"4\" maxlength=\"{NOTE_LIMIT}\"></textarea></p>"
        ));
    }
    body.push_str(&format!(
        "<button type=\"submit\">{}</button></form>",
        text(button)
    ));
    page(200, heading, &body)
}
