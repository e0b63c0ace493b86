//! SPEC §7 emails, rendered without sending.

mod common;

use common::valid;
use rsos_rules::{assess, dispatch, emails, BusinessClock, EmailKind, Request, Ruleset, Stamp};

const SEED_AUTOMATIC_RESPONSE: &str = "Thank you for using the Agent Retail Service Ops. Support mailbox. Your email has been received and will be worked by one of our Customer Care Specialists. Once your issue has been worked, you will receive an email regarding your issue within 72 business hours. Follow-ups on your member issue will be received every five business days thereafter until the issue is resolved.  Please do not alter the subject line of any emails received from Agent Retail Service Ops. Support.  By not altering the subject line, it will route your issue to the correct representative working your issue and allow us to resolve your issue in a timely manner.  Access to care and critical time sensitive issues needing immediate attention should be called in to Customer Service.  Our Customer Care Specialists will provide you with real time guidance and solution.   Our Call Center phone number for Individual is 1-800-833-6917 and Medicare is 1-800-457-4708. Thank you.";

fn render(request: &Request) -> Vec<rsos_rules::Email> {
    let ruleset = Ruleset::builtin();
    emails(
        &assess(request, ruleset),
        ruleset,
        "AgentRSOS@humana.com",
        &Stamp::placeholders(),
    )
}

#[test]
fn forwarded_request_sends_a_forward_and_an_acknowledgement() {
    let list = render(&valid());
    let kinds: Vec<EmailKind> = list.iter().map(|e| e.kind).collect();
    assert_eq!(kinds, [EmailKind::Forward, EmailKind::Acknowledgement]);
}

#[test]
fn forward_goes_to_the_mailbox_with_the_spec_subject_and_agent_reply_to() {
    let forward = &render(&valid())[0];
    assert_eq!(forward.to, "AgentRSOS@humana.com");
    assert_eq!(forward.subject, "Smith, John Medicare");
    assert_eq!(
        forward.reply_to.as_deref(),
        Some("pat.agent@agency.example")
    );
}

#[test]
fn forward_body_follows_the_seed_template_order() {
    let text = &render(&valid())[0].text;
    let order = [
        "Agent Name: Pat Agent",
        "Agent SAN: A12345",
        "Member ID #: H1234-5678",
        "Member Name in question: John Smith",
        "Reference #: (none)",
        "Summary of issue:\nClaim for the March 3",
        "Plan: Medicare",
        "Topic: Claims",
        "Urgency: not urgent",
        "Tracking ID: RSOS-YYYYMMDD-XXXXXXXX",
        "Received: <received>",
        "Respond by: <respond by>",
    ];
    let mut from = 0;
    for part in order {
        let at = text[from..]
            .find(part)
            .unwrap_or_else(|| panic!("{part:?} missing or out of order in\n{text}"));
        from += at + part.len();
    }
}

#[test]
fn acknowledgement_carries_the_seed_text_verbatim() {
    let ack = &render(&valid())[1];
    assert_eq!(ack.to, "pat.agent@agency.example");
    assert!(
        ack.text.starts_with(SEED_AUTOMATIC_RESPONSE),
        "{}",
        ack.text
    );
    assert!(ack.text.contains("Tracking ID: RSOS-YYYYMMDD-XXXXXXXX"));
    assert!(ack.text.contains("Next follow-up: <next follow-up>"));
}

#[test]
fn acknowledgement_carries_no_member_id_and_no_summary() {
    let ack = &render(&valid())[1];
    assert!(!ack.text.contains("H1234-5678"));
    assert!(!ack.subject.contains("H1234-5678"));
    assert!(!ack.text.contains("office visit"));
}

#[test]
fn out_of_scope_request_gets_only_a_guidance_reply_without_member_data() {
    let mut r = valid();
    r.topic = "commission".into();
    let list = render(&r);
    assert_eq!(list.len(), 1);
    let g = &list[0];
    assert_eq!(g.kind, EmailKind::Guidance);
    assert_eq!(g.to, "pat.agent@agency.example");
    assert_eq!(g.reply_to.as_deref(), Some("AgentSupport@humana.com"));
    assert!(g.text.contains("AgentSupport@humana.com"));
    for member_data in ["H1234-5678", "Smith", "John", "office visit"] {
        assert!(!g.text.contains(member_data) && !g.subject.contains(member_data));
    }
}

#[test]
fn out_of_scope_request_with_an_invalid_email_gets_no_reply() {
    let mut r = valid();
    r.topic = "commission".into();
    r.agent_email = "not-an-address".into();
    assert!(render(&r).is_empty());
}

#[test]
fn a_request_that_needs_changes_sends_nothing() {
    let mut r = valid();
    r.member_id.clear();
    assert!(render(&r).is_empty());
}

#[test]
fn stamps_show_times_in_the_business_zone() {
    let ruleset = Ruleset::builtin();
    let received = chrono::DateTime::parse_from_rfc3339("2027-03-15T14:00:00Z")
        .map(|t| t.with_timezone(&chrono::Utc))
        .unwrap_or_default();
    let times = rsos_rules::BusinessClock::new(ruleset).service_times(received, 1);
    let stamp = Stamp::new(rsos_rules::tracking_id(received, 42), &times);
    assert_eq!(stamp.received, "Monday, March 15, 2027, 10:00 AM EDT");
    assert_eq!(stamp.respond_by, "Thursday, March 18, 2027, 10:00 AM EDT");
    assert_eq!(stamp.tracking_id, "RSOS-20270315-0000001A");
}

#[test]
fn dispatch_is_service_times_then_stamp_then_emails() {
    let ruleset = Ruleset::builtin();
    let received = chrono::DateTime::parse_from_rfc3339("2027-03-15T14:00:00Z")
        .map(|t| t.with_timezone(&chrono::Utc))
        .unwrap_or_default();
    let assessment = assess(&valid(), ruleset);
    let sent = dispatch(
        &assessment,
        ruleset,
        "mailbox@example.org",
        "RSOS-20270315-0000001A",
        received,
        &rsos_rules::Links::default(),
    );
    let times = BusinessClock::new(ruleset).service_times(received, 1);
    assert_eq!(sent.times, times);
    assert_eq!(sent.times.follow_ups.len(), 1);
    assert_eq!(
        sent.stamp,
        Stamp::new("RSOS-20270315-0000001A".into(), &times)
    );
    assert_eq!(
        sent.stamp.next_follow_up,
        "Monday, March 22, 2027, 10:00 AM EDT"
    );
    assert_eq!(
        sent.emails,
        emails(&assessment, ruleset, "mailbox@example.org", &sent.stamp)
    );
    assert_eq!(sent.emails[0].to, "mailbox@example.org");
}

#[test]
fn dispatch_of_a_request_that_needs_changes_sends_nothing() {
    let mut r = valid();
    r.member_id.clear();
    let ruleset = Ruleset::builtin();
    let sent = dispatch(
        &assess(&r, ruleset),
        ruleset,
        ruleset.mailbox(),
        "RSOS-X",
        chrono::DateTime::UNIX_EPOCH,
        &rsos_rules::Links::default(),
    );
    assert!(sent.emails.is_empty());
}

#[test]
fn an_internationalised_domain_is_written_to_in_its_ascii_form() {
    let mut r = valid();
    r.agent_email = "dana@agency.\u{440}\u{444}".into();
    let list = render(&r);
    assert_eq!(list[0].reply_to.as_deref(), Some("dana@agency.xn--p1ai"));
    assert_eq!(list[1].to, "dana@agency.xn--p1ai");
    assert!(list[0].text.contains("Agent email: dana@agency.xn--p1ai"));
}
