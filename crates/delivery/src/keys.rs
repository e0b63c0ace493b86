//! Where a request's state lives in the key-value store. Keys hold hashes, never an agent's
//! SAN, address or idempotency key in clear.

use sha2::{Digest, Sha256};

/// Prefix of every idempotency record.
pub const RECORD_PREFIX: &str = "req/";
/// Prefix of every claim counter.
pub const CLAIM_PREFIX: &str = "claim/";
/// Prefix of the keys that find a record by its tracking ID: `track/<tracking ID>`, holding
/// the record's hash.
pub const TRACKING_PREFIX: &str = "track/";

/// The keys of one agent's idempotency key: its record and its claim counters.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RecordKeys {
    hash: String,
}

impl RecordKeys {
    /// The keys for `idempotency_key` as sent by the agent identified by `scope` (the SAN the
    /// embed token vouches for, or the request's normalised SAN). Keys are scoped to the agent
    /// the way Stripe scopes them to an account: one agent's key never meets another's, so a
    /// replay or a 409 tells nobody what someone else sent.
    pub fn new(scope: &str, idempotency_key: &str) -> RecordKeys {
        let mut hasher = Sha256::new();
        hasher.update(scope.as_bytes());
        // A separator no SAN contains, so ("A1", "2x") and ("A12", "x") differ.
        hasher.update(b"\n");
        hasher.update(idempotency_key.as_bytes());
        RecordKeys {
            hash: hex::encode(&hasher.finalize()[..16]),
        }
    }

    /// The keys of a record found under [`RECORD_PREFIX`] (by the purge); `None` for other keys.
    pub fn of_record_key(key: &str) -> Option<RecordKeys> {
        let hash = key.strip_prefix(RECORD_PREFIX)?;
        (hash.len() == 32 && hash.bytes().all(|b| b.is_ascii_hexdigit())).then(|| RecordKeys {
            hash: hash.to_owned(),
        })
    }

    /// The keys of the record whose hash a tracking pointer holds; `None` when it holds
    /// anything else.
    pub fn of_hash(hash: &[u8]) -> Option<RecordKeys> {
        let hash = std::str::from_utf8(hash).ok()?;
        RecordKeys::of_record_key(&format!("{RECORD_PREFIX}{hash}"))
    }

    /// The record's hash, as a tracking pointer holds it.
    pub fn hash(&self) -> &str {
        &self.hash
    }

    /// The key that finds a record by its tracking ID.
    pub fn tracking(tracking_id: &str) -> String {
        format!("{TRACKING_PREFIX}{tracking_id}")
    }

    /// The record: `req/<32 hex>`.
    pub fn record(&self) -> String {
        format!("{RECORD_PREFIX}{}", self.hash)
    }

    /// The counter of claim round `round` (from 1): `claim/<32 hex>/<round>`. The first
    /// contender to count 1 on it owns the round.
    pub fn claim(&self, round: u32) -> String {
        format!("{}{round}", self.claim_prefix())
    }

    /// Prefix of every claim counter of this record.
    pub fn claim_prefix(&self) -> String {
        format!("{CLAIM_PREFIX}{}/", self.hash)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_scoped_to_the_agent() {
        assert_ne!(
            RecordKeys::new("A1", "k").record(),
            RecordKeys::new("A2", "k").record()
        );
        assert_ne!(
            RecordKeys::new("A1", "2x").record(),
            RecordKeys::new("A12", "x").record()
        );
    }

    #[test]
    fn a_record_key_gives_back_its_keys() {
        let keys = RecordKeys::new("A1", "k");
        assert_eq!(
            RecordKeys::of_record_key(&keys.record()),
            Some(keys.clone())
        );
        assert!(keys.claim(2).starts_with(&keys.claim_prefix()));
        assert_eq!(RecordKeys::of_record_key("req/zz"), None);
        assert_eq!(RecordKeys::of_record_key("count/x"), None);
    }
}
