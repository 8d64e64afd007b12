//! Tags without a parse: definitions and uses read by one pass over the tokens, skipping
//! comments and string literals.
//!
//! A cold map ranks every file but shows a few (7 of the 2,000 in benches/repo_map.rs), and
//! tagging a file with tree-sitter is mostly parsing it. This scanner reads those 2,000
//! files (14 MB) in about a twentieth of tree-sitter's CPU time (0.27–0.35 s against 5.3–6.2
//! s on one thread, with two other builds running), so [`build`](super::build) ranks with it
//! and parses only the files it is about to show (see the module above for how the two are
//! kept apart).
//!
//! It mirrors what the tags queries in `lang.rs` capture, no more, so that files ranked by
//! its tags and files ranked by parsed ones are ranked alike: a name after a definition
//! keyword is a definition (left out inside function bodies and Rust's `#[cfg(test)]`
//! modules, a method inside an impl, trait, class or interface); a use is a call, a macro,
//! a path segment after `::`, a name in an import list, and in Rust, TypeScript and Go an
//! upper-case name (their type names). Rust's attributes and macro bodies, which tree-sitter
//! reads as opaque token trees, are skipped likewise. Signatures are the declaration's head
//! as written up to its body, for the rare map shown before its files could be parsed.
//!
//! The text is untrusted: every step is linear in the file (a failed look for the end of a
//! JavaScript regular expression is not retried on the same line), the same caps apply as
//! to parsed tags, and a file a parse would pass over (too large, binary, nested too deep)
//! gets the same empty tags.

use std::collections::HashMap;
use std::path::Path;

use super::lang::Lang;
use super::tags::{
    self, FileTags, Symbol, SymbolKind, MAX_DEFS, MAX_NAME_BYTES, MAX_REF_NAMES, MAX_SIGNATURE_SCAN,
};

/// Brackets tracked at once; deeper ones are counted but not told apart. The gate in
/// `tags::unparseable` already refuses files nested past 2,000.
const MAX_OPEN: usize = 4096;
/// JavaScript template literals open inside one another's `${…}`.
const MAX_TEMPLATES: usize = 256;
/// Rust: read nothing inside a macro's arguments, as tree-sitter does.
const MACRO_ARGS_OPAQUE: bool = true;

/// The tags of a file as the scanner reads them, marked [`FileTags::lexical`], or `None`
/// for a language without a grammar: what [`extract`](super::extract) would find, minus
/// what only a parse tells (exact signatures), in a fraction of the time. Empty and
/// unmarked for a file a parse would not read either (too large, binary, nested too deep).
pub fn scan(path: &Path, text: &str) -> Option<FileTags> {
    Some(scan_lang(Lang::from_path(path)?, text))
}

/// [`scan`] for a known language.
pub(super) fn scan_lang(lang: Lang, text: &str) -> FileTags {
    if tags::unparseable(text) {
        return FileTags::default();
    }
    let mut s = Scanner::new(lang, text);
    let mut lexer = Lexer::new(lang, text.as_bytes());
    let mut prev: Option<Token> = None;
    let mut cur = lexer.next();
    while let Some(t) = cur {
        let next = lexer.next();
        s.step(prev, t, next);
        prev = Some(t);
        cur = next;
    }
    s.finish()
}

// ---------------------------------------------------------------------------------------
// Tokens

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Ident,
    /// One punctuation character, or a two-character operator (`::`, `->`, `=>`, `==`, …).
    Punct,
    /// A string, character or number literal, or a regular expression.
    Literal,
}

#[derive(Debug, Clone, Copy)]
struct Token {
    kind: Kind,
    start: usize,
    end: usize,
    /// No other token before it on its line.
    first: bool,
    /// For a first token: its column in bytes.
    indent: usize,
}

/// Two-character operators kept whole, so that `::`, `->` and `=>` read as one token and
/// `==` or `!=` is not taken for an assignment or a macro's `!`.
const PAIRS: &[&[u8; 2]] = &[
    b"::", b"->", b"=>", b"==", b"!=", b"<=", b">=", b"&&", b"||", b"+=", b"-=", b"*=", b"/=",
    b"|=", b"&=", b"^=", b"%=", b"..", b"<<", b">>",
];

struct Lexer<'t> {
    b: &'t [u8],
    i: usize,
    lang: Lang,
    /// Where the current line starts.
    line_start: usize,
    /// Nothing but whitespace and comments yet on this line.
    at_line_start: bool,
    /// JavaScript: per template literal whose `${…}` is open, the braces open inside it.
    templates: Vec<u32>,
    /// JavaScript: the last token ended a value, so a `/` divides rather than starting a
    /// regular expression.
    after_value: bool,
    /// JavaScript: no regular expression starts before this offset (one was looked for
    /// and the line ended first).
    no_regex_before: usize,
}

fn ident_byte(b: u8, lang: Lang) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b >= 0x80 || (b == b'$' && lang.is_js())
}

fn ident_start(b: u8, lang: Lang) -> bool {
    ident_byte(b, lang) && !b.is_ascii_digit()
}

impl Lang {
    fn is_js(self) -> bool {
        matches!(self, Lang::JavaScript | Lang::TypeScript | Lang::Tsx)
    }
}

impl<'t> Lexer<'t> {
    fn new(lang: Lang, b: &'t [u8]) -> Self {
        Lexer {
            b,
            i: 0,
            lang,
            line_start: 0,
            at_line_start: true,
            templates: Vec::new(),
            after_value: false,
            no_regex_before: 0,
        }
    }

    fn at(&self, i: usize) -> u8 {
        self.b.get(i).copied().unwrap_or(0)
    }

    fn token(&mut self, kind: Kind, start: usize) -> Token {
        let t = Token {
            kind,
            start,
            end: self.i,
            first: self.at_line_start,
            indent: start.saturating_sub(self.line_start),
        };
        self.at_line_start = false;
        self.after_value = match kind {
            Kind::Literal => true,
            Kind::Ident => !matches!(
                &self.b[start..self.i],
                b"return"
                    | b"typeof"
                    | b"case"
                    | b"in"
                    | b"of"
                    | b"new"
                    | b"delete"
                    | b"void"
                    | b"throw"
                    | b"yield"
                    | b"await"
                    | b"else"
                    | b"do"
                    | b"instanceof"
            ),
            Kind::Punct => matches!(self.b[start], b')' | b']' | b'}'),
        };
        t
    }

    fn next(&mut self) -> Option<Token> {
        let lang = self.lang;
        let c_like = lang != Lang::Python;
        loop {
            let c = *self.b.get(self.i)?;
            let start = self.i;
            match c {
                b'\n' => {
                    self.i += 1;
                    self.line_start = self.i;
                    self.at_line_start = true;
                }
                b' ' | b'\t' | b'\r' | 0x0b | 0x0c => self.i += 1,
                b'/' if c_like && self.at(self.i + 1) == b'/' => self.skip_line(),
                b'/' if c_like && self.at(self.i + 1) == b'*' => self.skip_block_comment(),
                b'#' if lang == Lang::Python => self.skip_line(),
                b'"' => {
                    match lang {
                        Lang::Python => self.skip_python_string(),
                        Lang::Rust => self.skip_quoted(b'"', true),
                        _ => self.skip_quoted(b'"', false),
                    }
                    return Some(self.token(Kind::Literal, start));
                }
                b'\'' => match lang {
                    Lang::Rust => {
                        if self.skip_char_literal() {
                            return Some(self.token(Kind::Literal, start));
                        }
                        // A lifetime or label: not a name anything defines.
                        self.i += 1;
                        while self.i < self.b.len() && ident_byte(self.b[self.i], lang) {
                            self.i += 1;
                        }
                    }
                    Lang::Python => {
                        self.skip_python_string();
                        return Some(self.token(Kind::Literal, start));
                    }
                    _ => {
                        self.skip_quoted(b'\'', false);
                        return Some(self.token(Kind::Literal, start));
                    }
                },
                b'`' if lang.is_js() => {
                    self.i += 1;
                    self.skip_template();
                    return Some(self.token(Kind::Literal, start));
                }
                b'`' if lang == Lang::Go => {
                    self.i = memchr::memchr(b'`', &self.b[self.i + 1..])
                        .map_or(self.b.len(), |k| self.i + 1 + k + 1);
                    return Some(self.token(Kind::Literal, start));
                }
                b'/' if lang.is_js() && !self.after_value && self.i >= self.no_regex_before => {
                    if self.skip_regex() {
                        return Some(self.token(Kind::Literal, start));
                    }
                    self.i = start + 1;
                    return Some(self.token(Kind::Punct, start));
                }
                b'0'..=b'9' => {
                    while self.i < self.b.len() && ident_byte(self.b[self.i], lang) {
                        self.i += 1;
                    }
                    return Some(self.token(Kind::Literal, start));
                }
                _ if ident_start(c, lang) => {
                    while self.i < self.b.len() && ident_byte(self.b[self.i], lang) {
                        self.i += 1;
                    }
                    if let Some(kind) = self.prefixed_literal(start) {
                        return Some(self.token(kind, start));
                    }
                    if lang == Lang::Rust
                        && &self.b[start..self.i] == b"r"
                        && self.at(self.i) == b'#'
                        && ident_start(self.at(self.i + 1), lang)
                    {
                        // A raw identifier, `r#type`, named so by tree-sitter too.
                        self.i += 1;
                        while self.i < self.b.len() && ident_byte(self.b[self.i], lang) {
                            self.i += 1;
                        }
                        return Some(self.token(Kind::Ident, start));
                    }
                    return Some(self.token(Kind::Ident, start));
                }
                b'{' if lang.is_js() && !self.templates.is_empty() => {
                    if let Some(open) = self.templates.last_mut() {
                        *open += 1;
                    }
                    self.i += 1;
                    return Some(self.token(Kind::Punct, start));
                }
                b'}' if lang.is_js() && self.templates.last() == Some(&0) => {
                    // The end of a `${…}`: back into the template's text.
                    self.templates.pop();
                    self.i += 1;
                    self.skip_template();
                    return Some(self.token(Kind::Literal, start));
                }
                _ => {
                    if lang.is_js() && c == b'}' {
                        if let Some(open) = self.templates.last_mut() {
                            *open -= 1;
                        }
                    }
                    let pair = [c, self.at(self.i + 1)];
                    self.i += if PAIRS.contains(&&pair) { 2 } else { 1 };
                    return Some(self.token(Kind::Punct, start));
                }
            }
        }
    }

    fn skip_line(&mut self) {
        self.i = memchr::memchr(b'\n', &self.b[self.i..]).map_or(self.b.len(), |k| self.i + k);
    }

    /// `/* … */`, nested in Rust.
    fn skip_block_comment(&mut self) {
        let nests = self.lang == Lang::Rust;
        let mut depth = 0usize;
        while self.i < self.b.len() {
            match (self.b[self.i], self.at(self.i + 1)) {
                (b'/', b'*') if depth == 0 || nests => {
                    depth += 1;
                    self.i += 2;
                }
                (b'*', b'/') => {
                    self.i += 2;
                    depth -= 1;
                    if depth == 0 {
                        return;
                    }
                }
                _ => self.i += 1,
            }
        }
    }

    /// From an opening quote to past its closing one, over backslash escapes; at a line's
    /// end unless the language's strings may span lines.
    fn skip_quoted(&mut self, quote: u8, multiline: bool) {
        self.i += 1;
        while let Some(k) = memchr::memchr3(quote, b'\\', b'\n', &self.b[self.i..]) {
            let at = self.i + k;
            match self.b[at] {
                b'\\' => self.i = at + 2,
                b'\n' if !multiline => {
                    self.i = at;
                    return;
                }
                b'\n' => self.i = at + 1,
                _ => {
                    self.i = at + 1;
                    return;
                }
            }
        }
        self.i = self.b.len();
    }

    /// Python: `'…'`, `"…"` or a triple-quoted string, from its opening quote.
    fn skip_python_string(&mut self) {
        let q = self.b[self.i];
        if self.at(self.i + 1) == q && self.at(self.i + 2) == q {
            self.i += 3;
            while let Some(k) = memchr::memchr2(q, b'\\', &self.b[self.i..]) {
                let at = self.i + k;
                if self.b[at] == b'\\' {
                    self.i = at + 2;
                } else if self.at(at + 1) == q && self.at(at + 2) == q {
                    self.i = at + 3;
                    return;
                } else {
                    self.i = at + 1;
                }
            }
            self.i = self.b.len();
        } else {
            self.skip_quoted(q, false);
        }
    }

    /// Rust: `'x'`, `'\n'`, `'\u{1F600}'` from the quote; false (and nothing consumed) for a
    /// lifetime or label.
    fn skip_char_literal(&mut self) -> bool {
        let i = self.i;
        if self.at(i + 1) == b'\\' {
            // The escaped character, then the closing quote within a few bytes.
            let from = (i + 3).min(self.b.len());
            let to = (i + 12).min(self.b.len());
            if let Some(k) = memchr::memchr(b'\'', &self.b[from..to]) {
                self.i = from + k + 1;
                return true;
            }
            return false;
        }
        let len = match self.at(i + 1) {
            0 => return false,
            b if b < 0x80 => 1,
            b if b >= 0xF0 => 4,
            b if b >= 0xE0 => 3,
            _ => 2,
        };
        if self.at(i + 1 + len) == b'\'' {
            self.i = i + 2 + len;
            return true;
        }
        false
    }

    /// A literal whose prefix was just read as a name: Rust's `b"…"`, `b'…'`, `c"…"` and raw
    /// strings `r#"…"#`; Python's `rb'…'`, `f"…"` and the like.
    fn prefixed_literal(&mut self, start: usize) -> Option<Kind> {
        let word = &self.b[start..self.i];
        let next = self.at(self.i);
        match self.lang {
            Lang::Rust => {
                if matches!(word, b"r" | b"br" | b"cr") && matches!(next, b'"' | b'#') {
                    let mut hashes = 0usize;
                    while self.at(self.i + hashes) == b'#' {
                        hashes += 1;
                    }
                    if self.at(self.i + hashes) != b'"' {
                        return None;
                    }
                    self.i += hashes + 1;
                    // The closing quote followed by as many hashes. Runs of hashes after
                    // different quotes do not overlap, so this stays linear.
                    while let Some(k) = memchr::memchr(b'"', &self.b[self.i..]) {
                        let at = self.i + k + 1;
                        let mut n = 0usize;
                        while n < hashes && self.at(at + n) == b'#' {
                            n += 1;
                        }
                        self.i = at + n;
                        if n == hashes {
                            return Some(Kind::Literal);
                        }
                    }
                    self.i = self.b.len();
                    return Some(Kind::Literal);
                }
                if matches!(word, b"b" | b"c") && next == b'"' {
                    self.skip_quoted(b'"', true);
                    return Some(Kind::Literal);
                }
                if word == b"b" && next == b'\'' && self.skip_char_literal() {
                    return Some(Kind::Literal);
                }
                None
            }
            Lang::Python => {
                let prefix = word.len() <= 2
                    && word
                        .iter()
                        .all(|b| matches!(b.to_ascii_lowercase(), b'r' | b'b' | b'u' | b'f'));
                if prefix && matches!(next, b'"' | b'\'') {
                    self.skip_python_string();
                    return Some(Kind::Literal);
                }
                None
            }
            _ => None,
        }
    }

    /// JavaScript: template text from inside the backquote to its end or to a `${`.
    fn skip_template(&mut self) {
        while let Some(k) = memchr::memchr3(b'`', b'\\', b'$', &self.b[self.i..]) {
            let at = self.i + k;
            match self.b[at] {
                b'\\' => self.i = at + 2,
                b'`' => {
                    self.i = at + 1;
                    return;
                }
                _ if self.at(at + 1) == b'{' && self.templates.len() < MAX_TEMPLATES => {
                    self.templates.push(0);
                    self.i = at + 2;
                    return;
                }
                _ => self.i = at + 1,
            }
        }
        self.i = self.b.len();
    }

    /// JavaScript: a regular expression from its `/`, if it ends on this line.
    fn skip_regex(&mut self) -> bool {
        let mut i = self.i + 1;
        let mut class = false;
        while i < self.b.len() {
            match self.b[i] {
                b'\\' => i += 1,
                b'\n' => break,
                b'[' => class = true,
                b']' => class = false,
                b'/' if !class => {
                    i += 1;
                    while i < self.b.len() && ident_byte(self.b[i], self.lang) {
                        i += 1;
                    }
                    self.i = i;
                    return true;
                }
                _ => {}
            }
            i += 1;
        }
        self.no_regex_before = i;
        false
    }
}

// ---------------------------------------------------------------------------------------
// Definitions and uses

/// What an open bracket is, for the definitions inside it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Frame {
    /// A parenthesis, bracket or plain block.
    Other,
    /// A function body: definitions inside are local.
    Function,
    /// An impl, trait, class or interface body: functions inside are its methods.
    Class,
    /// Rust's `#[cfg(test)]` module: nothing inside is the project's API.
    Test,
    /// Rust: a macro's body or arguments, which tree-sitter reads as a token tree.
    Opaque,
}

#[derive(Debug, Clone, Copy)]
struct Open {
    frame: Frame,
    /// The opening byte: `(`, `[` or `{`.
    byte: u8,
    /// For a class: where its head starts; its body starts at `at`.
    head: usize,
    at: usize,
    /// Rust: a trait's body, where `type Item;` declares rather than defines.
    trait_body: bool,
    /// JavaScript: a parenthesis after a name (`f(`, `function f(`), whose closing may be
    /// followed by a body; with the name, if that body would make it a method.
    callable: bool,
    method: Option<(usize, usize)>,
    /// Python: the parentheses of a class's bases.
    bases: bool,
}

/// A frame the next bracket at this depth opens.
#[derive(Debug, Clone, Copy)]
struct Pending {
    frame: Frame,
    depth: usize,
    head: usize,
    trait_body: bool,
    /// Only the next token may open it (JavaScript's `=> {` and `f(…) {`).
    immediate: bool,
    /// JavaScript: a method the opening brace confirms (its name's span).
    method: Option<(usize, usize)>,
}

impl Pending {
    fn new(frame: Frame, depth: usize, head: usize) -> Self {
        Pending {
            frame,
            depth,
            head,
            trait_body: false,
            immediate: false,
            method: None,
        }
    }
}

/// Where a class's head ends: at its body's brace, or (Python) found when needed.
const HEAD_TO_COLON: usize = usize::MAX;

/// A definition found, before lines and signatures are worked out.
struct Def {
    /// Where its declaration starts (the signature is read from here).
    start: usize,
    name: (usize, usize),
    kind: SymbolKind,
    /// The span of its class's head.
    parent: Option<(usize, usize)>,
    /// Its signature is its first line (a node without a body, as tree-sitter reads it).
    line_head: bool,
}

/// JavaScript: a name assigned something that may turn out to be a function.
#[derive(Debug, Clone, Copy)]
struct FnValue {
    name: (usize, usize),
    depth: usize,
    stage: Stage,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    /// Just after `=` or `:`: `function`, `async`, `(` or a parameter name may follow.
    Start,
    /// In the parameters' parentheses.
    Params,
    /// After the parameters: `=>` makes it a function; TypeScript may annotate first.
    Arrow,
    /// After `):`, in a TypeScript return type.
    ReturnType,
}

struct Scanner<'t> {
    lang: Lang,
    text: &'t str,
    b: &'t [u8],
    stack: Vec<Open>,
    /// Brackets opened past [`MAX_OPEN`].
    overflow: usize,
    /// Open frames that make a definition local (function bodies, test modules, macros).
    local: usize,
    /// Open opaque frames.
    opaque: usize,
    /// Indices in `stack` of the open classes.
    classes: Vec<usize>,
    pending: Option<Pending>,
    /// A definition keyword was read: the next name is what it defines (kind, start).
    expect: Option<(SymbolKind, usize)>,
    defs: Vec<Def>,
    refs: HashMap<&'t str, u32>,

    // Rust
    /// Inside `#[…]`: the depth its bracket opened at.
    attribute: Option<usize>,
    /// A `#` was read: a `[` next opens an attribute.
    hash: bool,
    /// `#[cfg(test)]` was read and no item has begun since.
    cfg_test: bool,
    /// Inside `use …;`: the depth it began at.
    in_use: Option<usize>,
    /// A macro's name was read: the next bracket opens its arguments.
    macro_args: bool,

    // Python
    /// Open `def` and `class` blocks: indentation, frame, head.
    blocks: Vec<(usize, Frame, (usize, usize))>,
    /// The indentation of the current logical line.
    line_indent: usize,
    /// In `from … import …`, after `import`.
    import_from: bool,
    line_starts_with_from: bool,
    /// A class's name was read: a `(` next opens its bases.
    bases_next: bool,
    /// In a type annotation (after a parameter's `:` or `->`): the depth it began at.
    annotation: Option<usize>,

    // JavaScript and TypeScript
    /// `const`, `let` or `var` and its name, awaiting `=`.
    declarator: Option<((usize, usize), usize)>,
    fn_value: Option<FnValue>,
    /// Inside `import { … }`: the depth of its brace.
    import_braces: Option<usize>,
    /// `import` was read: a `{` next opens its list.
    import_next: bool,
    /// The name before a `(` that may be an object literal's method.
    method_head: Option<(usize, usize)>,

    // Go
    /// `func` was read and a `(` follows: a receiver or a function literal's parameters.
    receiver_next: Option<usize>,
    /// In the receiver's parentheses: their depth and the keyword's offset.
    receiver: Option<(usize, usize)>,
    /// The receiver closed: a method's name may follow.
    method_next: Option<usize>,
    /// In `type ( … )`: the depth of its lines.
    type_group: Option<usize>,
    /// A type's name was read; what follows tells a type from an interface or an alias.
    go_type: Option<(usize, (usize, usize), usize)>,
}

fn is_keyword(lang: Lang, w: &str) -> bool {
    match lang {
        Lang::Rust => matches!(
            w,
            "as" | "async"
                | "await"
                | "break"
                | "const"
                | "continue"
                | "crate"
                | "dyn"
                | "else"
                | "enum"
                | "extern"
                | "false"
                | "fn"
                | "for"
                | "if"
                | "impl"
                | "in"
                | "let"
                | "loop"
                | "match"
                | "mod"
                | "move"
                | "mut"
                | "pub"
                | "ref"
                | "return"
                | "self"
                | "static"
                | "struct"
                | "super"
                | "trait"
                | "true"
                | "type"
                | "unsafe"
                | "use"
                | "where"
                | "while"
        ),
        Lang::Python => matches!(
            w,
            "False"
                | "None"
                | "True"
                | "and"
                | "as"
                | "assert"
                | "async"
                | "await"
                | "break"
                | "class"
                | "continue"
                | "def"
                | "del"
                | "elif"
                | "else"
                | "except"
                | "finally"
                | "for"
                | "from"
                | "global"
                | "if"
                | "import"
                | "in"
                | "is"
                | "lambda"
                | "nonlocal"
                | "not"
                | "or"
                | "pass"
                | "raise"
                | "return"
                | "try"
                | "while"
                | "with"
                | "yield"
        ),
        Lang::JavaScript | Lang::TypeScript | Lang::Tsx => matches!(
            w,
            "async"
                | "await"
                | "break"
                | "case"
                | "catch"
                | "class"
                | "const"
                | "continue"
                | "debugger"
                | "default"
                | "delete"
                | "do"
                | "else"
                | "enum"
                | "export"
                | "extends"
                | "false"
                | "finally"
                | "for"
                | "function"
                | "if"
                | "implements"
                | "import"
                | "in"
                | "instanceof"
                | "interface"
                | "let"
                | "new"
                | "null"
                | "return"
                | "super"
                | "switch"
                | "this"
                | "throw"
                | "true"
                | "try"
                | "typeof"
                | "undefined"
                | "var"
                | "void"
                | "while"
                | "with"
                | "yield"
        ),
        Lang::Go => matches!(
            w,
            "break"
                | "case"
                | "chan"
                | "const"
                | "continue"
                | "default"
                | "defer"
                | "else"
                | "fallthrough"
                | "for"
                | "func"
                | "go"
                | "goto"
                | "if"
                | "import"
                | "interface"
                | "map"
                | "package"
                | "range"
                | "return"
                | "select"
                | "struct"
                | "switch"
                | "type"
                | "var"
        ),
    }
}

/// Shaped like a type's name: a capital, then some lower case (`Config`, `HashMap`). All
/// capitals are constants (`MAX_SIZE`), which the queries do not count as types.
fn type_like(w: &str) -> bool {
    w.as_bytes()[0].is_ascii_uppercase() && w.bytes().any(|b| b.is_ascii_lowercase())
}

/// JavaScript and TypeScript words that may precede a class member's name.
const MEMBER_MODIFIERS: &[&str] = &[
    "abstract",
    "async",
    "declare",
    "get",
    "override",
    "private",
    "protected",
    "public",
    "readonly",
    "set",
    "static",
];

fn span(t: Token) -> (usize, usize) {
    (t.start, t.end)
}

impl<'t> Scanner<'t> {
    fn new(lang: Lang, text: &'t str) -> Self {
        Scanner {
            lang,
            text,
            b: text.as_bytes(),
            stack: Vec::new(),
            overflow: 0,
            local: 0,
            opaque: 0,
            classes: Vec::new(),
            pending: None,
            expect: None,
            defs: Vec::new(),
            refs: HashMap::new(),
            attribute: None,
            hash: false,
            cfg_test: false,
            in_use: None,
            macro_args: false,
            blocks: Vec::new(),
            line_indent: 0,
            import_from: false,
            line_starts_with_from: false,
            bases_next: false,
            annotation: None,
            declarator: None,
            fn_value: None,
            import_braces: None,
            import_next: false,
            method_head: None,
            receiver_next: None,
            receiver: None,
            method_next: None,
            type_group: None,
            go_type: None,
        }
    }

    fn word(&self, t: Token) -> &'t str {
        // Tokens start and end on ASCII bytes or the text's ends: character boundaries.
        self.text.get(t.start..t.end).unwrap_or("")
    }

    fn is(&self, t: Option<Token>, p: &str) -> bool {
        t.is_some_and(|t| t.kind != Kind::Literal && self.word(t) == p)
    }

    /// A name that is not a keyword.
    fn name(&self, t: Option<Token>) -> bool {
        t.is_some_and(|t| t.kind == Kind::Ident && !is_keyword(self.lang, self.word(t)))
    }

    fn depth(&self) -> usize {
        self.stack.len() + self.overflow
    }

    fn top(&self) -> Option<&Open> {
        (self.overflow == 0).then(|| self.stack.last()).flatten()
    }

    fn top_frame(&self) -> Option<Frame> {
        self.top().map(|o| o.frame)
    }

    fn add_ref(&mut self, t: Token) {
        if self.opaque > 0 || self.attribute.is_some() {
            return;
        }
        let name = self.word(t);
        if name.len() < 2 || name.len() > MAX_NAME_BYTES {
            return;
        }
        if let Some(n) = self.refs.get_mut(name) {
            *n = n.saturating_add(1);
        } else if self.refs.len() < MAX_REF_NAMES {
            self.refs.insert(name, 1);
        }
    }

    fn drop_ref(&mut self, name: &str) {
        if let Some(n) = self.refs.get_mut(name) {
            *n -= 1;
            if *n == 0 {
                self.refs.remove(name);
            }
        }
    }

    /// Records a definition unless it is local; a function in a class is its method.
    fn def(&mut self, start: usize, name: (usize, usize), kind: SymbolKind) {
        let line_head = matches!(kind, SymbolKind::Macro | SymbolKind::Constant);
        self.def_with(start, name, kind, line_head);
    }

    /// [`Scanner::def`]; `line_head` for a declaration tree-sitter reads without a body,
    /// whose signature is then its first line.
    fn def_with(&mut self, start: usize, name: (usize, usize), kind: SymbolKind, line_head: bool) {
        // A type's name where it is defined is a type identifier to the tags queries of
        // Rust, TypeScript and Go, and so a use: of whichever other files define it too.
        let type_name = matches!(kind, SymbolKind::Type | SymbolKind::Interface)
            && matches!(
                self.lang,
                Lang::Rust | Lang::Go | Lang::TypeScript | Lang::Tsx
            );
        if type_name {
            self.add_ref(Token {
                kind: Kind::Ident,
                start: name.0,
                end: name.1,
                first: false,
                indent: 0,
            });
        }
        let python_local = self.blocks.iter().any(|b| b.1 == Frame::Function);
        if self.local > 0 || python_local || self.defs.len() >= MAX_DEFS {
            return;
        }
        if name.1 <= name.0 || name.1 - name.0 > MAX_NAME_BYTES {
            return;
        }
        let parent = match self.blocks.last() {
            Some(&(_, Frame::Class, head)) => Some(head),
            _ => self
                .classes
                .last()
                .map(|&i| (self.stack[i].head, self.stack[i].at)),
        };
        let kind = match kind {
            SymbolKind::Function if parent.is_some() => SymbolKind::Method,
            other => other,
        };
        self.defs.push(Def {
            start,
            name,
            kind,
            parent,
            line_head,
        });
    }

    /// Opens a bracket; whether it is on the stack (not past [`MAX_OPEN`]).
    fn open(&mut self, t: Token) -> bool {
        let byte = self.b[t.start];
        let depth = self.depth();
        let mut frame = Frame::Other;
        let mut head = t.start;
        let mut trait_body = false;
        if let Some(p) = self.pending {
            if p.depth == depth && (byte == b'{' || p.frame == Frame::Opaque) {
                self.pending = None;
                frame = p.frame;
                head = p.head;
                trait_body = p.trait_body;
                if let Some((start, end)) = p.method {
                    self.drop_ref(&self.text[start..end]);
                    self.def(start, (start, end), SymbolKind::Function);
                }
            }
        }
        if std::mem::take(&mut self.macro_args) {
            frame = Frame::Opaque;
        }
        if self.stack.len() >= MAX_OPEN {
            self.overflow += 1;
            return false;
        }
        match frame {
            Frame::Function | Frame::Test => self.local += 1,
            Frame::Opaque => {
                self.local += 1;
                self.opaque += 1;
            }
            Frame::Class => self.classes.push(self.stack.len()),
            Frame::Other => {}
        }
        self.stack.push(Open {
            frame,
            byte,
            head,
            at: t.start,
            trait_body,
            callable: false,
            method: None,
            bases: false,
        });
        true
    }

    fn close(&mut self) {
        let open = if self.overflow > 0 {
            self.overflow -= 1;
            None
        } else {
            self.stack.pop()
        };
        if let Some(open) = open {
            match open.frame {
                Frame::Function | Frame::Test => self.local -= 1,
                Frame::Opaque => {
                    self.local -= 1;
                    self.opaque -= 1;
                }
                Frame::Class => {
                    self.classes.pop();
                }
                Frame::Other => {}
            }
        }
        let depth = self.depth();
        if self.pending.is_some_and(|p| p.depth > depth) {
            self.pending = None;
        }
        if self.attribute.is_some_and(|d| d >= depth) {
            self.attribute = None;
        }
        if self.in_use.is_some_and(|d| d > depth) {
            self.in_use = None;
        }
        if self.import_braces.is_some_and(|d| d >= depth) {
            self.import_braces = None;
        }
        if self.type_group.is_some_and(|d| d > depth) {
            self.type_group = None;
        }
        if let Some(open) = open.filter(|o| o.callable) {
            // `f(…) {` in a class or object literal is a method, `function f(…) {` a
            // function: either way a brace next opens a function body.
            if self.pending.is_none_or(|p| p.depth != depth) {
                self.pending = Some(Pending {
                    immediate: true,
                    method: open.method,
                    ..Pending::new(Frame::Function, depth, 0)
                });
            }
        }
        if let Some((d, kw)) = self.receiver {
            if d == depth {
                self.receiver = None;
                self.method_next = Some(kw);
            }
        }
    }

    /// Brackets, common to all languages; whether `t` was one.
    fn bracket(&mut self, t: Token) -> bool {
        if t.kind != Kind::Punct {
            return false;
        }
        match self.b[t.start] {
            b'(' | b'[' | b'{' => {
                self.open(t);
                true
            }
            b')' | b']' | b'}' => {
                self.close();
                true
            }
            _ => false,
        }
    }

    fn step(&mut self, prev: Option<Token>, t: Token, next: Option<Token>) {
        if let Some(p) = self.pending {
            let opens =
                self.is(Some(t), "{") || (p.frame == Frame::Opaque && t.kind == Kind::Punct);
            // TypeScript annotates a method's return type between `)` and `{`.
            if p.immediate && !opens {
                if self.lang.is_js() && self.is(Some(t), ":") {
                    self.pending = Some(Pending {
                        immediate: false,
                        ..p
                    });
                } else {
                    self.pending = None;
                }
            }
        }
        match self.lang {
            Lang::Rust => self.rust(prev, t, next),
            Lang::Python => self.python(prev, t, next),
            Lang::Go => self.go(prev, t, next),
            Lang::JavaScript | Lang::TypeScript | Lang::Tsx => self.js(prev, t, next),
        }
    }

    /// A Rust token that may begin an item (`impl`, `const`, `static`) follows this one.
    fn item_start(&self, prev: Option<Token>) -> bool {
        let Some(p) = prev else {
            return true;
        };
        match p.kind {
            Kind::Punct => matches!(self.word(p), ";" | "{" | "}" | "]" | ")"),
            Kind::Ident => matches!(self.word(p), "pub" | "unsafe" | "default" | "async"),
            Kind::Literal => false,
        }
    }

    fn rust(&mut self, prev: Option<Token>, t: Token, next: Option<Token>) {
        let w = self.word(t);
        if self.attribute.is_some() {
            self.bracket(t);
            return;
        }
        if t.kind == Kind::Punct {
            if w == "#" {
                self.hash = true;
                self.cfg_test = self.b[t.start..].starts_with(b"#[cfg(test)]");
                return;
            }
            if std::mem::take(&mut self.hash) {
                if w == "!" {
                    self.hash = true;
                    return;
                }
                if w == "[" {
                    let depth = self.depth();
                    self.open(t);
                    self.attribute = Some(depth);
                    return;
                }
            }
            if !matches!(w, "(" | ")") {
                self.cfg_test = false;
            }
            if w != "!" {
                if !matches!(w, "(" | "[" | "{") {
                    self.macro_args = false;
                }
                // `macro_rules!` keeps expecting its name across the `!`.
                self.expect = None;
            }
            if self.bracket(t) {
                return;
            }
            let depth = self.depth();
            if w == ";" {
                if self.pending.is_some_and(|p| p.depth == depth) {
                    self.pending = None;
                }
                if self.in_use == Some(depth) {
                    self.in_use = None;
                }
            }
            if matches!(w, "|" | "||") && self.is(next, "{") {
                // A closure's body (`|x| {`, `move || {`): a function scope to tree-sitter.
                self.pending = Some(Pending {
                    immediate: true,
                    ..Pending::new(Frame::Function, depth, t.start)
                });
            }
            return;
        }
        self.hash = false;
        self.macro_args = false;
        if t.kind != Kind::Ident {
            self.expect = None;
            self.cfg_test = false;
            return;
        }
        if let Some((kind, start)) = self.expect {
            if !is_keyword(self.lang, w) {
                self.expect = None;
                self.def(start, span(t), kind);
                if kind == SymbolKind::Macro {
                    self.pending = Some(Pending::new(Frame::Opaque, self.depth(), t.start));
                }
                return;
            }
            if matches!(w, "mut" | "ref") {
                return;
            }
            self.expect = None;
        }
        if self.cfg_test && !matches!(w, "pub" | "crate" | "super" | "self" | "in" | "mod") {
            self.cfg_test = false;
        }
        let depth = self.depth();
        let name_next = self.name(next);
        match w {
            "fn" if name_next => {
                self.expect = Some((SymbolKind::Function, t.start));
                self.pending = Some(Pending::new(Frame::Function, depth, t.start));
            }
            "struct" | "enum" | "union" if name_next => {
                self.expect = Some((SymbolKind::Type, t.start));
            }
            "type" if name_next => {
                let in_trait = self
                    .classes
                    .last()
                    .is_some_and(|&i| self.stack[i].trait_body);
                if !in_trait {
                    self.expect = Some((SymbolKind::Type, t.start));
                }
            }
            "trait" if name_next => {
                self.expect = Some((SymbolKind::Interface, t.start));
                self.pending = Some(Pending {
                    trait_body: true,
                    ..Pending::new(Frame::Class, depth, t.start)
                });
            }
            "impl" if self.item_start(prev) => {
                self.pending = Some(Pending::new(Frame::Class, depth, t.start));
            }
            "const" | "static" if self.item_start(prev) => {
                self.expect = Some((SymbolKind::Constant, t.start));
            }
            "mod" if name_next => {
                if std::mem::take(&mut self.cfg_test) {
                    self.pending = Some(Pending::new(Frame::Test, depth, t.start));
                    // The module's name is not a definition either.
                    self.expect = None;
                } else {
                    self.expect = Some((SymbolKind::Module, t.start));
                }
            }
            "macro_rules" if self.is(next, "!") => {
                self.expect = Some((SymbolKind::Macro, t.start));
            }
            "use" => self.in_use = Some(depth),
            _ if is_keyword(self.lang, w) => {}
            _ => {
                let call = self.is(next, "(");
                let mac = self.is(next, "!");
                let path = self.is(prev, "::");
                let upper = type_like(w);
                let listed = self.in_use.is_some() && (self.is(prev, "{") || self.is(prev, ","));
                if call || mac || path || upper || listed {
                    self.add_ref(t);
                }
                if mac && MACRO_ARGS_OPAQUE {
                    self.macro_args = true;
                }
            }
        }
    }

    fn python(&mut self, prev: Option<Token>, t: Token, next: Option<Token>) {
        let w = self.word(t);
        if t.first && self.depth() == 0 {
            // A logical line: blocks indented as deep or deeper have ended.
            self.line_indent = t.indent;
            while self.blocks.last().is_some_and(|b| b.0 >= t.indent) {
                self.blocks.pop();
            }
            self.import_from = false;
            self.line_starts_with_from = w == "from";
            self.annotation = None;
        }
        if t.kind == Kind::Punct {
            self.expect = None;
            let depth = self.depth();
            if self.annotation.is_some_and(|d| d > depth)
                || (self.annotation == Some(depth) && matches!(w, "," | ")" | "=" | ":"))
            {
                self.annotation = None;
            }
            let parameter = self.top().is_some_and(|o| o.byte == b'(') && self.name(prev);
            if w == "->"
                || (w == ":" && (parameter || (depth == 0 && prev.is_some_and(|p| p.first))))
            {
                self.annotation = Some(depth);
            }
            let bases = std::mem::take(&mut self.bases_next);
            if self.bracket(t) && bases && w == "(" {
                if let Some(o) = self.stack.last_mut() {
                    o.bases = true;
                }
            }
            return;
        }
        self.bases_next = false;
        if t.kind != Kind::Ident {
            self.expect = None;
            return;
        }
        if let Some((kind, start)) = self.expect.take() {
            if !is_keyword(self.lang, w) {
                self.def(start, span(t), kind);
                let frame = if kind == SymbolKind::Type {
                    self.bases_next = true;
                    Frame::Class
                } else {
                    Frame::Function
                };
                self.blocks
                    .push((self.line_indent, frame, (start, HEAD_TO_COLON)));
                return;
            }
        }
        match w {
            "def" if self.name(next) => self.expect = Some((SymbolKind::Function, t.start)),
            "class" if self.name(next) => self.expect = Some((SymbolKind::Type, t.start)),
            "import" => self.import_from = self.line_starts_with_from,
            _ if is_keyword(self.lang, w) => {}
            _ => {
                let module_level = t.first && t.indent == 0 && self.blocks.is_empty();
                if module_level && self.depth() == 0 && (self.is(next, "=") || self.is(next, ":")) {
                    self.def(t.start, span(t), SymbolKind::Constant);
                    return;
                }
                let call = self.is(next, "(");
                let imported = self.import_from && !self.is(prev, "as");
                let base = self.top().is_some_and(|o| o.bases)
                    && (self.is(next, ",") || self.is(next, ")"));
                let annotation = self.annotation.is_some();
                if call || imported || base || annotation {
                    self.add_ref(t);
                }
            }
        }
    }

    fn go(&mut self, prev: Option<Token>, t: Token, next: Option<Token>) {
        let w = self.word(t);
        let depth = self.depth();
        if let Some((start, name, d)) = self.go_type {
            // Type parameters come between a type's name and what it is.
            if !(depth > d || self.is(Some(t), "[")) {
                self.go_type = None;
                if self.is(Some(t), "=") {
                    // An alias defines nothing to tree-sitter, but names a type.
                    self.add_ref(Token {
                        kind: Kind::Ident,
                        start: name.0,
                        end: name.1,
                        first: false,
                        indent: 0,
                    });
                } else {
                    let kind = if w == "interface" {
                        SymbolKind::Interface
                    } else {
                        SymbolKind::Type
                    };
                    self.def(start, name, kind);
                }
            }
        }
        if let Some(kw) = self.method_next.take() {
            if self.name(Some(t)) && (self.is(next, "(") || self.is(next, "[")) {
                self.def(kw, span(t), SymbolKind::Method);
                return;
            }
        }
        if t.kind == Kind::Punct {
            let receiver = self.receiver_next.take();
            if self.bracket(t) {
                if let (Some(kw), "(") = (receiver, w) {
                    self.receiver = Some((depth, kw));
                }
            } else if w == ";" && self.pending.is_some_and(|p| p.depth == depth) {
                self.pending = None;
            }
            self.expect = None;
            return;
        }
        if t.kind != Kind::Ident {
            self.expect = None;
            return;
        }
        if let Some((kind, start)) = self.expect.take() {
            if !is_keyword(self.lang, w) {
                self.def(start, span(t), kind);
                return;
            }
        }
        let group_line = self.type_group == Some(depth) && t.first;
        match w {
            "func" => {
                self.pending = Some(Pending::new(Frame::Function, depth, t.start));
                if self.name(next) {
                    self.expect = Some((SymbolKind::Function, t.start));
                } else if self.is(next, "(") {
                    self.receiver_next = Some(t.start);
                }
            }
            "type" if self.is(next, "(") => self.type_group = Some(depth + 1),
            _ if is_keyword(self.lang, w) => {}
            _ if group_line || self.is(prev, "type") => {
                self.go_type = Some((t.start, span(t), depth));
            }
            _ => {
                // Where Go writes a type: after a name (`x queue`, `var x queue`), a
                // pointer's `*`, a slice's or map's `]`, a result's `)` or `chan`.
                let typed =
                    self.name(prev) || ["*", "]", ")", "chan"].iter().any(|p| self.is(prev, p));
                if self.is(next, "(") || type_like(w) || typed {
                    self.add_ref(t);
                }
            }
        }
    }

    fn js(&mut self, prev: Option<Token>, t: Token, next: Option<Token>) {
        let w = self.word(t);
        let depth = self.depth();
        self.fn_value_step(t, next);
        if t.kind == Kind::Punct {
            self.expect = self.expect.filter(|_| w == "*");
            let callable =
                w == "(" && (self.name(prev) || self.is(prev, "function") || self.is(prev, "*"));
            let method = self.method_head.take();
            let import = std::mem::take(&mut self.import_next);
            if self.bracket(t) {
                if callable || import {
                    if let Some(o) = self.stack.last_mut().filter(|_| self.overflow == 0) {
                        o.callable = callable;
                        o.method = method;
                    }
                }
                if import && w == "{" {
                    self.import_braces = Some(depth);
                }
                return;
            }
            match w {
                "=>" => {
                    self.pending = Some(Pending {
                        immediate: true,
                        ..Pending::new(Frame::Function, depth, 0)
                    });
                }
                ";" | "," => {
                    if self.pending.is_some_and(|p| p.depth == depth) {
                        self.pending = None;
                    }
                    self.declarator = None;
                }
                "=" => {
                    let name = match self.declarator.take() {
                        Some((name, d)) if d == depth => Some(name),
                        _ => prev.filter(|_| self.name(prev)).map(span),
                    };
                    if let Some(name) = name.filter(|_| self.top_frame() != Some(Frame::Class)) {
                        self.fn_value = Some(FnValue {
                            name,
                            depth,
                            stage: Stage::Start,
                        });
                    }
                }
                ":" if self.name(prev) && self.declarator.is_none() => {
                    // An object literal's `key: () => …`.
                    let object = self
                        .top()
                        .is_some_and(|o| o.byte == b'{' && o.frame == Frame::Other);
                    if let Some(p) = prev.filter(|_| object) {
                        self.fn_value = Some(FnValue {
                            name: span(p),
                            depth,
                            stage: Stage::Start,
                        });
                    }
                }
                _ => {}
            }
            return;
        }
        if t.kind != Kind::Ident {
            self.expect = None;
            return;
        }
        if let Some((kind, start)) = self.expect.take() {
            if !is_keyword(self.lang, w) {
                self.def(start, span(t), kind);
                return;
            }
        }
        let ts = self.lang != Lang::JavaScript;
        match w {
            "function" => {
                if self.name(next) || self.is(next, "*") {
                    self.expect = Some((SymbolKind::Function, t.start));
                }
            }
            "class" => {
                if self.name(next) {
                    self.expect = Some((SymbolKind::Type, t.start));
                }
                self.pending = Some(Pending::new(Frame::Class, depth, t.start));
            }
            "interface" if ts && self.name(next) => {
                self.expect = Some((SymbolKind::Interface, t.start));
                self.pending = Some(Pending::new(Frame::Class, depth, t.start));
            }
            "module" | "namespace"
                if ts && self.name(next) && (prev.is_none() || self.is(prev, "declare")) =>
            {
                self.expect = Some((SymbolKind::Module, t.start));
            }
            "const" | "let" | "var" => {
                if let Some(n) = next.filter(|_| self.name(next)) {
                    self.declarator = Some((span(n), depth));
                }
            }
            "import" => self.import_next = true,
            _ if is_keyword(self.lang, w) => {}
            _ => {
                let top = self.top_frame();
                let member_position = prev.is_none()
                    || t.first
                    || ["{", "}", ";", ",", "*"].iter().any(|p| self.is(prev, p))
                    || prev.is_some_and(|p| MEMBER_MODIFIERS.contains(&self.word(p)));
                let call = self.is(next, "(");
                if call && member_position && w != "constructor" {
                    if top == Some(Frame::Class) {
                        self.def(t.start, span(t), SymbolKind::Function);
                        return;
                    }
                    if top == Some(Frame::Other) && self.top().is_some_and(|o| o.byte == b'{') {
                        // An object literal's method, if a body follows.
                        self.method_head = Some(span(t));
                    }
                }
                let listed = self.import_braces.is_some()
                    && !self.is(prev, "as")
                    && (!self.name(next) || self.is(next, "as"));
                let upper = ts && type_like(w);
                if (call && w != "require") || self.is(prev, "new") || listed || upper {
                    self.add_ref(t);
                }
            }
        }
    }

    /// Follows a name assigned a value until it is clear whether the value is a function.
    fn fn_value_step(&mut self, t: Token, next: Option<Token>) {
        let Some(mut fv) = self.fn_value else {
            return;
        };
        let w = self.word(t);
        let depth = self.depth();
        let mut found = false;
        let mut keep = true;
        match fv.stage {
            Stage::Start => match w {
                "function" => found = true,
                "async" => {}
                "(" => fv.stage = Stage::Params,
                _ if self.name(Some(t)) && self.is(next, "=>") => fv.stage = Stage::Arrow,
                _ => keep = false,
            },
            Stage::Params => {
                if w == ")" && depth == fv.depth + 1 {
                    fv.stage = Stage::Arrow;
                }
            }
            Stage::Arrow => match w {
                "=>" => found = true,
                ":" => fv.stage = Stage::ReturnType,
                _ => keep = false,
            },
            Stage::ReturnType => {
                if depth == fv.depth {
                    match w {
                        "=>" => found = true,
                        ";" | "," | "{" | "}" | "=" => keep = false,
                        _ => {}
                    }
                } else if depth < fv.depth {
                    keep = false;
                }
            }
        }
        if found {
            self.fn_value = None;
            self.def_with(fv.name.0, fv.name, SymbolKind::Function, true);
        } else if keep {
            self.fn_value = Some(fv);
        } else {
            self.fn_value = None;
        }
    }

    fn finish(self) -> FileTags {
        let Scanner {
            lang,
            text,
            b,
            mut defs,
            refs,
            ..
        } = self;
        defs.sort_by_key(|d| d.start);
        let mut line = 1u32;
        let mut at = 0usize;
        let mut symbols = Vec::with_capacity(defs.len());
        for d in defs {
            let newlines = memchr::memchr_iter(b'\n', &b[at..d.start]).count();
            line = line.saturating_add(u32::try_from(newlines).unwrap_or(u32::MAX));
            at = d.start;
            let end = if d.line_head {
                let end = memchr::memchr(b'\n', &b[d.start..]).map_or(b.len(), |k| d.start + k);
                // A parse's node ends before the comma that separates it from the next.
                let line = &b[d.start..end];
                let kept = line.trim_ascii_end();
                d.start + kept.strip_suffix(b",").map_or(line.len(), <[u8]>::len)
            } else {
                head_end(b, lang, d.kind, d.start)
            };
            let parent = d.parent.map(|(start, end)| {
                let end = if end == HEAD_TO_COLON {
                    head_end(b, lang, SymbolKind::Type, start)
                } else {
                    end
                };
                tags::signature_span(text, start, end)
            });
            symbols.push(Symbol {
                name: text[d.name.0..d.name.1].to_owned(),
                kind: d.kind,
                signature: tags::signature_span(text, d.start, end),
                line,
                parent,
            });
        }
        let mut refs: Vec<(String, u32)> =
            refs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect();
        refs.sort_unstable();
        FileTags {
            defs: symbols,
            refs,
            lexical: true,
        }
    }
}

/// Where a declaration's head ends, read from its start: at its body's `{` or a `;` outside
/// brackets; Python's at the `:` that opens its block; a function's head may run over
/// several lines (parameters, a `where` clause), other heads end with their line. Looks at
/// most [`MAX_SIGNATURE_SCAN`] bytes ahead and ignores strings: a signature is a label.
fn head_end(b: &[u8], lang: Lang, kind: SymbolKind, start: usize) -> usize {
    let limit = b.len().min(start + MAX_SIGNATURE_SCAN);
    let multiline = lang == Lang::Rust && matches!(kind, SymbolKind::Function | SymbolKind::Method);
    let python_block = lang == Lang::Python && kind != SymbolKind::Constant;
    let mut depth = 0usize;
    for (i, &c) in b.iter().enumerate().take(limit).skip(start) {
        match c {
            b'(' | b'[' => depth += 1,
            b')' | b']' => depth = depth.saturating_sub(1),
            b'{' | b';' if depth == 0 && lang != Lang::Python => return i,
            b':' if depth == 0 && python_block => return i + 1,
            b'\n' if depth == 0 && !multiline => return i,
            _ => {}
        }
    }
    limit
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant};

    use super::*;

    fn scanned(path: &str, text: &str) -> FileTags {
        scan(Path::new(path), text).expect("a language")
    }

    fn defs(t: &FileTags) -> Vec<String> {
        t.defs
            .iter()
            .map(|s| {
                let parent = s.parent.as_deref().unwrap_or("-");
                format!(
                    "{} {:?} @{} in {parent}: {}",
                    s.name, s.kind, s.line, s.signature
                )
            })
            .collect()
    }

    fn refs(t: &FileTags) -> Vec<&str> {
        t.refs.iter().map(|(n, _)| n.as_str()).collect()
    }

    /// The scan finds the definitions the parse finds, with the same kinds, lines, parents
    /// and (for these one-line heads) signatures; and the uses it finds include the parse's.
    fn like_the_parse(path: &str, text: &str) -> FileTags {
        let parsed = tags::extract(Path::new(path), text).expect("a grammar");
        let scanned = scanned(path, text);
        assert!(scanned.lexical && !parsed.lexical);
        assert_eq!(defs(&scanned), defs(&parsed), "{path}");
        let have = refs(&scanned);
        let missing: Vec<&str> = refs(&parsed)
            .into_iter()
            .filter(|r| !have.contains(r))
            .collect();
        assert!(missing.is_empty(), "{path}: {missing:?} not in {have:?}");
        scanned
    }

    #[test]
    fn rust_like_the_parse() {
        let src = r#"
use crate::store::{Store, open};

/// A config.
pub struct Config<T> {
    path: PathBuf,
}

pub enum Mode { Fast, Slow }

pub trait Load: Sized {
    type Item;
    fn load(path: &Path) -> Result<Self>;
}

impl<T: Clone> Config<T> {
    pub fn new(
        path: PathBuf,
    ) -> Self {
        fn helper() {}
        let f = |x: u32| x;
        Self { path }
    }
}

pub const MAX: usize = 10;
static mut COUNT: u32 = 0;

pub fn run(config: &Config<u8>, store: Store) -> Mode {
    let s = Store::open("x");
    helper_two(1);
    config.validate();
    Mode::Fast
}

pub fn returns() -> impl Iterator<Item = u8> {
    struct Inner;
    let all = left.union(&right);
    std::iter::empty()
}

pub static LAZY: Lazy<u8> = Lazy::new(|| {
    static INNER: u8 = 1;
    INNER + MAX_SIZE
});

macro_rules! square { ($x:expr) => { fn not_a_def() {} $x * $x }; }

#[derive(Debug)]
pub(crate) union Bits { a: u8 }

mod inline {
    pub fn inner_api() {}
}

#[cfg(test)]
mod tests {
    fn only_a_test() {}
}
"#;
        let t = like_the_parse("src/config.rs", src);
        assert!(t.defs.iter().any(|d| d.name == "square"));
        assert!(!refs(&t).contains(&"Debug"), "attributes are not read");
        assert!(!refs(&t).contains(&"MAX_SIZE"), "constants are not types");
    }

    #[test]
    fn python_like_the_parse() {
        let src = r#"
from runner.queue import Queue, Lease as L

LIMIT = 5
counts: dict = {}

class Client(Base):
    """A client.

    def not_a_def(): the docstring is text
    """
    def __init__(self, session):
        self.session = session

    @property
    def take(self) -> Lease:
        def inner():
            pass
        return make_lease(self.session)

    class Nested:
        pass

def main(argv: list[str]) -> int:
    Client(None).take()
    x = '#' + "it's"
"#;
        like_the_parse("client.py", src);
    }

    #[test]
    fn javascript_like_the_parse() {
        let src = r#"
import { poll, Other as O } from "./poll.js";

export function summarise(jobs, opts) {
  function local() {}
  const re = /["'`]/g;
  return jobs.map(normalise);
}

export const fetchAll = async (url) => {
  return poll(url);
};

const label = `job ${jobs.map(j => `#${j.id}`).join(", ")} done`;

export class Dashboard extends Base {
  constructor() { super(); }
  render(target) {
    return new Panel(target);
  }
}

module.exports = {
  helper: function () {},
  shorthand() { return 1; },
};
"#;
        like_the_parse("web/dashboard.js", src);
    }

    #[test]
    fn typescript_like_the_parse() {
        let src = r#"
export interface Job {
  id: number;
  retry(times: number): Promise<void>;
}

export function summarise(jobs: readonly Job[]): Summary {
  return count(jobs);
}

export const handler = (req: Request): Response => respond(req);

export abstract class Store<T> implements Repo {
  abstract get(id: string): T;
  put(item: T): void {}
}
"#;
        like_the_parse("src/jobs.ts", src);
        like_the_parse(
            "ui/view.tsx",
            "export function View({ n }: Props) {\n  return <div>{fmt(n)}</div>;\n}\n",
        );
    }

    #[test]
    fn go_like_the_parse() {
        let src = r#"package queue

import "fmt"

type Stats struct {
	Pending int
}

type (
	Store interface {
		Get(id int) Job
	}
	ID int
)

type Alias = Stats

func (q *Queue) Stats() Stats {
	helper := func() {}
	return compute(q)
}

func NewQueue(size int) *Queue {
	type local struct{}
	fmt.Println(size, `raw
string {`, '}')
	return &Queue{}
}
"#;
        like_the_parse("queue/queue.go", src);
    }

    #[test]
    fn literals_and_comments_hide_names() {
        let rust = r##"
/* outer /* nested fn in_comment() {} */ still(comment) */
fn real() {
    let a = r#"fn in_raw() { "quoted" }"#;
    let b = b"fn in_bytes()";
    let c = '"'; let d = '\''; let e = b'{';
    let f: &'static str = "a \" fn in_string() {}";
    'outer: loop { break 'outer; }
    after_all();
}
fn r#type() {}
"##;
        let t = scanned("a.rs", rust);
        let names: Vec<&str> = t.defs.iter().map(|d| d.name.as_str()).collect();
        assert_eq!(names, ["real", "r#type"]);
        assert_eq!(refs(&t), ["after_all"]);
        assert_eq!(t.defs[1].line, 11);

        let py =
            "s = '''\ndef hidden(): pass\n'''\n# def comment(): pass\ndef shown(): call_me()\n";
        let t = scanned("a.py", py);
        assert_eq!(defs(&t)[1], "shown Function @5 in -: def shown():");
        assert_eq!(refs(&t), ["call_me"]);

        let js = "const a = `${`${inner()}`}` + '}'; // function gone() {}\nfunction kept() {}\n";
        let t = scanned("a.js", js);
        assert_eq!(
            t.defs.iter().map(|d| d.name.as_str()).collect::<Vec<_>>(),
            ["kept"]
        );
        assert_eq!(refs(&t), ["inner"]);
    }

    /// The hostile files of the parse's tests: each scanned quickly, within the caps.
    #[test]
    fn hostile_files_are_scanned_quickly_within_the_caps() {
        let long_line = format!("fn f() {{ let x = \"{}\"; }}", "a".repeat(1_000_000));
        let deep_parens = format!("fn f() {{ {} }}", "(".repeat(100_000));
        let deep_brackets = "[".repeat(100_000);
        let deep_braces = "{".repeat(100_000);
        let closers = format!("\"{}\" {}", "}".repeat(3000), "{".repeat(3000));
        let nested_fns = "fn a() {".repeat(10_000);
        let nested_defs: String = (0..5_000)
            .map(|i| format!("{}def f{i}():\n", " ".repeat(i % 200)))
            .collect();
        let many_names: String = (0..60_000).map(|i| format!("n{i}();")).collect();
        let many_defs: String = (0..40_000).map(|i| format!("fn f{i}(){{}}\n")).collect();
        let binaryish: String = (0..500_000u32)
            .map(|i| char::from_u32(1 + (i.wrapping_mul(2_654_435_761) % 0x2FF)).unwrap_or('x'))
            .collect();
        let minified = format!("var a=1;{}", "function q(){return a}".repeat(40_000));
        // Each `/` may start a regular expression that never ends on its line.
        // (The closers keep it under the gate on nesting.)
        let regexes = format!("x = {}", "=/[))".repeat(200_000));
        let raw_hashes = format!("r{}\"{}", "#".repeat(200_000), "\"#".repeat(200_000));
        let unterminated = format!("\"\"\"{}", "def x(): pass\n".repeat(50_000));
        let templates = format!("{}{}", "`${".repeat(1500), "}`".repeat(1500)).repeat(100);
        let quotes = "'a".repeat(400_000);
        let cases: Vec<(&str, &str)> = vec![
            ("long.rs", &long_line),
            ("long.py", &long_line),
            ("parens.rs", &deep_parens),
            ("brackets.py", &deep_brackets),
            ("brackets.js", &deep_brackets),
            ("braces.ts", &deep_braces),
            ("braces.go", &deep_braces),
            ("closers.rs", &closers),
            ("nested.rs", &nested_fns),
            ("nested.py", &nested_defs),
            ("names.rs", &many_names),
            ("names.js", &many_names),
            ("defs.rs", &many_defs),
            ("binary.rs", &binaryish),
            ("binary.tsx", &binaryish),
            ("minified.js", &minified),
            ("regexes.js", &regexes),
            ("raw.rs", &raw_hashes),
            ("unterminated.py", &unterminated),
            ("templates.ts", &templates),
            ("quotes.rs", &quotes),
            ("quotes.go", &quotes),
        ];
        for (path, text) in cases {
            let start = Instant::now();
            let tags = scanned(path, text);
            let took = start.elapsed();
            eprintln!(
                "{path}: {took:?} defs {} refs {}",
                tags.defs.len(),
                tags.refs.len()
            );
            // Debug builds are slow; release scans each of these in milliseconds.
            assert!(took < Duration::from_secs(5), "{path}: {took:?}");
            assert!(tags.defs.len() <= MAX_DEFS, "{path}");
            assert!(tags.refs.len() <= MAX_REF_NAMES, "{path}");
            assert!(
                tags.defs.iter().all(|d| d.signature.chars().count() <= 161),
                "{path}"
            );
        }
        // What a parse would not read, the scan does not either.
        assert_eq!(scanned("binary.rs", &binaryish), FileTags::default());
        assert_eq!(scanned("braces.go", &deep_braces), FileTags::default());
        assert_eq!(scanned("defs.rs", &many_defs).defs.len(), MAX_DEFS);
        assert_eq!(scanned("names.rs", &many_names).refs.len(), MAX_REF_NAMES);
    }
}
