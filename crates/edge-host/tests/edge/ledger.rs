//! The promise ledger through the real component (SPEC §9, issue 10): a forward carries the
//! team's signed action links and the acknowledgement the agent's status link; a GET of a link
//! only shows a page, its POST acts; the agent's details go to the mailbox in the request's
//! thread; every action sends its email once however often it is posted.

use crate::kit::*;
use serde_json::{json, Value};

const SECRET: &str = "link secret for the ledger tests";
const PUBLIC: &str = "http://rsos.test";

async fn tracked_host(mail: &MailServer) -> rsos_edge_host::RunningHost {
    host_with(
        mail,
        &[
            ("link_secret", SECRET),
            ("public_url", PUBLIC),
            ("mailbox_address", "AgentRSOS@humana.com"),
        ],
    )
    .await
}

/// Every link to this service in `text`, as paths on the test host.
fn links_in(text: &str) -> Vec<String> {
    text.split_whitespace()
        .filter_map(|word| word.strip_prefix(PUBLIC))
        .map(str::to_owned)
        .collect()
}

/// The email `kind` that reached the mail API, the `n`-th of its kind.
fn email(mail: &MailServer, kind: &str, n: usize) -> Value {
    mail.delivered_kind(kind)
        .get(n)
        .cloned()
        .unwrap_or_else(|| panic!("no {kind} #{n} in {:?}", mail.delivered()))
}

fn text(email: &Value) -> &str {
    email["text"].as_str().unwrap_or_default()
}

fn link(text: &str, containing: &str) -> String {
    links_in(text)
        .into_iter()
        .find(|l| l.contains(containing))
        .unwrap_or_else(|| panic!("no {containing} link in {text}"))
}

/// The forward's link for a team action, by its label in the email.
fn action_link(forward: &str, label: &str) -> String {
    let line = forward
        .lines()
        .find(|l| l.starts_with(label))
        .unwrap_or_else(|| panic!("no {label} in {forward}"));
    link(line, "/api/actions/")
}

async fn form_post(host: &rsos_edge_host::RunningHost, path: &str, form: &str) -> Reply {
    post(
        host.addr,
        path,
        &[("Content-Type", "application/x-www-form-urlencoded")],
        form.as_bytes(),
    )
    .await
}

/// The request's status as the form's details mode reads it.
async fn status(host: &rsos_edge_host::RunningHost, tracking: &str, token: &str) -> Value {
    let bearer = format!("Bearer {token}");
    let reply = raw(
        host.addr,
        &request_bytes(
            "GET",
            host.addr,
            &format!("/api/requests/{tracking}"),
            &[("Authorization", &bearer)],
            b"",
        ),
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    reply.json()
}

fn token_of(path: &str) -> String {
    path.rsplit(['/', '='])
        .next()
        .unwrap_or_default()
        .to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_is_tracked_from_forward_to_resolution() {
    let mail = MailServer::start().await;
    let host = tracked_host(&mail).await;
    let reply = submit(&host, Some("ledger-1"), &forwardable()).await;
    assert_eq!(reply.status, 202, "{}", reply.text());
    let tracking = reply.json()["tracking_id"].as_str().unwrap().to_owned();
    let status_url = reply.json()["status_url"].as_str().unwrap().to_owned();
    assert!(
        status_url.starts_with(&format!("{PUBLIC}/api/status/")),
        "{status_url}"
    );

    // The acknowledgement carries the same status link; the forward the team's actions.
    let ack = email(&mail, "acknowledgement", 0);
    assert!(text(&ack).contains(&status_url));
    let forward = email(&mail, "forward", 0);
    let ask = action_link(text(&forward), "Ask the agent for more details");
    let resolve = action_link(text(&forward), "Resolved");

    // The status page: no member data.
    let page = get(host.addr, status_url.strip_prefix(PUBLIC).unwrap()).await;
    assert_eq!(page.status, 200, "{}", page.text());
    assert!(page
        .header("content-type")
        .unwrap()
        .starts_with("text/html"));
    assert!(page.text().contains(&tracking));
    for member in ["H1234-5678", "Smith", "John", "office visit"] {
        assert!(!page.text().contains(member), "{member} on the status page");
    }

    // A GET of the team's link (a mail scanner, or the specialist) changes nothing.
    let shown = get(host.addr, &ask).await;
    assert_eq!(shown.status, 200, "{}", shown.text());
    assert!(shown.text().contains("<form method=\"post\""));
    assert!(mail.delivered_kind("details_request").is_empty());

    // The POST asks the agent.
    let asked = form_post(
        &host,
        &ask,
        "version=1&field=member_id&note=Check+the+card.",
    )
    .await;
    assert_eq!(asked.status, 200, "{}", asked.text());
    let request = email(&mail, "details_request", 0);
    assert_eq!(request["to"], "pat.agent@agency.example");
    assert!(request["subject"].as_str().unwrap().contains(&tracking));
    assert!(!request["subject"].as_str().unwrap().contains("Smith"));
    assert!(text(&request).contains("Member ID #") && text(&request).contains("Check the card."));
    let details_path = link(text(&request), "details=");
    let details_token = token_of(&details_path);

    // The form's details mode reads what is needed.
    let seen = status(&host, &tracking, &details_token).await;
    assert_eq!(seen["state"], "awaiting_agent");
    assert_eq!(seen["needed"]["fields"][0]["field"], "member_id");
    assert_eq!(seen["needed"]["note"], "Check the card.");

    // The agent's details reach the mailbox in the request's thread.
    let bearer = format!("Bearer {details_token}");
    let body = json!({
        "member_first_name": "John",
        "member_last_name": "Smith",
        "member_id": "H1234-5679",
        "summary": "The member ID on the new card is H1234-5679, issued in March.",
    });
    let sent = post(
        host.addr,
        &format!("/api/requests/{tracking}/details"),
        &[
            ("Content-Type", "application/json"),
            ("Authorization", &bearer),
            ("Idempotency-Key", "details-1"),
        ],
        &serde_json::to_vec(&body).unwrap(),
    )
    .await;
    assert_eq!(sent.status, 202, "{}", sent.text());
    assert_eq!(sent.json()["status"]["state"], "open");
    let update = email(&mail, "details_reply", 0);
    assert_eq!(update["subject"], "Smith, John Medicare");
    assert_eq!(update["to"], "AgentRSOS@humana.com");
    assert_eq!(update["headers"]["X-RSOS-Tracking-ID"], tracking.as_str());
    assert!(text(&update).contains("H1234-5679") && text(&update).contains(&tracking));

    // Resolved: the agent hears it, the status page says it, the links do nothing more.
    let resolved = form_post(&host, &resolve, "version=4").await;
    assert_eq!(resolved.status, 200, "{}", resolved.text());
    assert_eq!(mail.delivered_kind("resolved").len(), 1);
    let page = get(host.addr, status_url.strip_prefix(PUBLIC).unwrap()).await;
    assert!(page.text().contains("Resolved"), "{}", page.text());
    let again = form_post(&host, &ask, "version=5&field=member_id").await;
    assert_eq!(again.status, 409, "{}", again.text());
    assert_eq!(mail.delivered_kind("details_request").len(), 1);
    host.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_action_posted_twice_or_concurrently_sends_one_email() {
    let mail = MailServer::start().await;
    let host = tracked_host(&mail).await;
    let reply = submit(&host, Some("ledger-2"), &forwardable()).await;
    assert_eq!(reply.status, 202, "{}", reply.text());
    let forward = email(&mail, "forward", 0);
    let ask = action_link(text(&forward), "Ask the agent for more details");
    // A double click: five posts of the same page at once.
    let addr = host.addr;
    let posts = (0..5).map(|_| {
        let ask = ask.clone();
        async move {
            post(
                addr,
                &ask,
                &[("Content-Type", "application/x-www-form-urlencoded")],
                b"version=1&field=summary",
            )
            .await
        }
    });
    let replies = futures_join(posts).await;
    for reply in &replies {
        assert!(
            reply.status == 200 || reply.status == 409,
            "{}: {}",
            reply.status,
            reply.text()
        );
    }
    assert!(replies.iter().any(|r| r.status == 200));
    // And once more, later.
    let later = form_post(&host, &ask, "version=1&field=summary").await;
    assert_eq!(later.status, 200, "{}", later.text());
    assert!(later.text().contains("done already"), "{}", later.text());
    assert_eq!(mail.delivered_kind("details_request").len(), 1);
    host.shutdown().await;
}

async fn futures_join<F: std::future::Future<Output = Reply> + Send + 'static>(
    futures: impl Iterator<Item = F>,
) -> Vec<Reply> {
    let handles: Vec<_> = futures.map(tokio::spawn).collect();
    let mut out = Vec::new();
    for handle in handles {
        out.push(handle.await.expect("the task finishes"));
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tampered_foreign_or_missing_links_are_refused_with_a_sentence() {
    let mail = MailServer::start().await;
    let host = tracked_host(&mail).await;
    let reply = submit(&host, Some("ledger-3"), &forwardable()).await;
    let tracking = reply.json()["tracking_id"].as_str().unwrap().to_owned();
    let status_url = reply.json()["status_url"].as_str().unwrap().to_owned();
    let token = token_of(&status_url);
    // One character of the signature changed: its first, which carries six whole bits (the
    // last carries padding bits a strict decoder refuses, which would make this a broken link).
    let tag_at = token.rfind('.').unwrap() + 1;
    let flipped = if token[tag_at..].starts_with('A') {
        "B"
    } else {
        "A"
    };
    let mut tampered = token.clone();
    tampered.replace_range(tag_at..=tag_at, flipped);
    let page = get(host.addr, &format!("/api/status/{tampered}")).await;
    assert_eq!(page.status, 403, "{}", page.text());
    assert!(page.text().contains("not valid"), "{}", page.text());
    // The agent's status link is no team action.
    let action = form_post(&host, &format!("/api/actions/{token}"), "version=1").await;
    assert_eq!(action.status, 403, "{}", action.text());
    // The JSON needs the link, for this request.
    let anonymous = get(host.addr, &format!("/api/requests/{tracking}")).await;
    assert_eq!(anonymous.status, 401, "{}", anonymous.text());
    let other = submit(&host, Some("ledger-4"), &forwardable()).await;
    let other_tracking = other.json()["tracking_id"].as_str().unwrap().to_owned();
    let bearer = format!("Bearer {token}");
    let foreign = raw(
        host.addr,
        &request_bytes(
            "GET",
            host.addr,
            &format!("/api/requests/{other_tracking}"),
            &[("Authorization", &bearer)],
            b"",
        ),
    )
    .await;
    assert_eq!(foreign.status, 403, "{}", foreign.text());
    host.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn details_are_checked_like_a_request_and_sent_once_per_key() {
    let mail = MailServer::start().await;
    let host = tracked_host(&mail).await;
    let reply = submit(&host, Some("ledger-5"), &forwardable()).await;
    let tracking = reply.json()["tracking_id"].as_str().unwrap().to_owned();
    let forward = email(&mail, "forward", 0);
    let ask = action_link(text(&forward), "Ask the agent for more details");
    form_post(&host, &ask, "version=1&field=member_id").await;
    let details_token = token_of(&link(text(&email(&mail, "details_request", 0)), "details="));
    let bearer = format!("Bearer {details_token}");
    let send = |body: Value, key: &'static str| {
        let bearer = bearer.clone();
        let path = format!("/api/requests/{tracking}/details");
        let addr = host.addr;
        async move {
            post(
                addr,
                &path,
                &[
                    ("Content-Type", "application/json"),
                    ("Authorization", bearer.as_str()),
                    ("Idempotency-Key", key),
                ],
                &serde_json::to_vec(&body).unwrap(),
            )
            .await
        }
    };
    // The member ID asked for is missing, the details are too short.
    let incomplete = send(
        json!({"member_first_name": "John", "member_last_name": "Smith", "summary": "short"}),
        "d-1",
    )
    .await;
    assert_eq!(incomplete.status, 422, "{}", incomplete.text());
    let errors = incomplete.json();
    let fields: Vec<&str> = errors["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["member_id", "summary"]);
    // A body with a repeated key is malformed, as a request is.
    let repeated = post(
        host.addr,
        &format!("/api/requests/{tracking}/details"),
        &[
            ("Content-Type", "application/json"),
            ("Authorization", bearer.as_str()),
        ],
        br#"{"member_id":"H1","member_id":"H2"}"#,
    )
    .await;
    assert_eq!(repeated.status, 400, "{}", repeated.text());
    let good = json!({
        "member_first_name": "John",
        "member_last_name": "Smith",
        "member_id": "H1234-5679",
        "summary": "The member ID on the new card is H1234-5679, issued in March.",
    });
    let first = send(good.clone(), "d-2").await;
    assert_eq!(first.status, 202, "{}", first.text());
    let again = send(good, "d-2").await;
    assert_eq!(again.status, 202, "{}", again.text());
    assert_eq!(again.header("idempotent-replayed"), Some("true"));
    assert_eq!(mail.delivered_kind("details_reply").len(), 1);
    // Nothing more was asked: more details now are refused.
    let unasked = send(
        json!({"member_first_name": "John", "member_last_name": "Smith", "summary": "One more thing about the claim from March."}),
        "d-3",
    )
    .await;
    assert_eq!(unasked.status, 409, "{}", unasked.text());
    host.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_link_secret_requests_are_tracked_but_emails_carry_no_links() {
    let mail = MailServer::start().await;
    let host = host(&mail).await;
    let reply = submit(&host, Some("ledger-6"), &forwardable()).await;
    assert_eq!(reply.status, 202, "{}", reply.text());
    assert!(reply.json().get("status_url").is_none());
    assert!(links_in(text(&email(&mail, "forward", 0))).is_empty());
    let page = get(host.addr, "/api/status/anything").await;
    assert_eq!(page.status, 404);
    host.shutdown().await;
}
