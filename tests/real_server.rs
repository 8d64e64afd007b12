//! End to end against a real llama.cpp `llama-server` serving gemma-3 270M, installed and
//! started by `scripts/real-server.sh` (which `scripts/test.sh` runs before the suite).
//!
//! `CODECRUCIBLE_REAL_SERVER_URL` points at it. In CI the test fails without it; on a
//! developer's machine it uses a server the script left running, or says how to start one.

mod support;

use assert_cmd::Command;
use codecrucible::backend::{self, BackendId, ServerKind};
use codecrucible::config::Config;

fn server_url() -> Option<String> {
    if let Ok(url) = std::env::var("CODECRUCIBLE_REAL_SERVER_URL") {
        return Some(url);
    }
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/real-server.sh");
    let out = std::process::Command::new("bash")
        .args([script, "url"])
        .output()
        .ok()?;
    let url = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    if out.status.success() && !url.is_empty() {
        return Some(url);
    }
    assert!(
        std::env::var("CI").is_err(),
        "CI must run the real-server test: run the suite with scripts/test.sh"
    );
    eprintln!("skipping: no real server; start one with `scripts/real-server.sh start`");
    None
}

fn cc(url: &str, dir: &std::path::Path) -> Command {
    let mut c = support::cli(dir);
    c.args(["--lmstudio-url", url]);
    c
}

#[test]
fn headless_json_streams_a_real_answer_with_real_usage() {
    let Some(url) = server_url() else { return };
    let dir = tempfile::tempdir().unwrap();
    let out = cc(&url, dir.path())
        .args([
            "--fast",
            "--json",
            "--max-tokens",
            "24",
            "-p",
            "Write a haiku about the Rust borrow checker.",
        ])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let events: Vec<serde_json::Value> = String::from_utf8_lossy(&out)
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON line"))
        .collect();
    let model = events
        .iter()
        .find(|e| e["type"] == "model")
        .expect("model event");
    assert_eq!(model["model"], "gemma-3-270m");
    let text: String = events
        .iter()
        .filter(|e| e["type"] == "delta")
        .filter_map(|e| e["text"].as_str())
        .collect();
    assert!(!text.trim().is_empty(), "the model said something");
    assert!(
        events.iter().any(|e| e["type"] == "logprobs"),
        "llama-server returns logprobs"
    );
    let done = events.last().unwrap();
    assert_eq!(done["type"], "done", "{done}");
    let output_tokens = done["output_tokens"]
        .as_u64()
        .expect("real output token count");
    assert!((1..=24).contains(&output_tokens), "{done}");
    assert!(done["input_tokens"].as_u64().unwrap_or(0) > 5, "{done}");
    assert!(
        done["tokens_per_second"].as_f64().unwrap_or(0.0) > 0.0,
        "{done}"
    );
    assert!(done["ttft_ms"].as_f64().unwrap_or(0.0) > 0.0, "{done}");
    assert!(
        matches!(done["finish_reason"].as_str(), Some("length" | "stop")),
        "{done}"
    );
}

#[test]
fn headless_text_streams_to_stdout_with_the_status_on_stderr() {
    let Some(url) = server_url() else { return };
    let dir = tempfile::tempdir().unwrap();
    let assert = cc(&url, dir.path())
        .args(["--max-tokens", "16", "-p", "fn fibonacci(n: u64) -> u64 {"])
        .assert()
        .success();
    let out = assert.get_output();
    assert!(!String::from_utf8_lossy(&out.stdout).trim().is_empty());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("LM Studio · gemma-3-270m") && err.contains("loaded now"),
        "{err}"
    );
}

#[tokio::test]
async fn the_real_server_is_recognised_as_llama_server() {
    let Some(url) = server_url() else { return };
    let mut cfg = Config::default().hybrid.lm_studio;
    cfg.endpoint = url;
    let b = backend::build(BackendId::Lmstudio, &cfg);
    let info = b.probe().await.expect("probe");
    assert_eq!(info.kind, ServerKind::LlamaServer);
    assert_eq!(info.models[0].loaded, Some(true));
    assert!(info.models[0].context_length.unwrap_or(0) >= 1024);
}

#[test]
fn a_real_draft_escalates_to_ollama_when_the_threshold_is_one() {
    let Some(url) = server_url() else { return };
    let ollama = support::protocol::fake_ollama(
        &["qwen2.5-coder:32b"],
        &["def tokenize(s):\n    return s.split()\n"],
    );
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("config.toml"),
        format!(
            "[hybrid.routing]\nescalation_threshold = 1.0\n[hybrid.ollama]\nendpoint = \"{}\"\n",
            ollama.url()
        ),
    )
    .unwrap();
    let out = cc(&url, dir.path())
        .args([
            "--json",
            "--max-tokens",
            "24",
            "-p",
            "implement a tokenizer for arithmetic expressions in Python",
        ])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let events: Vec<serde_json::Value> = String::from_utf8_lossy(&out)
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON"))
        .collect();
    let draft: String = events
        .iter()
        .filter(|e| e["type"] == "delta" && e["draft"] == true && e["backend"] == "lmstudio")
        .filter_map(|e| e["text"].as_str())
        .collect();
    assert!(!draft.trim().is_empty(), "the real model drafted an answer");
    let conf = events
        .iter()
        .find(|e| e["type"] == "confidence")
        .expect("the draft was scored");
    assert!(conf["score"].is_number());
    let esc = events
        .iter()
        .find(|e| e["type"] == "escalate")
        .expect("threshold 1.0 always escalates");
    assert_eq!(esc["threshold"], 1.0);
    let done = events.last().unwrap();
    assert_eq!(
        (done["type"].as_str(), done["backend"].as_str()),
        (Some("done"), Some("ollama"))
    );
    let asked = ollama.requests_to("/api/chat")[0].json();
    let user = asked["messages"].as_array().unwrap().last().unwrap()["content"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        user.contains(draft.trim()),
        "the quality server was given the real draft"
    );
}
