//! Which model a request uses, and why. Pure: the server's list comes in as data.

use serde::{Deserialize, Serialize};

use super::{Api, BackendError, BackendId, ErrorKind};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ModelKind {
    Llm,
    Embedding,
    Unknown,
    /// Answered on another machine: the server proxies it (Ollama's cloud models, which
    /// `/api/tags` lists with a `remote_host`). Using one sends the conversation off the
    /// machine however local the endpoint is, so it is never picked on its own and needs
    /// `allow_remote` when asked for.
    Remote,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelInfo {
    pub name: String,
    pub kind: ModelKind,
    /// `None` when the server cannot say (a plain OpenAI-compatible server).
    pub loaded: Option<bool>,
    pub size_bytes: Option<u64>,
    pub vram_bytes: Option<u64>,
    /// The context window it is loaded with; for a model not loaded, the window it will
    /// be loaded with where the server lets us know it (Ollama), else its maximum.
    pub context_length: Option<u64>,
    /// What the server holds for the loaded model in all, KV cache included (Ollama's
    /// `/api/ps` `size`); `vram_bytes` below it means part of the model runs on the CPU.
    #[serde(default)]
    pub resident_bytes: Option<u64>,
    /// KV-cache bytes per token of context, from the model's architecture when the server
    /// describes it (Ollama's `/api/show`): what a window costs on top of the weights.
    #[serde(default)]
    pub kv_bytes_per_token: Option<u64>,
}

impl ModelInfo {
    pub fn named(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            kind: ModelKind::Unknown,
            loaded: None,
            size_bytes: None,
            vram_bytes: None,
            context_length: None,
            resident_bytes: None,
            kv_bytes_per_token: None,
        }
    }
}

/// Model families that embed text rather than chat. Ollama before 0.30 lists no
/// `capabilities` in `/api/tags` (PROTOCOLS.md §1.7), so an embedding model looks like any
/// other there, and chatting with one answers 400 "does not support chat".
const EMBEDDING_FAMILIES: &[&str] = &[
    "bert",
    "nomic-bert",
    "nomic-bert-moe",
    "jina-bert-v2",
    "xlm-roberta",
];

/// True when a model's families or name say it embeds: a BERT-like family, or `embed` in
/// the name (nomic-embed-text, mxbai-embed-large, qwen3-embedding, embeddinggemma).
pub fn looks_like_embedding(name: &str, families: &[&str]) -> bool {
    let name = name.to_ascii_lowercase();
    families
        .iter()
        .any(|f| EMBEDDING_FAMILIES.contains(&f.to_ascii_lowercase().as_str()))
        || name.contains("embed")
}

/// The model picked for a request and the reason, for the status line and `--json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelChoice {
    pub name: String,
    pub reason: String,
}

/// True when two names mean the same model. Ollama's `x` is `x:latest`.
pub fn same_model(api: Api, a: &str, b: &str) -> bool {
    match api {
        Api::Ollama => ollama_canonical(a) == ollama_canonical(b),
        Api::Openai => a == b || a.eq_ignore_ascii_case(b),
    }
}

pub(crate) fn ollama_canonical(name: &str) -> String {
    let name = name.trim().to_ascii_lowercase();
    // A tag follows the last ':' unless that colon belongs to a registry host:port.
    let last = name.rsplit('/').next().unwrap_or(&name);
    if last.contains(':') {
        name
    } else {
        format!("{name}:latest")
    }
}

/// Picks a model: an explicit `--model` (which must exist), else the first preference the
/// server has, else a loaded chat model, else the first chat model listed.
pub fn choose(
    backend: BackendId,
    api: Api,
    explicit: Option<&str>,
    preferences: &[String],
    models: &[ModelInfo],
) -> Result<ModelChoice, BackendError> {
    let find = |want: &str| models.iter().find(|m| same_model(api, &m.name, want));
    if let Some(want) = explicit {
        return match find(want) {
            Some(m) => Ok(choice(&m.name, "you asked for it")),
            None => Err(unknown_model(backend, api, want, models)),
        };
    }
    if let Some(m) = preferences.iter().find_map(|p| find(p)) {
        return Ok(choice(
            &m.name,
            "first of your preferred models the server has",
        ));
    }
    let chat: Vec<&ModelInfo> = models
        .iter()
        .filter(|m| !matches!(m.kind, ModelKind::Embedding | ModelKind::Remote))
        .collect();
    let missed = if preferences.is_empty() {
        String::new()
    } else {
        format!(
            "none of your preferred models ({}) is there; ",
            preferences.join(", ")
        )
    };
    if let Some(m) = chat.iter().find(|m| m.loaded == Some(true)) {
        return Ok(choice(
            &m.name,
            &format!("{missed}it is the model loaded now"),
        ));
    }
    if let Some(m) = chat.first() {
        return Ok(choice(
            &m.name,
            &format!("{missed}first model the server lists"),
        ));
    }
    Err(BackendError::new(
        backend,
        ErrorKind::ModelNotFound,
        format!(
            "{} has no chat model — {}",
            backend.label(),
            match api {
                Api::Ollama => "pull one with `ollama pull qwen2.5-coder`",
                Api::Openai => "download and load one (LM Studio: `lms get` then `lms load`)",
            }
        ),
    ))
}

fn choice(name: &str, reason: &str) -> ModelChoice {
    ModelChoice {
        name: name.to_owned(),
        reason: reason.to_owned(),
    }
}

/// "Ollama has no model "x"; it has: a, b — run `ollama pull x`".
pub fn unknown_model(
    backend: BackendId,
    api: Api,
    want: &str,
    models: &[ModelInfo],
) -> BackendError {
    let have: Vec<&str> = models.iter().map(|m| m.name.as_str()).collect();
    let have = if have.is_empty() {
        "none".to_owned()
    } else {
        have.join(", ")
    };
    let hint = match api {
        Api::Ollama => format!("run `ollama pull {want}` or pick one of those"),
        Api::Openai => "pick one of those, or download it into the server first".to_owned(),
    };
    BackendError::new(
        backend,
        ErrorKind::ModelNotFound,
        format!(
            "{} has no model \"{want}\"; it has: {have} — {hint}",
            backend.label()
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(name: &str, kind: ModelKind, loaded: Option<bool>) -> ModelInfo {
        ModelInfo {
            kind,
            loaded,
            ..ModelInfo::named(name)
        }
    }

    #[test]
    fn ollama_latest_tag_is_implied() {
        assert!(same_model(Api::Ollama, "llama3.2", "llama3.2:latest"));
        assert!(!same_model(Api::Ollama, "llama3.2:1b", "llama3.2:latest"));
        assert!(same_model(
            Api::Ollama,
            "host:5000/ns/m",
            "host:5000/ns/m:latest"
        ));
    }

    #[test]
    fn preference_beats_loaded_beats_first() {
        let models = vec![
            m("embed", ModelKind::Embedding, Some(true)),
            m("a", ModelKind::Llm, Some(false)),
            m("b", ModelKind::Llm, Some(true)),
            m("c:latest", ModelKind::Llm, Some(false)),
        ];
        let c = choose(
            BackendId::Ollama,
            Api::Ollama,
            None,
            &["zz".into(), "c".into()],
            &models,
        )
        .unwrap();
        assert_eq!(c.name, "c:latest");
        let c = choose(
            BackendId::Ollama,
            Api::Ollama,
            None,
            &["zz".into()],
            &models,
        )
        .unwrap();
        assert_eq!(c.name, "b");
        assert!(c.reason.contains("zz"));
        let unloaded: Vec<_> = models
            .iter()
            .map(|x| ModelInfo {
                loaded: Some(false),
                ..x.clone()
            })
            .collect();
        let c = choose(BackendId::Ollama, Api::Ollama, None, &[], &unloaded).unwrap();
        assert_eq!(c.name, "a", "embedding models are never chosen for chat");
    }

    #[test]
    fn embedding_models_are_known_by_family_or_name() {
        assert!(looks_like_embedding("all-minilm:latest", &["bert"]));
        assert!(looks_like_embedding("nomic-embed-text", &["nomic-bert"]));
        assert!(looks_like_embedding("mxbai-embed-large:335m", &[]));
        assert!(looks_like_embedding("Qwen3-Embedding:0.6b", &["qwen3"]));
        assert!(!looks_like_embedding("qwen2.5-coder:7b", &["qwen2"]));
        assert!(!looks_like_embedding("llama3.2", &["llama"]));
    }

    #[test]
    fn an_unknown_explicit_model_names_the_real_ones() {
        let models = vec![m("qwen", ModelKind::Llm, None)];
        let e = choose(BackendId::Ollama, Api::Ollama, Some("gpt"), &[], &models).unwrap_err();
        assert_eq!(e.kind, ErrorKind::ModelNotFound);
        assert!(e.message.contains("qwen") && e.message.contains("ollama pull gpt"));
    }
}
