//! The fuzz harness: one function per target, each taking arbitrary bytes, feeding them to
//! a parser that reads untrusted input (DESIGN.md, "Untrusted input") and panicking when
//! the parser breaks one of its promises (libFuzzer's memory and time limits catch growth
//! and hangs, see scripts/fuzz.sh). The coverage-guided targets in
//! `fuzz_targets/` call these under libFuzzer; the main test suite includes this file
//! (tests/suite/fuzz_quick.rs) and calls the same functions on random and committed inputs,
//! so both check the same things.
//!
//! Inputs start with a small header (see [`Input`]): how the stream is cut into reads and,
//! optionally, a unit repeated up to [`MAX_STREAM`] bytes, so a tiny input can stand for a
//! 10 MB line without the fuzzer having to write one.

use std::borrow::Cow;
use std::path::PathBuf;

use codecrucible::backend::ndjson::{NdjsonParser, MAX_LINE};
use codecrucible::backend::sse::{SseEvent, SseParser, MAX_EVENT};
use codecrucible::backend::{decode_stream, Api, BackendError, ErrorKind, StreamEvent};
use codecrucible::confidence::{self, Draft};
use codecrucible::config::{edit, schema, Config, ConfigError, Overrides};
use codecrucible::logprob::TokenLogprob;
use codecrucible::router::TaskType;
use codecrucible::text::{fence, terminal};
use codecrucible::tui::chat::{Entry, Who};
use codecrucible::tui::stream::CodeStream;
use codecrucible::tui::theme::Theme;
use ratatui::text::Line;

/// The most a repeated stream grows to: past the 10 MB the parsers must survive, and past
/// both 4 MiB caps with room to spare.
pub const MAX_STREAM: usize = 12 << 20;

/// The largest read a stream is cut into; a line longer than a cap plus this must have
/// tripped the cap before it ended.
pub const MAX_PIECE: usize = 64 << 10;

/// Streams up to this size are also parsed in one read, and must give the same result.
const WHOLE_COMPARE: usize = 64 << 10;

/// Fuzzer bytes taken apart front to back; reading past the end gives zeros and nothing.
pub struct Input<'a> {
    data: &'a [u8],
}

impl<'a> Input<'a> {
    pub fn new(data: &'a [u8]) -> Self {
        Self { data }
    }

    pub fn byte(&mut self) -> u8 {
        match self.data.split_first() {
            Some((b, rest)) => {
                self.data = rest;
                *b
            }
            None => 0,
        }
    }

    pub fn take(&mut self, n: usize) -> &'a [u8] {
        let (head, rest) = self.data.split_at(n.min(self.data.len()));
        self.data = rest;
        head
    }

    /// The stream: header byte `flags`; unless its low four bits are [`REPEAT`], the rest
    /// as it is. With them (one random byte in 16, so most runs stay small and fast) it is
    /// `size(1) head_len(1) unit_len-1(1) head unit tail` and the stream is
    /// `head + unit * n + tail` with `2^(size % 16)` bytes of units (up to 32 KiB), except
    /// that `size` 0xa0 to 0xa8 give 64 KiB, 128 KiB and so on to [`MAX_STREAM`]. The large
    /// sizes take a few middling byte values: libFuzzer favours 0x00 and 0xff, rewards an
    /// input that runs a loop more often, and an input that big takes the scorer seconds,
    /// so left to itself it would spend most of its time on a few huge inputs.
    pub fn stream(mut self) -> Vec<u8> {
        if self.byte() & 0x0f != REPEAT {
            return self.data.to_vec();
        }
        let size = self.byte();
        let want = match size {
            0xa0..=0xa8 => (64usize << (size - 0xa0)).min(MAX_STREAM >> 10) << 10,
            _ => 1 << (size % 16),
        };
        let head_len = usize::from(self.byte());
        let unit_len = usize::from(self.byte()) + 1;
        let head = self.take(head_len);
        let unit = self.take(unit_len);
        let tail = self.data;
        let times = want / unit.len().max(1);
        let mut out = Vec::with_capacity(head.len() + unit.len() * times + tail.len());
        out.extend_from_slice(head);
        for _ in 0..times {
            out.extend_from_slice(unit);
        }
        out.extend_from_slice(tail);
        out
    }
}

/// The stream header's low four bits that ask for a repeated stream (neither 0x0 nor 0xf,
/// which libFuzzer's favourite bytes would hit).
const REPEAT: u8 = 0x05;

/// The stream part of an input for `bytes` as they are (see [`Input::stream`]).
pub fn plain(bytes: &[u8]) -> Vec<u8> {
    [&[0u8][..], bytes].concat()
}

/// The stream part of an input for `head`, then `unit` repeated to at least `total` bytes
/// (the next power of two, at most [`MAX_STREAM`]), then `tail`. `head` is cut to 255
/// bytes, `unit` to 256.
pub fn repeated(head: &[u8], unit: &[u8], total: usize, tail: &[u8]) -> Vec<u8> {
    assert!(!unit.is_empty(), "a repeated stream needs a unit");
    let head = &head[..head.len().min(255)];
    let unit = &unit[..unit.len().min(256)];
    let size = match total.next_power_of_two().trailing_zeros() {
        shift @ 0..16 => shift as u8,
        shift => 0xa0 + (shift.min(24) - 16) as u8,
    };
    let mut out = vec![REPEAT, size, head.len() as u8, (unit.len() - 1) as u8];
    out.extend_from_slice(head);
    out.extend_from_slice(unit);
    out.extend_from_slice(tail);
    out
}

/// A small deterministic generator for read sizes (xorshift64*).
struct Rng(u64);

impl Rng {
    fn new(seed: u8) -> Self {
        Self(0x9e37_79b9_7f4a_7c15 ^ u64::from(seed).wrapping_mul(0x2545_f491_4f6c_dd1d))
    }

    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 33) as usize % n.max(1)
    }
}

/// Cuts `len` bytes into reads: `style` picks tiny (1–8), small (up to 512), large (up to
/// [`MAX_PIECE`]) or mixed sizes, `seed` the sizes themselves. Returns the end of each read.
fn cuts(len: usize, style: u8, seed: u8) -> Vec<usize> {
    // At most about 64 Ki reads: a 12 MiB stream in 4-byte reads takes the fuzzer a
    // second an input and finds nothing that 192-byte reads would not.
    let least = len >> 16;
    let mut rng = Rng::new(seed);
    let mut out = Vec::new();
    let mut at = 0;
    while at < len {
        let class = match style & 3 {
            3 => rng.below(3),
            c => usize::from(c),
        };
        let max = [8, 512, MAX_PIECE][class];
        at = (at + (1 + rng.below(max)).max(least)).min(len);
        out.push(at);
    }
    out
}

fn pieces<'a>(bytes: &'a [u8], ends: &[usize]) -> Vec<&'a [u8]> {
    let mut start = 0;
    ends.iter()
        .map(|&end| {
            let piece = &bytes[start..end];
            start = end;
            piece
        })
        .collect()
}

/// The longest run of bytes without any of `ends`.
fn longest_line(bytes: &[u8], ends: &[u8]) -> usize {
    bytes
        .split(|b| ends.contains(b))
        .map(<[u8]>::len)
        .max()
        .unwrap_or(0)
}

/// A stream header: the read style, the read-size seed, then [`Input::stream`].
fn reads(data: &[u8]) -> (Vec<u8>, Vec<usize>) {
    let mut input = Input::new(data);
    let style = input.byte();
    let seed = input.byte();
    let stream = input.stream();
    let ends = cuts(stream.len(), style, seed);
    (stream, ends)
}

fn sse_frames(reads: &[&[u8]]) -> (Vec<SseEvent>, bool) {
    let mut p = SseParser::new();
    let mut out = Vec::new();
    for r in reads {
        let before = out.len();
        let was_too_large = p.too_large();
        p.feed(r, &mut out);
        assert!(
            !was_too_large || out.len() == before,
            "SSE events after the cap tripped"
        );
    }
    let before = out.len();
    let was_too_large = p.too_large();
    p.finish(&mut out);
    assert!(
        !was_too_large || out.len() == before,
        "SSE events after the cap tripped"
    );
    (out, p.too_large())
}

fn ndjson_lines(reads: &[&[u8]]) -> (Vec<String>, bool) {
    let mut p = NdjsonParser::new();
    let mut out = Vec::new();
    for r in reads {
        let before = out.len();
        let was_too_large = p.too_large();
        p.feed(r, &mut out);
        assert!(
            !was_too_large || out.len() == before,
            "NDJSON lines after the cap tripped"
        );
    }
    p.finish(&mut out);
    (out, p.too_large())
}

/// A decoded stream ends in exactly one terminal item (an error or `Done`), and a stream
/// whose framing hit the cap never ends as merely cut short.
fn check_decoded(items: &[Result<StreamEvent, BackendError>], framing_too_large: bool) {
    let terminal =
        |i: &Result<StreamEvent, BackendError>| matches!(i, Err(_) | Ok(StreamEvent::Done { .. }));
    let last = items
        .last()
        .expect("a decoded stream always ends in something");
    assert!(terminal(last), "decoded stream ends in {last:?}");
    assert_eq!(
        items.iter().filter(|i| terminal(i)).count(),
        1,
        "one terminal item: {items:?}"
    );
    if let Err(e) = last {
        assert!(
            !(framing_too_large && e.kind == ErrorKind::Truncated),
            "a stream over the cap was reported as cut: {e}"
        );
        if e.kind == ErrorKind::TooLarge {
            assert!(framing_too_large, "too_large without a line over the cap");
        }
    }
}

/// SSE framing and the OpenAI-compatible decoder on top of it: the cap holds, an endless
/// line trips it, a decoded stream ends once, and how a small stream is cut into reads
/// changes nothing.
///
/// Header: `style(1) seed(1)` for the reads (see `cuts`), then [`Input::stream`].
pub fn sse(data: &[u8]) {
    let (stream, ends) = reads(data);
    let reads = pieces(&stream, &ends);
    let (events, too_large) = sse_frames(&reads);
    for e in &events {
        assert!(
            e.data.len() <= MAX_EVENT,
            "SSE event of {} bytes",
            e.data.len()
        );
        let name = e.event.as_deref().unwrap_or("");
        assert!(
            name.len() <= MAX_EVENT,
            "SSE event name of {} bytes",
            name.len()
        );
    }
    if longest_line(&stream, b"\r\n") > MAX_EVENT + MAX_PIECE {
        assert!(too_large, "an endless SSE line did not trip the cap");
    }
    let decoded = decode_stream(Api::Openai, &reads);
    check_decoded(&decoded, too_large);
    if stream.len() <= WHOLE_COMPARE {
        let (whole, whole_too_large) = sse_frames(&[&stream]);
        assert_eq!(
            (&events, too_large),
            (&whole, whole_too_large),
            "SSE split changed the events"
        );
        assert_eq!(
            decoded,
            decode_stream(Api::Openai, &[&stream]),
            "split changed the decoded stream"
        );
    }
}

/// NDJSON framing and Ollama's native decoder on top of it, checked as [`sse`] is.
///
/// Header: `style(1) seed(1)` for the reads (see `cuts`), then [`Input::stream`].
pub fn ndjson(data: &[u8]) {
    let (stream, ends) = reads(data);
    let reads = pieces(&stream, &ends);
    let (lines, too_large) = ndjson_lines(&reads);
    for l in &lines {
        assert!(l.len() <= MAX_LINE, "NDJSON line of {} bytes", l.len());
        assert!(!l.contains('\n'), "NDJSON line with a newline");
        // Blank as the parser means it: ASCII whitespace only (a vertical tab is not).
        assert!(
            !l.bytes().all(|b| b.is_ascii_whitespace()),
            "blank NDJSON line passed on"
        );
    }
    if longest_line(&stream, b"\n") > MAX_LINE + MAX_PIECE {
        assert!(too_large, "an endless NDJSON line did not trip the cap");
    }
    let decoded = decode_stream(Api::Ollama, &reads);
    check_decoded(&decoded, too_large);
    if stream.len() <= WHOLE_COMPARE {
        let whole = ndjson_lines(&[&stream]);
        assert_eq!(
            (&lines, too_large),
            (&whole.0, whole.1),
            "NDJSON split changed the lines"
        );
        assert_eq!(
            decoded,
            decode_stream(Api::Ollama, &[&stream]),
            "split changed the decoded stream"
        );
    }
}

/// A config file of this process and thread, removed when dropped.
struct ConfigFile(PathBuf);

impl ConfigFile {
    fn new(text: &str) -> Self {
        let name = format!(
            "codecrucible-fuzz-{}-{:?}.toml",
            std::process::id(),
            std::thread::current().id()
        );
        let name: String = name
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '.')
            .collect();
        let path = std::env::temp_dir().join(name);
        std::fs::write(&path, text).expect("temp dir is writable");
        Self(path)
    }

    fn load(&self, env: &[(&str, &str)], flags: &Overrides) -> Result<Config, ConfigError> {
        let overrides = Overrides {
            config_path: Some(self.0.clone()),
            ..flags.clone()
        };
        Config::load_with_env(&overrides, &|k| {
            env.iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| (*v).to_owned())
        })
    }
}

impl Drop for ConfigFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
        let _ = std::fs::remove_file(self.0.with_extension("toml.tmp"));
    }
}

/// An error is for a person: it says something.
fn check_error(e: &ConfigError) {
    assert!(!e.0.trim().is_empty(), "empty config error");
}

/// The first line of `s` and what follows it.
fn first_line(s: &str) -> (&str, &str) {
    s.split_once('\n').unwrap_or((s, ""))
}

/// The user's config file: arbitrary TOML, environment variables and flags, then (when
/// the header asks) `config set` on it. Loading returns Ok or an error, never panics, and a
/// `set` that succeeds on a file that loads leaves a file that loads.
///
/// Header: `flags(1)`; bit 0 takes the first line as tab-separated values for the
/// environment variables and flags; bit 1 takes the next line as `config set KEY VALUE`
/// (`KEY` a known key picked by the line's first byte when it is ASCII, else the line's
/// first word).
pub fn config(data: &[u8]) {
    let mut input = Input::new(data);
    let flags = input.byte();
    let text = String::from_utf8_lossy(input.take(usize::MAX));
    let mut rest = text.as_ref();
    let mut env: Vec<(&str, &str)> = Vec::new();
    let mut overrides = Overrides::default();
    if flags & 1 != 0 {
        let (line, after) = first_line(rest);
        rest = after;
        const VARS: [&str; 5] = [
            "OLLAMA_HOST",
            "CODECRUCIBLE_LMSTUDIO_URL",
            "CODECRUCIBLE_OLLAMA_URL",
            "CODECRUCIBLE_LMSTUDIO_API_KEY",
            "CODECRUCIBLE_OLLAMA_API_KEY",
        ];
        let mut values = line.split('\t');
        for var in VARS {
            if let Some(v) = values.next().filter(|v| !v.is_empty()) {
                env.push((var, v));
            }
        }
        overrides.lmstudio_url = values.next().map(str::to_owned);
        overrides.ollama_url = values.next().map(str::to_owned);
    }
    let mut set_line = None;
    if flags & 2 != 0 {
        let (line, after) = first_line(rest);
        set_line = Some(line);
        rest = after;
    }
    let file = ConfigFile::new(rest);
    let loaded = file.load(&env, &overrides);
    if let Err(e) = &loaded {
        check_error(e);
    }
    let Some(line) = set_line else { return };
    let (word, value) = line.split_once(' ').unwrap_or((line, ""));
    // Mostly a real key, so the fuzzer spends its time on values rather than names.
    let known: Vec<&String> = schema::keys().keys().collect();
    let key = match line.bytes().next() {
        Some(b) if b < 0x80 && !known.is_empty() => known[usize::from(b) % known.len()].as_str(),
        _ => word,
    };
    match edit::set(&file.0, key, value) {
        Ok(()) => {
            if loaded.is_ok() {
                if let Err(e) = file.load(&env, &overrides) {
                    panic!("`config set {key} {value:?}` on a good file left one that fails: {e}");
                }
            }
        }
        Err(e) => check_error(&e),
    }
}

/// The confidence scorer on an arbitrary answer (repeated up to 12 MiB) and prompt.
///
/// Header: `task(1) finish(1) prompt_len(1) logprobs(1)`, then the prompt, then
/// `logprobs * 8` bytes of raw f64 log probabilities (NaN and infinities included), then
/// [`Input::stream`] for the answer.
pub fn confidence(data: &[u8]) {
    let mut input = Input::new(data);
    let task = TaskType::ALL[usize::from(input.byte()) % TaskType::ALL.len()];
    let finish = [None, Some("stop"), Some("length"), Some("")][usize::from(input.byte() % 4)];
    let prompt_len = usize::from(input.byte());
    let n_logprobs = usize::from(input.byte());
    let prompt = String::from_utf8_lossy(input.take(prompt_len)).into_owned();
    let logprobs: Vec<TokenLogprob> = input
        .take(n_logprobs * 8)
        .chunks(8)
        .map(|c| {
            let mut bits = [0u8; 8];
            bits[..c.len()].copy_from_slice(c);
            TokenLogprob {
                token: String::new(),
                logprob: f64::from_le_bytes(bits),
            }
        })
        .collect();
    let answer = input.stream();
    let answer = String::from_utf8_lossy(&answer);
    let report = confidence::score(&Draft {
        prompt: &prompt,
        answer: &answer,
        task_type: task,
        finish_reason: finish,
        logprobs: &logprobs,
    });
    assert!(
        (0.0..=1.0).contains(&report.score),
        "score {}",
        report.score
    );
    for (name, s) in &report.signals {
        assert!((0.0..=1.0).contains(&s.score), "{name} scored {}", s.score);
        assert!(
            s.weight.is_finite() && s.weight >= 0.0,
            "{name} weighs {}",
            s.weight
        );
    }
}

/// Cuts `text` into reads at character boundaries.
fn text_pieces(text: &str, style: u8, seed: u8) -> Vec<&str> {
    let mut start = 0;
    let mut out = Vec::new();
    for mut end in cuts(text.len(), style, seed) {
        while !text.is_char_boundary(end) {
            end += 1;
        }
        if end > start {
            out.push(&text[start..end]);
            start = end;
        }
    }
    out
}

/// The fenced-block scanner, and the code pane's stream splitter on top of it: streamed in
/// any reads, the pane finds the same blocks (language, closed or not, line count) as the
/// scanner finds in the whole text, and each block's highlighter holds every line.
///
/// Header: `style(1) seed(1)` for the reads, then [`Input::stream`].
pub fn fence(data: &[u8]) {
    let mut input = Input::new(data);
    let style = input.byte();
    let seed = input.byte();
    let bytes = input.stream();
    let text = String::from_utf8_lossy(&bytes);
    let (blocks, prose) = fence::split(&text);
    assert!(prose.len() <= text.len() + 1);
    let mut scanner = fence::Scanner::new();
    let opened = text
        .lines()
        .filter(|l| matches!(scanner.line(l), fence::Line::Open(_)))
        .count();
    assert_eq!(opened, blocks.len());
    assert!(
        blocks.iter().rev().skip(1).all(|b| b.closed),
        "only the last block may be open"
    );

    let mut code = CodeStream::new();
    for piece in text_pieces(&text, style, seed) {
        code.push(piece);
    }
    code.finish();
    assert_eq!(
        code.blocks.len(),
        blocks.len(),
        "the code pane and the scanner disagree"
    );
    for (streamed, block) in code.blocks.iter().zip(&blocks) {
        assert_eq!(streamed.lang, block.lang);
        assert_eq!(streamed.complete, block.closed);
        let lines = streamed.text.matches('\n').count();
        assert_eq!(
            lines,
            block.body.matches('\n').count(),
            "block lines differ"
        );
        assert_eq!(
            streamed.lines(),
            lines,
            "the highlighter lost or split a line"
        );
    }
}

/// The chat pane's markdown layout ([`codecrucible::tui::markdown::render`]) at any width
/// (0 included), as a chat entry lays it out: header, folded or unfolded thinking, answer.
///
/// Header: `width(1) flags(1)`, then [`Input::stream`]; flag bit 0 also puts the text in the
/// entry's thinking, bit 1 unfolds it.
pub fn markdown(data: &[u8]) {
    let mut input = Input::new(data);
    let width = u16::from(input.byte());
    let flags = input.byte();
    let bytes = input.stream();
    let md = String::from_utf8_lossy(&bytes);
    let check = |lines: &[Line<'_>]| {
        for span in lines.iter().flat_map(|l| &l.spans) {
            assert!(
                !span.content.contains('\n'),
                "a rendered line holds a newline"
            );
            assert!(
                !span.content.chars().any(terminal::is_unsafe),
                "a control character reached the chat: {:?}",
                span.content
            );
        }
    };
    // The entry lays the answer out with markdown::render (and the thinking, unfolded).
    let mut entry = Entry::new(Who::Assistant, md.as_ref());
    if flags & 1 != 0 {
        entry.reasoning = md.clone().into_owned();
    }
    check(&entry.lines(width, flags & 2 != 0, &Theme::dark()));
}

/// The terminal cleaners: what they return holds nothing unsafe, they only remove (or, for
/// tabs, expand), and the JSON escape keeps the JSON's meaning.
pub fn terminal(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let cleaned = terminal::clean(&text);
    assert!(!cleaned.chars().any(terminal::is_unsafe));
    let kept: String = text.chars().filter(|c| !terminal::is_unsafe(*c)).collect();
    assert_eq!(cleaned, kept);
    assert_eq!(
        matches!(cleaned, Cow::Borrowed(_)),
        cleaned.len() == text.len()
    );

    let line = terminal::line(&text, "  ");
    assert!(!line
        .chars()
        .any(|c| c == '\t' || c == '\n' || terminal::is_unsafe(c)));
    let tabs = text.matches('\t').count();
    assert_eq!(
        line.chars().count(),
        kept.chars().count() - kept.matches('\n').count() + tabs
    );

    let json = serde_json::to_string(&text.as_ref()).expect("a string serializes");
    let escaped = terminal::escape_c1_in_json(&json);
    assert!(!escaped.chars().any(|c| ('\u{80}'..='\u{9f}').contains(&c)));
    let back: String = serde_json::from_str(&escaped).expect("still JSON");
    assert_eq!(back, text);
}
