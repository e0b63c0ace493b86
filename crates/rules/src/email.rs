//! The emails of SPEC §7 as values: the edge function sends them, `rsos render` shows them.
//! Texts are plain; every user-supplied value is already normalised to one line (the summary
//! excepted, which sits in the body only), so no user text can start a header.
//!
//! Output layer: depends on the verdict, the clock and the ruleset.

use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

use chrono::{DateTime, Utc};

use crate::clock::{BusinessClock, ServiceTimes};
use crate::codes::{EmailKind, Outcome, WarningCode};
use crate::field::Field;
use crate::ruleset::Ruleset;
use crate::verdict::Assessment;

/// One email to send. Field order is the wire order of `rsos render` (SPEC §8).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Email {
    /// Which email of SPEC §7.
    pub kind: EmailKind,
    /// The one recipient's address.
    pub to: String,
    /// Where replies go, if not to the sender.
    pub reply_to: Option<String>,
    /// One line.
    pub subject: String,
    /// The plain-text body (`\n` line breaks).
    pub text: String,
}

/// The links a ledger email carries, made and signed by the shell.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Links {
    /// The agent's status page.
    pub status: Option<String>,
    /// The form in details mode (agent).
    pub details: Option<String>,
    /// "First response sent" (team).
    pub respond: Option<String>,
    /// "Ask the agent for more details" (team).
    pub ask: Option<String>,
    /// "Resolved" (team).
    pub resolve: Option<String>,
}

/// The team's action links, one line each (`<label>: <url>`); none without links.
pub fn action_lines(links: &Links) -> Vec<String> {
    [
        ("First response sent", &links.respond),
        ("Ask the agent for more details", &links.ask),
        ("Resolved", &links.resolve),
    ]
    .into_iter()
    .filter_map(|(label, url)| url.as_ref().map(|url| format!("{label}: {url}")))
    .collect()
}

/// The action links block of an email to the mailbox.
pub fn push_action_links(text: &mut String, links: &Links) {
    let lines = action_lines(links);
    if lines.is_empty() {
        return;
    }
    text.push_str("\n\nTrack this request (each link opens a page to confirm):");
    for line in lines {
        text.push('\n');
        text.push_str(&line);
    }
}

/// What the sender adds to a request: its tracking ID and times, as they read in an email
/// (`Monday, March 15, 2027, 10:00 AM EDT`), and the links its emails carry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stamp {
    /// `RSOS-<UTC date>-<8 Crockford base32>`.
    pub tracking_id: String,
    /// When the request was received, in the business zone.
    pub received: String,
    /// When the first answer is due.
    pub respond_by: String,
    /// When the first agent update is due; empty when `times` has no follow-up.
    pub next_follow_up: String,
    /// The status link (acknowledgement) and the team's action links (forward), when the
    /// deployment signs links.
    pub links: Links,
}

impl Stamp {
    /// The stamp of a received request, its times written for people.
    pub fn new(tracking_id: String, times: &ServiceTimes) -> Stamp {
        let show = |t: &chrono::DateTime<chrono_tz::Tz>| {
            t.format("%A, %B %-d, %Y, %-I:%M %p %Z").to_string()
        };
        Stamp {
            tracking_id,
            received: show(&times.received),
            respond_by: show(&times.respond_by),
            next_follow_up: times.follow_ups.first().map_or_else(String::new, show),
            links: Links::default(),
        }
    }

    /// Fixed stand-ins, for showing emails before a request is received.
    pub fn placeholders() -> Stamp {
        Stamp {
            tracking_id: "RSOS-YYYYMMDD-XXXXXXXX".into(),
            received: "<received>".into(),
            respond_by: "<respond by>".into(),
            next_follow_up: "<next follow-up>".into(),
            links: Links::default(),
        }
    }
}

/// What sending one judged request involves (SPEC §6, §7): its service times, its stamp, its
/// emails in send order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dispatch {
    /// Respond-by and the first follow-up (SPEC §6).
    pub times: ServiceTimes,
    /// The tracking ID and the times as the emails show them.
    pub stamp: Stamp,
    /// The emails to send, in this order ([`emails`]); empty for a request that needs changes.
    pub emails: Vec<Email>,
}

/// The one sequence receipt → service times → tracking stamp → emails, for every shell that
/// sends or shows what would be sent. `tracking_id` comes from [`tracking_id`](crate::tracking_id)
/// (the caller brings the entropy); `received` is the receipt instant; `mailbox` the address
/// requests are forwarded to (the ruleset's [`mailbox`](Ruleset::mailbox) unless the
/// deployment overrides it); `links` what the emails link to (the shell signs them; empty
/// when the deployment has no links).
pub fn dispatch(
    assessment: &Assessment,
    ruleset: &Ruleset,
    mailbox: &str,
    tracking_id: &str,
    received: DateTime<Utc>,
    links: &Links,
) -> Dispatch {
    let times = BusinessClock::new(ruleset).receipt_times(received);
    let mut stamp = Stamp::new(tracking_id.to_string(), &times);
    stamp.links = links.clone();
    let emails = emails(assessment, ruleset, mailbox, &stamp);
    Dispatch {
        times,
        stamp,
        emails,
    }
}

/// The emails a request causes: forward + acknowledgement when forwarded, a guidance reply
/// when out of scope (only to a valid address), nothing when it needs changes.
pub fn emails(
    assessment: &Assessment,
    ruleset: &Ruleset,
    mailbox: &str,
    stamp: &Stamp,
) -> Vec<Email> {
    match assessment.verdict.outcome {
        Outcome::Forward => vec![
            forward(assessment, ruleset, mailbox, stamp),
            acknowledgement(assessment, ruleset, mailbox, stamp),
        ],
        Outcome::OutOfScope if assessment.verdict.error_for(Field::AgentEmail).is_none() => {
            guidance(assessment, ruleset).into_iter().collect()
        }
        Outcome::OutOfScope | Outcome::NeedsChanges => Vec::new(),
    }
}

/// The request as the mailbox gets it, in the seed template's order.
pub fn forward(assessment: &Assessment, ruleset: &Ruleset, mailbox: &str, stamp: &Stamp) -> Email {
    let r = &assessment.request;
    let v = &assessment.verdict;
    let plan = ruleset
        .line_of_business(&r.line_of_business)
        .map_or(r.line_of_business.as_str(), |l| l.label.as_str());
    let topic = ruleset
        .topic(&r.topic)
        .map_or(r.topic.as_str(), |t| t.label.as_str());
    let mut text = String::new();
    // Writing to a String cannot fail.
    let _ = writeln!(text, "Agent Name: {}", r.agent_name);
    let _ = writeln!(text, "Agent SAN: {}", r.agent_san);
    let _ = writeln!(text, "Member ID #: {}", r.member_id);
    let _ = writeln!(
        text,
        "Member Name in question: {} {}",
        r.member_first_name, r.member_last_name
    );
    let _ = writeln!(
        text,
        "Reference #: {}",
        r.reference_number.as_deref().unwrap_or("(none)")
    );
    let _ = writeln!(text, "Summary of issue:\n{}\n", r.summary);
    let _ = writeln!(text, "Plan: {plan}");
    let _ = writeln!(text, "Topic: {topic}");
    let urgency = match (&v.urgent, &v.call_center) {
        (true, Some(number)) => format!("URGENT (agent told to call {number})"),
        (true, None) => "URGENT".to_string(),
        (false, _) => "not urgent".to_string(),
    };
    let _ = writeln!(text, "Urgency: {urgency}");
    for w in &v.warnings {
        let note = match w.code {
            WarningCode::MixedLinesOfBusiness => {
                "summary names another line of business; the agent confirmed this request is about one"
            }
            WarningCode::PossibleOutOfScope => "summary may hold an out-of-scope question",
            WarningCode::Urgent => continue,
        };
        let _ = writeln!(text, "Note: {note}");
    }
    let _ = writeln!(text, "Agent email: {}", r.agent_email);
    let _ = writeln!(text, "Tracking ID: {}", stamp.tracking_id);
    let _ = writeln!(text, "Received: {}", stamp.received);
    let _ = writeln!(text, "Respond by: {}", stamp.respond_by);
    let _ = write!(text, "Ruleset: {}", v.ruleset);
    push_action_links(&mut text, &stamp.links);
    Email {
        kind: EmailKind::Forward,
        to: mailbox.to_string(),
        reply_to: Some(r.agent_email.clone()),
        subject: v.subject.clone().unwrap_or_default(),
        text,
    }
}

/// The seed's automatic response to the agent. Minimum necessary: no Member ID, no summary.
pub fn acknowledgement(
    assessment: &Assessment,
    ruleset: &Ruleset,
    mailbox: &str,
    stamp: &Stamp,
) -> Email {
    let v = &assessment.verdict;
    let mut text = String::from(ruleset.acknowledgement_text());
    let _ = write!(
        text,
        "\n\nTracking ID: {}\nReceived: {}\nRespond by: {}\nNext follow-up: {}",
        stamp.tracking_id, stamp.received, stamp.respond_by, stamp.next_follow_up
    );
    if let Some(url) = &stamp.links.status {
        let _ = write!(text, "\nStatus of your request: {url}");
    }
    Email {
        kind: EmailKind::Acknowledgement,
        to: assessment.request.agent_email.clone(),
        reply_to: Some(mailbox.to_string()),
        subject: format!(
            "{}{} [{}]",
            ruleset.acknowledgement_subject_prefix(),
            v.subject.as_deref().unwrap_or_default(),
            stamp.tracking_id
        ),
        text,
    }
}

/// Where an out-of-scope request goes instead. No member data; replies go to the right
/// contact where the ruleset names one.
pub fn guidance(assessment: &Assessment, ruleset: &Ruleset) -> Option<Email> {
    let scope = assessment.verdict.out_of_scope.as_ref()?;
    let mut text = format!(
        "Thank you for contacting the {}. Your request was not sent to the mailbox because it is out of scope.\n\n{}",
        ruleset.mailbox_name(),
        scope.guidance
    );
    if let Some(contact) = &scope.contact {
        let _ = write!(text, "\n\nContact: {contact}");
    }
    Some(Email {
        kind: EmailKind::Guidance,
        to: assessment.request.agent_email.clone(),
        reply_to: scope.contact.clone(),
        subject: format!("{}: where to send your request", ruleset.mailbox_name()),
        text,
    })
}
