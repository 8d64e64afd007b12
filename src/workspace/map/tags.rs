//! What one file defines and which identifiers it uses, read with tree-sitter's tags queries.
//!
//! The text is the user's file: untrusted. Work is capped at every step (file size, time per
//! parse and per query, matches, definitions, distinct references, signature length), so a
//! generated or hostile file costs a bounded, small amount and never panics.

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use tree_sitter::{Node, ParseOptions, ParseState, QueryCursorOptions, QueryCursorState};
use tree_sitter::{StreamingIterator, Tree};

use super::lang::{Grammar, Lang, Role, ScopeKind};

/// A definition outside any function body: function, method, type, interface, constant,
/// module or macro, with its signature.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Symbol {
    pub name: String,
    pub kind: SymbolKind,
    /// The declaration's head, whitespace collapsed, up to its body: `pub fn load(path:
    /// &Path) -> Result<Config>`, `class Lease(Base):`, `type Stats struct`.
    pub signature: String,
    /// 1-based.
    pub line: u32,
    /// For a method or a nested type: the head of the impl, trait, class or interface it
    /// sits in (`impl Display for Config`), so a map can show whose method it is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum SymbolKind {
    Function,
    Method,
    /// Struct, enum, union, type alias, class.
    Type,
    /// Trait or interface.
    Interface,
    Constant,
    Module,
    Macro,
}

/// What one file defines and which identifiers it references. Serializable: the caller
/// caches it per file by modification time and size.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FileTags {
    /// In source order.
    pub defs: Vec<Symbol>,
    /// Each identifier the file uses, once, with how many times; sorted by name.
    pub refs: Vec<(String, u32)>,
    /// Read by the lexical scanner (`lexical.rs`) rather than parsed: names and kinds good
    /// enough to rank by, signatures that are line heads. [`build`](super::build) parses a
    /// file before it shows it. Never serialised when false, so parsed tags read and write
    /// the same JSON as before the scanner existed.
    #[serde(default, skip_serializing_if = "is_false")]
    pub lexical: bool,
}

fn is_false(b: &bool) -> bool {
    !*b
}

/// Files larger than this are not parsed: hand-written source is far smaller, and what is
/// larger (generated tables, bundles, vendored amalgamations) says little a map can use.
pub const MAX_FILE_BYTES: usize = 1024 * 1024;
/// Definitions kept per file. A map shows a few dozen per file at most; past this a file
/// is generated code.
pub const MAX_DEFS: usize = 1000;
/// Distinct identifiers kept per file. Enough for any hand-written file's vocabulary; it
/// bounds the memory a file of a million distinct names could take.
pub const MAX_REF_NAMES: usize = 4096;
/// Query matches read per file; a 1 MiB file of identifiers has about 200,000.
const MAX_MATCHES: usize = 200_000;
/// Definitions and scopes gathered before filtering, above the kept caps because local
/// definitions and scopes are dropped afterwards.
const MAX_RAW: usize = 20_000;
/// Longer names are not identifiers a person wrote.
pub(super) const MAX_NAME_BYTES: usize = 128;
/// Signatures are cut here (bytes of source read, then characters shown).
pub(super) const MAX_SIGNATURE_SCAN: usize = 512;
const MAX_SIGNATURE_CHARS: usize = 160;
/// Wall time for parsing one file, and again for querying it. A 1 MiB file of real code is
/// tagged in a fraction of this (see benches/repo_map.rs); the cap stops only pathological
/// input, and what was read by then is kept.
const TIME_BUDGET: Duration = Duration::from_secs(1);

/// The tags of a file, or `None` for a language without a grammar. A file over
/// [`MAX_FILE_BYTES`], binary, or nested thousands of brackets deep gets empty tags without
/// being parsed.
pub fn extract(path: &Path, text: &str) -> Option<FileTags> {
    extract_timed(path, text).map(|(tags, _)| tags)
}

/// [`extract`], and whether it finished within its time budget. Tags cut short by the
/// clock depend on the machine's load, so they are used but not cached.
pub(super) fn extract_timed(path: &Path, text: &str) -> Option<(FileTags, bool)> {
    let grammar = Lang::from_path(path)?.grammar()?;
    if unparseable(text) {
        return Some((FileTags::default(), true));
    }
    Some(extract_with(grammar, text))
}

/// Whether a file gets empty tags without being read further: over [`MAX_FILE_BYTES`],
/// binary, or nested too deep. The lexical scanner applies the same test, so a file it
/// passes over is one a parse would pass over too.
pub(super) fn unparseable(text: &str) -> bool {
    text.len() > MAX_FILE_BYTES || looks_binary(text) || too_deep(text)
}

/// A NUL byte, or more than 1% control characters other than whitespace and ESC, in the
/// first 64 KiB: binary or encoded data, not source. (Parsing such a file would only run
/// the parser's error recovery to its time cap.)
fn looks_binary(text: &str) -> bool {
    let head = &text.as_bytes()[..text.len().min(64 * 1024)];
    if memchr::memchr(0, head).is_some() {
        return true;
    }
    let controls = head
        .iter()
        .filter(|&&b| b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r' | 0x0c | 0x1b))
        .count();
    controls * 100 > head.len()
}

/// Brackets nested deeper than any hand-written code nests them. tree-sitter parses deep
/// nesting slowly (100,000 nested parentheses take longer than the parse's time cap), so
/// such a file is not parsed at all. The count ignores strings and comments: at this depth
/// that can only misjudge generated files.
fn too_deep(text: &str) -> bool {
    const MAX_DEPTH: i64 = 2000;
    let mut depth = 0i64;
    for &b in text.as_bytes() {
        match b {
            b'(' | b'[' | b'{' => {
                depth += 1;
                if depth > MAX_DEPTH {
                    return true;
                }
            }
            b')' | b']' | b'}' => depth -= 1,
            _ => {}
        }
    }
    false
}

fn extract_with(grammar: &Grammar, text: &str) -> (FileTags, bool) {
    let Some(mut tools) = grammar.take_tools() else {
        return (FileTags::default(), true);
    };
    let tree = parse(&mut tools.parser, text);
    let tagged = match &tree {
        Some(tree) => read_tags(grammar, &mut tools.cursor, tree, text),
        // The parse ran out of time.
        None => (FileTags::default(), false),
    };
    // A cancelled parse leaves the parser mid-document; reset it before the next file.
    tools.parser.reset();
    grammar.give_back(tools);
    tagged
}

fn parse(parser: &mut tree_sitter::Parser, text: &str) -> Option<Tree> {
    let bytes = text.as_bytes();
    let deadline = Instant::now() + TIME_BUDGET;
    let mut past_deadline = |_: &ParseState| Instant::now() >= deadline;
    let options = ParseOptions::new().progress_callback(&mut past_deadline);
    parser.parse_with_options(
        &mut |offset, _| bytes.get(offset..).unwrap_or_default(),
        None,
        Some(options),
    )
}

/// A definition as matched, before local ones are dropped.
struct RawDef {
    start: usize,
    name: String,
    kind: SymbolKind,
    signature: String,
    line: u32,
    /// Go's `func (r T) m()`: a method without an enclosing class body.
    method_by_syntax: bool,
}

/// A byte range definitions may sit in.
struct Scope {
    start: usize,
    end: usize,
    kind: ScopeKind,
    /// For class scopes, the head shown above their methods.
    header: Option<String>,
}

fn read_tags(
    grammar: &Grammar,
    cursor: &mut tree_sitter::QueryCursor,
    tree: &Tree,
    text: &str,
) -> (FileTags, bool) {
    let bytes = text.as_bytes();
    let deadline = Instant::now() + TIME_BUDGET;
    let timed_out = std::cell::Cell::new(false);
    let mut past_deadline = |_: &QueryCursorState| {
        let past = Instant::now() >= deadline;
        timed_out.set(past);
        past
    };
    let options = QueryCursorOptions::new().progress_callback(&mut past_deadline);
    // In-progress matches are few in real code; the bound keeps a hostile file from holding
    // a state per token (tree-sitter drops the oldest when it is reached).
    cursor.set_match_limit(512);
    let mut matches = cursor.matches_with_options(&grammar.query, tree.root_node(), bytes, options);

    let mut defs: Vec<RawDef> = Vec::new();
    let mut seen_defs: HashSet<(usize, String)> = HashSet::new();
    let mut scopes: Vec<Scope> = Vec::new();
    let mut refs: HashMap<&str, u32> = HashMap::new();
    let mut count = 0usize;
    while let Some(m) = matches.next() {
        count += 1;
        if count > MAX_MATCHES {
            break;
        }
        let mut name = None;
        let mut tagged = None;
        for c in m.captures {
            match grammar.roles.get(c.index as usize) {
                Some(Role::Name) => name = Some(c.node),
                Some(role @ (Role::Def(_) | Role::Ref | Role::Scope(_))) => {
                    tagged = Some((*role, c.node))
                }
                _ => {}
            }
        }
        match tagged {
            Some((Role::Def(kind), node)) if defs.len() < MAX_RAW => {
                let Some(name) = name.and_then(|n| identifier(text, n)) else {
                    continue;
                };
                if !seen_defs.insert((node.start_byte(), name.to_owned())) {
                    continue;
                }
                defs.push(RawDef {
                    start: node.start_byte(),
                    name: name.to_owned(),
                    kind: refine_kind(kind, node),
                    signature: signature(text, node),
                    line: u32::try_from(node.start_position().row + 1).unwrap_or(u32::MAX),
                    method_by_syntax: node.kind() == "method_declaration",
                });
            }
            Some((Role::Ref, _)) => {
                let Some(name) = name.and_then(|n| identifier(text, n)) else {
                    continue;
                };
                // One-letter names are type parameters and loop variables, not links.
                if name.len() < 2 {
                    continue;
                }
                if let Some(n) = refs.get_mut(name) {
                    *n = n.saturating_add(1);
                } else if refs.len() < MAX_REF_NAMES {
                    refs.insert(name, 1);
                }
            }
            Some((Role::Scope(kind), node)) if scopes.len() < MAX_RAW => {
                if let Some(scope) = scope(text, kind, node) {
                    scopes.push(scope);
                }
            }
            _ => {}
        }
    }

    drop(matches);
    let mut refs: Vec<(String, u32)> = refs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect();
    refs.sort_unstable();
    let tags = FileTags {
        defs: keep_outer(defs, scopes),
        refs,
        lexical: false,
    };
    (tags, !timed_out.get())
}

/// The node's text if it looks like an identifier a person wrote.
fn identifier<'t>(text: &'t str, node: Node) -> Option<&'t str> {
    let range = node.byte_range();
    if range.is_empty() || range.len() > MAX_NAME_BYTES {
        return None;
    }
    let name = text.get(range)?;
    (!name.chars().any(char::is_whitespace)).then_some(name)
}

/// Kinds the shipped queries lump together: Go's interface types are `definition.type`.
fn refine_kind(kind: SymbolKind, node: Node) -> SymbolKind {
    if kind == SymbolKind::Type
        && node.kind() == "type_spec"
        && node
            .child_by_field_name("type")
            .is_some_and(|t| t.kind() == "interface_type")
    {
        return SymbolKind::Interface;
    }
    kind
}

fn scope(text: &str, kind: ScopeKind, node: Node) -> Option<Scope> {
    let (range, header) = match kind {
        // The whole module, its own `mod tests` line included.
        ScopeKind::Test => (node.byte_range(), None),
        ScopeKind::Function => (node.child_by_field_name("body")?.byte_range(), None),
        ScopeKind::Class => (
            node.child_by_field_name("body")?.byte_range(),
            Some(signature(text, node)),
        ),
    };
    Some(Scope {
        start: range.start,
        end: range.end,
        kind,
        header,
    })
}

/// Keeps the definitions outside function bodies and test modules, marks functions in class
/// bodies as methods with their class's head, and caps the count. Scopes are tree nodes, so
/// they nest or are disjoint; one sweep in source order with a stack of the open scopes
/// finds each definition's enclosing scopes without walking the tree (tree-sitter finds a
/// node's parent by descending from the root, which a deeply nested file makes costly).
fn keep_outer(mut defs: Vec<RawDef>, mut scopes: Vec<Scope>) -> Vec<Symbol> {
    defs.sort_by_key(|d| d.start);
    scopes.sort_by(|a, b| a.start.cmp(&b.start).then(b.end.cmp(&a.end)));
    let mut open: Vec<usize> = Vec::new();
    // How many open scopes make a definition local.
    let mut local = 0usize;
    let mut next = 0usize;
    let mut kept = Vec::new();
    // Closes the open scopes that end at or before `pos`.
    let close_until = |open: &mut Vec<usize>, local: &mut usize, pos: usize| {
        while let Some(&top) = open.last() {
            if scopes[top].end > pos {
                break;
            }
            open.pop();
            if scopes[top].kind != ScopeKind::Class {
                *local -= 1;
            }
        }
    };
    for d in defs {
        close_until(&mut open, &mut local, d.start);
        while next < scopes.len() && scopes[next].start <= d.start {
            let s = next;
            next += 1;
            if scopes[s].end <= d.start {
                continue;
            }
            close_until(&mut open, &mut local, scopes[s].start);
            open.push(s);
            if scopes[s].kind != ScopeKind::Class {
                local += 1;
            }
        }
        if local > 0 {
            continue;
        }
        let class = open.last().map(|&i| &scopes[i]);
        let parent = class.and_then(|s| s.header.clone());
        let kind = match d.kind {
            SymbolKind::Function | SymbolKind::Method => {
                if class.is_some() || d.method_by_syntax {
                    SymbolKind::Method
                } else {
                    SymbolKind::Function
                }
            }
            other => other,
        };
        kept.push(Symbol {
            name: d.name,
            kind,
            signature: d.signature,
            line: d.line,
            parent,
        });
        if kept.len() >= MAX_DEFS {
            break;
        }
    }
    kept
}

/// The head of a declaration: from its start (taking in a short prefix on the same line,
/// such as `export`, `type` or `const`, which the tags capture leaves out) to its body, or to
/// the end of its first line when it has none; whitespace collapsed, and cut to a bound.
pub(super) fn signature(text: &str, node: Node) -> String {
    let bytes = text.as_bytes();
    let node_start = node.start_byte().min(bytes.len());
    let start = line_prefix_start(bytes, node_start);
    let limit = node
        .end_byte()
        .min(bytes.len())
        .min(start + MAX_SIGNATURE_SCAN);
    let end = match node.child_by_field_name("body") {
        Some(body) if body.start_byte() > node_start => body.start_byte().min(limit),
        _ => memchr::memchr(b'\n', &bytes[node_start..limit]).map_or(limit, |i| node_start + i),
    };
    signature_between(bytes, start, end)
}

/// The signature of a declaration starting at `node_start` whose head ends at `end`, with the
/// short prefix its line may hold: for callers without a tree (the lexical scanner).
pub(super) fn signature_span(text: &str, node_start: usize, end: usize) -> String {
    let bytes = text.as_bytes();
    let node_start = node_start.min(bytes.len());
    let start = line_prefix_start(bytes, node_start);
    let end = end.min(bytes.len()).min(start + MAX_SIGNATURE_SCAN);
    signature_between(bytes, start, end)
}

/// `bytes[start..end]` as a signature: whitespace collapsed, control characters dropped, cut
/// to [`MAX_SIGNATURE_CHARS`].
fn signature_between(bytes: &[u8], start: usize, end: usize) -> String {
    let raw = String::from_utf8_lossy(&bytes[start..end.max(start)]);
    let mut out = String::with_capacity(raw.len().min(MAX_SIGNATURE_CHARS + 4));
    let mut chars = 0usize;
    // Whitespace runs become one space, and none just inside brackets, so a parameter list
    // written one per line reads `fn f(a: u8, b: u8)`: `( a: u8, b: u8, )` once collapsed.
    let mut space = false;
    for c in raw.chars() {
        if c.is_whitespace() {
            space = !out.is_empty();
            continue;
        }
        // Control characters in the user's file reach neither a prompt nor a terminal.
        if crate::text::terminal::is_unsafe(c) {
            continue;
        }
        let closing = matches!(c, ')' | ']');
        // A trailing comma before a line break: `(u8,)` keeps its comma.
        if closing && space && out.ends_with(',') {
            out.pop();
            chars -= 1;
        }
        let gap = space && !closing && !out.ends_with(['(', '[']);
        if chars + usize::from(gap) >= MAX_SIGNATURE_CHARS {
            out.push('…');
            return out;
        }
        if gap {
            out.push(' ');
            chars += 1;
        }
        space = false;
        out.push(c);
        chars += 1;
    }
    let trimmed = out.trim_end_matches(['{', ';', ' ']).len();
    out.truncate(trimmed);
    out
}

/// Where a declaration's line starts, if what precedes it there is a short prefix; else the
/// node's own start (a minified file puts everything on one line).
fn line_prefix_start(bytes: &[u8], node_start: usize) -> usize {
    const MAX_PREFIX: usize = 40;
    let from = node_start.saturating_sub(MAX_PREFIX + 1);
    let window = &bytes[from..node_start];
    match memchr::memrchr(b'\n', window) {
        Some(i) => from + i + 1,
        None if from == 0 => 0,
        None => node_start,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tags(path: &str, text: &str) -> FileTags {
        extract(Path::new(path), text).expect("a grammar")
    }

    fn sig<'a>(t: &'a FileTags, name: &str) -> &'a Symbol {
        t.defs
            .iter()
            .find(|s| s.name == name)
            .unwrap_or_else(|| panic!("{name} not among {:?}", t.defs))
    }

    fn refs(t: &FileTags) -> Vec<&str> {
        t.refs.iter().map(|(n, _)| n.as_str()).collect()
    }

    #[test]
    fn rust_items_with_signatures() {
        let src = r#"
use crate::store::{Store, open};

/// A config.
pub struct Config<T> {
    path: PathBuf,
}

pub enum Mode { Fast, Slow }

pub trait Load: Sized {
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

pub fn run(config: &Config<u8>, store: Store) -> Mode {
    let s = Store::open("x");
    helper_two(1);
    config.validate();
    Mode::Fast
}

macro_rules! square { ($x:expr) => { $x * $x }; }

#[cfg(test)]
mod tests {
    fn only_a_test() {}
}
"#;
        let t = tags("src/config.rs", src);
        assert_eq!(sig(&t, "Config").kind, SymbolKind::Type);
        assert_eq!(sig(&t, "Config").signature, "pub struct Config<T>");
        assert_eq!(sig(&t, "Mode").signature, "pub enum Mode");
        assert_eq!(sig(&t, "Load").kind, SymbolKind::Interface);
        assert_eq!(sig(&t, "Load").signature, "pub trait Load: Sized");
        let load = sig(&t, "load");
        assert_eq!(load.kind, SymbolKind::Method);
        assert_eq!(load.signature, "fn load(path: &Path) -> Result<Self>");
        assert_eq!(load.parent.as_deref(), Some("pub trait Load: Sized"));
        let new = sig(&t, "new");
        assert_eq!(new.kind, SymbolKind::Method);
        assert_eq!(new.signature, "pub fn new(path: PathBuf) -> Self");
        assert_eq!(new.parent.as_deref(), Some("impl<T: Clone> Config<T>"));
        let run = sig(&t, "run");
        assert_eq!(run.kind, SymbolKind::Function);
        assert_eq!(
            run.signature,
            "pub fn run(config: &Config<u8>, store: Store) -> Mode"
        );
        assert_eq!(run.parent, None);
        assert_eq!(sig(&t, "MAX").kind, SymbolKind::Constant);
        assert_eq!(sig(&t, "square").kind, SymbolKind::Macro);
        // Local functions and test modules are not the file's API.
        for local in ["helper", "only_a_test", "tests"] {
            assert!(t.defs.iter().all(|s| s.name != local), "{local}");
        }
        // Source order, 1-based lines.
        assert!(t.defs.windows(2).all(|w| w[0].line <= w[1].line));
        assert_eq!(sig(&t, "Config").line, 5);
        let r = refs(&t);
        for used in [
            "Store",
            "open",
            "helper_two",
            "validate",
            "PathBuf",
            "Config",
        ] {
            assert!(r.contains(&used), "{used} not in {r:?}");
        }
    }

    #[test]
    fn python_defs_classes_and_methods() {
        let src = r#"
from runner.queue import Queue, Lease as L

LIMIT = 5

class Client(Base):
    def __init__(self, session):
        self.session = session

    @property
    def take(self) -> Lease:
        def inner():
            pass
        return make_lease(self.session)

def main(argv: list[str]) -> int:
    Client(None).take()
"#;
        let t = tags("client.py", src);
        let client = sig(&t, "Client");
        assert_eq!(client.kind, SymbolKind::Type);
        assert_eq!(client.signature, "class Client(Base):");
        let take = sig(&t, "take");
        assert_eq!(take.kind, SymbolKind::Method);
        assert_eq!(take.signature, "def take(self) -> Lease:");
        assert_eq!(take.parent.as_deref(), Some("class Client(Base):"));
        let main = sig(&t, "main");
        assert_eq!(main.kind, SymbolKind::Function);
        assert_eq!(main.signature, "def main(argv: list[str]) -> int:");
        assert_eq!(sig(&t, "LIMIT").kind, SymbolKind::Constant);
        assert!(t.defs.iter().all(|s| s.name != "inner"));
        let r = refs(&t);
        for used in ["Queue", "Lease", "make_lease", "Base", "Client", "take"] {
            assert!(r.contains(&used), "{used} not in {r:?}");
        }
    }

    #[test]
    fn javascript_functions_and_classes() {
        let src = r#"
import { poll, Other as O } from "./poll.js";

export function summarise(jobs, opts) {
  function local() {}
  return jobs.map(normalise);
}

export const fetchAll = async (url) => {
  return poll(url);
};

export class Dashboard extends Base {
  constructor() { super(); }
  render(target) {
    return new Panel(target);
  }
}
"#;
        let t = tags("web/dashboard.js", src);
        let s = sig(&t, "summarise");
        assert_eq!(s.kind, SymbolKind::Function);
        assert_eq!(s.signature, "export function summarise(jobs, opts)");
        assert!(sig(&t, "fetchAll")
            .signature
            .starts_with("export const fetchAll = async (url) =>"));
        let d = sig(&t, "Dashboard");
        assert_eq!(d.kind, SymbolKind::Type);
        assert_eq!(d.signature, "export class Dashboard extends Base");
        let render = sig(&t, "render");
        assert_eq!(render.kind, SymbolKind::Method);
        assert_eq!(render.signature, "render(target)");
        assert_eq!(
            render.parent.as_deref(),
            Some("export class Dashboard extends Base")
        );
        assert!(t
            .defs
            .iter()
            .all(|s| s.name != "local" && s.name != "constructor"));
        let r = refs(&t);
        for used in ["poll", "Panel", "map", "Other"] {
            assert!(r.contains(&used), "{used} not in {r:?}");
        }
    }

    #[test]
    fn typescript_interfaces_and_classes() {
        let src = r#"
export interface Job {
  id: number;
  retry(times: number): Promise<void>;
}

export function summarise(jobs: readonly Job[]): Summary {
  return count(jobs);
}

export abstract class Store<T> implements Repo {
  abstract get(id: string): T;
  put(item: T): void {}
}
"#;
        let t = tags("src/jobs.ts", src);
        let job = sig(&t, "Job");
        assert_eq!(job.kind, SymbolKind::Interface);
        assert_eq!(job.signature, "export interface Job");
        let retry = sig(&t, "retry");
        assert_eq!(retry.kind, SymbolKind::Method);
        assert_eq!(retry.parent.as_deref(), Some("export interface Job"));
        assert_eq!(
            sig(&t, "summarise").signature,
            "export function summarise(jobs: readonly Job[]): Summary"
        );
        assert_eq!(sig(&t, "Store").kind, SymbolKind::Type);
        assert_eq!(sig(&t, "put").kind, SymbolKind::Method);
        assert_eq!(sig(&t, "get").kind, SymbolKind::Method);
        let r = refs(&t);
        for used in ["Job", "Summary", "count", "Repo"] {
            assert!(r.contains(&used), "{used} not in {r:?}");
        }
        // TSX parses with its own grammar.
        let tsx = tags(
            "ui/view.tsx",
            "export function View({ n }: Props) {\n  return <div>{fmt(n)}</div>;\n}\n",
        );
        assert_eq!(sig(&tsx, "View").kind, SymbolKind::Function);
        assert!(refs(&tsx).contains(&"fmt"));
    }

    #[test]
    fn go_funcs_methods_and_types() {
        let src = r#"package queue

import "fmt"

type Stats struct {
	Pending int
}

type Store interface {
	Get(id int) Job
}

func (q *Queue) Stats() Stats {
	helper := func() {}
	return compute(q)
}

func NewQueue(size int) *Queue {
	type local struct{}
	fmt.Println(size)
	return &Queue{}
}
"#;
        let t = tags("queue/queue.go", src);
        let stats: Vec<&Symbol> = t.defs.iter().filter(|s| s.name == "Stats").collect();
        assert_eq!(stats.len(), 2, "{:?}", t.defs);
        assert_eq!(stats[0].kind, SymbolKind::Type);
        assert_eq!(stats[0].signature, "type Stats struct");
        assert_eq!(stats[1].kind, SymbolKind::Method);
        assert_eq!(stats[1].signature, "func (q *Queue) Stats() Stats");
        assert_eq!(sig(&t, "Store").kind, SymbolKind::Interface);
        assert_eq!(sig(&t, "NewQueue").kind, SymbolKind::Function);
        assert_eq!(
            sig(&t, "NewQueue").signature,
            "func NewQueue(size int) *Queue"
        );
        assert!(t
            .defs
            .iter()
            .all(|s| s.name != "local" && s.name != "helper"));
        let r = refs(&t);
        for used in ["compute", "Println", "Queue", "Job"] {
            assert!(r.contains(&used), "{used} not in {r:?}");
        }
    }

    #[test]
    fn unknown_languages_have_no_tags_and_large_or_binary_files_are_empty() {
        assert_eq!(extract(Path::new("notes.md"), "# fn main() {}"), None);
        let big = format!("fn a() {{}}\n{}", "// x\n".repeat(MAX_FILE_BYTES / 4));
        assert_eq!(
            extract(Path::new("big.rs"), &big),
            Some(FileTags::default())
        );
        assert_eq!(
            extract(Path::new("bin.rs"), "fn a() {}\0\0\0"),
            Some(FileTags::default())
        );
        let controls = format!("fn a() {{}}\n{}", "\u{1}\u{2}x".repeat(100));
        assert_eq!(
            extract(Path::new("c.rs"), &controls),
            Some(FileTags::default())
        );
        let deep = format!("fn a() {{}}\nfn b() {{ {} }}", "(".repeat(3000));
        assert_eq!(
            extract(Path::new("deep.rs"), &deep),
            Some(FileTags::default())
        );
        // Ordinary nesting and escape sequences in strings are source.
        let ok = format!(
            "fn a() {{ let s = \"\u{1b}[1m\"; {}{} }}",
            "(".repeat(50),
            ")".repeat(50)
        );
        assert_eq!(
            extract(Path::new("ok.rs"), &ok).map(|t| t.defs.len()),
            Some(1)
        );
    }

    #[test]
    fn refs_count_uses_and_names_are_bounded() {
        // One-letter names are type parameters and loop variables, not links.
        let t = tags("a.rs", "fn f() { g(); g(); g(); h(); }");
        assert!(t.refs.is_empty(), "{:?}", t.refs);
        let t = tags("a.rs", "fn f() { gg(); gg(); hh(); }");
        assert_eq!(t.refs, vec![("gg".to_owned(), 2), ("hh".to_owned(), 1)]);
    }

    #[test]
    fn signatures_are_cut_and_cleaned() {
        let params: String = (0..100).map(|i| format!("a{i}: u32, ")).collect();
        let t = tags("a.rs", &format!("pub fn wide({params}) {{}}\n"));
        let s = &sig(&t, "wide").signature;
        assert!(s.chars().count() <= MAX_SIGNATURE_CHARS + 1, "{s}");
        assert!(s.ends_with('…'));
        let t = tags(
            "a.rs",
            "pub fn multi(\n    a: (u8,),\n    b: [u8; 2],\n) -> (u8, u8) {}\n",
        );
        assert_eq!(
            sig(&t, "multi").signature,
            "pub fn multi(a: (u8,), b: [u8; 2]) -> (u8, u8)"
        );
        let t = tags("a.py", "def odd(x=\"\u{1b}[31m\"):\n    pass\n");
        assert_eq!(sig(&t, "odd").signature, "def odd(x=\"[31m\"):");
    }
}
