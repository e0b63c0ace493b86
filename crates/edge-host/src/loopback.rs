//! A throwaway HTTP/1 server on 127.0.0.1 for the host's tests and benches: the stand-in
//! mail APIs they point the component at, and the native handler the edge bench compares
//! with. The host itself serves with `server`, which also needs each client's address.

use std::future::Future;
use std::net::SocketAddr;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::sync::watch;

/// Serves `handler` on an ephemeral 127.0.0.1 port, one task per connection, until `stop`
/// (if given) turns true. A handler's `Err` drops the connection without an answer, as a
/// mail API that hangs up would.
pub async fn serve<F, Fut, E>(
    handler: F,
    stop: Option<watch::Receiver<bool>>,
) -> std::io::Result<SocketAddr>
where
    F: Fn(hyper::Request<Incoming>) -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = Result<hyper::Response<Full<Bytes>>, E>> + Send + 'static,
    E: Into<Box<dyn std::error::Error + Send + Sync>> + 'static,
{
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    tokio::spawn(async move {
        let mut stop = stop;
        loop {
            let stopped = async {
                match stop.as_mut() {
                    Some(stop) => drop(stop.wait_for(|stopped| *stopped).await),
                    None => std::future::pending().await,
                }
            };
            let accepted = tokio::select! {
                accepted = listener.accept() => accepted,
                () = stopped => break,
            };
            let Ok((stream, _)) = accepted else {
                continue;
            };
            let handler = handler.clone();
            tokio::spawn(async move {
                let service = hyper::service::service_fn(handler);
                let _ = http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    Ok(addr)
}

/// The whole body of a request (empty if the client broke off).
pub async fn body(request: hyper::Request<Incoming>) -> Bytes {
    request
        .into_body()
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default()
}
