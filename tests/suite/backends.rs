//! Both backend clients against fake servers that speak the real protocols byte for byte.

use crate::support;

use std::time::Duration;

use codecrucible::backend::{
    self, Api, BackendId, ChatMessage, ChatRequest, ErrorKind, Role, ServerKind, StreamEvent,
};
use codecrucible::config::{BackendConfig, Config, Secret};
use futures_util::StreamExt;
use support::protocol::*;
use support::{End, FakeServer, Framing, Part, Reply};

fn cfg(id: BackendId, url: &str) -> BackendConfig {
    let mut c = Config::default().backend(id).clone();
    c.endpoint = url.to_owned();
    c.first_token_timeout_secs = 2;
    c.idle_timeout_secs = 1;
    c
}

fn request(model: &str) -> ChatRequest {
    ChatRequest {
        model: model.into(),
        messages: vec![ChatMessage::new(Role::User, "hi")],
        logprobs: true,
        ..Default::default()
    }
}

/// Runs a chat to the end: the text, the other events, and the error if any.
async fn collect(
    b: &dyn backend::Backend,
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

fn done_reason(events: &[StreamEvent]) -> Option<Option<String>> {
    events.iter().find_map(|e| match e {
        StreamEvent::Done { finish_reason } => Some(finish_reason.clone()),
        _ => None,
    })
}

#[tokio::test]
async fn lmstudio_stream_sends_usage_and_logprob_options() {
    let s = fake_lmstudio("qwen2.5-coder-7b", &["fn ", "main() {}"]);
    let b = backend::build(BackendId::Lmstudio, &cfg(BackendId::Lmstudio, &s.url()));
    let (text, events, err) = collect(b.as_ref(), request("qwen2.5-coder-7b")).await;
    assert!(err.is_none(), "{err:?}");
    assert_eq!(text, "fn main() {}");
    assert_eq!(done_reason(&events), Some(Some("stop".into())));
    assert!(events.iter().any(|e| matches!(e, StreamEvent::Usage(u) if u.output_tokens == Some(2) && u.input_tokens == Some(12))));
    let body = s.requests_to("/v1/chat/completions")[0].json();
    assert_eq!(body["stream"], true);
    assert_eq!(body["stream_options"]["include_usage"], true);
    assert_eq!(body["logprobs"], true);
    assert_eq!(body["top_logprobs"], 1);
}

#[tokio::test]
async fn every_split_crlf_and_pings_give_the_same_answer() {
    let whole: Vec<u8> = llama_stream(&["Hel", "lo", " wörld"], "stop").concat();
    // One byte per read, CRLF line ends and ping comments sprinkled in.
    let crlf = String::from_utf8(whole.clone())
        .unwrap()
        .replace('\n', "\r\n");
    let with_pings = format!(": ping\r\n\r\n{crlf}");
    let bytes = with_pings.into_bytes();
    let parts: Vec<&[u8]> = bytes.chunks(1).collect();
    let s = FakeServer::start();
    s.on("POST", "/v1/chat/completions", Reply::sse(parts));
    // Thousands of tiny reads take seconds on a busy machine; this test is about framing.
    let mut c = cfg(BackendId::Lmstudio, &s.url());
    c.first_token_timeout_secs = 60;
    c.idle_timeout_secs = 60;
    let b = backend::build(BackendId::Lmstudio, &c);
    let (text, events, err) = collect(b.as_ref(), request("gemma")).await;
    assert!(err.is_none(), "{err:?}");
    assert_eq!(text, "Hello wörld");
    let lp: Vec<_> = events
        .iter()
        .filter(|e| matches!(e, StreamEvent::Logprobs(_)))
        .collect();
    assert_eq!(lp.len(), 3, "llama-server's logprobs are passed on");
    assert!(events
        .iter()
        .any(|e| matches!(e, StreamEvent::Usage(u) if u.tokens_per_second == Some(44.5))));
}

#[tokio::test]
async fn eof_without_done_keeps_the_text_and_reports_a_cut() {
    let parts = lmstudio_stream("m", &["partial ", "answer"], "stop");
    // Everything but the usage chunk and [DONE], then the server closes cleanly.
    let s = FakeServer::start();
    let r = Reply::sse(parts[..3].iter().map(|p| p.as_slice()).collect())
        .with_framing(Framing::CloseDelimited);
    s.on("POST", "/v1/chat/completions", r);
    let b = backend::build(BackendId::Lmstudio, &cfg(BackendId::Lmstudio, &s.url()));
    let (text, _, err) = collect(b.as_ref(), request("m")).await;
    assert_eq!(text, "partial answer");
    let err = err.expect("an error");
    assert_eq!(err.kind, ErrorKind::Truncated);
    assert!(
        err.message.contains("stopped in the middle of the answer"),
        "{}",
        err.message
    );
}

#[tokio::test]
async fn a_connection_cut_mid_chunk_is_an_error_not_a_panic() {
    let parts = lmstudio_stream("m", &["abc"], "stop");
    let s = FakeServer::start();
    s.on(
        "POST",
        "/v1/chat/completions",
        Reply::sse(parts[..2].iter().map(|p| p.as_slice()).collect()).with_end(End::Cut),
    );
    let b = backend::build(BackendId::Lmstudio, &cfg(BackendId::Lmstudio, &s.url()));
    let (text, _, err) = collect(b.as_ref(), request("m")).await;
    assert_eq!(text, "abc");
    assert_eq!(err.expect("error").kind, ErrorKind::Truncated);
}

#[tokio::test]
async fn error_objects_in_the_middle_of_the_stream_in_both_shapes() {
    for shape in [
        r#"{"error":{"code":500,"message":"kv cache full","type":"server_error"}}"#,
        r#"{"error":"kv cache full"}"#,
    ] {
        let first = lmstudio_stream("m", &["so far"], "stop");
        let err_line = format!("data: {shape}\n\n");
        let s = FakeServer::start();
        s.on(
            "POST",
            "/v1/chat/completions",
            Reply::sse(vec![&first[0], &first[1], err_line.as_bytes()]).with_end(End::Hold),
        );
        let b = backend::build(BackendId::Lmstudio, &cfg(BackendId::Lmstudio, &s.url()));
        let (text, _, err) = collect(b.as_ref(), request("m")).await;
        assert_eq!(text, "so far");
        let err = err.expect("error");
        assert_eq!(err.kind, ErrorKind::StreamError);
        assert!(err.message.contains("kv cache full"), "{}", err.message);
    }
}

#[tokio::test]
async fn legacy_sse_error_field_then_done() {
    let s = FakeServer::start();
    s.on(
        "POST",
        "/v1/chat/completions",
        Reply::sse(vec![
            b"error: {\"message\":\"context overflow\"}\n\n",
            b"data: [DONE]\n\n",
        ]),
    );
    let b = backend::build(BackendId::Lmstudio, &cfg(BackendId::Lmstudio, &s.url()));
    let (_, _, err) = collect(b.as_ref(), request("m")).await;
    assert!(err.expect("error").message.contains("context overflow"));
}

#[tokio::test]
async fn http_errors_before_the_stream_in_both_shapes() {
    let s = FakeServer::start();
    s.on("POST", "/v1/chat/completions", Reply::json(404, r#"{"error":{"message":"Model \"default\" not found. Please specify a valid model","type":"invalid_request_error","param":"model","code":"model_not_found"}}"#));
    let b = backend::build(BackendId::Lmstudio, &cfg(BackendId::Lmstudio, &s.url()));
    let (_, _, err) = collect(b.as_ref(), request("default")).await;
    let err = err.expect("error");
    assert_eq!(err.kind, ErrorKind::ModelNotFound);
    assert!(err.message.contains("Please specify a valid model"));

    s.on(
        "POST",
        "/v1/chat/completions",
        Reply::json(400, r#"{"error":"No models loaded. Please load a model"}"#),
    );
    let (_, _, err) = collect(b.as_ref(), request("x")).await;
    let err = err.expect("error");
    assert_eq!(err.kind, ErrorKind::Status(400));
    assert!(err.message.contains("No models loaded"));
    assert!(!err.is_unavailable());

    s.on(
        "POST",
        "/v1/chat/completions",
        Reply::json(
            503,
            r#"{"error":{"code":503,"message":"Loading model","type":"unavailable_error"}}"#,
        ),
    );
    let (_, _, err) = collect(b.as_ref(), request("x")).await;
    assert!(err.expect("error").is_unavailable());
}

#[tokio::test]
async fn a_hanging_server_hits_the_first_token_timeout() {
    let s = FakeServer::start();
    s.on("POST", "/v1/chat/completions", Reply::Hang);
    let mut c = cfg(BackendId::Lmstudio, &s.url());
    c.first_token_timeout_secs = 1;
    let b = backend::build(BackendId::Lmstudio, &c);
    let (_, _, err) = collect(b.as_ref(), request("m")).await;
    let err = err.expect("error");
    assert_eq!(err.kind, ErrorKind::FirstTokenTimeout);
    assert!(err.is_unavailable());
    assert!(err.message.contains("first_token_timeout_secs"));
}

#[tokio::test]
async fn pings_do_not_count_as_a_first_token_but_a_slow_load_is_waited_for() {
    let parts = lmstudio_stream("m", &["late"], "stop");
    let mut all: Vec<Part> = vec![
        Part::Bytes(b": ping\n\n".to_vec()),
        Part::Delay(Duration::from_millis(1500)),
    ];
    all.extend(parts.into_iter().map(Part::Bytes));
    let s = FakeServer::start();
    s.on(
        "POST",
        "/v1/chat/completions",
        Reply::Stream {
            status: 200,
            content_type: "text/event-stream",
            framing: Framing::Chunked,
            parts: all,
            end: End::Finish,
        },
    );
    // 1.5 s of loading exceeds the idle timeout (1 s) but not the first-token timeout (2 s).
    let b = backend::build(BackendId::Lmstudio, &cfg(BackendId::Lmstudio, &s.url()));
    let (text, _, err) = collect(b.as_ref(), request("m")).await;
    assert!(err.is_none(), "{err:?}");
    assert_eq!(text, "late");
}

#[tokio::test]
async fn a_server_that_goes_quiet_mid_answer_hits_the_idle_timeout() {
    let parts = lmstudio_stream("m", &["begun"], "stop");
    let s = FakeServer::start();
    s.on(
        "POST",
        "/v1/chat/completions",
        Reply::sse(vec![&parts[0], &parts[1]]).with_end(End::Hold),
    );
    let b = backend::build(BackendId::Lmstudio, &cfg(BackendId::Lmstudio, &s.url()));
    let (text, _, err) = collect(b.as_ref(), request("m")).await;
    assert_eq!(text, "begun");
    assert_eq!(err.expect("error").kind, ErrorKind::IdleTimeout);
}

#[tokio::test]
async fn the_bearer_token_is_sent_and_never_shown() {
    let s = fake_lmstudio("m", &["ok"]);
    let mut c = cfg(BackendId::Lmstudio, &s.url());
    c.api_key = Secret::new("sk-local-123");
    let b = backend::build(BackendId::Lmstudio, &c);
    let (_, _, err) = collect(b.as_ref(), request("m")).await;
    assert!(err.is_none());
    let r = &s.requests_to("/v1/chat/completions")[0];
    assert_eq!(
        r.headers.get("authorization").map(String::as_str),
        Some("Bearer sk-local-123")
    );
    s.on(
        "POST",
        "/v1/chat/completions",
        Reply::json(
            401,
            r#"{"error":{"code":401,"message":"Invalid API Key","type":"authentication_error"}}"#,
        ),
    );
    let (_, _, err) = collect(b.as_ref(), request("m")).await;
    let err = err.expect("error");
    assert_eq!(err.kind, ErrorKind::Auth);
    assert!(!err.message.contains("sk-local-123") && err.message.contains("api_key"));
    // The key belongs in the environment, not on a command line the shell remembers.
    assert!(
        err.message.contains("CODECRUCIBLE_LMSTUDIO_API_KEY")
            && !err.message.contains("config set"),
        "{}",
        err.message
    );
}

#[tokio::test]
async fn lmstudio_loaded_state_from_v1_then_v0() {
    let s = fake_lmstudio("qwen", &[]);
    let b = backend::build(BackendId::Lmstudio, &cfg(BackendId::Lmstudio, &s.url()));
    let info = b.probe().await.unwrap();
    assert_eq!(info.kind, ServerKind::LmStudio);
    let qwen = info.models.iter().find(|m| m.name == "qwen").unwrap();
    assert_eq!((qwen.loaded, qwen.context_length), (Some(true), Some(8192)));

    let s = FakeServer::start();
    s.on(
        "GET",
        "/v1/models",
        Reply::json(200, &openai_models(&["a", "b"], "organization_owner")),
    );
    s.on("GET", "/api/v0/models", Reply::json(200, r#"{"object":"list","data":[{"id":"a","object":"model","type":"llm","publisher":"x","arch":"llama","compatibility_type":"gguf","quantization":"Q4_K_M","state":"not-loaded","max_context_length":131072},{"id":"b","object":"model","type":"llm","state":"loaded","loaded_context_length":4096,"max_context_length":131072}]}"#));
    let b = backend::build(BackendId::Lmstudio, &cfg(BackendId::Lmstudio, &s.url()));
    let info = b.probe().await.unwrap();
    assert_eq!(info.kind, ServerKind::LmStudio);
    assert_eq!(info.models[1].loaded, Some(true));
    assert_eq!(
        s.requests_to("/api/v1/models").len(),
        1,
        "v1 was tried first"
    );
}

#[tokio::test]
async fn llama_server_is_detected_through_props_and_a_plain_server_still_works() {
    let s = fake_llama_server(&[]);
    let b = backend::build(BackendId::Lmstudio, &cfg(BackendId::Lmstudio, &s.url()));
    let info = b.probe().await.unwrap();
    assert_eq!(info.kind, ServerKind::LlamaServer);
    assert_eq!(info.version.as_deref(), Some("b6100-abc"));
    assert_eq!(info.models[0].context_length, Some(4096));
    assert!(
        s.requests_to("/api/v1/models").is_empty(),
        "llama-server has no LM Studio routes"
    );

    let s = FakeServer::start();
    s.on(
        "GET",
        "/v1/models",
        Reply::json(200, &openai_models(&["vllm-model"], "vllm")),
    );
    let b = backend::build(BackendId::Lmstudio, &cfg(BackendId::Lmstudio, &s.url()));
    let info = b.probe().await.unwrap();
    assert_eq!(info.kind, ServerKind::OpenaiCompatible);
    assert_eq!(info.models[0].loaded, None);
}

#[tokio::test]
async fn ollama_probe_reads_version_tags_and_ps() {
    let s = fake_ollama(&["llama3.2:latest", "qwen2.5-coder:7b"], &[]);
    let b = backend::build(BackendId::Ollama, &cfg(BackendId::Ollama, &s.url()));
    let info = b.probe().await.unwrap();
    assert_eq!(info.kind, ServerKind::Ollama);
    assert_eq!(info.version.as_deref(), Some("0.12.11"));
    assert_eq!(info.models.len(), 2);
    assert_eq!(info.models[0].loaded, Some(true));
    assert_eq!(info.models[0].vram_bytes, Some(5333539264));
    assert_eq!(info.models[1].loaded, Some(false));
}

#[tokio::test]
async fn ollama_chat_streams_thinking_apart_and_reads_final_stats() {
    let s = FakeServer::start();
    let think = br#"{"model":"qwen3","created_at":"2025-01-01T00:00:00Z","message":{"role":"assistant","content":"","thinking":"Let me see."},"done":false}
"#;
    let text = br#"{"model":"qwen3","created_at":"2025-01-01T00:00:00Z","message":{"role":"assistant","content":"42"},"logprobs":[{"token":"42","logprob":-0.01,"bytes":[52,50],"top_logprobs":[{"token":"42","logprob":-0.01,"bytes":[52,50]}]}],"done":false}
"#;
    let fin = br#"{"model":"qwen3","created_at":"2025-01-01T00:00:01Z","message":{"role":"assistant","content":""},"done_reason":"length","done":true,"total_duration":182242375,"load_duration":41295167,"prompt_eval_count":169,"prompt_eval_duration":24573166,"eval_count":15,"eval_duration":115959084}
"#;
    s.on(
        "POST",
        "/api/chat",
        Reply::ndjson(vec![think, &text[..20], &text[20..], fin]),
    );
    let b = backend::build(BackendId::Ollama, &cfg(BackendId::Ollama, &s.url()));
    let (answer, events, err) = collect(b.as_ref(), request("qwen3")).await;
    assert!(err.is_none(), "{err:?}");
    assert_eq!(answer, "42");
    assert_eq!(events[0], StreamEvent::Reasoning("Let me see.".into()));
    assert!(matches!(&events[1], StreamEvent::Logprobs(l) if l[0].token == "42"));
    let usage = events
        .iter()
        .find_map(|e| match e {
            StreamEvent::Usage(u) => Some(u.clone()),
            _ => None,
        })
        .unwrap();
    assert_eq!(usage.output_tokens, Some(15));
    assert!((usage.tokens_per_second.unwrap() - 129.35).abs() < 0.1);
    assert_eq!(done_reason(&events), Some(Some("length".into())));
    let body = s.requests_to("/api/chat")[0].json();
    assert_eq!(body["stream"], true);
    assert_eq!(body["logprobs"], true);
}

#[tokio::test]
async fn ollama_error_line_after_200_keeps_the_partial_answer() {
    let s = FakeServer::start();
    let parts = ollama_chat("m", &["half "], "stop");
    s.on(
        "POST",
        "/api/chat",
        Reply::ndjson(vec![
            &parts[0],
            b"{\"error\":\"an error was encountered while running the model\"}\n",
        ]),
    );
    let b = backend::build(BackendId::Ollama, &cfg(BackendId::Ollama, &s.url()));
    let (text, _, err) = collect(b.as_ref(), request("m")).await;
    assert_eq!(text, "half ");
    let err = err.expect("error");
    assert_eq!(err.kind, ErrorKind::StreamError);
    assert!(err.message.contains("while running the model"));
}

#[tokio::test]
async fn ollama_missing_model_and_full_queue() {
    let s = FakeServer::start();
    s.on(
        "POST",
        "/api/chat",
        Reply::json(404, r#"{"error":"model 'foo' not found"}"#),
    );
    let b = backend::build(BackendId::Ollama, &cfg(BackendId::Ollama, &s.url()));
    let (_, _, err) = collect(b.as_ref(), request("foo")).await;
    assert_eq!(err.expect("error").kind, ErrorKind::ModelNotFound);
    s.on(
        "POST",
        "/api/chat",
        Reply::json(
            503,
            r#"{"error":"server busy, please try again.  maximum pending requests exceeded"}"#,
        ),
    );
    let (_, _, err) = collect(b.as_ref(), request("foo")).await;
    let err = err.expect("error");
    assert_eq!(err.kind, ErrorKind::Status(503));
    assert!(err.is_unavailable());
}

#[tokio::test]
async fn ollama_cut_without_done_line() {
    let s = FakeServer::start();
    let parts = ollama_chat("m", &["a", "b"], "stop");
    s.on(
        "POST",
        "/api/chat",
        Reply::ndjson(vec![&parts[0], &parts[1]]).with_end(End::Cut),
    );
    let b = backend::build(BackendId::Ollama, &cfg(BackendId::Ollama, &s.url()));
    let (text, _, err) = collect(b.as_ref(), request("m")).await;
    assert_eq!(text, "ab");
    assert_eq!(err.expect("error").kind, ErrorKind::Truncated);
}

#[tokio::test]
async fn api_openai_on_the_quality_role_speaks_openai() {
    // A user with vLLM as the quality server sets api = "openai" in [hybrid.ollama].
    let s = fake_llama_server(&["from vllm"]);
    let mut c = cfg(BackendId::Ollama, &s.url());
    c.api = Api::Openai;
    let b = backend::build(BackendId::Ollama, &c);
    let (text, _, err) = collect(b.as_ref(), request("gemma")).await;
    assert!(err.is_none());
    assert_eq!(text, "from vllm");
}

#[tokio::test]
async fn remote_endpoints_are_refused_unless_allowed() {
    let c = cfg(BackendId::Ollama, "http://10.1.2.3:11434");
    let b = backend::build(BackendId::Ollama, &c);
    let err = b.probe().await.unwrap_err();
    assert_eq!(err.kind, ErrorKind::RemoteNotAllowed);
    assert!(err.message.contains("allow_remote = true"));
}

#[tokio::test]
async fn unreachable_servers_say_how_to_start_them() {
    let b = backend::build(
        BackendId::Lmstudio,
        &cfg(BackendId::Lmstudio, &refused_url()),
    );
    let err = b.probe().await.unwrap_err();
    assert_eq!(err.kind, ErrorKind::Unreachable);
    assert!(err.message.contains("lms server start"), "{}", err.message);
    let b = backend::build(BackendId::Ollama, &cfg(BackendId::Ollama, &refused_url()));
    let err = b.probe().await.unwrap_err();
    assert!(err.message.contains("ollama serve"), "{}", err.message);
}

/// A server that never ends a line cannot take the machine's memory: reading stops at the
/// cap with one sentence, and the text that came before is kept.
#[test]
fn an_endless_line_stops_at_the_cap_and_keeps_the_text_before_it() {
    let endless = vec![b'a'; 5 << 20];
    use predicates::prelude::*;
    for (lm, flag) in [(true, "--fast"), (false, "--analyze")] {
        let server = if lm {
            let s = fake_lmstudio("m", &[]);
            let first = lmstudio_stream("m", &["kept "], "stop");
            let mut tail = b"data: ".to_vec();
            tail.extend_from_slice(&endless);
            s.on(
                "POST",
                "/v1/chat/completions",
                Reply::sse(vec![&first[0], &first[1], &tail]),
            );
            s
        } else {
            let s = fake_ollama(&["q"], &[]);
            let first = ollama_chat("q", &["kept "], "stop");
            s.on(
                "POST",
                "/api/chat",
                Reply::ndjson(vec![&first[0], &endless]),
            );
            s
        };
        let dir = tempfile::tempdir().unwrap();
        let (lm_url, ol_url) = if lm {
            (server.url(), refused_url())
        } else {
            (refused_url(), server.url())
        };
        write_config(dir.path(), &lm_url, &ol_url, "");
        support::cli(dir.path())
            .args([flag, "-p", "hello"])
            .assert()
            .code(1)
            .stdout(predicates::str::contains("kept"))
            .stderr(
                predicates::str::contains("over 4 MiB")
                    .and(predicates::str::contains("partial answer is kept")),
            );
    }
}

/// A model list or an error body is read up to 1 MiB: a huge one is refused (the list) or
/// cut to its start (the error), never buffered whole.
#[test]
fn a_huge_model_list_is_refused_and_a_huge_error_body_is_cut() {
    let lm = fake_lmstudio("m", &[]);
    let names: Vec<String> = (0..40_000).map(|i| format!("model-{i:06}-q4")).collect();
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    lm.on(
        "GET",
        "/v1/models",
        Reply::json(200, &openai_models(&refs, "organization_owner")),
    );
    let dir = tempfile::tempdir().unwrap();
    write_config(dir.path(), &lm.url(), &refused_url(), "");
    support::cli(dir.path())
        .args(["--fast", "-p", "hello"])
        .assert()
        .code(1)
        .stderr(predicates::str::contains("over 1 MiB"));

    let lm = fake_lmstudio("m", &[]);
    let huge = format!(r#"{{"error":"{}"}}"#, "x".repeat(3 << 20));
    lm.on("POST", "/v1/chat/completions", Reply::json(500, &huge));
    write_config(dir.path(), &lm.url(), &refused_url(), "");
    let out = support::cli(dir.path())
        .args(["--fast", "-p", "hello"])
        .assert()
        .code(1)
        .stderr(predicates::str::contains("500"))
        .get_output()
        .stderr
        .clone();
    assert!(
        out.len() < 64 << 10,
        "the message is cut: {} bytes",
        out.len()
    );
}
