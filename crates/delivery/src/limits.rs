//! Fixed-window rate limits as atomic counters: one `increment` per hit, exact under any
//! number of concurrent instances (the count never loses a hit). Keys hash their subject: it
//! may be an agent's SAN or address.

use sha2::{Digest, Sha256};

use crate::store::{Store, StoreError};

/// Prefix of every rate counter.
pub const COUNTER_PREFIX: &str = "count/";

/// A kind of limit and its window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Window {
    /// Part of the counter's key: `addr`, `san`, `recipient`.
    pub scope: &'static str,
    /// The window's length in seconds.
    pub seconds: u64,
}

/// Requests per client address per minute.
pub const PER_ADDRESS: Window = Window {
    scope: "addr",
    seconds: 60,
};
/// Requests per agent (the SAN a verified embed token names) per minute: with embed tokens
/// this replaces [`PER_ADDRESS`], so agents behind one office address do not share a limit.
pub const PER_AGENT: Window = Window {
    scope: "agent",
    seconds: 60,
};
/// Form events (`POST /api/events`) per address, or per agent with embed tokens, per minute.
pub const PER_EVENTS: Window = Window {
    scope: "events",
    seconds: 60,
};
/// New requests per agent SAN per hour.
pub const PER_SAN: Window = Window {
    scope: "san",
    seconds: 3600,
};
/// Emails to one recipient address per hour (no inbox can be flooded through the API).
pub const PER_RECIPIENT: Window = Window {
    scope: "recipient",
    seconds: 3600,
};

const WINDOWS: [Window; 5] = [PER_ADDRESS, PER_AGENT, PER_EVENTS, PER_SAN, PER_RECIPIENT];

/// One hit to count: the counter of the current window, and what to answer past the limit.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RateCheck {
    /// `count/<scope>/<24 hex of SHA-256(subject)>/<window number>`.
    pub key: String,
    /// Hits allowed per window.
    pub limit: u64,
    /// Seconds until the window ends.
    pub retry_after_s: u64,
}

impl RateCheck {
    /// The check of `subject` in `window` at `now_s` (seconds since the Unix epoch); `None` when
    /// `limit` is 0 (the limit is off).
    pub fn new(window: Window, subject: &str, limit: u64, now_s: u64) -> Option<RateCheck> {
        if limit == 0 {
            return None;
        }
        let number = now_s / window.seconds;
        let digest = Sha256::digest(subject.as_bytes());
        Some(RateCheck {
            key: format!(
                "{COUNTER_PREFIX}{}/{}/{number}",
                window.scope,
                hex::encode(&digest[..12])
            ),
            limit,
            retry_after_s: (number + 1) * window.seconds - now_s,
        })
    }

    /// Counts the hit: `Ok(false)` when it is over the limit.
    pub fn hit(&self, store: &impl Store) -> Result<bool, StoreError> {
        let count = store.increment(&self.key, 1)?;
        Ok(count <= i64::try_from(self.limit).unwrap_or(i64::MAX))
    }
}

/// Whether `key` is the counter of a window that is over at `now_s` (the purge deletes it).
/// Keys that are not counters, or of an unknown scope, are never spent.
pub fn is_spent(key: &str, now_s: u64) -> bool {
    let Some(rest) = key.strip_prefix(COUNTER_PREFIX) else {
        return false;
    };
    let mut parts = rest.split('/');
    let (Some(scope), Some(_subject), Some(number), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return false;
    };
    let Ok(number) = number.parse::<u64>() else {
        return false;
    };
    WINDOWS
        .iter()
        .find(|w| w.scope == scope)
        .is_some_and(|w| number < now_s / w.seconds)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::MemoryStore;

    #[test]
    fn a_limit_allows_its_number_of_hits_per_window() {
        let store = MemoryStore::default();
        let check = RateCheck::new(PER_SAN, "A1", 2, 7_200).unwrap();
        assert_eq!(check.retry_after_s, 3_600);
        assert_eq!(check.hit(&store), Ok(true));
        assert_eq!(check.hit(&store), Ok(true));
        assert_eq!(check.hit(&store), Ok(false));
        let next_window = RateCheck::new(PER_SAN, "A1", 2, 10_800).unwrap();
        assert_eq!(next_window.hit(&store), Ok(true));
    }

    #[test]
    fn a_zero_limit_is_off() {
        assert_eq!(RateCheck::new(PER_ADDRESS, "x", 0, 1), None);
    }

    #[test]
    fn counters_of_past_windows_are_spent() {
        let check = RateCheck::new(PER_ADDRESS, "127.0.0.1", 5, 120).unwrap();
        assert!(!is_spent(&check.key, 150));
        assert!(is_spent(&check.key, 180));
        assert!(!is_spent("count/other/x/1", 10_000));
        assert!(!is_spent("req/abc", 10_000));
    }
}
