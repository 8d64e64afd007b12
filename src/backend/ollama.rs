//! Ollama's native protocol: `/api/version`, `/api/tags`, `/api/ps`, and `/api/chat`
//! streamed as NDJSON. Durations are nanoseconds. After streaming starts the status stays
//! 200 and an error arrives as a line with an `error` key, so every line is checked.

use std::collections::VecDeque;
use std::sync::Arc;

use futures_util::future::BoxFuture;
use serde::Deserialize;
use serde_json::json;

use super::http::{json_error, Decoder, Http, Item};
use super::models::{same_model, ModelKind};
use super::ndjson::NdjsonParser;
use super::{
    Api, Backend, BackendError, BackendId, ChatRequest, EventStream, ModelInfo, ServerInfo,
    ServerKind, StreamEvent, TokenLogprob, Usage,
};
use crate::config::BackendConfig;

pub struct OllamaBackend {
    http: Arc<Http>,
}

impl OllamaBackend {
    pub fn new(id: BackendId, cfg: &BackendConfig) -> Self {
        Self {
            http: Arc::new(Http::new(id, cfg)),
        }
    }

    async fn probe_inner(&self) -> Result<ServerInfo, BackendError> {
        let (version, tags, ps) = tokio::join!(
            self.http.get::<Version>("/api/version"),
            self.http.get::<Tags>("/api/tags"),
            self.http.get_optional::<Ps>("/api/ps"),
        );
        let version = version.map_err(|e| {
            if e.kind == super::ErrorKind::Malformed {
                BackendError::malformed(
                    self.http.id,
                    "no Ollama /api/version route; if this is an OpenAI-compatible server, set `api = \"openai\"`",
                )
            } else {
                e
            }
        })?;
        let running = ps.ok().flatten().map(|p| p.models).unwrap_or_default();
        let models = tags?
            .models
            .into_iter()
            .map(|t| model_info(t, &running))
            .collect();
        Ok(ServerInfo {
            kind: ServerKind::Ollama,
            version: Some(version.version),
            models,
        })
    }
}

fn model_info(t: Tag, running: &[Running]) -> ModelInfo {
    let run = running
        .iter()
        .find(|r| same_model(Api::Ollama, &r.name, &t.name));
    let embedding_only = t.capabilities.as_ref().is_some_and(|c| {
        c.iter().any(|x| x == "embedding") && !c.iter().any(|x| x == "completion")
    });
    let remote = t
        .remote_host
        .as_deref()
        .is_some_and(|h| !h.trim().is_empty());
    ModelInfo {
        kind: if remote {
            ModelKind::Remote
        } else if embedding_only {
            ModelKind::Embedding
        } else {
            ModelKind::Llm
        },
        loaded: Some(run.is_some()),
        size_bytes: t.size,
        vram_bytes: run.and_then(|r| r.size_vram),
        context_length: run.and_then(|r| r.context_length),
        ..ModelInfo::named(t.name)
    }
}

impl Backend for OllamaBackend {
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
        let body = request_body(&req);
        let decoder = OllamaDecoder::new(self.http.id);
        self.http.stream("/api/chat", req.model, body, decoder)
    }
}

/// The JSON body of a streamed `/api/chat` request.
pub fn request_body(req: &ChatRequest) -> Vec<u8> {
    let mut options = serde_json::Map::new();
    if let Some(t) = req.temperature {
        options.insert("temperature".into(), json!(t));
    }
    if let Some(n) = req.max_tokens {
        options.insert("num_predict".into(), json!(n));
    }
    // Ollama truncates a prompt that overflows its window silently by default; we check
    // the window ourselves, so ask it to fail loudly instead.
    let mut body = json!({
        "model": req.model,
        "messages": req.messages,
        "stream": true,
        "truncate": false,
    });
    if !options.is_empty() {
        body["options"] = serde_json::Value::Object(options);
    }
    if req.logprobs {
        body["logprobs"] = json!(true);
        body["top_logprobs"] = json!(1);
    }
    serde_json::to_vec(&body).unwrap_or_default()
}

#[derive(Deserialize)]
struct Version {
    version: String,
}

#[derive(Deserialize)]
struct Tags {
    #[serde(default)]
    models: Vec<Tag>,
}

#[derive(Deserialize)]
struct Tag {
    name: String,
    /// Set for a cloud model that Ollama proxies (api/types.go, `ListModelResponse`).
    #[serde(default)]
    remote_host: Option<String>,
    #[serde(default)]
    size: Option<u64>,
    #[serde(default)]
    capabilities: Option<Vec<String>>,
}

#[derive(Deserialize)]
struct Ps {
    #[serde(default)]
    models: Vec<Running>,
}

#[derive(Deserialize)]
struct Running {
    name: String,
    #[serde(default)]
    size_vram: Option<u64>,
    #[serde(default)]
    context_length: Option<u64>,
}

/// Decodes `/api/chat` NDJSON into events.
pub struct OllamaDecoder {
    id: BackendId,
    lines: NdjsonParser,
    scratch: Vec<String>,
    done: bool,
}

impl OllamaDecoder {
    pub fn new(id: BackendId) -> Self {
        Self {
            id,
            lines: NdjsonParser::new(),
            scratch: Vec::new(),
            done: false,
        }
    }

    fn drain(&mut self, out: &mut VecDeque<Item>) {
        let lines = std::mem::take(&mut self.scratch);
        for line in &lines {
            if self.done {
                break;
            }
            self.line(line, out);
        }
        self.scratch = lines;
        self.scratch.clear();
    }

    fn line(&mut self, line: &str, out: &mut VecDeque<Item>) {
        let parsed: Line = match serde_json::from_str(line) {
            Ok(l) => l,
            Err(e) => {
                let err = BackendError::malformed(self.id, &format!("bad stream line: {e}"));
                return self.fail(err, out);
            }
        };
        if let Some(e) = parsed.error.filter(|e| !e.is_null()) {
            let msg = json_error(&json!({ "error": e })).unwrap_or_default();
            return self.fail(BackendError::in_stream(self.id, &msg), out);
        }
        if let Some(m) = parsed.message {
            if let Some(t) = m.thinking.filter(|s| !s.is_empty()) {
                out.push_back(Ok(StreamEvent::Reasoning(t)));
            }
            if let Some(c) = m.content.filter(|s| !s.is_empty()) {
                out.push_back(Ok(StreamEvent::Text(c)));
            }
        }
        if let Some(lp) = parsed.logprobs.filter(|l| !l.is_empty()) {
            out.push_back(Ok(StreamEvent::Logprobs(lp)));
        }
        if parsed.done {
            let tps = match (parsed.eval_count, parsed.eval_duration) {
                (Some(n), Some(ns)) if ns > 0 => Some(n as f64 * 1e9 / ns as f64),
                _ => None,
            };
            out.push_back(Ok(StreamEvent::Usage(Usage {
                input_tokens: parsed.prompt_eval_count,
                output_tokens: parsed.eval_count,
                tokens_per_second: tps,
                cached_tokens: None,
            })));
            out.push_back(Ok(StreamEvent::Done {
                finish_reason: parsed.done_reason.filter(|r| !r.is_empty()),
            }));
            self.done = true;
        }
    }

    fn fail(&mut self, err: BackendError, out: &mut VecDeque<Item>) {
        self.done = true;
        out.push_back(Err(err));
    }
}

impl Decoder for OllamaDecoder {
    fn feed(&mut self, bytes: &[u8], out: &mut VecDeque<Item>) {
        self.lines.feed(bytes, &mut self.scratch);
        self.drain(out);
        if self.lines.too_large() && !self.done {
            self.fail(super::BackendError::too_large(self.id), out);
        }
    }

    fn finish(&mut self, out: &mut VecDeque<Item>) {
        self.lines.finish(&mut self.scratch);
        self.drain(out);
        if !self.done {
            // The unterminated last line, flushed only now, can be past the cap as text.
            let err = if self.lines.too_large() {
                BackendError::too_large(self.id)
            } else {
                BackendError::cut(self.id, "the connection closed before the final done line")
            };
            self.fail(err, out);
        }
    }

    fn done(&self) -> bool {
        self.done
    }
}

#[derive(Deserialize)]
struct Line {
    #[serde(default)]
    message: Option<Message>,
    #[serde(default)]
    done: bool,
    #[serde(default)]
    done_reason: Option<String>,
    #[serde(default)]
    error: Option<serde_json::Value>,
    #[serde(default)]
    logprobs: Option<Vec<TokenLogprob>>,
    #[serde(default)]
    prompt_eval_count: Option<u64>,
    #[serde(default)]
    eval_count: Option<u64>,
    #[serde(default)]
    eval_duration: Option<u64>,
}

#[derive(Deserialize)]
struct Message {
    #[serde(default)]
    content: Option<String>,
    #[serde(default)]
    thinking: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backend::ErrorKind;

    fn decode(chunks: &[&str]) -> Vec<Item> {
        let mut d = OllamaDecoder::new(BackendId::Ollama);
        let mut out = VecDeque::new();
        for c in chunks {
            d.feed(c.as_bytes(), &mut out);
        }
        d.finish(&mut out);
        out.into_iter().collect()
    }

    #[test]
    fn thinking_text_and_final_stats() {
        let out = decode(&[
            "{\"model\":\"m\",\"message\":{\"role\":\"assistant\",\"content\":\"\",\"thinking\":\"hm\"},\"done\":false}\n",
            "{\"model\":\"m\",\"message\":{\"role\":\"assistant\",\"content\":\"Hi\"},\"logprobs\":[{\"token\":\"Hi\",\"logprob\":-0.1,\"bytes\":[72,105]}],\"done\":false}\n",
            "{\"model\":\"m\",\"message\":{\"role\":\"assistant\",\"content\":\"\"},\"done_reason\":\"length\",\"done\":true,\"total_duration\":182242375,\"prompt_eval_count\":169,\"eval_count\":15,\"eval_duration\":500000000}\n",
        ]);
        assert_eq!(
            out[0].as_ref().unwrap(),
            &StreamEvent::Reasoning("hm".into())
        );
        assert_eq!(out[1].as_ref().unwrap(), &StreamEvent::Text("Hi".into()));
        assert!(
            matches!(out[2].as_ref().unwrap(), StreamEvent::Logprobs(v) if v[0].logprob == -0.1)
        );
        assert_eq!(
            out[3].as_ref().unwrap(),
            &StreamEvent::Usage(Usage {
                input_tokens: Some(169),
                output_tokens: Some(15),
                tokens_per_second: Some(30.0),
                cached_tokens: None,
            })
        );
        assert_eq!(
            out[4].as_ref().unwrap(),
            &StreamEvent::Done {
                finish_reason: Some("length".into())
            }
        );
    }

    #[test]
    fn error_line_after_200_ends_the_stream() {
        let out = decode(&[
            "{\"message\":{\"content\":\"par\"},\"done\":false}\n",
            "{\"error\":\"an error was encountered while running the model\"}\n",
        ]);
        assert_eq!(out.len(), 2);
        assert_eq!(out[1].as_ref().unwrap_err().kind, ErrorKind::StreamError);
    }

    #[test]
    fn missing_done_line_is_truncation() {
        let out = decode(&["{\"message\":{\"content\":\"par\"},\"done\":false}\n"]);
        assert_eq!(out[1].as_ref().unwrap_err().kind, ErrorKind::Truncated);
    }
}
