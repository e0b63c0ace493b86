//! `rsos-edge-host`: serves the RSOS Spin edge component on 127.0.0.1 with a local mailbox
//! and static files, for trying the whole stack without the `spin` CLI.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::builder::TypedValueParser as _;
use clap::{Parser, Subcommand};
use rsos_edge_host::key_value::Backing;
use rsos_edge_host::{start, EdgeRuntime, HostConfig, ServerLimits};

#[derive(Parser)]
#[command(
    name = "rsos-edge-host",
    about = "Run the RSOS edge component in wasmtime, like `spin up`."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the component's HTTP trigger, the local mailbox and static files.
    Serve {
        /// The compiled component (rsos_edge.wasm).
        #[arg(long)]
        component: PathBuf,
        /// The Spin manifest.
        #[arg(long, default_value = "edge/spin.toml")]
        manifest: PathBuf,
        #[arg(long, default_value = "127.0.0.1:8080")]
        listen: SocketAddr,
        /// A directory of static files (the built form), served for every other path.
        #[arg(long = "static")]
        static_dir: Option<PathBuf>,
        /// Set an application variable (repeatable); wins over SPIN_VARIABLE_<NAME>.
        #[arg(long = "var", value_name = "NAME=VALUE")]
        vars: Vec<String>,
        /// Keep key-value data in this SQLite database across restarts (as `spin up` does).
        #[arg(long, conflicts_with = "key_value_redis")]
        key_value_file: Option<PathBuf>,
        /// Keep key-value data in this Redis (redis://host:port), shared with every host
        /// process that names it: what Spin does with runtime-config.redis.toml.
        #[arg(long)]
        key_value_redis: Option<String>,
        /// Send the component's mail to this host's /mailbox instead of the configured API.
        #[arg(long)]
        local_mailbox: bool,
        /// Seconds a connection may take to send a request head, and stay idle between
        /// requests.
        #[arg(long, default_value_t = 10)]
        header_timeout_s: u64,
        /// Seconds a request body may take to arrive, from its head.
        #[arg(long, default_value_t = 30)]
        body_timeout_s: u64,
        /// Connections served at once; more wait to be accepted.
        #[arg(long, default_value_t = 512)]
        max_connections: usize,
        /// Component instances at once; more requests get 503 with Retry-After.
        #[arg(long, default_value_t = 256, value_parser = clap::value_parser!(u16).range(1..=512).map(usize::from))]
        max_instances: usize,
    },
}

#[tokio::main]
async fn main() -> ExitCode {
    match run(Cli::parse()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("rsos-edge-host: {message}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> Result<(), String> {
    let Command::Serve {
        component,
        manifest,
        listen,
        static_dir,
        vars,
        key_value_file,
        key_value_redis,
        local_mailbox,
        header_timeout_s,
        body_timeout_s,
        max_connections,
        max_instances,
    } = cli.command;
    let key_value = match (key_value_file, key_value_redis) {
        (Some(file), _) => Backing::File(file),
        (None, Some(url)) => Backing::Redis(url),
        (None, None) => Backing::Memory,
    };
    let mut variables = BTreeMap::new();
    for var in vars {
        let (name, value) = var
            .split_once('=')
            .ok_or_else(|| format!("--var {var:?} must look like name=value"))?;
        variables.insert(name.trim().to_owned(), value.to_owned());
    }
    let engine = EdgeRuntime::engine().map_err(|e| e.to_string())?;
    let compiled = EdgeRuntime::compile(&engine, &component).map_err(|e| e.to_string())?;
    let mut config = HostConfig::new(manifest);
    config.variables = variables;
    config.use_environment = true;
    config.static_dir = static_dir;
    config.key_value = key_value;
    config.listen = listen;
    config.local_mailbox = local_mailbox;
    config.limits = ServerLimits {
        header_timeout: Duration::from_secs(header_timeout_s),
        body_timeout: Duration::from_secs(body_timeout_s),
        max_connections: max_connections.max(1),
        max_instances,
    };
    let host = start(&engine, &compiled, config)
        .await
        .map_err(|e| e.to_string())?;
    println!("RSOS edge host listening on http://{}", host.addr);
    println!("  API:     http://{}/api/requests", host.addr);
    println!("  Mailbox: http://{}/mailbox", host.addr);
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {
            println!("stopping");
            host.shutdown().await;
        }
    }
    Ok(())
}
