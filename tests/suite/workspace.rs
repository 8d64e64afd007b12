//! The workspace through the real binary, in a fixture repository the test builds: files
//! attached with `@`, ranges, folders, `--file` and by naming them; `.gitignore` honoured;
//! secrets refused; the session keeping its files; the budget; as the fake server's log
//! shows what was sent.

use crate::support;

use predicates::prelude::*;
use predicates::str::contains;
use support::protocol::*;

/// A small git repository with source, an ignored folder, a secret and a large file.
fn fixture() -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    let lines: String = (1..=120).map(|i| format!("    step({i});\n")).collect();
    let files = [
        (".gitignore", "target/\n*.log\n".to_owned()),
        (
            "src/pool.rs",
            format!("pub struct Pool;\nfn run() {{\n{lines}}}\n"),
        ),
        ("src/store/mod.rs", "pub mod db;\n".into()),
        ("src/store/db.rs", "pub fn open() {}\n".into()),
        ("src/store/debug.log", "noise\n".into()),
        ("target/out.rs", "generated\n".into()),
        (".env", "API_TOKEN=do-not-send\n".into()),
        ("data/big.txt", "word ".repeat(40_000)),
    ];
    for (f, text) in files {
        let p = d.path().join(f);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
    std::fs::create_dir(d.path().join(".git")).unwrap();
    d
}

fn setup() -> (tempfile::TempDir, support::FakeServer) {
    let d = fixture();
    let lm = fake_lmstudio("m", &["ok"]);
    write_config(d.path(), &lm.url(), &refused_url(), "");
    (d, lm)
}

/// The user message of the last chat request the server received.
/// Everything the last chat request sent: the workspace context goes after the system
/// prompt, the user's message last.
fn sent(lm: &support::FakeServer) -> String {
    let req = lm.requests_to("/v1/chat/completions");
    let body = req.last().expect("a chat request").json();
    let msgs = body["messages"].as_array().unwrap();
    msgs.iter()
        .filter_map(|m| m["content"].as_str())
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn at_mentions_attach_files_ranges_and_folders_with_line_numbers() {
    let (d, lm) = setup();
    support::cli(d.path())
        .args(["--fast", "-p", "explain @src/pool.rs:3-5 and @src/store/"])
        .assert()
        .success()
        .stderr(contains("[context: 3 files"));
    let text = sent(&lm);
    assert!(text.contains("src/pool.rs (lines 3-5 of 123)"), "{text}");
    assert!(
        text.contains("3 |     step(1);\n4 |     step(2);\n5 |     step(3);\n"),
        "{text}"
    );
    assert!(!text.contains("step(4)"), "only the range: {text}");
    assert!(text.contains("src/store/db.rs (1 line)") && text.contains("src/store/mod.rs"));
    assert!(
        !text.contains("debug.log"),
        "ignored files stay out of a folder: {text}"
    );
    assert!(
        text.ends_with("explain @src/pool.rs:3-5 and @src/store/"),
        "{text}"
    );
}

#[test]
fn a_file_named_in_the_prompt_is_attached_and_said_so_from_a_subfolder() {
    let (d, lm) = setup();
    support::cli(d.path())
        .current_dir(d.path().join("src/store"))
        .args(["--fast", "-p", "find the race in src/pool.rs"])
        .assert()
        .success()
        .stderr(contains("[attached src/pool.rs: named in the prompt]"));
    assert!(sent(&lm).contains("pub struct Pool;"));
}

#[test]
fn secrets_are_refused_unless_allowed_and_never_attached_by_name() {
    let (d, lm) = setup();
    support::cli(d.path())
        .args(["--fast", "-p", "what is in @.env"])
        .assert()
        .code(2)
        .stderr(contains(".env looks like it holds secrets").and(contains("--allow-secrets")));
    assert!(
        lm.requests_to("/v1/chat/completions").is_empty(),
        "nothing was sent"
    );
    support::cli(d.path())
        .args(["--fast", "-p", "is .env committed?"])
        .assert()
        .success();
    assert!(
        !sent(&lm).contains("do-not-send"),
        "named in passing, not attached"
    );
    support::cli(d.path())
        .args(["--fast", "--allow-secrets", "-p", "what is in @.env"])
        .assert()
        .success();
    assert!(sent(&lm).contains("do-not-send"));
}

#[test]
fn missing_and_outside_files_are_one_clear_error() {
    let (d, _lm) = setup();
    support::cli(d.path())
        .args(["--fast", "--file", "src/nope.rs", "-p", "hi"])
        .assert()
        .code(2)
        .stderr(contains("there is no src/nope.rs in the workspace"));
    support::cli(d.path())
        .args(["--fast", "-p", "read @../../etc/passwd"])
        .assert()
        .code(2)
        .stderr(contains("outside the workspace"));
}

#[test]
fn the_session_keeps_its_files_and_marks_a_changed_one() {
    let (d, lm) = setup();
    support::cli(d.path())
        .args(["--fast", "--file", "src/store/db.rs", "-p", "look at this"])
        .assert()
        .success();
    std::fs::write(
        d.path().join("src/store/db.rs"),
        "pub fn open() { todo!() }\n",
    )
    .unwrap();
    support::cli(d.path())
        .args(["--fast", "--continue", "-p", "and now?"])
        .assert()
        .success()
        .stderr(contains("src/store/db.rs changed since it was attached"));
    let text = sent(&lm);
    assert!(
        text.contains("src/store/db.rs (1 line, changed since it was attached)"),
        "{text}"
    );
    assert!(text.contains("todo!()"), "re-read: {text}");
    // Earlier turns carry the typed text, not old copies of the file.
    let body = lm
        .requests_to("/v1/chat/completions")
        .last()
        .unwrap()
        .json();
    let first_turn = body["messages"][1]["content"].as_str().unwrap().to_owned();
    assert_eq!(first_turn, "look at this");
    support::cli(d.path())
        .args([
            "--fast",
            "--continue",
            "--drop",
            "src/store/",
            "-p",
            "forget it",
        ])
        .assert()
        .success();
    assert!(
        !sent(&lm).contains("src/store/db.rs"),
        "dropped from the session"
    );
}

#[test]
fn a_file_larger_than_the_window_is_left_out_and_the_context_event_says_why() {
    let (d, lm) = setup();
    let out = support::cli(d.path())
        .args([
            "--fast",
            "--json",
            "--file",
            "data/big.txt",
            "--file",
            "src/store/db.rs",
            "-p",
            "summarise",
        ])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let ctx = String::from_utf8_lossy(&out)
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .find(|e| e["type"] == "context")
        .expect("a context event");
    let items = ctx["items"].as_array().unwrap();
    assert_eq!(items[0]["path"], "data/big.txt");
    assert_eq!(items[0]["included"], false);
    assert!(
        items[0]["dropped"].as_str().unwrap().contains("tokens"),
        "{ctx}"
    );
    assert_eq!(
        items[1]["included"], true,
        "a smaller file still fits: {ctx}"
    );
    assert!(ctx["used"].as_u64().unwrap() <= ctx["budget"].as_u64().unwrap());
    let text = sent(&lm);
    assert!(!text.contains("word word") && text.contains("pub fn open"));
}

#[test]
fn a_security_review_of_the_codebase_sends_the_map_and_the_relevant_files() {
    let d = tempfile::tempdir().unwrap();
    let files = [
        ("src/auth.rs", "pub fn check_password(user: &str, given: &str) -> bool {\n    crate::db::query(&format!(\"SELECT pw FROM users WHERE name = '{user}'\")) == given\n}\n"),
        ("src/db.rs", "pub fn query(sql: &str) -> String {\n    sql.to_owned()\n}\n"),
        ("src/main.rs", "mod auth;\nmod db;\nfn main() {\n    auth::check_password(\"a\", \"b\");\n}\n"),
        ("scripts/gen.py", "def generate():\n    return 1\n"),
    ];
    for (f, text) in files {
        let p = d.path().join(f);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
    std::fs::create_dir(d.path().join(".git")).unwrap();
    let ol = fake_ollama(
        &["qwen2.5-coder:7b"],
        &["The query in src/auth.rs is injectable."],
    );
    write_config(d.path(), &refused_url(), &ol.url(), "");
    support::cli(d.path())
        .args([
            "--analyze",
            "-p",
            "review this codebase for security vulnerabilities",
        ])
        .assert()
        .success()
        .stderr(contains("[repository map: "));
    let req = ol.requests_to("/api/chat");
    let body = req.last().expect("a chat request").json();
    let msgs = body["messages"].as_array().unwrap();
    // The map goes after the system prompt, before the conversation.
    let text = msgs[0]["content"].as_str().unwrap();
    assert!(text.contains("Repository map"), "{text}");
    for f in ["src/auth.rs", "src/db.rs", "src/main.rs"] {
        assert!(text.contains(f), "{f} is in the map: {text}");
    }
    assert!(
        text.contains("check_password"),
        "with its definitions: {text}"
    );
    let asked = msgs.last().unwrap()["content"].as_str().unwrap();
    assert_eq!(asked, "review this codebase for security vulnerabilities");
}

#[test]
fn a_map_larger_than_its_share_of_the_window_is_cut_to_its_head_not_dropped() {
    let d = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(d.path().join("src")).unwrap();
    std::fs::create_dir(d.path().join(".git")).unwrap();
    // 80 modules of four functions each: a map of several thousand tokens.
    for i in 0..80 {
        let body: String = (0..4)
            .map(|k| format!("pub fn handle_request_kind_{i}_{k}(input: &str, limit: usize) -> Option<String> {{ None }}\n"))
            .collect();
        std::fs::write(d.path().join(format!("src/module_{i:02}.rs")), body).unwrap();
    }
    // Ollama reports the model loaded with a 4,096-token window: the map may take 1,024.
    let ol = fake_ollama(&["qwen2.5-coder:7b"], &["ok"]);
    write_config(d.path(), &refused_url(), &ol.url(), "");
    let out = support::cli(d.path())
        .args([
            "--analyze",
            "--json",
            "-p",
            "how are requests handled across the modules?",
        ])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let ctx = String::from_utf8_lossy(&out)
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .find(|e| e["type"] == "context")
        .expect("a context event");
    assert_eq!(ctx["window"], 4096, "{ctx}");
    let map = ctx["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["source"] == "map")
        .expect("a map item");
    assert_eq!(map["included"], true, "{ctx}");
    let tokens = map["tokens"].as_u64().unwrap();
    assert!(
        tokens <= 1024 && tokens > 512,
        "most of its share, no more: {ctx}"
    );
    let (shown, left) = (
        map["map"][0].as_u64().unwrap(),
        map["map"][1].as_u64().unwrap(),
    );
    assert!(shown >= 5 && left > 0 && shown + left == 80, "{ctx}");
    let req = ol.requests_to("/api/chat");
    let body = req.last().expect("a chat request").json();
    let msgs = body["messages"].as_array().unwrap();
    let text = msgs[0]["content"].as_str().unwrap();
    assert_eq!(text.matches("src/module_").count() as u64, shown, "{text}");
}

/// A fixture with one file to fix, and a fake LM Studio whose answer is `answer`.
fn edit_setup(answer: &str) -> (tempfile::TempDir, support::FakeServer) {
    let d = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(d.path().join("app")).unwrap();
    std::fs::create_dir(d.path().join(".git")).unwrap();
    std::fs::write(
        d.path().join("app/calc.py"),
        "def add(a, b):\n    return a - b\n",
    )
    .unwrap();
    let lm = fake_lmstudio("m", &[answer]);
    write_config(d.path(), &lm.url(), &refused_url(), "");
    (d, lm)
}

#[test]
fn edit_prints_the_proposed_change_as_a_diff_and_writes_nothing() {
    let answer = "The sign is wrong.\n\napp/calc.py\n```python\n<<<<<<< SEARCH\n    return a - b\n=======\n    return a + b\n>>>>>>> REPLACE\n```\n";
    let (d, lm) = edit_setup(answer);
    let out = support::cli(d.path())
        .args(["--fast", "--edit", "-p", "fix add in @app/calc.py"])
        .assert()
        .success()
        .stderr(contains("The sign is wrong."))
        .stderr(contains("[proposed 1 hunk in 1 file; nothing was written]"))
        .get_output()
        .stdout
        .clone();
    let diff = String::from_utf8(out).unwrap();
    assert!(
        diff.starts_with("--- a/app/calc.py\n+++ b/app/calc.py\n@@"),
        "stdout is only the diff: {diff}"
    );
    assert!(
        diff.contains("-    return a - b\n+    return a + b\n"),
        "{diff}"
    );
    assert_eq!(
        std::fs::read_to_string(d.path().join("app/calc.py")).unwrap(),
        "def add(a, b):\n    return a - b\n",
        "nothing written"
    );
    // The model was told the format.
    let req = lm.requests_to("/v1/chat/completions");
    let body = req.last().expect("a chat request").json();
    let system = body["messages"][0]["content"].as_str().unwrap();
    assert!(
        system.contains("<<<<<<< SEARCH") && system.contains("whole new content"),
        "{system}"
    );
}

#[test]
fn edit_says_why_a_change_cannot_be_made_and_fails_when_none_can() {
    let answer = "app/calc.py\n```python\n<<<<<<< SEARCH\n    return a * b\n=======\n    return a + b\n>>>>>>> REPLACE\n```\n\n.git/config\n```\n[core]\n```\n";
    let (d, _lm) = edit_setup(answer);
    support::cli(d.path())
        .args(["--fast", "--edit", "-p", "fix add"])
        .assert()
        .code(1)
        .stdout(predicate::str::is_empty())
        .stderr(contains(
            "[no change to app/calc.py: the SEARCH text is not in the file",
        ))
        .stderr(contains("[no change to .git/config: "))
        .stderr(contains("[the answer proposes no change that can be made]"));
    let out = support::cli(d.path())
        .args(["--fast", "--edit", "--json", "--no-cache", "-p", "fix add"])
        .assert()
        .code(1)
        .get_output()
        .stdout
        .clone();
    let edits: Vec<serde_json::Value> = String::from_utf8_lossy(&out)
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .filter(|e| e["type"] == "edit")
        .collect();
    assert_eq!(edits.len(), 2, "{edits:?}");
    assert_eq!(edits[0]["path"], "app/calc.py");
    assert_eq!(edits[0]["status"], "failed");
    assert!(edits[0]["why"]
        .as_str()
        .unwrap()
        .contains("not in the file"));
}

#[test]
fn apply_writes_the_change_keeping_crlf_and_prints_what_changed() {
    let answer = "app/calc.py\n```python\n<<<<<<< SEARCH\n    return a - b\n=======\n    return a + b\n>>>>>>> REPLACE\n```\n";
    let (d, _lm) = edit_setup(answer);
    std::fs::write(
        d.path().join("app/calc.py"),
        "def add(a, b):\r\n    return a - b\r\n",
    )
    .unwrap();
    support::cli(d.path())
        .args(["--fast", "--apply", "-p", "fix add in @app/calc.py"])
        .assert()
        .success()
        .stdout(contains("+    return a + b"))
        .stderr(contains("[applied 1 hunk in 1 file]"));
    assert_eq!(
        std::fs::read_to_string(d.path().join("app/calc.py")).unwrap(),
        "def add(a, b):\r\n    return a + b\r\n",
        "written, CRLF kept"
    );
    // The set is journaled, with the bytes before and after, for undo.
    let store = codecrucible::store::Store::open(&d.path().join("data/history.db")).unwrap();
    let root = std::fs::canonicalize(d.path()).unwrap();
    let set = store
        .undo_candidate(&root.display().to_string(), None)
        .unwrap()
        .expect("a journaled change set");
    assert_eq!(set.files.len(), 1);
    assert_eq!(set.files[0].path, "app/calc.py");
    assert_eq!(
        set.files[0].before.as_deref(),
        Some(&b"def add(a, b):\r\n    return a - b\r\n"[..])
    );
    drop(store);
    // Asked again, the SEARCH text is gone: nothing more is written, and it says why.
    support::cli(d.path())
        .args(["--fast", "--apply", "--no-cache", "-p", "fix add"])
        .assert()
        .code(1)
        .stderr(contains(
            "[no change to app/calc.py: the SEARCH text is not in the file",
        ));
}

fn read(d: &tempfile::TempDir, path: &str) -> Option<String> {
    std::fs::read_to_string(d.path().join(path)).ok()
}

#[test]
fn undo_and_redo_work_across_restarts_and_undo_refuses_after_an_outside_change() {
    const BEFORE: &str = "def add(a, b):\n    return a - b\n";
    const AFTER: &str = "def add(a, b):\n    return a + b\n";
    let answer = "app/calc.py\n```python\n<<<<<<< SEARCH\n    return a - b\n=======\n    return a + b\n>>>>>>> REPLACE\n```\n\napp/util.py\n```python\ndef twice(x):\n    return 2 * x\n```\n";
    let (d, _lm) = edit_setup(answer);
    support::cli(d.path())
        .args(["--fast", "--apply", "-p", "fix add, add twice"])
        .assert()
        .success()
        .stderr(contains("[applied 2 hunks in 2 files]"));
    assert_eq!(read(&d, "app/calc.py").as_deref(), Some(AFTER));
    assert!(read(&d, "app/util.py").is_some());

    // Each command is a new process: the journal in the history database is all it has.
    support::cli(d.path())
        .arg("undo")
        .assert()
        .success()
        .stdout(contains("undid change set"))
        .stdout(contains("modified app/calc.py"))
        .stdout(contains("deleted  app/util.py"));
    assert_eq!(read(&d, "app/calc.py").as_deref(), Some(BEFORE));
    assert_eq!(read(&d, "app/util.py"), None, "the new file is gone again");
    support::cli(d.path())
        .arg("undo")
        .assert()
        .code(1)
        .stderr(contains("there is nothing to undo in"));

    support::cli(d.path())
        .arg("redo")
        .assert()
        .success()
        .stdout(contains("redid change set"))
        .stdout(contains("created  app/util.py"));
    assert_eq!(read(&d, "app/calc.py").as_deref(), Some(AFTER));
    assert_eq!(
        read(&d, "app/util.py").as_deref(),
        Some("def twice(x):\n    return 2 * x\n")
    );

    // Changed outside since: undo refuses and writes nothing, unless forced.
    std::fs::write(d.path().join("app/calc.py"), "# mine\n").unwrap();
    support::cli(d.path())
        .arg("undo")
        .assert()
        .code(1)
        .stderr(contains(
            "app/calc.py changed since the edit was applied; nothing was undone",
        ))
        .stderr(contains("--force"));
    assert_eq!(read(&d, "app/calc.py").as_deref(), Some("# mine\n"));
    assert!(read(&d, "app/util.py").is_some(), "all or nothing");
    support::cli(d.path())
        .args(["undo", "--force"])
        .assert()
        .success()
        .stderr(contains(
            "app/calc.py had changed since; --force overwrote it",
        ));
    assert_eq!(read(&d, "app/calc.py").as_deref(), Some(BEFORE));
    assert_eq!(read(&d, "app/util.py"), None);

    let out = support::cli(d.path())
        .args(["undo", "--list", "--json"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let sets: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(sets[0]["state"], "undone");
    assert_eq!(sets[0]["files"], 2);
}

#[test]
fn undo_outside_a_workspace_or_by_session_says_what_it_finds() {
    let answer = "app/calc.py\n```python\n<<<<<<< SEARCH\n    return a - b\n=======\n    return a + b\n>>>>>>> REPLACE\n```\n";
    let (d, _lm) = edit_setup(answer);
    support::cli(d.path())
        .args(["--fast", "--apply", "-p", "fix add"])
        .assert()
        .success();
    // Another session made no change here.
    support::cli(d.path())
        .args(["undo", "--session", "999"])
        .assert()
        .code(1)
        .stderr(contains("there is nothing to undo in"))
        .stderr(contains("for session 999"));
    support::cli(d.path())
        .args(["undo", "-C", "/nonexistent/dir"])
        .assert()
        .code(1)
        .stderr(contains("/nonexistent/dir is not a workspace"));
    assert!(read(&d, "app/calc.py").unwrap().contains("a + b"));
}
