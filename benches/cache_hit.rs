//! A response-cache hit, end to end through the engine: `Submit` until `done` (marked
//! `cached`), with the answer (4 KB) and a ten-turn conversation, from a history database
//! on disk. Target: ≤ 1 ms. The same request with `no_cache` (a warm local server that
//! answers at once) is measured alongside for scale.

#[path = "support/fake_sse.rs"]
mod fake_sse;

use std::sync::Arc;
use std::time::{Duration, Instant};

use codecrucible::config::Config;
use codecrucible::engine::{self, Command, EngineHandle, EventKind, Submit};
use codecrucible::store::{SessionId, Status, Store};

const WARMUP: usize = 100;
const SAMPLES: usize = 2000;

fn main() {
    let answer: &'static str = Box::leak(
        "fn main() { println!(\"cached\"); }\n"
            .repeat(120)
            .into_boxed_str(),
    );
    let addr = fake_sse::start_server(answer);
    let dir = tempfile::tempdir().expect("temp dir");
    let store = Arc::new(Store::open(&dir.path().join("history.db")).expect("store"));
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(run(format!("http://{addr}"), store));
}

/// A session with five earlier turns, as a long conversation carried on would have; each
/// request gets a fresh copy, so every one sends the same ten-turn conversation.
fn session(store: &Store) -> SessionId {
    let id = store.create_session("step 0", None).expect("session");
    for i in 0..5 {
        let q = format!("step {i}: {}", "explain this code ".repeat(20));
        store
            .add_message(id, "user", &q, Status::Complete, None, None)
            .expect("turn");
        let a = "Here is what it does. ".repeat(30);
        store
            .add_message(
                id,
                "assistant",
                &a,
                Status::Complete,
                Some("lmstudio"),
                None,
            )
            .expect("turn");
    }
    id
}

const PROMPT: &str = "reformat this JSON: {\"a\": 1}";

async fn run(url: String, store: Arc<Store>) {
    let mut config = Config::default();
    config.hybrid.lm_studio.endpoint = url;
    let mut engine = engine::Builder::new(config)
        .store(Arc::clone(&store))
        .spawn();
    let (mut hits, mut misses) = (Vec::new(), Vec::new());
    assert!(
        !once(&mut engine, &store, 1, true).await.1,
        "the first answer comes from the server"
    );
    for i in 0..WARMUP + SAMPLES {
        let id = 2 * i as u64 + 2;
        let (hit, cached) = once(&mut engine, &store, id, false).await;
        assert!(cached, "a repeated request is a cache hit");
        let (miss, _) = once(&mut engine, &store, id + 1, true).await;
        if i >= WARMUP {
            hits.push(hit);
            misses.push(miss);
        }
    }
    let (hm, h99) = stats(&mut hits);
    let (mm, m99) = stats(&mut misses);
    println!("cache hit (submit → done) : median {:>7.3} ms   p99 {:>7.3} ms   (target ≤ 1 ms; {SAMPLES} samples)", ms(hm), ms(h99));
    println!(
        "no_cache, local server    : median {:>7.3} ms   p99 {:>7.3} ms",
        ms(mm),
        ms(m99)
    );
    let _ = engine.commands.send(Command::Shutdown);
}

/// One request to its `done`: how long it took and whether it was cached.
async fn once(
    engine: &mut EngineHandle,
    store: &Store,
    id: u64,
    no_cache: bool,
) -> (Duration, bool) {
    let mut submit = Submit::new(id, PROMPT).in_session(session(store));
    submit.no_cache = no_cache;
    let start = Instant::now();
    engine
        .commands
        .send(Command::Submit(submit))
        .expect("engine alive");
    while let Some(ev) = engine.events.recv().await {
        match ev.kind {
            EventKind::Done { cached, .. } => return (start.elapsed(), cached),
            EventKind::Error { message, .. } => panic!("{message}"),
            _ => {}
        }
    }
    panic!("the engine stopped")
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn stats(v: &mut [Duration]) -> (Duration, Duration) {
    v.sort_unstable();
    (v[v.len() / 2], v[v.len() * 99 / 100])
}
