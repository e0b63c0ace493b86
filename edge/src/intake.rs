//! `POST /api/requests`: the HTTP checks (headers that mean one thing, rate limits, content
//! type and encoding, the body limit before parsing), then parse and judge with `rsos-rules`,
//! check the embed token, let the delivery core (`rsos-delivery`) claim, send and record, and
//! turn its outcome into the SPEC §7 reply.

use chrono::{DateTime, Utc};
use rsos_delivery::limits::{PER_ADDRESS, PER_AGENT, PER_RECIPIENT, PER_SAN};
use rsos_delivery::{
    run, Config, Delivery, Facts, Finish, Mailer, NewRequest, RateCheck, RecordKeys,
};
use rsos_rules::insights;
use rsos_rules::ledger::Entry;
use rsos_rules::{
    assess, dispatch, normalise, notice, rfc3339, tracking_id, Assessment, BusinessClock,
    EmailKind, Field, Outcome, Request, Ruleset,
};
use serde::Serialize;
use serde_json::value::RawValue;
use sha2::{Digest, Sha256};

use spin_sdk::http::IncomingRequest;

use crate::body::BodyError;
use crate::guard;
use crate::headers::Headers;
use crate::mail::MailClient;
use crate::platform::{now_ms, now_utc, random_u64, WasiClock};
use crate::reply::Reply;
use crate::settings::Settings;
use crate::store::Kv;

/// SPEC §7: larger bodies are refused before any parsing.
const BODY_LIMIT: usize = 64 * 1024;

/// `POST /api/requests`.
pub fn post(settings: &Settings, request: IncomingRequest, headers: &Headers) -> Reply {
    if let Some(refused) = guard::repeated_header(headers) {
        return refused;
    }
    let kv = match guard::store() {
        Ok(kv) => kv,
        Err(reply) => return reply,
    };
    // Who is asking: with embed tokens, a token that verifies names the agent.
    let agent = guard::embed_claims(settings, headers).and_then(Result::ok);
    if let Some(refused) = guard::over_limit(
        settings,
        headers,
        &kv,
        agent.as_ref(),
        (PER_AGENT, PER_ADDRESS),
        settings.rate_limit_per_address_per_minute,
    ) {
        return refused;
    }
    if !headers.is_identity_encoded() {
        return Reply::error(
            415,
            "Send the request uncompressed: no Content-Encoding (or identity).",
        );
    }
    if !headers.is_json() {
        return Reply::error(
            415,
            "Send the request as JSON with Content-Type: application/json.",
        );
    }
    let declared = headers
        .text("content-length")
        .and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|len| len > BODY_LIMIT as u64) {
        return too_large();
    }
    let idempotency_key = match guard::idempotency_key(headers) {
        Ok(key) => key,
        Err(reply) => return reply,
    };
    let body = match crate::body::read(&request, BODY_LIMIT) {
        Ok(body) => body,
        Err(BodyError::TooLarge) => return too_large(),
        Err(BodyError::Broken) => return Reply::error(400, "The request body could not be read."),
    };
    submit(
        settings,
        &kv,
        Submission {
            body: &body,
            idempotency_key,
            embed_token: headers.bearer().map(str::to_owned),
            trap_filled: headers
                .text("x-rsos-trap")
                .is_some_and(|v| !v.trim().is_empty()),
        },
    )
}

fn too_large() -> Reply {
    Reply::error(
        413,
        "The request is larger than 64 KiB; shorten the summary.",
    )
}

/// The request as it arrived, after the HTTP layer's checks.
pub struct Submission<'a> {
    pub body: &'a [u8],
    pub idempotency_key: Option<String>,
    /// `Authorization: Bearer …`: the portal's signed statement of who is signed in.
    pub embed_token: Option<String>,
    /// The form's honeypot field, which people never see, came filled in.
    pub trap_filled: bool,
}

fn submit(settings: &Settings, kv: &Kv, submission: Submission<'_>) -> Reply {
    let ruleset = Ruleset::builtin();
    let request = match Request::from_json(submission.body) {
        Ok(request) => request,
        Err(malformed) => return Reply::error(400, &malformed.to_string()),
    };
    // Judged first, so an agent with a typo in the SAN gets the field error (422), and the
    // token is compared with the normalised SAN and email the rules settled on. The token
    // is checked before any stored answer is replayed: a key alone reveals nothing.
    let assessment = assess(&request, ruleset);
    if assessment.verdict.outcome == Outcome::NeedsChanges {
        // Nothing is sent and nothing is stored but the insights counters: the agent fixes
        // the request and may reuse the key for the corrected one.
        count_returned(settings, kv, &submission, &request, &assessment);
        return needs_changes(&assessment);
    }
    let received = now_utc();
    if !settings.embed_token_secret.is_empty() {
        let token = submission.embed_token.as_deref().unwrap_or_default();
        let now_s = (now_ms() / 1000) as i64;
        let claims =
            match rsos_embed_token::verify(token, settings.embed_token_secret.as_bytes(), now_s) {
                Ok(claims) => claims,
                Err(refused) => return Reply::error(refused.http_status(), &refused.to_string()),
            };
        // The token's agent, normalised as the request's fields are (an internationalised
        // email domain becomes its ASCII form in both).
        let token_agent = rsos_embed_token::Claims {
            agent_san: normalise(Field::AgentSan, &claims.agent_san),
            agent_email: normalise(Field::AgentEmail, &claims.agent_email),
            ..claims
        };
        if !token_agent.names(
            &assessment.request.agent_san,
            &assessment.request.agent_email,
        ) {
            let refused = rsos_embed_token::TokenError::WrongAgent;
            return Reply::error(refused.http_status(), &refused.to_string());
        }
    } else if submission.trap_filled {
        // The field no person sees came filled in: a bot, or a browser's autofill. Nothing is
        // sent or stored, and nobody is told it was: the form clears the field and the agent
        // sends again.
        return Reply::json(
            400,
            &serde_json::json!({ "error": notice::trap_filled(), "trap": true }),
        );
    }

    let fresh_tracking_id = tracking_id(received, random_u64());
    // Without a key the tracking ID becomes the key, and every reply names it, so even a
    // client that forgot the header can retry a 503 without sending anything twice.
    let key = submission
        .idempotency_key
        .unwrap_or_else(|| fresh_tracking_id.clone());
    // Keys belong to the agent (the SAN the token vouched for, which is the request's).
    let keys = RecordKeys::new(&assessment.request.agent_san, &key);
    let canonical = serde_json::to_vec(&request).unwrap_or_default();
    let fingerprint = hex::encode(Sha256::digest(&canonical));

    // The links the emails carry name the tracking ID this attempt would create; a retry of
    // a request already received sends the emails its record holds (with their links).
    let links = crate::ledger::links_for(settings, &fresh_tracking_id);
    let fresh = NewRequest {
        emails: dispatch(
            &assessment,
            ruleset,
            &settings.mailbox_address,
            &fresh_tracking_id,
            received,
            &links,
        )
        .emails,
        ledger: Entry::open(&assessment, &fresh_tracking_id, received, ruleset),
        tracking_id: fresh_tracking_id,
        received_ms: received.timestamp_millis(),
    };
    let now_s = now_ms() / 1000;
    // Every new request mails its agent address: no inbox can be flooded through the API.
    let recipient = assessment.request.agent_email.to_ascii_lowercase();
    let limits = [
        RateCheck::new(
            PER_SAN,
            &assessment.request.agent_san,
            settings.rate_limit_per_san_per_hour,
            now_s,
        ),
        RateCheck::new(
            PER_RECIPIENT,
            &recipient,
            settings.rate_limit_per_recipient_per_hour,
            now_s,
        ),
    ]
    .into_iter()
    .flatten()
    .collect();

    let mut mailer = MailClient::new(settings, kv);
    let config = Config::for_mail_timeout(settings.mail_timeout_ms, mailer.two_phase());
    let mut delivery = Delivery::new(config, keys, fingerprint, fresh, limits);
    let finish = run(&mut delivery, kv, &mut mailer, &WasiClock);
    // A request the store holds counts once, in the week it was received, at the first
    // answer its record holds (every email out, or a 503 half-way); replays and retries
    // after it do not count.
    if let Finish::Delivered(facts) | Finish::MailFailed { facts, .. } = &finish {
        if facts.first_answer {
            let received =
                DateTime::<Utc>::from_timestamp_millis(facts.received_ms).unwrap_or(received);
            let tally = insights::recorded(&assessment, received, ruleset);
            crate::insights::count(kv, &tally);
        }
    }
    answer(settings, &assessment, finish, &key)
}

/// Counts a 422 for the insights, under the agent a valid embed token names (normalised), or
/// without embed tokens the request's SAN; with embed tokens and no valid token, nothing is
/// counted (anyone could send it).
fn count_returned(
    settings: &Settings,
    kv: &Kv,
    submission: &Submission<'_>,
    request: &Request,
    assessment: &Assessment,
) {
    let token_san = if settings.embed_token_secret.is_empty() {
        None
    } else {
        let token = submission.embed_token.as_deref().unwrap_or_default();
        let now_s = i64::try_from(now_ms() / 1000).unwrap_or(i64::MAX);
        match rsos_embed_token::verify(token, settings.embed_token_secret.as_bytes(), now_s) {
            Ok(claims) => Some(normalise(Field::AgentSan, &claims.agent_san)),
            Err(_) => return,
        }
    };
    let key = submission.idempotency_key.clone().unwrap_or_else(|| {
        let canonical = serde_json::to_vec(request).unwrap_or_default();
        hex::encode(&Sha256::digest(&canonical)[..16])
    });
    let tally = insights::returned(
        assessment,
        token_san.as_deref(),
        &key,
        now_utc(),
        Ruleset::builtin(),
    );
    crate::insights::count(kv, &tally);
}

/// The SPEC §7 reply for how the delivery ended.
fn answer(settings: &Settings, assessment: &Assessment, finish: Finish, key: &str) -> Reply {
    match finish {
        Finish::Delivered(facts) => {
            log_line!("rsos-edge: {} accepted", facts.tracking_id);
            delivered(settings, assessment, &facts).with_header("idempotency-key", key)
        }
        Finish::Replayed(facts) => delivered(settings, assessment, &facts)
            .with_header("idempotent-replayed", "true")
            .with_header("idempotency-key", key),
        // Only actions look requests up by tracking ID or get refused.
        Finish::NotFound | Finish::Refused { .. } => crate::unavailable(),
        Finish::Conflict => Reply::error(
            409,
            "This Idempotency-Key was already used for a different request; use a new key for a new request.",
        ),
        Finish::InProgress => Reply::error(
            409,
            "A request with this Idempotency-Key is still being processed; retry shortly.",
        )
        .with_header("retry-after", "2"),
        Finish::Limited { retry_after_s } => guard::too_many(retry_after_s),
        Finish::MailFailed { facts, failure } => {
            log_line!("rsos-edge: {} not delivered: {failure}", facts.tracking_id);
            // The mail API's own wait is passed on (bounded), so clients do not hammer a
            // throttled mailbox.
            let wait = failure
                .retry_after_s
                .map_or(DEFAULT_RETRY_AFTER_S, |s| s.clamp(1, MAX_RETRY_AFTER_S));
            let forwarded = forwarded(&facts);
            // With the sweep scheduled, its outbox finishes the delivery without the client.
            let finishing = !settings.maintenance_token.is_empty();
            let sentence = if finishing {
                notice::mail_unavailable_finishing(forwarded)
            } else {
                notice::mail_unavailable(forwarded)
            };
            unfinished(&sentence, &facts, key, wait, finishing)
        }
        Finish::StoreFailed { facts, error } => {
            log_line!("rsos-edge: storage failure: {error}");
            match facts {
                Some(facts) if !facts.accepted.is_empty() => {
                    let text = notice::not_recorded(forwarded(&facts));
                    unfinished(&text, &facts, key, 5, false)
                }
                _ => Reply::error(503, &notice::not_recorded(None)).with_header("retry-after", "5"),
            }
        }
        Finish::Unreadable => {
            log_line!("rsos-edge: an idempotency record could not be read");
            Reply::error(
                503,
                "The service could not read the state of this request; please try again later.",
            )
            .with_header("retry-after", "60")
        }
    }
}

/// `Retry-After` of a 503 when the mail API named no wait, and the longest wait passed on.
const DEFAULT_RETRY_AFTER_S: u64 = 10;
const MAX_RETRY_AFTER_S: u64 = 120;

/// The tracking ID, when the forward reached the mailbox.
fn forwarded(facts: &Facts) -> Option<&str> {
    facts
        .accepted
        .contains(&EmailKind::Forward)
        .then_some(facts.tracking_id.as_str())
}

/// The 503 of a request part of whose emails went out: what went, how to finish, and whether
/// the sweep's outbox finishes it without the client (`finishes_automatically`).
fn unfinished(sentence: &str, facts: &Facts, key: &str, wait_s: u64, finishing: bool) -> Reply {
    let sent: Vec<&str> = facts.accepted.iter().map(|k| k.as_str()).collect();
    Reply::json(
        503,
        &serde_json::json!({
            "error": sentence,
            "tracking_id": facts.tracking_id,
            "idempotency_key": key,
            "sent": sent,
            "forwarded": forwarded(facts).is_some(),
            "finishes_automatically": finishing,
        }),
    )
    .with_header("retry-after", wait_s.to_string())
    .with_header("idempotency-key", key)
}

/// The 202 or 200 of a delivered request, rebuilt from its facts and the (identical) request:
/// the same bytes for the first answer and every replay within one ruleset.
fn delivered(settings: &Settings, assessment: &Assessment, facts: &Facts) -> Reply {
    let verdict = &assessment.verdict;
    let verdict_json = RawValue::from_string(verdict.to_json()).ok();
    let received = DateTime::<Utc>::from_timestamp_millis(facts.received_ms).unwrap_or_default();
    let times = BusinessClock::new(Ruleset::builtin()).receipt_times(received);
    match verdict.outcome {
        Outcome::Forward => Reply::json(
            202,
            &Forwarded {
                outcome: Outcome::Forward.reply_name(),
                tracking_id: &facts.tracking_id,
                subject: verdict.subject.as_deref(),
                received_at: rfc3339(&times.received),
                respond_by: rfc3339(&times.respond_by),
                next_follow_up: times.follow_ups.first().map(rfc3339),
                urgent: verdict.urgent,
                call_center: verdict.call_center.as_deref(),
                status_url: crate::ledger::links_for(settings, &facts.tracking_id).status,
                verdict: verdict_json.as_deref(),
            },
        ),
        _ => {
            let scope = verdict.out_of_scope.as_ref();
            Reply::json(
                200,
                &OutOfScopeReply {
                    outcome: Outcome::OutOfScope.reply_name(),
                    tracking_id: &facts.tracking_id,
                    category: scope.map(|s| s.category.as_str()),
                    contact: scope.and_then(|s| s.contact.as_deref()),
                    guidance: scope.map(|s| s.guidance.as_str()),
                    guidance_sent: facts.accepted.contains(&EmailKind::Guidance),
                    verdict: verdict_json.as_deref(),
                },
            )
        }
    }
}

#[derive(Serialize)]
struct Forwarded<'a> {
    outcome: &'static str,
    tracking_id: &'a str,
    subject: Option<&'a str>,
    received_at: String,
    respond_by: String,
    next_follow_up: Option<String>,
    urgent: bool,
    call_center: Option<&'a str>,
    /// The agent's status page (signed), when the deployment signs links.
    #[serde(skip_serializing_if = "Option::is_none")]
    status_url: Option<String>,
    verdict: Option<&'a RawValue>,
}

#[derive(Serialize)]
struct OutOfScopeReply<'a> {
    outcome: &'static str,
    tracking_id: &'a str,
    category: Option<&'a str>,
    contact: Option<&'a str>,
    guidance: Option<&'a str>,
    guidance_sent: bool,
    verdict: Option<&'a RawValue>,
}

#[derive(Serialize)]
struct NeedsChanges<'a> {
    outcome: &'static str,
    errors: &'a [rsos_rules::FieldError],
    warnings: &'a [rsos_rules::Warning],
    verdict: Option<&'a RawValue>,
}

fn needs_changes(assessment: &Assessment) -> Reply {
    let verdict = &assessment.verdict;
    let verdict_json = RawValue::from_string(verdict.to_json()).ok();
    Reply::json(
        422,
        &NeedsChanges {
            outcome: Outcome::NeedsChanges.reply_name(),
            errors: &verdict.errors,
            warnings: &verdict.warnings,
            verdict: verdict_json.as_deref(),
        },
    )
}
