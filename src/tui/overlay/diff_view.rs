//! The diff view: the changes an answer proposes, file by file, as a highlighted unified
//! diff. It lists each file as its block streams in, shows the real diffs once the engine
//! has read them against the files, and lets the user keep or drop each file and hunk
//! before anything is written (DESIGN.md, "Acting on code": preview, then apply).
//!
//! Its keys are fixed, like the other small windows' (the keymap has no context for it):
//! `[`/`]` move between stops (file headers and hunks), space toggles one, `a` applies what
//! is selected, `x` rejects it all, Esc closes the view and keeps the proposal for `/diff`.
//! `a` and `x` wait for the answer to finish, so letters typed while it streams never
//! apply or reject anything.

use std::cell::Cell;

use crossterm::event::{KeyCode, KeyEvent};
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};
use ratatui::Frame;

use super::{global_action, Outcome, View};
use crate::edit::{DiffLine, Hunk};
use crate::keys::{Action, Keymap};
use crate::text::short::counted;
use crate::tui::edits::proposal::{FileState, Proposal, Proposed, Stage, Stop};
use crate::tui::theme::Theme;

/// Model text in the view: no control characters, tabs as four spaces (DESIGN.md,
/// "Untrusted input").
fn clean(s: &str) -> String {
    crate::text::terminal::line(s, "    ").into_owned()
}

#[derive(Debug)]
pub struct DiffView {
    pub proposal: Proposal,
    /// Index into the proposal's stops.
    cursor: usize,
    /// The first row shown.
    scroll: usize,
    /// Rows of diff the last frame had room for, and how far it could scroll.
    height: Cell<usize>,
    max_scroll: Cell<usize>,
}

impl DiffView {
    pub fn new(proposal: Proposal) -> DiffView {
        DiffView {
            proposal,
            cursor: 0,
            scroll: 0,
            height: Cell::new(20),
            max_scroll: Cell::new(usize::MAX),
        }
    }

    /// The stop under the cursor, if there is one.
    pub fn current(&self) -> Option<Stop> {
        let stops = self.proposal.stops();
        stops
            .get(self.cursor.min(stops.len().saturating_sub(1)))
            .copied()
    }

    pub fn on_key(&mut self, key: KeyEvent, keymap: &Keymap) -> Outcome {
        match global_action(keymap, &key) {
            Some(Action::CloseOrCancel) => return Outcome::Close,
            Some(Action::CancelOrQuit) => return Outcome::NotConsumed,
            Some(Action::ScrollUp) => return self.scroll_by(-10),
            Some(Action::ScrollDown) => return self.scroll_by(10),
            _ => {}
        }
        match key.code {
            KeyCode::Char('a') => return self.apply(),
            KeyCode::Char('x') => return self.reject(),
            KeyCode::Char(']') => self.step(true),
            KeyCode::Char('[') => self.step(false),
            KeyCode::Char(' ') => {
                if let Some(stop) = self.current() {
                    self.proposal.toggle(stop);
                }
            }
            KeyCode::Up => return self.scroll_by(-1),
            KeyCode::Down => return self.scroll_by(1),
            KeyCode::PageUp => return self.scroll_by(-10),
            KeyCode::PageDown => return self.scroll_by(10),
            KeyCode::Home => self.scroll = 0,
            KeyCode::End => self.scroll = self.max_scroll.get(),
            _ => {}
        }
        Outcome::Consumed
    }

    fn scroll_by(&mut self, rows: isize) -> Outcome {
        self.scroll = self
            .scroll
            .saturating_add_signed(rows)
            .min(self.max_scroll.get());
        Outcome::Consumed
    }

    /// Moves to the next or previous stop and brings it into view.
    fn step(&mut self, forward: bool) {
        let n = self.proposal.stops().len();
        if n == 0 {
            return;
        }
        let at = self.cursor.min(n - 1);
        self.cursor = if forward {
            (at + 1).min(n - 1)
        } else {
            at.saturating_sub(1)
        };
        if let Some(row) = self.stop_rows().get(self.cursor).copied() {
            let h = self.height.get().max(1);
            if row < self.scroll {
                self.scroll = row;
            } else if row >= self.scroll + h {
                self.scroll = row + 1 - h;
            }
        }
    }

    fn apply(&mut self) -> Outcome {
        match self.proposal.stage {
            Stage::Ready => {}
            other => return Outcome::Notice(refusal(other).into()),
        }
        let selection = self.proposal.selection();
        if selection.changes.is_empty() {
            return Outcome::Problem(
                "Nothing is selected to apply; space selects a file or a hunk".into(),
            );
        }
        self.proposal.stage = Stage::Applying;
        Outcome::Apply {
            changes: selection.changes,
            hunks: selection.hunks,
        }
    }

    fn reject(&mut self) -> Outcome {
        match self.proposal.stage {
            Stage::Ready => {
                self.proposal.stage = Stage::Rejected;
                Outcome::Reject
            }
            other => Outcome::Notice(refusal(other).into()),
        }
    }

    /// The row each stop is drawn on (rows do not depend on the width: lines are clipped,
    /// never wrapped).
    fn stop_rows(&self) -> Vec<usize> {
        let mut rows = Vec::new();
        let mut row = 0;
        for (i, f) in self.proposal.files.iter().enumerate() {
            if i > 0 {
                row += 1; // the blank line between files
            }
            match &f.state {
                FileState::Proposed(p) => {
                    rows.push(row);
                    row += 1;
                    for h in &p.diff.hunks {
                        if !p.whole_only() {
                            rows.push(row);
                        }
                        row += 1 + h.lines.len();
                    }
                }
                FileState::Applied { diff } => row += 1 + applied_lines(diff).count(),
                _ => row += 1,
            }
        }
        rows
    }

    pub fn render(&self, f: &mut Frame, area: Rect, view: &View) {
        let t = view.theme;
        // Over the panes, leaving the status bar (and its notices) in sight.
        let r = Rect::new(area.x, area.y, area.width, area.height.saturating_sub(1));
        f.render_widget(Clear, r);
        let block = Block::default()
            .borders(Borders::ALL)
            .border_style(t.border_focused)
            .title(self.title());
        let inner = block.inner(r);
        f.render_widget(block, r);
        let height = usize::from(inner.height.saturating_sub(1));
        self.height.set(height);
        let lines = self.lines(t);
        self.max_scroll.set(lines.len().saturating_sub(height));
        let scroll = self.scroll.min(self.max_scroll.get());
        let shown: Vec<Line> = lines.into_iter().skip(scroll).take(height).collect();
        let body = Rect::new(
            inner.x,
            inner.y,
            inner.width,
            inner.height.saturating_sub(1),
        );
        f.render_widget(Paragraph::new(shown), body);
        if inner.height > 0 {
            let at = Rect::new(inner.x, inner.bottom() - 1, inner.width, 1);
            f.render_widget(Line::styled(self.hint(), t.dim), at);
        }
    }

    fn title(&self) -> String {
        let files = self.proposal.files.len();
        let (kept, all) = self.proposal.counts();
        let stage = match self.proposal.stage {
            Stage::Streaming => "receiving",
            Stage::Ready => "proposed",
            Stage::Applying => "applying",
            Stage::Applied => "applied",
            Stage::Rejected => "rejected",
        };
        format!(
            " Changes · {stage} · {} · {kept} of {} selected ",
            counted(files, "file"),
            counted(all, "hunk")
        )
    }

    fn hint(&self) -> &'static str {
        match self.proposal.stage {
            Stage::Streaming => "the answer is arriving; a and x wait for it · Esc closes",
            Stage::Ready => {
                "[ ] move · space keeps or drops · a applies · x rejects · Esc closes (/diff reopens)"
            }
            Stage::Applying => "applying… · Esc closes",
            Stage::Applied => "applied · /undo reverts it · /commit commits it · Esc closes",
            Stage::Rejected => "rejected: nothing was written · Esc closes",
        }
    }

    /// Every row of the view, in order.
    fn lines(&self, t: &Theme) -> Vec<Line<'static>> {
        let cursor = self.current();
        let mut out = Vec::new();
        for (i, file) in self.proposal.files.iter().enumerate() {
            if i > 0 {
                out.push(Line::default());
            }
            let path = clean(&file.path);
            let at = |hunk| cursor == Some(Stop { file: i, hunk });
            match &file.state {
                FileState::Proposed(p) => {
                    out.push(proposed_header(&path, p, at(None), t));
                    for (h, hunk) in p.diff.hunks.iter().enumerate() {
                        let kept = p.keep.get(h).copied().unwrap_or(false);
                        let here = at(Some(h)) && !p.whole_only();
                        hunk_lines(&mut out, hunk, kept, here, t);
                    }
                }
                FileState::Applied { diff } => {
                    out.push(Line::from(vec![
                        Span::styled("  ✓ ", t.ok),
                        Span::styled(path, t.title),
                        Span::styled(" · applied", t.ok),
                    ]));
                    out.extend(applied_lines(diff).map(|l| text_line(l, t)));
                }
                FileState::Failed { why } => out.push(Line::from(vec![
                    Span::styled("  ✗ ", t.error),
                    Span::styled(path, t.title),
                    Span::styled(format!(" · failed: {}", clean(why)), t.error),
                ])),
                FileState::Receiving { done } => out.push(Line::from(vec![
                    Span::styled("  … ", t.dim),
                    Span::styled(path, t.title),
                    Span::styled(
                        if *done {
                            ": received, waiting for the diff…"
                        } else {
                            ": receiving…"
                        },
                        t.dim,
                    ),
                ])),
                FileState::Unchanged => out.push(Line::from(vec![
                    Span::styled("  = ", t.dim),
                    Span::styled(path, t.title),
                    Span::styled(" · no change", t.dim),
                ])),
            }
        }
        if out.is_empty() {
            out.push(Line::styled("  No changes proposed yet.", t.dim));
        }
        out
    }
}

/// Why `a` or `x` does nothing at this stage.
fn refusal(stage: Stage) -> &'static str {
    match stage {
        Stage::Streaming => "The answer is still arriving; wait for it to finish",
        Stage::Applying => "These changes are being applied",
        Stage::Applied => "These changes were applied already; /undo reverts them",
        Stage::Rejected => "These changes were rejected; ask again for new ones",
        Stage::Ready => "",
    }
}

/// `▸ [x] path · new file · 2 hunks · +3 -1`.
fn proposed_header(path: &str, p: &Proposed, here: bool, t: &Theme) -> Line<'static> {
    let mark = match (p.keep.iter().all(|k| *k), p.any_kept()) {
        (true, _) => "[x]",
        (false, true) => "[~]",
        (false, false) => "[ ]",
    };
    let mut spans = vec![
        Span::styled(if here { "▸ " } else { "  " }, t.accent),
        Span::styled(format!("{mark} "), t.accent),
        Span::styled(path.to_owned(), if here { t.selected } else { t.title }),
    ];
    if p.diff.is_new {
        spans.push(Span::styled(" · new file", t.ok));
    }
    if p.diff.is_deleted {
        spans.push(Span::styled(" · deleted", t.error));
    }
    spans.push(Span::styled(
        format!(" · {} · ", counted(p.diff.hunks.len(), "hunk")),
        t.dim,
    ));
    spans.push(Span::styled(format!("+{}", p.diff.added()), t.ok));
    spans.push(Span::styled(format!(" -{}", p.diff.removed()), t.error));
    Line::from(spans)
}

/// A hunk's header and lines; a hunk left out is dimmed and struck through.
fn hunk_lines(out: &mut Vec<Line<'static>>, hunk: &Hunk, kept: bool, here: bool, t: &Theme) {
    let dropped = Style::default().add_modifier(Modifier::DIM | Modifier::CROSSED_OUT);
    let style = |s: Style| if kept { s } else { t.dim.patch(dropped) };
    let head = if here { t.selected } else { style(t.accent) };
    out.push(Line::from(vec![
        Span::styled(if here { "▸ " } else { "  " }, t.accent),
        Span::styled(hunk.header(), head),
        Span::styled(if kept { "" } else { "  (left out)" }, t.dim),
    ]));
    for l in &hunk.lines {
        let (sign, s) = match l {
            DiffLine::Context(_) => (' ', t.text),
            DiffLine::Removed(_) => ('-', t.error),
            DiffLine::Added(_) => ('+', t.ok),
        };
        out.push(Line::styled(
            format!("    {sign}{}", clean(l.text())),
            style(s),
        ));
    }
}

/// An applied file's diff lines, without its `---`/`+++` header.
fn applied_lines(diff: &str) -> impl Iterator<Item = &str> {
    diff.lines()
        .filter(|l| !l.starts_with("--- ") && !l.starts_with("+++ "))
}

/// One line of a unified diff's text, coloured by its first character.
fn text_line(l: &str, t: &Theme) -> Line<'static> {
    let style = match l.chars().next() {
        Some('+') => t.ok,
        Some('-') => t.error,
        Some('@') => t.accent,
        _ => t.text,
    };
    Line::styled(format!("    {}", clean(l)), style)
}
