//! The routing inspector's state, built from the request's events as they arrive: the
//! decision and its adjustments, the answer's confidence with every signal, and a
//! timeline of what happened (queueing, fallback, escalation, completion).

use crate::backend::BackendId;
use crate::backend_id::PerBackend;
use crate::engine::EventKind;

#[derive(Debug, Clone, Default)]
pub struct Inspector {
    pub task_type: Option<String>,
    pub complexity: f32,
    pub route: Option<String>,
    pub backend: Option<BackendId>,
    pub reasoning: String,
    /// (kind, from → to, why)
    pub adjustments: Vec<(String, String, String)>,
    pub decision_confidence: f32,
    pub answer: Option<Confidence>,
    pub timeline: Vec<Step>,
    /// Per backend: TTFT (ms) and tokens/s of its last answer.
    pub speed: PerBackend<Option<(Option<f64>, Option<f64>)>>,
    pub queue: PerBackend<usize>,
}

#[derive(Debug, Clone)]
pub struct Confidence {
    pub score: f32,
    pub threshold: f64,
    /// (signal, score, detail), weakest first.
    pub signals: Vec<(String, f32, String)>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StepKind {
    Info,
    Warn,
    Bad,
    Good,
}

#[derive(Debug, Clone)]
pub struct Step {
    pub kind: StepKind,
    pub text: String,
}

impl Inspector {
    /// Records a step, cleaned once here: steps quote servers and models (model names,
    /// reasons, test commands, early-stop units), and the terminal buffer drops C0/C1
    /// controls but keeps bidi ones.
    fn step(&mut self, kind: StepKind, text: String) {
        let text = crate::text::terminal::line(&text, " ").into_owned();
        self.timeline.push(Step { kind, text });
    }

    pub fn on_event(&mut self, kind: &EventKind) {
        match kind {
            EventKind::Route {
                decision, backend, ..
            } => {
                self.task_type = Some(decision.task_type.to_string());
                self.complexity = decision.complexity;
                self.route = Some(decision.selected.as_str().to_owned());
                self.backend = Some(*backend);
                self.reasoning = decision.reasoning.clone();
                self.decision_confidence = decision.confidence;
                self.adjustments = decision
                    .adjustments
                    .iter()
                    .map(|a| {
                        (
                            a.kind.as_str().to_owned(),
                            format!("{} → {}", a.from.as_str(), a.to.as_str()),
                            a.reason.clone(),
                        )
                    })
                    .collect();
                self.step(
                    StepKind::Info,
                    format!("routed to {}", decision.selected.label()),
                );
            }
            EventKind::Queued { backend, depth } => {
                self.queue[*backend] = *depth;
                self.step(
                    StepKind::Warn,
                    format!("{} busy: queued at depth {depth}", backend.label()),
                );
            }
            EventKind::Model { backend, model, .. } => {
                self.queue[*backend] = 0;
                self.step(StepKind::Info, format!("{}: {model}", backend.label()));
            }
            EventKind::Status { message, .. } => self.step(StepKind::Warn, message.clone()),
            EventKind::Fallback { from, to, error } => self.step(
                StepKind::Bad,
                format!("fallback {} → {}: {error}", from.label(), to.label()),
            ),
            EventKind::Confidence {
                score,
                threshold,
                signals,
                ..
            } => {
                let mut list: Vec<(String, f32, String)> = signals
                    .iter()
                    .map(|(k, s)| ((*k).to_owned(), s.score, s.detail.clone()))
                    .collect();
                list.sort_by(|a, b| a.1.total_cmp(&b.1));
                self.answer = Some(Confidence {
                    score: *score,
                    threshold: *threshold,
                    signals: list,
                });
                let kind = if f64::from(*score) >= *threshold {
                    StepKind::Good
                } else {
                    StepKind::Warn
                };
                self.step(
                    kind,
                    format!("draft confidence {score:.2} (threshold {threshold:.2})"),
                );
            }
            EventKind::Escalate {
                from,
                to,
                early: Some(stop),
                ..
            } => self.step(StepKind::Bad, early_step(*from, *to, stop)),
            EventKind::Escalate {
                from,
                to,
                confidence,
                signals,
                ..
            } => {
                let weak: Vec<&str> = signals
                    .iter()
                    .filter(|(_, s)| s.score < 0.5)
                    .map(|(name, _)| *name)
                    .collect();
                let why = if weak.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", weak.join(", "))
                };
                self.step(
                    StepKind::Bad,
                    format!(
                        "escalated {} → {} at {confidence:.2}{why}",
                        from.label(),
                        to.label()
                    ),
                )
            }
            EventKind::Unloaded {
                backend,
                model,
                idle_secs,
                reason,
            } => self.step(
                StepKind::Warn,
                crate::engine::unloaded_sentence(*backend, model, *idle_secs, reason),
            ),
            EventKind::TestRun {
                backend,
                attempt,
                argv,
            } => self.step(
                StepKind::Info,
                format!(
                    "tests #{attempt} on {}'s edit: {}",
                    backend.label(),
                    argv.join(" ")
                ),
            ),
            EventKind::TestResult {
                passed,
                exit_code,
                duration_ms,
                error,
                ..
            } => {
                let secs = duration_ms / 1000.0;
                match (passed, error) {
                    (Some(true), _) => {
                        self.step(StepKind::Good, format!("tests pass ({secs:.1} s)"))
                    }
                    (Some(false), _) => self.step(
                        StepKind::Bad,
                        format!("tests fail: exit {} ({secs:.1} s)", exit_code.unwrap_or(-1)),
                    ),
                    (None, e) => self.step(
                        StepKind::Warn,
                        format!(
                            "not checked: {}",
                            e.as_deref().unwrap_or("the tests could not run")
                        ),
                    ),
                }
            }
            EventKind::Trimmed {
                dropped, window, ..
            } => self.step(
                StepKind::Warn,
                format!("dropped {dropped} old turn(s) to fit a {window}-token window"),
            ),
            EventKind::Done {
                backend,
                ttft_ms,
                tokens_per_second,
                cached,
                total_ms,
                input_tokens,
                cached_tokens,
                ..
            } => {
                if !cached {
                    self.speed[*backend] = Some((*ttft_ms, *tokens_per_second));
                }
                let how = if *cached {
                    "answered from the cache".to_owned()
                } else {
                    // How much of the prompt the server's KV cache already held.
                    let warm = match (cached_tokens, input_tokens) {
                        (Some(c), Some(n)) if *n > 0 => {
                            format!(" · {c} of {n} prompt tokens from its cache")
                        }
                        _ => String::new(),
                    };
                    format!("done in {:.1} s{warm}", total_ms / 1000.0)
                };
                self.step(StepKind::Good, format!("{}: {how}", backend.label()));
            }
            EventKind::Error { message, .. } => self.step(StepKind::Bad, message.clone()),
            EventKind::Cancelled { .. } => self.step(StepKind::Warn, "cancelled".into()),
            _ => {}
        }
    }
}

/// "stopped the draft early after 412 tokens (looping…), saving about 41 s; escalated
/// LM Studio → Ollama": the early stop, and the time it saved against the draft's token
/// limit at its speed.
fn early_step(
    from: crate::backend::BackendId,
    to: crate::backend::BackendId,
    stop: &crate::engine::events::EarlyStop,
) -> String {
    let why = stop.reason.trim_start_matches("early: ");
    let saved = stop
        .saved_ms
        .map(|ms| format!(", saving about {:.0} s", ms / 1000.0))
        .unwrap_or_default();
    format!(
        "stopped the draft early after {} tokens ({why}){saved}; escalated {} → {}",
        stop.tokens,
        from.label(),
        to.label()
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backend::BackendId;

    #[test]
    fn test_runs_and_a_test_escalation_are_on_the_timeline() {
        let mut i = Inspector::default();
        i.on_event(&EventKind::TestRun {
            backend: BackendId::Lmstudio,
            attempt: 1,
            argv: vec!["python3".into(), "-m".into(), "unittest".into()],
        });
        let result = |passed, exit_code| EventKind::TestResult {
            backend: BackendId::Lmstudio,
            attempt: 1,
            passed,
            exit_code,
            duration_ms: 1234.0,
            output: String::new(),
            error: None,
        };
        i.on_event(&result(Some(false), Some(1)));
        let signal = crate::confidence::Signal {
            score: 0.0,
            weight: 1.0,
            detail: "the edit fails the tests (exit 1)".into(),
        };
        i.on_event(&EventKind::Escalate {
            early: None,
            from: BackendId::Lmstudio,
            to: BackendId::Ollama,
            confidence: 0.0,
            threshold: 0.7,
            signals: [("tests", signal)].into(),
        });
        i.on_event(&result(Some(true), Some(0)));
        let steps: Vec<&str> = i.timeline.iter().map(|s| s.text.as_str()).collect();
        assert_eq!(
            steps,
            [
                "tests #1 on LM Studio's edit: python3 -m unittest",
                "tests fail: exit 1 (1.2 s)",
                "escalated LM Studio → Ollama at 0.00 (tests)",
                "tests pass (1.2 s)",
            ]
        );
    }

    #[test]
    fn an_early_stop_an_unload_and_a_warm_cache_are_on_the_timeline() {
        let mut i = Inspector::default();
        i.on_event(&EventKind::Escalate {
            from: BackendId::Lmstudio,
            to: BackendId::Ollama,
            confidence: 0.0,
            threshold: 0.7,
            signals: Default::default(),
            early: Some(crate::engine::events::EarlyStop {
                reason: "early: the draft is looping (82% of its recent phrases are repeats)"
                    .into(),
                tokens: 346,
                saved_ms: Some(117_400.0),
            }),
        });
        i.on_event(&EventKind::Unloaded {
            backend: BackendId::Lmstudio,
            model: "qwen-coder-7b".into(),
            idle_secs: 900,
            reason: "to make room for big:32b".into(),
        });
        i.on_event(&EventKind::Done {
            backend: BackendId::Ollama,
            model: "q".into(),
            ttft_ms: Some(80.0),
            total_ms: 2_000.0,
            input_tokens: Some(812),
            output_tokens: Some(40),
            tokens_per_second: Some(20.0),
            finish_reason: Some("stop".into()),
            cached: false,
            cached_tokens: Some(790),
            endpoint: None,
        });
        let steps: Vec<&str> = i.timeline.iter().map(|s| s.text.as_str()).collect();
        assert_eq!(
            steps,
            [
                "stopped the draft early after 346 tokens (the draft is looping (82% of its recent phrases are repeats)), saving about 117 s; escalated LM Studio → Ollama",
                "unloaded qwen-coder-7b from LM Studio after 900 s idle, to make room for big:32b",
                "Ollama: done in 2.0 s · 790 of 812 prompt tokens from its cache",
            ]
        );
    }
}
