//! Notices in the status bar expire, by the clock the runner passes in, and the key hints
//! they covered come back.

use std::time::{Duration, Instant};

use super::*;
use crate::tui::notice::{Level, INFO_FOR, PROBLEM_FOR, SEEN_AFTER};

fn status_line(a: &mut App) -> String {
    screen(a, 120, 40)
        .lines()
        .nth(39)
        .unwrap_or_default()
        .to_owned()
}

#[test]
fn an_info_notice_expires_and_the_key_hints_come_back() {
    let mut a = app();
    let t0 = Instant::now();
    a.set_clock(t0);
    assert!(status_line(&mut a).contains("f12 help"));
    assert_eq!(a.next_expiry(), None, "nothing to wake for while idle");
    ctrl(&mut a, 'g');
    let s = status_line(&mut a);
    assert!(
        s.contains("Route mode: fast") && !s.contains("f12 help"),
        "{s}"
    );
    assert_eq!(
        a.next_expiry(),
        Some(t0 + INFO_FOR),
        "one wake-up, at the expiry"
    );
    a.set_clock(t0 + INFO_FOR - Duration::from_millis(1));
    assert!(status_line(&mut a).contains("Route mode: fast"));
    a.dirty = false;
    a.set_clock(t0 + INFO_FOR);
    assert!(a.dirty, "the expiry redraws");
    let s = status_line(&mut a);
    assert!(!s.contains("Route mode") && s.contains("f12 help"), "{s}");
    assert_eq!(a.next_expiry(), None);
}

#[test]
fn a_warning_stays_longer_and_a_key_ends_it_once_seen() {
    let mut a = app();
    let t0 = Instant::now();
    a.set_clock(t0);
    type_text(&mut a, "/vioce x");
    key(&mut a, KeyCode::Enter);
    assert_eq!(a.note.as_ref().map(|n| n.level), Some(Level::Warning));
    // Still there after an info notice would have gone, and through a key pressed at once.
    key(&mut a, KeyCode::End);
    a.set_clock(t0 + INFO_FOR);
    assert!(
        status_line(&mut a).contains("Unknown command"),
        "{}",
        status_line(&mut a)
    );
    // A key once it has been seen ends it.
    let mut b = app();
    b.set_clock(t0);
    type_text(&mut b, "/vioce x");
    key(&mut b, KeyCode::Enter);
    b.set_clock(t0 + SEEN_AFTER);
    key(&mut b, KeyCode::End);
    assert!(b.note.is_none());
    assert!(status_line(&mut b).contains("f12 help"));
    // Untouched, it goes at its time.
    let mut c = app();
    c.set_clock(t0);
    type_text(&mut c, "/vioce x");
    key(&mut c, KeyCode::Enter);
    c.set_clock(t0 + PROBLEM_FOR);
    assert!(c.note.is_none());
}

#[test]
fn notices_are_styled_by_level() {
    let mut a = app();
    ctrl(&mut a, 'g');
    let info = styled_screen(&mut a, 120, 40);
    type_text(&mut a, "/vioce x");
    key(&mut a, KeyCode::Enter);
    let warning = styled_screen(&mut a, 120, 40);
    let style_of = |s: &str, text: &str| {
        let line = s.lines().nth(39).unwrap_or_default().to_owned();
        let at = line.find(text).unwrap_or(0);
        let open = line[..at].rfind('{').unwrap_or(0);
        line[open..at].to_owned()
    };
    let (i, w) = (style_of(&info, "Route mode"), style_of(&warning, "Unknown"));
    assert!(!i.is_empty() && !w.is_empty() && i != w, "{i} vs {w}");
}

#[test]
fn a_notice_quoting_a_server_loses_bidi_and_escape_controls() {
    let mut a = app();
    type_text(&mut a, "hello");
    key(&mut a, KeyCode::Enter);
    let id = submitted(&mut a).id;
    a.on_engine(ev(
        id,
        EventKind::Error {
            backend: Some(BackendId::Ollama),
            message: "model \u{202e}exe.tset\u{202c} failed \x1b[31mbadly".into(),
            code: "status",
            partial: false,
        },
    ));
    let shown = &a.note.as_ref().expect("a notice").text;
    assert_eq!(shown, "model exe.tset failed [31mbadly");
}
