//! The session history browser (Ctrl+R, /resume): the filter as typed, the sessions it
//! matches, the highlighted one's preview. Searches and reads run off the draw path (the
//! runner does them on the blocking pool); each search reply carries the generation it
//! answers, so only the newest search is shown.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::Line;
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};
use ratatui::Frame;

use super::{Outcome, View};
use crate::keys::{Action, Context, Keymap};
use crate::store::DecisionKind;
use crate::store::{BrowseRow, SessionId};
use crate::text::width::clip;
use crate::tui::effects::{Effect, Preview, Reply};

#[derive(Debug, Default)]
pub struct Browser {
    pub filter: String,
    pub rows: Vec<BrowseRow>,
    pub selected: usize,
    pub preview: Option<Preview>,
    /// The newest search asked for; older replies are dropped.
    generation: u64,
    /// Still waiting for the first results.
    pub searching: bool,
    /// Asking "delete session N?".
    pub confirm_delete: bool,
}

impl Browser {
    /// Opens with every session listed: the first search is the runner's to do.
    pub fn open() -> (Browser, Effect) {
        let mut b = Browser {
            searching: true,
            ..Browser::default()
        };
        let search = b.search();
        (b, search)
    }

    pub fn selected_id(&self) -> Option<SessionId> {
        self.rows.get(self.selected).map(|r| r.id)
    }

    /// A search for the filter as it is now; it overtakes every earlier one.
    pub fn search(&mut self) -> Effect {
        self.generation += 1;
        Effect::Browse {
            filter: self.filter.clone(),
            generation: self.generation,
        }
    }

    /// The highlighted session's preview, unless it is the one shown.
    fn preview_selected(&mut self) -> Outcome {
        match self.selected_id() {
            Some(id) if self.preview.as_ref().map(|p| p.id) != Some(id) => {
                Outcome::Run(Effect::Preview(id))
            }
            Some(_) => Outcome::Consumed,
            None => {
                self.preview = None;
                Outcome::Consumed
            }
        }
    }

    /// Typed letters always go to the filter; the actions are on keys that type nothing.
    pub fn on_key(&mut self, key: KeyEvent, keymap: &Keymap) -> Outcome {
        if self.confirm_delete {
            self.confirm_delete = false;
            return match (key.code, self.selected_id()) {
                (KeyCode::Char('y' | 'Y'), Some(id)) => Outcome::Delete(id),
                _ => Outcome::Notice("Kept the session".into()),
            };
        }
        let types = matches!(key.code, KeyCode::Char(_))
            && !key
                .modifiers
                .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT);
        let action = keymap.action(Context::Browser, &key).filter(|_| !types);
        let run = |effect: Option<Effect>| effect.map_or(Outcome::Consumed, Outcome::Run);
        match action {
            Some(Action::BrowserClose) => Outcome::Close,
            Some(Action::BrowserUp) => {
                self.selected = self.selected.saturating_sub(1);
                self.preview_selected()
            }
            Some(Action::BrowserDown) => {
                self.selected = (self.selected + 1).min(self.rows.len().saturating_sub(1));
                self.preview_selected()
            }
            Some(Action::Resume) => run(self.selected_id().map(Effect::Resume)),
            Some(Action::Export) => run(self.selected_id().map(Effect::Export)),
            Some(Action::Delete) => {
                self.confirm_delete = self.selected_id().is_some();
                Outcome::Consumed
            }
            _ => match key.code {
                KeyCode::Backspace => {
                    self.filter.pop();
                    Outcome::Run(self.search())
                }
                KeyCode::Char(c) if types => {
                    self.filter.push(c);
                    Outcome::Run(self.search())
                }
                // Ctrl+C and the like: the app's.
                _ if key.modifiers.contains(KeyModifiers::CONTROL) => Outcome::NotConsumed,
                _ => Outcome::Consumed,
            },
        }
    }

    /// The runner's answer to a search or a preview; `reply` back for any other.
    pub fn on_reply(&mut self, reply: Reply) -> Result<Outcome, Reply> {
        match reply {
            Reply::Rows { generation, rows } if generation == self.generation => match rows {
                Ok(rows) => {
                    self.rows = rows;
                    self.searching = false;
                    self.selected = 0;
                    self.preview = None;
                    Ok(self.preview_selected())
                }
                Err(e) => Ok(Outcome::Problem(e)),
            },
            // An older search, overtaken by typing.
            Reply::Rows { .. } => Ok(Outcome::Consumed),
            Reply::Preview(Ok(p)) => {
                if self.selected_id() == Some(p.id) {
                    self.preview = Some(p);
                }
                Ok(Outcome::Consumed)
            }
            Reply::Preview(Err(e)) => Ok(Outcome::Problem(e)),
            other => Err(other),
        }
    }

    pub fn render(&self, f: &mut Frame, area: Rect, view: &View) {
        let t = view.theme;
        // Everything but the status bar.
        let r = Rect::new(area.x, area.y, area.width, area.height.saturating_sub(1));
        f.render_widget(Clear, r);
        let title = if self.confirm_delete {
            format!(
                " Delete session {}? y deletes, any other key keeps it ",
                self.selected_id().unwrap_or(0)
            )
        } else {
            format!(" History · filter: {}▏ · Enter resume · Ctrl+E export · Ctrl+D delete · ⇡ escalated · Esc ", self.filter)
        };
        let frame = Block::default()
            .borders(Borders::ALL)
            .border_style(if self.confirm_delete {
                t.error
            } else {
                t.border_focused
            })
            .title(title);
        let inner = frame.inner(r);
        f.render_widget(frame, r);
        let [list, preview] =
            Layout::horizontal([Constraint::Percentage(45), Constraint::Percentage(55)])
                .areas(inner);
        self.render_list(f, list, view);
        self.render_preview(f, preview, view);
    }

    fn render_list(&self, f: &mut Frame, area: Rect, view: &View) {
        let t = view.theme;
        if self.rows.is_empty() {
            let msg = if self.searching {
                "Searching…".to_owned()
            } else if self.filter.is_empty() {
                "No sessions yet: every conversation is saved here.".to_owned()
            } else {
                format!("No session mentions \"{}\".", self.filter)
            };
            f.render_widget(
                Paragraph::new(Line::styled(msg, t.dim)).wrap(Wrap { trim: true }),
                area,
            );
            return;
        }
        // Two rows a session; keep the selected one in view.
        let per_page = usize::from(area.height / 2).max(1);
        let first = self.selected.saturating_sub(per_page - 1);
        let mut lines = Vec::new();
        for (i, row) in self.rows.iter().enumerate().skip(first).take(per_page) {
            let style = if i == self.selected {
                t.selected
            } else {
                t.text
            };
            let w = usize::from(area.width);
            let mark = if row.escalated { "⇡" } else { " " };
            lines.push(Line::styled(
                clip(&format!("{:>5} {mark} {}", row.id, row.title), w),
                style,
            ));
            let meta = format!(
                "        {} · {} msgs · {} · {}",
                crate::store::export::date(row.updated_at_ms),
                row.messages,
                row.voice.as_deref().unwrap_or("neutral"),
                if row.backends.is_empty() {
                    "–".to_owned()
                } else {
                    row.backends.join("+")
                },
            );
            lines.push(Line::styled(clip(&meta, w), t.dim));
        }
        f.render_widget(Paragraph::new(lines), area);
    }

    fn render_preview(&self, f: &mut Frame, area: Rect, view: &View) {
        let t = view.theme;
        let block = Block::default()
            .borders(Borders::LEFT)
            .border_style(t.border);
        let inner = block.inner(area);
        f.render_widget(block, area);
        let Some(p) = &self.preview else {
            return;
        };
        let mut lines = Vec::new();
        for d in p.decisions.iter().filter(|d| d.kind == DecisionKind::Route) {
            if let Some(why) = d.data.get("reasoning").and_then(|v| v.as_str()) {
                lines.push(Line::styled(format!("routed: {why}"), t.accent));
            }
        }
        for d in p
            .decisions
            .iter()
            .filter(|d| d.kind == DecisionKind::Confidence)
        {
            let num = |k: &str| d.data.get(k).and_then(|v| v.as_f64()).unwrap_or(0.0);
            let text = format!(
                "draft confidence {:.2} (threshold {:.2})",
                num("score"),
                num("threshold")
            );
            lines.push(Line::styled(text, t.dim));
        }
        for d in p
            .decisions
            .iter()
            .filter(|d| matches!(d.kind, DecisionKind::Escalate | DecisionKind::Fallback))
        {
            let side = |k: &str| {
                d.data
                    .get(k)
                    .and_then(|v| v.as_str())
                    .unwrap_or("?")
                    .to_owned()
            };
            let what = if d.kind == DecisionKind::Escalate {
                "escalated"
            } else {
                "fell back"
            };
            lines.push(Line::styled(
                format!("{what} {} → {}", side("from"), side("to")),
                t.warn,
            ));
        }
        for op in &p.operations {
            lines.push(Line::styled(operation(op), t.dim));
        }
        for m in &p.messages {
            let style = match m.role.as_str() {
                "user" => t.user,
                _ => t.assistant,
            };
            lines.push(Line::styled(crate::store::export::label(m), style));
            for l in m.content.lines() {
                lines.push(Line::raw(l.to_owned()));
            }
            lines.push(Line::default());
        }
        f.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), inner);
    }
}

/// One audit entry as the preview lists it, cleaned: every part came from the store.
fn operation(op: &crate::store::AuditEntry) -> String {
    crate::text::terminal::line(&op.summary(), " ").into_owned()
}
