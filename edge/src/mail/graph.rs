//! Microsoft Graph. Sign-in with an app registration's client credentials (OAuth 2.0 client
//! credentials grant), the hour-long token cached in key-value per set of credentials until
//! five minutes before it expires, and one fresh token on a 401; or the `mail_api_token`
//! variable used as is.

use percent_encoding::utf8_percent_encode;
use rsos_delivery::{Outgoing, Store};
use serde_json::json;
use sha2::{Digest, Sha256};
use spin_sdk::wit::wasi::http0_2_0::types::Method;
use url::Url;

use super::{MailError, TRACKING_HEADER};
use crate::outbound::{self, Answer, Request, PATH_SEGMENT};
use crate::platform::now_ms;
use crate::settings::{GraphApp, Settings};
use crate::store::Kv;

/// A cached token is renewed this long before it expires, so no email leaves with a token
/// that dies in flight.
const TOKEN_MARGIN_MS: u64 = 5 * 60 * 1000;

#[derive(serde::Serialize, serde::Deserialize)]
struct CachedToken {
    access_token: String,
    expires_at_ms: u64,
}

/// Where the Graph token is cached, shared by every instance: one key per set of
/// credentials, so a changed app, tenant or API never reuses the old app's token.
fn token_key(settings: &Settings, app: &GraphApp) -> String {
    let credentials = [
        app.login_url.as_str(),
        app.tenant_id.as_str(),
        app.client_id.as_str(),
        settings.mail_base_url.as_str(),
    ]
    .join("\n");
    let digest = Sha256::digest(credentials.as_bytes());
    format!("graph-token/{}", hex::encode(&digest[..12]))
}

/// `users/{sender}/…` under the Graph base: the sender address is one escaped path segment,
/// so an odd address cannot change the path.
fn user_url(settings: &Settings, rest: &str) -> Result<Url, MailError> {
    let sender = utf8_percent_encode(&settings.sender_address, PATH_SEGMENT);
    settings
        .mail_base_url
        .join(&format!("/v1.0/users/{sender}/{rest}"))
        .map_err(|_| MailError::Unreadable)
}

/// `POST /v1.0/users/{sender}/sendMail`: one call, no message id to ask about afterwards.
pub fn send_mail(settings: &Settings, kv: &Kv, outgoing: &Outgoing) -> Result<(), MailError> {
    let email = &outgoing.email;
    let mut message = json!({
        "subject": email.subject,
        "body": { "contentType": "Text", "content": email.text },
        "toRecipients": [ { "emailAddress": { "address": email.to } } ],
        "internetMessageHeaders": [
            { "name": TRACKING_HEADER, "value": outgoing.tracking_id },
        ],
    });
    if let Some(reply_to) = &email.reply_to {
        message["replyTo"] = json!([ { "emailAddress": { "address": reply_to } } ]);
    }
    let payload = serde_json::to_vec(&json!({ "message": message, "saveToSentItems": true }))
        .unwrap_or_default();
    let url = user_url(settings, "sendMail")?;
    let answer = authorised(settings, kv, |token| {
        outbound::call(
            settings.mail_timeout_ms,
            Request {
                method: Method::Post,
                url: &url,
                headers: bearer(token),
                body: Some(("application/json", &payload)),
                read_body: false,
            },
        )
    })?;
    if answer.success() {
        Ok(())
    } else {
        Err(MailError::Refused {
            status: answer.status,
            retry_after_s: answer.retry_after_s,
        })
    }
}

fn bearer(token: Option<&str>) -> Vec<(String, Vec<u8>)> {
    token
        .map(|t| {
            vec![(
                "authorization".to_owned(),
                format!("Bearer {t}").into_bytes(),
            )]
        })
        .unwrap_or_default()
}

/// Makes `call` with the right token: the static one, or the app's (cached, renewed once on
/// a 401: revoked, or expired early).
fn authorised(
    settings: &Settings,
    kv: &Kv,
    call: impl Fn(Option<&str>) -> Result<Answer, outbound::CallError>,
) -> Result<Answer, MailError> {
    let Some(app) = &settings.graph_app else {
        let token = Some(settings.mail_api_token.as_str()).filter(|t| !t.is_empty());
        return Ok(call(token)?);
    };
    let token = graph_token(settings, app, kv, false)?;
    let answer = call(Some(&token))?;
    if answer.status != 401 {
        return Ok(answer);
    }
    let token = graph_token(settings, app, kv, true)?;
    Ok(call(Some(&token))?)
}

/// A Graph token for the app: the cached one while it has more than a few minutes left,
/// else a new one from the sign-in service.
fn graph_token(
    settings: &Settings,
    app: &GraphApp,
    kv: &Kv,
    renew: bool,
) -> Result<String, MailError> {
    let now = now_ms();
    let key = token_key(settings, app);
    if !renew {
        let cached = kv
            .get(&key)
            .ok()
            .flatten()
            .and_then(|bytes| serde_json::from_slice::<CachedToken>(&bytes).ok());
        if let Some(cached) = cached {
            if cached.expires_at_ms > now.saturating_add(TOKEN_MARGIN_MS) {
                return Ok(cached.access_token);
            }
        }
    }
    // The scope names the mail API itself, so national clouds (graph.microsoft.us) work.
    let scope = format!(
        "{}/.default",
        settings.mail_base_url.as_str().trim_end_matches('/')
    );
    let form = form_urlencoded::Serializer::new(String::new())
        .append_pair("client_id", &app.client_id)
        .append_pair("client_secret", &app.client_secret)
        .append_pair("scope", &scope)
        .append_pair("grant_type", "client_credentials")
        .finish();
    let answer = outbound::call(
        settings.mail_timeout_ms,
        Request {
            method: Method::Post,
            url: &app.token_url,
            headers: Vec::new(),
            body: Some(("application/x-www-form-urlencoded", form.as_bytes())),
            read_body: true,
        },
    )?;
    if !answer.success() {
        return Err(MailError::SignInRefused(answer.status));
    }
    #[derive(serde::Deserialize)]
    struct TokenReply {
        access_token: String,
        expires_in: u64,
    }
    let reply: TokenReply =
        serde_json::from_slice(&answer.body).map_err(|_| MailError::SignInUnreadable)?;
    if reply.access_token.is_empty() {
        return Err(MailError::SignInUnreadable);
    }
    let cached = CachedToken {
        access_token: reply.access_token,
        expires_at_ms: now.saturating_add(reply.expires_in.saturating_mul(1000)),
    };
    // Only a cache: if it cannot be written, the next email signs in again.
    if let Ok(bytes) = serde_json::to_vec(&cached) {
        let _ = kv.set(&key, &bytes);
    }
    Ok(cached.access_token)
}
