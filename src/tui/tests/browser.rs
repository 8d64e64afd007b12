//! The session browser against a real (in-memory) store.

use super::*;

#[test]
fn the_browser_lists_filters_previews_and_resumes() {
    let store = stored_sessions();
    let mut a = app_with_store(store.clone());
    ctrl(&mut a, 'r');
    assert_eq!(a.overlay_kind(), Some(Kind::Browser));
    settle(&mut a, &store);
    assert_eq!(browser(&a).rows.len(), 2);
    insta::assert_snapshot!("browser_open_120x40", undated(screen(&mut a, 120, 40)));
    // Typing filters (through the full-text search), including letters that are keys
    // elsewhere.
    type_text(&mut a, "borrow");
    settle(&mut a, &store);
    assert_eq!(browser(&a).rows.len(), 1);
    assert_eq!(browser(&a).filter, "borrow");
    insta::assert_snapshot!("browser_filtered_80x24", undated(screen(&mut a, 80, 24)));
    type_text(&mut a, "zzz");
    settle(&mut a, &store);
    insta::assert_snapshot!("browser_empty_120x40", undated(screen(&mut a, 120, 40)));
    for _ in 0.."zzz".len() {
        key(&mut a, KeyCode::Backspace);
    }
    settle(&mut a, &store);
    // The preview shows the draft and the routing as they were.
    let p = browser(&a).preview.as_ref().expect("previewed");
    assert!(p
        .messages
        .iter()
        .any(|m| m.content == "a draft that was weak"));
    // Enter resumes: the conversation is live again, final answers only.
    key(&mut a, KeyCode::Enter);
    settle(&mut a, &store);
    assert_eq!(a.overlay_kind(), None);
    let sid = a.session.expect("carried on");
    type_text(&mut a, "and the lexer?");
    key(&mut a, KeyCode::Enter);
    let s = submitted(&mut a);
    // The engine sends the session's final turns (engine::conversation's tests).
    assert_eq!(s.session, crate::engine::SessionChoice::Resume(sid));
}

#[test]
fn the_browser_deletes_after_asking_and_feedback_reaches_the_store() {
    let store = stored_sessions();
    let mut a = app_with_store(store.clone());
    type_text(&mut a, "/resume");
    key(&mut a, KeyCode::Enter);
    assert_eq!(
        a.overlay_kind(),
        Some(Kind::Browser),
        "{:?} {:?}",
        a.note,
        a.effects
    );
    settle(&mut a, &store);
    assert_eq!(browser(&a).rows.len(), 2);
    let victim = browser(&a).rows[0].id;
    ctrl(&mut a, 'd');
    assert!(browser(&a).confirm_delete);
    key(&mut a, KeyCode::Char('n'));
    assert!(store.session(victim).unwrap().is_some(), "n keeps it");
    ctrl(&mut a, 'd');
    key(&mut a, KeyCode::Char('y'));
    settle(&mut a, &store);
    assert!(store.session(victim).unwrap().is_none());
    assert_eq!(browser(&a).rows.len(), 1);
    // Resume the other one and rate its last answer from the chat pane.
    key(&mut a, KeyCode::Enter);
    settle(&mut a, &store);
    a.focus = Pane::Chat;
    key(&mut a, KeyCode::Char('q'));
    // The store write runs off the UI thread, as the runner carries it out.
    settle(&mut a, &store);
    assert!(
        a.note.as_ref().is_some_and(|n| !n.is_problem()),
        "{:?}",
        a.note
    );
    let sid = a.session.unwrap();
    let rated =
        store.decisions(sid).unwrap().into_iter().any(|d| {
            d.kind == crate::store::DecisionKind::Feedback && d.data["verdict"] == "quality"
        });
    assert!(rated, "the feedback reached the store");
}

#[test]
fn the_preview_lists_what_the_session_ran_and_changed() {
    let store = stored_sessions();
    let newest = store.list_sessions(1).unwrap()[0].id;
    let run =
        serde_json::json!({"argv": ["cargo", "test\u{1b}[2J"], "sandbox": "bwrap", "exit_code": 1});
    store.append_audit("command", Some(newest), &run).unwrap();
    let file = serde_json::json!({"path": "app/calc.py", "change": "modified", "by": "apply"});
    store.append_audit("file", Some(newest), &file).unwrap();
    store
        .append_audit("file", None, &serde_json::json!({"path": "other.py"}))
        .unwrap();
    let mut a = app_with_store(store.clone());
    ctrl(&mut a, 'r');
    settle(&mut a, &store);
    settle(&mut a, &store);
    let p = browser(&a).preview.as_ref().expect("previewed");
    assert_eq!(p.operations.len(), 2, "only this session's");
    let s = screen(&mut a, 140, 40);
    assert!(s.contains("ran `cargo test[2J` (bwrap): exit 1"), "{s}");
    assert!(s.contains("modified app/calc.py (apply)"), "{s}");
    assert!(!s.contains('\u{1b}'));
    assert!(!s.contains("other.py"));
}
