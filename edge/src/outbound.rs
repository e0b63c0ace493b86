//! One outbound HTTP call over `wasi:http/outgoing-handler`, bounded in time.
//!
//! The raw interface rather than `spin_sdk::http::send`, because only it takes request options
//! (connect and first-byte timeouts); an overall deadline is enforced here as well, so a host
//! that ignores the options cannot hang the request.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC};
use spin_sdk::wit::wasi::http0_2_0::{outgoing_handler, types as http};
use url::Url;
use wasi::clocks::monotonic_clock;

/// What stays as it is in one path segment built from a value (a tenant, a sender address):
/// unreserved characters and `@` (RFC 3986 `pchar`); everything else is escaped, so a value
/// cannot change the path.
pub const PATH_SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~')
    .remove(b'@');

/// Why a call got no answer. Never carries a URL, a header or any payload.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CallError {
    /// Nothing was sent: the connection could not be made, or the request was not accepted
    /// by the host (a denied outbound host, a malformed header).
    #[error("the mail API could not be reached ({0})")]
    NotSent(String),
    /// The request went out but no answer came in time: the call may have been carried out.
    #[error("the mail API did not answer in time")]
    AnswerLost,
}

/// The status, the body when asked for (at most [`MAX_ANSWER_BYTES`]), and `Retry-After`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    /// The HTTP status.
    pub status: u16,
    /// The body, or empty when not asked for.
    pub body: Vec<u8>,
    /// `Retry-After` in seconds, when the answer carried one as a number.
    pub retry_after_s: Option<u64>,
}

impl Answer {
    /// A 2xx status.
    pub fn success(&self) -> bool {
        (200..300).contains(&self.status)
    }
}

/// Largest answer body read.
pub const MAX_ANSWER_BYTES: usize = 64 * 1024;

/// One request: where, what, and whether its answer's body matters.
pub struct Request<'a> {
    /// `GET` or `POST`.
    pub method: http::Method,
    /// Where (already parsed and checked at settings load).
    pub url: &'a Url,
    /// Headers besides `content-type`.
    pub headers: Vec<(String, Vec<u8>)>,
    /// `content-type` and bytes of the body; `None` for no body.
    pub body: Option<(&'a str, &'a [u8])>,
    /// Read the answer's body (for answers whose content is used); otherwise the status is the
    /// whole answer, so nothing read afterwards can turn an accepted email into a failure.
    pub read_body: bool,
}

/// Makes the call; each of connecting, the first byte and the whole call is bounded by
/// `timeout_ms`.
pub fn call(timeout_ms: u64, request: Request<'_>) -> Result<Answer, CallError> {
    let not_sent = |what: &str| CallError::NotSent(what.to_owned());
    let mut headers = request.headers;
    if let Some((content_type, _)) = request.body {
        headers.push(("content-type".into(), content_type.as_bytes().to_vec()));
    }
    let fields = http::Fields::from_list(&headers).map_err(|_| not_sent("invalid header"))?;
    let outgoing = http::OutgoingRequest::new(fields);
    let scheme = match request.url.scheme() {
        "https" => http::Scheme::Https,
        _ => http::Scheme::Http,
    };
    let authority = match (request.url.host_str(), request.url.port()) {
        (Some(host), Some(port)) => format!("{host}:{port}"),
        (Some(host), None) => host.to_owned(),
        (None, _) => return Err(not_sent("no host")),
    };
    let path = match request.url.query() {
        Some(query) => format!("{}?{query}", request.url.path()),
        None => request.url.path().to_owned(),
    };
    let invalid = |_| not_sent("invalid request");
    outgoing.set_method(&request.method).map_err(invalid)?;
    outgoing.set_scheme(Some(&scheme)).map_err(invalid)?;
    outgoing.set_authority(Some(&authority)).map_err(invalid)?;
    outgoing.set_path_with_query(Some(&path)).map_err(invalid)?;

    let timeout_ns = timeout_ms.saturating_mul(1_000_000);
    let options = http::RequestOptions::new();
    // Best effort: a host may not support every option; the deadline below still holds.
    let _ = options.set_connect_timeout(Some(timeout_ns));
    let _ = options.set_first_byte_timeout(Some(timeout_ns));
    let _ = options.set_between_bytes_timeout(Some(timeout_ns));

    let outgoing_body = outgoing
        .body()
        .map_err(|_| not_sent("request body unavailable"))?;
    let deadline = monotonic_clock::subscribe_duration(timeout_ns);
    let future = outgoing_handler::handle(outgoing, Some(options))
        .map_err(|e| CallError::NotSent(describe(&e)))?;
    if let Some((_, payload)) = request.body {
        let stream = outgoing_body
            .write()
            .map_err(|_| not_sent("request body unavailable"))?;
        // blocking_write_and_flush accepts at most 4096 bytes per call.
        for chunk in payload.chunks(4096) {
            stream
                .blocking_write_and_flush(chunk)
                .map_err(|_| not_sent("connection closed while sending"))?;
        }
    }
    http::OutgoingBody::finish(outgoing_body, None)
        .map_err(|e| CallError::NotSent(describe(&e)))?;

    let response_ready = future.subscribe();
    loop {
        if let Some(result) = future.get() {
            let response = match result {
                Ok(Ok(response)) => response,
                // No connection: nothing reached the mail API.
                Ok(Err(
                    http::ErrorCode::ConnectionTimeout | http::ErrorCode::ConnectionRefused,
                )) => return Err(not_sent("no connection")),
                Ok(Err(http::ErrorCode::DnsTimeout | http::ErrorCode::DnsError(_))) => {
                    return Err(not_sent("no such host"))
                }
                Ok(Err(http::ErrorCode::HttpRequestDenied)) => return Err(not_sent("denied")),
                // Sent, but the answer did not come (or came broken).
                Ok(Err(_)) | Err(()) => return Err(CallError::AnswerLost),
            };
            let status = response.status();
            let retry_after_s = header_value(&response.headers(), "retry-after")
                .and_then(|v| v.trim().parse::<u64>().ok());
            let body = if request.read_body {
                read_body(&response, &deadline)?
            } else {
                Vec::new()
            };
            return Ok(Answer {
                status,
                body,
                retry_after_s,
            });
        }
        if deadline.ready() {
            return Err(CallError::AnswerLost);
        }
        wasi::io::poll::poll(&[&response_ready, &deadline]);
    }
}

fn header_value(fields: &http::Fields, name: &str) -> Option<String> {
    fields
        .get(name)
        .into_iter()
        .next()
        .and_then(|v| String::from_utf8(v).ok())
}

/// The answer's body, up to [`MAX_ANSWER_BYTES`] and within the call's deadline.
fn read_body(
    response: &http::IncomingResponse,
    deadline: &wasi::io::poll::Pollable,
) -> Result<Vec<u8>, CallError> {
    let body = response.consume().map_err(|()| CallError::AnswerLost)?;
    let stream = body.stream().map_err(|()| CallError::AnswerLost)?;
    let mut out = Vec::new();
    let ready = stream.subscribe();
    while out.len() < MAX_ANSWER_BYTES {
        match stream.read((MAX_ANSWER_BYTES - out.len()) as u64) {
            Ok(chunk) if chunk.is_empty() => {
                if deadline.ready() {
                    return Err(CallError::AnswerLost);
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
