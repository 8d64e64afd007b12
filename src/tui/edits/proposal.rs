//! The changes one answer proposes, file by file, and which of their hunks the user keeps.
//! Pure data: the diff view draws it and takes its keys, the app feeds it the stream and
//! the engine's `edit` events. Nothing here writes a file: the accepted set goes back to
//! the engine as `Command::Apply` (DESIGN.md, "Acting on code": preview, then apply).

use std::sync::Arc;

use crate::edit::{Change, FileDiff, Item, Parser};
use crate::engine::{EditStatus, RequestId};

/// What is known of one file's change.
#[derive(Debug)]
pub enum FileState {
    /// Its edit block is streaming (`done`: the block closed); the diff comes when the
    /// answer ends and the engine has matched it against the file.
    Receiving { done: bool },
    /// A change the user may take, whole or in part.
    Proposed(Box<Proposed>),
    /// The block leaves the file as it is.
    Unchanged,
    /// Written already by the engine (a request with `apply`): its unified diff.
    Applied { diff: String },
    /// The change cannot be made: one sentence why.
    Failed { why: String },
}

/// What an engine `edit` event says about one file.
#[derive(Debug)]
pub struct EditEvent {
    pub path: String,
    pub status: EditStatus,
    pub diff: String,
    pub why: Option<String>,
    pub change: Option<Arc<Change>>,
    pub file_diff: Option<Arc<FileDiff>>,
}

/// A proposed change with the hunks chosen so far.
#[derive(Debug)]
pub struct Proposed {
    pub change: Arc<Change>,
    pub diff: Arc<FileDiff>,
    /// One flag per hunk (one in all for a file without hunks: an empty new file).
    pub keep: Vec<bool>,
}

impl Proposed {
    /// `diff`: the engine's diff of the change, when it sent one (it always does); else it
    /// is computed here.
    fn new(change: Arc<Change>, diff: Option<Arc<FileDiff>>) -> Proposed {
        let diff = diff.unwrap_or_else(|| {
            Arc::new(crate::edit::diff(
                &change.path,
                change.before.as_deref(),
                change.after.as_deref(),
            ))
        });
        let keep = vec![true; diff.hunks.len().max(1)];
        Proposed { change, diff, keep }
    }

    /// A new or a deleted file is taken whole or not at all.
    pub fn whole_only(&self) -> bool {
        self.diff.is_new || self.diff.is_deleted || self.diff.hunks.is_empty()
    }

    pub fn any_kept(&self) -> bool {
        self.keep.iter().any(|k| *k)
    }

    fn all_kept(&self) -> bool {
        self.keep.iter().all(|k| *k)
    }

    /// What to write for the hunks kept: the proposal itself when all are, else the file
    /// as it is with only those hunks applied. `None` when none is kept.
    fn change(&self) -> Option<Change> {
        if !self.any_kept() {
            return None;
        }
        if self.all_kept() || self.whole_only() {
            return Some(Change::clone(&self.change));
        }
        let before = self.change.before.as_deref().unwrap_or("");
        Some(Change {
            path: self.change.path.clone(),
            before: self.change.before.clone(),
            after: Some(self.diff.apply_hunks(before, &self.keep)),
        })
    }

    fn kept_hunks(&self) -> usize {
        self.diff
            .hunks
            .iter()
            .zip(&self.keep)
            .filter(|(_, k)| **k)
            .count()
    }
}

#[derive(Debug)]
pub struct FileEntry {
    /// As the answer or the engine named it: untrusted, cleaned when drawn.
    pub path: String,
    pub state: FileState,
}

/// Where the proposal stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// The answer is still arriving.
    Streaming,
    /// Complete: it may be applied or rejected.
    Ready,
    /// Sent to the engine; waiting for its journal answer.
    Applying,
    Applied,
    Rejected,
}

/// A place the cursor stops: a file's header (`hunk: None`) or one of its hunks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stop {
    pub file: usize,
    pub hunk: Option<usize>,
}

/// What applying the current selection sends, and what the notice counts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selection {
    pub changes: Vec<Change>,
    pub hunks: usize,
}

#[derive(Debug)]
pub struct Proposal {
    /// The request whose answer this is.
    pub request: RequestId,
    pub files: Vec<FileEntry>,
    pub stage: Stage,
    /// The engine's `edit` events have started: its list replaces the streamed one.
    from_engine: bool,
}

impl Proposal {
    pub fn new(request: RequestId) -> Proposal {
        Proposal {
            request,
            files: Vec::new(),
            stage: Stage::Streaming,
            from_engine: false,
        }
    }

    /// Whether the stream has named a file yet (the moment the view opens by itself).
    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }

    /// Notes the blocks the parser found in a new piece of the answer, and the one it is
    /// inside now, so each path is listed as soon as it appears.
    pub fn streamed(&mut self, items: &[Item], open: Option<&str>) {
        if self.from_engine {
            return;
        }
        for item in items {
            if let Item::Block(b) = item {
                self.receiving(&b.path, true);
            }
        }
        if let Some(path) = open {
            self.receiving(path, false);
        }
    }

    fn receiving(&mut self, path: &str, done: bool) {
        match self.files.iter_mut().find(|f| f.path == path) {
            Some(f) => {
                if let FileState::Receiving { done: d } = &mut f.state {
                    *d |= done;
                }
            }
            None => self.files.push(FileEntry {
                path: path.to_owned(),
                state: FileState::Receiving { done },
            }),
        }
    }

    /// One of the engine's `edit` events. The first replaces what the stream listed: the
    /// engine read the blocks against the files, and its list is the one to act on.
    pub fn on_edit(&mut self, edit: EditEvent) {
        let EditEvent {
            path,
            status,
            diff,
            why,
            change,
            file_diff,
        } = edit;
        if !self.from_engine {
            self.from_engine = true;
            self.files.clear();
        }
        let state = match (status, change) {
            (EditStatus::Proposed, Some(c)) => {
                FileState::Proposed(Box::new(Proposed::new(c, file_diff)))
            }
            (EditStatus::Proposed, None) => FileState::Unchanged,
            (EditStatus::Applied, _) => FileState::Applied { diff },
            (EditStatus::Failed, _) => FileState::Failed {
                why: why.unwrap_or_else(|| "the change cannot be made".into()),
            },
        };
        self.files.push(FileEntry { path, state });
    }

    /// The answer ended (`complete`: it finished; else it failed or was cancelled). A block
    /// the engine never answered for says so.
    pub fn finish(&mut self, complete: bool) {
        let why = if complete {
            "no change came for it: the engine did not read this block against the workspace"
        } else {
            "the answer did not finish, so this change is not proposed"
        };
        for f in &mut self.files {
            if matches!(f.state, FileState::Receiving { .. }) {
                f.state = FileState::Failed { why: why.into() };
            }
        }
        if self.stage == Stage::Streaming {
            self.stage = Stage::Ready;
        }
    }

    fn proposed(&self, file: usize) -> Option<&Proposed> {
        match &self.files.get(file)?.state {
            FileState::Proposed(p) => Some(p),
            _ => None,
        }
    }

    /// Every stop in order: each proposed file's header, then its hunks (a file taken whole
    /// has its header only).
    pub fn stops(&self) -> Vec<Stop> {
        let mut out = Vec::new();
        for (i, f) in self.files.iter().enumerate() {
            let FileState::Proposed(p) = &f.state else {
                continue;
            };
            out.push(Stop {
                file: i,
                hunk: None,
            });
            if !p.whole_only() {
                out.extend((0..p.diff.hunks.len()).map(|h| Stop {
                    file: i,
                    hunk: Some(h),
                }));
            }
        }
        out
    }

    /// Space on a stop: a header flips the whole file (all on unless all were on), a hunk
    /// itself. Only while the proposal can still be applied.
    pub fn toggle(&mut self, stop: Stop) {
        if self.stage != Stage::Ready {
            return;
        }
        let Some(FileEntry {
            state: FileState::Proposed(p),
            ..
        }) = self.files.get_mut(stop.file)
        else {
            return;
        };
        match stop.hunk {
            Some(h) if !p.whole_only() => {
                if let Some(k) = p.keep.get_mut(h) {
                    *k = !*k;
                }
            }
            _ => {
                let to = !p.all_kept();
                p.keep.iter_mut().for_each(|k| *k = to);
            }
        }
    }

    /// Whether this hunk (or, with `None`, any of the file) is kept.
    pub fn kept(&self, file: usize, hunk: Option<usize>) -> bool {
        self.proposed(file).is_some_and(|p| match hunk {
            Some(h) => p.keep.get(h).copied().unwrap_or(false),
            None => p.any_kept(),
        })
    }

    /// The changes to send for what is selected.
    pub fn selection(&self) -> Selection {
        let mut changes = Vec::new();
        let mut hunks = 0;
        for f in &self.files {
            if let FileState::Proposed(p) = &f.state {
                if let Some(c) = p.change() {
                    hunks += p.kept_hunks();
                    changes.push(c);
                }
            }
        }
        Selection { changes, hunks }
    }

    /// (hunks kept, hunks in all) over the proposed files.
    pub fn counts(&self) -> (usize, usize) {
        let mut kept = 0;
        let mut all = 0;
        for f in &self.files {
            if let FileState::Proposed(p) = &f.state {
                kept += p.kept_hunks();
                all += p.diff.hunks.len();
            }
        }
        (kept, all)
    }
}

/// The streaming side: the parser an edit request's answer is fed to, with the proposal it
/// fills once the first block shows up.
#[derive(Debug, Default)]
pub struct Stream {
    parser: Parser,
}

impl Stream {
    /// Feeds a piece of the answer; returns the finished items and the open block's path.
    pub fn push(&mut self, text: &str) -> (Vec<Item>, Option<String>) {
        let items = self.parser.push(text).to_vec();
        let open = self.parser.open_block().map(|(p, _)| p.to_owned());
        (items, open)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn numbered(n: usize) -> String {
        (1..=n).map(|i| format!("line {i}\n")).collect()
    }

    /// A 30-line file with two hunks changed (lines 2 and 20).
    fn two_hunks() -> Arc<Change> {
        let before = numbered(30);
        let after = before
            .replace("line 2\n", "line two\n")
            .replace("line 20\n", "line twenty\n");
        Arc::new(Change {
            path: "src/x.rs".into(),
            before: Some(before),
            after: Some(after),
        })
    }

    fn ev(
        path: String,
        status: EditStatus,
        why: Option<String>,
        change: Option<Arc<Change>>,
    ) -> EditEvent {
        EditEvent {
            path,
            status,
            diff: String::new(),
            why,
            change,
            file_diff: None,
        }
    }

    fn proposal() -> Proposal {
        let mut p = Proposal::new(1);
        p.on_edit(ev(
            "src/x.rs".into(),
            EditStatus::Proposed,
            None,
            Some(two_hunks()),
        ));
        p.on_edit(ev(
            "new.txt".into(),
            EditStatus::Proposed,
            None,
            Some(Arc::new(Change {
                path: "new.txt".into(),
                before: None,
                after: Some("a\nb\n".into()),
            })),
        ));
        p.on_edit(ev(
            "gone.rs".into(),
            EditStatus::Failed,
            Some("the SEARCH text is not in the file".into()),
            None,
        ));
        p.finish(true);
        p
    }

    #[test]
    fn stops_are_headers_then_hunks_and_a_new_file_is_one_stop() {
        let p = proposal();
        let stops: Vec<(usize, Option<usize>)> =
            p.stops().iter().map(|s| (s.file, s.hunk)).collect();
        assert_eq!(stops, [(0, None), (0, Some(0)), (0, Some(1)), (1, None)]);
    }

    #[test]
    fn a_hunk_left_out_is_not_written_and_a_header_flips_its_file() {
        let mut p = proposal();
        p.toggle(Stop {
            file: 0,
            hunk: Some(1),
        });
        let sel = p.selection();
        assert_eq!(sel.hunks, 2, "one of x.rs and the new file's one");
        let after = sel.changes[0].after.as_deref().unwrap();
        assert!(after.contains("line two\n") && after.contains("line 20\n"));
        assert_eq!(sel.changes[1].after.as_deref(), Some("a\nb\n"));
        p.toggle(Stop {
            file: 1,
            hunk: None,
        });
        assert_eq!(p.selection().changes.len(), 1, "the new file left out");
        // A header with some hunks off turns them all on.
        p.toggle(Stop {
            file: 0,
            hunk: None,
        });
        assert_eq!(
            p.counts(),
            (2, 3),
            "x.rs whole again, the new file still out"
        );
    }

    #[test]
    fn streamed_paths_give_way_to_the_engines_list() {
        let mut p = Proposal::new(1);
        let mut s = Stream::default();
        let (items, open) = s.push("Fix:\n\napp/calc.py\n```python\n<<<<<<< SEARCH\n");
        p.streamed(&items, open.as_deref());
        assert_eq!(p.files[0].path, "app/calc.py");
        assert!(matches!(
            p.files[0].state,
            FileState::Receiving { done: false }
        ));
        let (items, open) = s.push("x\n=======\ny\n>>>>>>> REPLACE\n```\n");
        p.streamed(&items, open.as_deref());
        assert!(matches!(
            p.files[0].state,
            FileState::Receiving { done: true }
        ));
        p.on_edit(ev(
            "app/calc.py".into(),
            EditStatus::Failed,
            Some("no".into()),
            None,
        ));
        assert_eq!(p.files.len(), 1);
        assert!(matches!(p.files[0].state, FileState::Failed { .. }));
    }

    #[test]
    fn nothing_is_toggled_once_applied() {
        let mut p = proposal();
        p.stage = Stage::Applied;
        p.toggle(Stop {
            file: 0,
            hunk: Some(0),
        });
        assert_eq!(p.counts(), (3, 3));
    }
}
