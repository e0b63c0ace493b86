//! Wire names are spelled once, in the rules crate, and serde writes exactly them.

use rsos_rules::{EmailKind, ErrorCode, Outcome, WarningCode};

fn serialised<T: serde::Serialize>(value: T) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

#[test]
fn email_kinds_have_their_render_and_record_names() {
    let names: Vec<&str> = EmailKind::ALL.iter().map(|k| k.as_str()).collect();
    assert_eq!(
        names,
        [
            "forward",
            "acknowledgement",
            "guidance",
            "details_request",
            "details_reply",
            "resolved",
            "status_update",
            "digest"
        ]
    );
    for kind in EmailKind::ALL {
        assert_eq!(EmailKind::from_name(kind.as_str()), Some(*kind));
        assert_eq!(serialised(kind), kind.as_str());
    }
    assert_eq!(EmailKind::from_name("Forward"), None);
}

#[test]
fn outcomes_have_a_verdict_name_and_a_reply_name() {
    let verdict: Vec<&str> = Outcome::ALL.iter().map(|o| o.as_str()).collect();
    assert_eq!(verdict, ["forward", "out_of_scope", "needs_changes"]);
    let reply: Vec<&str> = Outcome::ALL.iter().map(|o| o.reply_name()).collect();
    assert_eq!(reply, ["forwarded", "out_of_scope", "needs_changes"]);
    for outcome in Outcome::ALL {
        assert_eq!(serialised(outcome), outcome.as_str());
        assert_eq!(Outcome::from_name(outcome.as_str()), Some(*outcome));
    }
}

#[test]
fn error_and_warning_codes_serialise_as_their_names() {
    for code in ErrorCode::ALL {
        assert_eq!(serialised(code), code.as_str());
    }
    for code in WarningCode::ALL {
        assert_eq!(serialised(code), code.as_str());
    }
    assert_eq!(
        ErrorCode::ConfirmationRequired.as_str(),
        "confirmation_required"
    );
}
