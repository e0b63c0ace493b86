//! The verdict benchmark's timing loop, shared by the native binary and the WASM build, so
//! both measure exactly the same work: for each request, `Request::from_json` on its JSON
//! bytes, `assess` with the built-in ruleset, and `Verdict::to_json` (the canonical bytes the
//! CLI prints and the edge function embeds). `assess` alone on pre-parsed requests is timed
//! too, for reference.
//!
//! The clock is passed in (nanoseconds as `f64`): `std::time::Instant` natively,
//! `performance.now()` in the browser. Rounds run whole passes over the request list until
//! at least `min_ms` have passed, so a coarse browser clock (5–100 µs) does not matter.

use std::hint::black_box;

use rsos_rules::{assess, Request, Ruleset};
use serde_json::{json, Value};

/// One benchmark's result, as the JSON object `run.mjs` reads.
pub fn bench_json(
    requests_json: &str,
    rounds: u32,
    min_ms: f64,
    now_ns: &dyn Fn() -> f64,
) -> String {
    match bench(requests_json, rounds, min_ms, now_ns) {
        Ok(value) => value.to_string(),
        Err(message) => json!({ "error": message }).to_string(),
    }
}

/// The verdict JSON of every request (for the agreement check), as a JSON array of strings.
pub fn verdicts_json(requests_json: &str) -> String {
    match split_requests(requests_json) {
        Ok(requests) => {
            let verdicts: Vec<String> = requests.iter().map(|r| verdict_of(r)).collect();
            json!(verdicts).to_string()
        }
        Err(message) => json!({ "error": message }).to_string(),
    }
}

fn bench(
    requests_json: &str,
    rounds: u32,
    min_ms: f64,
    now_ns: &dyn Fn() -> f64,
) -> Result<Value, String> {
    let requests = split_requests(requests_json)?;
    let parsed = requests
        .iter()
        .map(|r| Request::from_json(r).map_err(|e| e.to_string()))
        .collect::<Result<Vec<_>, _>>()?;
    let ruleset = Ruleset::builtin();
    let min_ns = min_ms * 1e6;

    // Warm-up: fills caches and, in the browser, lets the engine tier the code up.
    time_rounds(2, min_ns, now_ns, requests.len(), || {
        for r in &requests {
            black_box(verdict_of(black_box(r)));
        }
    });
    let full = time_rounds(rounds, min_ns, now_ns, requests.len(), || {
        for r in &requests {
            black_box(verdict_of(black_box(r)));
        }
    });
    let assess_only = time_rounds(rounds, min_ns, now_ns, parsed.len(), || {
        for r in &parsed {
            black_box(assess(black_box(r), ruleset));
        }
    });
    Ok(json!({
        "requests": requests.len(),
        "rounds": rounds,
        "json_in_json_out_ns": median(&full),
        "json_in_json_out_rounds_ns": full,
        "assess_only_ns": median(&assess_only),
        "assess_only_rounds_ns": assess_only,
    }))
}

/// JSON request bytes in, canonical verdict JSON out; a malformed request gives its sentence.
fn verdict_of(request: &[u8]) -> String {
    match Request::from_json(request) {
        Ok(r) => assess(&r, Ruleset::builtin()).verdict.to_json(),
        Err(e) => e.to_string(),
    }
}

/// A JSON array of request objects → the JSON bytes of each request.
fn split_requests(requests_json: &str) -> Result<Vec<Vec<u8>>, String> {
    let value: Value = serde_json::from_str(requests_json).map_err(|e| format!("requests: {e}"))?;
    let Value::Array(items) = value else {
        return Err("requests: expected a JSON array of request objects".into());
    };
    if items.is_empty() {
        return Err("requests: the array is empty".into());
    }
    Ok(items.iter().map(|r| r.to_string().into_bytes()).collect())
}

/// Nanoseconds per verdict of each round.
fn time_rounds(
    rounds: u32,
    min_ns: f64,
    now_ns: &dyn Fn() -> f64,
    per_pass: usize,
    mut pass: impl FnMut(),
) -> Vec<f64> {
    (0..rounds.max(1))
        .map(|_| {
            let start = now_ns();
            let mut passes = 0u64;
            let mut elapsed;
            loop {
                pass();
                passes += 1;
                elapsed = now_ns() - start;
                if elapsed >= min_ns {
                    break;
                }
            }
            elapsed / (passes as f64 * per_pass.max(1) as f64)
        })
        .collect()
}

fn median(values: &[f64]) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    match sorted.len() {
        0 => 0.0,
        n if n % 2 == 1 => sorted[n / 2],
        n => (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0,
    }
}

#[cfg(target_arch = "wasm32")]
mod web {
    use wasm_bindgen::prelude::wasm_bindgen;

    #[wasm_bindgen]
    extern "C" {
        /// `performance.now()`: milliseconds, as precise as the page is allowed.
        #[wasm_bindgen(js_namespace = performance, js_name = now)]
        fn performance_now() -> f64;
    }

    /// Times `rounds` rounds (each at least `min_ms`) over the requests (a JSON array of
    /// request objects); returns the result object as JSON text.
    #[wasm_bindgen]
    pub fn bench(requests_json: &str, rounds: u32, min_ms: f64) -> String {
        super::bench_json(requests_json, rounds, min_ms, &|| performance_now() * 1e6)
    }

    /// The canonical verdict JSON of each request, as a JSON array of strings.
    #[wasm_bindgen]
    pub fn verdicts(requests_json: &str) -> String {
        super::verdicts_json(requests_json)
    }
}
