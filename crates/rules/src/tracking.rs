//! Tracking IDs: `RSOS-<UTC date>-<8 Crockford base32 characters>`. The caller brings the
//! entropy (a random number, or a hash of the idempotency key), so this stays pure.
//!
//! Output layer: depends on nothing else in the crate.

use chrono::{DateTime, Utc};

const CROCKFORD: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// The tracking ID of a request received at `received` (its UTC date) whose caller drew
/// `entropy`: only its low 40 bits are used. `RSOS-20261129-7F3K9QXA`.
pub fn tracking_id(received: DateTime<Utc>, entropy: u64) -> String {
    let mut id = format!("RSOS-{}-", received.format("%Y%m%d"));
    for i in (0..8).rev() {
        id.push(CROCKFORD[((entropy >> (i * 5)) & 31) as usize] as char);
    }
    id
}
