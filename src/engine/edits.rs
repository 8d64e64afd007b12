//! The changes an answer proposes (DESIGN.md, "Acting on code"): its edit blocks read
//! against the workspace's files as they are now, one `edit` event per file with the diff,
//! or one sentence saying why the change cannot be made. Nothing is written here.

use std::collections::HashMap;
use std::path::Path;

use super::events::{EditStatus, EventKind};
use crate::edit::{self, EditKind, MatchError};
use crate::workspace::read::Capped;

/// One file's proposal as it is built up block by block.
struct Proposal {
    /// The path as the answer wrote it, and as the workspace knows it.
    rel: String,
    before: Option<String>,
    after: Option<String>,
    why: Option<String>,
}

/// The `edit` events for `answer`'s blocks under `root`, files in the order the answer
/// first names them, and the changes proposed (for writing). Several blocks for one file
/// apply in turn; a file larger than `max_file_bytes` is not edited; a file the request
/// sent (`sent`: path to digest) that has changed since is refused.
pub fn propose(
    root: &Path,
    answer: &str,
    max_file_bytes: u64,
    sent: &HashMap<String, String>,
) -> (Vec<EventKind>, Vec<edit::Change>) {
    let parsed = edit::parse(answer);
    let mut order: Vec<String> = Vec::new();
    let mut files: HashMap<String, Proposal> = HashMap::new();
    for block in parsed.blocks() {
        let p = match files.get_mut(&block.path) {
            Some(p) => p,
            None => {
                order.push(block.path.clone());
                files.entry(block.path.clone()).or_insert(open(
                    root,
                    &block.path,
                    max_file_bytes,
                    sent,
                ))
            }
        };
        if p.why.is_some() {
            continue;
        }
        match edit::apply_edit(p.after.as_deref(), &block.kind) {
            Ok(after) => p.after = after,
            Err((n, e)) => p.why = Some(mismatch(&block.kind, n, &e)),
        }
    }
    let mut events = Vec::new();
    let mut changes = Vec::new();
    for p in order.iter().filter_map(|path| files.remove(path)) {
        let change = (p.why.is_none() && p.before != p.after).then(|| edit::Change {
            path: p.rel.clone(),
            before: p.before.clone(),
            after: p.after.clone(),
        });
        events.push(event(p, change.clone()));
        changes.extend(change);
    }
    for e in parsed.errors() {
        events.push(failed(e.path.clone().unwrap_or_default(), e.to_string()));
    }
    if let Some(cut) = &parsed.incomplete {
        events.push(failed(
            cut.path.clone(),
            "the answer ended inside this file's block, so it is not proposed".into(),
        ));
    }
    (events, changes)
}

/// A file's proposal before any block: its text now (none when it does not exist), or why
/// it cannot be edited.
fn open(root: &Path, path: &str, max_file_bytes: u64, sent: &HashMap<String, String>) -> Proposal {
    let mut p = Proposal {
        rel: path.to_owned(),
        before: None,
        after: None,
        why: None,
    };
    let resolved = match edit::resolve(root, path) {
        Ok(r) => r,
        Err(e) => {
            p.why = Some(e.message);
            return p;
        }
    };
    p.rel = resolved.rel;
    match read_capped(&resolved.target, max_file_bytes) {
        Ok(text) if is_stale(sent.get(&p.rel), text.as_deref()) => {
            p.why = Some(format!("{} changed since it was read; ask again", p.rel));
        }
        Ok(text) => {
            p.before = text.clone();
            p.after = text;
        }
        Err(why) => p.why = Some(why),
    }
    p
}

/// Whether a file the request sent (with digest `sent`) is not the same now.
fn is_stale(sent: Option<&String>, now: Option<&str>) -> bool {
    let Some(sent) = sent else {
        return false;
    };
    now.is_none_or(|text| crate::workspace::attach::digest_of(text.as_bytes()) != *sent)
}

/// The file's text, `None` when it does not exist; an error sentence when it is too large,
/// not text, or unreadable.
fn read_capped(path: &Path, max: u64) -> Result<Option<String>, String> {
    let bytes = match crate::workspace::read::capped(path, max) {
        Ok(Capped::Bytes(b)) => b,
        Ok(Capped::Missing) => return Ok(None),
        Ok(Capped::TooLarge) => {
            return Err(format!(
                "it is over workspace.max_file_kb ({} KiB), so it is not edited",
                max / 1024
            ))
        }
        Err(e) => return Err(format!("it cannot be read: {e}")),
    };
    String::from_utf8(bytes)
        .map(Some)
        .map_err(|_| "it is not UTF-8 text, so it is not edited".to_owned())
}

/// One sentence for a block that does not apply.
fn mismatch(kind: &EditKind, n: usize, e: &MatchError) -> String {
    let which = match kind {
        EditKind::Replace(r) if r.len() > 1 => {
            format!("SEARCH/REPLACE block {} of {}: ", n + 1, r.len())
        }
        _ => String::new(),
    };
    let what = match e {
        MatchError::Missing { near: Some(n) } if n.first_line == n.last_line => format!(
            "the SEARCH text is not in the file (the most similar line is {})",
            n.first_line
        ),
        MatchError::Missing { near: Some(n) } => format!(
            "the SEARCH text is not in the file (the most similar lines are {}-{})",
            n.first_line, n.last_line
        ),
        other => other.to_string(),
    };
    format!("{which}{what}")
}

fn event(p: Proposal, change: Option<edit::Change>) -> EventKind {
    if let Some(why) = p.why {
        return failed(p.rel, why);
    }
    let d = edit::diff(&p.rel, p.before.as_deref(), p.after.as_deref());
    EventKind::Edit {
        path: p.rel,
        status: EditStatus::Proposed,
        diff: d.unified(),
        hunks: d.hunks.len(),
        added: d.added(),
        removed: d.removed(),
        why: None,
        change: change.map(std::sync::Arc::new),
    }
}

fn failed(path: String, why: String) -> EventKind {
    EventKind::Edit {
        path,
        status: EditStatus::Failed,
        diff: String::new(),
        hunks: 0,
        added: 0,
        removed: 0,
        why: Some(why),
        change: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn workspace() -> tempfile::TempDir {
        let d = tempfile::tempdir().expect("tempdir");
        std::fs::create_dir_all(d.path().join("app")).expect("dirs");
        std::fs::write(
            d.path().join("app/calc.py"),
            "def add(a, b):\n    return a - b\n",
        )
        .expect("write");
        d
    }

    fn summary(e: &EventKind) -> (String, EditStatus, usize, usize, Option<String>) {
        match e {
            EventKind::Edit {
                path,
                status,
                added,
                removed,
                why,
                ..
            } => (path.clone(), *status, *added, *removed, why.clone()),
            other => panic!("not an edit: {other:?}"),
        }
    }

    #[test]
    fn blocks_become_diffs_per_file_and_nothing_is_written() {
        let d = workspace();
        let answer = "Fix:\n\napp/calc.py\n```python\n<<<<<<< SEARCH\n    return a - b\n=======\n    return a + b\n>>>>>>> REPLACE\n```\n\napp/new.py\n```python\nX = 1\n```\n";
        let (events, changes) = propose(d.path(), answer, 1 << 20, &HashMap::new());
        assert_eq!(events.len(), 2);
        assert_eq!(changes.len(), 2, "both can be written");
        assert_eq!(
            summary(&events[0]),
            ("app/calc.py".into(), EditStatus::Proposed, 1, 1, None)
        );
        let EventKind::Edit { diff, .. } = &events[0] else {
            unreachable!()
        };
        assert!(
            diff.contains("--- a/app/calc.py") && diff.contains("+    return a + b"),
            "{diff}"
        );
        assert_eq!(summary(&events[1]).1, EditStatus::Proposed);
        let on_disk = std::fs::read_to_string(d.path().join("app/calc.py")).expect("read");
        assert!(on_disk.contains("a - b"), "proposing writes nothing");
        assert!(!d.path().join("app/new.py").exists());
    }

    #[test]
    fn a_block_that_does_not_apply_an_escape_and_a_cut_off_block_each_say_why() {
        let d = workspace();
        let answer = "app/calc.py\n```python\n<<<<<<< SEARCH\n    return a * b\n=======\n    return a + b\n>>>>>>> REPLACE\n```\n\n../outside.py\n```python\nX = 1\n```\n\n.git/config\n```\n[core]\n```\n\napp/late.py\n```python\nX = ";
        let (events, changes) = propose(d.path(), answer, 1 << 20, &HashMap::new());
        assert!(changes.is_empty());
        let got: Vec<_> = events.iter().map(summary).collect();
        assert_eq!(got.len(), 4, "{got:?}");
        assert!(got.iter().all(|g| g.1 == EditStatus::Failed), "{got:?}");
        assert!(
            got[0].4.as_deref().unwrap().contains("not in the file"),
            "{got:?}"
        );
        assert!(got[3].0 == "app/late.py" && got[3].4.as_deref().unwrap().contains("ended inside"));
        for g in &got {
            assert!(
                !g.4.as_deref().unwrap().contains('\n'),
                "one line each: {g:?}"
            );
        }
    }

    #[test]
    fn a_file_that_changed_since_it_was_sent_is_refused() {
        let d = workspace();
        let answer = "app/calc.py\n```python\n<<<<<<< SEARCH\n    return a - b\n=======\n    return a + b\n>>>>>>> REPLACE\n```\n";
        let as_sent = "def add(a, b):\n    return a - b\n";
        let sent: HashMap<String, String> = [(
            "app/calc.py".to_owned(),
            crate::workspace::attach::digest_of(as_sent.as_bytes()),
        )]
        .into();
        let (events, changes) = propose(d.path(), answer, 1 << 20, &sent);
        assert_eq!(
            summary(&events[0]).1,
            EditStatus::Proposed,
            "unchanged: fine"
        );
        assert_eq!(changes.len(), 1);
        std::fs::write(
            d.path().join("app/calc.py"),
            "def add(a, b):\n    return a - b  # edited\n",
        )
        .expect("write");
        let (events, changes) = propose(d.path(), answer, 1 << 20, &sent);
        assert_eq!(
            summary(&events[0]).4.as_deref(),
            Some("app/calc.py changed since it was read; ask again")
        );
        assert!(changes.is_empty());
    }
}
