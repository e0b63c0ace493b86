//! Tracking IDs: `RSOS-<UTC date>-<8 Crockford base32 characters>`. The caller brings the
//! entropy (a random number, or a hash of the idempotency key), so this stays pure.

use chrono::{DateTime, Utc};

const CROCKFORD: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

pub fn tracking_id(received: DateTime<Utc>, entropy: u64) -> String {
    let mut id = format!("RSOS-{}-", received.format("%Y%m%d"));
    for i in (0..8).rev() {
        id.push(CROCKFORD[((entropy >> (i * 5)) & 31) as usize] as char);
    }
    id
}
