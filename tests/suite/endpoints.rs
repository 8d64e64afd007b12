//! Several endpoints for one role (`[[hybrid.lm_studio.endpoints]]`), against three fake
//! LM Studio servers: requests go to the least loaded one, a failing one is routed around
//! while its breaker opens, weights share the load, and a session's follow-up stays on the
//! endpoint that served it until that one fails. `doctor` lists each endpoint.

use crate::support;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use codecrucible::backend::BackendId;
use codecrucible::config::{Config, Endpoint};
use codecrucible::engine::{self, Command, EngineHandle, EventKind, RouteMode, Submit};
use codecrucible::store::{SessionChoice, SessionId, Store};
use support::protocol::*;
use support::{End, FakeServer, Reply};

const CHAT: &str = "/v1/chat/completions";

/// An LM Studio that answers "from {name}".
fn server(name: &str) -> FakeServer {
    fake_lmstudio("m", &["from ", name])
}

/// Its next answer sends one token and then stays open (a long answer in progress),
/// keeping the request in flight until it is cancelled; later answers are normal again.
fn hold_next(s: &FakeServer, name: &str) {
    let parts = lmstudio_stream("m", &["held"], "stop");
    let held = Reply::sse(parts[..2].iter().map(Vec::as_slice).collect()).with_end(End::Hold);
    let normal = lmstudio_stream("m", &["from ", name], "stop");
    let normal = Reply::sse(normal.iter().map(Vec::as_slice).collect());
    s.on_seq("POST", CHAT, vec![held, normal]);
}

/// Every request held open.
fn hold_all(s: &FakeServer) {
    let parts = lmstudio_stream("m", &["held"], "stop");
    let held = Reply::sse(parts[..2].iter().map(Vec::as_slice).collect()).with_end(End::Hold);
    s.on("POST", CHAT, held);
}

/// The fast role on `endpoints` (url, weight, max_concurrent); the quality one nowhere.
fn config(endpoints: &[(&str, f64, usize)]) -> Config {
    let mut c = Config::default();
    c.hybrid.lm_studio.endpoints = endpoints
        .iter()
        .map(|&(url, weight, max)| Endpoint {
            url: url.into(),
            api: None,
            weight,
            max_concurrent: Some(max),
        })
        .collect();
    c.hybrid.ollama.endpoint = refused_url();
    c.hybrid.lm_studio.first_token_timeout_secs = 60;
    c.hybrid.lm_studio.idle_timeout_secs = 60;
    // A breaker that opens stays open for the whole test.
    c.hybrid.circuit_breaker.cooldown_secs = 600;
    c.hybrid.performance.cache_enabled = false;
    c
}

fn fast(id: u64, session: SessionChoice) -> Command {
    Command::Submit(Submit {
        route: RouteMode::Force(BackendId::Lmstudio),
        session,
        ..Submit::new(id, format!("question {id}"))
    })
}

/// The engine's events, kept per request so that waiting on one loses none of another's.
struct Events {
    engine: EngineHandle,
    seen: HashMap<u64, Vec<EventKind>>,
}

impl Events {
    fn new(engine: EngineHandle) -> Self {
        Self {
            engine,
            seen: HashMap::new(),
        }
    }

    fn send(&self, cmd: Command) {
        self.engine.commands.send(cmd).expect("engine alive");
    }

    /// Waits until request `id` has sent an event matching `f`; its events so far.
    async fn until(&mut self, id: u64, f: impl Fn(&EventKind) -> bool) -> Vec<EventKind> {
        loop {
            if self.seen.get(&id).is_some_and(|v| v.iter().any(&f)) {
                return self.seen[&id].clone();
            }
            let ev = tokio::time::timeout(Duration::from_secs(30), self.engine.events.recv())
                .await
                .unwrap_or_else(|_| {
                    panic!("request {id} went on in time: {:?}", self.seen.get(&id))
                })
                .expect("engine alive");
            self.seen.entry(ev.id).or_default().push(ev.kind);
        }
    }

    async fn text_started(&mut self, id: u64) {
        self.until(id, |k| matches!(k, EventKind::Delta { .. }))
            .await;
    }

    async fn end(&mut self, id: u64) -> Vec<EventKind> {
        self.until(id, |k| {
            matches!(
                k,
                EventKind::Done { .. } | EventKind::Error { .. } | EventKind::Cancelled { .. }
            )
        })
        .await
    }

    async fn cancel(&mut self, id: u64) {
        self.send(Command::Cancel(id));
        let ev = self.end(id).await;
        assert!(
            matches!(ev.last(), Some(EventKind::Cancelled { .. })),
            "{ev:?}"
        );
    }
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

fn served_by(events: &[EventKind]) -> Option<String> {
    events.iter().find_map(|e| match e {
        EventKind::Done { endpoint, .. } => endpoint.clone(),
        _ => None,
    })
}

fn session_of(events: &[EventKind]) -> SessionId {
    events
        .iter()
        .find_map(|e| match e {
            EventKind::Session { session, .. } => Some(*session),
            _ => None,
        })
        .expect("a session event")
}

fn chats(s: &FakeServer) -> usize {
    s.requests_to(CHAT).len()
}

#[tokio::test]
async fn each_request_goes_to_the_least_loaded_endpoint() {
    let servers = [server("a"), server("b"), server("c")];
    servers.iter().for_each(hold_all);
    let urls: Vec<String> = servers.iter().map(FakeServer::url).collect();
    let list: Vec<_> = urls.iter().map(|u| (u.as_str(), 1.0, 1)).collect();
    let mut e = Events::new(engine::spawn(config(&list)));
    for id in 1..=3 {
        e.send(fast(id, SessionChoice::New));
        e.text_started(id).await;
    }
    assert_eq!(servers.each_ref().map(chats), [1, 1, 1], "one each");
    // The second frees up: the next request goes there, not to the first listed.
    e.cancel(2).await;
    e.send(fast(4, SessionChoice::New));
    e.text_started(4).await;
    assert_eq!(servers.each_ref().map(chats), [1, 2, 1]);
    for id in [1, 3, 4] {
        e.cancel(id).await;
    }
}

#[tokio::test]
async fn a_failing_endpoint_is_routed_around_until_its_breaker_keeps_requests_away() {
    let (broken, b, c) = (server("a"), server("b"), server("c"));
    let boom =
        r#"{"error":{"code":500,"message":"CUDA error: out of memory","type":"server_error"}}"#;
    broken.on("POST", CHAT, Reply::json(500, boom));
    let urls = [broken.url(), b.url(), c.url()];
    let list: Vec<_> = urls.iter().map(|u| (u.as_str(), 1.0, 2)).collect();
    let mut e = Events::new(engine::spawn(config(&list)));
    // The first listed is tried while its breaker is closed (3 failures open it); each
    // failure is retried on the next endpoint, so every request is answered.
    for id in 1..=4 {
        e.send(fast(id, SessionChoice::New));
        let ev = e.end(id).await;
        assert_eq!(text(&ev), "from b", "{ev:?}");
        assert_eq!(served_by(&ev).as_deref(), Some(urls[1].as_str()));
        let retried = ev.iter().any(|k| {
            matches!(k, EventKind::Status { message, .. }
                if message.contains("CUDA error") && message.contains(&format!("trying LM Studio at {}", urls[1])))
        });
        assert_eq!(retried, id <= 3, "request {id}: {ev:?}");
    }
    assert_eq!(chats(&broken), 3, "the open breaker kept the fourth away");
    assert_eq!((chats(&b), chats(&c)), (4, 0));
}

#[tokio::test]
async fn weights_share_the_requests() {
    let (light, heavy) = (server("light"), server("heavy"));
    hold_all(&light);
    hold_all(&heavy);
    let (lu, hu) = (light.url(), heavy.url());
    let list = [(lu.as_str(), 1.0, 8), (hu.as_str(), 3.0, 8)];
    let mut e = Events::new(engine::spawn(config(&list)));
    for id in 1..=4 {
        e.send(fast(id, SessionChoice::New));
        e.text_started(id).await;
    }
    assert_eq!(
        (chats(&light), chats(&heavy)),
        (1, 3),
        "weight 3 takes three times the share"
    );
    for id in 1..=4 {
        e.cancel(id).await;
    }
}

#[tokio::test]
async fn a_follow_up_stays_on_its_endpoint_until_that_one_fails() {
    let servers = [server("a"), server("b"), server("c")];
    hold_next(&servers[0], "a");
    let urls: Vec<String> = servers.iter().map(FakeServer::url).collect();
    let list: Vec<_> = urls.iter().map(|u| (u.as_str(), 1.0, 2)).collect();
    let store = Arc::new(Store::in_memory().expect("a store in memory"));
    let engine = engine::Builder::new(config(&list)).store(store).spawn();
    let mut e = Events::new(engine);
    // With the first endpoint busy, the session's first turn goes to the second.
    e.send(fast(1, SessionChoice::New));
    e.text_started(1).await;
    e.send(fast(2, SessionChoice::New));
    let turn1 = e.end(2).await;
    assert_eq!(text(&turn1), "from b");
    e.cancel(1).await;
    let session = session_of(&turn1);
    // All idle now, the first listed would win a tie; the follow-up stays where its
    // conversation is cached.
    e.send(fast(3, SessionChoice::Resume(session)));
    let turn2 = e.end(3).await;
    assert_eq!(text(&turn2), "from b", "{turn2:?}");
    assert_eq!(served_by(&turn2).as_deref(), Some(urls[1].as_str()));
    // A request of another session is not held to it.
    e.send(fast(4, SessionChoice::New));
    assert_eq!(text(&e.end(4).await), "from a");
    // Its endpoint goes away: the turn moves on, and the next follows it there.
    servers[1].kill();
    e.send(fast(5, SessionChoice::Resume(session)));
    let turn3 = e.end(5).await;
    assert_eq!(text(&turn3), "from a", "{turn3:?}");
    assert_eq!(served_by(&turn3).as_deref(), Some(urls[0].as_str()));
    // Busier than the idle third with another session's request, it keeps this one's.
    hold_next(&servers[0], "a");
    e.send(fast(6, SessionChoice::New));
    e.text_started(6).await;
    e.send(fast(7, SessionChoice::Resume(session)));
    let turn4 = e.end(7).await;
    assert_eq!(text(&turn4), "from a", "{turn4:?}");
    assert_eq!(chats(&servers[2]), 0);
    e.cancel(6).await;
}

#[tokio::test]
async fn a_named_model_goes_to_an_endpoint_that_has_it() {
    let (a, b) = (server("a"), fake_lmstudio("big-model", &["from ", "big"]));
    let (au, bu) = (a.url(), b.url());
    let mut e = Events::new(engine::spawn(config(&[(&au, 1.0, 2), (&bu, 1.0, 2)])));
    e.send(Command::Submit(Submit {
        route: RouteMode::Force(BackendId::Lmstudio),
        model: Some("big-model".into()),
        ..Submit::new(1, "hello")
    }));
    let ev = e.end(1).await;
    assert_eq!(text(&ev), "from big", "{ev:?}");
    assert_eq!(chats(&a), 0);
}

#[test]
fn an_endpoint_off_this_machine_is_refused_unless_allowed() {
    let a = server("a");
    let ol = fake_ollama(&["llama3.2:latest"], &[]);
    let dir = tempfile::tempdir().unwrap();
    // 192.0.2.0/24 is reserved for documentation: nothing is ever sent there.
    let extra = format!(
        "\n[[hybrid.lm_studio.endpoints]]\nurl = \"{}\"\n\n\
         [[hybrid.lm_studio.endpoints]]\nurl = \"http://192.0.2.7:1234\"\n",
        a.url()
    );
    write_config(dir.path(), &refused_url(), &ol.url(), &extra);
    let out = support::cli(dir.path())
        .args(["doctor", "--json"])
        .output()
        .unwrap();
    let list: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let remote = &list[1];
    assert_eq!(remote["endpoint"], "http://192.0.2.7:1234");
    assert_eq!(remote["up"], false);
    let error = remote["error"].as_str().unwrap_or_default();
    assert!(
        error.contains("not on this machine") && error.contains("allow_remote = true"),
        "{error}"
    );
    assert_eq!(list[0]["up"], true, "the local one is unaffected");
}

#[test]
fn doctor_lists_each_endpoint_of_a_role() {
    let (a, b) = (server("a"), server("b"));
    let down = refused_url();
    let ol = fake_ollama(&["llama3.2:latest"], &[]);
    let dir = tempfile::tempdir().unwrap();
    let extra = format!(
        "\n[[hybrid.lm_studio.endpoints]]\nurl = \"{}\"\n\n\
         [[hybrid.lm_studio.endpoints]]\nurl = \"{down}\"\nweight = 2\nmax_concurrent = 4\n\n\
         [[hybrid.lm_studio.endpoints]]\nurl = \"{}\"\n",
        a.url(),
        b.url()
    );
    write_config(dir.path(), &refused_url(), &ol.url(), &extra);
    let out = support::cli(dir.path()).arg("doctor").output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "one endpoint is down: {text}");
    for (i, url) in [a.url(), down.clone(), b.url()].iter().enumerate() {
        assert!(
            text.contains(&format!("LM Studio (fast) · {url}")),
            "{url}: {text}"
        );
        assert!(text.contains(&format!("endpoint {} of 3", i + 1)), "{text}");
    }
    assert!(
        text.contains("endpoint 2 of 3, weight 2, up to 4 at once"),
        "{text}"
    );
    assert!(text.contains(&format!("not answering on {down}")), "{text}");
    let out = support::cli(dir.path())
        .args(["doctor", "--json"])
        .output()
        .unwrap();
    let list: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let entries: Vec<(String, String, bool)> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|h| {
            let s = |k: &str| h[k].as_str().unwrap_or_default().to_owned();
            (
                s("backend"),
                s("endpoint"),
                h["up"].as_bool().unwrap_or(false),
            )
        })
        .collect();
    let lm = |url: String, up| ("lmstudio".to_owned(), url, up);
    assert_eq!(
        entries,
        [
            lm(a.url(), true),
            lm(down, false),
            lm(b.url(), true),
            ("ollama".to_owned(), ol.url(), true)
        ]
    );
}
