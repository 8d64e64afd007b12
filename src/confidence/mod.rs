//! Confidence of a finished fast answer: a score in [0,1] from every signal available,
//! each reported separately, so the engine can decide whether to escalate a hybrid request
//! and tell the quality server what looked wrong.
//!
//! Signals (name in the report → module):
//! - `truncation`: finish reason `length`, or a code block left open (text_signals)
//! - `refusal`: empty or refusing answers (text_signals)
//! - `hedging`: density of doubtful phrases in the prose (text_signals)
//! - `echo`: the answer repeats the prompt instead of answering (text_signals)
//! - `length`: too short for the task type and prompt (expectation)
//! - `code_block`: a code task answered without code (expectation)
//! - `language`: code in another language than the prompt names (expectation)
//! - `relevance`: no content word of the prompt in the answer (relevance)
//! - `consistency`: the explanation names calls the code never makes (consistency)
//! - `repetition`: loops and degenerate repeats (repetition)
//! - `asked`: a change was asked for and the prompt's own code came back unchanged (asked)
//! - `hazards`: known bug and security patterns in the code, as linters flag them (hazards)
//! - `signature`: the one function defined cannot take what the prompt gives it (signature)
//! - `syntax`: share of the code that fails to parse, per fenced block (syntax)
//! - `logprobs`: mean and 10th percentile of token log probabilities (logprobs)
//! - `examples`: the results the draft claims for its own Python or JavaScript code and what
//!   the prompt asks of its function, checked by running it; its Rust, C, C++, Java, Go and
//!   TypeScript compiled, and its short shell commands tried; added by the engine after the
//!   run, through [`with_examples`] (claims)
//!
//! A signal that cannot be judged (no logprobs, no code in a known language, no prose) is
//! left out of the report, never counted as a neutral score with weight.

mod asked;
pub mod claims;
mod code_line;
mod consistency;
mod data_formats;
pub mod early;
mod elision;
mod expectation;
mod fences;
mod grammar;
mod hazards;
mod logprobs;
mod relevance;
mod repetition;
mod signature;
mod sql;
mod syntax;
mod text_signals;
mod words;

use std::collections::BTreeMap;

use serde::Serialize;

use crate::logprob::TokenLogprob;
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

/// How far one weak signal alone may pull the overall score down: a signal scoring `s`
/// caps the overall score at `1 - severity * (1 - s)`. Truncation, emptiness or refusal and
/// looping are critical (severity 1: the answer is broken whatever else is right). Code that
/// does not parse and an answer that never commits are nearly as bad (0.8); unsure tokens
/// (0.6: measured on the development answers, the logprob signal's ceiling at 0.4 ranked
/// the real answers at AUROC 0.849, at 0.6 at 0.866), missing code or code in the wrong
/// language (0.5) tell less; the rest are doubts.
fn severity(name: &str) -> f32 {
    match name {
        "truncation" | "refusal" | "repetition" => 1.0,
        "examples" => 0.9,
        "hazards" => 0.7,
        "syntax" => 0.8,
        "hedging" => 0.8,
        "code_block" | "language" | "echo" | "asked" => 0.5,
        "signature" => 0.6,
        "logprobs" => 0.6,
        "relevance" | "consistency" => 0.4,
        _ => 0.3,
    }
}

/// Scores a draft from every signal available. Never panics, whatever the answer holds.
pub fn score(d: &Draft) -> Report {
    let doc = fences::with_bare_json(fences::split(d.answer), d.prompt, d.answer);
    // Parsing the code is most of the work; the other signals run beside it (a fifth of
    // the answer's length is about their cost in parsed bytes, measured on the 10 KB bench:
    // 0.45 ms for them against 1.3 ms to parse 5.5 KB of code).
    let (syntax, others) = syntax::signal_alongside(&doc, d.answer.len() / 5, || {
        [
            (
                "truncation",
                Some(text_signals::truncation(d.finish_reason, &doc)),
            ),
            ("refusal", Some(text_signals::refusal(d.answer, &doc))),
            ("hedging", text_signals::hedging(&doc)),
            ("echo", text_signals::echo(d.prompt, d.answer)),
            ("length", expectation::length(d)),
            ("code_block", expectation::code_block(d, &doc)),
            ("language", expectation::language(d, &doc)),
            ("relevance", relevance::signal_for(d.prompt, d.answer)),
            ("consistency", consistency::signal_for(d.prompt, &doc)),
            ("repetition", repetition::signal_for(d.answer)),
            ("hazards", hazards::signal_for(d.prompt, d.answer)),
            ("asked", asked::signal_for(d.prompt, &doc, d.task_type)),
            ("signature", signature::signal_for(d.prompt, &doc)),
            ("logprobs", logprobs::signal_for(d.logprobs)),
        ]
    });
    let signals: BTreeMap<&'static str, Signal> = others
        .into_iter()
        .chain([("syntax", syntax)])
        .filter_map(|(name, s)| Some((name, s?)))
        .collect();
    let score = combine(&signals);
    Report { score, signals }
}

/// `report` with the `examples` signal (its claims checked by running the code) added and
/// the score combined again.
pub fn with_examples(mut report: Report, examples: Signal) -> Report {
    // A short answer whose claims held when run says enough: "It prints 3" needs no more
    // words once running the code prints 3.
    // Likewise the model's doubt about its own tokens: running the code has settled what
    // the doubt was about.
    if examples.score >= 1.0 {
        for name in ["length", "logprobs"] {
            if let Some(s) = report.signals.get_mut(name).filter(|s| s.score < 1.0) {
                let detail = format!("{}, but what it claims held when run", s.detail);
                *s = signal(1.0, s.weight, detail);
            }
        }
    }
    report.signals.insert("examples", examples);
    report.score = combine(&report.signals);
    report
}

/// The weighted mean of the present signals, capped by the weakest signal's ceiling.
///
/// A plain mean dilutes one damning signal among many that saw nothing wrong: a truncated
/// answer with valid code and confident tokens would still score about 0.8, and so would
/// code that does not parse. A product would let every mild doubt compound. So the mean ranks
/// ordinary answers, and each signal also sets a ceiling by its severity (a min-combination):
/// an answer cut off at the token limit scores at most 0.05 however good its first half was,
/// and code that does not parse at all at most 0.4.
fn combine(signals: &BTreeMap<&'static str, Signal>) -> f32 {
    let (sum, weights) = signals.values().fold((0.0f32, 0.0f32), |(s, w), sig| {
        (s + sig.score * sig.weight, w + sig.weight)
    });
    let mean = if weights > 0.0 { sum / weights } else { 0.5 };
    let ceiling = signals
        .iter()
        .map(|(name, s)| 1.0 - severity(name) * (1.0 - s.score))
        .fold(1.0f32, f32::min);
    let score = mean.min(ceiling);
    if score.is_finite() {
        (score.clamp(0.0, 1.0) * 1000.0).round() / 1000.0
    } else {
        0.0
    }
}

/// A signal with its score kept in [0,1] (NaN reads as no confidence).
fn signal(score: f32, weight: f32, detail: impl Into<String>) -> Signal {
    let score = if score.is_nan() {
        0.0
    } else {
        score.clamp(0.0, 1.0)
    };
    Signal {
        score: (score * 1000.0).round() / 1000.0,
        weight,
        detail: detail.into(),
    }
}
