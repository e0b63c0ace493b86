//! Key-value housekeeping (`POST /api/maintenance/purge`). Spin key-value has no expiry, so
//! delivered records past the retention, their claim counters and the counters of rate windows
//! that are over would pile up for ever. Each call does a bounded amount of work and says
//! whether there is more; the next call resumes after the last key it looked at.
//!
//! A record that was never delivered is never purged: it waits for its retry (and, once there
//! is one, the outbox), so nothing accepted is lost to housekeeping. A forwarded request is
//! kept while its ledger entry is not resolved, and for the retention after its resolution
//! (SPEC §9).

use crate::keys::{RecordKeys, CLAIM_PREFIX, RECORD_PREFIX, TRACKING_PREFIX};
use crate::limits;
use crate::record::Record;
use crate::store::{Store, StoreError};

/// Deletions per call (records and counters).
pub const DELETIONS: usize = 1000;
/// Record reads per call: with a long retention most are kept, and each read is a round trip.
pub const READS: usize = 5000;
/// Where a purge that stopped early resumes: the last key it looked at.
pub const CURSOR_KEY: &str = "purge/cursor";

/// What one call did.
#[derive(Debug, Default, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Purged {
    /// Delivered records deleted (with their claim counters).
    pub records: usize,
    /// Counters of rate windows that are over, deleted.
    pub counters: usize,
    /// Insights counters and markers past their retention, deleted (issue 12).
    pub insights: usize,
    /// Records past the retention that were never delivered, kept.
    pub undelivered: usize,
    /// Forwarded requests past the retention that are not resolved, kept (still tracked).
    pub unresolved: usize,
    /// More was due than one call does: call again.
    pub more: bool,
}

/// Deletes delivered records received before `cutoff_ms` (ms since the Unix epoch) with their
/// claim counters, spent rate counters at `now_ms`, and insights keys past `insights`' retention,
/// resuming where the previous call stopped.
/// Claim counters go first: while they go, the record still answers every retry with a replay;
/// once the record is gone, a retry under that key is a new request (the retention is the
/// idempotency window).
pub fn purge(
    store: &impl Store,
    cutoff_ms: i64,
    now_ms: u64,
    insights: &crate::tally::Retention,
) -> Result<Purged, StoreError> {
    let mut keys = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let page = store.keys(cursor.as_deref())?;
        keys.extend(page.keys);
        match page.cursor {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    keys.sort_unstable();
    let resume = store
        .get(CURSOR_KEY)?
        .and_then(|bytes| String::from_utf8(bytes).ok());
    let mut purged = Purged::default();
    let mut reads = 0;
    let mut deletions = 0;
    let start = resume
        .as_ref()
        .map_or(0, |after| keys.partition_point(|k| k <= after));
    for (i, key) in keys.iter().enumerate().skip(start) {
        if let Some(record_keys) = RecordKeys::of_record_key(key) {
            reads += 1;
            let record = store.get(key)?.as_deref().and_then(Record::decode);
            match record.as_ref().map(|r| fate(r, cutoff_ms)) {
                Some(Fate::Delete) => {
                    let claims = record_keys.claim_prefix();
                    let from = keys.partition_point(|k| *k < claims);
                    for claim in keys[from..].iter().take_while(|k| k.starts_with(&claims)) {
                        store.delete(claim)?;
                        deletions += 1;
                    }
                    if let Some(record) = record.as_ref().filter(|r| r.ledger.is_some()) {
                        store.delete(&RecordKeys::tracking(&record.tracking_id))?;
                        deletions += 1;
                    }
                    store.delete(key)?;
                    deletions += 1;
                    purged.records += 1;
                }
                Some(Fate::KeepUndelivered) => purged.undelivered += 1,
                Some(Fate::KeepUnresolved) => purged.unresolved += 1,
                // Within the retention, or a record this version cannot read (left for a
                // person to look at).
                Some(Fate::Keep) | None => {}
            }
        } else if limits::is_spent(key, now_ms / 1000) {
            store.delete(key)?;
            deletions += 1;
            purged.counters += 1;
        } else if insights.is_spent(key) {
            store.delete(key)?;
            deletions += 1;
            purged.insights += 1;
        }
        let spent = deletions >= DELETIONS || reads >= READS;
        if spent && i + 1 < keys.len() {
            store.set(CURSOR_KEY, key.as_bytes())?;
            purged.more = true;
            return Ok(purged);
        }
    }
    store.delete(CURSOR_KEY)?;
    Ok(purged)
}

/// What the purge does with one record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fate {
    /// Past the retention: delete it, its claim counters and its tracking pointer.
    Delete,
    /// Within the retention.
    Keep,
    /// Past the retention but never delivered: kept for its retry.
    KeepUndelivered,
    /// Past the retention but not resolved: still tracked.
    KeepUnresolved,
}

/// The fate of `record` when the retention began at `cutoff_ms`: it runs from receipt, or,
/// for a forwarded request, from its resolution (SPEC §9).
pub fn fate(record: &Record, cutoff_ms: i64) -> Fate {
    let since = match &record.ledger {
        None => Some(record.received_ms),
        Some(entry) => entry.resolved_ms,
    };
    let old = record.received_ms < cutoff_ms;
    match since {
        _ if !record.delivered => {
            if old {
                Fate::KeepUndelivered
            } else {
                Fate::Keep
            }
        }
        None if old => Fate::KeepUnresolved,
        Some(at) if at < cutoff_ms => Fate::Delete,
        _ => Fate::Keep,
    }
}

/// Whether `key` belongs to the delivery core (records, claims, counters, the purge cursor).
pub fn is_delivery_key(key: &str) -> bool {
    key.starts_with(RECORD_PREFIX)
        || key.starts_with(CLAIM_PREFIX)
        || key.starts_with(TRACKING_PREFIX)
        || key.starts_with(limits::COUNTER_PREFIX)
        || key == CURSOR_KEY
}
