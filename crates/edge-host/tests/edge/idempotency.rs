//! Idempotency and faults: replays, conflicts, mail failures and retries, and racing
//! submissions — never a second forward.

use std::time::Duration;

use crate::kit::*;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn same_key_and_body_replays_the_first_response_and_sends_nothing_again() {
    let mail = MailServer::start().await;
    let host = host(&mail).await;
    let first = submit(&host, Some("idem-1"), &forwardable()).await;
    assert_eq!(first.status, 202);
    let second = submit(&host, Some("idem-1"), &forwardable()).await;
    assert_eq!(second.status, 202);
    assert_eq!(second.body, first.body, "byte-for-byte the first response");
    assert_eq!(second.header("idempotent-replayed"), Some("true"));
    assert_eq!(mail.delivered().len(), 2);
    host.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn same_request_in_another_key_order_is_the_same_request() {
    let mail = MailServer::start().await;
    let host = host(&mail).await;
    let first = submit(&host, Some("idem-order"), &forwardable()).await;
    assert_eq!(first.status, 202);
    let mut reordered = String::from("{\n");
    let object = forwardable();
    let entries: Vec<_> = object.as_object().unwrap().iter().rev().collect();
    for (i, (k, v)) in entries.iter().enumerate() {
        reordered.push_str(&format!(
            "  {}: {}{}\n",
            json!(k),
            v,
            if i + 1 < entries.len() { "," } else { "" }
        ));
    }
    reordered.push('}');
    let second = post(
        host.addr,
        "/api/requests",
        &[
            ("Content-Type", "application/json"),
            ("Idempotency-Key", "idem-order"),
        ],
        reordered.as_bytes(),
    )
    .await;
    assert_eq!(second.status, 202, "{}", second.text());
    assert_eq!(second.body, first.body);
    assert_eq!(mail.delivered().len(), 2);
    host.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn same_key_with_another_body_is_409() {
    let mail = MailServer::start().await;
    let host = host(&mail).await;
    assert_eq!(
        submit(&host, Some("idem-2"), &forwardable()).await.status,
        202
    );
    let mut other = forwardable();
    other["member_id"] = json!("H9999-0000");
    let reply = submit(&host, Some("idem-2"), &other).await;
    assert_eq!(reply.status, 409);
    let error = reply.json()["error"].as_str().unwrap().to_owned();
    assert!(error.contains("Idempotency-Key"));
    assert!(!reply.text().contains("H9999"));
    assert_eq!(mail.delivered().len(), 2);
    host.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rejected_request_does_not_use_up_its_key() {
    let mail = MailServer::start().await;
    let host = host(&mail).await;
    let mut incomplete = forwardable();
    incomplete["member_id"] = json!("");
    assert_eq!(
        submit(&host, Some("idem-fix"), &incomplete).await.status,
        422
    );
    assert_eq!(
        submit(&host, Some("idem-fix"), &forwardable()).await.status,
        202
    );
    assert_eq!(mail.delivered_kind("forward").len(), 1);
    host.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_concurrent_submissions_with_one_key_forward_exactly_once() {
    let mail = MailServer::start().await;
    // A store round trip of 2 ms, like Redis or a cloud store: without the component's lock,
    // several racers read "no record" before any writes one, and the mailbox gets duplicates.
    let host = host_with_latency(&mail, &[], Some(Duration::from_millis(2))).await;
    let addr = host.addr;
    let body = serde_json::to_vec(&forwardable()).unwrap();
    let mut tasks = Vec::new();
    for _ in 0..50 {
        let body = body.clone();
        tasks.push(tokio::spawn(async move {
            post(
                addr,
                "/api/requests",
                &[
                    ("Content-Type", "application/json"),
                    ("Idempotency-Key", "race-1"),
                ],
                &body,
            )
            .await
        }));
    }
    let mut replies = Vec::new();
    for task in tasks {
        replies.push(task.await.unwrap());
    }
    assert_eq!(
        mail.delivered_kind("forward").len(),
        1,
        "exactly one forward"
    );
    assert_eq!(
        mail.delivered_kind("acknowledgement").len(),
        1,
        "exactly one acknowledgement"
    );
    let first = replies
        .iter()
        .find(|r| r.header("idempotent-replayed").is_none())
        .expect("one original");
    for reply in &replies {
        assert_eq!(reply.status, 202, "{}", reply.text());
        assert_eq!(reply.body, first.body, "every racer sees the one response");
    }
    host.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_concurrent_distinct_requests_are_each_forwarded_once() {
    let mail = MailServer::start().await;
    let host = host(&mail).await;
    let addr = host.addr;
    let body = serde_json::to_vec(&forwardable()).unwrap();
    let mut tasks = Vec::new();
    for i in 0..50 {
        let body = body.clone();
        tasks.push(tokio::spawn(async move {
            let key = format!("distinct-{i}");
            post(
                addr,
                "/api/requests",
                &[
                    ("Content-Type", "application/json"),
                    ("Idempotency-Key", &key),
                ],
                &body,
            )
            .await
        }));
    }
    for task in tasks {
        assert_eq!(task.await.unwrap().status, 202);
    }
    assert_eq!(mail.delivered_kind("forward").len(), 50);
    host.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mail_api_error_is_503_and_a_retry_completes_without_duplicates() {
    let mail = MailServer::start().await;
    mail.set_policy(|_| Behaviour::Fail(500));
    let host = host(&mail).await;
    let failed = submit(&host, Some("fault-500"), &forwardable()).await;
    assert_eq!(failed.status, 503, "{}", failed.text());
    assert!(failed.header("retry-after").is_some());
    let body = failed.json();
    assert!(body["error"].as_str().unwrap().contains("retry"));
    assert_eq!(body["sent"], json!([]));
    assert!(!failed.text().contains("Smith"));

    mail.set_policy(|_| Behaviour::Accept);
    let retried = submit(&host, Some("fault-500"), &forwardable()).await;
    assert_eq!(retried.status, 202, "{}", retried.text());
    assert_eq!(
        retried.json()["tracking_id"],
        body["tracking_id"],
        "the same request keeps its tracking ID"
    );
    assert_eq!(mail.delivered_kind("forward").len(), 1);
    assert_eq!(mail.delivered_kind("acknowledgement").len(), 1);
    host.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mail_api_timeout_is_503_and_a_retry_completes_without_duplicates() {
    let mail = MailServer::start().await;
    mail.set_policy(|_| Behaviour::Hang);
    let host = host_with(&mail, &[("mail_timeout_ms", "500")]).await;
    let started = std::time::Instant::now();
    let failed = submit(&host, Some("fault-hang"), &forwardable()).await;
    assert_eq!(failed.status, 503, "{}", failed.text());
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "the timeout fired"
    );

    mail.set_policy(|_| Behaviour::Accept);
    let retried = submit(&host, Some("fault-hang"), &forwardable()).await;
    assert_eq!(retried.status, 202, "{}", retried.text());
    assert_eq!(mail.delivered_kind("forward").len(), 1);
    assert_eq!(mail.delivered_kind("acknowledgement").len(), 1);
    host.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledgement_accepted_but_forward_failed_retries_only_what_is_missing() {
    let mail = MailServer::start().await;
    // The API takes mail to the agent but fails mail to the mailbox.
    mail.set_policy(|m| {
        if m["to"] == mailbox_address() {
            Behaviour::Fail(502)
        } else {
            Behaviour::Accept
        }
    });
    let host = host(&mail).await;
    let failed = submit(&host, Some("fault-forward"), &forwardable()).await;
    assert_eq!(failed.status, 503);
    assert!(mail.delivered_kind("forward").is_empty());

    mail.set_policy(|_| Behaviour::Accept);
    let retried = submit(&host, Some("fault-forward"), &forwardable()).await;
    assert_eq!(retried.status, 202);
    assert_eq!(mail.delivered_kind("forward").len(), 1);
    assert_eq!(mail.delivered_kind("acknowledgement").len(), 1);
    assert_eq!(
        submit(&host, Some("fault-forward"), &forwardable())
            .await
            .body,
        retried.body
    );
    assert_eq!(mail.delivered().len(), 2);
    host.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forward_accepted_but_acknowledgement_failed_never_forwards_twice() {
    let mail = MailServer::start().await;
    mail.set_policy(|m| {
        if m["to"] == mailbox_address() {
            Behaviour::Accept
        } else {
            Behaviour::Fail(500)
        }
    });
    let host = host(&mail).await;
    let failed = submit(&host, Some("fault-ack"), &forwardable()).await;
    assert_eq!(failed.status, 503);
    assert_eq!(failed.json()["sent"], json!(["forward"]));
    assert_eq!(mail.delivered_kind("forward").len(), 1);

    mail.set_policy(|_| Behaviour::Accept);
    let retried = submit(&host, Some("fault-ack"), &forwardable()).await;
    assert_eq!(retried.status, 202);
    assert_eq!(
        mail.delivered_kind("forward").len(),
        1,
        "the forward is not sent again"
    );
    assert_eq!(mail.delivered_kind("acknowledgement").len(), 1);
    host.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn request_without_key_gets_a_server_key_that_makes_its_retry_safe() {
    let mail = MailServer::start().await;
    mail.set_policy(|m| {
        if m["to"] == mailbox_address() {
            Behaviour::Accept
        } else {
            Behaviour::Fail(500)
        }
    });
    let host = host(&mail).await;
    let failed = submit(&host, None, &forwardable()).await;
    assert_eq!(failed.status, 503);
    let key = failed.json()["idempotency_key"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(failed.header("idempotency-key"), Some(key.as_str()));
    assert_eq!(
        failed.json()["tracking_id"],
        key.as_str(),
        "the tracking ID is the server-made key"
    );

    mail.set_policy(|_| Behaviour::Accept);
    let retried = submit(&host, Some(&key), &forwardable()).await;
    assert_eq!(retried.status, 202);
    assert_eq!(retried.json()["tracking_id"], key.as_str());
    assert_eq!(mail.delivered_kind("forward").len(), 1);

    // Without the key a resubmission is a new request with a new tracking ID.
    let fresh = submit(&host, None, &forwardable()).await;
    assert_eq!(fresh.status, 202);
    assert_ne!(fresh.json()["tracking_id"], key.as_str());
    host.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mail_to_a_host_outside_allowed_outbound_hosts_is_refused_by_the_host() {
    let mail = MailServer::start().await;
    // A manifest that allows only a port nobody listens on.
    let manifest = std::fs::read_to_string(manifest()).unwrap().replace(
        r#"allowed_outbound_hosts = ["{{ mail_base_url }}", "{{ graph_login_url }}"]"#,
        r#"allowed_outbound_hosts = ["http://127.0.0.1:9"]"#,
    );
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("spin.toml");
    std::fs::write(&path, manifest).unwrap();
    let (engine, component) = compiled();
    let config = rsos_edge_host::HostConfig::new(&path)
        .var("mail_base_url", format!("http://{}", mail.addr))
        .var("mail_webhook_path", "/mail");
    let host = rsos_edge_host::start(engine, component, config)
        .await
        .unwrap();
    let reply = submit(&host, Some("denied-1"), &forwardable()).await;
    assert_eq!(reply.status, 503, "{}", reply.text());
    assert!(mail.received().is_empty(), "no connection was made");
    host.shutdown().await;
}
