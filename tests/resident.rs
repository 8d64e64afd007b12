//! Routing prefers a resident model. On its own test binary: it puts a fake `nvidia-smi`
//! first on PATH for the whole process.

mod support;

use std::os::unix::fs::PermissionsExt;
use std::time::Duration;

use codecrucible::backend::BackendId;
use codecrucible::config::Config;
use codecrucible::engine::{self, Command, EventKind, Submit};
use codecrucible::resources::GpuSource;
use support::protocol::*;
use support::Reply;

/// An 8 GiB GPU with about 1.2 GiB free: LM Studio's 4 GB model would not fit.
fn fake_gpu(dir: &std::path::Path) {
    let smi = dir.join("nvidia-smi");
    std::fs::write(&smi, "#!/bin/sh\necho '0, NVIDIA Test GPU, 8192, 7000'\n").unwrap();
    std::fs::set_permissions(&smi, std::fs::Permissions::from_mode(0o755)).unwrap();
    let path = std::env::var("PATH").unwrap_or_default();
    std::env::set_var("PATH", format!("{}:{path}", dir.display()));
}

#[tokio::test]
async fn a_hybrid_request_goes_where_the_model_is_resident() {
    let dir = tempfile::tempdir().unwrap();
    fake_gpu(dir.path());
    // LM Studio lists its model but has nothing loaded; Ollama has its model loaded.
    let lm = fake_lmstudio("qwen-coder-7b", &["fast"]);
    lm.on(
        "GET",
        "/api/v1/models",
        Reply::json(200, &lmstudio_v1_models(&[("qwen-coder-7b", "llm")], &[])),
    );
    let ol = fake_ollama(&["qwen2.5-coder:32b"], &["quality"]);
    let mut c = Config::default();
    c.hybrid.lm_studio.endpoint = lm.url();
    c.hybrid.ollama.endpoint = ol.url();
    let mut engine = engine::Builder::new(c)
        .long_lived(Duration::from_secs(60))
        .spawn();
    // Wait until the monitor has read the GPU and both servers.
    tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            if let Some(ev) = engine.events.recv().await {
                if let EventKind::Resources { status } = ev.kind {
                    if status.machine.gpu.source == GpuSource::NvidiaSmi {
                        return;
                    }
                }
            }
        }
    })
    .await
    .expect("the fake GPU was read");
    let _ = engine.commands.send(Command::Submit(Submit::new(
        1,
        "implement a tokenizer for arithmetic expressions in Rust",
    )));
    let (decision, backend) = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            if let Some(ev) = engine.events.recv().await {
                if let EventKind::Route {
                    decision, backend, ..
                } = ev.kind
                {
                    return (decision, backend);
                }
            }
        }
    })
    .await
    .expect("routed");
    assert_eq!(backend, BackendId::Ollama, "{}", decision.reasoning);
    let adj = &decision.adjustments[0];
    assert_eq!(adj.kind, codecrucible::router::AdjustmentKind::Resident);
    assert!(
        adj.reason.contains("qwen-coder-7b") && adj.reason.contains("does not fit"),
        "{}",
        adj.reason
    );
}
