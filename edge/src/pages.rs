//! The small HTML pages behind signed links: the agent's status page, the team's action
//! pages (a GET shows the page, its form POSTs the action) and the coaching insights page. Formatting only: every sentence and
//! label comes from `rsos_rules::ledger`, every value is escaped, and no page shows member data.

use std::sync::OnceLock;

use base64::Engine as _;
use html_escape::{encode_double_quoted_attribute as attribute, encode_text as text};
use rsos_rules::insights::Report;
use rsos_rules::ledger::{Status, ASKABLE, NOTE_LIMIT};
use sha2::{Digest, Sha256};

use crate::reply::Reply;

/// The pages' one style sheet, inline, allowed by its hash (no `unsafe-inline`).
const STYLE: &str = "body{font:16px/1.5 system-ui,sans-serif;margin:0;color:#1b1b1b;background:#fff}main{max-width:40rem;margin:2rem auto;padding:0 1rem}h1{font-size:1.5rem}dl{display:grid;grid-template-columns:max-content 1fr;gap:.25rem 1rem}dt{font-weight:600}button{font:inherit;padding:.5rem 1rem;border:2px solid #0b4f8a;background:#0b4f8a;color:#fff;border-radius:4px;cursor:pointer}button:focus{outline:3px solid #f2a900;outline-offset:2px}fieldset{border:1px solid #767676;margin:1rem 0}textarea{width:100%;font:inherit}.note{border-left:4px solid #0b4f8a;padding-left:.75rem}table{border-collapse:collapse;margin:1rem 0}th,td{border:1px solid #767676;padding:.25rem .5rem;text-align:left;vertical-align:top}td.n{text-align:right}svg{max-width:100%;height:auto}";

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

/// A horizontal bar chart as inline SVG: one labelled bar per row with its value written at
/// its end, so nothing depends on colour; `title` names it for screen readers, which also get
/// the table the page prints next to it.
fn bar_chart(id: &str, title: &str, rows: &[(String, i64)]) -> String {
    const WIDTH: i64 = 600;
    const ROW: i64 = 40;
    let max = rows.iter().map(|(_, v)| *v).max().unwrap_or(0).max(1);
    let height = ROW * i64::try_from(rows.len()).unwrap_or(0) + 8;
    let mut svg = format!(
        "<svg role=\"img\" aria-labelledby=\"{id}\" viewBox=\"0 0 {WIDTH} {height}\" width=\"{WIDTH}\" height=\"{height}\"><title id=\"{id}\">{}</title>",
        text(title)
    );
    for (i, (label, value)) in rows.iter().enumerate() {
        let y = ROW * i64::try_from(i).unwrap_or(0);
        let bar = (WIDTH - 80) * (*value).max(0) / max;
        svg.push_str(&format!(
            "<text x=\"0\" y=\"{}\" font-size=\"13\" fill=\"#1b1b1b\">{}</text><rect x=\"0\" y=\"{}\" width=\"{bar}\" height=\"14\" fill=\"#0b4f8a\"></rect><text x=\"{}\" y=\"{}\" font-size=\"13\" fill=\"#1b1b1b\">{value}</text>",
            y + 14,
            text(label),
            y + 20,
            bar + 6,
            y + 32,
        ));
    }
    svg.push_str("</svg>");
    svg
}

/// A table with a caption, column headings and rows of already escaped cells (`n:` before a
/// cell right-aligns a number).
fn table(caption: &str, headings: &[&str], rows: &[Vec<String>]) -> String {
    let mut html = format!("<table><caption>{}</caption><thead><tr>", text(caption));
    for heading in headings {
        html.push_str(&format!("<th scope=\"col\">{}</th>", text(heading)));
    }
    html.push_str("</tr></thead><tbody>");
    for row in rows {
        html.push_str("<tr>");
        for cell in row {
            match cell.strip_prefix("n:") {
                Some(number) => html.push_str(&format!("<td class=\"n\">{number}</td>")),
                None => html.push_str(&format!("<td>{cell}</td>")),
            }
        }
        html.push_str("</tr>");
    }
    html.push_str("</tbody></table>");
    html
}

/// The coaching insights page (issue 12): codes, counts, SANs and the ruleset's words only.
pub fn insights(report: &Report) -> Reply {
    let (newest, oldest) = (
        report.weeks.first().cloned().unwrap_or_default(),
        report.weeks.last().cloned().unwrap_or_default(),
    );
    let mut body = format!(
        "<p>Weeks {} to {} ({} weeks). Counts only: no member data is kept, and agents are named by SAN.</p>",
        text(&oldest),
        text(&newest),
        report.weeks.len()
    );
    body.push_str("<h2>Top reasons requests come back</h2>");
    if report.reasons.is_empty() {
        body.push_str("<p>No request came back in these weeks.</p>");
    } else {
        let top: Vec<_> = report.reasons.iter().take(10).collect();
        let rows: Vec<(String, i64)> = top.iter().map(|r| (r.label.clone(), r.count)).collect();
        body.push_str(&bar_chart(
            "chart-reasons",
            "Top reasons requests come back",
            &rows,
        ));
        let rows: Vec<Vec<String>> = top
            .iter()
            .map(|r| {
                vec![
                    text(&r.label).into_owned(),
                    format!("n:{}", r.count),
                    text(r.topic.as_deref().unwrap_or("—")).into_owned(),
                ]
            })
            .collect();
        body.push_str(&table(
            "Reasons and their coaching topics",
            &["Reason", "Requests", "Coaching topic"],
            &rows,
        ));
    }
    body.push_str("<h2>Requests per week</h2>");
    let rows: Vec<Vec<String>> = report
        .outcomes
        .iter()
        .map(|w| {
            vec![
                text(&w.week).into_owned(),
                format!("n:{}", w.forward),
                format!("n:{}", w.out_of_scope),
                format!("n:{}", w.needs_changes),
            ]
        })
        .collect();
    body.push_str(&table(
        "Requests per week by outcome",
        &["Week", "Forwarded", "Out of scope", "Needed changes"],
        &rows,
    ));
    body.push_str("<h2>Out-of-scope categories</h2>");
    let rows: Vec<Vec<String>> = report
        .out_of_scope
        .iter()
        .map(|c| {
            vec![
                text(&c.category).into_owned(),
                format!("n:{}", c.shown),
                format!("n:{}", c.sent),
                text(&c.guidance).into_owned(),
            ]
        })
        .collect();
    body.push_str(&table(
        "Out-of-scope categories and the guidance agents were shown",
        &[
            "Category",
            "Guidance shown in the form",
            "Sent anyway",
            "Guidance",
        ],
        &rows,
    ));
    body.push_str("<h2>Agents with the most avoidable returns</h2>");
    if report.agents.is_empty() {
        body.push_str("<p>No agent had a request come back in these weeks.</p>");
    } else {
        let rows: Vec<(String, i64)> = report
            .agents
            .iter()
            .map(|a| (format!("SAN {}", a.agent_san), a.returns))
            .collect();
        body.push_str(&bar_chart(
            "chart-agents",
            "Agents with the most avoidable returns",
            &rows,
        ));
        let rows: Vec<Vec<String>> = report
            .agents
            .iter()
            .map(|a| vec![text(&a.agent_san).into_owned(), format!("n:{}", a.returns)])
            .collect();
        body.push_str(&table(
            "Needed changes, out of scope, or returned for details",
            &["Agent SAN", "Returns"],
            &rows,
        ));
    }
    let l = &report.ledger;
    body.push_str("<h2>The promise</h2><dl>");
    for (label, value) in [
        (
            "First answers by the respond-by",
            l.respond_by_kept.to_string(),
        ),
        ("First answers after it", l.respond_by_missed.to_string()),
        ("Scheduled agent updates sent", l.updates_sent.to_string()),
        ("Returned for more details", l.details_requested.to_string()),
        ("Details sent by agents", l.details_answered.to_string()),
        (
            "Average business hours agents took",
            l.details_average_hours
                .map_or_else(|| "—".to_owned(), |h| h.to_string()),
        ),
    ] {
        body.push_str(&format!(
            "<dt>{}</dt><dd>{}</dd>",
            text(label),
            text(&value)
        ));
    }
    body.push_str("</dl>");
    page(200, "Coaching insights", &body)
}
