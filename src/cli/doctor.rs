//! `codecrucible doctor`: is each server reachable, which version, which models, which are
//! loaded, and for every problem what to do about it; then whether the history and the
//! config are private (`privacy.rs`). A role with several endpoints has an entry for each,
//! in the config's order.

use super::{EXIT_FAILED, EXIT_OK};
use crate::backend::{models::same_model, BackendId, ModelInfo, PerBackend};
use crate::config::BackendConfig;
use crate::config::Config;
use crate::engine::{BackendHealth, Pool};

pub async fn run(config: Config, json: bool) -> i32 {
    let b = config.hybrid.circuit_breaker;
    let pools = PerBackend::from_fn(|id| Pool::new(id, config.backend(id), b));
    let (a, b) = tokio::join!(
        pools[BackendId::Lmstudio].health(),
        pools[BackendId::Ollama].health()
    );
    let report: Vec<BackendHealth> = a.into_iter().chain(b).collect();
    if json {
        outln!(
            "{}",
            serde_json::to_string_pretty(&report).unwrap_or_default()
        );
    } else {
        for h in &report {
            super::print_text(&describe(&config, h));
        }
        let env = |k: &str| std::env::var(k).ok().filter(|v| !v.trim().is_empty());
        let data = super::privacy::data_dir();
        let findings = super::privacy::check(&config, data.as_deref(), &env);
        super::print_text(&super::privacy::describe(&findings));
    }
    let all_up = report.iter().all(|h| h.up || !h.enabled);
    if all_up {
        EXIT_OK
    } else {
        EXIT_FAILED
    }
}

/// The settings of the endpoint `h` describes: the role's, with its own address, protocol
/// and concurrency; and, when the role has several, its place and weight.
fn endpoint_config(config: &Config, h: &BackendHealth) -> (BackendConfig, Option<String>) {
    let list = config.backend(h.backend).resolved_endpoints();
    let n = list.len();
    let found = list
        .into_iter()
        .enumerate()
        .find(|(_, e)| e.cfg.endpoint == h.endpoint);
    match found {
        Some((i, e)) if n > 1 => {
            let place = format!(
                "endpoint {} of {n}, weight {}, up to {} at once",
                i + 1,
                e.weight,
                e.cfg.max_concurrent
            );
            (e.cfg, Some(place))
        }
        Some((_, e)) => (e.cfg, None),
        None => (config.backend(h.backend).clone(), None),
    }
}

fn describe(config: &Config, h: &BackendHealth) -> String {
    let (cfg, place) = endpoint_config(config, h);
    let cfg = &cfg;
    let role = match h.backend {
        BackendId::Lmstudio => "fast",
        BackendId::Ollama => "quality",
    };
    let api = match cfg.api {
        crate::backend::Api::Openai => "openai",
        crate::backend::Api::Ollama => "ollama",
    };
    let mut s = format!(
        "{} ({role}) · {} · api {api}\n",
        h.backend.label(),
        h.endpoint
    );
    if let Some(place) = place {
        s += &format!("  · {place}\n");
    }
    if !h.enabled {
        s += &format!(
            "  - switched off ({}.enabled = false)\n",
            Config::section(h.backend)
        );
        return s;
    }
    if let Some(e) = &h.error {
        s += &format!("  ✗ {e}\n");
        return s;
    }
    let server = h.server.map(|k| k.label()).unwrap_or("server");
    match &h.version {
        Some(v) => s += &format!("  ✓ {server} is up, version {v}\n"),
        None => s += &format!("  ✓ {server} is up\n"),
    }
    s += &models_lines(h);
    s += &preference_lines(cfg, h);
    s
}

fn models_lines(h: &BackendHealth) -> String {
    if h.models.is_empty() {
        let fix = match h.backend {
            BackendId::Ollama => "run `ollama pull qwen2.5-coder` (or any model)",
            BackendId::Lmstudio => "download a model in LM Studio (or `lms get`) and load it",
        };
        return format!("  ✗ no models — {fix}\n");
    }
    let names: Vec<&str> = h.models.iter().map(|m| m.name.as_str()).collect();
    let mut s = format!("  ✓ {} model(s): {}\n", names.len(), names.join(", "));
    let remote: Vec<&str> = h
        .models
        .iter()
        .filter(|m| m.kind == crate::backend::ModelKind::Remote)
        .map(|m| m.name.as_str())
        .collect();
    if !remote.is_empty() {
        s += &format!(
            "  ! runs on another machine (a cloud model): {} — never picked on its own; asking for one needs {}.allow_remote = true\n",
            remote.join(", "),
            crate::config::Config::section(h.backend)
        );
    }
    let loaded: Vec<&ModelInfo> = h.models.iter().filter(|m| m.loaded == Some(true)).collect();
    if loaded.is_empty() && h.models.iter().any(|m| m.loaded.is_some()) {
        s += "  · no model loaded now; the first request loads one, which can take a while\n";
    }
    for m in loaded {
        s += &format!("  ✓ loaded: {}{}\n", m.name, loaded_detail(m));
    }
    s
}

fn loaded_detail(m: &ModelInfo) -> String {
    let mut parts = Vec::new();
    parts.extend(crate::resources::LoadedModel::from(m).vram_detail());
    if let Some(c) = m.context_length {
        parts.push(format!("context {c}"));
    }
    if parts.is_empty() {
        String::new()
    } else {
        format!(" ({})", parts.join(", "))
    }
}

fn preference_lines(cfg: &crate::config::BackendConfig, h: &BackendHealth) -> String {
    let mut s = String::new();
    for want in &cfg.models {
        if !h.models.iter().any(|m| same_model(cfg.api, &m.name, want)) {
            let fix = match h.backend {
                BackendId::Ollama => format!("run `ollama pull {want}`"),
                BackendId::Lmstudio => {
                    format!("download \"{want}\" in LM Studio (`lms get {want}`)")
                }
            };
            s += &format!(
                "  ! preferred model \"{want}\" is not on this server — {fix}, or remove it from {}.models\n",
                Config::section(h.backend)
            );
        }
    }
    s
}
