//! Nothing the router learns from may overlap what it is measured on (tests/data/README.md).
//!
//! - A training row (the classifier's rows, and the confidence scorer's development
//!   answers) must not be a near-copy of an evaluation prompt: 5-character pieces of the
//!   prose with a Jaccard similarity of 0.5 or more, or a shared run of 40 characters.
//! - A multi-word cue phrase that occurs in an evaluation prompt must also occur in a
//!   training row written blind to the evaluation sets; otherwise it came from there.
//! - The router's source (code, comments, unit tests, word lists) and the tests and bench
//!   written against it must not quote five words in a row from an evaluation prompt.
//!
//! Prose is compared, not code: the parser's plain words (lowercased, with code, inline
//! code, names from code and file names left out), so a shared stack trace is not a copy.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use codecrucible::router::text;

const ROUTING_EVAL: [&str; 4] = [
    "../shared/eval/routing_public.jsonl",
    "tests/data/routing_holdout.jsonl",
    "tests/data/routing_heldout2.jsonl",
    "tests/data/routing_heldout3.jsonl",
];
const ROUTING_TRAIN: [&str; 7] = codecrucible::router::classifier::TRAINING_FILES;

/// The training rows written by authors who never saw an evaluation set.
fn blind_train() -> impl Iterator<Item = &'static str> {
    ROUTING_TRAIN
        .into_iter()
        .filter(|f| f.starts_with("tests/data/routing_train_"))
}

const CONFIDENCE_EVAL: [&str; 10] = [
    "tests/data/confidence_heldout2.jsonl",
    "tests/data/confidence_heldout2_extra_real.jsonl",
    "tests/data/confidence_heldout3.jsonl",
    "tests/data/confidence_heldout4.jsonl",
    "tests/data/confidence_heldout5.jsonl",
    "tests/data/confidence_heldout6.jsonl",
    "tests/data/confidence_heldout7.jsonl",
    "tests/data/confidence_heldout8.jsonl",
    "tests/data/confidence_heldout9.jsonl",
    "tests/data/confidence_heldout10.jsonl",
];
const CONFIDENCE_DEV: [&str; 5] = [
    "tests/data/confidence_answers.jsonl",
    "tests/data/confidence_dev2.jsonl",
    "tests/data/confidence_dev3.jsonl",
    "tests/data/confidence_dev4.jsonl",
    "tests/data/confidence_dev5.jsonl",
];

/// The tests and benches written against the router, beside its own source.
const ROUTER_TESTS: [&str; 4] = [
    "tests/suite/route_cli.rs",
    "tests/suite/routing_eval.rs",
    "benches/routing.rs",
    "examples/train_router.rs",
];

const JACCARD: f64 = 0.5;
const SHARED_RUN: usize = 40;
const QUOTE_WORDS: usize = 5;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// (id, field text) for every row of a JSON-lines file.
fn field(file: &str, name: &str) -> Vec<(String, String)> {
    let path = root().join(file);
    let body = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{file}: {e}"));
    body.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let v: serde_json::Value =
                serde_json::from_str(l).unwrap_or_else(|e| panic!("{file}: {e}"));
            let id = v["id"].as_str().unwrap_or("?").to_owned();
            (id, v[name].as_str().unwrap_or_default().to_owned())
        })
        .collect()
}

fn plain(s: &str) -> String {
    text::parse(s, &[]).plain.trim().to_owned()
}

fn chars(s: &str) -> Vec<char> {
    s.chars().collect()
}

fn pieces(s: &[char], n: usize) -> HashSet<String> {
    s.windows(n).map(|w| w.iter().collect()).collect()
}

/// An index of evaluation texts for near-copy lookups.
struct Index {
    names: Vec<String>,
    grams: Vec<HashSet<String>>,
    postings: HashMap<String, Vec<usize>>,
    runs: HashMap<String, usize>,
}

impl Index {
    fn new(texts: Vec<(String, String)>) -> Index {
        let mut idx = Index {
            names: vec![],
            grams: vec![],
            postings: HashMap::new(),
            runs: HashMap::new(),
        };
        for (name, t) in texts {
            let c = chars(&t);
            let g = pieces(&c, 5);
            let i = idx.names.len();
            for piece in &g {
                idx.postings.entry(piece.clone()).or_default().push(i);
            }
            for run in pieces(&c, SHARED_RUN) {
                idx.runs.entry(run).or_insert(i);
            }
            idx.names.push(name);
            idx.grams.push(g);
        }
        idx
    }

    /// The evaluation text `t` nearly copies, and how.
    fn copied_by(&self, t: &str) -> Option<String> {
        let c = chars(t);
        if let Some(run) = pieces(&c, SHARED_RUN)
            .into_iter()
            .find(|r| self.runs.contains_key(r))
        {
            return Some(format!(
                "{} (shares \"{run}\")",
                self.names[self.runs[&run]]
            ));
        }
        let g = pieces(&c, 5);
        let mut shared: HashMap<usize, usize> = HashMap::new();
        for piece in &g {
            for &i in self.postings.get(piece).into_iter().flatten() {
                *shared.entry(i).or_default() += 1;
            }
        }
        shared.into_iter().find_map(|(i, n)| {
            let union = g.len() + self.grams[i].len() - n;
            let j = n as f64 / union.max(1) as f64;
            (j >= JACCARD).then(|| format!("{} (Jaccard {j:.2})", self.names[i]))
        })
    }
}

fn labelled(files: &[&str], name: &str) -> Vec<(String, String)> {
    files
        .iter()
        .flat_map(|f| field(f, name))
        .map(|(id, t)| (id, plain(&t)))
        .filter(|(_, t)| !t.is_empty())
        .collect()
}

fn near_copies(train: &[&str], eval: &[&str], name: &str) -> Vec<String> {
    let index = Index::new(labelled(eval, name));
    labelled(train, name)
        .into_iter()
        .filter_map(|(id, t)| index.copied_by(&t).map(|e| format!("{id} copies {e}")))
        .collect()
}

#[test]
fn no_training_row_is_a_near_copy_of_an_evaluation_prompt() {
    let copies = near_copies(&ROUTING_TRAIN, &ROUTING_EVAL, "prompt");
    assert!(copies.is_empty(), "{}", copies.join("\n"));
}

/// The scorer learns nothing from prompts (simple prompts are alike by nature: "write a
/// Python function that returns…"), so its development answers are what must be new.
#[test]
fn no_scorer_development_answer_copies_a_held_out_one() {
    let copies = near_copies(&CONFIDENCE_DEV, &CONFIDENCE_EVAL, "answer");
    assert!(copies.is_empty(), "{}", copies.join("\n"));
}

#[test]
fn the_check_catches_a_lightly_edited_copy_and_passes_a_new_prompt() {
    let index = Index::new(vec![(
        "eval-1".into(),
        plain(
            "move the retry settings of the mail sender into a config file and document each key",
        ),
    )]);
    let edited = plain(
        "move the retry settings of the sms sender into a config file and document every key",
    );
    assert!(index.copied_by(&edited).is_some());
    let new = plain("port the date parsing helper from Go to Kotlin");
    assert!(index.copied_by(&new).is_none());
}

fn stems(s: &str) -> Vec<String> {
    text::parse(s, &[])
        .words
        .into_iter()
        .map(|w| w.stem)
        .collect()
}

fn contains(haystack: &[String], needle: &[String]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[test]
fn every_cue_phrase_found_in_an_evaluation_prompt_is_also_in_blind_training_rows() {
    let eval: Vec<(String, Vec<String>)> = ROUTING_EVAL
        .iter()
        .flat_map(|f| field(f, "prompt"))
        .map(|(id, p)| (id, stems(&p)))
        .collect();
    let train: Vec<Vec<String>> = blind_train()
        .flat_map(|f| field(f, "prompt"))
        .map(|(_, p)| stems(&p))
        .collect();
    let mut lifted: Vec<String> = codecrucible::router::cue_phrases()
        .into_iter()
        .filter(|(phrase, _)| !phrase.starts_with("file:"))
        .filter_map(|(phrase, words)| {
            let (id, _) = eval.iter().find(|(_, e)| contains(e, &words))?;
            let justified = train.iter().any(|t| contains(t, &words));
            (!justified).then(|| format!("\"{phrase}\" (in {id})"))
        })
        .collect();
    lifted.sort();
    lifted.dedup();
    assert!(
        lifted.is_empty(),
        "cue phrases seen only in evaluation prompts:\n{}",
        lifted.join("\n")
    );
}

fn words(s: &str) -> Vec<String> {
    s.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

/// The prompt without its fenced blocks; inline code and file names stay, since a
/// comment quoting a prompt that names a file quotes the name too.
fn unfenced(p: &str) -> String {
    let mut inside = false;
    let mut out = String::new();
    for line in p.lines() {
        if line.trim_start().starts_with("```") {
            inside = !inside;
        } else if !inside {
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn the_router_and_its_tests_do_not_quote_evaluation_prompts() {
    let mut quoted: HashMap<String, String> = HashMap::new();
    for (id, p) in ROUTING_EVAL.iter().flat_map(|f| field(f, "prompt")) {
        for w in words(&unfenced(&p)).windows(QUOTE_WORDS) {
            quoted.entry(w.join(" ")).or_insert_with(|| id.clone());
        }
    }
    let mut files = vec![];
    rust_files(&root().join("src/router"), &mut files);
    files.extend(ROUTER_TESTS.iter().map(|f| root().join(f)));
    assert!(files.len() > 10);
    let mut found = vec![];
    for f in files {
        let body = std::fs::read_to_string(&f).unwrap_or_default();
        for w in words(&body).windows(QUOTE_WORDS) {
            if let Some(id) = quoted.get(&w.join(" ")) {
                found.push(format!("{}: \"{}\" (from {id})", f.display(), w.join(" ")));
            }
        }
    }
    found.dedup();
    assert!(found.is_empty(), "{}", found.join("\n"));
}
