//! Fits the classifier's weights to labelled rows (run offline by
//! `examples/train_router.rs`; nothing here runs while routing).
//!
//! Multinomial logistic regression by stochastic gradient descent with L2 decay, in a fixed
//! order from a fixed seed, so the same rows always give the same `model.bin`.

use std::collections::HashMap;

use super::classifier::{self, Feature, Model};
use super::task::TaskType;
use super::text;

/// How the weights are fitted.
#[derive(Debug, Clone, Copy)]
pub struct Settings {
    pub epochs: usize,
    pub rate: f32,
    pub l2: f32,
    /// A piece seen in fewer training rows than this is more likely an accident of one
    /// prompt's wording than evidence.
    pub min_count: u32,
}

/// The settings the shipped model is trained with.
pub const SETTINGS: Settings = Settings {
    epochs: 40,
    rate: 2.0,
    l2: 1e-3,
    min_count: 2,
};

const SEED: u64 = 17;

/// The settings, as they enter the model's fingerprint.
pub fn settings() -> String {
    let Settings {
        epochs,
        rate,
        l2,
        min_count,
    } = SETTINGS;
    format!("epochs={epochs} rate={rate} l2={l2} min_count={min_count} seed={SEED}")
}

/// One labelled prompt.
pub struct Row {
    pub prompt: String,
    pub task: TaskType,
}

/// The rows of a JSON-lines file with `prompt` and `task_type`; other lines are skipped.
pub fn rows(jsonl: &str) -> Vec<Row> {
    jsonl
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter_map(|v| {
            Some(Row {
                prompt: v["prompt"].as_str()?.to_owned(),
                task: TaskType::parse(v["task_type"].as_str()?)?,
            })
        })
        .collect()
}

/// What the classifier sees of a prompt: its features with the rules' verdict.
pub fn featurize(prompt: &str) -> Vec<Feature> {
    let parsed = text::parse(prompt, &[]);
    let rules = super::analyze::rule_probabilities(&parsed);
    classifier::features(&parsed, &rules)
}

/// The cue rules' verdict alone, to compare the classifier with.
pub fn rules_only(prompt: &str) -> [f32; 11] {
    super::analyze::rule_probabilities(&text::parse(prompt, &[]))
}

/// A featurized row: what [`fit`] learns from.
pub type Example = (Vec<Feature>, usize);

pub fn examples(rows: &[Row]) -> Vec<Example> {
    rows.iter()
        .map(|r| (featurize(&r.prompt), r.task.index()))
        .collect()
}

/// Trains on `rows` and returns the weights in the shipped format.
pub fn train(rows: &[Row], fingerprint: u64) -> Vec<u8> {
    encode(&examples(rows), SETTINGS, fingerprint)
}

fn encode(data: &[Example], settings: Settings, fingerprint: u64) -> Vec<u8> {
    let (bias, weights) = fit(data, settings);
    let mut list: Vec<(u32, [f32; 11])> = weights.into_iter().collect();
    list.sort_by_key(|(f, _)| *f);
    Model::encode(fingerprint, bias, &list)
}

/// Trains on featurized rows and returns a model to measure with (cross-validation).
pub fn fit_model(data: &[Example], settings: Settings) -> Option<Model> {
    Model::decode(&encode(data, settings, 0))
}

type Weights = HashMap<u32, [f32; 11]>;

fn fit(data: &[Example], settings: Settings) -> ([f32; 11], Weights) {
    // Each kept feature gets a slot, so the inner loop indexes instead of hashing.
    let mut slot: HashMap<u32, usize> = HashMap::new();
    let mut names: Vec<u32> = frequent(data, settings.min_count).into_keys().collect();
    names.sort_unstable();
    for (i, f) in names.iter().enumerate() {
        slot.insert(*f, i);
    }
    let data: Vec<(Vec<(usize, f32)>, usize)> = data
        .iter()
        .map(|(f, y)| {
            let f = f.iter().filter_map(|(h, v)| Some((*slot.get(h)?, *v)));
            (f.collect(), *y)
        })
        .collect();
    let mut bias = [0f32; 11];
    let mut w = vec![[0f32; 11]; names.len()];
    let mut order: Vec<usize> = (0..data.len()).collect();
    let mut rng = SEED;
    for epoch in 0..settings.epochs {
        shuffle(&mut order, &mut rng);
        let rate = settings.rate / (1.0 + 0.2 * epoch as f32);
        for &i in &order {
            let (features, y) = &data[i];
            step(&mut bias, &mut w, features, *y, rate, settings.l2);
        }
    }
    let weights = names.into_iter().zip(w).collect();
    (bias, weights)
}

fn step(
    bias: &mut [f32; 11],
    w: &mut [[f32; 11]],
    features: &[(usize, f32)],
    y: usize,
    rate: f32,
    l2: f32,
) {
    let mut score = *bias;
    for (f, v) in features {
        for (s, x) in score.iter_mut().zip(&w[*f]) {
            *s += v * x;
        }
    }
    let p = classifier::log_softmax(score).map(f32::exp);
    let grad: [f32; 11] = std::array::from_fn(|c| p[c] - f32::from(u8::from(c == y)));
    for (b, g) in bias.iter_mut().zip(&grad) {
        *b -= rate * g;
    }
    for (f, v) in features {
        for (x, g) in w[*f].iter_mut().zip(&grad) {
            *x -= rate * (g * v + l2 * *x);
        }
    }
}

/// The features seen in at least `min_count` rows.
fn frequent(data: &[Example], min_count: u32) -> HashMap<u32, u32> {
    let mut count: HashMap<u32, u32> = HashMap::new();
    for (f, _) in data {
        let mut hashes: Vec<u32> = f.iter().map(|(h, _)| *h).collect();
        hashes.sort_unstable();
        hashes.dedup();
        for h in hashes {
            *count.entry(h).or_default() += 1;
        }
    }
    count.retain(|_, n| *n >= min_count);
    count
}

/// Fisher–Yates with a 64-bit LCG: deterministic across platforms.
fn shuffle(order: &mut [usize], state: &mut u64) {
    for i in (1..order.len()).rev() {
        *state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        let j = ((*state >> 33) % (i as u64 + 1)) as usize;
        order.swap(i, j);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_model_loads_and_was_trained_on_the_current_rows() {
        let m = classifier::shipped().expect("model.bin decodes");
        assert!(m.features() > 1000, "{}", m.features());
        let files = [
            include_str!("../../tests/data/routing_dev.jsonl"),
            include_str!("../../tests/data/routing_dev2.jsonl"),
            include_str!("../../tests/data/routing_train_a.jsonl"),
            include_str!("../../tests/data/routing_train_b.jsonl"),
            include_str!("../../tests/data/routing_train_c.jsonl"),
            include_str!("../../tests/data/routing_train_d.jsonl"),
            include_str!("../../tests/data/routing_train_e.jsonl"),
        ];
        assert_eq!(
            m.fingerprint(),
            classifier::fingerprint(&settings(), &files),
            "src/router/model.bin is stale: run `cargo run --release --example train_router`"
        );
    }

    #[test]
    fn it_learns_separable_rows_and_is_deterministic() {
        let mk = |p: &str, t| Row {
            prompt: p.into(),
            task: t,
        };
        let rows: Vec<Row> = (0..6)
            .flat_map(|i| {
                [
                    mk(
                        &format!("reindent file number {i} please"),
                        TaskType::Format,
                    ),
                    mk(
                        &format!("why is query {i} so slow today"),
                        TaskType::Analysis,
                    ),
                ]
            })
            .collect();
        let a = train(&rows, 1);
        assert_eq!(a, train(&rows, 1));
        let m = Model::decode(&a).expect("decodes");
        let lp = m.log_posterior(&featurize("reindent this file"));
        assert!(lp[TaskType::Format.index()] > lp[TaskType::Analysis.index()]);
    }
}
