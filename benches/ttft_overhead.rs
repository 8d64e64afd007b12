//! Time to first token: the engine's overhead over a direct HTTP request to the same local
//! fake server, in the same run, both warm. Target: median ≤ 1 ms, p99 ≤ 5 ms.
//!
//! The fake server answers at once, so what is measured is the client side: for the direct
//! path a reqwest POST read until the first content bytes; for the engine path a `Submit`
//! command until the first `delta` event (actor hop, slot, model choice, request, SSE
//! decode, event). Samples alternate between the two paths so machine noise hits both.

use std::time::{Duration, Instant};

use codecrucible::backend::{ChatMessage, Role};
use codecrucible::config::Config;
use codecrucible::engine::{self, Command, EventKind, RouteMode, Submit};
use futures_util::StreamExt;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const WARMUP: usize = 200;
const SAMPLES: usize = 2000;

fn main() {
    let addr = start_server();
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
        ..Submit::new(id, vec![ChatMessage::new(Role::User, "hi")])
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

/// A minimal keep-alive HTTP/1.1 server speaking llama-server's stream, on its own thread.
fn start_server() -> std::net::SocketAddr {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("rt");
        rt.block_on(async move {
            let l = tokio::net::TcpListener::bind("127.0.0.1:0")
                .await
                .expect("bind");
            tx.send(l.local_addr().expect("addr")).expect("send addr");
            loop {
                let (sock, _) = l.accept().await.expect("accept");
                tokio::spawn(serve(sock));
            }
        });
    });
    rx.recv().expect("server up")
}

async fn serve(mut sock: tokio::net::TcpStream) {
    let _ = sock.set_nodelay(true);
    let mut buf = Vec::new();
    let mut tmp = [0u8; 8192];
    loop {
        // Read one request: head, then Content-Length bytes of body.
        let head_end = loop {
            if let Some(i) = memchr::memmem::find(&buf, b"\r\n\r\n") {
                break i + 4;
            }
            match sock.read(&mut tmp).await {
                Ok(0) | Err(_) => return,
                Ok(n) => buf.extend_from_slice(&tmp[..n]),
            }
        };
        let head = String::from_utf8_lossy(&buf[..head_end]).to_ascii_lowercase();
        let len: usize = head
            .lines()
            .find_map(|l| l.strip_prefix("content-length:"))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(0);
        while buf.len() < head_end + len {
            match sock.read(&mut tmp).await {
                Ok(0) | Err(_) => return,
                Ok(n) => buf.extend_from_slice(&tmp[..n]),
            }
        }
        let get_models = head.starts_with("get /v1/models");
        let other_get = head.starts_with("get ");
        buf.drain(..head_end + len);
        let reply = if get_models {
            let body =
                r#"{"object":"list","data":[{"id":"m","object":"model","owned_by":"llamacpp"}]}"#;
            format!("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}", body.len())
        } else if other_get {
            "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n".to_owned()
        } else {
            let events = [
                r#"data: {"choices":[{"index":0,"delta":{"content":"Hi"},"finish_reason":null}]}"#,
                r#"data: {"choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}"#,
                r#"data: {"choices":[],"usage":{"prompt_tokens":1,"completion_tokens":1}}"#,
                "data: [DONE]",
            ];
            let mut r = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n".to_owned();
            for e in events {
                let chunk = format!("{e}\n\n");
                r += &format!("{:x}\r\n{chunk}\r\n", chunk.len());
            }
            r += "0\r\n\r\n";
            r
        };
        if sock.write_all(reply.as_bytes()).await.is_err() {
            return;
        }
    }
}
