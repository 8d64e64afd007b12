//! Escape sequences in a model's answer or a server's message never reach a terminal:
//! they are dropped when the output is a terminal, and kept byte for byte when it is piped
//! (DESIGN.md, "Untrusted input"). The terminal is a real pseudo-terminal (`script`).

use crate::support;

use support::protocol::*;

/// The answer retitles the window, clears the screen, starts a CSI with the one-byte C1
/// form and reverses the text that follows.
const HOSTILE: &str = "safe\x1b]0;owned\x07 \x1b[2Jtext\u{9b}31m\u{202e}gnp.exe";

fn setup() -> (support::FakeServer, tempfile::TempDir) {
    let lm = fake_lmstudio("m", &[HOSTILE]);
    let dir = tempfile::tempdir().unwrap();
    write_config(dir.path(), &lm.url(), &refused_url(), "");
    (lm, dir)
}

/// Runs the binary with `args` on a pseudo-terminal and returns what the terminal got.
fn on_a_terminal(dir: &std::path::Path, args: &str) -> std::process::Output {
    let bin = env!("CARGO_BIN_EXE_codecrucible");
    support::isolated(std::process::Command::new("script"), dir)
        .args(["-qec", &format!("{bin} {args}"), "/dev/null"])
        .output()
        .expect("script (util-linux) runs")
}

fn assert_clean(shown: &str) {
    for c in ['\x1b', '\x07', '\u{9b}', '\u{202e}'] {
        assert!(!shown.contains(c), "{c:?} reached the terminal: {shown:?}");
    }
}

#[test]
fn on_a_terminal_the_answer_loses_its_escape_sequences() {
    let (_lm, dir) = setup();
    let out = on_a_terminal(dir.path(), "--fast -p hello");
    let shown = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{shown}");
    assert!(
        shown.contains("safe]0;owned [2Jtext31mgnp.exe"),
        "{shown:?}"
    );
    assert_clean(&shown);
}

#[test]
fn stored_history_shown_on_a_terminal_loses_them_too() {
    let (_lm, dir) = setup();
    support::cli(dir.path())
        .args(["--fast", "-p", "hello"])
        .assert()
        .success();
    for args in [
        "sessions show 1",
        "sessions export 1",
        "sessions search safe",
    ] {
        let out = on_a_terminal(dir.path(), args);
        let shown = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success() && shown.contains("safe"),
            "{args}: {shown:?}"
        );
        assert_clean(&shown);
    }
}

#[test]
fn piped_the_answer_is_byte_exact_and_json_escapes_c1() {
    let (_lm, dir) = setup();
    let out = support::cli(dir.path())
        .args(["--fast", "-p", "hello"])
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim_end(), HOSTILE);
    let out = support::cli(dir.path())
        .args(["--fast", "--json", "-p", "hello"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        !text.contains('\u{9b}') && !text.contains('\x1b'),
        "{text:?}"
    );
    assert!(
        text.contains("\\u009b") && text.contains("\\u001b"),
        "{text}"
    );
    for line in text.lines() {
        let v: serde_json::Value = serde_json::from_str(line).expect("each line is JSON");
        if v["type"] == "delta" {
            assert_eq!(v["text"], HOSTILE);
        }
    }
}
