//! The promise ledger's HTTP side (SPEC §9, issue 10): signed links, the agent's status page
//! and JSON, the team's action pages (GET shows, POST acts), and the agent's details.
//!
//! Every decision is `rsos_rules::ledger`'s (states, transitions, dates, texts); every change
//! goes through `rsos_delivery::Delivery::act`, so an action is applied once per id and its
//! emails are sent exactly once however often it is posted, even concurrently.

use rsos_delivery::{find, run_action, Config, Decision, Delivery, Finish, Mailer, Record};
use rsos_embed_token::link::{sign_link, verify_link, Link, LinkAction};
use rsos_rules::ledger::{action_emails, Action, Applied, CheckedDetails, DetailsReply, Entry};
use rsos_rules::{Field, Links, Request, Ruleset};
use serde_json::json;
use sha2::{Digest, Sha256};
use spin_sdk::http::{IncomingRequest, Method};

use crate::body::BodyError;
use crate::guard;
use crate::headers::Headers;
use crate::mail::MailClient;
use crate::pages;
use crate::platform::{now_ms, now_utc};
use crate::reply::Reply;
use crate::settings::Settings;
use crate::store::Kv;

/// The largest action form or details body read.
const BODY_LIMIT: usize = 64 * 1024;

/// The signed links of one request, when the deployment signs links (`link_secret` and
/// `public_url` set); empty otherwise.
pub fn links_for(settings: &Settings, tracking_id: &str) -> Links {
    let Some(base) = settings.links_on() else {
        return Links::default();
    };
    let expires_at = i64::try_from(now_ms() / 1000).unwrap_or(0)
        + i64::try_from(settings.link_lifetime_days * 86_400).unwrap_or(0);
    let token = |action: LinkAction| {
        sign_link(
            &Link {
                tracking_id: tracking_id.to_owned(),
                action,
                expires_at,
            },
            settings.link_secret.as_bytes(),
        )
    };
    let under = |path: &str| base.join(path).map(|u| u.to_string()).unwrap_or_default();
    let details = token(LinkAction::Details);
    let details_url = if settings.details_url.is_empty() {
        under(&format!("/?details={details}"))
    } else {
        settings.details_url.replace("{token}", &details)
    };
    Links {
        status: Some(under(&format!("/api/status/{}", token(LinkAction::Status)))),
        details: Some(details_url),
        respond: Some(under(&format!(
            "/api/actions/{}",
            token(LinkAction::Respond)
        ))),
        ask: Some(under(&format!("/api/actions/{}", token(LinkAction::Ask)))),
        resolve: Some(under(&format!(
            "/api/actions/{}",
            token(LinkAction::Resolve)
        ))),
    }
}

/// A link that verifies, or the page or answer that says why not.
fn verified(settings: &Settings, token: &str) -> Result<Link, (u16, String)> {
    if settings.link_secret.is_empty() {
        return Err((404, "There is nothing at this address.".into()));
    }
    let now = i64::try_from(now_ms() / 1000).unwrap_or(0);
    verify_link(token, settings.link_secret.as_bytes(), now)
        .map_err(|refused| (refused.http_status(), refused.to_string()))
}

/// The tracked request `tracking_id`'s record and entry, or the answer that says why not.
fn tracked(kv: &Kv, tracking_id: &str) -> Result<(Record, Entry), (u16, &'static str)> {
    match find(kv, tracking_id) {
        Ok(Some(record)) => match record.ledger.clone() {
            Some(entry) => Ok((record, entry)),
            None => Err((404, "This request is not tracked.")),
        },
        Ok(None) => Err((
            404,
            "No request with this tracking ID is kept (it may have been resolved long ago).",
        )),
        Err(e) => {
            log_line!("rsos-edge: {e}");
            Err((
                503,
                "The service is temporarily unavailable; please try again.",
            ))
        }
    }
}

/// `GET /api/status/{link}`: the agent's status page.
pub fn status_page(settings: &Settings, request: &IncomingRequest, token: &str) -> Reply {
    if request.method() != Method::Get {
        return Reply::error(405, "Only GET is accepted here.").with_header("allow", "GET");
    }
    let link = match verified(settings, token) {
        Ok(link) if link.action == LinkAction::Status => link,
        Ok(_) => return pages::sentence(403, "Not this link", "This link does not show a status."),
        Err((status, sentence)) => return pages::sentence(status, "Link not valid", &sentence),
    };
    let kv = match guard::store() {
        Ok(kv) => kv,
        Err(reply) => return reply,
    };
    match tracked(&kv, &link.tracking_id) {
        Ok((_, entry)) => pages::status(&entry.status(now_utc(), Ruleset::builtin())),
        Err((status, sentence)) => pages::sentence(status, "Your request", sentence),
    }
}

/// `GET /api/requests/{tracking_id}` with `Authorization: Bearer <status or details link>`:
/// the status as JSON, for portals and the form's details mode.
pub fn status_json(settings: &Settings, headers: &Headers, tracking_id: &str) -> Reply {
    let Some(token) = headers.bearer() else {
        return Reply::error(
            401,
            "Send the request's status or details link as a Bearer token.",
        );
    };
    let link = match verified(settings, token) {
        Ok(link) => link,
        Err((status, sentence)) => return Reply::error(status, &sentence),
    };
    let agents_link = matches!(link.action, LinkAction::Status | LinkAction::Details);
    if link.tracking_id != tracking_id || !agents_link {
        return Reply::error(403, "This link is for another request.");
    }
    let kv = match guard::store() {
        Ok(kv) => kv,
        Err(reply) => return reply,
    };
    match tracked(&kv, tracking_id) {
        Ok((_, entry)) => Reply::json(200, &entry.status(now_utc(), Ruleset::builtin())),
        Err((status, sentence)) => Reply::error(status, sentence),
    }
}

/// `GET` or `POST /api/actions/{link}`: a team action. GET only shows what the button does
/// (mail security scanners open every link); POST does it, once per page (its version).
pub fn action(settings: &Settings, request: IncomingRequest, token: &str) -> Reply {
    let link = match verified(settings, token) {
        Ok(link) if link.action.for_team() => link,
        Ok(_) => return pages::sentence(403, "Not this link", "This link is not a team action."),
        Err((status, sentence)) => return pages::sentence(status, "Link not valid", &sentence),
    };
    let name = link.action.as_str();
    let Some(page) = Action::page(name) else {
        return pages::sentence(404, "Not found", "There is nothing at this address.");
    };
    let kv = match guard::store() {
        Ok(kv) => kv,
        Err(reply) => return reply,
    };
    match request.method() {
        Method::Get => match tracked(&kv, &link.tracking_id) {
            Ok((_, entry)) => pages::confirm(
                page.heading,
                page.explanation,
                page.button,
                entry.events.len(),
                link.action == LinkAction::Ask,
            ),
            Err((status, sentence)) => pages::sentence(status, page.heading, sentence),
        },
        Method::Post => {
            let body = match crate::body::read(&request, BODY_LIMIT) {
                Ok(body) => body,
                Err(_) => return pages::sentence(413, page.heading, "The form is too large."),
            };
            let form: Vec<(String, String)> = form_urlencoded::parse(&body).into_owned().collect();
            let value = |name: &str| form.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
            let Some(version) = value("version").filter(|v| v.bytes().all(|b| b.is_ascii_digit()))
            else {
                return pages::sentence(
                    400,
                    page.heading,
                    "Open the link again and use its button.",
                );
            };
            let action = match link.action {
                LinkAction::Respond => Action::Respond,
                LinkAction::Resolve => Action::Resolve,
                _ => Action::AskDetails {
                    fields: form
                        .iter()
                        .filter(|(k, _)| k == "field")
                        .filter_map(|(_, v)| Field::from_name(v))
                        .collect(),
                    note: value("note").unwrap_or_default(),
                },
            };
            let action_id = format!("{name}:{version}");
            let finish = apply(settings, &kv, &link.tracking_id, &action_id, &action, None);
            result_page(page.heading, finish)
        }
        _ => Reply::error(405, "Only GET and POST are accepted here.")
            .with_header("allow", "GET, POST"),
    }
}

/// Runs one action on the request `tracking_id` through the delivery core.
pub fn apply(
    settings: &Settings,
    kv: &Kv,
    tracking_id: &str,
    action_id: &str,
    action: &Action,
    details: Option<&CheckedDetails>,
) -> Finish {
    let ruleset = Ruleset::builtin();
    let links = links_for(settings, tracking_id);
    let mut mailer = MailClient::new(settings, kv);
    let config = Config::for_mail_timeout(settings.mail_timeout_ms, mailer.two_phase());
    let mut delivery = Delivery::act(config, tracking_id, action_id);
    let decide = |record: &Record| {
        let Some(entry) = &record.ledger else {
            return Decision::Refuse {
                status: 404,
                sentence: "This request is not tracked.".into(),
            };
        };
        match entry.apply(action, now_utc(), ruleset) {
            Ok(Applied::Changed(next)) => Decision::Apply {
                emails: action_emails(
                    entry,
                    &next,
                    action,
                    now_utc(),
                    ruleset,
                    &settings.mailbox_address,
                    &links,
                    details,
                ),
                ledger: next,
            },
            Ok(Applied::AlreadyDone) => Decision::Nothing,
            Err(refusal) => Decision::Refuse {
                status: refusal.status,
                sentence: refusal.sentence,
            },
        }
    };
    let finish = run_action(
        &mut delivery,
        kv,
        &mut mailer,
        &crate::platform::WasiClock,
        decide,
    );
    // The event the action recorded counts for the insights, once per event (a retry that
    // finds it done, or a later action's replay, meets the same marker).
    if let Finish::Delivered(facts) | Finish::Replayed(facts) | Finish::MailFailed { facts, .. } =
        &finish
    {
        if let Some(tally) = facts
            .ledger
            .as_deref()
            .and_then(|entry| rsos_rules::insights::acted(entry, ruleset))
        {
            crate::insights::count(kv, &tally);
        }
    }
    finish
}

/// The page after a team action.
fn result_page(heading: &str, finish: Finish) -> Reply {
    let state = |facts: &rsos_delivery::Facts| {
        facts
            .ledger
            .as_ref()
            .map_or("", |e| e.state.label())
            .to_owned()
    };
    match finish {
        Finish::Delivered(facts) => pages::sentence(
            200,
            heading,
            &format!("Done. The request is now: {}.", state(&facts)),
        ),
        Finish::Replayed(facts) => pages::sentence(
            200,
            heading,
            &format!("This was done already. The request is: {}.", state(&facts)),
        ),
        Finish::Refused { status, sentence } => pages::sentence(status, heading, &sentence),
        Finish::NotFound => pages::sentence(
            404,
            heading,
            "No request with this tracking ID is kept (it may have been resolved long ago).",
        ),
        Finish::MailFailed { .. } => pages::sentence(
            503,
            heading,
            "Recorded, but the email it sends could not be sent yet. Press the button again in a minute to send it (it is sent once).",
        ),
        Finish::InProgress => pages::sentence(
            409,
            heading,
            "Someone is working on this request right now; try again in a moment.",
        ),
        Finish::StoreFailed { .. } | Finish::Unreadable | Finish::Limited { .. } | Finish::Conflict => {
            pages::sentence(503, heading, "The service is temporarily unavailable; please try again.")
        }
    }
}

/// `POST /api/requests/{tracking_id}/details` with `Authorization: Bearer <details link>`: the
/// agent's answer to the team's request for details (JSON with request field names: the
/// member's names, the fields asked for, and the details in `summary`). Checked with the field rules (422), applied once per Idempotency-Key,
/// and forwarded to the mailbox in the request's thread.
pub fn details(
    settings: &Settings,
    request: IncomingRequest,
    headers: &Headers,
    tracking_id: &str,
) -> Reply {
    if request.method() != Method::Post {
        return Reply::error(405, "Only POST is accepted here.")
            .with_header("allow", "POST, OPTIONS");
    }
    if let Some(refused) = guard::repeated_header(headers) {
        return refused;
    }
    let Some(token) = headers.bearer() else {
        return Reply::error(
            401,
            "Send the details link of the request as a Bearer token.",
        );
    };
    let link = match verified(settings, token) {
        Ok(link) => link,
        Err((status, sentence)) => return Reply::error(status, &sentence),
    };
    if link.tracking_id != tracking_id || link.action != LinkAction::Details {
        return Reply::error(403, "This link is not the details link of this request.");
    }
    if !headers.is_identity_encoded() || !headers.is_json() {
        return Reply::error(
            415,
            "Send the details as JSON with Content-Type: application/json.",
        );
    }
    let body = match crate::body::read(&request, BODY_LIMIT) {
        Ok(body) => body,
        Err(BodyError::TooLarge) => {
            return Reply::error(413, "The details are larger than 64 KiB; shorten them.")
        }
        Err(BodyError::Broken) => return Reply::error(400, "The request body could not be read."),
    };
    // The details are a request body (the member's names, the fields asked for, the details
    // in `summary`), read by the one parser every shell uses.
    let reply = match Request::from_json(&body) {
        Ok(request) => DetailsReply::from_request(&request),
        Err(malformed) => return Reply::error(400, &malformed.to_string()),
    };
    let kv = match guard::store() {
        Ok(kv) => kv,
        Err(reply) => return reply,
    };
    let entry = match tracked(&kv, tracking_id) {
        Ok((_, entry)) => entry,
        Err((status, sentence)) => return Reply::error(status, sentence),
    };
    let checked = match entry.check_details(&reply, Ruleset::builtin()) {
        Ok(checked) => checked,
        Err(errors) => {
            return Reply::json(
                422,
                &json!({ "outcome": "needs_changes", "errors": errors }),
            )
        }
    };
    // One application per Idempotency-Key (or per body, without one).
    let key = match guard::idempotency_key(headers) {
        Ok(key) => key.unwrap_or_else(|| hex::encode(&Sha256::digest(&body)[..16])),
        Err(reply) => return reply,
    };
    let action_id = format!("details:{key}");
    let finish = apply(
        settings,
        &kv,
        tracking_id,
        &action_id,
        &Action::ProvideDetails,
        Some(&checked),
    );
    let sent = |facts: &rsos_delivery::Facts| {
        let status = facts
            .ledger
            .as_ref()
            .map(|e| e.status(now_utc(), Ruleset::builtin()));
        json!({ "outcome": "details_sent", "tracking_id": tracking_id, "status": status })
    };
    match finish {
        Finish::Delivered(facts) => Reply::json(202, &sent(&facts)),
        Finish::Replayed(facts) => {
            Reply::json(202, &sent(&facts)).with_header("idempotent-replayed", "true")
        }
        Finish::Refused { status, sentence } => Reply::error(status, &sentence),
        Finish::NotFound => Reply::error(404, "No request with this tracking ID is kept."),
        Finish::InProgress => {
            Reply::error(409, "These details are still being sent; retry shortly.")
                .with_header("retry-after", "2")
        }
        Finish::MailFailed { failure, .. } => {
            log_line!("rsos-edge: {tracking_id} details not delivered: {failure}");
            Reply::error(
                503,
                "Your details are recorded, but the mail service did not take them yet. Retry with the same Idempotency-Key: they are sent once.",
            )
            .with_header("retry-after", failure.retry_after_s.unwrap_or(10).clamp(1, 120).to_string())
        }
        Finish::StoreFailed { .. }
        | Finish::Unreadable
        | Finish::Limited { .. }
        | Finish::Conflict => crate::unavailable(),
    }
}
