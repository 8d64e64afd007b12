//! The real binary, driven as a user would, against fake servers.

use crate::support;

use std::io::Read;
use std::process::Stdio;
use std::time::Duration;

use assert_cmd::Command;
use predicates::prelude::*;
use predicates::str::contains;
use support::protocol::*;
use support::{End, FakeServer, Reply};

fn cc(dir: &std::path::Path) -> Command {
    support::cli(dir)
}

fn setup(lm: &str, ol: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    write_config(dir.path(), lm, ol, "");
    dir
}

fn json_lines(out: &[u8]) -> Vec<serde_json::Value> {
    String::from_utf8_lossy(out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect()
}

#[test]
fn help_reads_well_and_is_quick_to_reach() {
    let dir = tempfile::tempdir().unwrap();
    cc(dir.path()).arg("--help").assert().success().stdout(
        contains("doctor")
            .and(contains("--analyze"))
            .and(contains("Exit codes")),
    );
}

#[test]
fn headless_streams_the_answer_to_stdout_and_one_status_line_to_stderr() {
    let lm = fake_lmstudio(
        "qwen2.5-coder-7b",
        &["fn main() {\n", "    println!(\"hi\");\n", "}"],
    );
    let dir = setup(&lm.url(), &refused_url());
    cc(dir.path())
        .args(["-p", "write hello world"])
        .assert()
        .success()
        .stdout("fn main() {\n    println!(\"hi\");\n}\n")
        .stderr(contains("LM Studio · qwen2.5-coder-7b").and(contains("loaded")));
}

#[test]
fn a_non_terminal_stdout_means_headless_even_without_p() {
    let lm = fake_lmstudio("m", &["ok"]);
    let dir = setup(&lm.url(), &refused_url());
    cc(dir.path())
        .arg("hello")
        .assert()
        .success()
        .stdout("ok\n");
}

#[test]
fn json_mode_prints_every_event_with_nulls_where_the_server_gave_no_count() {
    let lm = fake_lmstudio("m", &[]);
    // LM Studio streams without a usage chunk (older builds): output_tokens is null.
    let parts = lmstudio_stream("m", &["a", "b"], "stop");
    let no_usage: Vec<&[u8]> = vec![&parts[0], &parts[1], &parts[2], &parts[3], &parts[5]];
    lm.on("POST", "/v1/chat/completions", Reply::sse(no_usage));
    let dir = setup(&lm.url(), &refused_url());
    let out = cc(dir.path())
        .args(["--json", "-p", "x"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let ev = json_lines(&out);
    // The session first (a new one, saved), then the routing decision.
    assert_eq!(ev[0]["type"], "session");
    assert_eq!(ev[0]["new"], true);
    assert_eq!(ev[0]["stored"], true);
    assert!(ev[0]["session"].is_i64());
    assert_eq!(ev[1]["type"], "route");
    assert!(ev[1]["selected"].is_string() && ev[1]["reasoning"].is_string());
    let deltas: Vec<_> = ev.iter().filter(|e| e["type"] == "delta").collect();
    assert_eq!(deltas.len(), 2);
    assert_eq!(deltas[0]["backend"], "lmstudio");
    let done = ev.last().unwrap();
    assert_eq!(done["type"], "done");
    assert_eq!(done["model"], "m");
    assert!(done["ttft_ms"].is_number() && done["total_ms"].is_number());
    assert!(done["output_tokens"].is_null());
}

#[test]
fn json_mode_shows_the_fallback() {
    let ol = fake_ollama(&["llama3.2:latest"], &["from ollama"]);
    let dir = setup(&refused_url(), &ol.url());
    let out = cc(dir.path())
        .args(["--json", "-p", "x"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let ev = json_lines(&out);
    let fb = ev
        .iter()
        .find(|e| e["type"] == "fallback")
        .expect("fallback event");
    assert_eq!(
        (fb["from"].as_str(), fb["to"].as_str()),
        (Some("lmstudio"), Some("ollama"))
    );
    assert!(fb["error"].as_str().unwrap().contains("not answering"));
    assert_eq!(ev.last().unwrap()["output_tokens"], 1);
}

#[test]
fn piped_stdin_is_attached_to_the_prompt() {
    let lm = fake_lmstudio("m", &["it means..."]);
    let dir = setup(&lm.url(), &refused_url());
    cc(dir.path())
        .args(["-p", "explain"])
        .write_stdin("error[E0382]: borrow of moved value: `v`\n")
        .assert()
        .success();
    let body = lm.requests_to("/v1/chat/completions")[0].json();
    let user = body["messages"].as_array().unwrap().last().unwrap()["content"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        user.starts_with("explain") && user.contains("E0382"),
        "{user}"
    );
}

#[test]
fn a_dash_prompt_is_read_from_stdin_and_no_prompt_is_a_usage_error() {
    let lm = fake_lmstudio("m", &["ok"]);
    let dir = setup(&lm.url(), &refused_url());
    cc(dir.path())
        .args(["-p", "-"])
        .write_stdin("what is a monad")
        .assert()
        .success();
    let body = lm.requests_to("/v1/chat/completions")[0].json();
    assert_eq!(body["messages"][1]["content"], "what is a monad");
    cc(dir.path())
        .arg("-p")
        .write_stdin("")
        .assert()
        .code(2)
        .stderr(contains("no prompt"));
}

#[test]
fn forced_fast_with_lmstudio_down_fails_and_says_how_to_let_ollama_answer() {
    let ol = fake_ollama(&["q"], &["x"]);
    let dir = setup(&refused_url(), &ol.url());
    cc(dir.path())
        .args(["--fast", "-p", "hi"])
        .assert()
        .code(1)
        .stdout("")
        .stderr(contains("lms server start").and(contains("let Ollama answer")));
    assert!(ol.requests_to("/api/chat").is_empty());
}

#[test]
fn analyze_and_model_pick_ollama_and_its_model() {
    let ol = fake_ollama(&["llama3.2:latest", "qwen2.5-coder:32b"], &["deep answer"]);
    let dir = setup(&refused_url(), &ol.url());
    cc(dir.path())
        .args(["--analyze", "--model", "qwen2.5-coder:32b", "-p", "review"])
        .assert()
        .success()
        .stdout("deep answer\n")
        .stderr(contains("Ollama · qwen2.5-coder:32b").and(contains("you asked for it")));
    assert_eq!(
        ol.requests_to("/api/chat")[0].json()["model"],
        "qwen2.5-coder:32b"
    );
    // `x` and `x:latest` are the same model.
    cc(dir.path())
        .args(["--backend", "ollama", "--model", "llama3.2", "-p", "r"])
        .assert()
        .success();
}

#[test]
fn an_unknown_model_is_an_error_that_lists_the_real_ones() {
    let ol = fake_ollama(&["llama3.2:latest"], &["x"]);
    let dir = setup(&refused_url(), &ol.url());
    cc(dir.path())
        .args(["--analyze", "--model", "mistral", "-p", "hi"])
        .assert()
        .code(1)
        .stderr(
            contains("no model \"mistral\"")
                .and(contains("llama3.2:latest"))
                .and(contains("ollama pull mistral")),
        );
}

#[test]
fn a_stream_cut_in_the_middle_keeps_the_partial_answer_and_exits_1() {
    let lm = fake_lmstudio("m", &[]);
    let parts = lmstudio_stream("m", &["partial"], "stop");
    lm.on(
        "POST",
        "/v1/chat/completions",
        Reply::sse(vec![&parts[0], &parts[1]]).with_end(End::Cut),
    );
    let dir = setup(&lm.url(), &refused_url());
    cc(dir.path())
        .args(["-p", "hi"])
        .assert()
        .code(1)
        .stdout("partial\n")
        .stderr(contains("stopped in the middle").and(contains("partial answer")));
}

#[test]
fn ctrl_c_cancels_cleanly_with_exit_130() {
    let lm = fake_lmstudio("m", &[]);
    let parts = lmstudio_stream("m", &["thinking hard"], "stop");
    lm.on(
        "POST",
        "/v1/chat/completions",
        Reply::sse(vec![&parts[0], &parts[1]]).with_end(End::Hold),
    );
    let dir = setup(&lm.url(), &refused_url());
    let mut child = support::cli_process(dir.path())
        .args(["-p", "hi"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    assert!(lm.wait_until(Duration::from_secs(20), |s| s.streams_started() == 1));
    std::thread::sleep(Duration::from_millis(300));
    let pid = child.id().to_string();
    std::process::Command::new("kill")
        .args(["-INT", &pid])
        .status()
        .unwrap();
    let status = child.wait().unwrap();
    let mut out = String::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut out)
        .unwrap();
    assert_eq!(status.code(), Some(130));
    assert_eq!(out, "thinking hard\n", "the partial answer stays on stdout");
    assert!(lm.wait_until(Duration::from_secs(5), |s| s.client_hangups() >= 1));
}

#[test]
fn a_bad_config_file_names_the_file_the_line_and_the_nearest_key() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("config.toml"),
        "[hybrid.routing]\n\nescalation_treshold = 0.5\n",
    )
    .unwrap();
    cc(dir.path())
        .args(["-p", "hi"])
        .assert()
        .code(2)
        .stderr(contains("config.toml, line 3").and(contains(
            "did you mean `hybrid.routing.escalation_threshold`",
        )));
    std::fs::write(
        dir.path().join("config.toml"),
        "[hybrid.ollama]\nmax_concurrent = 0\n",
    )
    .unwrap();
    cc(dir.path())
        .arg("doctor")
        .assert()
        .code(2)
        .stderr(contains("line 2").and(contains("max_concurrent")));
}

#[test]
fn config_set_get_reset_show_and_path() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config.toml");
    cc(dir.path())
        .args(["config", "path"])
        .assert()
        .success()
        .stdout(format!("{}\n", path.display()));
    cc(dir.path())
        .args(["config", "set", "hybrid.routing.escalationThreshold", "0.8"])
        .assert()
        .success();
    std::fs::write(
        &path,
        format!("# my notes\n{}", std::fs::read_to_string(&path).unwrap()),
    )
    .unwrap();
    cc(dir.path())
        .args(["config", "set", "hybrid.lmStudio.maxConcurrent", "4"])
        .assert()
        .success();
    cc(dir.path())
        .args(["config", "get", "hybrid.routing.escalation_threshold"])
        .assert()
        .success()
        .stdout("0.8\n");
    cc(dir.path())
        .args(["config", "get", "hybrid.lm_studio.max_concurrent"])
        .assert()
        .success()
        .stdout("4\n");
    assert!(
        std::fs::read_to_string(&path)
            .unwrap()
            .contains("# my notes"),
        "comments survive"
    );
    cc(dir.path())
        .args([
            "config",
            "set",
            "hybrid.routing.escalationThreshold",
            "high",
        ])
        .assert()
        .code(2)
        .stderr(contains("must be a number"));
    cc(dir.path())
        .args(["config", "set", "hybrid.routing.defaultProvider", "gpt"])
        .assert()
        .code(2)
        .stderr(contains("\"auto\", \"lmstudio\", \"ollama\""));
    cc(dir.path())
        .args(["config", "get", "hybrid.ollama.endpont"])
        .assert()
        .code(2)
        .stderr(contains("did you mean `hybrid.ollama.endpoint`"));
    cc(dir.path())
        .args(["config", "reset", "hybrid.lmStudio.maxConcurrent"])
        .assert()
        .success();
    cc(dir.path())
        .args(["config", "get", "hybrid.lm_studio.max_concurrent"])
        .assert()
        .success()
        .stdout("2\n");
    cc(dir.path())
        .args(["config", "show"])
        .assert()
        .success()
        .stdout(contains("escalation_threshold = 0.8").and(contains("[hybrid.ollama]")));
}

#[test]
fn the_api_key_is_never_printed() {
    let lm = fake_lmstudio("m", &["ok"]);
    let dir = setup(&lm.url(), &refused_url());
    cc(dir.path())
        .args(["config", "set", "hybrid.lmStudio.apiKey", "sk-secret-42"])
        .assert()
        .success();
    cc(dir.path())
        .args(["config", "show"])
        .assert()
        .success()
        .stdout(contains("sk-secret-42").not().and(contains("<redacted>")));
    cc(dir.path())
        .args(["config", "get", "hybrid.lm_studio.api_key"])
        .assert()
        .stdout(contains("sk-secret-42").not());
    cc(dir.path())
        .args(["--json", "-p", "hi"])
        .assert()
        .success()
        .stdout(contains("sk-secret-42").not());
    assert_eq!(
        lm.requests_to("/v1/chat/completions")[0]
            .headers
            .get("authorization")
            .map(String::as_str),
        Some("Bearer sk-secret-42")
    );
    lm.on(
        "POST",
        "/v1/chat/completions",
        Reply::json(
            401,
            r#"{"error":{"code":401,"message":"Invalid API Key","type":"authentication_error"}}"#,
        ),
    );
    // --no-cache: the same prompt's answer is cached from the run above.
    cc(dir.path())
        .args(["--fast", "--no-cache", "-p", "hi"])
        .assert()
        .code(1)
        .stderr(contains("sk-secret-42").not().and(contains("api_key")));
}

#[test]
fn remote_endpoints_are_refused_with_exit_2() {
    let dir = setup("http://10.20.30.40:1234", &refused_url());
    cc(dir.path())
        .args(["--fast", "-p", "hi"])
        .assert()
        .code(2)
        .stderr(contains("not on this machine").and(contains("allow_remote = true")));
}

#[test]
fn doctor_on_refused_ports_says_what_to_do() {
    let dir = setup(&refused_url(), &refused_url());
    cc(dir.path())
        .arg("doctor")
        .assert()
        .code(1)
        .stdout(contains("lms server start").and(contains("ollama serve")));
}

#[test]
fn doctor_names_history_others_can_read_and_a_plain_text_key() {
    use std::os::unix::fs::PermissionsExt;
    let chmod = |p: &std::path::Path, m: u32| {
        std::fs::set_permissions(p, std::fs::Permissions::from_mode(m)).unwrap()
    };
    let dir = setup(&refused_url(), &refused_url());
    let config = dir.path().join("config.toml");
    let mut text = std::fs::read_to_string(&config).unwrap();
    text = text.replace(
        "[hybrid.ollama]\n",
        "[hybrid.ollama]\napi_key = \"sk-do-not-print\"\n",
    );
    std::fs::write(&config, text).unwrap();
    chmod(&config, 0o644);
    let data = dir.path().join("data");
    std::fs::create_dir(&data).unwrap();
    chmod(&data, 0o755);
    std::fs::write(data.join("history.db"), b"").unwrap();
    chmod(&data.join("history.db"), 0o644);
    cc(dir.path()).arg("doctor").assert().code(1).stdout(
        contains("Privacy")
            .and(contains("can be opened by other users (0755): chmod 700"))
            .and(contains(
                "history.db holds conversations and can be read by other users (0644)",
            ))
            .and(contains("hybrid.ollama.api_key in plain text"))
            .and(contains("CODECRUCIBLE_OLLAMA_API_KEY"))
            .and(contains("holds an API key and can be read by other users"))
            .and(contains("sk-do-not-print").not()),
    );
    chmod(&data, 0o700);
    chmod(&data.join("history.db"), 0o600);
    std::fs::write(
        &config,
        std::fs::read_to_string(&config)
            .unwrap()
            .replace("api_key = \"sk-do-not-print\"\n", ""),
    )
    .unwrap();
    cc(dir.path())
        .arg("doctor")
        .assert()
        .code(1)
        .stdout(contains("✓ history in").and(contains("✗").count(2)));
}

#[test]
fn doctor_reports_versions_models_loaded_models_and_missing_ones() {
    let lm = fake_llama_server(&[]);
    let ol = fake_ollama(&["llama3.2:latest", "qwen2.5-coder:7b"], &[]);
    let dir = tempfile::tempdir().unwrap();
    write_config(
        dir.path(),
        &lm.url(),
        &ol.url(),
        "models = [\"deepseek-r1:14b\"]\n",
    );
    cc(dir.path()).arg("doctor").assert().success().stdout(
        contains("llama.cpp llama-server is up, version b6100-abc")
            .and(contains("Ollama is up, version 0.12.11"))
            .and(contains(
                "loaded: llama3.2:latest (5.0 GiB in VRAM of 6.1 GiB: 80% on GPU, the rest on the CPU, context 4096)",
            ))
            .and(contains("ollama pull deepseek-r1:14b")),
    );
}

#[test]
fn ollama_host_is_read_as_ollama_does_and_the_config_file_wins() {
    let ol = fake_ollama(&["q"], &["hello from OLLAMA_HOST"]);
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("config.toml"),
        "[hybrid.lm_studio]\nenabled = false\n",
    )
    .unwrap();
    let host = format!("{}", ol.addr); // no scheme: http is implied
    cc(dir.path())
        .env("OLLAMA_HOST", &host)
        .args(["-p", "hi"])
        .assert()
        .success()
        .stdout("hello from OLLAMA_HOST\n");
    std::fs::write(
        dir.path().join("config.toml"),
        format!(
            "[hybrid.lm_studio]\nenabled = false\n[hybrid.ollama]\nendpoint = \"{}\"\n",
            refused_url()
        ),
    )
    .unwrap();
    cc(dir.path())
        .env("OLLAMA_HOST", &host)
        .args(["-p", "hi"])
        .assert()
        .code(1)
        .stderr(contains("not answering"));
}

#[test]
fn flags_override_the_file() {
    let lm = fake_lmstudio("m", &["via flag"]);
    let dir = setup(&refused_url(), &refused_url());
    cc(dir.path())
        .args(["--lmstudio-url", &lm.url(), "-p", "hi"])
        .assert()
        .success()
        .stdout("via flag\n");
}

#[test]
fn localhost_reaches_a_server_listening_on_ipv4_only() {
    let lm = FakeServer::start_on("127.0.0.1:0");
    lm.on(
        "GET",
        "/v1/models",
        Reply::json(200, &openai_models(&["m"], "x")),
    );
    let parts = lmstudio_stream("m", &["v4"], "stop");
    lm.on(
        "POST",
        "/v1/chat/completions",
        Reply::sse(parts.iter().map(|p| p.as_slice()).collect()),
    );
    let dir = setup(
        &format!("http://localhost:{}", lm.addr.port()),
        &refused_url(),
    );
    cc(dir.path())
        .args(["-p", "hi"])
        .assert()
        .success()
        .stdout("v4\n");
}
