//! Splits a markdown answer into fenced code blocks and the prose around them.
//!
//! Fences follow CommonMark closely enough for model output: a run of three or more backticks
//! or tildes opens a block, the same character at least as long closes it. Models indent
//! fences inside list items by any amount, so any indentation is accepted, and the opening
//! fence's indentation is removed from the block's lines (as CommonMark does).

/// One fenced block: its language tag (lower case, possibly empty) and its text.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Block {
    pub tag: String,
    pub body: String,
    pub closed: bool,
}

/// An answer taken apart: the code blocks and the prose outside them.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Doc {
    pub blocks: Vec<Block>,
    pub prose: String,
}

impl Doc {
    /// A block was opened and never closed: the answer stopped inside code.
    pub fn unclosed(&self) -> bool {
        self.blocks.last().is_some_and(|b| !b.closed)
    }
}

struct Open {
    ch: char,
    len: usize,
    indent: usize,
    block: Block,
}

pub(crate) fn split(answer: &str) -> Doc {
    let mut doc = Doc::default();
    let mut open: Option<Open> = None;
    for line in answer.lines() {
        open = match open {
            None => match opening(line) {
                Some(o) => Some(o),
                None => {
                    doc.prose.push_str(line);
                    doc.prose.push('\n');
                    None
                }
            },
            Some(mut o) => {
                if let Some(rest) = closes(line, o.ch, o.len) {
                    o.block.closed = true;
                    doc.blocks.push(o.block);
                    if !rest.trim().is_empty() {
                        doc.prose.push_str(rest.trim());
                        doc.prose.push('\n');
                    }
                    None
                } else {
                    o.block.body.push_str(strip_indent(line, o.indent));
                    o.block.body.push('\n');
                    Some(o)
                }
            }
        };
    }
    if let Some(o) = open {
        doc.blocks.push(o.block);
    }
    doc
}

/// The fence character and run length a line starts with, if it is a fence line.
fn fence_run(line: &str) -> Option<(char, usize, usize, &str)> {
    let rest = line.trim_start();
    let indent = line.len() - rest.len();
    let ch = rest.chars().next().filter(|c| *c == '`' || *c == '~')?;
    let len = rest.chars().take_while(|c| *c == ch).count();
    (len >= 3).then(|| (ch, len, indent, &rest[len..]))
}

fn opening(line: &str) -> Option<Open> {
    let (ch, len, indent, info) = fence_run(line)?;
    // A backtick fence's info string may not hold backticks: "```foo```" is inline code.
    if ch == '`' && info.contains('`') {
        return None;
    }
    Some(Open {
        ch,
        len,
        indent,
        block: Block {
            tag: tag_of(info),
            body: String::new(),
            closed: false,
        },
    })
}

/// A closing fence. CommonMark wants nothing after it, but models glue stray text to it
/// ("```に通りの"); that still closes the block unless it could be an info string opening a
/// new one ("```python"), and the text goes to the prose.
fn closes(line: &str, ch: char, len: usize) -> Option<&str> {
    let (c, n, _, rest) = fence_run(line)?;
    let info_like = rest.starts_with(|c: char| c.is_ascii_alphanumeric() || c == '{');
    (c == ch && n >= len && !info_like).then_some(rest)
}

/// The first word of the info string: "python title=x" → "python", "{.rust}" → "rust".
fn tag_of(info: &str) -> String {
    info.trim()
        .split(|c: char| c.is_whitespace() || c == ',' || c == '}')
        .next()
        .unwrap_or("")
        .trim_start_matches(['{', '.'])
        .to_ascii_lowercase()
}

/// Removes up to `indent` leading spaces, never cutting into text.
fn strip_indent(line: &str, indent: usize) -> &str {
    let spaces = line.bytes().take(indent).take_while(|b| *b == b' ').count();
    &line[spaces..]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_blocks_and_prose() {
        let d = split("Here:\n```rust\nfn a() {}\n```\nand\n~~~py\nx = 1\n~~~\nend");
        assert_eq!(d.blocks.len(), 2);
        assert_eq!(d.blocks[0].tag, "rust");
        assert_eq!(d.blocks[0].body, "fn a() {}\n");
        assert_eq!(d.blocks[1].tag, "py");
        assert!(d.blocks.iter().all(|b| b.closed));
        assert_eq!(d.prose, "Here:\nand\nend\n");
        assert!(!d.unclosed());
    }

    #[test]
    fn unclosed_block_at_the_end() {
        let d = split("Sure:\n```python\ndef f():\n    return");
        assert!(d.unclosed());
        assert_eq!(d.blocks[0].body, "def f():\n    return\n");
    }

    #[test]
    fn indented_fences_in_lists_and_longer_fences() {
        let d = split("1. step\n   ```go\n   x := 1\n   ```\n````md\n```\ninner\n```\n````\n");
        assert_eq!(d.blocks[0].tag, "go");
        assert_eq!(d.blocks[0].body, "x := 1\n");
        assert_eq!(d.blocks[1].body, "```\ninner\n```\n");
        assert!(!d.unclosed());
    }

    #[test]
    fn text_glued_to_a_closing_fence() {
        let d = split("```go\nx := 1\n```に通りの\nmore");
        assert_eq!(d.blocks.len(), 1);
        assert!(!d.unclosed());
        assert_eq!(d.prose, "に通りの\nmore\n");
        let d = split("```go\nx := 1\n```python\ny = 2\n");
        assert!(d.unclosed());
    }

    #[test]
    fn info_strings_and_inline_backticks() {
        assert_eq!(tag_of(" Python title=\"a.py\""), "python");
        assert_eq!(tag_of("{.rust}"), "rust");
        assert_eq!(tag_of("rust,ignore"), "rust");
        assert_eq!(tag_of(""), "");
        let d = split("use ```x``` here\n");
        assert!(d.blocks.is_empty());
    }

    #[test]
    fn odd_input_does_not_panic() {
        for s in ["", "```", "~~~~", "  ```é", "```\r\n", "\u{feff}```rust\n"] {
            let _ = split(s);
        }
    }
}
