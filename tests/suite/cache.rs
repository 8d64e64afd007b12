//! The exact-tier response cache, through the real binary: a repeated conversation is
//! answered at once and marked, a different conversation never is, and the cache can be
//! bypassed, switched off, and is left out of latency figures.

use crate::support;

use predicates::prelude::*;
use predicates::str::contains;
use support::protocol::*;
use support::{cli, FakeServer};

fn setup(extra: &str) -> (FakeServer, tempfile::TempDir) {
    let lm = fake_lmstudio("m", &["use a ", "BTreeMap"]);
    let dir = tempfile::tempdir().unwrap();
    write_config(dir.path(), &lm.url(), &refused_url(), extra);
    (lm, dir)
}

fn chats(lm: &FakeServer) -> usize {
    lm.requests_to("/v1/chat/completions").len()
}

#[test]
fn a_repeated_request_is_answered_from_the_cache_and_marked() {
    let (lm, dir) = setup("");
    let ask = || {
        let mut c = cli(dir.path());
        c.args(["--fast", "-p", "which map keeps keys sorted?"]);
        c
    };
    ask()
        .assert()
        .success()
        .stdout("use a BTreeMap\n")
        .stderr(contains("from the cache").not());
    ask()
        .assert()
        .success()
        .stdout("use a BTreeMap\n")
        .stderr(contains("answered from the cache"));
    assert_eq!(chats(&lm), 1, "the second answer came from the cache");
    // The JSON events mark it too.
    let out = cli(dir.path())
        .args(["--fast", "--json", "-p", "which map keeps keys sorted?"])
        .output()
        .unwrap();
    let done = String::from_utf8_lossy(&out.stdout)
        .lines()
        .find(|l| l.contains("\"type\":\"done\""))
        .map(str::to_owned)
        .unwrap_or_default();
    assert!(done.contains("\"cached\":true"), "{done}");
    assert_eq!(chats(&lm), 1);
    // --no-cache asks again.
    cli(dir.path())
        .args(["--fast", "--no-cache", "-p", "which map keeps keys sorted?"])
        .assert()
        .success()
        .stderr(contains("from the cache").not());
    assert_eq!(chats(&lm), 2);
    // Cached answers count as requests but not in the latency figures.
    let out = cli(dir.path())
        .args(["metrics", "--json"])
        .output()
        .unwrap();
    let m: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let lmstudio = &m["backends"][0];
    assert_eq!(lmstudio["backend"], "lmstudio");
    assert_eq!(lmstudio["requests"], 4);
    assert_eq!(lmstudio["cached"], 2);
    assert!(lmstudio["avg_response_ms"].as_f64().unwrap() > 0.0);
}

#[test]
fn the_same_words_in_two_conversations_never_share_an_answer() {
    let (lm, dir) = setup("");
    for first in ["write a parser for CSV", "write a lexer for TOML"] {
        cli(dir.path())
            .args(["--fast", "-p", first])
            .assert()
            .success();
        cli(dir.path())
            .args(["--fast", "--continue", "-p", "now add tests"])
            .assert()
            .success()
            .stderr(contains("from the cache").not());
    }
    assert_eq!(chats(&lm), 4);
    // A different voice is a different system prompt: no hit either.
    cli(dir.path())
        .args([
            "--fast",
            "--voice",
            "security",
            "-p",
            "write a parser for CSV",
        ])
        .assert()
        .success()
        .stderr(contains("from the cache").not());
    assert_eq!(chats(&lm), 5);
}

#[test]
fn the_cache_can_be_switched_off() {
    let (lm, dir) = setup("\n[hybrid.performance]\ncache_enabled = false\n");
    for _ in 0..2 {
        cli(dir.path())
            .args(["--fast", "-p", "hello"])
            .assert()
            .success()
            .stderr(contains("from the cache").not());
    }
    assert_eq!(chats(&lm), 2);
}

#[test]
fn without_history_there_is_no_cache() {
    let (lm, dir) = setup("\n[history]\nenabled = false\n");
    for _ in 0..2 {
        cli(dir.path())
            .args(["--fast", "-p", "hello"])
            .assert()
            .success();
    }
    assert_eq!(chats(&lm), 2);
}

#[test]
fn expired_answers_are_asked_again_and_the_cache_can_be_cleared() {
    let (lm, dir) = setup("\n[hybrid.performance]\ncache_ttl_secs = 1\n");
    cli(dir.path())
        .args(["--fast", "-p", "hello"])
        .assert()
        .success();
    std::thread::sleep(std::time::Duration::from_millis(1100));
    cli(dir.path())
        .args(["--fast", "-p", "hello"])
        .assert()
        .success()
        .stderr(contains("from the cache").not());
    assert_eq!(chats(&lm), 2);
    cli(dir.path())
        .args(["config", "reset", "hybrid.performance.cacheData"])
        .assert()
        .success()
        .stderr(contains("cleared 1 cached answers"));
}
