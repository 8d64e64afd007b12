//! Warm prompt caches: a follow-up in a session goes back to the server and model that
//! answered its previous turn where the route allows either (the `sticky` adjustment), and
//! a route the user forces always wins.

use crate::support;

use support::protocol::*;

/// A prompt the router sends down the hybrid path (either server may answer it).
const HYBRID: &str = "implement a trie in Go";

fn ask(d: &tempfile::TempDir, args: &[&str]) -> Vec<serde_json::Value> {
    support::json_events(d.path(), args)
}

fn first<'a>(ev: &'a [serde_json::Value], kind: &str) -> &'a serde_json::Value {
    ev.iter()
        .find(|e| e["type"] == kind)
        .unwrap_or_else(|| panic!("no {kind} event in {ev:#?}"))
}

fn sticky(route: &serde_json::Value) -> bool {
    route["adjustments"]
        .as_array()
        .is_some_and(|a| a.iter().any(|a| a["kind"] == "sticky"))
}

#[test]
fn a_follow_up_returns_to_the_server_and_model_that_answered_and_a_forced_route_wins() {
    let d = tempfile::tempdir().unwrap();
    let lm = fake_lmstudio("fast-m", &["package trie"]);
    let ol = fake_ollama(&["q1", "q2"], &["A trie stores strings by prefix: ..."]);
    write_config(d.path(), &lm.url(), &ol.url(), "");
    // Turn 1: the quality server answers, with a model that is not its default.
    let ev = ask(&d, &["--analyze", "--model", "q2", "-p", HYBRID]);
    assert_eq!(first(&ev, "done")["backend"], "ollama");
    let lm_before = lm.requests_to("/v1/chat/completions").len();

    // Turn 2: a hybrid prompt would start on the fast server; it goes back to Ollama and
    // to q2, whose cache holds the conversation.
    let ev = ask(&d, &["--continue", "-p", "implement a trie in Rust"]);
    let route = first(&ev, "route");
    assert_eq!(route["backend"], "ollama", "{route}");
    assert!(sticky(route), "{route}");
    let model = first(&ev, "model");
    assert_eq!(model["model"], "q2", "{model}");
    assert!(
        model["reason"].as_str().unwrap().contains("previous turn"),
        "{model}"
    );
    assert_eq!(
        lm.requests_to("/v1/chat/completions").len(),
        lm_before,
        "no draft on the fast server"
    );
    let sent = ol.requests_to("/api/chat").last().unwrap().json();
    assert_eq!(sent["model"], "q2");

    // Turn 3: the user forces the fast server; that wins over stickiness.
    let ev = ask(
        &d,
        &["--continue", "--fast", "-p", "now add a delete method"],
    );
    let route = first(&ev, "route");
    assert_eq!(route["backend"], "lmstudio", "{route}");
    assert_eq!(first(&ev, "done")["backend"], "lmstudio");

    // Turn 4: the fast server answered last, and a hybrid route starts there anyway.
    let ev = ask(&d, &["--continue", "-p", HYBRID]);
    let route = first(&ev, "route");
    assert_eq!(route["backend"], "lmstudio", "{route}");
    assert!(!sticky(route), "nothing moved: {route}");
}

#[test]
fn a_new_session_is_routed_as_usual() {
    let d = tempfile::tempdir().unwrap();
    let lm = fake_lmstudio("fast-m", &["package trie"]);
    let ol = fake_ollama(&["q1"], &["A trie stores strings by prefix."]);
    write_config(d.path(), &lm.url(), &ol.url(), "");
    ask(&d, &["--analyze", "-p", HYBRID]);
    // Without --continue this is a new session: no previous turn to stick to.
    let ev = ask(&d, &["-p", HYBRID]);
    let route = first(&ev, "route");
    assert!(!sticky(route), "{route}");
    assert_eq!(route["backend"], "lmstudio");
}
