//! The answers the host gives itself, before or instead of the component: JSON error
//! sentences, the security headers of the pages it serves, and those of API answers it has to
//! give when the component cannot (a full instance pool, a header Spin would refuse).

use bytes::Bytes;
use http::{header, HeaderValue, StatusCode};
use http_body_util::{BodyExt, Full};
use wasmtime_wasi_http::p2::body::HyperOutgoingBody;

/// A response the host serves: `body` as is, with `content_type`.
pub fn full(
    status: StatusCode,
    content_type: &'static str,
    body: impl Into<Bytes>,
) -> hyper::Response<HyperOutgoingBody> {
    let mut response = hyper::Response::new(
        Full::new(body.into())
            .map_err(|never| match never {})
            .boxed_unsync(),
    );
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}

/// `{"error": sentence}` as `application/json`: the shape of every error SPEC §7 names.
pub fn json_error(status: StatusCode, sentence: &str) -> hyper::Response<HyperOutgoingBody> {
    let body = serde_json::json!({ "error": sentence }).to_string();
    full(status, "application/json", body)
}

/// An error on the API route answered by the host itself, with the headers the component puts
/// on every answer (`edge/src/lib.rs`, `into_response`): never cached, never sniffed, never
/// framed, no referrer. The edge test `host_answers_on_the_api_carry_the_components_headers`
/// holds the two sets equal.
pub fn api_error(status: StatusCode, sentence: &str) -> hyper::Response<HyperOutgoingBody> {
    let mut response = json_error(status, sentence);
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; frame-ancestors 'none'; base-uri 'none'"),
    );
    response
}

/// The headers of everything the host itself serves (pages, the form's files, the mailbox):
/// the strict CSP the form is built for, no sniffing, no referrer. The form's script and WASM
/// are public and carry no credentials, so any portal origin may load them (CORS `*`).
pub fn harden(
    response: &mut hyper::Response<HyperOutgoingBody>,
    frame_ancestors: &str,
    path: &str,
) {
    let csp = format!(
        "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors {frame_ancestors}"
    );
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(&csp) {
        headers.insert(header::CONTENT_SECURITY_POLICY, value);
    }
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    let asset = [".js", ".wasm", ".css"]
        .iter()
        .any(|ext| path.ends_with(ext));
    if asset {
        headers.insert(
            header::ACCESS_CONTROL_ALLOW_ORIGIN,
            HeaderValue::from_static("*"),
        );
        headers.insert(
            "cross-origin-resource-policy",
            HeaderValue::from_static("cross-origin"),
        );
    }
}

/// `'self'` plus the allowed origins (a `*` allows any), for CSP `frame-ancestors`.
pub fn frame_ancestors(allowed_origins: Option<&str>) -> String {
    let origins: Vec<&str> = allowed_origins
        .unwrap_or_default()
        .split(',')
        .map(|o| o.trim().trim_end_matches('/'))
        .filter(|o| !o.is_empty())
        .collect();
    if origins.contains(&"*") {
        return "*".into();
    }
    std::iter::once("'self'")
        .chain(origins)
        .collect::<Vec<_>>()
        .join(" ")
}
