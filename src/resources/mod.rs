//! What the machine and the servers have to give: GPU memory per device (NVML, else
//! `nvidia-smi`), CPU and memory load, and per backend the models loaded with their VRAM.
//!
//! Machine reads block (a driver call, a subprocess, a CPU interval), so they run on
//! tokio's blocking pool: [`spawn_machine_monitor`] for a periodic feed, and
//! [`read_status`] for a one-off report. Every type serialises with sizes in bytes.

pub mod fit;
pub mod gpu;
pub mod host;

use std::time::Duration;

use serde::Serialize;
use tokio::sync::watch;

use crate::backend::{BackendError, BackendId, ModelInfo, ServerInfo};
use crate::config::{BackendConfig, Config};

pub use gpu::{GpuDevice, GpuSampler, GpuSource, GpuStatus};
pub use host::{read_host_once, HostLoad, HostSampler};

/// The note a not-yet-read [`MachineReading`] carries.
const PENDING_NOTE: &str = "not read yet";

/// The machine at one moment.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MachineReading {
    pub gpu: GpuStatus,
    pub host: HostLoad,
}

impl MachineReading {
    /// The monitor's first value, before its first read completes: no GPU, zero load.
    pub fn pending() -> Self {
        Self::unavailable(PENDING_NOTE)
    }

    /// True for [`MachineReading::pending`]: nothing has been read yet.
    pub fn is_pending(&self) -> bool {
        self.gpu.note.as_deref() == Some(PENDING_NOTE) && self.host.memory_total_bytes == 0
    }

    fn unavailable(note: &str) -> Self {
        Self {
            gpu: GpuStatus::none(note),
            host: HostLoad {
                cpu_percent: 0.0,
                memory_total_bytes: 0,
                memory_used_bytes: 0,
            },
        }
    }
}

/// Reads GPU and host together, keeping what makes the next read cheap and accurate
/// (the NVML handle, sysinfo's previous CPU counters).
#[derive(Default)]
pub struct MachineSampler {
    pub gpu: GpuSampler,
    pub host: HostSampler,
}

impl MachineSampler {
    pub fn new() -> Self {
        Self::default()
    }

    /// Blocks: up to the nvidia-smi timeout for the GPU, and on the first read about
    /// 200 ms for the CPU figure (the GPU read usually covers that wait).
    pub fn read(&mut self) -> MachineReading {
        let gpu = self.gpu.read();
        MachineReading {
            gpu,
            host: self.host.sample(),
        }
    }
}

/// One blocking reading, for a one-off command. Run it in `spawn_blocking`.
pub fn read_machine_once() -> MachineReading {
    MachineSampler::new().read()
}

/// Reads the machine every `period` (at least sysinfo's CPU interval) on tokio's
/// blocking pool and publishes each reading; the receiver always holds the newest. The
/// first value is [`MachineReading::pending`] until the first read completes. The task
/// stops when every receiver is dropped. Must be called inside a tokio runtime.
pub fn spawn_machine_monitor(period: Duration) -> watch::Receiver<MachineReading> {
    let (tx, rx) = watch::channel(MachineReading::pending());
    let period = period
        .max(host::MINIMUM_CPU_UPDATE_INTERVAL)
        .max(Duration::from_millis(100));
    tokio::spawn(monitor(tx, period));
    rx
}

async fn monitor(tx: watch::Sender<MachineReading>, period: Duration) {
    let mut ticker = tokio::time::interval(period);
    // A slow read (nvidia-smi near its timeout) pushes the next one back, never bunches.
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut sampler: Option<MachineSampler> = None;
    loop {
        tokio::select! {
            _ = ticker.tick() => {}
            _ = tx.closed() => return,
        }
        let mut s = sampler.take().unwrap_or_default();
        let joined = tokio::task::spawn_blocking(move || {
            let reading = s.read();
            (s, reading)
        })
        .await;
        // A read that panicked leaves no sampler; the next tick starts a fresh one.
        if let Ok((s, reading)) = joined {
            sampler = Some(s);
            if tx.send(reading).is_err() {
                return;
            }
        }
    }
}

/// Whether a backend answered its probe.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ServerState {
    Up,
    Down,
    /// Switched off in the config, so not probed.
    Disabled,
}

impl ServerState {
    pub fn as_str(self) -> &'static str {
        match self {
            ServerState::Up => "up",
            ServerState::Down => "down",
            ServerState::Disabled => "disabled",
        }
    }
}

/// One model a server has, and what it holds in memory if loaded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LoadedModel {
    pub name: String,
    /// False also when the server cannot say (a plain OpenAI-compatible server).
    pub loaded: bool,
    pub size_bytes: Option<u64>,
    /// Ollama's `size_vram`; other servers do not report it.
    pub vram_bytes: Option<u64>,
    /// Ollama's `/api/ps` `size`: all it holds for the loaded model, KV cache included.
    pub resident_bytes: Option<u64>,
    pub context_length: Option<u64>,
}

impl LoadedModel {
    /// The share on the GPU when the model is partly on the CPU ("62% on GPU").
    pub fn gpu_percent(&self) -> Option<u8> {
        fit::gpu_percent(self.vram_bytes, self.resident_bytes)
    }

    /// "5.0 GiB VRAM", with the GPU share when part of the model runs on the CPU.
    pub fn vram_words(&self) -> Option<String> {
        let vram = human_bytes(self.vram_bytes?);
        Some(match self.gpu_percent() {
            Some(p) => format!(
                "{vram} VRAM of {} ({p}% on GPU, the rest on the CPU)",
                human_bytes(self.resident_bytes.unwrap_or_default())
            ),
            None => format!("{vram} VRAM"),
        })
    }
}

impl LoadedModel {
    /// "5.0 GiB in VRAM of 6.1 GiB: 80% on GPU, the rest on the CPU", as `doctor` and
    /// `system vram` list a loaded model.
    pub fn vram_detail(&self) -> Option<String> {
        let vram = human_bytes(self.vram_bytes?);
        Some(match self.gpu_percent() {
            Some(p) => format!(
                "{vram} in VRAM of {}: {p}% on GPU, the rest on the CPU",
                human_bytes(self.resident_bytes.unwrap_or_default())
            ),
            None => format!("{vram} in VRAM"),
        })
    }
}

impl From<&ModelInfo> for LoadedModel {
    fn from(m: &ModelInfo) -> Self {
        Self {
            name: m.name.clone(),
            loaded: m.loaded == Some(true),
            size_bytes: m.size_bytes,
            vram_bytes: m.vram_bytes,
            resident_bytes: m.resident_bytes,
            context_length: m.context_length,
        }
    }
}

/// One backend's section of the report. Fields are public so the engine can fill in its
/// live `in_flight` and `queued` counts (see [`BackendResources::with_load`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BackendResources {
    pub backend: BackendId,
    pub endpoint: String,
    pub state: ServerState,
    /// Why it is down, with what to do about it.
    pub error: Option<String>,
    pub models: Vec<LoadedModel>,
    pub in_flight: usize,
    pub queued: usize,
    pub max_concurrent: usize,
    /// The engine's circuit breaker keeps requests away from it after repeated failures
    /// (only the engine knows; absent from the JSON when not).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub cooling: bool,
}

impl BackendResources {
    fn base(backend: BackendId, endpoint: &str, max_concurrent: usize, state: ServerState) -> Self {
        Self {
            backend,
            endpoint: endpoint.to_owned(),
            state,
            error: None,
            models: Vec::new(),
            in_flight: 0,
            queued: 0,
            max_concurrent,
            cooling: false,
        }
    }

    pub fn disabled(backend: BackendId, endpoint: &str, max_concurrent: usize) -> Self {
        Self::base(backend, endpoint, max_concurrent, ServerState::Disabled)
    }

    pub fn up(
        backend: BackendId,
        endpoint: &str,
        max_concurrent: usize,
        models: &[ModelInfo],
    ) -> Self {
        Self {
            models: models.iter().map(LoadedModel::from).collect(),
            ..Self::base(backend, endpoint, max_concurrent, ServerState::Up)
        }
    }

    pub fn down(
        backend: BackendId,
        endpoint: &str,
        max_concurrent: usize,
        error: impl Into<String>,
    ) -> Self {
        Self {
            error: Some(error.into()),
            ..Self::base(backend, endpoint, max_concurrent, ServerState::Down)
        }
    }

    /// From a probe's outcome; the error's message already says how to fix it.
    pub fn from_probe(
        backend: BackendId,
        endpoint: &str,
        max_concurrent: usize,
        probed: Result<ServerInfo, BackendError>,
    ) -> Self {
        match probed {
            Ok(info) => Self::up(backend, endpoint, max_concurrent, &info.models),
            Err(e) => Self::down(backend, endpoint, max_concurrent, e.message),
        }
    }

    /// Sets the live request counts (the engine's; another process sees zeros).
    pub fn with_load(mut self, in_flight: usize, queued: usize) -> Self {
        self.in_flight = in_flight;
        self.queued = queued;
        self
    }

    pub fn loaded_models(&self) -> impl Iterator<Item = &LoadedModel> {
        self.models.iter().filter(|m| m.loaded)
    }

    /// VRAM held by the loaded models, when the server reports any.
    pub fn loaded_vram_bytes(&self) -> Option<u64> {
        self.loaded_models()
            .filter_map(|m| m.vram_bytes)
            .reduce(u64::saturating_add)
    }
}

/// The whole report: `codecrucible system vram --status --json` prints this.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ResourceStatus {
    pub machine: MachineReading,
    pub backends: Vec<BackendResources>,
}

/// Probes one backend for its models, unless it is switched off.
pub async fn probe_backend(id: BackendId, cfg: &BackendConfig) -> BackendResources {
    if !cfg.enabled {
        return BackendResources::disabled(id, &cfg.endpoint, cfg.max_concurrent);
    }
    let backend = crate::backend::build(id, cfg);
    let probed = backend.probe().await;
    BackendResources::from_probe(id, backend.endpoint(), cfg.max_concurrent, probed)
}

/// Probes every endpoint of every backend at once, in [`BackendId::ALL`] order and each
/// role's endpoints in the config's order.
pub async fn probe_backends(config: &Config) -> Vec<BackendResources> {
    let endpoints = BackendId::ALL.into_iter().flat_map(|id| {
        let list = config.backend(id).resolved_endpoints();
        list.into_iter().map(move |e| (id, e.cfg))
    });
    let probes = endpoints.map(|(id, cfg)| async move { probe_backend(id, &cfg).await });
    futures_util::future::join_all(probes).await
}

/// A one-off report: the servers are probed while the machine is read on the blocking
/// pool. Request counts are zero: only the engine that sends requests knows them.
pub async fn read_status(config: &Config) -> ResourceStatus {
    let machine = tokio::task::spawn_blocking(read_machine_once);
    let (machine, backends) = tokio::join!(machine, probe_backends(config));
    ResourceStatus {
        machine: machine
            .unwrap_or_else(|_| MachineReading::unavailable("the machine could not be read")),
        backends,
    }
}

/// Sizes for people: `512 B`, `12 KiB`, `340 MiB`, `10.2 GiB`.
pub fn human_bytes(bytes: u64) -> String {
    const KIB: u64 = 1 << 10;
    const MIB: u64 = 1 << 20;
    const GIB: u64 = 1 << 30;
    let b = bytes as f64;
    match bytes {
        GIB.. => format!("{:.1} GiB", b / GIB as f64),
        MIB.. => format!("{:.0} MiB", b / MIB as f64),
        KIB.. => format!("{:.0} KiB", b / KIB as f64),
        _ => format!("{bytes} B"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backend::{ErrorKind, ServerKind};

    #[test]
    fn human_sizes() {
        assert_eq!(human_bytes(0), "0 B");
        assert_eq!(human_bytes(1023), "1023 B");
        assert_eq!(human_bytes(12 * 1024), "12 KiB");
        assert_eq!(human_bytes(340 << 20), "340 MiB");
        assert_eq!(human_bytes(5_333_539_264), "5.0 GiB");
        assert_eq!(human_bytes(24 << 30), "24.0 GiB");
        assert_eq!(human_bytes(u64::MAX), "17179869184.0 GiB");
    }

    fn model(name: &str, loaded: Option<bool>, vram: Option<u64>) -> ModelInfo {
        ModelInfo {
            loaded,
            vram_bytes: vram,
            ..ModelInfo::named(name)
        }
    }

    #[test]
    fn a_probe_becomes_a_section() {
        let info = ServerInfo {
            kind: ServerKind::Ollama,
            version: None,
            models: vec![
                model("a", Some(true), Some(5 << 30)),
                model("b", Some(false), None),
                model("c", None, None),
                model("d", Some(true), Some(1 << 30)),
            ],
        };
        let r = BackendResources::from_probe(BackendId::Ollama, "http://x", 3, Ok(info));
        assert_eq!(r.state, ServerState::Up);
        assert_eq!(r.max_concurrent, 3);
        let loaded: Vec<&str> = r.loaded_models().map(|m| m.name.as_str()).collect();
        assert_eq!(loaded, ["a", "d"]);
        assert_eq!(r.loaded_vram_bytes(), Some(6 << 30));
        let r = r.with_load(2, 5);
        assert_eq!((r.in_flight, r.queued), (2, 5));
    }

    #[test]
    fn a_partly_offloaded_model_says_its_gpu_share() {
        let m = ModelInfo {
            loaded: Some(true),
            vram_bytes: Some(5_333_539_264),
            resident_bytes: Some(8_600_000_000),
            ..ModelInfo::named("q")
        };
        let words = LoadedModel::from(&m).vram_words().unwrap();
        assert_eq!(
            words,
            "5.0 GiB VRAM of 8.0 GiB (62% on GPU, the rest on the CPU)"
        );
        let whole = ModelInfo {
            resident_bytes: Some(5_333_539_264),
            ..m
        };
        assert_eq!(
            LoadedModel::from(&whole).vram_words().unwrap(),
            "5.0 GiB VRAM"
        );
    }

    #[test]
    fn a_failed_probe_is_down_with_its_message() {
        let e = BackendError::unreachable(BackendId::Ollama, "http://127.0.0.1:9", "refused");
        let r = BackendResources::from_probe(BackendId::Ollama, "http://127.0.0.1:9", 1, Err(e));
        assert_eq!(r.state, ServerState::Down);
        assert!(r.error.as_deref().unwrap().contains("ollama serve"));
        assert!(r.models.is_empty());
        assert_eq!(r.loaded_vram_bytes(), None);
        let e = BackendError::new(BackendId::Ollama, ErrorKind::Malformed, "bad");
        let r = BackendResources::from_probe(BackendId::Ollama, "x", 1, Err(e));
        assert_eq!(r.error.as_deref(), Some("bad"));
    }

    #[test]
    fn states_serialise_lowercase() {
        let r = BackendResources::disabled(BackendId::Lmstudio, "http://x", 2);
        let v = serde_json::to_value(&r).unwrap();
        assert_eq!(v["state"], "disabled");
        assert_eq!(v["backend"], "lmstudio");
        assert_eq!(ServerState::Down.as_str(), "down");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_disabled_backend_is_not_probed() {
        let mut cfg = Config::default().backend(BackendId::Ollama).clone();
        cfg.enabled = false;
        // Nothing listens on port 9: a probe would come back down, not disabled.
        cfg.endpoint = "http://127.0.0.1:9".into();
        let r = probe_backend(BackendId::Ollama, &cfg).await;
        assert_eq!(r.state, ServerState::Disabled);
        assert_eq!(r.endpoint, "http://127.0.0.1:9");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_monitor_starts_pending_then_publishes_real_readings() {
        let mut rx = spawn_machine_monitor(Duration::from_millis(10));
        assert!(rx.borrow().is_pending());
        tokio::time::timeout(Duration::from_secs(20), rx.changed())
            .await
            .expect("a reading within the nvidia-smi timeout")
            .expect("the monitor is running");
        let r = rx.borrow_and_update().clone();
        assert!(!r.is_pending());
        assert_eq!(r.gpu.source == GpuSource::None, r.gpu.devices.is_empty());
    }

    #[test]
    fn pending_is_recognisable() {
        assert!(MachineReading::pending().is_pending());
        assert!(!MachineReading::unavailable("other").is_pending());
    }
}
