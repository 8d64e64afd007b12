//! Warm prompt caches: the time to first token of a conversation's third turn, and the
//! prompt tokens the server had to process again for it, when the session stays on one
//! server (sticky: A, A, A) against when its second turn went to the other server
//! (alternated: A, B, A). Both against real llama-servers: A is SmolLM2-135M-Instruct
//! (`scripts/real-server.sh start fast`), B is gemma-3 270M (`start quality`, as the quality
//! role with `api = "openai"`). llama-server reports `timings.cache_n` (prompt tokens taken
//! from its KV cache) and `prompt_n`; the `done` event carries them as `cached_tokens` and
//! `input_tokens`.
//!
//! ```text
//! cargo bench --bench prompt_cache
//! CACHE_RUNS=5 cargo bench --bench prompt_cache
//! ```

#[path = "support/real_server.rs"]
mod real_server;

use std::process::Command;

const TURNS: [&str; 3] = [
    "Explain what a hash map is, in three sentences.",
    "How does it handle two keys with the same hash?",
    "Which is faster for lookups, a hash map or a sorted array, and why?",
];

/// The third turn's `done` event figures: time to first token (ms), prompt tokens, and
/// those taken from the cache.
struct Third {
    ttft_ms: f64,
    input: u64,
    cached: u64,
}

/// A small Rust file the "with a file" conversations attach (`@src/map.rs`); the session
/// keeps it, and each turn sends it again.
const FILE: &str = "use std::collections::HashMap;\n\n/// Counts words.\npub fn count(text: &str) -> HashMap<&str, usize> {\n    let mut m = HashMap::new();\n    for w in text.split_whitespace() {\n        *m.entry(w).or_insert(0) += 1;\n    }\n    m\n}\n";

fn conversation(a: &str, b: &str, sticky: bool, with_file: bool) -> Result<Third, String> {
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    if with_file {
        std::fs::create_dir_all(dir.path().join(".git/x")).map_err(|e| e.to_string())?;
        std::fs::create_dir_all(dir.path().join("src")).map_err(|e| e.to_string())?;
        std::fs::write(dir.path().join("src/map.rs"), FILE).map_err(|e| e.to_string())?;
    }
    let config = dir.path().join("config.toml");
    std::fs::write(
        &config,
        format!(
            "[hybrid.lm_studio]\nendpoint = \"{a}\"\nfirst_token_timeout_secs = 600\nidle_timeout_secs = 600\n\
             [hybrid.ollama]\napi = \"openai\"\nendpoint = \"{b}\"\n\
             first_token_timeout_secs = 600\nidle_timeout_secs = 600\n"
        ),
    )
    .map_err(|e| e.to_string())?;
    let second = if sticky { "--fast" } else { "--analyze" };
    let first = if with_file {
        format!("{} The code is in @src/map.rs.", TURNS[0])
    } else {
        TURNS[0].to_owned()
    };
    let plan = [
        vec!["--fast", "-p", first.as_str()],
        vec!["--continue", second, "-p", TURNS[1]],
        vec!["--continue", "--fast", "-p", TURNS[2]],
    ];
    let mut last = None;
    for args in plan {
        let out = Command::new(env!("CARGO_BIN_EXE_codecrucible"))
            .args(["--json", "--no-cache", "--max-tokens", "48"])
            .args(&args)
            .current_dir(dir.path())
            .env("CODECRUCIBLE_CONFIG", &config)
            .env("CODECRUCIBLE_DATA_DIR", dir.path().join("data"))
            .env_remove("OLLAMA_HOST")
            .env_remove("CODECRUCIBLE_LMSTUDIO_URL")
            .output()
            .map_err(|e| format!("codecrucible could not run: {e}"))?;
        if !out.status.success() {
            return Err(format!(
                "a turn failed: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            ));
        }
        last = String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
            .find(|e| e["type"] == "done");
    }
    let done = last.ok_or("the third turn had no done event")?;
    Ok(Third {
        ttft_ms: done["ttft_ms"].as_f64().unwrap_or(f64::NAN),
        input: done["input_tokens"].as_u64().unwrap_or(0),
        cached: done["cached_tokens"].as_u64().unwrap_or(0),
    })
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v.get(v.len() / 2).copied().unwrap_or(f64::NAN)
}

fn main() {
    let (a, b) = match (real_server::start("fast"), real_server::start("quality")) {
        (Ok(a), Ok(b)) => (a, b),
        (Err(e), _) | (_, Err(e)) => {
            println!("prompt_cache: SKIPPED: {e}");
            return;
        }
    };
    let runs: usize = std::env::var("CACHE_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3);
    println!(
        "prompt_cache: third turn of {runs} conversations each, alternated; A = SmolLM2-135M, B = gemma-3 270M"
    );
    for with_file in [false, true] {
        let (mut sticky, mut alternated) = (Vec::new(), Vec::new());
        for _ in 0..runs {
            for (is_sticky, into) in [(true, &mut sticky), (false, &mut alternated)] {
                match conversation(&a, &b, is_sticky, with_file) {
                    Ok(t) => into.push(t),
                    Err(e) => {
                        println!("prompt_cache: FAILED: {e}");
                        return;
                    }
                }
            }
        }
        println!(
            "  {}",
            if with_file {
                "with a workspace file attached (@src/map.rs, kept by the session):"
            } else {
                "a plain conversation:"
            }
        );
        report(&sticky, &alternated);
    }
}

fn report(sticky: &[Third], alternated: &[Third]) {
    for (name, arm) in [("sticky A,A,A", sticky), ("alternated A,B,A", alternated)] {
        let ttft = median(arm.iter().map(|t| t.ttft_ms).collect());
        let input = median(arm.iter().map(|t| t.input as f64).collect());
        let reprocessed = median(
            arm.iter()
                .map(|t| (t.input - t.cached.min(t.input)) as f64)
                .collect(),
        );
        println!(
            "    {name:<17} TTFT median {ttft:7.1} ms  prompt {input:.0} tokens, {reprocessed:.0} processed again"
        );
    }
}
