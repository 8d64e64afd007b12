//! The OpenAI-compatible protocol: LM Studio, llama.cpp's llama-server, vLLM.
//!
//! Chat streams over SSE. LM Studio's loaded-model state comes from its own REST API when
//! it has one (`/api/v1/models`, else `/api/v0/models`); llama-server is recognised by
//! `/props`. Neither is required: a plain server works from `/v1/models` alone.

use std::collections::VecDeque;
use std::sync::Arc;

use futures_util::future::BoxFuture;
use serde::Deserialize;
use serde_json::json;

use super::http::{json_error, Decoder, Http, Item};
use super::models::ModelKind;
use super::sse::{SseEvent, SseParser};
use super::{
    Backend, BackendError, BackendId, ChatRequest, EventStream, ModelInfo, ServerInfo, ServerKind,
    StreamEvent, TokenLogprob, Usage,
};
use crate::config::{BackendConfig, KeepAlive, Think};

pub struct OpenAiBackend {
    http: Arc<Http>,
    think: Think,
}

impl OpenAiBackend {
    pub fn new(id: BackendId, cfg: &BackendConfig) -> Self {
        Self {
            http: Arc::new(Http::new(id, cfg)),
            think: cfg.think,
        }
    }

    /// The `enable_thinking` switch for the chat template, which llama-server and vLLM
    /// pass to templates such as Qwen3's (LM Studio ignores it). Only to servers on this
    /// machine: a cloud API may refuse a field it does not know.
    fn enable_thinking(&self) -> Option<bool> {
        if !self.http.is_local() {
            return None;
        }
        match self.think {
            Think::Off => Some(false),
            Think::On => Some(true),
            Think::Auto => None,
        }
    }

    /// LM Studio's native load and unload routes (REST v1, LM Studio ≥ 0.4; PROTOCOLS.md
    /// §2.3). An older LM Studio or another server has no such route.
    async fn lmstudio_models_call(
        &self,
        route: &str,
        body: serde_json::Value,
        what: &str,
        model: &str,
    ) -> Result<(), BackendError> {
        let id = self.http.id;
        let wait = self.http.load_timeout();
        let (status, bytes) = self.http.post_json(route, &body, wait).await?;
        let reply = serde_json::from_slice::<serde_json::Value>(&bytes).ok();
        let message = reply.as_ref().and_then(json_error);
        let field = |k: &str| {
            let e = reply.as_ref()?.get("error")?;
            e.get(k)?.as_str().map(str::to_owned)
        };
        let model_missing = [field("code"), field("type")]
            .iter()
            .any(|f| f.as_deref() == Some("model_not_found"));
        if model_missing {
            // Not the chat error's "it has: …": a load or unload names one model only.
            return Err(BackendError::new(
                id,
                super::ErrorKind::ModelNotFound,
                format!(
                    "{} could not {what}: it has no model \"{model}\" — check the name with \
                     `lms ls`",
                    id.label()
                ),
            ));
        }
        // LM Studio answers a route it does not have with an "Unexpected endpoint" error;
        // other servers with a 404.
        let no_route = matches!(status, 404 | 405 | 501)
            || message
                .as_deref()
                .is_some_and(|m| m.contains("Unexpected endpoint"));
        if no_route {
            // Any OpenAI-compatible server may sit in this role (llama-server, vLLM): the
            // hint names what LM Studio needs without claiming the server is LM Studio.
            return Err(BackendError::unsupported(
                id,
                what,
                "the server has no load route (LM Studio 0.4 or later has one; `lms load` and \
                 `lms unload` work on any version)",
            ));
        }
        if !(200..300).contains(&status) {
            return Err(super::http::status_error(id, status, &bytes));
        }
        match message {
            Some(m) => Err(BackendError::in_stream(id, &m)),
            None => Ok(()),
        }
    }

    async fn probe_inner(&self) -> Result<ServerInfo, BackendError> {
        let list: ModelList = self.http.get("/v1/models").await.map_err(|e| {
            if e.kind == super::ErrorKind::Malformed {
                BackendError::malformed(
                    self.http.id,
                    "no OpenAI /v1/models route; if this is Ollama, set `api = \"ollama\"`",
                )
            } else {
                e
            }
        })?;
        // Optional routes: any failure just means "not this kind of server".
        let props: Option<Props> = self.http.get_optional("/props").await.ok().flatten();
        let llama = list
            .data
            .iter()
            .any(|m| m.owned_by.as_deref() == Some("llamacpp"));
        if let Some(p) = props.filter(|p| p.default_generation_settings.is_some()) {
            return Ok(llama_server_info(list, p));
        }
        if llama {
            return Ok(llama_server_info(list, Props::default()));
        }
        if let Some(v1) = self
            .http
            .get_optional::<LmV1List>("/api/v1/models")
            .await
            .ok()
            .flatten()
        {
            return Ok(lmstudio_v1_info(v1));
        }
        if let Some(v0) = self
            .http
            .get_optional::<LmV0List>("/api/v0/models")
            .await
            .ok()
            .flatten()
        {
            return Ok(lmstudio_v0_info(v0));
        }
        Ok(ServerInfo {
            kind: ServerKind::OpenaiCompatible,
            version: None,
            models: list
                .data
                .into_iter()
                .map(|m| ModelInfo::named(m.id))
                .collect(),
        })
    }
}

impl Backend for OpenAiBackend {
    fn id(&self) -> BackendId {
        self.http.id
    }

    fn endpoint(&self) -> &str {
        &self.http.configured
    }

    fn probe(&self) -> BoxFuture<'_, Result<ServerInfo, BackendError>> {
        Box::pin(self.probe_inner())
    }

    fn chat(&self, req: ChatRequest) -> EventStream {
        let body = request_body(&req, self.enable_thinking());
        let decoder = OpenAiDecoder::new(self.http.id);
        self.http
            .stream("/v1/chat/completions", req.model, body, decoder)
    }

    /// LM Studio's `POST /api/v1/models/load`. `keep_alive` has no counterpart there: a
    /// model loaded this way stays until it is unloaded.
    fn load(
        &self,
        model: String,
        _keep_alive: Option<KeepAlive>,
    ) -> BoxFuture<'_, Result<(), BackendError>> {
        Box::pin(async move {
            let body = json!({ "model": model });
            self.lmstudio_models_call("/api/v1/models/load", body, "load a model", &model)
                .await
        })
    }

    /// LM Studio's `POST /api/v1/models/unload`; the instance id of a model loaded by key
    /// is the key (PROTOCOLS.md §2.3).
    fn unload(&self, model: String) -> BoxFuture<'_, Result<(), BackendError>> {
        Box::pin(async move {
            let body = json!({ "instance_id": model });
            self.lmstudio_models_call("/api/v1/models/unload", body, "unload a model", &model)
                .await
        })
    }
}

/// The JSON body of a streamed chat completion; `enable_thinking` goes to the chat
/// template when set.
pub fn request_body(req: &ChatRequest, enable_thinking: Option<bool>) -> Vec<u8> {
    let mut body = json!({
        "model": req.model,
        "messages": req.messages,
        "stream": true,
        "stream_options": {"include_usage": true},
    });
    if req.logprobs {
        body["logprobs"] = json!(true);
        body["top_logprobs"] = json!(1);
    }
    if let Some(t) = req.temperature {
        body["temperature"] = json!(t);
    }
    if let Some(n) = req.max_tokens {
        body["max_tokens"] = json!(n);
    }
    if let Some(on) = enable_thinking {
        body["chat_template_kwargs"] = json!({ "enable_thinking": on });
    }
    serde_json::to_vec(&body).unwrap_or_default()
}

#[derive(Deserialize, Default)]
struct ModelList {
    #[serde(default)]
    data: Vec<ListedModel>,
}

#[derive(Deserialize)]
struct ListedModel {
    id: String,
    #[serde(default)]
    owned_by: Option<String>,
}

#[derive(Deserialize, Default)]
struct Props {
    #[serde(default)]
    default_generation_settings: Option<GenerationSettings>,
    #[serde(default)]
    build_info: Option<String>,
}

#[derive(Deserialize)]
struct GenerationSettings {
    #[serde(default)]
    n_ctx: Option<u64>,
}

fn llama_server_info(list: ModelList, props: Props) -> ServerInfo {
    let n_ctx = props.default_generation_settings.and_then(|g| g.n_ctx);
    ServerInfo {
        kind: ServerKind::LlamaServer,
        version: props.build_info,
        // llama-server serves the one model it was started with: it is loaded.
        models: list
            .data
            .into_iter()
            .map(|m| ModelInfo {
                kind: ModelKind::Llm,
                loaded: Some(true),
                context_length: n_ctx,
                ..ModelInfo::named(m.id)
            })
            .collect(),
    }
}

#[derive(Deserialize)]
struct LmV1List {
    models: Vec<LmV1Model>,
}

#[derive(Deserialize)]
struct LmV1Model {
    #[serde(rename = "type", default)]
    kind: String,
    key: String,
    #[serde(default)]
    loaded_instances: Vec<LmV1Instance>,
    #[serde(default)]
    max_context_length: Option<u64>,
    #[serde(default)]
    size_bytes: Option<u64>,
}

#[derive(Deserialize)]
struct LmV1Instance {
    #[serde(default)]
    config: Option<LmV1InstanceConfig>,
}

#[derive(Deserialize)]
struct LmV1InstanceConfig {
    #[serde(default)]
    context_length: Option<u64>,
}

fn lm_kind(kind: &str) -> ModelKind {
    match kind {
        "llm" | "vlm" => ModelKind::Llm,
        "embedding" | "embeddings" => ModelKind::Embedding,
        _ => ModelKind::Unknown,
    }
}

fn lmstudio_v1_info(list: LmV1List) -> ServerInfo {
    let models = list
        .models
        .into_iter()
        .map(|m| {
            let loaded_ctx = m
                .loaded_instances
                .iter()
                .find_map(|i| i.config.as_ref().and_then(|c| c.context_length));
            ModelInfo {
                kind: lm_kind(&m.kind),
                loaded: Some(!m.loaded_instances.is_empty()),
                size_bytes: m.size_bytes,
                context_length: loaded_ctx.or(m.max_context_length),
                ..ModelInfo::named(m.key)
            }
        })
        .collect();
    ServerInfo {
        kind: ServerKind::LmStudio,
        version: Some("0.4+ (REST v1)".into()),
        models,
    }
}

#[derive(Deserialize)]
struct LmV0List {
    data: Vec<LmV0Model>,
}

#[derive(Deserialize)]
struct LmV0Model {
    id: String,
    #[serde(rename = "type", default)]
    kind: String,
    #[serde(default)]
    state: Option<String>,
    #[serde(default)]
    loaded_context_length: Option<u64>,
    #[serde(default)]
    max_context_length: Option<u64>,
}

fn lmstudio_v0_info(list: LmV0List) -> ServerInfo {
    let models = list
        .data
        .into_iter()
        .map(|m| ModelInfo {
            kind: lm_kind(&m.kind),
            loaded: m.state.as_deref().map(|s| s == "loaded"),
            context_length: m.loaded_context_length.or(m.max_context_length),
            ..ModelInfo::named(m.id)
        })
        .collect();
    ServerInfo {
        kind: ServerKind::LmStudio,
        version: Some("0.3 (REST v0)".into()),
        models,
    }
}

/// Decodes `/v1/chat/completions` SSE into events.
pub struct OpenAiDecoder {
    id: BackendId,
    sse: SseParser,
    scratch: Vec<SseEvent>,
    finish_reason: Option<String>,
    /// llama-server's `timings.predicted_per_second`, merged into the usage figures.
    tokens_per_second: Option<f64>,
    /// llama-server's `timings.prompt_n + cache_n`: its `usage.prompt_tokens` leaves out
    /// the part of the prompt it had cached, which is still part of the context.
    prompt_with_cache: Option<u64>,
    /// llama-server's `timings.cache_n`: prompt tokens it did not process again.
    cached_tokens: Option<u64>,
    usage_sent: bool,
    done: bool,
}

impl OpenAiDecoder {
    pub fn new(id: BackendId) -> Self {
        Self {
            id,
            sse: SseParser::new(),
            scratch: Vec::new(),
            finish_reason: None,
            tokens_per_second: None,
            prompt_with_cache: None,
            cached_tokens: None,
            usage_sent: false,
            done: false,
        }
    }

    fn drain(&mut self, out: &mut VecDeque<Item>) {
        let events = std::mem::take(&mut self.scratch);
        for ev in &events {
            if self.done {
                break;
            }
            self.event(ev, out);
        }
        self.scratch = events;
        self.scratch.clear();
    }

    fn event(&mut self, ev: &SseEvent, out: &mut VecDeque<Item>) {
        let data = ev.data.trim();
        if ev.event.as_deref() == Some("error") {
            let msg = serde_json::from_str::<serde_json::Value>(data)
                .ok()
                .and_then(|v| {
                    json_error(&v)
                        .or_else(|| v.get("message").and_then(|m| m.as_str()).map(str::to_owned))
                })
                .unwrap_or_else(|| data.to_owned());
            return self.fail(BackendError::in_stream(self.id, &msg), out);
        }
        if data == "[DONE]" {
            if !self.usage_sent && self.tokens_per_second.is_some() {
                out.push_back(Ok(StreamEvent::Usage(Usage {
                    tokens_per_second: self.tokens_per_second,
                    cached_tokens: self.cached_tokens,
                    ..Usage::default()
                })));
            }
            out.push_back(Ok(StreamEvent::Done {
                finish_reason: self.finish_reason.take(),
            }));
            self.done = true;
            return;
        }
        match serde_json::from_str::<Chunk>(data) {
            Ok(chunk) => self.chunk(chunk, out),
            Err(e) => {
                let err = BackendError::malformed(self.id, &format!("bad stream event: {e}"));
                self.fail(err, out)
            }
        }
    }

    fn chunk(&mut self, chunk: Chunk, out: &mut VecDeque<Item>) {
        if let Some(err) = chunk.error.filter(|e| !e.is_null()) {
            let msg = json_error(&json!({ "error": err })).unwrap_or_default();
            return self.fail(BackendError::in_stream(self.id, &msg), out);
        }
        if let Some(t) = chunk.timings {
            self.tokens_per_second = t.predicted_per_second.or(self.tokens_per_second);
            if let Some(n) = t.prompt_n {
                self.prompt_with_cache = Some(n.saturating_add(t.cache_n.unwrap_or(0)));
            }
            self.cached_tokens = t.cache_n.or(self.cached_tokens);
        }
        for choice in chunk.choices {
            let mut thinking = false;
            if let Some(d) = choice.delta {
                if let Some(r) = d
                    .reasoning_content
                    .or(d.reasoning)
                    .filter(|s| !s.is_empty())
                {
                    thinking = true;
                    out.push_back(Ok(StreamEvent::Reasoning(r)));
                }
                if let Some(c) = d.content.filter(|s| !s.is_empty()) {
                    out.push_back(Ok(StreamEvent::Text(c)));
                }
            }
            // Only the answer's tokens are scored: a reasoning delta keeps its logprobs.
            if let Some(lp) = choice
                .logprobs
                .and_then(|l| l.content)
                .filter(|c| !c.is_empty() && !thinking)
            {
                out.push_back(Ok(StreamEvent::Logprobs(lp)));
            }
            if let Some(f) = choice.finish_reason {
                self.finish_reason = Some(f);
            }
        }
        if let Some(u) = chunk.usage {
            self.usage_sent = true;
            out.push_back(Ok(StreamEvent::Usage(Usage {
                input_tokens: self.prompt_with_cache.or(u.prompt_tokens),
                output_tokens: u.completion_tokens,
                tokens_per_second: self.tokens_per_second,
                cached_tokens: self
                    .cached_tokens
                    .or(u.prompt_tokens_details.and_then(|d| d.cached_tokens)),
            })));
        }
    }

    fn fail(&mut self, err: BackendError, out: &mut VecDeque<Item>) {
        self.done = true;
        out.push_back(Err(err));
    }
}

impl Decoder for OpenAiDecoder {
    fn feed(&mut self, bytes: &[u8], out: &mut VecDeque<Item>) {
        self.sse.feed(bytes, &mut self.scratch);
        self.drain(out);
        if self.sse.too_large() && !self.done {
            self.fail(super::BackendError::too_large(self.id), out);
        }
    }

    fn finish(&mut self, out: &mut VecDeque<Item>) {
        self.sse.finish(&mut self.scratch);
        self.drain(out);
        if !self.done {
            // The unterminated last line, flushed only now, can take its event past the cap.
            let err = if self.sse.too_large() {
                BackendError::too_large(self.id)
            } else {
                BackendError::cut(
                    self.id,
                    "the connection closed before the server sent [DONE]",
                )
            };
            self.fail(err, out);
        }
    }

    fn done(&self) -> bool {
        self.done
    }
}

#[derive(Deserialize)]
struct Chunk {
    #[serde(default)]
    choices: Vec<Choice>,
    #[serde(default)]
    usage: Option<RawUsage>,
    #[serde(default)]
    timings: Option<Timings>,
    #[serde(default)]
    error: Option<serde_json::Value>,
}

#[derive(Deserialize)]
struct Choice {
    #[serde(default)]
    delta: Option<Delta>,
    #[serde(default)]
    logprobs: Option<Logprobs>,
    #[serde(default)]
    finish_reason: Option<String>,
}

#[derive(Deserialize)]
struct Delta {
    #[serde(default)]
    content: Option<String>,
    #[serde(default)]
    reasoning_content: Option<String>,
    #[serde(default)]
    reasoning: Option<String>,
}

#[derive(Deserialize)]
struct Logprobs {
    #[serde(default)]
    content: Option<Vec<TokenLogprob>>,
}

#[derive(Deserialize)]
struct RawUsage {
    #[serde(default)]
    prompt_tokens: Option<u64>,
    #[serde(default)]
    completion_tokens: Option<u64>,
    /// OpenAI's (and llama-server's) count of prompt tokens served from cache.
    #[serde(default)]
    prompt_tokens_details: Option<PromptDetails>,
}

#[derive(Deserialize)]
struct PromptDetails {
    #[serde(default)]
    cached_tokens: Option<u64>,
}

#[derive(Deserialize)]
struct Timings {
    #[serde(default)]
    predicted_per_second: Option<f64>,
    #[serde(default)]
    prompt_n: Option<u64>,
    #[serde(default)]
    cache_n: Option<u64>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backend::ErrorKind;

    fn decode(chunks: &[&str]) -> Vec<Item> {
        let mut d = OpenAiDecoder::new(BackendId::Lmstudio);
        let mut out = VecDeque::new();
        for c in chunks {
            d.feed(c.as_bytes(), &mut out);
        }
        d.finish(&mut out);
        out.into_iter().collect()
    }

    #[test]
    fn text_usage_and_finish_reason() {
        let out = decode(&[
            "data: {\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":null}}]}\n\n",
            "data: {\"choices\":[{\"delta\":{\"content\":\"Hi\"},\"finish_reason\":null}]}\n\n",
            "data: {\"choices\":[{\"delta\":{},\"finish_reason\":\"length\"}],\"timings\":{\"predicted_per_second\":42.5,\"prompt_n\":2,\"cache_n\":3}}\n\n",
            "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":5,\"completion_tokens\":1,\"total_tokens\":6}}\n\n",
            "data: [DONE]\n\n",
        ]);
        assert_eq!(out[0].as_ref().unwrap(), &StreamEvent::Text("Hi".into()));
        assert_eq!(
            out[1].as_ref().unwrap(),
            &StreamEvent::Usage(Usage {
                input_tokens: Some(5),
                output_tokens: Some(1),
                tokens_per_second: Some(42.5),
                cached_tokens: Some(3),
            })
        );
        assert_eq!(
            out[2].as_ref().unwrap(),
            &StreamEvent::Done {
                finish_reason: Some("length".into())
            }
        );
    }

    #[test]
    fn an_event_past_the_cap_at_the_end_of_the_stream_is_too_large_not_cut() {
        // 3 MiB of data, then an unterminated 2 MiB line: only finish takes it past 4 MiB.
        let line = format!("data: {}\n", "a".repeat(3 << 20));
        let last = format!("data: {}", "b".repeat(2 << 20));
        let out = decode(&[&line, &last]);
        let err = out.last().unwrap().as_ref().unwrap_err();
        assert_eq!(err.kind, ErrorKind::TooLarge, "{err}");
    }

    #[test]
    fn server_token_counts_at_the_limit_do_not_overflow() {
        let out = decode(&[
            "data: {\"choices\":[{\"delta\":{\"content\":\"x\"},\"finish_reason\":\"stop\"}],\"timings\":{\"prompt_n\":18446744073709551615,\"cache_n\":18446744073709551615}}\n\n",
            "data: [DONE]\n\n",
        ]);
        assert!(out.iter().all(Result::is_ok), "{out:?}");
    }

    #[test]
    fn eof_without_done_is_an_error_after_the_text() {
        let out = decode(&["data: {\"choices\":[{\"delta\":{\"content\":\"par\"}}]}\n\n"]);
        assert_eq!(out[0].as_ref().unwrap(), &StreamEvent::Text("par".into()));
        assert_eq!(out[1].as_ref().unwrap_err().kind, ErrorKind::Truncated);
    }

    #[test]
    fn both_error_shapes_mid_stream() {
        for e in [
            r#"{"error":{"message":"boom","type":"server_error"}}"#,
            r#"{"error":"boom"}"#,
        ] {
            let out = decode(&[&format!("data: {e}\n\n")]);
            let err = out[0].as_ref().unwrap_err();
            assert_eq!(err.kind, ErrorKind::StreamError);
            assert!(err.message.contains("boom"));
            assert_eq!(out.len(), 1);
        }
    }

    #[test]
    fn logprobs_and_reasoning_are_typed() {
        let out = decode(&[
            "data: {\"choices\":[{\"delta\":{\"reasoning_content\":\"hmm\"}}]}\n\n",
            "data: {\"choices\":[{\"delta\":{\"content\":\"A\"},\"logprobs\":{\"content\":[{\"id\":5,\"token\":\"A\",\"logprob\":-0.5,\"bytes\":null,\"top_logprobs\":[]}]}}]}\n\n",
            "data: [DONE]\n\n",
        ]);
        assert_eq!(
            out[0].as_ref().unwrap(),
            &StreamEvent::Reasoning("hmm".into())
        );
        assert_eq!(
            out[2].as_ref().unwrap(),
            &StreamEvent::Logprobs(vec![TokenLogprob {
                token: "A".into(),
                logprob: -0.5
            }])
        );
    }
}
