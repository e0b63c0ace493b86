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
        /// Call `POST /api/maintenance/sweep` every this many seconds (0: never), as a
        /// scheduler would in production; needs the `maintenance_token` variable.
        #[arg(long, default_value_t = 0)]
        sweep_every_s: u64,
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
        sweep_every_s,
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
    let sweep_token = variables
        .get("maintenance_token")
        .cloned()
        .unwrap_or_default();
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
    if sweep_every_s > 0 && !sweep_token.is_empty() {
        println!("  Sweep:   every {sweep_every_s} s");
        tokio::spawn(scheduled_sweeps(
            host.addr,
            sweep_token,
            Duration::from_secs(sweep_every_s),
        ));
    }
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {
            println!("stopping");
            host.shutdown().await;
        }
    }
    Ok(())
}

/// What a scheduler does in production (a Kubernetes CronJob, a Spin cron trigger, a system
/// timer): `POST /api/maintenance/sweep` with the maintenance token, every `every`, calling
/// again at once while the answer says there is more.
async fn scheduled_sweeps(addr: SocketAddr, token: String, every: Duration) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    loop {
        tokio::time::sleep(every).await;
        for _ in 0..10 {
            let Ok(mut stream) = tokio::net::TcpStream::connect(addr).await else {
                break;
            };
            let request = format!(
                "POST /api/maintenance/sweep HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            );
            let mut answer = Vec::new();
            if stream.write_all(request.as_bytes()).await.is_err()
                || stream.read_to_end(&mut answer).await.is_err()
            {
                break;
            }
            let answer = String::from_utf8_lossy(&answer);
            if !answer.contains("\"more\":true") {
                break;
            }
        }
    }
}
