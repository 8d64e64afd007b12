//! Sessions are saved as they happen, can be listed, shown, searched, exported, deleted
//! and carried on — through the real binary.

use crate::support;

use std::io::Read;
use std::process::Stdio;
use std::time::Duration;

use codecrucible::store::{Status, Store, StoredMessage};
use predicates::prelude::*;
use predicates::str::contains;
use support::protocol::*;
use support::{cli, End, Framing, Part, Reply};

fn store(dir: &std::path::Path) -> Store {
    Store::open(&dir.join("data/history.db")).expect("the history database opens")
}

/// The messages of the most recently written session.
fn latest_messages(dir: &std::path::Path) -> Vec<StoredMessage> {
    let s = store(dir);
    let id = s.list_sessions(1).expect("list")[0].id;
    s.session(id).expect("read").expect("exists").1
}

#[test]
fn a_headless_run_is_a_session_that_can_be_listed_searched_exported_and_deleted() {
    let lm = fake_lmstudio("m", &["use a ", "BTreeMap here"]);
    let dir = tempfile::tempdir().unwrap();
    write_config(dir.path(), &lm.url(), &refused_url(), "");
    cli(dir.path())
        .args(["-p", "which map keeps keys sorted in Rust?"])
        .assert()
        .success();
    let list = store(dir.path()).list_sessions(10).unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0].title, "which map keeps keys sorted in Rust?");
    let id = list[0].id.to_string();
    let (_, msgs) = store(dir.path()).session(list[0].id).unwrap().unwrap();
    assert_eq!(
        (msgs[0].role.as_str(), msgs[1].content.as_str()),
        ("user", "use a BTreeMap here")
    );
    assert_eq!(msgs[1].status, Status::Complete);
    cli(dir.path())
        .args(["sessions", "list"])
        .assert()
        .success()
        .stdout(contains("which map keeps keys sorted"));
    cli(dir.path())
        .args(["sessions", "search", "BTreeMap"])
        .assert()
        .success()
        .stdout(contains("[BTreeMap]"));
    cli(dir.path())
        .args(["sessions", "export", &id, "--format", "markdown"])
        .assert()
        .success()
        .stdout(
            contains("# which map keeps keys sorted").and(contains("## assistant (lmstudio · m)")),
        );
    cli(dir.path())
        .args(["sessions", "show", &id, "--json"])
        .assert()
        .success()
        .stdout(contains("\"status\": \"complete\""));
    cli(dir.path())
        .args(["sessions", "delete", &id])
        .assert()
        .success();
    cli(dir.path())
        .args(["sessions", "show", &id])
        .assert()
        .code(1)
        .stderr(contains("no session"));
}

#[test]
fn continue_sends_the_earlier_turns_and_resume_names_a_session() {
    let lm = fake_lmstudio("m", &["42"]);
    let dir = tempfile::tempdir().unwrap();
    write_config(dir.path(), &lm.url(), &refused_url(), "");
    cli(dir.path())
        .args(["-p", "what is six times seven?"])
        .assert()
        .success();
    cli(dir.path())
        .args(["--continue", "-p", "and doubled?"])
        .assert()
        .success();
    let second = lm.requests_to("/v1/chat/completions")[1].json();
    let msgs = second["messages"].as_array().unwrap();
    let texts: Vec<&str> = msgs
        .iter()
        .map(|m| m["content"].as_str().unwrap())
        .collect();
    assert_eq!(
        &texts[1..],
        ["what is six times seven?", "42", "and doubled?"]
    );
    let list = store(dir.path()).list_sessions(10).unwrap();
    assert_eq!(list.len(), 1, "the follow-up joined the same session");
    assert_eq!(list[0].messages, 4);
    cli(dir.path())
        .args(["--resume", "999", "-p", "x"])
        .assert()
        .code(2)
        .stderr(contains("no session 999"));
}

#[test]
fn a_cut_stream_is_saved_as_partial() {
    let lm = fake_lmstudio("m", &[]);
    let parts = lmstudio_stream("m", &["half an answ"], "stop");
    lm.on(
        "POST",
        "/v1/chat/completions",
        Reply::sse(vec![&parts[0], &parts[1]]).with_end(End::Cut),
    );
    let dir = tempfile::tempdir().unwrap();
    write_config(dir.path(), &lm.url(), &refused_url(), "");
    cli(dir.path())
        .args(["--fast", "-p", "hi"])
        .assert()
        .code(1);
    let msgs = latest_messages(dir.path());
    assert_eq!(
        (msgs[1].content.as_str(), msgs[1].status),
        ("half an answ", Status::Partial)
    );
}

#[test]
fn kill_9_mid_stream_leaves_a_sound_database_with_the_flushed_text() {
    let lm = fake_lmstudio("m", &[]);
    // The second piece comes later and no more after it: only the timed flush saves it.
    let parts = lmstudio_stream("m", &["streamed ", "before the kill"], "stop");
    let pieces = vec![
        Part::Bytes(parts[0].clone()),
        Part::Bytes(parts[1].clone()),
        Part::Delay(Duration::from_millis(100)),
        Part::Bytes(parts[2].clone()),
    ];
    let reply = Reply::Stream {
        status: 200,
        content_type: "text/event-stream",
        framing: Framing::Chunked,
        parts: pieces,
        end: End::Hold,
    };
    lm.on("POST", "/v1/chat/completions", reply);
    let dir = tempfile::tempdir().unwrap();
    write_config(dir.path(), &lm.url(), &refused_url(), "");
    let mut child = support::cli_process(dir.path())
        .args(["-p", "hi", "--fast"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut first = [0u8; 8];
    child
        .stdout
        .as_mut()
        .unwrap()
        .read_exact(&mut first)
        .unwrap();
    // The first text is stored at once; wait past one flush period, then kill hard.
    std::thread::sleep(Duration::from_millis(700));
    std::process::Command::new("kill")
        .args(["-9", &child.id().to_string()])
        .status()
        .unwrap();
    let _ = child.wait();
    let msgs = latest_messages(dir.path());
    assert_eq!(
        msgs[0].content, "hi",
        "the user's message was saved before it was sent"
    );
    assert!(
        msgs.len() == 2 && msgs[1].status == Status::Streaming,
        "{msgs:?}"
    );
    assert_eq!(msgs[1].content, "streamed before the kill");
    let conn = rusqlite_check(&dir.path().join("data/history.db"));
    assert_eq!(conn, "ok");
}

fn rusqlite_check(path: &std::path::Path) -> String {
    let out = std::process::Command::new("python3")
        .args(["-c", "import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute('PRAGMA integrity_check').fetchone()[0])"])
        .arg(path)
        .output()
        .expect("python3 runs");
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

#[test]
fn history_can_be_switched_off() {
    let lm = fake_lmstudio("m", &["ok"]);
    let dir = tempfile::tempdir().unwrap();
    write_config(
        dir.path(),
        &lm.url(),
        &refused_url(),
        "[history]\nenabled = false\n",
    );
    cli(dir.path()).args(["-p", "hi"]).assert().success();
    assert!(!dir.path().join("data/history.db").exists());
    cli(dir.path())
        .args(["--continue", "-p", "x"])
        .assert()
        .code(2)
        .stderr(contains("history is off"));
}

#[test]
fn an_escalation_keeps_the_draft_marked_and_a_failed_one_keeps_it_as_the_answer() {
    let lm = fake_lmstudio("m", &[]);
    let parts = lmstudio_stream("m", &["def f(", "x):\n    ret"], "length");
    lm.on(
        "POST",
        "/v1/chat/completions",
        Reply::sse(parts.iter().map(|p| p.as_slice()).collect()),
    );
    let ol = fake_ollama(&["q"], &["def f(x):\n    return x\n"]);
    let dir = tempfile::tempdir().unwrap();
    write_config(dir.path(), &lm.url(), &ol.url(), "");
    let prompt = "implement a Python function that returns its argument";
    cli(dir.path()).args(["-p", prompt]).assert().success();
    let msgs = latest_messages(dir.path());
    let got: Vec<(&str, Status)> = msgs
        .iter()
        .map(|m| (m.backend.as_deref().unwrap_or("-"), m.status))
        .collect();
    assert_eq!(
        got,
        [
            ("-", Status::Complete),
            ("lmstudio", Status::Draft),
            ("ollama", Status::Complete)
        ]
    );

    // With Ollama down the escalation fails and the draft becomes the answer.
    let dir = tempfile::tempdir().unwrap();
    write_config(dir.path(), &lm.url(), &refused_url(), "");
    cli(dir.path())
        .args(["-p", prompt])
        .assert()
        .success()
        .stdout("def f(x):\n    ret\n");
    let msgs = latest_messages(dir.path());
    assert_eq!(msgs[1].status, Status::Complete);
}

#[test]
fn metrics_are_read_from_the_history() {
    let lm = fake_lmstudio("m", &["formatted"]);
    let dir = tempfile::tempdir().unwrap();
    write_config(dir.path(), &lm.url(), &refused_url(), "");
    cli(dir.path())
        .args(["-p", "reformat this file with rustfmt"])
        .assert()
        .success();
    cli(dir.path())
        .args(["--analyze", "-p", "why does it deadlock?"])
        .assert()
        .code(1);
    let out = cli(dir.path())
        .args(["metrics", "--json", "--since", "1h"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let m: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(m["routing"]["requests"], 2);
    let lm = m["backends"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["backend"] == "lmstudio")
        .unwrap()
        .clone();
    assert_eq!(
        (lm["requests"].as_i64(), lm["success_rate"].as_f64()),
        (Some(1), Some(1.0))
    );
    let ol = m["backends"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["backend"] == "ollama")
        .unwrap()
        .clone();
    assert_eq!(ol["success_rate"].as_f64(), Some(0.0));
    cli(dir.path())
        .arg("metrics")
        .assert()
        .success()
        .stdout(contains("routed 2 requests"));
    cli(dir.path())
        .args(["metrics", "--since", "soon"])
        .assert()
        .code(2)
        .stderr(contains("not a duration"));
}

#[test]
fn feedback_is_recorded_and_counts_against_routing_accuracy() {
    let lm = fake_lmstudio("m", &["ok"]);
    let dir = tempfile::tempdir().unwrap();
    write_config(dir.path(), &lm.url(), &refused_url(), "");
    cli(dir.path())
        .args(["-p", "reformat this json"])
        .assert()
        .success()
        .stderr(contains("[session 1 · LM Studio"));
    cli(dir.path())
        .args(["feedback", "1", "quality"])
        .assert()
        .success()
        .stderr(contains("recorded \"quality\""));
    let out = cli(dir.path())
        .args(["metrics", "--json"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let m: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(m["routing"]["routing_accuracy"].as_f64(), Some(0.0));
    cli(dir.path())
        .args(["feedback", "42", "good"])
        .assert()
        .code(1)
        .stderr(contains("session 42 has no finished answer"));
    cli(dir.path())
        .args(["feedback", "1", "meh"])
        .assert()
        .code(2);
}

#[test]
fn two_instances_at_once_lose_no_writes() {
    let lm = fake_lmstudio("m", &["an ", "answer ", "in ", "pieces"]);
    let dir = tempfile::tempdir().unwrap();
    write_config(dir.path(), &lm.url(), &refused_url(), "");
    let spawn = |n: usize| {
        let dir = dir.path().to_path_buf();
        std::thread::spawn(move || {
            for i in 0..5 {
                let status = support::cli_process(&dir)
                    .args(["-p", &format!("instance {n} prompt {i}")])
                    .stdout(Stdio::null())
                    .stderr(Stdio::null())
                    .status()
                    .unwrap();
                assert!(status.success());
            }
        })
    };
    let (a, b) = (spawn(1), spawn(2));
    a.join().unwrap();
    b.join().unwrap();
    let s = store(dir.path());
    let sessions = s.list_sessions(100).unwrap();
    assert_eq!(sessions.len(), 10, "every run saved its session");
    for summary in sessions {
        let (_, msgs) = s.session(summary.id).unwrap().unwrap();
        assert_eq!(msgs.len(), 2, "{}", summary.title);
        assert_eq!(msgs[1].content, "an answer in pieces");
        assert_eq!(msgs[1].status, Status::Complete);
    }
}

/// The history holds whole conversations: the database, its WAL and shared-memory files
/// and the log are the user's alone, in a directory only they can enter.
#[cfg(unix)]
#[test]
fn the_history_and_the_log_are_private() {
    use std::os::unix::fs::PermissionsExt;
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    let lm = fake_lmstudio("m", &["an answer"]);
    let dir = tempfile::tempdir().unwrap();
    write_config(dir.path(), &lm.url(), &refused_url(), "");
    // A database an earlier version left readable by everyone is tightened.
    let data = dir.path().join("data");
    std::fs::create_dir_all(&data).unwrap();
    drop(store(dir.path()));
    std::fs::set_permissions(
        data.join("history.db"),
        std::fs::Permissions::from_mode(0o644),
    )
    .unwrap();
    cli(dir.path())
        .env("CODECRUCIBLE_LOG", "debug")
        .args(["-p", "a private question"])
        .assert()
        .success();
    let s = store(dir.path()); // keeps the -wal and -shm files open to look at
    for f in ["history.db", "history.db-wal", "history.db-shm"] {
        assert_eq!(mode(&data.join(f)), 0o600, "{f}");
    }
    drop(s);
    let logs: Vec<_> = std::fs::read_dir(&data)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().ends_with(".log"))
        .collect();
    assert!(!logs.is_empty(), "CODECRUCIBLE_LOG=debug writes a log");
    for l in &logs {
        assert_eq!(mode(&l.path()), 0o600, "{:?}", l.path());
    }
    // A data directory CodeCrucible creates is 0700.
    let fresh = tempfile::tempdir().unwrap();
    write_config(fresh.path(), &lm.url(), &refused_url(), "");
    cli(fresh.path()).args(["-p", "another"]).assert().success();
    assert_eq!(mode(&fresh.path().join("data")), 0o700);
}

/// A damaged history file is named, with what to do (it is not retried: only a busy file
/// is), and a headless run still answers without it.
#[test]
fn a_damaged_history_database_is_named_with_what_to_do() {
    let lm = fake_lmstudio("m", &["still answers"]);
    let dir = tempfile::tempdir().unwrap();
    write_config(dir.path(), &lm.url(), &refused_url(), "");
    let db = dir.path().join("data/history.db");
    std::fs::create_dir_all(db.parent().unwrap()).unwrap();
    std::fs::write(&db, vec![0x42u8; 8192]).unwrap();
    cli(dir.path())
        .args(["sessions", "list"])
        .assert()
        .failure()
        .stderr(contains(db.display().to_string()).and(contains("move it away")));
    cli(dir.path())
        .args(["-p", "hello"])
        .assert()
        .success()
        .stdout(contains("still answers"))
        .stderr(contains("move it away"));
    assert_eq!(
        std::fs::read(&db).unwrap(),
        vec![0x42u8; 8192],
        "left as it was"
    );
}
