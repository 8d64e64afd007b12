//! What early escalation saves: the wall time of a hybrid request whose draft loops, with
//! `hybrid.routing.early_escalation` off (the draft streams to its token limit, then is
//! judged) and on (it is stopped while it streams), alternated, against real servers.
//!
//! The fast role is llama-server with gemma-3 270M, a base model that loops on instructions
//! (`scripts/real-server.sh start quality`); the quality role is llama-server with
//! SmolLM2-135M-Instruct (`start fast`, `api = "openai"`). Both are real; the script starts
//! them if they are not running. Each run is the real binary,
//! `codecrucible --backend hybrid --json --no-cache --max-tokens CAP -p PROMPT`, in a fresh
//! data dir; the time the `escalate` event arrives is the draft's share of the run.
//!
//! ```text
//! cargo bench --bench early_escalation
//! EARLY_RUNS=5 cargo bench --bench early_escalation
//! ```
//!
//! Settings: `EARLY_RUNS` (pairs per prompt, default 2); `EARLY_DRAFT_TOKENS` (the draft's
//! cap, `draft_max_tokens`, default 1024 as shipped).

#[path = "support/real_server.rs"]
mod real_server;

use std::io::{BufRead as _, BufReader};
use std::process::{Command, Stdio};
use std::time::Instant;

const PROMPTS: [&str; 2] = [
    "Explain what a hash map is and when to use one.",
    "List the steps to reverse a linked list in place.",
];

/// One run's measurements.
struct Run {
    secs: f64,
    /// When the escalation began: the draft's share of the wall time.
    draft_secs: Option<f64>,
    /// Tokens the draft had when it was stopped early.
    stopped_at: Option<u64>,
    escalated: bool,
    saved_ms: Option<f64>,
}

fn run(fast: &str, quality: &str, early: bool, prompt: &str, cap: u32) -> Result<Run, String> {
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let config = dir.path().join("config.toml");
    std::fs::write(
        &config,
        format!(
            "[hybrid.lm_studio]\nendpoint = \"{fast}\"\ndraft_max_tokens = {cap}\n\
             first_token_timeout_secs = 600\nidle_timeout_secs = 600\n\
             [hybrid.ollama]\napi = \"openai\"\nendpoint = \"{quality}\"\n\
             first_token_timeout_secs = 600\nidle_timeout_secs = 600\n\
             [hybrid.routing]\nearly_escalation = {early}\n"
        ),
    )
    .map_err(|e| e.to_string())?;
    let started = Instant::now();
    // `--max-tokens` caps the quality answer as well, so both arms' escalations are alike.
    let mut child = Command::new(env!("CARGO_BIN_EXE_codecrucible"))
        .args(["--backend", "hybrid", "--json", "--no-cache"])
        .args(["--max-tokens", &cap.to_string(), "-p", prompt])
        .env("CODECRUCIBLE_CONFIG", &config)
        .env("CODECRUCIBLE_DATA_DIR", dir.path().join("data"))
        .env_remove("OLLAMA_HOST")
        .env_remove("CODECRUCIBLE_LMSTUDIO_URL")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("codecrucible could not run: {e}"))?;
    let stdout = child.stdout.take().ok_or("no output")?;
    let mut events = Vec::new();
    let mut escalated_at = None;
    for line in BufReader::new(stdout).lines().map_while(Result::ok) {
        let Ok(e) = serde_json::from_str::<serde_json::Value>(&line) else {
            continue;
        };
        if e["type"] == "escalate" && escalated_at.is_none() {
            escalated_at = Some(started.elapsed().as_secs_f64());
        }
        events.push(e);
    }
    let _ = child.wait();
    let secs = started.elapsed().as_secs_f64();
    let escalate = events.iter().find(|e| e["type"] == "escalate");
    let early = escalate.map(|e| &e["early"]).filter(|e| !e.is_null());
    Ok(Run {
        secs,
        draft_secs: escalated_at,
        stopped_at: early.and_then(|e| e["tokens"].as_u64()),
        escalated: escalate.is_some(),
        saved_ms: early.and_then(|e| e["saved_ms"].as_f64()),
    })
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v.get(v.len() / 2).copied().unwrap_or(f64::NAN)
}

fn main() {
    let (fast, quality) = match (real_server::start("quality"), real_server::start("fast")) {
        (Ok(f), Ok(q)) => (f, q),
        (Err(e), _) | (_, Err(e)) => {
            println!("early_escalation: SKIPPED: {e}");
            return;
        }
    };
    let env = |k: &str, d: u64| {
        std::env::var(k)
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(d)
    };
    let runs = env("EARLY_RUNS", 2) as usize;
    let cap = env("EARLY_DRAFT_TOKENS", 1024) as u32;
    let (mut off, mut on) = (Vec::new(), Vec::new());
    for prompt in PROMPTS {
        for _ in 0..runs {
            for (early, into) in [(false, &mut off), (true, &mut on)] {
                match run(&fast, &quality, early, prompt, cap) {
                    Ok(r) => into.push(r),
                    Err(e) => {
                        println!("early_escalation: FAILED: {e}");
                        return;
                    }
                }
            }
        }
    }
    let line = |name: &str, rs: &[Run]| {
        let secs: Vec<f64> = rs.iter().map(|r| r.secs).collect();
        let drafts: Vec<f64> = rs.iter().filter_map(|r| r.draft_secs).collect();
        let stopped: Vec<u64> = rs.iter().filter_map(|r| r.stopped_at).collect();
        let saved: Vec<f64> = rs.iter().filter_map(|r| r.saved_ms).collect();
        println!(
            "  {name:<4} median {:7.1} s (escalated after a median {:6.1} s)  min {:7.1} s  max {:7.1} s  escalated {}/{}  stopped early {}/{}{}{}",
            median(secs.clone()),
            median(drafts),
            secs.iter().copied().fold(f64::INFINITY, f64::min),
            secs.iter().copied().fold(0.0, f64::max),
            rs.iter().filter(|r| r.escalated).count(),
            rs.len(),
            stopped.len(),
            rs.len(),
            if stopped.is_empty() {
                String::new()
            } else {
                format!(
                    " (at a median {} tokens)",
                    median(stopped.iter().map(|&t| t as f64).collect())
                )
            },
            if saved.is_empty() {
                String::new()
            } else {
                format!(
                    ", projected saving a median {:.0} s",
                    median(saved) / 1000.0
                )
            },
        );
    };
    println!(
        "early_escalation: {} runs each, alternated; fast = gemma-3 270M (base, loops), \
         quality = SmolLM2-135M, draft cap {cap} tokens",
        off.len()
    );
    line("off", &off);
    line("on", &on);
}
