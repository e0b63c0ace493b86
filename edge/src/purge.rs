//! Key-value housekeeping. Spin key-value has no expiry, so idempotency records, the lock
//! register each claim leaves, and the counters of rate windows that are over would pile up
//! for ever. The operator's scheduler (a Kubernetes CronJob, cron with curl) calls
//! `POST /api/maintenance/purge` with the maintenance token; each call does a bounded amount
//! of work and says whether there is more.

use crate::intake;
use crate::limits;
use crate::store::{Kv, StoreError};

/// Deletions per call: one call stays well inside a request's time on any store.
pub const BATCH: usize = 1000;

#[derive(Debug, Default, serde::Serialize)]
pub struct Purged {
    pub records: usize,
    pub counters: usize,
    /// More was due than one call deletes: call again.
    pub more: bool,
}

/// Deletes records received before `cutoff_ms` (and not being worked on) and spent rate
/// counters, at most `BATCH` of them.
pub fn purge(kv: &Kv, cutoff_ms: i64, now_ms: u64) -> Result<Purged, StoreError> {
    let mut purged = Purged::default();
    for key in kv.keys_with_prefix("")? {
        if purged.records + purged.counters >= BATCH {
            purged.more = true;
            break;
        }
        if key.starts_with("idem/") {
            if intake::purge_record(kv, &key, cutoff_ms, now_ms)? {
                purged.records += 1;
            }
        } else if limits::is_spent_counter(&key, now_ms / 1000) {
            kv.delete(&key)?;
            purged.counters += 1;
        }
    }
    Ok(purged)
}
