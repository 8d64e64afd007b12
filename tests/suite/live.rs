//! What long-lived front ends get: live metrics and resource events, and a library client
//! that saves its conversations.

use crate::support;

use std::sync::Arc;
use std::time::Duration;

use codecrucible::backend::BackendId;
use codecrucible::config::Config;
use codecrucible::engine::{self, Command, EngineHandle, Event, EventKind, Submit};
use codecrucible::resources::ServerState;
use codecrucible::store::Store;
use codecrucible::{HybridClient, Request};
use support::protocol::*;

fn config(lm: &str, ol: &str) -> Config {
    let mut c = Config::default();
    c.hybrid.lm_studio.endpoint = lm.into();
    c.hybrid.ollama.endpoint = ol.into();
    c
}

/// The next event that `pick` accepts, within `limit`.
async fn wait_for<T>(
    engine: &mut EngineHandle,
    limit: Duration,
    pick: impl Fn(&Event) -> Option<T>,
) -> T {
    tokio::time::timeout(limit, async {
        loop {
            let ev = engine.events.recv().await.expect("engine running");
            if let Some(t) = pick(&ev) {
                return t;
            }
        }
    })
    .await
    .expect("the event came in time")
}

#[tokio::test]
async fn live_metrics_follow_finished_requests_and_resources_are_reported() {
    let lm = fake_lmstudio("qwen-coder-7b", &["done"]);
    let store = Arc::new(Store::in_memory().unwrap());
    let mut engine = engine::Builder::new(config(&lm.url(), &refused_url()))
        .store(Arc::clone(&store))
        .long_lived(Duration::from_secs(60))
        .spawn();
    // The resource monitor reports at once: LM Studio up with its loaded model, Ollama
    // down with the fix, the machine read (no GPU here is a normal answer).
    let status = wait_for(&mut engine, Duration::from_secs(10), |ev| match &ev.kind {
        EventKind::Resources { status } if !status.machine.is_pending() => Some(status.clone()),
        _ => None,
    })
    .await;
    let [fast, quality] = [&status.backends[0], &status.backends[1]];
    assert_eq!(fast.state, ServerState::Up);
    assert!(fast
        .models
        .iter()
        .any(|m| m.name == "qwen-coder-7b" && m.loaded));
    assert_eq!((fast.in_flight, fast.max_concurrent), (0, 2));
    assert_eq!(quality.state, ServerState::Down);
    assert!(quality
        .error
        .as_deref()
        .unwrap_or("")
        .contains("ollama serve"));
    assert!(status.machine.host.memory_total_bytes > 0);

    let session = store.create_session("reformat this", None).unwrap();
    let submit = Submit::new(1, "reformat this JSON: {\"a\":1}").in_session(session);
    let _ = engine.commands.send(Command::Submit(submit));
    wait_for(&mut engine, Duration::from_secs(10), |ev| {
        matches!(ev.kind, EventKind::Done { .. }).then_some(())
    })
    .await;
    // Within a couple of seconds the figures follow, unasked.
    let (stored, load) = wait_for(&mut engine, Duration::from_secs(5), |ev| match &ev.kind {
        EventKind::Metrics { stored, load, .. } if ev.id == 0 => {
            Some((stored.clone(), load.clone()))
        }
        _ => None,
    })
    .await;
    let stored = stored.expect("figures from the store");
    assert_eq!(stored.routing.requests, 1);
    assert_eq!(stored.backends[0].backend, "lmstudio");
    assert_eq!(load[0].backend, BackendId::Lmstudio);
    assert_eq!(load[0].in_flight, 0);
    // And on request, whenever asked.
    let _ = engine.commands.send(Command::Metrics(9));
    wait_for(&mut engine, Duration::from_secs(5), |ev| {
        (ev.id == 9 && matches!(ev.kind, EventKind::Metrics { .. })).then_some(())
    })
    .await;
}

#[tokio::test]
async fn a_client_with_a_store_saves_sessions_and_carries_them_on() {
    let lm = fake_lmstudio("m", &["use a BTreeMap"]);
    let store = Arc::new(Store::in_memory().unwrap());
    let client = HybridClient::with_store(config(&lm.url(), &refused_url()), Arc::clone(&store));
    let first = client
        .ask(Request::new("which map keeps keys sorted?").backend(BackendId::Lmstudio))
        .await
        .expect("an answer");
    let session = first.session.expect("saved in a session");
    let (summary, messages) = store.session(session).unwrap().unwrap();
    assert_eq!(summary.title, "which map keeps keys sorted?");
    assert_eq!(messages.len(), 2);
    assert_eq!(messages[1].content, "use a BTreeMap");
    let follow = client
        .ask(
            Request::new("and for a set?")
                .backend(BackendId::Lmstudio)
                .in_session(session),
        )
        .await
        .unwrap();
    assert_eq!(follow.session, Some(session));
    let sent = lm.requests_to("/v1/chat/completions")[1].json();
    let roles: Vec<&str> = sent["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["role"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(roles, ["system", "user", "assistant", "user"]);
    assert_eq!(sent["messages"][2]["content"], "use a BTreeMap");
    assert_eq!(store.session(session).unwrap().unwrap().1.len(), 4);
    // The same conversation again is a cache hit, marked as such.
    let again = client
        .ask(Request::new("which map keeps keys sorted?").backend(BackendId::Lmstudio))
        .await
        .unwrap();
    assert!(again.cached);
    assert_eq!(lm.requests_to("/v1/chat/completions").len(), 2);
    let fresh = client
        .ask(
            Request::new("which map keeps keys sorted?")
                .backend(BackendId::Lmstudio)
                .no_cache(),
        )
        .await
        .unwrap();
    assert!(!fresh.cached);
    assert_eq!(lm.requests_to("/v1/chat/completions").len(), 3);
}
