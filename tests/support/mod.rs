//! Fake LLM servers on a raw TCP listener, so tests control every byte: events split
//! across reads, connections cut mid-stream, servers that hang. Each runs on its own
//! thread and runtime, so both async tests and assert_cmd tests can use it.
#![allow(dead_code)]

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

pub mod e2e;
pub mod protocol;

/// The same, as a plain process: for tests that signal it or run several at once.
pub fn cli_process(dir: &std::path::Path) -> std::process::Command {
    let mut cmd = isolated(
        std::process::Command::new(assert_cmd::cargo::cargo_bin("codecrucible")),
        dir,
    );
    cmd.current_dir(dir);
    cmd
}

/// `cmd` with `dir`'s config file and data dir, none of the user's server settings from
/// the environment, and no standard input: for anything that runs the binary in turn
/// (a script, a pseudo-terminal).
pub fn isolated(mut cmd: std::process::Command, dir: &std::path::Path) -> std::process::Command {
    cmd.env("CODECRUCIBLE_CONFIG", dir.join("config.toml"))
        .env("CODECRUCIBLE_DATA_DIR", dir.join("data"))
        .env_remove("OLLAMA_HOST")
        .env_remove("CODECRUCIBLE_LMSTUDIO_URL")
        .env_remove("CODECRUCIBLE_OLLAMA_URL")
        .env_remove("CODECRUCIBLE_LMSTUDIO_API_KEY")
        .env_remove("CODECRUCIBLE_OLLAMA_API_KEY")
        .stdin(std::process::Stdio::null());
    cmd
}

/// The real binary with a private config file and data dir, and none of the user's server
/// settings inherited from the environment.
pub fn cli(dir: &std::path::Path) -> assert_cmd::Command {
    let mut c = assert_cmd::Command::cargo_bin("codecrucible").expect("the binary is built");
    // The test's directory is the workspace, not this repository.
    c.current_dir(dir)
        .env("CODECRUCIBLE_CONFIG", dir.join("config.toml"))
        .env("CODECRUCIBLE_DATA_DIR", dir.join("data"))
        .env_remove("OLLAMA_HOST")
        .env_remove("CODECRUCIBLE_LMSTUDIO_URL")
        .env_remove("CODECRUCIBLE_OLLAMA_URL")
        .env_remove("CODECRUCIBLE_LMSTUDIO_API_KEY")
        .env_remove("CODECRUCIBLE_OLLAMA_API_KEY")
        .timeout(Duration::from_secs(180));
    c
}

/// How a streamed body is framed on the wire.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Framing {
    /// `Transfer-Encoding: chunked`, as llama-server, LM Studio and Ollama send.
    Chunked,
    /// No length: the body ends when the server closes the connection.
    CloseDelimited,
}

/// How a stream ends after its last part.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum End {
    /// The body ends properly.
    Finish,
    /// The connection is dropped without ending the body (a crash or a cut cable).
    Cut,
    /// The connection stays open and silent until the client gives up.
    Hold,
}

#[derive(Clone, Debug)]
pub enum Part {
    Bytes(Vec<u8>),
    Delay(Duration),
}

#[derive(Clone, Debug)]
pub enum Reply {
    Full {
        status: u16,
        content_type: &'static str,
        body: Vec<u8>,
    },
    Stream {
        status: u16,
        content_type: &'static str,
        framing: Framing,
        parts: Vec<Part>,
        end: End,
    },
    /// Read the request, then never answer.
    Hang,
    /// A redirect (301, 302, 307, 308) to `location`.
    Redirect { status: u16, location: String },
}

impl Reply {
    pub fn json(status: u16, body: &str) -> Self {
        Reply::Full {
            status,
            content_type: "application/json",
            body: body.as_bytes().to_vec(),
        }
    }

    /// A stream whose parts each go out as a separate write, a little apart, so the
    /// client sees them as separate reads.
    pub fn stream(content_type: &'static str, parts: Vec<&[u8]>) -> Self {
        let mut out = Vec::new();
        for p in parts {
            out.push(Part::Bytes(p.to_vec()));
            out.push(Part::Delay(Duration::from_millis(2)));
        }
        Reply::Stream {
            status: 200,
            content_type,
            framing: Framing::Chunked,
            parts: out,
            end: End::Finish,
        }
    }

    pub fn sse(parts: Vec<&[u8]>) -> Self {
        Self::stream("text/event-stream", parts)
    }

    pub fn ndjson(parts: Vec<&[u8]>) -> Self {
        Self::stream("application/x-ndjson", parts)
    }

    pub fn with_end(mut self, new_end: End) -> Self {
        if let Reply::Stream { end, .. } = &mut self {
            *end = new_end;
        }
        self
    }

    pub fn with_framing(mut self, new: Framing) -> Self {
        if let Reply::Stream { framing, .. } = &mut self {
            *framing = new;
        }
        self
    }

    /// Inserts a pause before the first part (a model that takes a while to load).
    pub fn delayed(mut self, d: Duration) -> Self {
        if let Reply::Stream { parts, .. } = &mut self {
            parts.insert(0, Part::Delay(d));
        }
        self
    }
}

#[derive(Clone, Debug)]
pub struct Recorded {
    pub method: String,
    pub path: String,
    pub headers: HashMap<String, String>,
    pub body: String,
}

impl Recorded {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or(serde_json::Value::Null)
    }
}

#[derive(Default)]
struct State {
    /// Replies per "METHOD /path"; several are used in turn, the last one repeats.
    routes: Mutex<HashMap<String, Vec<Reply>>>,
    /// Replies for "METHOD /path" requests whose body contains a needle; checked first.
    by_body: Mutex<Vec<(String, String, Reply)>>,
    recorded: Mutex<Vec<Recorded>>,
    /// Connections the client closed while a stream was still open.
    client_hangups: AtomicUsize,
    streams_started: AtomicUsize,
    /// Streams whose answer has not been sent in full yet, and the most there ever were.
    streams_open: AtomicUsize,
    streams_peak: AtomicUsize,
    /// Unknown routes answer as Ollama's router (gin) does: text `404 page not found`.
    gin_404: std::sync::atomic::AtomicBool,
    /// Per "METHOD /path": a queue in front of the replies, as Ollama's scheduler keeps.
    queues: Mutex<HashMap<String, Arc<Queue>>>,
}

/// Ollama's scheduler in front of a route (PROTOCOLS.md §1.7): `parallel` requests are
/// answered at once; the others wait silently, without so much as a header, until one
/// ends; past `max_queue` waiting, a request gets 503 at once.
struct Queue {
    slots: Arc<tokio::sync::Semaphore>,
    waiting: AtomicUsize,
    max_queue: usize,
}

/// Ollama's answer when its queue is full (server/sched.go `ErrMaxQueue`).
pub const OLLAMA_BUSY: &str =
    r#"{"error":"server busy, please try again.  maximum pending requests exceeded"}"#;

/// One stream counted as open until it is dropped.
struct OpenStream<'a>(Option<&'a State>);

impl<'a> OpenStream<'a> {
    fn start(state: &'a State) -> Self {
        state.streams_started.fetch_add(1, Ordering::SeqCst);
        let now = state.streams_open.fetch_add(1, Ordering::SeqCst) + 1;
        state.streams_peak.fetch_max(now, Ordering::SeqCst);
        Self(Some(state))
    }

    fn close(&mut self) {
        if let Some(s) = self.0.take() {
            s.streams_open.fetch_sub(1, Ordering::SeqCst);
        }
    }
}

impl Drop for OpenStream<'_> {
    fn drop(&mut self) {
        self.close();
    }
}

pub struct FakeServer {
    pub addr: SocketAddr,
    state: Arc<State>,
    _thread: std::thread::JoinHandle<()>,
    /// Dropping (or sending on) it stops the server: see [`FakeServer::kill`].
    kill: Mutex<Option<tokio::sync::oneshot::Sender<()>>>,
}

impl FakeServer {
    pub fn start() -> Self {
        Self::start_on("127.0.0.1:0")
    }

    pub fn start_on(bind: &str) -> Self {
        let state = Arc::new(State::default());
        let (tx, rx) = std::sync::mpsc::channel();
        let (kill, killed) = tokio::sync::oneshot::channel::<()>();
        let st = Arc::clone(&state);
        let bind = bind.to_owned();
        let thread = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("test runtime");
            rt.block_on(async move {
                let listener = TcpListener::bind(&bind).await.expect("bind fake server");
                tx.send(listener.local_addr().expect("addr")).ok();
                let serve = async {
                    loop {
                        let Ok((sock, _)) = listener.accept().await else {
                            continue;
                        };
                        tokio::spawn(serve_conn(sock, Arc::clone(&st)));
                    }
                };
                tokio::select! {
                    _ = serve => {}
                    _ = killed => {}
                }
            });
            // Dropping the runtime drops every connection's task: open sockets close.
        });
        let addr = rx.recv().expect("fake server started");
        Self {
            addr,
            state,
            _thread: thread,
            kill: Mutex::new(Some(kill)),
        }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Answers `method path` with `reply` (replacing earlier replies).
    pub fn on(&self, method: &str, path: &str, reply: Reply) -> &Self {
        self.on_seq(method, path, vec![reply])
    }

    /// Unknown routes answer `404 page not found` as text, as Ollama's do.
    pub fn gin_404s(&self) -> &Self {
        self.state.gin_404.store(true, Ordering::SeqCst);
        self
    }

    /// Puts Ollama's queue in front of `method path`: `parallel` answered at once, up to
    /// `max_queue` more waiting without a byte sent, and 503 beyond that.
    pub fn queue(&self, method: &str, path: &str, parallel: usize, max_queue: usize) -> &Self {
        let q = Queue {
            slots: Arc::new(tokio::sync::Semaphore::new(parallel)),
            waiting: AtomicUsize::new(0),
            max_queue,
        };
        self.state
            .queues
            .lock()
            .unwrap()
            .insert(format!("{method} {path}"), Arc::new(q));
        self
    }

    /// Requests waiting in the queue of `method path` now.
    pub fn queued(&self, method: &str, path: &str) -> usize {
        let queues = self.state.queues.lock().unwrap();
        queues
            .get(&format!("{method} {path}"))
            .map_or(0, |q| q.waiting.load(Ordering::SeqCst))
    }

    /// Answers successive requests with successive replies; the last one repeats.
    pub fn on_seq(&self, method: &str, path: &str, replies: Vec<Reply>) -> &Self {
        self.state
            .routes
            .lock()
            .unwrap()
            .insert(format!("{method} {path}"), replies);
        self
    }

    /// Answers `method path` requests whose body contains `needle` with `reply`, before
    /// any reply set with `on`.
    pub fn on_body(&self, method: &str, path: &str, needle: &str, reply: Reply) -> &Self {
        self.state.by_body.lock().unwrap().push((
            format!("{method} {path}"),
            needle.to_owned(),
            reply,
        ));
        self
    }

    pub fn requests(&self) -> Vec<Recorded> {
        self.state.recorded.lock().unwrap().clone()
    }

    pub fn requests_to(&self, path: &str) -> Vec<Recorded> {
        self.requests()
            .into_iter()
            .filter(|r| r.path == path)
            .collect()
    }

    pub fn client_hangups(&self) -> usize {
        self.state.client_hangups.load(Ordering::SeqCst)
    }

    pub fn streams_started(&self) -> usize {
        self.state.streams_started.load(Ordering::SeqCst)
    }

    /// The most streams that were ever open at once. A stream counts as open from its
    /// request until just before the part that ends its answer is written: a client cannot
    /// see the end (and start its next request in the freed slot) before that.
    pub fn streams_peak(&self) -> usize {
        self.state.streams_peak.load(Ordering::SeqCst)
    }

    /// Stops the server as a crash would: the listener closes (new connections are
    /// refused) and every open connection is dropped mid-reply.
    pub fn kill(&self) {
        if let Some(k) = self.kill.lock().unwrap().take() {
            let _ = k.send(());
        }
    }

    /// Waits (up to `limit`) until `f` holds; for effects that happen on the server side.
    pub fn wait_until(&self, limit: Duration, f: impl Fn(&Self) -> bool) -> bool {
        let start = std::time::Instant::now();
        while start.elapsed() < limit {
            if f(self) {
                return true;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        f(self)
    }
}

async fn serve_conn(mut sock: TcpStream, state: Arc<State>) {
    let _ = sock.set_nodelay(true);
    let mut buf = Vec::new();
    loop {
        let Some(req) = read_request(&mut sock, &mut buf).await else {
            return;
        };
        let key = format!("{} {}", req.method, req.path);
        let queue = state.queues.lock().unwrap().get(&key).cloned();
        let body = req.body.clone();
        state.recorded.lock().unwrap().push(req);
        // Held until the reply is written: the scheduler's slot for this request.
        let mut _slot = None;
        if let Some(q) = queue {
            if q.waiting.load(Ordering::SeqCst) >= q.max_queue && q.slots.available_permits() == 0 {
                if !write_full(&mut sock, 503, "application/json", OLLAMA_BUSY.as_bytes()).await {
                    return;
                }
                continue;
            }
            q.waiting.fetch_add(1, Ordering::SeqCst);
            let permit = Arc::clone(&q.slots).acquire_owned().await;
            q.waiting.fetch_sub(1, Ordering::SeqCst);
            _slot = permit.ok();
        }
        let reply = body_reply(&state, &key, &body).or_else(|| next_reply(&state, &key));
        let keep_open = match reply {
            Some(r) => write_reply(&mut sock, r, &state).await,
            None if state.gin_404.load(Ordering::SeqCst) => {
                write_full(&mut sock, 404, "text/plain", b"404 page not found").await
            }
            None => {
                let body = format!("{{\"error\":\"no route for {key}\"}}");
                write_full(&mut sock, 404, "application/json", body.as_bytes()).await
            }
        };
        if !keep_open {
            return;
        }
    }
}

fn body_reply(state: &State, key: &str, body: &str) -> Option<Reply> {
    let list = state.by_body.lock().unwrap();
    list.iter()
        .find(|(k, needle, _)| k == key && body.contains(needle.as_str()))
        .map(|(_, _, r)| r.clone())
}

fn next_reply(state: &State, key: &str) -> Option<Reply> {
    let mut routes = state.routes.lock().unwrap();
    let list = routes.get_mut(key)?;
    if list.len() > 1 {
        Some(list.remove(0))
    } else {
        list.first().cloned()
    }
}

async fn read_request(sock: &mut TcpStream, buf: &mut Vec<u8>) -> Option<Recorded> {
    let head_end = loop {
        if let Some(i) = find(buf, b"\r\n\r\n") {
            break i;
        }
        let mut tmp = [0u8; 4096];
        let n = sock.read(&mut tmp).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&tmp[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let mut lines = head.split("\r\n");
    let mut first = lines.next()?.split(' ');
    let method = first.next()?.to_owned();
    let path = first.next()?.to_owned();
    let headers: HashMap<String, String> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let len: usize = headers
        .get("content-length")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let body_start = head_end + 4;
    while buf.len() < body_start + len {
        let mut tmp = [0u8; 4096];
        let n = sock.read(&mut tmp).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&tmp[..n]);
    }
    let body = String::from_utf8_lossy(&buf[body_start..body_start + len]).into_owned();
    buf.drain(..body_start + len);
    Some(Recorded {
        method,
        path,
        headers,
        body,
    })
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        400 => "Bad Request",
        401 => "Unauthorized",
        404 => "Not Found",
        500 => "Internal Server Error",
        503 => "Service Unavailable",
        _ => "Status",
    }
}

async fn write_full(sock: &mut TcpStream, status: u16, ct: &str, body: &[u8]) -> bool {
    let head = format!(
        "HTTP/1.1 {status} {}\r\nContent-Type: {ct}\r\nContent-Length: {}\r\n\r\n",
        reason(status),
        body.len()
    );
    sock.write_all(head.as_bytes()).await.is_ok() && sock.write_all(body).await.is_ok()
}

/// Writes one reply; returns whether the connection can serve another request.
async fn write_reply(sock: &mut TcpStream, reply: Reply, state: &State) -> bool {
    match reply {
        Reply::Full {
            status,
            content_type,
            body,
        } => write_full(sock, status, content_type, &body).await,
        Reply::Redirect { status, location } => {
            let head = format!(
                "HTTP/1.1 {status} {}\r\nLocation: {location}\r\nContent-Length: 0\r\n\r\n",
                reason(status)
            );
            sock.write_all(head.as_bytes()).await.is_ok()
        }
        Reply::Hang => {
            wait_for_hangup(sock, state).await;
            false
        }
        Reply::Stream {
            status,
            content_type,
            framing,
            parts,
            end,
        } => {
            let mut open = OpenStream::start(state);
            let last_bytes = parts.iter().rposition(|p| matches!(p, Part::Bytes(_)));
            let framing_header = match framing {
                Framing::Chunked => "Transfer-Encoding: chunked\r\n",
                Framing::CloseDelimited => "Connection: close\r\n",
            };
            let head = format!(
                "HTTP/1.1 {status} {}\r\nContent-Type: {content_type}\r\n{framing_header}\r\n",
                reason(status)
            );
            if sock.write_all(head.as_bytes()).await.is_err() {
                return false;
            }
            for (i, part) in parts.into_iter().enumerate() {
                if Some(i) == last_bytes {
                    open.close();
                }
                let ok = match part {
                    Part::Delay(d) => {
                        tokio::time::sleep(d).await;
                        true
                    }
                    Part::Bytes(b) => write_part(sock, framing, &b).await,
                };
                if !ok {
                    state.client_hangups.fetch_add(1, Ordering::SeqCst);
                    return false;
                }
            }
            match end {
                End::Finish if framing == Framing::Chunked => {
                    sock.write_all(b"0\r\n\r\n").await.is_ok()
                }
                End::Finish | End::Cut => false,
                End::Hold => {
                    wait_for_hangup(sock, state).await;
                    false
                }
            }
        }
    }
}

async fn write_part(sock: &mut TcpStream, framing: Framing, b: &[u8]) -> bool {
    let r = match framing {
        Framing::Chunked => {
            let mut frame = format!("{:x}\r\n", b.len()).into_bytes();
            frame.extend_from_slice(b);
            frame.extend_from_slice(b"\r\n");
            sock.write_all(&frame).await
        }
        Framing::CloseDelimited => sock.write_all(b).await,
    };
    r.is_ok() && sock.flush().await.is_ok()
}

/// Keeps the connection open until the client closes it, and counts that.
async fn wait_for_hangup(sock: &mut TcpStream, state: &State) {
    let mut tmp = [0u8; 1024];
    loop {
        match sock.read(&mut tmp).await {
            Ok(0) | Err(_) => {
                state.client_hangups.fetch_add(1, Ordering::SeqCst);
                return;
            }
            Ok(_) => {}
        }
    }
}

/// The JSON events of `--json` output, one per line (other lines skipped).
pub fn events_of(out: &[u8]) -> Vec<serde_json::Value> {
    String::from_utf8_lossy(out)
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect()
}

/// Runs the binary in `dir` with `--json` and `args`, expects it to succeed, and returns
/// its events.
pub fn json_events(dir: &std::path::Path, args: &[&str]) -> Vec<serde_json::Value> {
    let out = cli(dir).arg("--json").args(args).assert().success();
    events_of(&out.get_output().stdout)
}

/// The events of one `type`.
pub fn of<'a>(ev: &'a [serde_json::Value], kind: &str) -> Vec<&'a serde_json::Value> {
    ev.iter().filter(|e| e["type"] == kind).collect()
}

/// A fake `nvidia-smi` in `dir` reporting an 8 GiB GPU with about 1.2 GiB free; returns a
/// PATH with it first. PATH belongs to the whole process, so checks that need it run in a
/// child process ([`run_ignored_in_child`]).
pub fn fake_gpu(dir: &std::path::Path) -> String {
    use std::os::unix::fs::PermissionsExt;
    let smi = dir.join("nvidia-smi");
    std::fs::write(&smi, "#!/bin/sh\necho '0, NVIDIA Test GPU, 8192, 7000'\n").unwrap();
    std::fs::set_permissions(&smi, std::fs::Permissions::from_mode(0o755)).unwrap();
    let path = std::env::var("PATH").unwrap_or_default();
    format!("{}:{path}", dir.display())
}

/// Runs the ignored test `name` (its full path, `suite::…`) in a child process of this test
/// binary with `env` set, and asserts that it ran and passed.
pub fn run_ignored_in_child(name: &str, env: &[(&str, &str)]) {
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--exact", name, "--ignored", "--nocapture"])
        .envs(env.iter().copied())
        .output()
        .unwrap();
    let log = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{log}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(log.contains("1 passed"), "the check ran: {log}");
}
