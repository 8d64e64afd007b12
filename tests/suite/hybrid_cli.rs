//! Headless hybrid runs through the real binary: stdout holds the final answer only, the
//! draft streams to stderr while it is judged, and `--json` shows every step.

use crate::support;

use assert_cmd::Command;
use predicates::prelude::*;
use predicates::str::contains;
use support::protocol::*;
use support::Reply;

fn cc(dir: &std::path::Path) -> Command {
    support::cli(dir)
}

fn truncating_lmstudio() -> support::FakeServer {
    let s = fake_lmstudio("m", &[]);
    let parts = lmstudio_stream("m", &["def tokenize(s):\n", "    out = ["], "length");
    s.on(
        "POST",
        "/v1/chat/completions",
        Reply::sse(parts.iter().map(|p| p.as_slice()).collect()),
    );
    s
}

const PROMPT: &str = "implement a tokenizer for arithmetic expressions in Python";

#[test]
fn an_escalated_answer_is_alone_on_stdout_and_the_draft_went_to_stderr() {
    let lm = truncating_lmstudio();
    let ol = fake_ollama(&["q"], &["def tokenize(s):\n    return s.split()\n"]);
    let dir = tempfile::tempdir().unwrap();
    write_config(dir.path(), &lm.url(), &ol.url(), "");
    cc(dir.path())
        .args(["-p", PROMPT])
        .assert()
        .success()
        .stdout("def tokenize(s):\n    return s.split()\n")
        .stderr(
            contains("out = [")
                .and(contains("draft confidence"))
                .and(contains("escalating to Ollama"))
                .and(contains("cut off")),
        );
}

#[test]
fn a_good_draft_is_printed_to_stdout_once_judged() {
    let lm = fake_lmstudio("m", &["def add(a, b):\n", "    return a + b\n"]);
    let ol = fake_ollama(&["q"], &["unused"]);
    let dir = tempfile::tempdir().unwrap();
    write_config(dir.path(), &lm.url(), &ol.url(), "");
    cc(dir.path())
        .args(["-p", PROMPT])
        .assert()
        .success()
        .stdout("def add(a, b):\n    return a + b\n")
        .stderr(contains("draft confidence").and(contains("escalating to Ollama").not()));
    assert!(ol.requests_to("/api/chat").is_empty());
}

#[test]
fn json_shows_draft_deltas_confidence_and_escalation() {
    let lm = truncating_lmstudio();
    let ol = fake_ollama(&["q"], &["final"]);
    let dir = tempfile::tempdir().unwrap();
    write_config(dir.path(), &lm.url(), &ol.url(), "");
    let out = cc(dir.path())
        .args(["--json", "-p", PROMPT])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let ev: Vec<serde_json::Value> = String::from_utf8_lossy(&out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let kinds: Vec<&str> = ev.iter().map(|e| e["type"].as_str().unwrap()).collect();
    let pos = |k: &str| {
        kinds
            .iter()
            .position(|x| *x == k)
            .unwrap_or_else(|| panic!("no {k} in {kinds:?}"))
    };
    assert!(
        pos("route") < pos("confidence")
            && pos("confidence") < pos("escalate")
            && pos("escalate") < pos("done")
    );
    let first_delta = &ev[pos("delta")];
    assert_eq!(first_delta["draft"], true);
    let esc = &ev[pos("escalate")];
    assert_eq!(
        (esc["from"].as_str(), esc["to"].as_str()),
        (Some("lmstudio"), Some("ollama"))
    );
    assert!(esc["confidence"].as_f64().unwrap() < esc["threshold"].as_f64().unwrap());
    assert!(esc["signals"]["truncation"]["score"].is_number());
    let conf = &ev[pos("confidence")];
    assert!(
        conf["score"].is_number() && conf["threshold"].is_number() && conf["signals"].is_object()
    );
    assert_eq!(ev.last().unwrap()["backend"], "ollama");
}

#[test]
fn backend_hybrid_forces_the_hybrid_path() {
    let lm = truncating_lmstudio();
    let ol = fake_ollama(&["q"], &["{\"a\": 1}"]);
    let dir = tempfile::tempdir().unwrap();
    write_config(dir.path(), &lm.url(), &ol.url(), "");
    cc(dir.path())
        .args(["--backend", "hybrid", "-p", "reformat this json"])
        .assert()
        .success()
        .stdout("{\"a\": 1}\n")
        .stderr(contains("escalating"));
}

/// The `max_tokens` of each chat request the fake LM Studio received.
fn sent_max_tokens(lm: &support::FakeServer) -> Vec<serde_json::Value> {
    lm.requests_to("/v1/chat/completions")
        .iter()
        .map(|r| r.json()["max_tokens"].clone())
        .collect()
}

#[test]
fn a_hybrid_draft_is_capped_by_draft_max_tokens_unless_the_user_says_otherwise() {
    let lm = fake_lmstudio("m", &["def add(a, b):\n", "    return a + b\n"]);
    let ol = fake_ollama(&["q"], &["unused"]);
    let dir = tempfile::tempdir().unwrap();
    write_config(dir.path(), &lm.url(), &ol.url(), "");
    // The shipped default caps a draft.
    cc(dir.path())
        .args(["--no-cache", "--backend", "hybrid", "-p", PROMPT])
        .assert()
        .success();
    // The user's own cap, set with the camelCase spelling.
    cc(dir.path())
        .args(["config", "set", "hybrid.lmStudio.draftMaxTokens", "77"])
        .assert()
        .success();
    cc(dir.path())
        .args(["--no-cache", "--backend", "hybrid", "-p", PROMPT])
        .assert()
        .success();
    // --max-tokens wins over the draft cap.
    cc(dir.path())
        .args(["--no-cache", "--backend", "hybrid", "--max-tokens", "12"])
        .args(["-p", PROMPT])
        .assert()
        .success();
    // A request that is not a draft is not capped.
    cc(dir.path())
        .args(["--no-cache", "--fast", "-p", PROMPT])
        .assert()
        .success();
    assert_eq!(
        sent_max_tokens(&lm),
        [
            serde_json::json!(1024),
            serde_json::json!(77),
            serde_json::json!(12),
            serde_json::Value::Null
        ]
    );
    assert!(
        ol.requests_to("/api/chat").is_empty(),
        "the drafts were good"
    );
}

#[test]
fn draft_max_tokens_is_checked_and_belongs_to_the_fast_server() {
    let dir = tempfile::tempdir().unwrap();
    cc(dir.path())
        .args(["config", "set", "hybrid.lm_studio.draft_max_tokens", "0"])
        .assert()
        .code(2)
        .stderr(contains("between 1 and"));
    cc(dir.path())
        .args(["config", "set", "hybrid.ollama.draft_max_tokens", "100"])
        .assert()
        .code(2)
        .stderr(contains("draft_max_tokens"));
}

/// A model explaining the YAML "billion laughs" attack prints the document itself; judging
/// that draft must cost what its text costs, not expand the aliases (387 million strings).
#[test]
fn a_draft_holding_a_yaml_bomb_is_judged_without_expanding_it() {
    let mut bomb = String::from("```yaml\na: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n");
    let names = ["a", "b", "c", "d", "e", "f", "g", "h", "i"];
    for w in names.windows(2) {
        let refs = vec![format!("*{}", w[0]); 9].join(",");
        bomb.push_str(&format!("{}: &{} [{refs}]\n", w[1], w[1]));
    }
    bomb.push_str("```\n");
    let lm = fake_lmstudio("m", &[]);
    let parts = lmstudio_stream("m", &["Here is the classic example:\n\n", &bomb], "stop");
    lm.on(
        "POST",
        "/v1/chat/completions",
        Reply::sse(parts.iter().map(|p| p.as_slice()).collect()),
    );
    let dir = tempfile::tempdir().unwrap();
    write_config(dir.path(), &lm.url(), &refused_url(), "");
    let out = cc(dir.path())
        .args([
            "--json",
            "--backend",
            "hybrid",
            "-p",
            "show a YAML billion laughs document",
        ])
        .timeout(std::time::Duration::from_secs(60))
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let text = String::from_utf8_lossy(&out);
    assert!(text.contains("\"type\":\"confidence\""), "{text}");
    assert!(text.contains("\"type\":\"done\""), "{text}");
}
