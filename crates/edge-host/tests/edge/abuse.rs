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
async fn without_a_secret_a_filled_honeypot_gets_a_decoy_and_nothing_is_sent() {
    let mail = MailServer::start().await;
    let host = host(&mail).await;
    let reply = submit_with(
        &host,
        &[("X-RSOS-Trap", "http://spam.example")],
        &forwardable(),
    )
    .await;
    assert_eq!(reply.status, 202, "{}", reply.text());
    assert!(reply.json()["tracking_id"]
        .as_str()
        .unwrap_or_default()
        .starts_with("RSOS-"));
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
