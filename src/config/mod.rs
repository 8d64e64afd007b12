//! Configuration: the typed settings, where the file lives, and how layers combine.
//!
//! Layers, lowest first: the embedded `config/default.toml`, `OLLAMA_HOST` (only where the
//! user's file does not set the Ollama endpoint), the user's file, `CODECRUCIBLE_*`
//! variables, then command-line flags ([`Overrides`]).

pub mod address;
pub mod edit;
pub mod load;
pub mod ollama_opts;
pub mod schema;

use std::fmt;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::backend_id::{Api, BackendId};
pub use crate::keys::{KeySpec, Keys};

pub use load::{ConfigError, Overrides};
pub use ollama_opts::{KeepAlive, Think};

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct Config {
    pub hybrid: Hybrid,
    pub workspace: Workspace,
    pub sandbox: Sandbox,
    pub history: History,
    pub ui: Ui,
    /// The key bindings, per context (`[keys.global]`, `[keys.input]`, ...). The
    /// keymap itself, with its checks, is [`crate::keys::Keymap`].
    #[serde(default)]
    pub keys: Keys,
    /// The user's file this was loaded from, if it exists.
    #[serde(skip)]
    pub source: Option<PathBuf>,
}

/// What the assistant may read of the user's project.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct Workspace {
    pub max_file_kb: u64,
    pub attach_named_files: bool,
    /// Files up to this many lines are edited by rewriting them whole; longer ones with
    /// search/replace blocks (the edit format's instructions say so to the model).
    pub whole_file_lines: u64,
    /// The command `/test` runs (through `sh -c`); empty: detected from the project.
    pub test_command: String,
}

impl Workspace {
    /// `max_file_kb` in bytes: the most of one file that is read.
    pub fn max_file_bytes(&self) -> u64 {
        self.max_file_kb.saturating_mul(1024)
    }
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct Hybrid {
    pub routing: Routing,
    pub lm_studio: BackendConfig,
    pub ollama: BackendConfig,
    pub circuit_breaker: CircuitBreaker,
    pub performance: Performance,
    pub vram: Vram,
}

/// Sharing one GPU between the two servers (`[hybrid.vram]`).
#[derive(Debug, Clone, Copy, Deserialize, Serialize)]
pub struct Vram {
    /// Unload the other server's idle model when a needed one does not fit (opt-in).
    pub unload_idle: bool,
    /// How long that model must have been idle first.
    pub idle_secs: u64,
}

#[derive(Debug, Clone, Copy, Deserialize, Serialize)]
pub struct CircuitBreaker {
    pub failures: u32,
    pub window_secs: u64,
    pub cooldown_secs: u64,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct History {
    pub enabled: bool,
    pub retention_days: u64,
}

/// How commands run on the user's behalf are confined (DESIGN.md, "Acting on code").
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct Sandbox {
    /// `bwrap` or `off` (no sandbox: an explicit opt-in, warned about).
    pub mode: String,
    /// `ask` (show the command, run it on `y`) or `auto`.
    pub approval: String,
    /// Wall time, after which the whole command is killed.
    pub wall_secs: u64,
    pub cpu_secs: u64,
    /// Address space per process.
    pub memory_mb: u64,
    pub max_procs: u64,
    /// The largest file a command may write.
    pub max_file_mb: u64,
    /// Paths under the hidden home that commands may read (toolchain caches); `~/` is the
    /// home.
    pub read_only_paths: Vec<String>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct Ui {
    /// The default voice's name; empty for none.
    pub voice: String,
    /// The colour theme's name; empty to follow the terminal's background.
    pub theme: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Provider {
    Auto,
    Lmstudio,
    Ollama,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct Routing {
    pub default_provider: Provider,
    pub escalation_threshold: f64,
    pub confidence_scoring: bool,
    pub learning_enabled: bool,
    /// Check a hybrid edit draft by running the workspace's tests on a scratch copy.
    pub check_with_tests: bool,
    /// Test runs per request: the draft, its retry, the quality answer.
    pub test_attempts: u32,
    /// The time all of a request's test runs may take together.
    pub test_budget_secs: u64,
    /// Stop and escalate a hybrid draft that is clearly failing while it streams.
    pub early_escalation: bool,
    /// Run a hybrid draft's own Python examples in the sandbox to check what it claims.
    pub check_examples: bool,
}

impl Routing {
    /// Whether a draft scoring `score` is escalated: below the threshold; a threshold of 0
    /// never escalates and 1 always does, whatever the score.
    pub fn escalates(&self, score: f32) -> bool {
        let t = self.escalation_threshold;
        t >= 1.0 || (t > 0.0 && f64::from(score) < t)
    }
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct BackendConfig {
    pub api: Api,
    pub endpoint: String,
    pub enabled: bool,
    pub models: Vec<String>,
    pub task_types: Vec<String>,
    pub streaming_enabled: bool,
    pub max_concurrent: usize,
    pub api_key: Secret,
    pub allow_remote: bool,
    pub connect_timeout_ms: u64,
    pub first_token_timeout_secs: u64,
    pub idle_timeout_secs: u64,
    /// The cap on a hybrid draft's tokens when the user gave none. Only the fast server
    /// drafts, so only `[hybrid.lm_studio]` has the key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub draft_max_tokens: Option<u32>,
    /// Whether the model thinks before answering; see [`Think`].
    #[serde(default)]
    pub think: Think,
    /// Ollama only: how long the model stays loaded after a request (`keep_alive`), in one
    /// of the forms [`KeepAlive::parse`] reads. Only `[hybrid.ollama]` has the key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keep_alive: Option<String>,
    /// Ollama only: the context window every request asks for (`options.num_ctx`); 0 or
    /// absent leaves it to the size the model is loaded with.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub num_ctx: Option<u64>,
    /// Several servers for this role (`[[hybrid.lm_studio.endpoints]]`); empty: `endpoint`
    /// is the one server. Every other setting of the section is shared by them.
    #[serde(default)]
    pub endpoints: Vec<Endpoint>,
}

/// One server of a role with several (`[[hybrid.<role>.endpoints]]`).
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct Endpoint {
    pub url: String,
    /// The wire protocol; the section's `api` when unset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api: Option<Api>,
    /// Its share of the role's requests, relative to the others (see `engine/pool.rs`).
    #[serde(default = "one")]
    pub weight: f64,
    /// Requests sent to it at once; the section's `max_concurrent` when unset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_concurrent: Option<usize>,
}

fn one() -> f64 {
    1.0
}

/// One endpoint of a role as the engine uses it: the role's settings with this server's
/// address, protocol and concurrency.
#[derive(Debug, Clone)]
pub struct ResolvedEndpoint {
    pub cfg: BackendConfig,
    pub weight: f64,
}

impl BackendConfig {
    /// `keep_alive` as sent; `None` when unset or (never after the config's checks) wrong.
    pub fn keep_alive(&self) -> Option<KeepAlive> {
        KeepAlive::parse(self.keep_alive.as_deref()?).ok()
    }

    /// The configured `num_ctx`, if set.
    pub fn num_ctx(&self) -> Option<u64> {
        self.num_ctx.filter(|&n| n > 0)
    }

    /// The role's servers: each `endpoints` entry, or `endpoint` alone when there are none
    /// (configs written before several endpoints existed mean exactly what they meant).
    pub fn resolved_endpoints(&self) -> Vec<ResolvedEndpoint> {
        let single = BackendConfig {
            endpoints: Vec::new(),
            ..self.clone()
        };
        if self.endpoints.is_empty() {
            return vec![ResolvedEndpoint {
                cfg: single,
                weight: 1.0,
            }];
        }
        self.endpoints
            .iter()
            .map(|e| ResolvedEndpoint {
                cfg: BackendConfig {
                    endpoint: e.url.clone(),
                    api: e.api.unwrap_or(self.api),
                    max_concurrent: e.max_concurrent.unwrap_or(self.max_concurrent),
                    ..single.clone()
                },
                weight: e.weight,
            })
            .collect()
    }
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct Performance {
    pub cache_enabled: bool,
    pub cache_ttl_secs: u64,
    pub cache_max_mb: u64,
    pub max_answer_kb: u64,
    pub metrics_collection: bool,
    pub auto_optimization: bool,
    pub health_checking: bool,
}

/// A credential that never shows itself in `Debug` output, logs or errors.
#[derive(Clone, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(s: impl Into<String>) -> Self {
        Self(s.into())
    }
    pub fn expose(&self) -> Option<&str> {
        (!self.0.is_empty()).then_some(self.0.as_str())
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.0.is_empty() {
            "<unset>"
        } else {
            "<redacted>"
        })
    }
}

impl Default for Config {
    /// The embedded defaults, untouched by environment or files.
    fn default() -> Self {
        let table: toml::Table = toml::from_str(schema::DEFAULT_TOML).unwrap_or_default();
        // The embedded file is checked by tests; this cannot fail in a released binary.
        table
            .try_into()
            .map(|hybrid: Config| hybrid)
            .unwrap_or_else(|e| panic!("embedded config/default.toml is invalid: {e}"))
    }
}

impl Config {
    pub fn backend(&self, id: BackendId) -> &BackendConfig {
        match id {
            BackendId::Lmstudio => &self.hybrid.lm_studio,
            BackendId::Ollama => &self.hybrid.ollama,
        }
    }

    pub fn backend_mut(&mut self, id: BackendId) -> &mut BackendConfig {
        match id {
            BackendId::Lmstudio => &mut self.hybrid.lm_studio,
            BackendId::Ollama => &mut self.hybrid.ollama,
        }
    }

    /// The default voice's name from `ui.voice` (empty for none).
    pub fn default_voice(&self) -> &str {
        &self.ui.voice
    }

    /// The config section name of a backend, as the user writes it in the file.
    pub fn section(id: BackendId) -> &'static str {
        match id {
            BackendId::Lmstudio => "hybrid.lm_studio",
            BackendId::Ollama => "hybrid.ollama",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_toml_lists_every_action_with_its_built_in_keys() {
        let config = Config::default();
        for ctx in crate::keys::Context::ALL {
            let table = config.keys.context(ctx);
            let names: Vec<&str> = ctx.actions().map(crate::keys::Action::name).collect();
            let listed: Vec<&str> = table.keys().map(String::as_str).collect();
            let mut sorted = names.clone();
            sorted.sort_unstable();
            assert_eq!(listed, sorted, "[keys.{ctx}]");
            for a in ctx.actions() {
                let spec = &table[a.name()];
                assert_eq!(spec.as_slice(), a.default_keys(), "{a}");
            }
        }
        let from_file = crate::keys::Keymap::from_config(&config.keys, None).unwrap();
        assert_eq!(from_file.rows(), crate::keys::Keymap::defaults().rows());
    }

    #[test]
    fn embedded_defaults_load() {
        let c = Config::default();
        assert_eq!(c.hybrid.routing.default_provider, Provider::Auto);
        assert_eq!(c.hybrid.lm_studio.api, Api::Openai);
        assert_eq!(c.hybrid.ollama.api, Api::Ollama);
        assert!(c.hybrid.lm_studio.first_token_timeout_secs >= 300);
    }

    #[test]
    fn secrets_do_not_debug_print() {
        let s = Secret::new("sk-very-secret");
        assert!(!format!("{s:?}").contains("very"));
    }
}
