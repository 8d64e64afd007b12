//! Keys as a user presses them: voices, cancelling, slash commands, quitting, the code pane.

use super::*;

#[test]
fn a_voice_switch_changes_the_voice_shown_and_the_next_routing() {
    let mut a = app();
    key(&mut a, KeyCode::F(2));
    assert!(screen(&mut a, 120, 40).contains(" Analyzer "));
    type_text(&mut a, "is this loop correct?");
    key(&mut a, KeyCode::Enter);
    let s = submitted(&mut a);
    let voice = s.voice.expect("the voice's prior goes with the request");
    assert_eq!(voice.name, "Analyzer");
    assert_eq!(voice.prior().route, router::Route::Ollama);
    // Its system prompt too.
    assert!(
        voice.system_prompt.contains("Analyzer"),
        "{}",
        voice.system_prompt
    );
    // The picker chooses by number.
    a.running = None;
    ctrl(&mut a, 't');
    key(&mut a, KeyCode::Char('6'));
    assert_eq!(a.voice().map(|v| v.name.as_str()), Some("Architect"));
}

#[test]
fn esc_cancels_the_running_request_and_the_partial_answer_stays() {
    let mut a = app();
    type_text(&mut a, "reformat this");
    key(&mut a, KeyCode::Enter);
    let id = submitted(&mut a).id;
    a.on_engine(ev(
        id,
        EventKind::Delta {
            backend: BackendId::Lmstudio,
            text: "half an ans".into(),
            draft: false,
        },
    ));
    key(&mut a, KeyCode::Esc);
    assert!(a
        .outgoing
        .iter()
        .any(|c| matches!(c, Command::Cancel(x) if *x == id)));
    a.on_engine(ev(id, EventKind::Cancelled { partial: true }));
    assert!(a.running.is_none());
    let s = screen(&mut a, 120, 40);
    assert!(s.contains("half an ans") && s.contains("cancelled"), "{s}");
}

#[test]
fn slash_commands_work_and_change_the_next_request() {
    let mut a = app();
    type_text(&mut a, "/mode quality");
    key(&mut a, KeyCode::Enter);
    type_text(&mut a, "/voice security");
    key(&mut a, KeyCode::Enter);
    type_text(&mut a, "hello");
    key(&mut a, KeyCode::Enter);
    let s = submitted(&mut a);
    assert_eq!(s.route, RouteMode::Force(BackendId::Ollama));
    assert_eq!(s.voice.map(|v| v.name), Some("Security".to_owned()));
    // An unknown one says so, and nothing is sent.
    a.running = None;
    type_text(&mut a, "/vioce x");
    key(&mut a, KeyCode::Enter);
    assert!(a.outgoing.is_empty());
    assert!(
        a.note.as_ref().is_some_and(|n| n.is_problem()),
        "{:?}",
        a.note
    );
    assert_eq!(a.input.text(), "/vioce x", "kept, to be fixed");
    ctrl(&mut a, 'c');
    // /new starts afresh; /quit quits.
    type_text(&mut a, "/new");
    key(&mut a, KeyCode::Enter);
    assert!(a.entries.is_empty());
    type_text(&mut a, "/quit");
    key(&mut a, KeyCode::Enter);
    assert!(a.quit);
}

#[test]
fn ctrl_g_cycles_the_route_mode() {
    let mut a = app();
    for expected in ["fast", "quality", "auto"] {
        ctrl(&mut a, 'g');
        assert!(screen(&mut a, 120, 40).contains(&format!("mode {expected}")));
    }
}

#[test]
fn quitting_takes_two_ctrl_c_or_ctrl_d_on_an_empty_input() {
    let mut a = app();
    type_text(&mut a, "x");
    ctrl(&mut a, 'c');
    assert!(
        !a.quit && a.input.is_empty(),
        "the first Ctrl+C clears the input"
    );
    ctrl(&mut a, 'c');
    assert!(!a.quit);
    ctrl(&mut a, 'c');
    assert!(a.quit);
    let mut b = app();
    type_text(&mut b, "x");
    ctrl(&mut b, 'd');
    assert!(!b.quit, "Ctrl+D only quits an empty input");
    ctrl(&mut b, 'c');
    ctrl(&mut b, 'd');
    assert!(b.quit);
}

#[test]
fn a_pasted_newline_never_submits() {
    let mut a = app();
    a.on_paste("fn a() {}\nfn b() {}\n");
    assert!(a.outgoing.is_empty());
    key(&mut a, KeyCode::Enter);
    let s = submitted(&mut a);
    assert_eq!(s.input, "fn a() {}\nfn b() {}");
}

#[test]
fn the_code_pane_copies_switches_and_saves_without_overwriting() {
    let mut a = full_app();
    assert_eq!(
        a.code.blocks.len(),
        1,
        "the replaced draft's code left the pane"
    );
    a.focus = Pane::Code;
    key(&mut a, KeyCode::Char('y'));
    assert!(matches!(a.effects.last(), Some(Effect::Copy(t)) if t.contains("enum Token")));
    key(&mut a, KeyCode::Char('s'));
    for _ in 0.."snippet.rs".len() {
        key(&mut a, KeyCode::Backspace);
    }
    type_text(&mut a, "lex.rs");
    key(&mut a, KeyCode::Enter);
    assert!(
        matches!(a.effects.last(), Some(Effect::Save { path, overwrite: false, .. }) if path == "lex.rs")
    );
    let Some(Effect::Save { text, .. }) = a.effects.last().cloned() else {
        panic!("a save")
    };
    a.saved("lex.rs", text, Err(crate::tui::effects::SaveError::Exists));
    assert!(matches!(&a.overlay, Some(Overlay::Save(s)) if s.overwrite));
    key(&mut a, KeyCode::Enter);
    assert!(matches!(
        a.effects.last(),
        Some(Effect::Save {
            overwrite: true,
            text,
            ..
        }) if text.contains("enum Token")
    ));
}

#[test]
fn the_block_saved_is_the_one_s_was_pressed_on() {
    let mut a = full_app();
    a.focus = Pane::Code;
    key(&mut a, KeyCode::Char('s'));
    // While the path is typed, a stream brings another block and it is selected.
    a.code.push("```python\nprint('other')\n```\n");
    a.code_selected = a.code.blocks.len() - 1;
    assert!(a.selected_code().is_some_and(|t| t.contains("other")));
    key(&mut a, KeyCode::Enter);
    assert!(matches!(
        a.effects.last(),
        Some(Effect::Save { text, .. }) if text.contains("enum Token") && !text.contains("other")
    ));
}

#[test]
fn copied_and_saved_code_is_what_the_pane_shows() {
    let mut a = full_app();
    a.focus = Pane::Code;
    a.code
        .push("```sh\necho hi\x1b[201~; rm -rf ~\u{9b}0m\n```\n");
    a.code_selected = a.code.blocks.len() - 1;
    key(&mut a, KeyCode::Char('y'));
    let Some(Effect::Copy(copied)) = a.effects.last().cloned() else {
        panic!("a copy")
    };
    assert!(copied.contains("echo hi[201~; rm -rf ~0m"), "{copied:?}");
    assert!(!copied.contains('\x1b') && !copied.contains('\u{9b}'));
    key(&mut a, KeyCode::Char('s'));
    key(&mut a, KeyCode::Enter);
    assert!(matches!(
        a.effects.last(),
        Some(Effect::Save { text, .. }) if text == &copied
    ));
}
