//! Ollama's native protocol: `/api/version`, `/api/tags`, `/api/ps`, `/api/show`, and
//! `/api/chat` streamed as NDJSON. Durations are nanoseconds. After streaming starts the
//! status stays 200 and an error arrives as a line with an `error` key, so every line is
//! checked.
//!
//! What real Ollama does beyond its docs (PROTOCOLS.md §1.7) shapes the requests: a change
//! of `num_ctx` reloads the model, so every request for a model sends the same one; context
//! shift and truncation are off, so an overflow is an error and a full window ends with
//! `length`; `keep_alive` keeps the quality model resident.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::future::BoxFuture;
use futures_util::StreamExt;
use serde::Deserialize;
use serde_json::json;

use super::http::{json_error, status_error, Decoder, Http, Item};
use super::models::{looks_like_embedding, ollama_canonical, same_model, ModelKind};
use super::ndjson::NdjsonParser;
use super::ollama_show::{Details, ShowFacts, OLLAMA_DEFAULT_CTX};
use super::{
    Api, Backend, BackendError, BackendId, ChatRequest, ErrorKind, EventStream, ModelInfo,
    ServerInfo, ServerKind, StreamEvent, TokenLogprob, Usage,
};
use crate::config::{BackendConfig, KeepAlive, Think};

/// `/api/show` is asked once per model version; a library of many models is asked a few
/// at a time, and at most this many per probe (the rest on later probes).
const SHOWS_PER_PROBE: usize = 32;
const SHOWS_AT_ONCE: usize = 4;
const SHOW_TIMEOUT: Duration = Duration::from_secs(10);

/// The finish reason of a stream that Ollama ended cleanly without its `done` line: the
/// runner's token-repeat abort (PROTOCOLS.md §1.7). The confidence scorer reads it as a
/// model that looped.
pub const FINISH_REPEAT: &str = "repeat";

pub struct OllamaBackend {
    http: Arc<Http>,
    keep_alive: Option<KeepAlive>,
    num_ctx: Option<u64>,
    think: Think,
    /// What is known of each model (by canonical name) beyond one probe.
    facts: Mutex<HashMap<String, Facts>>,
}

#[derive(Debug, Clone, Default)]
struct Facts {
    /// `/api/show` for this digest of the model: asked once, kept (even when it said
    /// nothing) until the model changes.
    show: Option<(String, ShowFacts)>,
    /// `/api/tags` capabilities (Ollama ≥ 0.30).
    capabilities: Option<Vec<String>>,
    /// The window the model was seen loaded with, last probe.
    loaded_ctx: Option<u64>,
    /// The `num_ctx` sent for this model, fixed at the first request that had one to send:
    /// never recomputed, so no request of ours reloads the model (PROTOCOLS.md §1.7).
    pinned_ctx: Option<u64>,
}

impl Facts {
    fn show(&self) -> Option<&ShowFacts> {
        self.show.as_ref().map(|(_, f)| f)
    }

    fn capabilities(&self) -> Option<&[String]> {
        self.capabilities
            .as_deref()
            .or_else(|| self.show()?.capabilities.as_deref())
    }
}

impl OllamaBackend {
    pub fn new(id: BackendId, cfg: &BackendConfig) -> Self {
        Self {
            http: Arc::new(Http::new(id, cfg)),
            keep_alive: cfg.keep_alive(),
            num_ctx: cfg.num_ctx(),
            think: cfg.think,
            facts: Mutex::new(HashMap::new()),
        }
    }

    fn facts(&self, name: &str) -> Facts {
        let facts = self.facts.lock().unwrap_or_else(|p| p.into_inner());
        facts
            .get(&ollama_canonical(name))
            .cloned()
            .unwrap_or_default()
    }

    fn update(&self, name: &str, f: impl FnOnce(&mut Facts)) {
        let mut facts = self.facts.lock().unwrap_or_else(|p| p.into_inner());
        f(facts.entry(ollama_canonical(name)).or_default());
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
        let tags = tags?.models;
        self.learn(&tags, &running).await;
        let models = tags
            .into_iter()
            .map(|t| self.model_info(t, &running))
            .collect();
        Ok(ServerInfo {
            kind: ServerKind::Ollama,
            version: Some(version.version),
            models,
        })
    }

    /// Records what this probe saw, and asks `/api/show` about the local models not yet
    /// asked about in this version (their window before loading, capabilities, KV cost).
    async fn learn(&self, tags: &[Tag], running: &[Running]) {
        for t in tags {
            let run = running
                .iter()
                .find(|r| same_model(Api::Ollama, &r.name, &t.name));
            self.update(&t.name, |f| {
                f.capabilities = t.capabilities.clone();
                f.loaded_ctx = run.and_then(|r| r.context_length);
            });
        }
        let ask: Vec<(String, String)> = tags
            .iter()
            .filter(|t| !t.is_remote())
            .map(|t| (t.name.clone(), t.digest.clone().unwrap_or_default()))
            .filter(|(name, digest)| {
                self.facts(name)
                    .show
                    .as_ref()
                    .is_none_or(|(d, _)| d != digest)
            })
            .take(SHOWS_PER_PROBE)
            .collect();
        let shown: Vec<_> = futures_util::stream::iter(ask)
            .map(|(name, digest)| async move {
                let facts = self.show(&name).await;
                (name, digest, facts)
            })
            .buffer_unordered(SHOWS_AT_ONCE)
            .collect()
            .await;
        for (name, digest, facts) in shown {
            if let Some(facts) = facts {
                self.update(&name, |f| f.show = Some((digest, facts)));
            }
        }
    }

    /// `POST /api/show`: the facts, empty ones when the server has no such route (an old
    /// Ollama, or another server behind the Ollama API), `None` when it could not be asked.
    async fn show(&self, name: &str) -> Option<ShowFacts> {
        let body = json!({ "model": name });
        let (status, body) = self
            .http
            .post_json("/api/show", &body, SHOW_TIMEOUT)
            .await
            .ok()?;
        if !(200..300).contains(&status) {
            return (status < 500).then(ShowFacts::default);
        }
        Some(ShowFacts::parse(&body).unwrap_or_default())
    }

    fn model_info(&self, t: Tag, running: &[Running]) -> ModelInfo {
        let run = running
            .iter()
            .find(|r| same_model(Api::Ollama, &r.name, &t.name));
        let facts = self.facts(&t.name);
        let kind = if t.is_remote() {
            ModelKind::Remote
        } else if is_embedding(&t, &facts) {
            ModelKind::Embedding
        } else {
            ModelKind::Llm
        };
        let window = if kind == ModelKind::Remote {
            run.and_then(|r| r.context_length)
        } else {
            Some(self.window(run, &facts))
        };
        ModelInfo {
            kind,
            loaded: Some(run.is_some()),
            size_bytes: t.size,
            vram_bytes: run.and_then(|r| r.size_vram),
            resident_bytes: run.and_then(|r| r.size),
            context_length: window,
            kv_bytes_per_token: facts.show().and_then(|s| s.kv_bytes_per_token),
            ..ModelInfo::named(t.name)
        }
    }

    /// The window a request to the model gets, known before the model is loaded: the
    /// configured `num_ctx`, else the window it is loaded with (or was, and is sent again),
    /// else its own `num_ctx` parameter, else Ollama's default; never more than the model
    /// was trained for, which is where Ollama caps it.
    fn window(&self, run: Option<&Running>, facts: &Facts) -> u64 {
        let max = facts.show().and_then(|s| s.max_ctx);
        let cap = |n: u64| max.map_or(n, |m| n.min(m));
        if let Some(n) = self.num_ctx {
            return cap(n);
        }
        if let Some(n) = run.and_then(|r| r.context_length) {
            return n;
        }
        let known = facts
            .pinned_ctx
            .or(facts.loaded_ctx)
            .or_else(|| facts.show()?.param_ctx);
        cap(known.unwrap_or(OLLAMA_DEFAULT_CTX))
    }

    /// The `num_ctx` to send for `model`: the configured one, else the one pinned at the
    /// first request that knew the loaded window, else nothing (Ollama picks, and the next
    /// probe sees what it picked).
    fn num_ctx_for(&self, model: &str) -> Option<u64> {
        if self.num_ctx.is_some() {
            return self.num_ctx;
        }
        let mut pinned = None;
        self.update(model, |f| {
            f.pinned_ctx = f.pinned_ctx.or(f.loaded_ctx);
            pinned = f.pinned_ctx;
        });
        pinned
    }

    /// The `think` field for `model`, if any. `true` goes only to a model that may think:
    /// Ollama answers 400 "does not support thinking" otherwise (server/routes.go).
    fn think_for(&self, model: &str) -> Option<bool> {
        match self.think {
            Think::Auto => None,
            Think::Off => Some(false),
            Think::On => {
                let caps = self.facts(model).capabilities().map(<[String]>::to_vec);
                match caps {
                    Some(c) if !c.iter().any(|x| x == "thinking") => None,
                    _ => Some(true),
                }
            }
        }
    }

    fn options(&self, model: &str) -> Options {
        Options {
            keep_alive: self.keep_alive.clone(),
            num_ctx: self.num_ctx_for(model),
            think: self.think_for(model),
        }
    }

    /// `POST /api/generate` with no prompt: Ollama loads (or, with `keep_alive: 0`,
    /// unloads) the model and answers one object (PROTOCOLS.md §1.4).
    async fn generate_empty(
        &self,
        body: serde_json::Value,
        model: &str,
        what: &str,
    ) -> Result<(), BackendError> {
        let wait = self.http.load_timeout();
        let (status, bytes) = self.http.post_json("/api/generate", &body, wait).await?;
        let id = self.http.id;
        if status == 404 {
            return Err(BackendError::new(
                id,
                ErrorKind::ModelNotFound,
                format!(
                    "{} could not {what} \"{model}\": it does not have it — run `ollama pull {model}`",
                    id.label()
                ),
            ));
        }
        if !(200..300).contains(&status) {
            return Err(status_error(id, status, &bytes));
        }
        let reply: serde_json::Value = serde_json::from_slice(&bytes)
            .map_err(|e| BackendError::malformed(id, &format!("POST /api/generate: {e}")))?;
        match json_error(&reply) {
            Some(msg) => Err(BackendError::in_stream(id, &msg)),
            None => Ok(()),
        }
    }
}

fn is_embedding(t: &Tag, facts: &Facts) -> bool {
    if let Some(caps) = facts.capabilities() {
        return caps.iter().any(|x| x == "embedding") && !caps.iter().any(|x| x == "completion");
    }
    let details: Details = t
        .details
        .clone()
        .and_then(|d| serde_json::from_value(d).ok())
        .unwrap_or_default();
    let mut families = details.all();
    families.extend(facts.show().map(|s| s.families.clone()).unwrap_or_default());
    let families: Vec<&str> = families.iter().map(String::as_str).collect();
    looks_like_embedding(&t.name, &families)
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
        let body = request_body(&req, &self.options(&req.model));
        let decoder = OllamaDecoder::new(self.http.id);
        self.http.stream("/api/chat", req.model, body, decoder)
    }

    fn load(
        &self,
        model: String,
        keep_alive: Option<KeepAlive>,
    ) -> BoxFuture<'_, Result<(), BackendError>> {
        Box::pin(async move {
            // The same num_ctx a chat sends: loading with another would reload at the
            // first request.
            let opts = Options {
                keep_alive: keep_alive.or_else(|| self.keep_alive.clone()),
                think: None,
                ..self.options(&model)
            };
            let mut body = json!({ "model": model });
            opts.apply(&mut body, serde_json::Map::new());
            self.generate_empty(body, &model, "load").await
        })
    }

    fn unload(&self, model: String) -> BoxFuture<'_, Result<(), BackendError>> {
        Box::pin(async move {
            let body = json!({ "model": model, "keep_alive": 0 });
            self.generate_empty(body, &model, "unload").await
        })
    }
}

/// What a request to Ollama carries besides the conversation.
#[derive(Debug, Clone, Default)]
pub struct Options {
    pub keep_alive: Option<KeepAlive>,
    pub num_ctx: Option<u64>,
    pub think: Option<bool>,
}

impl Options {
    fn apply(
        &self,
        body: &mut serde_json::Value,
        mut options: serde_json::Map<String, serde_json::Value>,
    ) {
        if let Some(n) = self.num_ctx {
            options.insert("num_ctx".into(), json!(n));
        }
        if !options.is_empty() {
            body["options"] = serde_json::Value::Object(options);
        }
        if let Some(k) = &self.keep_alive {
            body["keep_alive"] = k.to_json();
        }
        if let Some(t) = self.think {
            body["think"] = json!(t);
        }
    }
}

/// The JSON body of a streamed `/api/chat` request.
pub fn request_body(req: &ChatRequest, opts: &Options) -> Vec<u8> {
    let mut options = serde_json::Map::new();
    if let Some(t) = req.temperature {
        options.insert("temperature".into(), json!(t));
    }
    if let Some(n) = req.max_tokens {
        options.insert("num_predict".into(), json!(n));
    }
    // By default Ollama truncates a prompt that overflows its window and shifts the
    // context when the answer fills it, both silently: the question is lost and the answer
    // still ends with "stop" (PROTOCOLS.md §1.7). We check the window ourselves, so ask it
    // to fail loudly (a 400) and to end a full window with "length".
    let mut body = json!({
        "model": req.model,
        "messages": req.messages,
        "stream": true,
        "truncate": false,
        "shift": false,
    });
    opts.apply(&mut body, options);
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
    digest: Option<String>,
    /// Read leniently: a model list must not fail over the shape of a detail.
    #[serde(default)]
    details: Option<serde_json::Value>,
    #[serde(default)]
    capabilities: Option<Vec<String>>,
}

impl Tag {
    fn is_remote(&self) -> bool {
        self.remote_host
            .as_deref()
            .is_some_and(|h| !h.trim().is_empty())
    }
}

#[derive(Deserialize)]
struct Ps {
    #[serde(default)]
    models: Vec<Running>,
}

#[derive(Deserialize)]
struct Running {
    name: String,
    /// All the server holds for the model, KV cache included.
    #[serde(default)]
    size: Option<u64>,
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
    /// A whole line of the answer arrived.
    lines_seen: bool,
    done: bool,
}

impl OllamaDecoder {
    pub fn new(id: BackendId) -> Self {
        Self {
            id,
            lines: NdjsonParser::new(),
            scratch: Vec::new(),
            lines_seen: false,
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
        let mut thinking = false;
        if let Some(m) = parsed.message {
            if let Some(t) = m.thinking.filter(|s| !s.is_empty()) {
                thinking = true;
                out.push_back(Ok(StreamEvent::Reasoning(t)));
            }
            if let Some(c) = m.content.filter(|s| !s.is_empty()) {
                out.push_back(Ok(StreamEvent::Text(c)));
            }
        }
        // Thinking lines carry logprobs too (PROTOCOLS.md §1.7); only the answer's tokens
        // are scored, so a line with thinking keeps its logprobs to itself.
        if let Some(lp) = parsed.logprobs.filter(|l| !l.is_empty() && !thinking) {
            out.push_back(Ok(StreamEvent::Logprobs(lp)));
        }
        self.lines_seen = true;
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

    /// The body ended cleanly. After whole lines and no `done` line, that is Ollama's
    /// token-repeat abort (PROTOCOLS.md §1.7): the answer ends as a model that looped. A
    /// body that stops inside a line, or before any line, was cut.
    fn finish(&mut self, out: &mut VecDeque<Item>) {
        self.lines.finish(&mut self.scratch);
        if let Some(partial) = self.scratch.pop() {
            // The unterminated last line, flushed only now: a whole object is a line
            // whose newline was lost; anything else is a line cut short.
            if serde_json::from_str::<serde_json::Value>(&partial).is_ok() {
                self.scratch.push(partial);
            } else if !self.lines.too_large() {
                self.drain(out);
                let why = "the connection closed in the middle of a line";
                return self.fail(BackendError::cut(self.id, why), out);
            }
        }
        self.drain(out);
        if self.done {
            return;
        }
        let err = if self.lines.too_large() {
            // The unterminated last line, flushed only now, can be past the cap as text.
            BackendError::too_large(self.id)
        } else if !self.lines_seen {
            BackendError::cut(self.id, "the connection closed before any answer arrived")
        } else {
            out.push_back(Ok(StreamEvent::Done {
                finish_reason: Some(FINISH_REPEAT.into()),
            }));
            self.done = true;
            return;
        };
        self.fail(err, out);
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
    fn a_clean_end_without_the_done_line_is_the_repeat_abort() {
        let out = decode(&["{\"message\":{\"content\":\"par\"},\"done\":false}\n"]);
        assert_eq!(
            out[1].as_ref().unwrap(),
            &StreamEvent::Done {
                finish_reason: Some(FINISH_REPEAT.into())
            }
        );
    }

    #[test]
    fn an_end_inside_a_line_or_before_any_line_is_a_cut() {
        let out =
            decode(&["{\"message\":{\"content\":\"par\"},\"done\":false}\n{\"message\":{\"cont"]);
        assert_eq!(out[0].as_ref().unwrap(), &StreamEvent::Text("par".into()));
        assert_eq!(out[1].as_ref().unwrap_err().kind, ErrorKind::Truncated);
        let out = decode(&[]);
        assert_eq!(out[0].as_ref().unwrap_err().kind, ErrorKind::Truncated);
    }

    #[test]
    fn thinking_logprobs_are_not_pooled_with_the_answers() {
        let out = decode(&[
            "{\"message\":{\"content\":\"\",\"thinking\":\"hm\"},\"logprobs\":[{\"token\":\"hm\",\"logprob\":-3.0}],\"done\":false}\n",
            "{\"message\":{\"content\":\"A\"},\"logprobs\":[{\"token\":\"A\",\"logprob\":-0.1}],\"done\":false}\n",
            "{\"message\":{\"content\":\"\"},\"done_reason\":\"stop\",\"done\":true}\n",
        ]);
        let scored: Vec<&TokenLogprob> = out
            .iter()
            .filter_map(|e| match e {
                Ok(StreamEvent::Logprobs(l)) => Some(l),
                _ => None,
            })
            .flatten()
            .collect();
        assert_eq!(scored.len(), 1);
        assert_eq!(scored[0].token, "A");
        assert_eq!(
            out[0].as_ref().unwrap(),
            &StreamEvent::Reasoning("hm".into())
        );
    }

    #[test]
    fn the_body_sends_window_keep_alive_think_and_no_shift() {
        let req = ChatRequest {
            model: "qwen3".into(),
            temperature: Some(0.2),
            ..ChatRequest::default()
        };
        let opts = Options {
            keep_alive: Some(KeepAlive::Duration("30m".into())),
            num_ctx: Some(8192),
            think: Some(false),
        };
        let body: serde_json::Value = serde_json::from_slice(&request_body(&req, &opts)).unwrap();
        assert_eq!(body["options"]["num_ctx"], 8192);
        assert_eq!(
            body["options"]["temperature"]
                .as_f64()
                .map(|t| (t * 10.0).round()),
            Some(2.0)
        );
        assert_eq!(body["keep_alive"], "30m");
        assert_eq!(body["think"], false);
        assert_eq!(body["truncate"], false);
        assert_eq!(body["shift"], false);
        let bare: serde_json::Value =
            serde_json::from_slice(&request_body(&req, &Options::default())).unwrap();
        assert!(bare.get("keep_alive").is_none() && bare.get("think").is_none());
        assert!(bare["options"].get("num_ctx").is_none());
    }
}
