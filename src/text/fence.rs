//! Fenced code blocks by CommonMark's rules, line by line, so that the router (reading the
//! prompt), the confidence scorer (reading the answer) and the TUI's code pane (reading the
//! stream) agree on where code starts and ends, and agree with pulldown-cmark, which
//! renders the chat.
//!
//! The rules (CommonMark 0.31, "Fenced code blocks"):
//! - an opening fence is up to three spaces, then three or more backticks or tildes, then
//!   an info string; a backtick fence's info string may not contain a backtick (```` ```x``` ````
//!   is inline code);
//! - the closing fence is up to three spaces, then at least as many of the same character,
//!   then only spaces or tabs; anything else is a line of the block;
//! - the opening fence's indentation is removed from the block's lines (up to that many
//!   spaces);
//! - a block that is never closed runs to the end of the text.

/// An opening fence line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fence<'a> {
    /// '`' or '~'.
    pub ch: char,
    /// How many of them: 3 or more.
    pub len: usize,
    /// Spaces before the fence: 0 to 3.
    pub indent: usize,
    /// The info string, trimmed: "rust", "python title=a.py", "{.rust}", or "".
    pub info: &'a str,
}

impl Fence<'_> {
    /// The block's language: [`lang`] of the info string.
    pub fn lang(&self) -> Option<String> {
        lang(self.info)
    }

    /// True when `line` closes a block this fence opened.
    pub fn closed_by(&self, line: &str) -> bool {
        let Some((ch, len, rest)) = run(line) else {
            return false;
        };
        ch == self.ch && len >= self.len && rest.trim_matches([' ', '\t']).is_empty()
    }

    /// A line of the block with the opening fence's indentation removed (up to that many
    /// spaces, never cutting into text).
    pub fn strip<'l>(&self, line: &'l str) -> &'l str {
        let spaces = line
            .bytes()
            .take(self.indent)
            .take_while(|b| *b == b' ')
            .count();
        &line[spaces..]
    }
}

/// The opening fence `line` is, if it is one.
pub fn opening(line: &str) -> Option<Fence<'_>> {
    let (ch, len, rest) = run(line)?;
    let indent = line.len() - line.trim_start_matches(' ').len();
    if ch == '`' && rest.contains('`') {
        return None;
    }
    Some(Fence {
        ch,
        len,
        indent,
        info: rest.trim(),
    })
}

/// Up to three spaces, then a run of three or more '`' or '~': the character, the run's
/// length and what follows it.
fn run(line: &str) -> Option<(char, usize, &str)> {
    let body = line.trim_start_matches(' ');
    if line.len() - body.len() > 3 {
        return None;
    }
    let ch = body.chars().next().filter(|c| *c == '`' || *c == '~')?;
    let len = body.bytes().take_while(|b| *b == ch as u8).count();
    (len >= 3).then(|| (ch, len, &body[len..]))
}

/// The language an info string names: its first word, lower case, without the braces
/// and dot of the attribute form. "Rust,ignore" → "rust", "python title=a.py" → "python",
/// "{.rust}" → "rust"; `None` for an empty info string.
pub fn lang(info: &str) -> Option<String> {
    let word = info
        .trim()
        .split(|c: char| c.is_whitespace() || c == ',' || c == '}')
        .next()
        .unwrap_or("")
        .trim_start_matches(['{', '.']);
    (!word.is_empty()).then(|| word.to_lowercase())
}

/// The start of a line still being typed that could yet turn out to be a fence: up to
/// three spaces and nothing but them, or then a backtick or tilde. A stream must not show
/// such a line as code before it knows.
pub fn may_become_fence(partial: &str) -> bool {
    let body = partial.trim_start_matches(' ');
    partial.len() - body.len() <= 3 && (body.is_empty() || body.starts_with(['`', '~']))
}

/// What one line is, as the [`Scanner`] reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Line<'a> {
    /// Outside any block.
    Prose(&'a str),
    /// Opens a block.
    Open(Fence<'a>),
    /// Inside a block, with the opening fence's indentation removed.
    Code(&'a str),
    /// Closes the open block.
    Close,
}

/// Reads text line by line and says what each line is. Feed it lines without their line
/// endings (a trailing '\r' is ignored on fence lines).
#[derive(Debug, Clone, Default)]
pub struct Scanner {
    /// The open block's fence: character, length, indentation.
    open: Option<(char, usize, usize)>,
}

impl Scanner {
    pub fn new() -> Self {
        Self::default()
    }

    /// Inside a block that has not been closed yet.
    pub fn is_open(&self) -> bool {
        self.open.is_some()
    }

    pub fn line<'a>(&mut self, line: &'a str) -> Line<'a> {
        let fenceable = line.strip_suffix('\r').unwrap_or(line);
        match self.open {
            None => match opening(fenceable) {
                Some(f) => {
                    self.open = Some((f.ch, f.len, f.indent));
                    Line::Open(f)
                }
                None => Line::Prose(line),
            },
            Some((ch, len, indent)) => {
                let fence = Fence {
                    ch,
                    len,
                    indent,
                    info: "",
                };
                if fence.closed_by(fenceable) {
                    self.open = None;
                    Line::Close
                } else {
                    Line::Code(fence.strip(line))
                }
            }
        }
    }
}

/// One fenced block of a whole text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Block {
    /// The language of the info string (see [`lang`]).
    pub lang: Option<String>,
    /// The block's lines, each ending in '\n'.
    pub body: String,
    /// False when the text ended inside the block.
    pub closed: bool,
}

/// A whole text taken apart: its fenced blocks and the prose lines outside them (each
/// ending in '\n').
pub fn split(text: &str) -> (Vec<Block>, String) {
    let mut scanner = Scanner::new();
    let mut blocks: Vec<Block> = Vec::new();
    let mut prose = String::new();
    for line in text.lines() {
        match scanner.line(line) {
            Line::Prose(l) => {
                prose.push_str(l);
                prose.push('\n');
            }
            Line::Open(f) => blocks.push(Block {
                lang: f.lang(),
                body: String::new(),
                closed: false,
            }),
            Line::Code(l) => {
                if let Some(b) = blocks.last_mut() {
                    b.body.push_str(l);
                    b.body.push('\n');
                }
            }
            Line::Close => {
                if let Some(b) = blocks.last_mut() {
                    b.closed = true;
                }
            }
        }
    }
    (blocks, prose)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bodies(text: &str) -> Vec<(Option<String>, String, bool)> {
        split(text)
            .0
            .into_iter()
            .map(|b| (b.lang, b.body, b.closed))
            .collect()
    }

    #[test]
    fn backticks_and_tildes_open_and_close_blocks() {
        let (blocks, prose) = split("Here:\n```rust\nfn a() {}\n```\nand\n~~~py\nx = 1\n~~~\nend");
        assert_eq!(blocks.len(), 2);
        assert_eq!(blocks[0].lang.as_deref(), Some("rust"));
        assert_eq!(blocks[0].body, "fn a() {}\n");
        assert_eq!(blocks[1].lang.as_deref(), Some("py"));
        assert!(blocks.iter().all(|b| b.closed));
        assert_eq!(prose, "Here:\nand\nend\n");
    }

    #[test]
    fn a_closing_fence_needs_the_same_character_and_at_least_the_length() {
        // The router's old scanner closed on any fence line: here the ~~~ and the shorter
        // ``` are code.
        let b = bodies("````md\n```rust\nx\n```\n~~~\n````\nafter");
        assert_eq!(b.len(), 1);
        assert_eq!(b[0].1, "```rust\nx\n```\n~~~\n");
        assert!(b[0].2);
        // A longer closing run is fine.
        assert!(bodies("```\nx\n`````\n")[0].2);
    }

    #[test]
    fn a_closing_fence_has_nothing_after_it() {
        // The confidence scorer's old scanner closed on "```text" when the text did not
        // look like an info string; the code pane's (and pulldown-cmark) did not.
        let b = bodies("```go\nx := 1\n```に通りの\nmore");
        assert_eq!(
            b,
            [(
                Some("go".into()),
                "x := 1\n```に通りの\nmore\n".into(),
                false
            )]
        );
        let b = bodies("```go\nx := 1\n```python\ny = 2\n");
        assert!(!b[0].2);
        // Trailing spaces, tabs and a CRLF ending are allowed.
        assert!(bodies("```\nx\n```  \t\n")[0].2);
        assert!(bodies("```\r\nx\r\n```\r\n")[0].2);
    }

    #[test]
    fn up_to_three_spaces_of_indentation() {
        // The confidence scorer's old scanner took any indentation, the router's any
        // leading whitespace; CommonMark (and the code pane) stop at three spaces.
        let b = bodies("1. step\n   ```go\n   x := 1\n     y\n   ```\n");
        assert_eq!(b, [(Some("go".into()), "x := 1\n  y\n".into(), true)]);
        assert!(bodies("    ```go\n    x\n").is_empty());
        assert!(bodies("\t```go\nx\n").is_empty());
        // A closing fence may be indented differently from the opening one.
        assert!(bodies("```\nx\n   ```\n")[0].2);
        assert!(!bodies("```\nx\n    ```\n")[0].2);
    }

    #[test]
    fn backtick_info_strings_hold_no_backticks() {
        assert!(bodies("use ```x``` inline\n").is_empty());
        // Tilde fences may.
        let b = bodies("~~~ a`b\nx\n~~~\n");
        assert_eq!(b[0].0.as_deref(), Some("a`b"));
    }

    #[test]
    fn short_runs_are_not_fences() {
        assert!(bodies("``\nx\n``\n").is_empty());
        assert!(opening("~~").is_none());
    }

    #[test]
    fn unclosed_blocks_run_to_the_end() {
        let b = bodies("Sure:\n```python\ndef f():\n    return");
        assert_eq!(
            b,
            [(
                Some("python".into()),
                "def f():\n    return\n".into(),
                false
            )]
        );
    }

    #[test]
    fn languages_from_info_strings() {
        // The four old readers disagreed on "{.rust}" and "Rust,ignore".
        for (info, want) in [
            ("rust", Some("rust")),
            (" Python title=\"a.py\"", Some("python")),
            ("{.rust}", Some("rust")),
            ("{.rust .numberLines}", Some("rust")),
            ("Rust,ignore", Some("rust")),
            ("", None),
            ("   ", None),
        ] {
            assert_eq!(lang(info).as_deref(), want, "{info:?}");
        }
    }

    #[test]
    fn a_line_being_typed_may_become_a_fence() {
        for partial in ["", "  ", "`", "   ``", "~"] {
            assert!(may_become_fence(partial), "{partial:?}");
        }
        for partial in ["x", "    `", "a```"] {
            assert!(!may_become_fence(partial), "{partial:?}");
        }
    }

    #[test]
    fn odd_input_does_not_panic() {
        for s in [
            "",
            "```",
            "~~~~",
            "  ```é",
            "```\r\n",
            "\u{feff}```rust\n",
            "é```",
        ] {
            let _ = split(s);
        }
    }
}
