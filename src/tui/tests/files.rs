//! The workspace in the full-screen app: `@` completion over the indexed paths, `/add`,
//! `/drop` and `/files`, the consent asked for a secret file, and the context line.

use super::*;
use crate::engine::{ContextItem, Source};
use crate::tui::effects::Reply;

fn app_in_workspace() -> App {
    let mut a = App::new(Options {
        workspace: Some("/home/dev/shop-api".into()),
        ..options()
    });
    a.on_reply(Reply::indexed(
        [
            "src/pool.rs",
            "src/store/mod.rs",
            "src/store/db.rs",
            "README.md",
            "tests/pool_test.rs",
        ]
        .map(String::from)
        .to_vec(),
    ));
    a
}

#[test]
fn tab_completes_an_at_mention_fuzzily_from_the_list() {
    let mut a = app_in_workspace();
    type_text(&mut a, "explain @stdb");
    key(&mut a, KeyCode::Tab);
    assert_eq!(a.input.text(), "explain @src/store/db.rs ");
    // The second match is a Down away (the list replaced cycling with Tab).
    let mut b = app_in_workspace();
    type_text(&mut b, "look at @pool");
    key(&mut b, KeyCode::Down);
    key(&mut b, KeyCode::Tab);
    assert_eq!(b.input.text(), "look at @tests/pool_test.rs ");
    let mut c = app_in_workspace();
    type_text(&mut c, "/add READ");
    key(&mut c, KeyCode::Tab);
    assert_eq!(c.input.text(), "/add README.md ");
}

#[test]
fn add_and_drop_go_with_the_next_message_and_files_lists_them() {
    let mut a = app_in_workspace();
    type_text(&mut a, "/add src/pool.rs:10-20 src/store/");
    // The path list offers files under src/store/; Esc keeps the folder as typed.
    key(&mut a, KeyCode::Esc);
    key(&mut a, KeyCode::Enter);
    type_text(&mut a, "/drop old.rs");
    key(&mut a, KeyCode::Enter);
    type_text(&mut a, "/files");
    key(&mut a, KeyCode::Enter);
    let listed = &a.entries.last().expect("a notice").text;
    assert!(
        listed.contains("src/pool.rs:10-20: attached with your next message"),
        "{listed}"
    );
    assert!(
        listed.contains("old.rs: dropped with your next message"),
        "{listed}"
    );
    type_text(&mut a, "why is it slow?");
    key(&mut a, KeyCode::Enter);
    let s = submitted(&mut a);
    assert_eq!(
        s.workspace.dir.as_deref(),
        Some(std::path::Path::new("/home/dev/shop-api"))
    );
    let files: Vec<String> = s.workspace.files.iter().map(|f| f.label()).collect();
    assert_eq!(files, ["src/pool.rs:10-20", "src/store/"]);
    assert_eq!(s.workspace.drop, ["old.rs"]);
}

#[test]
fn a_secret_file_is_sent_only_after_a_yes() {
    let mut a = app_in_workspace();
    type_text(&mut a, "what is in @.env");
    key(&mut a, KeyCode::Enter);
    let first = submitted(&mut a);
    assert!(!first.workspace.allow_secrets);
    a.on_engine(ev(
        first.id,
        EventKind::Error {
            backend: None,
            message: ".env looks like it holds secrets".into(),
            code: "secret_file",
            partial: false,
        },
    ));
    key(&mut a, KeyCode::Char('y'));
    let again = submitted(&mut a);
    assert!(again.workspace.allow_secrets);
    assert_eq!(again.input, "what is in @.env");
}

#[test]
fn the_status_bar_names_the_workspace_and_the_inspector_shows_the_context() {
    let mut a = app_in_workspace();
    type_text(&mut a, "review @src/");
    key(&mut a, KeyCode::Esc);
    key(&mut a, KeyCode::Enter);
    let id = submitted(&mut a).id;
    let analysis = router::analyze("review the code in src", &[]);
    let decision = router::decide(
        &analysis,
        None,
        &crate::config::Config::default().hybrid.routing,
        &router::Signals::default(),
    );
    a.on_engine(ev(
        id,
        EventKind::Route {
            decision,
            backend: BackendId::Ollama,
            fallback: Some(BackendId::Lmstudio),
            features: analysis.features,
        },
    ));
    let item = |path: &str, tokens, included| ContextItem {
        path: path.into(),
        source: Source::Attached,
        tokens,
        included,
        changed: false,
        dropped: (!included).then(|| "needs about 9000 tokens and 900 of 4100 are left".into()),
        map: None,
    };
    a.on_engine(ev(
        id,
        EventKind::Context {
            backend: BackendId::Ollama,
            window: 8192,
            budget: 4100,
            used: 3200,
            items: vec![
                item("src/pool.rs", 1200, true),
                item("src/store/db.rs", 2000, true),
                item("src/big.rs", 9000, false),
            ],
        },
    ));
    let s = screen(&mut a, 120, 40);
    assert!(s.contains("⌂ shop-api"), "{s}");
    assert!(
        s.contains("context 3.2k / 4.1k: 2 files (1 dropped)"),
        "{s}"
    );
    insta::assert_snapshot!("workspace_context_120x40", s);
}

#[test]
fn a_stale_file_list_is_read_again_when_a_path_is_being_typed() {
    let indexing = |a: &App| {
        a.effects
            .iter()
            .filter(|e| matches!(e, crate::tui::effects::Effect::Index(_)))
            .count()
    };
    let mut a = app_in_workspace();
    let start = std::time::Instant::now();
    a.set_clock(start);
    assert_eq!(indexing(&a), 1, "read once at start");
    // Fresh: typing a path does not read it again.
    type_text(&mut a, "explain @po");
    assert_eq!(indexing(&a), 1);
    // Ten seconds later, files may have been made: the next keystroke of a path reads it.
    a.set_clock(start + std::time::Duration::from_secs(10));
    type_text(&mut a, "o");
    assert_eq!(indexing(&a), 2);
    // While that read is under way, more keystrokes do not ask again.
    a.set_clock(start + std::time::Duration::from_secs(20));
    type_text(&mut a, "l");
    assert_eq!(indexing(&a), 2);
    // Plain prose never reads the workspace.
    a.on_reply(Reply::indexed(vec!["src/pool.rs".into()]));
    a.set_clock(start + std::time::Duration::from_secs(40));
    type_text(&mut a, " and more words");
    assert_eq!(indexing(&a), 2);
    type_text(&mut a, " @");
    assert_eq!(indexing(&a), 3);
}
