//! Sends the emails `rsos-rules` wrote through an HTTP mail API: Microsoft Graph `sendMail`
//! or a generic JSON webhook. Nothing here decides what an email says or who gets it.
//!
//! Graph takes a bearer token: either the `mail_api_token` variable as is, or (better) an app
//! registration's client credentials, with which the component signs in and keeps the
//! hour-long token in key-value until five minutes before it expires; a 401 from Graph gets
//! one fresh token and one more try.
//!
//! Outbound calls go straight to `wasi:http/outgoing-handler` rather than `spin_sdk::http::send`
//! because only the raw interface takes request options (connect and first-byte timeouts), and
//! an overall deadline is enforced here as well so a host that ignores the options cannot hang
//! the request.

use rsos_rules::{Email, EmailKind};
use serde_json::json;
use spin_sdk::wit::wasi::http0_2_0::{outgoing_handler, types as http};
use wasi::clocks::monotonic_clock;

use crate::platform::now_ms;
use crate::settings::{GraphApp, MailApi, Settings};
use crate::store::Kv;

/// Why an email was not accepted. Never carries a recipient or any text of the email.
#[derive(Debug, thiserror::Error)]
pub enum MailError {
    #[error("the mail API address is not a valid http(s) URL")]
    BadUrl,
    #[error("the mail API could not be reached ({0})")]
    Unreachable(String),
    #[error("the mail API did not answer in time")]
    Timeout,
    #[error("the mail API refused the email with status {0}")]
    Refused(u16),
    #[error("the sign-in service refused the mail app's credentials with status {0}")]
    SignInRefused(u16),
    #[error("the sign-in service answered without a usable token")]
    SignInUnreadable,
}

/// Where the Graph token is cached, shared by every instance: one key per set of
/// credentials, so a changed app, tenant or API never reuses the old app's token.
fn token_key(settings: &Settings, app: &GraphApp) -> String {
    use sha2::{Digest, Sha256};
    let credentials = [
        app.login_url.as_str(),
        app.tenant_id.as_str(),
        app.client_id.as_str(),
        settings.mail_base_url.as_str(),
    ]
    .join("\n");
    let digest = Sha256::digest(credentials.as_bytes());
    format!("graph-token/{}", crate::limits::hex(&digest[..12]))
}
/// A cached token is renewed this long before it expires, so no email leaves with a token
/// that dies in flight.
const TOKEN_MARGIN_MS: u64 = 5 * 60 * 1000;

#[derive(serde::Serialize, serde::Deserialize)]
struct CachedToken {
    access_token: String,
    expires_at_ms: u64,
}

/// The custom header that carries the tracking ID, so the mailbox team can search for it.
pub const TRACKING_HEADER: &str = "X-RSOS-Tracking-ID";

pub fn kind_name(kind: EmailKind) -> &'static str {
    match kind {
        EmailKind::Forward => "forward",
        EmailKind::Acknowledgement => "acknowledgement",
        EmailKind::Guidance => "guidance",
    }
}

pub fn send(
    settings: &Settings,
    kv: &Kv,
    email: &Email,
    tracking_id: &str,
) -> Result<(), MailError> {
    let idempotency = format!("{tracking_id}-{}", kind_name(email.kind));
    match settings.mail_api {
        MailApi::Webhook => {
            let body = json!({
                "to": email.to,
                "from": settings.sender_address,
                "reply_to": email.reply_to,
                "subject": email.subject,
                "text": email.text,
                "headers": {
                    TRACKING_HEADER: tracking_id,
                    "X-RSOS-Kind": kind_name(email.kind),
                },
            });
            let url = join(&settings.mail_base_url, &settings.mail_webhook_path);
            let token = Some(settings.mail_api_token.as_str()).filter(|t| !t.is_empty());
            post_json(settings, &url, &body, &idempotency, token)
        }
        MailApi::Graph => {
            let mut message = json!({
                "subject": email.subject,
                "body": { "contentType": "Text", "content": email.text },
                "toRecipients": [ { "emailAddress": { "address": email.to } } ],
                "internetMessageHeaders": [
                    { "name": TRACKING_HEADER, "value": tracking_id },
                ],
            });
            if let Some(reply_to) = &email.reply_to {
                message["replyTo"] = json!([ { "emailAddress": { "address": reply_to } } ]);
            }
            let body = json!({ "message": message, "saveToSentItems": true });
            let path = format!(
                "/v1.0/users/{}/sendMail",
                percent_encode_segment(&settings.sender_address)
            );
            let url = join(&settings.mail_base_url, &path);
            let Some(app) = &settings.graph_app else {
                let token = Some(settings.mail_api_token.as_str()).filter(|t| !t.is_empty());
                return post_json(settings, &url, &body, &idempotency, token);
            };
            let token = graph_token(settings, app, kv, false)?;
            match post_json(settings, &url, &body, &idempotency, Some(&token)) {
                // Revoked, or expired early: one fresh token, one more try.
                Err(MailError::Refused(401)) => {
                    let token = graph_token(settings, app, kv, true)?;
                    post_json(settings, &url, &body, &idempotency, Some(&token))
                }
                other => other,
            }
        }
    }
}

/// A Graph token for the app: the cached one while it has more than a few minutes left,
/// else a new one from the sign-in service (OAuth 2.0 client credentials grant).
fn graph_token(
    settings: &Settings,
    app: &GraphApp,
    kv: &Kv,
    renew: bool,
) -> Result<String, MailError> {
    let now = now_ms();
    if !renew {
        if let Ok(Some(cached)) = kv.get_json::<CachedToken>(&token_key(settings, app)) {
            if cached.expires_at_ms > now.saturating_add(TOKEN_MARGIN_MS) {
                return Ok(cached.access_token);
            }
        }
    }
    let url = format!(
        "{}/{}/oauth2/v2.0/token",
        app.login_url.trim_end_matches('/'),
        percent_encode_segment(&app.tenant_id)
    );
    // The scope names the mail API itself, so national clouds (graph.microsoft.us) work.
    let scope = format!("{}/.default", settings.mail_base_url.trim_end_matches('/'));
    let form = [
        ("client_id", app.client_id.as_str()),
        ("client_secret", app.client_secret.as_str()),
        ("scope", scope.as_str()),
        ("grant_type", "client_credentials"),
    ]
    .iter()
    .map(|(name, value)| format!("{name}={}", form_encode(value)))
    .collect::<Vec<_>>()
    .join("&");
    let answer = post(
        settings,
        &url,
        "application/x-www-form-urlencoded",
        form.as_bytes(),
        &[],
        ReadBody::Yes,
    )?;
    if !(200..300).contains(&answer.status) {
        return Err(MailError::SignInRefused(answer.status));
    }
    #[derive(serde::Deserialize)]
    struct TokenReply {
        access_token: String,
        expires_in: u64,
    }
    let reply: TokenReply =
        serde_json::from_slice(&answer.body).map_err(|_| MailError::SignInUnreadable)?;
    if reply.access_token.is_empty() {
        return Err(MailError::SignInUnreadable);
    }
    let cached = CachedToken {
        access_token: reply.access_token,
        expires_at_ms: now.saturating_add(reply.expires_in.saturating_mul(1000)),
    };
    // Only a cache: if it cannot be written, the next email signs in again.
    let _ = kv.set_json(&token_key(settings, app), &cached);
    Ok(cached.access_token)
}

fn join(base: &str, path: &str) -> String {
    let base = base.trim_end_matches('/');
    if path.starts_with('/') {
        format!("{base}{path}")
    } else {
        format!("{base}/{path}")
    }
}

/// A path segment may carry `@` and unreserved characters; everything else is escaped so an
/// odd sender address cannot change the path.
fn percent_encode_segment(segment: &str) -> String {
    percent_encode(segment, b"-._~@")
}

/// `application/x-www-form-urlencoded` escaping of one value.
fn form_encode(value: &str) -> String {
    percent_encode(value, b"-._~")
}

/// Letters, digits and `keep` as they are; every other byte as `%XX`.
fn percent_encode(text: &str, keep: &[u8]) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || keep.contains(&byte) {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

struct Target {
    scheme: http::Scheme,
    authority: String,
    path: String,
}

fn parse_url(url: &str) -> Result<Target, MailError> {
    let (scheme, rest) = if let Some(rest) = url.strip_prefix("https://") {
        (http::Scheme::Https, rest)
    } else if let Some(rest) = url.strip_prefix("http://") {
        (http::Scheme::Http, rest)
    } else {
        return Err(MailError::BadUrl);
    };
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    if authority.is_empty() {
        return Err(MailError::BadUrl);
    }
    Ok(Target {
        scheme,
        authority: authority.to_owned(),
        path: path.to_owned(),
    })
}

fn post_json(
    settings: &Settings,
    url: &str,
    body: &serde_json::Value,
    idempotency_key: &str,
    bearer: Option<&str>,
) -> Result<(), MailError> {
    let payload = serde_json::to_vec(body).map_err(|_| MailError::BadUrl)?;
    let mut headers: Vec<(String, Vec<u8>)> = vec![(
        "idempotency-key".into(),
        idempotency_key.as_bytes().to_vec(),
    )];
    if let Some(token) = bearer {
        headers.push((
            "authorization".into(),
            format!("Bearer {token}").into_bytes(),
        ));
    }
    // The status is the whole answer: once the API said 2xx, nothing may turn it into a
    // failure (a retry would send the email again).
    let answer = post(
        settings,
        url,
        "application/json",
        &payload,
        &headers,
        ReadBody::No,
    )?;
    if (200..300).contains(&answer.status) {
        Ok(())
    } else {
        Err(MailError::Refused(answer.status))
    }
}

struct Answer {
    status: u16,
    /// At most `MAX_ANSWER_BYTES`; empty unless asked for.
    body: Vec<u8>,
}

#[derive(PartialEq)]
enum ReadBody {
    Yes,
    No,
}

const MAX_ANSWER_BYTES: usize = 64 * 1024;

fn post(
    settings: &Settings,
    url: &str,
    content_type: &str,
    payload: &[u8],
    extra_headers: &[(String, Vec<u8>)],
    read: ReadBody,
) -> Result<Answer, MailError> {
    let target = parse_url(url)?;
    let mut headers: Vec<(String, Vec<u8>)> =
        vec![("content-type".into(), content_type.as_bytes().to_vec())];
    headers.extend_from_slice(extra_headers);
    let fields = http::Fields::from_list(&headers)
        .map_err(|_| MailError::Unreachable("invalid header".into()))?;
    let request = http::OutgoingRequest::new(fields);
    let invalid = |_| MailError::BadUrl;
    request.set_method(&http::Method::Post).map_err(invalid)?;
    request.set_scheme(Some(&target.scheme)).map_err(invalid)?;
    request
        .set_authority(Some(&target.authority))
        .map_err(invalid)?;
    request
        .set_path_with_query(Some(&target.path))
        .map_err(invalid)?;

    let timeout_ns = settings.mail_timeout_ms * 1_000_000;
    let options = http::RequestOptions::new();
    // Best effort: a host may not support every option, the deadline below still holds.
    let _ = options.set_connect_timeout(Some(timeout_ns));
    let _ = options.set_first_byte_timeout(Some(timeout_ns));
    let _ = options.set_between_bytes_timeout(Some(timeout_ns));

    let outgoing_body = request
        .body()
        .map_err(|_| MailError::Unreachable("request body unavailable".into()))?;
    let deadline = monotonic_clock::subscribe_duration(timeout_ns);
    let future = outgoing_handler::handle(request, Some(options))
        .map_err(|e| MailError::Unreachable(describe(&e)))?;
    {
        let stream = outgoing_body
            .write()
            .map_err(|_| MailError::Unreachable("request body unavailable".into()))?;
        // blocking_write_and_flush accepts at most 4096 bytes per call.
        for chunk in payload.chunks(4096) {
            stream
                .blocking_write_and_flush(chunk)
                .map_err(|_| MailError::Unreachable("connection closed while sending".into()))?;
        }
    }
    http::OutgoingBody::finish(outgoing_body, None)
        .map_err(|e| MailError::Unreachable(describe(&e)))?;

    let response_ready = future.subscribe();
    loop {
        if let Some(result) = future.get() {
            let response = match result {
                Ok(Ok(response)) => response,
                Ok(Err(http::ErrorCode::ConnectionReadTimeout))
                | Ok(Err(http::ErrorCode::ConnectionTimeout)) => return Err(MailError::Timeout),
                Ok(Err(e)) => return Err(MailError::Unreachable(describe(&e))),
                Err(()) => return Err(MailError::Unreachable("response already taken".into())),
            };
            let status = response.status();
            let body = match read {
                ReadBody::Yes => read_body(&response, &deadline)?,
                ReadBody::No => Vec::new(),
            };
            return Ok(Answer { status, body });
        }
        if deadline.ready() {
            return Err(MailError::Timeout);
        }
        wasi::io::poll::poll(&[&response_ready, &deadline]);
    }
}

/// The answer's body, up to `MAX_ANSWER_BYTES` and within the call's deadline.
fn read_body(
    response: &http::IncomingResponse,
    deadline: &wasi::io::poll::Pollable,
) -> Result<Vec<u8>, MailError> {
    let unreadable = || MailError::Unreachable("answer body unreadable".into());
    let body = response.consume().map_err(|()| unreadable())?;
    let stream = body.stream().map_err(|()| unreadable())?;
    let mut out = Vec::new();
    let ready = stream.subscribe();
    while out.len() < MAX_ANSWER_BYTES {
        match stream.read((MAX_ANSWER_BYTES - out.len()) as u64) {
            Ok(chunk) if chunk.is_empty() => {
                if deadline.ready() {
                    return Err(MailError::Timeout);
                }
                wasi::io::poll::poll(&[&ready, deadline]);
            }
            Ok(chunk) => out.extend_from_slice(&chunk),
            Err(_) => break,
        }
    }
    Ok(out)
}

/// A short name for a wasi-http error, without any URL or payload in it.
fn describe(error: &http::ErrorCode) -> String {
    let debug = format!("{error:?}");
    debug
        .split(|c: char| !c.is_ascii_alphanumeric())
        .next()
        .unwrap_or("error")
        .to_owned()
}
