//! One request from route to done: pick the backend, wait for a slot, choose the model,
//! stream, and fall back to the other server when the first cannot take the request.

mod edit_loop;
mod test_loop;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use tokio::sync::oneshot;
use tokio::time::Instant;

use super::cache;
use super::context;
use super::conversation;
use super::events::{EarlyStop, EditStatus, Event, EventKind, Submit};
use super::files;
use super::outbox::Outbox;
use super::record::{Recorder, Recording};
use super::repo_map;
use super::route::{escalation_messages, plan};
use super::slot::Slot;
use super::writer::Writer;
use super::Shared;
use crate::backend::{
    models, BackendError, BackendId, ChatMessage, ChatRequest, ErrorKind, StreamEvent, TokenLogprob,
};
use crate::confidence::{self, early, Draft};
use crate::router::learn::Arm;
use crate::router::{AdjustmentKind, Route, RoutingDecision};
use crate::store::{CachedAnswer, Observation};

/// How long judging a draft may take. A 10 KB answer scores in about 2 ms
/// (`cargo bench --bench confidence`); this bound is for hostile ones.
const SCORE_BUDGET: Duration = Duration::from_secs(2);
/// How much of a draft is judged: far beyond any answer worth judging by its text.
pub const SCORE_MAX_BYTES: usize = 256 * 1024;

/// The most of a draft stopped early that the quality server is shown: its start says
/// what it tried; the rest is the loop that stopped it.
const EARLY_DRAFT_SHOWN: usize = 2_000;

/// After this long without a first token, tell the user the model is probably loading.
const LOADING_NOTICE: Duration = Duration::from_secs(3);

/// One try at one backend: which, with what conversation, and whether its text is a draft.
struct Leg {
    id: BackendId,
    model: Option<String>,
    messages: Vec<ChatMessage>,
    draft: bool,
    /// The last backend that may answer: trim old turns rather than give up on length.
    may_trim: bool,
}

/// A finished answer, before its `done` event is sent.
struct Answer {
    backend: BackendId,
    text: String,
    reasoning: String,
    logprobs: Vec<TokenLogprob>,
    finish_reason: Option<String>,
    done: EventKind,
    /// Stopped while it streamed, as clearly failing (a hybrid draft only).
    early: Option<EarlyStop>,
}

impl Answer {
    /// What the response cache keeps of it.
    fn cached(&self) -> CachedAnswer {
        let (input_tokens, output_tokens) = match &self.done {
            EventKind::Done {
                input_tokens,
                output_tokens,
                ..
            } => (*input_tokens, *output_tokens),
            _ => (None, None),
        };
        CachedAnswer {
            text: self.text.clone(),
            reasoning: self.reasoning.clone(),
            finish_reason: self.finish_reason.clone(),
            input_tokens,
            output_tokens,
            logprobs: self.logprobs.clone(),
        }
    }
}

/// How an attempt on one backend ended.
enum Outcome {
    Done(Box<Answer>),
    Cancelled,
    Failed(BackendError),
}

/// A 503 is back-pressure (Ollama's queue is full, llama-server is loading): wait and retry
/// this often before giving up.
const BUSY_RETRIES: [Duration; 3] = [
    Duration::from_millis(500),
    Duration::from_secs(1),
    Duration::from_secs(2),
];

pub struct Run {
    shared: Arc<Shared>,
    events: Outbox,
    submit: Submit,
    cancel: oneshot::Receiver<()>,
    /// The user's answers to `approval` events (`approve` commands).
    approvals: tokio::sync::mpsc::UnboundedReceiver<bool>,
    /// Some final (not draft) answer text has been sent to the front end.
    partial: bool,
    /// Saves the request to its session; it lives on the history writer's thread.
    recording: Option<Recording>,
    /// A draft was escalated (whatever became of the escalation).
    escalated: bool,
    /// Some leg was answered from the response cache.
    cached: bool,
    /// Workspace files to send, in order of priority.
    files: Vec<files::Gathered>,
    /// The repository map, for the kinds of work that need one.
    map: Option<crate::workspace::map::RepoMap>,
    /// The workspace's root, when the request has one: where proposed edits apply.
    root: Option<PathBuf>,
    /// The server and model of the session's previous final answer (a follow-up): the
    /// route and the model choice prefer them, for their warm cache.
    previous: Option<(BackendId, Option<String>)>,
    /// The session the request is saved in, for the edit journal.
    session: Option<crate::store::SessionId>,
}

impl Run {
    pub fn new(
        shared: Arc<Shared>,
        events: Outbox,
        submit: Submit,
        cancel: oneshot::Receiver<()>,
        approvals: tokio::sync::mpsc::UnboundedReceiver<bool>,
    ) -> Self {
        Self {
            shared,
            events,
            submit,
            cancel,
            approvals,
            partial: false,
            recording: None,
            escalated: false,
            cached: false,
            files: Vec::new(),
            map: None,
            root: None,
            previous: None,
            session: None,
        }
    }

    fn whole_file_lines(&self) -> u64 {
        self.shared.config.workspace.whole_file_lines
    }

    /// Whether an edit should come with a demonstration: its tests are to check it, and the
    /// workspace has none.
    fn wants_demo(&self) -> bool {
        let config = &self.shared.config;
        let Some(root) = self.root.as_deref() else {
            return false;
        };
        self.submit.edit
            && config.hybrid.routing.check_with_tests
            && crate::workspace::test_command::command(root, &config.workspace.test_command)
                .is_none()
    }

    fn writer(&self) -> Option<&Writer> {
        self.shared.history.as_ref().map(|h| &h.writer)
    }

    /// Sends an event to the front end, and has the writer mirror it into the session.
    async fn emit(&self, kind: EventKind) {
        if let Some(r) = &self.recording {
            let copy = kind.clone();
            r.with(move |rec, store| rec.event(store, &copy));
        }
        self.send(kind).await;
    }

    async fn send(&self, kind: EventKind) {
        let id = self.submit.id;
        self.events.send(Event { id, kind }).await;
    }

    /// Finds the workspace and reads the files the request names, on the blocking pool:
    /// the workspace (its root, and its index when one was needed) and the files, or
    /// `None` without a workspace. A refusal is the message and the error code.
    async fn name_files(
        &self,
    ) -> Result<Option<(files::Named, Vec<files::Gathered>)>, (String, &'static str)> {
        let ws = &self.submit.workspace;
        if ws.dir.is_none() && ws.files.is_empty() {
            return Ok(None);
        }
        let shared = Arc::clone(&self.shared);
        let (req, input) = (ws.clone(), self.submit.input.clone());
        let job = tokio::task::spawn_blocking(move || {
            let named = files::named(&shared.config, &req, &input)?;
            let (gathered, notes) = files::read_named(&shared.config, &named)?;
            Ok::<_, crate::workspace::Refused>((named, gathered, notes))
        });
        match job.await {
            Ok(Ok((named, gathered, notes))) => {
                for message in notes {
                    self.send(EventKind::Status {
                        backend: None,
                        message,
                    })
                    .await;
                }
                Ok(Some((named, gathered)))
            }
            Ok(Err(r)) => {
                let code = if r.secret { "secret_file" } else { "file" };
                Err((files::refusal_message(&r), code))
            }
            Err(_) => Err(("reading the workspace failed unexpectedly".into(), "file")),
        }
    }

    /// Builds the repository map on the blocking pool, with the symbols the store has
    /// cached; the symbols read afresh are cached by the writer.
    async fn repo_map(
        &self,
        workspace: files::Named,
        backend: BackendId,
    ) -> Option<crate::workspace::map::RepoMap> {
        let files::Named { root, index, .. } = workspace;
        let key = root.display().to_string();
        let writer = self.writer().cloned();
        // The store's rows are read once per workspace; later maps use what is in memory.
        let known = match self.shared.maps.get(&key) {
            Some(known) => known,
            None => {
                let rows = match &writer {
                    Some(w) => {
                        let key = key.clone();
                        w.ask(move |s| s.file_tags(&key)).await.and_then(Result::ok)
                    }
                    None => None,
                }
                .unwrap_or_default();
                let known = tokio::task::spawn_blocking(move || repo_map::warm_from(rows))
                    .await
                    .unwrap_or_default();
                let known = Arc::new(known);
                self.shared.maps.keep(&key, Arc::clone(&known));
                known
            }
        };
        let focus = crate::workspace::map::Focus {
            attached: self
                .files
                .iter()
                .map(|g| g.text.file.path.clone())
                .collect(),
            prompt: self.submit.input.clone(),
        };
        let max = self.shared.config.workspace.max_file_bytes();
        let cpt = self.shared.slot(backend).tokens.chars_per_token();
        let job = tokio::task::spawn_blocking(move || {
            repo_map::build(&root, index.as_ref(), &focus, known, max, cpt)
        });
        let (map, fresh) = job.await.ok()?;
        if let (Some(w), false) = (writer, fresh.is_empty()) {
            w.run(move |s| {
                if let Err(e) = s.put_file_tags(&key, &fresh) {
                    tracing::warn!("{e}");
                }
            });
        }
        Some(map)
    }

    /// Adds the session's attached files to this request's, marks changed ones, and saves
    /// the session's new set (on the writer).
    async fn session_files(&mut self, root: PathBuf, session: crate::store::SessionId) {
        let Some(writer) = self.writer().cloned() else {
            return;
        };
        let stored = match writer.ask(move |s| s.session_files(session)).await {
            Some(Ok(stored)) => stored,
            Some(Err(e)) => {
                self.send(EventKind::Status {
                    backend: None,
                    message: format!("{e}; this session's earlier files are not sent"),
                })
                .await;
                Vec::new()
            }
            None => Vec::new(),
        };
        let shared = Arc::clone(&self.shared);
        let mut gathered = std::mem::take(&mut self.files);
        let drop = self.submit.workspace.drop.clone();
        let job = tokio::task::spawn_blocking(move || {
            let (set, notes) =
                files::add_session_files(&shared.config, &root, &mut gathered, &stored, &drop);
            (gathered, set, notes)
        });
        let Ok((gathered, set, notes)) = job.await else {
            return;
        };
        self.files = gathered;
        for message in notes {
            self.send(EventKind::Status {
                backend: None,
                message,
            })
            .await;
        }
        if let Some(r) = &self.recording {
            r.with(move |rec, store| rec.files(store, &set));
        }
    }

    /// Creates or continues the session and builds what is sent. Without any history
    /// (not even in memory) the request goes on without a session.
    async fn open(
        &mut self,
    ) -> Result<(Vec<ChatMessage>, Option<crate::store::SessionId>), String> {
        let Some(history) = self.shared.history.as_ref() else {
            return Ok((
                conversation::messages(
                    &self.submit,
                    Vec::new(),
                    self.whole_file_lines(),
                    self.wants_demo(),
                ),
                None,
            ));
        };
        let stored = history.stored;
        let (choice, input) = (self.submit.session, self.submit.input.clone());
        let voice = self.submit.voice.as_ref().map(|v| v.name.clone());
        let opened = history
            .writer
            .ask(move |store| conversation::open(store, stored, choice, &input, voice.as_deref()))
            .await
            .ok_or_else(|| "the history writer has stopped".to_owned())??;
        self.previous = opened.last;
        let messages = conversation::messages(
            &self.submit,
            opened.prior,
            self.whole_file_lines(),
            self.wants_demo(),
        );
        let rec = Recorder::new(opened.session, self.events.clone(), self.submit.id);
        let recording = Recording::new(history.writer.clone(), rec);
        // Saved before anything is sent, as it will be sent but for the workspace files,
        // which are kept as the session's set (each turn sends them afresh).
        let sent = messages
            .last()
            .map(|m| m.content.clone())
            .unwrap_or_default();
        recording.with(move |rec, store| rec.user(store, &sent));
        self.recording = Some(recording);
        self.send(EventKind::Session {
            session: opened.session,
            new: opened.new,
            stored,
        })
        .await;
        Ok((messages, Some(opened.session)))
    }

    pub async fn go(mut self) {
        let workspace = match self.name_files().await {
            Ok(Some((named, gathered))) => {
                self.files = gathered;
                self.root = Some(named.root.clone());
                Some(named)
            }
            Ok(None) => None,
            Err((message, code)) => {
                let kind = EventKind::Error {
                    backend: None,
                    message,
                    code,
                    partial: false,
                };
                self.send(kind).await;
                return;
            }
        };
        let messages = match self.open().await {
            Ok((m, session)) => {
                let stored = self.shared.history.as_ref().is_some_and(|h| h.stored);
                self.session = session.filter(|_| stored);
                if let (Some(ws), Some(session)) = (&workspace, session) {
                    self.session_files(ws.root.clone(), session).await;
                }
                m
            }
            Err(message) => {
                self.send(EventKind::Error {
                    backend: None,
                    message,
                    code: "session",
                    partial: false,
                })
                .await;
                return;
            }
        };
        let names: Vec<&str> = self
            .files
            .iter()
            .map(|g| g.text.file.path.as_str())
            .collect();
        let previous = self.previous.as_ref().map(|(b, _)| *b);
        let plan = plan(&self.shared, &self.submit, &names, previous);
        let voice = self.submit.voice.as_ref().map(|v| v.name.as_str());
        if let Some(ws) = workspace.filter(|_| repo_map::wanted(plan.decision.task_type, voice)) {
            self.map = self.repo_map(ws, plan.primary).await;
        }
        self.emit(EventKind::Route {
            decision: plan.decision.clone(),
            backend: plan.primary,
            fallback: plan.fallback,
            features: plan.features.clone(),
        })
        .await;
        // A server the router moved away from (down, cooling) is a fallback the user sees.
        for adj in plan
            .decision
            .adjustments
            .iter()
            .filter(|a| a.kind == AdjustmentKind::Health)
        {
            let from = adj.from.first_backend();
            if from != plan.primary {
                self.emit(EventKind::Fallback {
                    from,
                    to: plan.primary,
                    error: adj.reason.clone(),
                })
                .await;
            }
        }
        let hybrid = plan.decision.selected == Route::Hybrid && plan.primary == BackendId::Lmstudio;
        let edit_messages = if self.submit.edit {
            messages.clone()
        } else {
            Vec::new()
        };
        let first = Leg {
            id: plan.primary,
            model: self.submit.model.clone(),
            messages: messages.clone(),
            draft: hybrid,
            may_trim: plan.fallback.is_none(),
        };
        let outcome = match (self.attempt(first).await, plan.fallback) {
            (Outcome::Failed(e), Some(to)) if movable(&e) && !self.partial => {
                self.emit(EventKind::Fallback {
                    from: plan.primary,
                    to,
                    error: e.message.clone(),
                })
                .await;
                let leg = Leg {
                    id: to,
                    model: None,
                    messages,
                    draft: false,
                    may_trim: true,
                };
                self.attempt(leg).await
            }
            (Outcome::Failed(e), None) if e.is_unavailable() => match &plan.forced {
                Some(how) => Outcome::Failed(BackendError {
                    message: format!("{} ({how})", e.message),
                    ..e
                }),
                None => Outcome::Failed(e),
            },
            // A draft stopped while it streamed escalates at once, edit or not.
            (Outcome::Done(mut draft), _) if draft.early.is_some() => match draft.early.take() {
                Some(stop) => self.escalate_early(draft, stop, messages).await,
                None => Outcome::Done(draft),
            },
            // An edit draft is judged once its edits are read (the edit loop).
            (Outcome::Done(draft), _)
                if hybrid && draft.backend == BackendId::Lmstudio && !self.submit.edit =>
            {
                self.judge(draft, &plan.decision, messages, None).await
            }
            (other, _) => other,
        };
        let outcome = if self.submit.edit {
            self.edit_loop(outcome, edit_messages, hybrid, &plan.decision)
                .await
        } else {
            outcome
        };
        let learned = self.observations(&plan, &outcome);
        let terminal = self.terminal(outcome);
        self.finish(terminal, learned).await;
    }

    /// Records the request's end and what it taught, then tells the front end: once the
    /// `done` (or `error`) event arrives, the session, the decisions and the learning
    /// statistics are on disk.
    async fn finish(&self, terminal: EventKind, learned: Vec<Observation>) {
        let shared = Arc::clone(&self.shared);
        let Some(recording) = self.recording.clone() else {
            for o in &learned {
                shared.learner.observe(o);
            }
            shared.finished.fetch_add(1, Ordering::SeqCst);
            self.send(terminal).await;
            return;
        };
        let events = self.events.clone();
        let id = self.submit.id;
        recording.with(move |rec, store| {
            rec.event(store, &terminal);
            for o in &learned {
                shared.learner.observe(o);
            }
            if let Some(last) = learned.last() {
                rec.learned(store, last);
            }
            shared.finished.fetch_add(1, Ordering::SeqCst);
            // On the writer's thread, once the request's writes have landed.
            events.send_blocking(Event { id, kind: terminal });
        });
    }

    /// What this request teaches the router. The server that answered first is judged:
    /// the fast one failed when its draft was escalated, and held up otherwise; an
    /// escalation's answer counts for the quality server. Cached answers, fallbacks,
    /// failures and cancellations teach nothing about answer quality.
    fn observations(&self, plan: &super::route::Plan, outcome: &Outcome) -> Vec<Observation> {
        let Outcome::Done(answer) = outcome else {
            return Vec::new();
        };
        if self.cached {
            return Vec::new();
        }
        let class = |arm, success| Observation {
            task_type: plan.decision.task_type,
            band: crate::router::learn::band(plan.decision.complexity),
            arm,
            success,
        };
        if self.escalated {
            let mut out = vec![class(Arm::Fast, false)];
            if answer.backend == BackendId::Ollama {
                out.push(class(Arm::Quality, true));
            }
            return out;
        }
        if answer.backend != plan.primary {
            return Vec::new();
        }
        vec![class(Arm::of(plan.primary), true)]
    }

    /// Writes `changes` (all or none) and journals them for undo, on the writer; the events
    /// then say `applied`, or each proposed file says why nothing was written.
    async fn apply_edits(
        &self,
        root: &std::path::Path,
        changes: Vec<crate::edit::Change>,
        events: &mut [EventKind],
    ) {
        let Some(w) = self.writer() else {
            let why =
                "nothing was written: the edit journal is unavailable, so it could not be undone";
            return mark(events, EditStatus::Failed, Some(why.to_owned()));
        };
        let key = super::journal::key_of(root);
        let at = root.to_path_buf();
        let session = self.session;
        let outcome = w
            .ask(move |s| super::journal::apply(s, &at, &key, session, &changes))
            .await;
        match outcome {
            Some(o) if !o.files.is_empty() => {
                mark(events, EditStatus::Applied, None);
                if let Some(e) = o.error {
                    tracing::warn!("{e}");
                }
            }
            Some(o) => mark(events, EditStatus::Failed, o.error),
            None => {
                let why = "nothing was written: the history writer has stopped".to_owned();
                mark(events, EditStatus::Failed, Some(why));
            }
        }
    }

    /// The event that ends the request.
    fn terminal(&self, outcome: Outcome) -> EventKind {
        match outcome {
            Outcome::Done(answer) => answer.done,
            Outcome::Cancelled => EventKind::Cancelled {
                partial: self.partial,
            },
            // Said once, here: only the engine knows whether text was shown.
            Outcome::Failed(e) => EventKind::Error {
                backend: Some(e.backend),
                code: e.kind.code(),
                message: if self.partial {
                    format!("{}; the partial answer is kept", e.message)
                } else {
                    e.message
                },
                partial: self.partial,
            },
        }
    }

    /// Scores a hybrid draft and escalates it to the quality server when it is weak.
    /// `scored`: the text to judge instead of the draft's (an edit draft is judged on the
    /// files its edits produce; see `edits::scored_text`).
    async fn judge(
        &mut self,
        draft: Box<Answer>,
        decision: &RoutingDecision,
        messages: Vec<ChatMessage>,
        scored: Option<String>,
    ) -> Outcome {
        let routing = &self.shared.config.hybrid.routing;
        if !routing.confidence_scoring {
            return Outcome::Done(draft);
        }
        let threshold = routing.escalation_threshold;
        let Some(report) = self.score(&draft, scored, decision.task_type).await else {
            self.emit(EventKind::Status {
                backend: Some(draft.backend),
                message: format!(
                    "the draft could not be judged within {} s; keeping it",
                    SCORE_BUDGET.as_secs()
                ),
            })
            .await;
            return Outcome::Done(draft);
        };
        let report = if routing.check_examples {
            match self.check_examples(&draft, report).await {
                Some(r) => r,
                None => return Outcome::Cancelled,
            }
        } else {
            report
        };
        self.emit(EventKind::Confidence {
            backend: draft.backend,
            score: report.score,
            threshold,
            signals: report.signals.clone(),
        })
        .await;
        let weak = self.shared.config.hybrid.routing.escalates(report.score);
        if !weak {
            return Outcome::Done(draft);
        }
        let problems = report.problems();
        self.escalate_draft(
            draft,
            messages,
            report.score,
            report.signals,
            problems,
            None,
        )
        .await
    }

    /// A draft stopped while it streamed: it escalates at once, on the `early` signal, with
    /// only the draft's start for the quality server (the rest is the failure itself). The
    /// draft itself is kept whole, and marked as stopped early, should it have to stand.
    async fn escalate_early(
        &mut self,
        mut draft: Box<Answer>,
        stop: EarlyStop,
        messages: Vec<ChatMessage>,
    ) -> Outcome {
        draft.early = Some(stop.clone());
        let why = stop.reason.trim_start_matches("early: ").to_owned();
        let signals = BTreeMap::from([(
            "early",
            confidence::Signal {
                score: 0.0,
                weight: 1.0,
                detail: why.clone(),
            },
        )]);
        self.escalate_draft(draft, messages, 0.0, signals, vec![why], Some(stop))
            .await
    }

    /// Sends a weak draft's request to the quality server, with what was wrong; the draft
    /// stands when the quality server cannot answer.
    async fn escalate_draft(
        &mut self,
        draft: Box<Answer>,
        messages: Vec<ChatMessage>,
        confidence: f32,
        signals: BTreeMap<&'static str, confidence::Signal>,
        problems: Vec<String>,
        early: Option<EarlyStop>,
    ) -> Outcome {
        let threshold = self.shared.config.hybrid.routing.escalation_threshold;
        let to = BackendId::Ollama;
        let quality = self.shared.slot(to);
        if let Some(e) = quality.disabled_error().or_else(|| quality.gate().err()) {
            self.emit(EventKind::Status {
                backend: Some(to),
                message: format!("{}; keeping the fast draft", e.message),
            })
            .await;
            return Outcome::Done(draft);
        }
        self.escalated = true;
        let stopped_early = early.is_some();
        self.emit(EventKind::Escalate {
            from: draft.backend,
            to,
            confidence,
            threshold,
            signals,
            early,
        })
        .await;
        let leg = Leg {
            id: to,
            model: None,
            // A draft stopped early is the failure itself past its start.
            messages: escalation_messages(
                messages,
                if stopped_early {
                    crate::text::short::head(&draft.text, EARLY_DRAFT_SHOWN)
                } else {
                    &draft.text
                },
                &problems,
            ),
            draft: false,
            may_trim: true,
        };
        match self.attempt(leg).await {
            Outcome::Failed(e) if !self.partial => {
                let message = format!("escalation failed ({}); keeping the fast draft", e.message);
                self.emit(EventKind::Status {
                    backend: Some(to),
                    message,
                })
                .await;
                Outcome::Done(draft)
            }
            other => other,
        }
    }

    /// Scores a draft on the blocking pool within [`SCORE_BUDGET`], over at most
    /// [`SCORE_MAX_BYTES`] of it: parsing a hostile answer must not stall the engine's
    /// workers. `None` when the budget ran out (the work finishes in the background).
    async fn score(
        &self,
        draft: &Answer,
        scored: Option<String>,
        task_type: crate::router::TaskType,
    ) -> Option<confidence::Report> {
        let prompt = self.submit.input.clone();
        let text = scored.as_deref().unwrap_or(&draft.text);
        let answer = crate::text::short::head(text, SCORE_MAX_BYTES).to_owned();
        let (finish, logprobs) = (draft.finish_reason.clone(), draft.logprobs.clone());
        within(SCORE_BUDGET, move || {
            confidence::score(&Draft {
                prompt: &prompt,
                answer: &answer,
                task_type,
                finish_reason: finish.as_deref(),
                logprobs: &logprobs,
            })
        })
        .await
    }

    /// `report` with what the draft claims its own Python code gives checked by running it
    /// in the sandbox (`examples`); `None` when the user cancelled meanwhile. A run that
    /// cannot finish in time leaves the report as it was.
    async fn check_examples(
        &mut self,
        draft: &Answer,
        report: confidence::Report,
    ) -> Option<confidence::Report> {
        let prompt = self.submit.input.clone();
        let answer = crate::text::short::head(&draft.text, SCORE_MAX_BYTES).to_owned();
        // Reading the claims walks the whole draft: off the async workers, as scoring is.
        let text = answer.clone();
        let probe = within(SCORE_BUDGET, move || {
            confidence::claims::probe(&prompt, &text)
        });
        let Some(probe) = probe.await.flatten() else {
            return Some(report);
        };
        self.emit(EventKind::Status {
            backend: Some(draft.backend),
            message: probe.purpose().into(),
        })
        .await;
        let cfg = self.shared.config.sandbox.clone();
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let (unchecked, flag) = (report.clone(), Arc::clone(&stop));
        let job = within(super::examples::WALL + Duration::from_secs(2), move || {
            super::examples::check(&cfg, &probe, &answer, report, Some(flag))
        });
        tokio::select! {
            checked = job => Some(checked.unwrap_or(unchecked)),
            _ = &mut self.cancel => {
                stop.store(true, std::sync::atomic::Ordering::Relaxed);
                None
            }
        }
    }

    /// One leg, retried while Ollama signals back-pressure with 503.
    async fn attempt(&mut self, leg: Leg) -> Outcome {
        let mut outcome = self.attempt_once(&leg).await;
        for wait in BUSY_RETRIES {
            match &outcome {
                Outcome::Failed(e) if e.kind == ErrorKind::Status(503) && !self.partial => {
                    let message = format!(
                        "{} is busy (503: its queue is full or a model is still loading); retrying in {:.1} s",
                        leg.id.label(),
                        wait.as_secs_f64()
                    );
                    self.emit(EventKind::Status {
                        backend: Some(leg.id),
                        message,
                    })
                    .await;
                    tokio::select! {
                        _ = tokio::time::sleep(wait) => {}
                        _ = &mut self.cancel => return Outcome::Cancelled,
                    }
                    outcome = self.attempt_once(&leg).await;
                }
                _ => break,
            }
        }
        outcome
    }

    /// One leg on one endpoint of its role (`pool.rs` chooses, preferring the one that
    /// served this session's previous turn there), and once more on another endpoint when
    /// the first failed in a way that counts against its breaker.
    async fn attempt_once(&mut self, leg: &Leg) -> Outcome {
        let shared = Arc::clone(&self.shared);
        let pool = shared.slot(leg.id);
        let prefer = self.served_last(leg.id).await;
        if leg.model.is_some() && pool.several() {
            pool.know_models().await;
        }
        let first = pool.pick_first(leg.model.as_deref(), prefer.as_deref());
        let outcome = self.attempt_at(leg, first.slot).await;
        let failed = first.index;
        drop(first);
        let retry = match &outcome {
            Outcome::Failed(e) if e.is_unavailable() && e.kind != ErrorKind::Status(503) => {
                pool.pick_other(leg.model.as_deref(), failed)
            }
            _ => None,
        };
        let (Some(next), false) = (retry, self.partial) else {
            return outcome;
        };
        if let Outcome::Failed(e) = &outcome {
            let message = format!(
                "{}; trying {} at {}",
                e.message,
                leg.id.label(),
                next.slot.name()
            );
            self.emit(EventKind::Status {
                backend: Some(leg.id),
                message,
            })
            .await;
        }
        self.attempt_at(leg, next.slot).await
    }

    /// The endpoint that answered this session's latest turn on `id`'s role, when it has
    /// several endpoints and the session is stored.
    async fn served_last(&self, id: BackendId) -> Option<String> {
        let session = self.session.filter(|_| self.shared.slot(id).several())?;
        self.writer()?
            .ask(move |store| super::pool::served_last(store, session, id))
            .await
            .flatten()
    }

    async fn attempt_at(&mut self, leg: &Leg, slot: &Slot) -> Outcome {
        let shared = Arc::clone(&self.shared);
        if let Some(e) = slot.disabled_error() {
            return Outcome::Failed(e);
        }
        if let Err(e) = slot.gate() {
            return Outcome::Failed(e);
        }
        let start = Instant::now();
        // The model is chosen before waiting for a slot: a cached answer needs none.
        let info = tokio::select! {
            i = slot.info() => i,
            _ = &mut self.cancel => return Outcome::Cancelled,
        };
        let info = match info {
            Ok(i) => i,
            Err(e) => {
                slot.record(!e.is_unavailable());
                return Outcome::Failed(e);
            }
        };
        let choice = match self.sticky_model(leg, &info.models) {
            Some(c) => c,
            None => match models::choose(
                leg.id,
                slot.cfg.api,
                leg.model.as_deref(),
                &slot.cfg.models,
                &info.models,
            ) {
                Ok(c) => c,
                Err(e) => return Outcome::Failed(e),
            },
        };
        let model = info.models.iter().find(|m| m.name == choice.name);
        if let Some(e) = model.and_then(|m| remote_refusal(leg.id, m, slot.cfg.allow_remote)) {
            return Outcome::Failed(e);
        }
        self.emit(EventKind::Model {
            backend: leg.id,
            model: choice.name.clone(),
            reason: choice.reason,
        })
        .await;
        let window = model.and_then(|m| m.context_length);
        let messages = match self.fit(leg, &choice.name, window).await {
            Ok(m) => m,
            Err(e) => return Outcome::Failed(e),
        };
        let req = ChatRequest {
            model: choice.name.clone(),
            messages,
            // The user's --max-tokens wins; a draft without one gets the fast server's cap.
            max_tokens: self
                .submit
                .max_tokens
                .or_else(|| slot.cfg.draft_max_tokens.filter(|_| leg.draft)),
            logprobs: true,
            ..ChatRequest::default()
        };
        let key =
            cache::enabled(&shared).then(|| cache::key(leg.id, slot.backend.endpoint(), &req));
        if let Some(hit) = self.cached_answer(key.as_ref()).await {
            return self.replay(leg, choice.name, hit, start).await;
        }
        // Only a request that will load the model makes room for it, and Esc stops waiting.
        if model.is_some_and(|m| super::vram::needs_room(&shared, leg.id, m)) {
            let room = super::vram::make_room(Arc::clone(&shared), leg.id.other(), &choice.name);
            let events = tokio::select! {
                events = room => events,
                _ = &mut self.cancel => return Outcome::Cancelled,
            };
            for e in events {
                self.emit(e).await;
            }
        }
        let _permit = match slot.try_acquire() {
            Ok(p) => p,
            Err(depth) => {
                self.emit(EventKind::Queued {
                    backend: leg.id,
                    depth,
                })
                .await;
                tokio::select! {
                    p = slot.acquire() => p,
                    _ = &mut self.cancel => return Outcome::Cancelled,
                }
            }
        };
        let chars_sent: usize = req.messages.iter().map(|m| m.content.len()).sum();
        let mut outcome = self
            .stream(slot, req, start, model.and_then(|m| m.loaded), leg.draft)
            .await;
        if let Outcome::Done(answer) = &mut outcome {
            if let EventKind::Done { endpoint, .. } = &mut answer.done {
                // Recorded with the turn, for the next one to prefer (`pool::served_last`).
                *endpoint = shared
                    .slot(leg.id)
                    .several()
                    .then(|| slot.name().to_owned());
            }
            if let EventKind::Done {
                input_tokens: Some(n),
                ..
            } = answer.done
            {
                slot.tokens.observe(chars_sent, n);
            }
        }
        match &outcome {
            Outcome::Failed(e) if e.kind == ErrorKind::ModelNotFound => slot.forget_info().await,
            Outcome::Failed(e) if e.kind == ErrorKind::Status(503) => {} // back-pressure, not a fault
            Outcome::Failed(e) => slot.record(!e.is_unavailable()),
            Outcome::Done(answer) => {
                slot.record(true);
                // A draft stopped early is not an answer to give again.
                let key = key.filter(|_| answer.early.is_none());
                if let (Some(key), Some(writer)) = (key, self.writer()) {
                    let (shared, answer, model, backend) = (
                        Arc::clone(&shared),
                        answer.cached(),
                        choice.name.clone(),
                        leg.id,
                    );
                    writer.run(move |_| cache::put(&shared, &key, backend, &model, &answer));
                }
            }
            Outcome::Cancelled => {}
        }
        outcome
    }

    /// A draft is sliding: the quality server loads its model meanwhile, where that is
    /// safe (`warm`), and the user is told either way. Runs beside the stream.
    fn warm_quality(&self, why: String) {
        let (shared, events, id) = (
            Arc::clone(&self.shared),
            self.events.clone(),
            self.submit.id,
        );
        tokio::spawn(async move {
            let message = match super::warm::quality(shared).await {
                Ok(model) => format!(
                    "{why}: warming up {model} on Ollama, so that an escalation starts on a loaded model"
                ),
                Err(e) => format!("{why}; Ollama is not warmed up: {e}"),
            };
            let kind = EventKind::Status {
                backend: Some(BackendId::Ollama),
                message,
            };
            events.send(Event { id, kind }).await;
        });
    }

    /// The model that answered the session's previous turn on this leg's server, when the
    /// user named none and the server still has it: its cache holds the conversation.
    fn sticky_model(
        &self,
        leg: &Leg,
        models: &[crate::backend::ModelInfo],
    ) -> Option<models::ModelChoice> {
        if leg.model.is_some() {
            return None;
        }
        let (backend, Some(model)) = self.previous.as_ref()? else {
            return None;
        };
        let api = self.shared.slot(leg.id).cfg.api;
        let m = models.iter().find(|m| {
            *backend == leg.id
                && models::same_model(api, &m.name, model)
                && !matches!(
                    m.kind,
                    models::ModelKind::Embedding | models::ModelKind::Remote
                )
        })?;
        Some(models::ModelChoice {
            name: m.name.clone(),
            reason:
                "it answered this session's previous turn, and its cache holds the conversation"
                    .into(),
        })
    }

    /// The response cache's answer, read on the history writer: a hit also refreshes the
    /// entry's age, a write, and SQLite work never runs on the runtime's workers.
    async fn cached_answer(&self, key: Option<&cache::Key>) -> Option<CachedAnswer> {
        let key = *key.filter(|_| !self.submit.no_cache)?;
        let shared = Arc::clone(&self.shared);
        self.writer()?
            .ask(move |_| cache::get(&shared, &key))
            .await
            .flatten()
    }

    /// Streams a cached answer back at once, marked `cached`.
    async fn replay(
        &mut self,
        leg: &Leg,
        model: String,
        hit: CachedAnswer,
        start: Instant,
    ) -> Outcome {
        self.cached = true;
        if !hit.reasoning.is_empty() {
            self.emit(EventKind::Reasoning {
                backend: leg.id,
                text: hit.reasoning.clone(),
            })
            .await;
        }
        self.partial |= !leg.draft;
        self.emit(EventKind::Delta {
            backend: leg.id,
            text: hit.text.clone(),
            draft: leg.draft,
        })
        .await;
        let ms = start.elapsed().as_secs_f64() * 1000.0;
        let done = EventKind::Done {
            backend: leg.id,
            model,
            ttft_ms: Some(ms),
            total_ms: ms,
            input_tokens: hit.input_tokens,
            output_tokens: hit.output_tokens,
            tokens_per_second: None,
            finish_reason: hit.finish_reason.clone(),
            cached: true,
            cached_tokens: None,
            endpoint: None,
        };
        Outcome::Done(Box::new(Answer {
            backend: leg.id,
            text: hit.text,
            reasoning: hit.reasoning,
            logprobs: hit.logprobs,
            finish_reason: hit.finish_reason,
            done,
            early: None,
        }))
    }

    /// The context-window pre-check: the conversation must fit the window the model is
    /// loaded with (not its trained maximum), or the server would truncate it silently.
    async fn fit(
        &self,
        leg: &Leg,
        model: &str,
        window: Option<u64>,
    ) -> Result<Vec<ChatMessage>, BackendError> {
        let mut messages = self.fit_conversation(leg, model, window).await?;
        if !self.files.is_empty() || self.map.as_ref().is_some_and(|m| !m.files.is_empty()) {
            self.add_files(leg.id, &mut messages, window).await;
        }
        Ok(messages)
    }

    /// Puts the workspace files that fit in what the conversation leaves of the window
    /// (less room for the answer) after the system prompt, attached ones first, and
    /// says in a `context` event what went in and what was left out.
    async fn add_files(&self, id: BackendId, messages: &mut [ChatMessage], window: Option<u64>) {
        let window = window.unwrap_or(context::UNKNOWN_WINDOW);
        let cpt = self.shared.slot(id).tokens.chars_per_token();
        let reserve = u64::from(self.submit.max_tokens.unwrap_or(512)).min(window / 4);
        let budget = window
            .saturating_sub(reserve)
            .saturating_sub(context::estimate(messages, cpt));
        let picked = context::pick_files(&self.files, self.map.as_ref(), budget, window, cpt);
        // Before the conversation, at the end of the system prompt, as aider lays out its
        // chat: the same files on the next turn leave the whole prefix as the server cached
        // it, where in front of the newest message they would rewrite it from the previous
        // turn on (issue 16, "Warm prompt caches"; measured by `cargo bench --bench
        // prompt_cache`).
        match messages.first_mut() {
            Some(first) if first.role == crate::backend::Role::System => {
                first.content = format!("{}\n\n{}", first.content, picked.text.trim_end());
            }
            _ => {
                if let Some(last) = messages.last_mut() {
                    last.content = format!("{}{}", picked.text, last.content);
                }
            }
        }
        self.emit(EventKind::Context {
            backend: id,
            window,
            budget,
            used: picked.used,
            items: picked.items,
        })
        .await;
    }

    /// The conversation without workspace files, checked against the window and trimmed
    /// (oldest turns first) where the leg allows.
    async fn fit_conversation(
        &self,
        leg: &Leg,
        model: &str,
        window: Option<u64>,
    ) -> Result<Vec<ChatMessage>, BackendError> {
        let Some(window) = window else {
            return Ok(leg.messages.clone());
        };
        let reserve = u64::from(self.submit.max_tokens.unwrap_or(512)).min(window / 4);
        let budget = window.saturating_sub(reserve);
        let mut messages = leg.messages.clone();
        let cpt = self.shared.slot(leg.id).tokens.chars_per_token();
        let needed = context::estimate(&messages, cpt);
        if needed <= budget {
            return Ok(messages);
        }
        let too_long = |needed: u64| {
            BackendError::new(
                leg.id,
                ErrorKind::ContextTooLong,
                format!(
                    "the conversation needs about {needed} tokens but {model} on {} is loaded with a window of {window} — shorten it, start a new session, or load the model with a larger context",
                    leg.id.label()
                ),
            )
        };
        if !leg.may_trim {
            return Err(too_long(needed));
        }
        let dropped = context::trim_oldest(&mut messages, budget, cpt);
        let left = context::estimate(&messages, cpt);
        if left > budget {
            return Err(too_long(left));
        }
        self.emit(EventKind::Trimmed {
            backend: leg.id,
            dropped,
            tokens: left,
            window,
        })
        .await;
        Ok(messages)
    }

    async fn stream(
        &mut self,
        slot: &Slot,
        req: ChatRequest,
        start: Instant,
        loaded: Option<bool>,
        draft: bool,
    ) -> Outcome {
        let id = slot.id;
        let model = req.model.clone();
        let limit = req.max_tokens;
        // Judging while streaming is judging: off with confidence scoring too.
        let routing = &self.shared.config.hybrid.routing;
        let mut watch = (draft && routing.early_escalation && routing.confidence_scoring)
            .then(|| early::Watch::new(&self.submit.input));
        let mut stream = slot.backend.chat(req);
        let mut stats = Stats::default();
        let mut text = String::new();
        let mut reasoning = String::new();
        let mut logprobs = Vec::new();
        let notice = tokio::time::sleep(LOADING_NOTICE);
        tokio::pin!(notice);
        let mut noticed = false;
        let mut flush = tokio::time::interval(super::record::FLUSH_EVERY);
        loop {
            let item = tokio::select! {
                item = stream.next() => item,
                _ = flush.tick(), if self.recording.is_some() => {
                    self.flush();
                    continue;
                }
                _ = &mut self.cancel => return Outcome::Cancelled,
                _ = &mut notice, if !noticed && stats.ttft.is_none() => {
                    noticed = true;
                    self.emit(EventKind::Loading {
                        backend: id,
                        model: model.clone(),
                        loaded: loaded == Some(true),
                        message: loading_message(id, &model, loaded),
                    }).await;
                    continue;
                }
            };
            let event = match item {
                Some(Ok(ev)) => ev,
                Some(Err(e)) => return Outcome::Failed(e),
                None => return Outcome::Failed(BackendError::cut(id, "the stream ended early")),
            };
            if matches!(event, StreamEvent::Text(_) | StreamEvent::Reasoning(_))
                && stats.ttft.is_none()
            {
                stats.ttft = Some(start.elapsed());
            }
            if let Some(e) = self.over_cap(id, &event, text.len() + reasoning.len()) {
                return Outcome::Failed(e);
            }
            match event {
                StreamEvent::Text(t) => {
                    self.partial |= !draft;
                    text.push_str(&t);
                    self.emit(EventKind::Delta {
                        backend: id,
                        text: t,
                        draft,
                    })
                    .await;
                    let verdict = watch.as_mut().and_then(|w| w.check(&text));
                    if let Some(early::Verdict::Doubtful(why)) = verdict {
                        self.warm_quality(why);
                    } else if let Some(early::Verdict::Failing(why)) = verdict {
                        // Dropping the stream aborts the request: the server stops generating.
                        drop(stream);
                        let tokens = streamed_tokens(&logprobs, &text, &slot.tokens);
                        let stop = EarlyStop {
                            reason: format!("early: {why}"),
                            tokens,
                            saved_ms: saved_ms(tokens, limit, stats.ttft, start),
                        };
                        let done = stats.done(id, model, start, Some("early".into()));
                        return Outcome::Done(Box::new(Answer {
                            backend: id,
                            text,
                            reasoning,
                            logprobs,
                            finish_reason: Some("early".into()),
                            done,
                            early: Some(stop),
                        }));
                    }
                }
                StreamEvent::Reasoning(t) => {
                    reasoning.push_str(&t);
                    self.emit(EventKind::Reasoning {
                        backend: id,
                        text: t,
                    })
                    .await
                }
                StreamEvent::Logprobs(tokens) => {
                    logprobs.extend(tokens.iter().cloned());
                    self.emit(EventKind::Logprobs {
                        backend: id,
                        tokens,
                    })
                    .await;
                }
                StreamEvent::Usage(u) => stats.usage = u,
                StreamEvent::Done { finish_reason } => {
                    let done = stats.done(id, model, start, finish_reason.clone());
                    return Outcome::Done(Box::new(Answer {
                        backend: id,
                        text,
                        reasoning,
                        logprobs,
                        finish_reason,
                        done,
                        early: None,
                    }));
                }
            }
        }
    }
}

impl Run {
    /// The answer cap (`hybrid.performance.max_answer_kb`): text that would take the answer
    /// past it ends the stream with `too_large`; what arrived before is kept.
    fn over_cap(&self, id: BackendId, event: &StreamEvent, so_far: usize) -> Option<BackendError> {
        let adds = match event {
            StreamEvent::Text(t) | StreamEvent::Reasoning(t) => t.len(),
            _ => return None,
        };
        let kb = self.shared.config.hybrid.performance.max_answer_kb;
        let cap = usize::try_from(kb.saturating_mul(1024)).unwrap_or(usize::MAX);
        if so_far.saturating_add(adds) <= cap {
            return None;
        }
        Some(BackendError::new(
            id,
            ErrorKind::TooLarge,
            format!(
                "the answer from {} passed the {kb} KiB cap and was stopped \
                 (raise hybrid.performance.max_answer_kb for longer answers)",
                id.label()
            ),
        ))
    }

    /// Has the writer save the streaming answer as it stands, so a quiet stream is kept too.
    fn flush(&self) {
        if let Some(r) = &self.recording {
            r.with(|rec, store| rec.flush(store, true));
        }
    }
}

#[derive(Default)]
struct Stats {
    ttft: Option<Duration>,
    usage: crate::backend::Usage,
}

impl Stats {
    fn done(
        self,
        backend: BackendId,
        model: String,
        start: Instant,
        finish_reason: Option<String>,
    ) -> EventKind {
        let total = start.elapsed();
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        // Prefer the server's own speed; else estimate it from our clock after the first token.
        let tps = self.usage.tokens_per_second.or_else(|| {
            let n = self.usage.output_tokens? as f64;
            let gen = total.checked_sub(self.ttft?)?.as_secs_f64();
            (gen > 0.0 && n > 1.0).then(|| (n - 1.0) / gen)
        });
        EventKind::Done {
            backend,
            model,
            ttft_ms: self.ttft.map(ms),
            total_ms: ms(total),
            input_tokens: self.usage.input_tokens,
            output_tokens: self.usage.output_tokens,
            tokens_per_second: tps,
            finish_reason,
            cached: false,
            cached_tokens: self.usage.cached_tokens,
            endpoint: None,
        }
    }
}

/// Sets every proposed edit's status (and reason), after a write succeeded or failed.
fn mark(events: &mut [EventKind], to: EditStatus, reason: Option<String>) {
    for e in events.iter_mut() {
        if let EventKind::Edit {
            status,
            why,
            diff,
            change,
            file_diff,
            ..
        } = e
        {
            if *status == EditStatus::Proposed {
                *status = to;
                *change = None;
                *file_diff = None;
                if to == EditStatus::Failed {
                    diff.clear();
                    why.clone_from(&reason);
                }
            }
        }
    }
}

/// Runs `job` on the blocking pool and waits at most `budget` for it; `None` when the
/// budget ran out (the job finishes in the background) or it panicked.
async fn within<T: Send + 'static>(
    budget: Duration,
    job: impl FnOnce() -> T + Send + 'static,
) -> Option<T> {
    let job = tokio::task::spawn_blocking(job);
    tokio::time::timeout(budget, job).await.ok()?.ok()
}

/// A model the server runs on another machine is a remote endpoint, whatever the
/// configured address: refused unless `allow_remote` is set.
fn remote_refusal(
    id: BackendId,
    m: &crate::backend::ModelInfo,
    allowed: bool,
) -> Option<BackendError> {
    if allowed || m.kind != crate::backend::ModelKind::Remote {
        return None;
    }
    let section = crate::config::Config::section(id);
    Some(BackendError::new(
        id,
        ErrorKind::RemoteNotAllowed,
        format!(
            "{} would send the conversation to another machine: {} is a cloud model, answered \
             off this machine; pick a local model, or set {section}.allow_remote = true",
            id.label(),
            m.name
        ),
    ))
}

/// How many tokens a stream has produced: one logprob entry per token where the server
/// sent them, else estimated from the text at this server's characters per token.
fn streamed_tokens(
    logprobs: &[TokenLogprob],
    text: &str,
    calibration: &super::context::Calibration,
) -> u64 {
    if logprobs.is_empty() {
        super::context::tokens(text, calibration.chars_per_token())
    } else {
        logprobs.len() as u64
    }
}

/// The time the rest of a stopped draft would have taken: the tokens left to its limit at
/// the speed it streamed at since its first token. `None` without a limit or a speed.
fn saved_ms(
    tokens: u64,
    limit: Option<u32>,
    ttft: Option<Duration>,
    start: Instant,
) -> Option<f64> {
    let left = u64::from(limit?).checked_sub(tokens)?;
    let streaming = start.elapsed().checked_sub(ttft?)?.as_secs_f64();
    let per_sec = (tokens > 1 && streaming > 0.0).then(|| (tokens - 1) as f64 / streaming)?;
    Some(left as f64 / per_sec * 1000.0)
}

/// Errors after which the other server may take the request: it was unavailable, or the
/// conversation did not fit this one's window.
fn movable(e: &BackendError) -> bool {
    e.is_unavailable() || e.kind == ErrorKind::ContextTooLong
}

fn loading_message(id: BackendId, model: &str, loaded: Option<bool>) -> String {
    match loaded {
        Some(true) => format!(
            "waiting for {} to start answering with {model}…",
            id.label()
        ),
        _ => format!(
            "{} is loading model {model}; a large model can take minutes…",
            id.label()
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn judging_that_outruns_its_budget_gives_up_without_blocking_the_runtime() {
        let slow = within(Duration::from_millis(50), || {
            std::thread::sleep(Duration::from_millis(400));
            1
        });
        // The runtime (one thread here) still serves other work meanwhile.
        let (judged, other) = tokio::join!(slow, async { 2 });
        assert_eq!((judged, other), (None, 2));
        assert_eq!(within(Duration::from_secs(5), || 3).await, Some(3));
        assert_eq!(
            within(Duration::from_secs(5), || -> u8 { panic!("hostile") }).await,
            None
        );
    }

    #[test]
    fn only_the_head_of_a_long_draft_is_judged() {
        use crate::text::short::head;
        assert_eq!(head("short", 10), "short");
        assert_eq!(head("ééé", 3), "é", "cut at a character boundary");
        assert_eq!(
            head(&"x".repeat(1 << 20), SCORE_MAX_BYTES).len(),
            SCORE_MAX_BYTES
        );
    }
}
