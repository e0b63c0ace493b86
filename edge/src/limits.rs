//! Fixed-window rate limits kept as key-value counters. The read-increment-write is not
//! atomic, so a burst of truly simultaneous requests may slip a few over the limit; a limit
//! is a guard against floods and scripts, not an invariant (idempotency is the invariant).

use sha2::{Digest, Sha256};

use crate::platform::now_ms;
use crate::store::{Kv, StoreError};

/// Every counter's scope and window length, in one place: `hit` counts in these windows and
/// `purge` knows from them which windows are over.
const SCOPES: [(&str, u64); 3] = [("addr", 60), ("san", 3600), ("recipient", 3600)];

/// The window length of a scope; every scope `hit` is called with is listed in `SCOPES`.
fn window_of(scope: &str) -> u64 {
    SCOPES
        .iter()
        .find(|(name, _)| *name == scope)
        .map_or(3600, |(_, window)| *window)
}

/// Whether `key` is a counter of a window that is over (kept otherwise, and kept when it is
/// not a counter at all).
pub fn is_spent_counter(key: &str, now_s: u64) -> bool {
    let Some(rest) = key.strip_prefix("rate/") else {
        return false;
    };
    let mut parts = rest.split('/');
    let (Some(scope), Some(_subject), Some(window), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return false;
    };
    let Ok(window) = window.parse::<u64>() else {
        return false;
    };
    SCOPES.iter().any(|(name, _)| *name == scope) && window < now_s / window_of(scope)
}

/// How long the caller should wait, in seconds, when over a limit.
pub struct Limited {
    pub retry_after_s: u64,
}

/// Counts one hit on `subject` (hashed: it may be an agent's SAN or an address) within the
/// scope's window; `Err(Limited)` when over `limit`. A limit of 0 disables it.
pub fn hit(
    kv: &Kv,
    scope: &'static str,
    subject: &str,
    limit: u64,
) -> Result<Result<(), Limited>, StoreError> {
    if limit == 0 {
        return Ok(Ok(()));
    }
    let window_s = window_of(scope);
    let now_s = now_ms() / 1000;
    let window = now_s / window_s;
    let digest = Sha256::digest(subject.as_bytes());
    let subject = hex(&digest[..12]);
    let key = format!("rate/{scope}/{subject}/{window}");
    let count = kv
        .get(&key)?
        .and_then(|v| String::from_utf8(v).ok())
        .and_then(|v| v.parse::<u64>().ok())
        .unwrap_or(0);
    if count == 0 {
        // A new window: the previous one is no longer needed (Spin key-value has no expiry).
        kv.delete(&format!(
            "rate/{scope}/{subject}/{}",
            window.saturating_sub(1)
        ))?;
    }
    if count >= limit {
        return Ok(Err(Limited {
            retry_after_s: (window + 1) * window_s - now_s,
        }));
    }
    kv.set(&key, (count + 1).to_string().as_bytes())?;
    Ok(Ok(()))
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
