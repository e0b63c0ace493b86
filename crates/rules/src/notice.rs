//! What the agent is told about a delivery that has not finished (the sentences of SPEC §7's
//! 503 answers), made once: the edge function answers them and the form shows them. A person
//! is never told that something happened that did not, nor that something failed that did not.

/// The 503 sentence when the mail service did not accept every email of a request.
/// `forwarded`: the tracking ID, when the forward already reached the mailbox.
pub fn mail_unavailable(forwarded: Option<&str>) -> String {
    match forwarded {
        Some(tracking_id) => format!(
            "Your request reached the mailbox (tracking ID {tracking_id}); only the confirmation email to you is delayed. Do not send the request again: a retry with the same Idempotency-Key sends only the confirmation."
        ),
        None => "The mail service did not accept the request. Nothing is lost: retry with the same Idempotency-Key and only what is missing will be sent.".to_owned(),
    }
}

/// The 503 sentence when the mail service did not accept every email and the deployment runs
/// the sweep (its outbox finishes the delivery without the client): what the agent can rely
/// on. `forwarded` as above.
pub fn mail_unavailable_finishing(forwarded: Option<&str>) -> String {
    match forwarded {
        Some(tracking_id) => format!(
            "Your request reached the mailbox (tracking ID {tracking_id}); only the confirmation email to you is delayed, and it will follow automatically. Do not send the request again."
        ),
        None => "The mail service did not accept the request yet. Nothing is lost: it is recorded and will be sent automatically within minutes, even if you close this page. Retrying with the same Idempotency-Key does no harm and sends nothing twice.".to_owned(),
    }
}

/// What a form says when the edge answered 503 with `finishes_automatically: true` before the
/// forward reached the mailbox: the request is recorded under `tracking_id` and the
/// deployment's sweep delivers it without the form, so the agent neither waits nor sends it
/// again. (After the forward, the form says [`mail_unavailable_finishing`] of the tracking ID.)
pub fn recorded_finishing(tracking_id: &str) -> String {
    format!(
        "Your request is recorded (tracking ID {tracking_id}) and will reach the mailbox automatically within minutes, even if you close this page; the confirmation email follows. Do not send it again."
    )
}

/// The 503 sentence when what was sent could not be recorded. `forwarded` as above.
pub fn not_recorded(forwarded: Option<&str>) -> String {
    match forwarded {
        Some(tracking_id) => format!(
            "Your request reached the mailbox (tracking ID {tracking_id}), but the service could not record it; retry with the same Idempotency-Key to finish (nothing is sent twice)."
        ),
        None => "The service could not record the request; nothing was sent, please try again."
            .to_owned(),
    }
}

/// The 400 sentence when the form's hidden field (which people never see) came filled in: a bot,
/// or a browser's autofill. Nothing was sent.
pub fn trap_filled() -> &'static str {
    "The request was not sent: a hidden field that must stay empty was filled in, which browser autofill sometimes does. It has been cleared; press Send request again."
}

/// Why a form waits before its next automatic attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wait<'a> {
    /// No answer came (network cut, time-out, a gateway's 502 or 504).
    NoAnswer,
    /// A 429, or a 409 for an attempt still in progress: the server named the wait.
    Busy,
    /// A 503: the mail service (or the store) did not take the request; nothing reached the
    /// mailbox.
    Unavailable,
    /// A 503 after the forward reached the mailbox (`forwarded: true`): only the
    /// confirmation email is missing. Holds the tracking ID.
    ConfirmationDelayed(&'a str),
}

/// The status line while a form waits `seconds` before attempt `attempt` of `attempts`;
/// `until` is that moment on the agent's clock, as the form writes times (`10:42:05 AM`).
pub fn waiting(wait: Wait, seconds: u32, until: &str, attempt: u32, attempts: u32) -> String {
    let why = match wait {
        Wait::NoAnswer => "No answer from the server.".to_owned(),
        Wait::Busy => format!("The server is busy and asked us to wait {seconds} s."),
        Wait::Unavailable => format!("The mail service asked us to wait {seconds} s."),
        Wait::ConfirmationDelayed(tracking_id) => format!(
            "Your request reached the mailbox (tracking ID {tracking_id}); only the confirmation email is delayed. The mail service asked us to wait {seconds} s."
        ),
    };
    format!(
        "{why} Trying again at {until} (attempt {attempt} of {attempts}); nothing is sent twice."
    )
}

/// What a form says when it stops trying and nothing reached the mailbox. `wait_s`: the
/// wait the server last asked for, when it was longer than the form waits on its own.
pub fn not_sent(wait_s: Option<u32>) -> String {
    let when = match wait_s {
        Some(seconds) => format!("in about {} min", seconds.div_ceil(60)),
        None => "in a moment".to_owned(),
    };
    format!("The request could not be sent: the connection or the mail service is down. Your draft is kept; press Send request {when} to try again (nothing is sent twice).")
}

/// What the details form says when it stops trying and the team has not got the details:
/// the connection or the mail service is down. `wait_s` as in [`not_sent`]. True whether or
/// not the edge recorded them before the mail service failed: a retry with the same key
/// reaches the team once either way.
pub fn details_not_sent(wait_s: Option<u32>) -> String {
    let when = match wait_s {
        Some(seconds) => format!("in about {} min", seconds.div_ceil(60)),
        None => "in a moment".to_owned(),
    };
    format!("Your details have not reached the team yet: the connection or the mail service is down. What you typed is kept; press Send details {when} to try again (the team gets them once).")
}

/// What a form says when it stops trying after the forward reached the mailbox (a 503 with
/// `forwarded: true`): the request is with the mailbox team, only the confirmation email to
/// the agent is missing, and a new request would be a second one. The form's button that
/// retries just the confirmation is called `Send the confirmation again`.
pub fn confirmation_delayed(tracking_id: &str) -> String {
    format!(
        "Your request reached the mailbox (tracking ID {tracking_id}); only the confirmation email to you is delayed. Do not send it as a new request: keep the tracking ID, and press Send the confirmation again later to retry just that email."
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_delayed_confirmation_names_the_tracking_id_and_never_says_not_sent() {
        let waiting_text = waiting(Wait::ConfirmationDelayed("RSOS-1"), 60, "10:42", 2, 5);
        let final_text = confirmation_delayed("RSOS-1");
        for text in [&waiting_text, &final_text] {
            assert!(
                text.contains("reached the mailbox (tracking ID RSOS-1)"),
                "{text}"
            );
            assert!(!text.contains("could not be sent"), "{text}");
        }
        assert!(
            waiting_text.contains("asked us to wait 60 s. Trying again at 10:42 (attempt 2 of 5)")
        );
    }

    #[test]
    fn giving_up_says_when_to_try_again() {
        assert!(not_sent(None).contains("in a moment"));
        assert!(not_sent(Some(3600)).contains("in about 60 min"));
        assert!(not_sent(Some(121)).contains("in about 3 min"));
        assert!(details_not_sent(None).contains("press Send details in a moment"));
        assert!(details_not_sent(Some(3600)).contains("in about 60 min"));
    }

    #[test]
    fn a_request_the_sweep_finishes_is_recorded_never_not_sent_and_not_to_be_sent_again() {
        let text = recorded_finishing("RSOS-1");
        assert!(text.contains("recorded (tracking ID RSOS-1)"), "{text}");
        assert!(text.contains("automatically"), "{text}");
        assert!(text.contains("Do not send it again"), "{text}");
        assert!(!text.contains("could not be sent"), "{text}");
    }
}
