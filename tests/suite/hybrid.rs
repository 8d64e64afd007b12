//! Hybrid escalation and failing gracefully, through `HybridClient` with fake servers.

use crate::support;

use std::time::Duration;

use codecrucible::backend::BackendId;
use codecrucible::config::Config;
use codecrucible::{EventKind, HybridClient, Request};
use support::protocol::*;
use support::Reply;

fn config(lm: &str, ol: &str) -> Config {
    let mut c = Config::default();
    c.hybrid.lm_studio.endpoint = lm.into();
    c.hybrid.ollama.endpoint = ol.into();
    for b in [&mut c.hybrid.lm_studio, &mut c.hybrid.ollama] {
        b.first_token_timeout_secs = 5;
        b.idle_timeout_secs = 5;
    }
    c
}

/// A fast server whose answer was cut off at the token limit: a weak draft.
fn truncating_lmstudio() -> support::FakeServer {
    let s = fake_lmstudio("qwen-coder-1.5b", &[]);
    let parts = lmstudio_stream(
        "qwen-coder-1.5b",
        &["fn parse(s: &str) -> Vec<", "Token> {\n    let mut"],
        "length",
    );
    s.on(
        "POST",
        "/v1/chat/completions",
        Reply::sse(parts.iter().map(|p| p.as_slice()).collect()),
    );
    s
}

const GENERATION: &str = "implement a tokenizer for arithmetic expressions in Rust";

/// A request's events after the first, which names its session.
async fn events(client: &HybridClient, req: Request) -> Vec<EventKind> {
    let (_, mut rx) = client.stream(req);
    let mut out = Vec::new();
    let mut first = true;
    while let Some(ev) = tokio::time::timeout(Duration::from_secs(30), rx.recv())
        .await
        .expect("in time")
    {
        if std::mem::take(&mut first) {
            assert!(matches!(ev.kind, EventKind::Session { .. }), "{ev:?}");
            continue;
        }
        let last = matches!(
            ev.kind,
            EventKind::Done { .. } | EventKind::Error { .. } | EventKind::Cancelled { .. }
        );
        out.push(ev.kind);
        if last {
            break;
        }
    }
    out
}

#[tokio::test]
async fn a_weak_draft_escalates_and_is_kept_as_the_draft() {
    let lm = truncating_lmstudio();
    let ol = fake_ollama(
        &["qwen2.5-coder:32b"],
        &["fn parse(s: &str) -> Vec<Token> { todo }"],
    );
    let client = HybridClient::new(config(&lm.url(), &ol.url()));
    let answer = client
        .ask(Request::new(GENERATION))
        .await
        .expect("an answer");
    assert!(answer.escalated);
    assert_eq!(answer.backend, Some(BackendId::Ollama));
    assert_eq!(answer.text, "fn parse(s: &str) -> Vec<Token> { todo }");
    assert!(
        answer
            .draft
            .as_deref()
            .unwrap_or("")
            .starts_with("fn parse"),
        "the draft is kept"
    );
    assert!(answer.confidence.unwrap() < 0.7);
    let asked = ol.requests_to("/api/chat")[0].json();
    let user = asked["messages"].as_array().unwrap().last().unwrap()["content"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        user.starts_with(GENERATION) && user.contains("<draft>") && user.contains("cut off"),
        "{user}"
    );
}

#[tokio::test]
async fn the_escalation_events_carry_score_threshold_and_signals() {
    let lm = truncating_lmstudio();
    let ol = fake_ollama(&["q"], &["better"]);
    let client = HybridClient::new(config(&lm.url(), &ol.url()));
    let ev = events(&client, Request::new(GENERATION)).await;
    let drafts = ev
        .iter()
        .filter(|e| matches!(e, EventKind::Delta { draft: true, .. }))
        .count();
    let finals = ev
        .iter()
        .filter(|e| matches!(e, EventKind::Delta { draft: false, .. }))
        .count();
    assert_eq!((drafts, finals), (2, 1));
    let conf = ev
        .iter()
        .position(|e| matches!(e, EventKind::Confidence { .. }))
        .expect("confidence event");
    let esc = ev
        .iter()
        .position(|e| matches!(e, EventKind::Escalate { .. }))
        .expect("escalate event");
    assert!(conf < esc);
    match &ev[esc] {
        EventKind::Escalate {
            from,
            to,
            confidence,
            threshold,
            signals,
            early: None,
        } => {
            assert_eq!((*from, *to), (BackendId::Lmstudio, BackendId::Ollama));
            assert!(f64::from(*confidence) < *threshold);
            assert!(signals.contains_key("truncation"));
        }
        _ => unreachable!(),
    }
}

#[tokio::test]
async fn a_good_draft_is_the_answer_and_ollama_is_not_asked() {
    let lm = fake_lmstudio(
        "m",
        &["fn add(a: i32, b: i32) -> i32 {\n", "    a + b\n}\n"],
    );
    let ol = fake_ollama(&["q"], &["unused"]);
    let client = HybridClient::new(config(&lm.url(), &ol.url()));
    let answer = client
        .ask(Request::new(GENERATION))
        .await
        .expect("an answer");
    assert!(!answer.escalated);
    assert_eq!(answer.backend, Some(BackendId::Lmstudio));
    assert!(answer.text.contains("a + b"));
    assert!(ol.requests_to("/api/chat").is_empty());
}

#[tokio::test]
async fn threshold_zero_never_escalates_and_one_always_does() {
    let lm = truncating_lmstudio();
    let ol = fake_ollama(&["q"], &["quality"]);
    let mut c = config(&lm.url(), &ol.url());
    c.hybrid.routing.escalation_threshold = 0.0;
    let answer = HybridClient::new(c)
        .ask(Request::new(GENERATION))
        .await
        .unwrap();
    assert!(
        !answer.escalated,
        "0 never escalates, even a truncated draft"
    );

    let good = fake_lmstudio("m", &["fn add(a: i32, b: i32) -> i32 { a + b }"]);
    let mut c = config(&good.url(), &ol.url());
    c.hybrid.routing.escalation_threshold = 1.0;
    let answer = HybridClient::new(c)
        .ask(Request::new(GENERATION))
        .await
        .unwrap();
    assert!(answer.escalated, "1 always escalates, even a good draft");
    assert_eq!(answer.text, "quality");
}

#[tokio::test]
async fn a_forced_hybrid_path_applies_to_any_task() {
    let lm = truncating_lmstudio();
    let ol = fake_ollama(&["q"], &["fixed"]);
    let client = HybridClient::new(config(&lm.url(), &ol.url()));
    let mut req = Request::new("reformat this json: {\"a\":1}");
    req.route = codecrucible::RouteMode::Hybrid;
    let ev = events(&client, req).await;
    assert!(
        matches!(&ev[0], EventKind::Route { decision, .. } if decision.selected == codecrucible::router::Route::Hybrid)
    );
    assert!(ev.iter().any(|e| matches!(e, EventKind::Escalate { .. })));
}

#[tokio::test]
async fn a_backend_that_is_down_falls_back_visibly() {
    let ol = fake_ollama(&["q"], &["from ollama"]);
    let client = HybridClient::new(config(&refused_url(), &ol.url()));
    let ev = events(&client, Request::new("reformat this file with rustfmt")).await;
    assert!(ev.iter().any(|e| matches!(
        e,
        EventKind::Fallback {
            from: BackendId::Lmstudio,
            to: BackendId::Ollama,
            ..
        }
    )));
    assert!(matches!(
        ev.last(),
        Some(EventKind::Done {
            backend: BackendId::Ollama,
            ..
        })
    ));
}

#[tokio::test]
async fn repeated_failures_cool_a_backend_down_and_it_recovers() {
    let lm = fake_lmstudio("m", &["fast again"]);
    let broken = Reply::json(
        500,
        r#"{"error":{"code":500,"message":"boom","type":"server_error"}}"#,
    );
    let parts = lmstudio_stream("m", &["fast again"], "stop");
    let ok = Reply::sse(parts.iter().map(|p| p.as_slice()).collect());
    lm.on_seq(
        "POST",
        "/v1/chat/completions",
        vec![broken.clone(), broken, ok],
    );
    let ol = fake_ollama(&["q"], &["from ollama"]);
    let mut c = config(&lm.url(), &ol.url());
    c.hybrid.circuit_breaker.failures = 2;
    c.hybrid.circuit_breaker.cooldown_secs = 1;
    let client = HybridClient::new(c);
    let fast_task = || Request::new("reformat this file with rustfmt");
    for _ in 0..2 {
        let a = client.ask(fast_task()).await.unwrap();
        assert!(a.fell_back && a.backend == Some(BackendId::Ollama));
    }
    // Cooling: the router does not even try LM Studio, and says why.
    let ev = events(&client, fast_task()).await;
    let EventKind::Route {
        decision, backend, ..
    } = &ev[0]
    else {
        panic!("{ev:?}")
    };
    assert_eq!(*backend, BackendId::Ollama);
    assert!(
        decision.reasoning.contains("cooling down"),
        "{}",
        decision.reasoning
    );
    assert!(
        ev.iter().any(|e| matches!(e, EventKind::Fallback { from: BackendId::Lmstudio, to: BackendId::Ollama, error } if error.contains("cooling"))),
        "the move is a visible fallback"
    );
    assert_eq!(lm.requests_to("/v1/chat/completions").len(), 2);
    // After the cool-down one request probes it; it works, so the breaker closes.
    tokio::time::sleep(Duration::from_millis(1200)).await;
    let a = client.ask(fast_task()).await.unwrap();
    assert_eq!(a.backend, Some(BackendId::Lmstudio));
    assert_eq!(a.text, "fast again");
    let health = client.health().await;
    assert_eq!(
        health[0].breaker,
        codecrucible::engine::breaker::BreakerState::Closed
    );
}

#[tokio::test]
async fn ollama_503_is_back_pressure_retried_with_backoff() {
    let ol = fake_ollama(&["q"], &[]);
    let busy = Reply::json(
        503,
        r#"{"error":"server busy, please try again.  maximum pending requests exceeded"}"#,
    );
    let parts = ollama_chat("q", &["after the queue drained"], "stop");
    let ok = Reply::ndjson(parts.iter().map(|p| p.as_slice()).collect());
    ol.on_seq("POST", "/api/chat", vec![busy, ok]);
    let client = HybridClient::new(config(&refused_url(), &ol.url()));
    let ev = events(&client, Request::new("hi").backend(BackendId::Ollama)).await;
    assert!(ev.iter().any(|e| matches!(e, EventKind::Status { message, .. } if message.contains("busy") && message.contains("retrying"))), "{ev:?}");
    assert!(matches!(
        ev.last(),
        Some(EventKind::Done {
            backend: BackendId::Ollama,
            ..
        })
    ));
    assert_eq!(ol.requests_to("/api/chat").len(), 2);
}

fn long_prompt(tokens: usize) -> String {
    "word ".repeat(tokens * 7 / 10)
}

#[tokio::test]
async fn a_prompt_too_long_for_the_loaded_window_goes_where_it_fits() {
    // LM Studio's model is loaded with 8192 tokens; Ollama's with 4096 by /api/ps, so
    // make Ollama's bigger for this case.
    let lm = fake_lmstudio("m", &["unused"]);
    let ol = fake_ollama(&["big"], &["read it all"]);
    ol.on(
        "GET",
        "/api/ps",
        Reply::json(
            200,
            &ollama_ps(&["big"]).replace("\"context_length\":4096", "\"context_length\":131072"),
        ),
    );
    let client = HybridClient::new(config(&lm.url(), &ol.url()));
    let prompt = format!("reformat this: {}", long_prompt(20_000));
    let ev = events(&client, Request::new(prompt)).await;
    let fb = ev.iter().find_map(|e| match e {
        EventKind::Fallback { error, .. } => Some(error.clone()),
        _ => None,
    });
    assert!(fb.unwrap_or_default().contains("window of 8192"), "{ev:?}");
    assert!(matches!(
        ev.last(),
        Some(EventKind::Done {
            backend: BackendId::Ollama,
            ..
        })
    ));
    assert!(
        lm.requests_to("/v1/chat/completions").is_empty(),
        "the server never saw a prompt it would truncate"
    );
    let body = ol.requests_to("/api/chat")[0].json();
    assert_eq!(
        body["truncate"], false,
        "Ollama is told not to truncate silently"
    );
}

#[tokio::test]
async fn old_turns_are_trimmed_with_an_event_or_the_request_is_refused() {
    let ol = fake_ollama(&["q"], &["short answer"]);
    let mut c = config(&refused_url(), &ol.url());
    c.hybrid.lm_studio.enabled = false;
    // A session whose one earlier turn is long.
    let store = std::sync::Arc::new(codecrucible::store::Store::in_memory().unwrap());
    let session = store.create_session("q", None).unwrap();
    for (role, text) in [
        ("user", long_prompt(2000)),
        ("assistant", long_prompt(2000)),
    ] {
        let done = codecrucible::store::Status::Complete;
        store
            .add_message(session, role, &text, done, None, None)
            .unwrap();
    }
    let client = HybridClient::with_store(c, store);
    let req = Request::new("and now?")
        .backend(BackendId::Ollama)
        .in_session(session);
    let ev = events(&client, req).await;
    assert!(
        ev.iter().any(|e| matches!(
            e,
            EventKind::Trimmed {
                dropped: 2,
                window: 4096,
                ..
            }
        )),
        "{ev:?}"
    );
    let sent = ol.requests_to("/api/chat")[0].json();
    assert_eq!(
        sent["messages"].as_array().unwrap().len(),
        2,
        "system + the newest message"
    );

    let ev = events(
        &client,
        Request::new(long_prompt(6000)).backend(BackendId::Ollama),
    )
    .await;
    match ev.last() {
        Some(EventKind::Error { code, message, .. }) => {
            assert_eq!(*code, "context_too_long");
            assert!(message.contains("window of 4096"), "{message}");
        }
        other => panic!("{other:?}"),
    }
}
