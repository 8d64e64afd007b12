//! The code blocks of the answer being streamed, split out line by line as the text
//! arrives: each completed line is looked at once (is it a fence?) and, inside a block,
//! handed to that block's highlighter once. Nothing is re-parsed per token.

use ratatui::text::Line;

use super::highlight::BlockHighlighter;
use crate::text::fence;

/// One fenced block of the current answer.
pub struct CodeBlock {
    pub lang: Option<String>,
    pub highlighter: BlockHighlighter,
    /// The raw text, for copying and saving.
    pub text: String,
    /// The closing fence has arrived.
    pub complete: bool,
}

impl CodeBlock {
    pub fn lines(&self) -> usize {
        self.highlighter.len()
    }

    pub fn visible(&self, start: usize, height: usize) -> Vec<Line<'static>> {
        self.highlighter.visible(start, height)
    }
}

/// Splits streamed answer text into its code blocks.
pub struct CodeStream {
    pub blocks: Vec<CodeBlock>,
    /// The current line, not yet ended by a newline.
    partial: String,
    /// Where the fenced blocks start and end.
    fences: fence::Scanner,
    /// How much of `partial` the open block's highlighter already has.
    shown: usize,
    /// The pane shows the newest block (until the user picks one).
    pub follow: bool,
}

impl Default for CodeStream {
    fn default() -> Self {
        Self {
            blocks: Vec::new(),
            partial: String::new(),
            fences: fence::Scanner::new(),
            shown: 0,
            follow: true,
        }
    }
}

impl CodeStream {
    pub fn new() -> Self {
        Self::default()
    }

    /// Shows block `i`: it alone is highlighted (catching up on ticks).
    pub fn show(&mut self, i: usize) {
        for (n, b) in self.blocks.iter_mut().enumerate() {
            b.highlighter.set_live(n == i);
        }
    }

    /// Feeds a chunk of streamed text.
    pub fn push(&mut self, text: &str) {
        let mut rest = text;
        while let Some(i) = rest.find('\n') {
            self.partial.push_str(&rest[..i]);
            let line = std::mem::take(&mut self.partial);
            self.line(&line);
            self.shown = 0;
            rest = &rest[i + 1..];
        }
        self.partial.push_str(rest);
        // Show the unfinished line of an open block as it types, unless it may yet turn
        // out to be the closing fence.
        if self.fences.is_open() && !fence::may_become_fence(&self.partial) {
            if let Some(b) = self.blocks.last_mut() {
                b.highlighter.push(&self.partial[self.shown..]);
                self.shown = self.partial.len();
            }
        }
    }

    /// Highlights lines that arrived before the syntaxes had loaded; true when any
    /// changed (so the pane needs a redraw).
    pub fn catch_up(&mut self) -> bool {
        let mut changed = false;
        for b in &mut self.blocks {
            if b.highlighter.needs_catch_up() {
                changed |= b.highlighter.catch_up();
            }
        }
        changed
    }

    pub fn needs_catch_up(&self) -> bool {
        self.blocks.iter().any(|b| b.highlighter.needs_catch_up())
    }

    /// The answer ended: an unfinished last line counts, and an open block stays open
    /// (marked incomplete).
    pub fn finish(&mut self) {
        if !self.partial.is_empty() {
            let line = std::mem::take(&mut self.partial);
            self.line(&line);
            self.shown = 0;
        }
        if let Some(b) = self.blocks.last_mut() {
            b.highlighter.finish();
        }
    }

    fn line(&mut self, line: &str) {
        match self.fences.line(line) {
            fence::Line::Open(f) => {
                let lang = f.lang();
                let mut highlighter = BlockHighlighter::new(lang.as_deref());
                highlighter.set_live(self.follow);
                if self.follow {
                    if let Some(prev) = self.blocks.last_mut() {
                        prev.highlighter.set_live(false);
                    }
                }
                self.blocks.push(CodeBlock {
                    highlighter,
                    lang,
                    text: String::new(),
                    complete: false,
                });
            }
            fence::Line::Close => {
                if let Some(b) = self.blocks.last_mut() {
                    b.complete = true;
                    b.highlighter.finish();
                }
            }
            // The raw line, not the one without the fence's indentation: its start has
            // already been shown while it was typed.
            fence::Line::Code(_) => {
                if let Some(b) = self.blocks.last_mut() {
                    b.text.push_str(line);
                    b.text.push('\n');
                    b.highlighter.push(&line[self.shown.min(line.len())..]);
                    b.highlighter.push("\n");
                }
            }
            fence::Line::Prose(_) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(b: &CodeBlock) -> &str {
        &b.text
    }

    fn shown(b: &CodeBlock) -> Vec<String> {
        b.highlighter
            .lines()
            .iter()
            .map(|l| l.spans.iter().map(|s| s.content.as_ref()).collect())
            .collect()
    }

    #[test]
    fn the_typing_line_shows_but_a_closing_fence_never_does() {
        let mut s = CodeStream::new();
        s.push(
            "```rust
fn a",
        );
        assert_eq!(shown(&s.blocks[0]), ["fn a"]);
        s.push(
            "() {}
``",
        );
        assert_eq!(shown(&s.blocks[0]), ["fn a() {}"]);
        s.push(
            "`
after
",
        );
        assert!(s.blocks[0].complete);
        assert_eq!(shown(&s.blocks[0]), ["fn a() {}"]);
    }

    #[test]
    fn blocks_are_split_out_however_the_text_is_chunked() {
        let answer =
            "Here:\n\n```rust\nfn a() {}\nfn b() {}\n```\n\nand\n\n~~~python\nprint(1)\n~~~\n";
        for size in [1, 2, 3, 7, answer.len()] {
            let mut s = CodeStream::new();
            let bytes: Vec<char> = answer.chars().collect();
            for chunk in bytes.chunks(size) {
                s.push(&chunk.iter().collect::<String>());
            }
            s.finish();
            assert_eq!(s.blocks.len(), 2, "chunk {size}");
            assert_eq!(s.blocks[0].lang.as_deref(), Some("rust"));
            assert_eq!(text(&s.blocks[0]), "fn a() {}\nfn b() {}\n");
            assert!(s.blocks[0].complete && s.blocks[1].complete);
            assert_eq!(s.blocks[1].lang.as_deref(), Some("python"));
            assert_eq!(text(&s.blocks[1]), "print(1)\n");
        }
    }

    #[test]
    fn an_unclosed_block_stays_open_and_inline_backticks_are_not_fences() {
        let mut s = CodeStream::new();
        s.push("use ```x``` inline\n```ts\nconst a = 1;\nconst b");
        assert_eq!(s.blocks.len(), 1);
        assert!(!s.blocks[0].complete);
        s.finish();
        assert_eq!(text(&s.blocks[0]), "const a = 1;\nconst b\n");
        assert!(!s.blocks[0].complete);
    }

    #[test]
    fn only_the_block_on_screen_is_highlighted() {
        let mut s = CodeStream::new();
        s.push("```rust\nfn a() {}\n```\n```python\nprint(1)\n");
        assert!(
            s.blocks[1].highlighter.needs_catch_up() || !s.blocks[0].highlighter.needs_catch_up()
        );
        // The first block, hidden, has nothing to do until it is shown.
        assert!(!s.blocks[0].highlighter.needs_catch_up());
        s.show(0);
        assert!(!s.blocks[1].highlighter.needs_catch_up());
    }

    #[test]
    fn a_longer_fence_holds_a_shorter_one() {
        let mut s = CodeStream::new();
        s.push("````md\n```rust\nx\n```\n````\n");
        assert_eq!(s.blocks.len(), 1);
        assert_eq!(text(&s.blocks[0]), "```rust\nx\n```\n");
    }
}
