//! Ollama lists its cloud models in `/api/tags`, with `remote_host` and `remote_model`
//! (api/types.go), and proxies chat to them: the conversation leaves the machine although
//! the endpoint is loopback. Such a model is a remote endpoint: never picked on its own,
//! refused when asked for unless `allow_remote` is set, and named by `doctor`.

use crate::support;

use predicates::prelude::*;
use predicates::str::contains;
use support::protocol::*;
use support::Reply;

/// Ollama with a cloud model listed first (as `/api/tags` does) and nothing loaded.
fn ollama_with_a_cloud_model() -> support::FakeServer {
    let ol = fake_ollama(&["qwen2.5-coder:7b"], &["answered ", "locally"]);
    let tags = r#"{"models":[
        {"name":"gpt-oss:120b-cloud","model":"gpt-oss:120b-cloud","size":384,
         "remote_model":"gpt-oss:120b","remote_host":"https://ollama.com:443",
         "details":{"format":"","family":"gptoss","parameter_size":"116.8B"}},
        {"name":"qwen2.5-coder:7b","model":"qwen2.5-coder:7b","size":4683087332,
         "details":{"format":"gguf","family":"qwen2","parameter_size":"7.6B"}}]}"#;
    ol.on("GET", "/api/tags", Reply::json(200, tags));
    ol.on("GET", "/api/ps", Reply::json(200, r#"{"models":[]}"#));
    ol
}

#[test]
fn a_cloud_model_listed_first_is_not_picked() {
    let ol = ollama_with_a_cloud_model();
    let dir = tempfile::tempdir().unwrap();
    write_config(dir.path(), &refused_url(), &ol.url(), "");
    support::cli(dir.path())
        .args(["--analyze", "-p", "why does this deadlock?"])
        .assert()
        .success()
        .stdout(contains("answered locally"))
        .stderr(contains("qwen2.5-coder:7b"));
    let sent = ol.requests_to("/api/chat");
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].json()["model"], "qwen2.5-coder:7b");
}

#[test]
fn asking_for_a_cloud_model_is_refused_without_allow_remote() {
    let ol = ollama_with_a_cloud_model();
    let dir = tempfile::tempdir().unwrap();
    write_config(dir.path(), &refused_url(), &ol.url(), "");
    support::cli(dir.path())
        .args([
            "--analyze",
            "--model",
            "gpt-oss:120b-cloud",
            "-p",
            "review this",
        ])
        .assert()
        .code(2)
        .stderr(
            contains("gpt-oss:120b-cloud is a cloud model")
                .and(contains("hybrid.ollama.allow_remote")),
        );
    assert!(ol.requests_to("/api/chat").is_empty(), "nothing was sent");
}

#[test]
fn doctor_names_the_cloud_model() {
    let ol = ollama_with_a_cloud_model();
    let dir = tempfile::tempdir().unwrap();
    write_config(dir.path(), &refused_url(), &ol.url(), "");
    support::cli(dir.path())
        .arg("doctor")
        .assert()
        .stdout(contains(
            "another machine (a cloud model): gpt-oss:120b-cloud",
        ));
}

#[test]
fn a_sign_in_refusal_says_ollama_signin_not_api_key() {
    let ol = fake_ollama(&["qwen2.5-coder:7b"], &[]);
    ol.on(
        "POST",
        "/api/chat",
        Reply::json(
            401,
            r#"{"error":"unauthorized","signin_url":"https://ollama.com/connect?name=box&key=abc"}"#,
        ),
    );
    let dir = tempfile::tempdir().unwrap();
    write_config(dir.path(), &refused_url(), &ol.url(), "");
    support::cli(dir.path())
        .args(["--analyze", "-p", "review this"])
        .assert()
        .code(1)
        .stderr(
            contains("ollama signin")
                .and(contains("api_key").not())
                .and(contains("key=abc").not()),
        );
}
