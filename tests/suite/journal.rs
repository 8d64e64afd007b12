//! The engine's journal commands, as the app sends them: a change set the user accepted is
//! written and journaled, undone and redone; `/commit` gets a message from the fast server
//! (the set's diff as context) and commits exactly the set's files in a real git repository.

use crate::support;

use std::path::Path;
use std::process::Command as Process;
use std::time::Duration;

use codecrucible::config::Config;
use codecrucible::edit::Change;
use codecrucible::engine::{Command, EngineHandle, EventKind, FileChange, JournalAction};
use support::protocol::*;

fn git(dir: &Path, args: &[&str]) -> String {
    let out = Process::new("git")
        .args(["-c", "user.name=T", "-c", "user.email=t@example.com"])
        .args(args)
        .current_dir(dir)
        .output()
        .expect("git runs");
    assert!(out.status.success(), "git {args:?}: {out:?}");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A git repository with one committed file, and the name the test commits under.
fn repo() -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    git(d.path(), &["init", "-q"]);
    git(d.path(), &["config", "user.name", "Tester"]);
    git(d.path(), &["config", "user.email", "tester@example.com"]);
    std::fs::create_dir(d.path().join("app")).unwrap();
    std::fs::write(d.path().join("app/calc.py"), "A = 1\n").unwrap();
    std::fs::write(d.path().join("notes.txt"), "mine\n").unwrap();
    git(d.path(), &["add", "app/calc.py"]);
    git(d.path(), &["commit", "-q", "-m", "start"]);
    d
}

async fn answer(engine: &mut EngineHandle, cmd: Command) -> EventKind {
    let _ = engine.commands.send(cmd);
    let ev = tokio::time::timeout(Duration::from_secs(30), engine.events.recv())
        .await
        .expect("the engine answers in time")
        .expect("the engine is alive");
    ev.kind
}

fn engine(lm_url: &str) -> EngineHandle {
    let mut config = Config::default();
    config.hybrid.lm_studio.endpoint = lm_url.into();
    config.hybrid.ollama.endpoint = refused_url();
    config.history.enabled = false;
    codecrucible::engine::Builder::new(config).spawn()
}

#[tokio::test]
async fn an_accepted_set_is_applied_undone_redone_and_committed_with_the_fast_servers_message() {
    let d = repo();
    // A hook that would leave a mark if git ran it: commits never run project code.
    std::fs::write(
        d.path().join(".git/hooks/pre-commit"),
        "#!/bin/sh\ntouch hook-ran\n",
    )
    .unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let hook = d.path().join(".git/hooks/pre-commit");
        std::fs::set_permissions(hook, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let lm = fake_lmstudio("m", &["```\nRaise A to 2 and add B\n```\n"]);
    let mut engine = engine(&lm.url());
    let dir = d.path().to_path_buf();
    let changes = vec![
        Change {
            path: "app/calc.py".into(),
            before: Some("A = 1\n".into()),
            after: Some("A = 2\n".into()),
        },
        Change {
            path: "app/b.py".into(),
            before: None,
            after: Some("B = 1\n".into()),
        },
    ];
    let applied = answer(
        &mut engine,
        Command::Apply {
            id: 1,
            dir: dir.clone(),
            session: None,
            changes,
        },
    )
    .await;
    let EventKind::Journal {
        action: JournalAction::Apply,
        files,
        error: None,
        ..
    } = applied
    else {
        panic!("{applied:?}")
    };
    assert_eq!(files.len(), 2);
    assert_eq!(files[1].change, FileChange::Created);
    assert_eq!(
        std::fs::read_to_string(d.path().join("app/calc.py")).unwrap(),
        "A = 2\n"
    );

    let undo = Command::Undo {
        id: 2,
        dir: dir.clone(),
        session: None,
        force: false,
    };
    let undone = answer(&mut engine, undo).await;
    assert!(
        matches!(undone, EventKind::Journal { error: None, .. }),
        "{undone:?}"
    );
    assert_eq!(
        std::fs::read_to_string(d.path().join("app/calc.py")).unwrap(),
        "A = 1\n"
    );
    assert!(!d.path().join("app/b.py").exists());
    let redo = Command::Redo {
        id: 3,
        dir: dir.clone(),
        session: None,
        force: false,
    };
    let redone = answer(&mut engine, redo).await;
    assert!(
        matches!(redone, EventKind::Journal { error: None, .. }),
        "{redone:?}"
    );
    assert!(d.path().join("app/b.py").exists());

    let proposal = answer(
        &mut engine,
        Command::ProposeCommit {
            id: 4,
            dir: dir.clone(),
            session: None,
        },
    )
    .await;
    let EventKind::CommitProposal {
        files,
        message,
        error: None,
        ..
    } = proposal
    else {
        panic!("{proposal:?}")
    };
    assert_eq!(message, "Raise A to 2 and add B", "fences stripped");
    assert_eq!(files, vec!["app/calc.py".to_owned(), "app/b.py".to_owned()]);
    // The server saw the set's diff.
    let sent = lm.requests_to("/v1/chat/completions");
    let body = sent.last().expect("asked for a message").json().to_string();
    assert!(body.contains("+A = 2") && body.contains("+B = 1"), "{body}");

    let committed = answer(
        &mut engine,
        Command::Commit {
            id: 5,
            dir: dir.clone(),
            files,
            message,
        },
    )
    .await;
    let EventKind::Committed {
        commit: Some(hash),
        error: None,
    } = committed
    else {
        panic!("{committed:?}")
    };
    let log = git(d.path(), &["log", "-1", "--format=%H %s", "--name-only"]);
    assert!(
        log.starts_with(&format!("{hash} Raise A to 2 and add B")),
        "{log}"
    );
    assert!(
        log.contains("app/calc.py") && log.contains("app/b.py"),
        "{log}"
    );
    assert!(!log.contains("notes.txt"), "only the set's files: {log}");
    assert!(!d.path().join("hook-ran").exists(), "hooks are off");
    // The same set again: git has nothing new, and says so plainly.
    let again = answer(
        &mut engine,
        Command::Commit {
            id: 6,
            dir,
            files: vec!["app/calc.py".into()],
            message: "again".into(),
        },
    )
    .await;
    let EventKind::Committed { error: Some(e), .. } = again else {
        panic!("{again:?}")
    };
    assert_eq!(
        e,
        "app/calc.py is already committed as it is; there is nothing to commit"
    );
}

#[tokio::test]
async fn commit_says_plainly_when_there_is_nothing_to_commit_or_no_server_to_write_it() {
    let d = repo();
    let mut engine = engine(&refused_url());
    let dir = d.path().to_path_buf();
    let nothing = answer(
        &mut engine,
        Command::ProposeCommit {
            id: 1,
            dir: dir.clone(),
            session: None,
        },
    )
    .await;
    let EventKind::CommitProposal { error: Some(e), .. } = nothing else {
        panic!("{nothing:?}")
    };
    assert!(e.contains("no applied change"), "{e}");
    let change = Change {
        path: "app/calc.py".into(),
        before: Some("A = 1\n".into()),
        after: Some("A = 3\n".into()),
    };
    let _ = answer(
        &mut engine,
        Command::Apply {
            id: 2,
            dir: dir.clone(),
            session: None,
            changes: vec![change],
        },
    )
    .await;
    let down = answer(
        &mut engine,
        Command::ProposeCommit {
            id: 3,
            dir: dir.clone(),
            session: None,
        },
    )
    .await;
    let EventKind::CommitProposal { error: Some(e), .. } = down else {
        panic!("{down:?}")
    };
    assert!(e.contains("`/commit YOUR MESSAGE`"), "{e}");
    // A stale undo says why and writes nothing.
    std::fs::write(d.path().join("app/calc.py"), "A = 9\n").unwrap();
    let undo = Command::Undo {
        id: 4,
        dir,
        session: None,
        force: false,
    };
    let refused = answer(&mut engine, undo).await;
    let EventKind::Journal {
        error: Some(e),
        files,
        ..
    } = refused
    else {
        panic!("{refused:?}")
    };
    assert!(files.is_empty());
    assert!(
        e.contains("app/calc.py changed since the edit was applied"),
        "{e}"
    );
    assert_eq!(
        std::fs::read_to_string(d.path().join("app/calc.py")).unwrap(),
        "A = 9\n"
    );
}

#[tokio::test]
async fn a_server_that_writes_on_and_on_gets_its_commit_message_cut() {
    let d = repo();
    let endless = "Fix it ".repeat(20_000);
    let lm = fake_lmstudio("m", &[&endless]);
    let mut engine = engine(&lm.url());
    let dir = d.path().to_path_buf();
    let change = Change {
        path: "app/calc.py".into(),
        before: Some("A = 1\n".into()),
        after: Some("A = 2\n".into()),
    };
    let _ = answer(
        &mut engine,
        Command::Apply {
            id: 1,
            dir: dir.clone(),
            session: None,
            changes: vec![change],
        },
    )
    .await;
    let proposal = answer(
        &mut engine,
        Command::ProposeCommit {
            id: 2,
            dir,
            session: None,
        },
    )
    .await;
    let EventKind::CommitProposal { message, .. } = proposal else {
        panic!("{proposal:?}")
    };
    assert!(message.starts_with("Fix it"));
    assert!(message.len() <= 8 * 1024, "{}", message.len());
}
