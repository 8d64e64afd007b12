//! What Ollama's `POST /api/show` says about a model that matters before it is loaded: the
//! window it will get, whether it thinks or only embeds, and what its KV cache costs per
//! token. Pure: the JSON comes in as data (PROTOCOLS.md §1.5).

use serde::Deserialize;
use serde_json::{Map, Value};

/// The window Ollama gives a model when neither the request nor the model's own
/// parameters set one: 4096 tokens below 24 GiB of VRAM (PROTOCOLS.md §1.2, §1.7). More
/// VRAM gets more, so this is the safe side: at worst a cold start trims more than it had to.
pub const OLLAMA_DEFAULT_CTX: u64 = 4096;

/// The facts of one model, as far as `/api/show` gave them.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ShowFacts {
    /// `model_info["<arch>.context_length"]`: the most the model was trained for. Ollama
    /// loads a model with at most this, whatever `num_ctx` asks.
    pub max_ctx: Option<u64>,
    /// `num_ctx` from the model's own parameters (its Modelfile).
    pub param_ctx: Option<u64>,
    /// `capabilities` (`completion`, `embedding`, `thinking`, ...), where the server lists them.
    pub capabilities: Option<Vec<String>>,
    /// `details.family` and `details.families`.
    pub families: Vec<String>,
    pub kv_bytes_per_token: Option<u64>,
}

#[derive(Deserialize)]
struct Show {
    #[serde(default)]
    parameters: Option<String>,
    #[serde(default)]
    model_info: Option<Map<String, Value>>,
    #[serde(default)]
    capabilities: Option<Vec<String>>,
    #[serde(default)]
    details: Option<Details>,
}

#[derive(Deserialize, Default)]
pub(crate) struct Details {
    #[serde(default)]
    pub family: Option<String>,
    #[serde(default)]
    pub families: Option<Vec<String>>,
}

impl Details {
    pub fn all(&self) -> Vec<String> {
        let mut out: Vec<String> = self.family.iter().cloned().collect();
        out.extend(self.families.iter().flatten().cloned());
        out
    }
}

impl ShowFacts {
    /// Reads a `/api/show` body; `None` when it is not one.
    pub fn parse(body: &[u8]) -> Option<Self> {
        let show: Show = serde_json::from_slice(body).ok()?;
        let info = show.model_info.unwrap_or_default();
        let arch = info
            .get("general.architecture")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        let num = |key: &str| info.get(&format!("{arch}.{key}")).and_then(largest);
        Some(Self {
            max_ctx: num("context_length"),
            param_ctx: show.parameters.as_deref().and_then(param_num_ctx),
            capabilities: show.capabilities,
            families: show.details.unwrap_or_default().all(),
            kv_bytes_per_token: kv_bytes_per_token(&num),
        })
    }
}

/// A number, or the largest of an array of them (some architectures give per-layer counts).
fn largest(v: &Value) -> Option<u64> {
    match v {
        Value::Array(a) => a.iter().filter_map(Value::as_u64).max(),
        other => other.as_u64(),
    }
}

/// `num_ctx` in the `parameters` text: one `name value` pair a line.
fn param_num_ctx(parameters: &str) -> Option<u64> {
    parameters.lines().find_map(|line| {
        let mut words = line.split_whitespace();
        (words.next() == Some("num_ctx"))
            .then(|| words.next()?.parse().ok())
            .flatten()
    })
}

/// KV-cache bytes per token: each layer keeps a key and a value vector per KV head, in
/// f16 (Ollama's default cache type), so
/// `block_count × head_count_kv × (key_length + value_length) × 2 bytes`.
/// `key_length` defaults to `embedding_length / head_count`, as in llama.cpp. Sliding-window
/// layers keep less; counting them whole errs on the side of "does not fit".
fn kv_bytes_per_token(num: &dyn Fn(&str) -> Option<u64>) -> Option<u64> {
    let layers = num("block_count")?;
    let heads = num("attention.head_count")?.max(1);
    let kv_heads = num("attention.head_count_kv").unwrap_or(heads);
    let head_dim = num("embedding_length").map(|e| e / heads);
    let key = num("attention.key_length").or(head_dim)?;
    let value = num("attention.value_length").unwrap_or(key);
    layers
        .checked_mul(kv_heads)?
        .checked_mul(key.checked_add(value)?)?
        .checked_mul(2)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_show_body_gives_window_capabilities_and_kv_cost() {
        // llama3.1:8b as Ollama describes it (trimmed).
        let body = br#"{"modelfile":"FROM x","parameters":"num_ctx                        8192\nstop                           \"<|eot_id|>\"","template":"",
            "details":{"parent_model":"","format":"gguf","family":"llama","families":["llama"],"parameter_size":"8.0B","quantization_level":"Q4_K_M"},
            "model_info":{"general.architecture":"llama","general.parameter_count":8030261248,"llama.attention.head_count":32,
              "llama.attention.head_count_kv":8,"llama.block_count":32,"llama.context_length":131072,"llama.embedding_length":4096},
            "capabilities":["completion","tools"],"modified_at":"2025-01-01T00:00:00Z"}"#;
        let f = ShowFacts::parse(body).unwrap();
        assert_eq!(f.max_ctx, Some(131072));
        assert_eq!(f.param_ctx, Some(8192));
        assert_eq!(f.capabilities.as_deref().unwrap(), ["completion", "tools"]);
        assert_eq!(f.families, ["llama", "llama"]);
        // 32 layers × 8 KV heads × (128 + 128) × 2 bytes = 128 KiB a token.
        assert_eq!(f.kv_bytes_per_token, Some(131_072));
    }

    #[test]
    fn an_old_show_body_without_capabilities_or_model_info_still_parses() {
        let f = ShowFacts::parse(br#"{"modelfile":"","parameters":"","template":""}"#).unwrap();
        assert_eq!(f, ShowFacts::default());
        assert!(ShowFacts::parse(b"404 page not found").is_none());
    }
}
