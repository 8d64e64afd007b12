//! Routing decision time: analyse + decide for a 2 KB prompt. Target: median ≤ 50 µs.

use criterion::{criterion_group, criterion_main, Criterion};

use codecrucible::config::Config;
use codecrucible::router::{analyze, decide, BackendState, Signals};

/// About 2 KB: a request, some context, and a pasted Rust function.
fn prompt_2kb() -> String {
    let mut p = String::from(
        "hey, quick one: our worker pool in src/pool.rs sometimes deadlocks under load when two \
         jobs finish at the same time. I think it is the order we take the two mutexes in \
         `finish()`, though I can't tell for certain. Can you find the root cause and explain a fix? It started \
         after we moved the metrics update into the critical section last week.\n```rust\n",
    );
    while p.len() < 1900 {
        p += "fn finish(&self, id: JobId) {\n    let mut jobs = self.jobs.lock().unwrap();\n    let mut stats = self.stats.lock().unwrap();\n    stats.done += 1;\n    jobs.remove(&id);\n}\n";
    }
    p += "```\nthanks!";
    p
}

fn bench(c: &mut Criterion) {
    let prompt = prompt_2kb();
    assert!((1900..2300).contains(&prompt.len()), "{}", prompt.len());
    let routing = Config::default().hybrid.routing;
    let signals = Signals {
        health: codecrucible::PerBackend::splat(BackendState::Up),
        max_concurrent: codecrucible::PerBackend::new(2, 1),
        ..Signals::default()
    };
    // Build the lexicon index once, as a running engine would have.
    let _ = decide(&analyze(&prompt, &[]), None, &routing, &signals);
    c.bench_function("route_2kb_prompt", |b| {
        b.iter(|| {
            decide(
                &analyze(std::hint::black_box(&prompt), &[]),
                None,
                &routing,
                &signals,
            )
        })
    });
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(50);
    targets = bench
}
criterion_main!(benches);
