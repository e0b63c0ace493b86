//! Key-value housekeeping. Spin key-value has no expiry, so idempotency records, the lock
//! register each claim leaves, and the counters of rate windows that are over would pile up
//! for ever. The operator's scheduler (a Kubernetes CronJob, cron with curl) calls
//! `POST /api/maintenance/purge` with the maintenance token; each call does a bounded amount
//! of work and says whether there is more.

use crate::intake;
use crate::limits;
use crate::store::{Kv, StoreError};

/// Records or counters deleted per call.
pub const BATCH: usize = 1000;
/// Records read per call: with a long retention most are kept, and each read is a round
/// trip to the store. (Listing the keys is one call; Spin key-value cannot page it.)
pub const READS: usize = 5000;

#[derive(Debug, Default, serde::Serialize)]
pub struct Purged {
    pub records: usize,
    pub counters: usize,
    /// More was due than one call deletes: call again.
    pub more: bool,
}

/// Where a purge that stopped early (`more`) resumes: the last key it looked at.
const CURSOR_KEY: &str = "purge/cursor";

/// Deletes records received before `cutoff_ms` (and not being worked on) and spent rate
/// counters, at most `BATCH` deletions and `READS` record reads a call, resuming where the
/// previous call stopped.
pub fn purge(kv: &Kv, cutoff_ms: i64, now_ms: u64) -> Result<Purged, StoreError> {
    let mut keys = kv.keys_with_prefix("")?;
    keys.sort_unstable();
    let resume = kv
        .get(CURSOR_KEY)?
        .and_then(|bytes| String::from_utf8(bytes).ok());
    let mut purged = Purged::default();
    let mut reads = 0;
    let mut due = keys
        .iter()
        .filter(|key| resume.as_ref().is_none_or(|after| *key > after))
        .peekable();
    while let Some(key) = due.next() {
        if key.starts_with("idem/") {
            reads += 1;
            if intake::purge_record(kv, key, cutoff_ms)? {
                purged.records += 1;
            }
        } else if limits::is_spent_counter(key, now_ms / 1000) {
            kv.delete(key)?;
            purged.counters += 1;
        }
        let spent = purged.records + purged.counters >= BATCH || reads >= READS;
        if spent && due.peek().is_some() {
            kv.set(CURSOR_KEY, key.as_bytes())?;
            purged.more = true;
            return Ok(purged);
        }
    }
    kv.delete(CURSOR_KEY)?;
    Ok(purged)
}
