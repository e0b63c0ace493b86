//! The real component in the real engine, over real HTTP on 127.0.0.1: every status of
//! SPEC §7 and its body, the shared vectors, and hostile input.

use crate::kit::*;
use rsos_rules::{assess, Request, Ruleset};
use serde_json::{json, Value};

fn canonical_verdict(request: &Value) -> String {
    let request = Request::from_json(&serde_json::to_vec(request).unwrap()).unwrap();
    assess(&request, Ruleset::builtin()).verdict.to_json()
}

/// The `"verdict"` member exactly as the component wrote it, bytes included.
fn raw_verdict(reply: &Reply) -> String {
    #[derive(serde::Deserialize)]
    struct WithVerdict<'a> {
        #[serde(borrow)]
        verdict: &'a serde_json::value::RawValue,
    }
    let parsed: WithVerdict = serde_json::from_slice(&reply.body).expect("reply has a verdict");
    parsed.verdict.get().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forwardable_request_is_accepted_with_tracking_id_and_service_times() {
    let mail = MailServer::start().await;
    let host = host(&mail).await;
    let reply = submit(&host, Some("accept-1"), &forwardable()).await;
    assert_eq!(reply.status, 202, "{}", reply.text());
    let body = reply.json();
    assert_eq!(body["outcome"], "forwarded");
    assert_eq!(body["subject"], "Smith, John Medicare");
    assert_eq!(body["urgent"], false);
    let tracking = body["tracking_id"].as_str().unwrap();
    assert!(
        tracking.starts_with("RSOS-") && tracking.len() > 10,
        "{tracking}"
    );
    for field in ["received_at", "respond_by", "next_follow_up"] {
        let instant = body[field].as_str().unwrap();
        chrono::DateTime::parse_from_rfc3339(instant)
            .unwrap_or_else(|_| panic!("{field} = {instant}"));
    }
    assert!(body["respond_by"].as_str() > body["received_at"].as_str());
    assert_eq!(raw_verdict(&reply), canonical_verdict(&forwardable()));
    assert_eq!(reply.header("idempotency-key"), Some("accept-1"));
    assert_eq!(mail.delivered().len(), 2);
    host.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shared_vectors_get_the_same_verdict_over_http_as_from_the_cli() {
    let mail = MailServer::start().await;
    let host = host(&mail).await;
    let dir = root().join("tests/vectors");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    assert!(
        files.len() >= 10,
        "expected the shared vectors in {}",
        dir.display()
    );
    for (i, file) in files.iter().enumerate() {
        let vector: Value = serde_json::from_slice(&std::fs::read(file).unwrap()).unwrap();
        let name = vector["name"].as_str().unwrap_or("?").to_owned();
        let key = format!("vector-{i}");
        let reply = submit(&host, Some(&key), &vector["request"]).await;
        let expected_status = match vector["verdict"]["outcome"].as_str().unwrap() {
            "forward" => 202,
            "out_of_scope" => 200,
            _ => 422,
        };
        assert_eq!(reply.status, expected_status, "{name}: {}", reply.text());
        // The CLI prints Verdict::to_json(); the component must embed those very bytes.
        let raw = raw_verdict(&reply);
        assert_eq!(raw, canonical_verdict(&vector["request"]), "{name}");
        let raw: Value = serde_json::from_str(&raw).unwrap();
        assert_eq!(raw, vector["verdict"], "{name}");
    }
    host.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shared_raw_bodies_get_the_same_verdict_or_sentence_over_http_as_from_the_cli() {
    let mail = MailServer::start().await;
    let host = host(&mail).await;
    let dir = root().join("tests/vectors/bodies");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    assert!(
        !files.is_empty(),
        "expected raw bodies in {}",
        dir.display()
    );
    for (i, file) in files.iter().enumerate() {
        let vector: Value = serde_json::from_slice(&std::fs::read(file).unwrap()).unwrap();
        let name = vector["name"].as_str().unwrap_or("?").to_owned();
        let body = vector["body"].as_str().unwrap().as_bytes().to_vec();
        let key = format!("body-{i}");
        let reply = post(
            host.addr,
            "/api/requests",
            &[
                ("Content-Type", "application/json"),
                ("Idempotency-Key", &key),
            ],
            &body,
        )
        .await;
        if let Some(sentence) = vector["error"].as_str() {
            assert_eq!(reply.status, 400, "{name}: {}", reply.text());
            assert_eq!(reply.json()["error"], sentence, "{name}");
        } else {
            let raw: Value = serde_json::from_str(&raw_verdict(&reply)).unwrap();
            assert_eq!(raw, vector["verdict"], "{name}: {}", reply.text());
        }
    }
    host.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn out_of_scope_request_gets_guidance_and_nothing_reaches_the_mailbox() {
    let mail = MailServer::start().await;
    let host = host(&mail).await;
    let mut request = forwardable();
    request["topic"] = json!("commission");
    let reply = submit(&host, Some("oos-1"), &request).await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    let body = reply.json();
    assert_eq!(body["outcome"], "out_of_scope");
    assert_eq!(body["category"], "commission");
    assert_eq!(body["contact"], "AgentSupport@humana.com");
    assert!(body["guidance"]
        .as_str()
        .unwrap()
        .contains("AgentSupport@humana.com"));
    assert_eq!(body["guidance_sent"], true);
    let delivered = mail.delivered();
    assert_eq!(delivered.len(), 1);
    assert_eq!(delivered[0]["to"], "pat.agent@agency.example");
    assert_eq!(delivered[0]["headers"]["X-RSOS-Kind"], "guidance");
    let text = delivered[0]["text"].as_str().unwrap();
    assert!(!text.contains("H1234-5678") && !text.contains("Claim for the March 3"));
    host.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn incomplete_request_gets_422_with_the_rules_messages_and_sends_nothing() {
    let mail = MailServer::start().await;
    let host = host(&mail).await;
    let mut request = forwardable();
    request["member_id"] = json!("");
    request["summary"] = json!("too short");
    let reply = submit(&host, Some("bad-1"), &request).await;
    assert_eq!(reply.status, 422, "{}", reply.text());
    let body = reply.json();
    assert_eq!(body["outcome"], "needs_changes");
    let fields: Vec<&str> = body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["member_id", "summary"]);
    assert_eq!(raw_verdict(&reply), canonical_verdict(&request));
    assert!(mail.received().is_empty());
    host.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn other_methods_get_405_with_allow_header() {
    let mail = MailServer::start().await;
    let host = host(&mail).await;
    for method in ["GET", "PUT", "DELETE", "PATCH"] {
        let request = format!("{method} /api/requests HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
        let reply = raw(host.addr, request.as_bytes()).await;
        assert_eq!(reply.status, 405, "{method}");
        assert_eq!(reply.header("allow"), Some("POST, OPTIONS"));
        assert!(reply.json()["error"].is_string());
    }
    host.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_api_path_is_404_json() {
    let mail = MailServer::start().await;
    let host = host(&mail).await;
    let reply = post(
        host.addr,
        "/api/other",
        &[("Content-Type", "application/json")],
        b"{}",
    )
    .await;
    assert_eq!(reply.status, 404);
    assert!(reply.json()["error"].is_string());
    host.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn other_content_types_get_415() {
    let mail = MailServer::start().await;
    let host = host(&mail).await;
    let body = serde_json::to_vec(&forwardable()).unwrap();
    for headers in [
        vec![("Content-Type", "text/plain")],
        vec![("Content-Type", "application/x-www-form-urlencoded")],
        vec![("Content-Type", "application/json; charset=latin1")],
        vec![],
    ] {
        let reply = post(host.addr, "/api/requests", &headers, &body).await;
        assert_eq!(reply.status, 415, "{headers:?}");
        assert!(reply.json()["error"]
            .as_str()
            .unwrap()
            .contains("application/json"));
    }
    let reply = post(
        host.addr,
        "/api/requests",
        &[
            ("Content-Type", "Application/JSON; charset=UTF-8"),
            ("Idempotency-Key", "ct-ok"),
        ],
        &body,
    )
    .await;
    assert_eq!(reply.status, 202, "{}", reply.text());
    assert!(mail.delivered().len() == 2);
    host.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_megabyte_body_gets_413_before_parsing() {
    let mail = MailServer::start().await;
    let host = host(&mail).await;
    let big = vec![b'a'; 10 * 1024 * 1024];
    let reply = post(
        host.addr,
        "/api/requests",
        &[("Content-Type", "application/json")],
        &big,
    )
    .await;
    assert_eq!(reply.status, 413);
    assert!(reply.json()["error"].is_string());
    host.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chunked_body_over_64_kib_gets_413_without_content_length() {
    let mail = MailServer::start().await;
    let host = host(&mail).await;
    let mut request = format!("POST /api/requests HTTP/1.1\r\nHost: {}\r\nConnection: close\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n", host.addr).into_bytes();
    let chunk = vec![b' '; 8192];
    for _ in 0..10 {
        request.extend_from_slice(format!("{:x}\r\n", chunk.len()).as_bytes());
        request.extend_from_slice(&chunk);
        request.extend_from_slice(b"\r\n");
    }
    request.extend_from_slice(b"0\r\n\r\n");
    let reply = raw(host.addr, &request).await;
    assert_eq!(reply.status, 413);
    host.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_bodies_get_400_with_a_plain_sentence_and_no_echo() {
    let mail = MailServer::start().await;
    let host = host(&mail).await;
    let mut unknown = forwardable();
    unknown["subject"] = json!("Injected, Subject Medicare");
    let mut wrong_type = forwardable();
    wrong_type["member_id"] = json!(12345);
    let deep = format!("{}{}", "[".repeat(30_000), "]".repeat(30_000));
    let mut invalid_utf8 = serde_json::to_vec(&forwardable()).unwrap();
    let at = invalid_utf8.windows(4).position(|w| w == b"John").unwrap();
    invalid_utf8[at] = 0xff;
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("unknown field", serde_json::to_vec(&unknown).unwrap()),
        ("wrong type", serde_json::to_vec(&wrong_type).unwrap()),
        ("array", b"[1,2,3]".to_vec()),
        ("string", b"\"hello\"".to_vec()),
        ("truncated", br#"{"member_id": "H1234"#.to_vec()),
        ("deep nesting", deep.into_bytes()),
        ("invalid utf-8", invalid_utf8),
        ("empty", Vec::new()),
    ];
    for (name, body) in cases {
        let reply = post(
            host.addr,
            "/api/requests",
            &[("Content-Type", "application/json")],
            &body,
        )
        .await;
        assert_eq!(reply.status, 400, "{name}: {}", reply.text());
        let error = reply.json()["error"].as_str().unwrap().to_owned();
        assert!(!error.is_empty(), "{name}");
        for secret in ["H1234", "John", "Smith", "Injected", "12345"] {
            assert!(
                !reply.text().contains(secret),
                "{name} echoes {secret}: {}",
                reply.text()
            );
        }
    }
    assert!(mail.received().is_empty());
    host.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_idempotency_keys_get_400() {
    let mail = MailServer::start().await;
    let host = host(&mail).await;
    let body = serde_json::to_vec(&forwardable()).unwrap();
    let long = "k".repeat(256);
    for key in [long.as_str(), "has space", "tab\there", ""] {
        let reply = post(
            host.addr,
            "/api/requests",
            &[
                ("Content-Type", "application/json"),
                ("Idempotency-Key", key),
            ],
            &body,
        )
        .await;
        assert_eq!(reply.status, 400, "{key:?}: {}", reply.text());
        assert!(reply.json()["error"]
            .as_str()
            .unwrap()
            .contains("Idempotency-Key"));
    }
    let longest = "k".repeat(255);
    let reply = submit(&host, Some(&longest), &forwardable()).await;
    assert_eq!(reply.status, 202);
    host.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn line_breaks_and_bidi_controls_in_any_field_are_refused_not_forwarded() {
    let mail = MailServer::start().await;
    let host = host(&mail).await;
    let fields = [
        "line_of_business",
        "topic",
        "agent_name",
        "agent_san",
        "agent_email",
        "member_id",
        "member_first_name",
        "member_last_name",
        "reference_number",
        "summary",
    ];
    let mut n = 0;
    for field in fields {
        for poison in [
            "\r\nBcc: evil@example.com",
            "\u{202E}evil",
            "\u{2066}x\u{2069}",
            "a\u{0}b",
        ] {
            if field == "summary" && poison.starts_with("\r\n") {
                continue; // the summary may hold line breaks (SPEC §1)
            }
            n += 1;
            let mut request = forwardable();
            let value = format!("{}{poison}", request[field].as_str().unwrap());
            request[field] = json!(value);
            let reply = submit(&host, Some(&format!("poison-{n}")), &request).await;
            assert!(
                reply.status == 422 || reply.status == 200,
                "{field} {poison:?}: {} {}",
                reply.status,
                reply.text()
            );
            let body = reply.json();
            assert_eq!(raw_verdict(&reply), canonical_verdict(&request), "{field}");
            assert_ne!(body["outcome"], "forwarded");
        }
    }
    assert!(mail.delivered_kind("forward").is_empty());
    host.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cors_preflight_and_headers_only_for_allowed_origins() {
    let mail = MailServer::start().await;
    let host = host_with(
        &mail,
        &[(
            "allowed_origins",
            "https://portal.example, http://localhost:8080",
        )],
    )
    .await;
    let preflight = |origin: &str| {
        format!("OPTIONS /api/requests HTTP/1.1\r\nHost: x\r\nConnection: close\r\nOrigin: {origin}\r\nAccess-Control-Request-Method: POST\r\nAccess-Control-Request-Headers: content-type, idempotency-key\r\n\r\n")
    };
    let allowed = raw(host.addr, preflight("https://portal.example").as_bytes()).await;
    assert_eq!(allowed.status, 204);
    assert_eq!(
        allowed.header("access-control-allow-origin"),
        Some("https://portal.example")
    );
    assert!(allowed
        .header("access-control-allow-headers")
        .unwrap()
        .contains("idempotency-key"));
    assert!(allowed
        .header("access-control-allow-methods")
        .unwrap()
        .contains("POST"));

    let refused = raw(host.addr, preflight("https://evil.example").as_bytes()).await;
    assert_eq!(refused.status, 403);
    assert_eq!(refused.header("access-control-allow-origin"), None);

    let body = serde_json::to_vec(&forwardable()).unwrap();
    let reply = post(
        host.addr,
        "/api/requests",
        &[
            ("Content-Type", "application/json"),
            ("Origin", "http://localhost:8080"),
            ("Idempotency-Key", "cors-1"),
        ],
        &body,
    )
    .await;
    assert_eq!(reply.status, 202);
    assert_eq!(
        reply.header("access-control-allow-origin"),
        Some("http://localhost:8080")
    );
    assert_eq!(reply.header("vary"), Some("Origin"));
    let other = post(
        host.addr,
        "/api/requests",
        &[
            ("Content-Type", "application/json"),
            ("Origin", "https://evil.example"),
            ("Idempotency-Key", "cors-1"),
        ],
        &body,
    )
    .await;
    assert_eq!(other.header("access-control-allow-origin"), None);
    host.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn too_many_requests_from_one_address_get_429_with_retry_after() {
    let mail = MailServer::start().await;
    let host = host_with(&mail, &[("rate_limit_per_address_per_minute", "3")]).await;
    let mut statuses = Vec::new();
    for i in 0..5 {
        let reply = submit(&host, Some(&format!("rate-{i}")), &forwardable()).await;
        statuses.push(reply.status);
        if reply.status == 429 {
            let after: u64 = reply.header("retry-after").unwrap().parse().unwrap();
            assert!((1..=60).contains(&after));
            assert!(reply.json()["error"].is_string());
        }
    }
    assert_eq!(statuses, [202, 202, 202, 429, 429]);
    host.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn too_many_new_requests_from_one_agent_get_429() {
    let mail = MailServer::start().await;
    let host = host_with(&mail, &[("rate_limit_per_san_per_hour", "2")]).await;
    let mut statuses = Vec::new();
    for i in 0..3 {
        statuses.push(
            submit(&host, Some(&format!("san-{i}")), &forwardable())
                .await
                .status,
        );
    }
    assert_eq!(statuses, [202, 202, 429]);
    // A replay of an accepted request is not a new request and is never limited.
    assert_eq!(
        submit(&host, Some("san-0"), &forwardable()).await.status,
        202
    );
    let mut other_agent = forwardable();
    other_agent["agent_san"] = json!("B99999");
    assert_eq!(
        submit(&host, Some("san-other"), &other_agent).await.status,
        202
    );
    host.shutdown().await;
}

/// `GET /api/promise` (issue 10): the dates the form shows before sending are the business
/// clock's at the edge's instant, the very dates a request sent then is given.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_promise_before_sending_is_what_the_receipt_then_says() {
    let mail = MailServer::start().await;
    let host = host_with(&mail, &[("allowed_origins", "https://portal.example")]).await;
    let ruleset = Ruleset::builtin();
    let before = wall_clock() - chrono::Duration::seconds(1);
    let get_from = |origin: &'static str| {
        let addr = host.addr;
        async move {
            raw(
                addr,
                &request_bytes("GET", addr, "/api/promise", &[("Origin", origin)], b""),
            )
            .await
        }
    };
    let reply = get_from("https://portal.example").await;
    let after = wall_clock() + chrono::Duration::seconds(1);
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert_eq!(reply.header("cache-control"), Some("no-store"));
    assert_eq!(
        reply.header("access-control-allow-origin"),
        Some("https://portal.example")
    );
    let promise = reply.json();
    let received = instant(&promise["received_at"]);
    assert!(before <= received && received <= after, "{received}");
    let expected = rsos_rules::promise_if_sent(received, ruleset);
    assert_eq!(
        promise,
        serde_json::to_value(&expected).unwrap(),
        "the edge's answer is rsos_rules::promise_if_sent of its own instant"
    );
    assert_eq!(promise["ruleset"], ruleset.version());
    let holds = promise["holds_for_s"].as_i64().expect("holds_for_s");
    assert!((1..=25 * 3600).contains(&holds), "{holds}");
    for member_field in ["tracking_id", "member_id", "subject"] {
        assert!(promise.get(member_field).is_none(), "{member_field}");
    }

    // A request sent now is given the dates the promise of its own receipt names.
    let sent = submit(&host, Some("promise-1"), &forwardable()).await;
    assert_eq!(sent.status, 202, "{}", sent.text());
    let body = sent.json();
    let received = instant(&body["received_at"]);
    let promised = rsos_rules::promise_if_sent(received, ruleset);
    assert_eq!(body["respond_by"], promised.respond_by.as_str());
    assert_eq!(
        body["next_follow_up"],
        promised.next_follow_up.as_deref().unwrap_or("none")
    );

    // Other origins get the answer without CORS (their pages cannot read it); other methods
    // are refused.
    let other = get_from("https://evil.example").await;
    assert_eq!(other.header("access-control-allow-origin"), None);
    let posted = post(host.addr, "/api/promise", &[], b"").await;
    assert_eq!(posted.status, 405);
    assert_eq!(posted.header("allow"), Some("GET, OPTIONS"));
    assert!(mail.delivered_kind("forward").len() == 1);
    host.shutdown().await;
}

/// An RFC 3339 instant of a reply.
fn instant(value: &Value) -> chrono::DateTime<chrono::Utc> {
    value
        .as_str()
        .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
        .map(|t| t.with_timezone(&chrono::Utc))
        .expect("an RFC 3339 instant")
}

/// This machine's clock (the workspace's chrono has no `clock` feature).
fn wall_clock() -> chrono::DateTime<chrono::Utc> {
    let since_epoch = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("the clock is after 1970");
    chrono::DateTime::from_timestamp_millis(since_epoch.as_millis() as i64).expect("in range")
}
