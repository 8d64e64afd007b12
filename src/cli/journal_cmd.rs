//! `codecrucible undo` and `codecrucible redo`: the newest change set under the workspace
//! restored, or the last one undone written again, through the engine (the store's one
//! writer, which also writes the files). `undo --list` reads the journal.

use std::path::Path;

use super::sessions_cmd::{fail, history_command, open_store};
use super::{EXIT_FAILED, EXIT_OK};
use crate::engine::{Command, EventKind, FileChange, JournalAction, JournalEntry};
use crate::store::{EditState, SessionId};

/// What the user asked for.
pub struct Options<'a> {
    pub dir: &'a Path,
    pub session: Option<SessionId>,
    pub force: bool,
    pub json: bool,
}

/// Runs `undo` (or `redo` with `redo`) and returns the exit code.
pub async fn run(opts: Options<'_>, redo: bool) -> i32 {
    let dir = opts.dir.to_path_buf();
    let (session, force) = (opts.session, opts.force);
    let answer = history_command(|id| {
        if redo {
            Command::Redo {
                id,
                dir,
                session,
                force,
            }
        } else {
            Command::Undo {
                id,
                dir,
                session,
                force,
            }
        }
    })
    .await;
    let kind = match answer {
        Ok(k) => k,
        Err(e) => return fail(&e),
    };
    if opts.json {
        outln!("{}", serde_json::to_string(&kind).unwrap_or_default());
    }
    match kind {
        EventKind::Journal {
            action,
            set,
            files,
            forced,
            error,
        } => report(action, set, &files, &forced, error, opts.json),
        _ => fail("the engine gave no answer"),
    }
}

fn report(
    action: JournalAction,
    set: Option<i64>,
    files: &[JournalEntry],
    forced: &[String],
    error: Option<String>,
    json: bool,
) -> i32 {
    if files.is_empty() {
        let e = error.unwrap_or_else(|| "nothing was written".into());
        return if json { EXIT_FAILED } else { fail(&e) };
    }
    if !json {
        let verb = if action == JournalAction::Redo {
            "redid"
        } else {
            "undid"
        };
        let set = set.map_or(String::new(), |s| format!(" {s}"));
        outln!("{verb} change set{set}:");
        for f in files {
            outln!("  {:<8} {}", change_word(f.change), f.path);
        }
        for f in forced {
            eprintln!("codecrucible: {f} had changed since; --force overwrote it");
        }
        if let Some(e) = error {
            eprintln!("codecrucible: {e}");
        }
    }
    EXIT_OK
}

fn change_word(c: FileChange) -> &'static str {
    match c {
        FileChange::Created => "created",
        FileChange::Modified => "modified",
        FileChange::Deleted => "deleted",
    }
}

/// `undo --list`: the workspace's change sets, newest first.
pub fn list(dir: &Path, json: bool) -> i32 {
    let (root, key) = match crate::engine::journal::workspace_key(dir) {
        Ok(k) => k,
        Err(e) => return fail(&e),
    };
    let sets = match open_store().and_then(|s| s.edit_sets(&key, 50).map_err(|e| e.0)) {
        Ok(s) => s,
        Err(e) => return fail(&e),
    };
    if json {
        outln!(
            "{}",
            serde_json::to_string_pretty(&sets).unwrap_or_default()
        );
        return EXIT_OK;
    }
    if sets.is_empty() {
        outln!("no change sets in {}", root.display());
        return EXIT_OK;
    }
    outln!(
        "{:>6}  {:<8} {:>5}  {:<19}  session",
        "set",
        "state",
        "files",
        "when"
    );
    for s in sets {
        let state = match s.state {
            EditState::Applied => "applied",
            EditState::Undone => "undone",
        };
        let session = s.session.map_or("-".to_owned(), |id| id.to_string());
        outln!(
            "{:>6}  {:<8} {:>5}  {:<19}  {session}",
            s.id,
            state,
            s.files,
            crate::store::export::date(s.created_at_ms)
        );
    }
    EXIT_OK
}
