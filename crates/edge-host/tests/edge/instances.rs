//! More than one instance: two host processes share one Redis as their key-value store (as
//! Spin instances do with `edge/runtime-config.redis.toml`), and the same request sent to
//! both at once is forwarded exactly once, every time.

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::{Child, Command};
use std::time::{Duration, Instant};

use crate::kit::*;
use serde_json::Value;

/// A child process killed when the test ends, pass or fail.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

fn wait_for(addr: SocketAddr, what: &str, child: &mut Child) {
    let deadline = Instant::now() + Duration::from_secs(180);
    while TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_err() {
        if let Ok(Some(status)) = child.try_wait() {
            panic!("{what} exited before listening: {status}");
        }
        assert!(Instant::now() < deadline, "{what} did not listen on {addr}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn host_process(redis_url: &str, mail: &MailServer) -> (Running, SocketAddr) {
    let port = free_port();
    let addr: SocketAddr = ([127, 0, 0, 1], port).into();
    let mut child = Command::new(env!("CARGO_BIN_EXE_rsos-edge-host"))
        .arg("serve")
        .arg("--component")
        .arg(component_path())
        .arg("--manifest")
        .arg(manifest())
        .args([
            "--listen",
            &addr.to_string(),
            "--key-value-redis",
            redis_url,
        ])
        .args(["--var", &format!("mail_base_url=http://{}", mail.addr)])
        .args(["--var", "mail_webhook_path=/mail"])
        .args(["--var", "rate_limit_per_address_per_minute=0"])
        .args(["--var", "rate_limit_per_san_per_hour=0"])
        .args(["--var", "rate_limit_per_recipient_per_hour=0"])
        .spawn()
        .expect("the host binary runs");
    wait_for(addr, "rsos-edge-host", &mut child);
    (Running(child), addr)
}

async fn send(addr: SocketAddr, key: String, body: Value) -> Reply {
    let bytes = serde_json::to_vec(&body).expect("json");
    post(
        addr,
        "/api/requests",
        &[
            ("Content-Type", "application/json"),
            ("Idempotency-Key", &key),
        ],
        &bytes,
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_host_processes_sharing_redis_forward_a_racing_request_exactly_once() {
    let mail = MailServer::start().await;
    let redis = RedisServer::start().expect("redis-server runs");
    let url = redis.url.clone();
    let (_a, a) = host_process(&url, &mail);
    let (_b, b) = host_process(&url, &mail);

    for round in 0..20 {
        let mut body = forwardable();
        body["member_id"] = format!("H9000-{round:04}").into();
        let key = format!("two-instances-{round}");
        // Two submissions to each instance, all at once.
        let replies = futures_join(vec![
            send(a, key.clone(), body.clone()),
            send(b, key.clone(), body.clone()),
            send(a, key.clone(), body.clone()),
            send(b, key.clone(), body.clone()),
        ])
        .await;
        let mut tracking_ids: Vec<String> = Vec::new();
        for reply in &replies {
            assert_eq!(reply.status, 202, "round {round}: {}", reply.text());
            tracking_ids.push(
                reply.json()["tracking_id"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned(),
            );
        }
        tracking_ids.dedup();
        assert_eq!(
            tracking_ids.len(),
            1,
            "round {round}: one request, one tracking ID"
        );
        let forwards = mail
            .delivered_kind("forward")
            .into_iter()
            .filter(|m| m.to_string().contains(&tracking_ids[0]))
            .count();
        assert_eq!(forwards, 1, "round {round}: exactly one forward");
    }
    assert_eq!(mail.delivered_kind("forward").len(), 20);
    assert_eq!(mail.delivered_kind("acknowledgement").len(), 20);
}

async fn futures_join(
    requests: Vec<impl std::future::Future<Output = Reply> + Send + 'static>,
) -> Vec<Reply> {
    let handles: Vec<_> = requests.into_iter().map(tokio::spawn).collect();
    let mut replies = Vec::new();
    for handle in handles {
        replies.push(handle.await.expect("request task"));
    }
    replies
}
