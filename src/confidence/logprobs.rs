//! The model's own certainty, from the per-token log probabilities the server sent.
//!
//! The mean (not the sum, which only measures length) says how sure the model was overall;
//! the 10th percentile catches an answer that is fluent but guessed at a few key tokens (a
//! name, a number, an API). Loops are an exception the model is very sure of, which is why
//! repetition is its own signal. Absent when the server sent no logprobs (LM Studio).

use crate::logprob::TokenLogprob;

use super::{signal, Signal};

pub(crate) const WEIGHT: f32 = 2.0;

/// Mean log probability at or above which the mean part scores 1 (a geometric mean token
/// probability of about 0.8), and at or below which it scores 0 (about 0.22).
const MEAN_SURE: f64 = -0.2;
const MEAN_LOST: f64 = -1.5;
/// The same for the 10th percentile: tokens at p ≈ 0.6 are fine, p ≈ 0.01 is guessing.
const LOW_SURE: f64 = -0.5;
const LOW_LOST: f64 = -4.5;
/// The single least likely token: one guessed fact or name is where a fluent wrong answer
/// shows (the "weakest link" reading of token probabilities).
const MIN_SURE: f64 = -2.0;
const MIN_LOST: f64 = -6.0;

pub(crate) struct Stats {
    pub mean: f64,
    pub p10: f64,
    pub min: f64,
    pub tokens: usize,
}

/// Mean, 10th percentile (nearest rank) and minimum of the finite logprobs; `None` if there
/// are none. A selection, not a sort: linear in the answer's tokens.
pub(crate) fn stats(lps: &[TokenLogprob]) -> Option<Stats> {
    let mut v: Vec<f64> = lps
        .iter()
        .map(|t| t.logprob)
        .filter(|x| x.is_finite())
        .collect();
    if v.is_empty() {
        return None;
    }
    let mean = v.iter().sum::<f64>() / v.len() as f64;
    let min = v.iter().copied().fold(f64::INFINITY, f64::min);
    let k = (v.len() - 1) / 10;
    let (_, p10, _) = v.select_nth_unstable_by(k, f64::total_cmp);
    Some(Stats {
        mean,
        p10: *p10,
        min,
        tokens: v.len(),
    })
}

/// 1 at or above `sure`, 0 at or below `lost`, linear between.
fn ramp(x: f64, sure: f64, lost: f64) -> f64 {
    ((x - lost) / (sure - lost)).clamp(0.0, 1.0)
}

pub(crate) fn signal_for(lps: &[TokenLogprob]) -> Option<Signal> {
    let s = stats(lps)?;
    let score = 0.4 * ramp(s.mean, MEAN_SURE, MEAN_LOST)
        + 0.3 * ramp(s.p10, LOW_SURE, LOW_LOST)
        + 0.3 * ramp(s.min, MIN_SURE, MIN_LOST);
    let detail = format!(
        "token logprobs over {} tokens: mean {:.2}, 10th percentile {:.2}, least likely {:.2}{}",
        s.tokens,
        s.mean,
        s.p10,
        s.min,
        if score < 0.5 {
            " (the model was unsure)"
        } else {
            ""
        }
    );
    Some(signal(score as f32, WEIGHT, detail))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lps(values: &[f64]) -> Vec<TokenLogprob> {
        values
            .iter()
            .map(|&logprob| TokenLogprob {
                token: "t".into(),
                logprob,
            })
            .collect()
    }

    #[test]
    fn absent_without_logprobs() {
        assert!(signal_for(&[]).is_none());
        assert!(signal_for(&lps(&[f64::NAN, f64::NEG_INFINITY])).is_none());
    }

    #[test]
    fn sure_and_unsure_models() {
        let sure = signal_for(&lps(&[-0.01, -0.05, -0.1, -0.02, -0.3])).expect("signal");
        assert_eq!(sure.score, 1.0);
        let unsure = signal_for(&lps(&[-1.2, -2.5, -0.9, -4.0, -3.1, -1.8])).expect("signal");
        assert!(unsure.score < 0.3, "{unsure:?}");
        assert!(unsure.detail.contains("unsure"));
    }

    #[test]
    fn low_quantile_catches_a_few_guessed_tokens() {
        let mut v = vec![-0.01; 18];
        v.extend([-6.0, -5.0]);
        let s = signal_for(&lps(&v)).expect("signal");
        assert!(s.score < 0.85, "{s:?}");
        let st = stats(&lps(&v)).expect("stats");
        assert!(st.p10 <= -5.0);
    }

    #[test]
    fn mean_is_not_length_biased() {
        let short = signal_for(&lps(&[-0.3; 5])).expect("signal").score;
        let long = signal_for(&lps(&[-0.3; 500])).expect("signal").score;
        assert!((short - long).abs() < 1e-6);
    }
}
