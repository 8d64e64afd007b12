//! Incremental newline-delimited JSON framing (Ollama's native stream).
//!
//! Splits bytes into complete lines regardless of how reads fall; a trailing CR is
//! dropped and blank lines are skipped. JSON decoding is left to the caller.

/// The most one line may hold: a server that never ends a line must not take the machine's
/// memory (DESIGN.md, "Untrusted input").
pub const MAX_LINE: usize = 4 << 20;

#[derive(Debug, Default)]
pub struct NdjsonParser {
    partial: Vec<u8>,
    /// A line went past [`MAX_LINE`]; nothing more is parsed.
    too_large: bool,
}

impl NdjsonParser {
    pub fn new() -> Self {
        Self::default()
    }

    /// Pushes every line that `chunk` completes onto `out`.
    pub fn feed(&mut self, mut chunk: &[u8], out: &mut Vec<String>) {
        while let Some(pos) = memchr::memchr(b'\n', chunk) {
            if self.too_large {
                return;
            }
            let line = &chunk[..pos];
            chunk = &chunk[pos + 1..];
            if self.partial.len() + line.len() > MAX_LINE {
                self.overflow();
            } else if self.partial.is_empty() {
                if !push_line(line, out) {
                    self.overflow();
                }
            } else {
                self.partial.extend_from_slice(line);
                let fits = push_line(&self.partial, out);
                self.partial.clear();
                if !fits {
                    self.overflow();
                }
            }
        }
        if self.too_large {
            return;
        }
        self.partial.extend_from_slice(chunk);
        if self.partial.len() > MAX_LINE {
            self.overflow();
        }
    }

    /// A line went past [`MAX_LINE`]: the stream is broken or hostile.
    pub fn too_large(&self) -> bool {
        self.too_large
    }

    fn overflow(&mut self) {
        self.too_large = true;
        self.partial = Vec::new();
    }

    /// Flushes a last line that had no newline.
    pub fn finish(&mut self, out: &mut Vec<String>) {
        if self.too_large {
            return;
        }
        let rest = std::mem::take(&mut self.partial);
        if !push_line(&rest, out) {
            self.overflow();
        }
    }
}

/// Pushes a non-blank line as text; false when the text is over [`MAX_LINE`]. The cap is on
/// the text as stored: each invalid byte becomes a three-byte U+FFFD, so a line under the cap
/// in bytes can triple.
fn push_line(line: &[u8], out: &mut Vec<String>) -> bool {
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    if line.iter().all(u8::is_ascii_whitespace) {
        return true;
    }
    let text = String::from_utf8_lossy(line);
    if text.len() > MAX_LINE {
        return false;
    }
    out.push(text.into_owned());
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_past_the_cap_stops_the_parse() {
        let mut p = NdjsonParser::new();
        let mut out = Vec::new();
        p.feed(b"{\"a\":1}\n", &mut out);
        let piece = vec![b'x'; 1 << 20];
        for _ in 0..5 {
            p.feed(&piece, &mut out);
        }
        assert!(p.too_large());
        p.feed(b"\n{\"b\":2}\n", &mut out);
        p.finish(&mut out);
        assert_eq!(out, vec!["{\"a\":1}"], "nothing after the broken line");
        // Invalid UTF-8 under the cap in bytes is over it as text (U+FFFD is three bytes).
        let mut p = NdjsonParser::new();
        let mut out = Vec::new();
        p.feed(&vec![0xff; 2 << 20], &mut out);
        p.feed(b"\n{\"b\":2}\n", &mut out);
        p.finish(&mut out);
        assert!(p.too_large());
        assert!(out.is_empty(), "{} lines", out.len());
    }

    #[test]
    fn lines_split_across_reads_are_rejoined() {
        let mut p = NdjsonParser::new();
        let mut out = Vec::new();
        p.feed(b"{\"a\":", &mut out);
        assert!(out.is_empty());
        p.feed(b"1}\r\n\n{\"b\"", &mut out);
        p.feed(b":2}", &mut out);
        p.finish(&mut out);
        assert_eq!(out, vec!["{\"a\":1}", "{\"b\":2}"]);
    }
}
