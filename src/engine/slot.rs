//! One backend as the engine holds it: the client, its concurrency limit with a visible
//! queue, and a short-lived cache of what the server said about itself (so each request
//! does not re-list models).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{Mutex, OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;

use super::events::BackendHealth;
use crate::backend::{self, Backend, BackendError, BackendId, ErrorKind, ServerInfo};
use crate::config::BackendConfig;
use crate::router::BackendState;

/// How long a server that failed is treated as down by the router. Short: a server that
/// comes back is used again soon. (The circuit breaker will refine this.)
const DOWN_FOR: Duration = Duration::from_secs(20);

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
    /// The last time a request found the server unavailable, and whether one has worked
    /// since; what the router knows of its health.
    last: std::sync::Mutex<(Option<Instant>, bool)>,
}

/// Held while a request talks to the backend; frees the slot when dropped.
pub struct Permit {
    _permit: OwnedSemaphorePermit,
    in_flight: Arc<AtomicUsize>,
}

impl Drop for Permit {
    fn drop(&mut self) {
        self.in_flight.fetch_sub(1, Ordering::SeqCst);
    }
}

impl Slot {
    pub fn new(id: BackendId, cfg: &BackendConfig) -> Self {
        Self::with_backend(id, cfg, backend::build(id, cfg))
    }

    pub fn with_backend(id: BackendId, cfg: &BackendConfig, backend: Arc<dyn Backend>) -> Self {
        Self {
            id,
            cfg: cfg.clone(),
            backend,
            limiter: Arc::new(Semaphore::new(cfg.max_concurrent.max(1))),
            queued: AtomicUsize::new(0),
            in_flight: Arc::new(AtomicUsize::new(0)),
            info: Mutex::new(None),
            last: std::sync::Mutex::new((None, false)),
        }
    }

    /// Notes how a request went: `false` when the server was unavailable.
    pub fn record(&self, ok: bool) {
        if let Ok(mut last) = self.last.lock() {
            *last = if ok {
                (None, true)
            } else {
                (Some(Instant::now()), false)
            };
        }
    }

    /// The server's state for routing: off, down within the last `DOWN_FOR`, up, or unknown.
    pub fn state(&self) -> BackendState {
        if !self.cfg.enabled {
            return BackendState::Disabled;
        }
        match self.last.lock().map(|l| *l) {
            Ok((Some(at), _)) if at.elapsed() < DOWN_FOR => BackendState::Down,
            Ok((_, true)) => BackendState::Up,
            _ => BackendState::Unknown,
        }
    }

    pub fn queued(&self) -> usize {
        self.queued.load(Ordering::SeqCst)
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
        }
    }
}

struct QueueGuard<'a>(&'a AtomicUsize);

impl Drop for QueueGuard<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}
