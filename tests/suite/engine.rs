//! The engine actor against fake servers: fallback, forced backends, queueing,
//! cancellation and several requests at once.

use crate::support;

use std::time::Duration;

use codecrucible::backend::BackendId;
use codecrucible::config::Config;
use codecrucible::engine::{self, Command, EngineHandle, Event, EventKind, RouteMode, Submit};
use support::protocol::*;
use support::{End, Reply};

fn config(lm: &str, ol: &str) -> Config {
    let mut c = Config::default();
    c.hybrid.lm_studio.endpoint = lm.into();
    c.hybrid.ollama.endpoint = ol.into();
    for b in [&mut c.hybrid.lm_studio, &mut c.hybrid.ollama] {
        b.first_token_timeout_secs = 1;
        b.idle_timeout_secs = 2;
    }
    c
}

fn submit(id: u64, route: RouteMode) -> Command {
    Command::Submit(Submit {
        route,
        ..Submit::new(id, "hello")
    })
}

/// Collects events for request `id` until it ends.
/// A request's events to its end, less the `session` event that opens every request.
async fn run_to_end(engine: &mut EngineHandle, id: u64) -> Vec<EventKind> {
    let mut out = Vec::new();
    loop {
        let ev = tokio::time::timeout(Duration::from_secs(20), engine.events.recv())
            .await
            .expect("engine answered in time")
            .expect("engine alive");
        if ev.id != id {
            continue;
        }
        if matches!(ev.kind, EventKind::Session { .. }) {
            continue;
        }
        let last = is_last(&ev);
        out.push(ev.kind);
        if last {
            return out;
        }
    }
}

fn is_last(ev: &Event) -> bool {
    matches!(
        ev.kind,
        EventKind::Done { .. } | EventKind::Error { .. } | EventKind::Cancelled { .. }
    )
}

fn text(events: &[EventKind]) -> String {
    events
        .iter()
        .filter_map(|e| match e {
            EventKind::Delta { text, .. } => Some(text.as_str()),
            _ => None,
        })
        .collect()
}

#[tokio::test]
async fn auto_mode_falls_back_to_ollama_when_lmstudio_is_down() {
    let ol = fake_ollama(&["llama3.2:latest"], &["from ", "ollama"]);
    let mut e = engine::spawn(config(&refused_url(), &ol.url()));
    e.commands.send(submit(1, RouteMode::Auto)).unwrap();
    let ev = run_to_end(&mut e, 1).await;
    assert!(matches!(
        ev[0],
        EventKind::Route {
            backend: BackendId::Lmstudio,
            fallback: Some(BackendId::Ollama),
            ..
        }
    ));
    assert!(
        matches!(&ev[1], EventKind::Fallback { from: BackendId::Lmstudio, to: BackendId::Ollama, error } if error.contains("not answering"))
    );
    assert!(
        matches!(&ev[2], EventKind::Model { backend: BackendId::Ollama, model, .. } if model == "llama3.2:latest")
    );
    assert_eq!(text(&ev), "from ollama");
    assert!(matches!(
        ev.last(),
        Some(EventKind::Done {
            backend: BackendId::Ollama,
            output_tokens: Some(2),
            ..
        })
    ));
}

#[tokio::test]
async fn a_5xx_or_a_hang_before_the_first_token_also_falls_back() {
    for reply in [
        Reply::json(
            500,
            r#"{"error":{"code":500,"message":"boom","type":"server_error"}}"#,
        ),
        Reply::Hang,
    ] {
        let lm = fake_lmstudio("m", &[]);
        lm.on("POST", "/v1/chat/completions", reply);
        let ol = fake_ollama(&["q"], &["saved"]);
        let mut e = engine::spawn(config(&lm.url(), &ol.url()));
        e.commands.send(submit(1, RouteMode::Auto)).unwrap();
        let ev = run_to_end(&mut e, 1).await;
        assert!(
            ev.iter().any(|k| matches!(k, EventKind::Fallback { .. })),
            "{ev:?}"
        );
        assert_eq!(text(&ev), "saved");
    }
}

#[tokio::test]
async fn no_fallback_once_text_has_arrived() {
    let lm = fake_lmstudio("m", &[]);
    let parts = lmstudio_stream("m", &["half"], "stop");
    lm.on(
        "POST",
        "/v1/chat/completions",
        Reply::sse(vec![&parts[0], &parts[1]]).with_end(End::Cut),
    );
    let ol = fake_ollama(&["q"], &["unused"]);
    let mut e = engine::spawn(config(&lm.url(), &ol.url()));
    e.commands.send(submit(1, RouteMode::Auto)).unwrap();
    let ev = run_to_end(&mut e, 1).await;
    assert_eq!(text(&ev), "half");
    assert!(
        matches!(
            ev.last(),
            Some(EventKind::Error {
                partial: true,
                code: "truncated",
                ..
            })
        ),
        "{ev:?}"
    );
    assert!(ol.requests_to("/api/chat").is_empty());
}

#[tokio::test]
async fn a_forced_backend_never_falls_back_and_says_how_to_let_the_other_answer() {
    let ol = fake_ollama(&["q"], &["unused"]);
    let mut e = engine::spawn(config(&refused_url(), &ol.url()));
    e.commands
        .send(submit(1, RouteMode::Force(BackendId::Lmstudio)))
        .unwrap();
    let ev = run_to_end(&mut e, 1).await;
    assert!(!ev.iter().any(|k| matches!(k, EventKind::Fallback { .. })));
    match ev.last() {
        Some(EventKind::Error {
            message,
            code: "unreachable",
            ..
        }) => {
            assert!(
                message.contains("--fast") && message.contains("let Ollama answer"),
                "{message}"
            );
        }
        other => panic!("{other:?}"),
    }
    assert!(ol.requests_to("/api/chat").is_empty());
}

#[tokio::test]
async fn an_unknown_model_names_the_real_ones_and_does_not_fall_back() {
    let lm = fake_lmstudio("qwen2.5-coder-7b", &["x"]);
    let ol = fake_ollama(&["q"], &["unused"]);
    let mut e = engine::spawn(config(&lm.url(), &ol.url()));
    e.commands
        .send(Command::Submit(Submit {
            model: Some("gpt-5".into()),
            ..Submit::new(1, "hi")
        }))
        .unwrap();
    let ev = run_to_end(&mut e, 1).await;
    match ev.last() {
        Some(EventKind::Error {
            message,
            code: "model_not_found",
            ..
        }) => {
            assert!(
                message.contains("gpt-5") && message.contains("qwen2.5-coder-7b"),
                "{message}"
            )
        }
        other => panic!("{other:?}"),
    }
    assert!(ol.requests_to("/api/chat").is_empty());
}

#[tokio::test]
async fn the_preferred_model_list_is_honoured_and_explained() {
    let lm = fake_lmstudio("qwen2.5-coder-7b", &["x"]);
    let mut c = config(&lm.url(), &refused_url());
    c.hybrid.lm_studio.models = vec!["not-here".into(), "QWEN2.5-coder-7b".into()];
    let mut e = engine::spawn(c);
    e.commands.send(submit(1, RouteMode::Auto)).unwrap();
    let ev = run_to_end(&mut e, 1).await;
    let model = ev.iter().find_map(|k| match k {
        EventKind::Model { model, reason, .. } => Some((model.clone(), reason.clone())),
        _ => None,
    });
    let (model, reason) = model.expect("a model event");
    assert_eq!(model, "qwen2.5-coder-7b");
    assert!(reason.contains("preferred"), "{reason}");
    assert_eq!(
        lm.requests_to("/v1/chat/completions")[0].json()["model"],
        "qwen2.5-coder-7b"
    );
}

#[tokio::test]
async fn max_concurrent_queues_requests_and_shows_the_depth() {
    let lm = fake_lmstudio("m", &[]);
    let parts = lmstudio_stream("m", &["ok"], "stop");
    lm.on(
        "POST",
        "/v1/chat/completions",
        Reply::sse(parts.iter().map(|p| p.as_slice()).collect())
            .delayed(Duration::from_millis(300)),
    );
    let mut c = config(&lm.url(), &refused_url());
    c.hybrid.lm_studio.max_concurrent = 1;
    let mut e = engine::spawn(c);
    for id in 1..=3 {
        e.commands
            .send(submit(id, RouteMode::Force(BackendId::Lmstudio)))
            .unwrap();
    }
    let mut depths = Vec::new();
    let mut done = 0;
    while done < 3 {
        let ev = tokio::time::timeout(Duration::from_secs(20), e.events.recv())
            .await
            .unwrap()
            .unwrap();
        match ev.kind {
            EventKind::Queued { depth, .. } => depths.push(depth),
            EventKind::Done { .. } => done += 1,
            EventKind::Error { message, .. } => panic!("{message}"),
            _ => {}
        }
    }
    depths.sort();
    assert_eq!(depths, vec![1, 2], "two requests waited, at depths 1 and 2");
}

#[tokio::test]
async fn cancelling_closes_the_connection_and_keeps_the_partial_flag() {
    let lm = fake_lmstudio("m", &[]);
    let parts = lmstudio_stream("m", &["streaming..."], "stop");
    lm.on(
        "POST",
        "/v1/chat/completions",
        Reply::sse(vec![&parts[0], &parts[1]]).with_end(End::Hold),
    );
    let mut c = config(&lm.url(), &refused_url());
    c.hybrid.lm_studio.idle_timeout_secs = 60;
    let mut e = engine::spawn(c);
    e.commands.send(submit(7, RouteMode::Auto)).unwrap();
    loop {
        let ev = e.events.recv().await.unwrap();
        if matches!(ev.kind, EventKind::Delta { .. }) {
            break;
        }
    }
    e.commands.send(Command::Cancel(7)).unwrap();
    let ev = run_to_end(&mut e, 7).await;
    assert!(
        matches!(ev.last(), Some(EventKind::Cancelled { partial: true })),
        "{ev:?}"
    );
    let closed = lm.wait_until(Duration::from_secs(5), |s| s.client_hangups() >= 1);
    assert!(closed, "the server saw the HTTP connection closed");
}

#[tokio::test]
async fn several_requests_run_at_once_on_both_backends() {
    let lm = fake_lmstudio("m", &["fast"]);
    let ol = fake_ollama(&["q"], &["deep"]);
    let mut e = engine::spawn(config(&lm.url(), &ol.url()));
    e.commands
        .send(submit(1, RouteMode::Force(BackendId::Ollama)))
        .unwrap();
    e.commands
        .send(submit(2, RouteMode::Force(BackendId::Lmstudio)))
        .unwrap();
    let mut texts = std::collections::HashMap::<u64, String>::new();
    let mut done = 0;
    while done < 2 {
        let ev = tokio::time::timeout(Duration::from_secs(20), e.events.recv())
            .await
            .unwrap()
            .unwrap();
        match ev.kind {
            EventKind::Delta { text, .. } => texts.entry(ev.id).or_default().push_str(&text),
            EventKind::Done { .. } => done += 1,
            EventKind::Error { message, .. } => panic!("{message}"),
            _ => {}
        }
    }
    assert_eq!(texts[&1], "deep");
    assert_eq!(texts[&2], "fast");
}

#[tokio::test]
async fn a_slow_first_token_is_announced_as_loading() {
    let ol = fake_ollama(&["big:70b"], &[]);
    ol.on("GET", "/api/ps", Reply::json(200, r#"{"models":[]}"#));
    let parts = ollama_chat("big:70b", &["finally"], "stop");
    ol.on(
        "POST",
        "/api/chat",
        Reply::ndjson(parts.iter().map(|p| p.as_slice()).collect())
            .delayed(Duration::from_millis(3500)),
    );
    let mut c = config(&refused_url(), &ol.url());
    c.hybrid.ollama.first_token_timeout_secs = 30;
    let mut e = engine::spawn(c);
    e.commands
        .send(submit(1, RouteMode::Force(BackendId::Ollama)))
        .unwrap();
    let ev = run_to_end(&mut e, 1).await;
    assert!(ev.iter().any(|k| matches!(k, EventKind::Loading { model, loaded: false, message, .. } if model == "big:70b" && message.contains("loading model big:70b"))), "{ev:?}");
    assert_eq!(text(&ev), "finally");
}

#[tokio::test]
async fn health_reports_both_backends() {
    let lm = fake_llama_server(&[]);
    let mut e = engine::spawn(config(&lm.url(), &refused_url()));
    e.commands.send(Command::HealthCheck(9)).unwrap();
    let ev = e.events.recv().await.unwrap();
    let EventKind::Health { backends } = ev.kind else {
        panic!("{ev:?}")
    };
    assert!(backends[0].up && !backends[1].up);
    assert_eq!(backends[0].max_concurrent, 2);
    assert!(backends[1]
        .error
        .as_deref()
        .unwrap_or("")
        .contains("ollama serve"));
}

#[tokio::test]
async fn default_provider_forces_a_backend_and_the_error_says_how_to_undo_it() {
    let lm = fake_lmstudio("m", &["unused"]);
    let mut c = config(&lm.url(), &refused_url());
    c.hybrid.routing.default_provider = codecrucible::config::Provider::Ollama;
    let mut e = engine::spawn(c);
    e.commands.send(submit(1, RouteMode::Auto)).unwrap();
    let ev = run_to_end(&mut e, 1).await;
    assert!(matches!(
        &ev[0],
        EventKind::Route {
            backend: BackendId::Ollama,
            fallback: None,
            ..
        }
    ));
    match ev.last() {
        Some(EventKind::Error { message, .. }) => {
            assert!(
                message.contains("config set hybrid.routing.defaultProvider auto"),
                "{message}"
            )
        }
        other => panic!("{other:?}"),
    }
    assert!(lm.requests_to("/v1/chat/completions").is_empty());
}
