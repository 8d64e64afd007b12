//! The Ollama client against a fake that behaves as real Ollama does where its docs are
//! silent (PROTOCOLS.md §1.7): the window before loading, the overflow 400 in both forms,
//! thinking, embedding and cloud models without capabilities, the stream that ends without
//! a done line, the silent queue, gin's text 404, and loading and unloading.

use crate::support;

use std::time::Duration;

use codecrucible::backend::{
    self, Backend, BackendId, ChatMessage, ChatRequest, ErrorKind, ModelKind, Role, StreamEvent,
};
use codecrucible::config::{BackendConfig, Config, KeepAlive, Think};
use codecrucible::resources::LoadedModel;
use codecrucible::{EventKind, HybridClient, Request};
use futures_util::StreamExt;
use support::protocol::*;
use support::{End, FakeServer, Reply};

fn cfg(url: &str) -> BackendConfig {
    let mut c = Config::default().hybrid.ollama;
    c.endpoint = url.to_owned();
    c.first_token_timeout_secs = 5;
    c.idle_timeout_secs = 5;
    c
}

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

fn request(model: &str, text: &str) -> ChatRequest {
    ChatRequest {
        model: model.into(),
        messages: vec![ChatMessage::new(Role::User, text)],
        logprobs: true,
        ..Default::default()
    }
}

/// Runs a chat to the end: the text, the other events, and the error if any.
async fn collect(
    b: &dyn Backend,
    req: ChatRequest,
) -> (String, Vec<StreamEvent>, Option<backend::BackendError>) {
    let mut s = b.chat(req);
    let (mut text, mut events) = (String::new(), Vec::new());
    while let Some(item) = s.next().await {
        match item {
            Ok(StreamEvent::Text(t)) => text.push_str(&t),
            Ok(ev) => events.push(ev),
            Err(e) => return (text, events, Some(e)),
        }
    }
    (text, events, None)
}

/// A request's events after the first, which names its session.
async fn events(client: &HybridClient, req: Request) -> Vec<EventKind> {
    let (_, mut rx) = client.stream(req);
    let mut out = Vec::new();
    while let Some(ev) = tokio::time::timeout(Duration::from_secs(30), rx.recv())
        .await
        .expect("in time")
    {
        if matches!(ev.kind, EventKind::Session { .. }) {
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

fn long_prompt(tokens: usize) -> String {
    "word ".repeat(tokens * 7 / 10)
}

const SHOW_PLAIN: fn() -> String = || ollama_show(131_072, None, None);

#[tokio::test]
async fn the_window_is_known_before_the_model_is_loaded() {
    let models = [
        OllamaModel::chat("cold:8b"),
        OllamaModel::chat("warm:8b"),
        OllamaModel::cloud("gpt-oss:120b-cloud"),
    ];
    let loaded = [("warm:8b", 32_768, 9_000_000_000, 9_000_000_000)];
    // The model's own num_ctx parameter, before anything is loaded.
    let s = fake_ollama_with(
        "0.12.11",
        &models,
        &loaded,
        &ollama_show(131_072, Some(8192), None),
        &[],
    );
    let b = backend::build(BackendId::Ollama, &cfg(&s.url()));
    let info = b.probe().await.unwrap();
    let window = |name: &str| {
        info.models
            .iter()
            .find(|m| m.name == name)
            .unwrap()
            .context_length
    };
    assert_eq!(window("cold:8b"), Some(8192));
    assert_eq!(window("warm:8b"), Some(32_768), "the loaded window wins");
    assert_eq!(
        window("gpt-oss:120b-cloud"),
        None,
        "a cloud model's is unknown"
    );
    let shown: Vec<String> = s
        .requests_to("/api/show")
        .iter()
        .map(|r| r.json()["model"].as_str().unwrap_or_default().to_owned())
        .collect();
    assert!(
        !shown.contains(&"gpt-oss:120b-cloud".to_owned()),
        "{shown:?}"
    );
    b.probe().await.unwrap();
    assert_eq!(
        s.requests_to("/api/show").len(),
        shown.len(),
        "asked once per model version"
    );

    // No parameter: Ollama's default window.
    let s = fake_ollama_with("0.12.11", &models, &[], &SHOW_PLAIN(), &[]);
    let info = backend::build(BackendId::Ollama, &cfg(&s.url()))
        .probe()
        .await
        .unwrap();
    assert_eq!(info.models[0].context_length, Some(4096));

    // The configured num_ctx, capped where Ollama caps it: at the trained maximum.
    for (asked, got) in [(16_384, 16_384), (200_000, 131_072)] {
        let mut c = cfg(&s.url());
        c.num_ctx = Some(asked);
        let info = backend::build(BackendId::Ollama, &c).probe().await.unwrap();
        assert_eq!(info.models[0].context_length, Some(got), "{asked}");
    }

    // An Ollama without /api/show (gin's text 404) still gets the default.
    let s = fake_ollama(&["llama3.2"], &[]);
    s.on("GET", "/api/ps", Reply::json(200, r#"{"models":[]}"#));
    let info = backend::build(BackendId::Ollama, &cfg(&s.url()))
        .probe()
        .await
        .unwrap();
    assert_eq!(info.models[0].context_length, Some(4096));
}

#[tokio::test]
async fn num_ctx_is_the_same_on_every_turn_and_keep_alive_is_sent() {
    let models = [OllamaModel::chat("qwen2.5-coder:14b")];
    let loaded = [("qwen2.5-coder:14b", 8192, 11_000_000_000, 11_000_000_000)];
    let ol = fake_ollama_with("0.12.11", &models, &loaded, &SHOW_PLAIN(), &["ok"]);
    let mut c = config(&refused_url(), &ol.url());
    c.hybrid.lm_studio.enabled = false;
    let client = HybridClient::new(c.clone());
    for prompt in [
        "short",
        &long_prompt(500),
        "another turn, of another length",
    ] {
        let ev = events(&client, Request::new(prompt).backend(BackendId::Ollama)).await;
        assert!(matches!(ev.last(), Some(EventKind::Done { .. })), "{ev:?}");
    }
    let bodies: Vec<serde_json::Value> = ol
        .requests_to("/api/chat")
        .iter()
        .map(|r| r.json())
        .collect();
    assert_eq!(bodies.len(), 3);
    for b in &bodies {
        assert_eq!(b["options"]["num_ctx"], 8192, "{b}");
        assert_eq!(b["keep_alive"], "30m");
        assert_eq!(b["truncate"], false);
        assert_eq!(b["shift"], false, "no silent context shift");
        assert!(
            b.get("think").is_none(),
            "the quality role leaves thinking to the model"
        );
    }

    // Configured: that window on every request, whatever is loaded; keep_alive in the
    // form Ollama reads (a bare number of seconds is a JSON number).
    let ol = fake_ollama_with("0.12.11", &models, &loaded, &SHOW_PLAIN(), &["ok"]);
    c.hybrid.ollama.endpoint = ol.url();
    c.hybrid.ollama.num_ctx = Some(16_384);
    c.hybrid.ollama.keep_alive = Some("-1".into());
    let client = HybridClient::new(c);
    for prompt in ["one", "two"] {
        events(&client, Request::new(prompt).backend(BackendId::Ollama)).await;
    }
    for r in ol.requests_to("/api/chat") {
        let b = r.json();
        assert_eq!(b["options"]["num_ctx"], 16_384, "{b}");
        assert_eq!(b["keep_alive"], -1);
    }
}

#[tokio::test]
async fn a_cold_start_overflow_is_trimmed_instead_of_failing_raw() {
    // Nothing loaded: the window must come from /api/show and Ollama's default (4096).
    let models = [OllamaModel::chat("llama3.1:8b")];
    let ol = fake_ollama_with("0.31.0", &models, &[], &SHOW_PLAIN(), &["short answer"]);
    // As real Ollama: the old turns would not fit, and it says so with its 400.
    ol.on_body(
        "POST",
        "/api/chat",
        "OLDTURN",
        Reply::json(400, OLLAMA_OVERFLOW_NEW),
    );
    let mut c = config(&refused_url(), &ol.url());
    c.hybrid.lm_studio.enabled = false;
    let store = std::sync::Arc::new(codecrucible::store::Store::in_memory().unwrap());
    let session = store.create_session("q", None).unwrap();
    for role in ["user", "assistant"] {
        let text = format!("OLDTURN {}", long_prompt(2500));
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
    assert!(matches!(ev.last(), Some(EventKind::Done { .. })), "{ev:?}");
    let sent = ol.requests_to("/api/chat")[0].json();
    assert!(!sent.to_string().contains("OLDTURN"));
}

#[tokio::test]
async fn the_overflow_400_in_both_forms_is_a_context_error_that_falls_back() {
    for (version, body) in [
        ("0.12.11", OLLAMA_OVERFLOW_OLD),
        ("0.31.0", OLLAMA_OVERFLOW_NEW),
    ] {
        let models = [OllamaModel::chat("llama3.1:8b")];
        let loaded = [("llama3.1:8b", 131_072, 9_000_000_000, 9_000_000_000)];
        let ol = fake_ollama_with(version, &models, &loaded, &SHOW_PLAIN(), &[]);
        ol.on("POST", "/api/chat", Reply::json(400, body));
        let b = backend::build(BackendId::Ollama, &cfg(&ol.url()));
        let (_, _, err) = collect(b.as_ref(), request("llama3.1:8b", "hi")).await;
        let err = err.expect("an error");
        assert_eq!(err.kind, ErrorKind::ContextTooLong, "{version}: {err}");
        assert!(err.message.contains("context window"), "{err}");

        // Through the engine, the other server answers instead of a raw 400.
        let lm = fake_lmstudio("m", &["from lm studio"]);
        let client = HybridClient::new(config(&lm.url(), &ol.url()));
        let prompt = "Find the security vulnerabilities in this login handler and explain how an attacker would exploit the session fixation";
        let ev = events(&client, Request::new(prompt)).await;
        let route_first = ev.iter().find_map(|e| match e {
            EventKind::Route { backend, .. } => Some(*backend),
            _ => None,
        });
        assert_eq!(route_first, Some(BackendId::Ollama), "{ev:?}");
        let fb = ev.iter().find_map(|e| match e {
            EventKind::Fallback { error, .. } => Some(error.clone()),
            _ => None,
        });
        assert!(fb.unwrap_or_default().contains("context window"), "{ev:?}");
        assert!(
            matches!(
                ev.last(),
                Some(EventKind::Done {
                    backend: BackendId::Lmstudio,
                    ..
                })
            ),
            "{ev:?}"
        );
    }
}

#[tokio::test]
async fn thinking_is_asked_for_per_role_shown_apart_and_never_scored() {
    let models = [
        OllamaModel::chat("qwen3:8b"),
        OllamaModel::chat("llama3.2:3b"),
    ];
    let s = fake_ollama_with("0.12.11", &models, &[], &SHOW_PLAIN(), &[]);
    s.on_body(
        "POST",
        "/api/show",
        "qwen3",
        Reply::json(
            200,
            &ollama_show(40_960, None, Some(&["completion", "thinking"])),
        ),
    );
    s.on_body(
        "POST",
        "/api/show",
        "llama3.2",
        Reply::json(
            200,
            &ollama_show(131_072, None, Some(&["completion", "tools"])),
        ),
    );
    let parts = ollama_thinking_chat("qwen3:8b", &["Let", " me see."], &["4", "2"]);
    s.on(
        "POST",
        "/api/chat",
        Reply::ndjson(parts.iter().map(|p| p.as_slice()).collect()),
    );
    let think_sent = |think: Think, model: &'static str| {
        let url = s.url();
        async move {
            let mut c = cfg(&url);
            c.think = think;
            let b = backend::build(BackendId::Ollama, &c);
            b.probe().await.unwrap();
            collect(b.as_ref(), request(model, "6*7?")).await
        }
    };
    let (text, events, err) = think_sent(Think::On, "qwen3:8b").await;
    assert!(err.is_none(), "{err:?}");
    assert_eq!(text, "42");
    let reasoning: String = events
        .iter()
        .filter_map(|e| match e {
            StreamEvent::Reasoning(r) => Some(r.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(reasoning, "Let me see.");
    let scored: Vec<f64> = events
        .iter()
        .filter_map(|e| match e {
            StreamEvent::Logprobs(l) => Some(l.iter().map(|t| t.logprob)),
            _ => None,
        })
        .flatten()
        .collect();
    assert_eq!(
        scored,
        [-0.02, -0.02],
        "only the answer's two tokens are scored"
    );
    think_sent(Think::On, "llama3.2:3b").await;
    think_sent(Think::Off, "llama3.2:3b").await;
    think_sent(Think::Auto, "qwen3:8b").await;
    let sent: Vec<Option<bool>> = s
        .requests_to("/api/chat")
        .iter()
        .map(|r| r.json().get("think").and_then(|t| t.as_bool()))
        .collect();
    // On to a thinking model; not to one that cannot (Ollama would answer 400); off is
    // safe to send to any model; auto sends nothing.
    assert_eq!(sent, [Some(true), None, Some(false), None]);
    // The fast role's default is off.
    assert_eq!(Config::default().hybrid.lm_studio.think, Think::Off);
}

#[tokio::test]
async fn embedding_models_of_an_old_ollama_are_never_chosen_for_chat() {
    // Ollama < 0.30: no capabilities in /api/tags; family, name or /api/show tell.
    let models = [
        OllamaModel::embedding("all-minilm:latest", "bert"),
        OllamaModel::embedding("mxbai-embed-large:latest", "bert"),
        OllamaModel::embedding("nomic-embed-text:latest", "nomic-bert"),
        OllamaModel::chat("bge-m3:latest"),
        OllamaModel::chat("qwen2.5-coder:7b"),
        OllamaModel::cloud("gpt-oss:120b-cloud"),
    ];
    let ol = fake_ollama_with("0.12.11", &models, &[], &SHOW_PLAIN(), &["chatted"]);
    ol.on_body(
        "POST",
        "/api/show",
        "bge-m3",
        Reply::json(200, &ollama_show(8192, None, Some(&["embedding"]))),
    );
    let info = backend::build(BackendId::Ollama, &cfg(&ol.url()))
        .probe()
        .await
        .unwrap();
    let kinds: Vec<ModelKind> = info.models.iter().map(|m| m.kind).collect();
    assert_eq!(
        kinds,
        [
            ModelKind::Embedding,
            ModelKind::Embedding,
            ModelKind::Embedding,
            ModelKind::Embedding,
            ModelKind::Llm,
            ModelKind::Remote
        ]
    );
    let mut c = config(&refused_url(), &ol.url());
    c.hybrid.lm_studio.enabled = false;
    let client = HybridClient::new(c);
    let ev = events(&client, Request::new("hello").backend(BackendId::Ollama)).await;
    assert!(matches!(ev.last(), Some(EventKind::Done { .. })), "{ev:?}");
    let sent = ol.requests_to("/api/chat")[0].json();
    assert_eq!(sent["model"], "qwen2.5-coder:7b");

    // Ollama ≥ 0.30 lists capabilities; they win over the name.
    let models = [
        OllamaModel::embedding("embeddinggemma", "gemma3").with_capabilities(&["embedding"]),
        OllamaModel::chat("embedder-chat").with_capabilities(&["completion"]),
    ];
    let ol = fake_ollama_with("0.31.0", &models, &[], &SHOW_PLAIN(), &[]);
    let info = backend::build(BackendId::Ollama, &cfg(&ol.url()))
        .probe()
        .await
        .unwrap();
    let kinds: Vec<ModelKind> = info.models.iter().map(|m| m.kind).collect();
    assert_eq!(kinds, [ModelKind::Embedding, ModelKind::Llm]);
}

#[tokio::test]
async fn a_stream_that_ends_without_its_done_line_is_a_model_that_looped() {
    let s = fake_ollama(&["m"], &[]);
    let parts = ollama_chat_without_done("m", &["the same", " the same", " the same"]);
    s.on(
        "POST",
        "/api/chat",
        Reply::ndjson(parts.iter().map(|p| p.as_slice()).collect()),
    );
    let b = backend::build(BackendId::Ollama, &cfg(&s.url()));
    let (text, events, err) = collect(b.as_ref(), request("m", "hi")).await;
    assert!(
        err.is_none(),
        "a clean end is not a cut connection: {err:?}"
    );
    assert_eq!(text, "the same the same the same");
    let finish = events.iter().find_map(|e| match e {
        StreamEvent::Done { finish_reason } => finish_reason.clone(),
        _ => None,
    });
    assert_eq!(finish.as_deref(), Some("repeat"));
    let report = codecrucible::confidence::score(&codecrucible::confidence::Draft {
        prompt: "hi",
        answer: &text,
        task_type: codecrucible::router::TaskType::Generation,
        finish_reason: finish.as_deref(),
        logprobs: &[],
    });
    assert!(report.score < 0.7, "{report:?}");
    assert!(
        report
            .problems()
            .iter()
            .any(|p| p.contains("repeating itself")),
        "{report:?}"
    );

    // Cut in the middle of a line, it is still a cut.
    s.on(
        "POST",
        "/api/chat",
        Reply::ndjson(vec![&parts[0], &parts[1][..20]]).with_end(End::Cut),
    );
    let (_, _, err) = collect(b.as_ref(), request("m", "hi")).await;
    assert_eq!(err.expect("an error").kind, ErrorKind::Truncated);
}

#[tokio::test]
async fn a_busy_ollama_queues_silently_and_answers_503_only_when_its_queue_is_full() {
    let s = fake_ollama(&["m"], &[]);
    s.queue("POST", "/api/chat", 1, 1);
    let held = ollama_chat("m", &["first"], "stop");
    let normal = ollama_chat("m", &["second"], "stop");
    s.on_seq(
        "POST",
        "/api/chat",
        vec![
            Reply::ndjson(vec![&held[0]]).with_end(End::Hold),
            Reply::ndjson(normal.iter().map(|p| p.as_slice()).collect()),
        ],
    );
    let b: std::sync::Arc<dyn Backend> = backend::build(BackendId::Ollama, &cfg(&s.url()));
    // A takes the one slot and keeps it.
    let mut a = b.chat(request("m", "a"));
    assert_eq!(
        a.next().await.unwrap().unwrap(),
        StreamEvent::Text("first".into())
    );
    // B waits in the queue with nothing sent back, and that is not an error.
    let b2 = std::sync::Arc::clone(&b);
    let waiting = tokio::spawn(async move { collect(b2.as_ref(), request("m", "b")).await });
    let mut polls = 0;
    while s.queued("POST", "/api/chat") != 1 && polls < 1000 {
        tokio::time::sleep(Duration::from_millis(10)).await;
        polls += 1;
    }
    assert_eq!(s.queued("POST", "/api/chat"), 1, "B waits in the queue");
    // C finds the queue full: 503 at once, which the engine treats as back-pressure.
    let (_, _, err) = collect(b.as_ref(), request("m", "c")).await;
    let err = err.expect("503");
    assert_eq!(err.kind, ErrorKind::Status(503));
    assert!(
        err.is_unavailable() && err.message.contains("busy"),
        "{err}"
    );
    // A ends; B is answered.
    drop(a);
    let (text, _, err) = waiting.await.unwrap();
    assert!(err.is_none(), "{err:?}");
    assert_eq!(text, "second");
}

#[tokio::test]
async fn gin_404_text_is_understood() {
    let s = fake_ollama(&["m"], &[]);
    // The OpenAI client pointed at Ollama by mistake: the text 404 is "no such route".
    let mut c = cfg(&s.url());
    c.api = backend::Api::Openai;
    let err = backend::build(BackendId::Ollama, &c)
        .probe()
        .await
        .unwrap_err();
    assert!(err.message.contains("api = \"ollama\""), "{err}");
    let r = s.requests_to("/v1/models");
    assert_eq!(r.len(), 1);
    // And an Ollama without /api/ps or /api/show still probes.
    let s = FakeServer::start();
    s.gin_404s();
    s.on(
        "GET",
        "/api/version",
        Reply::json(200, r#"{"version":"0.9.0"}"#),
    );
    s.on("GET", "/api/tags", Reply::json(200, &ollama_tags(&["m"])));
    let info = backend::build(BackendId::Ollama, &cfg(&s.url()))
        .probe()
        .await
        .unwrap();
    assert_eq!(info.models[0].loaded, Some(false));
    assert_eq!(info.models[0].context_length, Some(4096));
}

#[tokio::test]
async fn load_and_unload_on_request() {
    let s = fake_ollama(&["llama3.2:latest"], &[]);
    s.on_body(
        "POST",
        "/api/generate",
        "\"keep_alive\":0",
        Reply::json(200, r#"{"model":"llama3.2","created_at":"2024-09-12T03:54:03.516566Z","response":"","done":true,"done_reason":"unload"}"#),
    );
    s.on(
        "POST",
        "/api/generate",
        Reply::json(200, r#"{"model":"llama3.2","created_at":"2024-09-12T03:54:03.516566Z","response":"","done":true,"done_reason":"load"}"#),
    );
    let mut c = cfg(&s.url());
    c.num_ctx = Some(8192);
    let b = backend::build(BackendId::Ollama, &c);
    b.load("llama3.2:latest".into(), None).await.unwrap();
    b.load("llama3.2:latest".into(), Some(KeepAlive::Seconds(-1)))
        .await
        .unwrap();
    b.unload("llama3.2:latest".into()).await.unwrap();
    let sent: Vec<serde_json::Value> = s
        .requests_to("/api/generate")
        .iter()
        .map(|r| r.json())
        .collect();
    assert_eq!(sent[0]["keep_alive"], "30m", "the configured keep_alive");
    assert_eq!(
        sent[0]["options"]["num_ctx"], 8192,
        "the window chats use: no reload"
    );
    assert!(sent[0].get("prompt").is_none() && sent[0].get("messages").is_none());
    assert_eq!(sent[1]["keep_alive"], -1);
    assert_eq!(
        sent[2],
        serde_json::json!({"model": "llama3.2:latest", "keep_alive": 0})
    );
    s.on(
        "POST",
        "/api/generate",
        Reply::json(404, r#"{"error":"model 'nope' not found"}"#),
    );
    let err = b.load("nope".into(), None).await.unwrap_err();
    assert_eq!(err.kind, ErrorKind::ModelNotFound);
    assert!(err.message.contains("ollama pull nope"), "{err}");

    // LM Studio ≥ 0.4 loads and unloads through its REST v1.
    let lm = fake_lmstudio("qwen", &[]);
    lm.on(
        "POST",
        "/api/v1/models/load",
        Reply::json(
            200,
            r#"{"type":"llm","instance_id":"qwen","load_time_seconds":9.099,"status":"loaded"}"#,
        ),
    );
    lm.on(
        "POST",
        "/api/v1/models/unload",
        Reply::json(200, r#"{"instance_id":"qwen"}"#),
    );
    let mut lc = Config::default().hybrid.lm_studio;
    lc.endpoint = lm.url();
    let b = backend::build(BackendId::Lmstudio, &lc);
    b.load("qwen".into(), None).await.unwrap();
    b.unload("qwen".into()).await.unwrap();
    assert_eq!(
        lm.requests_to("/api/v1/models/load")[0].json()["model"],
        "qwen"
    );
    assert_eq!(
        lm.requests_to("/api/v1/models/unload")[0].json()["instance_id"],
        "qwen"
    );
    // An older LM Studio answers an unknown route with an error object: not supported.
    lm.on(
        "POST",
        "/api/v1/models/load",
        Reply::json(
            200,
            r#"{"error":"Unexpected endpoint or method. (POST /api/v1/models/load)"}"#,
        ),
    );
    let err = b.load("qwen".into(), None).await.unwrap_err();
    assert_eq!(err.kind, ErrorKind::Unsupported);
    assert!(err.message.contains("LM Studio 0.4"), "{err}");
    // llama-server has no such route at all.
    let ls = fake_llama_server(&[]);
    lc.endpoint = ls.url();
    let err = backend::build(BackendId::Lmstudio, &lc)
        .unload("gemma".into())
        .await
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::Unsupported);
}

#[tokio::test]
async fn partial_cpu_offload_is_read_from_ps_size_against_size_vram() {
    let models = [OllamaModel::chat("qwen2.5-coder:32b")];
    // 20 GB resident with its KV cache, 12.4 GB of it in VRAM: 62% on the GPU.
    let loaded = [("qwen2.5-coder:32b", 8192, 20_000_000_000, 12_400_000_000)];
    let s = fake_ollama_with("0.12.11", &models, &loaded, &SHOW_PLAIN(), &[]);
    let info = backend::build(BackendId::Ollama, &cfg(&s.url()))
        .probe()
        .await
        .unwrap();
    let m = &info.models[0];
    assert_eq!(m.resident_bytes, Some(20_000_000_000));
    assert_eq!(m.kv_bytes_per_token, Some(131_072));
    let shown = LoadedModel::from(m).vram_words().unwrap();
    assert!(shown.contains("62% on GPU"), "{shown}");
}

#[tokio::test]
async fn lm_studio_s_loaded_window_is_never_exceeded() {
    // REST v0: loaded with 4096 of a possible 131072.
    let lm = FakeServer::start();
    lm.on(
        "GET",
        "/v1/models",
        Reply::json(200, &openai_models(&["qwen"], "organization_owner")),
    );
    lm.on("GET", "/api/v0/models", Reply::json(200, r#"{"object":"list","data":[{"id":"qwen","object":"model","type":"llm","publisher":"x","arch":"qwen2","compatibility_type":"gguf","quantization":"Q4_K_M","state":"loaded","loaded_context_length":4096,"max_context_length":131072}]}"#));
    let mut c = config(&lm.url(), &refused_url());
    c.hybrid.ollama.enabled = false;
    let client = HybridClient::new(c);
    let req = Request::new(long_prompt(6000)).backend(BackendId::Lmstudio);
    let ev = events(&client, req).await;
    match ev.last() {
        Some(EventKind::Error { code, message, .. }) => {
            assert_eq!(*code, "context_too_long");
            assert!(message.contains("window of 4096"), "{message}");
        }
        other => panic!("{other:?}"),
    }
    assert!(lm.requests_to("/v1/chat/completions").is_empty());
}
