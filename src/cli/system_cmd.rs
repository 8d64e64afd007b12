//! `codecrucible system vram [--status] [--json]`: GPU memory, CPU and memory load, and
//! what each server has loaded, as a troubleshooting report. It is a status report, so it
//! exits 0 even when a server is down or there is no GPU.

use super::args::SystemCmd;
use super::EXIT_OK;
use crate::backend::BackendId;
use crate::config::Config;
use crate::resources::{
    human_bytes, read_status, BackendResources, GpuSource, GpuStatus, HostLoad, LoadedModel,
    ResourceStatus, ServerState,
};

pub async fn run(config: Config, action: &SystemCmd) -> i32 {
    match action {
        // `--status` is what `vram` does; without it the same report is the helpful answer.
        SystemCmd::Vram { status: _, json } => vram(&config, *json).await,
    }
}

async fn vram(config: &Config, json: bool) -> i32 {
    let status = read_status(config).await;
    let text = if json {
        let mut j = serde_json::to_string_pretty(&status).unwrap_or_default();
        j.push('\n');
        j
    } else {
        report(&status)
    };
    emit(&text);
    EXIT_OK
}

/// Writes to stdout, ignoring a closed pipe (`| head`): `print!` would panic there, and a
/// reader that stopped reading needs no error.
fn emit(text: &str) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(text.as_bytes()).and_then(|()| out.flush());
}

/// The whole text report: the machine, then one block per backend.
fn report(status: &ResourceStatus) -> String {
    let mut s = String::from("Machine\n");
    s += &gpu_lines(&status.machine.gpu);
    s += &format!("  {}\n", host_line(&status.machine.host));
    for b in &status.backends {
        s.push('\n');
        s += &backend_block(b);
    }
    s
}

fn gpu_lines(gpu: &GpuStatus) -> String {
    if gpu.source == GpuSource::None {
        let why = gpu
            .note
            .as_deref()
            .unwrap_or("NVML and nvidia-smi unavailable");
        return format!("  GPU: no GPU found ({why})\n");
    }
    let mut s = String::new();
    for d in &gpu.devices {
        let name = d
            .name
            .as_deref()
            .map(|n| format!(" {n}"))
            .unwrap_or_default();
        s += &format!(
            "  GPU {}{name}: {} used of {} ({} free)\n",
            d.index,
            human_bytes(d.used_bytes),
            human_bytes(d.total_bytes),
            human_bytes(d.free_bytes()),
        );
    }
    // After a fallback the note says why NVML was not used: worth seeing when debugging.
    if let Some(note) = &gpu.note {
        s += &format!("  ({note})\n");
    }
    s
}

fn host_line(h: &HostLoad) -> String {
    let memory = if h.memory_total_bytes == 0 {
        "memory unknown".to_owned()
    } else {
        format!(
            "memory {} used of {} ({} free)",
            human_bytes(h.memory_used_bytes),
            human_bytes(h.memory_total_bytes),
            human_bytes(h.memory_free_bytes()),
        )
    };
    format!("CPU {:.1}% · {memory}", h.cpu_percent)
}

fn role(id: BackendId) -> &'static str {
    match id {
        BackendId::Lmstudio => "fast",
        BackendId::Ollama => "quality",
    }
}

fn backend_block(b: &BackendResources) -> String {
    let section = Config::section(b.backend);
    let mut s = format!(
        "{} ({}) · {} · {}\n",
        b.backend.label(),
        role(b.backend),
        b.endpoint,
        b.state.as_str()
    );
    match b.state {
        ServerState::Disabled => {
            s += &format!("  - switched off ({section}.enabled = false)\n");
        }
        ServerState::Down => {
            let why = b.error.as_deref().unwrap_or("the server did not answer");
            s += &format!("  ✗ {why}\n");
        }
        ServerState::Up => {
            s += &format!(
                "  requests: {} in flight, {} queued, at most {} at once ({section}.max_concurrent)\n",
                b.in_flight, b.queued, b.max_concurrent
            );
            s += &model_lines(b);
        }
    }
    s
}

fn model_lines(b: &BackendResources) -> String {
    if b.models.is_empty() {
        return "  · no models on this server\n".to_owned();
    }
    let mut s = String::new();
    for m in b.loaded_models() {
        s += &format!("  ✓ loaded: {} ({})\n", m.name, model_detail(m));
    }
    let idle = b.models.iter().filter(|m| !m.loaded).count();
    if idle == b.models.len() {
        s += "  · no model loaded now; the first request loads one, which can take a while\n";
    } else if idle > 0 {
        s += &format!("  · {idle} more model(s) on the server, not loaded\n");
    }
    if let Some(v) = b.loaded_vram_bytes() {
        s += &format!("  · VRAM held by loaded models: {}\n", human_bytes(v));
    }
    s
}

fn model_detail(m: &LoadedModel) -> String {
    let mut parts = Vec::new();
    match (m.vram_detail(), m.size_bytes) {
        (Some(vram), _) => parts.push(vram),
        (None, Some(size)) => {
            parts.push(format!("{} on disk, VRAM not reported", human_bytes(size)))
        }
        (None, None) => parts.push("VRAM not reported".to_owned()),
    }
    if let Some(c) = m.context_length {
        parts.push(format!("context {c}"));
    }
    parts.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resources::{GpuDevice, MachineReading};

    const GIB: u64 = 1 << 30;

    fn machine(gpu: GpuStatus) -> MachineReading {
        MachineReading {
            gpu,
            host: HostLoad {
                cpu_percent: 12.34,
                memory_total_bytes: 32 * GIB,
                memory_used_bytes: 9 * GIB,
            },
        }
    }

    fn model(name: &str, loaded: bool, vram: Option<u64>, size: Option<u64>) -> LoadedModel {
        LoadedModel {
            name: name.into(),
            loaded,
            size_bytes: size,
            vram_bytes: vram,
            resident_bytes: None,
            context_length: Some(4096),
        }
    }

    #[test]
    fn gpu_lines_name_used_total_and_free() {
        let gpu = GpuStatus {
            source: GpuSource::Nvml,
            devices: vec![
                GpuDevice {
                    index: 0,
                    name: Some("NVIDIA RTX 4090".into()),
                    total_bytes: 24 * GIB,
                    used_bytes: 10_952_166_605, // 10.2 GiB
                },
                GpuDevice {
                    index: 1,
                    name: None,
                    total_bytes: 8 * GIB,
                    used_bytes: 0,
                },
            ],
            note: None,
        };
        assert_eq!(
            gpu_lines(&gpu),
            "  GPU 0 NVIDIA RTX 4090: 10.2 GiB used of 24.0 GiB (13.8 GiB free)\n  \
             GPU 1: 0 B used of 8.0 GiB (8.0 GiB free)\n"
        );
    }

    #[test]
    fn no_gpu_is_one_calm_line() {
        let gpu = GpuStatus::none("NVML and nvidia-smi unavailable");
        assert_eq!(
            gpu_lines(&gpu),
            "  GPU: no GPU found (NVML and nvidia-smi unavailable)\n"
        );
    }

    #[test]
    fn host_line_reads_naturally() {
        let m = machine(GpuStatus::none("x"));
        assert_eq!(
            host_line(&m.host),
            "CPU 12.3% · memory 9.0 GiB used of 32.0 GiB (23.0 GiB free)"
        );
    }

    #[test]
    fn an_up_backend_lists_loaded_models_load_and_vram() {
        let mut b = BackendResources::disabled(BackendId::Ollama, "http://127.0.0.1:11434", 2);
        b.state = ServerState::Up;
        b.models = vec![
            model(
                "llama3.2:latest",
                true,
                Some(5_333_539_264),
                Some(4_700_000_000),
            ),
            model("qwen2.5-coder:7b", false, None, Some(4_700_000_000)),
        ];
        let b = b.with_load(1, 3);
        let text = backend_block(&b);
        assert_eq!(
            text,
            "Ollama (quality) · http://127.0.0.1:11434 · up\n  \
             requests: 1 in flight, 3 queued, at most 2 at once (hybrid.ollama.max_concurrent)\n  \
             ✓ loaded: llama3.2:latest (5.0 GiB in VRAM, context 4096)\n  \
             · 1 more model(s) on the server, not loaded\n  \
             · VRAM held by loaded models: 5.0 GiB\n"
        );
    }

    #[test]
    fn a_model_without_vram_figures_says_so() {
        let m = model("qwen", true, None, Some(4 * GIB));
        assert_eq!(
            model_detail(&m),
            "4.0 GiB on disk, VRAM not reported, context 4096"
        );
    }

    #[test]
    fn a_down_backend_shows_the_fix_and_a_disabled_one_the_setting() {
        let down = BackendResources::down(
            BackendId::Lmstudio,
            "http://127.0.0.1:1234",
            2,
            "LM Studio is not answering — run `lms server start`",
        );
        let text = backend_block(&down);
        assert!(text.contains("· down\n"), "{text}");
        assert!(text.contains("✗ LM Studio is not answering — run `lms server start`"));
        assert!(!text.contains("requests:"));
        let off = BackendResources::disabled(BackendId::Ollama, "http://x", 1);
        assert!(backend_block(&off).contains("switched off (hybrid.ollama.enabled = false)"));
    }

    #[test]
    fn the_report_puts_the_machine_first() {
        let status = ResourceStatus {
            machine: machine(GpuStatus::none("NVML and nvidia-smi unavailable")),
            backends: vec![BackendResources::disabled(BackendId::Ollama, "http://x", 1)],
        };
        let text = report(&status);
        assert!(text.starts_with("Machine\n  GPU: no GPU found"), "{text}");
        assert!(text.contains("\n\nOllama (quality)"), "{text}");
    }
}
