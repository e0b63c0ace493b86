//! Coaching insights through the real component (issue 12): what is counted and how often
//! (exactly, under concurrency across two instances on one Redis, and once under retries),
//! the form's events, the API for scripts (JSON and CSV), the page behind the digest's signed
//! link, and that no member field value reaches any counter key, page or export.

use std::path::Path;

use rsos_edge_host::key_value::{Backing, KeyValueStore};
use rsos_embed_token::link::{sign_link, Link, LinkAction};
use serde_json::{json, Value};

use crate::kit::*;

const INSIGHTS: &str = "insights-token-for-tests";
const SECRET: &str = "link secret for the insights tests";

fn vars() -> Vec<(&'static str, &'static str)> {
    vec![
        ("insights_token", INSIGHTS),
        ("link_secret", SECRET),
        ("public_url", "http://rsos.test"),
    ]
}

/// `GET /api/insights` with the token (and `extra` headers), as JSON or text.
async fn insights(addr: std::net::SocketAddr, path: &str, extra: &[(&str, &str)]) -> Reply {
    let bearer = format!("Bearer {INSIGHTS}");
    let mut headers = vec![("Authorization", bearer.as_str())];
    headers.extend_from_slice(extra);
    raw(addr, &request_bytes("GET", addr, path, &headers, b"")).await
}

/// The summed count of `metric` in an insights JSON answer (every SAN and week).
fn total(export: &Value, metric: &str) -> i64 {
    export["counts"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["metric"] == metric)
        .map(|c| c["count"].as_i64().unwrap())
        .sum()
}

fn incomplete() -> Value {
    let mut body = forwardable();
    body["member_id"] = json!("");
    body
}

async fn event(
    addr: std::net::SocketAddr,
    body: &Value,
    key: Option<&str>,
    extra: &[(&str, &str)],
) -> Reply {
    let body = serde_json::to_vec(body).unwrap();
    let mut headers = vec![("Content-Type", "application/json")];
    if let Some(key) = key {
        headers.push(("Idempotency-Key", key));
    }
    headers.extend_from_slice(extra);
    post(addr, "/api/events", &headers, &body).await
}

fn shown(category: &str) -> Value {
    json!({
        "kind": "guidance_shown",
        "category": category,
        "agent_san": "A12345",
        "ruleset": rsos_rules::Ruleset::builtin().version(),
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn counts_are_exact_across_two_instances_and_once_under_retries() {
    let redis = RedisServer::start().expect("redis-server runs");
    let url = redis.url.clone();
    let mail = MailServer::start().await;
    let start = || {
        let mut config = config_for(&mail, &vars());
        config.key_value = Backing::Redis(url.clone());
        host_from(config)
    };
    let (a, b) = (start().await, start().await);
    // 20 forwards and 10 returns, each sent to both instances at once, then once more.
    let mut sends = tokio::task::JoinSet::new();
    for _round in 0..2 {
        for (prefix, n, body) in [("fwd", 20, forwardable()), ("ret", 10, incomplete())] {
            for i in 0..n {
                for addr in [a.addr, b.addr] {
                    let key = format!("{prefix}-{i}");
                    let body = serde_json::to_vec(&body).unwrap();
                    sends.spawn(async move {
                        let headers = [
                            ("Content-Type", "application/json"),
                            ("Idempotency-Key", key.as_str()),
                        ];
                        post(addr, "/api/requests", &headers, &body).await
                    });
                }
            }
        }
    }
    for reply in sends.join_all().await {
        assert!(
            [200, 202, 409, 422].contains(&reply.status),
            "{} {}",
            reply.status,
            reply.text()
        );
    }
    // Retries until every forward has answered (a 409 in progress is retried by clients).
    for i in 0..20 {
        let reply = submit(&a, Some(&format!("fwd-{i}")), &forwardable()).await;
        assert_eq!(reply.status, 202, "{}", reply.text());
    }
    let export = insights(b.addr, "/api/insights", &[]).await;
    assert_eq!(export.status, 200, "{}", export.text());
    let export = export.json();
    assert_eq!(total(&export, "outcome.forward"), 20, "{export}");
    assert_eq!(total(&export, "outcome.needs_changes"), 10);
    assert_eq!(total(&export, "error.member_id.required"), 10);
    assert_eq!(
        mail.delivered_kind("forward").len(),
        20,
        "forwarded once each"
    );
    let reasons = export["report"]["reasons"].as_array().unwrap();
    assert_eq!(reasons[0]["metric"], "error.member_id.required");
    assert!(reasons[0]["topic"]
        .as_str()
        .unwrap()
        .contains("where the ID is"));
    assert_eq!(export["report"]["agents"][0]["agent_san"], "A12345");
    assert_eq!(export["report"]["agents"][0]["returns"], 10);
    // Once-only markers: the returns' outcome and error, 10 each; a forward needs none (its
    // record's first answer decides, in the write that records it).
    let mut redis = redis::Client::open(url.as_str())
        .unwrap()
        .get_multiplexed_async_connection()
        .await
        .unwrap();
    let markers: Vec<String> = redis::cmd("KEYS")
        .arg("rsos:kv:default:tally/*/~seen/*")
        .query_async(&mut redis)
        .await
        .unwrap();
    assert_eq!(markers.len(), 20, "{markers:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fixed_error_is_not_counted_again_and_a_new_one_is() {
    let mail = MailServer::start().await;
    let host = host_with(&mail, &vars()).await;
    let mut body = incomplete();
    submit(&host, Some("draft-1"), &body).await;
    submit(&host, Some("draft-1"), &body).await;
    body["summary"] = json!("short");
    assert_eq!(submit(&host, Some("draft-1"), &body).await.status, 422);
    let export = insights(host.addr, "/api/insights", &[]).await.json();
    assert_eq!(total(&export, "outcome.needs_changes"), 1);
    assert_eq!(total(&export, "error.member_id.required"), 1);
    assert_eq!(total(&export, "error.summary.too_short"), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn form_events_are_counted_once_per_key_and_refused_when_they_are_not_codes() {
    let mail = MailServer::start().await;
    let host = host_with(&mail, &vars()).await;
    let first = event(host.addr, &shown("commission"), Some("ev-1"), &[]).await;
    assert_eq!(first.status, 204, "{}", first.text());
    let again = event(host.addr, &shown("commission"), Some("ev-1"), &[]).await;
    assert_eq!(again.status, 204);
    assert_eq!(again.header("idempotent-replayed"), Some("true"));
    event(host.addr, &shown("commission"), Some("ev-2"), &[]).await;
    let split = json!({"kind": "split", "agent_san": "A12345", "ruleset": "2026.11.3"});
    assert_eq!(event(host.addr, &split, None, &[]).await.status, 204);

    let mut free_text = shown("commission");
    free_text["note"] = json!("John Smith H1234-5678");
    assert_eq!(event(host.addr, &free_text, None, &[]).await.status, 400);
    assert_eq!(
        event(host.addr, &shown("John Smith"), None, &[])
            .await
            .status,
        422
    );
    let mut bad_san = shown("commission");
    bad_san["agent_san"] = json!("H1234-5678 John");
    assert_eq!(event(host.addr, &bad_san, None, &[]).await.status, 422);
    let not_json = post(
        host.addr,
        "/api/events",
        &[("Content-Type", "text/plain")],
        b"x",
    )
    .await;
    assert_eq!(not_json.status, 415);
    let too_big = event(host.addr, &json!({"kind": "x".repeat(4096)}), None, &[]).await;
    assert_eq!(too_big.status, 413);

    let export = insights(host.addr, "/api/insights", &[]).await.json();
    assert_eq!(total(&export, "guidance_shown.commission"), 2);
    assert_eq!(total(&export, "mixed.split"), 1);
    let commission = export["report"]["out_of_scope"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["category"] == "commission")
        .cloned()
        .unwrap();
    assert_eq!(commission["shown"], 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn form_events_follow_the_submission_rules_for_origins_tokens_and_rates() {
    let mail = MailServer::start().await;
    let secret = "embed token secret for the events test";
    let mut with_tokens = vars();
    with_tokens.extend([
        ("embed_token_secret", secret),
        ("allowed_origins", "https://portal.example"),
        ("rate_limit_events_per_minute", "3"),
    ]);
    let host = host_with(&mail, &with_tokens).await;
    let preflight = raw(
        host.addr,
        &request_bytes(
            "OPTIONS",
            host.addr,
            "/api/events",
            &[("Origin", "https://portal.example")],
            b"",
        ),
    )
    .await;
    assert_eq!(preflight.status, 204);
    let foreign = raw(
        host.addr,
        &request_bytes(
            "OPTIONS",
            host.addr,
            "/api/events",
            &[("Origin", "https://elsewhere.example")],
            b"",
        ),
    )
    .await;
    assert_eq!(foreign.status, 403);
    assert_eq!(event(host.addr, &shown("aor"), None, &[]).await.status, 401);
    let now = i64::try_from(host.clock.now().as_secs()).unwrap();
    let claims = |san: &str| rsos_embed_token::Claims {
        agent_san: san.into(),
        agent_email: "pat.agent@agency.example".into(),
        expires_at: now + 600,
    };
    let other = format!(
        "Bearer {}",
        rsos_embed_token::sign(&claims("B999"), secret.as_bytes())
    );
    let refused = event(host.addr, &shown("aor"), None, &[("Authorization", &other)]).await;
    assert_eq!(refused.status, 403, "the token names another agent");
    let mine = format!(
        "Bearer {}",
        rsos_embed_token::sign(&claims("A12345"), secret.as_bytes())
    );
    let ok = event(host.addr, &shown("aor"), None, &[("Authorization", &mine)]).await;
    assert_eq!(ok.status, 204, "{}", ok.text());
    for _ in 0..2 {
        event(host.addr, &shown("aor"), None, &[("Authorization", &mine)]).await;
    }
    let limited = event(host.addr, &shown("aor"), None, &[("Authorization", &mine)]).await;
    assert_eq!(limited.status, 429, "three events a minute per agent");
    assert!(limited.header("retry-after").is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_api_needs_its_token_and_answers_csv_too() {
    let mail = MailServer::start().await;
    let host = host_with(&mail, &vars()).await;
    submit(&host, Some("k1"), &forwardable()).await;
    assert_eq!(get(host.addr, "/api/insights").await.status, 401);
    let wrong = raw(
        host.addr,
        &request_bytes(
            "GET",
            host.addr,
            "/api/insights",
            &[("Authorization", "Bearer insights-token-for-test")],
            b"",
        ),
    )
    .await;
    assert_eq!(wrong.status, 401);
    let csv = insights(host.addr, "/api/insights?format=csv", &[]).await;
    assert_eq!(csv.status, 200);
    assert!(csv.header("content-type").unwrap().starts_with("text/csv"));
    let text = csv.text();
    assert!(text.starts_with("week,agent_san,metric,count\n"), "{text}");
    assert!(text.contains(",A12345,outcome.forward,1\n"), "{text}");
    let by_accept = insights(host.addr, "/api/insights", &[("Accept", "text/csv")]).await;
    assert_eq!(by_accept.text(), text);
    let one_week = insights(host.addr, "/api/insights?weeks=1", &[])
        .await
        .json();
    assert_eq!(one_week["weeks"].as_array().unwrap().len(), 1);

    let mail = MailServer::start().await;
    let without = host_with(&mail, &[]).await;
    assert_eq!(
        insights(without.addr, "/api/insights", &[]).await.status,
        404,
        "no token configured, no API"
    );
}

fn page_link(host: &rsos_edge_host::RunningHost, action: LinkAction) -> String {
    let now = i64::try_from(host.clock.now().as_secs()).unwrap();
    let token = sign_link(
        &Link {
            tracking_id: String::new(),
            action,
            expires_at: now + 3600,
        },
        SECRET.as_bytes(),
    );
    format!("/api/insights/{token}")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_page_opens_from_a_signed_link_and_shows_charts_that_need_no_colour() {
    let mail = MailServer::start().await;
    let host = host_with(&mail, &vars()).await;
    submit(&host, Some("k1"), &incomplete()).await;
    submit(&host, Some("k2"), &forwardable()).await;
    let page = get(host.addr, &page_link(&host, LinkAction::Insights)).await;
    assert_eq!(page.status, 200, "{}", page.text());
    let html = page.text();
    assert!(html.contains("<h1>Coaching insights</h1>"));
    assert!(html.contains("<svg role=\"img\" aria-labelledby=\"chart-reasons\""));
    assert!(
        html.contains("Member ID #: required"),
        "labels in words: {html}"
    );
    assert!(
        html.contains("where the ID is on the member"),
        "coaching topic"
    );
    assert!(html.contains("<td>A12345</td>"));
    let status_link = get(host.addr, &page_link(&host, LinkAction::Status)).await;
    assert_eq!(status_link.status, 403, "only an insights link opens it");
    let forged = get(host.addr, "/api/insights/l1.eA.eA").await;
    assert!([400, 403].contains(&forged.status));
}

/// Every key and value in the SQLite store at `file`, as text.
async fn everything_stored(file: &Path) -> String {
    let store = KeyValueStore::in_sqlite(&file.to_path_buf(), "default").unwrap();
    let mut all = String::new();
    for key in store.keys().await.unwrap() {
        all.push_str(&key);
        all.push('\n');
        if key.starts_with("tally/") {
            if let Ok(Some(value)) = store.get(&key).await {
                all.push_str(&String::from_utf8_lossy(&value));
                all.push('\n');
            }
        }
    }
    all
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_member_field_value_reaches_a_counter_key_page_or_export() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("kv.db");
    let mail = MailServer::start().await;
    let mut config = config_for(&mail, &vars());
    config.key_value = Backing::File(file.clone());
    let host = host_from(config).await;
    // Every member field (and every agent field but the SAN, which insights name) a marker.
    let markers = [
        "Qzmarkerfirst",
        "Qzmarkerlast",
        "QZMARKERID7",
        "QZREF77",
        "Qzmarkeragent",
        "qzmarker.mail",
        "qzmarkersummary",
    ];
    let mut body = forwardable();
    body["member_first_name"] = json!(markers[0]);
    body["member_last_name"] = json!(markers[1]);
    body["member_id"] = json!(markers[2]);
    body["reference_number"] = json!(markers[3]);
    body["agent_name"] = json!(markers[4]);
    body["agent_email"] = json!(format!("{}@agency.example", markers[5]));
    body["summary"] = json!(format!(
        "The {} claim for the office visit was denied as out of network.",
        markers[6]
    ));
    assert_eq!(submit(&host, Some(markers[2]), &body).await.status, 202);
    let mut returned = body.clone();
    returned["summary"] = json!(markers[6]);
    assert_eq!(submit(&host, Some(markers[3]), &returned).await.status, 422);
    let mut outside = body.clone();
    outside["topic"] = json!("commission");
    assert_eq!(submit(&host, Some(markers[4]), &outside).await.status, 200);

    let json = insights(host.addr, "/api/insights", &[]).await.text();
    let csv = insights(host.addr, "/api/insights?format=csv", &[])
        .await
        .text();
    let page = get(host.addr, &page_link(&host, LinkAction::Insights))
        .await
        .text();
    assert!(json.contains("outcome.forward") && csv.contains("outcome.out_of_scope"));
    let tally: String = everything_stored(&file)
        .await
        .lines()
        .filter(|l| l.starts_with("tally/"))
        .collect::<Vec<_>>()
        .join("\n");
    assert!(tally.contains("/A12345/outcome.needs_changes"), "{tally}");
    for marker in markers {
        let marker = marker.to_ascii_lowercase();
        for (name, output) in [
            ("keys", &tally),
            ("json", &json),
            ("csv", &csv),
            ("page", &page),
        ] {
            assert!(
                !output.to_ascii_lowercase().contains(&marker),
                "{marker} in the insights {name}"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ledger_actions_count_once_however_often_they_are_posted() {
    let mail = MailServer::start().await;
    let host = host_with(&mail, &vars()).await;
    let reply = submit(&host, Some("k1"), &forwardable()).await;
    assert_eq!(reply.status, 202);
    let forward = mail.delivered_kind("forward")[0]["text"]
        .as_str()
        .unwrap()
        .to_owned();
    let respond = forward
        .lines()
        .find(|l| l.starts_with("First response sent"))
        .and_then(|l| {
            l.split_whitespace()
                .find_map(|w| w.strip_prefix("http://rsos.test"))
        })
        .unwrap()
        .to_owned();
    for _ in 0..3 {
        let done = post(
            host.addr,
            &respond,
            &[("Content-Type", "application/x-www-form-urlencoded")],
            b"version=1",
        )
        .await;
        assert_eq!(done.status, 200, "{}", done.text());
    }
    let export = insights(host.addr, "/api/insights", &[]).await.json();
    assert_eq!(total(&export, "respond_by.kept"), 1, "{export}");
    assert_eq!(export["report"]["ledger"]["respond_by_kept"], 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_first_digest_of_a_week_carries_last_weeks_top_topics_and_the_page_link() {
    use chrono::{DateTime, Utc};
    let mail = MailServer::start().await;
    let token = "maintenance-token-for-the-insights-digest";
    let mut with_sweep = vars();
    with_sweep.push(("maintenance_token", token));
    let host = host_with(&mail, &with_sweep).await;
    for (i, body) in [incomplete(), incomplete(), forwardable()]
        .iter()
        .enumerate()
    {
        submit(&host, Some(&format!("digest-{i}")), body).await;
    }
    let ruleset = rsos_rules::Ruleset::builtin();
    let now = || {
        DateTime::<Utc>::from_timestamp_millis(i64::try_from(host.clock.now().as_millis()).unwrap())
            .unwrap()
    };
    // On to the first business day of a later week, after the digest time.
    let this_week = rsos_rules::insights::week_of(now(), ruleset);
    for _ in 0..24 * 14 {
        let due = rsos_rules::insights::coaching_week_due(now(), ruleset);
        if due.as_deref() == Some(this_week.as_str())
            && rsos_rules::ledger::digest_due(now(), ruleset).is_some()
        {
            break;
        }
        host.clock.advance(std::time::Duration::from_secs(3600));
    }
    let bearer = format!("Bearer {token}");
    let swept = post(
        host.addr,
        "/api/maintenance/sweep",
        &[("Authorization", bearer.as_str())],
        b"",
    )
    .await;
    assert_eq!(swept.json()["digest"], "sent", "{}", swept.text());
    let digest = mail.delivered_kind("digest")[0]["text"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        digest.contains(&format!(
            "Last week's top coaching topics ({this_week}):\n1. Member ID missing"
        )),
        "{digest}"
    );
    let link = digest
        .split_whitespace()
        .find_map(|w| {
            w.strip_prefix("http://rsos.test")
                .filter(|p| p.starts_with("/api/insights/"))
        })
        .unwrap_or_else(|| panic!("no insights link in {digest}"))
        .to_owned();
    let page = get(host.addr, &link).await;
    assert_eq!(page.status, 200, "{}", page.text());
    // The link expires after `[insights] link_days`.
    host.clock.advance(std::time::Duration::from_secs(
        86_400 * u64::from(ruleset.insights().link_days) + 60,
    ));
    assert_eq!(get(host.addr, &link).await.status, 403);
}
