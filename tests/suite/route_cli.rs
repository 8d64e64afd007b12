//! `codecrucible route`, `codecrucible voices`, and voices in headless runs, through the
//! real binary.

use crate::support;

use assert_cmd::Command;
use predicates::prelude::*;
use predicates::str::contains;
use support::protocol::*;

fn cc(dir: &std::path::Path) -> Command {
    support::cli(dir)
}

fn route_json(dir: &std::path::Path, args: &[&str]) -> serde_json::Value {
    let out = cc(dir)
        .arg("route")
        .args(args)
        .arg("--json")
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    serde_json::from_slice(&out).expect("one JSON object")
}

#[test]
fn route_json_holds_the_whole_decision_and_calls_no_server() {
    let dir = tempfile::tempdir().unwrap();
    // Both servers point at refused ports: route must not need them.
    write_config(dir.path(), &refused_url(), &refused_url(), "");
    let d = route_json(
        dir.path(),
        &["why does this deadlock when two workers finish at once?"],
    );
    assert_eq!(d["selected"], "ollama");
    assert_eq!(d["task_type"], "debugging");
    for key in ["complexity", "confidence"] {
        let v = d[key].as_f64().unwrap();
        assert!((0.0..=1.0).contains(&v), "{key} {v}");
    }
    assert!(d["reasoning"].as_str().unwrap().contains("deadlock"));
    assert!(d["fallback_strategy"]
        .as_str()
        .unwrap()
        .contains("LM Studio"));
    assert!(d["adjustments"].as_array().unwrap().is_empty());
    assert!(d["voice"].is_null(), "neutral without --voice");
    assert!(d["features"]["verbs"].is_array());
}

#[test]
fn misleading_keywords_route_by_structure() {
    let dir = tempfile::tempdir().unwrap();
    let d = route_json(dir.path(), &["create a SECURITY.md file for the project"]);
    assert_eq!(
        (d["selected"].as_str(), d["task_type"].as_str()),
        (Some("lmstudio"), Some("boilerplate"))
    );
    let d = route_json(
        dir.path(),
        &["simple question: how should we shard this database?"],
    );
    assert_eq!(
        (d["selected"].as_str(), d["task_type"].as_str()),
        (Some("ollama"), Some("planning"))
    );
    let d = route_json(dir.path(), &["implement a sliding-window throttle in Go"]);
    assert_eq!(d["selected"], "hybrid");
}

#[test]
fn route_reads_stdin_for_dash_and_weighs_the_text() {
    let dir = tempfile::tempdir().unwrap();
    let out = cc(dir.path())
        .args(["route", "-", "--json"])
        .write_stdin("Traceback (most recent call last):\n  File \"app.py\", line 9, in <module>\nKeyError: 'user_id'\n")
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let d: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(d["task_type"], "debugging");
    assert_eq!(d["features"]["has_error_trace"], true);
}

#[test]
fn stdin_past_its_cap_is_refused_with_one_sentence() {
    let dir = tempfile::tempdir().unwrap();
    let huge = "a".repeat(8 * 1024 * 1024 + 1);
    let out = cc(dir.path())
        .args(["route", "-", "--json"])
        .write_stdin(huge)
        .output()
        .unwrap();
    assert!(!out.status.success(), "{out:?}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("stdin holds more than 8 MiB"), "{err}");
    assert_eq!(err.trim().lines().count(), 1, "{err}");
}

#[test]
fn route_plain_text_explains_itself() {
    let dir = tempfile::tempdir().unwrap();
    cc(dir.path())
        .args(["route", "reformat this file with rustfmt"])
        .assert()
        .success()
        .stdout(
            contains("route:      LM Studio (fast)")
                .and(contains("task:       format"))
                .and(contains("why:")),
        );
}

#[test]
fn default_provider_forces_the_route_and_says_so() {
    let dir = tempfile::tempdir().unwrap();
    cc(dir.path())
        .args(["config", "set", "hybrid.routing.defaultProvider", "ollama"])
        .assert()
        .success();
    let d = route_json(dir.path(), &["fix the typo in the README"]);
    assert_eq!(d["selected"], "ollama");
    assert_eq!(d["adjustments"][0]["kind"], "config");
}

#[test]
fn a_voice_is_named_in_the_decision_and_unknown_voices_are_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let d = route_json(dir.path(), &["--voice", "ARCHITECT", "reformat this json"]);
    assert_eq!(d["voice"], "Architect");
    assert_eq!(
        d["selected"], "lmstudio",
        "a clear prompt ignores the voice"
    );
    cc(dir.path())
        .args(["route", "--voice", "poet", "hello"])
        .assert()
        .code(2)
        .stderr(contains("no voice \"poet\"").and(contains("Explorer")));
}

#[test]
fn voices_lists_the_six_in_order_and_user_voices() {
    let dir = tempfile::tempdir().unwrap();
    let out = cc(dir.path())
        .arg("voices")
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let text = String::from_utf8(out).unwrap();
    let order: Vec<usize> = [
        "Explorer",
        "Analyzer",
        "Developer",
        "Implementor",
        "Security",
        "Architect",
    ]
    .iter()
    .map(|n| text.find(n).unwrap_or_else(|| panic!("{n} missing")))
    .collect();
    assert!(order.windows(2).all(|w| w[0] < w[1]), "{text}");
    assert!(text.contains("leans to ollama"));
    std::fs::create_dir_all(dir.path().join("voices")).unwrap();
    std::fs::write(
        dir.path().join("voices/reviewer.toml"),
        "name = \"Reviewer\"\norder = 7\nbackend = \"ollama\"\nbias = 0.2\ndescription = \"PR reviews\"\nsystem_prompt = \"You are CodeCrucible's Reviewer voice: review pull requests.\"\n",
    )
    .unwrap();
    cc(dir.path())
        .arg("voices")
        .assert()
        .success()
        .stdout(contains("Reviewer").and(contains("reviewer.toml")));
    std::fs::write(
        dir.path().join("voices/broken.toml"),
        "name = \"Broken\"\norder = 8\nbackend = \"gpu\"\n",
    )
    .unwrap();
    cc(dir.path())
        .arg("voices")
        .assert()
        .code(2)
        .stderr(contains("voices/broken.toml, line 3"));
}

#[test]
fn headless_runs_send_the_voice_prompt_and_carry_the_decision() {
    let lm = fake_lmstudio("m", &["ok"]);
    let dir = tempfile::tempdir().unwrap();
    write_config(dir.path(), &lm.url(), &refused_url(), "");
    let out = cc(dir.path())
        .args([
            "--voice",
            "implementor",
            "--json",
            "-p",
            "add a .gitignore for a Rust project",
        ])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    // The session comes first, then the decision.
    let route: serde_json::Value =
        serde_json::from_str(String::from_utf8_lossy(&out).lines().nth(1).unwrap()).unwrap();
    assert_eq!(route["type"], "route");
    for key in [
        "selected",
        "task_type",
        "complexity",
        "confidence",
        "reasoning",
        "fallback_strategy",
        "adjustments",
        "backend",
    ] {
        assert!(!route[key].is_null(), "route event lacks {key}: {route}");
    }
    assert_eq!(route["task_type"], "boilerplate");
    let body = lm.requests_to("/v1/chat/completions")[0].json();
    assert!(body["messages"][0]["content"]
        .as_str()
        .unwrap()
        .starts_with("You are CodeCrucible's Implementor voice: "));
}

#[test]
fn ui_voice_in_the_config_is_the_default() {
    let lm = fake_lmstudio("m", &["ok"]);
    let dir = tempfile::tempdir().unwrap();
    write_config(
        dir.path(),
        &lm.url(),
        &refused_url(),
        "[ui]\nvoice = \"security\"\n",
    );
    cc(dir.path()).args(["-p", "hello"]).assert().success();
    let body = lm.requests_to("/v1/chat/completions")[0].json();
    assert!(body["messages"][0]["content"]
        .as_str()
        .unwrap()
        .starts_with("You are CodeCrucible's Security voice: "));
}

#[test]
fn piped_input_is_an_attachment_the_router_weighs() {
    let ol = fake_ollama(&["q"], &["it is a KeyError"]);
    let lm = fake_lmstudio("m", &["unused"]);
    let dir = tempfile::tempdir().unwrap();
    write_config(dir.path(), &lm.url(), &ol.url(), "");
    cc(dir.path())
        .args(["-p", "what now?"])
        .write_stdin("Traceback (most recent call last):\n  File \"app.py\", line 9, in <module>\nKeyError: 'user_id'\n")
        .assert()
        .success()
        .stdout("it is a KeyError\n");
    let body = ol.requests_to("/api/chat")[0].json();
    let user = body["messages"].as_array().unwrap().last().unwrap()["content"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        user.starts_with("what now?")
            && user.contains("Attached stdin")
            && user.contains("KeyError"),
        "{user}"
    );
    assert!(
        lm.requests_to("/v1/chat/completions").is_empty(),
        "a pasted trace goes to the quality server"
    );
}
