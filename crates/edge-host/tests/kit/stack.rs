//! The stack under test: the host running the real component, its mail going to a stand-in
//! mail API. Both stop when dropped (a failing test leaves nothing serving).

use std::time::Duration;

use rsos_edge_host::{start, HostConfig, RunningHost};

use super::{compiled, manifest, MailServer};

/// The host's configuration for tests: mail to `mail` (webhook at `/mail`, 1.5 s timeout),
/// every rate limit off, then `vars` on top.
pub fn config_for(mail: &MailServer, vars: &[(&str, &str)]) -> HostConfig {
    let mut config = HostConfig::new(manifest())
        .var("mail_base_url", format!("http://{}", mail.addr))
        .var("mail_webhook_path", "/mail")
        .var("mail_timeout_ms", "1500")
        .var("rate_limit_per_address_per_minute", "0")
        .var("rate_limit_per_san_per_hour", "0")
        .var("rate_limit_per_recipient_per_hour", "0");
    for (name, value) in vars {
        config = config.var(name, *value);
    }
    config
}

/// Starts a host with `config` on the component compiled once per process.
pub async fn host_from(config: HostConfig) -> RunningHost {
    let (engine, component) = compiled();
    start(engine, component, config).await.expect("host starts")
}

/// A host whose mail goes to `mail` (webhook at `/mail`), with extra variable overrides.
pub async fn host_with(mail: &MailServer, vars: &[(&str, &str)]) -> RunningHost {
    host_from(config_for(mail, vars)).await
}

/// Like `host_with`, with every key-value operation delayed as a remote store would be.
pub async fn host_with_latency(
    mail: &MailServer,
    vars: &[(&str, &str)],
    latency: Option<Duration>,
) -> RunningHost {
    let mut config = config_for(mail, vars);
    config.key_value_latency = latency;
    host_from(config).await
}

pub async fn host(mail: &MailServer) -> RunningHost {
    host_with(mail, &[]).await
}

/// A host and its stand-in mail API, stopped together when dropped.
pub struct Stack {
    pub host: RunningHost,
    pub mail: MailServer,
}

impl Stack {
    /// A fresh mail API and a host on it, `vars` over `config_for`'s.
    pub async fn start(vars: &[(&str, &str)]) -> Stack {
        Stack::start_with(vars, |_| {}).await
    }

    /// Like `start`, with a last change to the host's configuration (limits, latency, …).
    pub async fn start_with(vars: &[(&str, &str)], adjust: impl FnOnce(&mut HostConfig)) -> Stack {
        let mail = MailServer::start().await;
        let mut config = config_for(&mail, vars);
        adjust(&mut config);
        let host = host_from(config).await;
        Stack { host, mail }
    }

    pub fn addr(&self) -> std::net::SocketAddr {
        self.host.addr
    }
}
