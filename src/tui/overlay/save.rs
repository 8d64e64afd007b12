//! Asking where to save the selected code block. A file that exists is never overwritten
//! silently: the runner reports it, and the prompt comes back asking to confirm.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};
use ratatui::Frame;

use super::{centered, global_action, Outcome, View};
use crate::keys::{Action, Keymap};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SavePrompt {
    pub path: String,
    /// The code block to save, taken when the prompt opened: a stream or an escalation
    /// may change the selection while the user types the path.
    pub text: String,
    pub error: Option<String>,
    /// Enter overwrites: the user was told the file exists.
    pub overwrite: bool,
}

impl SavePrompt {
    pub fn new(path: String, text: String) -> SavePrompt {
        SavePrompt {
            path,
            text,
            error: None,
            overwrite: false,
        }
    }

    /// The file exists: Enter now overwrites it, Esc keeps it.
    pub fn exists(path: &str, text: String) -> SavePrompt {
        SavePrompt {
            path: path.to_owned(),
            text,
            error: Some(format!("{path} exists — Enter overwrites it, Esc keeps it")),
            overwrite: true,
        }
    }

    /// Pasted text: its first line joins the path.
    pub fn paste(&mut self, text: &str) {
        self.path.push_str(text.lines().next().unwrap_or(""));
        self.edited();
    }

    pub fn on_key(&mut self, key: KeyEvent, keymap: &Keymap) -> Outcome {
        let types = matches!(key.code, KeyCode::Char(_))
            && !key
                .modifiers
                .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT);
        match global_action(keymap, &key).filter(|_| !types) {
            Some(Action::CloseOrCancel) => return Outcome::Close,
            Some(Action::CancelOrQuit) => return Outcome::NotConsumed,
            _ => {}
        }
        match key.code {
            KeyCode::Enter if self.path.trim().is_empty() => {
                self.error = Some("Type a file path".into());
            }
            KeyCode::Enter => {
                return Outcome::Save {
                    path: self.path.trim().to_owned(),
                    text: std::mem::take(&mut self.text),
                    overwrite: self.overwrite,
                }
            }
            KeyCode::Backspace => {
                self.path.pop();
                self.edited();
            }
            KeyCode::Char(c) if types => {
                self.path.push(c);
                self.edited();
            }
            _ => {}
        }
        Outcome::Consumed
    }

    /// A changed path is a new question: no error, and no leave to overwrite.
    fn edited(&mut self) {
        self.error = None;
        self.overwrite = false;
    }

    pub fn render(&self, f: &mut Frame, area: Rect, view: &View) {
        let t = view.theme;
        let r = centered(area, 70, 5);
        f.render_widget(Clear, r);
        let mut lines = vec![Line::from(vec![
            Span::styled("path: ", t.dim),
            Span::styled(
                self.path.clone(),
                Style::default().add_modifier(Modifier::BOLD),
            ),
            Span::styled("▏", t.accent),
        ])];
        lines.push(match &self.error {
            Some(e) => Line::styled(e.clone(), t.error),
            None => Line::styled(
                "Enter saves · Esc cancels · an existing file is never overwritten silently",
                t.dim,
            ),
        });
        let b = Block::default()
            .borders(Borders::ALL)
            .border_style(t.border_focused)
            .title(" Save code block ");
        f.render_widget(Paragraph::new(lines).block(b), r);
    }
}
