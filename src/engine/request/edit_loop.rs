//! The edit loop of an edit request (DESIGN.md, "Acting on code"): the answer's blocks are
//! read against the workspace; a block the model can fix (it does not match the file, or is
//! malformed or cut off) goes back once to the server that wrote it, with the error and
//! the file's real text around the closest match. If a hybrid draft's edits still do not
//! apply, that is the `edit_applies` confidence signal, and the quality server answers.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use super::{Answer, Leg, Outcome, Run};
use crate::backend::{BackendId, ChatMessage, Role};
use crate::confidence::Signal;
use crate::engine::edits::{self, Fixable, Proposed};
use crate::engine::events::EventKind;
use crate::router::RoutingDecision;

/// The most of a file's real text sent back with one failed block.
const NEAR_CHARS: usize = 4_000;

impl Run {
    /// Proposes (and with `--apply` writes) the edits of a finished answer, retrying fixable
    /// blocks once and escalating a hybrid draft whose edits still fail. Returns the outcome
    /// whose `done` ends the request.
    ///
    /// A hybrid draft whose edits apply is then judged like any draft, on its prose and the
    /// files its edits produce; a weak one escalates, and the quality answer's edits are
    /// read (and retried) in turn.
    pub(super) async fn edit_loop(
        &mut self,
        outcome: Outcome,
        messages: Vec<ChatMessage>,
        hybrid: bool,
        decision: &RoutingDecision,
    ) -> Outcome {
        let Outcome::Done(answer) = outcome else {
            return outcome;
        };
        let Some(root) = self.root.clone() else {
            self.send(EventKind::Status {
                backend: None,
                message: "the answer's edits are not shown: there is no workspace".into(),
            })
            .await;
            return Outcome::Done(answer);
        };
        let judged = hybrid && answer.backend == BackendId::Lmstudio && !self.escalated;
        let (mut proposed, mut last) = self
            .propose_with_retry(&root, answer, &messages, judged)
            .await;
        let Some(draft) = last.take() else {
            return Outcome::Cancelled;
        };
        let mut final_answer = draft;
        let tests = self.shared.config.hybrid.routing.check_with_tests;
        if judged && tests && proposed.fixable.is_empty() && !proposed.changes.is_empty() {
            return self
                .test_loop(&root, &messages, final_answer, proposed)
                .await;
        }
        if judged && proposed.fixable.is_empty() {
            let scored = edits::scored_text(&final_answer.text, &proposed.changes);
            match self
                .judge(final_answer, decision, messages.clone(), Some(scored))
                .await
            {
                Outcome::Done(kept) if kept.backend == BackendId::Lmstudio => {
                    final_answer = kept;
                }
                // Escalated on its score: the quality answer's edits are read afresh.
                Outcome::Done(quality) => {
                    let (again, last) = self
                        .propose_with_retry(&root, quality, &messages, false)
                        .await;
                    let Some(quality) = last else {
                        return Outcome::Cancelled;
                    };
                    self.offer(&root, again).await;
                    return Outcome::Done(quality);
                }
                other => return other,
            }
        } else if judged && self.may_escalate(&final_answer) {
            match self
                .escalate_edits(&messages, &final_answer, &proposed.fixable)
                .await
            {
                Outcome::Done(quality) => {
                    let (again, last) = self
                        .propose_with_retry(&root, quality, &messages, false)
                        .await;
                    let Some(quality) = last else {
                        return Outcome::Cancelled;
                    };
                    proposed = again;
                    final_answer = quality;
                }
                Outcome::Cancelled => return Outcome::Cancelled,
                Outcome::Failed(e) if self.partial => return Outcome::Failed(e),
                Outcome::Failed(e) => {
                    let message = format!(
                        "escalation failed ({}); keeping the fast draft's edits",
                        e.message
                    );
                    self.emit(EventKind::Status {
                        backend: Some(BackendId::Ollama),
                        message,
                    })
                    .await;
                }
            }
        }
        self.offer(&root, proposed).await;
        Outcome::Done(final_answer)
    }

    /// The answer's proposal, and the answer that ends the request (`None`: cancelled
    /// during the retry). A fixable failure is sent back once to the same server; the
    /// retry of a hybrid draft (`draft`) streams as draft text too, still to be judged.
    pub(super) async fn propose_with_retry(
        &mut self,
        root: &Path,
        answer: Box<Answer>,
        messages: &[ChatMessage],
        draft: bool,
    ) -> (Proposed, Option<Box<Answer>>) {
        let first = self.propose(root, &answer.text).await;
        if first.fixable.is_empty() {
            return (first, Some(answer));
        }
        let n = first.fixable.len();
        self.emit(EventKind::Status {
            backend: Some(answer.backend),
            message: format!(
                "{} did not apply; sending {} back to {} once with the file's real text",
                if n == 1 {
                    "1 edit".to_owned()
                } else {
                    format!("{n} edits")
                },
                if n == 1 { "it" } else { "them" },
                answer.backend.label()
            ),
        })
        .await;
        let leg = Leg {
            id: answer.backend,
            model: model_of(&answer),
            messages: retry_messages(messages, &answer.text, &first.fixable),
            draft,
            may_trim: true,
        };
        match self.attempt(leg).await {
            Outcome::Done(second) => {
                let again = self.propose(root, &second.text).await;
                (edits::merge(first, again), Some(second))
            }
            Outcome::Cancelled => (first, None),
            Outcome::Failed(e) => {
                self.emit(EventKind::Status {
                    backend: Some(answer.backend),
                    message: format!("the retry failed ({}); keeping the first edits", e.message),
                })
                .await;
                (first, Some(answer))
            }
        }
    }

    /// Offers `proposed` (written with `--apply`) after saying how its tests went.
    pub(super) async fn offer_checked(&self, root: &Path, proposed: Proposed, note: String) {
        self.emit(EventKind::Status {
            backend: None,
            message: note,
        })
        .await;
        self.offer(root, proposed).await;
    }

    /// A fast draft may escalate on its edits when scoring is on, the threshold is not 0,
    /// it has not escalated already, and the quality server is usable.
    pub(super) fn may_escalate(&self, draft: &Answer) -> bool {
        let routing = &self.shared.config.hybrid.routing;
        let quality = self.shared.slot(BackendId::Ollama);
        draft.backend == BackendId::Lmstudio
            && !self.escalated
            && routing.confidence_scoring
            && routing.escalation_threshold > 0.0
            && quality.disabled_error().is_none()
            && quality.gate().is_ok()
    }

    /// Sends the task, the draft and its failed edits to the quality server.
    async fn escalate_edits(
        &mut self,
        messages: &[ChatMessage],
        draft: &Answer,
        failed: &[Fixable],
    ) -> Outcome {
        let detail = format!(
            "its edits did not apply to the files, even after a retry ({})",
            failed
                .iter()
                .map(|f| format!("{}: {}", display_path(&f.path), f.why))
                .collect::<Vec<_>>()
                .join("; ")
        );
        let signal = Signal {
            score: 0.0,
            weight: 1.0,
            detail: detail.clone(),
        };
        let signals = BTreeMap::from([("edit_applies", signal)]);
        let threshold = self.shared.config.hybrid.routing.escalation_threshold;
        self.escalated = true;
        self.emit(EventKind::Escalate {
            from: draft.backend,
            to: BackendId::Ollama,
            confidence: 0.0,
            threshold,
            signals,
            early: None,
        })
        .await;
        let leg = Leg {
            id: BackendId::Ollama,
            model: None,
            messages: crate::engine::route::escalation_messages(
                messages.to_vec(),
                &draft.text,
                &[detail],
            ),
            draft: false,
            may_trim: true,
        };
        self.attempt(leg).await
    }

    /// Reads an answer's blocks against the workspace on the blocking pool.
    pub(super) async fn propose(&self, root: &Path, answer: &str) -> Proposed {
        let max = self.shared.config.workspace.max_file_bytes();
        let answer = answer.to_owned();
        let sent: HashMap<String, String> = self
            .files
            .iter()
            .map(|g| (g.text.file.path.clone(), g.text.digest.clone()))
            .collect();
        let at: PathBuf = root.to_path_buf();
        let job = tokio::task::spawn_blocking(move || edits::propose(&at, &answer, max, &sent));
        job.await.unwrap_or_default()
    }

    /// Sends the proposal's `edit` events, after writing it when `--apply` asked.
    pub(super) async fn offer(&self, root: &Path, proposed: Proposed) {
        let Proposed {
            mut events,
            changes,
            ..
        } = proposed;
        if self.submit.apply && !changes.is_empty() {
            self.apply_edits(root, changes, &mut events).await;
        }
        for kind in events {
            self.send(kind).await;
        }
    }
}

fn model_of(answer: &Answer) -> Option<String> {
    match &answer.done {
        EventKind::Done { model, .. } if !model.is_empty() => Some(model.clone()),
        _ => None,
    }
}

fn display_path(path: &str) -> &str {
    if path.is_empty() {
        "a block without a path"
    } else {
        path
    }
}

/// The conversation so far, the answer, and a note naming each failed edit with the
/// file's real text near where it was meant to go.
pub fn retry_messages(
    messages: &[ChatMessage],
    answer: &str,
    failed: &[Fixable],
) -> Vec<ChatMessage> {
    let mut note = String::from("Some of your edits could not be applied:\n");
    for f in failed {
        note.push_str(&format!("\n- {}: {}.", display_path(&f.path), f.why));
        if let Some(near) = &f.near {
            let near = crate::text::short::head(near, NEAR_CHARS);
            note.push_str(&format!(
                " The file's actual lines there are:\n```\n{near}\n```"
            ));
        }
    }
    note.push_str(
        "\n\nWrite the edits for these files again, in the same format: the path on its own \
         line, then the fenced block. Each SEARCH part must copy the file's current lines \
         exactly. Write only the blocks for these files.",
    );
    let mut out = messages.to_vec();
    out.push(ChatMessage::new(Role::Assistant, answer));
    out.push(ChatMessage::new(Role::User, note));
    out
}
