//! Test-checked escalation (DESIGN.md, "Acting on code"): with
//! `hybrid.routing.check_with_tests`, a hybrid edit draft is judged by the workspace's
//! tests, run in the sandbox on a scratch copy with the edit applied. A pass offers the
//! edit ("tests pass (12.3 s)"); a failure goes back to the fast server once with the
//! output; a second failure escalates to the quality server with the task, the draft and
//! the output. Bounded by `test_attempts` runs and `test_budget_secs` in all. Tests that
//! cannot run leave the edit "not checked", never "passed".

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};

use super::{Answer, Leg, Outcome, Run};
use crate::backend::{BackendId, ChatMessage, Role};
use crate::confidence::Signal;
use crate::engine::edits::Proposed;
use crate::engine::events::EventKind;
use crate::engine::test_check::{self, Checked};

/// Where the loop stands.
struct Budget {
    runs_left: u32,
    deadline: Instant,
    attempt: u32,
}

impl Run {
    pub(super) async fn test_loop(
        &mut self,
        root: &Path,
        messages: &[ChatMessage],
        draft: Box<Answer>,
        proposed: Proposed,
    ) -> Outcome {
        let routing = &self.shared.config.hybrid.routing;
        let mut budget = Budget {
            runs_left: routing.test_attempts.max(1),
            deadline: Instant::now() + Duration::from_secs(routing.test_budget_secs),
            attempt: 0,
        };
        let configured = self.shared.config.workspace.test_command.clone();
        let Some(argv) = crate::workspace::test_command::command(root, &configured) else {
            let note = "not checked: no test command is known (set workspace.test_command)";
            self.offer_checked(root, proposed, note.into()).await;
            return Outcome::Done(draft);
        };
        match self.approved(&argv).await {
            Some(true) => {}
            Some(false) => {
                let note = "not checked: you chose not to run the tests".to_owned();
                self.offer_checked(root, proposed, note).await;
                return Outcome::Done(draft);
            }
            None => return Outcome::Cancelled,
        }
        // The draft, then its one retry; what fails both goes to the quality server.
        let (mut answer, mut proposal) = (draft, proposed);
        let mut retried = false;
        let failed = loop {
            let checked = match self
                .test(root, &proposal, &argv, &mut budget, answer.backend)
                .await
            {
                Some(Ok(c)) if !c.passed => c,
                result => {
                    self.offer_checked(root, proposal, note(result)).await;
                    return Outcome::Done(answer);
                }
            };
            if retried || budget.runs_left == 0 {
                break checked;
            }
            retried = true;
            self.emit(EventKind::Status {
                backend: Some(answer.backend),
                message: format!(
                    "the tests fail (exit {}); sending the output back to {} once",
                    checked.exit_code,
                    answer.backend.label()
                ),
            })
            .await;
            let leg = Leg {
                id: answer.backend,
                model: None,
                messages: failed_tests_messages(messages, &answer.text, &checked),
                draft: true,
                may_trim: true,
            };
            match self.attempt(leg).await {
                Outcome::Done(second) => {
                    let again = self.propose(root, &second.text).await;
                    if again.changes.is_empty() {
                        // The retry proposed nothing usable: the failing draft stands.
                        break checked;
                    }
                    (answer, proposal) = (second, again);
                }
                Outcome::Cancelled => return Outcome::Cancelled,
                Outcome::Failed(_) => break checked,
            }
        };
        self.escalate_on_tests(
            root,
            messages,
            answer,
            proposal,
            &failed,
            &argv,
            &mut budget,
        )
        .await
    }

    /// Whether the user lets the tests run: at once with `sandbox.approval = "auto"`, else
    /// after an `approval` event is answered. `None`: the request was cancelled meanwhile.
    async fn approved(&mut self, argv: &[String]) -> Option<bool> {
        if self.shared.config.sandbox.approval == "auto" {
            return Some(true);
        }
        self.emit(EventKind::Approval {
            argv: argv.to_vec(),
            why: "to check the edit, on a scratch copy of the workspace, in the sandbox".into(),
        })
        .await;
        tokio::select! {
            answer = self.approvals.recv() => Some(answer.unwrap_or(false)),
            _ = &mut self.cancel => None,
        }
    }

    /// Runs the tests for `proposal` on a scratch copy, with `test_run` and `test_result`
    /// events; `None` when the budget is spent.
    async fn test(
        &self,
        root: &Path,
        proposal: &Proposed,
        argv: &[String],
        budget: &mut Budget,
        backend: BackendId,
    ) -> Option<Result<Checked, String>> {
        let left = budget.deadline.checked_duration_since(Instant::now())?;
        if budget.runs_left == 0 || left.is_zero() {
            return None;
        }
        budget.runs_left -= 1;
        budget.attempt += 1;
        let attempt = budget.attempt;
        self.emit(EventKind::TestRun {
            backend,
            attempt,
            argv: argv.to_vec(),
        })
        .await;
        let (config, at, changes, cmd) = (
            self.shared.config.sandbox.clone(),
            root.to_path_buf(),
            proposal.changes.clone(),
            argv.to_vec(),
        );
        let wall = left.min(Duration::from_secs(config.wall_secs.max(1)));
        let job = tokio::task::spawn_blocking(move || {
            test_check::check(&config, &at, &changes, cmd, wall)
        });
        let result = job
            .await
            .unwrap_or_else(|_| Err("the test run failed unexpectedly".into()));
        self.audit_test_run(root, argv, &result);
        let kind = match &result {
            Ok(c) => EventKind::TestResult {
                backend,
                attempt,
                passed: Some(c.passed),
                exit_code: Some(c.exit_code),
                duration_ms: c.duration.as_secs_f64() * 1000.0,
                output: if c.passed {
                    String::new()
                } else {
                    c.output.clone()
                },
                error: None,
            },
            Err(e) => EventKind::TestResult {
                backend,
                attempt,
                passed: None,
                exit_code: None,
                duration_ms: 0.0,
                output: String::new(),
                error: Some(e.clone()),
            },
        };
        self.emit(kind).await;
        Some(result)
    }

    /// A test run is a command run on the user's behalf: it goes in the audit trail, with
    /// the request's session, like `/run`'s.
    fn audit_test_run(&self, root: &Path, argv: &[String], result: &Result<Checked, String>) {
        let (exit_code, duration_ms, error, sandbox) = match result {
            Ok(c) => (
                Some(c.exit_code),
                c.duration.as_secs_f64() * 1000.0,
                None,
                c.sandbox,
            ),
            Err(e) => (None, 0.0, Some(e.clone()), "none"),
        };
        let detail = serde_json::json!({
            "argv": argv,
            "workspace": root.display().to_string(),
            "cwd": "a scratch copy of the workspace",
            "sandbox": sandbox,
            "exit_code": exit_code,
            "duration_ms": duration_ms.round(),
            "error": error,
            "for": "checking an edit",
        });
        crate::engine::audit(&self.shared, "command", self.session, detail);
    }

    /// The fast edit fails its tests twice: the quality server gets the task, the draft and
    /// the output, and its edit is checked once more when the budget allows.
    #[allow(clippy::too_many_arguments)]
    async fn escalate_on_tests(
        &mut self,
        root: &Path,
        messages: &[ChatMessage],
        draft: Box<Answer>,
        proposal: Proposed,
        failed: &Checked,
        argv: &[String],
        budget: &mut Budget,
    ) -> Outcome {
        if !self.may_escalate(&draft) {
            let note = format!(
                "the tests fail (exit {}); the edit is offered unchecked by the quality server",
                failed.exit_code
            );
            self.offer_checked(root, proposal, note).await;
            return Outcome::Done(draft);
        }
        let detail = format!("the edit fails the tests (exit {})", failed.exit_code);
        let signal = Signal {
            score: 0.0,
            weight: 1.0,
            detail: detail.clone(),
        };
        self.escalated = true;
        self.emit(EventKind::Escalate {
            from: draft.backend,
            to: BackendId::Ollama,
            confidence: 0.0,
            threshold: self.shared.config.hybrid.routing.escalation_threshold,
            signals: BTreeMap::from([("tests", signal)]),
        })
        .await;
        let problem = format!(
            "{detail}. The test output ends:\n```\n{}\n```",
            failed.output.trim_end()
        );
        let leg = Leg {
            id: BackendId::Ollama,
            model: None,
            messages: crate::engine::route::escalation_messages(
                messages.to_vec(),
                &draft.text,
                &[problem],
            ),
            draft: false,
            may_trim: true,
        };
        let quality = match self.attempt(leg).await {
            Outcome::Done(q) => q,
            Outcome::Failed(e) if !self.partial => {
                let note = format!(
                    "escalation failed ({}); the fast edit fails its tests",
                    e.message
                );
                self.offer_checked(root, proposal, note).await;
                return Outcome::Done(draft);
            }
            other => return other,
        };
        let (proposed, last) = self
            .propose_with_retry(root, quality, messages, false)
            .await;
        let Some(quality) = last else {
            return Outcome::Cancelled;
        };
        let result = self
            .test(root, &proposed, argv, budget, BackendId::Ollama)
            .await;
        let note = note(result);
        self.offer_checked(root, proposed, note).await;
        Outcome::Done(quality)
    }
}

/// What the user is told about an edit's tests: passed (with the time), failed, or not
/// checked and why (never "passed" without a passing run).
fn note(result: Option<Result<Checked, String>>) -> String {
    match result {
        Some(Ok(c)) if c.passed => format!("tests pass ({:.1} s)", c.duration.as_secs_f64()),
        Some(Ok(c)) => format!("the tests still fail (exit {})", c.exit_code),
        Some(Err(why)) => format!("not checked: {why}"),
        None => "not checked: the test budget is spent".into(),
    }
}

/// The conversation, the draft, and the failing output, asking for the edits again.
fn failed_tests_messages(
    messages: &[ChatMessage],
    answer: &str,
    failed: &Checked,
) -> Vec<ChatMessage> {
    let note = format!(
        "With your edits applied, the tests fail (exit {}). Their output ends:\n```\n{}\n```\n\n\
         Fix the edits so that the tests pass. Write the edits again in the same format, \
         against the files as they were before your edits.",
        failed.exit_code,
        failed.output.trim_end()
    );
    let mut out = messages.to_vec();
    out.push(ChatMessage::new(Role::Assistant, answer));
    out.push(ChatMessage::new(Role::User, note));
    out
}
