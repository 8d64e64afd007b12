//! scripts/run.sh, the README's first command, run as a user runs it (with
//! `CODECRUCIBLE_BIN` naming the binary under test instead of a release build): it keeps a
//! fast server that answers, whatever Ollama's state, and brings up the local SmolLM2 only
//! when no fast server answers.

use crate::support;

use std::process::{Command, Output};

use support::protocol::*;

const NOTICE: &str = "using the local llama-server";

fn run_sh(dir: &std::path::Path, args: &[&str]) -> Output {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/run.sh");
    support::isolated(Command::new("bash"), dir)
        // The test's directory is the workspace, not this repository.
        .current_dir(dir)
        .arg(script)
        .args(args)
        .env(
            "CODECRUCIBLE_BIN",
            assert_cmd::cargo::cargo_bin("codecrucible"),
        )
        .output()
        .expect("bash runs scripts/run.sh")
}

#[test]
fn a_running_lm_studio_is_kept_when_ollama_is_down() {
    let lm = fake_lmstudio(
        "qwen-coder-7b",
        &["fn reverse(s: &str) -> String { s.chars().rev().collect() }"],
    );
    let dir = tempfile::tempdir().unwrap();
    write_config(dir.path(), &lm.url(), &refused_url(), "");
    let out = run_sh(
        dir.path(),
        &[
            "--fast",
            "-p",
            "Write a Rust function that reverses a string",
        ],
    );
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert!(out.status.success(), "{stderr}");
    assert_eq!(
        stdout,
        "fn reverse(s: &str) -> String { s.chars().rev().collect() }\n"
    );
    assert!(
        !stderr.contains(NOTICE),
        "the local server was started: {stderr}"
    );
    assert_eq!(lm.requests_to("/v1/chat/completions").len(), 1);
}

#[test]
fn with_nothing_up_it_brings_up_the_local_smollm2() {
    // The script starts the local server or reuses the one already running; it needs the
    // server installed, which scripts/test.sh does.
    if support::e2e::real_server("fast").is_none() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    write_config(dir.path(), &refused_url(), &refused_url(), "");
    let out = run_sh(
        dir.path(),
        &["--fast", "--json", "--max-tokens", "8", "-p", "Say hello."],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains(NOTICE), "{stderr}");
    let events: Vec<serde_json::Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON line"))
        .collect();
    let model = events.iter().find(|e| e["type"] == "model").expect("model");
    assert_eq!(model["model"], "smollm2-135m-instruct");
    let done = events.last().expect("events");
    assert_eq!(
        (done["type"].as_str(), done["backend"].as_str()),
        (Some("done"), Some("lmstudio"))
    );
}
