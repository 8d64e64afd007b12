//! The engine actor. Front ends send [`Command`]s and receive [`Event`]s; the engine owns
//! the backends and runs each request as its own task, so several can be in flight and a
//! slow server never blocks the front end.

pub mod breaker;
mod cache;
mod commit;
mod context;
mod conversation;
mod edits;
pub mod events;
pub mod examples;
mod files;
pub mod journal;
mod learning;
mod outbox;
pub mod pool;
mod record;
mod repo_map;
mod request;
mod resources;
mod route;
pub mod run;
mod slot;
mod test_check;
mod vram;
mod warm;
mod writer;

use std::collections::HashMap;
use std::sync::Arc;

use tokio::sync::{mpsc, oneshot};

pub use crate::store::SessionChoice;
pub use crate::workspace::FileRef;
pub use conversation::SYSTEM_PROMPT;
pub use events::{
    unloaded_sentence, Attachment, BackendHealth, BackendLoad, Command, ContextCounts, ContextItem,
    EditStatus, Event, EventKind, FilesRequest, RequestId, RouteMode, Source, Submit, Verdict,
};
pub use journal::{FileChange, JournalAction, JournalEntry};
pub use outbox::CAPACITY as EVENT_CAPACITY;
pub use pool::Pool;
pub use request::SCORE_MAX_BYTES;
pub use route::signals;
pub use slot::Slot;

use crate::backend::{Backend, BackendId};
use crate::backend_id::PerBackend;
use crate::config::Config;
use outbox::Outbox;

/// What request tasks share: the config, each role's servers (one slot per endpoint), the
/// store and what the router has learned.
pub struct Shared {
    pub config: Config,
    slots: PerBackend<Pool>,
    /// The session store, when history is on and it could be opened. It also holds the
    /// response cache and the learning statistics.
    pub store: Option<Arc<crate::store::Store>>,
    pub learner: learning::Learner,
    /// Requests finished so far, so that live metrics are sent only after a change.
    finished: std::sync::atomic::AtomicU64,
    /// The machine monitor's latest reading (long-lived engines only).
    machine: Option<tokio::sync::watch::Receiver<crate::resources::MachineReading>>,
    /// Where conversations are kept, written by one thread.
    history: Option<History>,
    /// Workspace symbols kept between requests (see `repo_map.rs`).
    maps: repo_map::Warm,
}

/// The sessions' home: the history database, or (history off) a database in memory that
/// lasts as long as the engine, so a front end can still carry a conversation on.
struct History {
    writer: writer::Writer,
    /// On disk: sessions outlive the engine and can be carried on with `--continue`.
    stored: bool,
}

impl History {
    fn open(store: Option<&Arc<crate::store::Store>>) -> Option<Self> {
        let (store, stored) = match store {
            Some(s) => (Arc::clone(s), true),
            None => match crate::store::Store::in_memory() {
                Ok(s) => (Arc::new(s), false),
                Err(e) => {
                    tracing::warn!("no conversation memory: {e}");
                    return None;
                }
            },
        };
        Some(Self {
            writer: writer::Writer::spawn(store),
            stored,
        })
    }
}

impl Shared {
    /// A role's servers. Role-wide questions (switched off, breaker, calibration) are
    /// asked of the pool; a request takes one endpoint's [`Slot`] from
    /// [`Pool::pick_first`].
    pub fn slot(&self, id: BackendId) -> &Pool {
        &self.slots[id]
    }
}

/// The front end's side of the engine.
pub struct EngineHandle {
    pub commands: mpsc::UnboundedSender<Command>,
    /// Bounded (see `outbox.rs`): keep reading it, or the requests wait.
    pub events: mpsc::Receiver<Event>,
}

/// How often a long-lived front end (the TUI, the library) has the servers checked.
pub const HEALTH_INTERVAL: std::time::Duration = std::time::Duration::from_secs(30);

/// Configures and starts an engine.
pub struct Builder {
    config: Config,
    store: Option<Arc<crate::store::Store>>,
    backends: Option<PerBackend<Arc<dyn Backend>>>,
    seed: Option<u64>,
    live_every: Option<std::time::Duration>,
}

impl Builder {
    pub fn new(config: Config) -> Self {
        Self {
            config,
            store: None,
            backends: None,
            seed: None,
            live_every: None,
        }
    }

    /// Saves requests that name a session, and keeps the cache and learning data, here.
    pub fn store(mut self, store: Arc<crate::store::Store>) -> Self {
        self.store = Some(store);
        self
    }

    /// Uses these backend clients instead of ones built from the config (an array is in
    /// [`BackendId::ALL`] order).
    pub fn backends(mut self, backends: impl Into<PerBackend<Arc<dyn Backend>>>) -> Self {
        self.backends = Some(backends.into());
        self
    }

    /// Seeds the learning policy's draws, for reproducible routing.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = Some(seed);
        self
    }

    /// For a long-lived front end: check the servers' health every `interval` (when
    /// `performance.health_checking` is on), which lets a cooled-down server recover
    /// without a user request, and send live metrics after requests finish. Both arrive as
    /// events with id 0.
    pub fn long_lived(mut self, interval: std::time::Duration) -> Self {
        self.live_every = Some(interval);
        self
    }

    pub fn spawn(self) -> EngineHandle {
        let config = self.config;
        let b = config.hybrid.circuit_breaker;
        let slots = match self.backends {
            Some(clients) => PerBackend::from_fn(|id| {
                Pool::with_backend(id, config.backend(id), b, Arc::clone(&clients[id]))
            }),
            None => PerBackend::from_fn(|id| Pool::new(id, config.backend(id), b)),
        };
        let seed = self.seed.unwrap_or_else(clock_seed);
        let learner = learning::Learner::new(
            config.hybrid.routing.learning_enabled,
            self.store.clone(),
            seed,
        );
        let health = config.hybrid.performance.health_checking;
        let machine = self
            .live_every
            .map(|_| crate::resources::spawn_machine_monitor(resources::MACHINE_PERIOD));
        let history = History::open(self.store.as_ref());
        let (handle, shared, events) = start(Shared {
            config,
            slots,
            store: self.store,
            learner,
            finished: Default::default(),
            machine: machine.clone(),
            history,
            maps: Default::default(),
        });
        if let Some(every) = self.live_every {
            tokio::spawn(ticker(handle.commands.clone(), every, health));
        }
        if let Some(machine) = machine {
            let commands = handle.commands.clone();
            tokio::spawn(resources::monitor(shared, machine, events, commands));
        }
        handle
    }
}

fn clock_seed() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0x5eed)
}

/// Starts the engine with a session store: requests that name a session are saved to it.
pub fn spawn_with_store(config: Config, store: Arc<crate::store::Store>) -> EngineHandle {
    Builder::new(config).store(store).spawn()
}

/// Starts the engine on the current tokio runtime with clients built from `config`.
pub fn spawn(config: Config) -> EngineHandle {
    Builder::new(config).spawn()
}

/// Starts the engine with the given backend clients (for tests and embedding).
pub fn spawn_with_backends(
    config: Config,
    backends: impl Into<PerBackend<Arc<dyn Backend>>>,
) -> EngineHandle {
    Builder::new(config).backends(backends).spawn()
}

/// Starts the actor; returns the front end's handle, and the shared state and event
/// sender for the engine's own background tasks.
fn start(shared: Shared) -> (EngineHandle, Arc<Shared>, Outbox) {
    let (cmd_tx, cmd_rx) = mpsc::unbounded_channel();
    let (ev_tx, ev_rx) = Outbox::channel();
    // Off the runtime's workers, so that commands are served meanwhile.
    tokio::task::spawn_blocking(crate::router::warm);
    let shared = Arc::new(shared);
    tokio::spawn(actor(Arc::clone(&shared), cmd_rx, ev_tx.clone()));
    let handle = EngineHandle {
        commands: cmd_tx,
        events: ev_rx,
    };
    (handle, shared, ev_tx)
}

/// Starts an engine for a long-lived front end (see [`Builder::long_lived`]).
pub fn spawn_long_lived(config: Config, interval: std::time::Duration) -> EngineHandle {
    Builder::new(config).long_lived(interval).spawn()
}

/// How often live metrics may be sent while requests finish.
const LIVE_METRICS_EVERY: std::time::Duration = std::time::Duration::from_secs(1);

/// Asks the engine for health checks every `health_every` and for metrics once a second
/// (the engine answers only when a request has finished since the last ones).
async fn ticker(
    commands: mpsc::UnboundedSender<Command>,
    health_every: std::time::Duration,
    health: bool,
) {
    let mut metrics = tokio::time::interval(LIVE_METRICS_EVERY);
    let mut checks = tokio::time::interval(health_every);
    checks.tick().await; // the first tick is immediate; the first check waits a period
    loop {
        let cmd = tokio::select! {
            _ = metrics.tick() => Command::Metrics(LIVE),
            _ = checks.tick(), if health => Command::HealthCheck(0),
        };
        if commands.send(cmd).is_err() {
            return; // the engine has stopped
        }
    }
}

/// The id of live metrics asked for by the engine's own ticker: sent only after a change.
const LIVE: RequestId = 0;

async fn actor(
    shared: Arc<Shared>,
    mut commands: mpsc::UnboundedReceiver<Command>,
    events: Outbox,
) {
    let mut running: HashMap<RequestId, oneshot::Sender<()>> = HashMap::new();
    let mut approvals: HashMap<RequestId, mpsc::UnboundedSender<bool>> = HashMap::new();
    let mut metrics_sent_at = 0;
    while let Some(cmd) = commands.recv().await {
        match cmd {
            Command::Submit(submit) => {
                // Requests that finished dropped their receiver; forget them.
                running.retain(|_, tx| !tx.is_closed());
                approvals.retain(|_, tx| !tx.is_closed());
                let (tx, rx) = oneshot::channel();
                running.insert(submit.id, tx);
                let (yes, answers) = mpsc::unbounded_channel();
                approvals.insert(submit.id, yes);
                let run =
                    request::Run::new(Arc::clone(&shared), events.clone(), submit, rx, answers);
                tokio::spawn(run.go());
            }
            Command::Feedback {
                id,
                session,
                verdict,
            } => feedback(&shared, &events, id, session, verdict),
            Command::DeleteSession { id, session } => delete(&shared, &events, id, session),
            Command::Apply {
                id,
                dir,
                session,
                changes,
            } => journal_command(
                &shared,
                &events,
                id,
                JournalAction::Apply,
                dir,
                move |s, root, key| journal::apply(s, root, key, session, &changes),
            ),
            Command::Undo {
                id,
                dir,
                session,
                force,
            } => journal_command(
                &shared,
                &events,
                id,
                JournalAction::Undo,
                dir,
                move |s, root, key| journal::undo(s, root, key, session, force),
            ),
            Command::Redo {
                id,
                dir,
                session,
                force,
            } => journal_command(
                &shared,
                &events,
                id,
                JournalAction::Redo,
                dir,
                move |s, root, key| journal::redo(s, root, key, session, force),
            ),
            Command::Approve { id, run } => {
                if let Some(tx) = approvals.get(&id) {
                    let _ = tx.send(run);
                }
            }
            Command::Run { id, run: req } => {
                running.retain(|_, tx| !tx.is_closed());
                let (tx, rx) = oneshot::channel();
                running.insert(id, tx);
                run::start(&shared, &events, id, req, rx);
            }
            Command::Audit {
                id,
                kind,
                session,
                detail,
            } => record_audit(&shared, &events, id, kind, session, detail),
            Command::ProposeCommit { id, dir, session } => {
                tokio::spawn(commit::propose(
                    Arc::clone(&shared),
                    events.clone(),
                    id,
                    dir,
                    session,
                ));
            }
            Command::Commit {
                id,
                dir,
                files,
                message,
            } => {
                tokio::spawn(commit::commit(events.clone(), id, dir, files, message));
            }
            Command::Cancel(id) => {
                if let Some(tx) = running.remove(&id) {
                    let _ = tx.send(());
                }
            }
            Command::HealthCheck(id) => {
                let shared = Arc::clone(&shared);
                let events = events.clone();
                tokio::spawn(async move {
                    let backends = health(&shared).await;
                    let kind = EventKind::Health { backends };
                    events.send(Event { id, kind }).await;
                });
            }
            Command::ListModels(id, backend) => {
                let shared = Arc::clone(&shared);
                let events = events.clone();
                tokio::spawn(async move {
                    let (models, error) = match shared.slot(backend).info().await {
                        Ok(info) => (info.models, None),
                        Err(e) => (Vec::new(), Some(e.message)),
                    };
                    let kind = EventKind::Models {
                        backend,
                        models,
                        error,
                    };
                    events.send(Event { id, kind }).await;
                });
            }
            Command::Metrics(id) => {
                let done = shared.finished.load(std::sync::atomic::Ordering::SeqCst);
                if id == LIVE && done == metrics_sent_at {
                    continue;
                }
                metrics_sent_at = done;
                let shared = Arc::clone(&shared);
                let events = events.clone();
                // Reading the store is disk work: off the runtime's workers.
                tokio::task::spawn_blocking(move || {
                    let kind = metrics(&shared);
                    events.send_blocking(Event { id, kind });
                });
            }
            Command::Shutdown => break,
        }
    }
    // Dropping the senders tells every running request to stop.
    for (_, tx) in running.drain() {
        let _ = tx.send(());
    }
}

/// Records a rating of a session's last answer and teaches the router from it, on the
/// writer; answered by a `rated` event.
fn feedback(
    shared: &Arc<Shared>,
    events: &Outbox,
    id: RequestId,
    session: crate::store::SessionId,
    verdict: Verdict,
) {
    let events = events.clone();
    let rated = move |message, learned, error: Option<String>| Event {
        id,
        kind: EventKind::Rated {
            session,
            verdict,
            message,
            learned,
            error,
        },
    };
    let Some(history) = shared.history.as_ref().filter(|h| h.stored) else {
        let error = "feedback needs a saved session, and history is off".to_owned();
        tokio::spawn(async move { events.send(rated(None, None, Some(error))).await });
        return;
    };
    let shared = Arc::clone(shared);
    history.writer.run(move |store| {
        let message = match store.record_feedback(session, verdict) {
            Ok(m) => m,
            Err(e) => {
                events.send_blocking(rated(None, None, Some(e.0)));
                return;
            }
        };
        // The feedback itself is saved even when the learning update fails.
        let (learned, error) = match store.learn_from_feedback(session, message, verdict) {
            Ok(learned) => (learned, None),
            Err(e) => (None, Some(e.0)),
        };
        if let Some(o) = &learned {
            // The store's row is the truth; the policy in memory takes it up.
            shared.learner.reload(store, o);
        }
        events.send_blocking(rated(Some(message), learned, error));
    });
}

/// Runs an apply, undo or redo on the writer, where the files are written and the journal
/// updated in one job; answered by a `journal` event. Without any store (not even one in
/// memory) nothing can be journaled, so nothing is written.
fn journal_command(
    shared: &Shared,
    events: &Outbox,
    id: RequestId,
    action: JournalAction,
    dir: std::path::PathBuf,
    job: impl FnOnce(&crate::store::Store, &std::path::Path, &str) -> journal::Outcome + Send + 'static,
) {
    let events = events.clone();
    let send = move |o: journal::Outcome| {
        let kind = EventKind::Journal {
            action,
            set: o.set,
            files: o.files,
            forced: o.forced,
            error: o.error,
        };
        events.send_blocking(Event { id, kind });
    };
    let Some(history) = shared.history.as_ref() else {
        let why = "nothing was written: the edit journal is unavailable, so it could not be undone";
        tokio::task::spawn_blocking(move || send(journal::Outcome::failed(why)));
        return;
    };
    history.writer.run(move |store| {
        let outcome = match journal::workspace_key(&dir) {
            Ok((root, key)) => job(store, &root, &key),
            Err(e) => journal::Outcome::failed(e),
        };
        send(outcome);
    });
}

/// Appends an operation to the audit trail on the writer (fire and forget: a failure is
/// logged, the operation itself has happened).
pub(crate) fn audit(
    shared: &Shared,
    kind: &'static str,
    session: Option<crate::store::SessionId>,
    detail: serde_json::Value,
) {
    if let Some(history) = shared.history.as_ref() {
        history.writer.run(audit_job(kind, session, detail));
    }
}

/// [`audit`], blocking the calling thread until the entry is written (at most 5 s): a
/// command's run is over for its front end only once its entry can be read.
pub(crate) fn audit_now(
    shared: &Shared,
    kind: &'static str,
    session: Option<crate::store::SessionId>,
    detail: serde_json::Value,
) {
    if let Some(history) = shared.history.as_ref() {
        let job = audit_job(kind, session, detail);
        history
            .writer
            .run_and_wait(job, std::time::Duration::from_secs(5));
    }
}

fn audit_job(
    kind: &'static str,
    session: Option<crate::store::SessionId>,
    detail: serde_json::Value,
) -> impl FnOnce(&crate::store::Store) + Send + 'static {
    move |store| {
        if let Err(e) = store.append_audit(kind, session, &detail) {
            tracing::warn!("not in the audit trail ({kind}): {e}");
        }
    }
}

/// A front end's operation (a config change, a learning reset) recorded; answered by
/// `audited`.
fn record_audit(
    shared: &Shared,
    events: &Outbox,
    id: RequestId,
    kind: String,
    session: Option<crate::store::SessionId>,
    detail: serde_json::Value,
) {
    let events = events.clone();
    let Some(history) = shared.history.as_ref() else {
        let error = Some("the audit trail is unavailable".to_owned());
        tokio::spawn(async move {
            let kind = EventKind::Audited { entry: None, error };
            events.send(Event { id, kind }).await;
        });
        return;
    };
    history.writer.run(move |store| {
        let (entry, error) = match store.append_audit(&kind, session, &detail) {
            Ok(n) => (Some(n), None),
            Err(e) => (None, Some(e.0)),
        };
        events.send_blocking(Event {
            id,
            kind: EventKind::Audited { entry, error },
        });
    });
}

/// Deletes a stored session on the writer; answered by a `deleted` event.
fn delete(shared: &Shared, events: &Outbox, id: RequestId, session: crate::store::SessionId) {
    let events = events.clone();
    let Some(history) = shared.history.as_ref() else {
        let error = Some(format!("there is no session {session}"));
        let kind = EventKind::Deleted { session, error };
        tokio::spawn(async move { events.send(Event { id, kind }).await });
        return;
    };
    history.writer.run(move |store| {
        let error = match store.delete_session(session) {
            Ok(true) => None,
            Ok(false) => Some(format!(
                "there is no session {session}; `codecrucible sessions list` shows them"
            )),
            Err(e) => Some(e.0),
        };
        let kind = EventKind::Deleted { session, error };
        events.send_blocking(Event { id, kind });
    });
}

/// Probes every endpoint of both roles at once: the fast role's first, each role's in
/// its config order.
pub async fn health(shared: &Shared) -> Vec<BackendHealth> {
    let (a, b) = tokio::join!(
        shared.slot(BackendId::Lmstudio).health(),
        shared.slot(BackendId::Ollama).health()
    );
    a.into_iter().chain(b).collect()
}

/// The metrics event: stored figures, live load and learning.
pub fn metrics(shared: &Shared) -> EventKind {
    let stored = shared.store.as_ref().and_then(|s| match s.metrics(None) {
        Ok(m) => Some(m),
        Err(e) => {
            tracing::warn!("metrics: {e}");
            None
        }
    });
    EventKind::Metrics {
        stored,
        load: shared.slots.values().map(Pool::load).collect(),
        learning: shared.learner.summary(),
    }
}
