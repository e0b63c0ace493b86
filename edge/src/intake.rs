//! `POST /api/requests` after the HTTP checks: parse, judge with `rsos-rules`, claim the
//! idempotency record, send what is not yet sent, remember the response.

use chrono::{DateTime, Utc};
use rsos_rules::{
    assess, emails, rfc3339, tracking_id, Assessment, BusinessClock, EmailKind, Outcome, Request,
    Ruleset, Stamp,
};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use sha2::{Digest, Sha256};

use crate::limits::{self, hex};
use crate::lock::{Lock, LockError};
use crate::mail;
use crate::platform::{now_ms, now_utc, random_u64, sleep_ms};
use crate::reply::Reply;
use crate::settings::Settings;
use crate::store::{Kv, StoreError};

/// What one idempotency key has done so far. Written only by the owner of a live lease (or
/// under the lock when there is none), read by everyone.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Record {
    /// SHA-256 of the request as parsed: the same request in another key order or spacing
    /// is the same request.
    fingerprint: String,
    tracking_id: String,
    received_ms: i64,
    /// Which emails the mail API has accepted; a retry sends only the others.
    sent: Vec<EmailKind>,
    owner: Option<String>,
    lease_until_ms: u64,
    response: Option<StoredReply>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct StoredReply {
    status: u16,
    body: String,
}

impl Record {
    fn leased(&self, now: u64) -> bool {
        self.owner.is_some() && self.lease_until_ms >= now
    }
}

/// For `purge`: deletes the idempotency record at `key` if it was received before
/// `cutoff_ms` and nobody holds it, with the lock register its claims left behind. Decided
/// under the key's lock, as a claim is, so a retry taking the record over in the same
/// moment is never cut off. A retry of that key afterwards is a new request: the retention
/// is the idempotency window.
pub fn purge_record(kv: &Kv, key: &str, cutoff_ms: i64) -> Result<bool, StoreError> {
    let Some(hash) = key.strip_prefix("idem/") else {
        return Ok(false);
    };
    let expired = |kv: &Kv| -> Result<bool, StoreError> {
        let Some(bytes) = kv.get(key)? else {
            return Ok(false);
        };
        // A record this version cannot read is left for a person to look at, never deleted.
        Ok(serde_json::from_slice::<Record>(&bytes)
            .is_ok_and(|record| record.received_ms < cutoff_ms && !record.leased(now_ms())))
    };
    if !expired(kv)? {
        return Ok(false);
    }
    let lock = Lock::new(kv, hash);
    let held = match lock.acquire(PURGE_LOCK_WAIT_MS) {
        Ok(held) => held,
        // Someone is working on this key right now: it is not expired in any useful sense.
        Err(LockError::Busy) => return Ok(false),
        Err(LockError::Store(e)) => return Err(e),
    };
    let deleted = expired(kv)? && kv.delete(key).is_ok();
    held.release()?;
    if deleted {
        // Only `x` is left after a release; deleting it sends a late contender down the slow
        // path, which is safe (`lock.rs`).
        kv.delete(&crate::lock::x_key(hash))?;
    }
    Ok(deleted)
}

/// How long the purge waits for a busy key's lock before leaving the key for next time.
const PURGE_LOCK_WAIT_MS: u64 = 50;

enum Claim {
    Owner(Record),
    Replay(StoredReply),
    Conflict,
    InProgress,
}

#[derive(Debug, thiserror::Error)]
enum IntakeError {
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<LockError> for IntakeError {
    fn from(e: LockError) -> Self {
        match e {
            LockError::Store(e) => IntakeError::Store(e),
            // Callers map Busy before converting; a stray one is a store that will not settle.
            LockError::Busy => IntakeError::Store(StoreError {
                operation: "settle a lock",
            }),
        }
    }
}

/// How long a second submission waits for the first with the same key before answering 409.
const WAIT_FOR_OWNER_MS: u64 = 25_000;
const RECHECK_MS: u64 = 5;

pub struct Submission<'a> {
    pub body: &'a [u8],
    pub idempotency_key: Option<String>,
    /// `Authorization: Bearer …`: the portal's signed statement of who is signed in.
    pub embed_token: Option<String>,
    /// The form's honeypot field, which people never see, came filled in.
    pub trap_filled: bool,
}

pub fn submit(settings: &Settings, kv: &Kv, submission: Submission<'_>) -> Reply {
    match run(settings, kv, submission) {
        Ok(reply) => reply,
        Err(IntakeError::Store(e)) => {
            log_line!("rsos-edge: storage failure: {e}");
            Reply::error(
                503,
                "The service could not record the request; nothing was sent, please try again.",
            )
            .with_header("retry-after", "5")
        }
    }
}

fn run(settings: &Settings, kv: &Kv, submission: Submission<'_>) -> Result<Reply, IntakeError> {
    let ruleset = Ruleset::builtin();
    let request = match Request::from_json(submission.body) {
        Ok(request) => request,
        Err(malformed) => return Ok(Reply::error(400, &malformed.to_string())),
    };
    let canonical = serde_json::to_vec(&request).unwrap_or_default();
    let fingerprint = hex(&Sha256::digest(&canonical));

    let received = now_utc();
    let fresh_tracking_id = tracking_id(received, random_u64());
    // Without a key the tracking ID becomes the key, and every reply names it, so even a
    // client that forgot the header can retry a 503 without sending anything twice.
    let key = submission
        .idempotency_key
        .unwrap_or_else(|| fresh_tracking_id.clone());
    let key_hash = hex(&Sha256::digest(key.as_bytes())[..16]);
    let record_key = format!("idem/{key_hash}");

    // Judged first, so an agent with a typo in the SAN gets the field error (422), and the
    // token is compared with the normalised SAN and email the rules settled on. The token
    // is checked before any stored answer is replayed: a key alone reveals nothing.
    let assessment = assess(&request, ruleset);
    if assessment.verdict.outcome == Outcome::NeedsChanges {
        // Nothing is sent and nothing is stored: the agent fixes the request and may reuse
        // the key for the corrected one.
        return Ok(needs_changes(&assessment));
    }

    if !settings.embed_token_secret.is_empty() {
        let token = submission.embed_token.as_deref().unwrap_or_default();
        let now_s = (now_ms() / 1000) as i64;
        let secret = settings.embed_token_secret.as_bytes();
        if let Err(refused) = rsos_embed_token::verify_for(
            token,
            secret,
            now_s,
            &assessment.request.agent_san,
            &assessment.request.agent_email,
        ) {
            return Ok(Reply::error(refused.http_status(), &refused.to_string()));
        }
    } else if submission.trap_filled {
        // A bot filled the field no person sees: it is told what it wants to hear, and
        // nothing is sent or stored.
        let decoy = tracking_id(now_utc(), random_u64());
        return Ok(Reply::json(
            202,
            &serde_json::json!({ "outcome": "forwarded", "tracking_id": decoy }),
        ));
    }

    let existing: Option<Record> = kv.get_json(&record_key)?;
    if let Some(record) = &existing {
        if record.fingerprint != fingerprint {
            return Ok(conflict());
        }
        if let Some(stored) = &record.response {
            return Ok(replay(stored, &key));
        }
    }

    if existing.is_none() {
        let limit = settings.rate_limit_per_san_per_hour;
        if let Err(limited) = limits::hit(kv, "san", &assessment.request.agent_san, limit)? {
            return Ok(too_many(limited.retry_after_s));
        }
        // Every new request mails its agent address: cap what one inbox can be sent.
        let recipient = assessment.request.agent_email.to_ascii_lowercase();
        let limit = settings.rate_limit_per_recipient_per_hour;
        if let Err(limited) = limits::hit(kv, "recipient", &recipient, limit)? {
            return Ok(too_many(limited.retry_after_s));
        }
    }

    // One email takes at most four outbound calls (Graph: sign in, send, 401, sign in again,
    // send), each bounded by the mail timeout; the lease is renewed before every email.
    let lease_ms = 4 * settings.mail_timeout_ms + 5_000;
    let fresh = Record {
        fingerprint,
        tracking_id: fresh_tracking_id,
        received_ms: received.timestamp_millis(),
        sent: Vec::new(),
        owner: None,
        lease_until_ms: 0,
        response: None,
    };
    let record = match claim(kv, &record_key, &key_hash, fresh, lease_ms)? {
        Claim::Owner(record) => record,
        Claim::Replay(stored) => return Ok(replay(&stored, &key)),
        Claim::Conflict => return Ok(conflict()),
        Claim::InProgress => {
            return Ok(Reply::error(
                409,
                "A request with this Idempotency-Key is still being processed; retry shortly.",
            )
            .with_header("retry-after", "2"))
        }
    };
    deliver(
        settings,
        kv,
        &record_key,
        record,
        &assessment,
        &key,
        lease_ms,
    )
}

/// Becomes the owner of the record (creating it, or taking over a failed or abandoned one),
/// or learns what another owner did. See `edge/IDEMPOTENCY.md`.
fn claim(
    kv: &Kv,
    record_key: &str,
    lock_name: &str,
    fresh: Record,
    lease_ms: u64,
) -> Result<Claim, IntakeError> {
    let deadline = now_ms() + WAIT_FOR_OWNER_MS;
    let me = format!("{:016x}", random_u64());
    loop {
        if now_ms() > deadline {
            return Ok(Claim::InProgress);
        }
        // Cheap look first: most waiters see the owner's lease or its stored reply here.
        if let Some(record) = kv.get_json::<Record>(record_key)? {
            if record.fingerprint != fresh.fingerprint {
                return Ok(Claim::Conflict);
            }
            if let Some(stored) = record.response {
                return Ok(Claim::Replay(stored));
            }
            if record.leased(now_ms()) {
                sleep_ms(RECHECK_MS);
                continue;
            }
        }
        let lock = Lock::new(kv, lock_name);
        let held = match lock.acquire(deadline.saturating_sub(now_ms())) {
            Ok(held) => held,
            Err(LockError::Busy) => return Ok(Claim::InProgress),
            Err(e) => return Err(e.into()),
        };
        let now = now_ms();
        let won = match kv.get_json::<Record>(record_key)? {
            None => {
                let mut record = fresh.clone();
                record.owner = Some(me.clone());
                record.lease_until_ms = now + lease_ms;
                kv.set_json(record_key, &record)?;
                Some(record)
            }
            Some(record)
                if record.fingerprint != fresh.fingerprint
                    || record.response.is_some()
                    || record.leased(now) =>
            {
                None
            }
            Some(mut record) => {
                record.owner = Some(me.clone());
                record.lease_until_ms = now + lease_ms;
                kv.set_json(record_key, &record)?;
                Some(record)
            }
        };
        held.release()?;
        if let Some(record) = won {
            return Ok(Claim::Owner(record));
        }
    }
}

fn deliver(
    settings: &Settings,
    kv: &Kv,
    record_key: &str,
    mut record: Record,
    assessment: &Assessment,
    key: &str,
    lease_ms: u64,
) -> Result<Reply, IntakeError> {
    let ruleset = Ruleset::builtin();
    let received = DateTime::<Utc>::from_timestamp_millis(record.received_ms).unwrap_or_default();
    let times = BusinessClock::new(ruleset).service_times(received, 1);
    let stamp = Stamp::new(record.tracking_id.clone(), &times);
    let to_send = emails(assessment, ruleset, &settings.mailbox_address, &stamp);

    for email in &to_send {
        if record.sent.contains(&email.kind) {
            continue;
        }
        // The owner's work stays inside its lease whatever the number of emails.
        record.lease_until_ms = now_ms() + lease_ms;
        kv.set_json(record_key, &record)?;
        match mail::send(settings, kv, email, &record.tracking_id) {
            Ok(()) => {
                record.sent.push(email.kind);
                kv.set_json(record_key, &record)?;
            }
            Err(error) => {
                log_line!(
                    "rsos-edge: {} {} not sent: {error}",
                    record.tracking_id,
                    mail::kind_name(email.kind)
                );
                record.owner = None;
                kv.set_json(record_key, &record)?;
                let sent: Vec<&str> = record.sent.iter().map(|k| mail::kind_name(*k)).collect();
                return Ok(Reply::json(
                    503,
                    &serde_json::json!({
                        "error": "The mail service did not accept the request. Nothing is lost: retry with the same Idempotency-Key and only what is missing will be sent.",
                        "tracking_id": record.tracking_id,
                        "idempotency_key": key,
                        "sent": sent,
                    }),
                )
                .with_header("retry-after", "10")
                .with_header("idempotency-key", key));
            }
        }
    }

    let verdict = &assessment.verdict;
    let verdict_json = RawValue::from_string(verdict.to_json()).ok();
    let reply = match verdict.outcome {
        Outcome::Forward => Reply::json(
            202,
            &Forwarded {
                outcome: "forwarded",
                tracking_id: &record.tracking_id,
                subject: verdict.subject.as_deref(),
                received_at: rfc3339(&times.received),
                respond_by: rfc3339(&times.respond_by),
                next_follow_up: times.follow_ups.first().map(rfc3339),
                urgent: verdict.urgent,
                call_center: verdict.call_center.as_deref(),
                verdict: verdict_json.as_deref(),
            },
        ),
        _ => {
            let scope = verdict.out_of_scope.as_ref();
            Reply::json(
                200,
                &OutOfScopeReply {
                    outcome: "out_of_scope",
                    tracking_id: &record.tracking_id,
                    category: scope.map(|s| s.category.as_str()),
                    contact: scope.and_then(|s| s.contact.as_deref()),
                    guidance: scope.map(|s| s.guidance.as_str()),
                    guidance_sent: record.sent.contains(&EmailKind::Guidance),
                    verdict: verdict_json.as_deref(),
                },
            )
        }
    };
    record.owner = None;
    record.response = Some(StoredReply {
        status: reply.status,
        body: reply.body.clone(),
    });
    kv.set_json(record_key, &record)?;
    log_line!(
        "rsos-edge: {} {} accepted",
        record.tracking_id,
        reply.status
    );
    Ok(reply.with_header("idempotency-key", key))
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
            outcome: "needs_changes",
            errors: &verdict.errors,
            warnings: &verdict.warnings,
            verdict: verdict_json.as_deref(),
        },
    )
}

fn replay(stored: &StoredReply, key: &str) -> Reply {
    Reply {
        status: stored.status,
        body: stored.body.clone(),
        headers: Vec::new(),
    }
    .with_header("idempotent-replayed", "true")
    .with_header("idempotency-key", key)
}

fn conflict() -> Reply {
    Reply::error(
        409,
        "This Idempotency-Key was already used for a different request; use a new key for a new request.",
    )
}

pub fn too_many(retry_after_s: u64) -> Reply {
    Reply::error(
        429,
        "Too many requests; please wait a little and try again.",
    )
    .with_header("retry-after", retry_after_s.max(1).to_string())
}
