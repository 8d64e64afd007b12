//! The confidence scorer through its public interface: each signal on valid, broken and
//! fragmentary answers, and the quality of the overall score on labelled fast answers.
//!
//! tests/data/confidence_answers.jsonl holds real llama-server answers (gemma-3 270M base,
//! scripts/real-server.sh; ids `ls-*`, with their finish reason and token logprobs) and
//! hand-written ones (`hand-*`, no logprobs), each labelled good or bad by reading it. Some
//! server answers were asked with a few example turns before the recorded prompt and with
//! stop strings (hence the finish reason `stop`); the row keeps the last user message.
//! `CONFIDENCE_VERBOSE=1 cargo test --test all confidence -- --nocapture` lists every row.

use codecrucible::backend::TokenLogprob;
use codecrucible::confidence::{score, Draft, Report};
use codecrucible::router::TaskType;
use proptest::prelude::*;

fn draft<'a>(task: TaskType, prompt: &'a str, answer: &'a str) -> Draft<'a> {
    Draft {
        prompt,
        answer,
        task_type: task,
        finish_reason: Some("stop"),
        logprobs: &[],
    }
}

fn gen(prompt: &str, answer: &str) -> Report {
    score(&draft(TaskType::Generation, prompt, answer))
}

fn signal(r: &Report, name: &str) -> Option<f32> {
    r.signals.get(name).map(|s| s.score)
}

// ---- syntax, per grammar ----

/// (fence tag, valid code, a valid fragment, broken code)
const GRAMMARS: [(&str, &str, &str, &str); 13] = [
    (
        "rust",
        "fn add(a: i32, b: i32) -> i32 {\n    a + b\n}\n",
        "let v: Vec<i32> = xs.iter().map(|x| x * 2).collect();\n// ...existing code...\nprintln!(\"{v:?}\");\n",
        "fn add(a: i32, b: i32) -> i32 {\n    a +\n}}\nlet = ;\n",
    ),
    (
        "python",
        "def add(a, b):\n    return a + b\n",
        "    def area(self):\n        # ...\n        return self.w * self.h\n",
        "def add(a, b)\n    return a +\n",
    ),
    (
        "js",
        "function add(a, b) {\n  return a + b;\n}\n",
        "if (!ok) {\n  return null;\n}\n...\nconst rest = [...items];\n",
        "function add(a, b {\n  return a + b;;\n)\n",
    ),
    (
        "ts",
        "interface P { x: number; y: number }\nconst p: P = { x: 1, y: 2 };\n",
        "  private load(id: string): Promise<User> {\n    return this.repo.get(id);\n  }\n",
        "interface P { x: number; y: }\nconst p: P = { x: 1, y: 2 ;\n",
    ),
    (
        "tsx",
        "export const Hi = ({ name }: { name: string }) => <p>Hi {name}</p>;\n",
        "return (\n  <ul>\n    {items.map((i) => <li key={i}>{i}</li>)}\n  </ul>\n);\n",
        "export const Hi = () => <p><b>Hi</p>;\n",
    ),
    (
        "go",
        "package main\n\nfunc add(a, b int) int {\n\treturn a + b\n}\n",
        "data, err := os.ReadFile(path)\nif err != nil {\n\treturn err\n}\n",
        "func add(a: int, b: int) -> int {\n\treturn a + b\n}\n",
    ),
    (
        "java",
        "public class Greeter {\n    public String greet(String name) {\n        return \"Hi \" + name;\n    }\n}\n",
        "public int len(String s) {\n    if (s == null) {\n        return 0;\n    }\n    return s.length();\n}\n",
        "public int len(String s) {\n    if (s == null) {\n        return 0\n    }\n    return s.length();\n}\n",
    ),
    (
        "c",
        "#include <string.h>\n\nsize_t count(const char *s) {\n    return strlen(s);\n}\n",
        "for (int i = 0; i < n; i++) {\n    sum += a[i];\n}\n",
        "int add(int a, int b) {\n    return a + b\n}\nint main( {\n",
    ),
    (
        "bash",
        "#!/usr/bin/env bash\nset -euo pipefail\nfor f in *.log; do\n  gzip \"$f\"\ndone\n",
        "if [ -z \"$1\" ]; then\n  echo \"usage: $0 DIR\" >&2\n  exit 1\nfi\n",
        "if [ ! -d \"$src\" ]\n  echo \"missing\" >&2\n  exit 1\nfi\n",
    ),
    (
        "json",
        "{\n  \"name\": \"app\",\n  \"tags\": [\"a\", \"b\"]\n}\n",
        "{\n  \"name\": \"app\",\n  \"scripts\": { ... },\n  // ...\n}\n",
        "{\n  name: 'app',\n  \"tags\": [\"a\" \"b\"]\n}\n",
    ),
    (
        "toml",
        "[package]\nname = \"app\"\nversion = \"0.1.0\"\n",
        "[dependencies]\n# ...\nserde = { version = \"1\", features = [\"derive\"] }\n...\n",
        "[package\nname = app\n",
    ),
    (
        "yaml",
        "services:\n  db:\n    image: postgres:16\n    ports:\n      - \"5432:5432\"\n",
        "steps:\n  # ...\n  - run: cargo test\n",
        "services:\n  db:\n    image: postgres\n   ports: [1, 2\n",
    ),
    (
        "diff",
        "--- a/a.py\n+++ b/a.py\n@@ -1,2 +1,2 @@\n def f():\n-    return 1\n+    return 2\n",
        "@@ -10,3 +10,3 @@\n ...\n-x = 1\n+x = 2\n",
        "I changed the function.\nIt now returns two.\n+    return 2\n",
    ),
];

fn fenced(tag: &str, code: &str) -> String {
    format!("Here you go:\n\n```{tag}\n{code}```\n\nThis does what you asked.")
}

#[test]
fn syntax_valid_code_and_fragments_parse_in_every_grammar() {
    for (tag, valid, fragment, _) in GRAMMARS {
        for code in [valid, fragment] {
            let r = gen("Write it.", &fenced(tag, code));
            assert_eq!(
                signal(&r, "syntax"),
                Some(1.0),
                "{tag}:\n{code}\n{:?}",
                r.signals.get("syntax")
            );
        }
    }
}

#[test]
fn syntax_broken_code_scores_low_in_every_grammar() {
    for (tag, valid, _, broken) in GRAMMARS {
        let bad = gen("Write it.", &fenced(tag, broken));
        let good = gen("Write it.", &fenced(tag, valid));
        let s = signal(&bad, "syntax").expect("a syntax signal");
        assert!(s < 0.75, "{tag}: {s} {:?}", bad.signals.get("syntax"));
        assert!(
            bad.score < good.score,
            "{tag}: {} vs {}",
            bad.score,
            good.score
        );
        assert!(!bad.problems().is_empty(), "{tag}");
    }
}

/// One broken line in thirty-one already means the code does not run as given; half the
/// code broken scores lower still.
#[test]
fn syntax_one_broken_line_caps_the_signal_and_the_share_still_counts() {
    let mut code = String::new();
    for i in 0..30 {
        code += &format!("let x{i} = {i};\n");
    }
    let one_typo = format!("{code}let y = (;\n");
    let half_broken = format!("{code}{}", "let = = ;\n".repeat(30));
    let s1 = signal(&gen("Write it.", &fenced("rust", &one_typo)), "syntax").expect("signal");
    let s2 = signal(&gen("Write it.", &fenced("rust", &half_broken)), "syntax").expect("signal");
    assert!(s1 <= 0.3, "{s1}");
    assert!(s2 < s1, "{s2} {s1}");
    let overall = gen("Write it.", &fenced("rust", &one_typo)).score;
    assert!(overall < 0.6, "{overall}");
}

#[test]
fn unknown_language_and_no_code_leave_syntax_out() {
    let r = gen("Write it.", &fenced("haskell", "main = putStrLn \"hi\"\n"));
    assert_eq!(signal(&r, "syntax"), None);
    let r = gen("Write it.", &fenced("", "whatever }}} ((\n"));
    assert_eq!(signal(&r, "syntax"), None);
    let r = score(&draft(
        TaskType::Documentation,
        "What is 404?",
        "Not Found: nothing at that URL.",
    ));
    assert_eq!(signal(&r, "syntax"), None);
}

// ---- truncation, refusal, hedging, length, code, language, repetition, logprobs ----

#[test]
fn truncation_pulls_the_score_down_hard() {
    let answer = fenced("rust", "fn add(a: i32, b: i32) -> i32 {\n    a + b\n}\n");
    let mut d = draft(
        TaskType::Generation,
        "Write an add function in Rust.",
        &answer,
    );
    let whole = score(&d).score;
    d.finish_reason = Some("length");
    let cut = score(&d);
    assert!(whole > 0.9, "{whole}");
    assert!(cut.score <= 0.05, "{}", cut.score);
    assert!(cut.problems().iter().any(|p| p.contains("token limit")));
    let open = gen(
        "Write an add function in Rust.",
        "```rust\nfn add(a: i32, b: i32) -> i32 {\n    a + b\n}\n",
    );
    assert!(open.score <= 0.25, "{}", open.score);
}

#[test]
fn empty_and_refusing_answers_score_low() {
    for a in [
        "",
        "  \n",
        "I'm sorry, but I can't help with that.",
        "As an AI language model, I cannot write code.",
    ] {
        let r = gen("Write a Rust function that reads a file.", a);
        assert!(r.score <= 0.1, "{a:?}: {}", r.score);
        assert!(signal(&r, "refusal").is_some_and(|s| s <= 0.1));
    }
}

#[test]
fn hedging_by_density() {
    let p = "Why does my Go program panic with 'assignment to entry in nil map'?";
    let sure = "A map declared with `var m map[string]int` is nil; reading it works but writing panics. \
                Create it first with `m := make(map[string]int)` or a literal, and the write succeeds. \
                In a struct, initialise the field in the constructor.";
    let unsure = "I'm not sure, but I think it might possibly be the map. Maybe the map is broken, or \
                  perhaps it could be a bug in Go. I don't know; it is probably worth trying again.";
    let a = score(&draft(TaskType::Debugging, p, sure));
    let b = score(&draft(TaskType::Debugging, p, unsure));
    assert_eq!(signal(&a, "hedging"), Some(1.0));
    assert!(signal(&b, "hedging").expect("signal") < 0.3);
    assert!(b.score < a.score);
}

#[test]
fn too_short_for_the_task() {
    let p = "Why does my React component re-render on every keystroke in a sibling input?";
    let r = score(&draft(TaskType::Analysis, p, "It might be state."));
    assert!(signal(&r, "length").expect("signal") < 0.3);
    let r = score(&draft(
        TaskType::Edit,
        "Fix the typo: 'Teh quick brown fox'",
        "The quick brown fox",
    ));
    assert_eq!(signal(&r, "length"), Some(1.0));
    assert!(r.score > 0.9, "{}", r.score);
}

#[test]
fn code_task_without_code_block() {
    let r = gen(
        "Write a Python function that merges two sorted lists.",
        "Walk both lists with two indices and take the smaller element each time.",
    );
    assert!(signal(&r, "code_block").expect("signal") < 0.2);
    let r = score(&draft(
        TaskType::Documentation,
        "What is a mutex?",
        "A lock that lets one thread at a time use shared data.",
    ));
    assert_eq!(signal(&r, "code_block"), None);
}

#[test]
fn code_in_the_wrong_language() {
    let r = gen(
        "Write a Go function that reverses a slice.",
        &fenced("python", "def rev(xs):\n    return xs[::-1]\n"),
    );
    assert!(signal(&r, "language").expect("signal") < 0.5);
    let r = gen(
        "Write a Python function that reverses a list.",
        &fenced("python", "def rev(xs):\n    return xs[::-1]\n"),
    );
    assert_eq!(signal(&r, "language"), Some(1.0));
}

#[test]
fn repetition_caps_the_score() {
    let looped = "A process is a program. A thread is a program. ".repeat(10);
    let r = score(&draft(
        TaskType::Documentation,
        "Explain processes and threads.",
        &looped,
    ));
    assert!(signal(&r, "repetition").expect("signal") < 0.2);
    assert!(r.score < 0.2, "{}", r.score);
}

#[test]
fn logprobs_present_only_when_sent() {
    let answer = fenced("python", "def add(a, b):\n    return a + b\n");
    let mut d = draft(TaskType::Generation, "Write add in Python.", &answer);
    assert!(!score(&d).signals.contains_key("logprobs"));
    let sure: Vec<TokenLogprob> = (0..40)
        .map(|i| TokenLogprob {
            token: format!("t{i}"),
            logprob: -0.05,
        })
        .collect();
    let unsure: Vec<TokenLogprob> = (0..40)
        .map(|i| TokenLogprob {
            token: format!("t{i}"),
            logprob: -1.0 - f64::from(i % 5),
        })
        .collect();
    d.logprobs = &sure;
    let a = score(&d);
    d.logprobs = &unsure;
    let b = score(&d);
    assert_eq!(signal(&a, "logprobs"), Some(1.0));
    assert!(signal(&b, "logprobs").expect("signal") < 0.3);
    assert!(b.score < a.score);
}

#[test]
fn report_serialises_as_the_engine_expects() {
    let r = gen(
        "Write add in Python.",
        &fenced("python", "def add(a, b):\n    return a + b\n"),
    );
    let v = serde_json::to_value(&r).expect("serialises");
    assert!(v["score"].is_number());
    let syntax = &v["signals"]["syntax"];
    assert!(
        syntax["score"].is_number() && syntax["weight"].is_number() && syntax["detail"].is_string(),
        "{v}"
    );
    assert!((0.0..=1.0).contains(&r.score));
}

#[test]
fn huge_and_hostile_answers_score_without_panicking() {
    let answer = format!(
        "{}\n```python\n{}```\n```rust\n{}\n```\n```json\n{}\n```\n```yaml\n{}```\n```toml\na = {}\n```\n```js\n{}\n```",
        "word ".repeat(20_000),
        "x = 1\n".repeat(20_000),
        "(".repeat(20_000),
        "[".repeat(100_000),
        (0..200).map(|i| format!("{}k:\n", " ".repeat(i))).collect::<String>(),
        "[".repeat(100_000),
        "\u{0}\u{feff}…...\r\n".repeat(1_000),
    );
    let lps: Vec<TokenLogprob> = [f64::NAN, f64::INFINITY, f64::NEG_INFINITY, -1e300, 0.0, 5.0]
        .into_iter()
        .map(|logprob| TokenLogprob {
            token: String::new(),
            logprob,
        })
        .collect();
    for task in [TaskType::Format, TaskType::Generation, TaskType::Analysis] {
        let r = score(&Draft {
            prompt: &answer,
            answer: &answer,
            task_type: task,
            finish_reason: Some("\u{0}"),
            logprobs: &lps,
        });
        assert!((0.0..=1.0).contains(&r.score));
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    /// Answers are outside input: any text, fence tag and finish reason gives a score in [0,1].
    #[test]
    fn never_panics(
        body in "(?s).{0,400}",
        tag in "(rust|py|js|ts|tsx|go|json|toml|yaml|diff|x|)",
        reason in proptest::option::of("(stop|length|content_filter|\\PC{0,5})"),
        lp in proptest::collection::vec(proptest::num::f64::ANY, 0..20),
    ) {
        let answer = format!("text\n```{tag}\n{body}\n```\n{body}");
        let lps: Vec<TokenLogprob> = lp.into_iter().map(|logprob| TokenLogprob { token: "x".into(), logprob }).collect();
        for task in TaskType::ALL {
            let r = score(&Draft { prompt: &body, answer: &answer, task_type: task, finish_reason: reason.as_deref(), logprobs: &lps });
            prop_assert!((0.0..=1.0).contains(&r.score));
            prop_assert!(r.signals.values().all(|s| (0.0..=1.0).contains(&s.score)));
        }
    }
}

// ---- quality on labelled answers ----

struct Row {
    id: String,
    source: String,
    task: TaskType,
    prompt: String,
    answer: String,
    finish_reason: Option<String>,
    logprobs: Option<Vec<TokenLogprob>>,
    good: bool,
}

/// The development answers the scorer was tuned with.
const DEVELOPMENT: [&str; 5] = [
    "tests/data/confidence_answers.jsonl",
    "tests/data/confidence_dev2.jsonl",
    "tests/data/confidence_dev3.jsonl",
    "tests/data/confidence_dev4.jsonl",
    "tests/data/confidence_dev5.jsonl",
];

fn load() -> Vec<Row> {
    DEVELOPMENT.iter().flat_map(|f| load_file(f)).collect()
}

fn load_file(file: &str) -> Vec<Row> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(file);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{file}: {e}"));
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).expect("a JSON line");
            let logprobs = v["logprobs"].as_array().map(|a| {
                a.iter()
                    .map(|t| TokenLogprob {
                        token: t["token"].as_str().unwrap_or("").to_owned(),
                        logprob: t["logprob"].as_f64().expect("logprob"),
                    })
                    .collect()
            });
            Row {
                id: v["id"].as_str().expect("id").to_owned(),
                source: v["source"].as_str().expect("source").to_owned(),
                task: TaskType::parse(v["task_type"].as_str().expect("task_type"))
                    .expect("task type"),
                prompt: v["prompt"].as_str().expect("prompt").to_owned(),
                answer: v["answer"].as_str().expect("answer").to_owned(),
                finish_reason: v["finish_reason"].as_str().map(str::to_owned),
                logprobs,
                good: match v["label"].as_str() {
                    Some("good") => true,
                    Some("bad") => false,
                    other => panic!("label {other:?}"),
                },
            }
        })
        .collect()
}

fn report(r: &Row) -> Report {
    score(&Draft {
        prompt: &r.prompt,
        answer: &r.answer,
        task_type: r.task,
        finish_reason: r.finish_reason.as_deref(),
        logprobs: r.logprobs.as_deref().unwrap_or(&[]),
    })
}

/// The score the engine acts on: [`report`] with the answer's own claims checked by running
/// its code in the sandbox (`engine::examples`), as a hybrid draft is judged.
fn checked_report(cfg: &codecrucible::config::Sandbox, r: &Row, plain: &Report) -> Report {
    codecrucible::engine::examples::checked(cfg, &r.prompt, &r.answer, plain.clone(), None)
}

/// The probability that a random good answer outscores a random bad one (ties count half).
fn auroc(scored: &[(f32, bool)]) -> f64 {
    let good: Vec<f32> = scored.iter().filter(|s| s.1).map(|s| s.0).collect();
    let bad: Vec<f32> = scored.iter().filter(|s| !s.1).map(|s| s.0).collect();
    let mut wins = 0.0;
    for g in &good {
        for b in &bad {
            wins += if g > b {
                1.0
            } else if g == b {
                0.5
            } else {
                0.0
            };
        }
    }
    wins / (good.len() * bad.len()).max(1) as f64
}

#[test]
fn auroc_helper() {
    assert_eq!(auroc(&[(0.9, true), (0.1, false)]), 1.0);
    assert_eq!(auroc(&[(0.1, true), (0.9, false)]), 0.0);
    assert_eq!(auroc(&[(0.5, true), (0.5, false)]), 0.5);
}

#[test]
fn labelled_set_is_big_balanced_and_real() {
    let rows = load();
    let good = rows.iter().filter(|r| r.good).count();
    let real = rows.iter().filter(|r| r.source == "llama-server").count();
    assert!(
        rows.len() >= 60 && good >= 25 && rows.len() - good >= 25,
        "{} rows, {good} good",
        rows.len()
    );
    assert!(real >= 20, "{real} llama-server rows");
    assert!(rows
        .iter()
        .all(|r| r.source != "llama-server" || r.logprobs.is_some()));
}

/// AUROC of the score over `rows`, overall and on the llama-server rows alone, and of the
/// trivial baseline: `finish_reason == "length"` plus whether a row is real or written.
/// In these sets the real rows are mostly bad and the written ones mostly good, so source
/// alone ranks well; the score must beat that, not just chance.
struct Measured {
    overall: f64,
    real: f64,
    written: f64,
    baseline: f64,
}

fn measure(name: &str, rows: &[Row]) -> Measured {
    let verbose = std::env::var("CONFIDENCE_VERBOSE").is_ok();
    let mut all = Vec::new();
    let mut real = Vec::new();
    let mut written = Vec::new();
    let mut baseline = Vec::new();
    let mut unchecked = Vec::new();
    let cfg = codecrucible::Config::default().sandbox;
    for r in rows {
        let plain = report(r);
        unchecked.push((plain.score, r.good));
        let rep = checked_report(&cfg, r, &plain);
        all.push((rep.score, r.good));
        let is_real = r.source == "llama-server";
        if is_real {
            real.push((rep.score, r.good));
        } else {
            written.push((rep.score, r.good));
        }
        let complete = f32::from(u8::from(r.finish_reason.as_deref() != Some("length")));
        baseline.push((complete + f32::from(u8::from(!is_real)), r.good));
        if verbose {
            let weak: Vec<String> = rep
                .signals
                .iter()
                .filter(|(_, s)| s.score < 1.0)
                .map(|(n, s)| format!("{n}={:.2}", s.score))
                .collect();
            println!(
                "{:<8} {:<5} {:.3}  {}",
                r.id,
                if r.good { "good" } else { "bad" },
                rep.score,
                weak.join(" ")
            );
            if let Some(e) = rep.signals.get("examples") {
                println!("         examples: {}", e.detail);
            }
        }
    }
    let m = Measured {
        overall: auroc(&all),
        real: auroc(&real),
        written: auroc(&written),
        baseline: auroc(&baseline),
    };
    println!(
        "{name}: AUROC {:.3} over {} answers; llama-server rows {:.3} over {}; written rows \
         {:.3} over {}; trivial baseline {:.3}",
        m.overall,
        all.len(),
        m.real,
        real.len(),
        m.written,
        written.len(),
        m.baseline
    );
    println!(
        "{name}: without running the examples, AUROC {:.3}",
        auroc(&unchecked)
    );
    m
}

/// The development answers the scorer was tuned with. The fifth file, written in the ninth
/// held-out set's style (easy requests, many good answers of the real server), was added
/// untuned at 0.671; tuned on it since, the whole set reads 0.922 and its real rows 0.918,
/// the fifth file 0.816 (after removing seven answers that near-copy the tenth held-out set). The floors sit under those, by more than the noise of examples
/// that time out on a loaded machine.
#[test]
fn score_separates_good_from_bad_answers() {
    let rows = load();
    for file in DEVELOPMENT {
        measure(file, &load_file(file));
    }
    let m = measure("development set", &rows);
    let by_logprobs: Vec<(f32, bool)> = rows
        .iter()
        .filter_map(|r| Some((signal(&report(r), "logprobs")?, r.good)))
        .collect();
    println!(
        "logprob signal alone: AUROC {:.3} over {} answers with logprobs",
        auroc(&by_logprobs),
        by_logprobs.len()
    );
    assert!(m.overall >= 0.90, "AUROC {:.3}", m.overall);
    assert!(m.real >= 0.89, "llama-server rows {:.3}", m.real);
    assert!(
        m.overall >= m.baseline + 0.10,
        "{:.3} vs {:.3}",
        m.overall,
        m.baseline
    );
}

/// Answers written blind to the scorer by authors who never saw its code (a third of
/// them or more from the real llama-server, kept unedited): never used to tune it. Each is
/// judged as the engine judges a hybrid draft, its examples run in the sandbox. The floors
/// sit just under what was measured (overall, llama-server rows, baseline): second set
/// 0.823, 0.906, 0.648; third 0.896, 0.764, 0.795; fourth 0.886, 0.853, 0.796; fifth 0.890,
/// 0.743, 0.808; sixth (read once, after the last change) 0.809, 0.811, 0.649; seventh and
/// eighth 0.879 and 0.904 when read; ninth, whose trivial baseline is low, 0.674, 0.692,
/// 0.557 when first read, 0.715, 0.747 after the checks tuned on the fifth development file.
#[test]
fn held_out_answers_are_ranked_well_and_better_than_the_trivial_baseline() {
    for (name, file, overall, real, margin) in [
        (
            "second held-out set",
            "tests/data/confidence_heldout2.jsonl",
            0.80,
            0.85,
            0.12,
        ),
        (
            "third held-out set",
            "tests/data/confidence_heldout3.jsonl",
            0.87,
            0.74,
            0.08,
        ),
        (
            "fourth held-out set",
            "tests/data/confidence_heldout4.jsonl",
            0.86,
            0.84,
            0.06,
        ),
        (
            "fifth held-out set",
            "tests/data/confidence_heldout5.jsonl",
            0.87,
            0.73,
            0.06,
        ),
        (
            "sixth held-out set",
            "tests/data/confidence_heldout6.jsonl",
            0.80,
            0.80,
            0.15,
        ),
        (
            "seventh held-out set",
            "tests/data/confidence_heldout7.jsonl",
            0.89,
            0.84,
            0.07,
        ),
        (
            "eighth held-out set",
            "tests/data/confidence_heldout8.jsonl",
            0.89,
            0.74,
            0.06,
        ),
        // Written to defeat the trivial baseline (many good answers from the real server,
        // few cut off): read blind, in aggregate only, at 0.674 / 0.692 / 0.557 first and
        // at 0.715 / 0.747 after the fifth development file's checks.
        (
            "ninth held-out set",
            "tests/data/confidence_heldout9.jsonl",
            0.69,
            0.72,
            0.12,
        ),
        // The same brief as the ninth, written after this scorer's last change and read
        // once: 0.726 / 0.821 / 0.587 (the scorer before the fifth development file's
        // checks: 0.701 / 0.798).
        (
            "tenth held-out set",
            "tests/data/confidence_heldout10.jsonl",
            0.70,
            0.79,
            0.10,
        ),
    ] {
        let rows = load_file(file);
        let m = measure(name, &rows);
        assert!(m.overall >= overall, "{name}: AUROC {:.3}", m.overall);
        assert!(m.real >= real, "{name}: llama-server rows {:.3}", m.real);
        assert!(
            m.overall >= m.baseline + margin,
            "{name}: AUROC {:.3} against the baseline's {:.3}",
            m.overall,
            m.baseline
        );
    }
    // The fourth set without the answers that had a near-copy among the development answers
    // (removed from those since: the tiny model answers easy prompts alike).
    for (name, file) in [
        ("fourth", "tests/data/confidence_heldout4.jsonl"),
        ("fifth", "tests/data/confidence_heldout5.jsonl"),
    ] {
        let rows: Vec<Row> = load_file(file)
            .into_iter()
            .filter(|r| !NEAR_COPIED.contains(&r.id.as_str()))
            .collect();
        measure(&format!("{name} held-out set, never near-copied"), &rows);
    }
}

/// Answers of the fourth and fifth held-out sets that development answers once near-copied.
const NEAR_COPIED: [&str; 28] = [
    "c4-007", "c4-016", "c4-022", "c4-028", "c4-032", "c4-041", "c4-045", "c4-047", "c4-064",
    "c4-085", "c4-088", "c4-090", "c4-091", "c4-108", "c4-132", "c4-148", "c4-169", "c5-018",
    "c5-022", "c5-024", "c5-028", "c5-038", "c5-093", "c5-096", "c5-132", "c5-144", "c5-149",
    "c5-157",
];
