//! Splits a markdown answer into fenced code blocks and the prose around them, by
//! CommonMark's fence rules ([`crate::text::fence`]), so that the scorer judges the same
//! blocks the chat shows.

use crate::text::fence::{self, Line, Scanner};

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

pub(crate) fn split(answer: &str) -> Doc {
    let (blocks, prose) = fence::split(answer);
    let blocks = blocks
        .into_iter()
        .map(|b| Block {
            tag: b.lang.unwrap_or_default(),
            body: b.body,
            closed: b.closed,
        })
        .collect();
    Doc { blocks, prose }
}

/// One piece of an answer, in order: a prose line (trimmed, never blank) or a closed block.
#[derive(Debug)]
pub(crate) enum Part<'a> {
    Prose(&'a str),
    Block { tag: String, body: String },
}

/// The answer's prose lines and closed blocks in the order they come (an unclosed block at
/// the end is left out: it is no example of anything).
pub(crate) fn parts(answer: &str) -> Vec<Part<'_>> {
    let mut scanner = Scanner::new();
    let mut out = Vec::new();
    let mut open: Option<(String, String)> = None;
    for line in answer.lines() {
        match scanner.line(line) {
            Line::Prose(l) if !l.trim().is_empty() => out.push(Part::Prose(l.trim())),
            Line::Prose(_) => {}
            Line::Open(f) => open = Some((f.lang().unwrap_or_default(), String::new())),
            Line::Code(l) => {
                if let Some((_, body)) = open.as_mut() {
                    body.push_str(l);
                    body.push('\n');
                }
            }
            Line::Close => {
                if let Some((tag, body)) = open.take() {
                    out.push(Part::Block { tag, body });
                }
            }
        }
    }
    out
}

/// The prose lines of `parts`, joined by `sep`.
pub(crate) fn prose_of(parts: &[Part], sep: &str) -> String {
    let lines: Vec<&str> = parts
        .iter()
        .filter_map(|p| match p {
            Part::Prose(l) => Some(*l),
            Part::Block { .. } => None,
        })
        .collect();
    lines.join(sep)
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
    fn text_glued_to_a_closing_fence_keeps_the_block_open() {
        // As pulldown-cmark renders it: the line is code, so the answer ends inside code.
        let d = split("```go\nx := 1\n```に通りの\nmore");
        assert!(d.unclosed());
        assert_eq!(d.blocks[0].body, "x := 1\n```に通りの\nmore\n");
    }

    #[test]
    fn tags_and_inline_backticks() {
        let d = split("```{.Rust}\nx\n```\n```\ny\n```\n");
        assert_eq!(d.blocks[0].tag, "rust");
        assert_eq!(d.blocks[1].tag, "");
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
