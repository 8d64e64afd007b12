//! What checking a draft's own code costs: `engine::examples::checked` on an answer that
//! claims a result for its Python function (a bubblewrap sandbox, python3 and the claim
//! driver), and on Rust and Java answers that do not build (the compile check: rustc,
//! javac), and on a textbook pattern that matches the wrong strings (Python's `re`),
//! against the static score alone, alternated so both see the same machine load.
//! Printed as medians and 90th percentiles over `EXAMPLES_RUNS` runs (default 40).

use std::time::{Duration, Instant};

use codecrucible::confidence::{score, Draft};
use codecrucible::config::Config;
use codecrucible::engine::examples;
use codecrucible::router::TaskType;

const ANSWER: &str =
    "```python\ndef sum_to(n):\n    total = 0\n    for i in range(1, n):\n        \
                      total += i\n    return total\n```\n\nFor example `sum_to(5)` returns 15.\n";

const RUST: &str = "```rust\nfn mean(values: &[f64]) -> f64 {\n    let total: f64 = \
                    values.iter().sum();\n    total / values.len()\n}\n```\n";

const JAVA: &str = "```java\npublic static int count(String s) {\n    int n = s;\n    \
                    return n;\n}\n```\n";

fn pct(mut v: Vec<Duration>, p: usize) -> f64 {
    v.sort_unstable();
    v[(v.len() * p / 100).min(v.len() - 1)].as_secs_f64() * 1000.0
}

fn main() {
    if let Err(e) = codecrucible::sandbox::profile::available() {
        println!("examples: SKIPPED: {}", e.sentence());
        return;
    }
    let cfg = Config::default().sandbox;
    let n: usize = std::env::var("EXAMPLES_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(40);
    for (what, prompt, answer) in [
        (
            "a Python claim",
            "Write a Python function that adds the integers 1 to n.",
            ANSWER,
        ),
        ("Rust compiled", "Rust: the mean of a slice of f64.", RUST),
        ("Java compiled", "Java: count something in a string.", JAVA),
        (
            "a regex tried",
            "Write a regex that matches a string of only digits.",
            "```\n^[01]\n```\n",
        ),
    ] {
        let draft = Draft {
            prompt,
            answer,
            task_type: TaskType::Generation,
            finish_reason: Some("stop"),
            logprobs: &[],
        };
        measure(&cfg, &draft, what, n);
    }
}

fn measure(cfg: &codecrucible::config::Sandbox, draft: &Draft, what: &str, n: usize) {
    let first = examples::scored(cfg, draft);
    assert!(
        first.signals.contains_key("examples"),
        "{what}: the check ran: {first:?}"
    );
    let (mut checked, mut plain) = (Vec::new(), Vec::new());
    for _ in 0..n {
        let t = Instant::now();
        let r = examples::scored(cfg, draft);
        checked.push(t.elapsed());
        assert!(r.score < 0.3, "{what}: the mistake is found");
        let t = Instant::now();
        std::hint::black_box(score(draft));
        plain.push(t.elapsed());
    }
    println!(
        "examples ({what}): checked in the sandbox, median {:.1} ms, p90 {:.1} ms; static \
         score alone, median {:.3} ms ({n} runs each)",
        pct(checked.clone(), 50),
        pct(checked, 90),
        pct(plain, 50)
    );
}
