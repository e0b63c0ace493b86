//! The host's integration tests, one binary: every test binary links wasmtime and cranelift
//! (about 350 MB unoptimised), so six of them cost CI two gigabytes of disk and six links.
//! The kit they share with the benches is `tests/kit`.

#[path = "../kit/mod.rs"]
mod kit;

mod abuse;
mod api;
mod emails;
mod host;
mod idempotency;
mod insights;
mod instances;
mod ledger;
mod limits;
mod maintenance;
mod spin_headers;
mod sweep;
