//! Byte-exact bodies of the real protocols, following ../shared/PROTOCOLS.md, and fake
//! servers preloaded with them.
#![allow(dead_code)]

use serde_json::json;

use super::{FakeServer, Reply};

pub fn sse(data: &serde_json::Value) -> Vec<u8> {
    format!("data: {data}\n\n").into_bytes()
}

/// An LM Studio chat stream: a first chunk with the role, content chunks with
/// `"logprobs":null`, a finish chunk with `delta:{}`, the usage chunk, `[DONE]`.
pub fn lmstudio_stream(model: &str, tokens: &[&str], finish: &str) -> Vec<Vec<u8>> {
    let chunk = |delta: serde_json::Value, finish: Option<&str>| {
        sse(&json!({
            "id": "chatcmpl-um3b", "object": "chat.completion.chunk", "created": 1747835957,
            "model": model, "system_fingerprint": model,
            "choices": [{"index": 0, "delta": delta, "logprobs": null, "finish_reason": finish}]
        }))
    };
    let mut out = vec![chunk(json!({"role": "assistant", "content": ""}), None)];
    for t in tokens {
        out.push(chunk(json!({"content": t}), None));
    }
    out.push(chunk(json!({}), Some(finish)));
    out.push(sse(&json!({
        "id": "chatcmpl-um3b", "object": "chat.completion.chunk", "created": 1747835957,
        "model": model, "choices": [],
        "usage": {"prompt_tokens": 12, "completion_tokens": tokens.len(), "total_tokens": 12 + tokens.len()}
    })));
    out.push(b"data: [DONE]\n\n".to_vec());
    out
}

/// A llama-server chat stream: role chunk with null content, content chunks carrying
/// logprobs (with token ids), a finish chunk with `timings`, the usage chunk, `[DONE]`.
pub fn llama_stream(tokens: &[&str], finish: &str) -> Vec<Vec<u8>> {
    let base = |choices: serde_json::Value| json!({"id": "chatcmpl-x", "object": "chat.completion.chunk", "created": 1, "model": "gemma", "system_fingerprint": "b1-abc", "choices": choices});
    let mut out = vec![sse(&base(
        json!([{"index": 0, "delta": {"role": "assistant", "content": null}, "finish_reason": null}]),
    ))];
    for (i, t) in tokens.iter().enumerate() {
        let lp = json!({"content": [{"id": i, "token": t, "bytes": t.as_bytes(), "logprob": -0.25,
            "top_logprobs": [{"id": i, "token": t, "bytes": t.as_bytes(), "logprob": -0.25}]}]});
        out.push(sse(&base(
            json!([{"index": 0, "delta": {"content": t}, "logprobs": lp, "finish_reason": null}]),
        )));
    }
    let mut fin = base(json!([{"index": 0, "delta": {}, "finish_reason": finish}]));
    fin["timings"] = json!({"cache_n": 0, "prompt_n": 9, "prompt_ms": 20.0, "prompt_per_token_ms": 2.2,
        "prompt_per_second": 450.0, "predicted_n": tokens.len(), "predicted_ms": 100.0,
        "predicted_per_token_ms": 10.0, "predicted_per_second": 44.5});
    out.push(sse(&fin));
    out.push(sse(&json!({"id": "chatcmpl-x", "object": "chat.completion.chunk", "created": 1, "model": "gemma",
        "choices": [], "usage": {"completion_tokens": tokens.len(), "prompt_tokens": 9, "total_tokens": 9 + tokens.len()}})));
    out.push(b"data: [DONE]\n\n".to_vec());
    out
}

pub fn openai_models(ids: &[&str], owned_by: &str) -> String {
    let data: Vec<_> = ids
        .iter()
        .map(|id| json!({"id": id, "object": "model", "owned_by": owned_by}))
        .collect();
    json!({"object": "list", "data": data}).to_string()
}

/// LM Studio's `/api/v1/models`; `loaded` names get a loaded instance.
pub fn lmstudio_v1_models(models: &[(&str, &str)], loaded: &[&str]) -> String {
    let list: Vec<_> = models
        .iter()
        .map(|(key, kind)| {
            let inst = if loaded.contains(key) {
                json!([{"id": key, "config": {"context_length": 8192}}])
            } else {
                json!([])
            };
            json!({"type": kind, "publisher": "lmstudio-community", "key": key, "display_name": key,
                "size_bytes": 4_000_000_000u64, "params_string": "7B", "loaded_instances": inst,
                "max_context_length": 131072, "format": "gguf"})
        })
        .collect();
    json!({"models": list}).to_string()
}

/// A fake LM Studio ≥ 0.4 serving `model` (loaded) plus an embedding model.
pub fn fake_lmstudio(model: &str, tokens: &[&str]) -> FakeServer {
    let s = FakeServer::start();
    s.on(
        "GET",
        "/v1/models",
        Reply::json(
            200,
            &openai_models(&[model, "text-embedding-nomic"], "organization_owner"),
        ),
    );
    s.on(
        "GET",
        "/api/v1/models",
        Reply::json(
            200,
            &lmstudio_v1_models(
                &[("text-embedding-nomic", "embedding"), (model, "llm")],
                &[model, "text-embedding-nomic"],
            ),
        ),
    );
    let parts = lmstudio_stream(model, tokens, "stop");
    s.on(
        "POST",
        "/v1/chat/completions",
        Reply::sse(parts.iter().map(|p| p.as_slice()).collect()),
    );
    s
}

pub fn ollama_tags(names: &[&str]) -> String {
    let models: Vec<_> = names
        .iter()
        .map(|n| json!({"name": n, "model": n, "modified_at": "2025-10-01T10:00:00Z", "size": 4_700_000_000u64,
            "digest": "abc123", "details": {"format": "gguf", "family": "llama", "parameter_size": "8.0B", "quantization_level": "Q4_K_M"}}))
        .collect();
    json!({"models": models}).to_string()
}

pub fn ollama_ps(names: &[&str]) -> String {
    let models: Vec<_> = names
        .iter()
        .map(|n| {
            json!({"name": n, "model": n, "size": 6591830464u64, "digest": "c6eb396d",
            "details": {"format": "gguf"}, "expires_at": "2025-10-17T16:47:07.93355-07:00",
            "size_vram": 5333539264u64, "context_length": 4096})
        })
        .collect();
    json!({"models": models}).to_string()
}

/// Ollama `/api/chat` lines: content chunks, then the final `done: true` line with stats.
pub fn ollama_chat(model: &str, tokens: &[&str], done_reason: &str) -> Vec<Vec<u8>> {
    let mut out: Vec<Vec<u8>> = tokens
        .iter()
        .map(|t| {
            let mut line =
                json!({"model": model, "created_at": "2023-08-04T08:52:19.385406455-07:00",
                "message": {"role": "assistant", "content": t, "images": null}, "done": false})
                .to_string();
            line.push('\n');
            line.into_bytes()
        })
        .collect();
    let mut fin = json!({"model": model, "created_at": "2025-07-07T20:22:19.19314Z",
        "message": {"role": "assistant", "content": ""}, "done_reason": done_reason, "done": true,
        "total_duration": 182242375u64, "load_duration": 41295167u64, "prompt_eval_count": 169,
        "prompt_eval_duration": 24573166u64, "eval_count": tokens.len(), "eval_duration": 115959084u64})
    .to_string();
    fin.push('\n');
    out.push(fin.into_bytes());
    out
}

/// A fake Ollama with `names` pulled, the first one loaded.
pub fn fake_ollama(names: &[&str], tokens: &[&str]) -> FakeServer {
    let s = FakeServer::start();
    s.gin_404s();
    s.on(
        "GET",
        "/api/version",
        Reply::json(200, r#"{"version":"0.12.11"}"#),
    );
    s.on("GET", "/api/tags", Reply::json(200, &ollama_tags(names)));
    s.on("GET", "/api/ps", Reply::json(200, &ollama_ps(&names[..1])));
    let parts = ollama_chat(names[0], tokens, "stop");
    s.on(
        "POST",
        "/api/chat",
        Reply::ndjson(parts.iter().map(|p| p.as_slice()).collect()),
    );
    s
}

/// One model as Ollama's `/api/tags` lists it, for fakes of any Ollama version.
#[derive(Clone, Debug)]
pub struct OllamaModel {
    pub name: String,
    pub family: String,
    pub size: u64,
    /// Listed from Ollama 0.30 on; `None` is an older Ollama.
    pub capabilities: Option<Vec<String>>,
    /// A cloud model that Ollama proxies to ollama.com.
    pub remote: bool,
}

impl OllamaModel {
    /// A local chat model as Ollama < 0.30 lists it: no capabilities.
    pub fn chat(name: &str) -> Self {
        Self {
            name: name.into(),
            family: "llama".into(),
            size: 4_920_753_328,
            capabilities: None,
            remote: false,
        }
    }

    /// An embedding model as Ollama < 0.30 lists it: only its family tells.
    pub fn embedding(name: &str, family: &str) -> Self {
        Self {
            family: family.into(),
            size: 274_302_450,
            ..Self::chat(name)
        }
    }

    pub fn cloud(name: &str) -> Self {
        Self {
            remote: true,
            size: 384,
            ..Self::chat(name)
        }
    }

    pub fn with_capabilities(mut self, caps: &[&str]) -> Self {
        self.capabilities = Some(caps.iter().map(|c| c.to_string()).collect());
        self
    }

    pub fn tag(&self) -> serde_json::Value {
        let mut t = json!({"name": self.name, "model": self.name, "modified_at": "2025-10-01T10:00:00Z",
            "size": self.size, "digest": format!("sha256-{}", self.name.len()),
            "details": {"parent_model": "", "format": "gguf", "family": self.family, "families": [self.family],
                "parameter_size": "8.0B", "quantization_level": "Q4_K_M"}});
        if let Some(c) = &self.capabilities {
            t["capabilities"] = json!(c);
        }
        if self.remote {
            t["remote_model"] = json!(self.name.trim_end_matches("-cloud"));
            t["remote_host"] = json!("https://ollama.com:443");
        }
        t
    }
}

pub fn ollama_tags_of(models: &[OllamaModel]) -> String {
    let list: Vec<_> = models.iter().map(OllamaModel::tag).collect();
    json!({ "models": list }).to_string()
}

/// `/api/ps` with each model's loaded window, total size (KV cache included) and VRAM part.
pub fn ollama_ps_of(models: &[(&str, u64, u64, u64)]) -> String {
    let list: Vec<_> = models
        .iter()
        .map(|(n, ctx, size, vram)| {
            json!({"name": n, "model": n, "size": size, "digest": "c6eb396d",
                "details": {"format": "gguf", "family": "llama"}, "expires_at": "2025-10-17T16:47:07.93355-07:00",
                "size_vram": vram, "context_length": ctx})
        })
        .collect();
    json!({ "models": list }).to_string()
}

/// `/api/show` for a llama-architecture model: `max_ctx` trained, `num_ctx` in its
/// parameters if given, and capabilities where the Ollama version lists them.
pub fn ollama_show(max_ctx: u64, num_ctx: Option<u64>, caps: Option<&[&str]>) -> String {
    let parameters = match num_ctx {
        Some(n) => format!(
            "num_ctx                        {n}\nstop                           \"<|eot_id|>\""
        ),
        None => "stop                           \"<|eot_id|>\"".into(),
    };
    let mut v = json!({"license": "", "modelfile": "# Modelfile generated by \"ollama show\"", "parameters": parameters,
        "template": "{{ .Prompt }}", "details": {"parent_model": "", "format": "gguf", "family": "llama", "families": ["llama"],
            "parameter_size": "8.0B", "quantization_level": "Q4_K_M"},
        "model_info": {"general.architecture": "llama", "general.parameter_count": 8030261248u64,
            "llama.attention.head_count": 32, "llama.attention.head_count_kv": 8, "llama.block_count": 32,
            "llama.context_length": max_ctx, "llama.embedding_length": 4096, "llama.vocab_size": 128256},
        "modified_at": "2025-10-01T10:00:00Z"});
    if let Some(c) = caps {
        v["capabilities"] = json!(c);
    }
    v.to_string()
}

/// The 400 of Ollama 0.12–0.29 for a prompt past the window with `truncate: false`.
pub const OLLAMA_OVERFLOW_OLD: &str = r#"{"error":"the input length exceeds the context length"}"#;

/// The same from Ollama 0.30 on: the runner's (llama-server's) JSON error as a string.
pub const OLLAMA_OVERFLOW_NEW: &str = r#"{"error":"{\"code\":400,\"message\":\"the request exceeds the available context size, try increasing it\",\"type\":\"exceed_context_size_error\",\"n_prompt_tokens\":9123,\"n_ctx\":4096}"}"#;

/// `/api/chat` lines with thinking first (its lines carry logprobs too, as Ollama's do),
/// then the answer, then the done line.
pub fn ollama_thinking_chat(model: &str, thoughts: &[&str], tokens: &[&str]) -> Vec<Vec<u8>> {
    let line = |message: serde_json::Value, lp: f64, token: &str| {
        let mut l = json!({"model": model, "created_at": "2025-08-04T08:52:19.385406455-07:00", "message": message,
            "logprobs": [{"token": token, "logprob": lp, "bytes": token.as_bytes(), "top_logprobs": [{"token": token, "logprob": lp, "bytes": token.as_bytes()}]}],
            "done": false})
        .to_string();
        l.push('\n');
        l.into_bytes()
    };
    let mut out: Vec<Vec<u8>> = thoughts
        .iter()
        .map(|t| {
            line(
                json!({"role": "assistant", "content": "", "thinking": t}),
                -6.5,
                t,
            )
        })
        .collect();
    out.extend(
        tokens
            .iter()
            .map(|t| line(json!({"role": "assistant", "content": t}), -0.02, t)),
    );
    let done = ollama_chat(model, &[], "stop");
    out.extend(done);
    out
}

/// `/api/chat` lines ending without a done line: Ollama's token-repeat abort closes the
/// stream cleanly after the last token (PROTOCOLS.md §1.7).
pub fn ollama_chat_without_done(model: &str, tokens: &[&str]) -> Vec<Vec<u8>> {
    let mut lines = ollama_chat(model, tokens, "stop");
    lines.pop();
    lines
}

/// A fake Ollama of any version: `models` listed, `loaded` in `/api/ps` as (name, window,
/// size, size_vram), `/api/show` for every model, and unknown routes answered as gin does.
pub fn fake_ollama_with(
    version: &str,
    models: &[OllamaModel],
    loaded: &[(&str, u64, u64, u64)],
    show: &str,
    tokens: &[&str],
) -> FakeServer {
    let s = FakeServer::start();
    s.gin_404s();
    s.on(
        "GET",
        "/api/version",
        Reply::json(200, &json!({ "version": version }).to_string()),
    );
    s.on(
        "GET",
        "/api/tags",
        Reply::json(200, &ollama_tags_of(models)),
    );
    s.on("GET", "/api/ps", Reply::json(200, &ollama_ps_of(loaded)));
    s.on("POST", "/api/show", Reply::json(200, show));
    let name = models.first().map_or("m", |m| m.name.as_str());
    let parts = ollama_chat(name, tokens, "stop");
    s.on(
        "POST",
        "/api/chat",
        Reply::ndjson(parts.iter().map(|p| p.as_slice()).collect()),
    );
    s
}

/// A fake llama-server: `/v1/models` with `owned_by: llamacpp`, `/props`, and a stream.
pub fn fake_llama_server(tokens: &[&str]) -> FakeServer {
    let s = FakeServer::start();
    let models = json!({"object": "list", "data": [{"id": "gemma-3-270m-it-Q4_K_M.gguf", "object": "model", "created": 1,
        "owned_by": "llamacpp", "meta": {"vocab_type": 1, "n_vocab": 262144, "n_ctx_train": 32768, "n_embd": 640, "n_params": 268098176u64, "size": 253231104u64}}]});
    s.on("GET", "/v1/models", Reply::json(200, &models.to_string()));
    let props = json!({"default_generation_settings": {"n_ctx": 4096, "params": {}}, "total_slots": 1,
        "model_path": "/models/gemma.gguf", "chat_template": "", "modalities": {"vision": false}, "build_info": "b6100-abc", "is_sleeping": false});
    s.on("GET", "/props", Reply::json(200, &props.to_string()));
    let parts = llama_stream(tokens, "stop");
    s.on(
        "POST",
        "/v1/chat/completions",
        Reply::sse(parts.iter().map(|p| p.as_slice()).collect()),
    );
    s
}

/// A config file pointing both backends at the given URLs (or refused ports).
pub fn write_config(
    dir: &std::path::Path,
    lmstudio: &str,
    ollama: &str,
    extra: &str,
) -> std::path::PathBuf {
    let path = dir.join("config.toml");
    let text = format!(
        "[hybrid.lm_studio]\nendpoint = \"{lmstudio}\"\nfirst_token_timeout_secs = 5\nidle_timeout_secs = 5\n\n\
         [hybrid.ollama]\nendpoint = \"{ollama}\"\nfirst_token_timeout_secs = 5\nidle_timeout_secs = 5\n{extra}"
    );
    std::fs::write(&path, text).expect("write config");
    path
}

/// A loopback port with nothing listening.
pub fn refused_url() -> String {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = l.local_addr().expect("addr").port();
    drop(l);
    format!("http://127.0.0.1:{port}")
}
