//! Edits in the app: asking for them (`/edit`), following the proposal while the answer
//! streams, applying the hunks the user keeps, undo, redo and commit. The app never writes a
//! file or the store itself: every write is a command the engine carries out and answers
//! (DESIGN.md, "The engine owns the conversation"; "Acting on code": preview, key press,
//! atomic journaled write, undo).

pub mod proposal;

pub use proposal::EditEvent;
use proposal::{Proposal, Stage, Stream};

use super::app::App;
use super::chat::Who;
use super::overlay::{CommitConfirm, DiffView, Overlay};
use crate::edit::Change;
use crate::engine::JournalEntry;
use crate::engine::{Command, EventKind, FileChange, JournalAction, RequestId};
use crate::text::short::counted;
use crate::voice::Voice;

/// The voices meant for editing: with one of them, requests ask for edits unless the user
/// said otherwise with `/edit`. Every voice can edit.
const EDITING_VOICES: [&str; 2] = ["implementor", "developer"];

#[derive(Debug, Default)]
pub struct Edits {
    /// `/edit` turned edit mode on or off; `None`: it follows the voice.
    toggled: Option<bool>,
    /// The next request asks for edits whatever the mode (`/edit PROMPT`).
    once: bool,
    /// Whether the last request asked for edits (for `/retry` and a secret file's retry).
    pub(crate) last_asked: bool,
    /// The running edit request's answer, read for edit blocks as it streams.
    stream: Option<(RequestId, Stream)>,
    /// The last proposal and the view's place in it.
    pub(crate) view: Option<DiffView>,
    /// A proposal that showed up while the user was typing: it opens once the input is
    /// empty at the answer's end.
    open_later: bool,
    /// The `Apply` sent and not answered yet, with the hunks it keeps.
    pending_apply: Option<(RequestId, usize)>,
    /// The files of the last change set applied or redone here, for `/commit MESSAGE`.
    last_set: Vec<String>,
    /// The `Commit` sent, with its subject line for the notice.
    pending_commit: Option<(RequestId, String)>,
}

/// Whether this voice asks for edits by default.
fn edits_by_default(voice: Option<&Voice>) -> bool {
    voice.is_some_and(|v| EDITING_VOICES.contains(&v.name.to_lowercase().as_str()))
}

impl App {
    /// Whether requests ask for edits: the user's `/edit` toggle, else the voice.
    pub fn edit_mode(&self) -> bool {
        self.edits
            .toggled
            .unwrap_or_else(|| edits_by_default(self.voice()))
    }

    /// `/edit` alone toggles the mode; `/edit PROMPT` sends one edit request.
    pub(crate) fn edit_command(&mut self, prompt: Option<String>) {
        let Some(prompt) = prompt else {
            let on = !self.edit_mode();
            self.edits.toggled = Some(on);
            self.notice(if on {
                "Edit mode on: answers propose changes to your files; nothing is written until you press a"
            } else {
                "Edit mode off: answers no longer propose changes"
            });
            return;
        };
        if self.running.is_some() {
            self.warn("A request is still running — Esc cancels it");
            self.input.set_text(&format!("/edit {prompt}"));
            return;
        }
        self.edits.once = true;
        self.submit(prompt, false);
    }

    /// Whether the request being sent asks for edits; a one-off `/edit` is used up.
    pub(crate) fn take_edit_flag(&mut self) -> bool {
        let once = std::mem::take(&mut self.edits.once);
        once || self.edit_mode()
    }

    /// A request went out: an edit request's answer is read for blocks as it streams.
    pub(crate) fn edit_request_sent(&mut self, id: RequestId, edit: bool) {
        self.edits.last_asked = edit;
        self.edits.open_later = false;
        self.edits.stream = edit.then(|| (id, Stream::default()));
    }

    /// `/retry` and a secret file's retry ask the same way as the prompt they repeat.
    pub(crate) fn repeat_edit_flag(&mut self) {
        self.edits.once = self.edits.last_asked;
    }

    /// A piece of the running request's stream. The answer that replaces a hybrid draft,
    /// or follows a fallback, starts the reading afresh, as the code pane does.
    pub(crate) fn edit_stream(&mut self, id: RequestId, kind: &EventKind) {
        if self.edits.stream.as_ref().is_none_or(|(s, _)| *s != id) {
            return;
        }
        match kind {
            EventKind::Delta { text, draft, .. } => {
                if !draft && self.answer_replaces_draft() {
                    self.restart_stream(id);
                }
                self.feed(id, text);
            }
            EventKind::Fallback { .. } => self.restart_stream(id),
            _ => {}
        }
    }

    fn answer_replaces_draft(&self) -> bool {
        self.entries
            .iter()
            .rev()
            .find(|e| e.who == Who::Assistant)
            .is_some_and(|e| e.escalated && e.text.is_empty())
    }

    fn restart_stream(&mut self, id: RequestId) {
        self.edits.stream = Some((id, Stream::default()));
        if let Some(v) = self.edits.view.as_mut() {
            if v.proposal.request == id {
                v.proposal = Proposal::new(id);
            }
        }
    }

    fn feed(&mut self, id: RequestId, text: &str) {
        let Some((_, stream)) = self.edits.stream.as_mut() else {
            return;
        };
        let (items, open) = stream.push(text);
        if items.is_empty() && open.is_none() {
            return;
        }
        let proposal = self.proposal_for(id);
        let first = proposal.is_empty();
        proposal.streamed(&items, open.as_deref());
        if first && !proposal.is_empty() {
            self.show_proposal();
        }
    }

    /// The proposal of request `id`, a new one (replacing the last) when it has none yet.
    fn proposal_for(&mut self, id: RequestId) -> &mut Proposal {
        let fresh = self
            .edits
            .view
            .as_ref()
            .is_none_or(|v| v.proposal.request != id);
        if fresh {
            self.edits.view = None;
        }
        &mut self
            .edits
            .view
            .get_or_insert_with(|| DiffView::new(Proposal::new(id)))
            .proposal
    }

    /// The first change of an answer showed up: the view opens, unless the user is typing
    /// or another window is open; then it says where to find it.
    fn show_proposal(&mut self) {
        if self.input.is_empty() && self.overlay.is_none() {
            self.overlay = Some(Overlay::Diff);
        } else if !matches!(self.overlay, Some(Overlay::Diff)) {
            self.edits.open_later = true;
            self.notice("The answer proposes changes; /diff shows them");
        }
    }

    /// One of the engine's `edit` events for the running request.
    pub(crate) fn edit_event(&mut self, id: RequestId, edit: EditEvent) {
        let proposal = self.proposal_for(id);
        let first = proposal.is_empty();
        proposal.on_edit(edit);
        if first {
            self.show_proposal();
        }
    }

    /// The running request ended (`complete`: with its answer).
    pub(crate) fn edits_finished(&mut self, id: RequestId, complete: bool) {
        self.edits.stream = None;
        if let Some(v) = self.edits.view.as_mut() {
            if v.proposal.request == id {
                v.proposal.finish(complete);
            }
        }
        if std::mem::take(&mut self.edits.open_later)
            && self.input.is_empty()
            && self.overlay.is_none()
        {
            self.overlay = Some(Overlay::Diff);
        }
    }

    /// `/diff`: the last proposal again.
    pub(crate) fn open_diff(&mut self) {
        if self.edits.view.is_some() {
            self.overlay = Some(Overlay::Diff);
        } else {
            self.warn("No changes proposed yet; /edit PROMPT asks for some");
        }
    }

    /// The workspace the engine's journal and git commands act on, as requests use it.
    fn workspace_dir(&mut self) -> Option<std::path::PathBuf> {
        let dir = self.files.root.clone();
        if dir.is_none() {
            self.warn("There is no workspace here, so there are no files to change");
        }
        dir
    }

    /// `a` in the diff view: the kept hunks go to the engine, which writes them atomically
    /// and journals them.
    pub(crate) fn apply_changes(&mut self, changes: Vec<Change>, hunks: usize) {
        self.overlay = None;
        let Some(dir) = self.workspace_dir() else {
            self.set_stage(Stage::Ready);
            return;
        };
        let id = self.command_id();
        self.edits.pending_apply = Some((id, hunks));
        let session = self.session;
        self.outgoing.push(Command::Apply {
            id,
            dir,
            session,
            changes,
        });
        self.notice("Applying…");
    }

    /// `x` in the diff view.
    pub(crate) fn reject_changes(&mut self) {
        self.overlay = None;
        self.notice("Rejected the proposed changes; nothing was written");
    }

    fn set_stage(&mut self, stage: Stage) {
        if let Some(v) = self.edits.view.as_mut() {
            v.proposal.stage = stage;
        }
    }

    /// `/undo` and `/redo` (with `force`: over files changed since).
    pub(crate) fn journal_command(&mut self, undo: bool, force: bool) {
        let Some(dir) = self.workspace_dir() else {
            return;
        };
        let id = self.command_id();
        let session = self.session;
        self.outgoing.push(if undo {
            Command::Undo {
                id,
                dir,
                session,
                force,
            }
        } else {
            Command::Redo {
                id,
                dir,
                session,
                force,
            }
        });
    }

    /// The engine's answer to an apply, undo or redo.
    pub(crate) fn on_journal(
        &mut self,
        id: RequestId,
        action: JournalAction,
        files: Vec<JournalEntry>,
        forced: Vec<String>,
        error: Option<String>,
    ) {
        let applying = self.edits.pending_apply.filter(|(p, _)| *p == id);
        if applying.is_some() {
            self.edits.pending_apply = None;
            let stage = if files.is_empty() {
                Stage::Ready
            } else {
                Stage::Applied
            };
            self.set_stage(stage);
        }
        if files.is_empty() {
            let why = error.unwrap_or_else(|| "Nothing was written".into());
            self.problem(why);
            return;
        }
        let mut text = match action {
            JournalAction::Apply => applied(applying.map(|(_, h)| h), files.len()),
            JournalAction::Undo => restored("undone", &files, true),
            JournalAction::Redo => restored("redone", &files, false),
        };
        self.edits.last_set = match action {
            JournalAction::Undo => Vec::new(),
            _ => files.iter().map(|f| f.path.clone()).collect(),
        };
        if !forced.is_empty() {
            text += &format!(
                " (overwrote the changes made since to {})",
                forced.join(", ")
            );
        }
        match error {
            Some(e) => self.problem(format!("{text}; but {e}")),
            None => self.notice(text),
        }
    }

    /// `/commit` asks the engine for a message for the newest applied change set;
    /// `/commit MESSAGE` commits the last set applied here with the user's message. Both
    /// ask before committing.
    pub(crate) fn commit_command(&mut self, message: Option<String>) {
        let Some(dir) = self.workspace_dir() else {
            return;
        };
        match message {
            None => {
                let id = self.command_id();
                let session = self.session;
                self.outgoing
                    .push(Command::ProposeCommit { id, dir, session });
                self.notice("Writing a commit message…");
            }
            Some(_) if self.edits.last_set.is_empty() => self.warn(
                "No change set was applied here to commit; /commit alone proposes one for the newest",
            ),
            Some(message) => {
                let files = self.edits.last_set.clone();
                self.overlay = Some(Overlay::Commit(CommitConfirm { files, message }));
            }
        }
    }

    /// The engine wrote a commit message: the user confirms it first.
    pub(crate) fn on_commit_proposal(
        &mut self,
        files: Vec<String>,
        message: String,
        error: Option<String>,
    ) {
        match error {
            Some(e) => self.problem(e),
            None if files.is_empty() => self.warn("There is nothing to commit"),
            None => self.overlay = Some(Overlay::Commit(CommitConfirm { files, message })),
        }
    }

    /// `y` in the commit confirmation.
    pub(crate) fn commit(&mut self, files: Vec<String>, message: String) {
        self.overlay = None;
        let Some(dir) = self.workspace_dir() else {
            return;
        };
        let id = self.command_id();
        let subject = message.lines().next().unwrap_or("").trim().to_owned();
        self.edits.pending_commit = Some((id, subject));
        self.outgoing.push(Command::Commit {
            id,
            dir,
            files,
            message,
        });
    }

    pub(crate) fn on_committed(
        &mut self,
        id: RequestId,
        commit: Option<String>,
        error: Option<String>,
    ) {
        let subject = match self.edits.pending_commit.take() {
            Some((p, s)) if p == id => s,
            other => {
                self.edits.pending_commit = other;
                String::new()
            }
        };
        match (commit, error) {
            (_, Some(e)) => self.problem(e),
            (Some(hash), None) => {
                let short: String = hash.chars().take(7).collect();
                self.notice(format!("committed {short}: {subject}"));
            }
            (None, None) => self.warn("Nothing was committed"),
        }
    }
}

/// "applied 3 hunks in 2 files" (the hunks unknown for an apply this app did not send).
fn applied(hunks: Option<usize>, files: usize) -> String {
    match hunks {
        Some(h) => format!(
            "applied {} in {}",
            counted(h, "hunk"),
            counted(files, "file")
        ),
        None => format!("applied {}", counted(files, "file")),
    }
}

/// "undone: app/calc.py restored, app/new.py removed": what each file is now.
fn restored(what: &str, files: &[JournalEntry], undo: bool) -> String {
    let each: Vec<String> = files
        .iter()
        .map(|f| {
            let how = match (f.change, undo) {
                (FileChange::Modified, true) => "restored",
                (FileChange::Deleted, true) => "removed",
                (FileChange::Created, true) => "recreated",
                (FileChange::Modified, false) => "changed again",
                (FileChange::Deleted, false) => "deleted again",
                (FileChange::Created, false) => "created again",
            };
            format!("{} {how}", f.path)
        })
        .collect();
    format!("{what}: {}", each.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(path: &str, change: FileChange) -> JournalEntry {
        JournalEntry {
            path: path.into(),
            change,
        }
    }

    #[test]
    fn notices_count_and_name_what_changed() {
        assert_eq!(applied(Some(3), 2), "applied 3 hunks in 2 files");
        assert_eq!(applied(Some(1), 1), "applied 1 hunk in 1 file");
        let files = [
            entry("app/calc.py", FileChange::Modified),
            entry("app/new.py", FileChange::Deleted),
            entry("app/old.py", FileChange::Created),
        ];
        assert_eq!(
            restored("undone", &files, true),
            "undone: app/calc.py restored, app/new.py removed, app/old.py recreated"
        );
        assert_eq!(
            restored("redone", &files[..1], false),
            "redone: app/calc.py changed again"
        );
    }
}
