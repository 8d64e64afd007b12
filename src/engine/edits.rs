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
    /// The failure is the model's to fix (a block that does not match, a malformed or
    /// cut-off block), not the workspace's rules (an escape, a secret, a stale file).
    fixable: Option<Fixable>,
}

/// An edit the model may get right when told what went wrong: the file, the error, and the
/// file's real text around the closest match (what aider and Crush send back too).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fixable {
    pub path: String,
    pub why: String,
    pub near: Option<String>,
}

/// What an answer proposes: an `edit` event per file (and per malformed block), the
/// changes that can be written, and the failures the model could fix.
#[derive(Debug, Default)]
pub struct Proposed {
    pub events: Vec<EventKind>,
    pub changes: Vec<edit::Change>,
    pub fixable: Vec<Fixable>,
}

/// Lines of the file shown around a near match when a block is sent back.
const NEAR_CONTEXT: usize = 3;

/// The `edit` events for `answer`'s blocks under `root`, files in the order the answer
/// first names them, and the changes proposed (for writing). Several blocks for one file
/// apply in turn; a file larger than `max_file_bytes` is not edited; a file the request
/// sent (`sent`: path to digest) that has changed since is refused.
pub fn propose(
    root: &Path,
    answer: &str,
    max_file_bytes: u64,
    sent: &HashMap<String, String>,
) -> Proposed {
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
            Err((n, e)) => {
                let why = mismatch(&block.kind, n, &e);
                p.fixable = Some(Fixable {
                    path: p.rel.clone(),
                    why: why.clone(),
                    near: near_text(p.after.as_deref(), &e),
                });
                p.why = Some(why);
            }
        }
    }
    let mut out = Proposed::default();
    let (events, changes) = (&mut out.events, &mut out.changes);
    for p in order.iter().filter_map(|path| files.remove(path)) {
        out.fixable.extend(p.fixable.clone());
        let change = (p.why.is_none() && p.before != p.after).then(|| edit::Change {
            path: p.rel.clone(),
            before: p.before.clone(),
            after: p.after.clone(),
        });
        events.push(event(p, change.clone()));
        changes.extend(change);
    }
    for e in parsed.errors() {
        let path = e.path.clone().unwrap_or_default();
        out.fixable.push(Fixable {
            path: path.clone(),
            why: e.to_string(),
            near: None,
        });
        out.events.push(failed(path, e.to_string()));
    }
    if let Some(cut) = &parsed.incomplete {
        let why = "the answer ended inside this file's block, so it is not proposed";
        out.fixable.push(Fixable {
            path: cut.path.clone(),
            why: why.into(),
            near: None,
        });
        out.events.push(failed(cut.path.clone(), why.into()));
    }
    out
}

/// The answer's proposal after a retry: each file the first answer could not change takes
/// the retry's result; what the first answer got right stays. A file only the retry names
/// is taken too. The failures left are the retry's.
pub fn merge(first: Proposed, retry: Proposed) -> Proposed {
    let failed: std::collections::HashSet<String> =
        first.fixable.iter().map(|f| f.path.clone()).collect();
    let path_of = |e: &EventKind| match e {
        EventKind::Edit { path, .. } => path.clone(),
        _ => String::new(),
    };
    let first_paths: std::collections::HashSet<String> = first.events.iter().map(path_of).collect();
    let retried: std::collections::HashSet<String> = retry
        .events
        .iter()
        .map(path_of)
        .filter(|p| failed.contains(p) || !first_paths.contains(p))
        .collect();
    // The answer's order is kept: a retried file's event takes the place of its failure.
    let mut out = Proposed::default();
    let mut replacements: Vec<Option<EventKind>> = retry.events.into_iter().map(Some).collect();
    let mut take = |path: &str, out: &mut Vec<EventKind>| {
        for slot in replacements.iter_mut() {
            if slot.as_ref().is_some_and(|e| path_of(e) == path) {
                out.extend(slot.take());
            }
        }
    };
    for e in first.events {
        let path = path_of(&e);
        if retried.contains(&path) {
            take(&path, &mut out.events);
        } else {
            out.events.push(e);
        }
    }
    for e in replacements.into_iter().flatten() {
        if retried.contains(&path_of(&e)) {
            out.events.push(e);
        }
    }
    out.changes = first.changes;
    out.changes.extend(
        retry
            .changes
            .into_iter()
            .filter(|c| retried.contains(&c.path)),
    );
    out.fixable = retry
        .fixable
        .into_iter()
        .filter(|f| retried.contains(&f.path))
        .collect();
    // A file the first answer failed and the retry left alone is still failed.
    out.fixable.extend(
        first
            .fixable
            .into_iter()
            .filter(|f| !retried.contains(&f.path)),
    );
    out
}

/// What a hybrid edit draft is judged on: its prose, and each changed file's new content
/// whole, fenced in the language its block named. Scored as written, SEARCH/REPLACE markers
/// read as syntax errors and a replacement as a fragment; the files the edits produce are
/// what must parse.
pub fn scored_text(answer: &str, changes: &[edit::Change]) -> String {
    let (_, prose) = crate::text::fence::split(answer);
    let lines: Vec<&str> = answer.lines().collect();
    let parsed = edit::parse(answer);
    let lang_of = |path: &str| {
        parsed
            .blocks()
            .find(|b| b.path == path || path.ends_with(&format!("/{}", b.path)))
            .and_then(|b| lines.get(b.line.checked_sub(1)?).copied())
            .and_then(crate::text::fence::opening)
            .and_then(|f| f.lang())
            .unwrap_or_default()
    };
    let mut out = prose;
    for c in changes {
        if let Some(after) = &c.after {
            let fence = if after.contains("```") { "````" } else { "```" };
            out.push_str(&format!(
                "\n{}\n{fence}{}\n{after}",
                c.path,
                lang_of(&c.path)
            ));
            if !after.ends_with('\n') {
                out.push('\n');
            }
            out.push_str(fence);
            out.push('\n');
        }
    }
    out
}

/// The file's real lines around the closest match to a SEARCH text that did not match.
fn near_text(content: Option<&str>, e: &MatchError) -> Option<String> {
    let MatchError::Missing { near: Some(n) } = e else {
        return None;
    };
    let lines: Vec<&str> = content?.lines().collect();
    let from = n.first_line.saturating_sub(1 + NEAR_CONTEXT);
    let to = (n.last_line + NEAR_CONTEXT).min(lines.len());
    (from < to).then(|| lines[from..to].join("\n"))
}

/// A file's proposal before any block: its text now (none when it does not exist), or why
/// it cannot be edited.
fn open(root: &Path, path: &str, max_file_bytes: u64, sent: &HashMap<String, String>) -> Proposal {
    let mut p = Proposal {
        rel: path.to_owned(),
        before: None,
        after: None,
        why: None,
        fixable: None,
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
    if change.is_none() {
        let why = "the file already holds what the answer proposes".to_owned();
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
        file_diff: change.is_some().then(|| std::sync::Arc::new(d)),
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
        file_diff: None,
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
        let Proposed {
            events, changes, ..
        } = propose(d.path(), answer, 1 << 20, &HashMap::new());
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
        let Proposed {
            events, changes, ..
        } = propose(d.path(), answer, 1 << 20, &HashMap::new());
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
        let Proposed {
            events, changes, ..
        } = propose(d.path(), answer, 1 << 20, &sent);
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
        let Proposed {
            events, changes, ..
        } = propose(d.path(), answer, 1 << 20, &sent);
        assert_eq!(
            summary(&events[0]).4.as_deref(),
            Some("app/calc.py changed since it was read; ask again")
        );
        assert!(changes.is_empty());
    }

    #[test]
    fn a_retry_replaces_only_what_failed_and_a_failure_it_leaves_alone_stays() {
        let d = workspace();
        std::fs::write(d.path().join("app/other.py"), "X = 1\n").expect("write");
        let wrong = "app/calc.py\n```python\n<<<<<<< SEARCH\n    return a * b\n=======\n    return a + b\n>>>>>>> REPLACE\n```\n\napp/other.py\n```python\nX = 2\n```\n";
        let first = propose(d.path(), wrong, 1 << 20, &HashMap::new());
        assert_eq!(first.fixable.len(), 1);
        assert_eq!(first.fixable[0].path, "app/calc.py");
        assert_eq!(
            first.fixable[0].near.as_deref(),
            Some("def add(a, b):\n    return a - b"),
            "the file's real lines near the best match"
        );
        // The retry fixes calc.py and also rewrites other.py, which already worked.
        let retry = "app/calc.py\n```python\n<<<<<<< SEARCH\n    return a - b\n=======\n    return a + b\n>>>>>>> REPLACE\n```\n\napp/other.py\n```python\nX = 3\n```\n";
        let again = propose(d.path(), retry, 1 << 20, &HashMap::new());
        let merged = merge(first, again);
        assert!(merged.fixable.is_empty());
        let by_path: HashMap<_, _> = merged
            .changes
            .iter()
            .map(|c| (c.path.as_str(), c.after.clone().unwrap_or_default()))
            .collect();
        assert_eq!(by_path.len(), 2, "{by_path:?}");
        assert_eq!(
            by_path["app/other.py"], "X = 2\n",
            "the first answer's good edit stays"
        );
        assert!(by_path["app/calc.py"].contains("a + b"));
        assert_eq!(merged.events.len(), 2);
        // A retry that names nothing leaves the failure in place.
        let first = propose(d.path(), wrong, 1 << 20, &HashMap::new());
        let merged = merge(first, propose(d.path(), "Sorry.", 1 << 20, &HashMap::new()));
        assert_eq!(merged.fixable.len(), 1);
        assert_eq!(merged.changes.len(), 1);
    }

    #[test]
    fn an_edit_draft_is_scored_on_its_prose_and_whole_new_files() {
        let answer = "The sign was wrong.\n\napp/calc.py\n```python\n<<<<<<< SEARCH\n    return a - b\n=======\n    return a + b\n>>>>>>> REPLACE\n```\n";
        let changes = [edit::Change {
            path: "app/calc.py".into(),
            before: Some("def add(a, b):\n    return a - b\n".into()),
            after: Some("def add(a, b):\n    return a + b\n".into()),
        }];
        let text = scored_text(answer, &changes);
        assert!(text.starts_with("The sign was wrong."), "{text}");
        assert!(!text.contains("<<<<<<<"), "{text}");
        assert!(
            text.contains("```python\ndef add(a, b):\n    return a + b\n```"),
            "{text}"
        );
    }

    #[test]
    fn a_block_that_changes_nothing_is_not_counted_as_a_change() {
        let d = workspace();
        let same = "app/calc.py\n```python\ndef add(a, b):\n    return a - b\n```\n";
        let p = propose(d.path(), same, 1 << 20, &HashMap::new());
        assert!(p.changes.is_empty());
        assert_eq!(
            summary(&p.events[0]).4.as_deref(),
            Some("the file already holds what the answer proposes")
        );
        assert!(p.fixable.is_empty(), "nothing for the model to fix");
    }
}
