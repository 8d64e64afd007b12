//! The conversation as the chat pane shows it: each entry laid out once per width and
//! cached (only the streaming answer is laid out again), drafts and reasoning folded.

use std::cell::RefCell;

use ratatui::style::Modifier;
use ratatui::text::{Line, Span};

use super::markdown::{self, MdStyles};
use super::theme::Theme;
use crate::backend::BackendId;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Who {
    User,
    Assistant,
    /// Something the app says: a command's result, an error it could not attach to an
    /// answer.
    Notice,
    /// A command run with `/run` or `/test`, its output in `Entry::run`.
    Run,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum State {
    Streaming,
    Done,
    Failed(String),
    Cancelled,
}

static NO_LINES: Vec<Line<'static>> = Vec::new();

pub struct Entry {
    pub who: Who,
    pub text: String,
    pub voice: Option<String>,
    pub backend: Option<BackendId>,
    pub model: Option<String>,
    pub cached: bool,
    /// A hybrid draft: streaming while it is judged, kept folded once replaced.
    pub draft: String,
    pub draft_backend: Option<BackendId>,
    /// The draft was escalated (so the text is the quality answer).
    pub escalated: bool,
    pub reasoning: String,
    pub state: State,
    /// A `/run` or `/test` entry's command and output (src/tui/run/).
    pub run: Option<Box<super::run::log::RunLog>>,
    layout: RefCell<Option<(u16, bool, Vec<Line<'static>>)>>,
}

impl Entry {
    pub fn new(who: Who, text: impl Into<String>) -> Self {
        Self {
            who,
            text: text.into(),
            voice: None,
            backend: None,
            model: None,
            cached: false,
            draft: String::new(),
            draft_backend: None,
            escalated: false,
            reasoning: String::new(),
            state: State::Done,
            run: None,
            layout: RefCell::new(None),
        }
    }

    pub fn assistant(voice: Option<String>) -> Self {
        Self {
            voice,
            state: State::Streaming,
            ..Self::new(Who::Assistant, "")
        }
    }

    /// Something changed: lay it out again on the next frame.
    pub fn touch(&self) {
        self.layout.replace(None);
    }

    pub fn streaming(&self) -> bool {
        self.state == State::Streaming
    }

    /// The lines for `width`, from the cache when the entry has not changed.
    pub fn lines(
        &self,
        width: u16,
        unfold: bool,
        theme: &Theme,
    ) -> std::cell::Ref<'_, Vec<Line<'static>>> {
        let fresh =
            matches!(&*self.layout.borrow(), Some((w, u, _)) if *w == width && *u == unfold);
        if !fresh {
            let lines = self.layout_lines(width, unfold, theme);
            self.layout.replace(Some((width, unfold, lines)));
        }
        std::cell::Ref::map(self.layout.borrow(), |l| {
            l.as_ref().map_or(&NO_LINES, |(_, _, lines)| lines)
        })
    }

    fn layout_lines(&self, width: u16, unfold: bool, theme: &Theme) -> Vec<Line<'static>> {
        if let Some(run) = &self.run {
            let mut out = run.lines(width, theme);
            out.push(Line::default());
            return out;
        }
        let md = &theme.markdown;
        let mut out = vec![self.header(theme)];
        if !self.reasoning.is_empty() {
            out.extend(folded(
                "thinking",
                &self.reasoning,
                width,
                unfold,
                md,
                theme,
            ));
        }
        let draft_shown = self.escalated || (self.text.is_empty() && !self.draft.is_empty());
        if draft_shown && !self.draft.is_empty() {
            if self.escalated {
                let label = format!(
                    "draft from {} that was replaced",
                    self.draft_backend.map_or("the fast server", |b| b.label())
                );
                out.extend(folded(&label, &self.draft, width, unfold, md, theme));
            } else {
                // Still being judged: shown as it streams, dimmed.
                let dim = MdStyles {
                    text: theme.dim,
                    ..*md
                };
                out.extend(markdown::render(&self.draft, width, &dim));
            }
        }
        if !self.text.is_empty() {
            let (shown, hidden) = tail(&self.text);
            if hidden > 0 {
                out.push(Line::styled(
                    format!(
                        "… {} KiB above are not laid out here; `codecrucible sessions export` has the whole answer",
                        hidden.div_ceil(1024)
                    ),
                    theme.dim,
                ));
            }
            out.extend(markdown::render(shown, width, md));
        }
        match &self.state {
            State::Streaming if self.text.is_empty() && self.draft.is_empty() => {
                out.push(Line::styled("…", theme.dim));
            }
            State::Failed(msg) => out.push(Line::styled(format!("✗ {msg}"), theme.error)),
            State::Cancelled => out.push(Line::styled(
                "(cancelled; the text above is kept)",
                theme.dim,
            )),
            _ => {}
        }
        out.push(Line::default());
        out
    }

    fn header(&self, theme: &Theme) -> Line<'static> {
        match self.who {
            Who::User => Line::from(Span::styled("You", theme.user)),
            Who::Notice | Who::Run => Line::from(Span::styled("CodeCrucible", theme.dim)),
            Who::Assistant => {
                let mut spans = vec![Span::styled(
                    self.voice.clone().unwrap_or_else(|| "Assistant".into()),
                    theme.assistant,
                )];
                if let Some(b) = self.backend {
                    let model = self.model.as_deref().unwrap_or("");
                    spans.push(Span::styled(
                        format!(" · {} · {model}", b.label()),
                        theme.dim,
                    ));
                }
                if self.escalated {
                    spans.push(Span::styled(" · escalated", theme.warn));
                }
                if self.cached {
                    spans.push(Span::styled(" · cached", theme.accent));
                }
                Line::from(spans)
            }
        }
    }
}

/// A folded section: one line saying what is hidden, or the whole text when unfolded.
fn folded(
    label: &str,
    text: &str,
    width: u16,
    unfold: bool,
    md: &MdStyles,
    theme: &Theme,
) -> Vec<Line<'static>> {
    let lines = text.lines().count();
    if !unfold {
        return vec![Line::styled(
            format!("▸ {label} ({lines} lines; d unfolds)"),
            theme.dim.add_modifier(Modifier::ITALIC),
        )];
    }
    let mut out = vec![Line::styled(format!("▾ {label}"), theme.dim)];
    let dim = MdStyles {
        text: theme.dim,
        ..*md
    };
    out.extend(
        markdown::render(text, width.saturating_sub(2), &dim)
            .into_iter()
            .map(|l| {
                let mut spans = vec![Span::styled("│ ", theme.dim)];
                spans.extend(l.spans);
                Line::from(spans)
            }),
    );
    out
}

/// Where the chat view is: following the stream at the bottom, or held where the user
/// scrolled (counted in lines from the bottom).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Scroll {
    pub from_bottom: usize,
}

impl Scroll {
    pub fn following(&self) -> bool {
        self.from_bottom == 0
    }

    pub fn up(&mut self, n: usize, total: usize, height: usize) {
        let max = total.saturating_sub(height);
        self.from_bottom = (self.from_bottom + n).min(max);
    }

    pub fn down(&mut self, n: usize) {
        self.from_bottom = self.from_bottom.saturating_sub(n);
    }
}
/// The most of one answer the chat lays out: markdown layout costs about a microsecond
/// a byte, and the streaming answer is laid out on every frame, so a hostile answer at the
/// answer cap (4 MiB) would hold each frame for seconds.
pub const LAID_OUT_MAX: usize = 256 * 1024;

/// The end of `text` that is laid out (the part a reader of a streaming answer is at), and
/// how many bytes before it are not.
fn tail(text: &str) -> (&str, usize) {
    if text.len() <= LAID_OUT_MAX {
        return (text, 0);
    }
    let mut cut = text.len() - LAID_OUT_MAX;
    while !text.is_char_boundary(cut) {
        cut += 1;
    }
    // Start on a line, so the first laid-out line is whole.
    if let Some(nl) = text[cut..].find('\n') {
        cut += nl + 1;
    }
    (&text[cut..], cut)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_end_of_a_huge_answer_is_laid_out() {
        let short = "a short answer\n";
        assert_eq!(tail(short), (short, 0));
        let line = "é and some text on a line\n";
        let huge = line.repeat(4 * 1024 * 1024 / line.len());
        let (shown, hidden) = tail(&huge);
        assert!(shown.len() <= LAID_OUT_MAX);
        assert_eq!(hidden + shown.len(), huge.len());
        assert!(shown.starts_with('é'), "starts on a whole line");
    }
}
