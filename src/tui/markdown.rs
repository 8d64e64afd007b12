//! Markdown to ratatui lines for the chat pane, laid out for one width.
//!
//! The chat pane re-lays out only the live, streaming message on each frame and caches
//! finished ones per width, so [`render`] is a pure function of `(markdown, width, styles)`
//! that tolerates half-written markdown (an unclosed fence, a dangling `**`, a list item with
//! no text yet): pulldown-cmark closes every open block at the end of its input.
//!
//! Choices worth knowing:
//! - A soft break (a single newline inside a paragraph) starts a new line, as chat front ends
//!   do: models use single newlines on purpose and almost never hard-wrap prose.
//! - Code blocks are shown plainly (syntax colour lives in the code pane) and are never
//!   wrapped: code lines may be wider than `width` and are clipped by the widget.
//! - Widths are measured per grapheme with ratatui's own width rules, so what we measure is
//!   what the buffer draws.

use pulldown_cmark::{Alignment, CodeBlockKind, Event, HeadingLevel, Options, Parser, Tag, TagEnd};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};

use crate::text::width;

/// The styles the chat pane uses for markdown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MdStyles {
    pub text: Style,
    /// `#`, `##`, and `###` (deeper headings use the third).
    pub heading: [Style; 3],
    pub emphasis: Style,
    pub strong: Style,
    /// Inline `code`.
    pub code: Style,
    /// Lines of fenced and indented code blocks.
    pub code_block: Style,
    pub link: Style,
    pub quote: Style,
    pub list_marker: Style,
    pub rule: Style,
    /// Link targets, code block language labels, table borders.
    pub dim: Style,
}

impl Default for MdStyles {
    /// Named and indexed colours only, so a 256-colour terminal shows the same thing.
    fn default() -> Self {
        Self {
            text: Style::new(),
            heading: [
                Style::new()
                    .fg(Color::LightCyan)
                    .add_modifier(Modifier::BOLD | Modifier::UNDERLINED),
                Style::new()
                    .fg(Color::LightCyan)
                    .add_modifier(Modifier::BOLD),
                Style::new().fg(Color::Cyan).add_modifier(Modifier::BOLD),
            ],
            emphasis: Style::new().add_modifier(Modifier::ITALIC),
            strong: Style::new().add_modifier(Modifier::BOLD),
            code: Style::new().fg(Color::Indexed(180)),
            code_block: Style::new().fg(Color::Indexed(223)),
            link: Style::new()
                .fg(Color::LightBlue)
                .add_modifier(Modifier::UNDERLINED),
            quote: Style::new().fg(Color::Indexed(108)),
            list_marker: Style::new().fg(Color::LightBlue),
            rule: Style::new().fg(Color::DarkGray),
            dim: Style::new().fg(Color::DarkGray),
        }
    }
}

/// Lays `md` out as lines at most `width` columns wide (code lines excepted, see the module
/// docs). Blocks are separated by one blank line; there is none at the very end. A width
/// of 0 is treated as 1.
pub fn render(md: &str, width: u16, styles: &MdStyles) -> Vec<Line<'static>> {
    render_marked(md, width, styles)
        .into_iter()
        .map(|r| r.line)
        .collect()
}

fn options() -> Options {
    Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH | Options::ENABLE_TASKLISTS
}

// ---------------------------------------------------------------------------------------
// Rendering

/// What a rendered line is; the property tests need to tell code lines (never wrapped)
/// from the rest, and trailing blank lines are trimmed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Prose,
    Code,
    Blank,
}

#[derive(Debug)]
struct Rendered {
    line: Line<'static>,
    kind: Kind,
}

fn render_marked(md: &str, width: u16, styles: &MdStyles) -> Vec<Rendered> {
    let mut renderer = Renderer::new(usize::from(width).max(1), styles);
    for event in Parser::new_ext(md, options()) {
        renderer.event(event);
    }
    renderer.finish()
}

/// Below this many columns for text, deep nesting gives up columns of its prefix instead.
const MIN_CONTENT_WIDTH: usize = 8;
const CODE_INDENT: &str = "  ";
const TAB_IN_CODE: &str = "    ";
const COLUMN_SEPARATOR: &str = " │ ";

/// A block that prefixes every line inside it.
#[derive(Debug)]
enum Container {
    /// `│ ` on every line.
    Quote,
    /// The marker on the item's first line, as many spaces on the rest.
    Item {
        marker: String,
        width: usize,
        used: bool,
    },
}

#[derive(Debug)]
struct ListState {
    /// The next number of an ordered list.
    next: Option<u64>,
    /// Loose lists (items holding paragraphs) keep blank lines between items.
    loose: bool,
    items: usize,
}

#[derive(Debug)]
struct CodeState {
    lang: Option<String>,
    text: String,
}

#[derive(Debug, Default)]
struct TableState {
    align: Vec<Alignment>,
    rows: Vec<Vec<Vec<Span<'static>>>>,
    row: Vec<Vec<Span<'static>>>,
    in_head: bool,
    has_head: bool,
}

struct Renderer<'s> {
    width: usize,
    styles: &'s MdStyles,
    out: Vec<Rendered>,
    containers: Vec<Container>,
    lists: Vec<ListState>,
    /// Inline content of the current block: logical lines (split by breaks) of spans.
    para: Vec<Vec<Span<'static>>>,
    /// Style patches of the open inline tags (emphasis, strong, links, ...).
    inline: Vec<Style>,
    /// Open links: target, and where their text starts in `para`.
    links: Vec<(String, usize, usize)>,
    heading: Option<usize>,
    code: Option<CodeState>,
    table: Option<TableState>,
    needs_blank: bool,
}

impl<'s> Renderer<'s> {
    fn new(width: usize, styles: &'s MdStyles) -> Self {
        Self {
            width,
            styles,
            out: Vec::new(),
            containers: Vec::new(),
            lists: Vec::new(),
            para: vec![Vec::new()],
            inline: Vec::new(),
            links: Vec::new(),
            heading: None,
            code: None,
            table: None,
            needs_blank: false,
        }
    }

    fn event(&mut self, event: Event<'_>) {
        match event {
            Event::Start(tag) => self.start(tag),
            Event::End(tag) => self.end(tag),
            Event::Text(text) => self.text(&text),
            Event::Code(code) => {
                let style = self.current_style().patch(self.styles.code);
                self.push_span(clean(&code, " "), style);
            }
            Event::InlineMath(math) | Event::DisplayMath(math) => {
                let style = self.current_style().patch(self.styles.code);
                self.push_span(clean(&math, " "), style);
            }
            Event::Html(html) | Event::InlineHtml(html) => self.text(&html),
            Event::FootnoteReference(name) => {
                let style = self.current_style();
                self.push_span(format!("[^{}]", clean(&name, " ")), style);
            }
            Event::SoftBreak | Event::HardBreak => self.para.push(Vec::new()),
            Event::Rule => self.rule(),
            Event::TaskListMarker(done) => {
                let mark = if done { "[x] " } else { "[ ] " };
                self.push_span(mark.to_string(), self.styles.list_marker);
            }
        }
    }

    fn start(&mut self, tag: Tag<'_>) {
        match tag {
            Tag::Paragraph => {
                self.flush();
                if matches!(self.containers.last(), Some(Container::Item { .. })) {
                    if let Some(list) = self.lists.last_mut() {
                        list.loose = true;
                    }
                }
            }
            Tag::Heading { level, .. } => {
                self.flush();
                let depth = heading_depth(level);
                self.heading = Some(depth);
                let marker = format!("{} ", "#".repeat(depth));
                self.push_span(marker, self.current_style());
            }
            Tag::BlockQuote(_) => {
                self.flush();
                // The blank before a nested quote belongs to the outer one: `│`, not `│ │`.
                self.blank_if_needed();
                self.containers.push(Container::Quote);
            }
            Tag::CodeBlock(kind) => {
                self.flush();
                let lang = match kind {
                    CodeBlockKind::Fenced(info) => crate::text::fence::lang(&info),
                    CodeBlockKind::Indented => None,
                };
                self.code = Some(CodeState {
                    lang,
                    text: String::new(),
                });
            }
            Tag::HtmlBlock => self.flush(),
            Tag::List(first) => {
                self.flush();
                self.lists.push(ListState {
                    next: first,
                    loose: false,
                    items: 0,
                });
            }
            Tag::Item => self.start_item(),
            Tag::Table(align) => {
                self.flush();
                self.table = Some(TableState {
                    align,
                    ..TableState::default()
                });
            }
            Tag::TableHead => {
                if let Some(table) = self.table.as_mut() {
                    table.in_head = true;
                    table.has_head = true;
                }
            }
            Tag::TableRow | Tag::TableCell => self.para = vec![Vec::new()],
            Tag::Emphasis => self.inline.push(self.styles.emphasis),
            Tag::Strong => self.inline.push(self.styles.strong),
            Tag::Strikethrough => self
                .inline
                .push(Style::new().add_modifier(Modifier::CROSSED_OUT)),
            Tag::Link { dest_url, .. } | Tag::Image { dest_url, .. } => {
                self.inline.push(self.styles.link);
                let line = self.para.len().saturating_sub(1);
                let span = self.para.last().map_or(0, Vec::len);
                self.links.push((dest_url.to_string(), line, span));
            }
            // Footnotes, definition lists, metadata, super/subscript: not enabled.
            _ => {}
        }
    }

    fn end(&mut self, tag: TagEnd) {
        match tag {
            TagEnd::Paragraph | TagEnd::HtmlBlock => self.end_block(),
            TagEnd::Heading(_) => {
                self.flush();
                self.heading = None;
                self.needs_blank = true;
            }
            TagEnd::BlockQuote(_) => {
                self.flush();
                if let Some(at) = self
                    .containers
                    .iter()
                    .rposition(|c| matches!(c, Container::Quote))
                {
                    self.containers.truncate(at);
                }
                self.needs_blank = true;
            }
            TagEnd::CodeBlock => self.end_code(),
            TagEnd::List(_) => {
                self.flush();
                self.lists.pop();
                self.needs_blank = true;
            }
            TagEnd::Item => self.end_item(),
            TagEnd::TableCell => self.end_cell(),
            TagEnd::TableHead | TagEnd::TableRow => self.end_row(),
            TagEnd::Table => self.end_table(),
            TagEnd::Emphasis | TagEnd::Strong | TagEnd::Strikethrough => {
                self.inline.pop();
            }
            TagEnd::Link | TagEnd::Image => self.end_link(),
            _ => {}
        }
    }

    fn finish(mut self) -> Vec<Rendered> {
        self.flush();
        if self.code.is_some() {
            self.end_code();
        }
        if self.table.is_some() {
            self.end_table();
        }
        while self.out.last().is_some_and(|r| r.kind == Kind::Blank) {
            self.out.pop();
        }
        self.out
    }

    // --- inline content ----------------------------------------------------------------

    fn text(&mut self, text: &str) {
        if let Some(code) = self.code.as_mut() {
            code.text.push_str(text);
            return;
        }
        let style = self.current_style();
        // Text rarely holds newlines (breaks are their own events) but HTML does.
        for (i, piece) in text.split('\n').enumerate() {
            if i > 0 {
                self.para.push(Vec::new());
            }
            if !piece.is_empty() {
                self.push_span(clean(piece, " "), style);
            }
        }
    }

    fn push_span(&mut self, text: String, style: Style) {
        if self.para.is_empty() {
            self.para.push(Vec::new());
        }
        if let Some(line) = self.para.last_mut() {
            line.push(Span::styled(text, style));
        }
    }

    fn current_style(&self) -> Style {
        let mut style = match self.heading {
            Some(depth) => self.styles.heading[depth.clamp(1, 3) - 1],
            None => self.styles.text,
        };
        if self
            .containers
            .iter()
            .any(|c| matches!(c, Container::Quote))
        {
            style = style.patch(self.styles.quote);
        }
        if self.table.as_ref().is_some_and(|t| t.in_head) {
            style = style.patch(self.styles.strong);
        }
        self.inline.iter().fold(style, |s, p| s.patch(*p))
    }

    /// Shows the target after the link text, unless it says the same thing.
    fn end_link(&mut self) {
        self.inline.pop();
        let Some((url, line, span)) = self.links.pop() else {
            return;
        };
        let text = self.text_since(line, span);
        let bare = url.strip_prefix("mailto:").unwrap_or(&url);
        if url.is_empty() || url == text || bare == text {
            return;
        }
        let url = clean(&url, " ");
        let shown = if text.trim().is_empty() {
            url
        } else {
            format!(" ({url})")
        };
        self.push_span(shown, self.styles.dim);
    }

    fn text_since(&self, line: usize, span: usize) -> String {
        let mut text = String::new();
        for (i, spans) in self.para.iter().enumerate().skip(line) {
            let from = if i == line { span } else { 0 };
            for s in spans.iter().skip(from) {
                text.push_str(&s.content);
            }
        }
        text
    }

    // --- blocks --------------------------------------------------------------------------

    fn end_block(&mut self) {
        self.flush();
        self.needs_blank = true;
    }

    fn start_item(&mut self) {
        self.flush();
        let depth = self.lists.len().saturating_sub(1);
        let Some(list) = self.lists.last_mut() else {
            return;
        };
        // Tight lists keep their items together; the blank goes around the whole list.
        if list.items > 0 && !list.loose {
            self.needs_blank = false;
        }
        list.items += 1;
        let marker = match list.next.as_mut() {
            Some(n) => {
                let marker = format!("{n}. ");
                *n = n.saturating_add(1);
                marker
            }
            None => format!("{} ", bullet(depth)),
        };
        let width = text_width(&marker);
        self.containers.push(Container::Item {
            marker,
            width,
            used: false,
        });
    }

    fn end_item(&mut self) {
        self.flush();
        // An item with no text yet (`- ` while streaming) still shows its marker.
        let unused = matches!(
            self.containers.last(),
            Some(Container::Item { used: false, .. })
        );
        if unused {
            self.emit(Vec::new(), Kind::Prose);
        }
        if let Some(at) = self
            .containers
            .iter()
            .rposition(|c| matches!(c, Container::Item { .. }))
        {
            self.containers.truncate(at);
        }
    }

    fn end_code(&mut self) {
        let Some(code) = self.code.take() else {
            return;
        };
        if let Some(lang) = code.lang {
            let header = truncate_spans(
                vec![Span::styled(clean(&lang, " "), self.styles.dim)],
                self.content_width(),
            );
            self.emit(header, Kind::Prose);
        }
        let text = code.text.strip_suffix('\n').unwrap_or(&code.text);
        if !text.is_empty() {
            for line in text.split('\n') {
                let line = line.strip_suffix('\r').unwrap_or(line);
                let spans = vec![
                    Span::raw(CODE_INDENT),
                    Span::styled(clean(line, TAB_IN_CODE), self.styles.code_block),
                ];
                self.emit(spans, Kind::Code);
            }
        }
        self.needs_blank = true;
    }

    fn rule(&mut self) {
        self.flush();
        let rule = "─".repeat(self.content_width());
        self.emit(vec![Span::styled(rule, self.styles.rule)], Kind::Prose);
        self.needs_blank = true;
    }

    // --- tables --------------------------------------------------------------------------

    fn end_cell(&mut self) {
        let mut cell: Vec<Span<'static>> = Vec::new();
        for (i, line) in std::mem::take(&mut self.para).into_iter().enumerate() {
            if i > 0 {
                cell.push(Span::raw(" "));
            }
            cell.extend(line);
        }
        self.para = vec![Vec::new()];
        if let Some(table) = self.table.as_mut() {
            table.row.push(cell);
        }
    }

    fn end_row(&mut self) {
        if let Some(table) = self.table.as_mut() {
            let row = std::mem::take(&mut table.row);
            table.rows.push(row);
            table.in_head = false;
        }
    }

    /// Columns padded to their widest cell when the table fits; otherwise each row is
    /// wrapped like prose, which is ugly but keeps every cell readable.
    fn end_table(&mut self) {
        let Some(mut table) = self.table.take() else {
            return;
        };
        if !table.row.is_empty() {
            let row = std::mem::take(&mut table.row);
            table.rows.push(row);
        }
        let columns = table.rows.iter().map(Vec::len).max().unwrap_or(0);
        let mut widths = vec![0; columns];
        for row in &table.rows {
            for (w, cell) in widths.iter_mut().zip(row) {
                *w = (*w).max(spans_width(cell));
            }
        }
        let sep = text_width(COLUMN_SEPARATOR);
        let natural = widths.iter().sum::<usize>() + sep * columns.saturating_sub(1);
        let available = self.content_width();
        let fits = natural <= available;
        for (i, row) in table.rows.into_iter().enumerate() {
            let line = self.table_row(row, &widths, &table.align, fits);
            if fits {
                self.emit(line, Kind::Prose);
            } else {
                for wrapped in wrap_spans(&line, available) {
                    self.emit(wrapped, Kind::Prose);
                }
            }
            if i == 0 && table.has_head {
                let rule = if fits {
                    widths
                        .iter()
                        .map(|w| "─".repeat(*w))
                        .collect::<Vec<_>>()
                        .join("─┼─")
                } else {
                    "─".repeat(available)
                };
                self.emit(vec![Span::styled(rule, self.styles.dim)], Kind::Prose);
            }
        }
        self.needs_blank = true;
    }

    fn table_row(
        &self,
        row: Vec<Vec<Span<'static>>>,
        widths: &[usize],
        align: &[Alignment],
        pad: bool,
    ) -> Vec<Span<'static>> {
        // pulldown-cmark pads short rows with empty cells; don't draw bars after the text.
        let used = row
            .iter()
            .rposition(|cell| spans_width(cell) > 0)
            .map_or(0, |i| i + 1);
        let last = used.saturating_sub(1);
        let mut line = Vec::new();
        for (i, cell) in row.into_iter().take(used).enumerate() {
            if i > 0 {
                line.push(Span::styled(COLUMN_SEPARATOR, self.styles.dim));
            }
            let room = widths
                .get(i)
                .copied()
                .unwrap_or(0)
                .saturating_sub(spans_width(&cell));
            let (before, after) = match (pad, align.get(i)) {
                (false, _) => (0, 0),
                (true, Some(Alignment::Right)) => (room, 0),
                (true, Some(Alignment::Center)) => (room / 2, room - room / 2),
                (true, _) => (0, room),
            };
            if before > 0 {
                line.push(Span::raw(" ".repeat(before)));
            }
            line.extend(cell);
            // No trailing spaces after the last cell.
            if after > 0 && i < last {
                line.push(Span::raw(" ".repeat(after)));
            }
        }
        line
    }

    // --- output --------------------------------------------------------------------------

    /// Wraps the pending inline content and emits it.
    fn flush(&mut self) {
        let mut para = std::mem::replace(&mut self.para, vec![Vec::new()]);
        self.links.clear();
        while para
            .last()
            .is_some_and(|l| l.iter().all(|s| s.content.is_empty()))
        {
            para.pop();
        }
        if para.is_empty() {
            return;
        }
        let width = self.content_width();
        for logical in para {
            for line in wrap_spans(&logical, width) {
                self.emit(line, Kind::Prose);
            }
        }
    }

    fn emit(&mut self, content: Vec<Span<'static>>, kind: Kind) {
        self.blank_if_needed();
        let mut spans = truncate_spans(self.take_prefix(), self.prefix_budget());
        if content.is_empty() {
            trim_end(&mut spans);
        }
        spans.extend(content);
        self.out.push(Rendered {
            line: Line::from(spans),
            kind,
        });
    }

    /// Emits the blank line separating the previous block from the next one.
    fn blank_if_needed(&mut self) {
        if self.needs_blank && !self.out.is_empty() {
            let blank = self.blank_prefix();
            self.out.push(Rendered {
                line: Line::from(truncate_spans(blank, self.width)),
                kind: Kind::Blank,
            });
        }
        self.needs_blank = false;
    }

    /// The prefix of the next content line; uses up the markers of items starting here.
    fn take_prefix(&mut self) -> Vec<Span<'static>> {
        let mut spans = Vec::new();
        for container in &mut self.containers {
            match container {
                Container::Quote => spans.push(Span::styled("│ ", self.styles.quote)),
                Container::Item {
                    marker,
                    width,
                    used,
                } => {
                    if *used {
                        spans.push(Span::raw(" ".repeat(*width)));
                    } else {
                        *used = true;
                        spans.push(Span::styled(marker.clone(), self.styles.list_marker));
                    }
                }
            }
        }
        spans
    }

    /// A blank line inside quotes keeps the quote bars (without trailing spaces).
    fn blank_prefix(&self) -> Vec<Span<'static>> {
        let Some(last_quote) = self
            .containers
            .iter()
            .rposition(|c| matches!(c, Container::Quote))
        else {
            return Vec::new();
        };
        let mut spans = Vec::new();
        for (i, container) in self.containers.iter().take(last_quote + 1).enumerate() {
            match container {
                Container::Quote if i == last_quote => {
                    spans.push(Span::styled("│", self.styles.quote));
                }
                Container::Quote => spans.push(Span::styled("│ ", self.styles.quote)),
                Container::Item { width, .. } => spans.push(Span::raw(" ".repeat(*width))),
            }
        }
        spans
    }

    fn prefix_width(&self) -> usize {
        self.containers
            .iter()
            .map(|c| match c {
                Container::Quote => 2,
                Container::Item { width, .. } => *width,
            })
            .sum()
    }

    /// Deep nesting in a narrow pane gives up prefix columns before text columns.
    fn prefix_budget(&self) -> usize {
        let keep = self.width.min(MIN_CONTENT_WIDTH);
        self.prefix_width().min(self.width - keep)
    }

    fn content_width(&self) -> usize {
        self.width - self.prefix_budget()
    }
}

/// Drops trailing spaces (of a marker on a line with nothing after it).
fn trim_end(spans: &mut Vec<Span<'static>>) {
    while let Some(last) = spans.last_mut() {
        let trimmed = last.content.trim_end().len();
        if trimmed > 0 {
            last.content.to_mut().truncate(trimmed);
            return;
        }
        spans.pop();
    }
}

fn heading_depth(level: HeadingLevel) -> usize {
    match level {
        HeadingLevel::H1 => 1,
        HeadingLevel::H2 => 2,
        HeadingLevel::H3 => 3,
        HeadingLevel::H4 => 4,
        HeadingLevel::H5 => 5,
        HeadingLevel::H6 => 6,
    }
}

fn bullet(depth: usize) -> &'static str {
    match depth {
        0 => "•",
        1 => "◦",
        _ => "▪",
    }
}

/// Terminal-safe text (see `text::terminal::line`): tabs become `tab`.
fn clean(text: &str, tab: &str) -> String {
    crate::text::terminal::line(text, tab).into_owned()
}

// ---------------------------------------------------------------------------------------
// Width and wrapping

/// Calls `f` with each grapheme of `s` and its display width, as the buffer will draw it.
fn each_grapheme(s: &str, mut f: impl FnMut(&str, usize)) {
    for (g, w) in width::graphemes(s) {
        f(g, w);
    }
}

/// Width as the sum of grapheme widths: never less than what ratatui measures for the
/// same text, so lines we build never measure wider than we planned.
fn text_width(s: &str) -> usize {
    width::width(s)
}

fn spans_width(spans: &[Span<'_>]) -> usize {
    spans.iter().map(|s| text_width(&s.content)).sum()
}

/// Cuts spans down to at most `max` columns.
fn truncate_spans(spans: Vec<Span<'static>>, max: usize) -> Vec<Span<'static>> {
    if spans_width(&spans) <= max {
        return spans;
    }
    let mut fill = LineFill::new(max);
    for span in &spans {
        let mut full = false;
        each_grapheme(&span.content, |g, w| {
            if full || fill.cur_w + w > max {
                full = true;
            } else {
                fill.push(g, w, span.style);
            }
        });
    }
    fill.cur
}

/// Word-wraps one logical line to `width` columns, breaking words longer than a line.
/// Styles carry across the wrap; spaces at a wrap point are dropped.
fn wrap_spans(spans: &[Span<'static>], width: usize) -> Vec<Vec<Span<'static>>> {
    let mut fill = LineFill::new(width);
    let mut space: Vec<(&str, Style)> = Vec::new();
    let mut word: Vec<(&str, Style)> = Vec::new();
    for span in spans {
        for (piece, is_space) in split_spaces(&span.content) {
            if is_space {
                if !word.is_empty() {
                    fill.place_word(&space, &word);
                    space.clear();
                    word.clear();
                }
                space.push((piece, span.style));
            } else {
                word.push((piece, span.style));
            }
        }
    }
    if !word.is_empty() {
        fill.place_word(&space, &word);
    }
    fill.finish()
}

/// Splits into runs of spaces and runs of everything else (only plain spaces break lines:
/// a no-break space must not).
fn split_spaces(s: &str) -> Vec<(&str, bool)> {
    let mut runs = Vec::new();
    let mut start = 0;
    let mut in_space = None;
    for (i, c) in s.char_indices() {
        let is_space = c == ' ';
        if in_space.is_some_and(|prev| prev != is_space) {
            runs.push((&s[start..i], !is_space));
            start = i;
        }
        in_space = Some(is_space);
    }
    if let Some(is_space) = in_space {
        runs.push((&s[start..], is_space));
    }
    runs
}

/// Fills lines of at most `width` columns.
struct LineFill {
    width: usize,
    lines: Vec<Vec<Span<'static>>>,
    cur: Vec<Span<'static>>,
    cur_w: usize,
}

impl LineFill {
    fn new(width: usize) -> Self {
        Self {
            width,
            lines: Vec::new(),
            cur: Vec::new(),
            cur_w: 0,
        }
    }

    fn place_word(&mut self, space: &[(&str, Style)], word: &[(&str, Style)]) {
        let word_w: usize = word.iter().map(|(t, _)| text_width(t)).sum();
        // Spaces count between words and as indentation of a logical line's first line.
        let lead = !self.cur.is_empty() || self.lines.is_empty();
        let space_w: usize = if lead {
            space.iter().map(|(t, _)| text_width(t)).sum()
        } else {
            0
        };
        if self.cur_w + space_w + word_w <= self.width {
            if lead {
                self.push_all(space);
            }
            self.push_all(word);
            return;
        }
        if !self.cur.is_empty() {
            self.break_line();
        }
        if word_w <= self.width {
            self.push_all(word);
        } else {
            self.break_word(word);
        }
    }

    fn push_all(&mut self, pieces: &[(&str, Style)]) {
        for (text, style) in pieces {
            let w = text_width(text);
            self.push(text, w, *style);
        }
    }

    /// A word longer than a line goes grapheme by grapheme; a grapheme wider than the
    /// whole line (a CJK character at width 1) cannot be shown and is skipped.
    fn break_word(&mut self, word: &[(&str, Style)]) {
        for (text, style) in word {
            each_grapheme(text, |g, w| {
                if w > self.width {
                    return;
                }
                if self.cur_w + w > self.width {
                    self.break_line();
                }
                self.push(g, w, *style);
            });
        }
    }

    fn push(&mut self, text: &str, width: usize, style: Style) {
        self.cur_w += width;
        if let Some(last) = self.cur.last_mut() {
            if last.style == style {
                last.content.to_mut().push_str(text);
                return;
            }
        }
        self.cur.push(Span::styled(text.to_string(), style));
    }

    fn break_line(&mut self) {
        self.lines.push(std::mem::take(&mut self.cur));
        self.cur_w = 0;
    }

    fn finish(mut self) -> Vec<Vec<Span<'static>>> {
        if !self.cur.is_empty() || self.lines.is_empty() {
            self.lines.push(self.cur);
        }
        self.lines
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn line_text(line: &Line<'_>) -> String {
        line.spans.iter().map(|s| s.content.as_ref()).collect()
    }

    fn plain(md: &str, width: u16) -> Vec<String> {
        render(md, width, &MdStyles::default())
            .iter()
            .map(line_text)
            .collect()
    }

    fn styles() -> MdStyles {
        MdStyles::default()
    }

    /// The style of the first span whose text contains `needle`.
    fn style_of(lines: &[Line<'_>], needle: &str) -> Option<Style> {
        lines
            .iter()
            .flat_map(|l| l.spans.iter())
            .find(|s| s.content.contains(needle))
            .map(|s| s.style)
    }

    #[test]
    fn headings_keep_their_markers_and_styles() {
        let md = "# One\n\n## Two\n\n### Three\n\n#### Four";
        assert_eq!(
            plain(md, 40),
            ["# One", "", "## Two", "", "### Three", "", "#### Four"]
        );
        let lines = render(md, 40, &styles());
        let s = styles();
        assert_eq!(style_of(&lines, "One"), Some(s.heading[0]));
        assert_eq!(style_of(&lines, "Two"), Some(s.heading[1]));
        assert_eq!(style_of(&lines, "Three"), Some(s.heading[2]));
        assert_eq!(style_of(&lines, "Four"), Some(s.heading[2]));
    }

    #[test]
    fn paragraphs_are_separated_by_one_blank_line_and_none_at_the_end() {
        assert_eq!(plain("one\n\n\n\ntwo\n\n", 40), ["one", "", "two"]);
        assert!(plain("", 40).is_empty());
        assert!(plain("\n\n\n", 40).is_empty());
    }

    #[test]
    fn soft_and_hard_breaks_start_new_lines() {
        assert_eq!(
            plain("one\ntwo  \nthree\\\nfour", 40),
            ["one", "two", "three", "four"]
        );
    }

    #[test]
    fn emphasis_strong_strikethrough_and_inline_code_are_styled() {
        let s = styles();
        let lines = render("a *it* **bold** ~~gone~~ `code` ***both***", 80, &s);
        assert_eq!(
            line_text(&lines[0]),
            "a it bold gone code both",
            "markers are not shown"
        );
        assert_eq!(style_of(&lines, "it"), Some(s.text.patch(s.emphasis)));
        assert_eq!(style_of(&lines, "bold"), Some(s.text.patch(s.strong)));
        assert!(style_of(&lines, "gone")
            .is_some_and(|st| st.add_modifier.contains(Modifier::CROSSED_OUT)));
        assert_eq!(style_of(&lines, "code"), Some(s.text.patch(s.code)));
        let both = style_of(&lines, "both").unwrap_or_default();
        assert!(both
            .add_modifier
            .contains(Modifier::BOLD | Modifier::ITALIC));
    }

    #[test]
    fn links_show_their_target_dimmed_unless_it_is_the_text() {
        let s = styles();
        let lines = render("see [docs](https://x.io/d) and <https://y.io>", 80, &s);
        assert_eq!(
            line_text(&lines[0]),
            "see docs (https://x.io/d) and https://y.io"
        );
        assert_eq!(style_of(&lines, "docs"), Some(s.text.patch(s.link)));
        assert_eq!(style_of(&lines, "(https://x.io/d)"), Some(s.dim));
        assert_eq!(plain("<me@x.io>", 40), ["me@x.io"]);
        assert_eq!(plain("![](https://x.io/a.png)", 40), ["https://x.io/a.png"]);
    }

    #[test]
    fn unordered_lists_nest_with_continuation_indent() {
        let md = "- one\n- two is long enough to wrap\n  - inner\n    - deeper\n- three";
        assert_eq!(
            plain(md, 16),
            [
                "• one",
                "• two is long",
                "  enough to wrap",
                "  ◦ inner",
                "    ▪ deeper",
                "• three"
            ]
        );
    }

    #[test]
    fn ordered_lists_count_from_their_start_and_indent_by_marker_width() {
        let md = "9. nine\n10. ten words that wrap here\n11. eleven";
        assert_eq!(
            plain(md, 16),
            [
                "9. nine",
                "10. ten words",
                "    that wrap",
                "    here",
                "11. eleven"
            ]
        );
        assert_eq!(plain("3. a\n1. b", 20), ["3. a", "4. b"]);
    }

    #[test]
    fn loose_lists_keep_blank_lines_between_items() {
        assert_eq!(
            plain("- a\n\n- b\n\nafter", 20),
            ["• a", "", "• b", "", "after"]
        );
        assert_eq!(
            plain("before\n\n- a\n- b", 20),
            ["before", "", "• a", "• b"]
        );
    }

    #[test]
    fn list_items_hold_paragraphs_and_code() {
        let md = "1. first\n\n   second para\n\n   ```sh\n   ls\n   ```\n2. next";
        assert_eq!(
            plain(md, 30),
            [
                "1. first",
                "",
                "   second para",
                "",
                "   sh",
                "     ls",
                "",
                "2. next"
            ]
        );
    }

    #[test]
    fn task_lists_show_boxes() {
        assert_eq!(
            plain("- [x] done\n- [ ] todo", 20),
            ["• [x] done", "• [ ] todo"]
        );
    }

    #[test]
    fn block_quotes_prefix_every_line_including_blank_ones() {
        let md = "> quoted text that wraps\n>\n> second\n> > nested";
        assert_eq!(
            plain(md, 14),
            [
                "│ quoted text",
                "│ that wraps",
                "│",
                "│ second",
                "│",
                "│ │ nested"
            ]
        );
        let s = styles();
        let lines = render("> q", 10, &s);
        assert_eq!(style_of(&lines, "q"), Some(s.text.patch(s.quote)));
    }

    #[test]
    fn rules_span_the_width() {
        assert_eq!(plain("a\n\n---\n\nb", 5), ["a", "", "─────", "", "b"]);
    }

    #[test]
    fn code_blocks_are_indented_unwrapped_and_labelled() {
        let s = styles();
        let md = "```Rust,ignore\nfn main() { let long_line = 1; }\n\tx\n```\nafter";
        let lines = render(md, 10, &s);
        let text: Vec<_> = lines.iter().map(line_text).collect();
        assert_eq!(
            text,
            [
                "rust",
                "  fn main() { let long_line = 1; }",
                "      x",
                "",
                "after"
            ]
        );
        assert_eq!(style_of(&lines, "rust"), Some(s.dim));
        assert_eq!(style_of(&lines, "fn main"), Some(s.code_block));
        assert_eq!(
            plain("    indented\n    code", 40),
            ["  indented", "  code"]
        );
    }

    #[test]
    fn tables_join_cells_with_bars() {
        let md = "| a | bb |\n|---|---|\n| ccc | d |\n| e |";
        assert_eq!(plain(md, 40), ["a   │ bb", "────┼───", "ccc │ d", "e"]);
        let aligned = "| r | c | l |\n|--:|:-:|---|\n| rrr | ccc | lll |";
        assert_eq!(
            plain(aligned, 40),
            ["  r │  c  │ l", "────┼─────┼────", "rrr │ ccc │ lll"]
        );
        // Too wide: rows wrap instead of overflowing.
        let wide = plain(md, 5);
        assert!(
            wide.iter().all(|l| Span::raw(l.as_str()).width() <= 5),
            "{wide:?}"
        );
    }

    #[test]
    fn wrapping_keeps_styles_across_lines_and_breaks_long_words() {
        let s = styles();
        let lines = render("**bold words that wrap**", 10, &s);
        assert_eq!(lines.len(), 2);
        for line in &lines {
            assert!(line
                .spans
                .iter()
                .all(|sp| sp.style == s.text.patch(s.strong)));
        }
        assert_eq!(plain("abcdefghijkl mn", 5), ["abcde", "fghij", "kl mn"]);
        assert_eq!(plain("a**b**c", 10), ["abc"], "a styled word is one word");
    }

    #[test]
    fn wrapping_measures_wide_characters() {
        // Each CJK character and emoji is two columns.
        assert_eq!(plain("漢字漢字 テスト", 8), ["漢字漢字", "テスト"]);
        assert_eq!(plain("漢字漢字漢字", 5), ["漢字", "漢字", "漢字"]);
        assert_eq!(plain("🦀🦀🦀 ok", 6), ["🦀🦀🦀", "ok"]);
        // A two-column character cannot fit one column: dropped rather than overflowing.
        assert_eq!(plain("a漢b", 1), ["a", "b"]);
    }

    #[test]
    fn partial_markdown_renders_while_streaming() {
        assert_eq!(
            plain("```rust\nfn main() {\n    let", 40),
            ["rust", "  fn main() {", "      let"]
        );
        assert_eq!(plain("some **bold", 40), ["some **bold"]);
        assert_eq!(plain("- ", 40), ["•"]);
        assert_eq!(
            plain("1. first\n2", 40),
            ["1. first", "   2"],
            "a lazy continuation"
        );
        assert_eq!(plain("[link](http", 40), ["[link](http"]);
        assert_eq!(plain("| a | b |\n|--", 40), ["| a | b |", "|--"]);
        assert_eq!(plain("> ", 40), Vec::<String>::new());
        assert_eq!(plain("```", 40), Vec::<String>::new());
    }

    #[test]
    fn deep_nesting_in_a_narrow_pane_gives_up_prefix_columns() {
        let md = "> > > > > > deep text here";
        let lines = plain(md, 10);
        assert!(
            lines.iter().all(|l| Span::raw(l.as_str()).width() <= 10),
            "{lines:?}"
        );
        assert!(lines.iter().any(|l| l.contains("deep")));
    }

    #[test]
    fn control_characters_never_reach_the_output() {
        let lines = plain("a\u{1b}[31mb\u{7}\tc", 40);
        assert_eq!(lines, ["a[31mb c"]);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        /// Every non-code line fits the width; code lines are clipped by the widget.
        #[test]
        fn render_never_panics_and_fits_the_width(md in any::<String>(), width in 1u16..200) {
            check_fits(&md, width)?;
        }

        #[test]
        fn render_fits_markdown_shaped_input(
            md in proptest::collection::vec(
                prop_oneof![
                    Just("# "), Just("- "), Just("1. "), Just("> "), Just("**"), Just("*"),
                    Just("`"), Just("```"), Just("\n"), Just("\n\n"), Just("  "), Just("| a |"),
                    Just("|---|"), Just("[x](y)"), Just("漢字"), Just("🦀"), Just("word "),
                    Just("\t"), Just("~~"), Just("<b>"), Just("---"), Just("a\u{301}"),
                ],
                0..60,
            ).prop_map(|parts| parts.concat()),
            width in 1u16..60,
        ) {
            check_fits(&md, width)?;
        }
    }

    fn check_fits(md: &str, width: u16) -> Result<(), TestCaseError> {
        let rendered = render_marked(md, width, &styles());
        for r in &rendered {
            if r.kind != Kind::Code {
                prop_assert!(
                    r.line.width() <= usize::from(width),
                    "{:?} is wider than {width}",
                    line_text(&r.line)
                );
            }
        }
        prop_assert!(rendered.last().is_none_or(|r| r.kind != Kind::Blank));
        Ok(())
    }
}
