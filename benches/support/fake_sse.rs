//! A minimal keep-alive HTTP/1.1 server speaking llama-server's stream (models list and
//! one streamed answer), shared by the benchmarks that need a server answering at once.

use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// A minimal keep-alive HTTP/1.1 server speaking llama-server's stream, on its own thread.
pub fn start_server(answer: &'static str) -> std::net::SocketAddr {
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
                tokio::spawn(serve(sock, answer));
            }
        });
    });
    rx.recv().expect("server up")
}

async fn serve(mut sock: tokio::net::TcpStream, answer: &'static str) {
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
            let content = serde_json::json!({"choices":[{"index":0,"delta":{"content":answer},"finish_reason":null}]});
            let events = [
                format!("data: {content}"),
                r#"data: {"choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}"#.to_owned(),
                r#"data: {"choices":[],"usage":{"prompt_tokens":1,"completion_tokens":1}}"#
                    .to_owned(),
                "data: [DONE]".to_owned(),
            ];
            let mut r = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n".to_owned();
            for e in &events {
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
