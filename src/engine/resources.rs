//! The engine's resource monitor: on a fixed period it reads the machine (GPU memory,
//! CPU and memory load, on the blocking pool) and each server's loaded models, and sends
//! the latest picture as a `resources` event. It also tells routing which model is
//! resident and whether a model that is not would fit in free GPU memory.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{mpsc, watch};

use super::outbox::Outbox;

use super::events::{Event, EventKind};
use super::Shared;
use crate::backend::{models, BackendError, BackendId, ServerInfo};
use crate::backend_id::PerBackend;
use crate::resources::{BackendResources, GpuSource, MachineReading, ResourceStatus};
use crate::router::Residency;

/// How often the machine is read and a `resources` event sent.
pub const MACHINE_PERIOD: Duration = Duration::from_secs(2);
/// How often each server is asked what it has loaded.
pub const SERVER_PERIOD: Duration = Duration::from_secs(5);

/// Runs until the engine stops (its command channel closes) or the front end stops
/// listening.
pub async fn monitor(
    shared: Arc<Shared>,
    machine: watch::Receiver<MachineReading>,
    events: Outbox,
    commands: mpsc::UnboundedSender<super::Command>,
) {
    let mut tick = tokio::time::interval(MACHINE_PERIOD);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let every = (SERVER_PERIOD.as_millis() / MACHINE_PERIOD.as_millis()).max(1) as u64;
    // Per role, one probe per endpoint in the config's order (`None`: switched off).
    let mut last: PerBackend<Vec<Option<Result<ServerInfo, BackendError>>>> = PerBackend::default();
    for n in 0u64.. {
        tick.tick().await;
        if commands.is_closed() {
            return;
        }
        if n % every == 0 {
            let (a, b) = tokio::join!(
                probe(&shared, BackendId::Lmstudio),
                probe(&shared, BackendId::Ollama)
            );
            last = PerBackend::new(a, b);
        }
        let status = ResourceStatus {
            machine: machine.borrow().clone(),
            backends: last
                .iter()
                .flat_map(|(b, probes)| {
                    let slots = shared.slot(b).slots();
                    slots.zip(probes.iter()).map(|(s, p)| section(s, p.clone()))
                })
                .collect(),
        };
        let event = Event {
            id: 0,
            kind: EventKind::Resources { status },
        };
        // The next reading replaces this one: a front end that is behind skips it.
        if !events.offer(event) {
            return;
        }
    }
}

/// Probes every endpoint of the role at once.
async fn probe(shared: &Shared, b: BackendId) -> Vec<Option<Result<ServerInfo, BackendError>>> {
    let probes = shared.slot(b).slots().map(|slot| async move {
        slot.cfg.enabled.then_some(())?;
        Some(slot.refresh_info().await)
    });
    futures_util::future::join_all(probes).await
}

/// One endpoint's section of the report.
fn section(
    slot: &super::Slot,
    probed: Option<Result<ServerInfo, BackendError>>,
) -> BackendResources {
    let b = slot.id;
    let load = slot.load();
    let endpoint = slot.backend.endpoint();
    let section = match probed {
        None => BackendResources::disabled(b, endpoint, load.max_concurrent),
        Some(p) => BackendResources::from_probe(b, endpoint, load.max_concurrent, p),
    };
    BackendResources {
        cooling: slot.breaker_state() == super::breaker::BreakerState::Open,
        ..section.with_load(load.in_flight, load.queued)
    }
}

/// Whether each server's model (the one it would answer with now) is resident, from the
/// last probe and the last machine reading. Never waits.
pub fn residency(shared: &Shared) -> PerBackend<Residency> {
    let free = free_vram(shared);
    PerBackend::from_fn(|b| {
        let slot = shared.slot(b).likely();
        slot.cached_info().map_or(Residency::Unknown, |info| {
            residency_in(b, &slot.cfg, &info, free)
        })
    })
}

/// The free GPU memory the resources monitor read last, when it has a GPU reading.
pub fn free_vram(shared: &Shared) -> Option<u64> {
    let m = shared.machine.as_ref()?.borrow();
    (m.gpu.source != GpuSource::None).then(|| m.gpu.free_bytes())
}

/// Whether the model `b` would answer with, of those `info` lists, is loaded, or would fit
/// in `free_vram` with its KV cache.
pub fn residency_in(
    b: BackendId,
    cfg: &crate::config::BackendConfig,
    info: &crate::backend::ServerInfo,
    free_vram: Option<u64>,
) -> Residency {
    let Ok(choice) = models::choose(b, cfg.api, None, &cfg.models, &info.models) else {
        return Residency::Unknown;
    };
    let Some(m) = info.models.iter().find(|m| m.name == choice.name) else {
        return Residency::Unknown;
    };
    match m.loaded {
        Some(true) => Residency::Loaded {
            model: m.name.clone(),
        },
        Some(false) => Residency::MustLoad {
            model: m.name.clone(),
            size_bytes: m.size_bytes,
            // Weights and the KV cache for its window, not the file alone.
            fits: free_vram.zip(m.size_bytes).map(|(free, size)| {
                crate::resources::fit::fits(free, size, m.kv_bytes_per_token, m.context_length)
            }),
        },
        None => Residency::Unknown,
    }
}
