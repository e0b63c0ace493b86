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
