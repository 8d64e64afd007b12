//! Opt-in unloading (`hybrid.vram.unload_idle`): a request whose model does not fit in the
//! free GPU memory has the other server's idle model unloaded first, and says so; with the
//! setting off, or while that model is in use, nothing is unloaded. The GPU reading comes
//! from a fake `nvidia-smi` on PATH, which belongs to the whole process, so the checks run in
//! a child process of this test binary (as `resident.rs` does).

use crate::support;

use std::time::Duration;

use codecrucible::backend::BackendId;
use codecrucible::config::Config;
use codecrucible::engine::{self, Command, EventKind, RouteMode, Submit};
use codecrucible::resources::GpuSource;
use support::protocol::*;
use support::Reply;

const CHILD: &str = "CODECRUCIBLE_TEST_VRAM_CHILD";

#[test]
fn an_idle_model_is_unloaded_to_make_room_only_when_opted_in() {
    let dir = tempfile::tempdir().unwrap();
    let path = support::fake_gpu(dir.path());
    support::run_ignored_in_child(
        "suite::vram::unloading_in_this_process",
        &[("PATH", &path), (CHILD, "1")],
    );
}

/// LM Studio with its model loaded (and an unload route); Ollama whose 6 GiB model is not
/// loaded, so it cannot fit in 1.2 GiB.
fn servers() -> (support::FakeServer, support::FakeServer) {
    let lm = fake_lmstudio("qwen-coder-7b", &["fast"]);
    lm.on(
        "POST",
        "/api/v1/models/unload",
        Reply::json(200, r#"{"instance_id":"qwen-coder-7b"}"#),
    );
    let ol = fake_ollama(&["big:32b"], &["quality answer"]);
    ol.on("GET", "/api/ps", Reply::json(200, r#"{"models":[]}"#));
    ol.on(
        "GET",
        "/api/tags",
        Reply::json(
            200,
            r#"{"models":[{"name":"big:32b","model":"big:32b","size":6442450944,"digest":"d","details":{"family":"qwen2","format":"gguf","parameter_size":"32B","quantization_level":"Q4_K_M"}}]}"#,
        ),
    );
    (lm, ol)
}

/// Runs one forced-quality request on an engine with `unload_idle`; its events.
async fn ask_quality(
    lm: &support::FakeServer,
    ol: &support::FakeServer,
    unload: bool,
    idle_secs: u64,
) -> Vec<EventKind> {
    let mut engine = ready_engine(lm, ol, unload, idle_secs).await;
    quality_request(&mut engine, 1).await
}

/// An engine whose monitor has read the fake GPU and both servers.
async fn ready_engine(
    lm: &support::FakeServer,
    ol: &support::FakeServer,
    unload: bool,
    idle_secs: u64,
) -> engine::EngineHandle {
    let mut c = Config::default();
    c.hybrid.lm_studio.endpoint = lm.url();
    c.hybrid.ollama.endpoint = ol.url();
    c.hybrid.vram.unload_idle = unload;
    c.hybrid.vram.idle_secs = idle_secs;
    let mut engine = engine::Builder::new(c)
        .long_lived(Duration::from_secs(60))
        .spawn();
    // Wait until the monitor has read the GPU and both servers.
    tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            if let Some(ev) = engine.events.recv().await {
                if let EventKind::Resources { status } = ev.kind {
                    if status.machine.gpu.source == GpuSource::NvidiaSmi
                        && status.backends.iter().all(|b| !b.models.is_empty())
                    {
                        return;
                    }
                }
            }
        }
    })
    .await
    .expect("the fake GPU and both servers were read");
    engine
}

/// Submits request `id`, forced to the quality server, and returns its events.
async fn quality_request(engine: &mut engine::EngineHandle, id: u64) -> Vec<EventKind> {
    let mut submit = Submit::new(id, "why does this deadlock when two workers start at once?");
    submit.route = RouteMode::Force(BackendId::Ollama);
    let _ = engine.commands.send(Command::Submit(submit));
    let mut got = Vec::new();
    tokio::time::timeout(Duration::from_secs(20), async {
        loop {
            if let Some(ev) = engine.events.recv().await {
                if ev.id != id {
                    continue;
                }
                let end = matches!(ev.kind, EventKind::Done { .. } | EventKind::Error { .. });
                got.push(ev.kind);
                if end {
                    return;
                }
            }
        }
    })
    .await
    .expect("the request ended");
    got
}

#[tokio::test]
#[ignore = "run by an_idle_model_is_unloaded_to_make_room_only_when_opted_in, in a child process"]
async fn unloading_in_this_process() {
    assert!(std::env::var_os(CHILD).is_some());
    // Off (the default): nothing is unloaded.
    let (lm, ol) = servers();
    let ev = ask_quality(&lm, &ol, false, 0).await;
    assert!(
        !ev.iter().any(|e| matches!(e, EventKind::Unloaded { .. })),
        "{ev:?}"
    );
    assert!(lm.requests_to("/api/v1/models/unload").is_empty());
    // On: LM Studio's idle model is unloaded first, and the event says which and why.
    let (lm, ol) = servers();
    let ev = ask_quality(&lm, &ol, true, 0).await;
    let unloaded = ev
        .iter()
        .find_map(|e| match e {
            EventKind::Unloaded {
                backend,
                model,
                reason,
                ..
            } => Some((*backend, model.clone(), reason.clone())),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no unload in {ev:?}"));
    assert_eq!(unloaded.0, BackendId::Lmstudio);
    assert_eq!(unloaded.1, "qwen-coder-7b");
    assert!(unloaded.2.contains("big:32b"), "{}", unloaded.2);
    assert_eq!(
        lm.requests_to("/api/v1/models/unload")[0].json()["instance_id"],
        "qwen-coder-7b"
    );
    assert!(matches!(ev.last(), Some(EventKind::Done { .. })), "{ev:?}");
    // On, but the model has not been idle long enough: kept, and the user is told why.
    let (lm, ol) = servers();
    let ev = ask_quality(&lm, &ol, true, 3_600).await;
    assert!(
        !ev.iter().any(|e| matches!(e, EventKind::Unloaded { .. })),
        "{ev:?}"
    );
    assert!(lm.requests_to("/api/v1/models/unload").is_empty());
    assert!(
        ev.iter()
            .any(|e| matches!(e, EventKind::Status { message, .. }
            if message.contains("is kept") && message.contains("used"))),
        "{ev:?}"
    );
    // On and idle long enough, but LM Studio is answering a request: never unloaded.
    let (lm, ol) = servers();
    let parts = lmstudio_stream("qwen-coder-7b", &["slow"], "stop");
    lm.on(
        "POST",
        "/v1/chat/completions",
        Reply::sse(parts.iter().map(|p| p.as_slice()).collect()).delayed(Duration::from_secs(6)),
    );
    let mut engine = ready_engine(&lm, &ol, true, 0).await;
    let mut busy = Submit::new(2, "reformat this JSON file with two-space indentation");
    busy.route = RouteMode::Force(BackendId::Lmstudio);
    let _ = engine.commands.send(Command::Submit(busy));
    // Polled without blocking: the engine runs on this test's runtime.
    let mut tries = 0;
    while lm.requests_to("/v1/chat/completions").is_empty() {
        tries += 1;
        assert!(tries < 100, "the fast request is in flight");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let ev = quality_request(&mut engine, 3).await;
    assert!(
        !ev.iter().any(|e| matches!(e, EventKind::Unloaded { .. })),
        "{ev:?}"
    );
    assert!(lm.requests_to("/api/v1/models/unload").is_empty());
    assert!(
        ev.iter()
            .any(|e| matches!(e, EventKind::Status { message, .. }
            if message.contains("answering a request"))),
        "{ev:?}"
    );
}
