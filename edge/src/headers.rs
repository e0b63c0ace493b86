//! The request headers the component trusts, read once, each meaning one thing.
//!
//! A header a request may carry once (`Content-Type`, `Content-Encoding`, `Authorization`,
//! `Idempotency-Key`) is refused when repeated: two parsers in a chain could each take another
//! of the values. Headers Spin sets itself are read as Spin appended them (after every header
//! the client sent, Spin 4's `trigger-http` `headers.rs`), so a client cannot make one up. The
//! client's address comes from `X-Forwarded-For` only through the configured number of trusted
//! proxy hops.

use std::net::{IpAddr, SocketAddr};

use spin_sdk::http::IncomingRequest;

/// The headers of one request, names lower-cased, in the order they arrived.
pub struct Headers(Vec<(String, Vec<u8>)>);

/// Headers that must appear at most once.
const SINGLE: [&str; 4] = [
    "content-type",
    "content-encoding",
    "authorization",
    "idempotency-key",
];

impl Headers {
    pub fn of(request: &IncomingRequest) -> Headers {
        Headers(
            request
                .headers()
                .entries()
                .into_iter()
                .map(|(name, value)| (name.to_ascii_lowercase(), value))
                .collect(),
        )
    }

    fn all<'a, 'n>(
        &'a self,
        name: &'n str,
    ) -> impl DoubleEndedIterator<Item = &'a [u8]> + use<'a, 'n> {
        self.0
            .iter()
            .filter(move |(n, _)| n == name)
            .map(|(_, v)| v.as_slice())
    }

    /// The first header that must appear once but came more than once.
    pub fn repeated(&self) -> Option<&'static str> {
        SINGLE.into_iter().find(|name| self.all(name).count() > 1)
    }

    /// The value of a header the client sends, as bytes.
    pub fn bytes(&self, name: &str) -> Option<&[u8]> {
        self.all(name).next()
    }

    /// The value of a header the client sends, as text (`None` when it is not UTF-8).
    pub fn text(&self, name: &str) -> Option<&str> {
        self.bytes(name).and_then(|v| std::str::from_utf8(v).ok())
    }

    /// A header Spin sets itself: the last value (earlier ones were sent by the client).
    pub fn spin(&self, name: &str) -> Option<&str> {
        self.all(name)
            .next_back()
            .and_then(|v| std::str::from_utf8(v).ok())
    }

    /// The token of `Authorization: Bearer …` (the scheme is case-insensitive).
    pub fn bearer(&self) -> Option<&str> {
        let (scheme, token) = self.text("authorization")?.trim().split_once(' ')?;
        scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
    }

    /// Whether the Bearer token is `expected` (not empty), compared as SHA-256 digests in
    /// constant time: the answer tells neither how much of a guess was right nor how long the
    /// token is.
    pub fn bearer_is(&self, expected: &str) -> bool {
        use sha2::{Digest, Sha256};
        use subtle::ConstantTimeEq;
        let given = Sha256::digest(self.bearer().unwrap_or_default().as_bytes());
        let wanted = Sha256::digest(expected.as_bytes());
        !expected.is_empty() && bool::from(given.ct_eq(&wanted))
    }

    /// `Idempotency-Key`: `Ok(None)` without one, `Err(())` when it is not 1 to 255 visible
    /// ASCII characters (SPEC §7).
    pub fn idempotency_key(&self) -> Result<Option<String>, ()> {
        match self.bytes("idempotency-key") {
            None => Ok(None),
            Some(key)
                if (1..=255).contains(&key.len())
                    && key.iter().all(|b| (0x21..=0x7e).contains(b)) =>
            {
                Ok(Some(String::from_utf8_lossy(key).into_owned()))
            }
            Some(_) => Err(()),
        }
    }

    /// The client's address, without a port. Behind `trusted_hops` proxies (each appending the
    /// address it was called from to `X-Forwarded-For`), it is the `trusted_hops`-th entry
    /// from the right of every `X-Forwarded-For` value in order, or the leftmost when there are
    /// fewer; with none, the address Spin saw (`spin-client-addr`).
    pub fn client_address(&self, trusted_hops: usize) -> String {
        let spin = || self.spin("spin-client-addr").map(without_port);
        let address = if trusted_hops == 0 {
            spin()
        } else {
            let forwarded: Vec<&str> = self
                .all("x-forwarded-for")
                .filter_map(|v| std::str::from_utf8(v).ok())
                .flat_map(|v| v.split(','))
                .map(str::trim)
                .filter(|a| !a.is_empty())
                .collect();
            let index = forwarded.len().saturating_sub(trusted_hops);
            forwarded.get(index).map(|a| without_port(a)).or_else(spin)
        };
        address.unwrap_or_else(|| "unknown".to_owned())
    }

    /// Whether the body is declared JSON in UTF-8 (RFC 8259: JSON is UTF-8; another declared
    /// charset is another body format).
    pub fn is_json(&self) -> bool {
        let Some(mime) = self
            .text("content-type")
            .and_then(|v| v.trim().parse::<mime::Mime>().ok())
        else {
            return false;
        };
        mime.essence_str() == "application/json"
            && mime
                .get_param(mime::CHARSET)
                .is_none_or(|charset| charset == mime::UTF_8)
    }

    /// Whether the body is sent as is (no `Content-Encoding`, or `identity`).
    pub fn is_identity_encoded(&self) -> bool {
        self.text("content-encoding").is_none_or(|v| {
            v.split(',').all(|coding| {
                coding.trim().eq_ignore_ascii_case("identity") || coding.trim().is_empty()
            })
        })
    }
}

/// An address as written in a header (`1.2.3.4:5678`, `[::1]:80`, `::1`, `1.2.3.4`) without
/// its port; other forms (RFC 7239 obfuscated identifiers) as they are.
fn without_port(address: &str) -> String {
    let address = address.trim();
    if let Ok(socket) = address.parse::<SocketAddr>() {
        return socket.ip().to_string();
    }
    if let Ok(ip) = address.trim_matches(['[', ']']).parse::<IpAddr>() {
        return ip.to_string();
    }
    address.to_owned()
}
