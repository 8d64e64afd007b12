//! Reading edit blocks out of a model's answer: untrusted text, possibly cut off mid-stream.
//!
//! The answer is read line by line (a `\r` before the `\n` is dropped). Outside a fence, the
//! last non-blank line is remembered as a candidate path; an opening fence right after a
//! line that reads as a path (blank lines between are allowed) opens an edit block for that
//! path. Any other fence is prose: skipped to its end, so nothing inside an example block
//! is taken as an edit. See the module docs of [`crate::edit`] for the formats.
//!
//! Fences follow CommonMark ([`crate::text::fence`]): 3 or more backticks or tildes, an
//! info string allowed. Inside a block, a fence line of the same character at least as
//! long as the opening one *with* an info string (```` ```python ````) opens a nested block,
//! and the next bare one closes that nested block rather than the edit: so a Markdown file
//! whose own code blocks use the same fence length still comes through whole. A longer
//! outer fence (```` ```` ````) is the unambiguous way, and works too.
//!
//! Streaming: [`Parser::push`] takes chunks as they arrive and returns the items finished by
//! complete lines only, so an item returned for a prefix is exactly the item that
//! [`parse`] returns for the whole answer. Work is linear in the input: each line is looked
//! at once.

use crate::text::fence;

/// At most this many edit blocks are read from one answer; the rest is ignored and a
/// [`ParseErrorKind::TooMuch`] is reported.
pub const MAX_BLOCKS: usize = 256;
/// At most this many bytes in one block's body (and in one line anywhere).
pub const MAX_BLOCK_BYTES: usize = 2 << 20;
/// At most this many bytes in all blocks' bodies together.
pub const MAX_TOTAL_BYTES: usize = 16 << 20;
/// A path longer than this is not a path.
pub const MAX_PATH_BYTES: usize = 1024;

/// One edit to one file, as the model wrote it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EditBlock {
    /// The path as written, decorations stripped; not yet judged (that is `apply`'s job).
    pub path: String,
    /// What to do to the file.
    pub kind: EditKind,
    /// The 1-based line of the answer where the block's fence opened.
    pub line: usize,
}

/// The three kinds of edit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EditKind {
    /// The entire new content (always ends with `\n`; line endings are `\n`).
    Whole(String),
    /// Search/replace pairs, applied in order.
    Replace(Vec<Replacement>),
    /// Delete the file.
    Delete,
}

/// One SEARCH/REPLACE pair. Both are whole lines joined by `\n`, each line ending in `\n`;
/// an empty search is `""`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Replacement {
    pub search: String,
    pub replace: String,
}

/// Something in the answer that looked like an edit but cannot be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    /// The 1-based line of the answer where the block's fence opened.
    pub line: usize,
    /// The block's path, when it had one.
    pub path: Option<String>,
    pub kind: ParseErrorKind,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParseErrorKind {
    /// The SEARCH/REPLACE markers are out of order or unfinished; the text says how.
    Malformed(&'static str),
    /// The block is over [`MAX_BLOCK_BYTES`].
    TooLarge,
    /// The answer holds more than [`MAX_BLOCKS`] blocks or [`MAX_TOTAL_BYTES`]: the rest of
    /// it was not read.
    TooMuch,
}

impl std::fmt::Display for ParseError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if let Some(p) = &self.path {
            write!(f, "{p} (line {}): ", self.line)?;
        } else {
            write!(f, "line {}: ", self.line)?;
        }
        match &self.kind {
            ParseErrorKind::Malformed(why) => f.write_str(why),
            ParseErrorKind::TooLarge => write!(f, "the block is over {MAX_BLOCK_BYTES} bytes"),
            ParseErrorKind::TooMuch => write!(
                f,
                "the answer has more than {MAX_BLOCKS} edit blocks or {MAX_TOTAL_BYTES} bytes of them; the rest was not read"
            ),
        }
    }
}

impl std::error::Error for ParseError {}

/// What the parser found, in the order of the answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Item {
    Block(EditBlock),
    Error(ParseError),
}

/// An edit block whose closing fence never came: the answer was cut off. It is shown, never
/// applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Incomplete {
    pub path: String,
    pub line: usize,
    /// The body so far.
    pub body: String,
}

/// A whole answer, parsed.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Parsed {
    /// Blocks and errors in answer order.
    pub items: Vec<Item>,
    /// The unclosed last block, if the answer was cut off inside one.
    pub incomplete: Option<Incomplete>,
}

impl Parsed {
    /// The usable blocks.
    pub fn blocks(&self) -> impl Iterator<Item = &EditBlock> {
        self.items.iter().filter_map(|i| match i {
            Item::Block(b) => Some(b),
            Item::Error(_) => None,
        })
    }

    /// The errors.
    pub fn errors(&self) -> impl Iterator<Item = &ParseError> {
        self.items.iter().filter_map(|i| match i {
            Item::Error(e) => Some(e),
            Item::Block(_) => None,
        })
    }
}

/// Parses a complete answer.
pub fn parse(answer: &str) -> Parsed {
    let mut p = Parser::new();
    p.push(answer);
    p.finish()
}

#[derive(Debug)]
enum State {
    /// Outside any fence; the last non-blank line if it reads as a path.
    Prose { path: Option<String> },
    /// Inside an edit block's fence.
    Edit {
        ch: char,
        len: usize,
        depth: usize,
        path: String,
        line: usize,
        body: String,
        too_large: bool,
    },
    /// Inside a fence that is not an edit (no path before it).
    Other {
        ch: char,
        len: usize,
        depth: usize,
        line: usize,
        saw_marker: bool,
    },
}

/// The incremental parser: feed it chunks with [`push`](Self::push), end with
/// [`finish`](Self::finish).
#[derive(Debug)]
pub struct Parser {
    state: State,
    /// The line being received (no `\n` yet), at most [`MAX_BLOCK_BYTES`].
    partial: String,
    partial_overflow: bool,
    line_no: usize,
    blocks: usize,
    total: usize,
    stopped: bool,
    items: Vec<Item>,
}

impl Default for Parser {
    fn default() -> Self {
        Self::new()
    }
}

impl Parser {
    pub fn new() -> Self {
        Parser {
            state: State::Prose { path: None },
            partial: String::new(),
            partial_overflow: false,
            line_no: 0,
            blocks: 0,
            total: 0,
            stopped: false,
            items: Vec::new(),
        }
    }

    /// Feeds the next chunk of the answer; returns the items that complete lines in it
    /// finished (an item is returned once).
    pub fn push(&mut self, chunk: &str) -> &[Item] {
        let before = self.items.len();
        let mut rest = chunk;
        while let Some(i) = memchr::memchr(b'\n', rest.as_bytes()) {
            let head = &rest[..i];
            rest = &rest[i + 1..];
            if self.stopped {
                continue;
            }
            if self.partial.is_empty() && !self.partial_overflow {
                self.line(head, false);
            } else {
                self.append_partial(head);
                let line = std::mem::take(&mut self.partial);
                let overflow = std::mem::replace(&mut self.partial_overflow, false);
                self.line(&line, overflow);
            }
        }
        if !self.stopped {
            self.append_partial(rest);
        }
        &self.items[before..]
    }

    /// The block being received, if the answer is inside one now: its path and body so far
    /// (for a live preview).
    pub fn open_block(&self) -> Option<(&str, &str)> {
        match &self.state {
            State::Edit { path, body, .. } => Some((path, body)),
            _ => None,
        }
    }

    /// Ends the answer: the last line (without `\n`) is read, and an unclosed block is
    /// reported as [`Parsed::incomplete`].
    pub fn finish(mut self) -> Parsed {
        if !self.stopped && (!self.partial.is_empty() || self.partial_overflow) {
            let line = std::mem::take(&mut self.partial);
            let overflow = self.partial_overflow;
            self.line(&line, overflow);
        }
        let incomplete = match std::mem::replace(&mut self.state, State::Prose { path: None }) {
            State::Edit {
                path, line, body, ..
            } if !self.stopped => Some(Incomplete { path, line, body }),
            _ => None,
        };
        Parsed {
            items: self.items,
            incomplete,
        }
    }

    fn append_partial(&mut self, s: &str) {
        if self.partial_overflow || self.partial.len() + s.len() > MAX_BLOCK_BYTES {
            self.partial_overflow = true;
            self.partial = String::new();
        } else {
            self.partial.push_str(s);
        }
    }

    fn line(&mut self, raw: &str, overlong: bool) {
        self.line_no += 1;
        let line = raw.strip_suffix('\r').unwrap_or(raw);
        let here = self.line_no;
        match &mut self.state {
            State::Prose { path } => {
                if overlong {
                    *path = None;
                } else if let Some(f) = fence::opening(line) {
                    self.state = match path.take() {
                        Some(path) => State::Edit {
                            ch: f.ch,
                            len: f.len,
                            depth: 0,
                            path,
                            line: here,
                            body: String::new(),
                            too_large: false,
                        },
                        None => State::Other {
                            ch: f.ch,
                            len: f.len,
                            depth: 0,
                            line: here,
                            saw_marker: false,
                        },
                    };
                } else if !line.trim().is_empty() {
                    *path = path_of(line);
                }
            }
            State::Edit {
                ch,
                len,
                depth,
                body,
                too_large,
                ..
            } => {
                if !overlong && closes(line, *ch, *len, depth) {
                    let State::Edit {
                        path,
                        line,
                        body,
                        too_large,
                        ..
                    } = std::mem::replace(&mut self.state, State::Prose { path: None })
                    else {
                        unreachable!()
                    };
                    self.close(path, line, body, too_large);
                } else if overlong || *too_large || body.len() + line.len() + 1 > MAX_BLOCK_BYTES {
                    *too_large = true;
                    *body = String::new();
                } else {
                    body.push_str(line);
                    body.push('\n');
                }
            }
            State::Other {
                ch,
                len,
                depth,
                saw_marker,
                line: open,
            } => {
                if !overlong && closes(line, *ch, *len, depth) {
                    if *saw_marker {
                        let open = *open;
                        self.items.push(Item::Error(ParseError {
                            line: open,
                            path: None,
                            kind: ParseErrorKind::Malformed(
                                "a SEARCH/REPLACE block without a file path on the line before its fence",
                            ),
                        }));
                    }
                    self.state = State::Prose { path: None };
                } else if !overlong && marker(line, '<', "SEARCH") {
                    *saw_marker = true;
                }
            }
        }
    }

    fn close(&mut self, path: String, line: usize, body: String, too_large: bool) {
        let error = |kind| {
            Item::Error(ParseError {
                line,
                path: Some(path.clone()),
                kind,
            })
        };
        self.total += body.len();
        self.blocks += 1;
        if self.blocks > MAX_BLOCKS || self.total > MAX_TOTAL_BYTES {
            self.items.push(error(ParseErrorKind::TooMuch));
            self.stopped = true;
            self.partial = String::new();
            return;
        }
        let item = if too_large {
            error(ParseErrorKind::TooLarge)
        } else {
            match classify(&body) {
                Ok(kind) => Item::Block(EditBlock {
                    path: path.clone(),
                    kind,
                    line,
                }),
                Err(why) => error(ParseErrorKind::Malformed(why)),
            }
        };
        self.items.push(item);
    }
}

/// Whether `line` closes the fence (`ch`, `len`), keeping count of nested blocks opened by
/// same-fence lines with an info string.
fn closes(line: &str, ch: char, len: usize, depth: &mut usize) -> bool {
    let Some(f) = fence::opening(line) else {
        return false;
    };
    if f.ch != ch || f.len < len {
        return false;
    }
    if !f.info.is_empty() {
        *depth += 1;
        false
    } else if *depth > 0 {
        *depth -= 1;
        false
    } else {
        true
    }
}

/// A marker line: 5 to 9 of `ch`, then `word` (any case), spaces around allowed.
fn marker(line: &str, ch: char, word: &str) -> bool {
    let t = line.trim();
    let n = t.bytes().take_while(|b| *b == ch as u8).count();
    (5..=9).contains(&n) && t[n..].trim().eq_ignore_ascii_case(word)
}

/// A divider line: 5 to 9 `=` and nothing else but spaces.
fn divider(line: &str) -> bool {
    let t = line.trim();
    (5..=9).contains(&t.len()) && t.bytes().all(|b| b == b'=')
}

/// The body of a closed edit block as an edit.
fn classify(body: &str) -> Result<EditKind, &'static str> {
    let mut non_blank = body.lines().filter(|l| !l.trim().is_empty());
    if let (Some(only), None) = (non_blank.next(), non_blank.next()) {
        if marker(only, '<', "DELETE") {
            return Ok(EditKind::Delete);
        }
    }
    if !body.lines().any(|l| marker(l, '<', "SEARCH")) {
        return Ok(EditKind::Whole(body.to_owned()));
    }
    enum S {
        Out,
        Search,
        Replace,
    }
    let mut s = S::Out;
    let mut out = Vec::new();
    let (mut search, mut replace) = (String::new(), String::new());
    for l in body.lines() {
        let is_search = marker(l, '<', "SEARCH");
        let is_replace = marker(l, '>', "REPLACE");
        let is_divider = divider(l);
        match s {
            S::Out if is_search => s = S::Search,
            S::Out if is_divider || is_replace => {
                return Err("a ======= or >>>>>>> REPLACE line without <<<<<<< SEARCH before it")
            }
            S::Out if l.trim().is_empty() => {}
            S::Out => return Err("text outside the SEARCH/REPLACE blocks"),
            S::Search if is_divider => s = S::Replace,
            S::Search if is_search => return Err("a second <<<<<<< SEARCH before ======="),
            S::Search if is_replace => return Err(">>>>>>> REPLACE before ======="),
            S::Search => {
                search.push_str(l);
                search.push('\n');
            }
            S::Replace if is_replace || is_search => {
                out.push(Replacement {
                    search: std::mem::take(&mut search),
                    replace: std::mem::take(&mut replace),
                });
                s = if is_search { S::Search } else { S::Out };
            }
            S::Replace if is_divider => {
                return Err("a second ======= before >>>>>>> REPLACE");
            }
            S::Replace => {
                replace.push_str(l);
                replace.push('\n');
            }
        }
    }
    match s {
        S::Out => Ok(EditKind::Replace(out)),
        S::Search => Err("the block ends before its ======="),
        S::Replace => Err("the block ends before >>>>>>> REPLACE"),
    }
}

/// File names without an extension that are still taken as paths.
const BARE_NAMES: &[&str] = &[
    "Makefile",
    "makefile",
    "GNUmakefile",
    "Dockerfile",
    "Containerfile",
    "Justfile",
    "justfile",
    "Gemfile",
    "Rakefile",
    "Procfile",
    "Vagrantfile",
    "Jenkinsfile",
    "LICENSE",
    "README",
    "CODEOWNERS",
];

/// The path a line names, if it reads as one: decorations stripped (`# `, `- `, `**…**`,
/// `` `…` ``, `*…*`, `"…"`, a trailing `:`, a leading `File:` or `Path:`), then it must be
/// non-empty, at most [`MAX_PATH_BYTES`], free of control characters and of spaces (unless
/// it was in backticks), not end in `/`, and have a `/` or a `.` inside its file name (or
/// be a well-known bare name such as `Makefile`).
pub fn path_of(line: &str) -> Option<String> {
    if line.len() > MAX_PATH_BYTES * 2 {
        return None;
    }
    let mut s = line.trim();
    let mut quoted = false;
    for _ in 0..8 {
        let before = s;
        s = s.trim_start_matches('#').trim();
        for bullet in ["- ", "+ ", "* "] {
            if let Some(rest) = s.strip_prefix(bullet) {
                s = rest.trim();
            }
        }
        for label in ["file:", "path:", "filename:", "file path:"] {
            if s.len() > label.len() && s[..label.len()].eq_ignore_ascii_case(label) {
                s = s[label.len()..].trim();
            }
        }
        s = s.strip_suffix(':').unwrap_or(s).trim();
        for pair in ["**", "__", "`", "*", "\"", "'"] {
            if s.len() >= 2 * pair.len() {
                if let Some(inner) = s.strip_prefix(pair).and_then(|r| r.strip_suffix(pair)) {
                    quoted |= pair == "`";
                    s = inner.trim();
                }
            }
        }
        if s == before {
            break;
        }
    }
    let name = s.rsplit('/').next().unwrap_or(s);
    let bad = s.is_empty()
        || s.len() > MAX_PATH_BYTES
        || s.ends_with('/')
        || s.chars().any(|c| c.is_control())
        || (!quoted && s.contains(char::is_whitespace))
        || s.chars().any(|c| c.is_whitespace() && c != ' ')
        || s.contains('`')
        || name.is_empty()
        || name == "."
        || name == "..";
    if bad {
        return None;
    }
    let dotted = name
        .char_indices()
        .any(|(i, c)| c == '.' && i + 1 < name.len());
    (s.contains('/') || dotted || BARE_NAMES.contains(&name)).then(|| s.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn blocks(answer: &str) -> Vec<EditBlock> {
        parse(answer).blocks().cloned().collect()
    }

    fn whole(path: &str, body: &str) -> EditBlock {
        EditBlock {
            path: path.into(),
            kind: EditKind::Whole(body.into()),
            line: 0,
        }
    }

    fn no_lines(mut v: Vec<EditBlock>) -> Vec<EditBlock> {
        for b in &mut v {
            b.line = 0;
        }
        v
    }

    #[test]
    fn a_whole_file_block_after_its_path() {
        let p =
            parse("Here you go.\n\napp/calc.py\n```python\ndef f():\n    return 1\n```\nDone.\n");
        assert_eq!(p.incomplete, None);
        let b: Vec<_> = p.blocks().cloned().collect();
        assert_eq!(b.len(), 1);
        assert_eq!(b[0].path, "app/calc.py");
        assert_eq!(b[0].line, 4);
        assert_eq!(
            b[0].kind,
            EditKind::Whole("def f():\n    return 1\n".into())
        );
    }

    #[test]
    fn search_replace_blocks_several_in_one_fence() {
        let a = "app/calc.py\n```python\n<<<<<<< SEARCH\n    return a - b\n=======\n    return a + b\n>>>>>>> REPLACE\n\n<<<<<<< SEARCH\nx = 1\n=======\n>>>>>>> REPLACE\n```\n";
        let b = blocks(a);
        assert_eq!(
            b[0].kind,
            EditKind::Replace(vec![
                Replacement {
                    search: "    return a - b\n".into(),
                    replace: "    return a + b\n".into()
                },
                Replacement {
                    search: "x = 1\n".into(),
                    replace: "".into()
                },
            ])
        );
    }

    #[test]
    fn tolerant_marker_lengths_and_case() {
        let a = "a.rs\n```\n<<<<< search\nold\n=========\nnew\n>>>>>>>>> Replace\n```\n";
        let b = blocks(a);
        assert_eq!(
            b[0].kind,
            EditKind::Replace(vec![Replacement {
                search: "old\n".into(),
                replace: "new\n".into()
            }])
        );
        // Four or ten are not markers: the body is then a whole file.
        let b = blocks("a.rs\n```\n<<<< SEARCH\nold\n```\n");
        assert!(matches!(b[0].kind, EditKind::Whole(_)));
    }

    #[test]
    fn malformed_markers_are_errors_not_whole_files() {
        for (body, why) in [
            (
                "<<<<<<< SEARCH\nold\nnew\n>>>>>>> REPLACE\n",
                "before =======",
            ),
            (
                "<<<<<<< SEARCH\nold\n=======\nnew\n",
                "ends before >>>>>>> REPLACE",
            ),
            ("<<<<<<< SEARCH\nold\n", "ends before its ======="),
            (
                "old\n=======\nnew\n>>>>>>> REPLACE\n<<<<<<< SEARCH\n",
                "text outside",
            ),
            (
                "<<<<<<< SEARCH\na\n=======\nb\n=======\nc\n>>>>>>> REPLACE\n",
                "second =",
            ),
        ] {
            let p = parse(&format!("x.rs\n```\n{body}```\n"));
            assert_eq!(p.blocks().count(), 0, "{body}");
            let e: Vec<_> = p.errors().collect();
            assert_eq!(e.len(), 1, "{body}");
            assert_eq!(e[0].path.as_deref(), Some("x.rs"));
            assert!(e[0].to_string().contains(why), "{}", e[0]);
        }
    }

    #[test]
    fn deletion_is_a_fence_holding_only_the_delete_marker() {
        let b = blocks("old/thing.rs\n```\n<<<<<<< DELETE\n```\n");
        assert_eq!(b[0].kind, EditKind::Delete);
        assert_eq!(b[0].path, "old/thing.rs");
    }

    #[test]
    fn path_decorations_are_stripped() {
        for line in [
            "src/x.rs",
            "`src/x.rs`",
            "**src/x.rs**",
            "**`src/x.rs`**:",
            "# src/x.rs",
            "### `src/x.rs`",
            "src/x.rs:",
            "- src/x.rs",
            "File: src/x.rs",
            "*src/x.rs*",
        ] {
            assert_eq!(path_of(line).as_deref(), Some("src/x.rs"), "{line}");
        }
        assert_eq!(path_of("Makefile").as_deref(), Some("Makefile"));
        assert_eq!(path_of("`my notes.md`").as_deref(), Some("my notes.md"));
        for line in [
            "",
            "Here is the fix:",
            "Example",
            "Done.",
            "src/",
            "``",
            "**",
            "a\tb.rs",
            "x.rs\u{7}",
            &"a/".repeat(600),
        ] {
            assert_eq!(path_of(line), None, "{line:?}");
        }
    }

    #[test]
    fn a_fence_without_a_path_is_prose_and_its_markers_an_error() {
        let a = "Here is the fix:\n```python\nprint(1)\n```\n\n```\n<<<<<<< SEARCH\na\n=======\nb\n>>>>>>> REPLACE\n```\n";
        let p = parse(a);
        assert_eq!(p.blocks().count(), 0);
        let e: Vec<_> = p.errors().collect();
        assert_eq!(e.len(), 1);
        assert!(e[0].to_string().contains("without a file path"));
    }

    #[test]
    fn several_files_with_prose_between() {
        let a = "I changed two files.\n\n**src/a.rs**\n```rust\nfn a() {}\n```\n\nAnd then the second one, which needs `b`:\n\nsrc/b.rs\n~~~\nfn b() {}\n~~~\nThat's all.\n";
        assert_eq!(
            no_lines(blocks(a)),
            vec![
                whole("src/a.rs", "fn a() {}\n"),
                whole("src/b.rs", "fn b() {}\n")
            ]
        );
    }

    #[test]
    fn crlf_answers_parse_like_lf_ones() {
        let lf = "src/a.rs\n```rust\n<<<<<<< SEARCH\na\n=======\nb\n>>>>>>> REPLACE\n```\nx.md\n```\nhi\n```\n";
        let crlf = lf.replace('\n', "\r\n");
        assert_eq!(parse(lf), parse(&crlf));
        assert_eq!(parse(lf).blocks().count(), 2);
    }

    #[test]
    fn a_longer_fence_holds_shorter_ones() {
        let a = "README.md\n````markdown\n# Title\n```sh\nmake\n```\n```\nplain\n```\n````\n";
        let b = blocks(a);
        assert_eq!(b.len(), 1);
        assert_eq!(
            b[0].kind,
            EditKind::Whole("# Title\n```sh\nmake\n```\n```\nplain\n```\n".into())
        );
        // Tildes outside, backticks inside.
        let b = blocks("docs/x.md\n~~~\n```\ncode\n```\n~~~\n");
        assert_eq!(b[0].kind, EditKind::Whole("```\ncode\n```\n".into()));
    }

    #[test]
    fn same_length_nested_fences_with_an_info_string_stay_inside() {
        let a = "README.md\n```markdown\nUse it:\n```sh\nmake\n```\nEnd.\n```\nafter\n";
        let b = blocks(a);
        assert_eq!(
            b[0].kind,
            EditKind::Whole("Use it:\n```sh\nmake\n```\nEnd.\n".into())
        );
    }

    #[test]
    fn a_truncated_answer_reports_the_open_block_and_applies_nothing_of_it() {
        let a = "src/a.rs\n```\nfn a() {}\n```\nsrc/b.rs\n```rust\nfn b() {\n    let x";
        let p = parse(a);
        assert_eq!(
            no_lines(p.blocks().cloned().collect()),
            vec![whole("src/a.rs", "fn a() {}\n")]
        );
        let inc = p.incomplete.expect("incomplete");
        assert_eq!(inc.path, "src/b.rs");
        assert_eq!(inc.body, "fn b() {\n    let x\n");
        // Cut inside a search/replace block too.
        let p = parse("src/a.rs\n```\n<<<<<<< SEARCH\na\n=======\n");
        assert_eq!(p.items, vec![]);
        assert_eq!(p.incomplete.unwrap().path, "src/a.rs");
        // An unclosed prose fence is nothing.
        assert_eq!(parse("text\n```\ncode").incomplete, None);
    }

    const SAMPLE: &str = "Intro.\r\n\nsrc/a.rs\n```rust\nfn a() {}\n```\nThen:\n\n**README.md**\n````md\n```sh\nx\n```\n````\n```\n<<<<<<< SEARCH\nq\n=======\nr\n>>>>>>> REPLACE\n```\nsrc/c.rs\n```\n<<<<<<< SEARCH\nold\n=======\nnew\n>>>>>>> REPLACE\n```\ngone.rs\n```\n<<<<<<< DELETE\n```\nsrc/d.rs\n```\nunfinished";

    #[test]
    fn streaming_in_any_chunks_gives_the_same_items() {
        let full = parse(SAMPLE);
        assert_eq!(full.blocks().count(), 4);
        assert_eq!(full.errors().count(), 1);
        // Every split into two chunks, and one char at a time.
        for cut in (0..=SAMPLE.len()).filter(|i| SAMPLE.is_char_boundary(*i)) {
            let mut p = Parser::new();
            let mut seen: Vec<Item> = p.push(&SAMPLE[..cut]).to_vec();
            seen.extend(p.push(&SAMPLE[cut..]).iter().cloned());
            assert_eq!(p.finish(), full, "cut at {cut}");
            assert!(full.items.starts_with(&seen));
        }
        let mut p = Parser::new();
        let mut seen = Vec::new();
        for (i, c) in SAMPLE.char_indices() {
            let new = p.push(&SAMPLE[i..i + c.len_utf8()]).to_vec();
            // What was returned for the prefix is what the whole answer gives.
            seen.extend(new);
            assert!(full.items.starts_with(&seen), "at {i}");
            if SAMPLE[..i + 1].ends_with('\n') {
                // Parsing the prefix from scratch agrees too.
                assert_eq!(parse(&SAMPLE[..i + 1]).items, seen);
            }
        }
        assert_eq!(p.open_block(), Some(("src/d.rs", "")));
        assert_eq!(p.finish(), full);
    }

    #[test]
    fn hostile_input_is_bounded() {
        // 100k blocks: only MAX_BLOCKS are read, then one TooMuch error.
        let one = "f.rs\n```\nx\n```\n";
        let a = one.repeat(100_000);
        let p = parse(&a);
        assert_eq!(p.blocks().count(), MAX_BLOCKS);
        assert_eq!(p.errors().count(), 1);
        assert!(matches!(
            p.errors().next().unwrap().kind,
            ParseErrorKind::TooMuch
        ));
        // A 10 MB answer of prose and one 1 MB line inside a block.
        let line = "y".repeat(1 << 20);
        let a = format!(
            "{}big.txt\n```\n{line}\n```\n",
            "words words words\n".repeat(600_000)
        );
        assert!(a.len() > 10 << 20);
        let b = blocks(&a);
        assert_eq!(b.len(), 1);
        assert!(matches!(&b[0].kind, EditKind::Whole(s) if s.len() == (1 << 20) + 1));
        // A line over the block cap makes the block an error, without keeping it.
        let huge = "z".repeat(MAX_BLOCK_BYTES + 10);
        let mut p = Parser::new();
        p.push("big.txt\n```\n");
        for chunk in huge.as_bytes().chunks(4096) {
            p.push(std::str::from_utf8(chunk).unwrap());
            assert!(p.partial.len() <= MAX_BLOCK_BYTES);
        }
        p.push("\n```\n");
        let p = p.finish();
        assert!(matches!(
            p.errors().next().unwrap().kind,
            ParseErrorKind::TooLarge
        ));
        // Many small lines over the cap too.
        let a = format!(
            "big.txt\n```\n{}```\n",
            "0123456789abcdef\n".repeat(MAX_BLOCK_BYTES / 16)
        );
        assert!(matches!(
            parse(&a).errors().next().unwrap().kind,
            ParseErrorKind::TooLarge
        ));
    }
}
