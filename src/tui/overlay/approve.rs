//! Approving a command the assistant wants to run (`sandbox.approval = "ask"`, DESIGN.md
//! "Acting on code"): the command and what it is for, shown before anything runs. `y` or
//! Enter runs it (in the sandbox), `n` or Esc does not; either answer goes to the engine.

use crossterm::event::{KeyCode, KeyEvent};
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};
use ratatui::Frame;

use super::{centered, global_action, Outcome, View};
use crate::engine::RequestId;
use crate::keys::{Action, Keymap};

/// The most lines of a command shown (a demonstration's code can be long).
const MAX_COMMAND_LINES: usize = 16;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApproveCommand {
    /// The request that asks.
    pub id: RequestId,
    /// Untrusted (the project's test command): cleaned when drawn.
    pub argv: Vec<String>,
    pub why: String,
}

impl ApproveCommand {
    pub fn on_key(&mut self, key: KeyEvent, keymap: &Keymap) -> Outcome {
        let no = Outcome::Approve {
            id: self.id,
            run: false,
        };
        match global_action(keymap, &key) {
            Some(Action::CloseOrCancel) => return no,
            Some(Action::CancelOrQuit) => return Outcome::NotConsumed,
            _ => {}
        }
        match key.code {
            KeyCode::Char('y') | KeyCode::Enter => Outcome::Approve {
                id: self.id,
                run: true,
            },
            KeyCode::Char('n') => no,
            _ => Outcome::Consumed,
        }
    }

    pub fn render(&self, f: &mut Frame, area: Rect, view: &View) {
        let t = view.theme;
        // A demonstration's code is shown whole enough to judge, line by line.
        let command = crate::text::terminal::command_lines(&self.argv, MAX_COMMAND_LINES);
        let why = crate::text::terminal::line(&self.why, " ").into_owned();
        let mut lines: Vec<Line> = command
            .into_iter()
            .enumerate()
            .map(|(i, l)| {
                let prefix = if i == 0 { "$ " } else { "  " };
                Line::styled(format!("{prefix}{l}"), t.accent)
            })
            .collect();
        let height = lines.len() as u16 + 5;
        lines.extend([
            Line::styled(why, t.text),
            Line::default(),
            Line::styled(
                "y or Enter runs it in the sandbox · n or Esc does not",
                t.dim,
            ),
        ]);
        let r = centered(area, 80, height);
        f.render_widget(Clear, r);
        let b = Block::default()
            .borders(Borders::ALL)
            .border_style(t.border_focused)
            .title(" Run this command? ");
        f.render_widget(Paragraph::new(lines).block(b).wrap(Wrap { trim: false }), r);
    }
}
