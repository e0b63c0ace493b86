//! Request bodies, read up to a limit: the rest is never pulled from the client.

use spin_sdk::http::IncomingRequest;
use wasi::io::streams::StreamError;

/// Why a body was not read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyError {
    /// More than the limit (HTTP 413).
    TooLarge,
    /// The stream broke, or the body was already taken (HTTP 400).
    Broken,
}

/// The body of `request`, at most `limit` bytes.
pub fn read(request: &IncomingRequest, limit: usize) -> Result<Vec<u8>, BodyError> {
    let incoming = request.consume().map_err(|_| BodyError::Broken)?;
    let stream = incoming.stream().map_err(|_| BodyError::Broken)?;
    let mut body = Vec::new();
    loop {
        match stream.blocking_read(16 * 1024) {
            Ok(chunk) => {
                if body.len() + chunk.len() > limit {
                    return Err(BodyError::TooLarge);
                }
                body.extend_from_slice(&chunk);
            }
            Err(StreamError::Closed) => return Ok(body),
            Err(_) => return Err(BodyError::Broken),
        }
    }
}
