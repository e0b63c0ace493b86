//! Fuzz target: arbitrary text as a replacement ruleset, through `Ruleset::from_toml`.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| rsos_fuzz::ruleset_text(data));
