//! The RSOS intake HTTP API (SPEC §7) as a Spin component.
//!
//! `POST /api/requests` takes an agent's request, lets `rsos-rules` judge it, and — when it
//! is in scope and complete — sends the forward to the mailbox and the acknowledgement to the
//! agent through an HTTP mail API (Microsoft Graph or a JSON webhook), exactly once per
//! `Idempotency-Key`. Out-of-scope requests get the guidance reply; incomplete ones a 422
//! with the rules' own messages.
//!
//! Architecture invariant: this crate decides nothing about a request. Validation, subject,
//! scope, urgency, service times, tracking IDs, email texts and the verdict JSON all come from
//! `rsos-rules`; this crate owns HTTP, key-value state and mail transport only.
//!
//! Built for `wasm32-wasip2` with `spin-sdk` 5.2 (exports `wasi:http/incoming-handler@0.2.0`);
//! runs under `spin up` with `edge/spin.toml`, or under `rsos-edge-host` for tests and local use.

use rsos_delivery::limits::PER_ADDRESS;
use rsos_delivery::RateCheck;
use sha2::{Digest, Sha256};
use spin_sdk::http::{IncomingRequest, Method, Response};
use spin_sdk::http_component;
use subtle::ConstantTimeEq;

/// One log line, written with a single write: the lines of concurrent instances then never
/// interleave mid-line (WASI stderr turns each `eprintln!` fragment into its own write).
macro_rules! log_line {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let line = format!("{}\n", format_args!($($arg)*));
        let _ = std::io::stderr().write_all(line.as_bytes());
    }};
}

mod intake;
mod mail;
mod outbound;
mod platform;
mod reply;
mod settings;
mod store;

use reply::Reply;
use settings::Settings;
use store::Kv;

/// SPEC §7: larger bodies are refused before any parsing.
const BODY_LIMIT: usize = 64 * 1024;
const ENDPOINT: &str = "/api/requests";
const PURGE: &str = "/api/maintenance/purge";

#[http_component]
fn handle(request: IncomingRequest) -> Response {
    let origin = header(&request, "origin");
    let path = request.path_with_query().unwrap_or_default();
    // The maintenance endpoint is for the operator's scheduler, never for a browser page.
    let browser_api = path
        .split('?')
        .next()
        .unwrap_or_default()
        .trim_end_matches('/')
        != PURGE;
    let settings = Settings::load();
    let reply = match &settings {
        Ok(settings) => route(settings, request, origin.as_deref()),
        Err(e) => {
            log_line!("rsos-edge: configuration error: {e}");
            Reply::error(
                500,
                "The service is not configured correctly; please try again later.",
            )
        }
    };
    let cors = match (&settings, origin) {
        (Ok(settings), Some(origin)) if browser_api && settings.allows_origin(&origin) => {
            Some(origin)
        }
        _ => None,
    };
    into_response(reply, cors)
}

fn route(settings: &Settings, request: IncomingRequest, origin: Option<&str>) -> Reply {
    let path = request.path_with_query().unwrap_or_default();
    let path = path.split('?').next().unwrap_or_default();
    if path.trim_end_matches('/') == PURGE && !settings.maintenance_token.is_empty() {
        return maintenance(settings, &request);
    }
    if path.trim_end_matches('/') != ENDPOINT {
        return Reply::error(404, "There is nothing at this address.");
    }
    match request.method() {
        Method::Post => post(settings, request),
        Method::Options => match origin {
            Some(origin) if settings.allows_origin(origin) => Reply::empty(204)
                .with_header("access-control-allow-methods", "POST, OPTIONS")
                .with_header(
                    "access-control-allow-headers",
                    "content-type, idempotency-key, authorization, x-rsos-trap",
                )
                .with_header("access-control-max-age", "600"),
            _ => Reply::error(403, "This origin may not call the API."),
        },
        _ => Reply::error(405, "Only POST is accepted here.").with_header("allow", "POST, OPTIONS"),
    }
}

/// `POST /api/maintenance/purge` for the operator's scheduler (never for browsers: no CORS).
fn maintenance(settings: &Settings, request: &IncomingRequest) -> Reply {
    if request.method() != Method::Post {
        return Reply::error(405, "Only POST is accepted here.").with_header("allow", "POST");
    }
    let token = header(request, "authorization").and_then(|v| bearer_token(&v));
    // Digests compared in constant time: the answer tells neither how much of a guess was
    // right nor how long the token is.
    let given = Sha256::digest(token.as_deref().unwrap_or_default().as_bytes());
    let expected = Sha256::digest(settings.maintenance_token.as_bytes());
    if !bool::from(given.ct_eq(&expected)) {
        return Reply::error(401, "Send the maintenance token as a Bearer token.");
    }
    let kv = match Kv::open() {
        Ok(kv) => kv,
        Err(e) => {
            log_line!("rsos-edge: {e}");
            return unavailable();
        }
    };
    let now = platform::now_ms();
    let retention_ms = settings
        .idempotency_retention_hours
        .saturating_mul(3_600_000);
    let cutoff_ms = i64::try_from(now.saturating_sub(retention_ms)).unwrap_or(0);
    match rsos_delivery::housekeeping::purge(&kv, cutoff_ms, now) {
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
            unavailable()
        }
    }
}

/// The store could not be reached: nothing was recorded or sent, so a retry is safe.
fn unavailable() -> Reply {
    Reply::error(
        503,
        "The service is temporarily unavailable; please try again.",
    )
    .with_header("retry-after", "5")
}

fn post(settings: &Settings, request: IncomingRequest) -> Reply {
    let kv = match Kv::open() {
        Ok(kv) => kv,
        Err(e) => {
            log_line!("rsos-edge: {e}");
            return unavailable();
        }
    };
    let client_address = spin_header(&request, "spin-client-addr")
        .map(|addr| strip_port(&addr).to_owned())
        .unwrap_or_else(|| "unknown".to_owned());
    let per_minute = settings.rate_limit_per_address_per_minute;
    let now_s = platform::now_ms() / 1000;
    if let Some(check) = RateCheck::new(PER_ADDRESS, &client_address, per_minute, now_s) {
        match check.hit(&kv) {
            Ok(true) => {}
            Ok(false) => return intake::too_many(check.retry_after_s),
            Err(e) => {
                log_line!("rsos-edge: {e}");
                return unavailable();
            }
        }
    }

    if !is_json(header(&request, "content-type").as_deref()) {
        return Reply::error(
            415,
            "Send the request as JSON with Content-Type: application/json.",
        );
    }
    let declared = header(&request, "content-length").and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|len| len > BODY_LIMIT as u64) {
        return too_large();
    }
    let idempotency_key = match header_bytes(&request, "idempotency-key") {
        None => None,
        Some(key) if is_valid_key(&key) => Some(String::from_utf8_lossy(&key).into_owned()),
        Some(_) => {
            return Reply::error(
                400,
                "The Idempotency-Key header must be 1 to 255 visible ASCII characters.",
            )
        }
    };
    let body = match read_body(&request) {
        Ok(body) => body,
        Err(BodyError::TooLarge) => return too_large(),
        Err(BodyError::Broken) => return Reply::error(400, "The request body could not be read."),
    };
    intake::submit(
        settings,
        &kv,
        intake::Submission {
            body: &body,
            idempotency_key,
            embed_token: header(&request, "authorization").and_then(|v| bearer_token(&v)),
            trap_filled: header(&request, "x-rsos-trap").is_some_and(|v| !v.trim().is_empty()),
        },
    )
}

fn too_large() -> Reply {
    Reply::error(
        413,
        "The request is larger than 64 KiB; shorten the summary.",
    )
}

enum BodyError {
    TooLarge,
    Broken,
}

/// Reads at most `BODY_LIMIT` bytes; the rest is never pulled from the client.
fn read_body(request: &IncomingRequest) -> Result<Vec<u8>, BodyError> {
    use wasi::io::streams::StreamError;
    let incoming = request.consume().map_err(|_| BodyError::Broken)?;
    let mut body = Vec::new();
    {
        let stream = incoming.stream().map_err(|_| BodyError::Broken)?;
        loop {
            match stream.blocking_read(16 * 1024) {
                Ok(chunk) => {
                    if body.len() + chunk.len() > BODY_LIMIT {
                        return Err(BodyError::TooLarge);
                    }
                    body.extend_from_slice(&chunk);
                }
                Err(StreamError::Closed) => break,
                Err(_) => return Err(BodyError::Broken),
            }
        }
    }
    Ok(body)
}

fn is_json(content_type: Option<&str>) -> bool {
    let Some(value) = content_type else {
        return false;
    };
    let mut parts = value.split(';');
    let essence = parts.next().unwrap_or_default().trim();
    if !essence.eq_ignore_ascii_case("application/json") {
        return false;
    }
    // JSON is UTF-8 (RFC 8259); a declared other charset is a different body format.
    parts.all(|param| match param.split_once('=') {
        Some((name, value)) if name.trim().eq_ignore_ascii_case("charset") => {
            value.trim().trim_matches('"').eq_ignore_ascii_case("utf-8")
        }
        _ => true,
    })
}

fn is_valid_key(key: &[u8]) -> bool {
    (1..=255).contains(&key.len()) && key.iter().all(|b| (0x21..=0x7e).contains(b))
}

fn strip_port(address: &str) -> &str {
    if let Some(rest) = address.strip_prefix('[') {
        return rest.split(']').next().unwrap_or(rest);
    }
    match address.rsplit_once(':') {
        Some((host, _)) if !host.contains(':') => host,
        _ => address,
    }
}

fn header_bytes(request: &IncomingRequest, name: &str) -> Option<Vec<u8>> {
    request
        .headers()
        .entries()
        .into_iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v)
}

/// A header Spin sets itself. Spin keeps every header the client sent and then appends its
/// own (`spin-client-addr`, `spin-full-url`, …; Spin 4's `trigger-http` `headers.rs`), so the
/// value Spin set is the last one: an earlier one was made up by the client.
fn spin_header(request: &IncomingRequest, name: &str) -> Option<String> {
    request
        .headers()
        .entries()
        .into_iter()
        .rev()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .and_then(|(_, v)| String::from_utf8(v).ok())
}

/// The token of an `Authorization: Bearer …` header (the scheme is case-insensitive).
fn bearer_token(value: &str) -> Option<String> {
    let (scheme, token) = value.trim().split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim().to_owned())
}

fn header(request: &IncomingRequest, name: &str) -> Option<String> {
    header_bytes(request, name).and_then(|v| String::from_utf8(v).ok())
}

fn into_response(reply: Reply, cors_origin: Option<String>) -> Response {
    let mut builder = Response::builder();
    builder.status(reply.status);
    if !reply.body.is_empty() {
        builder.header("content-type", "application/json");
    }
    builder.header("cache-control", "no-store");
    // JSON only: nothing here may be sniffed as a page, framed, or leak the URL onwards.
    builder.header("x-content-type-options", "nosniff");
    builder.header("referrer-policy", "no-referrer");
    builder.header(
        "content-security-policy",
        "default-src 'none'; frame-ancestors 'none'; base-uri 'none'",
    );
    for (name, value) in &reply.headers {
        builder.header(*name, value.as_str());
    }
    if let Some(origin) = cors_origin {
        builder.header("access-control-allow-origin", origin);
        builder.header("vary", "Origin");
        builder.header(
            "access-control-expose-headers",
            "retry-after, idempotency-key, idempotent-replayed",
        );
    }
    builder.body(reply.body.into_bytes());
    builder.build()
}
