//! Coaching insights over HTTP (issue 12): counting what `rsos_rules::insights` decides,
//! the form's events (`POST /api/events`), the counts for scripts (`GET /api/insights`, Bearer
//! `insights_token`, JSON or CSV), and the page the team's digest links to
//! (`GET /api/insights/{link}`, a signed expiring link: a click cannot send a Bearer token).
//!
//! Counting never decides an answer: a store failure while counting is logged and the agent
//! gets the answer they would have got. Insights undercount rather than fail a request.

use chrono::Duration;
use rsos_delivery::limits::PER_EVENTS;
use rsos_delivery::tally;
use rsos_embed_token::link::{sign_link, verify_link, Link, LinkAction};
use rsos_rules::insights::{self, Count, FormEvent, Report, Tally};
use rsos_rules::{normalise, Field, Ruleset};
use serde::Serialize;
use spin_sdk::http::{IncomingRequest, Method};

use crate::body::BodyError;
use crate::guard;
use crate::headers::Headers;
use crate::pages;
use crate::platform::{now_ms, now_utc};
use crate::reply::Reply;
use crate::settings::Settings;
use crate::store::Kv;

/// A form event is a few codes; anything longer is not one.
const EVENT_BODY_LIMIT: usize = 2 * 1024;

/// Counts `tally`, best effort: a failure is logged (without keys: they hold SANs) and the
/// caller answers as it would have.
pub fn count(kv: &Kv, tally: &Tally) {
    if let Err(e) = tally::count(kv, tally) {
        log_line!("rsos-edge: insights not counted: {e}");
    }
}

/// `POST /api/events`: one form event, checked like a submission (rate limit per address or
/// agent, JSON, the embed token naming the event's agent), counted once per Idempotency-Key.
/// 204 when counted (or counted before, with `Idempotent-Replayed: true`).
pub fn event(settings: &Settings, request: IncomingRequest, headers: &Headers) -> Reply {
    if request.method() != Method::Post {
        return Reply::error(405, "Only POST is accepted here.")
            .with_header("allow", "POST, OPTIONS");
    }
    if let Some(refused) = guard::repeated_header(headers) {
        return refused;
    }
    let kv = match guard::store() {
        Ok(kv) => kv,
        Err(reply) => return reply,
    };
    let claims = guard::embed_claims(settings, headers);
    let agent = claims.as_ref().and_then(|c| c.as_ref().ok());
    // Agents' SANs are letters and digits, addresses have dots or colons: one window for both.
    if let Some(refused) = guard::over_limit(
        settings,
        headers,
        &kv,
        agent,
        (PER_EVENTS, PER_EVENTS),
        settings.rate_limit_events_per_minute,
    ) {
        return refused;
    }
    if !headers.is_identity_encoded() || !headers.is_json() {
        return Reply::error(
            415,
            "Send the event as JSON with Content-Type: application/json.",
        );
    }
    let key = match guard::idempotency_key(headers) {
        Ok(key) => key,
        Err(reply) => return reply,
    };
    let body = match crate::body::read(&request, EVENT_BODY_LIMIT) {
        Ok(body) => body,
        Err(BodyError::TooLarge) => return Reply::error(413, "An event is at most 2 KiB."),
        Err(BodyError::Broken) => return Reply::error(400, "The request body could not be read."),
    };
    let event = match FormEvent::from_json(&body) {
        Ok(event) => event,
        Err(sentence) => return Reply::error(400, &sentence),
    };
    let ruleset = Ruleset::builtin();
    if !settings.embed_token_secret.is_empty() {
        let claims = match claims {
            Some(Ok(claims)) => claims,
            Some(Err(refused)) => return Reply::error(refused.http_status(), &refused.to_string()),
            None => {
                let refused = rsos_embed_token::TokenError::Missing;
                return Reply::error(refused.http_status(), &refused.to_string());
            }
        };
        let same = event
            .agent_san(ruleset)
            .is_ok_and(|san| san == normalise(Field::AgentSan, &claims.agent_san));
        if !same {
            let refused = rsos_embed_token::TokenError::WrongAgent;
            return Reply::error(refused.http_status(), &refused.to_string());
        }
    }
    let tally = match event.tally(key.as_deref(), now_utc(), ruleset) {
        Ok(tally) => tally,
        Err(refused) => return Reply::error(422, &refused.to_string()),
    };
    match tally::count(&kv, &tally) {
        Ok(counted) if counted.counted > 0 => Reply::empty(204),
        Ok(_) => Reply::empty(204).with_header("idempotent-replayed", "true"),
        Err(e) => {
            log_line!("rsos-edge: {e}");
            crate::unavailable()
        }
    }
}

/// The weeks shown at `now`, newest first (`[insights] weeks_shown`, or `?weeks=` up to 53).
fn weeks(query: Option<&str>) -> Vec<String> {
    let ruleset = Ruleset::builtin();
    let asked = query
        .into_iter()
        .flat_map(|q| form_urlencoded::parse(q.as_bytes()))
        .find(|(k, _)| k == "weeks")
        .and_then(|(_, v)| v.parse::<u32>().ok())
        .map(|n| n.clamp(1, 53));
    let n = asked.unwrap_or(ruleset.insights().weeks_shown);
    insights::last_weeks(now_utc(), n, ruleset)
}

/// What `GET /api/insights` answers as JSON.
#[derive(Serialize)]
struct Export<'a> {
    ruleset: &'a str,
    weeks: &'a [String],
    counts: &'a [Count],
    report: &'a Report,
}

/// `GET /api/insights` with `Authorization: Bearer <insights_token>`: every counter of the
/// weeks shown (`?weeks=N` for others), as JSON with the report, or as CSV with `?format=csv`
/// or `Accept: text/csv`.
pub fn api(settings: &Settings, request: &IncomingRequest, headers: &Headers) -> Reply {
    if request.method() != Method::Get {
        return Reply::error(405, "Only GET is accepted here.").with_header("allow", "GET");
    }
    if !headers.bearer_is(&settings.insights_token) {
        return Reply::error(401, "Send the insights token as a Bearer token.");
    }
    let path = request.path_with_query().unwrap_or_default();
    let query = path.split_once('?').map(|(_, q)| q);
    let weeks = weeks(query);
    let kv = match guard::store() {
        Ok(kv) => kv,
        Err(reply) => return reply,
    };
    let ruleset = Ruleset::builtin();
    let counts = match tally::read(&kv, &weeks, ruleset) {
        Ok(counts) => counts,
        Err(e) => {
            log_line!("rsos-edge: {e}");
            return crate::unavailable();
        }
    };
    let csv_asked = query.is_some_and(|q| {
        form_urlencoded::parse(q.as_bytes()).any(|(k, v)| k == "format" && v == "csv")
    }) || headers
        .text("accept")
        .is_some_and(|a| a.to_ascii_lowercase().contains("text/csv"));
    if csv_asked {
        return Reply::text(200, "text/csv; charset=utf-8", insights::csv(&counts)).with_header(
            "content-disposition",
            "attachment; filename=\"rsos-insights.csv\"",
        );
    }
    let report = insights::report(&counts, &weeks, ruleset);
    Reply::json(
        200,
        &Export {
            ruleset: ruleset.version(),
            weeks: &weeks,
            counts: &counts,
            report: &report,
        },
    )
}

/// The signed link to the insights page, for the digest of `date` (`[insights] link_days`);
/// `None` when the deployment does not sign links.
pub fn link_for(settings: &Settings) -> Option<String> {
    let base = settings.links_on()?;
    let days = i64::from(Ruleset::builtin().insights().link_days);
    let expires_at = i64::try_from(now_ms() / 1000).unwrap_or(0) + days * 86_400;
    let token = sign_link(
        &Link {
            tracking_id: String::new(),
            action: LinkAction::Insights,
            expires_at,
        },
        settings.link_secret.as_bytes(),
    );
    base.join(&format!("/api/insights/{token}"))
        .ok()
        .map(|u| u.to_string())
}

/// `GET /api/insights/{link}`: the insights page of the weeks shown.
pub fn page(settings: &Settings, request: &IncomingRequest, token: &str) -> Reply {
    if request.method() != Method::Get {
        return Reply::error(405, "Only GET is accepted here.").with_header("allow", "GET");
    }
    if settings.link_secret.is_empty() {
        return pages::sentence(404, "Not found", "There is nothing at this address.");
    }
    let now = i64::try_from(now_ms() / 1000).unwrap_or(0);
    match verify_link(token, settings.link_secret.as_bytes(), now) {
        Ok(link) if link.action == LinkAction::Insights => {}
        Ok(_) => return pages::sentence(403, "Not this link", "This link does not show insights."),
        Err(refused) => {
            return pages::sentence(
                refused.http_status(),
                "Link not valid",
                &refused.to_string(),
            )
        }
    }
    let kv = match guard::store() {
        Ok(kv) => kv,
        Err(reply) => return reply,
    };
    let weeks = weeks(None);
    let ruleset = Ruleset::builtin();
    match tally::read(&kv, &weeks, ruleset) {
        Ok(counts) => pages::insights(&insights::report(&counts, &weeks, ruleset)),
        Err(e) => {
            log_line!("rsos-edge: {e}");
            pages::sentence(
                503,
                "Coaching insights",
                "The service is temporarily unavailable; please try again.",
            )
        }
    }
}

/// The previous week's top coaching topics, when the digest at now carries them.
pub fn digest_topics(kv: &Kv) -> (Option<String>, Vec<String>) {
    let ruleset = Ruleset::builtin();
    let Some(week) = insights::coaching_week_due(now_utc(), ruleset) else {
        return (None, Vec::new());
    };
    let weeks = [week.clone()];
    match tally::read(kv, &weeks, ruleset) {
        Ok(counts) => {
            let report = insights::report(&counts, &weeks, ruleset);
            (Some(week), insights::top_topics(&report))
        }
        Err(e) => {
            log_line!("rsos-edge: insights not read for the digest: {e}");
            (Some(week), Vec::new())
        }
    }
}

/// How far back the purge keeps insights: counters `[insights] keep_weeks`, markers two weeks
/// (they only guard retries, which come within minutes; the week boundary needs the second).
pub fn retention() -> tally::Retention {
    let ruleset = Ruleset::builtin();
    let now = now_utc();
    let keep = i64::from(ruleset.insights().keep_weeks.saturating_sub(1));
    tally::Retention {
        counters_from: insights::week_of(now - Duration::weeks(keep), ruleset),
        markers_from: insights::week_of(now - Duration::weeks(1), ruleset),
    }
}
