//! Test-checked escalation through the real binary: a fast edit that fails a real test (a
//! Python project this test builds, run by unittest in the sandbox) is sent back once with
//! the output, then escalated; the quality edit passes and is offered; the user's tree is
//! untouched until applied; and learning records the fast server's failure.

use crate::support;

use support::of;
use support::protocol::*;

const ORIGINAL: &str = "def add(a, b):\n    return a - b\n";
const TEST: &str = "import unittest\nfrom calc import add\n\n\nclass T(unittest.TestCase):\n    def test_add(self):\n        self.assertEqual(add(2, 3), 5)\n";
const WRONG: &str = "calc.py\n```python\ndef add(a, b):\n    return a * b\n```\n";
const RIGHT: &str = "calc.py\n```python\ndef add(a, b):\n    return a + b\n```\n";

fn project(
    fast: &str,
    quality: &str,
) -> (tempfile::TempDir, support::FakeServer, support::FakeServer) {
    project_with(fast, quality, "auto")
}

fn project_with(
    fast: &str,
    quality: &str,
    approval: &str,
) -> (tempfile::TempDir, support::FakeServer, support::FakeServer) {
    let d = tempfile::tempdir().unwrap();
    std::fs::create_dir(d.path().join(".git")).unwrap();
    std::fs::write(d.path().join("calc.py"), ORIGINAL).unwrap();
    std::fs::write(d.path().join("test_calc.py"), TEST).unwrap();
    let lm = fake_lmstudio("m", &[fast]);
    let ol = fake_ollama(&["q"], &[quality]);
    let extra = format!(
        "[hybrid.routing]\ncheck_with_tests = true\n[workspace]\ntest_command = \"python3 -m unittest -q\"\n[sandbox]\napproval = \"{approval}\"\n"
    );
    write_config(d.path(), &lm.url(), &ol.url(), &extra);
    (d, lm, ol)
}

fn run(d: &tempfile::TempDir, apply: &str) -> Vec<serde_json::Value> {
    support::json_events(
        d.path(),
        &["--backend", "hybrid", apply, "-p", "fix add in @calc.py"],
    )
}

#[test]
fn a_fast_edit_that_fails_its_tests_is_retried_then_escalated_and_the_passing_edit_offered() {
    let (d, lm, ol) = project(WRONG, RIGHT);
    let ev = run(&d, "--edit");
    let results: Vec<(u64, Option<bool>)> = of(&ev, "test_result")
        .iter()
        .map(|r| (r["attempt"].as_u64().unwrap(), r["passed"].as_bool()))
        .collect();
    assert_eq!(
        results,
        [(1, Some(false)), (2, Some(false)), (3, Some(true))],
        "{ev:#?}"
    );
    let failed = of(&ev, "test_result")[0]["output"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(failed.contains("AssertionError: 6 != 5"), "{failed}");
    // The retry and the escalation carried the failing output.
    let lm_bodies: Vec<String> = lm
        .requests_to("/v1/chat/completions")
        .iter()
        .map(|r| r.json().to_string())
        .collect();
    assert_eq!(lm_bodies.len(), 2, "the draft and one retry");
    assert!(lm_bodies[1].contains("the tests fail") && lm_bodies[1].contains("6 != 5"));
    let ol_bodies: Vec<String> = ol
        .requests_to("/api/chat")
        .iter()
        .map(|r| r.json().to_string())
        .collect();
    assert_eq!(ol_bodies.len(), 1);
    assert!(ol_bodies[0].contains("the edit fails the tests") && ol_bodies[0].contains("6 != 5"));
    let escalate = of(&ev, "escalate");
    assert_eq!(escalate.len(), 1);
    assert_eq!(escalate[0]["signals"]["tests"]["score"], 0.0);
    assert!(ev.iter().any(|e| e["type"] == "status"
        && e["message"]
            .as_str()
            .unwrap_or("")
            .starts_with("tests pass (")));
    let edits = of(&ev, "edit");
    assert_eq!(edits.len(), 1);
    assert_eq!(edits[0]["status"], "proposed");
    assert!(edits[0]["diff"]
        .as_str()
        .unwrap()
        .contains("+    return a + b"));
    assert_eq!(
        std::fs::read_to_string(d.path().join("calc.py")).unwrap(),
        ORIGINAL,
        "the user's tree is untouched: the tests ran on a scratch copy"
    );
    assert!(
        !d.path().join("__pycache__").exists(),
        "not even a cache file"
    );

    // Learning recorded the fast server's failure (and the quality server's success).
    let store = codecrucible::store::Store::open(&d.path().join("data/history.db")).unwrap();
    // Each test run is a command run on the user's behalf, in the audit trail.
    let runs: Vec<_> = store
        .audit_entries(None, None, 100)
        .unwrap()
        .into_iter()
        .filter(|e| e.kind == "command")
        .collect();
    assert_eq!(runs.len(), 3, "{runs:?}");
    assert!(runs.iter().all(|e| e.session.is_some()
        && e.detail["for"] == "checking an edit"
        && e.detail["sandbox"] == "bwrap"));
    assert_eq!(runs[0].detail["exit_code"], 1);
    assert_eq!(runs[2].detail["exit_code"], 0);
    let classes = store.learning().unwrap();
    assert!(
        classes
            .iter()
            .any(|(_, _, s)| s.fast.failures > 0.0 && s.quality.successes > 0.0),
        "{classes:?}"
    );
}

#[test]
fn a_fast_edit_that_passes_is_offered_with_its_time_and_applied() {
    let (d, _lm, ol) = project(RIGHT, "unused");
    let ev = run(&d, "--apply");
    assert_eq!(of(&ev, "test_result").len(), 1);
    assert_eq!(of(&ev, "test_result")[0]["passed"], true);
    assert!(of(&ev, "escalate").is_empty());
    assert!(ol.requests_to("/api/chat").is_empty());
    assert_eq!(of(&ev, "edit")[0]["status"], "applied");
    assert!(std::fs::read_to_string(d.path().join("calc.py"))
        .unwrap()
        .contains("a + b"));
}

/// With the real llama-server as the fast server, on the Python project above: whatever
/// SmolLM2 writes, the tests decide. A draft that passes is offered with "tests pass"; one
/// that fails (or proposes nothing testable) ends with the fake quality server's edit, which
/// passes. Either way the user's file is untouched (`--edit`) and some test ran.
#[test]
fn with_the_real_fast_server_the_tests_decide() {
    let Some(url) = support::e2e::real_server("fast") else {
        return;
    };
    let (d, _lm, ol) = project("unused", RIGHT);
    let out = support::cli(d.path())
        .args([
            "--lmstudio-url",
            &url,
            "--backend",
            "hybrid",
            "--edit",
            "--json",
        ])
        .args([
            "--max-tokens",
            "200",
            "-p",
            "In calc.py, fix add so that it returns the sum of a and b.",
        ])
        .timeout(std::time::Duration::from_secs(600))
        .assert()
        .get_output()
        .stdout
        .clone();
    let ev = support::events_of(&out);
    assert!(
        ev.iter().any(|e| e["type"] == "done"),
        "the request finished: {ev:#?}"
    );
    let results = of(&ev, "test_result");
    let escalated = !of(&ev, "escalate").is_empty();
    let edits = of(&ev, "edit");
    if escalated {
        // The fast edits failed their tests (or did not apply): the quality edit is offered.
        assert_eq!(ol.requests_to("/api/chat").len(), 1);
        assert!(
            edits.iter().any(|e| e["status"] == "proposed"
                && e["diff"]
                    .as_str()
                    .unwrap_or("")
                    .contains("+    return a + b")),
            "{ev:#?}"
        );
    } else if !results.is_empty() {
        // A draft that passed its tests, as the test result says.
        assert_eq!(results.last().unwrap()["passed"], true, "{ev:#?}");
    }
    // Whichever way: nothing is "passed" without a passing run.
    for s in ev.iter().filter(|e| e["type"] == "status") {
        if s["message"]
            .as_str()
            .unwrap_or("")
            .starts_with("tests pass")
        {
            assert!(results.iter().any(|r| r["passed"] == true), "{ev:#?}");
        }
    }
    assert_eq!(
        std::fs::read_to_string(d.path().join("calc.py")).unwrap(),
        ORIGINAL
    );
}

#[test]
fn with_approval_ask_and_no_terminal_to_ask_on_nothing_runs_and_the_edit_is_not_checked() {
    let (d, _lm, ol) = project_with(WRONG, RIGHT, "ask");
    let out = support::cli(d.path())
        .args(["--backend", "hybrid", "--edit", "-p", "fix add in @calc.py"])
        .assert()
        .success()
        .stderr(predicates::str::contains(
            "[not running `sh -c python3 -m unittest -q` to check the edit",
        ))
        .stderr(predicates::str::contains("sandbox.approval auto"))
        .stderr(predicates::str::contains(
            "not checked: you chose not to run the tests",
        ))
        .get_output()
        .stdout
        .clone();
    assert!(
        String::from_utf8_lossy(&out).contains("+    return a * b"),
        "the draft is offered, unchecked"
    );
    assert!(
        ol.requests_to("/api/chat").is_empty(),
        "no test failed, so no escalation"
    );
    let ev = run(&d, "--edit");
    assert!(
        of(&ev, "approval").len() == 1 && of(&ev, "test_run").is_empty(),
        "{ev:#?}"
    );
}

/// A project with no tests at all: the edit is checked by the answer's demonstration.
fn untested_project(
    fast: &str,
    quality: &str,
) -> (tempfile::TempDir, support::FakeServer, support::FakeServer) {
    let d = tempfile::tempdir().unwrap();
    std::fs::create_dir(d.path().join(".git")).unwrap();
    std::fs::write(d.path().join("calc.py"), ORIGINAL).unwrap();
    let lm = fake_lmstudio("m", &[fast]);
    let ol = fake_ollama(&["q"], &[quality]);
    let extra = "[hybrid.routing]\ncheck_with_tests = true\n[sandbox]\napproval = \"auto\"\n";
    write_config(d.path(), &lm.url(), &ol.url(), extra);
    (d, lm, ol)
}

const DEMO: &str = "\nTo check it:\n\n```python demo\nfrom calc import add\nassert add(2, 3) == 5, add(2, 3)\nprint('demo ok')\n```\n";

#[test]
fn without_tests_the_answers_demonstration_checks_the_edit_and_a_failing_one_escalates() {
    let (d, lm, ol) = untested_project(&format!("{WRONG}{DEMO}"), &format!("{RIGHT}{DEMO}"));
    let ev = run(&d, "--edit");
    // The prompt asked for a demonstration, since the workspace has no tests.
    let first = lm.requests_to("/v1/chat/completions")[0].json().to_string();
    assert!(first.contains("block marked demo"), "{first}");
    let runs: Vec<(Option<bool>, String)> = of(&ev, "test_run")
        .iter()
        .zip(of(&ev, "test_result"))
        .map(|(r, res)| {
            (
                res["passed"].as_bool(),
                r["argv"][0].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        runs,
        [
            (Some(false), "python3".to_owned()),
            (Some(false), "python3".to_owned()),
            (Some(true), "python3".to_owned())
        ],
        "{ev:#?}"
    );
    let failed = of(&ev, "test_result")[0]["output"].as_str().unwrap();
    assert!(failed.contains("AssertionError: 6"), "{failed}");
    let retry = lm.requests_to("/v1/chat/completions")[1].json().to_string();
    assert!(retry.contains("your demonstration fails"), "{retry}");
    let escalated = ol.requests_to("/api/chat")[0].json().to_string();
    assert!(
        escalated.contains("the edit fails the demonstration"),
        "{escalated}"
    );
    assert_eq!(of(&ev, "escalate")[0]["signals"]["tests"]["score"], 0.0);
    let said: Vec<&str> = of(&ev, "status")
        .iter()
        .filter_map(|e| e["message"].as_str())
        .collect();
    assert!(
        said.iter()
            .any(|m| m.starts_with("the demonstration runs (") && m.contains("no tests")),
        "never \"tests pass\" without tests: {said:?}"
    );
    assert!(
        !said.iter().any(|m| m.starts_with("tests pass")),
        "{said:?}"
    );
    assert_eq!(
        std::fs::read_to_string(d.path().join("calc.py")).unwrap(),
        ORIGINAL,
        "the demonstration ran on a scratch copy"
    );
    let store = codecrucible::store::Store::open(&d.path().join("data/history.db")).unwrap();
    let audited = store.audit_entries(None, None, 100).unwrap();
    assert!(audited.iter().any(|e| e.kind == "command"
        && e.detail["for"] == "checking an edit with the answer's demonstration"));
}

#[test]
fn without_tests_or_a_demonstration_the_edit_is_not_checked_never_passed() {
    let (d, _lm, ol) = untested_project(RIGHT, "unused");
    let ev = run(&d, "--edit");
    assert!(of(&ev, "test_run").is_empty(), "nothing ran");
    assert!(ol.requests_to("/api/chat").is_empty());
    let said: Vec<&str> = of(&ev, "status")
        .iter()
        .filter_map(|e| e["message"].as_str())
        .collect();
    assert!(
        said.iter()
            .any(|m| m.starts_with("not checked: no test command is known")
                && m.contains("no demonstration")),
        "{said:?}"
    );
    assert_eq!(of(&ev, "edit")[0]["status"], "proposed");
}
