//! Who may submit, and how much: signed embed tokens, the honeypot, the per-recipient limit
//! and the security headers, through the real component in the real engine.

use crate::kit::*;
use rsos_edge_host::{start, HostConfig};
use rsos_embed_token::{sign, Claims};
use serde_json::Value;

const SECRET: &str = "portal-and-edge-shared-secret-for-tests";

fn now_s() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or_default()
}

fn token(san: &str, email: &str, expires_at: i64, secret: &str) -> String {
    let claims = Claims {
        agent_san: san.into(),
        agent_email: email.into(),
        expires_at,
    };
    sign(&claims, secret.as_bytes())
}

async fn submit_with(
    host: &rsos_edge_host::RunningHost,
    headers: &[(&str, &str)],
    body: &Value,
) -> Reply {
    let mut all = vec![("Content-Type", "application/json")];
    all.extend_from_slice(headers);
    post(
        host.addr,
        "/api/requests",
        &all,
        &serde_json::to_vec(body).unwrap(),
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_a_secret_a_valid_token_for_the_same_agent_is_accepted() {
    let mail = MailServer::start().await;
    let host = host_with(&mail, &[("embed_token_secret", SECRET)]).await;
    let good = token("A12345", "pat.agent@agency.example", now_s() + 600, SECRET);
    let bearer = format!("Bearer {good}");
    let reply = submit_with(
        &host,
        &[("Authorization", &bearer), ("Idempotency-Key", "tok-1")],
        &forwardable(),
    )
    .await;
    assert_eq!(reply.status, 202, "{}", reply.text());
    assert_eq!(mail.delivered().len(), 2);
    host.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_a_secret_missing_expired_tampered_or_foreign_tokens_are_refused_and_nothing_is_sent()
{
    let mail = MailServer::start().await;
    let host = host_with(&mail, &[("embed_token_secret", SECRET)]).await;
    let expired = token("A12345", "pat.agent@agency.example", now_s() - 1, SECRET);
    let forged = token(
        "A12345",
        "pat.agent@agency.example",
        now_s() + 600,
        "another secret",
    );
    let foreign = token("B99999", "someone@agency.example", now_s() + 600, SECRET);
    let cases: Vec<(Option<String>, u16, &str)> = vec![
        (None, 401, "sign-in token"),
        (Some("Bearer not-a-token".into()), 401, "not readable"),
        (Some(format!("Bearer {expired}")), 401, "expired"),
        (Some(format!("Bearer {forged}")), 403, "not valid"),
        (Some(format!("Bearer {foreign}")), 403, "signed in"),
    ];
    for (authorization, status, says) in cases {
        let mut headers = vec![];
        if let Some(value) = &authorization {
            headers.push(("Authorization", value.as_str()));
        }
        let reply = submit_with(&host, &headers, &forwardable()).await;
        assert_eq!(reply.status, status, "{authorization:?}: {}", reply.text());
        let sentence = reply.json()["error"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        assert!(sentence.contains(says), "{authorization:?}: {sentence}");
        assert!(
            !reply.text().contains("H1234-5678"),
            "no member data in refusals"
        );
    }
    assert!(
        mail.received().is_empty(),
        "a refused request sends nothing"
    );
    host.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_secret_a_filled_honeypot_sends_nothing_and_says_so() {
    let mail = MailServer::start().await;
    let host = host(&mail).await;
    let reply = submit_with(
        &host,
        &[("X-RSOS-Trap", "http://spam.example")],
        &forwardable(),
    )
    .await;
    // Never "forwarded" for a request that did not reach the mailbox: autofill fills such
    // fields for real agents too.
    assert_eq!(reply.status, 400, "{}", reply.text());
    assert_eq!(reply.json()["trap"], true);
    assert_eq!(reply.json()["error"], rsos_rules::notice::trap_filled());
    assert!(reply.json().get("tracking_id").is_none());
    assert!(mail.received().is_empty());
    let reply = submit_with(&host, &[("X-RSOS-Trap", "")], &forwardable()).await;
    assert_eq!(reply.status, 202);
    assert_eq!(mail.delivered().len(), 2, "an empty honeypot is a person");
    host.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledgements_to_one_address_are_limited_per_hour() {
    let mail = MailServer::start().await;
    let host = host_with(
        &mail,
        &[
            ("rate_limit_per_recipient_per_hour", "2"),
            ("rate_limit_per_san_per_hour", "0"),
        ],
    )
    .await;
    let mut statuses = Vec::new();
    for (i, san) in ["A1", "B2", "C3"].into_iter().enumerate() {
        let mut body = forwardable();
        body["agent_san"] = san.into();
        body["member_id"] = format!("H0000-000{i}").into();
        statuses.push(submit(&host, Some(&format!("recipient-{i}")), &body).await);
    }
    assert_eq!(
        statuses.iter().map(|r| r.status).collect::<Vec<_>>(),
        [202, 202, 429]
    );
    assert!(statuses[2].header("retry-after").is_some());
    assert_eq!(mail.delivered_kind("acknowledgement").len(), 2);
    host.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn api_answers_carry_the_security_headers() {
    let mail = MailServer::start().await;
    let host = host(&mail).await;
    let reply = submit(&host, Some("headers-1"), &forwardable()).await;
    assert_eq!(reply.header("x-content-type-options"), Some("nosniff"));
    assert_eq!(reply.header("referrer-policy"), Some("no-referrer"));
    let csp = reply.header("content-security-policy").unwrap_or_default();
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    host.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_and_files_the_host_serves_carry_a_strict_csp() {
    let mail = MailServer::start().await;
    let (engine, component) = compiled();
    let mut config = HostConfig::new(manifest())
        .var("mail_base_url", format!("http://{}", mail.addr))
        .var("allowed_origins", "https://portal.example");
    config.local_mailbox = true;
    let host = start(engine, component, config).await.unwrap();
    for path in ["/mailbox", "/mailbox/mailbox.js", "/mailbox/mailbox.css"] {
        let reply = get(host.addr, path).await;
        assert_eq!(reply.status, 200, "{path}");
        let csp = reply.header("content-security-policy").unwrap_or_default();
        assert!(
            csp.contains("script-src 'self' 'wasm-unsafe-eval'"),
            "{path}: {csp}"
        );
        assert!(
            !csp.contains("'unsafe-eval'") && !csp.contains("'unsafe-inline'"),
            "{csp}"
        );
        assert!(
            csp.contains("object-src 'none'") && csp.contains("base-uri 'none'"),
            "{csp}"
        );
        assert!(
            csp.contains("frame-ancestors 'self' https://portal.example"),
            "{csp}"
        );
        assert_eq!(reply.header("x-content-type-options"), Some("nosniff"));
        assert_eq!(reply.header("referrer-policy"), Some("no-referrer"));
    }
    let page = get(host.addr, "/mailbox").await.text();
    assert!(
        !page.contains("<style>") && !page.contains("<script>"),
        "no inline code"
    );
    host.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_embed_tokens_the_per_minute_limit_counts_per_agent_not_per_address() {
    let mail = MailServer::start().await;
    // Seventy agents behind one office address, a limit of 60 a minute.
    let host = host_with(
        &mail,
        &[
            ("embed_token_secret", SECRET),
            ("rate_limit_per_address_per_minute", "60"),
        ],
    )
    .await;
    for i in 0..70 {
        let san = format!("A{i:05}");
        let email = format!("agent{i}@agency.example");
        let bearer = format!("Bearer {}", token(&san, &email, now_s() + 600, SECRET));
        let mut request = forwardable();
        request["agent_san"] = Value::from(san.clone());
        request["agent_email"] = Value::from(email);
        let key = format!("office-{i}");
        let reply = submit_with(
            &host,
            &[("Authorization", &bearer), ("Idempotency-Key", &key)],
            &request,
        )
        .await;
        assert_eq!(reply.status, 202, "agent {i}: {}", reply.text());
    }
    // One agent is still held to the limit.
    let bearer = format!(
        "Bearer {}",
        token("A00000", "agent0@agency.example", now_s() + 600, SECRET)
    );
    let mut last = 0;
    for i in 0..61 {
        let mut request = forwardable();
        request["agent_san"] = Value::from("A00000");
        request["agent_email"] = Value::from("agent0@agency.example");
        let key = format!("one-agent-{i}");
        last = submit_with(
            &host,
            &[("Authorization", &bearer), ("Idempotency-Key", &key)],
            &request,
        )
        .await
        .status;
    }
    assert_eq!(last, 429);
    host.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn behind_a_trusted_proxy_the_client_is_the_address_it_appended() {
    let mail = MailServer::start().await;
    let host = host_with(
        &mail,
        &[
            ("trusted_proxy_hops", "1"),
            ("rate_limit_per_address_per_minute", "2"),
        ],
    )
    .await;
    // The ingress appends the client's address; whatever the client wrote before it is not
    // trusted, so making one up does not buy a fresh limit.
    let mut statuses = Vec::new();
    for i in 0..3 {
        let forwarded = format!("10.9.9.{i}, 203.0.113.7");
        let key = format!("xff-{i}");
        let reply = submit_with(
            &host,
            &[("X-Forwarded-For", &forwarded), ("Idempotency-Key", &key)],
            &forwardable(),
        )
        .await;
        statuses.push(reply.status);
    }
    assert_eq!(statuses, [202, 202, 429]);
    // Another client behind the same proxy has its own limit.
    let reply = submit_with(
        &host,
        &[
            ("X-Forwarded-For", "198.51.100.4"),
            ("Idempotency-Key", "xff-other"),
        ],
        &forwardable(),
    )
    .await;
    assert_eq!(reply.status, 202, "{}", reply.text());
    host.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_trusted_proxies_x_forwarded_for_is_ignored() {
    let mail = MailServer::start().await;
    let host = host_with(&mail, &[("rate_limit_per_address_per_minute", "2")]).await;
    let mut statuses = Vec::new();
    for i in 0..3 {
        let forwarded = format!("10.9.9.{i}");
        let key = format!("no-xff-{i}");
        let reply = submit_with(
            &host,
            &[("X-Forwarded-For", &forwarded), ("Idempotency-Key", &key)],
            &forwardable(),
        )
        .await;
        statuses.push(reply.status);
    }
    assert_eq!(statuses, [202, 202, 429]);
    host.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn headers_that_must_mean_one_thing_are_refused_when_repeated() {
    let mail = MailServer::start().await;
    let host = host(&mail).await;
    let body = serde_json::to_vec(&forwardable()).unwrap();
    for (name, first, second) in [
        ("Idempotency-Key", "k-1", "k-2"),
        ("Content-Type", "application/json", "text/plain"),
        ("Authorization", "Bearer a", "Bearer b"),
    ] {
        let reply = post(
            host.addr,
            "/api/requests",
            &[
                ("Content-Type", "application/json"),
                (name, first),
                (name, second),
            ][usize::from(name == "Content-Type")..],
            &body,
        )
        .await;
        assert_eq!(reply.status, 400, "{name}: {}", reply.text());
        let sentence = reply.json()["error"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        assert!(
            sentence
                .to_ascii_lowercase()
                .contains(&name.to_ascii_lowercase()),
            "{sentence}"
        );
    }
    assert!(mail.received().is_empty());
    host.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_compressed_body_is_refused_with_a_sentence() {
    let mail = MailServer::start().await;
    let host = host(&mail).await;
    for encoding in ["gzip", "br", "deflate, identity"] {
        let reply = submit_with(
            &host,
            &[("Content-Encoding", encoding), ("Idempotency-Key", "enc-1")],
            &forwardable(),
        )
        .await;
        assert_eq!(reply.status, 415, "{encoding}: {}", reply.text());
        assert!(
            reply.text().contains("Content-Encoding"),
            "{}",
            reply.text()
        );
    }
    let reply = submit_with(
        &host,
        &[
            ("Content-Encoding", "identity"),
            ("Idempotency-Key", "enc-2"),
        ],
        &forwardable(),
    )
    .await;
    assert_eq!(reply.status, 202, "{}", reply.text());
    assert_eq!(mail.delivered().len(), 2);
    host.shutdown().await;
}
