//! The learned half of task analysis: a multinomial logistic regression over the prompt's
//! character n-grams, its words and word pairs, its shape, and the cue rules' own verdict.
//!
//! Character n-grams are what let it generalise past the words it was trained with: "reformatea",
//! "formatieren" and "formater" share pieces with "format", a typo shares most of its
//! pieces, and a script without spaces (Chinese, Japanese) is read in one- and two-character
//! pieces. The rules' probabilities are inputs, so the model learns how far to trust them
//! for each task type instead of a fixed blend.
//!
//! The weights are trained offline by `cargo run --release --example train_router` on the
//! training rows named in [`TRAINING_FILES`] (never on an evaluation set: see
//! tests/data/README.md) and shipped in `model.bin`. A test checks that the file was
//! trained on the current rows with the current features.

use std::sync::OnceLock;

use super::text::{Parsed, PLAIN_CAP};

/// Bumped whenever [`features`] changes, so that a model trained on other features fails
/// the freshness test instead of scoring garbage.
pub const FEATURE_VERSION: u32 = 2;

/// The rows the shipped model was trained on, relative to the crate root.
pub const TRAINING_FILES: [&str; 7] = [
    "tests/data/routing_dev.jsonl",
    "tests/data/routing_dev2.jsonl",
    "tests/data/routing_train_a.jsonl",
    "tests/data/routing_train_b.jsonl",
    "tests/data/routing_train_c.jsonl",
    "tests/data/routing_train_d.jsonl",
    "tests/data/routing_train_e.jsonl",
];

const MAGIC: &[u8; 4] = b"CCRM";

/// How many of the rules' probabilities count, against unit-norm text features.
const RULES_SCALE: f32 = 1.0;

/// A feature: a hashed name and its value.
pub type Feature = (u32, f32);

/// The prompt's features, with the rules' probabilities (in `TaskType::ALL` order).
/// Each group is scaled to unit length so that a long prompt does not outvote a short one
/// by having more pieces.
pub fn features(p: &Parsed, rules: &[f32; 11]) -> Vec<Feature> {
    let mut out = Vec::with_capacity(p.plain.len() * 3 + p.words.len() * 3 + 24);
    let start = out.len();
    char_grams(&p.plain, &mut out);
    unit(&mut out[start..]);
    let start = out.len();
    word_features(p, &mut out);
    unit(&mut out[start..]);
    shape(p, &mut out);
    for (i, r) in rules.iter().enumerate() {
        out.push((hash(fnv(SEED_RULE, &[i as u8])), r * RULES_SCALE));
    }
    out
}

const SEED_CHAR: u64 = 0xcbf2_9ce4_8422_2325;
const SEED_WORD: u64 = 0x9e37_79b9_7f4a_7c15;
const SEED_PAIR: u64 = 0x85eb_ca6b_c2b2_ae35;
const SEED_OPEN: u64 = 0xc2b2_ae3d_27d4_eb4f;
const SEED_SHAPE: u64 = 0x1656_67b1_9e37_79f9;
const SEED_RULE: u64 = 0x27d4_eb2f_1656_67c5;

/// Character 3-, 4- and 5-grams of the plain prose (which opens with a space, so a word's
/// first pieces are marked as such), and single characters and pairs of scripts written
/// without spaces.
fn char_grams(plain: &str, out: &mut Vec<Feature>) {
    let mut ends: [usize; 6] = [0; 6]; // byte offsets of the last six char boundaries
    let text = plain.as_bytes();
    let mut seen = 0usize;
    let seeds: [u64; 6] = std::array::from_fn(|n| fnv(SEED_CHAR, &[n as u8]));
    let push = |from: usize, to: usize, n: usize, out: &mut Vec<Feature>| {
        out.push((piece_hash(seeds[n], &text[from..to]), 1.0));
    };
    let mut prev_unspaced = false;
    for (i, c) in plain.char_indices().take(PLAIN_CAP) {
        let end = i + c.len_utf8();
        ends.rotate_left(1);
        ends[5] = end;
        seen += 1;
        let unspaced = is_unspaced(c);
        if unspaced {
            push(i, end, 1, out);
            if prev_unspaced {
                push(ends[3], end, 2, out);
            }
        }
        prev_unspaced = unspaced;
        // In an unspaced script a character is nearly a word, so three make a phrase
        // that seldom recurs; pieces of up to three characters are enough there.
        let longest = if unspaced { 3 } else { 5 };
        for n in 3..=longest {
            if seen >= n {
                push(ends[5 - n], end, n, out);
            }
        }
    }
}

/// A piece's hash, eight bytes at a time: one multiply for an ASCII 5-gram where FNV
/// takes five in a chain (measured: the per-byte chain was the classifier's largest cost).
fn piece_hash(seed: u64, bytes: &[u8]) -> u32 {
    let mut h = seed ^ bytes.len() as u64;
    for chunk in bytes.chunks(8) {
        let mut word = [0u8; 8];
        word[..chunk.len()].copy_from_slice(chunk);
        h = (h ^ u64::from_le_bytes(word)).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        h ^= h >> 29;
    }
    hash(h)
}

/// Han, kana and Hangul: words are not separated by spaces, so single characters and pairs
/// are the pieces.
pub(super) fn is_unspaced(c: char) -> bool {
    matches!(c as u32,
        0x3040..=0x30ff | 0x3400..=0x4dbf | 0x4e00..=0x9fff | 0xac00..=0xd7af | 0xf900..=0xfaff)
}

/// Stems, adjacent stem pairs inside a clause, and the opening clause's first three stems.
fn word_features(p: &Parsed, out: &mut Vec<Feature>) {
    for (i, w) in p.words.iter().enumerate().take(400) {
        let h = fnv(SEED_WORD, w.stem.as_bytes());
        out.push((hash(h), 1.0));
        if let Some(next) = p.words.get(i + 1).filter(|n| n.clause == w.clause) {
            out.push((
                hash(fnv(fnv(SEED_PAIR, w.stem.as_bytes()), next.stem.as_bytes())),
                1.0,
            ));
        }
        if w.clause == 0 && w.pos < 3 {
            out.push((hash(fnv(SEED_OPEN, w.stem.as_bytes())), 1.0));
        }
    }
}

/// The prompt's shape: pasted code and how much, a trace, files and folders, a question,
/// and how long the request is.
fn shape(p: &Parsed, out: &mut Vec<Feature>) {
    let code_lines = p.code_lines();
    let sources = p.files.len();
    let tags: [(bool, &[u8]); 11] = [
        (p.code_chars() > 0, b"code"),
        (code_lines > 30, b"code>30"),
        (p.has_trace, b"trace"),
        (sources == 1, b"file1"),
        (sources == 2, b"file2"),
        (sources >= 3, b"file3+"),
        (p.dirs > 0, b"dir"),
        (p.questions > 0, b"question"),
        (p.words.len() <= 4, b"words<=4"),
        (p.words.len() > 40, b"words>40"),
        (p.words.is_empty(), b"nowords"),
    ];
    for (_, tag) in tags.iter().filter(|(on, _)| *on) {
        out.push((hash(fnv(SEED_SHAPE, tag)), 1.0));
    }
}

/// Scales a group of features to unit length; a feature that occurs twice counts twice.
fn unit(group: &mut [Feature]) {
    let norm = group.iter().map(|(_, v)| v * v).sum::<f32>().sqrt();
    if norm > 0.0 {
        for (_, v) in group {
            *v /= norm;
        }
    }
}

/// FNV-1a, continued from `h`.
fn fnv(mut h: u64, bytes: &[u8]) -> u64 {
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

fn hash(h: u64) -> u32 {
    (h ^ (h >> 32)) as u32
}

/// The trained weights: per feature, one small integer per task type.
pub struct Model {
    fingerprint: u64,
    scale: f32,
    bias: [f32; 11],
    weights: Table,
}

/// An open-addressed table from feature hash to weights, at most half full: a lookup is a
/// multiply, a shift and usually one probe. (Routing looks up about three features per
/// character of prose, so this is most of the classifier's time.)
struct Table {
    bits: u32,
    /// Each key beside its weights, so a hit reads one cache line; key 0 marks an empty
    /// slot, and the one feature whose hash is 0 is kept aside.
    slots: Vec<(u32, [i8; 11])>,
    zero: Option<[i8; 11]>,
    len: usize,
}

impl Table {
    fn with_capacity(n: usize) -> Table {
        let bits = (n.max(1) * 2).next_power_of_two().trailing_zeros().max(4);
        Table {
            bits,
            slots: vec![(0, [0; 11]); 1usize << bits],
            zero: None,
            len: 0,
        }
    }

    fn slot(&self, key: u32) -> usize {
        (key.wrapping_mul(0x9e37_79b1) >> (32 - self.bits)) as usize
    }

    fn insert(&mut self, key: u32, value: [i8; 11]) {
        self.len += 1;
        if key == 0 {
            self.zero = Some(value);
            return;
        }
        let mask = self.slots.len() - 1;
        let mut i = self.slot(key);
        while self.slots[i].0 != 0 && self.slots[i].0 != key {
            i = (i + 1) & mask;
        }
        self.slots[i] = (key, value);
    }

    fn get(&self, key: u32) -> Option<&[i8; 11]> {
        if key == 0 {
            return self.zero.as_ref();
        }
        let mask = self.slots.len() - 1;
        let mut i = self.slot(key);
        loop {
            match &self.slots[i] {
                (0, _) => return None,
                (k, w) if *k == key => return Some(w),
                _ => i = (i + 1) & mask,
            }
        }
    }
}

impl Model {
    /// ln P(task | features), normalised, in `TaskType::ALL` order.
    pub fn log_posterior(&self, features: &[Feature]) -> [f32; 11] {
        let mut score = self.bias;
        for (f, v) in features {
            if let Some(w) = self.weights.get(*f) {
                let v = v * self.scale;
                for (s, w) in score.iter_mut().zip(w) {
                    *s += v * f32::from(*w);
                }
            }
        }
        log_softmax(score)
    }

    /// How many features have weights.
    pub fn features(&self) -> usize {
        self.weights.len
    }

    /// The training run this model came from (see [`fingerprint`]).
    pub fn fingerprint(&self) -> u64 {
        self.fingerprint
    }

    /// Packs weights (as floats) into the shipped format, quantised to one byte each.
    pub fn encode(fingerprint: u64, bias: [f32; 11], weights: &[(u32, [f32; 11])]) -> Vec<u8> {
        let max = weights
            .iter()
            .flat_map(|(_, w)| w.iter().map(|x| x.abs()))
            .fold(1e-6f32, f32::max);
        let scale = max / 127.0;
        let mut out = Vec::with_capacity(64 + weights.len() * 15);
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&FEATURE_VERSION.to_le_bytes());
        out.extend_from_slice(&fingerprint.to_le_bytes());
        out.extend_from_slice(&scale.to_le_bytes());
        for b in bias {
            out.extend_from_slice(&b.to_le_bytes());
        }
        out.extend_from_slice(&(weights.len() as u32).to_le_bytes());
        for (f, w) in weights {
            out.extend_from_slice(&f.to_le_bytes());
            out.extend(
                w.iter()
                    .map(|x| (x / scale).round().clamp(-127.0, 127.0) as i8 as u8),
            );
        }
        out
    }

    /// Reads the shipped format; `None` when it is not one (wrong magic, version or length).
    pub fn decode(bytes: &[u8]) -> Option<Model> {
        let mut r = Reader(bytes);
        if r.take(4)? != MAGIC || r.u32()? != FEATURE_VERSION {
            return None;
        }
        let fingerprint = r.u64()?;
        let scale = f32::from_bits(r.u32()?);
        let mut bias = [0f32; 11];
        for b in &mut bias {
            *b = f32::from_bits(r.u32()?);
        }
        let n = r.u32()? as usize;
        if r.0.len() != n.checked_mul(15)? {
            return None;
        }
        let mut weights = Table::with_capacity(n);
        for _ in 0..n {
            let f = r.u32()?;
            let w = r.take(11)?;
            weights.insert(f, std::array::from_fn(|i| w[i] as i8));
        }
        Some(Model {
            fingerprint,
            scale,
            bias,
            weights,
        })
    }
}

struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        if self.0.len() < n {
            return None;
        }
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Some(head)
    }
    fn u32(&mut self) -> Option<u32> {
        Some(u32::from_le_bytes(self.take(4)?.try_into().ok()?))
    }
    fn u64(&mut self) -> Option<u64> {
        Some(u64::from_le_bytes(self.take(8)?.try_into().ok()?))
    }
}

/// The shipped model, decoded on first use; `None` only if the file is damaged, in which
/// case analysis falls back to the rules alone (and a unit test fails).
pub fn shipped() -> Option<&'static Model> {
    static MODEL: OnceLock<Option<Model>> = OnceLock::new();
    MODEL
        .get_or_init(|| Model::decode(include_bytes!("model.bin")))
        .as_ref()
}

pub fn log_softmax(score: [f32; 11]) -> [f32; 11] {
    let max = score.iter().copied().fold(f32::MIN, f32::max);
    let z = score.iter().map(|s| (s - max).exp()).sum::<f32>().ln() + max;
    score.map(|s| s - z)
}

/// The fingerprint of a training run: the feature version, the cue rules, the trainer's
/// settings and every training row's bytes. (A change to how the rules weigh cues, as
/// opposed to the cues themselves, bumps [`FEATURE_VERSION`] by hand.)
pub fn fingerprint(settings: &str, files: &[&str]) -> u64 {
    let mut h = fnv(SEED_CHAR, &FEATURE_VERSION.to_le_bytes());
    h = fnv(h, super::lexicon::digest().as_bytes());
    h = fnv(h, settings.as_bytes());
    for f in files {
        h = fnv(h, f.as_bytes());
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::router::text;

    #[test]
    fn a_damaged_model_is_refused() {
        let good = Model::encode(7, [0.0; 11], &[(1, [0.5; 11])]);
        assert!(Model::decode(&good).is_some());
        assert!(Model::decode(&good[..good.len() - 1]).is_none());
        let mut bad = good.clone();
        bad[0] = b'X';
        assert!(Model::decode(&bad).is_none());
        // A count that claims more entries than the bytes hold.
        let mut long = good;
        let at = 4 + 4 + 8 + 4 + 44;
        long[at..at + 4].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(Model::decode(&long).is_none());
    }

    #[test]
    fn inflections_and_unspaced_scripts_share_pieces() {
        let f = |s: &str| -> Vec<u32> {
            let mut v: Vec<u32> = features(&text::parse(s, &[]), &[0.0; 11])
                .into_iter()
                .map(|(h, _)| h)
                .collect();
            v.sort_unstable();
            v
        };
        let shared = |a: &[u32], b: &[u32]| a.iter().filter(|x| b.binary_search(x).is_ok()).count();
        let (en, fr) = (f("reformat this"), f("reformate ce fichier"));
        assert!(shared(&en, &fr) >= 4);
        let (zh1, zh2) = (f("重构这个函数"), f("请重构一下"));
        assert!(shared(&zh1, &zh2) >= 3);
    }

    #[test]
    fn each_group_has_unit_length() {
        // Words and characters are one unit each; no shape tag applies and the rules say 0.
        let p = text::parse("reformat this long file with four space indentation", &[]);
        let f = features(&p, &[0.0; 11]);
        let total: f32 = f.iter().map(|(_, v)| v * v).sum();
        assert!((total - 2.0).abs() < 1e-3, "{total}");
    }
}
