//! The list of workspace paths that pops up while an `@mention` (or a `/add` or `/drop`
//! argument) is typed at the end of the prompt. This module owns the list's state (what
//! it shows and which row is selected), where it goes on screen and how it is drawn;
//! when it opens and closes, and what accepting a row does to the text, is the prompt
//! editor's business (`input.rs`).

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Widget};

use super::theme::Theme;
use crate::text::terminal;
use crate::text::width::{graphemes, width};
use crate::workspace::complete::Suggestion;

/// Rows of matches at most.
pub const ROWS: usize = 8;

/// What the list shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Listing {
    /// The workspace's file list is still being read.
    Reading,
    /// The best matches, best first; empty when nothing matches.
    Found(Vec<Suggestion>),
}

/// The open list and its selection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MentionPopup {
    listing: Listing,
    selected: usize,
}

impl MentionPopup {
    pub fn new(listing: Listing) -> Self {
        Self {
            listing,
            selected: 0,
        }
    }

    /// The matches, empty while reading or when nothing matches.
    fn matches(&self) -> &[Suggestion] {
        match &self.listing {
            Listing::Found(found) => found,
            Listing::Reading => &[],
        }
    }

    /// True when there is a row to select: only then does the list take the keys that
    /// move, accept (Enter must still send a prompt whose `@word` matches nothing).
    pub fn has_matches(&self) -> bool {
        !self.matches().is_empty()
    }

    /// Moves the selection one row, wrapping at either end as the voice picker does.
    pub fn step(&mut self, down: bool) {
        let n = self.matches().len();
        if n == 0 {
            return;
        }
        self.selected = if down {
            (self.selected + 1) % n
        } else {
            (self.selected + n - 1) % n
        };
    }

    /// The selected path, as the index holds it (uncleaned: it goes into the prompt).
    pub fn selected_path(&self) -> Option<&str> {
        self.matches().get(self.selected).map(|s| s.path.as_str())
    }

    /// Rows of content: the matches, or one line saying why there are none.
    fn rows(&self) -> u16 {
        self.matches().len().clamp(1, ROWS) as u16
    }

    /// Draws the list just above `prompt` (below it where there is no room above), within
    /// `screen`, over whatever is there.
    pub fn render(&self, prompt: Rect, screen: Rect, buf: &mut Buffer, theme: &Theme) {
        let Some(area) = place(prompt, screen, self.rows() + 2) else {
            return;
        };
        Clear.render(area, buf);
        let block = Block::default()
            .borders(Borders::ALL)
            .border_style(theme.border_focused)
            .title(" ↑↓ select · Tab/Enter insert · Esc close ");
        let inner = block.inner(area);
        block.render(area, buf);
        for (y, line) in (inner.y..inner.bottom()).zip(self.lines(inner, theme)) {
            line.render(Rect::new(inner.x, y, inner.width, 1), buf);
        }
    }

    /// One line per visible row, the selected row always among them.
    fn lines(&self, inner: Rect, theme: &Theme) -> Vec<Line<'static>> {
        let found = match &self.listing {
            Listing::Reading => return vec![Line::styled(" reading the workspace…", theme.dim)],
            Listing::Found(found) if found.is_empty() => {
                return vec![Line::styled(" no matching files", theme.dim)]
            }
            Listing::Found(found) => found,
        };
        let visible = usize::from(inner.height).max(1);
        let first = (self.selected + 1).saturating_sub(visible);
        found
            .iter()
            .enumerate()
            .skip(first)
            .take(visible)
            .map(|(i, s)| row(s, usize::from(inner.width), i == self.selected, theme))
            .collect()
    }
}

/// Where a box `height` rows tall goes: above `prompt` if it fits there, else below it,
/// else on the roomier side, cut to fit. `None` when neither side has a row to spare.
fn place(prompt: Rect, screen: Rect, height: u16) -> Option<Rect> {
    let above = prompt.y.saturating_sub(screen.y);
    let below = screen.bottom().saturating_sub(prompt.bottom());
    let (up, h) = if above >= height {
        (true, height)
    } else if below >= height {
        (false, height)
    } else {
        (above >= below, above.max(below))
    };
    // A border and one row at the least.
    if h < 3 {
        return None;
    }
    let y = if up { prompt.y - h } else { prompt.bottom() };
    Some(Rect::new(prompt.x, y, prompt.width, h))
}

/// One match: the path cleaned for the terminal, cut from the left to `cells`, its
/// matched characters in the accent; the whole row in the selection colour if selected.
fn row(s: &Suggestion, cells: usize, selected: bool, theme: &Theme) -> Line<'static> {
    let (base, hit) = row_styles(theme, selected);
    // A space of margin on the left, as in the other lists.
    let pieces = cut_left(runs(&s.path, &s.matched), cells.saturating_sub(1));
    let mut spans = vec![Span::styled(" ", base)];
    spans.extend(
        pieces
            .into_iter()
            .map(|(text, matched)| Span::styled(text, if matched { hit } else { base })),
    );
    let line = Line::from(spans);
    if selected {
        // The selection colour runs to the box's edge.
        line.style(base)
    } else {
        line
    }
}

/// `path` as runs of matched and unmatched characters (`matched` holds char positions),
/// each run cleaned for the terminal: cleaning runs rather than the whole path keeps the
/// positions pointing at the characters they were computed for.
fn runs(path: &str, matched: &[u32]) -> Vec<(String, bool)> {
    let mut out: Vec<(String, bool)> = Vec::new();
    let mut run = String::new();
    let mut in_match = false;
    for (i, c) in path.chars().enumerate() {
        let hit = u32::try_from(i).is_ok_and(|i| matched.contains(&i));
        if hit != in_match && !run.is_empty() {
            out.push((clean(&run), in_match));
            run.clear();
        }
        in_match = hit;
        run.push(c);
    }
    if !run.is_empty() {
        out.push((clean(&run), in_match));
    }
    out
}

fn clean(text: &str) -> String {
    terminal::line(text, " ").into_owned()
}

/// The runs cut to `cells` from the left, `…` standing for what was cut: a path's end
/// (the file's name) says more than its start.
fn cut_left(runs: Vec<(String, bool)>, cells: usize) -> Vec<(String, bool)> {
    let total: usize = runs.iter().map(|(t, _)| width(t)).sum();
    if total <= cells {
        return runs;
    }
    let mut excess = total - cells.saturating_sub(1);
    let mut out = vec![("…".to_owned(), false)];
    for (text, matched) in runs {
        let mut kept = String::new();
        for (g, w) in graphemes(&text) {
            if excess > 0 {
                // A wide grapheme can take one cell more than was left to cut.
                excess = excess.saturating_sub(w);
            } else {
                kept.push_str(g);
            }
        }
        if !kept.is_empty() {
            out.push((kept, matched));
        }
    }
    if cells == 0 {
        out.clear();
    }
    out
}

/// A row's style and its matched characters' (bold as well, so that a theme without
/// colours still shows them).
fn row_styles(theme: &Theme, selected: bool) -> (Style, Style) {
    let base = if selected {
        theme.text.patch(theme.selected)
    } else {
        theme.text
    };
    (base, base.patch(theme.accent).add_modifier(Modifier::BOLD))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn suggestion(path: &str, matched: &[u32]) -> Suggestion {
        Suggestion {
            path: path.into(),
            score: 0,
            matched: matched.to_vec(),
        }
    }

    fn text(runs: &[(String, bool)]) -> String {
        runs.iter().map(|(t, _)| t.as_str()).collect()
    }

    #[test]
    fn runs_follow_the_matched_positions() {
        let r = runs("src/store.rs", &[0, 4, 5]);
        assert_eq!(
            r,
            [
                ("s".to_owned(), true),
                ("rc/".to_owned(), false),
                ("st".to_owned(), true),
                ("ore.rs".to_owned(), false)
            ]
        );
    }

    #[test]
    fn control_characters_in_a_name_are_dropped_and_positions_still_fit() {
        // The escape is char 2; the match on char 7 ('x') must still land on 'x'.
        let r = runs("a/\x1b[31mx.rs", &[7]);
        assert_eq!(text(&r), "a/[31mx.rs");
        assert!(r.contains(&("x".to_owned(), true)), "{r:?}");
        assert!(!text(&runs("a\u{202e}b\tc", &[])).contains('\u{202e}'));
    }

    #[test]
    fn long_paths_are_cut_from_the_left() {
        let r = runs("src/very/deep/folder/file.rs", &[21, 22]);
        let cut = cut_left(r, 12);
        assert_eq!(text(&cut), "…der/file.rs");
        assert_eq!(width(&text(&cut)), 12);
        assert!(cut.contains(&("fi".to_owned(), true)), "{cut:?}");
        // Short enough: untouched.
        assert_eq!(text(&cut_left(runs("a.rs", &[]), 4)), "a.rs");
        // Wide characters never overflow.
        let wide = cut_left(runs("日本語/ファイル.rs", &[]), 7);
        assert!(width(&text(&wide)) <= 7, "{wide:?}");
        assert!(text(&wide).starts_with('…'));
    }

    #[test]
    fn the_box_goes_above_then_below_then_on_the_roomier_side() {
        let screen = Rect::new(0, 0, 80, 24);
        let prompt = Rect::new(0, 20, 80, 3);
        assert_eq!(place(prompt, screen, 10), Some(Rect::new(0, 10, 80, 10)));
        let top = Rect::new(0, 1, 80, 3);
        assert_eq!(place(top, screen, 10), Some(Rect::new(0, 4, 80, 10)));
        let middle = Rect::new(0, 6, 80, 3);
        assert_eq!(
            place(middle, Rect::new(0, 0, 80, 12), 10),
            Some(Rect::new(0, 0, 80, 6))
        );
        assert_eq!(place(Rect::new(0, 1, 80, 22), screen, 10), None);
    }

    #[test]
    fn the_selection_wraps_and_stays_visible() {
        let found = (0..8)
            .map(|i| suggestion(&format!("f{i}.rs"), &[]))
            .collect();
        let mut p = MentionPopup::new(Listing::Found(found));
        p.step(false);
        assert_eq!(p.selected_path(), Some("f7.rs"));
        p.step(true);
        assert_eq!(p.selected_path(), Some("f0.rs"));
        p.step(false);
        // Three rows of room: the last three, the selected one included.
        let lines = p.lines(Rect::new(0, 0, 20, 3), &Theme::dark());
        let shown: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
        assert_eq!(shown, [" f5.rs", " f6.rs", " f7.rs"]);
    }

    #[test]
    fn matched_characters_take_the_accent() {
        let t = Theme::dark();
        let line = row(&suggestion("ab.rs", &[1]), 20, false, &t);
        let b = line.spans.iter().find(|s| s.content == "b").expect("a run");
        assert_eq!(b.style, row_styles(&t, false).1);
        let selected = row(&suggestion("ab.rs", &[1]), 20, true, &t);
        assert_eq!(selected.style, t.text.patch(t.selected));
    }
}
