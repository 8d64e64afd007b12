//! Load through the library: 200 requests at once through one `HybridClient`, against
//! servers that take `max_concurrent` 2 (fast) and 1 (quality). The fake servers count the
//! streams open at once; the store is read back afterwards. Then the same with the quality
//! server killed in the middle of it.

use crate::support;

use std::sync::Arc;
use std::time::Duration;

use codecrucible::backend::BackendId;
use codecrucible::config::Config;
use codecrucible::store::{SessionId, Status, Store};
use codecrucible::{Answer, HybridClient, Request, RequestError};
use futures_util::future::join_all;
use support::protocol::*;
use support::{End, Framing, Part, Reply};

const REQUESTS: usize = 200;
const TOKENS: &[&str] = &["one ", "two ", "three ", "four"];

/// A stream whose pieces come 3 ms apart, so that requests overlap and queue.
fn paced(content_type: &'static str, chunks: Vec<Vec<u8>>) -> Reply {
    let mut parts = Vec::new();
    for c in chunks {
        parts.push(Part::Delay(Duration::from_millis(3)));
        parts.push(Part::Bytes(c));
    }
    Reply::Stream {
        status: 200,
        content_type,
        framing: Framing::Chunked,
        parts,
        end: End::Finish,
    }
}

fn servers() -> (support::FakeServer, support::FakeServer) {
    let lm = fake_lmstudio("fast-model", &[]);
    let chunks = lmstudio_stream("fast-model", TOKENS, "stop");
    lm.on(
        "POST",
        "/v1/chat/completions",
        paced("text/event-stream", chunks),
    );
    let ol = fake_ollama(&["quality-model"], &[]);
    let chunks = ollama_chat("quality-model", TOKENS, "stop");
    ol.on("POST", "/api/chat", paced("application/x-ndjson", chunks));
    (lm, ol)
}

fn config(lm: &str, ol: &str) -> Config {
    let mut c = Config::default();
    c.hybrid.lm_studio.endpoint = lm.into();
    c.hybrid.ollama.endpoint = ol.into();
    c.hybrid.lm_studio.max_concurrent = 2;
    c.hybrid.ollama.max_concurrent = 1;
    for b in [&mut c.hybrid.lm_studio, &mut c.hybrid.ollama] {
        b.first_token_timeout_secs = 30;
        b.idle_timeout_secs = 10;
    }
    c
}

fn client(c: Config) -> (HybridClient, Arc<Store>, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(Store::open(&dir.path().join("history.db")).unwrap());
    (HybridClient::with_store(c, Arc::clone(&store)), store, dir)
}

/// Each request's prompt is its own, so the response cache answers none of them.
async fn ask_all(
    client: &HybridClient,
    request: impl Fn(usize) -> Request,
) -> Vec<Result<Answer, RequestError>> {
    let asks = (0..REQUESTS).map(|i| client.ask(request(i)));
    tokio::time::timeout(Duration::from_secs(300), join_all(asks))
        .await
        .expect("every request ends")
}

/// What the store holds for a request: its prompt, then its answer as far as it got.
fn saved(store: &Store, session: Option<SessionId>) -> Vec<(String, String, Status)> {
    let id = session.expect("every request has a session");
    let (_, msgs) = store.session(id).unwrap().expect("the session was saved");
    msgs.into_iter()
        .map(|m| (m.role, m.content, m.status))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hundred_at_once_respect_each_servers_limit_and_all_are_saved() {
    let (lm, ol) = servers();
    let (client, store, _dir) = client(config(&lm.url(), &ol.url()));
    let prompt = |i: usize| format!("request {i}: say the numbers");
    let results = ask_all(&client, |i| {
        let to = if i % 2 == 0 {
            BackendId::Lmstudio
        } else {
            BackendId::Ollama
        };
        Request::new(prompt(i)).backend(to)
    })
    .await;
    assert_eq!(
        (lm.streams_started(), ol.streams_started()),
        (REQUESTS / 2, REQUESTS / 2),
        "each request reached its server once"
    );
    assert_eq!(
        lm.streams_peak(),
        2,
        "the fast server's limit was reached, not passed"
    );
    assert_eq!(
        ol.streams_peak(),
        1,
        "the quality server's limit was reached, not passed"
    );
    for (i, r) in results.into_iter().enumerate() {
        let a = r.unwrap_or_else(|e| panic!("request {i} failed: {}", e.message));
        assert_eq!(a.text, TOKENS.concat(), "request {i}");
        let rows = saved(&store, a.session);
        assert_eq!(
            rows,
            vec![
                ("user".into(), prompt(i), Status::Complete),
                ("assistant".into(), TOKENS.concat(), Status::Complete),
            ],
            "request {i}"
        );
    }
    assert_eq!(store.list_sessions(1000).unwrap().len(), REQUESTS);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_quality_server_killed_midway_loses_no_request() {
    let (lm, ol) = servers();
    let (client, store, _dir) = client(config(&lm.url(), &ol.url()));
    // Routed automatically: security reviews go to the quality server, which can fall
    // back to the fast one while nothing has been shown yet.
    let prompt = |i: usize| {
        format!(
            "request {i}: review this login handler for security vulnerabilities and SQL injection"
        )
    };
    let run = ask_all(&client, |i| Request::new(prompt(i)));
    let killer = async {
        while ol.streams_started() < 20 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        ol.kill();
    };
    let (results, ()) = tokio::join!(run, killer);
    let served_by_quality = ol.streams_started();
    assert!(
        (20..REQUESTS).contains(&served_by_quality),
        "the quality server served some before it died: {served_by_quality}"
    );
    assert!(lm.streams_peak() <= 2 && ol.streams_peak() <= 1);
    let (mut ok, mut fell_back, mut failed) = (0, 0, 0);
    for (i, r) in results.into_iter().enumerate() {
        match r {
            Ok(a) => {
                ok += 1;
                fell_back += usize::from(a.fell_back);
                assert_eq!(a.text, TOKENS.concat(), "request {i}");
                let rows = saved(&store, a.session);
                assert_eq!(rows.len(), 2, "request {i}: {rows:?}");
                assert_eq!(
                    rows[1],
                    ("assistant".into(), TOKENS.concat(), Status::Complete)
                );
            }
            Err(e) => {
                failed += 1;
                // Only a stream cut by the kill fails: it had shown text, so it is not
                // moved to the other server, and what arrived is kept.
                assert!(
                    e.message.contains("Ollama") && !e.message.contains('\n'),
                    "request {i}: one sentence naming the server: {}",
                    e.message
                );
                let rows = saved(&store, e.partial.session);
                assert_eq!(rows[0], ("user".into(), prompt(i), Status::Complete));
                if !e.partial.text.is_empty() {
                    assert_eq!(
                        rows.get(1),
                        Some(&("assistant".into(), e.partial.text.clone(), Status::Partial)),
                        "request {i}"
                    );
                }
            }
        }
    }
    assert_eq!(ok + failed, REQUESTS);
    assert!(
        failed <= 1,
        "at most the one stream in flight at the kill fails: {failed}"
    );
    assert!(
        fell_back > 0,
        "requests after the kill went to the fast server"
    );
    assert_eq!(
        store.list_sessions(1000).unwrap().len(),
        REQUESTS,
        "none lost"
    );
}
