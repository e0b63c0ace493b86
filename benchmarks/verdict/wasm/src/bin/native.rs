//! `rsos-verdict-bench-native REQUESTS.json [ROUNDS] [MIN_MS]`: times rsos-rules verdicts
//! natively with the same loop the WASM build runs in the browser, and prints one JSON object:
//! the timing result plus the verdict of every request.

use std::time::Instant;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(path) = args.first() else {
        eprintln!("usage: rsos-verdict-bench-native REQUESTS.json [ROUNDS] [MIN_MS]");
        std::process::exit(2);
    };
    let rounds = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(7);
    let min_ms = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(50.0);
    let requests = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) => {
            eprintln!("cannot read {path}: {e}");
            std::process::exit(2);
        }
    };
    let origin = Instant::now();
    let now_ns = move || origin.elapsed().as_nanos() as f64;
    let timing = rsos_verdict_bench_wasm::bench_json(&requests, rounds, min_ms, &now_ns);
    let verdicts = rsos_verdict_bench_wasm::verdicts_json(&requests);
    println!("{{\"timing\":{timing},\"verdicts\":{verdicts}}}");
}
