//! What goes into the engine and what comes out of it.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::Serialize;

use crate::confidence::Signal;
pub use crate::store::Verdict;

use crate::backend::{BackendId, ModelInfo, ServerKind, TokenLogprob};
use crate::router::RoutingDecision;
use crate::store::{SessionChoice, SessionId};
use crate::voice::Voice;

pub use super::files::{FilesRequest, Source};

pub type RequestId = u64;

/// How a request picks its backend.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum RouteMode {
    /// The config's `default_provider` decides (`auto` routes).
    Auto,
    /// This backend and no other (`--fast`, `--analyze`).
    Force(BackendId),
    /// The hybrid path whatever the task: fast first, scored, escalated when weak
    /// (`--backend hybrid`).
    Hybrid,
}

/// A user's turn: what they typed, the session it belongs to and how to answer it. The
/// engine does the rest: it creates or continues the session, builds the system prompt from
/// the voice, puts the earlier turns and the attachments around the input, and records
/// everything (DESIGN.md, "The engine owns the conversation").
#[derive(Debug, Clone)]
pub struct Submit {
    pub id: RequestId,
    /// The user's message, as typed.
    pub input: String,
    /// A new session, or one to carry on; its earlier turns are sent before the input.
    pub session: SessionChoice,
    pub route: RouteMode,
    /// A model name for the selected backend; it must exist there.
    pub model: Option<String>,
    /// A cap on the answer's length in tokens.
    pub max_tokens: Option<u32>,
    /// Context attached to the new message (piped input, pasted code, files). It is
    /// weighed by the router and sent below the message.
    pub attachments: Vec<Attachment>,
    /// The voice to answer in: its system prompt and its routing prior. `None` is the
    /// default prompt and no lean.
    pub voice: Option<Voice>,
    /// Ask afresh even when the response cache holds an answer (regenerate, `/retry`).
    pub no_cache: bool,
    /// The workspace and the files to send from it.
    pub workspace: FilesRequest,
    /// Ask for changes to the workspace's files as edit blocks: the format goes in the
    /// system prompt, and each block of the answer comes back as an `edit` event with its
    /// diff. Nothing is written unless `apply` is set too.
    pub edit: bool,
    /// With `edit`: write the proposed changes (all or none) and journal them for undo.
    pub apply: bool,
}

/// One file considered for a request's context.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ContextItem {
    /// `path` or `path:40-90`.
    pub path: String,
    pub source: Source,
    pub tokens: u64,
    pub included: bool,
    /// It changed since it was last sent in this session.
    pub changed: bool,
    /// Why it was left out.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dropped: Option<String>,
    /// For the repository map: files shown and files ranked but left out.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub map: Option<(usize, usize)>,
}

/// What became of a proposed edit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum EditStatus {
    Proposed,
    Applied,
    Failed,
}

/// What a `context` event's items add up to, for a front end's one-line summary.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ContextCounts {
    /// Files (not the map) sent, and left out.
    pub sent: usize,
    pub dropped: usize,
    /// The map, when there was one: files shown, files ranked but left out, and whether it
    /// went in at all.
    pub map: Option<(usize, usize, bool)>,
}

impl ContextCounts {
    pub fn of(items: &[ContextItem]) -> Self {
        let mut counts = Self::default();
        for i in items {
            match i.map {
                Some((shown, left)) => counts.map = Some((shown, left, i.included)),
                None if i.included => counts.sent += 1,
                None => counts.dropped += 1,
            }
        }
        counts
    }
}

/// A named piece of context, such as `stdin` or a file path, with its text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attachment {
    pub name: String,
    pub text: String,
}

impl Submit {
    /// A new session's first turn, routed automatically in no voice.
    pub fn new(id: RequestId, input: impl Into<String>) -> Self {
        Self {
            id,
            input: input.into(),
            session: SessionChoice::New,
            route: RouteMode::Auto,
            model: None,
            max_tokens: None,
            attachments: Vec::new(),
            voice: None,
            no_cache: false,
            workspace: FilesRequest::default(),
            edit: false,
            apply: false,
        }
    }

    /// Carries on a session the engine knows (stored, or earlier in this engine's life).
    pub fn in_session(mut self, session: SessionId) -> Self {
        self.session = SessionChoice::Resume(session);
        self
    }
}

// One command per user action: the size of the largest variant costs nothing measurable,
// and boxing it would burden every front end's call site.
#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
pub enum Command {
    Submit(Submit),
    /// Stops a request; its HTTP connection is closed and a `cancelled` event follows.
    Cancel(RequestId),
    /// Probes every backend; answered by a `health` event.
    HealthCheck(RequestId),
    /// Lists a backend's models; answered by a `models` event.
    ListModels(RequestId, BackendId),
    /// Computes the metrics (from the store) with the live load; answered by a `metrics`
    /// event.
    Metrics(RequestId),
    /// Rates a session's last answer (and teaches the router); answered by `rated`.
    Feedback {
        id: RequestId,
        session: SessionId,
        verdict: Verdict,
    },
    /// Deletes a stored session; answered by `deleted`.
    DeleteSession {
        id: RequestId,
        session: SessionId,
    },
    /// Writes a change set the user accepted (all files or none) under the workspace of
    /// `dir` and journals it; answered by `journal`.
    Apply {
        id: RequestId,
        dir: PathBuf,
        session: Option<SessionId>,
        changes: Vec<crate::edit::Change>,
    },
    /// Restores the newest applied change set under the workspace of `dir` (of `session`
    /// when given); `force` overwrites files changed since. Answered by `journal`.
    Undo {
        id: RequestId,
        dir: PathBuf,
        session: Option<SessionId>,
        force: bool,
    },
    /// Re-applies the most recently undone change set; answered by `journal`.
    Redo {
        id: RequestId,
        dir: PathBuf,
        session: Option<SessionId>,
        force: bool,
    },
    /// Asks the fast server for a commit message for the newest applied change set under
    /// the git workspace of `dir`; answered by `commit_proposal`.
    ProposeCommit {
        id: RequestId,
        dir: PathBuf,
        session: Option<SessionId>,
    },
    /// Runs a command (or, with an empty command, the workspace's tests) in the sandbox;
    /// answered by `command_started`, `command_output` events and `command_done`.
    Run {
        id: RequestId,
        run: super::run::RunRequest,
    },
    /// The user's answer to an `approval` event of request `id`: run the command or not.
    Approve {
        id: RequestId,
        run: bool,
    },
    /// Records a front end's operation in the audit trail (a config change, a learning
    /// reset); answered by `audited`.
    Audit {
        id: RequestId,
        kind: String,
        session: Option<SessionId>,
        detail: serde_json::Value,
    },
    /// Commits `files` (workspace-relative) with `message`; answered by `committed`.
    Commit {
        id: RequestId,
        dir: PathBuf,
        files: Vec<String>,
        message: String,
    },
    Shutdown,
}

/// Every event carries the id of the request or command it belongs to.
#[derive(Debug, Clone, Serialize)]
pub struct Event {
    pub id: RequestId,
    #[serde(flatten)]
    pub kind: EventKind,
}

/// A hybrid draft stopped while it streamed because it was clearly failing.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EarlyStop {
    /// "early: " and what was wrong, for the user.
    pub reason: String,
    /// Tokens the draft had produced when it was stopped.
    pub tokens: u64,
    /// The time the rest of the draft would have taken, at its speed so far, up to its
    /// token limit; `None` when the limit or the speed is unknown.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub saved_ms: Option<f64>,
}

/// How an unload reads wherever it is shown (the inspector, the resource pane, `ask`):
/// "unloaded qwen-coder-7b from LM Studio after 900 s idle, to make room for big:32b".
pub fn unloaded_sentence(backend: BackendId, model: &str, idle_secs: u64, reason: &str) -> String {
    format!(
        "unloaded {model} from {} after {idle_secs} s idle, {reason}",
        backend.label()
    )
}

#[derive(Debug, Clone, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum EventKind {
    /// The session this request is part of, created or carried on; the first event of every
    /// request.
    Session {
        session: SessionId,
        /// It was created for this request.
        new: bool,
        /// Saved in the history database (false when history is off: it lasts as long as
        /// the engine).
        stored: bool,
    },
    /// The routing decision, with every field of [`RoutingDecision`].
    Route {
        #[serde(flatten)]
        decision: RoutingDecision,
        /// The backend that answers first.
        backend: BackendId,
        /// The backend tried when the first one is unavailable, if any.
        fallback: Option<BackendId>,
        /// What the analyser read in the prompt (kept with the decision, for learning and
        /// the inspector).
        features: crate::router::Features,
    },
    /// The backend is at `maxConcurrent`; the request waits behind `depth - 1` others.
    Queued {
        backend: BackendId,
        depth: usize,
    },
    Model {
        backend: BackendId,
        model: String,
        reason: String,
    },
    /// Progress worth telling the user, such as a model still loading; `backend` is the
    /// server it concerns, if any (a history problem concerns none).
    Status {
        backend: Option<BackendId>,
        message: String,
    },
    /// The server has not answered for a while because it is loading the model (or, with
    /// the model already loaded, is still working on the prompt).
    Loading {
        backend: BackendId,
        model: String,
        /// The server reported the model as loaded: it is busy, not loading.
        loaded: bool,
        message: String,
    },
    Delta {
        backend: BackendId,
        text: String,
        /// Part of a hybrid draft that is still being judged (and may be replaced).
        draft: bool,
    },
    Reasoning {
        backend: BackendId,
        text: String,
    },
    Logprobs {
        backend: BackendId,
        tokens: Vec<TokenLogprob>,
    },
    Fallback {
        from: BackendId,
        to: BackendId,
        error: String,
    },
    /// A finished fast answer was scored; every signal is reported.
    Confidence {
        backend: BackendId,
        score: f32,
        threshold: f64,
        signals: BTreeMap<&'static str, Signal>,
    },
    /// The draft scored below the threshold: the quality server answers instead.
    /// `early`: the draft was stopped while it streamed, and why.
    Escalate {
        from: BackendId,
        to: BackendId,
        confidence: f32,
        threshold: f64,
        signals: BTreeMap<&'static str, Signal>,
        #[serde(skip_serializing_if = "Option::is_none")]
        early: Option<EarlyStop>,
    },
    /// A model was unloaded to make room for another on the GPU (`hybrid.vram.unload_idle`):
    /// which, how long it had been idle, and for what.
    Unloaded {
        backend: BackendId,
        model: String,
        idle_secs: u64,
        reason: String,
    },
    /// A change the answer proposes to one file, before the request's `done`: its unified
    /// diff, or why it cannot be made; `applied` once written.
    Edit {
        path: String,
        status: EditStatus,
        /// The unified diff (`--- a/path`, `+++ b/path`, hunks); empty when it failed.
        diff: String,
        hunks: usize,
        added: usize,
        removed: usize,
        /// Why it failed: one sentence.
        #[serde(skip_serializing_if = "Option::is_none")]
        why: Option<String>,
        /// The proposed change itself (content before and after), for a front end that
        /// lets the user pick hunks and then sends [`Command::Apply`]; absent once applied
        /// or failed.
        #[serde(skip)]
        change: Option<std::sync::Arc<crate::edit::Change>>,
        /// The change's diff as computed here, so that a front end need not diff the file
        /// again on its drawing thread; with `change`.
        #[serde(skip)]
        file_diff: Option<std::sync::Arc<crate::edit::FileDiff>>,
    },
    /// A change set was written, undone or redone: the set and each file written; or
    /// `error` says why nothing was (or, with files, what went wrong after writing).
    Journal {
        action: super::journal::JournalAction,
        #[serde(skip_serializing_if = "Option::is_none")]
        set: Option<crate::store::EditSetId>,
        files: Vec<super::journal::JournalEntry>,
        /// Files changed outside since, overwritten because `force` was given.
        #[serde(skip_serializing_if = "Vec::is_empty")]
        forced: Vec<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        error: Option<String>,
    },
    /// A commit message written for the newest applied change set, to show before
    /// committing: the files it would commit, or why there is nothing to commit.
    CommitProposal {
        #[serde(skip_serializing_if = "Option::is_none")]
        set: Option<crate::store::EditSetId>,
        files: Vec<String>,
        message: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        error: Option<String>,
    },
    /// The request wants to run a command (with `sandbox.approval = "ask"`): it waits for
    /// an `approve` command with the user's answer.
    Approval {
        argv: Vec<String>,
        /// What the command is for, one sentence.
        why: String,
    },
    /// A hybrid edit's tests start on a scratch copy with the edit applied (`attempt` 1
    /// is the draft's).
    TestRun {
        backend: BackendId,
        attempt: u32,
        argv: Vec<String>,
    },
    /// How they went: passed or not, and the end of their output (for failures).
    TestResult {
        backend: BackendId,
        attempt: u32,
        /// `None`: not checked (the tests could not run), with `error` saying why.
        passed: Option<bool>,
        #[serde(skip_serializing_if = "Option::is_none")]
        exit_code: Option<i32>,
        duration_ms: f64,
        output: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        error: Option<String>,
    },
    /// A command is about to run: its argv and how it is confined (`bwrap`; `landlock`,
    /// where bubblewrap cannot run; or `off`: unconfined, which a front end must say).
    /// `notice`: why it is not confined as configured, for the user to read.
    CommandStarted {
        argv: Vec<String>,
        sandbox: &'static str,
        #[serde(skip_serializing_if = "Option::is_none")]
        notice: Option<String>,
    },
    /// Output of a running command, as it arrives (`stream`: `stdout` or `stderr`).
    CommandOutput {
        stream: &'static str,
        text: String,
    },
    /// A command ended: its exit code (124 when killed for time, 128+N for signal N), or
    /// `error` says why it could not run.
    CommandDone {
        #[serde(skip_serializing_if = "Option::is_none")]
        exit_code: Option<i32>,
        timed_out: bool,
        /// Stopped by a `cancel` command (exit code 130).
        cancelled: bool,
        duration_ms: f64,
        output_bytes: u64,
        #[serde(skip_serializing_if = "Option::is_none")]
        error: Option<String>,
    },
    /// An `audit` command was recorded as `entry`, or `error` says why not.
    Audited {
        #[serde(skip_serializing_if = "Option::is_none")]
        entry: Option<i64>,
        #[serde(skip_serializing_if = "Option::is_none")]
        error: Option<String>,
    },
    /// A commit was made (`commit` is its hash), or `error` says why not.
    Committed {
        #[serde(skip_serializing_if = "Option::is_none")]
        commit: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        error: Option<String>,
    },
    /// What the request sends from the workspace, fitted to the window of the model that
    /// answers: every file considered, with its token estimate, and why one was left out.
    Context {
        backend: BackendId,
        /// The model's window, in tokens.
        window: u64,
        /// Tokens left for files once the conversation and room for the answer are counted.
        budget: u64,
        /// Tokens the included files take.
        used: u64,
        items: Vec<ContextItem>,
    },
    /// The oldest turns were dropped so that the conversation fits the loaded window.
    Trimmed {
        backend: BackendId,
        dropped: usize,
        tokens: u64,
        window: u64,
    },
    Done {
        backend: BackendId,
        model: String,
        ttft_ms: Option<f64>,
        total_ms: f64,
        input_tokens: Option<u64>,
        output_tokens: Option<u64>,
        tokens_per_second: Option<f64>,
        finish_reason: Option<String>,
        /// Answered from the response cache, at once; no server was asked.
        cached: bool,
        /// Prompt tokens the server took from its KV cache rather than processing again
        /// (llama-server's `timings.cache_n`, OpenAI's `prompt_tokens_details`), where it
        /// says.
        #[serde(skip_serializing_if = "Option::is_none")]
        cached_tokens: Option<u64>,
        /// The endpoint that answered, when its role has several (`engine/pool.rs`): the
        /// session's next turn prefers it. Absent otherwise, as before.
        #[serde(skip_serializing_if = "Option::is_none")]
        endpoint: Option<String>,
    },
    Error {
        backend: Option<BackendId>,
        message: String,
        /// A stable name for the failure, e.g. `unreachable` or `model_not_found`.
        code: &'static str,
        /// Some answer text had arrived before the failure; the front end keeps it.
        partial: bool,
    },
    Cancelled {
        partial: bool,
    },
    Health {
        backends: Vec<BackendHealth>,
    },
    Models {
        backend: BackendId,
        models: Vec<ModelInfo>,
        error: Option<String>,
    },
    /// A `feedback` command was recorded (or failed: `error`).
    Rated {
        session: SessionId,
        verdict: Verdict,
        /// The answer rated (the session's latest finished one).
        message: Option<crate::store::MessageId>,
        /// What the router learned from it, when the answer had taught it something.
        learned: Option<crate::store::Observation>,
        /// Why the rating (or, with `message` set, only the learning update) failed.
        error: Option<String>,
    },
    /// A `delete_session` command ran; `error` says why it did not.
    Deleted {
        session: SessionId,
        error: Option<String>,
    },
    /// The resource monitor's latest picture: GPU memory, CPU and memory load, and each
    /// server's state, loaded models (with VRAM) and load. Sent every couple of seconds to
    /// long-lived front ends.
    Resources {
        status: crate::resources::ResourceStatus,
    },
    /// The seed's `HybridMetrics`: figures from the store (absent when history is off),
    /// each backend's current load, and where learning stands.
    Metrics {
        stored: Option<crate::store::Metrics>,
        load: Vec<BackendLoad>,
        learning: Vec<crate::router::learn::ClassSummary>,
    },
}

/// A backend's current load.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct BackendLoad {
    pub backend: BackendId,
    pub in_flight: usize,
    pub queued: usize,
    pub max_concurrent: usize,
}

/// One backend's state, as `doctor`, health checks and the resource pane show it.
#[derive(Debug, Clone, Serialize)]
pub struct BackendHealth {
    pub backend: BackendId,
    pub endpoint: String,
    pub enabled: bool,
    pub up: bool,
    pub server: Option<ServerKind>,
    pub version: Option<String>,
    pub models: Vec<ModelInfo>,
    pub error: Option<String>,
    pub in_flight: usize,
    pub queued: usize,
    pub max_concurrent: usize,
    pub breaker: super::breaker::BreakerState,
}
