//! Routing accuracy on labelled prompts: our own development set, and the public set in
//! ../shared/eval (kept for measuring, never tuned against line by line).
//! `ROUTING_VERBOSE=1 cargo test --test all routing_eval -- --nocapture` lists every miss.

use std::collections::BTreeMap;
use std::path::PathBuf;

use codecrucible::config::Config;
use codecrucible::router::{analyze, decide, BackendState, Route, Signals, TaskType};

struct Row {
    id: String,
    prompt: String,
    route: Route,
    task: TaskType,
}

fn load(path: &PathBuf) -> Vec<Row> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).expect("valid JSON line");
            Row {
                id: v["id"].as_str().unwrap_or("?").to_owned(),
                prompt: v["prompt"].as_str().expect("prompt").to_owned(),
                route: Route::parse(v["route"].as_str().expect("route")).expect("known route"),
                task: TaskType::parse(v["task_type"].as_str().expect("task_type"))
                    .expect("known task type"),
            }
        })
        .collect()
}

struct Score {
    route_ok: usize,
    task_ok: usize,
    total: usize,
    confusion: BTreeMap<(&'static str, &'static str), usize>,
}

fn evaluate(rows: &[Row]) -> Score {
    let routing = Config::default().hybrid.routing;
    let signals = Signals {
        health: codecrucible::PerBackend::splat(BackendState::Up),
        max_concurrent: codecrucible::PerBackend::new(2, 1),
        ..Signals::default()
    };
    let verbose = std::env::var("ROUTING_VERBOSE").is_ok();
    let mut s = Score {
        route_ok: 0,
        task_ok: 0,
        total: rows.len(),
        confusion: BTreeMap::new(),
    };
    for r in rows {
        let d = decide(&analyze(&r.prompt, &[]), None, &routing, &signals);
        s.route_ok += usize::from(d.selected == r.route);
        s.task_ok += usize::from(d.task_type == r.task);
        *s.confusion
            .entry((r.route.as_str(), d.selected.as_str()))
            .or_default() += 1;
        if verbose && (d.selected != r.route || d.task_type != r.task) {
            let short: String = r
                .prompt
                .chars()
                .take(110)
                .collect::<String>()
                .replace('\n', " ");
            println!(
                "{} want {}/{} got {}/{}: {short}\n    {}",
                r.id,
                r.route.as_str(),
                r.task,
                d.selected.as_str(),
                d.task_type,
                d.reasoning
            );
        }
    }
    s
}

fn report(name: &str, s: &Score) -> (f64, f64) {
    let route = s.route_ok as f64 / s.total as f64;
    let task = s.task_ok as f64 / s.total as f64;
    println!(
        "{name}: route agreement {:.1}% ({}/{}), task-type agreement {:.1}% ({}/{})",
        route * 100.0,
        s.route_ok,
        s.total,
        task * 100.0,
        s.task_ok,
        s.total
    );
    println!("  confusion (rows: label, columns: decision)");
    println!(
        "  {:>10} {:>9} {:>7} {:>7}",
        "", "lmstudio", "ollama", "hybrid"
    );
    for want in Route::ALL {
        let row: Vec<usize> = Route::ALL
            .iter()
            .map(|got| {
                s.confusion
                    .get(&(want.as_str(), got.as_str()))
                    .copied()
                    .unwrap_or(0)
            })
            .collect();
        println!(
            "  {:>10} {:>9} {:>7} {:>7}",
            want.as_str(),
            row[0],
            row[1],
            row[2]
        );
    }
    (route, task)
}

/// Measures one labelled set against its floors.
fn measure(name: &str, file: &str, min_rows: usize, route_floor: f64, task_floor: f64) {
    let rows = load(&PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(file));
    assert!(rows.len() >= min_rows, "{file} has {} rows", rows.len());
    let (route, task) = report(name, &evaluate(&rows));
    assert!(
        route >= route_floor,
        "{name}: route agreement {route:.3} is under {route_floor}"
    );
    assert!(
        task >= task_floor,
        "{name}: task-type agreement {task:.3} is under {task_floor}"
    );
}

/// The development sets are among the classifier's training rows, so these two measure
/// fit, not generalisation; the held-out sets measure that.
#[test]
fn development_set() {
    measure(
        "development set",
        "tests/data/routing_dev.jsonl",
        150,
        0.95,
        0.95,
    );
}

/// A second development set by another author; it was held out until its first
/// measurement (79% route agreement), then used for development and training.
#[test]
fn second_development_set() {
    measure(
        "second development set",
        "tests/data/routing_dev2.jsonl",
        100,
        0.95,
        0.95,
    );
}

/// Written by a third author after the cue rules were built. Its numbers were looked at
/// while the rules changed, so it is only half held out; it is not trained on.
#[test]
fn held_out_set() {
    measure(
        "held-out set",
        "tests/data/routing_holdout.jsonl",
        100,
        0.88,
        0.82,
    );
}

/// The floors on ../shared/eval: 90% route and 85% task-type agreement.
#[test]
fn public_set_meets_the_floors() {
    measure(
        "public set",
        "../shared/eval/routing_public.jsonl",
        60,
        0.90,
        0.85,
    );
}

/// Written blind to the router by an author who saw only the routing policy (225 prompts
/// in 13 languages, 66 of them misleading); evaluation only, never trained or tuned on.
#[test]
fn second_held_out_set() {
    measure(
        "second held-out set",
        "tests/data/routing_heldout2.jsonl",
        200,
        0.90,
        0.88,
    );
}

/// A third blind set (191 prompts, 91 not in English), written while the classifier's
/// training rows were, and first measured after the classifier was trained.
#[test]
fn third_held_out_set() {
    measure(
        "third held-out set",
        "tests/data/routing_heldout3.jsonl",
        150,
        0.88,
        0.85,
    );
}
