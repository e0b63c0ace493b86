//! Fuzz target: arbitrary bytes as a request body, through the one parser and `assess`.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| rsos_fuzz::request_bytes(data));
