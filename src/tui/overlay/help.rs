//! Help (F12, or `?` on an empty input): every key as the user's config binds it, the
//! keys no config changes, and the slash commands. Two columns: the keys in one sized to
//! fit them (a long list of keys wraps within it), what they do in the other, wrapped
//! within the window; it scrolls when it is taller than the screen.

use std::cell::Cell;

use crossterm::event::{KeyCode, KeyEvent};
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};
use ratatui::Frame;

use super::{centered, global_action, Outcome, View};
use crate::keys::{Action, Keymap};
use crate::tui::commands::COMMANDS;
use crate::tui::theme::Theme;

/// Keys that are not in the keymap: they type text, or belong to a small window.
const FIXED_KEYS: &[(&str, &str)] = &[
    ("? (empty input)", "this help"),
    ("↑↓ Enter 0–9 (voice picker)", "choose a voice"),
    ("y (deleting a session)", "confirm; any other key keeps it"),
    (
        "[ ] space (diff view)",
        "move between files and hunks; keep or leave out the one under the cursor",
    ),
    (
        "a x Esc (diff view)",
        "apply what is kept; reject it all; close (/diff reopens it)",
    ),
    ("y Enter / n Esc (commit)", "commit; do not commit"),
];

/// The widest the window gets.
const WIDTH: u16 = 100;
/// The key column's share of the window at most, so descriptions keep room to read.
const KEY_SHARE: (usize, usize) = (1, 3);
/// Space before the keys and between the columns.
const INDENT: usize = 2;
const GAP: usize = 1;

#[derive(Debug, Default)]
pub struct Help {
    scroll: u16,
    /// How far it can scroll, as the last frame laid it out.
    max_scroll: Cell<Option<u16>>,
}

impl Help {
    pub fn scroll(&self) -> u16 {
        self.scroll
    }

    pub fn on_key(&mut self, key: KeyEvent, keymap: &Keymap) -> Outcome {
        let global = global_action(keymap, &key);
        match global {
            Some(Action::CloseOrCancel | Action::Help) => return Outcome::Close,
            Some(Action::CancelOrQuit) => return Outcome::NotConsumed,
            Some(Action::ScrollUp) => self.scroll_by(-10),
            Some(Action::ScrollDown) => self.scroll_by(10),
            _ => match key.code {
                KeyCode::Up => self.scroll_by(-1),
                KeyCode::Down => self.scroll_by(1),
                KeyCode::PageUp => self.scroll_by(-10),
                KeyCode::PageDown => self.scroll_by(10),
                KeyCode::Home => self.scroll = 0,
                KeyCode::End => self.scroll = self.max_scroll.get().unwrap_or(0),
                KeyCode::Esc | KeyCode::Char('?' | 'q') | KeyCode::Enter => return Outcome::Close,
                _ => {}
            },
        }
        Outcome::Consumed
    }

    fn scroll_by(&mut self, rows: i32) {
        let max = self.max_scroll.get().unwrap_or(u16::MAX);
        let to = (i32::from(self.scroll) + rows).clamp(0, i32::from(max));
        self.scroll = u16::try_from(to).unwrap_or(max);
    }

    pub fn render(&self, f: &mut Frame, area: Rect, view: &View) {
        let t = view.theme;
        let width = WIDTH.min(area.width);
        let inner_w = usize::from(width.saturating_sub(2));
        let lines = lines(view.keymap, t, inner_w);
        let r = centered(area, width, lines.len() as u16 + 2);
        f.render_widget(Clear, r);
        let inner_h = r.height.saturating_sub(2);
        let max_scroll = (lines.len() as u16).saturating_sub(inner_h);
        self.max_scroll.set(Some(max_scroll));
        let scroll = self.scroll.min(max_scroll);
        let title = if max_scroll > 0 {
            " Help · ↑↓ scroll · Esc closes "
        } else {
            " Help · Esc closes "
        };
        let b = Block::default()
            .borders(Borders::ALL)
            .border_style(t.border_focused)
            .title(title);
        f.render_widget(Paragraph::new(lines).block(b).scroll((scroll, 0)), r);
    }
}

/// Every row of help laid out for `width` columns.
fn lines(keymap: &Keymap, t: &Theme, width: usize) -> Vec<Line<'static>> {
    let rows = keymap.rows();
    let commands: Vec<(String, &str)> = COMMANDS
        .iter()
        .map(|(name, args, what)| (format!("{name} {args}").trim_end().to_owned(), *what))
        .collect();
    let widest = rows
        .iter()
        .map(|(_, _, keys, _)| text_width(keys))
        .chain(FIXED_KEYS.iter().map(|(k, _)| text_width(k)))
        .chain(commands.iter().map(|(k, _)| text_width(k)))
        .max()
        .unwrap_or(0);
    let key_w = widest
        .min(width * KEY_SHARE.0 / KEY_SHARE.1)
        .min(width.saturating_sub(INDENT + GAP + 1))
        .max(1);
    let what_w = width.saturating_sub(INDENT + key_w + GAP).max(1);
    let row = |out: &mut Vec<Line<'static>>, keys: &str, what: &str| {
        let keys = wrap(keys, key_w);
        let what = wrap(what, what_w);
        for i in 0..keys.len().max(what.len()) {
            let k = keys.get(i).map_or("", String::as_str);
            let pad = key_w.saturating_sub(text_width(k));
            out.push(Line::from(vec![
                Span::styled(format!("{:INDENT$}{k}{:pad$}{:GAP$}", "", "", ""), t.accent),
                Span::raw(what.get(i).cloned().unwrap_or_default()),
            ]));
        }
    };
    // The keys as the user's config binds them, by where they act.
    let mut out = Vec::new();
    let mut context = None;
    for (ctx, _, keys, what) in &rows {
        if context != Some(*ctx) {
            out.push(Line::styled(format!("Keys {}", ctx.describe()), t.title));
            context = Some(*ctx);
        }
        row(&mut out, keys, what);
    }
    for (k, what) in FIXED_KEYS {
        row(&mut out, k, what);
    }
    out.push(Line::styled("Commands (Tab completes)", t.title));
    for (k, what) in &commands {
        row(&mut out, k, what);
    }
    out
}

fn text_width(s: &str) -> usize {
    Span::raw(s).width()
}

/// `text` in lines of at most `width` columns, broken at spaces; a word wider than that
/// is broken where it must be.
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split(' ').filter(|w| !w.is_empty()) {
        let sep = usize::from(!line.is_empty());
        if text_width(&line) + sep + text_width(word) <= width {
            if sep == 1 {
                line.push(' ');
            }
            line.push_str(word);
            continue;
        }
        if !line.is_empty() {
            lines.push(std::mem::take(&mut line));
        }
        for c in word.chars() {
            if text_width(&line) + text_width(c.encode_utf8(&mut [0; 4])) > width {
                lines.push(std::mem::take(&mut line));
            }
            line.push(c);
        }
    }
    if !line.is_empty() || lines.is_empty() {
        lines.push(line);
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrapping_breaks_at_spaces_and_splits_only_words_too_wide() {
        assert_eq!(
            wrap("ctrl+j / alt+enter / shift+enter", 20),
            ["ctrl+j / alt+enter /", "shift+enter"]
        );
        assert_eq!(wrap("abcdefgh", 3), ["abc", "def", "gh"]);
        assert_eq!(wrap("", 5), [""]);
    }
}
