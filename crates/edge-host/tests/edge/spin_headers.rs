//! Headers as released Spin 4.0.2 hands them to the component: every header the client sent,
//! then Spin's own `spin-*` headers appended after them (`trigger-http`,
//! `prepare_request_headers`). A client can therefore put a made-up `spin-client-addr` in
//! front of the real one; the component must read the value Spin appended.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::kit::*;
use rsos_edge_host::manifest::Manifest;

/// The manifest's default of a variable (what a deployment gets unless it sets one).
fn manifest_default(name: &str) -> String {
    let manifest = Manifest::load(&manifest()).expect("edge/spin.toml loads");
    manifest.variables[name]
        .default
        .clone()
        .unwrap_or_else(|| panic!("{name} has a default"))
}

/// The address limit counts in fixed minutes of the clock: start a burst early in one, so
/// the burst is counted in one window.
async fn wait_for_an_early_second_of_the_minute() {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    let into_minute = now.as_secs_f64() % 60.0;
    if into_minute > 40.0 {
        tokio::time::sleep(Duration::from_secs_f64(60.5 - into_minute)).await;
    }
}

async fn submit_claiming(stack: &Stack, i: usize, claimed_address: &str) -> Reply {
    let mut body = forwardable();
    body["member_id"] = format!("H0000-{i:04}").into();
    let key = format!("claimed-{i}");
    post(
        stack.addr(),
        "/api/requests",
        &[
            ("Content-Type", "application/json"),
            ("Idempotency-Key", &key),
            ("spin-client-addr", claimed_address),
        ],
        &serde_json::to_vec(&body).unwrap(),
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn made_up_client_addresses_do_not_escape_the_default_address_limit() {
    let per_minute = manifest_default("rate_limit_per_address_per_minute");
    assert_eq!(per_minute, "60", "the figure this test was written for");
    let stack = Stack::start(&[("rate_limit_per_address_per_minute", &per_minute)]).await;
    wait_for_an_early_second_of_the_minute().await;
    let mut statuses = Vec::new();
    for i in 0..62 {
        let claimed = format!("203.0.113.{}:{}", i + 1, 40000 + i);
        statuses.push(submit_claiming(&stack, i, &claimed).await.status);
    }
    assert_eq!(statuses[..60], [202; 60], "{statuses:?}");
    assert_eq!(statuses[60..], [429, 429], "the limit holds");
    // The blocked client makes up an address it has never sent before.
    let again = submit_claiming(&stack, 62, "198.51.100.250:1").await;
    assert_eq!(again.status, 429, "{}", again.text());
    assert!(again.header("retry-after").is_some());
    assert_eq!(stack.mail.delivered_kind("forward").len(), 60);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_header_that_is_not_utf8_gets_a_400_naming_it_and_reaches_no_component() {
    let stack = Stack::start(&[]).await;
    let body = serde_json::to_vec(&forwardable()).unwrap();
    let mut request = format!(
        "POST /api/requests HTTP/1.1\r\nHost: {}\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\nX-Agent-Note: Jos",
        stack.addr(),
        body.len()
    )
    .into_bytes();
    request.extend_from_slice(b"\xe9\r\n\r\n");
    request.extend_from_slice(&body);
    let reply = raw(stack.addr(), &request).await;
    assert_eq!(reply.status, 400, "{}", reply.text());
    let sentence = reply.json()["error"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(sentence.contains("x-agent-note"), "{sentence}");
    assert!(!reply.text().contains("Jos"), "no echo of the value");
    assert_eq!(reply.header("x-content-type-options"), Some("nosniff"));
    assert!(stack.mail.received().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_without_host_is_refused_as_spin_refuses_it() {
    let stack = Stack::start(&[]).await;
    let request = b"POST /api/requests HTTP/1.1\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}";
    let reply = raw(stack.addr(), request).await;
    assert_eq!(reply.status, 400, "{}", reply.text());
    assert!(reply.json()["error"]
        .as_str()
        .unwrap_or_default()
        .contains("Host"));
}
