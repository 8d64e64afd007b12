//! The audit trail through the real binary: every operation that changes something is in
//! it (a command run, unconfined runs, files written, an undo, config changes with secrets
//! redacted, a learning reset), and `--verify` finds a row edited behind its back.

use crate::support;

use predicates::str::contains;
use support::protocol::*;

fn entries(d: &std::path::Path, args: &[&str]) -> Vec<serde_json::Value> {
    let out = support::cli(d)
        .args(["audit", "--json"])
        .args(args)
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    String::from_utf8_lossy(&out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn every_operation_is_in_the_trail_and_an_edited_row_breaks_the_chain() {
    let d = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(d.path().join("app")).unwrap();
    std::fs::create_dir(d.path().join(".git")).unwrap();
    std::fs::write(
        d.path().join("app/calc.py"),
        "def add(a, b):\n    return a - b\n",
    )
    .unwrap();
    let answer = "app/calc.py\n```python\n<<<<<<< SEARCH\n    return a - b\n=======\n    return a + b\n>>>>>>> REPLACE\n```\n";
    let lm = fake_lmstudio("m", &[answer]);
    write_config(d.path(), &lm.url(), &refused_url(), "");
    let cc = |args: &[&str]| support::cli(d.path()).args(args).assert();

    cc(&["run", "--", "sh", "-c", "exit 2"]).code(2);
    cc(&["run", "--no-sandbox", "--", "true"]).success();
    cc(&["--fast", "--apply", "-p", "fix add in @app/calc.py"]).success();
    cc(&["undo"]).success();
    cc(&[
        "config",
        "set",
        "hybrid.lm_studio.api_key",
        "sk-very-secret",
    ])
    .success();
    cc(&["config", "set", "hybrid.routing.escalationThreshold", "0.8"]).success();
    cc(&["config", "reset", "hybrid.routing.learning_data"]).success();

    let all = entries(d.path(), &[]);
    let kinds: Vec<&str> = all.iter().map(|e| e["kind"].as_str().unwrap()).collect();
    assert_eq!(
        kinds,
        [
            "command",
            "command",
            "no_sandbox",
            "file",
            "file",
            "undo",
            "config",
            "config",
            "learning_reset"
        ],
        "{all:#?}"
    );
    assert_eq!(all[0]["detail"]["argv"][2], "exit 2");
    assert_eq!(all[0]["detail"]["sandbox"], "bwrap");
    assert_eq!(all[0]["detail"]["exit_code"], 2);
    assert_eq!(all[1]["detail"]["sandbox"], "off");
    let applied = &all[3]["detail"];
    assert_eq!(applied["path"], "app/calc.py");
    assert_eq!(applied["by"], "apply");
    assert_eq!(applied["change"], "modified");
    assert_ne!(applied["before_sha256"], applied["after_sha256"]);
    assert_eq!(all[4]["detail"]["by"], "undo");
    assert_eq!(
        all[4]["detail"]["after_sha256"], applied["before_sha256"],
        "undo wrote back the content from before"
    );
    assert!(all[3]["session"].is_i64(), "the edit's session is kept");
    let secret = &all[6]["detail"];
    assert_eq!(secret["key"], "hybrid.lm_studio.api_key");
    assert!(!all.iter().any(|e| e.to_string().contains("sk-very-secret")));
    assert_eq!(all[7]["detail"]["old"], "0.7");
    assert_eq!(all[7]["detail"]["new"], "0.8");
    // Only one session's operations.
    let session = all[3]["session"].as_i64().unwrap().to_string();
    let mine = entries(d.path(), &["--session", &session]);
    assert!(mine
        .iter()
        .all(|e| e["session"].as_i64() == all[3]["session"].as_i64()));
    assert!(mine.iter().any(|e| e["kind"] == "file"));

    cc(&["audit", "--verify"])
        .success()
        .stdout(contains("the audit trail is intact: 9 entries"));
    // An edit around the append-only triggers breaks the chain where it was made.
    let db = rusqlite::Connection::open(d.path().join("data/history.db")).unwrap();
    db.execute_batch(
        "DROP TRIGGER audit_no_update;
         UPDATE audit SET detail = replace(detail, 'exit 2', 'exit 0') WHERE id = 1;",
    )
    .unwrap();
    drop(db);
    cc(&["audit", "--verify"])
        .code(1)
        .stderr(contains("the audit trail is broken at entry 1"));
}
