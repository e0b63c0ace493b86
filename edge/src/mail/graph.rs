//! Microsoft Graph, in two phases so that a lost answer can be asked about instead of sending
//! again (`edge/IDEMPOTENCY.md`): create the message as a draft in the sender's mailbox
//! (`POST /users/{sender}/messages`), send it by its id (`POST …/messages/{id}/send`), and ask
//! about it by id (`GET …/messages/{id}`: a draft, the sent copy, or not found). Every call
//! carries `Prefer: IdType="ImmutableId"`: the id stays the same when sending moves the message
//! to Sent Items ("Obtain immutable identifiers for Outlook resources", Microsoft Graph docs).
//!
//! Sign-in with an app registration's client credentials (OAuth 2.0 client credentials
//! grant), the hour-long token cached in key-value per set of credentials until five minutes
//! before it expires, and one fresh token on a 401; or the `mail_api_token` variable used as is.

use percent_encoding::utf8_percent_encode;
use rsos_delivery::{Outgoing, Probe, Store};
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

/// Asks Graph for ids that survive the move to Sent Items.
const IMMUTABLE_IDS: (&str, &str) = ("prefer", "IdType=\"ImmutableId\"");

/// The Graph message for `outgoing`: plain text, the reply-to, and the tracking ID and kind as
/// internet message headers the mailbox team can search for.
fn message(outgoing: &Outgoing) -> serde_json::Value {
    let email = &outgoing.email;
    let mut message = json!({
        "subject": email.subject,
        "body": { "contentType": "Text", "content": email.text },
        "toRecipients": [ { "emailAddress": { "address": email.to } } ],
        "internetMessageHeaders": [
            { "name": TRACKING_HEADER, "value": outgoing.tracking_id },
            { "name": "X-RSOS-Kind", "value": email.kind.as_str() },
        ],
    });
    if let Some(reply_to) = &email.reply_to {
        message["replyTo"] = json!([ { "emailAddress": { "address": reply_to } } ]);
    }
    message
}

/// `POST /v1.0/users/{sender}/messages`: the draft's immutable id.
pub fn create_draft(
    settings: &Settings,
    kv: &Kv,
    outgoing: &Outgoing,
) -> Result<String, MailError> {
    let payload = serde_json::to_vec(&message(outgoing)).unwrap_or_default();
    let url = user_url(settings, "messages")?;
    let answer = authorised(settings, kv, |token| {
        outbound::call(
            settings.mail_timeout_ms,
            Request {
                method: Method::Post,
                url: &url,
                headers: with_immutable_ids(bearer(token)),
                body: Some(("application/json", &payload)),
                read_body: true,
            },
        )
    })?;
    if !answer.success() {
        return Err(refused(&answer));
    }
    #[derive(serde::Deserialize)]
    struct Created {
        id: String,
    }
    serde_json::from_slice::<Created>(&answer.body)
        .ok()
        .map(|created| created.id)
        .filter(|id| !id.is_empty())
        .ok_or(MailError::Unreadable)
}

/// `POST /v1.0/users/{sender}/messages/{id}/send`.
pub fn send_draft(settings: &Settings, kv: &Kv, id: &str) -> Result<(), MailError> {
    let url = message_url(settings, id, "/send")?;
    let answer = authorised(settings, kv, |token| {
        outbound::call(
            settings.mail_timeout_ms,
            Request {
                method: Method::Post,
                url: &url,
                headers: with_immutable_ids(bearer(token)),
                body: Some(("application/json", b"")),
                read_body: false,
            },
        )
    })?;
    if answer.success() {
        Ok(())
    } else {
        Err(refused(&answer))
    }
}

/// `GET /v1.0/users/{sender}/messages/{id}?$select=isDraft`: still a draft, sent (the Sent
/// Items copy), or not found (on its way to Sent Items, or deleted).
pub fn find(settings: &Settings, kv: &Kv, id: &str) -> Result<Probe, MailError> {
    let mut url = message_url(settings, id, "")?;
    url.set_query(Some("$select=isDraft"));
    let answer = authorised(settings, kv, |token| {
        outbound::call(
            settings.mail_timeout_ms,
            Request {
                method: Method::Get,
                url: &url,
                headers: with_immutable_ids(bearer(token)),
                body: None,
                read_body: true,
            },
        )
    })?;
    match answer.status {
        404 => Ok(Probe::NotFound),
        status if (200..300).contains(&status) => {
            #[derive(serde::Deserialize)]
            #[serde(rename_all = "camelCase")]
            struct Found {
                is_draft: bool,
            }
            let found: Found =
                serde_json::from_slice(&answer.body).map_err(|_| MailError::Unreadable)?;
            Ok(if found.is_draft {
                Probe::Unsent
            } else {
                Probe::Sent
            })
        }
        _ => Err(refused(&answer)),
    }
}

fn message_url(settings: &Settings, id: &str, rest: &str) -> Result<Url, MailError> {
    let id = utf8_percent_encode(id, PATH_SEGMENT);
    user_url(settings, &format!("messages/{id}{rest}"))
}

fn refused(answer: &Answer) -> MailError {
    MailError::Refused {
        status: answer.status,
        retry_after_s: answer.retry_after_s,
    }
}

fn with_immutable_ids(mut headers: Vec<(String, Vec<u8>)>) -> Vec<(String, Vec<u8>)> {
    headers.push((
        IMMUTABLE_IDS.0.to_owned(),
        IMMUTABLE_IDS.1.as_bytes().to_vec(),
    ));
    headers
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
