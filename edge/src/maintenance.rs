//! The operator's endpoints (never for browsers: no CORS): `POST /api/maintenance/purge`,
//! with `Authorization: Bearer <maintenance_token>`.

use rsos_delivery::housekeeping;
use sha2::{Digest, Sha256};
use spin_sdk::http::{IncomingRequest, Method};
use subtle::ConstantTimeEq;

use crate::headers::Headers;
use crate::platform::now_ms;
use crate::reply::Reply;
use crate::settings::Settings;
use crate::store::Kv;

/// The maintenance token, compared as digests in constant time: the answer tells neither how
/// much of a guess was right nor how long the token is.
fn authorised(settings: &Settings, headers: &Headers) -> bool {
    let given = Sha256::digest(headers.bearer().unwrap_or_default().as_bytes());
    let expected = Sha256::digest(settings.maintenance_token.as_bytes());
    given.ct_eq(&expected).into()
}

/// Deletes what `rsos_delivery::housekeeping::purge` says is spent; one bounded batch a call.
pub fn purge(settings: &Settings, request: &IncomingRequest, headers: &Headers) -> Reply {
    if request.method() != Method::Post {
        return Reply::error(405, "Only POST is accepted here.").with_header("allow", "POST");
    }
    if !authorised(settings, headers) {
        return Reply::error(401, "Send the maintenance token as a Bearer token.");
    }
    let kv = match Kv::open() {
        Ok(kv) => kv,
        Err(e) => {
            log_line!("rsos-edge: {e}");
            return crate::unavailable();
        }
    };
    let now = now_ms();
    let retention_ms = settings
        .idempotency_retention_hours
        .saturating_mul(3_600_000);
    let cutoff_ms = i64::try_from(now.saturating_sub(retention_ms)).unwrap_or(0);
    match housekeeping::purge(&kv, cutoff_ms, now) {
        Ok(purged) => {
            log_line!(
                "rsos-edge: purge deleted {} records and {} counters, kept {} undelivered (more: {})",
                purged.records,
                purged.counters,
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
