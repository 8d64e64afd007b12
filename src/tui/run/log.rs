//! One command's entry in the chat: what ran and how it was confined, its output as it
//! arrives and how it ended. The output is untrusted (DESIGN.md, "Untrusted input"): it is
//! kept within a bound (the last [`MAX_LINES`] lines, each at most [`MAX_LINE`] bytes) and
//! cleaned of escape sequences and control characters before it reaches the terminal.

use std::borrow::Cow;
use std::collections::VecDeque;

use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};

use super::argv;
use crate::engine::RequestId;
use crate::text::short::counted;
use crate::text::width::split_at_width;
use crate::tui::theme::Theme;

/// The most output lines an entry keeps: a test run's end is where its verdict is.
pub const MAX_LINES: usize = 2000;
/// The most bytes kept of one line; a minified file or a progress bar without line breaks
/// would otherwise grow without limit.
pub const MAX_LINE: usize = 4096;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stream {
    Stdout,
    Stderr,
}

impl Stream {
    pub fn from_name(name: &str) -> Self {
        if name == "stderr" {
            Stream::Stderr
        } else {
            Stream::Stdout
        }
    }
}

/// How a run ended, as `command_done` said.
#[derive(Debug, Clone, PartialEq)]
pub enum End {
    Exited {
        code: Option<i32>,
        secs: f64,
    },
    TimedOut {
        secs: f64,
    },
    /// The user stopped it (Esc).
    Stopped {
        secs: f64,
    },
    /// It could not run at all; the engine's sentence says why.
    Error(String),
}

/// A line still being written: its text so far and the bytes past [`MAX_LINE`] dropped.
#[derive(Debug, Default)]
struct Partial {
    text: String,
    cut: usize,
}

#[derive(Debug)]
pub struct RunLog {
    pub id: RequestId,
    /// What was asked for, until `command_started` says what actually runs.
    asked: String,
    argv: Option<Vec<String>>,
    /// `bwrap`, `landlock`, or `off` (unconfined); unknown until the command starts.
    sandbox: Option<&'static str>,
    lines: VecDeque<(Stream, String)>,
    /// Lines dropped from the top to stay within [`MAX_LINES`].
    dropped: usize,
    partial: [Partial; 2],
    pub end: Option<End>,
}

impl RunLog {
    /// A run of `argv`, or of the workspace's tests when it is empty.
    pub fn new(id: RequestId, argv: &[String]) -> Self {
        let asked = if argv.is_empty() {
            "/test · the workspace's tests".to_owned()
        } else {
            format!("$ {}", argv::join(argv))
        };
        Self {
            id,
            asked,
            argv: None,
            sandbox: None,
            lines: VecDeque::new(),
            dropped: 0,
            partial: Default::default(),
            end: None,
        }
    }

    pub fn running(&self) -> bool {
        self.end.is_none()
    }

    /// The command starts, confined as `sandbox` says; a `notice` (why it is not confined
    /// as configured) is its log's first line.
    pub fn started(&mut self, argv: Vec<String>, sandbox: &'static str, notice: Option<String>) {
        self.argv = Some(argv);
        self.sandbox = Some(sandbox);
        if let Some(n) = notice {
            self.output(Stream::Stderr, &format!("note: {n}\n"));
        }
    }

    /// A piece of output: whole lines are cleaned and kept, the rest waits for its end.
    /// Each stream has its own unfinished line, so stdout and stderr never splice mid-line.
    pub fn output(&mut self, stream: Stream, text: &str) {
        let mut pieces = text.split('\n');
        // The text after the last line break (`split` yields at least one piece).
        let last = pieces.next_back().unwrap_or("");
        for piece in pieces {
            self.extend_partial(stream, piece);
            self.finish_line(stream);
        }
        self.extend_partial(stream, last);
    }

    fn extend_partial(&mut self, stream: Stream, piece: &str) {
        let p = &mut self.partial[stream as usize];
        let room = MAX_LINE.saturating_sub(p.text.len());
        if piece.len() <= room {
            p.text.push_str(piece);
            return;
        }
        let mut keep = room;
        while !piece.is_char_boundary(keep) {
            keep -= 1;
        }
        p.text.push_str(&piece[..keep]);
        p.cut += piece.len() - keep;
    }

    fn finish_line(&mut self, stream: Stream) {
        let p = std::mem::take(&mut self.partial[stream as usize]);
        let mut line = shown(&p.text).into_owned();
        if p.cut > 0 {
            line.push_str(&format!(" … ({} more bytes on this line)", p.cut));
        }
        self.lines.push_back((stream, line));
        if self.lines.len() > MAX_LINES {
            self.lines.pop_front();
            self.dropped += 1;
        }
    }

    /// The command ended: unfinished lines are kept as they are.
    pub fn done(&mut self, end: End) {
        for stream in [Stream::Stdout, Stream::Stderr] {
            let p = &self.partial[stream as usize];
            if !p.text.is_empty() || p.cut > 0 {
                self.finish_line(stream);
            }
        }
        self.end = Some(end);
    }

    /// The entry's lines for a chat pane `width` cells wide.
    pub fn lines(&self, width: u16, theme: &Theme) -> Vec<Line<'static>> {
        let width = usize::from(width).saturating_sub(2).max(1);
        let mut out = vec![self.header(theme)];
        if self.dropped > 0 {
            let note = format!(
                "… {} above are not shown",
                counted(self.dropped, "earlier line")
            );
            out.push(Line::styled(note, theme.dim.add_modifier(Modifier::ITALIC)));
        }
        let unfinished = self
            .partial
            .iter()
            .zip([Stream::Stdout, Stream::Stderr])
            .filter(|(p, _)| !p.text.is_empty())
            .map(|(p, s)| (s, shown(&p.text).into_owned()))
            .collect::<Vec<_>>();
        for (stream, text) in self.lines.iter().chain(unfinished.iter()) {
            let style = match stream {
                Stream::Stdout => theme.text,
                // Compilers and test runners report on stderr: set apart, not alarming.
                Stream::Stderr => theme.warn,
            };
            for piece in wrap(text, width) {
                out.push(Line::from(vec![
                    Span::styled("│ ", theme.dim),
                    Span::styled(piece, style),
                ]));
            }
        }
        let (text, style) = self.ending(theme);
        out.extend(
            wrap_words(&text, width + 2)
                .into_iter()
                .map(|l| Line::styled(l, style)),
        );
        out
    }

    /// "$ cargo test · sandboxed", or a warning when nothing confined it.
    fn header(&self, theme: &Theme) -> Line<'static> {
        let what = self
            .argv
            .as_deref()
            .map_or(Cow::Borrowed(&*self.asked), |a| {
                Cow::Owned(format!("$ {}", argv::join(a)))
            });
        let what = crate::text::terminal::line(&what, " ").into_owned();
        let mut spans = vec![Span::styled(what, theme.user)];
        match self.sandbox {
            Some("off") => spans.push(Span::styled(
                " · UNCONFINED (sandbox off)",
                theme.error.add_modifier(Modifier::BOLD),
            )),
            Some("landlock") => spans.push(Span::styled(" · sandboxed (Landlock)", theme.dim)),
            Some(_) => spans.push(Span::styled(" · sandboxed", theme.dim)),
            None => {}
        }
        Line::from(spans)
    }

    /// The last line: running, or how it ended.
    fn ending(&self, theme: &Theme) -> (String, Style) {
        match &self.end {
            None => ("running…".into(), theme.dim),
            Some(End::Exited {
                code: Some(0),
                secs,
            }) => (format!("exit 0 · {secs:.1} s"), theme.ok),
            Some(End::Exited {
                code: Some(c),
                secs,
            }) => (format!("failed: exit {c} · {secs:.1} s"), theme.error),
            Some(End::Exited { code: None, secs }) => (
                format!("ended without an exit status · {secs:.1} s"),
                theme.error,
            ),
            Some(End::TimedOut { secs }) => (
                format!("stopped after {secs:.0} s (time limit)"),
                theme.warn,
            ),
            Some(End::Stopped { secs }) => {
                (format!("stopped by you after {secs:.1} s"), theme.warn)
            }
            Some(End::Error(e)) => (
                format!("✗ {}", crate::text::terminal::line(e, " ")),
                theme.error,
            ),
        }
    }
}

/// A line of output as the terminal may show it: escape sequences (colours, cursor moves,
/// titles) removed whole rather than leaving their parameters behind, a carriage return
/// overwriting as it would on a terminal (a progress bar shows its last state), and what
/// else is unsafe dropped.
fn shown(raw: &str) -> Cow<'_, str> {
    let stripped = strip_escapes(raw);
    let line = stripped.strip_suffix('\r').unwrap_or(&stripped);
    let line = line.rsplit('\r').next().unwrap_or(line);
    Cow::Owned(crate::text::terminal::line(line, "    ").into_owned())
}

/// `text` without ANSI escape sequences: CSI (`ESC [` … final byte, or the C1 `U+009B`),
/// OSC, DCS, SOS, PM and APC strings (to `BEL` or `ESC \`), and two-character escapes.
fn strip_escapes(text: &str) -> Cow<'_, str> {
    if !text.contains(['\u{1b}', '\u{9b}', '\u{9d}']) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        let kind = match c {
            '\u{1b}' => chars.next(),
            '\u{9b}' => Some('['),
            '\u{9d}' => Some(']'),
            c => {
                out.push(c);
                continue;
            }
        };
        match kind {
            // Parameters and intermediates, up to the final byte.
            Some('[') => {
                for c in chars.by_ref() {
                    if ('\u{40}'..='\u{7e}').contains(&c) {
                        break;
                    }
                }
            }
            Some(']' | 'P' | 'X' | '^' | '_') => {
                while let Some(c) = chars.next() {
                    if c == '\u{7}' || c == '\u{9c}' {
                        break;
                    }
                    if c == '\u{1b}' && chars.peek() == Some(&'\\') {
                        chars.next();
                        break;
                    }
                }
            }
            _ => {}
        }
    }
    Cow::Owned(out)
}

/// `text` broken at spaces into lines at most `width` cells wide; a word wider than that
/// is split. For the engine's sentences, which are read rather than scanned.
fn wrap_words(text: &str, width: usize) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut line = String::new();
    for word in text.split(' ') {
        let joined = if line.is_empty() {
            word.to_owned()
        } else {
            format!("{line} {word}")
        };
        if crate::text::width::width(&joined) <= width {
            line = joined;
            continue;
        }
        if !line.is_empty() {
            out.push(std::mem::take(&mut line));
        }
        let mut pieces = wrap(word, width);
        line = pieces.pop().unwrap_or_default();
        out.extend(pieces);
    }
    out.push(line);
    out
}

/// `text` in pieces at most `width` cells wide (at least one piece, maybe empty).
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = text;
    while !rest.is_empty() {
        let (mut head, mut tail) = split_at_width(rest, width);
        if head.is_empty() {
            // A grapheme wider than the pane: it goes on a line of its own.
            let n = rest.chars().next().map_or(rest.len(), char::len_utf8);
            (head, tail) = rest.split_at(n);
        }
        out.push(head.to_owned());
        rest = tail;
    }
    if out.is_empty() {
        out.push(String::new());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(log: &RunLog) -> Vec<String> {
        log.lines.iter().map(|(_, l)| l.clone()).collect()
    }

    #[test]
    fn lines_are_kept_whole_across_pieces_and_per_stream() {
        let mut log = RunLog::new(1, &[]);
        log.output(Stream::Stdout, "hel");
        log.output(Stream::Stderr, "warning: x\n");
        log.output(Stream::Stdout, "lo\nwor");
        log.done(End::Exited {
            code: Some(0),
            secs: 0.1,
        });
        assert_eq!(texts(&log), ["warning: x", "hello", "wor"]);
        assert_eq!(log.lines[0].0, Stream::Stderr);
    }

    #[test]
    fn escapes_go_whole_and_a_carriage_return_overwrites() {
        assert_eq!(shown("\u{1b}[1;31merror\u{1b}[0m: bad"), "error: bad");
        assert_eq!(shown("\u{1b}]0;evil title\u{7}ok"), "ok");
        assert_eq!(
            shown("\u{1b}]8;;http://x\u{1b}\\link\u{1b}]8;;\u{1b}\\"),
            "link"
        );
        assert_eq!(shown("\u{9b}2Jcleared"), "cleared");
        assert_eq!(shown(" 10%\r 50%\r100%\r"), "100%");
        assert_eq!(shown("a\tb\u{7}\u{202e}c"), "a    bc");
    }

    #[test]
    fn only_the_last_lines_are_kept_with_the_count_of_the_rest() {
        let mut log = RunLog::new(1, &["x".into()]);
        let text: String = (1..=MAX_LINES + 5).map(|i| format!("line {i}\n")).collect();
        log.output(Stream::Stdout, &text);
        assert_eq!(log.lines.len(), MAX_LINES);
        assert_eq!(log.dropped, 5);
        assert_eq!(log.lines[0].1, "line 6");
    }

    #[test]
    fn a_huge_line_is_cut_and_says_by_how_much() {
        let mut log = RunLog::new(1, &["x".into()]);
        log.output(Stream::Stdout, &"é".repeat(MAX_LINE));
        log.output(Stream::Stdout, &"a".repeat(100));
        log.output(Stream::Stdout, "\n");
        let line = &log.lines[0].1;
        assert!(line.len() < MAX_LINE + 64, "{}", line.len());
        assert!(line.ends_with(&format!("({} more bytes on this line)", MAX_LINE + 100)));
    }

    #[test]
    fn wrap_fits_the_width() {
        assert_eq!(wrap("abcdef", 4), ["abcd", "ef"]);
        assert_eq!(wrap("", 4), [""]);
        assert_eq!(wrap("日本", 1), ["日", "本"]);
        assert_eq!(wrap_words("exit 1 · 2.0 s", 40), ["exit 1 · 2.0 s"]);
        assert_eq!(
            wrap_words("no test command is known", 10),
            ["no test", "command is", "known"]
        );
        assert_eq!(
            wrap_words("a abcdefghijkl b", 5),
            ["a", "abcde", "fghij", "kl b"]
        );
    }
}
