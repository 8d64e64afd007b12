//! A naive Bayes vote from our own labelled development prompts (tests/data/routing_dev*.jsonl,
//! never the public evaluation set). The cue rules know structure; this knows vocabulary
//! the rules never listed. Their log-probabilities are added, the corpus at a small weight
//! chosen by cross-validation on the development sets.

use std::collections::HashMap;
use std::sync::OnceLock;

use super::task::TaskType;
use super::text::{self, Parsed};

const TRAINING: [&str; 2] = [
    include_str!("../../tests/data/routing_dev.jsonl"),
    include_str!("../../tests/data/routing_dev2.jsonl"),
];

/// Additive smoothing for unseen (feature, task) pairs.
const ALPHA: f32 = 0.3;

struct Model {
    /// ln P(feature | task) per task, for features seen in training.
    likelihood: Table,
    prior: [f32; 11],
}

fn model() -> &'static Model {
    static MODEL: OnceLock<Model> = OnceLock::new();
    MODEL.get_or_init(train)
}

fn train() -> Model {
    let mut counts: HashMap<u64, [u32; 11], std::hash::BuildHasherDefault<Identity>> =
        HashMap::default();
    let mut docs = [0u32; 11];
    for line in TRAINING.iter().flat_map(|t| t.lines()) {
        let Ok(row) = serde_json::from_str::<serde_json::Value>(line) else {
            continue;
        };
        let (Some(prompt), Some(task)) = (
            row["prompt"].as_str(),
            row["task_type"].as_str().and_then(TaskType::parse),
        ) else {
            continue;
        };
        docs[task.index()] += 1;
        for f in features(&text::parse(prompt, &[])) {
            counts.entry(f).or_insert([0; 11])[task.index()] += 1;
        }
    }
    let vocabulary = counts.len() as f32;
    let mut totals = [0f32; 11];
    for c in counts.values() {
        for (t, n) in totals.iter_mut().zip(c) {
            *t += *n as f32;
        }
    }
    let denom: Vec<f32> = totals.iter().map(|t| t + ALPHA * vocabulary).collect();
    let likelihood = counts
        .into_iter()
        .map(|(f, c)| {
            let l: [f32; 11] = std::array::from_fn(|i| ((c[i] as f32 + ALPHA) / denom[i]).ln());
            (f, l)
        })
        .collect();
    let n: u32 = docs.iter().sum();
    let prior = docs.map(|d| ((d as f32 + 1.0) / (n as f32 + 11.0)).ln());
    Model { likelihood, prior }
}

/// Prose stems, adjacent pairs, the opening words, and the prompt's shape, as hashes (so
/// scoring allocates no strings). Each feature counts once per prompt.
fn features(p: &Parsed) -> Vec<u64> {
    let mut out: Vec<u64> = Vec::with_capacity(p.words.len() * 3 + 4);
    for (i, w) in p.words.iter().enumerate() {
        let h = fnv(FNV_OFFSET, w.stem.as_bytes());
        out.push(h);
        if let Some(next) = p.words.get(i + 1).filter(|n| n.clause == w.clause) {
            out.push(fnv(fnv(h, b" "), next.stem.as_bytes()));
        }
        if w.clause == 0 && w.pos < 3 {
            out.push(fnv(fnv(FNV_OFFSET, b"^"), w.stem.as_bytes()));
        }
    }
    let shape = [
        (p.code_chars() > 0, "<code>"),
        (p.has_trace, "<trace>"),
        (p.files.len() >= 2 || p.dirs > 0, "<files>"),
        (p.questions > 0, "<question>"),
    ];
    out.extend(
        shape
            .iter()
            .filter(|(on, _)| *on)
            .map(|(_, tag)| fnv(FNV_OFFSET, tag.as_bytes())),
    );
    out.sort_unstable();
    out.dedup();
    out
}

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;

/// FNV-1a, continued from `h`.
fn fnv(mut h: u64, bytes: &[u8]) -> u64 {
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// The keys are already hashes; hashing them again would only cost time.
#[derive(Default)]
struct Identity(u64);

impl std::hash::Hasher for Identity {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        self.0 = fnv(self.0, bytes);
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

type Table = HashMap<u64, [f32; 11], std::hash::BuildHasherDefault<Identity>>;

/// ln P(task | prompt) for every task type, normalised.
pub fn log_posterior(p: &Parsed) -> [f32; 11] {
    let m = model();
    let mut score = m.prior;
    // A feature no training prompt had says nothing either way.
    for l in features(p).iter().filter_map(|f| m.likelihood.get(f)) {
        for (s, x) in score.iter_mut().zip(l) {
            *s += x;
        }
    }
    let max = score.iter().copied().fold(f32::MIN, f32::max);
    let z = score.iter().map(|s| (s - max).exp()).sum::<f32>().ln() + max;
    score.map(|s| s - z)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn it_trains_on_the_development_sets_and_votes() {
        assert!(model().likelihood.len() > 1000);
        let lp = log_posterior(&text::parse(
            "add docstrings to every public function in this module",
            &[],
        ));
        let best = (0..11).max_by(|a, b| lp[*a].total_cmp(&lp[*b])).unwrap();
        assert_eq!(TaskType::ALL[best], TaskType::Documentation);
        let total: f32 = lp.iter().map(|l| l.exp()).sum();
        assert!((total - 1.0).abs() < 1e-3);
    }
}
