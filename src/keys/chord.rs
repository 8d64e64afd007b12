//! Key chords: one key with its modifiers, parsed from the config's key strings and
//! matched against crossterm's key events whatever quirks the terminal has.
//!
//! A key string is a single character (`d`, `?`, `[`, `+`) or a key name (`enter`, `esc`,
//! `tab`, `backtab`, `backspace`, `delete`, `insert`, `home`, `end`, `pageup`, `pagedown`,
//! `up`, `down`, `left`, `right`, `space`, `f1`–`f24`), after any of the modifiers `ctrl+`,
//! `alt+` and `shift+` in any order. Names and modifiers ignore case. A lone uppercase
//! letter is that letter with Shift (`Q` is `shift+q`, which is what typing Q sends); with
//! Ctrl or Alt the letter's case does not matter (`Ctrl+R` is `ctrl+r`; write
//! `ctrl+shift+r` for Shift). Shift on a character that has no case (`shift+1`) is
//! ignored: bind the character the shifted key types (`!`). `shift+tab` is `backtab`.

use std::fmt;
use std::str::FromStr;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// One key with its modifiers, normalised so that equal keys compare equal whatever quirks
/// the terminal has: letters are lowercase with Shift for uppercase, characters without
/// case carry no Shift, BackTab carries no Shift, a bare line feed is Ctrl+J.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct KeyChord {
    pub code: KeyCode,
    pub mods: KeyModifiers,
}

const NAMES: &[(&str, KeyCode)] = &[
    ("enter", KeyCode::Enter),
    ("return", KeyCode::Enter),
    ("esc", KeyCode::Esc),
    ("escape", KeyCode::Esc),
    ("tab", KeyCode::Tab),
    ("backtab", KeyCode::BackTab),
    ("backspace", KeyCode::Backspace),
    ("delete", KeyCode::Delete),
    ("del", KeyCode::Delete),
    ("insert", KeyCode::Insert),
    ("ins", KeyCode::Insert),
    ("home", KeyCode::Home),
    ("end", KeyCode::End),
    ("pageup", KeyCode::PageUp),
    ("pgup", KeyCode::PageUp),
    ("pagedown", KeyCode::PageDown),
    ("pgdn", KeyCode::PageDown),
    ("up", KeyCode::Up),
    ("down", KeyCode::Down),
    ("left", KeyCode::Left),
    ("right", KeyCode::Right),
    ("space", KeyCode::Char(' ')),
];

/// What a key string may be, for error messages.
pub const KEY_SYNTAX: &str = "a key is a single character (\"d\", \"?\", \"[\") or one of \
     enter, esc, tab, backtab, backspace, delete, insert, home, end, pageup, pagedown, up, \
     down, left, right, space, f1-f24, after any of ctrl+, alt+ and shift+ \
     (\"ctrl+shift+z\")";

impl KeyChord {
    /// A chord from its parts, normalised.
    pub fn new(code: KeyCode, mods: KeyModifiers) -> KeyChord {
        let mut mods = mods;
        let code = match code {
            KeyCode::Char('\n') if !mods.intersects(KeyModifiers::CONTROL | KeyModifiers::ALT) => {
                // Some consoles deliver Ctrl+J as a bare line feed.
                mods = KeyModifiers::CONTROL;
                KeyCode::Char('j')
            }
            KeyCode::Char(c) if c.is_uppercase() => {
                let mut lower = c.to_lowercase();
                match (lower.next(), lower.next()) {
                    (Some(l), None) => {
                        mods |= KeyModifiers::SHIFT;
                        KeyCode::Char(l)
                    }
                    _ => KeyCode::Char(c),
                }
            }
            KeyCode::Char(c) => {
                if !c.is_lowercase() {
                    // `?`, `!`, digits: the Shift that typed them is not part of the key.
                    mods.remove(KeyModifiers::SHIFT);
                }
                KeyCode::Char(c)
            }
            KeyCode::Tab if mods.contains(KeyModifiers::SHIFT) => {
                mods.remove(KeyModifiers::SHIFT);
                KeyCode::BackTab
            }
            KeyCode::BackTab => {
                mods.remove(KeyModifiers::SHIFT);
                KeyCode::BackTab
            }
            other => other,
        };
        KeyChord { code, mods }
    }

    /// The chord a terminal key event stands for.
    pub fn from_event(key: &KeyEvent) -> KeyChord {
        KeyChord::new(key.code, key.modifiers)
    }

    /// Parses a key string such as `ctrl+r`, `shift+tab`, `f12`, `?` or `ctrl++`.
    pub fn parse(s: &str) -> Result<KeyChord, String> {
        let bad = |why: String| format!("\"{s}\" is not a key: {why}");
        let mut rest = s.trim();
        if rest.is_empty() {
            return Err(
                "an empty string is not a key; write [] to leave an action without a key".into(),
            );
        }
        let mut mods = KeyModifiers::NONE;
        while let Some((head, tail)) = rest.split_once('+') {
            let head = head.trim();
            if head.is_empty() || tail.trim().is_empty() {
                break;
            }
            mods |= match head.to_ascii_lowercase().as_str() {
                "ctrl" | "control" => KeyModifiers::CONTROL,
                "alt" | "option" | "meta" => KeyModifiers::ALT,
                "shift" => KeyModifiers::SHIFT,
                _ => {
                    return Err(bad(format!(
                        "\"{head}\" is not a modifier; the modifiers are ctrl+, alt+ and shift+"
                    )))
                }
            };
            rest = tail.trim();
        }
        let mut chars = rest.chars();
        let code = match (chars.next(), chars.next()) {
            (Some(c), None) => {
                // With Ctrl or Alt, a letter's case is not Shift: `Ctrl+R` is `ctrl+r`.
                if mods.intersects(KeyModifiers::CONTROL | KeyModifiers::ALT) {
                    let mut lower = c.to_lowercase();
                    match (lower.next(), lower.next()) {
                        (Some(l), None) => KeyCode::Char(l),
                        _ => KeyCode::Char(c),
                    }
                } else {
                    KeyCode::Char(c)
                }
            }
            _ => {
                let name = rest.to_ascii_lowercase();
                match NAMES.iter().find(|(n, _)| *n == name) {
                    Some((_, code)) => *code,
                    None => match name.strip_prefix('f').and_then(|n| n.parse::<u8>().ok()) {
                        Some(n @ 1..=24) => KeyCode::F(n),
                        _ => return Err(bad(unknown_name(s))),
                    },
                }
            }
        };
        Ok(KeyChord::new(code, mods))
    }

    /// True when `key` is this chord.
    pub fn matches(&self, key: &KeyEvent) -> bool {
        KeyChord::from_event(key) == *self
    }

    /// A key event for this chord, as a terminal reports it (uppercase letters with Shift,
    /// BackTab with Shift), carrying `like`'s kind and state.
    pub fn to_event(&self, like: &KeyEvent) -> KeyEvent {
        let (code, modifiers) = match self.code {
            KeyCode::Char(c) if self.mods.contains(KeyModifiers::SHIFT) => {
                let mut upper = c.to_uppercase();
                match (upper.next(), upper.next()) {
                    (Some(u), None) => (KeyCode::Char(u), self.mods),
                    _ => (self.code, self.mods),
                }
            }
            KeyCode::BackTab => (KeyCode::BackTab, self.mods | KeyModifiers::SHIFT),
            code => (code, self.mods),
        };
        KeyEvent {
            code,
            modifiers,
            kind: like.kind,
            state: like.state,
        }
    }

    /// True for keys that type a character into a text field: a character without Ctrl or
    /// Alt (Shift is fine).
    pub fn types_text(&self) -> bool {
        matches!(self.code, KeyCode::Char(_))
            && !self.mods.intersects(
                KeyModifiers::CONTROL
                    | KeyModifiers::ALT
                    | KeyModifiers::SUPER
                    | KeyModifiers::HYPER
                    | KeyModifiers::META,
            )
    }
}

fn unknown_name(whole: &str) -> String {
    // `ctrl-r` is a common way to write it elsewhere.
    let parts: Vec<&str> = whole.trim().split('-').collect();
    if let Some((last, mods)) = parts.split_last() {
        let is_mod = |m: &&str| {
            matches!(
                m.to_ascii_lowercase().as_str(),
                "ctrl" | "control" | "alt" | "option" | "meta" | "shift"
            )
        };
        if !mods.is_empty() && mods.iter().all(is_mod) && !last.is_empty() {
            let plus = parts.join("+");
            if KeyChord::parse(&plus).is_ok() {
                return format!("write modifiers with + (\"{plus}\")");
            }
        }
    }
    KEY_SYNTAX.to_owned()
}

impl FromStr for KeyChord {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        KeyChord::parse(s)
    }
}

impl fmt::Display for KeyChord {
    /// The canonical key string: `ctrl+r`, `f12`, `shift+tab`, `ctrl+shift+z`, `space`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let m = self.mods;
        for (flag, name) in [
            (KeyModifiers::CONTROL, "ctrl+"),
            (KeyModifiers::ALT, "alt+"),
            (KeyModifiers::SUPER, "super+"),
            (KeyModifiers::HYPER, "hyper+"),
            (KeyModifiers::META, "meta+"),
        ] {
            if m.contains(flag) {
                f.write_str(name)?;
            }
        }
        if m.contains(KeyModifiers::SHIFT) || self.code == KeyCode::BackTab {
            f.write_str("shift+")?;
        }
        match self.code {
            KeyCode::Char(' ') => f.write_str("space"),
            KeyCode::Char(c) => write!(f, "{c}"),
            KeyCode::F(n) => write!(f, "f{n}"),
            KeyCode::BackTab => f.write_str("tab"),
            code => match NAMES.iter().find(|(_, c)| *c == code) {
                Some((name, _)) => f.write_str(name),
                None => write!(f, "{}", format!("{code:?}").to_ascii_lowercase()),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::testing::{chord, ev};

    #[test]
    fn key_strings_parse_and_print_canonically() {
        for (input, canonical) in [
            ("ctrl+r", "ctrl+r"),
            ("Ctrl+R", "ctrl+r"),
            ("CTRL+shift+z", "ctrl+shift+z"),
            ("shift+ctrl+z", "ctrl+shift+z"),
            ("f12", "f12"),
            ("F1", "f1"),
            ("shift+tab", "shift+tab"),
            ("backtab", "shift+tab"),
            ("Enter", "enter"),
            ("alt+enter", "alt+enter"),
            ("?", "?"),
            ("shift+?", "?"),
            ("[", "["),
            ("+", "+"),
            ("ctrl++", "ctrl++"),
            ("Q", "shift+q"),
            ("shift+q", "shift+q"),
            ("space", "space"),
            ("PageUp", "pageup"),
            ("esc", "esc"),
            ("escape", "esc"),
        ] {
            let c = chord(input);
            assert_eq!(c.to_string(), canonical, "{input}");
            assert_eq!(chord(canonical), c, "{canonical} round-trips");
        }
        assert_eq!(chord("shift+tab").code, KeyCode::BackTab);
    }

    #[test]
    fn bad_key_strings_say_why() {
        for (bad, says) in [
            ("", "[]"),
            ("ctrl+", "a key is a single character"),
            ("hyperspace", "a key is a single character"),
            ("f25", "a key is a single character"),
            ("ctrl--", "a key is a single character"),
            ("cmd+k", "not a modifier"),
            ("ctrl-r", "\"ctrl+r\""),
        ] {
            let e = KeyChord::parse(bad).unwrap_err();
            assert!(e.contains(says), "{bad}: {e}");
        }
    }

    #[test]
    fn letters_match_with_or_without_the_shift_the_terminal_sends() {
        let shift = KeyModifiers::SHIFT;
        let q = chord("shift+q");
        assert!(q.matches(&ev(KeyCode::Char('Q'), shift)));
        assert!(q.matches(&ev(KeyCode::Char('Q'), KeyModifiers::NONE)));
        assert!(q.matches(&ev(KeyCode::Char('q'), shift)));
        assert!(!q.matches(&ev(KeyCode::Char('q'), KeyModifiers::NONE)));
        // `?` arrives with Shift on most layouts.
        assert!(chord("?").matches(&ev(KeyCode::Char('?'), shift)));
    }
}
