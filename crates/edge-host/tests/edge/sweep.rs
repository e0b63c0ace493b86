//! The sweep through the real component (issue 11): agent updates exactly once per follow-up
//! period, none once resolved, the outbox finishing a delivery the client abandoned, the daily
//! digest once, and concurrent sweeps sending each email once. Days pass on the host's wall
//! clock (`RunningHost::clock`), which the component reads through WASI as it would on Spin.

use std::time::Duration;

use chrono::{DateTime, Utc};
use rsos_rules::{BusinessClock, Ruleset};

use crate::kit::*;

const TOKEN: &str = "maintenance-token-for-the-sweep";

async fn sweeping_host(mail: &MailServer) -> rsos_edge_host::RunningHost {
    host_with(
        mail,
        &[
            ("maintenance_token", TOKEN),
            ("link_secret", "link secret for the sweep tests"),
            ("public_url", "http://rsos.test"),
        ],
    )
    .await
}

async fn sweep(host: &rsos_edge_host::RunningHost) -> serde_json::Value {
    let bearer = format!("Bearer {TOKEN}");
    let reply = post(
        host.addr,
        "/api/maintenance/sweep",
        &[("Authorization", bearer.as_str())],
        b"",
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    reply.json()
}

/// The follow-up dates of a request received at `received_at` (RFC 3339).
fn follow_ups(received_at: &str, k: u32) -> Vec<DateTime<Utc>> {
    let received = DateTime::parse_from_rfc3339(received_at)
        .unwrap()
        .with_timezone(&Utc);
    BusinessClock::new(Ruleset::builtin())
        .service_times(received, k)
        .follow_ups
        .into_iter()
        .map(|t| t.with_timezone(&Utc))
        .collect()
}

/// Now, on the host's wall clock.
fn host_now(host: &rsos_edge_host::RunningHost) -> DateTime<Utc> {
    let ms = i64::try_from(host.clock.now().as_millis()).unwrap();
    DateTime::from_timestamp_millis(ms).unwrap()
}

/// Moves the host's clock to just after `at`.
fn advance_past(host: &rsos_edge_host::RunningHost, at: DateTime<Utc>) {
    let now = host_now(host);
    if at > now {
        let ms = u64::try_from((at - now).num_milliseconds()).unwrap();
        host.clock
            .advance(Duration::from_millis(ms) + Duration::from_secs(60));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_left_open_across_two_follow_up_dates_gets_exactly_two_updates() {
    let mail = MailServer::start().await;
    let host = sweeping_host(&mail).await;
    let reply = submit(&host, Some("sweep-1"), &forwardable()).await;
    assert_eq!(reply.status, 202, "{}", reply.text());
    let received = reply.json()["received_at"].as_str().unwrap().to_owned();
    let dates = follow_ups(&received, 2);
    assert_eq!(sweep(&host).await["updates"], 0, "nothing is due yet");

    advance_past(&host, dates[0]);
    assert_eq!(sweep(&host).await["updates"], 1);
    assert_eq!(sweep(&host).await["updates"], 0, "once per period");
    assert_eq!(mail.delivered_kind("status_update").len(), 1);

    advance_past(&host, dates[1]);
    assert_eq!(sweep(&host).await["updates"], 1);
    let updates = mail.delivered_kind("status_update");
    assert_eq!(updates.len(), 2);
    for update in &updates {
        assert_eq!(update["to"], "pat.agent@agency.example");
        let text = update["text"].as_str().unwrap();
        assert!(text.contains("Next update by") && text.contains("/api/status/"));
        for member in ["H1234-5678", "Smith", "office visit"] {
            assert!(
                !text.contains(member) && !update["subject"].as_str().unwrap().contains(member)
            );
        }
    }
    host.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_resolved_request_gets_no_update() {
    let mail = MailServer::start().await;
    let host = sweeping_host(&mail).await;
    let reply = submit(&host, Some("sweep-2"), &forwardable()).await;
    let received = reply.json()["received_at"].as_str().unwrap().to_owned();
    let forward = mail.delivered_kind("forward")[0]["text"]
        .as_str()
        .unwrap()
        .to_owned();
    let resolve = forward
        .lines()
        .find(|l| l.starts_with("Resolved:"))
        .and_then(|l| l.split_whitespace().last())
        .and_then(|url| url.strip_prefix("http://rsos.test"))
        .unwrap()
        .to_owned();
    let resolved = post(
        host.addr,
        &resolve,
        &[("Content-Type", "application/x-www-form-urlencoded")],
        b"version=1",
    )
    .await;
    assert_eq!(resolved.status, 200, "{}", resolved.text());
    advance_past(&host, follow_ups(&received, 3)[2]);
    assert_eq!(sweep(&host).await["updates"], 0);
    assert!(mail.delivered_kind("status_update").is_empty());
    host.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_sweeps_at_once_send_each_email_once() {
    let mail = MailServer::start().await;
    let host = sweeping_host(&mail).await;
    let mut received = String::new();
    for i in 0..3 {
        let mut request = forwardable();
        request["reference_number"] = serde_json::json!(format!("REF-{i}"));
        let reply = submit(&host, Some(&format!("sweep-3-{i}")), &request).await;
        assert_eq!(reply.status, 202, "{}", reply.text());
        received = reply.json()["received_at"].as_str().unwrap().to_owned();
    }
    advance_past(&host, follow_ups(&received, 1)[0]);
    let (a, b) = tokio::join!(sweep(&host), sweep(&host));
    let sent = a["updates"].as_u64().unwrap() + b["updates"].as_u64().unwrap();
    assert!(sent <= 3, "{a} {b}");
    // Whatever one sweep found busy, the next one finishes.
    sweep(&host).await;
    assert_eq!(mail.delivered_kind("status_update").len(), 3);
    assert!(mail.delivered_kind("digest").len() <= 1);
    host.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_delivery_abandoned_after_a_503_is_completed_by_the_next_sweep() {
    let mail = MailServer::start().await;
    mail.set_policy(|body| {
        if body["headers"]["X-RSOS-Kind"] == "acknowledgement" {
            Behaviour::Fail(503)
        } else {
            Behaviour::Accept
        }
    });
    let host = sweeping_host(&mail).await;
    let reply = submit(&host, Some("sweep-4"), &forwardable()).await;
    assert_eq!(reply.status, 503, "{}", reply.text());
    assert_eq!(reply.json()["forwarded"], true);
    assert_eq!(reply.json()["finishes_automatically"], true);
    let sentence = reply.json()["error"].as_str().unwrap().to_owned();
    assert!(sentence.contains("follow automatically"), "{sentence}");
    // The mail service recovers; the agent closed the tab.
    mail.set_policy(|_| Behaviour::Accept);
    let swept = sweep(&host).await;
    assert_eq!(swept["finished"], 1, "{swept}");
    assert_eq!(mail.delivered_kind("acknowledgement").len(), 1);
    assert_eq!(mail.delivered_kind("forward").len(), 1);
    // A late retry of the client replays and sends nothing.
    let retry = submit(&host, Some("sweep-4"), &forwardable()).await;
    assert_eq!(retry.status, 202, "{}", retry.text());
    assert_eq!(mail.delivered_kind("acknowledgement").len(), 1);
    host.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_daily_digest_goes_out_once_when_something_is_due() {
    let mail = MailServer::start().await;
    let host = sweeping_host(&mail).await;
    let reply = submit(&host, Some("sweep-5"), &forwardable()).await;
    let respond_by = DateTime::parse_from_rfc3339(reply.json()["respond_by"].as_str().unwrap())
        .unwrap()
        .with_timezone(&Utc);
    // Past the respond-by, on a business day after the digest time: the request is overdue.
    advance_past(&host, respond_by);
    let ruleset = Ruleset::builtin();
    loop {
        if rsos_rules::ledger::digest_due(host_now(&host), ruleset).is_some() {
            break;
        }
        host.clock.advance(Duration::from_secs(3600));
    }
    let first = sweep(&host).await;
    assert_eq!(first["digest"], "sent", "{first}");
    let digest = &mail.delivered_kind("digest")[0];
    assert_eq!(digest["to"], mailbox_address());
    let tracking = reply.json()["tracking_id"].as_str().unwrap().to_owned();
    let text = digest["text"].as_str().unwrap();
    assert!(
        text.contains("Overdue") && text.contains(&tracking),
        "{text}"
    );
    assert!(!text.contains("Smith") && !text.contains("H1234-5678"));
    assert_eq!(sweep(&host).await["digest"], "done");
    assert_eq!(mail.delivered_kind("digest").len(), 1);
    host.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sweep_needs_the_token_and_exists_only_with_one() {
    let mail = MailServer::start().await;
    let host = sweeping_host(&mail).await;
    let reply = post(
        host.addr,
        "/api/maintenance/sweep",
        &[("Authorization", "Bearer wrong")],
        b"",
    )
    .await;
    assert_eq!(reply.status, 401);
    host.shutdown().await;
    let without = host_with(&mail, &[]).await;
    let reply = post(without.addr, "/api/maintenance/sweep", &[], b"").await;
    assert_eq!(reply.status, 404);
    without.shutdown().await;
}
