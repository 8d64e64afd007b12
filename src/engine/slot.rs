//! One server as the engine holds it: the client, its concurrency limit with a visible
//! queue, its circuit breaker, and a short-lived cache of what the server said about
//! itself (so each request does not re-list models). A role has one slot per endpoint
//! (`pool.rs`).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{Mutex, OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;

use super::breaker::{Allow, Breaker, BreakerState};
use super::events::BackendHealth;
use crate::backend::{self, Backend, BackendError, BackendId, ErrorKind, ServerInfo};
use crate::config::BackendConfig;
use crate::config::CircuitBreaker as BreakerSettings;
use crate::router::BackendState;

/// How long a model list stays fresh. Short, so a model loaded in LM Studio shows up soon.
const INFO_TTL: Duration = Duration::from_secs(30);

pub struct Slot {
    pub id: BackendId,
    pub cfg: BackendConfig,
    pub backend: Arc<dyn Backend>,
    limiter: Arc<Semaphore>,
    queued: AtomicUsize,
    in_flight: Arc<AtomicUsize>,
    info: Mutex<Option<(Instant, ServerInfo)>>,
    breaker: std::sync::Mutex<Breaker>,
    /// A request has worked since the breaker last closed.
    seen_ok: std::sync::atomic::AtomicBool,
    /// The role's characters per token, learnt from its servers' reports (shared by the
    /// role's endpoints, which serve the same kind of model).
    pub tokens: Arc<super::context::Calibration>,
    /// Requests that chose this endpoint and have not finished their attempt (see
    /// [`Slot::claim`]).
    assigned: Arc<AtomicUsize>,
    /// How errors name it: the role, or the role and its address when it has several.
    label: String,
    /// When its last request ended (or the engine started): how long its model has sat
    /// idle as far as this engine knows.
    last_used: Arc<std::sync::Mutex<std::time::Instant>>,
}

/// Counts a request against its endpoint from the moment it chose it until its attempt
/// ends, so that requests choosing at the same moment spread over the endpoints before
/// any of them holds a permit.
pub struct Claim(Arc<AtomicUsize>);

impl Drop for Claim {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Held while a request talks to the backend; frees the slot when dropped.
pub struct Permit {
    _permit: OwnedSemaphorePermit,
    in_flight: Arc<AtomicUsize>,
    last_used: Arc<std::sync::Mutex<std::time::Instant>>,
}

impl Drop for Permit {
    fn drop(&mut self) {
        self.in_flight.fetch_sub(1, Ordering::SeqCst);
        if let Ok(mut t) = self.last_used.lock() {
            *t = std::time::Instant::now();
        }
    }
}

impl Slot {
    pub fn new(id: BackendId, cfg: &BackendConfig, breaker: BreakerSettings) -> Self {
        Self::with_backend(id, cfg, breaker, backend::build(id, cfg))
    }

    pub fn with_backend(
        id: BackendId,
        cfg: &BackendConfig,
        breaker: BreakerSettings,
        backend: Arc<dyn Backend>,
    ) -> Self {
        Self {
            id,
            cfg: cfg.clone(),
            backend,
            limiter: Arc::new(Semaphore::new(cfg.max_concurrent.max(1))),
            queued: AtomicUsize::new(0),
            in_flight: Arc::new(AtomicUsize::new(0)),
            last_used: Arc::new(std::sync::Mutex::new(std::time::Instant::now())),
            info: Mutex::new(None),
            breaker: std::sync::Mutex::new(Breaker::new(breaker)),
            seen_ok: std::sync::atomic::AtomicBool::new(false),
            tokens: Default::default(),
            assigned: Default::default(),
            label: id.label().to_owned(),
        }
    }

    /// One of several endpoints of its role: errors name its address, and it shares the
    /// role's token calibration.
    pub fn in_pool(mut self, tokens: Arc<super::context::Calibration>, several: bool) -> Self {
        self.tokens = tokens;
        if several {
            self.label = format!("{} at {}", self.id.label(), self.name());
        }
        self
    }

    /// The endpoint's address as configured: its name in events, the store and displays.
    pub fn name(&self) -> &str {
        self.backend.endpoint()
    }

    /// Counts a request against this endpoint until the claim is dropped.
    pub fn claim(&self) -> Claim {
        self.assigned.fetch_add(1, Ordering::SeqCst);
        Claim(Arc::clone(&self.assigned))
    }

    /// Requests this endpoint is busy with or committed to: the claimed ones, or those
    /// holding or awaiting a permit when more (a commit message takes a permit unclaimed).
    pub fn busy(&self) -> usize {
        let held = self.in_flight.load(Ordering::SeqCst) + self.queued();
        self.assigned.load(Ordering::SeqCst).max(held)
    }

    /// How long since its last request ended (or the engine started); zero while one runs.
    pub fn idle_for(&self) -> std::time::Duration {
        if self.in_flight.load(Ordering::SeqCst) > 0 {
            return std::time::Duration::ZERO;
        }
        self.last_used
            .lock()
            .map(|t| t.elapsed())
            .unwrap_or_default()
    }

    /// Whether a request may be sent now, without taking the breaker's probe: closed, or
    /// open with its cool-down over (the request would be the probe).
    pub fn readiness(&self) -> super::breaker::Ready {
        self.breaker
            .lock()
            .map(|b| b.ready())
            .unwrap_or(super::breaker::Ready::Closed)
    }

    /// Notes how a request went: `false` when the server was unavailable.
    pub fn record(&self, ok: bool) {
        if let Ok(mut b) = self.breaker.lock() {
            if ok {
                b.record_success();
            } else {
                b.record_failure();
            }
        }
        self.seen_ok.store(ok, Ordering::SeqCst);
    }

    /// Whether a request may go to this server now; a cooling server says for how long.
    pub fn gate(&self) -> Result<(), BackendError> {
        let allow = self
            .breaker
            .lock()
            .map(|mut b| b.allow())
            .unwrap_or(Allow::Yes);
        match allow {
            Allow::Yes | Allow::Probe => Ok(()),
            Allow::No(wait) => Err(BackendError::new(
                self.id,
                ErrorKind::CoolingDown,
                format!(
                    "{} failed repeatedly and is cooling down; it will be tried again in {:.0} s",
                    self.label,
                    wait.as_secs_f64().ceil()
                ),
            )),
        }
    }

    pub fn breaker_state(&self) -> BreakerState {
        self.breaker
            .lock()
            .map(|b| b.routable_state())
            .unwrap_or(BreakerState::Closed)
    }

    /// The server's state for routing: off, cooling down, up, or unknown.
    pub fn state(&self) -> BackendState {
        if !self.cfg.enabled {
            return BackendState::Disabled;
        }
        match self.breaker_state() {
            BreakerState::Open => BackendState::Cooling,
            BreakerState::HalfOpen => BackendState::Unknown,
            BreakerState::Closed if self.seen_ok.load(Ordering::SeqCst) => BackendState::Up,
            BreakerState::Closed => BackendState::Unknown,
        }
    }

    pub fn queued(&self) -> usize {
        self.queued.load(Ordering::SeqCst)
    }

    pub fn load(&self) -> super::events::BackendLoad {
        super::events::BackendLoad {
            backend: self.id,
            in_flight: self.in_flight.load(Ordering::SeqCst),
            queued: self.queued(),
            max_concurrent: self.cfg.max_concurrent,
        }
    }

    pub fn disabled_error(&self) -> Option<BackendError> {
        (!self.cfg.enabled).then(|| {
            BackendError::new(
                self.id,
                ErrorKind::Disabled,
                format!(
                    "{} is switched off ({}.enabled = false)",
                    self.id.label(),
                    crate::config::Config::section(self.id)
                ),
            )
        })
    }

    /// Takes a free slot at once, or returns the queue depth the caller would wait at.
    pub fn try_acquire(&self) -> Result<Permit, usize> {
        match Arc::clone(&self.limiter).try_acquire_owned() {
            Ok(p) => Ok(self.permit(p)),
            Err(_) => Err(self.queued.load(Ordering::SeqCst) + 1),
        }
    }

    /// Waits in the queue for a slot; the queue depth counts this request meanwhile.
    pub async fn acquire(&self) -> Permit {
        self.queued.fetch_add(1, Ordering::SeqCst);
        let _leave = QueueGuard(&self.queued);
        // The semaphore is never closed, so acquiring cannot fail.
        let p = Arc::clone(&self.limiter).acquire_owned().await;
        match p {
            Ok(p) => self.permit(p),
            Err(_) => unreachable!("the engine never closes a backend's semaphore"),
        }
    }

    fn permit(&self, p: OwnedSemaphorePermit) -> Permit {
        self.in_flight.fetch_add(1, Ordering::SeqCst);
        Permit {
            _permit: p,
            in_flight: Arc::clone(&self.in_flight),
            last_used: Arc::clone(&self.last_used),
        }
    }

    /// The server's self-description, from cache while fresh.
    pub async fn info(&self) -> Result<ServerInfo, BackendError> {
        let mut cache = self.info.lock().await;
        if let Some((at, info)) = cache.as_ref() {
            if at.elapsed() < INFO_TTL {
                return Ok(info.clone());
            }
        }
        let info = self.backend.probe().await?;
        *cache = Some((Instant::now(), info.clone()));
        Ok(info)
    }

    /// The last self-description, however old, without waiting: for routing signals and
    /// the resource pane, which must never block on a probe in progress.
    pub fn cached_info(&self) -> Option<ServerInfo> {
        let cache = self.info.try_lock().ok()?;
        cache.as_ref().map(|(_, info)| info.clone())
    }

    /// Probes the server now and keeps the answer (the resource monitor's refresh). Unlike
    /// a health check it does not feed the circuit breaker.
    pub async fn refresh_info(&self) -> Result<ServerInfo, BackendError> {
        let info = self.backend.probe().await?;
        *self.info.lock().await = Some((Instant::now(), info.clone()));
        Ok(info)
    }

    pub async fn forget_info(&self) {
        *self.info.lock().await = None;
    }

    /// Probes the server now (bypassing the cache) and reports its state.
    pub async fn health(&self) -> BackendHealth {
        let probed = if self.cfg.enabled {
            self.forget_info().await;
            Some(self.info().await)
        } else {
            None
        };
        // A health check is a probe too: it can close an open breaker, or open it.
        match &probed {
            Some(Ok(_)) => self.record(true),
            Some(Err(e)) if e.is_unavailable() => self.record(false),
            _ => {}
        }
        let (info, error) = match probed {
            Some(Ok(info)) => (Some(info), None),
            Some(Err(e)) => (None, Some(e.message)),
            None => (None, None),
        };
        BackendHealth {
            backend: self.id,
            endpoint: self.backend.endpoint().to_owned(),
            enabled: self.cfg.enabled,
            up: info.is_some(),
            server: info.as_ref().map(|i| i.kind),
            version: info.as_ref().and_then(|i| i.version.clone()),
            models: info.map(|i| i.models).unwrap_or_default(),
            error,
            in_flight: self.in_flight.load(Ordering::SeqCst),
            queued: self.queued.load(Ordering::SeqCst),
            max_concurrent: self.cfg.max_concurrent,
            breaker: self.breaker_state(),
        }
    }
}

struct QueueGuard<'a>(&'a AtomicUsize);

impl Drop for QueueGuard<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}
