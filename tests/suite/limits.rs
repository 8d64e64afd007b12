//! Memory has bounds: an answer past `hybrid.performance.max_answer_kb` is stopped with
//! what arrived kept, and the engine's event channel holds a bounded number of events for
//! a front end that reads late, without losing any.

use crate::support;

use std::time::Duration;

use codecrucible::config::Config;
use codecrucible::engine::{self, Command, EventKind, Submit};
use codecrucible::store::{Status, Store};
use predicates::prelude::*;
use predicates::str::contains;
use support::protocol::*;
use support::Reply;

/// 64 bytes a token: `n` of them make an answer of `64 * n` bytes.
fn tokens(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("{i:>63}\n")).collect()
}

fn latest_answer(dir: &std::path::Path) -> (String, Status) {
    let s = Store::open(&dir.join("data/history.db")).expect("history opens");
    let id = s.list_sessions(1).expect("list")[0].id;
    let msgs = s.session(id).expect("read").expect("exists").1;
    let last = msgs.last().expect("an answer was saved");
    (last.content.clone(), last.status)
}

fn over_cap(lm: &str, ol: &str, flag: &str) {
    let dir = tempfile::tempdir().unwrap();
    write_config(
        dir.path(),
        lm,
        ol,
        "\n[hybrid.performance]\nmax_answer_kb = 4\n",
    );
    let out = support::cli(dir.path())
        .args([flag, "-p", "print the numbers"])
        .assert()
        .code(1)
        .stderr(contains("passed the 4 KiB cap").and(contains("panicked").not()))
        .get_output()
        .stdout
        .clone();
    assert!(
        (2048..=4096).contains(&out.len()),
        "stdout keeps what arrived, at most the cap: {} bytes",
        out.len()
    );
    let (saved, status) = latest_answer(dir.path());
    assert_eq!(status, Status::Partial);
    let shown = String::from_utf8_lossy(&out);
    assert!(
        saved.trim_end() == shown.trim_end(),
        "the store kept what was shown: {} bytes saved, {} shown",
        saved.len(),
        shown.len()
    );
}

#[test]
fn an_answer_past_the_cap_is_stopped_and_kept_from_either_server() {
    let toks = tokens(200);
    let toks: Vec<&str> = toks.iter().map(String::as_str).collect();
    let lm = fake_lmstudio("m", &[]);
    let parts = lmstudio_stream("m", &toks, "stop");
    lm.on(
        "POST",
        "/v1/chat/completions",
        Reply::sse(parts.iter().map(|p| p.as_slice()).collect()),
    );
    over_cap(&lm.url(), &refused_url(), "--fast");
    let ol = fake_ollama(&["q"], &toks);
    over_cap(&refused_url(), &ol.url(), "--analyze");
}

#[test]
fn the_answer_cap_is_a_checked_setting() {
    let dir = tempfile::tempdir().unwrap();
    write_config(
        dir.path(),
        &refused_url(),
        &refused_url(),
        "\n[hybrid.performance]\nmax_answer_kb = 0\n",
    );
    support::cli(dir.path())
        .args(["-p", "hi"])
        .assert()
        .code(2)
        .stderr(contains("max_answer_kb"));
}

/// A front end that stops reading holds the request up at the channel's bound; once it
/// reads again every event arrives, in order, and the answer is whole.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_front_end_that_reads_late_holds_the_stream_up_and_loses_nothing() {
    let toks = tokens(1400);
    let toks: Vec<&str> = toks.iter().map(String::as_str).collect();
    let lm = fake_lmstudio("m", &[]);
    let parts = lmstudio_stream("m", &toks, "stop");
    lm.on(
        "POST",
        "/v1/chat/completions",
        Reply::sse(parts.iter().map(|p| p.as_slice()).collect()),
    );
    let mut c = Config::default();
    c.hybrid.lm_studio.endpoint = lm.url();
    c.hybrid.ollama.endpoint = refused_url();
    let mut e = engine::spawn(c);
    let submit = Submit {
        route: engine::RouteMode::Force(codecrucible::backend::BackendId::Lmstudio),
        ..Submit::new(1, "print the numbers")
    };
    e.commands.send(Command::Submit(submit)).unwrap();
    // Unread, the queue grows to the bound and stops there; the server waits meanwhile.
    let mut most = 0;
    for _ in 0..100 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        most = most.max(e.events.len());
        if most >= engine::EVENT_CAPACITY {
            break;
        }
    }
    assert_eq!(most, engine::EVENT_CAPACITY, "the queue stops at its bound");
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(e.events.len(), engine::EVENT_CAPACITY, "and stays there");
    let mut text = String::new();
    loop {
        let ev = tokio::time::timeout(Duration::from_secs(20), e.events.recv())
            .await
            .expect("events keep coming")
            .expect("engine alive");
        match ev.kind {
            EventKind::Delta { text: t, .. } => text.push_str(&t),
            EventKind::Done { .. } => break,
            EventKind::Error { message, .. } => panic!("{message}"),
            _ => {}
        }
    }
    assert_eq!(text, toks.concat());
}

/// A 3 MB draft of brackets nested a million deep is judged on its head, within the
/// budget, and kept as the answer or escalated: it never stalls the request.
#[test]
fn a_huge_deeply_nested_draft_is_judged_on_its_head() {
    let nested = format!(
        "```json\n{}{}\n```\n",
        "[".repeat(1_500_000),
        "]".repeat(1_500_000)
    );
    let lm = fake_lmstudio("m", &[]);
    let parts = lmstudio_stream("m", &["Here it is:\n", &nested], "stop");
    lm.on(
        "POST",
        "/v1/chat/completions",
        Reply::sse(parts.iter().map(|p| p.as_slice()).collect()),
    );
    let dir = tempfile::tempdir().unwrap();
    write_config(dir.path(), &lm.url(), &refused_url(), "");
    let out = support::cli(dir.path())
        .args([
            "--json",
            "--backend",
            "hybrid",
            "-p",
            "write deeply nested JSON",
        ])
        .timeout(Duration::from_secs(60))
        .assert()
        .get_output()
        .stdout
        .clone();
    let text = String::from_utf8_lossy(&out);
    assert!(text.contains("\"type\":\"confidence\""), "judged");
    assert!(text.contains("\"type\":\"done\""), "and answered");
}
