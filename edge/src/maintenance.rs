//! The operator's endpoints (never for browsers: no CORS), with `Authorization: Bearer
//! <maintenance_token>`: `POST /api/maintenance/purge` (key-value housekeeping) and
//! `POST /api/maintenance/sweep` (issue 11: the outbox, agent updates, the daily digest),
//! both meant for a scheduler and both bounded per call.

use rsos_delivery::{
    housekeeping, run, Config, Delivery, Finish, Mailer, NewRequest, Record, RecordKeys, Store,
};
use rsos_rules::ledger::{digest_due, digest_email, Action, DigestCoaching, Entry};
use rsos_rules::Ruleset;
use spin_sdk::http::{IncomingRequest, Method};

use crate::headers::Headers;
use crate::mail::MailClient;
use crate::platform::{now_ms, now_utc, WasiClock};
use crate::reply::Reply;
use crate::settings::Settings;
use crate::store::Kv;

/// The store, after the method and the token are checked; or the answer that says why not.
fn checked(settings: &Settings, request: &IncomingRequest, headers: &Headers) -> Result<Kv, Reply> {
    if request.method() != Method::Post {
        return Err(Reply::error(405, "Only POST is accepted here.").with_header("allow", "POST"));
    }
    if !headers.bearer_is(&settings.maintenance_token) {
        return Err(Reply::error(
            401,
            "Send the maintenance token as a Bearer token.",
        ));
    }
    crate::guard::store()
}

/// Deletes what `rsos_delivery::housekeeping::purge` says is spent; one bounded batch a call.
pub fn purge(settings: &Settings, request: &IncomingRequest, headers: &Headers) -> Reply {
    let kv = match checked(settings, request, headers) {
        Ok(kv) => kv,
        Err(reply) => return reply,
    };
    let now = now_ms();
    let retention_ms = settings
        .idempotency_retention_hours
        .saturating_mul(3_600_000);
    let cutoff_ms = i64::try_from(now.saturating_sub(retention_ms)).unwrap_or(0);
    match housekeeping::purge(&kv, cutoff_ms, now, &crate::insights::retention()) {
        Ok(purged) => {
            log_line!(
                "rsos-edge: purge deleted {} records, {} counters and {} insights keys, kept {} undelivered (more: {})",
                purged.records,
                purged.counters,
                purged.insights,
                purged.undelivered,
                purged.more
            );
            Reply::json(200, &purged)
        }
        Err(e) => {
            log_line!("rsos-edge: purge stopped: {e}");
            crate::unavailable()
        }
    }
}

/// Records read per sweep call (a page; the next call resumes after it).
const SWEEP_READS: usize = 500;
/// Deliveries and updates per sweep call (each may take a few mail calls).
const SWEEP_SENDS: usize = 20;
/// Tracked records the digest reads at most.
const DIGEST_READS: usize = 5_000;
/// Where a sweep that stopped early resumes: the last record it looked at.
const SWEEP_CURSOR: &str = "sweep/cursor";

/// What one sweep call did.
#[derive(Debug, Default, serde::Serialize)]
struct Swept {
    /// Deliveries left half-way that it finished.
    finished: usize,
    /// Agent updates sent.
    updates: usize,
    /// Deliveries or updates that failed (the mail API); the next sweep tries again.
    failed: usize,
    /// `sent`, `nothing_due`, `done` (sent or found empty earlier today), `not_yet`.
    digest: &'static str,
    /// More was due than one call does: call again.
    more: bool,
}

/// `POST /api/maintenance/sweep`: for a page of request records, finish what a submission left
/// half-way (the outbox) and send the agent updates that are due; then, once per business day
/// at the digest time, the team's digest. Every email goes through the delivery core with a
/// deterministic id (`update:<k>`, `digest/<date>`), so repeated or concurrent sweeps never
/// send anything twice.
pub fn sweep(settings: &Settings, request: &IncomingRequest, headers: &Headers) -> Reply {
    let kv = match checked(settings, request, headers) {
        Ok(kv) => kv,
        Err(reply) => return reply,
    };
    match sweep_store(settings, &kv) {
        Ok(swept) => {
            log_line!(
                "rsos-edge: sweep finished {} deliveries, sent {} updates, {} failed, digest {} (more: {})",
                swept.finished,
                swept.updates,
                swept.failed,
                swept.digest,
                swept.more
            );
            Reply::json(200, &swept)
        }
        Err(e) => {
            log_line!("rsos-edge: sweep stopped: {e}");
            crate::unavailable()
        }
    }
}

fn sweep_store(settings: &Settings, kv: &Kv) -> Result<Swept, rsos_delivery::StoreError> {
    let ruleset = Ruleset::builtin();
    let now = now_utc();
    let mut records: Vec<String> = kv
        .keys(None)?
        .keys
        .into_iter()
        .filter(|k| RecordKeys::of_record_key(k).is_some())
        .collect();
    records.sort_unstable();
    let resume = kv
        .get(SWEEP_CURSOR)?
        .and_then(|bytes| String::from_utf8(bytes).ok());
    let start = resume
        .as_ref()
        .map_or(0, |after| records.partition_point(|k| k <= after));
    let mut swept = Swept::default();
    let mut sends = 0;
    let page = records.iter().skip(start).take(SWEEP_READS);
    let mut last = None;
    for key in page {
        last = Some(key.clone());
        let Some(keys) = RecordKeys::of_record_key(key) else {
            continue;
        };
        let Some(record) = kv.get(key)?.as_deref().and_then(Record::decode) else {
            continue;
        };
        let now_ms = u64::try_from(now.timestamp_millis()).unwrap_or(0);
        if !record.delivered && !record.leased(now_ms) {
            sends += 1;
            match finish(settings, kv, keys) {
                Finish::Delivered(_) => swept.finished += 1,
                Finish::MailFailed { .. } | Finish::StoreFailed { .. } => swept.failed += 1,
                _ => {}
            }
        } else if let Some(k) = record
            .ledger
            .as_ref()
            .and_then(|entry| entry.update_due(now, ruleset))
        {
            sends += 1;
            let action = Action::SendUpdate { k };
            match crate::ledger::apply(
                settings,
                kv,
                &record.tracking_id,
                &format!("update:{k}"),
                &action,
                None,
            ) {
                Finish::Delivered(_) => swept.updates += 1,
                Finish::MailFailed { .. } | Finish::StoreFailed { .. } => swept.failed += 1,
                _ => {}
            }
        }
        if sends >= SWEEP_SENDS {
            break;
        }
    }
    let reached_end = last
        .as_ref()
        .is_none_or(|last| records.last().is_some_and(|end| end == last));
    if reached_end {
        kv.delete(SWEEP_CURSOR)?;
    } else if let Some(last) = last {
        kv.set(SWEEP_CURSOR, last.as_bytes())?;
        swept.more = true;
    }
    swept.digest = digest(settings, kv, &records, ruleset)?;
    Ok(swept)
}

/// Finishes a delivery left half-way, not waiting for anyone at work on it.
fn finish(settings: &Settings, kv: &Kv, keys: RecordKeys) -> Finish {
    let mut mailer = MailClient::new(settings, kv);
    let config = Config {
        wait_ms: 0,
        ..Config::for_mail_timeout(settings.mail_timeout_ms, mailer.two_phase())
    };
    let mut delivery = Delivery::finish_pending(config, keys);
    run(&mut delivery, kv, &mut mailer, &WasiClock)
}

/// The team's digest of today, once: built from every tracked record when it is due and was
/// not sent (or found empty) yet, and delivered exactly once through its own record.
fn digest(
    settings: &Settings,
    kv: &Kv,
    records: &[String],
    ruleset: &Ruleset,
) -> Result<&'static str, rsos_delivery::StoreError> {
    let now = now_utc();
    let Some(date) = digest_due(now, ruleset) else {
        return Ok("not_yet");
    };
    let keys = RecordKeys::new("digest", &date.to_string());
    if kv
        .get(&keys.record())?
        .as_deref()
        .and_then(Record::decode)
        .is_some_and(|r| r.delivered)
    {
        return Ok("done");
    }
    let mut entries: Vec<Entry> = Vec::new();
    for key in records.iter().take(DIGEST_READS) {
        if let Some(entry) = kv
            .get(key)?
            .as_deref()
            .and_then(Record::decode)
            .and_then(|r| r.ledger)
        {
            entries.push(entry);
        }
    }
    let (week, topics) = crate::insights::digest_topics(kv);
    let coaching = DigestCoaching {
        link: crate::insights::link_for(settings),
        week,
        topics,
    };
    let email = digest_email(
        &entries,
        now,
        ruleset,
        &settings.mailbox_address,
        &|tracking| crate::ledger::links_for(settings, tracking),
        &coaching,
    );
    let sent = email.is_some();
    let mut mailer = MailClient::new(settings, kv);
    let config = Config {
        wait_ms: 0,
        ..Config::for_mail_timeout(settings.mail_timeout_ms, mailer.two_phase())
    };
    let fresh = NewRequest {
        tracking_id: format!("DIGEST-{date}"),
        received_ms: now.timestamp_millis(),
        emails: email.into_iter().collect(),
        ledger: None,
    };
    let mut delivery = Delivery::new(config, keys, format!("digest:{date}"), fresh, Vec::new());
    Ok(match run(&mut delivery, kv, &mut mailer, &WasiClock) {
        Finish::Delivered(_) if sent => "sent",
        Finish::Delivered(_) => "nothing_due",
        Finish::Replayed(_) => "done",
        _ => "failed",
    })
}
