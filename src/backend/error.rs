//! Backend failures, each phrased as one sentence that says what is wrong and what to do.

use super::BackendId;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// Nothing listens there, or the host cannot be reached.
    Unreachable,
    ConnectTimeout,
    /// Connected, but no token arrived within the first-token timeout.
    FirstTokenTimeout,
    /// The answer started, then the server went quiet for the idle timeout.
    IdleTimeout,
    /// An HTTP error status before the stream started.
    Status(u16),
    ModelNotFound,
    Auth,
    /// The server's bytes were not the protocol.
    Malformed,
    /// The server reported an error inside an answer that had started.
    StreamError,
    /// The connection ended before the server said the answer was complete.
    Truncated,
    /// The endpoint is not on this machine and `allow_remote` is off.
    RemoteNotAllowed,
    /// The backend is switched off in the config.
    Disabled,
    /// The circuit breaker is open: the server failed repeatedly and is left alone a while.
    CoolingDown,
    /// The prompt does not fit the window the model is loaded with.
    ContextTooLong,
    /// The server sent more than any real answer holds (a line, an event or a body past
    /// its cap): broken or hostile.
    TooLarge,
    /// The server cannot do what was asked (load or unload a model on request).
    Unsupported,
}

impl ErrorKind {
    /// A stable name for scripts reading `--json`.
    pub fn code(self) -> &'static str {
        match self {
            ErrorKind::Unreachable => "unreachable",
            ErrorKind::ConnectTimeout => "connect_timeout",
            ErrorKind::FirstTokenTimeout => "first_token_timeout",
            ErrorKind::IdleTimeout => "idle_timeout",
            ErrorKind::Status(_) => "http_error",
            ErrorKind::ModelNotFound => "model_not_found",
            ErrorKind::Auth => "auth",
            ErrorKind::Malformed => "protocol",
            ErrorKind::StreamError => "server_error",
            ErrorKind::Truncated => "truncated",
            ErrorKind::RemoteNotAllowed => "remote_not_allowed",
            ErrorKind::Disabled => "config",
            ErrorKind::CoolingDown => "cooling_down",
            ErrorKind::ContextTooLong => "context_too_long",
            ErrorKind::TooLarge => "too_large",
            ErrorKind::Unsupported => "unsupported",
        }
    }

    /// Failures that come from the configuration rather than the server.
    pub fn is_config(self) -> bool {
        matches!(self, ErrorKind::RemoteNotAllowed | ErrorKind::Disabled)
    }
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{message}")]
pub struct BackendError {
    pub backend: BackendId,
    pub kind: ErrorKind,
    pub message: String,
}

impl BackendError {
    pub fn new(backend: BackendId, kind: ErrorKind, message: impl Into<String>) -> Self {
        Self {
            backend,
            kind,
            message: message.into(),
        }
    }

    /// True when the server could not take the request at all (refused, a timeout before
    /// the first token, a 5xx), so another server may answer instead.
    pub fn is_unavailable(&self) -> bool {
        match self.kind {
            ErrorKind::Unreachable
            | ErrorKind::ConnectTimeout
            | ErrorKind::FirstTokenTimeout
            | ErrorKind::CoolingDown => true,
            ErrorKind::Status(code) => code >= 500 || code == 429,
            _ => false,
        }
    }

    pub fn unreachable(backend: BackendId, endpoint: &str, why: &str) -> Self {
        Self::new(
            backend,
            ErrorKind::Unreachable,
            format!(
                "{} is not answering on {} ({why}) — {}",
                backend.label(),
                endpoint.trim_end_matches('/'),
                start_hint(backend)
            ),
        )
    }

    /// A stream line or event past the cap (4 MiB): the server is broken or hostile.
    pub fn too_large(backend: BackendId) -> Self {
        Self::new(
            backend,
            ErrorKind::TooLarge,
            format!(
                "{} sent a stream line over 4 MiB that never ended; its answer is broken, so \
                 reading stopped there",
                backend.label()
            ),
        )
    }

    pub fn status(backend: BackendId, code: u16, server_message: &str) -> Self {
        let label = backend.label();
        let msg = one_line(server_message);
        let (kind, text) = match code {
            401 | 403 => (
                ErrorKind::Auth,
                format!(
                    "{label} refused the request ({code}: {msg}) — give CodeCrucible the server's \
                     API key in the environment variable {} (a key on the command line ends up \
                     in your shell history), or as {}.api_key in your config file",
                    api_key_variable(backend),
                    crate::config::Config::section(backend)
                ),
            ),
            400 if is_context_overflow(server_message) => (
                ErrorKind::ContextTooLong,
                format!(
                    "{label} refused the conversation: it is longer than the context window the \
                     model is loaded with ({}) — shorten it, start a new session, or {}",
                    overflow_detail(server_message),
                    match backend {
                        BackendId::Ollama => "set hybrid.ollama.num_ctx to a larger window",
                        BackendId::Lmstudio => "load the model with a larger context length",
                    }
                ),
            ),
            503 => (
                ErrorKind::Status(code),
                format!("{label} is busy or still loading (503: {msg}) — try again in a moment"),
            ),
            _ => (
                ErrorKind::Status(code),
                format!("{label} answered with an error ({code}: {msg})"),
            ),
        };
        Self::new(backend, kind, text)
    }

    /// The server has no way to do `what` on request; `instead` says what the user can do.
    pub fn unsupported(backend: BackendId, what: &str, instead: &str) -> Self {
        Self::new(
            backend,
            ErrorKind::Unsupported,
            format!("{} cannot {what} on request — {instead}", backend.label()),
        )
    }

    pub fn cut(backend: BackendId, detail: &str) -> Self {
        Self::new(
            backend,
            ErrorKind::Truncated,
            format!(
                "{} stopped in the middle of the answer ({detail})",
                backend.label()
            ),
        )
    }

    pub fn malformed(backend: BackendId, detail: &str) -> Self {
        Self::new(
            backend,
            ErrorKind::Malformed,
            format!(
                "{} sent something that is not its protocol ({detail}); is the endpoint right and \
                 is `api` set to the server's protocol?",
                backend.label()
            ),
        )
    }

    pub fn in_stream(backend: BackendId, server_message: &str) -> Self {
        Self::new(
            backend,
            ErrorKind::StreamError,
            format!(
                "{} reported an error while answering: {}",
                backend.label(),
                one_line(server_message)
            ),
        )
    }
}

/// A 400 that says the prompt does not fit the loaded window. With `truncate: false`,
/// Ollama 0.12–0.29 answer "the input length exceeds the context length"; from 0.30 the
/// runner's (llama-server's) own JSON error comes back as the `error` string, typed
/// `exceed_context_size_error` (PROTOCOLS.md §1.7); llama-server itself says the same.
fn is_context_overflow(server_message: &str) -> bool {
    let m = server_message.to_ascii_lowercase();
    m.contains("input length exceeds the context length")
        || m.contains("exceed_context_size_error")
        || m.contains("exceeds the available context size")
}

/// The numbers of an overflow when the server gave them (llama-server's `n_prompt_tokens`
/// and `n_ctx`), else the server's words.
fn overflow_detail(server_message: &str) -> String {
    let inner = serde_json::from_str::<serde_json::Value>(server_message.trim()).ok();
    let num = |k: &str| {
        inner
            .as_ref()
            .and_then(|v| v.get(k))
            .and_then(|n| n.as_u64())
    };
    match (num("n_prompt_tokens"), num("n_ctx")) {
        (Some(p), Some(c)) => format!("400: the prompt is {p} tokens, the window {c}"),
        _ => format!("400: {}", one_line(server_message)),
    }
}

/// The most of a server's own message that an error repeats.
const SERVER_WORDS: usize = 200;

/// A server's message as one line: whitespace runs (the line breaks of a traceback or a
/// log excerpt) folded to one space, and cut to [`SERVER_WORDS`] characters. The message
/// is untrusted input, and an error is one sentence on one line (DESIGN.md, "Untrusted
/// input"). Read lazily: a message can be a megabyte, and only its start is kept.
pub(crate) fn one_line(server_message: &str) -> String {
    let mut chars = server_message
        .split_whitespace()
        .enumerate()
        .flat_map(|(i, word)| (i > 0).then_some(' ').into_iter().chain(word.chars()));
    let mut out: String = chars.by_ref().take(SERVER_WORDS).collect();
    if chars.next().is_some() {
        out.push('…');
    }
    out
}

/// What a user does to bring each server up.
pub fn start_hint(backend: BackendId) -> String {
    match backend {
        BackendId::Lmstudio => "start LM Studio's server in its Developer tab or run `lms server start`, \
             or point hybrid.lm_studio.endpoint (or --lmstudio-url) at your OpenAI-compatible server"
            .into(),
        BackendId::Ollama => "start it with `ollama serve` (or the Ollama app), or point \
             hybrid.ollama.endpoint (or --ollama-url, OLLAMA_HOST) at your server"
            .into(),
    }
}

/// A short reason for a reqwest failure, without URLs or headers (which may hold secrets).
pub fn describe_reqwest(e: &reqwest::Error) -> String {
    use std::error::Error as _;
    let mut source = e.source();
    let mut deepest = None;
    while let Some(s) = source {
        deepest = Some(s.to_string());
        source = s.source();
    }
    let text = deepest.unwrap_or_else(|| e.to_string()).to_lowercase();
    if text.contains("refused") {
        "connection refused".into()
    } else if text.contains("reset") {
        "connection reset".into()
    } else if text.contains("dns") || text.contains("resolve") || text.contains("lookup") {
        "the host name does not resolve".into()
    } else if e.is_timeout() {
        "timed out".into()
    } else {
        text
    }
}

/// The environment variable that carries a backend's API key (read by the config loader).
pub fn api_key_variable(backend: BackendId) -> &'static str {
    match backend {
        BackendId::Lmstudio => "CODECRUCIBLE_LMSTUDIO_API_KEY",
        BackendId::Ollama => "CODECRUCIBLE_OLLAMA_API_KEY",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_overflow_400_in_both_ollama_forms_is_a_context_error() {
        let old = BackendError::status(
            BackendId::Ollama,
            400,
            "the input length exceeds the context length",
        );
        assert_eq!(old.kind, ErrorKind::ContextTooLong);
        assert!(old.message.contains("hybrid.ollama.num_ctx"), "{old}");
        // ≥ 0.30: llama-server's JSON, as a string inside Ollama's `error`.
        let new = BackendError::status(
            BackendId::Ollama,
            400,
            r#"{"code":400,"message":"the request exceeds the available context size, try increasing it","type":"exceed_context_size_error","n_prompt_tokens":5210,"n_ctx":4096}"#,
        );
        assert_eq!(new.kind, ErrorKind::ContextTooLong);
        assert!(
            new.message.contains("5210 tokens, the window 4096"),
            "{new}"
        );
        let other = BackendError::status(BackendId::Ollama, 400, "invalid options");
        assert_eq!(other.kind, ErrorKind::Status(400));
    }
}
