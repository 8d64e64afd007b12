//! Applying, undoing and redoing change sets: the files are written (all or none, by
//! `edit::apply`) and the store's edit journal records it, on the writer, so that the two
//! never disagree about which sets are on disk (DESIGN.md, "Acting on code": every write is
//! atomic and journaled, so it can be undone).
//!
//! Undo and redo reuse `edit::apply`'s check that each file still holds what the set left
//! there: a file changed since then is refused unless the user forces it.

use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::edit::{ApplyErrorKind, Change};
use crate::store::{EditFile, EditSet, EditSetId, JournalFile, SessionId, Store};
use crate::workspace::read::Capped;

/// What a journal command did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum JournalAction {
    Apply,
    Undo,
    Redo,
}

/// What happened to one file on disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum FileChange {
    Created,
    Modified,
    Deleted,
}

/// One file an apply, undo or redo wrote.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct JournalEntry {
    pub path: String,
    pub change: FileChange,
}

/// The result of a journal command: the set and the files it wrote, the files whose
/// outside changes were overwritten (`--force`), or one sentence on why nothing was.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Outcome {
    pub set: Option<EditSetId>,
    pub files: Vec<JournalEntry>,
    pub forced: Vec<String>,
    pub error: Option<String>,
}

impl Outcome {
    pub fn failed(error: impl Into<String>) -> Self {
        Self {
            error: Some(error.into()),
            ..Self::default()
        }
    }
}

/// The workspace root for `dir` (its git top-level, as requests use) and the journal's key
/// for it: the canonical path.
pub fn workspace_key(dir: &Path) -> Result<(PathBuf, String), String> {
    let root = crate::workspace::root::find(dir)
        .map_err(|e| format!("{} is not a workspace: {e}", dir.display()))?;
    let key = root.display().to_string();
    Ok((root, key))
}

/// The journal's key for a root a request already found.
pub fn key_of(root: &Path) -> String {
    std::fs::canonicalize(root)
        .unwrap_or_else(|_| root.to_path_buf())
        .display()
        .to_string()
}

/// Writes `changes` (all or none) and records them as one applied set.
pub fn apply(
    store: &Store,
    root: &Path,
    key: &str,
    session: Option<SessionId>,
    changes: &[Change],
) -> Outcome {
    if changes.is_empty() {
        return Outcome::failed("there is no change to apply");
    }
    let applied = match crate::edit::apply(root, changes) {
        Ok(a) => a,
        Err(e) => return Outcome::failed(format!("nothing was written: {e}")),
    };
    let files: Vec<JournalEntry> = applied
        .iter()
        .map(|a| entry(&a.path, a.before.is_some(), a.after.is_some()))
        .collect();
    let journal: Vec<JournalFile> = applied
        .into_iter()
        .map(|a| JournalFile {
            path: a.path,
            before: a.before.map(String::into_bytes),
            after: a.after.map(String::into_bytes),
        })
        .collect();
    let recorded = store.record_edit_set(key, session, &journal);
    let set = recorded.as_ref().ok().copied();
    for (f, j) in files.iter().zip(&journal) {
        audit_file(store, session, key, set, "apply", f, &j.before, &j.after);
    }
    match recorded {
        Ok(set) => Outcome {
            set: Some(set),
            files,
            ..Outcome::default()
        },
        Err(e) => Outcome {
            files,
            error: Some(format!(
                "the change is written but could not be journaled, so it cannot be undone: {e}"
            )),
            ..Outcome::default()
        },
    }
}

/// Restores the newest applied set under `key` (of `session` when given).
pub fn undo(
    store: &Store,
    root: &Path,
    key: &str,
    session: Option<SessionId>,
    force: bool,
) -> Outcome {
    let set = match store.undo_candidate(key, session) {
        Ok(Some(set)) => set,
        Ok(None) => return Outcome::failed(nothing_to("undo", root, session)),
        Err(e) => return Outcome::failed(e.0),
    };
    step(store, root, set, JournalAction::Undo, max_bytes(), force)
}

/// Re-applies the most recently undone set under `key` (of `session` when given).
pub fn redo(
    store: &Store,
    root: &Path,
    key: &str,
    session: Option<SessionId>,
    force: bool,
) -> Outcome {
    let set = match store.redo_candidate(key, session) {
        Ok(Some(set)) => set,
        Ok(None) => return Outcome::failed(nothing_to("redo", root, session)),
        Err(e) => return Outcome::failed(e.0),
    };
    step(store, root, set, JournalAction::Redo, max_bytes(), force)
}

/// The most of a file that `--force` reads to overwrite it: the journal's own limit on a
/// file's content.
fn max_bytes() -> u64 {
    crate::store::MAX_JOURNAL_FILE_BYTES as u64
}

fn nothing_to(what: &str, root: &Path, session: Option<SessionId>) -> String {
    match session {
        Some(s) => format!(
            "there is nothing to {what} in {} for session {s}",
            root.display()
        ),
        None => format!("there is nothing to {what} in {}", root.display()),
    }
}

/// Writes one set's files back (undo) or forward (redo), then moves its journal state.
fn step(
    store: &Store,
    root: &Path,
    set: EditSet,
    action: JournalAction,
    cap: u64,
    force: bool,
) -> Outcome {
    let undo = action == JournalAction::Undo;
    let mut changes = Vec::with_capacity(set.files.len());
    for f in &set.files {
        // Undo expects the set's after on disk and writes its before; redo the reverse.
        let (expect, write) = if undo {
            (&f.after, &f.before)
        } else {
            (&f.before, &f.after)
        };
        match (text(f, expect), text(f, write)) {
            (Ok(expect), Ok(write)) => changes.push(Change {
                path: f.path.clone(),
                before: expect,
                after: write,
            }),
            (Err(e), _) | (_, Err(e)) => return Outcome::failed(e),
        }
    }
    let mut forced = Vec::new();
    if force {
        for c in &mut changes {
            match on_disk(root, &c.path, cap) {
                Ok(now) if now != c.before => {
                    forced.push(c.path.clone());
                    c.before = now;
                }
                Ok(_) => {}
                Err(e) => return Outcome::failed(e),
            }
        }
    }
    if let Err(e) = crate::edit::apply(root, &changes) {
        let verb = if undo { "undo" } else { "redo" };
        let why = match e.kind {
            ApplyErrorKind::Stale => format!(
                "{} changed since the edit was {}; nothing was {verb}ne \
                 (`--force`, or `/{verb} force`, overwrites it)",
                e.path,
                if undo { "applied" } else { "undone" },
            ),
            _ => format!("nothing was {verb}ne: {e}"),
        };
        return Outcome::failed(why);
    }
    let moved = if undo {
        store.mark_undone(set.id)
    } else {
        store.mark_redone(set.id)
    };
    let files: Vec<JournalEntry> = changes
        .iter()
        .map(|c| entry(&c.path, c.before.is_some(), c.after.is_some()))
        .collect();
    let by = if undo { "undo" } else { "redo" };
    for (f, c) in files.iter().zip(&changes) {
        let bytes = |s: &Option<String>| s.as_ref().map(|s| s.as_bytes().to_vec());
        audit_file(
            store,
            set.session,
            &set.root,
            Some(set.id),
            by,
            f,
            &bytes(&c.before),
            &bytes(&c.after),
        );
    }
    let detail = serde_json::json!({
        "root": set.root,
        "set": set.id,
        "files": files.iter().map(|f| &f.path).collect::<Vec<_>>(),
        "forced": forced,
    });
    if let Err(e) = store.append_audit(by, set.session, &detail) {
        tracing::warn!("the {by} is done but not in the audit trail: {e}");
    }
    Outcome {
        set: Some(set.id),
        files,
        forced,
        error: moved
            .err()
            .map(|e| format!("the files are written but the journal was not updated: {e}")),
    }
}

/// One file written, in the audit trail: its path, what happened, and the hashes of its
/// content before and after.
#[allow(clippy::too_many_arguments)]
fn audit_file(
    store: &Store,
    session: Option<SessionId>,
    root: &str,
    set: Option<EditSetId>,
    by: &str,
    file: &JournalEntry,
    before: &Option<Vec<u8>>,
    after: &Option<Vec<u8>>,
) {
    let hex = |c: &Option<Vec<u8>>| {
        c.as_deref().map(|b| {
            crate::store::content_sha256(b)
                .iter()
                .map(|x| format!("{x:02x}"))
                .collect::<String>()
        })
    };
    let detail = serde_json::json!({
        "root": root,
        "path": file.path,
        "change": file.change,
        "by": by,
        "set": set,
        "before_sha256": hex(before),
        "after_sha256": hex(after),
    });
    if let Err(e) = store.append_audit("file", session, &detail) {
        tracing::warn!("{} is written but not in the audit trail: {e}", file.path);
    }
}

fn entry(path: &str, existed: bool, exists: bool) -> JournalEntry {
    let change = match (existed, exists) {
        (false, _) => FileChange::Created,
        (true, false) => FileChange::Deleted,
        (true, true) => FileChange::Modified,
    };
    JournalEntry {
        path: path.to_owned(),
        change,
    }
}

/// A journaled content as text (edits are made to text files only).
fn text(f: &EditFile, content: &Option<Vec<u8>>) -> Result<Option<String>, String> {
    content
        .as_ref()
        .map(|b| {
            String::from_utf8(b.clone())
                .map_err(|_| format!("the journal's copy of {} is not text", f.path))
        })
        .transpose()
}

/// What `path` holds now (`None`: missing), for `--force`.
fn on_disk(root: &Path, path: &str, cap: u64) -> Result<Option<String>, String> {
    let resolved = crate::edit::resolve(root, path).map_err(|e| e.message)?;
    match crate::workspace::read::capped(&resolved.target, cap) {
        Ok(Capped::Missing) => Ok(None),
        Ok(Capped::Bytes(b)) => String::from_utf8(b)
            .map(Some)
            .map_err(|_| format!("{path} is no longer text; restore it by hand")),
        Ok(Capped::TooLarge) => Err(format!(
            "{path} has grown too large to overwrite safely; restore it by hand"
        )),
        Err(e) => Err(format!("{path} cannot be read: {e}")),
    }
}
