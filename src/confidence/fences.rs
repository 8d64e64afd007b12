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

/// `doc` with the answer's opening document as a `json` block when the prompt is about JSON
/// and the answer starts with a bare one (no fence, `{` or `[` first): a format request is
/// often answered with the document alone, and its syntax is then checked like a fenced
/// one's. The document ends at the first blank line, where prose about it may follow.
pub(crate) fn with_bare_json(mut doc: Doc, prompt: &str, answer: &str) -> Doc {
    let start = answer.trim_start();
    // The cheap tests first: lower-casing the prompt is paid only for a bare document.
    if !doc.blocks.is_empty() || !(start.starts_with('{') || start.starts_with('[')) {
        return doc;
    }
    let bare = start.split("\n\n").next().unwrap_or(start).trim_end();
    let about_json =
        crate::confidence::words::has_phrase(&crate::confidence::words::normalise(prompt), "json");
    if about_json {
        doc.blocks.push(Block {
            tag: "json".to_owned(),
            body: bare.to_owned(),
            closed: true,
        });
    }
    doc
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
    fn a_bare_json_answer_to_a_json_prompt_is_a_block_up_to_its_first_blank_line() {
        let answer = "{\n  \"a\": 1\n}\n\nThis is the object.";
        let doc = with_bare_json(split(answer), "Convert this to JSON: a=1", answer);
        assert_eq!(doc.blocks.len(), 1);
        assert_eq!(doc.blocks[0].tag, "json");
        assert_eq!(doc.blocks[0].body, "{\n  \"a\": 1\n}");
        let other = with_bare_json(split(answer), "Write a dict literal", answer);
        assert!(other.blocks.is_empty(), "not about JSON");
        let fenced = "```json\n{}\n```";
        assert_eq!(
            with_bare_json(split(fenced), "JSON", fenced).blocks.len(),
            1
        );
    }

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
