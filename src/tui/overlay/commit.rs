//! Confirming a commit (`/commit`): the message and the files it would commit, shown
//! before anything reaches git. `y` or Enter commits, `n` or Esc does not.

use crossterm::event::{KeyCode, KeyEvent};
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};
use ratatui::Frame;

use super::{centered, global_action, Outcome, View};
use crate::keys::{Action, Keymap};

/// Files listed before the rest are counted.
const MAX_FILES: usize = 8;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommitConfirm {
    pub files: Vec<String>,
    /// Written by the fast server or typed by the user: cleaned when drawn.
    pub message: String,
}

impl CommitConfirm {
    pub fn on_key(&mut self, key: KeyEvent, keymap: &Keymap) -> Outcome {
        match global_action(keymap, &key) {
            Some(Action::CloseOrCancel) => return Outcome::CloseWith("Not committed".into()),
            Some(Action::CancelOrQuit) => return Outcome::NotConsumed,
            _ => {}
        }
        match key.code {
            KeyCode::Char('y') | KeyCode::Enter => Outcome::Commit {
                files: self.files.clone(),
                message: self.message.clone(),
            },
            KeyCode::Char('n') => Outcome::CloseWith("Not committed".into()),
            _ => Outcome::Consumed,
        }
    }

    pub fn render(&self, f: &mut Frame, area: Rect, view: &View) {
        let t = view.theme;
        let mut lines: Vec<Line> = self
            .message
            .lines()
            .map(|l| Line::styled(crate::text::terminal::line(l, "    ").into_owned(), t.text))
            .collect();
        lines.push(Line::default());
        for file in self.files.iter().take(MAX_FILES) {
            let path = crate::text::terminal::line(file, " ").into_owned();
            lines.push(Line::styled(format!("  {path}"), t.accent));
        }
        if self.files.len() > MAX_FILES {
            let more = self.files.len() - MAX_FILES;
            lines.push(Line::styled(format!("  and {more} more"), t.dim));
        }
        lines.push(Line::styled(
            "y or Enter commits · n or Esc does not",
            t.dim,
        ));
        let height = u16::try_from(lines.len() + 2).unwrap_or(u16::MAX);
        let r = centered(area, 80, height);
        f.render_widget(Clear, r);
        let b = Block::default()
            .borders(Borders::ALL)
            .border_style(t.border_focused)
            .title(" Commit these files? ");
        f.render_widget(Paragraph::new(lines).block(b).wrap(Wrap { trim: false }), r);
    }
}
