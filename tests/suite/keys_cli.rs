//! `codecrucible keys`: the keymap in effect, and how bad `[keys.*]` bindings are refused.

use crate::support;

use predicates::prelude::*;
use predicates::str::contains;

fn with_config(text: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("config.toml"), text).unwrap();
    dir
}

/// The `keys` column of the row for `context` `action` in the plain listing.
fn keys_of(out: &str, context: &str, action: &str) -> String {
    let header = out.lines().next().expect("a header line");
    let start = header.find("keys").expect("a keys column");
    let end = header.find("what it does").expect("a description column");
    let row = out
        .lines()
        .find(|l| {
            let mut words = l.split_whitespace();
            words.next() == Some(context) && words.next() == Some(action)
        })
        .unwrap_or_else(|| panic!("no row for {context} {action}:\n{out}"));
    row[start..end].trim().to_owned()
}

#[test]
fn defaults_print_per_context() {
    let dir = tempfile::tempdir().unwrap();
    let out = support::cli(dir.path()).arg("keys").assert().success();
    let out = String::from_utf8_lossy(&out.get_output().stdout).into_owned();
    assert!(out.starts_with("context"), "{out}");
    for (ctx, action, keys) in [
        ("global", "cancel_or_quit", "ctrl+c"),
        ("global", "help", "f12"),
        ("global", "prev_pane", "shift+tab"),
        ("global", "history", "ctrl+r"),
        (
            "input",
            "newline",
            "ctrl+j / alt+enter / shift+enter / ctrl+enter",
        ),
        ("chat", "good", "g"),
        ("code", "prev_block", "["),
        ("browser", "export", "ctrl+e"),
    ] {
        assert_eq!(keys_of(&out, ctx, action), keys, "{ctx} {action}");
    }
    assert!(out.contains("Open the session history"), "{out}");
}

#[test]
fn json_lists_every_action() {
    let dir = tempfile::tempdir().unwrap();
    let out = support::cli(dir.path())
        .args(["keys", "--json"])
        .assert()
        .success();
    let rows: Vec<serde_json::Value> = serde_json::from_slice(&out.get_output().stdout).unwrap();
    let help = rows
        .iter()
        .find(|r| r["context"] == "global" && r["action"] == "help")
        .expect("global help");
    assert_eq!(help["keys"], serde_json::json!(["f12"]));
    assert!(help["description"].as_str().is_some_and(|d| !d.is_empty()));
    let contexts: std::collections::BTreeSet<&str> =
        rows.iter().filter_map(|r| r["context"].as_str()).collect();
    assert_eq!(contexts.len(), 5, "{contexts:?}");
}

#[test]
fn a_user_binding_overrides_only_what_it_names() {
    let dir = with_config("[keys.chat]\ngood = \"+\"\n");
    let out = support::cli(dir.path()).arg("keys").assert().success();
    let out = String::from_utf8_lossy(&out.get_output().stdout).into_owned();
    assert_eq!(keys_of(&out, "chat", "good"), "+");
    assert_eq!(keys_of(&out, "chat", "bad"), "b");
    assert_eq!(keys_of(&out, "chat", "quality"), "q");
    assert_eq!(keys_of(&out, "global", "history"), "ctrl+r");
}

#[test]
fn a_conflict_is_refused_with_both_actions_and_the_line() {
    let dir = with_config("# my keys\n\n[keys.global]\nhelp = \"ctrl+r\"\n");
    support::cli(dir.path())
        .arg("keys")
        .assert()
        .code(2)
        .stdout("")
        .stderr(
            contains("config.toml, line 4")
                .and(contains("`help` (global, line 4)"))
                .and(contains("`history` (global, default)"))
                .and(contains("ctrl+r")),
        );
}

#[test]
fn a_conflict_also_stops_the_app_from_starting() {
    // Any command that loads the config refuses it, the full-screen app included.
    let dir = with_config("[keys.code]\ncopy = \"ctrl+o\"\n");
    support::cli(dir.path())
        .args(["route", "hello"])
        .assert()
        .code(2)
        .stderr(
            contains("line 2")
                .and(contains("`copy`"))
                .and(contains("`toggle_mouse`")),
        );
}

#[test]
fn an_unknown_action_names_the_line_and_the_valid_actions() {
    let dir = with_config("[keys.chat]\nlineup = \"k\"\n");
    support::cli(dir.path())
        .arg("keys")
        .assert()
        .code(2)
        .stderr(
            contains("line 2")
                .and(contains("unknown action `lineup`"))
                .and(contains("did you mean `line_up`"))
                .and(contains("unfold, good, bad, quality")),
        );
}

#[test]
fn a_bad_key_string_names_the_line_and_the_key_syntax() {
    let dir = with_config("[keys.global]\n\nhistory = \"ctrl+hyper\"\n");
    support::cli(dir.path())
        .arg("keys")
        .assert()
        .code(2)
        .stderr(
            contains("line 3")
                .and(contains("keys.global.history"))
                .and(contains("\"ctrl+hyper\" is not a key"))
                .and(contains("pagedown")),
        );
}

#[test]
fn config_set_refuses_a_conflicting_binding() {
    let dir = tempfile::tempdir().unwrap();
    support::cli(dir.path())
        .args(["config", "set", "keys.global.help", "ctrl+r"])
        .assert()
        .code(2)
        .stderr(contains("`help`").and(contains("`history`")));
    assert!(!dir.path().join("config.toml").exists());
    support::cli(dir.path())
        .args(["config", "set", "keys.global.help", "f10"])
        .assert()
        .success();
    let out = support::cli(dir.path()).arg("keys").assert().success();
    let out = String::from_utf8_lossy(&out.get_output().stdout).into_owned();
    assert_eq!(keys_of(&out, "global", "help"), "f10");
}
