//! The checks an API endpoint makes before its own work, each answered the same way wherever
//! it is made: a header that must mean one thing sent twice (400), the store out of reach
//! (503), the caller over a rate limit (429 with `Retry-After`), an Idempotency-Key that is not
//! one (400), and who the caller is by their embed token.

use rsos_delivery::limits::Window;
use rsos_delivery::RateCheck;
use rsos_embed_token::{Claims, TokenError};

use crate::headers::Headers;
use crate::platform::now_ms;
use crate::reply::Reply;
use crate::settings::Settings;
use crate::store::Kv;

/// A 400 naming a header that must mean one thing and came more than once.
pub fn repeated_header(headers: &Headers) -> Option<Reply> {
    headers.repeated().map(|name| {
        Reply::error(
            400,
            &format!("The {name} header was sent more than once; send it once."),
        )
    })
}

/// The component's key-value store, or the 503 that says a retry is safe (nothing was done).
pub fn store() -> Result<Kv, Reply> {
    Kv::open().map_err(|e| {
        log_line!("rsos-edge: {e}");
        crate::unavailable()
    })
}

/// The embed token's claims, when the deployment uses embed tokens and one was sent: `Ok` when
/// it verifies now, `Err` why not. `None` without tokens or without a token.
pub fn embed_claims(settings: &Settings, headers: &Headers) -> Option<Result<Claims, TokenError>> {
    let now_s = i64::try_from(now_ms() / 1000).unwrap_or(i64::MAX);
    headers
        .bearer()
        .filter(|_| !settings.embed_token_secret.is_empty())
        .map(|token| rsos_embed_token::verify(token, settings.embed_token_secret.as_bytes(), now_s))
}

/// Counts the caller against `per_minute` in a window: per agent (`agent`) when `claims` come
/// from a verified embed token — agents behind one office address or a portal's proxy do not
/// share it — otherwise per client address (`address`). `Some` answer (429, or 503 when the
/// store failed) when the request must stop here.
pub fn over_limit(
    settings: &Settings,
    headers: &Headers,
    kv: &Kv,
    claims: Option<&Claims>,
    (agent, address): (Window, Window),
    per_minute: u64,
) -> Option<Reply> {
    let now_s = now_ms() / 1000;
    let check = match claims {
        Some(claims) => RateCheck::new(agent, &claims.agent_san, per_minute, now_s),
        None => RateCheck::new(
            address,
            &headers.client_address(settings.trusted_proxy_hops),
            per_minute,
            now_s,
        ),
    }?;
    match check.hit(kv) {
        Ok(true) => None,
        Ok(false) => Some(too_many(check.retry_after_s)),
        Err(e) => {
            log_line!("rsos-edge: {e}");
            Some(crate::unavailable())
        }
    }
}

/// 429 with `Retry-After` (at least 1 s).
pub fn too_many(retry_after_s: u64) -> Reply {
    Reply::error(
        429,
        "Too many requests; please wait a little and try again.",
    )
    .with_header("retry-after", retry_after_s.max(1).to_string())
}

/// `Idempotency-Key` (SPEC §7), or the 400 when it is not 1 to 255 visible ASCII characters.
pub fn idempotency_key(headers: &Headers) -> Result<Option<String>, Reply> {
    headers.idempotency_key().map_err(|()| {
        Reply::error(
            400,
            "The Idempotency-Key header must be 1 to 255 visible ASCII characters.",
        )
    })
}
