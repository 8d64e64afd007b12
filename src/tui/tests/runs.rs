//! `/run` and `/test` as a user meets them: what is sent to the engine, the run's entry in
//! the chat as the engine's `command_*` events arrive, and the sandbox in the status bar.

use super::*;
use crate::engine::run::RunRequest;
use crate::tui::run::log::MAX_LINES;
use crate::tui::run::SandboxInfo;

fn run_app() -> App {
    App::new(Options {
        workspace: Some("/work/shop".into()),
        ..options()
    })
}

/// The `Command::Run`s sent since the last call.
fn runs(a: &mut App) -> Vec<(u64, RunRequest)> {
    a.outgoing
        .drain(..)
        .filter_map(|c| match c {
            Command::Run { id, run } => Some((id, run)),
            _ => None,
        })
        .collect()
}

fn typed(a: &mut App, line: &str) {
    type_text(a, line);
    key(a, KeyCode::Enter);
}

/// Types `line` and returns the one run it sent.
fn run(a: &mut App, line: &str) -> (u64, RunRequest) {
    typed(a, line);
    let mut sent = runs(a);
    assert_eq!(sent.len(), 1, "{line} sent one run");
    sent.remove(0)
}

fn started(argv: &[&str], sandbox: &'static str) -> EventKind {
    EventKind::CommandStarted {
        argv: argv.iter().map(|s| s.to_string()).collect(),
        sandbox,
        notice: None,
    }
}

fn out(stream: &'static str, text: &str) -> EventKind {
    EventKind::CommandOutput {
        stream,
        text: text.into(),
    }
}

fn done(exit_code: Option<i32>, secs: f64, error: Option<&str>) -> EventKind {
    EventKind::CommandDone {
        exit_code,
        timed_out: false,
        cancelled: false,
        duration_ms: secs * 1000.0,
        output_bytes: 0,
        error: error.map(str::to_owned),
    }
}

fn status_line(a: &mut App) -> String {
    screen(a, 120, 40)
        .lines()
        .nth(39)
        .unwrap_or_default()
        .to_owned()
}

#[test]
fn slash_run_sends_the_words_as_typed_to_run_in_the_workspace() {
    let mut a = run_app();
    let (_, r) = run(&mut a, "/run echo hi");
    assert_eq!(r.argv, ["echo", "hi"]);
    assert_eq!(r.dir, std::path::PathBuf::from("/work/shop"));
    assert_eq!(r.timeout, None);
    assert!(
        !r.unconfined,
        "a typed command is never run unconfined by the app"
    );
    let (_, r) = run(&mut a, r#"/run sh -c "echo hello; exit 3""#);
    assert_eq!(r.argv, ["sh", "-c", "echo hello; exit 3"]);
    assert!(
        a.overlay_kind().is_none(),
        "a typed command is not asked about"
    );
}

#[test]
fn slash_test_sends_an_empty_command() {
    let mut a = run_app();
    let (_, r) = run(&mut a, "/test");
    assert!(r.argv.is_empty(), "{:?}", r.argv);
    assert_eq!(r.dir, std::path::PathBuf::from("/work/shop"));
}

#[test]
fn a_bad_line_sends_nothing_and_says_why() {
    let mut a = run_app();
    typed(&mut a, r#"/run sh -c "echo hi"#);
    assert!(runs(&mut a).is_empty());
    let s = status_line(&mut a);
    assert!(s.contains("quote at character 7 is never closed"), "{s}");
    a.input.clear();
    typed(&mut a, "/run   ");
    assert!(runs(&mut a).is_empty());
    assert!(status_line(&mut a).contains("/run needs a command"));
    let mut bare = app();
    typed(&mut bare, "/run ls");
    assert!(runs(&mut bare).is_empty());
    assert!(status_line(&mut bare).contains("no workspace here"));
}

#[test]
fn snapshot_a_run_streaming_then_failed() {
    let mut a = run_app();
    let (id, _) = run(&mut a, "/run cargo test");
    a.on_engine(ev(id, started(&["cargo", "test"], "bwrap")));
    a.on_engine(ev(id, out("stderr", "   Compiling shop v0.1.0\n")));
    a.on_engine(ev(
        id,
        out("stdout", "running 2 tests\ntest a ... ok\ntest b "),
    ));
    let s = screen(&mut a, 80, 24);
    assert!(
        s.contains("$ cargo test · sandboxed") && s.contains("running…"),
        "{s}"
    );
    assert!(
        s.contains("│ test b"),
        "an unfinished line shows as it is: {s}"
    );
    a.on_engine(ev(id, out("stdout", "... FAILED\n")));
    a.on_engine(ev(id, done(Some(101), 4.14, None)));
    insta::assert_snapshot!("run_failed_80x24", screen(&mut a, 80, 24));
    assert!(!a.run_active());
}

#[test]
fn stderr_is_styled_apart_from_stdout() {
    let mut a = run_app();
    let (id, _) = run(&mut a, "/run make");
    a.on_engine(ev(id, out("stdout", "to stdout\n")));
    a.on_engine(ev(id, out("stderr", "to stderr\n")));
    let styled = styled_screen(&mut a, 80, 24);
    let style_of = |needle: &str| {
        let line = styled.lines().find(|l| l.contains(needle)).unwrap_or("");
        let at = line.find(needle).unwrap_or(0);
        line[..at].rsplit('{').next().unwrap_or("").to_owned()
    };
    assert_ne!(style_of("to stdout"), style_of("to stderr"), "{styled}");
}

#[test]
fn snapshot_an_unconfined_run_and_one_that_could_not_start() {
    let mut a = run_app();
    a.sandbox = SandboxInfo {
        off: true,
        ..SandboxInfo::default()
    };
    let (id, _) = run(&mut a, "/run ls");
    a.on_engine(ev(id, started(&["ls"], "off")));
    a.on_engine(ev(id, out("stdout", "Cargo.toml\nsrc\n")));
    a.on_engine(ev(id, done(Some(0), 0.02, None)));
    let (id, _) = run(&mut a, "/test");
    a.on_engine(ev(
        id,
        done(
            None,
            0.0,
            Some("no test command is known for /work/shop: set workspace.test_command (for example `codecrucible config set workspace.test_command \"make test\"`)"),
        ),
    ));
    let s = screen(&mut a, 80, 24);
    insta::assert_snapshot!("run_unconfined_and_error_80x24", s);
    assert!(s.contains("$ ls · UNCONFINED (sandbox off)"), "{s}");
    assert!(s.contains("exit 0 · 0.0 s"), "{s}");
    assert!(s.contains("✗ no test command is known"), "{s}");
    assert!(s.contains("sandbox OFF"), "the status bar warns: {s}");
}

#[test]
fn a_run_killed_for_time_says_so() {
    let mut a = run_app();
    let (id, _) = run(&mut a, "/run sleep 1000");
    a.on_engine(ev(id, started(&["sleep", "1000"], "bwrap")));
    a.on_engine(ev(
        id,
        EventKind::CommandDone {
            exit_code: Some(124),
            timed_out: true,
            cancelled: false,
            duration_ms: 300_012.0,
            output_bytes: 0,
            error: None,
        },
    ));
    let s = screen(&mut a, 80, 24);
    assert!(s.contains("stopped after 300 s (time limit)"), "{s}");
}

#[test]
fn escape_sequences_in_output_are_removed_whole() {
    let mut a = run_app();
    let (id, _) = run(&mut a, "/run cargo build");
    a.on_engine(ev(id, started(&["cargo", "build"], "bwrap")));
    a.on_engine(ev(
        id,
        out(
            "stderr",
            "\u{1b}[1;31merror\u{1b}[0m: mismatched types\u{1b}]0;pwned\u{7}\r\n 10%\r100%\n",
        ),
    ));
    a.on_engine(ev(id, done(Some(101), 1.0, None)));
    let s = screen(&mut a, 80, 24);
    assert!(s.contains("│ error: mismatched types"), "{s}");
    assert!(s.contains("│ 100%") && !s.contains("10%"), "{s}");
    assert!(!s.contains("[1;31m") && !s.contains("pwned"), "{s}");
}

#[test]
fn only_the_last_lines_are_kept_and_the_entry_says_how_many_are_left_out() {
    let mut a = run_app();
    let (id, _) = run(&mut a, "/test");
    a.on_engine(ev(id, started(&["cargo", "test"], "bwrap")));
    let text: String = (1..=2500).map(|i| format!("line {i}\n")).collect();
    a.on_engine(ev(id, out("stdout", &text)));
    a.on_engine(ev(id, done(Some(0), 2.0, None)));
    let s = screen(&mut a, 80, 24);
    assert!(
        s.contains("│ line 2500") && s.contains("exit 0 · 2.0 s"),
        "{s}"
    );
    let entry = a.entries.last().expect("the run's entry");
    let lines: Vec<String> = entry
        .lines(78, false, &a.theme)
        .iter()
        .map(|l| l.to_string())
        .collect();
    assert_eq!(lines[1], "… 500 earlier lines above are not shown");
    assert_eq!(lines[2], "│ line 501");
    assert_eq!(
        lines.len(),
        1 + 1 + MAX_LINES + 1 + 1,
        "header, note, lines, end, gap"
    );
}

#[test]
fn events_for_a_run_that_is_gone_are_ignored() {
    let mut a = run_app();
    let (id, _) = run(&mut a, "/run ls");
    typed(&mut a, "/new");
    a.on_engine(ev(id, out("stdout", "late\n")));
    a.on_engine(ev(999, done(Some(0), 0.1, None)));
    assert!(!screen(&mut a, 80, 24).contains("late"));
}

#[test]
fn esc_stops_a_run_and_ctrl_c_twice_still_quits() {
    let mut a = run_app();
    let (id, _) = run(&mut a, "/run sleep 5");
    key(&mut a, KeyCode::Esc);
    assert!(
        matches!(a.outgoing.as_slice(), [Command::Cancel(c)] if *c == id),
        "{:?}",
        a.outgoing
    );
    a.outgoing.clear();
    assert!(status_line(&mut a).contains("Stopping the command…"));
    a.on_engine(ev(
        id,
        EventKind::CommandDone {
            exit_code: Some(130),
            timed_out: false,
            cancelled: true,
            duration_ms: 1200.0,
            output_bytes: 0,
            error: None,
        },
    ));
    assert!(!a.run_active());
    assert!(screen(&mut a, 120, 40).contains("stopped by you after 1.2 s"));
    let (id, _) = run(&mut a, "/run sleep 5");
    assert!(screen(&mut a, 120, 40).contains("a command is running"));
    ctrl(&mut a, 'c');
    let s = status_line(&mut a);
    assert!(
        s.contains("A command is running · ctrl+c again quits"),
        "{s}"
    );
    assert!(!a.quit);
    ctrl(&mut a, 'c');
    assert!(a.quit, "two Ctrl+C still quit");
    a.on_engine(ev(id, done(Some(0), 5.0, None)));
    assert!(!a.run_active());
}

#[test]
fn the_status_bar_shows_the_sandbox_and_its_approval() {
    let mut a = app();
    assert!(status_line(&mut a).contains("mode auto · sandbox ask │"));
    a.sandbox = SandboxInfo::from_config(&crate::config::Sandbox {
        approval: "auto".into(),
        ..crate::config::Config::default().sandbox
    });
    assert!(status_line(&mut a).contains("sandbox auto"));
    a.sandbox.off = true;
    let styled = styled_screen(&mut a, 120, 40);
    let last = styled.lines().nth(39).unwrap_or_default();
    assert!(last.contains("sandbox OFF"), "{last}");
    // Warning-styled: bold, in the theme's error colour.
    assert!(last.contains("BOLD} · sandbox OFF"), "{last}");
}

#[test]
fn run_and_test_complete_and_are_in_the_help() {
    let mut a = run_app();
    type_text(&mut a, "/ru");
    key(&mut a, KeyCode::Tab);
    assert_eq!(a.input.text(), "/run ");
    a.input.clear();
    type_text(&mut a, "/te");
    key(&mut a, KeyCode::Tab);
    assert_eq!(a.input.text(), "/test");
    a.input.clear();
    key(&mut a, KeyCode::F(12));
    for _ in 0..200 {
        key(&mut a, KeyCode::Down);
    }
    let s = screen(&mut a, 120, 40);
    assert!(s.contains("/run CMD ARGS…") && s.contains("/test"), "{s}");
}

#[test]
fn a_command_the_assistant_wants_to_run_waits_for_y_or_n() {
    let mut a = run_app();
    let approval = || EventKind::Approval {
        argv: vec!["sh".into(), "-c".into(), "pytest -q\x1b[2J".into()],
        why: "to check the edit, on a scratch copy of the workspace, in the sandbox".into(),
    };
    typed(&mut a, "fix add in calc.py");
    let id = a.running.expect("a request is running");
    a.outgoing.clear();
    a.on_engine(ev(id, approval()));
    let s = screen(&mut a, 100, 30);
    assert!(s.contains("Run this command?"), "{s}");
    assert!(s.contains("$ sh -c pytest -q"), "cleaned: {s}");
    assert!(!s.contains('\x1b'));
    key(&mut a, KeyCode::Char('y'));
    assert!(
        matches!(a.outgoing.as_slice(), [Command::Approve { id: i, run: true }] if *i == id),
        "{:?}",
        a.outgoing
    );
    assert!(a.overlay.is_none());
    a.outgoing.clear();
    a.on_engine(ev(id, approval()));
    key(&mut a, KeyCode::Esc);
    assert!(
        matches!(a.outgoing.as_slice(), [Command::Approve { id: i, run: false }] if *i == id),
        "{:?}",
        a.outgoing
    );
    assert!(status_line(&mut a).contains("Not run; the edit is offered unchecked"));
}

#[test]
fn a_run_confined_by_the_fallback_says_so_and_why() {
    let mut a = run_app();
    let (id, _) = run(&mut a, "/run make");
    a.on_engine(ev(
        id,
        EventKind::CommandStarted {
            argv: vec!["make".into()],
            sandbox: "landlock",
            notice: Some(
                "bubblewrap is not installed, so the command is confined with Landlock instead"
                    .into(),
            ),
        },
    ));
    a.on_engine(ev(id, done(Some(0), 0.5, None)));
    let s = screen(&mut a, 100, 24);
    assert!(s.contains("$ make · sandboxed (Landlock)"), "{s}");
    assert!(
        s.contains("note: bubblewrap is not installed, so the command is confined with Landlock"),
        "{s}"
    );
}

#[test]
fn a_demonstration_to_approve_shows_its_code_line_by_line() {
    let mut a = run_app();
    typed(&mut a, "fix add in calc.py");
    let id = a.running.expect("a request is running");
    a.on_engine(ev(
        id,
        EventKind::Approval {
            argv: vec![
                "python3".into(),
                "-c".into(),
                "from calc import add\nassert add(2, 3) == 5\n".into(),
            ],
            why: "to check the edit by running the answer's demonstration".into(),
        },
    ));
    let s = screen(&mut a, 100, 30);
    assert!(s.contains("$ python3 -c from calc import add"), "{s}");
    assert!(s.contains("  assert add(2, 3) == 5"), "{s}");
    assert!(s.contains("y or Enter runs it in the sandbox"), "{s}");
}
