//! The host's own duties: the local mailbox, static files, variables and key-value that
//! outlives instances (and, with a file, restarts).

use crate::kit::*;
use rsos_edge_host::{start, HostConfig, RunningHost};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn local_mailbox_shows_the_forward_and_the_acknowledgement() {
    let (engine, component) = compiled();
    let mut config = HostConfig::new(manifest());
    config.local_mailbox = true;
    let host = start(engine, component, config).await.unwrap();
    let reply = submit(&host, Some("local-1"), &forwardable()).await;
    assert_eq!(reply.status, 202, "{}", reply.text());
    let listing = get(host.addr, "/mailbox/api/messages").await;
    assert_eq!(listing.status, 200);
    let messages = listing.json();
    let messages = messages.as_array().unwrap();
    assert_eq!(messages.len(), 2);
    assert_eq!(messages[0]["to"], mailbox_address());
    assert_eq!(messages[0]["subject"], "Smith, John Medicare");
    assert_eq!(messages[1]["to"], "pat.agent@agency.example");
    assert_eq!(host.mailbox.messages().len(), 2);
    let page = get(host.addr, "/mailbox").await;
    assert_eq!(page.status, 200);
    assert!(page
        .header("content-type")
        .unwrap()
        .starts_with("text/html"));
    assert!(page.text().contains("/mailbox/mailbox.js"));
    let script = get(host.addr, "/mailbox/mailbox.js").await;
    assert!(script.text().contains("/mailbox/api/messages"));
    host.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_local_mailbox_there_is_no_mailbox_page() {
    let mail = MailServer::start().await;
    let host = host(&mail).await;
    for path in [
        "/mailbox",
        "/mailbox/api/messages",
        "/mailbox/webhook",
        "/mailbox/v1.0/users/x/sendMail",
    ] {
        let reply = get(host.addr, path).await;
        assert_eq!(reply.status, 404, "{path}");
        assert!(reply.text().contains("--local-mailbox"), "{path}");
        assert_eq!(reply.header("x-content-type-options"), Some("nosniff"));
    }
    host.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn static_files_are_served_with_their_mime_types() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    std::fs::write(dir.join("index.html"), "<!doctype html><title>form</title>").unwrap();
    std::fs::write(dir.join("rsos_form_bg.wasm"), b"\0asm\x01\0\0\0").unwrap();
    std::fs::write(dir.join("rsos_form.js"), "export default 1;").unwrap();
    let mail = MailServer::start().await;
    let (engine, component) = compiled();
    let mut config =
        HostConfig::new(manifest()).var("mail_base_url", format!("http://{}", mail.addr));
    config.static_dir = Some(dir.to_path_buf());
    let host = start(engine, component, config).await.unwrap();
    let index = get(host.addr, "/").await;
    assert_eq!(index.status, 200);
    assert_eq!(
        index.header("content-type"),
        Some("text/html; charset=utf-8")
    );
    let wasm = get(host.addr, "/rsos_form_bg.wasm").await;
    assert_eq!(wasm.header("content-type"), Some("application/wasm"));
    assert_eq!(wasm.body, b"\0asm\x01\0\0\0");
    let js = get(host.addr, "/rsos_form.js").await;
    assert_eq!(
        js.header("content-type"),
        Some("text/javascript; charset=utf-8")
    );
    assert_eq!(get(host.addr, "/../Cargo.toml").await.status, 404);
    assert_eq!(get(host.addr, "/missing.js").await.status, 404);
    host.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_required_variable_stops_the_host_with_its_name() {
    let (engine, component) = compiled();
    let error = match start(engine, component, HostConfig::new(manifest())).await {
        Ok(_) => panic!("mail_base_url is required"),
        Err(e) => e.to_string(),
    };
    assert!(error.contains("mail_base_url"), "{error}");
    assert!(error.contains("SPIN_VARIABLE_MAIL_BASE_URL"), "{error}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn override_of_an_undeclared_variable_is_refused() {
    let (engine, component) = compiled();
    let config = HostConfig::new(manifest())
        .var("mail_base_url", "http://127.0.0.1:9")
        .var("no_such_variable", "x");
    assert!(start(engine, component, config).await.is_err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn key_value_file_keeps_idempotency_across_restarts() {
    let file = std::env::temp_dir().join(format!("rsos-kv-{}.json", std::process::id()));
    let _ = std::fs::remove_file(&file);
    let mail = MailServer::start().await;
    let (engine, component) = compiled();
    let config = || {
        let mut config = HostConfig::new(manifest())
            .var("mail_base_url", format!("http://{}", mail.addr))
            .var("mail_webhook_path", "/mail");
        config.key_value = rsos_edge_host::key_value::Backing::File(file.clone());
        config
    };
    let first_host = start(engine, component, config()).await.unwrap();
    let first = submit(&first_host, Some("restart-1"), &forwardable()).await;
    assert_eq!(first.status, 202);
    first_host.shutdown().await;

    let second_host = start(engine, component, config()).await.unwrap();
    let second = submit(&second_host, Some("restart-1"), &forwardable()).await;
    assert_eq!(second.body, first.body);
    assert_eq!(mail.delivered_kind("forward").len(), 1);
    second_host.shutdown().await;
    let _ = std::fs::remove_file(&file);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clients_cannot_spoof_spin_headers() {
    let mail = MailServer::start().await;
    let host = host_with(&mail, &[("rate_limit_per_address_per_minute", "1")]).await;
    let body = serde_json::to_vec(&forwardable()).unwrap();
    let first = post(
        host.addr,
        "/api/requests",
        &[
            ("Content-Type", "application/json"),
            ("spin-client-addr", "10.0.0.1:1"),
        ],
        &body,
    )
    .await;
    assert_eq!(first.status, 202);
    // A different claimed address does not escape the limit: the host appends the real one
    // after it, as Spin does, and the component reads that (see `spin_headers.rs`).
    let second = post(
        host.addr,
        "/api/requests",
        &[
            ("Content-Type", "application/json"),
            ("spin-client-addr", "10.0.0.2:1"),
        ],
        &body,
    )
    .await;
    assert_eq!(second.status, 429);
    host.shutdown().await;
}

/// A host with the local mailbox on, keeping `capacity` messages.
async fn local_mailbox_host(capacity: usize) -> RunningHost {
    let mut config = HostConfig::new(manifest());
    config.local_mailbox = true;
    config.mailbox_capacity = capacity;
    host_from(config).await
}

fn webhook_mail(subject: &str) -> Vec<u8> {
    serde_json::to_vec(&serde_json::json!({
        "to": "a@b.example", "from": null, "reply_to": null, "subject": subject, "text": "T"
    }))
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_local_mailbox_answers_only_to_local_names_of_the_host() {
    let host = local_mailbox_host(10).await;
    let port = host.addr.port();
    for name in ["attacker.example", "10.0.0.7", "rebind.127.0.0.1.nip.io"] {
        let request = format!(
            "GET /mailbox/api/messages HTTP/1.1\r\nHost: {name}:{port}\r\nConnection: close\r\n\r\n"
        );
        let reply = raw(host.addr, request.as_bytes()).await;
        assert_eq!(reply.status, 403, "{name}");
        assert!(reply.json()["error"]
            .as_str()
            .unwrap_or_default()
            .contains("localhost"));
    }
    let request = format!(
        "POST /mailbox/webhook HTTP/1.1\r\nHost: attacker.example:{port}\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        webhook_mail("planted").len()
    );
    let mut bytes = request.into_bytes();
    bytes.extend_from_slice(&webhook_mail("planted"));
    assert_eq!(raw(host.addr, &bytes).await.status, 403);
    assert!(host.mailbox.messages().is_empty());
    let local = format!(
        "GET /mailbox/api/messages HTTP/1.1\r\nHost: localhost:{port}\r\nConnection: close\r\n\r\n"
    );
    assert_eq!(raw(host.addr, local.as_bytes()).await.status, 200);
    assert_eq!(get(host.addr, "/mailbox").await.status, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_local_mailbox_takes_mail_only_as_json() {
    let host = local_mailbox_host(10).await;
    for content_type in [
        "text/plain",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
    ] {
        let reply = post(
            host.addr,
            "/mailbox/webhook",
            &[("Content-Type", content_type)],
            &webhook_mail("cross-site"),
        )
        .await;
        assert_eq!(reply.status, 415, "{content_type}");
    }
    let unlabelled = post(host.addr, "/mailbox/webhook", &[], &webhook_mail("bare")).await;
    assert_eq!(unlabelled.status, 415);
    assert!(host.mailbox.messages().is_empty());
    let json = post(
        host.addr,
        "/mailbox/webhook",
        &[("Content-Type", "application/json")],
        &webhook_mail("json"),
    )
    .await;
    assert_eq!(json.status, 202, "{}", json.text());
    assert_eq!(host.mailbox.messages().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_local_mailbox_keeps_only_the_newest_messages() {
    let host = local_mailbox_host(2).await;
    for subject in ["one", "two", "three"] {
        let reply = post(
            host.addr,
            "/mailbox/webhook",
            &[("Content-Type", "application/json")],
            &webhook_mail(subject),
        )
        .await;
        assert_eq!(reply.status, 202);
    }
    let listing = get(host.addr, "/mailbox/api/messages").await.json();
    let subjects: Vec<&str> = listing
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|m| m["subject"].as_str())
        .collect();
    assert_eq!(subjects, ["two", "three"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_local_mailbox_answers_413_only_for_an_email_over_its_limit() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let (engine, component) = compiled();
    let mut config = HostConfig::new(manifest());
    config.local_mailbox = true;
    let host = start(engine, component, config).await.unwrap();
    let json = [("Content-Type", "application/json")];
    let big = vec![b' '; 1024 * 1024 + 1];
    let reply = post(host.addr, "/mailbox/webhook", &json, &big).await;
    assert_eq!(reply.status, 413, "{}", reply.text());
    // A body that breaks off: 9 of the 100 bytes announced, then the client stops sending.
    let mut stream = tokio::net::TcpStream::connect(host.addr).await.unwrap();
    let head = request_bytes(
        "POST",
        host.addr,
        "/mailbox/webhook",
        &[json[0], ("Content-Length", "100")],
        b"",
    );
    let mut head = String::from_utf8(head)
        .unwrap()
        .replace("Content-Length: 0\r\n", "");
    head.push_str("{\"to\":\"x\"");
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.shutdown().await.unwrap();
    let mut bytes = Vec::new();
    let _ = tokio::time::timeout(
        std::time::Duration::from_secs(10),
        stream.read_to_end(&mut bytes),
    )
    .await;
    let reply = parse_reply(&bytes).expect("an answer");
    assert_eq!(reply.status, 400, "{}", reply.text());
    assert!(host.mailbox.messages().is_empty());
    host.shutdown().await;
}
