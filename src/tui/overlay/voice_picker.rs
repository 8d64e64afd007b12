//! The voice picker (Ctrl+T): row 0 is "no voice", then the voices in order; arrows and
//! Enter, or a row's number.

use crossterm::event::{KeyCode, KeyEvent};
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};
use ratatui::Frame;

use super::{centered, global_action, Outcome, View};
use crate::keys::{Action, Keymap};
use crate::voice::Voice;

#[derive(Debug)]
pub struct VoicePicker {
    /// Name, server and description of each voice, in order.
    voices: Vec<(String, &'static str, String)>,
    selected: usize,
}

impl VoicePicker {
    /// Opens on the voice in use (`current`, an index into `voices`).
    pub fn new(voices: &[Voice], current: Option<usize>) -> VoicePicker {
        VoicePicker {
            voices: voices
                .iter()
                .map(|v| (v.name.clone(), v.backend.as_str(), v.description.clone()))
                .collect(),
            selected: current.map_or(0, |i| i + 1),
        }
    }

    pub fn selected(&self) -> usize {
        self.selected
    }

    pub fn on_key(&mut self, key: KeyEvent, keymap: &Keymap) -> Outcome {
        let rows = self.voices.len() + 1;
        match global_action(keymap, &key) {
            Some(Action::CloseOrCancel) => return Outcome::Close,
            Some(Action::CancelOrQuit) => return Outcome::NotConsumed,
            _ => {}
        }
        match key.code {
            KeyCode::Up => self.selected = (self.selected + rows - 1) % rows,
            KeyCode::Down => self.selected = (self.selected + 1) % rows,
            KeyCode::Enter => return Outcome::Voice(self.selected.checked_sub(1)),
            KeyCode::Char(c @ '0'..='9') => {
                let n = c as usize - '0' as usize;
                if n < rows {
                    return Outcome::Voice(n.checked_sub(1));
                }
            }
            _ => {}
        }
        Outcome::Consumed
    }

    pub fn render(&self, f: &mut Frame, area: Rect, view: &View) {
        let t = view.theme;
        let r = centered(area, 110, self.voices.len() as u16 + 4);
        f.render_widget(Clear, r);
        let mut lines = Vec::new();
        let none = Line::styled("0  neutral — no voice, no routing bias", t.dim);
        lines.push(if self.selected == 0 {
            none.style(t.selected)
        } else {
            none
        });
        for (i, (name, backend, description)) in self.voices.iter().enumerate() {
            let line = Line::from(vec![
                Span::styled(format!("{}  {:<12}", i + 1, name), t.title),
                Span::styled(format!("{backend:<9}"), t.accent),
                Span::raw(description.clone()),
            ]);
            lines.push(if self.selected == i + 1 {
                line.style(t.selected)
            } else {
                line
            });
        }
        let b = Block::default()
            .borders(Borders::ALL)
            .border_style(t.border_focused)
            .title(" Voice · ↑↓ Enter, or a number · Esc ");
        f.render_widget(Paragraph::new(lines).block(b), r);
    }
}
