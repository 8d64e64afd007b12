//! Edits as a user meets them: edit mode, the diff view filling in as the answer streams,
//! keeping and dropping hunks, applying and rejecting, and the notices for apply, undo,
//! redo and commit, with the engine's part played by scripted events.

use std::sync::Arc;

use super::*;
use crate::edit::Change;
use crate::engine::{EditStatus, FileChange, JournalAction, JournalEntry};

const SESSION: i64 = 7;

fn edit_app() -> App {
    App::new(Options {
        workspace: Some("/work/shop".into()),
        ..options()
    })
}

fn numbered(n: usize) -> String {
    (1..=n).map(|i| format!("line {i}\n")).collect()
}

/// app/calc.py: 30 lines, lines 2 and 20 changed (two hunks).
fn calc() -> Change {
    let before = numbered(30);
    let after = before
        .replace("line 2\n", "line two\n")
        .replace("line 20\n", "line twenty\n");
    Change {
        path: "app/calc.py".into(),
        before: Some(before),
        after: Some(after),
    }
}

fn util() -> Change {
    Change {
        path: "app/util.py".into(),
        before: None,
        after: Some("def double(x):\n    return 2 * x\n".into()),
    }
}

fn delta(text: &str) -> EventKind {
    EventKind::Delta {
        backend: BackendId::Lmstudio,
        text: text.into(),
        draft: false,
    }
}

fn proposed(c: Change) -> EventKind {
    let d = crate::edit::diff(&c.path, c.before.as_deref(), c.after.as_deref());
    EventKind::Edit {
        path: c.path.clone(),
        status: EditStatus::Proposed,
        diff: d.unified(),
        hunks: d.hunks.len(),
        added: d.added(),
        removed: d.removed(),
        why: None,
        change: Some(Arc::new(c)),
        file_diff: Some(Arc::new(d)),
    }
}

fn failed(path: &str, why: &str) -> EventKind {
    EventKind::Edit {
        path: path.into(),
        status: EditStatus::Failed,
        diff: String::new(),
        hunks: 0,
        added: 0,
        removed: 0,
        why: Some(why.into()),
        change: None,
        file_diff: None,
    }
}

fn done() -> EventKind {
    EventKind::Done {
        backend: BackendId::Lmstudio,
        model: "qwen-coder-7b".into(),
        ttft_ms: None,
        total_ms: 900.0,
        input_tokens: None,
        output_tokens: None,
        tokens_per_second: None,
        finish_reason: Some("stop".into()),
        cached: false,
        cached_tokens: None,
        endpoint: None,
    }
}

/// The answer's text as it streams: prose, then one block per file.
const ANSWER: [&str; 3] = [
    "Two changes and a helper.\n\napp/calc.py\n```python\n<<<<<<< SEARCH\nline 2\n",
    "=======\nline two\n>>>>>>> REPLACE\n```\n\napp/util.py\n```python\ndef double(x):\n",
    "    return 2 * x\n```\n\napp/gone.py\n```python\n<<<<<<< SEARCH\nx\n=======\ny\n>>>>>>> REPLACE\n```\n",
];

/// Sends an edit request and plays the engine's answer: the stream, one `edit` event per
/// file (a modified file with two hunks, a new file, a failed one), then `done`.
fn propose(a: &mut App) -> u64 {
    type_text(a, "/edit fix the calculator");
    key(a, KeyCode::Enter);
    let s = submitted(a);
    assert!(s.edit && !s.apply, "an edit request, never an apply");
    let id = s.id;
    let session = EventKind::Session {
        session: SESSION,
        new: true,
        stored: true,
    };
    a.on_engine(ev(id, session));
    for chunk in ANSWER {
        a.on_engine(ev(id, delta(chunk)));
    }
    a.on_engine(ev(id, proposed(calc())));
    a.on_engine(ev(id, proposed(util())));
    a.on_engine(ev(
        id,
        failed("app/gone.py", "the SEARCH text is not in the file"),
    ));
    a.on_engine(ev(id, done()));
    id
}

fn applies(a: &mut App) -> Vec<Vec<Change>> {
    a.outgoing
        .drain(..)
        .filter_map(|c| match c {
            Command::Apply { changes, .. } => Some(changes),
            _ => None,
        })
        .collect()
}

fn status_line(a: &mut App) -> String {
    screen(a, 120, 40)
        .lines()
        .nth(39)
        .unwrap_or_default()
        .to_owned()
}

#[test]
fn snapshot_the_diff_view_with_a_modified_a_new_and_a_failed_file() {
    let mut a = edit_app();
    propose(&mut a);
    assert_eq!(a.overlay_kind(), Some(Kind::Diff), "it opened by itself");
    insta::assert_snapshot!("diff_view_120x40", screen(&mut a, 120, 40));
    insta::assert_snapshot!("diff_view_80x24", screen(&mut a, 80, 24));
    // The failed file is further down: the view scrolls to it, and back.
    key(&mut a, KeyCode::End);
    let s = screen(&mut a, 80, 24);
    assert!(
        s.contains("✗ app/gone.py · failed: the SEARCH text is not in the file"),
        "{s}"
    );
    key(&mut a, KeyCode::Up);
    key(&mut a, KeyCode::Home);
    assert_eq!(
        screen(&mut a, 80, 24)
            .lines()
            .nth(1)
            .map(|l| l.contains("app/calc.py")),
        Some(true)
    );
    // The second hunk left out: dimmed, struck through and marked.
    key(&mut a, KeyCode::Char(']'));
    key(&mut a, KeyCode::Char(']'));
    key(&mut a, KeyCode::Char(' '));
    let s = screen(&mut a, 120, 40);
    assert!(s.contains("[~] app/calc.py"), "{s}");
    assert!(s.contains("@@ -17,7 +17,7 @@  (left out)"), "{s}");
    assert!(s.contains("2 of 3 hunks selected"), "{s}");
    let styled = styled_screen(&mut a, 120, 40);
    let struck = styled
        .lines()
        .find(|l| l.contains("line twenty"))
        .expect("the left-out line is still shown");
    assert!(struck.contains("CROSSED_OUT"), "{struck}");
}

#[test]
fn a_hunk_left_out_is_not_in_the_apply_and_the_notice_counts_what_was() {
    let mut a = edit_app();
    propose(&mut a);
    // Stops: calc.py's header, its two hunks, util.py's header. Drop calc.py's second hunk.
    key(&mut a, KeyCode::Char(']'));
    key(&mut a, KeyCode::Char(']'));
    key(&mut a, KeyCode::Char(' '));
    key(&mut a, KeyCode::Char('a'));
    assert_eq!(a.overlay_kind(), None, "the view closes on a");
    let cmds: Vec<Command> = a.outgoing.drain(..).collect();
    let [Command::Apply {
        id,
        dir,
        session,
        changes,
    }] = &cmds[..]
    else {
        panic!("one apply: {cmds:?}");
    };
    assert_eq!(dir, std::path::Path::new("/work/shop"));
    assert_eq!(*session, Some(SESSION));
    assert_eq!(changes.len(), 2);
    let after = changes[0].after.as_deref().unwrap();
    assert!(after.contains("line two\n"), "the kept hunk: {after}");
    assert!(after.contains("line 20\n") && !after.contains("line twenty"));
    assert_eq!(changes[0].before, calc().before);
    assert_eq!(changes[1], util(), "the new file as proposed");
    // The engine wrote them.
    a.on_engine(ev(
        *id,
        EventKind::Journal {
            action: JournalAction::Apply,
            set: Some(1),
            files: vec![
                JournalEntry {
                    path: "app/calc.py".into(),
                    change: FileChange::Modified,
                },
                JournalEntry {
                    path: "app/util.py".into(),
                    change: FileChange::Created,
                },
            ],
            forced: Vec::new(),
            error: None,
        },
    ));
    assert!(
        status_line(&mut a).contains("applied 2 hunks in 2 files"),
        "{}",
        status_line(&mut a)
    );
    // Applied once: /diff shows it, and a does nothing more.
    type_text(&mut a, "/diff");
    key(&mut a, KeyCode::Enter);
    assert_eq!(a.overlay_kind(), Some(Kind::Diff));
    key(&mut a, KeyCode::Char('a'));
    assert!(applies(&mut a).is_empty(), "never applied twice");
    assert!(status_line(&mut a).contains("applied already"));
}

#[test]
fn x_rejects_and_sends_nothing_and_a_rejected_proposal_cannot_be_applied() {
    let mut a = edit_app();
    propose(&mut a);
    key(&mut a, KeyCode::Char('x'));
    assert_eq!(a.overlay_kind(), None);
    assert!(a.outgoing.is_empty(), "{:?}", a.outgoing);
    assert!(status_line(&mut a).contains("nothing was written"));
    type_text(&mut a, "/diff");
    key(&mut a, KeyCode::Enter);
    key(&mut a, KeyCode::Char('a'));
    assert!(applies(&mut a).is_empty());
}

#[test]
fn esc_keeps_the_proposal_and_diff_reopens_it_as_it_was() {
    let mut a = edit_app();
    type_text(&mut a, "/diff");
    key(&mut a, KeyCode::Enter);
    assert_eq!(a.overlay_kind(), None);
    assert!(status_line(&mut a).contains("No changes proposed yet"));
    propose(&mut a);
    key(&mut a, KeyCode::Char(']'));
    key(&mut a, KeyCode::Char(' ')); // calc.py's first hunk out
    key(&mut a, KeyCode::Esc);
    assert_eq!(a.overlay_kind(), None);
    assert!(a.outgoing.is_empty());
    type_text(&mut a, "/diff");
    key(&mut a, KeyCode::Enter);
    assert_eq!(a.overlay_kind(), Some(Kind::Diff));
    let s = screen(&mut a, 120, 40);
    assert!(s.contains("@@ -1,5 +1,5 @@  (left out)"), "{s}");
    key(&mut a, KeyCode::Char('a'));
    let sent = applies(&mut a);
    let after = sent[0][0].after.as_deref().unwrap();
    assert!(after.contains("line 2\n") && after.contains("line twenty\n"));
}

#[test]
fn streaming_lists_each_path_before_the_diffs_arrive() {
    let mut a = edit_app();
    type_text(&mut a, "/edit fix the calculator");
    key(&mut a, KeyCode::Enter);
    let id = submitted(&mut a).id;
    a.on_engine(ev(id, delta("Let me see.\n")));
    assert_eq!(a.overlay_kind(), None, "prose opens nothing");
    a.on_engine(ev(id, delta(ANSWER[0])));
    assert_eq!(a.overlay_kind(), Some(Kind::Diff));
    let s = screen(&mut a, 120, 40);
    assert!(s.contains("app/calc.py: receiving…"), "{s}");
    a.on_engine(ev(id, delta(ANSWER[1])));
    let s = screen(&mut a, 120, 40);
    assert!(
        s.contains("app/calc.py: received, waiting for the diff…"),
        "{s}"
    );
    assert!(s.contains("app/util.py: receiving…"), "{s}");
    // Letters pressed while it streams neither apply nor reject.
    key(&mut a, KeyCode::Char('a'));
    key(&mut a, KeyCode::Char('x'));
    assert!(a.outgoing.is_empty());
    assert_eq!(a.overlay_kind(), Some(Kind::Diff));
    a.on_engine(ev(id, proposed(calc())));
    let s = screen(&mut a, 120, 40);
    assert!(
        s.contains("@@ -1,5 +1,5 @@") && !s.contains("receiving…"),
        "{s}"
    );
}

#[test]
fn a_proposal_arriving_while_the_user_types_does_not_take_the_keys() {
    let mut a = edit_app();
    type_text(&mut a, "/edit fix the calculator");
    key(&mut a, KeyCode::Enter);
    let id = submitted(&mut a).id;
    type_text(&mut a, "and then a");
    a.on_engine(ev(id, delta(ANSWER[0])));
    assert_eq!(a.overlay_kind(), None);
    type_text(&mut a, "dd tests");
    assert_eq!(
        a.input.text(),
        "and then add tests",
        "nothing typed was lost"
    );
    assert!(status_line(&mut a).contains("/diff shows them"));
    assert!(a.outgoing.is_empty());
}

#[test]
fn edit_mode_follows_the_editing_voices_until_toggled() {
    let mut a = edit_app();
    let ask = |a: &mut App| {
        type_text(a, "hello");
        key(a, KeyCode::Enter);
        let s = submitted(a);
        a.running = None;
        s.edit
    };
    assert!(!ask(&mut a), "no voice: no edits");
    assert!(!status_line(&mut a).contains("edits"));
    key(&mut a, KeyCode::F(4)); // Implementor
    assert!(ask(&mut a));
    assert!(status_line(&mut a).contains("mode auto · edits"));
    key(&mut a, KeyCode::F(3)); // Developer
    assert!(ask(&mut a));
    key(&mut a, KeyCode::F(1)); // Explorer
    assert!(!ask(&mut a));
    // Toggled on, it stays on through voice switches.
    type_text(&mut a, "/edit");
    key(&mut a, KeyCode::Enter);
    assert!(status_line(&mut a).contains("Edit mode on"));
    key(&mut a, KeyCode::F(2));
    assert!(ask(&mut a));
    // Toggled off, the editing voices do not turn it back on.
    type_text(&mut a, "/edit");
    key(&mut a, KeyCode::Enter);
    key(&mut a, KeyCode::F(4));
    assert!(!ask(&mut a));
    // /edit PROMPT asks once, and /retry asks the same way.
    type_text(&mut a, "/edit rename x");
    key(&mut a, KeyCode::Enter);
    let s = submitted(&mut a);
    assert!(s.edit);
    assert_eq!(s.input, "rename x");
    a.running = None;
    type_text(&mut a, "/retry");
    key(&mut a, KeyCode::Enter);
    assert!(submitted(&mut a).edit, "the retry is an edit request too");
    a.running = None;
    assert!(!ask(&mut a), "then back to the mode");
}

#[test]
fn undo_and_redo_name_what_they_restored() {
    let mut a = edit_app();
    propose(&mut a);
    key(&mut a, KeyCode::Esc);
    for (line, undo, force) in [
        ("/undo", true, false),
        ("/undo force", true, true),
        ("/redo", false, false),
        ("/redo force", false, true),
    ] {
        type_text(&mut a, line);
        key(&mut a, KeyCode::Enter);
        let cmds: Vec<Command> = a.outgoing.drain(..).collect();
        let got = match &cmds[..] {
            [Command::Undo {
                session,
                force,
                dir,
                ..
            }] => (true, *force, *session, dir.clone()),
            [Command::Redo {
                session,
                force,
                dir,
                ..
            }] => (false, *force, *session, dir.clone()),
            other => panic!("{line}: {other:?}"),
        };
        assert_eq!(
            got,
            (undo, force, Some(SESSION), "/work/shop".into()),
            "{line}"
        );
    }
    let journal =
        |action, files: Vec<(&str, FileChange)>, error: Option<&str>| EventKind::Journal {
            action,
            set: Some(1),
            files: files
                .into_iter()
                .map(|(p, change)| JournalEntry {
                    path: p.into(),
                    change,
                })
                .collect(),
            forced: Vec::new(),
            error: error.map(str::to_owned),
        };
    a.on_engine(ev(
        90,
        journal(
            JournalAction::Undo,
            vec![
                ("app/calc.py", FileChange::Modified),
                ("app/util.py", FileChange::Deleted),
            ],
            None,
        ),
    ));
    let s = status_line(&mut a);
    assert!(
        s.contains("undone: app/calc.py restored, app/util.py removed"),
        "{s}"
    );
    a.on_engine(ev(
        91,
        journal(
            JournalAction::Undo,
            vec![],
            Some("app/calc.py changed since; /undo force overwrites it"),
        ),
    ));
    let s = status_line(&mut a);
    assert!(s.contains("app/calc.py changed since"), "{s}");
    assert_eq!(
        a.note.as_ref().map(|n| n.level),
        Some(crate::tui::notice::Level::Error)
    );
}

#[test]
fn commit_asks_with_the_proposed_message_and_commits_on_y() {
    let mut a = edit_app();
    type_text(&mut a, "/commit");
    key(&mut a, KeyCode::Enter);
    let cmds: Vec<Command> = a.outgoing.drain(..).collect();
    assert!(
        matches!(&cmds[..], [Command::ProposeCommit { dir, .. }] if dir == std::path::Path::new("/work/shop")),
        "{cmds:?}"
    );
    a.on_engine(ev(
        50,
        EventKind::CommitProposal {
            set: Some(3),
            files: vec!["app/calc.py".into()],
            message: "Fix the sign in add\n\nadd subtracted its arguments.".into(),
            error: None,
        },
    ));
    assert_eq!(a.overlay_kind(), Some(Kind::Commit));
    insta::assert_snapshot!("commit_confirm_80x24", screen(&mut a, 80, 24));
    key(&mut a, KeyCode::Char('y'));
    assert_eq!(a.overlay_kind(), None);
    let cmds: Vec<Command> = a.outgoing.drain(..).collect();
    let [Command::Commit {
        id, files, message, ..
    }] = &cmds[..]
    else {
        panic!("{cmds:?}");
    };
    assert_eq!(files, &["app/calc.py".to_owned()]);
    assert!(message.starts_with("Fix the sign in add"));
    a.on_engine(ev(
        *id,
        EventKind::Committed {
            commit: Some("abc1234def5678".into()),
            error: None,
        },
    ));
    let s = status_line(&mut a);
    assert!(s.contains("committed abc1234: Fix the sign in add"), "{s}");
    // An error is said as it is.
    a.on_engine(ev(
        51,
        EventKind::CommitProposal {
            set: None,
            files: vec![],
            message: String::new(),
            error: Some("there is no applied change set to commit".into()),
        },
    ));
    assert_eq!(a.overlay_kind(), None);
    assert!(status_line(&mut a).contains("no applied change set"));
    a.on_engine(ev(
        52,
        EventKind::Committed {
            commit: None,
            error: Some("git commit failed: nothing to commit".into()),
        },
    ));
    assert!(status_line(&mut a).contains("git commit failed"));
}

#[test]
fn commit_with_a_message_takes_the_last_applied_set_and_n_cancels() {
    let mut a = edit_app();
    type_text(&mut a, "/commit Fix add");
    key(&mut a, KeyCode::Enter);
    assert_eq!(a.overlay_kind(), None, "nothing applied here yet");
    assert!(status_line(&mut a).contains("No change set was applied here"));
    propose(&mut a);
    key(&mut a, KeyCode::Char('a'));
    let Some(Command::Apply { id, .. }) = a.outgoing.pop() else {
        panic!("an apply");
    };
    a.on_engine(ev(
        id,
        EventKind::Journal {
            action: JournalAction::Apply,
            set: Some(4),
            files: vec![
                JournalEntry {
                    path: "app/calc.py".into(),
                    change: FileChange::Modified,
                },
                JournalEntry {
                    path: "app/util.py".into(),
                    change: FileChange::Created,
                },
            ],
            forced: Vec::new(),
            error: None,
        },
    ));
    assert!(status_line(&mut a).contains("applied 3 hunks in 2 files"));
    type_text(&mut a, "/commit Fix add");
    key(&mut a, KeyCode::Enter);
    assert_eq!(a.overlay_kind(), Some(Kind::Commit));
    key(&mut a, KeyCode::Char('n'));
    assert_eq!(a.overlay_kind(), None);
    assert!(a.outgoing.is_empty());
    assert!(status_line(&mut a).contains("Not committed"));
    type_text(&mut a, "/commit Fix add");
    key(&mut a, KeyCode::Enter);
    key(&mut a, KeyCode::Enter);
    let cmds: Vec<Command> = a.outgoing.drain(..).collect();
    assert!(
        matches!(&cmds[..], [Command::Commit { files, message, .. }]
            if files == &["app/calc.py".to_owned(), "app/util.py".to_owned()] && message == "Fix add"),
        "{cmds:?}"
    );
}

#[test]
fn a_failed_apply_says_why_and_can_be_tried_again() {
    let mut a = edit_app();
    propose(&mut a);
    key(&mut a, KeyCode::Char('a'));
    let Some(Command::Apply { id, .. }) = a.outgoing.pop() else {
        panic!("an apply");
    };
    a.on_engine(ev(
        id,
        EventKind::Journal {
            action: JournalAction::Apply,
            set: None,
            files: vec![],
            forced: Vec::new(),
            error: Some("app/calc.py changed since it was read; ask again".into()),
        },
    ));
    assert!(status_line(&mut a).contains("changed since it was read"));
    type_text(&mut a, "/diff");
    key(&mut a, KeyCode::Enter);
    key(&mut a, KeyCode::Char('a'));
    assert_eq!(
        applies(&mut a).len(),
        1,
        "nothing was written, so it may be tried again"
    );
}

#[test]
fn paths_and_reasons_from_the_model_are_cleaned_for_the_terminal() {
    let mut a = edit_app();
    type_text(&mut a, "/edit fix");
    key(&mut a, KeyCode::Enter);
    let id = submitted(&mut a).id;
    a.on_engine(ev(
        id,
        failed(
            "evil\u{1b}]0;owned\u{7}.py",
            "it \u{202e}failed\u{1b}[2J here",
        ),
    ));
    a.on_engine(ev(id, done()));
    let s = screen(&mut a, 120, 40);
    assert!(
        s.contains("evil]0;owned.py · failed: it failed[2J here"),
        "{s}"
    );
    assert!(!s.contains('\u{1b}') && !s.contains('\u{202e}'));
}

#[test]
fn the_help_lists_the_edit_commands_and_the_diff_views_keys() {
    let mut a = edit_app();
    key(&mut a, KeyCode::F(12));
    screen(&mut a, 120, 40); // the help learns how far it scrolls
    key(&mut a, KeyCode::End);
    let s = screen(&mut a, 120, 40);
    for needle in [
        "/edit [PROMPT]",
        "/diff",
        "/undo [force]",
        "/redo [force]",
        "/commit [MESSAGE]",
        "a x Esc (diff view)",
    ] {
        assert!(s.contains(needle), "{needle}:\n{s}");
    }
}
