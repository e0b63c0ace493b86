//! The exact emails the component sends, through the webhook and the Graph transport.

use crate::kit::*;
use rsos_rules::{assess, emails, BusinessClock, Request, Ruleset, Stamp};
use serde_json::{json, Value};

/// The seed's "Automatic response", verbatim.
const AUTOMATIC_RESPONSE: &str = "Thank you for using the Agent Retail Service Ops. Support mailbox. Your email has been received and will be worked by one of our Customer Care Specialists. Once your issue has been worked, you will receive an email regarding your issue within 72 business hours. Follow-ups on your member issue will be received every five business days thereafter until the issue is resolved.  Please do not alter the subject line of any emails received from Agent Retail Service Ops. Support.  By not altering the subject line, it will route your issue to the correct representative working your issue and allow us to resolve your issue in a timely manner.  Access to care and critical time sensitive issues needing immediate attention should be called in to Customer Service.  Our Customer Care Specialists will provide you with real time guidance and solution.   Our Call Center phone number for Individual is 1-800-833-6917 and Medicare is 1-800-457-4708. Thank you.";

/// What rsos-rules says should be sent for `request`, stamped as the component reported.
fn expected(request: &Value, reply: &Value, mailbox: &str) -> Vec<rsos_rules::Email> {
    let parsed = Request::from_json(&serde_json::to_vec(request).unwrap()).unwrap();
    let assessment = assess(&parsed, Ruleset::builtin());
    let received = chrono::DateTime::parse_from_rfc3339(reply["received_at"].as_str().unwrap())
        .unwrap()
        .with_timezone(&chrono::Utc);
    let times = BusinessClock::new(Ruleset::builtin()).service_times(received, 1);
    let stamp = Stamp::new(reply["tracking_id"].as_str().unwrap().to_owned(), &times);
    emails(&assessment, Ruleset::builtin(), mailbox, &stamp)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forward_and_acknowledgement_are_exactly_what_the_rules_wrote() {
    let mail = MailServer::start().await;
    let host = host(&mail).await;
    let reply = submit(&host, Some("mail-1"), &forwardable()).await;
    assert_eq!(reply.status, 202, "{}", reply.text());
    let body = reply.json();
    let tracking = body["tracking_id"].as_str().unwrap();
    let expected = expected(&forwardable(), &body, mailbox_address());
    let delivered = mail.delivered();
    assert_eq!(delivered.len(), expected.len());
    for (sent, want) in delivered.iter().zip(&expected) {
        assert_eq!(sent["to"], want.to.as_str());
        assert_eq!(sent["reply_to"].as_str(), want.reply_to.as_deref());
        assert_eq!(sent["subject"], want.subject.as_str());
        assert_eq!(sent["text"], want.text.as_str());
        assert_eq!(sent["from"], "AgentRSOS@humana.com");
        assert_eq!(sent["headers"]["X-RSOS-Tracking-ID"], tracking);
    }

    let forward = &mail.delivered_kind("forward")[0];
    assert_eq!(forward["to"], mailbox_address());
    assert_eq!(forward["reply_to"], "pat.agent@agency.example");
    assert_eq!(forward["subject"], "Smith, John Medicare");
    let text = forward["text"].as_str().unwrap();
    let order = [
        "Agent Name:",
        "Agent SAN:",
        "Member ID #:",
        "Member Name in question:",
        "Reference #:",
        "Summary of issue:",
    ];
    let positions: Vec<usize> = order
        .iter()
        .map(|label| {
            text.find(label)
                .unwrap_or_else(|| panic!("{label} missing"))
        })
        .collect();
    assert!(
        positions.windows(2).all(|w| w[0] < w[1]),
        "template order: {positions:?}"
    );
    assert!(text.contains(tracking));

    let ack = &mail.delivered_kind("acknowledgement")[0];
    assert_eq!(ack["to"], "pat.agent@agency.example");
    let ack_text = ack["text"].as_str().unwrap();
    assert!(
        ack_text.contains(AUTOMATIC_RESPONSE),
        "the seed's automatic response verbatim"
    );
    assert!(ack_text.contains(tracking));
    assert!(
        !ack_text.contains("H1234-5678"),
        "no Member ID in the acknowledgement"
    );
    assert!(
        !ack_text.contains("out of network"),
        "no summary in the acknowledgement"
    );
    host.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webhook_requests_carry_json_an_idempotency_key_and_a_bearer_token() {
    let mail = MailServer::start().await;
    let host = host_with(&mail, &[("mail_api_token", "s3cret-token")]).await;
    let reply = submit(&host, Some("mail-2"), &forwardable()).await;
    assert_eq!(reply.status, 202);
    let tracking = reply.json()["tracking_id"].as_str().unwrap().to_owned();
    let received = mail.received();
    assert_eq!(received.len(), 2);
    for r in &received {
        assert_eq!(r.path, "/mail");
        assert_eq!(
            r.headers.get("content-type").map(String::as_str),
            Some("application/json")
        );
        assert_eq!(
            r.headers.get("authorization").map(String::as_str),
            Some("Bearer s3cret-token")
        );
        assert!(r.headers["idempotency-key"].starts_with(&tracking));
    }
    host.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mailbox_address_comes_from_the_variable() {
    let mail = MailServer::start().await;
    let host = host_with(&mail, &[("mailbox_address", "rsos-test@example.org")]).await;
    let reply = submit(&host, Some("mail-3"), &forwardable()).await;
    assert_eq!(reply.status, 202);
    assert_eq!(
        mail.delivered_kind("forward")[0]["to"],
        "rsos-test@example.org"
    );
    host.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn graph_creates_each_email_as_a_draft_and_sends_it_by_its_immutable_id() {
    let mail = MailServer::start().await;
    let host = host_with(
        &mail,
        &[
            ("mail_api", "graph"),
            ("mail_api_token", "graph-token"),
            ("sender_address", "AgentRSOS@humana.com"),
        ],
    )
    .await;
    let reply = submit(&host, Some("graph-1"), &forwardable()).await;
    assert_eq!(reply.status, 202, "{}", reply.text());
    let tracking = reply.json()["tracking_id"].as_str().unwrap().to_owned();
    let received = mail.received();
    let paths: Vec<&str> = received.iter().map(|r| r.path.as_str()).collect();
    assert_eq!(
        paths,
        [
            "/v1.0/users/AgentRSOS@humana.com/messages",
            "/v1.0/users/AgentRSOS@humana.com/messages/AAMkImmutable-1%3D/send",
            "/v1.0/users/AgentRSOS@humana.com/messages",
            "/v1.0/users/AgentRSOS@humana.com/messages/AAMkImmutable-2%3D/send",
        ]
    );
    for r in &received {
        assert_eq!(r.headers["authorization"], "Bearer graph-token");
        assert_eq!(r.headers["prefer"], "IdType=\"ImmutableId\"");
    }
    let sent = mail.graph_sent();
    assert_eq!(sent.len(), 2);
    for message in &sent {
        assert_eq!(message["body"]["contentType"], "Text");
        assert_eq!(
            message["internetMessageHeaders"][0],
            json!({ "name": "X-RSOS-Tracking-ID", "value": tracking })
        );
    }
    let forward = &mail.graph_sent_kind("forward")[0];
    assert_eq!(forward["subject"], "Smith, John Medicare");
    assert_eq!(
        forward["toRecipients"],
        json!([{ "emailAddress": { "address": mailbox_address() } }])
    );
    assert_eq!(
        forward["replyTo"],
        json!([{ "emailAddress": { "address": "pat.agent@agency.example" } }])
    );
    let ack = &mail.graph_sent_kind("acknowledgement")[0];
    assert_eq!(
        ack["toRecipients"][0]["emailAddress"]["address"],
        "pat.agent@agency.example"
    );
    assert!(ack["body"]["content"]
        .as_str()
        .unwrap()
        .contains(AUTOMATIC_RESPONSE));
    host.shutdown().await;
}

fn graph_host_vars() -> [(&'static str, &'static str); 2] {
    [("mail_api", "graph"), ("mail_api_token", "graph-token")]
}

/// The forward's send is carried out but answered only after the component's timeout.
fn late_forward_send(mail: &MailServer) {
    let once = std::sync::atomic::AtomicBool::new(true);
    mail.set_policy(move |message| {
        let forward = message["send"]["subject"] == "Smith, John Medicare";
        if forward && once.swap(false, std::sync::atomic::Ordering::SeqCst) {
            Behaviour::Late(std::time::Duration::from_millis(2_500))
        } else {
            Behaviour::Accept
        }
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_graph_send_answered_late_is_asked_about_and_never_sent_twice() {
    let mail = MailServer::start().await;
    late_forward_send(&mail);
    let host = host_with(&mail, &graph_host_vars()).await;
    // The send timed out; Graph already shows the sent copy: the forward counts as sent.
    let reply = submit(&host, Some("graph-late-1"), &forwardable()).await;
    assert_eq!(reply.status, 202, "{}", reply.text());
    assert_eq!(mail.graph_sent_kind("forward").len(), 1);
    assert_eq!(mail.graph_sent_kind("acknowledgement").len(), 1);
    let sends = mail
        .received()
        .iter()
        .filter(|r| r.path.ends_with("/send"))
        .count();
    assert_eq!(sends, 2, "no second send of the forward");
    host.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_late_graph_send_whose_copy_is_not_found_yet_is_finished_by_the_retry() {
    let mail = MailServer::start().await;
    late_forward_send(&mail);
    // Graph's Sent Items copy appears only some time after sending.
    mail.set_copy_delay(std::time::Duration::from_millis(2_000));
    let host = host_with(&mail, &graph_host_vars()).await;
    let first = submit(&host, Some("graph-late-2"), &forwardable()).await;
    assert_eq!(first.status, 503, "{}", first.text());
    assert_eq!(first.json()["forwarded"], false);
    assert_eq!(mail.graph_sent_kind("forward").len(), 1);
    tokio::time::sleep(std::time::Duration::from_millis(1_000)).await;
    let retry = submit(&host, Some("graph-late-2"), &forwardable()).await;
    assert_eq!(retry.status, 202, "{}", retry.text());
    assert_eq!(retry.json()["tracking_id"], first.json()["tracking_id"]);
    assert_eq!(mail.graph_sent_kind("forward").len(), 1, "sent once");
    assert_eq!(mail.graph_sent_kind("acknowledgement").len(), 1);
    host.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_graph_draft_created_late_is_left_unsent_and_the_retry_sends_once() {
    let mail = MailServer::start().await;
    let once = std::sync::atomic::AtomicBool::new(true);
    mail.set_policy(move |_| {
        if once.swap(false, std::sync::atomic::Ordering::SeqCst) {
            Behaviour::Late(std::time::Duration::from_millis(2_500))
        } else {
            Behaviour::Accept
        }
    });
    let host = host_with(&mail, &graph_host_vars()).await;
    let first = submit(&host, Some("graph-late-3"), &forwardable()).await;
    assert_eq!(first.status, 503, "{}", first.text());
    let retry = submit(&host, Some("graph-late-3"), &forwardable()).await;
    assert_eq!(retry.status, 202, "{}", retry.text());
    assert_eq!(mail.graph_sent_kind("forward").len(), 1);
    // The draft whose id never reached the component stays a draft: drafts deliver nothing.
    let drafts = mail
        .graph_messages()
        .into_iter()
        .filter(|m| m.sent_at.is_none())
        .count();
    assert_eq!(drafts, 1);
    host.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn graph_throttling_is_passed_on_as_the_wait_before_retrying() {
    let mail = MailServer::start().await;
    mail.set_policy(|_| Behaviour::Throttle(60));
    let host = host_with(&mail, &graph_host_vars()).await;
    let reply = submit(&host, Some("graph-throttled-1"), &forwardable()).await;
    assert_eq!(reply.status, 503, "{}", reply.text());
    assert_eq!(reply.header("retry-after"), Some("60"));
    mail.set_policy(|_| Behaviour::Throttle(3600));
    let reply = submit(&host, Some("graph-throttled-2"), &forwardable()).await;
    assert_eq!(reply.header("retry-after"), Some("120"), "bounded");
    host.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_forward_that_reached_the_mailbox_is_said_so_when_only_the_confirmation_failed() {
    let mail = MailServer::start().await;
    mail.set_policy(|body| {
        if body["headers"]["X-RSOS-Kind"] == "acknowledgement" {
            Behaviour::Fail(503)
        } else {
            Behaviour::Accept
        }
    });
    let host = host(&mail).await;
    let reply = submit(&host, Some("half-sent-1"), &forwardable()).await;
    assert_eq!(reply.status, 503, "{}", reply.text());
    let body = reply.json();
    let tracking = body["tracking_id"].as_str().unwrap().to_owned();
    assert_eq!(body["forwarded"], true);
    assert_eq!(body["sent"], json!(["forward"]));
    let sentence = body["error"].as_str().unwrap();
    assert!(sentence.contains("reached the mailbox"), "{sentence}");
    assert!(sentence.contains(&tracking), "{sentence}");
    assert!(!sentence.contains("did not accept"), "{sentence}");
    host.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn outbound_bodies_arrive_chunked_and_are_read_whole() {
    let mail = MailServer::start().await;
    let host = host(&mail).await;
    let mut request = forwardable();
    request["summary"] = json!("A long summary of the claim problem. ".repeat(100));
    let reply = submit(&host, Some("chunked-1"), &request).await;
    assert_eq!(reply.status, 202, "{}", reply.text());
    let received = mail.received();
    assert!(
        received.iter().all(|r| r.body.is_object()),
        "every body parsed whole"
    );
    // wasmtime streams the guest's body, so the mail API sees chunked framing, not a length.
    for r in &received {
        assert_eq!(
            r.headers.get("transfer-encoding").map(String::as_str),
            Some("chunked")
        );
    }
    let forward = &mail.delivered_kind("forward")[0];
    assert!(forward["text"]
        .as_str()
        .unwrap()
        .contains("A long summary of the claim problem."));
    assert_eq!(mail.delivered().len(), 2);
    host.shutdown().await;
}

/// Graph with an app registration: the host's mail server doubles as the sign-in service.
async fn graph_app_host(mail: &MailServer) -> rsos_edge_host::RunningHost {
    let login = format!("http://{}", mail.addr);
    host_with(
        mail,
        &[
            ("mail_api", "graph"),
            ("graph_tenant_id", "contoso.onmicrosoft.com"),
            ("graph_client_id", "app-1"),
            ("graph_client_secret", "s3cret&=+"),
            ("graph_login_url", login.as_str()),
        ],
    )
    .await
}

/// Graph's send calls (each email is created, then sent by id).
fn send_mails(mail: &MailServer) -> Vec<Received> {
    mail.received()
        .into_iter()
        .filter(|r| r.path.ends_with("/send"))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn graph_app_signs_in_once_and_reuses_the_token() {
    let mail = MailServer::start().await;
    let host = graph_app_host(&mail).await;
    for key in ["graph-app-1", "graph-app-2"] {
        let reply = submit(&host, Some(key), &forwardable()).await;
        assert_eq!(reply.status, 202, "{}", reply.text());
    }
    let sign_ins = mail.sign_ins();
    assert_eq!(sign_ins.len(), 1, "one token for four emails");
    assert_eq!(
        sign_ins[0].path,
        "/contoso.onmicrosoft.com/oauth2/v2.0/token"
    );
    assert_eq!(
        sign_ins[0].headers["content-type"],
        "application/x-www-form-urlencoded"
    );
    let form = sign_ins[0].body.as_str().unwrap_or_default().to_owned();
    let scope = format!("scope=http%3A%2F%2F{}%2F.default", mail.addr).replace(':', "%3A");
    for part in [
        "client_id=app-1",
        "client_secret=s3cret%26%3D%2B",
        "grant_type=client_credentials",
        scope.as_str(),
    ] {
        assert!(form.split('&').any(|p| p == part), "{part} in {form}");
    }
    let sent = send_mails(&mail);
    assert_eq!(sent.len(), 4);
    assert!(sent
        .iter()
        .all(|r| r.headers["authorization"] == "Bearer token-1"));
    host.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_close_to_expiry_is_renewed_before_sending() {
    let mail = MailServer::start().await;
    // Less than the five-minute margin: every Graph call needs a new token.
    mail.set_token_lifetime(120);
    let host = graph_app_host(&mail).await;
    let reply = submit(&host, Some("graph-expiry-1"), &forwardable()).await;
    assert_eq!(reply.status, 202, "{}", reply.text());
    assert_eq!(mail.sign_ins().len(), 4, "create and send, for two emails");
    let bearers: Vec<String> = send_mails(&mail)
        .iter()
        .map(|r| r.headers["authorization"].clone())
        .collect();
    assert_eq!(bearers, ["Bearer token-2", "Bearer token-4"]);
    host.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revoked_token_gets_one_fresh_token_and_one_more_try() {
    let mail = MailServer::start().await;
    let host = graph_app_host(&mail).await;
    let first = submit(&host, Some("graph-revoked-1"), &forwardable()).await;
    assert_eq!(first.status, 202, "{}", first.text());
    mail.revoke("token-1");
    let second = submit(&host, Some("graph-revoked-2"), &forwardable()).await;
    assert_eq!(second.status, 202, "{}", second.text());
    assert_eq!(mail.sign_ins().len(), 2);
    let accepted: Vec<String> = send_mails(&mail)
        .iter()
        .filter(|r| r.accepted)
        .map(|r| r.headers["authorization"].clone())
        .collect();
    assert_eq!(
        accepted,
        [
            "Bearer token-1",
            "Bearer token-1",
            "Bearer token-2",
            "Bearer token-2"
        ]
    );
    host.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_sign_in_is_a_503_and_the_retry_sends_everything_once() {
    let mail = MailServer::start().await;
    mail.set_policy(|body| match body {
        Value::String(_) => Behaviour::Fail(400),
        _ => Behaviour::Accept,
    });
    let host = graph_app_host(&mail).await;
    let first = submit(&host, Some("graph-signin-1"), &forwardable()).await;
    assert_eq!(first.status, 503, "{}", first.text());
    assert!(send_mails(&mail).is_empty());
    mail.set_policy(|_| Behaviour::Accept);
    let retry = submit(&host, Some("graph-signin-1"), &forwardable()).await;
    assert_eq!(retry.status, 202, "{}", retry.text());
    assert_eq!(send_mails(&mail).len(), 2);
    host.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn half_configured_graph_app_credentials_send_nothing() {
    let mail = MailServer::start().await;
    let host = host_with(
        &mail,
        &[("mail_api", "graph"), ("graph_tenant_id", "contoso")],
    )
    .await;
    let reply = submit(&host, Some("graph-half-1"), &forwardable()).await;
    // The operator finds the missing variable's name in the log; the agent gets a sentence.
    assert_eq!(reply.status, 500, "{}", reply.text());
    assert!(
        reply.text().contains("not configured correctly"),
        "{}",
        reply.text()
    );
    assert!(mail.received().is_empty());
    host.shutdown().await;
}
