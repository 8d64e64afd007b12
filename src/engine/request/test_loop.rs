//! Test-checked escalation (DESIGN.md, "Acting on code"): with
//! `hybrid.routing.check_with_tests`, a hybrid edit draft is judged by the workspace's
//! tests, run in the sandbox on a scratch copy with the edit applied. A pass offers the
//! edit ("tests pass (12.3 s)"); a failure goes back to the fast server once with the
//! output; a second failure escalates to the quality server with the task, the draft and
//! the output. Bounded by `test_attempts` runs and `test_budget_secs` in all. Tests that
//! cannot run leave the edit "not checked", never "passed".
//!
//! A workspace without tests is checked by the answer's own demonstration instead (the
//! prompt asks for one: `edit::demo`): each answer's, run the same way. Its pass says "the
//! demonstration runs", never "tests pass".

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};

use super::{Answer, Leg, Outcome, Run};
use crate::backend::{BackendId, ChatMessage, Role};
use crate::confidence::Signal;
use crate::engine::edits::Proposed;
use crate::engine::events::EventKind;
use crate::engine::test_check::{self, Checked};

/// What checks an edit.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Check {
    /// The workspace's test command.
    Tests(Vec<String>),
    /// The command that runs an answer's demonstration.
    Demo(Vec<String>),
}

impl Check {
    /// The workspace's tests, else the answer's demonstration; `None`: nothing can check it.
    fn of(root: &Path, configured: &str, answer: &str) -> Option<Check> {
        crate::workspace::test_command::command(root, configured)
            .map(Check::Tests)
            .or_else(|| crate::edit::demo::find(answer).map(Check::Demo))
    }

    /// The check for a later answer: the same tests, or its own demonstration (else the
    /// one before, which shows the same change).
    fn for_answer(&self, answer: &str) -> Check {
        match self {
            Check::Tests(_) => self.clone(),
            Check::Demo(_) => crate::edit::demo::find(answer)
                .map(Check::Demo)
                .unwrap_or_else(|| self.clone()),
        }
    }

    fn argv(&self) -> &[String] {
        match self {
            Check::Tests(a) | Check::Demo(a) => a,
        }
    }

    /// "the tests" or "the demonstration", for sentences.
    fn what(&self) -> &'static str {
        match self {
            Check::Tests(_) => "the tests",
            Check::Demo(_) => "the demonstration",
        }
    }

    /// "the tests fail" or "the demonstration fails".
    fn fails(&self) -> &'static str {
        match self {
            Check::Tests(_) => "the tests fail",
            Check::Demo(_) => "the demonstration fails",
        }
    }
}

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
        let Some(mut check) = Check::of(root, &configured, &draft.text) else {
            let note = "not checked: no test command is known (set workspace.test_command), \
                        and the answer shows no demonstration to run";
            self.offer_checked(root, proposed, note.into()).await;
            return Outcome::Done(draft);
        };
        let mut asked = Asked::default();
        // The draft, then its one retry; what fails both goes to the quality server.
        let (mut answer, mut proposal) = (draft, proposed);
        let mut retried = false;
        let failed = loop {
            let ran = self
                .asked_and_tested(
                    root,
                    &proposal,
                    &check,
                    &mut asked,
                    &mut budget,
                    answer.backend,
                )
                .await;
            let Some(result) = ran else {
                return Outcome::Cancelled;
            };
            let checked = match result {
                Some(Ok(c)) if !c.passed => c,
                result => {
                    let note = note(&check, result);
                    self.offer_checked(root, proposal, note).await;
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
                    "{} (exit {}); sending the output back to {} once",
                    check.fails(),
                    checked.exit_code,
                    answer.backend.label()
                ),
            })
            .await;
            let leg = Leg {
                id: answer.backend,
                model: None,
                messages: failed_check_messages(messages, &answer.text, &check, &checked),
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
                    check = check.for_answer(&second.text);
                    (answer, proposal) = (second, again);
                }
                Outcome::Cancelled => return Outcome::Cancelled,
                Outcome::Failed(_) => break checked,
            }
        };
        let mut run = Checking {
            check,
            asked,
            budget,
        };
        self.escalate_on_tests(root, messages, answer, proposal, &failed, &mut run)
            .await
    }

    /// Asks to run `check` where it must, then runs it for `proposal`. The outer `None`:
    /// the request was cancelled while asking; the inner result is [`Run::test`]'s, or
    /// `Err` when the user declined.
    #[allow(clippy::too_many_arguments)]
    async fn asked_and_tested(
        &mut self,
        root: &Path,
        proposal: &Proposed,
        check: &Check,
        asked: &mut Asked,
        budget: &mut Budget,
        backend: BackendId,
    ) -> Option<Option<Result<Checked, String>>> {
        Some(match self.check_once(check, asked).await? {
            Ok(()) => self.test(root, proposal, check, budget, backend).await,
            Err(declined) => Some(Err(declined)),
        })
    }

    /// Whether `check` may run: at once with `sandbox.approval = "auto"` or when this very
    /// command was allowed before, else after an `approval` event is answered. `Err` says
    /// the user declined; `None`: the request was cancelled meanwhile.
    async fn check_once(&mut self, check: &Check, asked: &mut Asked) -> Option<Result<(), String>> {
        let argv = check.argv();
        if self.shared.config.sandbox.approval == "auto" || asked.allowed.iter().any(|a| a == argv)
        {
            return Some(Ok(()));
        }
        if asked.declined {
            return Some(Err(format!("you chose not to run {}", check.what())));
        }
        let why = match check {
            Check::Tests(_) => {
                "to check the edit, on a scratch copy of the workspace, in the sandbox"
            }
            Check::Demo(_) => {
                "to check the edit by running the answer's demonstration, on a scratch copy of \
                 the workspace, in the sandbox"
            }
        };
        self.emit(EventKind::Approval {
            argv: argv.to_vec(),
            why: why.into(),
        })
        .await;
        let yes = tokio::select! {
            answer = self.approvals.recv() => answer.unwrap_or(false),
            _ = &mut self.cancel => return None,
        };
        if yes {
            asked.allowed.push(argv.to_vec());
            Some(Ok(()))
        } else {
            asked.declined = true;
            Some(Err(format!("you chose not to run {}", check.what())))
        }
    }

    /// Runs the tests for `proposal` on a scratch copy, with `test_run` and `test_result`
    /// events; `None` when the budget is spent.
    async fn test(
        &self,
        root: &Path,
        proposal: &Proposed,
        check: &Check,
        budget: &mut Budget,
        backend: BackendId,
    ) -> Option<Result<Checked, String>> {
        let argv = check.argv();
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
        self.audit_test_run(root, check, &result);
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
    fn audit_test_run(&self, root: &Path, check: &Check, result: &Result<Checked, String>) {
        let argv = check.argv();
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
            "for": match check {
                Check::Tests(_) => "checking an edit",
                Check::Demo(_) => "checking an edit with the answer's demonstration",
            },
        });
        crate::engine::audit(&self.shared, "command", self.session, detail);
    }

    /// The fast edit fails its tests twice: the quality server gets the task, the draft and
    /// the output, and its edit is checked once more when the budget allows.
    async fn escalate_on_tests(
        &mut self,
        root: &Path,
        messages: &[ChatMessage],
        draft: Box<Answer>,
        proposal: Proposed,
        failed: &Checked,
        run: &mut Checking,
    ) -> Outcome {
        if !self.may_escalate(&draft) {
            let note = format!(
                "{} (exit {}); the edit is offered unchecked by the quality server",
                run.check.fails(),
                failed.exit_code
            );
            self.offer_checked(root, proposal, note).await;
            return Outcome::Done(draft);
        }
        let detail = format!(
            "the edit fails {} (exit {})",
            run.check.what(),
            failed.exit_code
        );
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
            early: None,
        })
        .await;
        let problem = format!(
            "{detail}. The output of `{}` ends:\n```\n{}\n```",
            shown_command(run.check.argv()),
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
        let check = run.check.for_answer(&quality.text);
        let ran = self
            .asked_and_tested(
                root,
                &proposed,
                &check,
                &mut run.asked,
                &mut run.budget,
                BackendId::Ollama,
            )
            .await;
        let Some(result) = ran else {
            return Outcome::Cancelled;
        };
        let note = note(&check, result);
        self.offer_checked(root, proposed, note).await;
        Outcome::Done(quality)
    }
}

/// The commands the user allowed to run during this request, and whether they declined
/// one (then nothing more is asked).
#[derive(Default)]
struct Asked {
    allowed: Vec<Vec<String>>,
    declined: bool,
}

/// What the escalation carries on with: the check, what was allowed, the budget left.
struct Checking {
    check: Check,
    asked: Asked,
    budget: Budget,
}

/// A command as the model is shown it: its arguments joined, the code of a demonstration
/// included.
fn shown_command(argv: &[String]) -> String {
    argv.join(" ")
}

/// What the user is told about an edit's check: passed (with the time), failed, or not
/// checked and why (never "passed" without a passing run; a demonstration that runs is
/// not "tests pass").
fn note(check: &Check, result: Option<Result<Checked, String>>) -> String {
    let secs = |c: &Checked| c.duration.as_secs_f64();
    match (check, result) {
        (Check::Tests(_), Some(Ok(c))) if c.passed => format!("tests pass ({:.1} s)", secs(&c)),
        (Check::Demo(_), Some(Ok(c))) if c.passed => {
            format!("the demonstration runs ({:.1} s); no tests", secs(&c))
        }
        (Check::Tests(_), Some(Ok(c))) => format!("the tests still fail (exit {})", c.exit_code),
        (Check::Demo(_), Some(Ok(c))) => {
            format!("the demonstration still fails (exit {})", c.exit_code)
        }
        (_, Some(Err(why))) => format!("not checked: {why}"),
        (_, None) => "not checked: the test budget is spent".into(),
    }
}

/// The conversation, the draft, and the failing output, asking for the edits again.
fn failed_check_messages(
    messages: &[ChatMessage],
    answer: &str,
    check: &Check,
    failed: &Checked,
) -> Vec<ChatMessage> {
    let (fails, goal) = match check {
        Check::Tests(_) => ("the tests fail", "the tests pass"),
        Check::Demo(_) => ("your demonstration fails", "the demonstration succeeds"),
    };
    let note = format!(
        "With your edits applied, {fails} (exit {}). The output ends:\n```\n{}\n```\n\n\
         Fix the edits so that {goal}. Write the edits again in the same format, \
         against the files as they were before your edits.",
        failed.exit_code,
        failed.output.trim_end()
    );
    let mut out = messages.to_vec();
    out.push(ChatMessage::new(Role::Assistant, answer));
    out.push(ChatMessage::new(Role::User, note));
    out
}
