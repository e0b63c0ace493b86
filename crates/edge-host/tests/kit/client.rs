//! A raw HTTP/1.1 client: one request per connection (`Connection: close`), the reply read to
//! the end and parsed by its framing (`Content-Length` or chunked).

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::Duration;

use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::{timeout_at, Instant};

use rsos_edge_host::RunningHost;

/// How long `raw` waits for a whole exchange: the component answers well within it (at most
/// about 25 s waiting for another owner of an idempotency key).
pub const EXCHANGE_TIMEOUT: Duration = Duration::from_secs(30);

/// A response as the client saw it.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    /// Names in lower case; a repeated header keeps its last value.
    pub headers: BTreeMap<String, String>,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "body is not JSON ({e}): {}",
                String::from_utf8_lossy(&self.body)
            )
        })
    }

    /// The body as JSON, or `null` when it is not JSON.
    pub fn json_or_null(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).map(String::as_str)
    }
}

/// Sends `request` on a new connection and reads until the server closes it or `within` has
/// passed. `None`: no connection, or no complete reply (a reset or a timeout before the end of
/// the body — what a client counts as a network error). The server may answer and close
/// before a huge body is written; the reply then still counts.
pub async fn exchange(addr: SocketAddr, request: &[u8], within: Duration) -> Option<Reply> {
    let deadline = Instant::now() + within;
    let mut stream = timeout_at(deadline, TcpStream::connect(addr))
        .await
        .ok()?
        .ok()?;
    let _ = timeout_at(deadline, stream.write_all(request)).await;
    let mut bytes = Vec::new();
    let mut chunk = vec![0u8; 64 * 1024];
    loop {
        match timeout_at(deadline, stream.read(&mut chunk)).await {
            Ok(Ok(0)) | Ok(Err(_)) | Err(_) => break,
            Ok(Ok(n)) => bytes.extend_from_slice(&chunk[..n]),
        }
    }
    parse_reply(&bytes)
}

/// Sends raw bytes as one HTTP/1.1 request and reads the whole reply (panics without one).
pub async fn raw(addr: SocketAddr, request: &[u8]) -> Reply {
    exchange(addr, request, EXCHANGE_TIMEOUT)
        .await
        .unwrap_or_else(|| {
            panic!(
                "no complete reply to {:?}",
                String::from_utf8_lossy(&request[..request.len().min(200)])
            )
        })
}

/// The bytes of a request with `Host` and `Connection: close`, a `Content-Length` when there
/// is a body or the method is POST, then `headers` in order.
pub fn request_bytes(
    method: &str,
    addr: SocketAddr,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Vec<u8> {
    let mut head = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    if method == "POST" || !body.is_empty() {
        head.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    let mut bytes = head.into_bytes();
    bytes.extend_from_slice(body);
    bytes
}

/// A POST with the given headers and body.
pub async fn post(addr: SocketAddr, path: &str, headers: &[(&str, &str)], body: &[u8]) -> Reply {
    raw(addr, &request_bytes("POST", addr, path, headers, body)).await
}

pub async fn get(addr: SocketAddr, path: &str) -> Reply {
    raw(addr, &request_bytes("GET", addr, path, &[], b"")).await
}

/// `POST /api/requests` with a JSON body and, if given, an `Idempotency-Key`.
pub async fn submit(host: &RunningHost, key: Option<&str>, body: &Value) -> Reply {
    let body = serde_json::to_vec(body).expect("a JSON value serialises");
    let mut headers = vec![("Content-Type", "application/json")];
    if let Some(key) = key {
        headers.push(("Idempotency-Key", key));
    }
    post(host.addr, "/api/requests", &headers, &body).await
}

/// A reply from its bytes; `None` without a complete head, or when the body is shorter than
/// its framing says.
pub fn parse_reply(bytes: &[u8]) -> Option<Reply> {
    let split = bytes.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = String::from_utf8_lossy(&bytes[..split]).into_owned();
    let mut lines = head.split("\r\n");
    let status: u16 = lines.next()?.split(' ').nth(1)?.parse().ok()?;
    let headers: BTreeMap<String, String> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let rest = &bytes[split + 4..];
    let body = if headers
        .get("transfer-encoding")
        .is_some_and(|v| v.contains("chunked"))
    {
        dechunk(rest)?
    } else {
        match headers.get("content-length") {
            Some(length) => rest.get(..length.parse::<usize>().ok()?)?.to_vec(),
            None => rest.to_vec(),
        }
    };
    Some(Reply {
        status,
        headers,
        body,
    })
}

/// A chunked body; `None` if it is incomplete (no terminating chunk).
fn dechunk(mut rest: &[u8]) -> Option<Vec<u8>> {
    let mut body = Vec::new();
    loop {
        let line_end = rest.windows(2).position(|w| w == b"\r\n")?;
        let size_text = std::str::from_utf8(&rest[..line_end]).ok()?;
        let size = usize::from_str_radix(size_text.split(';').next()?.trim(), 16).ok()?;
        rest = &rest[line_end + 2..];
        if size == 0 {
            return Some(body);
        }
        body.extend_from_slice(rest.get(..size)?);
        rest = rest.get(size + 2..)?;
    }
}
