//! The HTTP front: routes the manifest's trigger (`/api/...`) to the component the way Spin's
//! HTTP trigger does (`trigger`), serves the local mailbox under `/mailbox` and static files for
//! everything else, within the host's timeouts and bounds (`limits`).

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use http::StatusCode;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tokio::sync::{watch, Semaphore};
use wasmtime::component::Component;
use wasmtime::Engine;
use wasmtime_wasi_http::p2::body::HyperOutgoingBody;

use crate::answer::{api_error, frame_ancestors, harden, json_error};
use crate::key_value::{Backing, KeyValueError, KeyValueStores};
use crate::limits::{DeadlineBody, ServerLimits};
use crate::mailbox::{self, Mailbox};
use crate::manifest::{Manifest, ManifestError};
use crate::outbound::{AllowedHostError, AllowedHosts};
use crate::runtime::{AppContext, EdgeRuntime, HandleError, RuntimeError};
use crate::static_files::StaticFiles;
use crate::trigger::{self, Route};
use crate::variables::{VariableError, Variables};

/// Why [`start`] could not serve; `Display` is the sentence `rsos-edge-host` prints.
#[derive(Debug, thiserror::Error)]
pub enum HostError {
    /// The manifest could not be read or is not one this host serves.
    #[error(transparent)]
    Manifest(#[from] ManifestError),
    /// A variable is required but unset, an override is undeclared, or a template does not
    /// resolve.
    #[error(transparent)]
    Variable(#[from] VariableError),
    /// An `allowed_outbound_hosts` entry is invalid once expanded.
    #[error(transparent)]
    AllowedHost(#[from] AllowedHostError),
    /// The `default` store's SQLite file or Redis could not be opened.
    #[error(transparent)]
    KeyValue(#[from] KeyValueError),
    /// The component does not link with this host's imports.
    #[error(transparent)]
    Runtime(#[from] RuntimeError),
    /// The address could not be bound (or the bound address not read).
    #[error("could not listen on {addr}: {source}")]
    Listen {
        /// The address asked for ([`HostConfig::listen`]).
        addr: SocketAddr,
        /// The I/O error.
        source: std::io::Error,
    },
}

/// Everything needed to serve: where things are and how to configure them.
#[derive(Debug, Clone)]
pub struct HostConfig {
    /// The Spin manifest (`spin.toml`), read by [`start`].
    pub manifest: PathBuf,
    /// `--var name=value`; wins over `SPIN_VARIABLE_<NAME>` and manifest defaults.
    pub variables: BTreeMap<String, String>,
    /// Read `SPIN_VARIABLE_<NAME>` from the process environment.
    pub use_environment: bool,
    /// A directory served for every path outside the route and `/mailbox` (the built form);
    /// `None`: those paths are 404.
    pub static_dir: Option<PathBuf>,
    /// Where the `default` key-value store lives (memory, a SQLite file, or Redis).
    pub key_value: Backing,
    /// The address to bind. Default `127.0.0.1:0`, an ephemeral port ([`RunningHost::addr`]).
    pub listen: SocketAddr,
    /// Point the component's mail at this host's `/mailbox/webhook` (these overrides of
    /// `mail_api`, `mail_base_url` and `mail_webhook_path` win over `variables`).
    pub local_mailbox: bool,
    /// Simulated round-trip time of every key-value operation (tests of racing requests).
    pub key_value_latency: Option<std::time::Duration>,
    /// Timeouts and bounds on connections and instances.
    pub limits: ServerLimits,
    /// How many emails the local mailbox keeps (the newest).
    pub mailbox_capacity: usize,
}

impl HostConfig {
    /// Serves `manifest` on 127.0.0.1 at an ephemeral port with in-memory key-value, without
    /// `SPIN_VARIABLE_*`, static files or the mailbox, within the default limits.
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
            limits: ServerLimits::default(),
            mailbox_capacity: mailbox::DEFAULT_CAPACITY,
        }
    }

    /// Adds an override, as `--var name=value`; [`start`] fails with
    /// [`VariableError::Undeclared`] when the manifest does not declare `name`.
    pub fn var(mut self, name: &str, value: impl Into<String>) -> HostConfig {
        self.variables.insert(name.to_owned(), value.into());
        self
    }
}

struct Shared {
    runtime: EdgeRuntime,
    route: Route,
    manifest: Manifest,
    mailbox: Mailbox,
    static_files: Option<StaticFiles>,
    /// Whether `/mailbox` exists: it lists every email the component sent, member data
    /// included, so it is there only when asked for (`--local-mailbox`).
    local_mailbox: bool,
    addr: SocketAddr,
    /// The pages this host serves may be framed by these origins only (CSP frame-ancestors).
    frame_ancestors: String,
    limits: ServerLimits,
    /// One permit per component instance that may run now.
    instances: Arc<Semaphore>,
}

/// A host serving on a socket until shut down or dropped (dropping it stops accepting and
/// closes its connections once their current exchange is over, as `shutdown` does, without
/// waiting).
pub struct RunningHost {
    /// The bound address, with the actual port when [`HostConfig::listen`] asked for 0.
    pub addr: SocketAddr,
    /// The mail handed to `/mailbox/...`; always empty unless [`HostConfig::local_mailbox`].
    pub mailbox: Mailbox,
    /// The wall clock the component reads (tests move it forward).
    pub clock: Arc<crate::clock::HostClock>,
    /// Read only through [`RunningHost::key_value_operations`] (the benches' count).
    stores: KeyValueStores,
    shutdown: watch::Sender<bool>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl RunningHost {
    /// `http://<addr><path>`: where `path` (starting with `/`) is served on this host.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// Key-value operations the component has made so far, over every store and both
    /// interfaces (`KeyValueStores::operations`): what the benches divide by requests.
    pub fn key_value_operations(&self) -> u64 {
        self.stores.operations()
    }

    /// Stops accepting connections, asks open ones to close after their current exchange, and
    /// waits for the accept loop to end.
    pub async fn shutdown(mut self) {
        let _ = self.shutdown.send(true);
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }

    /// Serves until the process is interrupted.
    pub async fn wait(mut self) {
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for RunningHost {
    fn drop(&mut self) {
        let _ = self.shutdown.send(true);
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
    let clock = Arc::new(crate::clock::HostClock::default());
    let app = AppContext {
        variables: Arc::new(variables),
        stores: stores.clone(),
        granted_stores: Arc::new(manifest.key_value_stores.clone()),
        allowed_hosts: Arc::new(allowed_hosts),
        key_value_latency: config.key_value_latency,
        clock: clock.clone(),
    };
    let runtime = EdgeRuntime::new(engine, component, app)?;
    let mailbox = Mailbox::with_capacity(config.mailbox_capacity);
    let limits = config.limits;
    let shared = Arc::new(Shared {
        runtime,
        route: Route {
            raw: manifest.route.clone(),
        },
        manifest,
        mailbox: mailbox.clone(),
        static_files: config.static_dir.as_ref().map(StaticFiles::new),
        local_mailbox: config.local_mailbox,
        addr,
        frame_ancestors,
        limits,
        instances: Arc::new(Semaphore::new(limits.max_instances)),
    });
    let (shutdown, stop) = watch::channel(false);
    let task = tokio::spawn(accept(listener, shared, stop));
    Ok(RunningHost {
        addr,
        mailbox,
        clock,
        stores,
        shutdown,
        task: Some(task),
    })
}

/// Accepts while a connection slot is free, until `stop` turns true.
async fn accept(listener: TcpListener, shared: Arc<Shared>, mut stop: watch::Receiver<bool>) {
    let connections = Arc::new(Semaphore::new(shared.limits.max_connections));
    loop {
        let slot = tokio::select! {
            slot = connections.clone().acquire_owned() => slot,
            () = stopped(&mut stop) => break,
        };
        let Ok(slot) = slot else { break };
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            () = stopped(&mut stop) => break,
        };
        let Ok((stream, client)) = accepted else {
            continue;
        };
        let shared = shared.clone();
        let header_timeout = shared.limits.header_timeout;
        let mut stop = stop.clone();
        tokio::spawn(async move {
            let _slot = slot;
            let service = hyper::service::service_fn(move |request| {
                let shared = shared.clone();
                async move { Ok::<_, std::convert::Infallible>(route(&shared, request, client).await) }
            });
            let connection = http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(header_timeout)
                .keep_alive(true)
                .serve_connection(TokioIo::new(stream), service);
            tokio::pin!(connection);
            tokio::select! {
                _ = connection.as_mut() => {}
                () = stopped(&mut stop) => {
                    connection.as_mut().graceful_shutdown();
                    let _ = connection.await;
                }
            }
        });
    }
}

/// Resolves once the host is stopping (or its handle is gone).
async fn stopped(stop: &mut watch::Receiver<bool>) {
    let _ = stop.wait_for(|stopped| *stopped).await;
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

async fn local(
    shared: &Shared,
    request: hyper::Request<Incoming>,
    path: &str,
) -> hyper::Response<HyperOutgoingBody> {
    if path == "/mailbox" || path.starts_with("/mailbox/") {
        if !shared.local_mailbox {
            return json_error(
                StatusCode::NOT_FOUND,
                "There is no local mailbox on this host: start it with --local-mailbox to see the emails here.",
            );
        }
        return shared.mailbox.serve(request, shared.addr).await;
    }
    match &shared.static_files {
        Some(files) => files.serve(request).await,
        None => json_error(StatusCode::NOT_FOUND, "There is nothing at this address."),
    }
}

/// Hands the request to a fresh instance with the headers Spin would give it, its body bound
/// by the body timeout; 503 when every instance slot is taken.
async fn to_component(
    shared: &Shared,
    request: hyper::Request<Incoming>,
    client: SocketAddr,
) -> hyper::Response<HyperOutgoingBody> {
    let (mut parts, body) = request.into_parts();
    let path_and_query = parts
        .uri
        .path_and_query()
        .map_or("/", |p| p.as_str())
        .to_owned();
    match trigger::component_headers(&parts.headers, &path_and_query, &shared.route, client) {
        Ok(headers) => parts.headers = headers,
        Err(refusal) => return api_error(StatusCode::BAD_REQUEST, &refusal.to_string()),
    }
    let Ok(slot) = shared.instances.clone().try_acquire_owned() else {
        return busy();
    };
    let body = DeadlineBody::new(body, shared.limits.body_timeout);
    let request = hyper::Request::from_parts(parts, body);
    match shared.runtime.handle(request, slot).await {
        Ok(response) => response,
        Err(HandleError::PoolFull) => busy(),
        Err(error) => {
            eprintln!("rsos-edge-host: {error}");
            api_error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "The edge function failed; please try again.",
            )
        }
    }
}

/// Every instance slot is taken: nothing ran, so a retry is safe.
fn busy() -> hyper::Response<HyperOutgoingBody> {
    let mut response = api_error(
        StatusCode::SERVICE_UNAVAILABLE,
        "The service is busy; please try again in a moment.",
    );
    response.headers_mut().insert(
        http::header::RETRY_AFTER,
        http::HeaderValue::from_static("2"),
    );
    response
}
