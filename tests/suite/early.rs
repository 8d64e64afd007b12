//! Early escalation through the real binary: a hybrid draft that loops is stopped while it
//! streams, within a bounded number of tokens, and the request escalates at once with an
//! `escalate` event whose reason says "early"; a long good draft streams to its end and is
//! judged as usual.

use crate::support;

use support::of;
use support::protocol::*;

const PROMPT: &str = "explain how a binary search finds an item in a sorted list";

fn run(d: &tempfile::TempDir) -> Vec<serde_json::Value> {
    support::json_events(d.path(), &["--backend", "hybrid", "-p", PROMPT])
}

#[test]
fn a_looping_draft_is_stopped_early_and_escalated_at_once() {
    let d = tempfile::tempdir().unwrap();
    // 4,000 tokens of a loop, 2 ms apart: streamed whole it would take 8 s or more.
    let unit = [
        "The ", "search ", "checks ", "the ", "middle ", "item ", "again. ",
    ];
    let looping: Vec<&str> = unit.iter().copied().cycle().take(4_000).collect();
    let lm = fake_lmstudio("m", &looping);
    let ol = fake_ollama(
        &["q"],
        &["Binary search halves the range each step: compare with the middle item, then keep the half that can still hold it."],
    );
    write_config(d.path(), &lm.url(), &ol.url(), "");
    let ev = run(&d);
    let escalate = of(&ev, "escalate");
    assert_eq!(escalate.len(), 1, "{ev:#?}");
    let early = &escalate[0]["early"];
    assert!(
        early["reason"]
            .as_str()
            .unwrap()
            .starts_with("early: the draft is looping"),
        "{early}"
    );
    let tokens = early["tokens"].as_u64().unwrap();
    assert!(tokens < 1_000, "stopped after {tokens} of 4000 tokens");
    assert_eq!(escalate[0]["signals"]["early"]["score"], 0.0);
    let draft_deltas = ev
        .iter()
        .filter(|e| e["type"] == "delta" && e["draft"] == true)
        .count();
    assert!(draft_deltas < 1_000, "{draft_deltas} draft deltas");
    // The fast server saw the client hang up; the quality server got the request with the
    // reason, and only the start of the loop.
    assert!(
        lm.wait_until(std::time::Duration::from_secs(5), |s| s.client_hangups()
            >= 1),
        "the draft's stream was stopped"
    );
    let sent = ol.requests_to("/api/chat")[0].json().to_string();
    assert!(sent.contains("the draft is looping"), "{sent}");
    assert!(
        sent.len() < 6_000,
        "the loop is not sent on: {} bytes",
        sent.len()
    );
    let done = of(&ev, "done");
    assert_eq!(done.last().unwrap()["backend"], "ollama");
}

#[test]
fn a_long_good_draft_is_not_stopped() {
    let d = tempfile::tempdir().unwrap();
    let words: Vec<String> = (0..1_500)
        .map(|i| format!("step{i} compares item {} with the middle; ", i * 7 % 1000))
        .collect();
    let tokens: Vec<&str> = words.iter().map(String::as_str).collect();
    let lm = fake_lmstudio("m", &tokens);
    let ol = fake_ollama(&["q"], &["unused"]);
    write_config(d.path(), &lm.url(), &ol.url(), "");
    let ev = run(&d);
    assert!(
        of(&ev, "escalate").iter().all(|e| e["early"].is_null()),
        "{:?}",
        of(&ev, "escalate")
    );
    let done = of(&ev, "done");
    assert_eq!(done[0]["backend"], "lmstudio");
    assert_eq!(done[0]["finish_reason"], "stop", "streamed to its end");
}

#[test]
fn early_escalation_can_be_turned_off() {
    let d = tempfile::tempdir().unwrap();
    let unit = [
        "The ", "search ", "checks ", "the ", "middle ", "item ", "again. ",
    ];
    let looping: Vec<&str> = unit.iter().copied().cycle().take(1_500).collect();
    let lm = fake_lmstudio("m", &looping);
    let ol = fake_ollama(&["q"], &["Binary search halves the range each step."]);
    write_config(
        d.path(),
        &lm.url(),
        &ol.url(),
        "[hybrid.routing]\nearly_escalation = false\n",
    );
    let ev = run(&d);
    let escalate = of(&ev, "escalate");
    assert_eq!(escalate.len(), 1, "judged at the end, and weak");
    assert!(escalate[0]["early"].is_null());
    assert_eq!(of(&ev, "done")[0]["finish_reason"], "stop");
    // With confidence scoring off, nothing judges the draft, early or late.
    write_config(
        d.path(),
        &lm.url(),
        &ol.url(),
        "[hybrid.routing]\nconfidence_scoring = false\n",
    );
    let ev = run(&d);
    assert!(of(&ev, "escalate").is_empty(), "{:?}", of(&ev, "escalate"));
    assert_eq!(of(&ev, "done")[0]["finish_reason"], "stop");
}

/// A draft that slides (its repeats rise) without being a loop yet.
fn sliding_draft() -> Vec<String> {
    let mut out = vec!["Plan:\n".to_owned()];
    for i in 0..80 {
        out.push(format!(
            "First we read the file number {i} from the disk and then "
        ));
        out.push("we parse it into a date and we return the date to the caller. ".to_owned());
    }
    out
}

fn ollama_with_generate(loaded: bool) -> support::FakeServer {
    let ol = fake_ollama(&["q"], &["Binary search halves the range each step."]);
    if !loaded {
        ol.on(
            "GET",
            "/api/ps",
            support::Reply::json(200, r#"{"models":[]}"#),
        );
    }
    ol.on(
        "POST",
        "/api/generate",
        support::Reply::json(
            200,
            r#"{"model":"q","created_at":"2024-09-12T03:54:03.516566Z","response":"","done":true,"done_reason":"load"}"#,
        ),
    );
    ol
}

#[test]
fn a_sliding_draft_warms_up_a_resident_quality_model_and_nothing_else() {
    let draft = sliding_draft();
    let tokens: Vec<&str> = draft.iter().map(String::as_str).collect();
    // The quality model is resident: the warm-up renews it (an empty generate with the
    // configured keep_alive).
    let d = tempfile::tempdir().unwrap();
    let lm = fake_lmstudio("m", &tokens);
    let ol = ollama_with_generate(true);
    write_config(d.path(), &lm.url(), &ol.url(), "");
    let ev = run(&d);
    assert!(
        ol.wait_until(std::time::Duration::from_secs(5), |s| !s
            .requests_to("/api/generate")
            .is_empty()),
        "warmed up: {ev:#?}"
    );
    let sent = ol.requests_to("/api/generate")[0].json();
    assert_eq!(sent["model"], "q");
    assert_eq!(sent["keep_alive"], "30m");
    assert!(sent.get("messages").is_none() && sent.get("prompt").is_none());
    // Not loaded, and no GPU reading says it would fit: nothing is loaded behind the
    // user's back.
    let d = tempfile::tempdir().unwrap();
    let lm = fake_lmstudio("m", &tokens);
    let ol = ollama_with_generate(false);
    write_config(d.path(), &lm.url(), &ol.url(), "");
    run(&d);
    std::thread::sleep(std::time::Duration::from_millis(300));
    assert!(ol.requests_to("/api/generate").is_empty());
}
