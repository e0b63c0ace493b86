//! The HTTP front: routes the manifest's trigger (`/api/...`) to the component, serves the
//! local mailbox under `/mailbox` and static files for everything else.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use bytes::Bytes;
use http::{header, HeaderValue, Method, StatusCode};
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::sync::watch;
use wasmtime::component::Component;
use wasmtime::Engine;
use wasmtime_wasi_http::p2::body::HyperOutgoingBody;

use crate::key_value::{Backing, KeyValueError, KeyValueStores};
use crate::mailbox::{self, Mailbox};
use crate::manifest::{Manifest, ManifestError};
use crate::outbound::{AllowedHostError, AllowedHosts};
use crate::runtime::{AppContext, EdgeRuntime, RuntimeError};
use crate::static_files;
use crate::variables::{VariableError, Variables};

#[derive(Debug, thiserror::Error)]
pub enum HostError {
    #[error(transparent)]
    Manifest(#[from] ManifestError),
    #[error(transparent)]
    Variable(#[from] VariableError),
    #[error(transparent)]
    AllowedHost(#[from] AllowedHostError),
    #[error(transparent)]
    KeyValue(#[from] KeyValueError),
    #[error(transparent)]
    Runtime(#[from] RuntimeError),
    #[error("could not listen on {addr}: {source}")]
    Listen {
        addr: SocketAddr,
        source: std::io::Error,
    },
}

/// Everything needed to serve: where things are and how to configure them.
#[derive(Debug, Clone)]
pub struct HostConfig {
    pub manifest: PathBuf,
    /// `--var name=value`; wins over `SPIN_VARIABLE_<NAME>` and manifest defaults.
    pub variables: BTreeMap<String, String>,
    /// Read `SPIN_VARIABLE_<NAME>` from the process environment.
    pub use_environment: bool,
    pub static_dir: Option<PathBuf>,
    /// Where the `default` key-value store lives (memory, a SQLite file, or Redis).
    pub key_value: Backing,
    pub listen: SocketAddr,
    /// Point the component's mail at this host's `/mailbox/webhook`.
    pub local_mailbox: bool,
    /// Simulated round-trip time of every key-value operation (tests of racing requests).
    pub key_value_latency: Option<std::time::Duration>,
}

impl HostConfig {
    pub fn new(manifest: impl Into<PathBuf>) -> HostConfig {
        HostConfig {
            manifest: manifest.into(),
            variables: BTreeMap::new(),
            use_environment: false,
            static_dir: None,
            key_value: Backing::Memory,
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            local_mailbox: false,
            key_value_latency: None,
        }
    }

    pub fn var(mut self, name: &str, value: impl Into<String>) -> HostConfig {
        self.variables.insert(name.to_owned(), value.into());
        self
    }
}

struct Shared {
    runtime: EdgeRuntime,
    manifest: Manifest,
    mailbox: Mailbox,
    static_dir: Option<PathBuf>,
    /// Whether `/mailbox` exists: it lists every email the component sent, member data
    /// included, so it is there only when asked for (`--local-mailbox`).
    local_mailbox: bool,
    addr: SocketAddr,
    /// The pages this host serves may be framed by these origins only (CSP frame-ancestors).
    frame_ancestors: String,
}

/// A host serving on a socket until dropped or shut down.
pub struct RunningHost {
    pub addr: SocketAddr,
    pub mailbox: Mailbox,
    shutdown: watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
}

impl RunningHost {
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// Stops accepting connections and waits for the accept loop to end.
    pub async fn shutdown(self) {
        let _ = self.shutdown.send(true);
        let _ = self.task.await;
    }

    /// Serves until the process is interrupted.
    pub async fn wait(self) {
        let _ = self.task.await;
    }
}

/// Binds, resolves variables and links the component, then serves in the background.
pub async fn start(
    engine: &Engine,
    component: &Component,
    config: HostConfig,
) -> Result<RunningHost, HostError> {
    let manifest = Manifest::load(&config.manifest)?;
    let listener = TcpListener::bind(config.listen)
        .await
        .map_err(|source| HostError::Listen {
            addr: config.listen,
            source,
        })?;
    let addr = listener.local_addr().map_err(|source| HostError::Listen {
        addr: config.listen,
        source,
    })?;
    let mut overrides = config.variables.clone();
    if config.local_mailbox {
        overrides.insert("mail_api".into(), "webhook".into());
        overrides.insert("mail_base_url".into(), format!("http://{addr}"));
        overrides.insert("mail_webhook_path".into(), "/mailbox/webhook".into());
    }
    let environment = |name: &str| {
        if config.use_environment {
            std::env::var(name).ok()
        } else {
            None
        }
    };
    let variables = Variables::resolve(&manifest, environment, &overrides)?;
    let frame_ancestors = frame_ancestors(variables.component_value("allowed_origins"));
    let hosts: Vec<String> = manifest
        .allowed_outbound_hosts
        .iter()
        .map(|entry| variables.expand(entry))
        .collect::<Result<_, _>>()?;
    let allowed_hosts = AllowedHosts::parse(&hosts)?;
    let stores = KeyValueStores::for_labels(&manifest.key_value_stores, &config.key_value).await?;
    let app = AppContext {
        variables: Arc::new(variables),
        stores,
        granted_stores: Arc::new(manifest.key_value_stores.clone()),
        allowed_hosts: Arc::new(allowed_hosts),
        key_value_latency: config.key_value_latency,
    };
    let runtime = EdgeRuntime::new(engine, component, app)?;
    let mailbox = Mailbox::new();
    let shared = Arc::new(Shared {
        runtime,
        manifest,
        mailbox: mailbox.clone(),
        static_dir: config.static_dir.clone(),
        local_mailbox: config.local_mailbox,
        addr,
        frame_ancestors,
    });
    let (shutdown, mut stop) = watch::channel(false);
    let task = tokio::spawn(async move {
        loop {
            let accepted = tokio::select! {
                accepted = listener.accept() => accepted,
                _ = stop.changed() => break,
            };
            let Ok((stream, client)) = accepted else {
                continue;
            };
            let shared = shared.clone();
            tokio::spawn(async move {
                let service = hyper::service::service_fn(move |request| {
                    let shared = shared.clone();
                    async move {
                        Ok::<_, std::convert::Infallible>(route(&shared, request, client).await)
                    }
                });
                let _ = http1::Builder::new()
                    .keep_alive(true)
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    Ok(RunningHost {
        addr,
        mailbox,
        shutdown,
        task,
    })
}

fn full(
    status: StatusCode,
    content_type: &'static str,
    body: impl Into<Bytes>,
) -> hyper::Response<HyperOutgoingBody> {
    let mut response = hyper::Response::new(
        Full::new(body.into())
            .map_err(|never| match never {})
            .boxed_unsync(),
    );
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}

fn json_error(status: StatusCode, sentence: &str) -> hyper::Response<HyperOutgoingBody> {
    let body = serde_json::json!({ "error": sentence }).to_string();
    full(status, "application/json", body)
}

async fn route(
    shared: &Shared,
    request: hyper::Request<Incoming>,
    client: SocketAddr,
) -> hyper::Response<HyperOutgoingBody> {
    let path = request.uri().path().to_owned();
    if shared.manifest.route_matches(&path) {
        return to_component(shared, request, client).await;
    }
    let mut response = local(shared, request, &path).await;
    harden(&mut response, &shared.frame_ancestors, &path);
    response
}

/// `'self'` plus the allowed origins (a `*` allows any), for CSP `frame-ancestors`.
fn frame_ancestors(allowed_origins: Option<&str>) -> String {
    let origins: Vec<&str> = allowed_origins
        .unwrap_or_default()
        .split(',')
        .map(|o| o.trim().trim_end_matches('/'))
        .filter(|o| !o.is_empty())
        .collect();
    if origins.contains(&"*") {
        return "*".into();
    }
    std::iter::once("'self'")
        .chain(origins)
        .collect::<Vec<_>>()
        .join(" ")
}

/// The headers of everything the host itself serves (pages, the form's files, the mailbox):
/// the strict CSP the form is built for, no sniffing, no referrer. The form's script and WASM
/// are public and carry no credentials, so any portal origin may load them (CORS `*`).
fn harden(response: &mut hyper::Response<HyperOutgoingBody>, frame_ancestors: &str, path: &str) {
    let csp = format!(
        "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors {frame_ancestors}"
    );
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(&csp) {
        headers.insert(header::CONTENT_SECURITY_POLICY, value);
    }
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    let asset = [".js", ".wasm", ".css"]
        .iter()
        .any(|ext| path.ends_with(ext));
    if asset {
        headers.insert(
            header::ACCESS_CONTROL_ALLOW_ORIGIN,
            HeaderValue::from_static("*"),
        );
        headers.insert(
            "cross-origin-resource-policy",
            HeaderValue::from_static("cross-origin"),
        );
    }
}

async fn local(
    shared: &Shared,
    request: hyper::Request<Incoming>,
    path: &str,
) -> hyper::Response<HyperOutgoingBody> {
    let path = path.to_owned();
    if (path == "/mailbox" || path.starts_with("/mailbox/")) && !shared.local_mailbox {
        return json_error(
            StatusCode::NOT_FOUND,
            "There is no local mailbox on this host: start it with --local-mailbox to see the emails here.",
        );
    }
    if path == "/mailbox" || path == "/mailbox/" {
        return full(StatusCode::OK, "text/html; charset=utf-8", mailbox::PAGE);
    }
    if path == "/mailbox/mailbox.css" {
        return full(StatusCode::OK, "text/css; charset=utf-8", mailbox::PAGE_CSS);
    }
    if path == "/mailbox/mailbox.js" {
        return full(
            StatusCode::OK,
            "text/javascript; charset=utf-8",
            mailbox::PAGE_JS,
        );
    }
    if path == "/mailbox/api/messages" {
        let body =
            serde_json::to_string(&shared.mailbox.messages()).unwrap_or_else(|_| "[]".into());
        return full(StatusCode::OK, "application/json", body);
    }
    if path == "/mailbox/webhook" || path.starts_with("/mailbox/v1.0/users/") {
        return mail_in(shared, request, &path).await;
    }
    static_file(shared, &request, &path).await
}

/// Spin's request headers, set by the host (never taken from the client).
async fn to_component(
    shared: &Shared,
    mut request: hyper::Request<Incoming>,
    client: SocketAddr,
) -> hyper::Response<HyperOutgoingBody> {
    let headers = request.headers_mut();
    let spoofed: Vec<_> = headers
        .keys()
        .filter(|name| name.as_str().starts_with("spin-"))
        .cloned()
        .collect();
    for name in spoofed {
        headers.remove(name);
    }
    let route = shared.manifest.route.clone();
    let base = route.trim_end_matches("/...").to_owned();
    let path_and_query = request
        .uri()
        .path_and_query()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| "/".into());
    let path = request.uri().path().to_owned();
    let path_info = path.strip_prefix(&base).unwrap_or("").to_owned();
    let full_url = format!("http://{}{path_and_query}", shared.addr);
    let headers = request.headers_mut();
    let has_host = headers.contains_key(header::HOST);
    let mut put = |name: &'static str, value: &str| {
        if let Ok(value) = HeaderValue::from_str(value) {
            headers.insert(name, value);
        }
    };
    put("spin-client-addr", &client.to_string());
    put("spin-full-url", &full_url);
    put("spin-path-info", &path_info);
    put("spin-matched-route", &route);
    put("spin-raw-component-route", &route);
    put("spin-component-route", &base);
    put("spin-base-path", "/");
    if !has_host {
        put("host", &shared.addr.to_string());
    }
    match shared.runtime.handle(request).await {
        Ok(response) => response,
        Err(error) => {
            eprintln!("rsos-edge-host: {error}");
            json_error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "The edge function failed; please try again.",
            )
        }
    }
}

/// Mail handed to the local mailbox. Bodies may arrive chunked (wasmtime streams outbound
/// bodies); hyper de-chunks them, and the size limit holds either way.
async fn mail_in(
    shared: &Shared,
    request: hyper::Request<Incoming>,
    path: &str,
) -> hyper::Response<HyperOutgoingBody> {
    if request.method() != Method::POST {
        return json_error(StatusCode::METHOD_NOT_ALLOWED, "Send mail with POST.");
    }
    let body = match Limited::new(request.into_body(), 1024 * 1024)
        .collect()
        .await
    {
        Ok(body) => body.to_bytes(),
        Err(_) => return json_error(StatusCode::PAYLOAD_TOO_LARGE, "The email is too large."),
    };
    let accepted = if path == "/mailbox/webhook" {
        shared.mailbox.accept_webhook(&body)
    } else {
        let sender = path
            .trim_start_matches("/mailbox/v1.0/users/")
            .trim_end_matches("/sendMail");
        shared.mailbox.accept_graph(sender, &body)
    };
    match accepted {
        Ok(()) => full(
            StatusCode::ACCEPTED,
            "application/json",
            r#"{"accepted":true}"#,
        ),
        Err(e) => json_error(StatusCode::BAD_REQUEST, &e.to_string()),
    }
}

async fn static_file(
    shared: &Shared,
    request: &hyper::Request<Incoming>,
    path: &str,
) -> hyper::Response<HyperOutgoingBody> {
    if request.method() != Method::GET && request.method() != Method::HEAD {
        return json_error(StatusCode::METHOD_NOT_ALLOWED, "Only GET is served here.");
    }
    let Some(root) = &shared.static_dir else {
        return json_error(StatusCode::NOT_FOUND, "There is nothing at this address.");
    };
    let Some(file) = static_files::resolve(root, path) else {
        return json_error(StatusCode::NOT_FOUND, "There is nothing at this address.");
    };
    match tokio::fs::read(&file).await {
        Ok(bytes) => {
            let body = if request.method() == Method::HEAD {
                Vec::new()
            } else {
                bytes
            };
            let mut response = full(StatusCode::OK, static_files::mime_type(&file), body);
            response
                .headers_mut()
                .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
            response
        }
        Err(_) => json_error(StatusCode::NOT_FOUND, "There is nothing at this address."),
    }
}
