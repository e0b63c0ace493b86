//! Runs the RSOS Spin edge component (`edge/`) in wasmtime, the way Spin would, for tests and
//! for local use without the `spin` CLI.
//!
//! It compiles the component once and instantiates it per request, links WASI 0.2 and
//! `wasi:http`, and implements the Spin imports the component uses —
//! `fermyon:spin/variables@2.0.0` (manifest variables, `SPIN_VARIABLE_<NAME>` and `--var`
//! overrides) and `fermyon:spin/key-value@2.0.0` (in memory, optionally a JSON file) — and
//! enforces the manifest's `allowed_outbound_hosts`. Around it, a small HTTP server on
//! 127.0.0.1 routes `/api/...` to the component with the headers Spin 4.0.2 gives it
//! (`trigger`), and serves a local mailbox (`/mailbox`, fed by `/mailbox/webhook`) and static
//! files (the built form), within header, body and idle timeouts and bounded connections and
//! instances (`limits`).
//!
//! Architecture invariant: the host knows nothing about RSOS requests; it is a generic, partial
//! Spin for one HTTP component. `spin up -f edge/spin.toml` must behave the same.
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use rsos_edge_host::{start, EdgeRuntime, HostConfig};
//! let engine = EdgeRuntime::engine()?;
//! let component = EdgeRuntime::compile(&engine, "target/wasm32-wasip2/release/rsos_edge.wasm".as_ref())?;
//! let mut config = HostConfig::new("edge/spin.toml");
//! config.local_mailbox = true;
//! let host = start(&engine, &component, config).await?;
//! println!("serving on {}", host.url("/api/requests"));
//! # Ok(()) }
//! ```

pub mod answer;
pub mod clock;
pub mod key_value;
mod key_value_imports;
pub mod limits;
pub mod loopback;
pub mod mailbox;
pub mod manifest;
pub mod outbound;
pub mod runtime;
pub mod server;
pub mod static_files;
pub mod trigger;
pub mod variables;

pub use limits::ServerLimits;
pub use mailbox::{MailMessage, Mailbox};
pub use runtime::EdgeRuntime;
pub use server::{start, HostConfig, HostError, RunningHost};
