//! Degeneration: small models fall into loops, repeating a line or a phrase until the token
//! limit. Measured as the share of word 6-grams that already occurred earlier in the answer:
//! prose and real code rarely repeat six words in a row, a loop repeats almost all of them.
//! Tokens are whitespace-separated, so a loop of "/" or "```" lines counts too.

use std::collections::HashSet;
use std::hash::{BuildHasherDefault, Hasher};

use super::{signal, Signal};

pub(crate) const WEIGHT: f32 = 2.0;
const N: usize = 6;
/// Fewer words than this say too little about looping.
const MIN_WORDS: usize = 24;
/// Up to this share of repeated 6-grams is normal (boilerplate, tests, tables).
const NORMAL: f32 = 0.2;
/// From this share on the answer is a loop.
const LOOP: f32 = 0.6;
/// Answers are scored on at most this many words: a loop shows early, and the work stays
/// bounded for huge answers.
const MAX_WORDS: usize = 20_000;

pub(crate) fn signal_for(answer: &str) -> Option<Signal> {
    let words: Vec<u64> = answer
        .split_whitespace()
        .take(MAX_WORDS)
        .map(fnv1a)
        .collect();
    if words.len() < MIN_WORDS {
        return None;
    }
    let share = repeated_share(&words);
    let score = 1.0 - ((share - NORMAL) / (LOOP - NORMAL)).clamp(0.0, 1.0);
    let detail = if score < 1.0 {
        format!(
            "the answer repeats itself ({:.0}% of its phrases are repeats)",
            share * 100.0
        )
    } else {
        "no repetition".to_owned()
    };
    Some(signal(score, WEIGHT, detail))
}

/// The share of `text`'s word 6-grams that occurred earlier in it (0 with too few words).
pub(crate) fn share_of_repeats(text: &str) -> f32 {
    let words: Vec<u64> = text.split_whitespace().take(MAX_WORDS).map(fnv1a).collect();
    if words.len() <= N {
        return 0.0;
    }
    repeated_share(&words)
}

/// Share of the word 6-grams that occurred before. Words and grams are compared by 64-bit
/// hash: a collision is a one-in-billions miscount, and hashing each word once keeps a
/// 10 KB answer well under the time budget.
fn repeated_share(words: &[u64]) -> f32 {
    let grams = words.windows(N);
    let total = grams.len();
    let mut seen: HashSet<u64, BuildHasherDefault<Prehashed>> =
        HashSet::with_capacity_and_hasher(total, BuildHasherDefault::default());
    let repeats = grams
        .map(|g| {
            g.iter().fold(0u64, |h, w| {
                h.rotate_left(11) ^ w.wrapping_mul(0x9E37_79B9_7F4A_7C15)
            })
        })
        .filter(|h| !seen.insert(*h))
        .count();
    repeats as f32 / total.max(1) as f32
}

fn fnv1a(word: &str) -> u64 {
    word.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    })
}

/// A hasher for keys that already are well-mixed hashes.
#[derive(Default)]
struct Prehashed(u64);

impl Hasher for Prehashed {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = (self.0 << 8) ^ u64::from(*b);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rep(answer: &str) -> Option<f32> {
        signal_for(answer).map(|s| s.score)
    }

    #[test]
    fn prose_and_code_do_not_read_as_loops() {
        let prose = "A mutex lets one thread at a time touch shared data. A thread locks it, \
                     works on the data, and unlocks it; any other thread that tries to lock it \
                     meanwhile waits. In Rust the guard returned by lock() unlocks on drop, so \
                     forgetting to unlock is impossible.";
        assert_eq!(rep(prose), Some(1.0));
        let code = "```rust\n#[test]\nfn adds() {\n    assert_eq!(add(1, 2), 3);\n}\n#[test]\nfn adds_negative() {\n    assert_eq!(add(-1, -2), -3);\n}\n#[test]\nfn adds_zero() {\n    assert_eq!(add(0, 0), 0);\n}\n```";
        assert_eq!(rep(code), Some(1.0));
    }

    #[test]
    fn loops_score_low() {
        let lp = "What is the capital of France? mendatang\n".repeat(8);
        assert!(rep(&lp).expect("signal") < 0.2);
        let slashes = "/\n".repeat(100);
        assert_eq!(rep(&slashes), Some(0.0));
        let fences = format!("```go\nfunc f() {{}}\n```\n{}", "```\n".repeat(60));
        assert!(rep(&fences).expect("signal") < 0.2);
    }

    #[test]
    fn short_answers_are_absent() {
        assert_eq!(rep("Paris."), None);
        assert_eq!(rep(""), None);
    }
}
