//! How long and how many: the host's timeouts and bounds, so slow or numerous clients cannot
//! hold its connections or its instance pool (issue 9: 50 one-byte-per-second connections
//! stayed open, 530 slow uploads filled the pool).
//!
//! - **Request head and idle connection**: hyper's header-read timer. It starts when a
//!   connection is ready for a request — right after it is accepted, and again after each
//!   answer on a kept-alive connection — and closes the connection when no complete request
//!   head has arrived by then. One timer therefore bounds both a slow head and an idle
//!   kept-alive connection.
//! - **Body**: the whole request body must arrive within `body_timeout` of its head
//!   ([`DeadlineBody`]); after that the component's next read fails, it answers, and the
//!   connection is closed.
//! - **Connections**: at most `max_connections` are served at once; further clients wait in
//!   the listen backlog until one closes. There are more connection slots than instance slots,
//!   so a full instance pool is answered rather than left waiting.
//! - **Instances**: at most `max_instances` component instances run at once (below the pooling
//!   allocator's 512 slots); a request beyond that is answered 503 with `Retry-After`.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use hyper::body::{Body, Frame, SizeHint};
use tokio::time::Sleep;

/// The host's bounds. The defaults suit one person trying the stack, and the load bench's 200
/// agents.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServerLimits {
    /// From a connection being ready for a request until its head is complete; also how long
    /// a kept-alive connection may stay idle. Default 10 s.
    pub header_timeout: Duration,
    /// From the head until the last byte of the body. Default 30 s (SPEC §7 bodies are at most
    /// 64 KiB).
    pub body_timeout: Duration,
    /// Connections served at once. Default 512: more than instances, so that when every
    /// instance is busy a new request gets its 503 at once instead of waiting to be accepted.
    pub max_connections: usize,
    /// Component instances at once. Default 256.
    pub max_instances: usize,
}

impl Default for ServerLimits {
    fn default() -> ServerLimits {
        ServerLimits {
            header_timeout: Duration::from_secs(10),
            body_timeout: Duration::from_secs(30),
            max_connections: 512,
            max_instances: 256,
        }
    }
}

/// A request body that fails with `ConnectionReadTimeout` once `deadline` has passed before
/// its end. tower-http's `TimeoutBody` bounds the wait for each frame, which a client sending
/// one byte a second never exceeds; this bounds the whole body.
pub struct DeadlineBody<B> {
    inner: B,
    deadline: Pin<Box<Sleep>>,
}

impl<B> DeadlineBody<B> {
    /// `inner` must end within `timeout` from now.
    pub fn new(inner: B, timeout: Duration) -> DeadlineBody<B> {
        DeadlineBody {
            inner,
            deadline: Box::pin(tokio::time::sleep(timeout)),
        }
    }
}

impl<B> Body for DeadlineBody<B>
where
    B: Body<Data = Bytes> + Unpin,
    B::Error: Into<wasmtime_wasi_http::Error>,
{
    type Data = Bytes;
    type Error = wasmtime_wasi_http::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        let this = &mut *self;
        if let Poll::Ready(frame) = Pin::new(&mut this.inner).poll_frame(cx) {
            return Poll::Ready(frame.map(|frame| frame.map_err(Into::into)));
        }
        if this.deadline.as_mut().poll(cx).is_ready() {
            return Poll::Ready(Some(Err(wasmtime_wasi_http::Error::ConnectionReadTimeout)));
        }
        Poll::Pending
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_body_util::{BodyExt, Full};

    /// One byte, then nothing ever again: a client that stalled mid-upload.
    struct Stalled(bool);

    impl Body for Stalled {
        type Data = Bytes;
        type Error = std::convert::Infallible;

        fn poll_frame(
            mut self: Pin<&mut Self>,
            _: &mut Context<'_>,
        ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
            if self.0 {
                return Poll::Pending;
            }
            self.0 = true;
            Poll::Ready(Some(Ok(Frame::data(Bytes::from_static(b"{")))))
        }
    }

    #[tokio::test]
    async fn a_body_that_ends_in_time_is_passed_on_whole() {
        let body = DeadlineBody::new(Full::new(Bytes::from_static(b"{}")), Duration::from_secs(5));
        let bytes = body.collect().await.unwrap().to_bytes();
        assert_eq!(bytes, Bytes::from_static(b"{}"));
    }

    #[tokio::test(start_paused = true)]
    async fn a_body_still_arriving_at_the_deadline_fails_with_a_read_timeout() {
        let mut body = DeadlineBody::new(Stalled(false), Duration::from_secs(30));
        assert!(
            body.frame().await.unwrap().is_ok(),
            "the first byte is in time"
        );
        let late = body.frame().await.unwrap();
        assert!(matches!(
            late,
            Err(wasmtime_wasi_http::Error::ConnectionReadTimeout)
        ));
    }
}
