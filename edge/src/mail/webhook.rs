//! The generic JSON mail webhook: `POST {mail_base_url}{mail_webhook_path}` with
//! `{to, from, reply_to, subject, text, headers}` and `Idempotency-Key: <tracking ID>-<kind>`,
//! the same on every attempt, so a webhook that deduplicates delivers each email once.

use rsos_delivery::Outgoing;
use serde_json::json;
use spin_sdk::wit::wasi::http0_2_0::types::Method;

use super::{MailError, TRACKING_HEADER};
use crate::outbound::{self, Request};
use crate::settings::Settings;

pub fn send(settings: &Settings, outgoing: &Outgoing) -> Result<(), MailError> {
    let email = &outgoing.email;
    let body = json!({
        "to": email.to,
        "from": settings.sender_address,
        "reply_to": email.reply_to,
        "subject": email.subject,
        "text": email.text,
        "headers": {
            TRACKING_HEADER: outgoing.tracking_id,
            "X-RSOS-Kind": email.kind.as_str(),
        },
    });
    let payload = serde_json::to_vec(&body).unwrap_or_default();
    let mut headers = vec![(
        "idempotency-key".to_owned(),
        outgoing.idempotency_key.as_bytes().to_vec(),
    )];
    if !settings.mail_api_token.is_empty() {
        headers.push((
            "authorization".into(),
            format!("Bearer {}", settings.mail_api_token).into_bytes(),
        ));
    }
    let answer = outbound::call(
        settings.mail_timeout_ms,
        Request {
            method: Method::Post,
            url: &settings.webhook_url,
            headers,
            body: Some(("application/json", &payload)),
            read_body: false,
        },
    )?;
    if answer.success() {
        Ok(())
    } else {
        Err(MailError::Refused {
            status: answer.status,
            retry_after_s: answer.retry_after_s,
        })
    }
}
