//! The overlays: help, the voice picker, the save prompt.

use super::*;

#[test]
fn snapshot_overlays() {
    let mut a = full_app();
    key(&mut a, KeyCode::F(12));
    assert_eq!(a.overlay_kind(), Some(Kind::Help));
    insta::assert_snapshot!("help_120x40", screen(&mut a, 120, 40));
    insta::assert_snapshot!("help_80x24", screen(&mut a, 80, 24));
    key(&mut a, KeyCode::Esc);
    ctrl(&mut a, 't');
    insta::assert_snapshot!("voice_picker_120x40", screen(&mut a, 120, 40));
    insta::assert_snapshot!("voice_picker_80x24", screen(&mut a, 80, 24));
    key(&mut a, KeyCode::Esc);
    a.focus = Pane::Code;
    key(&mut a, KeyCode::Char('s'));
    insta::assert_snapshot!("save_120x40", screen(&mut a, 120, 40));
    insta::assert_snapshot!("save_80x24", screen(&mut a, 80, 24));
}

#[test]
fn question_mark_opens_help_only_on_an_empty_input_and_keys_in_text_never_act() {
    let mut a = app();
    key(&mut a, KeyCode::Char('?'));
    assert_eq!(a.overlay_kind(), Some(Kind::Help));
    key(&mut a, KeyCode::Esc);
    type_text(&mut a, "why? d y s [");
    assert_eq!(a.overlay_kind(), None);
    assert_eq!(a.input.text(), "why? d y s [");
    // Releases (Windows) do nothing.
    a.on_key(KeyEvent::new_with_kind(
        KeyCode::Char('z'),
        KeyModifiers::NONE,
        KeyEventKind::Release,
    ));
    assert_eq!(a.input.text(), "why? d y s [");
}

#[test]
fn rebound_keys_act_and_the_help_lists_them() {
    let mut a = app();
    a.keymap = rebound();
    // F1 is help now; Alt+1 the Explorer voice.
    key(&mut a, KeyCode::F(1));
    assert_eq!(a.overlay_kind(), Some(Kind::Help));
    insta::assert_snapshot!("help_rebound_120x40", screen(&mut a, 120, 40));
    key(&mut a, KeyCode::Esc);
    a.on_key(KeyEvent::new(KeyCode::Char('1'), KeyModifiers::ALT));
    assert_eq!(a.voice().map(|v| v.name.as_str()), Some("Explorer"));
    // Enter makes a new line; Ctrl+S sends.
    type_text(&mut a, "line one");
    key(&mut a, KeyCode::Enter);
    type_text(&mut a, "line two");
    assert!(a.outgoing.is_empty());
    ctrl(&mut a, 's');
    let s = submitted(&mut a);
    assert_eq!(s.input, "line one\nline two");
}

/// Answers the running request as the engine would.
fn answer(a: &mut App, text: &str) {
    let id = submitted(a).id;
    a.on_engine(ev(
        id,
        EventKind::Delta {
            backend: BackendId::Lmstudio,
            text: text.into(),
            draft: false,
        },
    ));
    a.on_engine(ev(
        id,
        EventKind::Done {
            backend: BackendId::Lmstudio,
            model: "m".into(),
            ttft_ms: None,
            total_ms: 10.0,
            input_tokens: None,
            output_tokens: None,
            tokens_per_second: None,
            finish_reason: None,
            cached: false,
            cached_tokens: None,
            endpoint: None,
        },
    ));
}

#[test]
fn help_opened_after_a_few_turns_closes_on_the_first_esc() {
    let mut a = app();
    screen(&mut a, 120, 40);
    type_text(&mut a, "hello");
    key(&mut a, KeyCode::Enter);
    answer(&mut a, "hi");
    key(&mut a, KeyCode::F(6));
    type_text(&mut a, "and now?");
    key(&mut a, KeyCode::Enter);
    answer(&mut a, "now this");
    type_text(&mut a, "/voice security");
    key(&mut a, KeyCode::Enter);
    type_text(&mut a, "is it safe?");
    key(&mut a, KeyCode::Enter);
    answer(&mut a, "yes");
    screen(&mut a, 120, 40);
    key(&mut a, KeyCode::Char('?'));
    assert_eq!(a.overlay_kind(), Some(Kind::Help));
    screen(&mut a, 120, 40);
    key(&mut a, KeyCode::Esc);
    assert_eq!(a.overlay_kind(), None, "the first Esc closes the help");
}

#[test]
fn ctrl_c_closes_any_overlay_and_twice_quits() {
    let store = stored_sessions();
    type Open = fn(&mut App);
    let open: [(&str, Open); 4] = [
        ("help", |a| key(a, KeyCode::F(12))),
        ("voice picker", |a| ctrl(a, 't')),
        ("browser", |a| ctrl(a, 'r')),
        ("save prompt", |a| {
            a.focus = Pane::Code;
            key(a, KeyCode::Char('s'));
        }),
    ];
    for (name, open) in open {
        let mut a = app_with_store(store.clone());
        escalated_run(&mut a);
        open(&mut a);
        assert!(a.overlay.is_some(), "{name} opened");
        ctrl(&mut a, 'c');
        assert_eq!(a.overlay_kind(), None, "Ctrl+C closed the {name}");
        assert!(!a.quit);
        ctrl(&mut a, 'c');
        assert!(a.quit, "a second Ctrl+C after closing the {name} quits");
    }
}

/// The help's inner lines at 80×24 (where it spans the screen), from top to bottom as
/// scrolling shows them.
fn help_lines(a: &mut App) -> Vec<Vec<char>> {
    let inner = |s: &str| -> Vec<Vec<char>> {
        let rows: Vec<Vec<char>> = s.lines().map(|l| l.chars().collect()).collect();
        rows[1..rows.len() - 1]
            .iter()
            .map(|r| r[1..r.len() - 1].to_vec())
            .collect()
    };
    let mut lines = inner(&screen(a, 80, 24));
    loop {
        key(a, KeyCode::Down);
        let now = inner(&screen(a, 80, 24));
        if now.last() == lines.last() {
            return lines;
        }
        lines.extend(now.last().cloned());
    }
}

#[test]
fn help_keeps_keys_and_descriptions_in_two_columns_and_wraps_both() {
    let mut a = app();
    key(&mut a, KeyCode::F(12));
    let lines = help_lines(&mut a);
    let text = |l: &[char]| l.iter().collect::<String>();
    let col = lines
        .iter()
        .find_map(|l| {
            text(l)
                .find("Send the prompt")
                .map(|b| text(l)[..b].chars().count())
        })
        .expect("the submit row");
    let column = |from: usize, to: usize| {
        let parts: Vec<String> = lines
            .iter()
            .map(|l| text(&l[from.min(l.len())..to.min(l.len())]))
            .collect();
        parts
            .join(" ")
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
    };
    let (keys, what) = (column(0, col), column(col, usize::MAX));
    for (_, _, k, describe) in a.keymap.rows() {
        assert!(
            keys.contains(&k),
            "keys {k:?} whole in the key column:\n{keys}"
        );
        assert!(
            what.contains(describe),
            "{describe:?} whole in its column:\n{what}"
        );
    }
    // Every description starts in its column: none is pushed along by its keys.
    let newline = lines
        .iter()
        .map(|l| text(l))
        .find(|l| l.contains("Start a new line"))
        .expect("the newline row");
    assert_eq!(
        newline
            .find("Start a new line")
            .map(|b| newline[..b].chars().count()),
        Some(col)
    );
}
