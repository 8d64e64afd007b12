//! The edit loop through the real binary against fake servers: a block that does not apply
//! is sent back once with the file's real text; a hybrid draft whose edits still fail
//! escalates (the `edit_applies` signal) and the quality server's edit is the one applied.

use crate::support;

use predicates::str::contains;
use support::protocol::*;
use support::Reply;

const ORIGINAL: &str = "def add(a, b):\n    return a - b\n\n\ndef sub(a, b):\n    return a - b\n";
const WRONG: &str = "app/calc.py\n```python\n<<<<<<< SEARCH\ndef add(a, b):\n    return a-b\n=======\ndef add(a, b):\n    return a + b\n>>>>>>> REPLACE\n```\n";
const RIGHT: &str = "app/calc.py\n```python\n<<<<<<< SEARCH\ndef add(a, b):\n    return a - b\n=======\ndef add(a, b):\n    return a + b\n>>>>>>> REPLACE\n```\n";
const FIXED: &str = "def add(a, b):\n    return a + b\n\n\ndef sub(a, b):\n    return a - b\n";

fn workspace() -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(d.path().join("app")).unwrap();
    std::fs::create_dir(d.path().join(".git")).unwrap();
    std::fs::write(d.path().join("app/calc.py"), ORIGINAL).unwrap();
    d
}

fn chat_bodies(server: &support::FakeServer, path: &str) -> Vec<String> {
    server
        .requests_to(path)
        .iter()
        .map(|r| r.json().to_string())
        .collect()
}

#[test]
fn a_block_that_does_not_apply_is_sent_back_once_with_the_files_real_text_then_applied() {
    let d = workspace();
    let lm = fake_lmstudio("m", &[WRONG]);
    let fixed = lmstudio_stream("m", &[RIGHT], "stop");
    lm.on_body(
        "POST",
        "/v1/chat/completions",
        "could not be applied",
        Reply::sse(fixed.iter().map(|p| p.as_slice()).collect()),
    );
    write_config(d.path(), &lm.url(), &refused_url(), "");
    let out = support::cli(d.path())
        .args([
            "--fast",
            "--apply",
            "--json",
            "-p",
            "fix add in @app/calc.py",
        ])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    assert_eq!(
        std::fs::read_to_string(d.path().join("app/calc.py")).unwrap(),
        FIXED
    );
    let ev = support::events_of(&out);
    assert!(
        ev.iter().any(|e| e["type"] == "status"
            && e["message"]
                .as_str()
                .unwrap_or("")
                .contains("1 edit did not apply; sending it back to LM Studio once")),
        "{ev:?}"
    );
    let edits: Vec<_> = ev.iter().filter(|e| e["type"] == "edit").collect();
    assert_eq!(edits.len(), 1, "one file, one event: {edits:?}");
    assert_eq!(edits[0]["status"], "applied");
    // The retry carried the error and the file's lines near the best match.
    let bodies = chat_bodies(&lm, "/v1/chat/completions");
    assert_eq!(bodies.len(), 2, "asked once more, not again and again");
    let retry = &bodies[1];
    assert!(
        retry.contains("the SEARCH text is not in the file"),
        "{retry}"
    );
    assert!(
        retry.contains(
            "The file's actual lines there are:\\n```\\ndef add(a, b):\\n    return a - b"
        ),
        "{retry}"
    );
}

#[test]
fn a_hybrid_draft_whose_edit_still_fails_escalates_and_the_quality_edit_is_applied() {
    let d = workspace();
    let lm = fake_lmstudio("m", &[WRONG]);
    let ol = fake_ollama(&["q"], &[RIGHT]);
    write_config(d.path(), &lm.url(), &ol.url(), "");
    let out = support::cli(d.path())
        .args([
            "--backend",
            "hybrid",
            "--apply",
            "--json",
            "-p",
            "fix add in @app/calc.py",
        ])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    assert_eq!(
        std::fs::read_to_string(d.path().join("app/calc.py")).unwrap(),
        FIXED,
        "the quality server's edit is written"
    );
    let ev = support::events_of(&out);
    let escalate = ev
        .iter()
        .find(|e| e["type"] == "escalate")
        .expect("an escalate event");
    assert_eq!(
        escalate["signals"]["edit_applies"]["score"], 0.0,
        "{escalate}"
    );
    assert!(escalate["signals"]["edit_applies"]["detail"]
        .as_str()
        .unwrap()
        .contains("app/calc.py: the SEARCH text is not in the file"));
    assert_eq!(
        chat_bodies(&lm, "/v1/chat/completions").len(),
        2,
        "draft and one retry"
    );
    let quality = chat_bodies(&ol, "/api/chat");
    assert_eq!(quality.len(), 1, "{quality:?}");
    assert!(
        quality[0].contains("its edits did not apply"),
        "{}",
        quality[0]
    );
    let edits: Vec<_> = ev.iter().filter(|e| e["type"] == "edit").collect();
    assert_eq!(edits.len(), 1, "{edits:?}");
    assert_eq!(edits[0]["status"], "applied");
    let done = ev.iter().find(|e| e["type"] == "done").expect("done");
    assert_eq!(done["backend"], "ollama");
}

#[test]
fn without_hybrid_a_block_that_still_fails_is_reported_and_nothing_is_written() {
    let d = workspace();
    let lm = fake_lmstudio("m", &[WRONG]);
    let ol = fake_ollama(&["q"], &[RIGHT]);
    write_config(d.path(), &lm.url(), &ol.url(), "");
    support::cli(d.path())
        .args(["--fast", "--apply", "-p", "fix add in @app/calc.py"])
        .assert()
        .code(1)
        .stderr(contains(
            "[no change to app/calc.py: the SEARCH text is not in the file",
        ));
    assert_eq!(
        std::fs::read_to_string(d.path().join("app/calc.py")).unwrap(),
        ORIGINAL
    );
    assert_eq!(chat_bodies(&lm, "/v1/chat/completions").len(), 2);
    assert!(
        ol.requests_to("/api/chat").is_empty(),
        "--fast never escalates"
    );
}

/// The JSON events of `--backend hybrid --apply` in a fresh workspace, with the fast
/// server answering `draft` and the quality server `RIGHT`; and how often each was asked.
fn hybrid_run(draft: &str) -> (tempfile::TempDir, Vec<serde_json::Value>, usize) {
    let d = workspace();
    let lm = fake_lmstudio("m", &[draft]);
    let ol = fake_ollama(&["q"], &[RIGHT]);
    write_config(d.path(), &lm.url(), &ol.url(), "");
    let out = support::cli(d.path())
        .args([
            "--backend",
            "hybrid",
            "--apply",
            "--json",
            "-p",
            "fix add in @app/calc.py",
        ])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    (
        d,
        support::events_of(&out),
        ol.requests_to("/api/chat").len(),
    )
}

#[test]
fn a_hybrid_edit_draft_is_judged_on_the_file_its_edit_produces_not_on_the_markers() {
    let (d, ev, quality_asked) = hybrid_run(RIGHT);
    let confidence = ev
        .iter()
        .find(|e| e["type"] == "confidence")
        .expect("the draft was judged");
    assert_eq!(
        confidence["signals"]["syntax"]["score"], 1.0,
        "{confidence}"
    );
    assert_eq!(quality_asked, 0, "a good edit is not escalated");
    assert!(ev.iter().all(|e| e["type"] != "escalate"));
    assert_eq!(
        std::fs::read_to_string(d.path().join("app/calc.py")).unwrap(),
        FIXED
    );
}

#[test]
fn a_hybrid_edit_that_applies_but_breaks_the_file_escalates_on_its_syntax() {
    let broken = "app/calc.py\n```python\n<<<<<<< SEARCH\ndef add(a, b):\n    return a - b\n=======\ndef add(a, b):\n    return a +\n>>>>>>> REPLACE\n```\n";
    let (d, ev, quality_asked) = hybrid_run(broken);
    let escalate = ev
        .iter()
        .find(|e| e["type"] == "escalate")
        .expect("escalated");
    assert!(
        escalate["signals"]["syntax"]["score"].as_f64().unwrap() < 0.5,
        "{escalate}"
    );
    assert_eq!(quality_asked, 1);
    let edits: Vec<_> = ev.iter().filter(|e| e["type"] == "edit").collect();
    assert_eq!(
        edits.len(),
        1,
        "only the quality answer's edit is offered: {edits:?}"
    );
    assert_eq!(
        std::fs::read_to_string(d.path().join("app/calc.py")).unwrap(),
        FIXED
    );
}

#[tokio::test]
async fn the_library_proposes_and_applies_edits_too() {
    use codecrucible::backend::BackendId;
    use codecrucible::{EditStatus, HybridClient, Request};
    let d = workspace();
    let lm = fake_lmstudio("m", &[RIGHT]);
    let mut config = codecrucible::config::Config::default();
    config.hybrid.lm_studio.endpoint = lm.url();
    config.hybrid.ollama.endpoint = refused_url();
    config.history.enabled = false;
    let client = HybridClient::new(config);
    let ask = || {
        Request::new("fix add")
            .workspace(d.path())
            .file("app/calc.py")
            .backend(BackendId::Lmstudio)
            .no_cache()
    };
    let answer = client.ask(ask().edit()).await.expect("an answer");
    assert_eq!(answer.edits.len(), 1);
    assert_eq!(answer.edits[0].status, EditStatus::Proposed);
    assert!(answer.edits[0].diff.contains("+    return a + b"));
    assert_eq!(
        std::fs::read_to_string(d.path().join("app/calc.py")).unwrap(),
        ORIGINAL,
        "edit() writes nothing"
    );
    let answer = client.ask(ask().apply()).await.expect("an answer");
    assert_eq!(answer.edits[0].status, EditStatus::Applied);
    assert_eq!(
        std::fs::read_to_string(d.path().join("app/calc.py")).unwrap(),
        FIXED
    );
}
