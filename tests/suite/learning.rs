//! The router learns from outcomes: fake servers where the fast model fails one task class
//! (its drafts are cut off and escalate) while it does well on the others.

use crate::support;

use std::time::Duration;

use codecrucible::backend::BackendId;
use codecrucible::config::Config;
use codecrucible::engine::{self, Command, EngineHandle, EventKind, Submit};
use codecrucible::router::TaskType;
use support::protocol::*;
use support::{FakeServer, Reply};

const REQUESTS: usize = 200;

/// The fast server: every "implement …" request gets a draft cut off at the token limit
/// (weak: it escalates); everything else gets a sound answer.
fn fast_server() -> FakeServer {
    let good = [
        "Here is the function rewritten with iterators:\n\n```rust\n",
        "fn total(values: &[i32]) -> i32 {\n    values.iter().sum()\n}\n```\n\n",
        "It borrows a slice and sums it with `iter().sum()`, so no mutable state is needed.\n",
    ];
    let s = fake_lmstudio("qwen-coder-1.5b", &good);
    let cut = lmstudio_stream(
        "qwen-coder-1.5b",
        &[
            "```rust\nfn parse(s: &str) -> Vec<",
            "Token> {\n    let mut",
        ],
        "length",
    );
    s.on_body(
        "POST",
        "/v1/chat/completions",
        "implement",
        Reply::sse(cut.iter().map(|p| p.as_slice()).collect()),
    );
    s
}

fn config(lm: &str, ol: &str, learning: bool) -> Config {
    let mut c = Config::default();
    c.hybrid.lm_studio.endpoint = lm.into();
    c.hybrid.ollama.endpoint = ol.into();
    c.hybrid.ollama.max_concurrent = 4;
    c.hybrid.routing.learning_enabled = learning;
    c
}

/// The i-th request: three task classes in turn, each prompt different.
fn prompt(i: usize) -> String {
    let n = i / 3;
    match i % 3 {
        0 => format!("implement a tokenizer for arithmetic expressions number {n} in Rust"),
        1 => format!(
            "refactor this function to use iterators: fn total_{n}(v: &Vec<i32>) -> i32 {{ let mut s = 0; for x in v {{ s += x; }} s }}"
        ),
        _ => format!("reformat this JSON with two-space indentation: {{\"id\":{n},\"ok\":true}}"),
    }
}

/// What one request did.
#[derive(Debug)]
struct Outcome {
    task: TaskType,
    first: BackendId,
    escalated: bool,
}

async fn run(engine: &mut EngineHandle, i: usize) -> Outcome {
    let id = i as u64 + 1;
    let _ = engine
        .commands
        .send(Command::Submit(Submit::new(id, prompt(i))));
    let mut out = Outcome {
        task: TaskType::Format,
        first: BackendId::Lmstudio,
        escalated: false,
    };
    loop {
        let ev = tokio::time::timeout(Duration::from_secs(30), engine.events.recv())
            .await
            .expect("in time")
            .expect("engine running");
        assert_eq!(ev.id, id);
        match ev.kind {
            EventKind::Route {
                decision, backend, ..
            } => {
                out.task = decision.task_type;
                out.first = backend;
            }
            EventKind::Escalate { .. } => out.escalated = true,
            EventKind::Done { .. } => return out,
            EventKind::Error { message, .. } => panic!("request {i} failed: {message}"),
            _ => {}
        }
    }
}

async fn session(learning: bool) -> Vec<Outcome> {
    let lm = fast_server();
    let ol = fake_ollama(
        &["qwen2.5-coder:32b"],
        &["```rust\nfn parse(s: &str) -> Vec<Token> {\n    lex(s)\n}\n```\n"],
    );
    let mut engine = engine::Builder::new(config(&lm.url(), &ol.url(), learning))
        .seed(42)
        .spawn();
    let mut outcomes = Vec::with_capacity(REQUESTS);
    for i in 0..REQUESTS {
        outcomes.push(run(&mut engine, i).await);
    }
    outcomes
}

fn class(outcomes: &[Outcome], task: TaskType) -> Vec<&Outcome> {
    outcomes.iter().filter(|o| o.task == task).collect()
}

fn escalations(outcomes: &[Outcome]) -> usize {
    outcomes.iter().filter(|o| o.escalated).count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_router_learns_to_send_a_failing_class_to_quality_first() {
    let off = session(false).await;
    let on = session(true).await;

    // The prompts fall into the three classes the test means.
    for outcomes in [&off, &on] {
        assert_eq!(class(outcomes, TaskType::Generation).len(), 67);
        assert_eq!(class(outcomes, TaskType::Refactor).len(), 67);
        assert_eq!(class(outcomes, TaskType::Format).len(), 66);
    }
    // Without learning, every failing-class request wastes an escalation.
    let wasted_off = escalations(&off);
    assert_eq!(wasted_off, 67, "{off:?}");

    // With learning, the failing class stops going to the fast model first…
    let failing = class(&on, TaskType::Generation);
    let late_fast = failing[37..]
        .iter()
        .filter(|o| o.first == BackendId::Lmstudio)
        .count();
    assert!(
        late_fast <= 3,
        "{late_fast} of the last 30 generation requests still went fast first"
    );
    // …wasted escalations fall by at least half…
    let wasted_on = escalations(&on);
    assert!(
        wasted_on * 2 <= wasted_off,
        "wasted escalations: {wasted_on} with learning, {wasted_off} without"
    );
    // …and the classes the fast model handles stay fast.
    for task in [TaskType::Refactor, TaskType::Format] {
        let fast = class(&on, task)
            .iter()
            .filter(|o| o.first == BackendId::Lmstudio && !o.escalated)
            .count();
        assert!(fast >= 64, "{task}: only {fast} of 66/67 stayed fast");
    }
    eprintln!(
        "wasted escalations: {wasted_off} without learning, {wasted_on} with; \
         fast-first in the last 30 failing-class requests: {late_fast}"
    );
}

fn cli_setup() -> (FakeServer, FakeServer, tempfile::TempDir) {
    let lm = fast_server();
    let ol = fake_ollama(&["qwen2.5-coder:32b"], &["```rust\nfn parse() {}\n```\n"]);
    let dir = tempfile::tempdir().unwrap();
    write_config(dir.path(), &lm.url(), &ol.url(), "");
    (lm, ol, dir)
}

fn stored(dir: &std::path::Path) -> codecrucible::store::Store {
    codecrucible::store::Store::open(&dir.join("data/history.db")).expect("opens")
}

#[test]
fn outcomes_and_feedback_are_learned_across_runs_and_can_be_cleared() {
    use predicates::str::contains;
    let (_lm, _ol, dir) = cli_setup();
    support::cli(dir.path())
        .args(["-p", &prompt(0)])
        .assert()
        .success()
        .stderr(contains("escalating"));
    // The weak fast draft counts against the fast server, the escalation's answer for
    // the quality one.
    // Every request's analysis features, decision and backend are kept with it.
    let route = stored(dir.path())
        .decisions(1)
        .unwrap()
        .into_iter()
        .find(|d| d.kind == codecrucible::store::DecisionKind::Route)
        .expect("the route decision is stored");
    assert_eq!(route.data["task_type"], "generation");
    assert_eq!(route.data["backend"], "lmstudio");
    assert!(
        route.data["features"]["verbs"]
            .as_array()
            .is_some_and(|v| !v.is_empty()),
        "{}",
        route.data
    );
    let out = support::cli(dir.path())
        .args(["sessions", "show", "1", "--json"])
        .output()
        .unwrap();
    let shown: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let kinds: Vec<&str> = shown["decisions"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|d| d["kind"].as_str())
        .collect();
    assert_eq!(
        kinds,
        ["route", "confidence", "escalate", "done", "learning"]
    );
    let rows = stored(dir.path()).learning().unwrap();
    assert_eq!(rows.len(), 1, "{rows:?}");
    let (task, _, stats) = rows[0];
    assert_eq!(task, TaskType::Generation);
    // (The later quality outcome has already faded the fast one a little.)
    assert!(
        stats.fast.failures > 0.95 && stats.quality.successes == 1.0,
        "{stats:?}"
    );
    // Rejecting the quality answer counts against the quality server, double.
    support::cli(dir.path())
        .args(["feedback", "1", "bad"])
        .assert()
        .success()
        .stderr(contains(
            "less trust in quality answers to generation requests",
        ));
    let stats = stored(dir.path()).learning().unwrap()[0].2;
    assert_eq!(stats.observations, 3);
    assert!(stats.quality.failures > 1.9, "{stats:?}");
    let out = support::cli(dir.path())
        .args(["metrics", "--json"])
        .output()
        .unwrap();
    let m: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(m["learning"]["observations"], 3);
    assert_eq!(m["learning"]["classes"][0]["task_type"], "generation");
    support::cli(dir.path())
        .args(["config", "reset", "hybrid.routing.learningData"])
        .assert()
        .success()
        .stderr(contains("cleared 1 task classes of learning data"));
    assert!(stored(dir.path()).learning().unwrap().is_empty());
}

#[tokio::test]
async fn an_engine_starts_from_what_earlier_runs_learned_unless_learning_is_off() {
    use codecrucible::router::learn::{band, Arm};
    use codecrucible::store::{Observation, Store};
    let lm = fast_server();
    let ol = fake_ollama(&["qwen2.5-coder:32b"], &["fn parse() {}"]);
    let store = std::sync::Arc::new(Store::in_memory().unwrap());
    // What the route of prompt(0) looks like, to learn about exactly its class.
    let analysis = codecrucible::router::analyze(&prompt(0), &[]);
    assert_eq!(analysis.task_type, TaskType::Generation);
    for _ in 0..10 {
        let o = Observation {
            task_type: TaskType::Generation,
            band: band(analysis.complexity),
            arm: Arm::Fast,
            success: false,
        };
        store.learn(&o, 1.0).unwrap();
    }
    for (learning, expected) in [(true, BackendId::Ollama), (false, BackendId::Lmstudio)] {
        let mut engine = engine::Builder::new(config(&lm.url(), &ol.url(), learning))
            .store(std::sync::Arc::clone(&store))
            // Thompson sampling still explores the fast server ~3% of the time; this seed's
            // first draw does not.
            .seed(1)
            .spawn();
        let _ = engine
            .commands
            .send(Command::Submit(Submit::new(1, prompt(0))));
        let mut ev = engine.events.recv().await.unwrap();
        if matches!(ev.kind, EventKind::Session { .. }) {
            ev = engine.events.recv().await.unwrap();
        }
        let EventKind::Route {
            decision, backend, ..
        } = ev.kind
        else {
            panic!("the route comes first: {ev:?}")
        };
        assert_eq!(
            backend, expected,
            "learning {learning}: {}",
            decision.reasoning
        );
        if learning {
            assert_eq!(
                decision.adjustments[0].kind,
                codecrucible::router::AdjustmentKind::Learning
            );
            assert!(decision
                .reasoning
                .contains("learned from 10 past generation requests"));
        }
    }
}
