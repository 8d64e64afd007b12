//! The environment layer, through the real binary: `CODECRUCIBLE_LMSTUDIO_URL`,
//! `CODECRUCIBLE_OLLAMA_URL` and `CODECRUCIBLE_*_API_KEY` reach the request the server
//! sees, win over the config file, and lose to command-line flags.

use crate::support;

use assert_cmd::Command;
use predicates::str::contains;
use support::protocol::*;
use support::FakeServer;

fn cc(dir: &std::path::Path) -> Command {
    let mut c = support::cli(dir);
    c.env_remove("CODECRUCIBLE_LMSTUDIO_API_KEY")
        .env_remove("CODECRUCIBLE_OLLAMA_API_KEY");
    c
}

fn chats(s: &FakeServer, path: &str) -> usize {
    s.requests_to(path).len()
}

#[test]
fn lmstudio_url_from_the_environment_wins_over_the_file_and_loses_to_the_flag() {
    let in_file = fake_lmstudio("file-model", &["from the file"]);
    let in_env = fake_lmstudio("env-model", &["from the environment"]);
    let on_flag = fake_lmstudio("flag-model", &["from the flag"]);
    let dir = tempfile::tempdir().unwrap();
    write_config(dir.path(), &in_file.url(), &refused_url(), "");
    cc(dir.path())
        .args(["--fast", "-p", "hi"])
        .assert()
        .success()
        .stdout("from the file\n");
    cc(dir.path())
        .env("CODECRUCIBLE_LMSTUDIO_URL", in_env.url())
        .args(["--fast", "-p", "hi"])
        .assert()
        .success()
        .stdout("from the environment\n");
    cc(dir.path())
        .env("CODECRUCIBLE_LMSTUDIO_URL", in_env.url())
        .args(["--lmstudio-url", &on_flag.url(), "--fast", "-p", "hi"])
        .assert()
        .success()
        .stdout("from the flag\n");
    let path = "/v1/chat/completions";
    assert_eq!(
        (
            chats(&in_file, path),
            chats(&in_env, path),
            chats(&on_flag, path)
        ),
        (1, 1, 1)
    );
}

#[test]
fn ollama_url_from_the_environment_wins_over_the_file_and_ollama_host_and_loses_to_the_flag() {
    let in_file = fake_ollama(&["file:1b"], &["from the file"]);
    let in_env = fake_ollama(&["env:1b"], &["from the environment"]);
    let host = fake_ollama(&["host:1b"], &["from OLLAMA_HOST"]);
    let on_flag = fake_ollama(&["flag:1b"], &["from the flag"]);
    let dir = tempfile::tempdir().unwrap();
    write_config(dir.path(), &refused_url(), &in_file.url(), "");
    cc(dir.path())
        .env("CODECRUCIBLE_OLLAMA_URL", in_env.url())
        .env("OLLAMA_HOST", host.addr.to_string())
        .args(["--analyze", "-p", "hi"])
        .assert()
        .success()
        .stdout("from the environment\n");
    cc(dir.path())
        .env("CODECRUCIBLE_OLLAMA_URL", in_env.url())
        .args(["--ollama-url", &on_flag.url(), "--analyze", "-p", "hi"])
        .assert()
        .success()
        .stdout("from the flag\n");
    let path = "/api/chat";
    assert_eq!(
        (
            chats(&in_file, path),
            chats(&in_env, path),
            chats(&host, path),
            chats(&on_flag, path)
        ),
        (0, 1, 0, 1)
    );
}

#[test]
fn api_keys_from_the_environment_are_sent_as_bearer_tokens_over_the_files() {
    let lm = fake_lmstudio("m", &["fast answer"]);
    let ol = fake_ollama(&["q:1b"], &["quality answer"]);
    let dir = tempfile::tempdir().unwrap();
    // The file's keys are the ones the environment replaces.
    std::fs::write(
        dir.path().join("config.toml"),
        format!(
            "[hybrid.lm_studio]\nendpoint = \"{}\"\napi_key = \"sk-file-fast\"\n\
             [hybrid.ollama]\nendpoint = \"{}\"\napi_key = \"sk-file-quality\"\n",
            lm.url(),
            ol.url()
        ),
    )
    .unwrap();
    cc(dir.path())
        .env("CODECRUCIBLE_LMSTUDIO_API_KEY", "sk-env-fast")
        .args(["--fast", "-p", "hi"])
        .assert()
        .success()
        .stdout("fast answer\n");
    cc(dir.path())
        .env("CODECRUCIBLE_OLLAMA_API_KEY", "sk-env-quality")
        .args(["--analyze", "-p", "hi"])
        .assert()
        .success()
        .stdout("quality answer\n");
    let auth = |s: &FakeServer, path: &str| {
        s.requests_to(path)
            .last()
            .and_then(|r| r.headers.get("authorization").cloned())
    };
    assert_eq!(
        auth(&lm, "/v1/chat/completions").as_deref(),
        Some("Bearer sk-env-fast")
    );
    assert_eq!(
        auth(&ol, "/api/chat").as_deref(),
        Some("Bearer sk-env-quality")
    );
    // Without the variables, the file's keys are sent.
    cc(dir.path())
        .args(["--no-cache", "--fast", "-p", "hi"])
        .assert()
        .success();
    assert_eq!(
        auth(&lm, "/v1/chat/completions").as_deref(),
        Some("Bearer sk-file-fast")
    );
}

#[test]
fn a_bad_url_in_the_environment_is_a_config_error_naming_the_variable() {
    let dir = tempfile::tempdir().unwrap();
    cc(dir.path())
        .env("CODECRUCIBLE_LMSTUDIO_URL", "not a url")
        .args(["--fast", "-p", "hi"])
        .assert()
        .code(2)
        .stderr(contains("CODECRUCIBLE_LMSTUDIO_URL"));
}
