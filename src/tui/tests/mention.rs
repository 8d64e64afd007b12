//! The `@` list: it opens as a path is typed, follows each keystroke, takes Up/Down,
//! Tab/Enter and Esc while open, and gives them back once closed.

use super::*;
use crate::tui::effects::Reply;

const PATHS: [&str; 6] = [
    "src/pool.rs",
    "src/store/mod.rs",
    "src/store/db.rs",
    "README.md",
    "tests/pool_test.rs",
    "docs/architecture/decisions/records/0007-storage-engines-and-their-tradeoffs-in-detail.md",
];

fn workspace_app() -> App {
    App::new(Options {
        workspace: Some("/home/dev/shop-api".into()),
        ..options()
    })
}

fn indexed(paths: &[&str]) -> App {
    let mut a = workspace_app();
    a.on_reply(Reply::indexed(
        paths.iter().map(|p| p.to_string()).collect(),
    ));
    a
}

fn selected(a: &App) -> Option<String> {
    a.input
        .mention()
        .and_then(|p| p.selected_path().map(str::to_owned))
}

/// The list's rows, each with its styles, from its top border to its bottom one, at 80×24
/// (where the input, and so the list, is as wide as the screen).
fn styled_popup(a: &mut App) -> String {
    let plain = screen(a, 80, 24);
    let styled = styled_screen(a, 80, 24);
    let top = plain
        .lines()
        .position(|l| l.contains("↑↓ select"))
        .expect("the list is open");
    let bottom = plain
        .lines()
        .skip(top + 1)
        .position(|l| l.starts_with('└'))
        .expect("its bottom border")
        + top
        + 1;
    styled
        .lines()
        .skip(top)
        .take(bottom - top + 1)
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn typing_at_opens_the_list_with_the_matches_highlighted() {
    let mut a = indexed(&PATHS);
    type_text(&mut a, "explain @st");
    let s = screen(&mut a, 120, 40);
    assert!(
        s.contains("src/store/mod.rs") && s.contains("tests/pool_test.rs"),
        "{s}"
    );
    insta::assert_snapshot!("mention_open_120x40", s);
    // Matched characters in the accent, bold; the first row selected.
    insta::assert_snapshot!("mention_open_styled", styled_popup(&mut a));
    // Each keystroke narrows it.
    type_text(&mut a, "db");
    let s = screen(&mut a, 120, 40);
    assert!(
        s.contains("src/store/db.rs") && !s.contains("tests/pool_test.rs"),
        "{s}"
    );
}

#[test]
fn down_and_up_move_the_selection_and_wrap() {
    let mut a = indexed(&PATHS);
    type_text(&mut a, "@st");
    let first = selected(&a);
    key(&mut a, KeyCode::Down);
    let second = selected(&a);
    assert_ne!(first, second);
    insta::assert_snapshot!("mention_second_selected_80x24", styled_popup(&mut a));
    ctrl(&mut a, 'p');
    assert_eq!(selected(&a), first, "Ctrl+P is Up");
    ctrl(&mut a, 'n');
    assert_eq!(selected(&a), second, "Ctrl+N is Down");
    key(&mut a, KeyCode::Up);
    key(&mut a, KeyCode::Up);
    assert_ne!(selected(&a), first, "Up from the top wraps to the bottom");
    assert_eq!(a.input.text(), "@st", "moving never touches the text");
}

#[test]
fn enter_inserts_the_selected_path_without_sending() {
    let mut a = indexed(&PATHS);
    type_text(&mut a, "why is @st");
    key(&mut a, KeyCode::Down);
    let path = selected(&a).expect("a selection");
    key(&mut a, KeyCode::Enter);
    assert_eq!(a.input.text(), format!("why is @{path} "));
    assert!(a.outgoing.is_empty(), "{:?}", a.outgoing);
    assert!(a.input.mention().is_none());
    assert!(!screen(&mut a, 120, 40).contains("↑↓ select"));
    // The next Enter sends.
    type_text(&mut a, "slow?");
    key(&mut a, KeyCode::Enter);
    assert_eq!(submitted(&mut a).input, format!("why is @{path} slow?"));
}

#[test]
fn tab_inserts_too_and_the_list_stays_closed_until_the_word_changes() {
    let mut a = indexed(&PATHS);
    type_text(&mut a, "@pool");
    key(&mut a, KeyCode::Tab);
    assert_eq!(a.input.text(), "@src/pool.rs ");
    assert_eq!(a.focus, Pane::Input, "Tab did not move on");
    // Taking the space back leaves the inserted word: still closed.
    key(&mut a, KeyCode::Backspace);
    assert!(a.input.mention().is_none());
    // Another character is another word.
    type_text(&mut a, "x");
    assert!(a.input.mention().is_some());
}

#[test]
fn esc_closes_the_list_and_nothing_else() {
    let mut a = indexed(&PATHS);
    type_text(&mut a, "look at @st");
    key(&mut a, KeyCode::Esc);
    assert_eq!(a.input.text(), "look at @st");
    assert!(a.input.mention().is_none());
    assert!(!a.quit);
    let s = screen(&mut a, 120, 40);
    assert!(!s.contains("↑↓ select") && s.contains("look at @st"), "{s}");
    // Typing reopens it.
    type_text(&mut a, "o");
    assert!(a.input.mention().is_some());
}

#[test]
fn esc_on_the_list_does_not_cancel_the_running_request() {
    let mut a = indexed(&PATHS);
    type_text(&mut a, "hello");
    key(&mut a, KeyCode::Enter);
    let id = submitted(&mut a).id;
    type_text(&mut a, "next: @st");
    key(&mut a, KeyCode::Esc);
    assert!(a.outgoing.is_empty(), "{:?}", a.outgoing);
    assert_eq!(a.running, Some(id));
    // With the list closed, Esc is the app's again.
    key(&mut a, KeyCode::Esc);
    assert!(a
        .outgoing
        .iter()
        .any(|c| matches!(c, Command::Cancel(x) if *x == id)));
}

#[test]
fn no_match_says_so_and_enter_sends() {
    let mut a = indexed(&PATHS);
    type_text(&mut a, "mail @zzqx");
    let s = screen(&mut a, 120, 40);
    assert!(s.contains("no matching files"), "{s}");
    insta::assert_snapshot!("mention_no_match_styled", styled_popup(&mut a));
    key(&mut a, KeyCode::Enter);
    assert_eq!(submitted(&mut a).input, "mail @zzqx");
}

#[test]
fn before_the_index_is_read_it_says_so_then_lists() {
    let mut a = workspace_app();
    type_text(&mut a, "@st");
    let s = screen(&mut a, 80, 24);
    assert!(s.contains("reading the workspace…"), "{s}");
    insta::assert_snapshot!("mention_reading_80x24", s);
    // Tab keeps the half-typed word; nothing is inserted yet.
    key(&mut a, KeyCode::Tab);
    assert_eq!(a.input.text(), "@st");
    a.on_reply(Reply::indexed(PATHS.map(String::from).to_vec()));
    let s = screen(&mut a, 80, 24);
    assert!(
        s.contains("src/store/mod.rs") && !s.contains("reading"),
        "{s}"
    );
}

#[test]
fn long_and_hostile_names_are_cut_from_the_left_and_cleaned() {
    let hostile = "src/\x1b]0;owned\x07\u{202e}evil.rs";
    let mut a = indexed(&[PATHS[5], hostile]);
    type_text(&mut a, "@s");
    let s = screen(&mut a, 80, 24);
    assert!(s.contains("…"), "{s}");
    assert!(
        s.contains("tradeoffs-in-detail.md"),
        "the end of the name is kept: {s}"
    );
    assert!(s.contains("src/]0;ownedevil.rs"), "{s}");
    assert!(!s.chars().any(crate::text::terminal::is_unsafe), "{s:?}");
    insta::assert_snapshot!("mention_long_and_hostile_80x24", s);
    // The path inserted is the file's real name (second, after its folder `src/`).
    key(&mut a, KeyCode::Down);
    assert_eq!(selected(&a).as_deref(), Some(hostile));
    key(&mut a, KeyCode::Enter);
    assert_eq!(a.input.text(), format!("@{hostile} "));
}

#[test]
fn up_and_down_browse_history_once_the_list_is_closed() {
    let mut a = indexed(&PATHS);
    type_text(&mut a, "first");
    key(&mut a, KeyCode::Enter);
    a.running = None;
    type_text(&mut a, "see @zzqx");
    key(&mut a, KeyCode::Enter);
    a.running = None;
    a.outgoing.clear();
    // Closed by Esc: Up is history.
    type_text(&mut a, "@st");
    key(&mut a, KeyCode::Esc);
    key(&mut a, KeyCode::Up);
    assert_eq!(a.input.text(), "see @zzqx");
    // An entry ending in an @word opens no list, so Up goes on browsing.
    assert!(a.input.mention().is_none());
    key(&mut a, KeyCode::Up);
    assert_eq!(a.input.text(), "first");
    key(&mut a, KeyCode::Down);
    key(&mut a, KeyCode::Down);
    assert_eq!(a.input.text(), "@st", "the draft comes back");
    // After inserting a path, too.
    a.input.clear();
    type_text(&mut a, "@db");
    key(&mut a, KeyCode::Enter);
    key(&mut a, KeyCode::Up);
    assert_eq!(a.input.text(), "see @zzqx");
}

#[test]
fn the_list_closes_when_the_cursor_leaves_the_end_and_with_the_focus() {
    let mut a = indexed(&PATHS);
    type_text(&mut a, "@st");
    key(&mut a, KeyCode::Left);
    assert!(a.input.mention().is_none());
    // Esc with no list open is the app's, and leaves the word's list be.
    key(&mut a, KeyCode::Esc);
    key(&mut a, KeyCode::End);
    assert!(a.input.mention().is_some());
    key(&mut a, KeyCode::BackTab);
    assert_eq!(a.focus, Pane::Resources);
    assert!(!screen(&mut a, 120, 40).contains("↑↓ select"));
}

#[test]
fn command_arguments_get_the_list_too_and_other_tab_completion_is_unchanged() {
    let mut a = indexed(&PATHS);
    type_text(&mut a, "/drop READ");
    assert_eq!(selected(&a).as_deref(), Some("README.md"));
    key(&mut a, KeyCode::Enter);
    assert_eq!(a.input.text(), "/drop README.md ");
    a.input.clear();
    type_text(&mut a, "/them");
    assert!(a.input.mention().is_none());
    key(&mut a, KeyCode::Tab);
    assert_eq!(a.input.text(), "/theme ");
}

#[test]
fn folders_are_offered_too_and_attach_whole() {
    let mut a = indexed(&PATHS);
    type_text(&mut a, "look at @src/sto");
    assert_eq!(selected(&a).as_deref(), Some("src/store/"));
    key(&mut a, KeyCode::Enter);
    assert_eq!(a.input.text(), "look at @src/store/ ");
}
