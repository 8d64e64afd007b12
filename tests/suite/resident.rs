//! Routing prefers a resident model. The machine monitor finds `nvidia-smi` on PATH, and
//! PATH belongs to the whole process, so the check runs in a child process of this test
//! binary with a fake `nvidia-smi` first on its PATH; the other tests never see it.

use crate::support;

use std::time::Duration;

use codecrucible::backend::BackendId;
use codecrucible::config::Config;
use codecrucible::engine::{self, Command, EventKind, Submit};
use codecrucible::resources::GpuSource;
use support::protocol::*;
use support::Reply;

/// Set in the child process that runs the check.
const CHILD: &str = "CODECRUCIBLE_TEST_RESIDENT_CHILD";

#[test]
fn a_hybrid_request_goes_where_the_model_is_resident() {
    let dir = tempfile::tempdir().unwrap();
    let path = support::fake_gpu(dir.path());
    support::run_ignored_in_child(
        "suite::resident::resident_model_wins_in_this_process",
        &[("PATH", &path), (CHILD, "1")],
    );
}

#[tokio::test]
#[ignore = "run by a_hybrid_request_goes_where_the_model_is_resident, in a child process"]
async fn resident_model_wins_in_this_process() {
    assert!(
        std::env::var_os(CHILD).is_some(),
        "run through a_hybrid_request_goes_where_the_model_is_resident"
    );
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
