//! `codecrucible run` and the sandbox's escape tests: each asks the sandboxed command to do
//! something it must not, and asserts both the denial and that nothing happened outside.
//! bubblewrap is required: scripts/test.sh installs it, and these tests fail without it.

use crate::support;

use std::time::{Duration, Instant};

use predicates::prelude::*;
use predicates::str::contains;
use support::protocol::*;

/// A workspace (a git repository with one file) and a config with `sandbox` settings.
fn workspace(sandbox: &str) -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    std::fs::create_dir(d.path().join(".git")).unwrap();
    std::fs::write(d.path().join(".git/config"), "[core]\n").unwrap();
    std::fs::write(d.path().join("main.py"), "print('hi')\n").unwrap();
    std::fs::write(
        d.path().join("config.toml"),
        format!("[sandbox]\n{sandbox}\n"),
    )
    .unwrap();
    d
}

fn run(d: &tempfile::TempDir, args: &[&str]) -> assert_cmd::assert::Assert {
    support::cli(d.path()).arg("run").args(args).assert()
}

#[test]
fn output_streams_and_the_exit_code_is_the_commands() {
    let d = workspace("");
    run(&d, &["--", "sh", "-c", "echo out; echo err >&2; exit 3"])
        .code(3)
        .stdout("out\n")
        .stderr("err\n");
    run(&d, &["--", "python3", "main.py"])
        .success()
        .stdout("hi\n");
}

/// The escape tests run under each confinement: bubblewrap, and the Landlock fallback.
const BWRAP: &str = "mode = \"bwrap\"";
const LANDLOCK: &str = "mode = \"landlock\"";

/// What each confinement's denial of a write says.
fn denied() -> impl Predicate<str> {
    contains("Read-only file system").or(contains("Permission denied"))
}

#[test]
fn writing_outside_the_workspace_or_into_git_is_denied_and_nothing_is_written() {
    writes_stay_inside(BWRAP);
}

#[test]
fn with_landlock_writing_outside_the_workspace_or_into_git_is_denied() {
    writes_stay_inside(LANDLOCK);
}

fn writes_stay_inside(mode: &str) {
    let d = workspace(mode);
    let outside = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
    let target = outside.path().join("escaped");
    let script = format!(
        "touch {} ; touch .git/hooks-planted ; echo x >> .git/config ; echo more >> main.py",
        target.display()
    );
    run(&d, &["--", "sh", "-c", &script]).stderr(denied());
    assert!(!target.exists(), "nothing written outside");
    assert!(
        !d.path().join(".git/hooks-planted").exists(),
        ".git is read-only"
    );
    assert_eq!(
        std::fs::read_to_string(d.path().join(".git/config")).unwrap(),
        "[core]\n"
    );
    assert_eq!(
        std::fs::read_to_string(d.path().join("main.py")).unwrap(),
        "print('hi')\nmore\n",
        "the workspace is writable"
    );
}

#[test]
fn the_home_is_hidden_so_ssh_keys_cannot_be_read() {
    home_hidden(BWRAP);
}

#[test]
fn with_landlock_the_home_is_hidden_so_ssh_keys_cannot_be_read() {
    home_hidden(LANDLOCK);
}

fn home_hidden(mode: &str) {
    let d = workspace(mode);
    // A home outside /tmp (which the sandbox replaces anyway), with a key in it.
    let home = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
    std::fs::create_dir(home.path().join(".ssh")).unwrap();
    std::fs::write(home.path().join(".ssh/id_ed25519"), "SECRET KEY\n").unwrap();
    support::cli(d.path())
        .env("HOME", home.path())
        .args(["run", "--", "sh", "-c", "cat \"$HOME/.ssh/id_ed25519\""])
        .assert()
        .failure()
        .stdout(predicate::str::contains("SECRET").not())
        .stderr(contains("No such file").or(contains("Permission denied")));
}

#[test]
fn the_network_is_gone_even_the_model_servers_on_loopback() {
    no_network(BWRAP);
}

#[test]
fn with_landlock_the_network_is_gone_even_the_model_servers_on_loopback() {
    no_network(LANDLOCK);
}

fn no_network(mode: &str) {
    let d = workspace(mode);
    let lm = fake_lmstudio("m", &["hi"]);
    let port = lm.url().rsplit(':').next().unwrap().to_owned();
    let other = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let other_port = other.local_addr().unwrap().port().to_string();
    for p in [&port, &other_port] {
        let code = format!(
            "import socket\nsocket.create_connection(('127.0.0.1', {p}), timeout=3)\nprint('connected')"
        );
        run(&d, &["--", "python3", "-c", &code])
            .failure()
            .stdout(predicate::str::contains("connected").not())
            .stderr(
                contains("Connection refused")
                    .or(contains("unreachable"))
                    .or(contains("Operation not permitted")),
            );
    }
    assert!(lm.requests().is_empty(), "the server saw nothing");
}

#[test]
fn a_fork_bomb_is_bounded_by_the_process_limit() {
    fork_bomb(BWRAP);
}

#[test]
fn with_landlock_a_fork_bomb_is_bounded_by_the_process_limit() {
    fork_bomb(LANDLOCK);
}

fn fork_bomb(mode: &str) {
    let d = workspace(&format!("{mode}\nmax_procs = 24"));
    let started = Instant::now();
    run(
        &d,
        &[
            "--timeout",
            "20",
            "--",
            "sh",
            "-c",
            "for i in $(seq 200); do (sleep 2) & done; echo all-started",
        ],
    )
    .stdout(predicate::str::contains("all-started").not())
    .stderr(contains("fork"));
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "not killed for time"
    );
}

#[test]
fn allocating_4_gb_past_the_memory_limit_fails() {
    big_allocation(BWRAP);
}

#[test]
fn with_landlock_allocating_4_gb_past_the_memory_limit_fails() {
    big_allocation(LANDLOCK);
}

fn big_allocation(mode: &str) {
    let d = workspace(&format!("{mode}\nmemory_mb = 512"));
    run(
        &d,
        &[
            "--",
            "python3",
            "-c",
            "x = bytearray(4 << 30)\nprint('allocated')",
        ],
    )
    .failure()
    .stdout(predicate::str::contains("allocated").not())
    .stderr(contains("MemoryError"));
}

#[test]
fn running_past_the_time_limit_kills_the_command_and_its_children() {
    time_limit(BWRAP);
}

#[test]
fn with_landlock_running_past_the_time_limit_kills_the_command_and_its_children() {
    time_limit(LANDLOCK);
}

fn time_limit(mode: &str) {
    let d = workspace(mode);
    let started = Instant::now();
    run(
        &d,
        &[
            "--timeout",
            "1",
            "--",
            "sh",
            "-c",
            "(sleep 3; echo late >> main.py) & sleep 30",
        ],
    )
    .code(124)
    .stderr(contains("ran out of its 1 s and was stopped"));
    assert!(started.elapsed() < Duration::from_secs(10));
    std::thread::sleep(Duration::from_secs(4));
    assert_eq!(
        std::fs::read_to_string(d.path().join("main.py")).unwrap(),
        "print('hi')\n",
        "the background child was killed too"
    );
}

#[test]
fn without_bubblewrap_it_falls_back_to_landlock_says_so_and_still_confines() {
    let d = workspace("");
    // A PATH with the shell but no bwrap.
    let bin = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink("/bin/sh", bin.path().join("sh")).unwrap();
    let outside = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
    let escaped = outside.path().join("escaped");
    let script = format!("echo inside; echo x > {}", escaped.display());
    support::cli(d.path())
        .env("PATH", bin.path())
        .args(["run", "--", "sh", "-c", &script])
        .assert()
        .failure()
        .stdout("inside\n")
        .stderr(contains(
            "bubblewrap is not installed, so the command is confined with Landlock instead",
        ))
        .stderr(contains("apt-get install bubblewrap"))
        .stderr(contains("Permission denied"));
    assert!(!escaped.exists(), "still confined");
    support::cli(d.path())
        .env("PATH", bin.path())
        .args(["run", "--no-sandbox", "--", "sh", "-c", &script])
        .assert()
        .success()
        .stderr(contains("the sandbox is off"));
    assert!(escaped.exists(), "unconfined when asked");
}

#[test]
fn a_landlock_run_is_recorded_as_such_in_the_audit_trail() {
    let d = workspace(LANDLOCK);
    run(&d, &["--", "true"]).success();
    support::cli(d.path())
        .args(["audit", "--json"])
        .assert()
        .success()
        .stdout(contains("\"sandbox\":\"landlock\""));
}

#[test]
fn a_bad_sandbox_setting_is_one_clear_error() {
    let d = workspace("mode = \"docker\"");
    run(&d, &["--", "true"])
        .code(2)
        .stderr(contains("sandbox.mode"));
}

/// The engine's `run` command with an empty command: the workspace's tests.
async fn run_tests(dir: &std::path::Path, test_command: &str) -> Vec<codecrucible::EventKind> {
    use codecrucible::engine::{run::RunRequest, Command};
    let mut config = codecrucible::config::Config::default();
    config.workspace.test_command = test_command.into();
    let mut engine = codecrucible::engine::Builder::new(config).spawn();
    let req = RunRequest {
        dir: dir.to_path_buf(),
        argv: Vec::new(),
        timeout: None,
        unconfined: false,
        session: None,
    };
    let _ = engine.commands.send(Command::Run { id: 7, run: req });
    let mut got = Vec::new();
    loop {
        let ev = tokio::time::timeout(Duration::from_secs(60), engine.events.recv())
            .await
            .expect("in time")
            .expect("alive");
        let done = matches!(ev.kind, codecrucible::EventKind::CommandDone { .. });
        got.push(ev.kind);
        if done {
            return got;
        }
    }
}

#[tokio::test]
async fn the_workspaces_tests_run_sandboxed_and_a_failure_is_reported_with_its_output() {
    use codecrucible::EventKind;
    let d = workspace("");
    std::fs::write(
        d.path().join("test_calc.py"),
        "import unittest\n\nclass T(unittest.TestCase):\n    def test_add(self):\n        self.assertEqual(1 + 1, 3)\n",
    )
    .unwrap();
    let events = run_tests(d.path(), "python3 -m unittest").await;
    let EventKind::CommandStarted { argv, sandbox, .. } = &events[0] else {
        panic!("{events:?}")
    };
    assert_eq!(argv, &["sh", "-c", "python3 -m unittest"]);
    assert_eq!(*sandbox, "bwrap");
    let output: String = events
        .iter()
        .filter_map(|e| match e {
            EventKind::CommandOutput { text, .. } => Some(text.as_str()),
            _ => None,
        })
        .collect();
    assert!(output.contains("FAILED (failures=1)"), "{output}");
    let Some(EventKind::CommandDone {
        exit_code: Some(1),
        timed_out: false,
        ..
    }) = events.last()
    else {
        panic!("{events:?}")
    };
    // Nothing known to run: one sentence on how to say what.
    let bare = tempfile::tempdir().unwrap();
    let events = run_tests(bare.path(), "").await;
    let Some(EventKind::CommandDone { error: Some(e), .. }) = events.last() else {
        panic!("{events:?}")
    };
    assert!(
        e.contains("no test command is known") && e.contains("workspace.test_command"),
        "{e}"
    );
}

#[tokio::test]
async fn a_cancelled_run_is_killed_with_everything_it_started() {
    use codecrucible::engine::{run::RunRequest, Command};
    use codecrucible::EventKind;
    let d = workspace("");
    let mut engine =
        codecrucible::engine::Builder::new(codecrucible::config::Config::default()).spawn();
    let req = RunRequest {
        dir: d.path().to_path_buf(),
        argv: vec![
            "sh".into(),
            "-c".into(),
            "(sleep 3; touch late) & echo started; sleep 60".into(),
        ],
        timeout: None,
        unconfined: false,
        session: None,
    };
    let _ = engine.commands.send(Command::Run { id: 3, run: req });
    let started = Instant::now();
    loop {
        let ev = tokio::time::timeout(Duration::from_secs(30), engine.events.recv())
            .await
            .expect("in time")
            .expect("alive");
        match ev.kind {
            EventKind::CommandOutput { text, .. } if text.contains("started") => {
                let _ = engine.commands.send(Command::Cancel(3));
            }
            EventKind::CommandDone {
                cancelled,
                exit_code,
                ..
            } => {
                assert!(cancelled);
                assert_eq!(exit_code, Some(130));
                break;
            }
            _ => {}
        }
    }
    assert!(started.elapsed() < Duration::from_secs(10));
    tokio::time::sleep(Duration::from_secs(4)).await;
    assert!(
        !d.path().join("late").exists(),
        "its background child died too"
    );
}

#[test]
fn escape_tools_are_refused_by_the_syscall_filter() {
    escape_tools(BWRAP);
}

#[test]
fn with_landlock_escape_tools_are_refused_by_the_syscall_filter() {
    escape_tools(LANDLOCK);
}

fn escape_tools(mode: &str) {
    let d = workspace(mode);
    // ptrace(PTRACE_TRACEME) succeeds anywhere unfiltered; new namespaces and mounts are
    // how sandbox escapes start.
    let code = [
        "import ctypes, os",
        "libc = ctypes.CDLL(None, use_errno=True)",
        "calls = [('ptrace', lambda: libc.ptrace(0, 0, 0, 0)),",
        "         ('unshare', lambda: libc.unshare(0x10000000)),",
        "         ('mount', lambda: libc.mount(b'none', b'/tmp', b'tmpfs', 0, None))]",
        "for name, call in calls:",
        "    r = call()",
        "    print(name, r, os.strerror(ctypes.get_errno()))",
    ]
    .join("\n");
    run(&d, &["--", "python3", "-c", &code])
        .success()
        .stdout(contains("ptrace -1 Operation not permitted"))
        .stdout(contains("unshare -1 Operation not permitted"))
        .stdout(contains("mount -1 Operation not permitted"));
}

#[test]
fn with_landlock_other_processes_can_be_neither_read_nor_signalled() {
    // Without a pid namespace the command sees other processes in /proc; Landlock keeps
    // their memory and environment (where API keys live) and their signals out of reach.
    let d = workspace(LANDLOCK);
    run(
        &d,
        &[
            "--",
            "sh",
            "-c",
            "cat /proc/$PPID/environ; kill -0 $PPID && echo signalled",
        ],
    )
    .failure()
    .stdout(predicate::str::contains("signalled").not())
    .stdout(predicate::str::contains("CODECRUCIBLE_CONFIG").not())
    .stderr(contains("Permission denied"))
    .stderr(contains("Operation not permitted"));
}

#[test]
fn the_active_virtualenv_stays_readable_inside_the_hidden_home() {
    for mode in [BWRAP, LANDLOCK] {
        let d = workspace(mode);
        let home = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
        let venv = home.path().join(".venvs/proj");
        std::fs::create_dir_all(&venv).unwrap();
        std::fs::write(venv.join("pyvenv.cfg"), "home = /usr/bin\n").unwrap();
        std::fs::write(home.path().join("secret"), "SECRET\n").unwrap();
        support::cli(d.path())
            .env("HOME", home.path())
            .env("VIRTUAL_ENV", &venv)
            .args([
                "run",
                "--",
                "sh",
                "-c",
                "cat \"$VIRTUAL_ENV/pyvenv.cfg\"; echo x > \"$VIRTUAL_ENV/new\"; cat \"$HOME/secret\"",
            ])
            .assert()
            .failure()
            .stdout(contains("home = /usr/bin"))
            .stdout(predicate::str::contains("SECRET").not());
        assert!(!venv.join("new").exists(), "{mode}: read-only");
    }
}
