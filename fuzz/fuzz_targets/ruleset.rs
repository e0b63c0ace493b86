#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| rsos_fuzz::ruleset_text(data));
