//! `codecrucible doctor --json`: the shape scripts rely on (scripts/run.sh reads it to
//! decide whether to start a local server) and the exit codes.

use crate::support;

use serde_json::Value;
use support::protocol::*;

fn doctor(dir: &std::path::Path) -> (Option<i32>, Vec<Value>) {
    let out = support::cli(dir)
        .args(["doctor", "--json"])
        .output()
        .expect("doctor runs");
    let report: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("doctor --json is JSON ({e})"));
    let list = report.as_array().expect("a list of servers").clone();
    (out.status.code(), list)
}

/// Every entry has the same fields with the same types, whether the server is up or not.
fn assert_shape(h: &Value) {
    let is_str = |k: &str| h[k].is_string();
    let is_bool = |k: &str| h[k].is_boolean();
    let is_count = |k: &str| h[k].is_u64();
    assert!(
        is_str("backend") && is_str("endpoint") && is_str("breaker"),
        "{h}"
    );
    assert!(is_bool("enabled") && is_bool("up"), "{h}");
    assert!(
        is_count("in_flight") && is_count("queued") && is_count("max_concurrent"),
        "{h}"
    );
    assert!(h["models"].is_array(), "{h}");
    for k in ["server", "version", "error"] {
        assert!(h[k].is_null() || h[k].is_string(), "{k}: {h}");
    }
    for m in h["models"].as_array().into_iter().flatten() {
        assert!(m["name"].is_string() && m["kind"].is_string(), "{m}");
        assert!(m["loaded"].is_null() || m["loaded"].is_boolean(), "{m}");
        assert!(
            m["context_length"].is_null() || m["context_length"].is_u64(),
            "{m}"
        );
    }
}

#[test]
fn both_up_exits_0_with_each_server_described() {
    let lm = fake_llama_server(&[]);
    let ol = fake_ollama(&["llama3.2:latest"], &[]);
    let dir = tempfile::tempdir().unwrap();
    write_config(dir.path(), &lm.url(), &ol.url(), "");
    let (code, list) = doctor(dir.path());
    assert_eq!(code, Some(0));
    assert_eq!(list.len(), 2);
    list.iter().for_each(assert_shape);
    let (fast, quality) = (&list[0], &list[1]);
    assert_eq!(
        (fast["backend"].as_str(), quality["backend"].as_str()),
        (Some("lmstudio"), Some("ollama"))
    );
    assert_eq!(
        (fast["up"].as_bool(), quality["up"].as_bool()),
        (Some(true), Some(true))
    );
    assert_eq!(fast["server"], "llama_server");
    assert_eq!(fast["version"], "b6100-abc");
    assert_eq!(quality["server"], "ollama");
    assert_eq!(quality["version"], "0.12.11");
    assert_eq!(quality["models"][0]["name"], "llama3.2:latest");
    assert_eq!(quality["models"][0]["loaded"], true);
    assert!(fast["error"].is_null() && quality["error"].is_null());
    assert_eq!(fast["breaker"], "closed");
}

#[test]
fn a_server_down_exits_1_and_says_which_and_why() {
    let lm = fake_lmstudio("qwen-coder-7b", &[]);
    let down = refused_url();
    let dir = tempfile::tempdir().unwrap();
    write_config(dir.path(), &lm.url(), &down, "");
    let (code, list) = doctor(dir.path());
    assert_eq!(code, Some(1));
    list.iter().for_each(assert_shape);
    assert_eq!(list[0]["up"], true);
    assert_eq!(list[0]["server"], "lm_studio");
    assert_eq!(list[1]["up"], false);
    assert!(list[1]["endpoint"]
        .as_str()
        .unwrap_or("")
        .contains(&down[7..]));
    assert!(
        list[1]["error"]
            .as_str()
            .unwrap_or("")
            .contains("ollama serve"),
        "{}",
        list[1]
    );
}

#[test]
fn a_server_switched_off_does_not_fail_the_check() {
    let ol = fake_ollama(&["q:1b"], &[]);
    let dir = tempfile::tempdir().unwrap();
    write_config(dir.path(), &refused_url(), &ol.url(), "");
    let (code, _) = doctor(dir.path());
    assert_eq!(
        code,
        Some(1),
        "an enabled server that is down fails the check"
    );
    std::fs::write(
        dir.path().join("config.toml"),
        format!(
            "[hybrid.lm_studio]\nenabled = false\n[hybrid.ollama]\nendpoint = \"{}\"\n",
            ol.url()
        ),
    )
    .unwrap();
    let (code, list) = doctor(dir.path());
    assert_eq!(code, Some(0));
    assert_eq!(
        (list[0]["enabled"].as_bool(), list[0]["up"].as_bool()),
        (Some(false), Some(false))
    );
}
