//! The wasmtime side: compile the component once, link WASI 0.2, `wasi:http` and the Spin
//! imports, and run one fresh instance per HTTP request — the way Spin does, so no state
//! survives in the component's memory between requests; only key-value does.

use std::path::Path;
use std::sync::Arc;

use http_body_util::BodyExt;
use wasmtime::component::{Component, HasSelf, Linker, ResourceTable};
use wasmtime::{Engine, Store, StoreLimits, StoreLimitsBuilder};
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};
use wasmtime_wasi_http::p2::bindings::http::types::{ErrorCode, Scheme};
use wasmtime_wasi_http::p2::bindings::ProxyPre;
use wasmtime_wasi_http::p2::body::HyperOutgoingBody;
use wasmtime_wasi_http::{
    RequestOptions, WasiBody, WasiHttpCtx, WasiHttpCtxView, WasiHttpHooks, WasiHttpView,
};

use crate::key_value::KeyValueStores;
use crate::outbound::AllowedHosts;
use crate::variables::Variables;

pub(crate) mod bindings {
    wasmtime::component::bindgen!({
        path: "wit",
        world: "fermyon:spin/edge-imports",
        // Async so a simulated store latency (see `AppContext::key_value_latency`) parks the
        // instance instead of blocking a worker thread.
        imports: { default: async },
        with: {
            "fermyon:spin/key-value.store": crate::key_value_imports::OpenStore,
            "wasi:keyvalue/store.bucket": crate::key_value_imports::OpenStore,
            "wasi:keyvalue/atomics.cas": crate::key_value_imports::OpenCas,
        },
    });
}

use bindings::fermyon::spin::{key_value, variables};
use bindings::wasi::keyvalue::{atomics as wasi_atomics, batch as wasi_batch, store as wasi_store};

/// What every instance shares: resolved variables, key-value stores and outbound rules.
#[derive(Clone)]
pub struct AppContext {
    /// The resolved variables `fermyon:spin/variables.get` answers from.
    pub variables: Arc<Variables>,
    /// The stores opened for the granted labels.
    pub stores: KeyValueStores,
    /// The labels the manifest grants (`key_value_stores`); opening another is `access-denied`.
    pub granted_stores: Arc<Vec<String>>,
    /// The expanded `allowed_outbound_hosts`, checked before every outbound request.
    pub allowed_hosts: Arc<AllowedHosts>,
    /// Added before every key-value operation, to behave like a remote store. Races between
    /// instances become as likely as they are against Redis or a cloud store, which is what the
    /// idempotency tests need to be honest.
    pub key_value_latency: Option<std::time::Duration>,
    /// The wall clock every instance reads.
    pub clock: Arc<crate::clock::HostClock>,
}

/// Per-request store data.
pub(crate) struct InstanceState {
    wasi: WasiCtx,
    http: WasiHttpCtx,
    pub(crate) table: ResourceTable,
    hooks: OutboundHooks,
    pub(crate) app: AppContext,
    limits: StoreLimits,
}

impl WasiView for InstanceState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

impl WasiHttpView for InstanceState {
    fn http(&mut self) -> WasiHttpCtxView<'_> {
        WasiHttpCtxView {
            ctx: &mut self.http,
            table: &mut self.table,
            hooks: &mut self.hooks,
        }
    }
}

/// Outbound HTTP with `allowed_outbound_hosts` enforced before any connection is made.
struct OutboundHooks {
    allowed: Arc<AllowedHosts>,
}

type SendFuture = Box<
    dyn std::future::Future<
            Output = wasmtime_wasi_http::Result<(
                http::Response<WasiBody>,
                Box<dyn std::future::Future<Output = wasmtime_wasi_http::Result<()>> + Send>,
            )>,
        > + Send,
>;

impl WasiHttpHooks for OutboundHooks {
    fn send_request(
        &mut self,
        request: http::Request<WasiBody>,
        options: Option<RequestOptions>,
        fut: Box<dyn std::future::Future<Output = wasmtime_wasi_http::Result<()>> + Send>,
    ) -> SendFuture {
        _ = fut;
        let uri = request.uri();
        let scheme = uri.scheme_str().unwrap_or("https").to_ascii_lowercase();
        let allowed = uri.host().is_some_and(|host| {
            self.allowed
                .allows(&scheme, host.trim_matches(['[', ']']), uri.port_u16())
        });
        if !allowed {
            eprintln!(
                "rsos-edge-host: outbound request to {scheme}://{} denied by allowed_outbound_hosts",
                uri.authority().map(|a| a.as_str()).unwrap_or("?")
            );
            return Box::new(async { Err(wasmtime_wasi_http::Error::HttpRequestDenied) });
        }
        Box::new(async move {
            let (response, io) = wasmtime_wasi_http::default_send_request(request, options).await?;
            Ok((
                response.map(BodyExt::boxed_unsync),
                Box::new(io) as Box<dyn std::future::Future<Output = _> + Send>,
            ))
        })
    }
}

impl variables::Host for InstanceState {
    async fn get(&mut self, name: String) -> Result<String, variables::Error> {
        if !crate::manifest::is_variable_name(&name) {
            return Err(variables::Error::InvalidName(name));
        }
        self.app
            .variables
            .component_value(&name)
            .map(str::to_owned)
            .ok_or(variables::Error::Undefined(name))
    }
}

/// Why the component cannot run in this host (a start-up error).
#[derive(Debug, thiserror::Error)]
pub enum RuntimeError {
    /// The engine could not be configured, or the component file not read or compiled.
    #[error("could not load the component {path}: {reason}")]
    Load {
        /// The component file.
        path: String,
        /// wasmtime's error chain.
        reason: String,
    },
    /// The component imports what this host does not provide (or in another version), or
    /// does not export `wasi:http/incoming-handler`; wasmtime's error chain.
    #[error("the component does not fit this host: {0}")]
    Link(String),
    /// wasmtime could not make an engine with either allocator; its error chain.
    #[error("could not start the WebAssembly engine: {0}")]
    Engine(String),
}

/// A compiled, linked component, ready to instantiate per request.
#[derive(Clone)]
pub struct EdgeRuntime {
    pre: ProxyPre<InstanceState>,
    app: AppContext,
}

/// Instances get at most this much linear memory; a request that needs more traps instead
/// of starving the host.
const MEMORY_LIMIT: usize = 256 * 1024 * 1024;

impl EdgeRuntime {
    /// An engine for async component instances: a pooling allocator (512 instances, 256 MiB of
    /// linear memory each) where the address space can be reserved, else on-demand allocation.
    /// `Err`: [`RuntimeError::Engine`].
    pub fn engine() -> Result<Engine, RuntimeError> {
        let mut config = wasmtime::Config::new();
        // Like Spin: a pooling allocator makes instance-per-request cheap (slots are reused,
        // memory is reset with madvise instead of mmap/munmap per request). Fall back to the
        // on-demand allocator where the pool cannot reserve its address space.
        let mut pool = wasmtime::PoolingAllocationConfig::default();
        pool.total_component_instances(512)
            .total_memories(512)
            .total_tables(2048)
            .total_core_instances(4096)
            .max_memory_size(MEMORY_LIMIT);
        config.allocation_strategy(wasmtime::InstanceAllocationStrategy::Pooling(pool));
        if let Ok(engine) = Engine::new(&config) {
            return Ok(engine);
        }
        config.allocation_strategy(wasmtime::InstanceAllocationStrategy::OnDemand);
        Engine::new(&config).map_err(|e| RuntimeError::Engine(format!("{e:#}")))
    }

    /// Compiles the component file at `path` (`wasm32-wasip2`) for `engine`: once, then
    /// instantiated per request. `Err`: [`RuntimeError::Load`].
    pub fn compile(engine: &Engine, path: &Path) -> Result<Component, RuntimeError> {
        Component::from_file(engine, path).map_err(|e| RuntimeError::Load {
            path: path.display().to_string(),
            reason: format!("{e:#}"),
        })
    }

    /// Links WASI 0.2, `wasi:http`, `fermyon:spin/key-value@2.0.0`,
    /// `fermyon:spin/variables@2.0.0` and `wasi:keyvalue` store, atomics and batch
    /// (0.2.0-draft2) for `component`, and pre-instantiates it over `app`. `Err`: [`RuntimeError::Link`].
    pub fn new(
        engine: &Engine,
        component: &Component,
        app: AppContext,
    ) -> Result<EdgeRuntime, RuntimeError> {
        let link = |e: wasmtime::Error| RuntimeError::Link(format!("{e:#}"));
        let mut linker: Linker<InstanceState> = Linker::new(engine);
        wasmtime_wasi::p2::add_to_linker_async(&mut linker).map_err(link)?;
        wasmtime_wasi_http::p2::add_only_http_to_linker_async(&mut linker).map_err(link)?;
        key_value::add_to_linker::<InstanceState, HasSelf<InstanceState>>(&mut linker, |s| s)
            .map_err(link)?;
        variables::add_to_linker::<InstanceState, HasSelf<InstanceState>>(&mut linker, |s| s)
            .map_err(link)?;
        wasi_store::add_to_linker::<InstanceState, HasSelf<InstanceState>>(&mut linker, |s| s)
            .map_err(link)?;
        wasi_atomics::add_to_linker::<InstanceState, HasSelf<InstanceState>>(&mut linker, |s| s)
            .map_err(link)?;
        wasi_batch::add_to_linker::<InstanceState, HasSelf<InstanceState>>(&mut linker, |s| s)
            .map_err(link)?;
        let pre = linker.instantiate_pre(component).map_err(link)?;
        let pre = ProxyPre::new(pre).map_err(link)?;
        Ok(EdgeRuntime { pre, app })
    }

    /// Runs one request through a fresh instance. `held` (the caller's instance slot) lives
    /// as long as the instance does, which may be past the response head.
    pub async fn handle<B>(
        &self,
        request: hyper::Request<B>,
        held: impl Send + 'static,
    ) -> Result<hyper::Response<HyperOutgoingBody>, HandleError>
    where
        B: hyper::body::Body<Data = bytes::Bytes> + Send + 'static,
        B::Error: Into<wasmtime_wasi_http::Error>,
    {
        let wasi = WasiCtx::builder()
            .inherit_stderr()
            .wall_clock(crate::clock::WallClock(self.app.clock.clone()))
            .build();
        let state = InstanceState {
            wasi,
            http: WasiHttpCtx::new(),
            table: ResourceTable::new(),
            hooks: OutboundHooks {
                allowed: self.app.allowed_hosts.clone(),
            },
            app: self.app.clone(),
            limits: StoreLimitsBuilder::new().memory_size(MEMORY_LIMIT).build(),
        };
        let mut store = Store::new(self.pre.engine(), state);
        store.limiter(|s| &mut s.limits);
        let (sender, receiver) = tokio::sync::oneshot::channel();
        let incoming = store
            .data_mut()
            .http()
            .new_incoming_request(Scheme::Http, request)
            .map_err(|e| HandleError::Trap(format!("{e:#}")))?;
        let out = store
            .data_mut()
            .http()
            .new_response_outparam(sender)
            .map_err(|e| HandleError::Trap(format!("{e:#}")))?;
        let pre = self.pre.clone();
        // The instance runs in its own task so it can keep streaming a body after the
        // response head is out, and so a trap cannot take the connection task with it.
        let task = tokio::spawn(async move {
            let _held = held;
            let proxy = pre.instantiate_async(&mut store).await?;
            proxy
                .wasi_http_incoming_handler()
                .call_handle(&mut store, incoming, out)
                .await
        });
        match receiver.await {
            Ok(Ok(response)) => Ok(response),
            Ok(Err(code)) => Err(HandleError::Guest(code)),
            Err(_) => {
                let reason = match task.await {
                    Ok(Ok(())) => "the component returned without a response".to_owned(),
                    Ok(Err(e)) if is_pool_full(&e) => return Err(HandleError::PoolFull),
                    Ok(Err(e)) => format!("{e:#}"),
                    Err(e) => e.to_string(),
                };
                Err(HandleError::Trap(reason))
            }
        }
    }
}

/// The pooling allocator had no free slot (instances, memories, tables or stacks).
fn is_pool_full(error: &wasmtime::Error) -> bool {
    error
        .chain()
        .any(|cause| cause.is::<wasmtime::PoolConcurrencyLimitError>())
}

/// Why a request got no response from the component (the server answers 503 for
/// [`HandleError::PoolFull`], 500 otherwise).
#[derive(Debug, thiserror::Error)]
pub enum HandleError {
    /// No instance could be made now: every slot of the pool is taken. Nothing ran.
    #[error("the instance pool is full")]
    PoolFull,
    /// The instance trapped or failed to instantiate, returned without a response, or its task
    /// panicked; wasmtime's error chain.
    #[error("the component failed: {0}")]
    Trap(String),
    /// The component set its response to a `wasi:http` error code.
    #[error("the component answered with an error code: {0:?}")]
    Guest(ErrorCode),
}
