//! The engine actor. Front ends send [`Command`]s and receive [`Event`]s; the engine owns
//! the backends and runs each request as its own task, so several can be in flight and a
//! slow server never blocks the front end.

pub mod breaker;
mod context;
pub mod events;
mod record;
mod request;
mod route;
mod slot;

use std::collections::HashMap;
use std::sync::Arc;

use tokio::sync::{mpsc, oneshot};

pub use events::{
    Attachment, BackendHealth, Command, Event, EventKind, RequestId, RouteMode, Submit,
};
pub use route::signals;
pub use slot::Slot;

use crate::backend::{Backend, BackendId};
use crate::config::Config;

/// What request tasks share: the config and one slot per backend.
pub struct Shared {
    pub config: Config,
    slots: [Slot; 2],
    /// The session store, when history is on and it could be opened.
    pub store: Option<Arc<crate::store::Store>>,
}

impl Shared {
    pub fn slot(&self, id: BackendId) -> &Slot {
        match id {
            BackendId::Lmstudio => &self.slots[0],
            BackendId::Ollama => &self.slots[1],
        }
    }
}

/// The front end's side of the engine.
pub struct EngineHandle {
    pub commands: mpsc::UnboundedSender<Command>,
    pub events: mpsc::UnboundedReceiver<Event>,
}

/// How often a long-lived front end (the TUI, the library) has the servers checked.
pub const HEALTH_INTERVAL: std::time::Duration = std::time::Duration::from_secs(30);

/// Starts the engine with a session store: requests that name a session are saved to it.
pub fn spawn_with_store(config: Config, store: Arc<crate::store::Store>) -> EngineHandle {
    let breaker = config.hybrid.circuit_breaker;
    let slots = BackendId::ALL.map(|id| Slot::new(id, config.backend(id), breaker));
    start(config, slots, Some(store))
}

/// Starts the engine on the current tokio runtime with clients built from `config`.
pub fn spawn(config: Config) -> EngineHandle {
    let breaker = config.hybrid.circuit_breaker;
    let slots = BackendId::ALL.map(|id| Slot::new(id, config.backend(id), breaker));
    start(config, slots, None)
}

/// Starts the engine with the given backend clients (for tests and embedding).
pub fn spawn_with_backends(config: Config, backends: [Arc<dyn Backend>; 2]) -> EngineHandle {
    let [lm, ol] = backends;
    let b = config.hybrid.circuit_breaker;
    let slots = [
        Slot::with_backend(BackendId::Lmstudio, &config.hybrid.lm_studio, b, lm),
        Slot::with_backend(BackendId::Ollama, &config.hybrid.ollama, b, ol),
    ];
    start(config, slots, None)
}

fn start(
    config: Config,
    slots: [Slot; 2],
    store: Option<Arc<crate::store::Store>>,
) -> EngineHandle {
    let (cmd_tx, cmd_rx) = mpsc::unbounded_channel();
    let (ev_tx, ev_rx) = mpsc::unbounded_channel();
    let shared = Arc::new(Shared {
        config,
        slots,
        store,
    });
    // Off the runtime's workers, so that commands are served meanwhile.
    tokio::task::spawn_blocking(crate::router::warm);
    tokio::spawn(actor(shared, cmd_rx, ev_tx));
    EngineHandle {
        commands: cmd_tx,
        events: ev_rx,
    }
}

/// Starts an engine for a long-lived front end: it also checks the servers' health every
/// `interval` (when `performance.health_checking` is on), which lets a cooled-down server
/// recover without a user request, and reports each check as a `health` event with id 0.
pub fn spawn_long_lived(config: Config, interval: std::time::Duration) -> EngineHandle {
    let checking = config.hybrid.performance.health_checking;
    let handle = spawn(config);
    if checking {
        let commands = handle.commands.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(interval);
            tick.tick().await; // the first tick is immediate; the first check waits a period
            loop {
                tick.tick().await;
                if commands.send(Command::HealthCheck(0)).is_err() {
                    return; // the engine has stopped
                }
            }
        });
    }
    handle
}

async fn actor(
    shared: Arc<Shared>,
    mut commands: mpsc::UnboundedReceiver<Command>,
    events: mpsc::UnboundedSender<Event>,
) {
    let mut running: HashMap<RequestId, oneshot::Sender<()>> = HashMap::new();
    while let Some(cmd) = commands.recv().await {
        match cmd {
            Command::Submit(submit) => {
                // Requests that finished dropped their receiver; forget them.
                running.retain(|_, tx| !tx.is_closed());
                let (tx, rx) = oneshot::channel();
                running.insert(submit.id, tx);
                let recorder = match (&shared.store, submit.session) {
                    (Some(store), Some(session)) => Some(std::sync::Mutex::new(
                        record::Recorder::new(Arc::clone(store), session),
                    )),
                    _ => None,
                };
                let run = request::Run {
                    shared: Arc::clone(&shared),
                    events: events.clone(),
                    submit,
                    cancel: rx,
                    partial: false,
                    recorder,
                };
                tokio::spawn(run.go());
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
                    let _ = events.send(Event {
                        id,
                        kind: EventKind::Health { backends },
                    });
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
                    let _ = events.send(Event { id, kind });
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

/// Probes both backends at once.
pub async fn health(shared: &Shared) -> Vec<BackendHealth> {
    let (a, b) = tokio::join!(
        shared.slot(BackendId::Lmstudio).health(),
        shared.slot(BackendId::Ollama).health()
    );
    vec![a, b]
}
