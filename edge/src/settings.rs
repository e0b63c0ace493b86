//! The component's configuration, read from Spin variables on every request (Spin resolves
//! them per instance, so a changed variable takes effect without a rebuild).

use spin_sdk::variables;
use url::Url;

/// Which HTTP mail API carries the emails.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MailApi {
    /// A generic JSON webhook: `POST {base}{webhook_path}` with `{to, from, reply_to, subject, text, headers}`.
    Webhook,
    /// Microsoft Graph: each email created as a draft in the sender's mailbox, then sent by id.
    Graph,
}

/// A Microsoft Entra app registration with the Graph `Mail.Send` application permission:
/// the component signs in with it (client credentials) and caches the hour-long token.
#[derive(Debug, Clone)]
pub struct GraphApp {
    pub tenant_id: String,
    pub client_id: String,
    pub client_secret: String,
    /// Scheme and host of the sign-in service (allowed_outbound_hosts takes it verbatim).
    pub login_url: String,
    /// `{login_url}/{tenant}/oauth2/v2.0/token`.
    pub token_url: Url,
}

#[derive(Debug, Clone)]
pub struct Settings {
    pub mailbox_address: String,
    pub sender_address: String,
    pub mail_api: MailApi,
    /// Scheme, host and port of the mail API, checked at load.
    pub mail_base_url: Url,
    /// The webhook: `mail_base_url` joined with `mail_webhook_path`.
    pub webhook_url: Url,
    pub mail_api_token: String,
    /// Graph only: sign in as this app instead of using `mail_api_token`.
    pub graph_app: Option<GraphApp>,
    pub mail_timeout_ms: u64,
    pub allowed_origins: Vec<String>,
    /// Per client address, or per agent when a verified embed token names one.
    pub rate_limit_per_address_per_minute: u64,
    /// Proxies in front of Spin that append to `X-Forwarded-For` (an ingress: 1); 0 = trust no
    /// `X-Forwarded-For` and take the address Spin saw.
    pub trusted_proxy_hops: usize,
    pub rate_limit_per_san_per_hour: u64,
    pub rate_limit_per_recipient_per_hour: u64,
    /// Empty: embed tokens are not required.
    pub embed_token_secret: String,
    /// Empty: there is no maintenance endpoint.
    pub maintenance_token: String,
    /// How long an idempotency record (and so a retry's replay) is kept; for a forwarded
    /// request, how long after its resolution.
    pub idempotency_retention_hours: u64,
    /// Signs the status, details and action links (HMAC-SHA256); empty = no links.
    pub link_secret: String,
    /// Where this API is reached from outside (links point here), e.g. `https://rsos.example`.
    pub public_url: Option<Url>,
    /// The agent portal page that opens the form in details mode; `{token}` is replaced with
    /// the signed details link. Default: `{public_url}/?details={token}` (the demo portal).
    pub details_url: String,
    /// How long a link works, in days.
    pub link_lifetime_days: u64,
    /// Bearer token of `GET /api/insights` (scripts, spreadsheets); empty = no such API.
    pub insights_token: String,
    /// Form events (`POST /api/events`) per address, or per agent with embed tokens, per minute.
    pub rate_limit_events_per_minute: u64,
}

/// A variable the manifest must define is missing or does not parse; the operator fixes it.
#[derive(Debug, thiserror::Error)]
#[error("the variable {name} is missing or invalid")]
pub struct SettingsError {
    pub name: &'static str,
}

fn text(name: &'static str) -> Result<String, SettingsError> {
    variables::get(name)
        .map(|v| v.trim().to_owned())
        .map_err(|_| SettingsError { name })
}

fn text_or(name: &'static str, default: &str) -> String {
    match variables::get(name) {
        Ok(v) if !v.trim().is_empty() => v.trim().to_owned(),
        _ => default.to_owned(),
    }
}

fn number_or(name: &'static str, default: u64) -> Result<u64, SettingsError> {
    match variables::get(name) {
        Ok(v) if !v.trim().is_empty() => v.trim().parse().map_err(|_| SettingsError { name }),
        _ => Ok(default),
    }
}

/// All three of tenant, client and secret, or none (then `mail_api_token` is used as is).
fn graph_app() -> Result<Option<GraphApp>, SettingsError> {
    let tenant_id = text_or("graph_tenant_id", "");
    let client_id = text_or("graph_client_id", "");
    let client_secret = variables::get("graph_client_secret").unwrap_or_default();
    match (
        tenant_id.is_empty(),
        client_id.is_empty(),
        client_secret.is_empty(),
    ) {
        (true, true, true) => return Ok(None),
        (false, false, false) => {}
        (true, _, _) => {
            return Err(SettingsError {
                name: "graph_tenant_id",
            })
        }
        (_, true, _) => {
            return Err(SettingsError {
                name: "graph_client_id",
            })
        }
        (_, _, true) => {
            return Err(SettingsError {
                name: "graph_client_secret",
            })
        }
    }
    let login_url = text_or("graph_login_url", "https://login.microsoftonline.com");
    let invalid = || SettingsError {
        name: "graph_login_url",
    };
    let tenant = percent_encoding::utf8_percent_encode(&tenant_id, crate::outbound::PATH_SEGMENT);
    let token_url = http_url(&login_url)
        .and_then(|base| base.join(&format!("/{tenant}/oauth2/v2.0/token")).ok())
        .ok_or_else(invalid)?;
    Ok(Some(GraphApp {
        tenant_id,
        client_id,
        client_secret,
        login_url,
        token_url,
    }))
}

/// An `http` or `https` URL with a host, or `None`.
fn http_url(text: &str) -> Option<Url> {
    Url::parse(text)
        .ok()
        .filter(|u| matches!(u.scheme(), "http" | "https") && u.host_str().is_some())
}

impl Settings {
    pub fn load() -> Result<Settings, SettingsError> {
        let mail_api = match text_or("mail_api", "webhook").as_str() {
            "webhook" => MailApi::Webhook,
            "graph" => MailApi::Graph,
            _ => return Err(SettingsError { name: "mail_api" }),
        };
        let mail_base_url = http_url(&text("mail_base_url")?).ok_or(SettingsError {
            name: "mail_base_url",
        })?;
        let webhook_url = mail_base_url
            .join(&text_or("mail_webhook_path", "/mailbox/webhook"))
            .map_err(|_| SettingsError {
                name: "mail_webhook_path",
            })?;
        let graph_app = match mail_api {
            MailApi::Graph => graph_app()?,
            MailApi::Webhook => None,
        };
        Ok(Settings {
            mailbox_address: text_or("mailbox_address", rsos_rules::Ruleset::builtin().mailbox()),
            sender_address: text_or("sender_address", rsos_rules::Ruleset::builtin().mailbox()),
            mail_api,
            mail_base_url,
            webhook_url,
            // Secrets may legitimately be empty for a local webhook.
            mail_api_token: variables::get("mail_api_token").unwrap_or_default(),
            graph_app,
            mail_timeout_ms: number_or("mail_timeout_ms", 10_000)?.clamp(100, 60_000),
            allowed_origins: text_or("allowed_origins", "")
                .split(',')
                .map(|o| o.trim().trim_end_matches('/').to_owned())
                .filter(|o| !o.is_empty())
                .collect(),
            rate_limit_per_address_per_minute: number_or("rate_limit_per_address_per_minute", 60)?,
            trusted_proxy_hops: usize::try_from(number_or("trusted_proxy_hops", 0)?.min(16))
                .unwrap_or(0),
            rate_limit_per_san_per_hour: number_or("rate_limit_per_san_per_hour", 30)?,
            rate_limit_per_recipient_per_hour: number_or("rate_limit_per_recipient_per_hour", 20)?,
            embed_token_secret: variables::get("embed_token_secret").unwrap_or_default(),
            maintenance_token: variables::get("maintenance_token").unwrap_or_default(),
            // SPEC §7 keeps idempotency records at least 24 hours.
            idempotency_retention_hours: number_or("idempotency_retention_hours", 720)?.max(24),
            link_secret: variables::get("link_secret").unwrap_or_default(),
            public_url: match text_or("public_url", "").as_str() {
                "" => None,
                url => Some(http_url(url).ok_or(SettingsError { name: "public_url" })?),
            },
            details_url: text_or("details_url", ""),
            link_lifetime_days: number_or("link_lifetime_days", 180)?.clamp(1, 3650),
            insights_token: variables::get("insights_token").unwrap_or_default(),
            rate_limit_events_per_minute: number_or("rate_limit_events_per_minute", 30)?,
        })
    }

    /// Whether links are signed and where they point: both a secret and a public URL.
    pub fn links_on(&self) -> Option<&Url> {
        self.public_url
            .as_ref()
            .filter(|_| !self.link_secret.is_empty())
    }

    /// Whether a browser page from `origin` may call the API (CORS).
    pub fn allows_origin(&self, origin: &str) -> bool {
        self.allowed_origins
            .iter()
            .any(|allowed| allowed == "*" || allowed == origin)
    }
}
