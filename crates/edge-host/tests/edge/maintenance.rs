//! Key-value housekeeping through the real component: `POST /api/maintenance/purge` deletes
//! delivered records past their retention with their claim counters, and spent rate
//! counters; it keeps what is still in force, and it exists only with a token. The store is a
//! SQLite file as under `spin up`; the tests read and seed it through the host's own store.

use std::path::Path;

use crate::kit::*;
use rsos_edge_host::key_value::{Backing, KeyValueStore};
use rsos_edge_host::{start, HostConfig, RunningHost};

const TOKEN: &str = "maintenance-token-for-tests";

async fn host_with_store(mail: &MailServer, file: &Path, vars: &[(&str, &str)]) -> RunningHost {
    let (engine, component) = compiled();
    let mut config = HostConfig::new(manifest())
        .var("mail_base_url", format!("http://{}", mail.addr))
        .var("mail_webhook_path", "/mail")
        .var("rate_limit_per_san_per_hour", "0")
        .var("rate_limit_per_recipient_per_hour", "0");
    for (name, value) in vars {
        config = config.var(name, *value);
    }
    config.key_value = Backing::File(file.to_path_buf());
    start(engine, component, config).await.unwrap()
}

/// The `default` store in the database `file`, opened beside the host.
fn store_at(file: &Path) -> KeyValueStore {
    KeyValueStore::in_sqlite(&file.to_path_buf(), "default").unwrap()
}

/// A host whose store starts with `seeded` (as an older deployment left it), purge allowed.
async fn host_on_seeded_store(
    mail: &MailServer,
    file: &Path,
    seeded: &[(String, Vec<u8>)],
) -> RunningHost {
    let store = store_at(file);
    for (key, value) in seeded {
        store.set(key.clone(), value.clone()).await.unwrap();
    }
    let vars = [
        ("maintenance_token", TOKEN),
        ("rate_limit_per_address_per_minute", "0"),
    ];
    host_with_store(mail, file, &vars).await
}

async fn stored_keys(file: &Path) -> Vec<String> {
    let mut keys = store_at(file).keys().await.unwrap();
    keys.sort();
    keys
}

async fn purge(host: &RunningHost, token: &str) -> Reply {
    let bearer = format!("Bearer {token}");
    post(
        host.addr,
        "/api/maintenance/purge",
        &[("Authorization", bearer.as_str())],
        b"",
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn purge_deletes_records_past_retention_and_a_retry_is_then_new() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("kv.db");
    let mail = MailServer::start().await;
    let vars = [
        ("maintenance_token", TOKEN),
        // Below SPEC's 24 hours: the component keeps 24.
        ("idempotency_retention_hours", "0"),
        ("rate_limit_per_address_per_minute", "0"),
    ];
    let host = host_with_store(&mail, &file, &vars).await;
    let first = submit(&host, Some("purge-1"), &forwardable()).await;
    assert_eq!(first.status, 202, "{}", first.text());
    let keys = stored_keys(&file).await;
    assert!(keys.iter().any(|k| k.starts_with("req/")), "{keys:?}");
    assert!(keys.iter().any(|k| k.starts_with("claim/")), "{keys:?}");
    assert!(keys.iter().any(|k| k.starts_with("track/")), "{keys:?}");
    let kept = purge(&host, TOKEN).await;
    assert_eq!(
        kept.json()["records"],
        0,
        "a fresh record is within 24 hours"
    );
    host.shutdown().await;

    // Thirty days later (the record's receipt moved back), still not resolved: the request
    // is still tracked, so it is kept.
    let month_ago = |record: &mut serde_json::Value, field: &str| {
        let at = record[field].as_i64().unwrap();
        record[field] = (at - 30 * 24 * 3_600_000).into();
    };
    let store = store_at(&file);
    let age = |resolve: bool| {
        let store = &store;
        let file = file.clone();
        async move {
            for key in stored_keys(&file).await {
                if !key.starts_with("req/") {
                    continue;
                }
                let value = store.get(&key).await.unwrap().unwrap();
                let mut record: serde_json::Value = serde_json::from_slice(&value).unwrap();
                if resolve {
                    // Resolved the day it came in, thirty days ago.
                    let received = record["received_ms"].clone();
                    record["ledger"]["state"] = "resolved".into();
                    record["ledger"]["resolved_ms"] = received;
                } else {
                    month_ago(&mut record, "received_ms");
                }
                store
                    .set(key, record.to_string().into_bytes())
                    .await
                    .unwrap();
            }
        }
    };
    age(false).await;
    let host = host_with_store(&mail, &file, &vars).await;
    let kept = purge(&host, TOKEN).await;
    assert_eq!(kept.json()["records"], 0, "{}", kept.text());
    assert_eq!(kept.json()["unresolved"], 1, "{}", kept.text());

    // Resolved thirty days ago: past the retention after resolution.
    age(true).await;
    let purged = purge(&host, TOKEN).await;
    assert_eq!(purged.status, 200, "{}", purged.text());
    assert_eq!(purged.json()["records"], 1);
    assert_eq!(purged.json()["more"], false);
    // Only the address's rate counter of this minute is left, and the week's insights
    // counters (kept `[insights] keep_weeks`).
    let left = stored_keys(&file).await;
    assert!(
        left.iter()
            .all(|k| k.starts_with("count/addr/") || k.starts_with("tally/")),
        "{left:?}"
    );

    // Past the retention a retry is a new request: that is what the retention means.
    let again = submit(&host, Some("purge-1"), &forwardable()).await;
    assert_eq!(again.status, 202, "{}", again.text());
    assert_ne!(again.json()["tracking_id"], first.json()["tracking_id"]);
    assert_eq!(mail.delivered_kind("forward").len(), 2);
    host.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn purge_keeps_records_within_retention_and_counters_of_the_current_window() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("kv.db");
    let mail = MailServer::start().await;
    let host = host_with_store(
        &mail,
        &file,
        &[
            ("maintenance_token", TOKEN),
            ("rate_limit_per_address_per_minute", "1"),
        ],
    )
    .await;
    let first = submit(&host, Some("keep-1"), &forwardable()).await;
    assert_eq!(first.status, 202, "{}", first.text());
    let before = stored_keys(&file).await;

    let purged = purge(&host, TOKEN).await;
    assert_eq!(purged.status, 200, "{}", purged.text());
    assert_eq!(purged.json()["records"], 0);
    assert_eq!(purged.json()["counters"], 0);
    assert_eq!(stored_keys(&file).await, before);
    // The address's counter still counts: the limit of one a minute holds.
    let second = submit(&host, Some("keep-2"), &forwardable()).await;
    assert_eq!(second.status, 429, "{}", second.text());
    host.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn purge_needs_the_token_and_exists_only_with_one() {
    let dir = tempfile::tempdir().unwrap();
    let mail = MailServer::start().await;
    let with_token = host_with_store(
        &mail,
        &dir.path().join("a.db"),
        &[("maintenance_token", TOKEN)],
    )
    .await;
    for wrong in [
        "",
        "maintenance-token-for-test",
        "maintenance-token-for-tests-2",
    ] {
        let reply = purge(&with_token, wrong).await;
        assert_eq!(reply.status, 401, "{wrong:?}: {}", reply.text());
    }
    let get = get(with_token.addr, "/api/maintenance/purge").await;
    assert_eq!(get.status, 405);
    with_token.shutdown().await;

    let without = host_with_store(&mail, &dir.path().join("b.db"), &[]).await;
    let reply = purge(&without, "").await;
    assert_eq!(reply.status, 404, "{}", reply.text());
    without.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn purge_deletes_counters_of_windows_that_are_over_and_leaves_other_keys() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("kv.db");
    // A store as an older deployment leaves it: counters of long-past windows, one of a
    // window far ahead (kept: not over), a record this version cannot read (kept for a
    // person), and a key of nobody's (kept).
    let seeded: Vec<(String, Vec<u8>)> = [
        "count/addr/0123456789abcdef01234567/1000",
        "count/san/0123456789abcdef01234567/10",
        "count/recipient/0123456789abcdef01234567/99999999999",
        "count/unknown-scope/0123456789abcdef01234567/1",
        "req/ffffffffffffffffffffffffffffffff",
        "someone-else",
    ]
    .into_iter()
    .map(|k| (k.to_owned(), b"not a record".to_vec()))
    .collect();
    let mail = MailServer::start().await;
    let host = host_on_seeded_store(&mail, &file, &seeded).await;
    let purged = purge(&host, TOKEN).await;
    assert_eq!(purged.status, 200, "{}", purged.text());
    assert_eq!(purged.json()["counters"], 2);
    assert_eq!(purged.json()["records"], 0);
    assert_eq!(
        stored_keys(&file).await,
        [
            "count/recipient/0123456789abcdef01234567/99999999999",
            "count/unknown-scope/0123456789abcdef01234567/1",
            "req/ffffffffffffffffffffffffffffffff",
            "someone-else",
        ]
    );
    host.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_long_purge_stops_after_a_batch_and_resumes_where_it_stopped() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("kv.db");
    let mut seeded: Vec<(String, Vec<u8>)> = (0..1500)
        .map(|i| (format!("count/addr/{i:024x}/1000"), b"1".to_vec()))
        .collect();
    seeded.push(("someone-else".into(), b"x".to_vec()));
    let mail = MailServer::start().await;
    let host = host_on_seeded_store(&mail, &file, &seeded).await;
    let first = purge(&host, TOKEN).await.json();
    assert_eq!(
        (first["counters"].as_u64(), first["more"].as_bool()),
        (Some(1000), Some(true))
    );
    let second = purge(&host, TOKEN).await.json();
    assert_eq!(
        (second["counters"].as_u64(), second["more"].as_bool()),
        (Some(500), Some(false))
    );
    assert_eq!(stored_keys(&file).await, ["someone-else"]);
    host.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_purge_answers_no_browser_page_even_from_an_allowed_origin() {
    let dir = tempfile::tempdir().unwrap();
    let mail = MailServer::start().await;
    let host = host_with_store(
        &mail,
        &dir.path().join("kv.db"),
        &[
            ("maintenance_token", TOKEN),
            ("allowed_origins", "https://portal.example"),
        ],
    )
    .await;
    let bearer = format!("Bearer {TOKEN}");
    let reply = post(
        host.addr,
        "/api/maintenance/purge",
        &[
            ("Authorization", bearer.as_str()),
            ("Origin", "https://portal.example"),
        ],
        b"",
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert_eq!(reply.header("access-control-allow-origin"), None);
    host.shutdown().await;
}
