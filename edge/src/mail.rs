//! Sends the emails `rsos-rules` wrote through an HTTP mail API: Microsoft Graph `sendMail`
//! or a generic JSON webhook. Nothing here decides what an email says or who gets it.
//!
//! Outbound calls go straight to `wasi:http/outgoing-handler` rather than `spin_sdk::http::send`
//! because only the raw interface takes request options (connect and first-byte timeouts), and
//! an overall deadline is enforced here as well so a host that ignores the options cannot hang
//! the request.

use rsos_rules::{Email, EmailKind};
use serde_json::json;
use spin_sdk::wit::wasi::http0_2_0::{outgoing_handler, types as http};
use wasi::clocks::monotonic_clock;

use crate::settings::{MailApi, Settings};

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

pub fn send(settings: &Settings, email: &Email, tracking_id: &str) -> Result<(), MailError> {
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
            post_json(settings, &url, &body, &idempotency)
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
            post_json(settings, &url, &body, &idempotency)
        }
    }
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
    let mut out = String::with_capacity(segment.len());
    for byte in segment.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~@".contains(&byte) {
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
) -> Result<(), MailError> {
    let target = parse_url(url)?;
    let payload = serde_json::to_vec(body).map_err(|_| MailError::BadUrl)?;
    let mut headers: Vec<(String, Vec<u8>)> = vec![
        ("content-type".into(), b"application/json".to_vec()),
        (
            "idempotency-key".into(),
            idempotency_key.as_bytes().to_vec(),
        ),
    ];
    if !settings.mail_api_token.is_empty() {
        headers.push((
            "authorization".into(),
            format!("Bearer {}", settings.mail_api_token).into_bytes(),
        ));
    }
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
            return if (200..300).contains(&status) {
                Ok(())
            } else {
                Err(MailError::Refused(status))
            };
        }
        if deadline.ready() {
            return Err(MailError::Timeout);
        }
        wasi::io::poll::poll(&[&response_ready, &deadline]);
    }
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
