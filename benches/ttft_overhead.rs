//! Time to first token: the engine's overhead over a direct HTTP request to the same local
//! fake server, in the same run, both warm. Target: median ≤ 1 ms, p99 ≤ 5 ms.
//!
//! The fake server answers at once, so what is measured is the client side: for the direct
//! path a reqwest POST read until the first content bytes; for the engine path a `Submit`
//! command until the first `delta` event (actor hop, slot, model choice, request, SSE
//! decode, event). Samples alternate between the two paths so machine noise hits both.

use std::time::{Duration, Instant};

use codecrucible::config::Config;
use codecrucible::engine::{self, Command, EventKind, RouteMode, Submit};
use futures_util::StreamExt;

const WARMUP: usize = 200;
const SAMPLES: usize = 2000;

#[path = "support/fake_sse.rs"]
mod fake_sse;

fn main() {
    let addr = fake_sse::start_server("Hi");
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(run(addr));
}

async fn run(addr: std::net::SocketAddr) {
    let url = format!("http://{addr}");
    let client = reqwest::Client::builder()
        .no_proxy()
        .tcp_nodelay(true)
        .build()
        .expect("client");
    let mut config = Config::default();
    config.hybrid.lm_studio.endpoint = url.clone();
    let mut engine = engine::spawn(config);
    let (mut direct, mut via_engine) = (Vec::new(), Vec::new());
    for i in 0..WARMUP + SAMPLES {
        let d = direct_ttft(&client, &url).await;
        let e = engine_ttft(&mut engine, i as u64 + 1).await;
        if i >= WARMUP {
            direct.push(d);
            via_engine.push(e);
        }
    }
    let (dm, d99) = stats(&mut direct);
    let (em, e99) = stats(&mut via_engine);
    println!(
        "ttft direct HTTP : median {:>8.3} ms   p99 {:>8.3} ms",
        ms(dm),
        ms(d99)
    );
    println!(
        "ttft via engine  : median {:>8.3} ms   p99 {:>8.3} ms",
        ms(em),
        ms(e99)
    );
    println!(
        "engine overhead  : median {:>8.3} ms   p99 {:>8.3} ms   (targets: 1 ms, 5 ms; {SAMPLES} samples)",
        ms(em.saturating_sub(dm)),
        ms(e99.saturating_sub(d99))
    );
    let _ = engine.commands.send(Command::Shutdown);
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn stats(v: &mut [Duration]) -> (Duration, Duration) {
    v.sort_unstable();
    (v[v.len() / 2], v[v.len() * 99 / 100])
}

async fn direct_ttft(client: &reqwest::Client, url: &str) -> Duration {
    let body = r#"{"model":"m","messages":[{"role":"user","content":"hi"}],"stream":true,"stream_options":{"include_usage":true},"logprobs":true,"top_logprobs":1}"#;
    let start = Instant::now();
    let resp = client
        .post(format!("{url}/v1/chat/completions"))
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .expect("direct request");
    let mut stream = resp.bytes_stream();
    let mut seen = Vec::new();
    let mut first = None;
    while let Some(chunk) = stream.next().await {
        seen.extend_from_slice(&chunk.expect("chunk"));
        if first.is_none() && memchr::memmem::find(&seen, b"\"content\"").is_some() {
            first = Some(start.elapsed());
        }
    }
    first.expect("content arrived")
}

async fn engine_ttft(engine: &mut engine::EngineHandle, id: u64) -> Duration {
    let submit = Submit {
        route: RouteMode::Auto,
        ..Submit::new(id, "hi")
    };
    let start = Instant::now();
    engine
        .commands
        .send(Command::Submit(submit))
        .expect("engine alive");
    let mut first = None;
    while let Some(ev) = engine.events.recv().await {
        match ev.kind {
            EventKind::Delta { .. } if first.is_none() => first = Some(start.elapsed()),
            EventKind::Done { .. } => break,
            EventKind::Error { message, .. } => panic!("{message}"),
            _ => {}
        }
    }
    first.expect("a delta")
}
