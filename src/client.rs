//! `HybridClient`: the engine as a plain async Rust API.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use tokio::sync::mpsc;

use crate::backend::{BackendId, ChatMessage};
use crate::config::{Config, ConfigError, Overrides};
use crate::engine::{
    self, Attachment, BackendHealth, Command, Event, EventKind, RequestId, RouteMode,
    SessionChoice, Submit,
};
use crate::store::{SessionId, Store, StoreError};
use crate::voice::Voice;

/// Why a client could not start.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ClientError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

pub use crate::engine::SYSTEM_PROMPT;

/// A request: the prompt, the session it carries on, and where it may go.
#[derive(Debug, Clone)]
pub struct Request {
    /// The user's message.
    pub input: String,
    pub route: RouteMode,
    pub model: Option<String>,
    pub max_tokens: Option<u32>,
    /// Context below the prompt (pasted code, a file); the router weighs it too.
    pub attachments: Vec<Attachment>,
    /// The voice to answer in: its system prompt and its routing bias.
    pub voice: Option<Voice>,
    /// The session to carry on; `None` starts a new one.
    pub session: Option<SessionId>,
    /// Ask afresh even when the response cache has an answer (regenerate).
    pub no_cache: bool,
    /// The workspace and the files to send from it; none by default.
    pub workspace: engine::FilesRequest,
    /// Ask for changes to the workspace's files (see [`Request::edit`]).
    pub edit: bool,
    /// Write them too (see [`Request::apply`]).
    pub apply: bool,
}

impl Request {
    /// A single prompt with the default system prompt, routed automatically.
    pub fn new(prompt: impl Into<String>) -> Self {
        Self {
            input: prompt.into(),
            route: RouteMode::Auto,
            model: None,
            max_tokens: None,
            attachments: Vec::new(),
            voice: None,
            session: None,
            no_cache: false,
            workspace: engine::FilesRequest::default(),
            edit: false,
            apply: false,
        }
    }

    /// Asks for changes to the workspace's files as edit blocks: [`Answer::edits`] holds
    /// each file's proposed diff, or why it cannot be made. Nothing is written.
    pub fn edit(mut self) -> Self {
        self.edit = true;
        self
    }

    /// As [`Request::edit`], and writes the changes (all files or none), journaled for undo.
    pub fn apply(mut self) -> Self {
        self.edit = true;
        self.apply = true;
        self
    }

    /// Works in the workspace above `dir` (its git top-level, or `dir` itself): files the
    /// prompt names with `@path` or by path are sent with it.
    pub fn workspace(mut self, dir: impl Into<std::path::PathBuf>) -> Self {
        self.workspace.dir = Some(dir.into());
        self
    }

    /// Attaches a workspace file (`path` or `path:40-90`) or folder (`dir/`).
    pub fn file(mut self, path: &str) -> Self {
        self.workspace.files.push(engine::FileRef::parse(path));
        self
    }

    /// Lets files that look like they hold secrets be sent when named.
    pub fn allow_secrets(mut self) -> Self {
        self.workspace.allow_secrets = true;
        self
    }

    /// Carries on a session (see [`Answer::session`]): the engine sends its earlier turns
    /// (final answers only) between the system prompt and this prompt.
    pub fn in_session(mut self, id: SessionId) -> Self {
        self.session = Some(id);
        self
    }

    /// Regenerates: the response cache is not consulted (the new answer replaces it).
    pub fn no_cache(mut self) -> Self {
        self.no_cache = true;
        self
    }

    /// Answers in this voice: its system prompt replaces the default one.
    pub fn voice(mut self, voice: Voice) -> Self {
        self.voice = Some(voice);
        self
    }

    /// Attaches context (a file, piped input) below the prompt.
    pub fn attach(mut self, name: impl Into<String>, text: impl Into<String>) -> Self {
        self.attachments.push(Attachment {
            name: name.into(),
            text: text.into(),
        });
        self
    }

    /// Sends it to this backend only, with no fallback.
    pub fn backend(mut self, id: BackendId) -> Self {
        self.route = RouteMode::Force(id);
        self
    }

    /// Caps the answer's length in tokens.
    pub fn max_tokens(mut self, n: u32) -> Self {
        self.max_tokens = Some(n);
        self
    }

    /// Uses this model on the selected backend; it must exist there.
    pub fn model(mut self, name: impl Into<String>) -> Self {
        self.model = Some(name.into());
        self
    }
}

/// A finished answer.
#[derive(Debug, Clone, Default)]
pub struct Answer {
    pub text: String,
    pub reasoning: String,
    pub backend: Option<BackendId>,
    pub model: String,
    /// The first backend was unavailable and the other answered.
    pub fell_back: bool,
    /// A hybrid request's fast draft, kept even when it was replaced.
    pub draft: Option<String>,
    /// The draft's confidence score, when it was scored.
    pub confidence: Option<f32>,
    /// The draft was weak and the quality server answered instead.
    pub escalated: bool,
    pub ttft_ms: Option<f64>,
    pub output_tokens: Option<u64>,
    /// Answered from the response cache.
    pub cached: bool,
    /// The session this answer belongs to: saved in the history database when the client
    /// has a store, else kept in memory for as long as the client lives. Either way
    /// [`Request::in_session`] carries it on.
    pub session: Option<SessionId>,
    /// With [`Request::edit`]: one entry per file the answer proposes to change.
    pub edits: Vec<FileEdit>,
}

/// A change the answer proposes to one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileEdit {
    pub path: String,
    pub status: engine::EditStatus,
    /// The unified diff; empty when it failed.
    pub diff: String,
    /// Why it failed.
    pub why: Option<String>,
}

/// Why a request produced no complete answer. The text received so far is kept.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{message}")]
pub struct RequestError {
    pub message: String,
    pub partial: Answer,
}

type Routes = Arc<Mutex<HashMap<RequestId, mpsc::UnboundedSender<Event>>>>;

/// Talks to LM Studio and Ollama through the engine.
///
/// ```no_run
/// use codecrucible::{HybridClient, Request, BackendId, Config};
///
/// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
/// let client = HybridClient::new(Config::default());
/// // Routed automatically: the fast server first, the quality server if it is down.
/// let answer = client.ask(Request::new("Write a Rust function that reverses a string")).await?;
/// println!("{} answered: {}", answer.backend.map(|b| b.label()).unwrap_or("?"), answer.text);
/// // Forced to Ollama with a chosen model.
/// let review = client
///     .ask(Request::new("Review this for SQL injection: ...").backend(BackendId::Ollama).model("qwen2.5-coder"))
///     .await?;
/// println!("{}", review.text);
/// # Ok(()) }
/// ```
pub struct HybridClient {
    commands: mpsc::UnboundedSender<Command>,
    routes: Routes,
    next_id: AtomicU64,
    store: Option<Arc<Store>>,
}

impl HybridClient {
    /// Starts an engine on the current tokio runtime, without history: nothing is saved,
    /// nothing is cached and learning lasts as long as the client.
    pub fn new(config: Config) -> Self {
        Self::start(engine::Builder::new(config), None)
    }

    /// Starts an engine that saves every conversation as a session in `store`, and keeps
    /// the response cache and learning data there.
    pub fn with_store(config: Config, store: Arc<Store>) -> Self {
        let builder = engine::Builder::new(config).store(Arc::clone(&store));
        Self::start(builder, Some(store))
    }

    fn start(builder: engine::Builder, store: Option<Arc<Store>>) -> Self {
        let handle = builder.long_lived(engine::HEALTH_INTERVAL).spawn();
        let routes: Routes = Arc::default();
        tokio::spawn(dispatch(handle.events, Arc::clone(&routes)));
        Self {
            commands: handle.commands,
            routes,
            next_id: AtomicU64::new(1),
            store,
        }
    }

    /// Loads the user's configuration (file, environment) and starts an engine with the
    /// user's history database (unless `history.enabled` is false).
    pub fn from_env() -> Result<Self, ClientError> {
        let config = Config::load(&Overrides::default())?;
        Ok(match Store::open_history(&config)? {
            Some(store) => Self::with_store(config, Arc::new(store)),
            None => Self::new(config),
        })
    }

    /// A stored session's earlier turns (final answers only), as [`Request::in_session`]
    /// would send them. `None` when there is no such session or no store.
    pub fn prior_turns(&self, id: SessionId) -> Result<Option<Vec<ChatMessage>>, StoreError> {
        match &self.store {
            Some(s) => s.prior_turns(id),
            None => Ok(None),
        }
    }

    /// Starts a request and returns its id and its events as they happen.
    pub fn stream(&self, req: Request) -> (RequestId, mpsc::UnboundedReceiver<Event>) {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let rx = self.register(id);
        let submit = Submit {
            id,
            input: req.input,
            session: req
                .session
                .map_or(SessionChoice::New, SessionChoice::Resume),
            route: req.route,
            model: req.model,
            max_tokens: req.max_tokens,
            attachments: req.attachments,
            voice: req.voice,
            no_cache: req.no_cache,
            workspace: req.workspace,
            edit: req.edit,
            apply: req.apply,
        };
        self.send(Command::Submit(submit));
        (id, rx)
    }

    /// Runs a request to the end and returns the whole answer.
    pub async fn ask(&self, req: Request) -> Result<Answer, RequestError> {
        let (_, mut rx) = self.stream(req);
        let mut answer = Answer::default();
        while let Some(ev) = rx.recv().await {
            match ev.kind {
                EventKind::Session { session, .. } => answer.session = Some(session),
                EventKind::Delta {
                    text, draft: true, ..
                } => answer.draft.get_or_insert_with(String::new).push_str(&text),
                EventKind::Delta { text, .. } => answer.text.push_str(&text),
                EventKind::Confidence { score, .. } => answer.confidence = Some(score),
                EventKind::Escalate { .. } => answer.escalated = true,
                EventKind::Reasoning { text, .. } => answer.reasoning.push_str(&text),
                EventKind::Edit {
                    path,
                    status,
                    diff,
                    why,
                    ..
                } => answer.edits.push(FileEdit {
                    path,
                    status,
                    diff,
                    why,
                }),
                EventKind::Fallback { .. } => {
                    answer.fell_back = true;
                    answer.text.clear();
                }
                EventKind::Done {
                    backend,
                    model,
                    ttft_ms,
                    output_tokens,
                    cached,
                    ..
                } => {
                    answer.cached = cached;
                    if answer.text.is_empty() {
                        // A hybrid draft that held up (or outlived a failed escalation) is the answer.
                        answer.text = answer.draft.clone().unwrap_or_default();
                    }
                    answer.backend = Some(backend);
                    answer.model = model;
                    answer.ttft_ms = ttft_ms;
                    answer.output_tokens = output_tokens;
                    return Ok(answer);
                }
                EventKind::Error { message, .. } => {
                    return Err(RequestError {
                        message,
                        partial: answer,
                    })
                }
                EventKind::Cancelled { .. } => {
                    return Err(RequestError {
                        message: "the request was cancelled".into(),
                        partial: answer,
                    })
                }
                _ => {}
            }
        }
        Err(RequestError {
            message: "the engine stopped".into(),
            partial: answer,
        })
    }

    /// Stops a request; its connection to the server is closed.
    pub fn cancel(&self, id: RequestId) {
        self.send(Command::Cancel(id));
    }

    /// Probes both servers.
    pub async fn health(&self) -> Vec<BackendHealth> {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let mut rx = self.register(id);
        self.send(Command::HealthCheck(id));
        while let Some(ev) = rx.recv().await {
            if let EventKind::Health { backends } = ev.kind {
                return backends;
            }
        }
        Vec::new()
    }

    fn register(&self, id: RequestId) -> mpsc::UnboundedReceiver<Event> {
        let (tx, rx) = mpsc::unbounded_channel();
        if let Ok(mut routes) = self.routes.lock() {
            routes.insert(id, tx);
        }
        rx
    }

    fn send(&self, cmd: Command) {
        // Fails only when the engine has stopped; the caller's receiver then ends.
        let _ = self.commands.send(cmd);
    }
}

impl Drop for HybridClient {
    fn drop(&mut self) {
        let _ = self.commands.send(Command::Shutdown);
    }
}

/// Hands each engine event to the receiver of its request. The engine's channel is
/// bounded; each request's own is not, so that one caller who reads late never holds up
/// another's request. What one request's receiver can hold is bounded by the answer cap
/// (`hybrid.performance.max_answer_kb`) and its few non-text events.
async fn dispatch(mut events: mpsc::Receiver<Event>, routes: Routes) {
    while let Some(ev) = events.recv().await {
        let last = matches!(
            ev.kind,
            EventKind::Done { .. }
                | EventKind::Error { .. }
                | EventKind::Cancelled { .. }
                | EventKind::Health { .. }
                | EventKind::Models { .. }
        );
        let Ok(mut routes) = routes.lock() else {
            return;
        };
        if let Some(tx) = routes.get(&ev.id) {
            let _ = tx.send(ev.clone());
        }
        if last {
            routes.remove(&ev.id);
        }
    }
}
