//! The host's timeouts and bounds (issue 9: without them 50 one-byte-per-second connections
//! stayed open, and 530 slow uploads filled the instance pool so that every API request got a
//! 500 without security headers). Short limits here keep the tests quick; the defaults are in
//! `rsos_edge_host::limits`.

use std::net::SocketAddr;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::{sleep, timeout, Instant};

use crate::kit::*;
use rsos_edge_host::ServerLimits;

fn limits(adjust: impl FnOnce(&mut ServerLimits)) -> ServerLimits {
    let mut limits = ServerLimits {
        header_timeout: Duration::from_secs(30),
        body_timeout: Duration::from_secs(30),
        max_connections: 256,
        max_instances: 256,
    };
    adjust(&mut limits);
    limits
}

async fn stack_with(limits: ServerLimits) -> Stack {
    Stack::start_with(&[], |config| config.limits = limits).await
}

/// Writes `head` and then `trickle` one byte every 200 ms until the server answers or closes
/// the connection; returns how long that took and what it sent back (`None`: nothing within
/// `give_up`).
async fn trickle(
    addr: SocketAddr,
    head: Vec<u8>,
    trickle: Vec<u8>,
    give_up: Duration,
) -> Option<(Duration, Vec<u8>)> {
    let started = Instant::now();
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    stream.write_all(&head).await.expect("head");
    let mut bytes = trickle.into_iter();
    let mut buffer = [0u8; 4096];
    loop {
        if started.elapsed() > give_up {
            return None;
        }
        tokio::select! {
            read = stream.read(&mut buffer) => {
                let mut answer = match read {
                    Ok(n) => buffer[..n].to_vec(),
                    Err(_) => Vec::new(),
                };
                let _ = timeout(Duration::from_secs(5), stream.read_to_end(&mut answer)).await;
                return Some((started.elapsed(), answer));
            }
            _ = sleep(Duration::from_millis(200)) => {
                if let Some(byte) = bytes.next() {
                    // The server may have closed already; the read above then says so.
                    let _ = stream.write_all(&[byte]).await;
                }
            }
        }
    }
}

/// A slow upload: the head of a 2,000-byte JSON POST and its first byte, the rest trickling.
fn slow_upload(addr: SocketAddr) -> (Vec<u8>, Vec<u8>) {
    let head = format!(
        "POST /api/requests HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: 2000\r\n\r\n{{"
    );
    (head.into_bytes(), vec![b' '; 1999])
}

/// A slow upload that holds an instance slot. The slot of a request that has already
/// answered can stay taken for a moment while its instance finishes, so an upload the host
/// answers at once (503, busy) is sent again until one is left waiting for its body.
async fn hold_a_slot(addr: SocketAddr) -> TcpStream {
    for _ in 0..50 {
        let (head, _) = slow_upload(addr);
        let mut stream = TcpStream::connect(addr).await.unwrap();
        stream.write_all(&head).await.unwrap();
        let mut buffer = [0u8; 64];
        if timeout(Duration::from_millis(300), stream.read(&mut buffer))
            .await
            .is_err()
        {
            return stream;
        }
    }
    panic!("no instance slot could be held in 50 tries");
}

/// Submits until the answer is `status` or `within` has passed; the last reply.
async fn submit_until(host: &rsos_edge_host::RunningHost, status: u16, within: Duration) -> Reply {
    let deadline = Instant::now() + within;
    let mut i = 0;
    loop {
        i += 1;
        let reply = submit(host, Some(&format!("until-{status}-{i}")), &forwardable()).await;
        if reply.status == status || Instant::now() > deadline {
            return reply;
        }
        sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_one_byte_per_second_heads_are_cut_off_at_the_header_timeout() {
    let stack = stack_with(limits(|l| l.header_timeout = Duration::from_secs(1))).await;
    let addr = stack.addr();
    let slow: Vec<_> = (0..50)
        .map(|_| {
            let head = b"POST /api/requests HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ".to_vec();
            tokio::spawn(trickle(
                addr,
                head,
                vec![b'a'; 100],
                Duration::from_secs(10),
            ))
        })
        .collect();
    for connection in slow {
        let (after, _) = connection
            .await
            .unwrap()
            .expect("the host closes a connection whose head is still arriving");
        assert!(after < Duration::from_secs(5), "closed after {after:?}");
    }
    let reply = submit(&stack.host, Some("after-slow-heads"), &forwardable()).await;
    assert_eq!(reply.status, 202, "{}", reply.text());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idle_kept_alive_connection_is_closed_after_the_timeout() {
    let stack = stack_with(limits(|l| l.header_timeout = Duration::from_secs(1))).await;
    let mut stream = TcpStream::connect(stack.addr()).await.unwrap();
    let request = format!("GET /nothing HTTP/1.1\r\nHost: {}\r\n\r\n", stack.addr());
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    let mut buffer = [0u8; 4096];
    while parse_reply(&answer).is_none() {
        let n = stream.read(&mut buffer).await.unwrap();
        assert!(n > 0, "the first answer arrives on a kept-alive connection");
        answer.extend_from_slice(&buffer[..n]);
    }
    assert_eq!(parse_reply(&answer).unwrap().status, 404);
    let idle_since = Instant::now();
    let closed = timeout(Duration::from_secs(5), stream.read(&mut buffer)).await;
    assert!(
        matches!(closed, Ok(Ok(0)) | Ok(Err(_))),
        "the idle connection is closed: {closed:?}"
    );
    assert!(
        idle_since.elapsed() >= Duration::from_millis(500),
        "kept alive for a while first"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_upload_is_cut_off_at_the_body_timeout_and_frees_its_instance() {
    let stack = stack_with(limits(|l| {
        l.body_timeout = Duration::from_secs(1);
        l.max_instances = 2;
    }))
    .await;
    let addr = stack.addr();
    let uploads: Vec<_> = (0..2)
        .map(|_| {
            let (head, rest) = slow_upload(addr);
            tokio::spawn(trickle(addr, head, rest, Duration::from_secs(10)))
        })
        .collect();
    for upload in uploads {
        let (after, answer) = upload.await.unwrap().expect("the upload is cut off");
        assert!(after < Duration::from_secs(5), "cut off after {after:?}");
        if let Some(reply) = parse_reply(&answer) {
            assert!((400..500).contains(&reply.status), "{}", reply.status);
        }
    }
    let reply = submit_until(&stack.host, 202, Duration::from_secs(5)).await;
    assert_eq!(
        reply.status,
        202,
        "both instances are free again: {}",
        reply.text()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_instance_pool_is_a_503_with_retry_after_and_the_components_headers() {
    let stack = stack_with(limits(|l| l.max_instances = 3)).await;
    let addr = stack.addr();
    let normal = submit(&stack.host, Some("before-the-pool-fills"), &forwardable()).await;
    assert_eq!(normal.status, 202);
    let mut held = Vec::new();
    for _ in 0..3 {
        held.push(hold_a_slot(addr).await);
    }
    // A failure says what the held uploads got back, if anything.
    let busy = submit_until(&stack.host, 503, Duration::from_secs(20)).await;
    if busy.status != 503 {
        let mut answered = Vec::new();
        for stream in &mut held {
            let mut buffer = [0u8; 512];
            let read = timeout(Duration::from_millis(200), stream.read(&mut buffer)).await;
            answered.push(match read {
                Ok(Ok(n)) => String::from_utf8_lossy(&buffer[..n]).into_owned(),
                Ok(Err(e)) => format!("read error: {e}"),
                Err(_) => "still held".to_owned(),
            });
        }
        panic!(
            "no 503 with every slot held: {} {}; the held uploads: {answered:?}",
            busy.status,
            busy.text()
        );
    }
    let wait: u64 = busy
        .header("retry-after")
        .expect("Retry-After")
        .parse()
        .unwrap();
    assert!((1..=60).contains(&wait));
    assert!(busy.json()["error"].is_string());
    for name in [
        "cache-control",
        "x-content-type-options",
        "referrer-policy",
        "content-security-policy",
        "content-type",
    ] {
        assert_eq!(busy.header(name), normal.header(name), "{name}");
    }
    drop(held);
    let after = submit_until(&stack.host, 202, Duration::from_secs(10)).await;
    assert_eq!(after.status, 202, "the slots are freed: {}", after.text());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_beyond_the_bound_wait_until_one_closes() {
    let stack = stack_with(limits(|l| l.max_connections = 2)).await;
    let addr = stack.addr();
    let first = TcpStream::connect(addr).await.unwrap();
    let _second = TcpStream::connect(addr).await.unwrap();
    let waiting = tokio::spawn(async move { get(addr, "/nothing").await });
    sleep(Duration::from_millis(500)).await;
    assert!(
        !waiting.is_finished(),
        "a third connection is not served yet"
    );
    drop(first);
    let reply = timeout(Duration::from_secs(5), waiting)
        .await
        .expect("served once a slot is free")
        .unwrap();
    assert_eq!(reply.status, 404);
}
