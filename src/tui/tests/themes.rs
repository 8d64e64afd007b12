//! The themes, in colour.

use super::*;

#[test]
fn snapshot_each_theme_in_colour() {
    use crate::tui::theme::Depth;
    let mut a = themed_app(Depth::TrueColor);
    for name in ["dark", "light", "high-contrast"] {
        type_text(&mut a, &format!("/theme {name}"));
        key(&mut a, KeyCode::Enter);
        assert_eq!(a.theme.name, name);
        insta::assert_snapshot!(format!("theme_{name}_80x24"), styled_screen(&mut a, 80, 24));
    }
    // 256-colour terminals get palette colours only; NO_COLOR none at all.
    let mut p = themed_app(Depth::Palette256);
    p.set_theme("light");
    let s = styled_screen(&mut p, 80, 24);
    assert!(!s.contains("Rgb("), "no RGB on a 256-colour terminal");
    let mut n = themed_app(Depth::None);
    let s = styled_screen(&mut n, 80, 24);
    for c in ["Cyan", "Red", "Magenta", "Rgb(", "Indexed("] {
        assert!(!s.contains(&format!("{{{c}")), "NO_COLOR painted {c}");
    }
}

#[test]
fn the_theme_key_cycles_and_unknown_themes_are_refused() {
    use crate::tui::theme::Depth;
    let mut a = themed_app(Depth::TrueColor);
    assert_eq!(a.theme.name, "dark");
    ctrl(&mut a, 'y');
    assert_eq!(a.theme.name, "light");
    ctrl(&mut a, 'y');
    assert_eq!(a.theme.name, "high-contrast");
    ctrl(&mut a, 'y');
    assert_eq!(a.theme.name, "dark");
    type_text(&mut a, "/theme neon");
    key(&mut a, KeyCode::Enter);
    assert!(
        a.note
            .as_ref()
            .is_some_and(|n| n.is_problem() && n.text.contains("light")),
        "{:?}",
        a.note
    );
    assert_eq!(a.theme.name, "dark");
}
