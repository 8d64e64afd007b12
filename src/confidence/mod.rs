//! Confidence of a finished fast answer: a score in [0,1] from every signal available,
//! each reported separately. (Being built; see issue 4.)

use std::collections::BTreeMap;

use serde::Serialize;

use crate::backend::TokenLogprob;
use crate::router::TaskType;

/// A finished fast answer and what is known about how it was produced.
#[derive(Debug, Clone, Copy)]
pub struct Draft<'a> {
    pub prompt: &'a str,
    pub answer: &'a str,
    pub task_type: TaskType,
    pub finish_reason: Option<&'a str>,
    pub logprobs: &'a [TokenLogprob],
}

/// One signal's verdict: `score` in [0,1] (1 = no sign of trouble) and its weight in the
/// overall score; `detail` says what was seen, for the inspector and the escalation prompt.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Signal {
    pub score: f32,
    pub weight: f32,
    pub detail: String,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Report {
    pub score: f32,
    pub signals: BTreeMap<&'static str, Signal>,
}

impl Report {
    /// What was wrong with the draft, one phrase per weak signal, for the quality server.
    pub fn problems(&self) -> Vec<String> {
        self.signals
            .values()
            .filter(|s| s.score < 0.5)
            .map(|s| s.detail.clone())
            .collect()
    }
}

/// Scores a draft. Only truncation is judged until the full scorer lands.
pub fn score(d: &Draft) -> Report {
    let mut signals = BTreeMap::new();
    let truncated = d.finish_reason == Some("length");
    signals.insert(
        "truncation",
        Signal {
            score: if truncated { 0.0 } else { 1.0 },
            weight: 1.0,
            detail: if truncated {
                "the answer was cut off at the token limit".into()
            } else {
                "the answer finished".into()
            },
        },
    );
    let score = if truncated { 0.0 } else { 1.0 };
    Report { score, signals }
}
