//! The properties the fuzz targets check, as plain functions: libFuzzer calls them with
//! generated inputs (`cargo fuzz run request`), and the corpus replay test calls them with
//! every kept input on stable Rust, which is the CI smoke.

use std::sync::OnceLock;

use rsos_rules::{assess, dispatch, Request, Ruleset, Verdict, DEFAULT_RULESET_TOML};

/// The built-in ruleset compiled from its TOML text rather than build.rs's bytes.
fn ruleset_from_text() -> &'static Ruleset {
    static PARSED: OnceLock<Ruleset> = OnceLock::new();
    PARSED.get_or_init(|| Ruleset::from_toml(DEFAULT_RULESET_TOML).expect("the default ruleset"))
}

/// Any bytes: a request or a plain error; for a request, a verdict that round-trips and
/// emails whose header fields hold no line break and whose addresses are ASCII.
pub fn request_bytes(data: &[u8]) {
    let Ok(request) = Request::from_json(data) else {
        return;
    };
    let ruleset = Ruleset::builtin();
    let assessment = assess(&request, ruleset);
    let json = assessment.verdict.to_json();
    let back: Verdict = serde_json::from_str(&json).expect("the verdict JSON reads back");
    assert_eq!(back, assessment.verdict);
    // The verdict depends only on the request and the ruleset, not on how they arrived.
    let serialised = serde_json::to_vec(&request).expect("a request serialises");
    let read = Request::from_json(&serialised).expect("a serialised request reads back");
    assert_eq!(read, request);
    assert_eq!(
        assess(&read, ruleset_from_text()).verdict.to_json(),
        json,
        "deterministic"
    );
    if let Some(subject) = &assessment.verdict.subject {
        assert!(
            !subject.chars().any(char::is_control),
            "subject holds a control character"
        );
    }
    let received = chrono::DateTime::from_timestamp(1_800_000_000, 0).unwrap_or_default();
    let sent = dispatch(
        &assessment,
        ruleset,
        ruleset.mailbox(),
        "RSOS-20270115-00000000",
        received,
        &rsos_rules::Links::default(),
    );
    for email in sent.emails {
        for header in [&email.to, &email.subject]
            .into_iter()
            .chain(email.reply_to.as_ref())
        {
            assert!(
                !header.contains(['\r', '\n']),
                "a header holds a line break"
            );
        }
        // Addresses go to the mail API in ASCII (internationalised domains in xn-- form).
        for address in [&email.to].into_iter().chain(email.reply_to.as_ref()) {
            assert!(address.is_ascii(), "an address is not ASCII");
        }
    }
}

/// Any text: a ruleset or an error, never a panic; a ruleset judges a request.
pub fn ruleset_text(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(ruleset) = Ruleset::from_toml(text) {
        let _ = assess(&Request::default(), &ruleset);
    }
}
