//! `codecrucible system vram --status [--json]`, driven as a user would, against fake
//! servers. The machine side (GPU, CPU, memory) is whatever this machine has, so tests
//! check that it is consistent rather than what it is.

use crate::support;

use predicates::prelude::*;
use predicates::str::contains;
use serde_json::Value;
use support::protocol::*;

const LM_MODEL: &str = "qwen2.5-coder-7b";
const OLLAMA_MODELS: [&str; 2] = ["llama3.2:latest", "qwen2.5-coder:7b"];

fn setup(lm: &str, ol: &str, extra: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    write_config(dir.path(), lm, ol, extra);
    dir
}

fn status_json(dir: &std::path::Path) -> Value {
    let out = support::cli(dir)
        .args(["system", "vram", "--status", "--json"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    serde_json::from_slice(&out).unwrap_or_else(|e| {
        panic!(
            "not one JSON object ({e}): {}",
            String::from_utf8_lossy(&out)
        )
    })
}

fn backend<'a>(status: &'a Value, id: &str) -> &'a Value {
    status["backends"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["backend"] == id)
        .unwrap_or_else(|| panic!("no {id} section in {status}"))
}

fn model<'a>(section: &'a Value, name: &str) -> &'a Value {
    section["models"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["name"] == name)
        .unwrap_or_else(|| panic!("no model {name} in {section}"))
}

/// Whatever the machine has, the reading must hang together.
fn assert_machine_is_consistent(status: &Value) {
    let gpu = &status["machine"]["gpu"];
    let source = gpu["source"].as_str().unwrap();
    assert!(
        ["nvml", "nvidia-smi", "none"].contains(&source),
        "source {source}"
    );
    let devices = gpu["devices"].as_array().unwrap();
    assert_eq!(source == "none", devices.is_empty(), "{gpu}");
    if source == "none" {
        assert!(gpu["note"].is_string(), "no GPU should say why: {gpu}");
    }
    for d in devices {
        assert!(d["total_bytes"].as_u64().unwrap() > 0, "{d}");
        assert!(d["used_bytes"].is_u64(), "{d}");
    }
    let host = &status["machine"]["host"];
    let cpu = host["cpu_percent"].as_f64().unwrap();
    assert!((0.0..=100.0).contains(&cpu), "{host}");
    let total = host["memory_total_bytes"].as_u64().unwrap();
    let used = host["memory_used_bytes"].as_u64().unwrap();
    assert!(used <= total, "{host}");
}

#[test]
fn json_has_ollama_vram_from_api_ps_and_lm_studio_loaded_state() {
    let lm = fake_lmstudio(LM_MODEL, &[]);
    let ol = fake_ollama(&OLLAMA_MODELS, &[]);
    // `extra` lands in the [hybrid.ollama] section.
    let dir = setup(&lm.url(), &ol.url(), "max_concurrent = 3\n");
    let status = status_json(dir.path());
    assert_machine_is_consistent(&status);

    let ollama = backend(&status, "ollama");
    assert_eq!(ollama["state"], "up");
    assert_eq!(ollama["error"], Value::Null);
    assert_eq!(ollama["max_concurrent"], 3);
    assert_eq!(
        (ollama["in_flight"].as_u64(), ollama["queued"].as_u64()),
        (Some(0), Some(0))
    );
    let running = model(ollama, "llama3.2:latest");
    assert_eq!(running["loaded"], true);
    assert_eq!(running["vram_bytes"], 5_333_539_264u64);
    assert_eq!(running["context_length"], 4096);
    let idle = model(ollama, "qwen2.5-coder:7b");
    assert_eq!(idle["loaded"], false);
    assert_eq!(idle["vram_bytes"], Value::Null);

    let lmstudio = backend(&status, "lmstudio");
    assert_eq!(lmstudio["state"], "up");
    assert_eq!(lmstudio["endpoint"], lm.url());
    assert_eq!(lmstudio["max_concurrent"], 2, "the default");
    let loaded = model(lmstudio, LM_MODEL);
    assert_eq!(loaded["loaded"], true);
    assert_eq!(loaded["context_length"], 8192);
    assert_eq!(loaded["size_bytes"], 4_000_000_000u64);
}

#[test]
fn text_report_shows_machine_load_models_and_vram() {
    let lm = fake_lmstudio(LM_MODEL, &[]);
    let ol = fake_ollama(&OLLAMA_MODELS, &[]);
    let dir = setup(&lm.url(), &ol.url(), "");
    support::cli(dir.path())
        .args(["system", "vram", "--status"])
        .assert()
        .success()
        .stdout(
            contains("Machine\n  GPU")
                .and(contains("CPU "))
                .and(contains("LM Studio (fast)"))
                .and(contains(format!("✓ loaded: {LM_MODEL} (")))
                .and(contains(
                    "✓ loaded: llama3.2:latest (5.0 GiB in VRAM of 6.1 GiB: 80% on GPU, the rest on the CPU, context 4096)",
                ))
                .and(contains("1 more model(s) on the server, not loaded"))
                .and(contains(
                    "requests: 0 in flight, 0 queued, at most 1 at once (hybrid.ollama.max_concurrent)",
                ))
                .and(contains("VRAM held by loaded models: 5.0 GiB")),
        );
}

#[test]
fn refused_servers_are_down_with_the_fix_and_still_exit_0() {
    let dir = setup(&refused_url(), &refused_url(), "");
    support::cli(dir.path())
        .args(["system", "vram", "--status"])
        .assert()
        .code(0)
        .stdout(
            contains("LM Studio (fast)")
                .and(contains("· down\n"))
                .and(contains("lms server start"))
                .and(contains("ollama serve")),
        );
    let status = status_json(dir.path());
    assert_machine_is_consistent(&status);
    for id in ["lmstudio", "ollama"] {
        let b = backend(&status, id);
        assert_eq!(b["state"], "down", "{b}");
        assert!(b["models"].as_array().unwrap().is_empty());
        assert!(
            b["error"].as_str().unwrap().contains("not answering"),
            "{b}"
        );
    }
    assert!(backend(&status, "ollama")["error"]
        .as_str()
        .unwrap()
        .contains("ollama serve"));
}

#[test]
fn a_disabled_backend_is_reported_and_never_probed() {
    let ol = fake_ollama(&OLLAMA_MODELS, &[]);
    let dir = setup(&refused_url(), &ol.url(), "enabled = false\n");
    let status = status_json(dir.path());
    assert_eq!(backend(&status, "ollama")["state"], "disabled");
    support::cli(dir.path())
        .args(["system", "vram"])
        .assert()
        .success()
        .stdout(contains("switched off (hybrid.ollama.enabled = false)"));
    assert!(ol.requests().is_empty(), "{:?}", ol.requests());
}

#[test]
fn without_status_the_same_report_is_printed() {
    let dir = setup(&refused_url(), &refused_url(), "");
    support::cli(dir.path())
        .args(["system", "vram"])
        .assert()
        .success()
        .stdout(contains("Machine\n").and(contains("Ollama (quality)")));
}

#[test]
fn bad_usage_and_bad_config_are_the_only_failures() {
    let dir = setup(&refused_url(), &refused_url(), "");
    support::cli(dir.path())
        .arg("system")
        .assert()
        .code(2)
        .stderr(contains("vram"));
    support::cli(dir.path())
        .args(["system", "vram", "--bogus"])
        .assert()
        .code(2);
    std::fs::write(
        dir.path().join("config.toml"),
        "[hybrid.ollama]\nmax_concurrent = 0\n",
    )
    .unwrap();
    support::cli(dir.path())
        .args(["system", "vram", "--status"])
        .assert()
        .code(2)
        .stderr(contains("max_concurrent"));
}
