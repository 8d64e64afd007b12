//! The backends: one trait, two wire protocols.
//!
//! A backend turns a chat request into a stream of typed events. Framing is done by the
//! small parsers in [`sse`] and [`ndjson`]; the protocol files decode JSON on top of them.
//! Every failure is a [`BackendError`] phrased for the user, and an error in the middle of
//! a stream is just the stream's last item: what came before it is kept by the caller.

pub mod endpoint;
mod error;
mod http;
pub mod models;
pub mod ndjson;
pub mod ollama;
mod ollama_show;
pub use ollama_show::OLLAMA_DEFAULT_CTX;
pub mod openai;
pub mod sse;

use std::pin::Pin;
use std::sync::Arc;

use futures_util::future::BoxFuture;
use futures_util::Stream;
use serde::{Deserialize, Serialize};

use crate::config::{BackendConfig, KeepAlive};

pub use crate::backend_id::{Api, BackendId, PerBackend};
pub use crate::logprob::TokenLogprob;
pub use error::{BackendError, ErrorKind};
pub use models::{ModelChoice, ModelInfo, ModelKind};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    System,
    User,
    Assistant,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChatMessage {
    pub role: Role,
    pub content: String,
}

impl ChatMessage {
    pub fn new(role: Role, content: impl Into<String>) -> Self {
        Self {
            role,
            content: content.into(),
        }
    }
}

/// One chat request, protocol-neutral.
#[derive(Debug, Clone, Default)]
pub struct ChatRequest {
    pub model: String,
    pub messages: Vec<ChatMessage>,
    pub temperature: Option<f32>,
    pub max_tokens: Option<u32>,
    /// Ask for token logprobs (used to score confidence).
    pub logprobs: bool,
}

/// Counts and speed as the server reported them; `None` where it gave nothing.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Usage {
    pub input_tokens: Option<u64>,
    pub output_tokens: Option<u64>,
    /// Generation speed measured by the server itself.
    pub tokens_per_second: Option<f64>,
    /// Prompt tokens served from the server's KV cache (a warm prefix), where it says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cached_tokens: Option<u64>,
}

/// What a backend's stream yields.
#[derive(Debug, Clone, PartialEq)]
pub enum StreamEvent {
    Text(String),
    /// Thinking or reasoning text, kept apart from the answer.
    Reasoning(String),
    Logprobs(Vec<TokenLogprob>),
    Usage(Usage),
    /// The server finished the answer; `finish_reason` is e.g. `stop` or `length`.
    Done {
        finish_reason: Option<String>,
    },
}

pub type EventStream = Pin<Box<dyn Stream<Item = Result<StreamEvent, BackendError>> + Send>>;

/// What kind of server answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ServerKind {
    LmStudio,
    LlamaServer,
    Ollama,
    /// Some other OpenAI-compatible server (vLLM, a cloud endpoint).
    OpenaiCompatible,
}

impl ServerKind {
    pub fn label(self) -> &'static str {
        match self {
            ServerKind::LmStudio => "LM Studio",
            ServerKind::LlamaServer => "llama.cpp llama-server",
            ServerKind::Ollama => "Ollama",
            ServerKind::OpenaiCompatible => "an OpenAI-compatible server",
        }
    }
}

/// What a server says about itself: used by `doctor`, health checks and model choice.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ServerInfo {
    pub kind: ServerKind,
    pub version: Option<String>,
    pub models: Vec<ModelInfo>,
}

/// One interface for every server. Implementations are cheap to share behind an `Arc`.
pub trait Backend: Send + Sync {
    fn id(&self) -> BackendId;
    /// The base URL as configured, for messages.
    fn endpoint(&self) -> &str;
    /// Asks the server what it is, its version, and its models with their loaded state.
    fn probe(&self) -> BoxFuture<'_, Result<ServerInfo, BackendError>>;
    /// Streams one chat answer. Dropping the stream aborts the HTTP request.
    fn chat(&self, req: ChatRequest) -> EventStream;
    /// Asks the server to load `model` now and keep it for `keep_alive` (the configured
    /// one when `None`), so the first request finds it warm. A server that cannot load on
    /// request answers [`ErrorKind::Unsupported`].
    fn load(
        &self,
        model: String,
        keep_alive: Option<KeepAlive>,
    ) -> BoxFuture<'_, Result<(), BackendError>> {
        let _ = (model, keep_alive);
        let id = self.id();
        Box::pin(async move {
            Err(BackendError::unsupported(
                id,
                "load a model",
                "load it in the server itself",
            ))
        })
    }
    /// Asks the server to unload `model` now, freeing its memory.
    fn unload(&self, model: String) -> BoxFuture<'_, Result<(), BackendError>> {
        let _ = model;
        let id = self.id();
        Box::pin(async move {
            Err(BackendError::unsupported(
                id,
                "unload a model",
                "unload it in the server itself",
            ))
        })
    }
}

/// Decodes a captured chat stream, given as the reads it arrived in, into the events a
/// backend would yield (an error ends the list). Used to replay captures and in tests.
pub fn decode_stream(api: Api, reads: &[&[u8]]) -> Vec<Result<StreamEvent, BackendError>> {
    use http::Decoder;
    fn run<D: Decoder>(mut d: D, reads: &[&[u8]]) -> Vec<Result<StreamEvent, BackendError>> {
        let mut out = std::collections::VecDeque::new();
        for r in reads {
            if d.done() {
                break;
            }
            d.feed(r, &mut out);
        }
        if !d.done() {
            d.finish(&mut out);
        }
        out.into()
    }
    match api {
        Api::Openai => run(openai::OpenAiDecoder::new(BackendId::Lmstudio), reads),
        Api::Ollama => run(ollama::OllamaDecoder::new(BackendId::Ollama), reads),
    }
}

/// Builds the client for a backend section, by its `api` setting.
pub fn build(id: BackendId, cfg: &BackendConfig) -> Arc<dyn Backend> {
    match cfg.api {
        Api::Openai => Arc::new(openai::OpenAiBackend::new(id, cfg)),
        Api::Ollama => Arc::new(ollama::OllamaBackend::new(id, cfg)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A server that can only chat: what a new protocol gets before it learns to load.
    struct ChatOnly;

    impl Backend for ChatOnly {
        fn id(&self) -> BackendId {
            BackendId::Lmstudio
        }
        fn endpoint(&self) -> &str {
            "http://127.0.0.1:1"
        }
        fn probe(&self) -> BoxFuture<'_, Result<ServerInfo, BackendError>> {
            Box::pin(async { Err(BackendError::malformed(BackendId::Lmstudio, "none")) })
        }
        fn chat(&self, _req: ChatRequest) -> EventStream {
            Box::pin(futures_util::stream::empty())
        }
    }

    #[tokio::test]
    async fn loading_where_the_server_cannot_is_a_clear_error_not_a_panic() {
        let e = ChatOnly.load("m".into(), None).await.unwrap_err();
        assert_eq!(e.kind, ErrorKind::Unsupported);
        assert_eq!(
            e.message,
            "LM Studio cannot load a model on request — load it in the server itself"
        );
        let e = ChatOnly.unload("m".into()).await.unwrap_err();
        assert_eq!(e.kind, ErrorKind::Unsupported);
    }
}
