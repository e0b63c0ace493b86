//! The HTTP trigger as released Spin 4.0.2 runs a `wasi:http` component (its `trigger-http`
//! crate: `server.rs` `set_req_uri`, `headers.rs` `prepare_request_headers`, `wasi.rs`
//! `prepare_request`): which headers the component sees, in which order.
//!
//! Spin keeps every header the client sent and then appends its own — `spin-path-info`,
//! `spin-full-url`, `spin-matched-route`, `spin-base-path`, `spin-raw-component-route`,
//! `spin-component-route`, `spin-client-addr` — with `append`, so a `spin-client-addr` the client
//! made up stays in the list, *before* the one Spin set. A component must therefore read the
//! last value of a `spin-*` header. The host does exactly this, so a component that trusts the
//! first value fails here as it would on Spin.
//!
//! Where Spin refuses a request before the component runs, it answers 500 with no body (a
//! header value that is not UTF-8, no `Host`, a `Host` that is no authority). The host refuses
//! the same requests, but with a 400 that says why and the API's security headers: the
//! component sees neither, and `docs/DEPLOYMENT.md` tells deployers to let the ingress refuse
//! such requests in front of Spin.

use std::net::SocketAddr;

use http::uri::Authority;
use http::{header, HeaderMap, HeaderName, HeaderValue};

/// Why Spin would not hand a request to the component.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// The value of the named header is not UTF-8.
    #[error("The request header {0} is not valid UTF-8 text; send headers as UTF-8.")]
    NotUtf8(String),
    /// No `Host`, or only a `*.spin.internal` one, which Spin strips.
    #[error("The request has no Host header; send one naming this server.")]
    NoHost,
    /// The `Host` value is not an authority (`host[:port]`).
    #[error("The Host header does not name a server; send host and port only.")]
    BadHost,
}

/// The trigger's route (`/api/...`): what Spin derives from it for every request.
#[derive(Debug, Clone)]
pub struct Route {
    /// As written in the manifest, e.g. `/api/...`.
    pub raw: String,
}

impl Route {
    /// The route without its trailing `/...` wildcard: `/api`.
    fn prefix(&self) -> &str {
        self.raw.trim_end_matches("/...")
    }

    /// What the wildcard matched: `/requests` for `/api/requests`, empty for `/api`.
    fn path_info<'a>(&self, path: &'a str) -> &'a str {
        if !self.raw.ends_with("/...") {
            return "";
        }
        path.strip_prefix(self.prefix()).unwrap_or("")
    }
}

/// The header list the component receives for a request with `headers` to `path_and_query`
/// from `client`, built as Spin 4.0.2 builds it: the client's headers unchanged and in the
/// map's order, then Spin's seven `spin-*` headers appended (after any value the client sent
/// under the same name).
///
/// Errors: a header value that is not UTF-8, no `Host` (or only a `*.spin.internal` one, which
/// Spin strips), or a `Host` that is not an authority — the requests Spin answers 500.
pub fn component_headers(
    headers: &HeaderMap,
    path_and_query: &str,
    route: &Route,
    client: SocketAddr,
) -> Result<HeaderMap, Refusal> {
    for (name, value) in headers {
        if std::str::from_utf8(value.as_bytes()).is_err() {
            return Err(Refusal::NotUtf8(name.as_str().to_owned()));
        }
    }
    let host = headers
        .get(header::HOST)
        .and_then(|host| host.to_str().ok())
        .ok_or(Refusal::NoHost)?;
    let authority = host.parse::<Authority>().map_err(|_| Refusal::BadHost)?;
    // Spin's service chaining: `<component>.spin.internal` is routed inside the application;
    // Spin strips such a `Host` from a client, which leaves the request without one.
    if authority
        .host()
        .to_ascii_lowercase()
        .ends_with(".spin.internal")
    {
        return Err(Refusal::NoHost);
    }
    let path = path_and_query.split('?').next().unwrap_or_default();
    let full_url = format!("http://{host}{path_and_query}");
    let client = client.to_string();
    let spin = [
        ("spin-path-info", route.path_info(path)),
        ("spin-full-url", full_url.as_str()),
        ("spin-matched-route", route.raw.as_str()),
        ("spin-base-path", "/"),
        ("spin-raw-component-route", route.raw.as_str()),
        ("spin-component-route", route.prefix()),
        ("spin-client-addr", client.as_str()),
    ];
    let mut prepared = headers.clone();
    for (name, value) in spin {
        // Every value here is ASCII: paths and authorities the client sent (checked above),
        // the manifest's route and a socket address.
        if let Ok(value) = HeaderValue::from_str(value) {
            prepared.append(HeaderName::from_static(name), value);
        }
    }
    Ok(prepared)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn route() -> Route {
        Route {
            raw: "/api/...".into(),
        }
    }

    fn client() -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], 40000))
    }

    fn values(headers: &HeaderMap, name: &str) -> Vec<String> {
        headers
            .get_all(name)
            .iter()
            .map(|v| v.to_str().unwrap().to_owned())
            .collect()
    }

    #[test]
    fn client_headers_come_first_and_spins_are_appended_after_them() {
        let mut headers = HeaderMap::new();
        headers.insert("host", HeaderValue::from_static("intake.example"));
        headers.append("spin-client-addr", HeaderValue::from_static("10.9.9.9:1"));
        headers.append("content-type", HeaderValue::from_static("application/json"));
        let prepared =
            component_headers(&headers, "/api/requests?x=1", &route(), client()).unwrap();
        assert_eq!(
            values(&prepared, "spin-client-addr"),
            ["10.9.9.9:1", "127.0.0.1:40000"],
            "the client's made-up value stays first; Spin's is the last"
        );
        let names: Vec<&str> = prepared.keys().map(|n| n.as_str()).collect();
        assert_eq!(
            names,
            [
                "host",
                "spin-client-addr",
                "content-type",
                "spin-path-info",
                "spin-full-url",
                "spin-matched-route",
                "spin-base-path",
                "spin-raw-component-route",
                "spin-component-route",
            ]
        );
        assert_eq!(values(&prepared, "spin-path-info"), ["/requests"]);
        assert_eq!(
            values(&prepared, "spin-full-url"),
            ["http://intake.example/api/requests?x=1"]
        );
        assert_eq!(values(&prepared, "spin-matched-route"), ["/api/..."]);
        assert_eq!(values(&prepared, "spin-raw-component-route"), ["/api/..."]);
        assert_eq!(values(&prepared, "spin-component-route"), ["/api"]);
        assert_eq!(values(&prepared, "spin-base-path"), ["/"]);
    }

    #[test]
    fn every_client_spin_header_is_kept_with_spins_value_last() {
        let mut headers = HeaderMap::new();
        headers.insert("host", HeaderValue::from_static("127.0.0.1:8080"));
        for name in [
            "spin-path-info",
            "spin-full-url",
            "spin-matched-route",
            "spin-base-path",
            "spin-raw-component-route",
            "spin-component-route",
            "spin-client-addr",
        ] {
            headers.append(name, HeaderValue::from_static("forged"));
            let prepared = component_headers(&headers, "/api", &route(), client()).unwrap();
            let all = values(&prepared, name);
            assert_eq!(all.len(), 2, "{name}");
            assert_eq!(all[0], "forged", "{name}");
            assert_ne!(all[1], "forged", "{name}");
        }
    }

    #[test]
    fn a_header_that_is_not_utf8_is_refused_naming_it() {
        let mut headers = HeaderMap::new();
        headers.insert("host", HeaderValue::from_static("127.0.0.1:8080"));
        headers.insert("x-name", HeaderValue::from_bytes(b"Jos\xe9").unwrap());
        assert_eq!(
            component_headers(&headers, "/api/requests", &route(), client()),
            Err(Refusal::NotUtf8("x-name".into()))
        );
    }

    #[test]
    fn no_host_or_a_service_chaining_host_is_refused() {
        let headers = HeaderMap::new();
        assert_eq!(
            component_headers(&headers, "/api/requests", &route(), client()),
            Err(Refusal::NoHost)
        );
        let mut chained = HeaderMap::new();
        chained.insert("host", HeaderValue::from_static("rsos-edge.spin.internal"));
        assert_eq!(
            component_headers(&chained, "/api/requests", &route(), client()),
            Err(Refusal::NoHost)
        );
        let mut bad = HeaderMap::new();
        bad.insert("host", HeaderValue::from_static("a b"));
        assert_eq!(
            component_headers(&bad, "/api/requests", &route(), client()),
            Err(Refusal::BadHost)
        );
    }
}
