//! Incremental newline-delimited JSON framing (Ollama's native stream).
//!
//! Splits bytes into complete lines regardless of how reads fall; a trailing CR is
//! dropped and blank lines are skipped. JSON decoding is left to the caller.

#[derive(Debug, Default)]
pub struct NdjsonParser {
    partial: Vec<u8>,
}

impl NdjsonParser {
    pub fn new() -> Self {
        Self::default()
    }

    /// Pushes every line that `chunk` completes onto `out`.
    pub fn feed(&mut self, mut chunk: &[u8], out: &mut Vec<String>) {
        while let Some(pos) = memchr::memchr(b'\n', chunk) {
            let line = &chunk[..pos];
            chunk = &chunk[pos + 1..];
            if self.partial.is_empty() {
                push_line(line, out);
            } else {
                self.partial.extend_from_slice(line);
                push_line(&self.partial, out);
                self.partial.clear();
            }
        }
        self.partial.extend_from_slice(chunk);
    }

    /// Flushes a last line that had no newline.
    pub fn finish(&mut self, out: &mut Vec<String>) {
        let rest = std::mem::take(&mut self.partial);
        push_line(&rest, out);
    }
}

fn push_line(line: &[u8], out: &mut Vec<String>) {
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    if line.iter().all(u8::is_ascii_whitespace) {
        return;
    }
    out.push(String::from_utf8_lossy(line).into_owned());
}

#[cfg(test)]
mod tests {
    use super::*;

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
