//! The host's integration tests, one binary: every test binary links wasmtime and cranelift
//! (about 350 MB unoptimised), so six of them cost CI two gigabytes of disk and six links.

mod common;

mod abuse;
mod api;
mod emails;
mod host;
mod idempotency;
mod instances;
mod maintenance;
