//! Incremental Server-Sent Events framing.
//!
//! Bytes arrive in whatever pieces TCP hands us; this turns them into complete events
//! without ever looking at their JSON. Lines may end in LF, CRLF or a lone CR (the SSE
//! spec allows all three), and a CR at the end of one read may be followed by its LF at
//! the start of the next.

/// One dispatched SSE event: the joined `data:` lines and the optional `event:` name.
///
/// llama.cpp builds from early 2025 sent a non-standard `error: {...}` field; it is
/// reported as an event named `error` so the caller treats it like `event: error`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SseEvent {
    pub event: Option<String>,
    pub data: String,
}

/// The most one line or one event may hold. Real events are a few hundred bytes; a server
/// that never ends a line or an event must not take the machine's memory (DESIGN.md,
/// "Untrusted input": capped while reading).
pub const MAX_EVENT: usize = 4 << 20;

/// Feed it bytes with [`SseParser::feed`]; call [`SseParser::finish`] at end of stream.
#[derive(Debug, Default)]
pub struct SseParser {
    /// Bytes of a line not yet terminated.
    partial: Vec<u8>,
    /// The previous read ended in CR, so a leading LF belongs to that line ending.
    skip_lf: bool,
    data: String,
    has_data: bool,
    event: Option<String>,
    /// A line or an event went past [`MAX_EVENT`]; nothing more is parsed.
    too_large: bool,
}

impl SseParser {
    pub fn new() -> Self {
        Self::default()
    }

    /// Parses `chunk`, pushing every event it completes onto `out`.
    pub fn feed(&mut self, mut chunk: &[u8], out: &mut Vec<SseEvent>) {
        if self.too_large {
            return;
        }
        if chunk.is_empty() {
            return; // keep a pending CR's state for the next real read
        }
        if self.skip_lf {
            self.skip_lf = false;
            if let Some(rest) = chunk.strip_prefix(b"\n") {
                chunk = rest;
            }
        }
        while let Some(pos) = memchr::memchr2(b'\n', b'\r', chunk) {
            let (line, rest) = chunk.split_at(pos);
            let crlf = rest[0] == b'\r';
            chunk = &rest[1..];
            if crlf {
                match chunk.first() {
                    Some(b'\n') => chunk = &chunk[1..],
                    None => self.skip_lf = true,
                    Some(_) => {}
                }
            }
            if self.partial.is_empty() {
                self.line(line, out);
            } else {
                let mut whole = std::mem::take(&mut self.partial);
                whole.extend_from_slice(line);
                self.line(&whole, out);
                whole.clear();
                self.partial = whole;
            }
        }
        self.partial.extend_from_slice(chunk);
        if self.partial.len() > MAX_EVENT {
            self.overflow();
        }
    }

    /// A line or an event went past [`MAX_EVENT`]: the stream is broken or hostile.
    pub fn too_large(&self) -> bool {
        self.too_large
    }

    fn overflow(&mut self) {
        self.too_large = true;
        self.partial = Vec::new();
        self.data = String::new();
        self.has_data = false;
    }

    /// Flushes an unterminated last line and a pending event at end of stream.
    pub fn finish(&mut self, out: &mut Vec<SseEvent>) {
        if !self.partial.is_empty() {
            let line = std::mem::take(&mut self.partial);
            self.line(&line, out);
        }
        self.dispatch(out);
    }

    fn line(&mut self, line: &[u8], out: &mut Vec<SseEvent>) {
        if self.too_large {
            return;
        }
        if line.is_empty() {
            self.dispatch(out);
            return;
        }
        if line[0] == b':' {
            return; // comment or keep-alive ping
        }
        let (field, value) = match memchr::memchr(b':', line) {
            Some(i) => {
                let v = &line[i + 1..];
                (&line[..i], v.strip_prefix(b" ").unwrap_or(v))
            }
            None => (line, &b""[..]),
        };
        match field {
            b"data" => self.push_data(value),
            b"event" => {
                let name = String::from_utf8_lossy(value);
                // Measured as stored, like data (see push_data).
                if name.len() > MAX_EVENT {
                    return self.overflow();
                }
                self.event = Some(name.into_owned());
            }
            b"error" => {
                self.event = Some("error".to_owned());
                self.push_data(value);
            }
            _ => {} // id, retry and unknown fields carry nothing we use
        }
    }

    fn push_data(&mut self, value: &[u8]) {
        // The cap is on the text as stored: each invalid byte becomes a three-byte U+FFFD,
        // so a line under the cap in bytes can triple, and the joining newline counts too.
        let value = String::from_utf8_lossy(value);
        if self.data.len() + usize::from(self.has_data) + value.len() > MAX_EVENT {
            self.overflow();
            return;
        }
        if self.has_data {
            self.data.push('\n');
        }
        self.has_data = true;
        self.data.push_str(&value);
    }

    fn dispatch(&mut self, out: &mut Vec<SseEvent>) {
        if self.has_data {
            out.push(SseEvent {
                event: self.event.take(),
                data: std::mem::take(&mut self.data),
            });
        }
        self.has_data = false;
        self.event = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_or_an_event_past_the_cap_stops_the_parse() {
        let mut p = SseParser::new();
        let mut out = Vec::new();
        p.feed(b"data: kept\n\n", &mut out);
        let piece = vec![b'a'; 1 << 20];
        p.feed(b"data: ", &mut out);
        for _ in 0..5 {
            p.feed(&piece, &mut out);
        }
        assert!(p.too_large());
        assert_eq!(out.len(), 1, "the event before it is kept");
        // An event of many short data lines is capped too.
        let mut p = SseParser::new();
        let line = [b"data: ".as_slice(), &vec![b'b'; 1000], b"\n"].concat();
        for _ in 0..5_000 {
            p.feed(&line, &mut out);
        }
        assert!(p.too_large());
        // Invalid UTF-8 under the cap in bytes is over it as text (U+FFFD is three bytes).
        for field in ["data", "event"] {
            let mut p = SseParser::new();
            let mut out = Vec::new();
            p.feed(format!("{field}: ").as_bytes(), &mut out);
            let piece = vec![0xff; 1 << 20];
            for _ in 0..2 {
                p.feed(&piece, &mut out);
            }
            p.feed(b"\ndata: x\n\n", &mut out);
            p.finish(&mut out);
            assert!(p.too_large(), "{field}");
            assert!(out.is_empty(), "{field}: {} events", out.len());
        }
    }

    fn parse_all(chunks: &[&[u8]]) -> Vec<SseEvent> {
        let mut p = SseParser::new();
        let mut out = Vec::new();
        for c in chunks {
            p.feed(c, &mut out);
        }
        p.finish(&mut out);
        out
    }

    fn data(s: &str) -> SseEvent {
        SseEvent {
            event: None,
            data: s.to_owned(),
        }
    }

    #[test]
    fn lf_crlf_and_cr_line_ends_give_the_same_events() {
        let lf = parse_all(&[b"data: a\n\ndata: b\n\n"]);
        let crlf = parse_all(&[b"data: a\r\n\r\ndata: b\r\n\r\n"]);
        let cr = parse_all(&[b"data: a\r\rdata: b\r\r"]);
        assert_eq!(lf, vec![data("a"), data("b")]);
        assert_eq!(crlf, lf);
        assert_eq!(cr, lf);
    }

    #[test]
    fn crlf_split_between_reads_is_one_line_end() {
        let out = parse_all(&[b"data: a\r", b"", b"\n\r", b"\ndata: b\r\n\r\n"]);
        assert_eq!(out, vec![data("a"), data("b")]);
    }

    #[test]
    fn comments_and_pings_are_skipped_and_event_names_kept() {
        let out = parse_all(&[b": ping\n\nevent: error\ndata: {\"x\":1}\n\n"]);
        assert_eq!(
            out,
            vec![SseEvent {
                event: Some("error".into()),
                data: "{\"x\":1}".into()
            }]
        );
    }

    #[test]
    fn multi_line_data_is_joined_with_newlines() {
        assert_eq!(parse_all(&[b"data: a\ndata: b\n\n"]), vec![data("a\nb")]);
    }

    #[test]
    fn legacy_llama_error_field_becomes_an_error_event() {
        let out = parse_all(&[b"error: {\"message\":\"boom\"}\n\n"]);
        assert_eq!(out[0].event.as_deref(), Some("error"));
    }

    #[test]
    fn unterminated_last_event_is_flushed_by_finish() {
        assert_eq!(parse_all(&[b"data: [DONE]"]), vec![data("[DONE]")]);
    }
}
