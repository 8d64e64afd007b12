//! Tree-sitter parsing of code fragments: which lines fall in ERROR or MISSING nodes.
//!
//! Answers hold fragments (statements outside a function, methods outside a class, Go without
//! a package clause), so each grammar is tried as-is and then inside wrappers that make a
//! fragment whole; the reading with the fewest broken lines wins. A correct fragment then
//! reads as correct, while broken code stays broken under every wrapper.

use std::sync::{Mutex, MutexGuard, PoisonError};

use tree_sitter::{Language, Node, Parser, Point, Tree};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Grammar {
    Rust,
    Python,
    JavaScript,
    TypeScript,
    Tsx,
    Go,
    Java,
    C,
    Bash,
}

/// How a fragment is made whole before parsing.
#[derive(Clone, Copy)]
enum Attempt {
    AsIs,
    /// Python methods or bodies pasted with their indentation.
    Dedent,
    Wrap(&'static str, &'static str),
}

const ALL: [Grammar; 9] = [
    Grammar::Rust,
    Grammar::Python,
    Grammar::JavaScript,
    Grammar::TypeScript,
    Grammar::Tsx,
    Grammar::Go,
    Grammar::Java,
    Grammar::C,
    Grammar::Bash,
];

impl Grammar {
    pub fn name(self) -> &'static str {
        match self {
            Grammar::Rust => "rust",
            Grammar::Python => "python",
            Grammar::JavaScript => "javascript",
            Grammar::TypeScript => "typescript",
            Grammar::Tsx => "tsx",
            Grammar::Go => "go",
            Grammar::Java => "java",
            Grammar::C => "c",
            Grammar::Bash => "bash",
        }
    }

    fn index(self) -> usize {
        self as usize
    }

    fn language(self) -> Language {
        match self {
            Grammar::Rust => tree_sitter_rust::LANGUAGE.into(),
            Grammar::Python => tree_sitter_python::LANGUAGE.into(),
            Grammar::JavaScript => tree_sitter_javascript::LANGUAGE.into(),
            Grammar::TypeScript => tree_sitter_typescript::LANGUAGE_TYPESCRIPT.into(),
            Grammar::Tsx => tree_sitter_typescript::LANGUAGE_TSX.into(),
            Grammar::Go => tree_sitter_go::LANGUAGE.into(),
            Grammar::Java => tree_sitter_java::LANGUAGE.into(),
            Grammar::C => tree_sitter_c::LANGUAGE.into(),
            Grammar::Bash => tree_sitter_bash::LANGUAGE.into(),
        }
    }

    fn attempts(self) -> &'static [Attempt] {
        use Attempt::*;
        match self {
            Grammar::Rust => &[
                AsIs,
                Wrap("fn __f() {\n", "\n}"),
                Wrap("impl __S {\n", "\n}"),
            ],
            Grammar::Python => &[AsIs, Dedent],
            Grammar::JavaScript | Grammar::TypeScript | Grammar::Tsx => &[
                AsIs,
                Wrap("function __f() {\n", "\n}"),
                Wrap("class __C {\n", "\n}"),
            ],
            Grammar::Go => &[
                AsIs,
                Wrap("package p\n", ""),
                Wrap("package p\nfunc __f() {\n", "\n}"),
            ],
            // Methods outside a class, and statements outside a method.
            Grammar::Java => &[
                AsIs,
                Wrap("class __C {\n", "\n}"),
                Wrap("class __C { void __f() {\n", "\n}}"),
            ],
            Grammar::C => &[AsIs, Wrap("void __f(void) {\n", "\n}")],
            Grammar::Bash => &[AsIs],
        }
    }
}

/// Idle parsers per grammar, shared by all threads: building a parser and setting its
/// language costs more than parsing a short block. Unlike a thread-local, a pool serves the
/// engine's worker threads alike and holds at most as many parsers as ever ran at once.
static POOL: [Mutex<Vec<Parser>>; ALL.len()] = [const { Mutex::new(Vec::new()) }; ALL.len()];

fn parse(g: Grammar, text: &str) -> Option<Tree> {
    let mut parser = take(g)?;
    let tree = parser.parse(text, None);
    pool(g).push(parser);
    tree
}

fn pool(g: Grammar) -> MutexGuard<'static, Vec<Parser>> {
    // A poisoned pool still holds working parsers: a parse never leaves one half-updated.
    POOL[g.index()]
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
}

fn take(g: Grammar) -> Option<Parser> {
    if let Some(p) = pool(g).pop() {
        return Some(p);
    }
    let mut p = Parser::new();
    p.set_language(&g.language()).ok()?;
    Some(p)
}

/// Blocks longer than this are parsed only as written.
const MAX_WRAPPED: usize = 16 * 1024;

/// For each line of `code`, whether it is broken; `None` if the parser gave nothing.
/// The attempt with the fewest broken non-blank lines is kept.
pub(crate) fn broken_lines(g: Grammar, code: &str) -> Option<Vec<bool>> {
    let n = code.lines().count().max(1);
    let mut best: Option<(usize, Vec<bool>)> = None;
    // Fragments are short; a long block gets one parse, so a big broken paste costs one.
    let tries = if code.len() > MAX_WRAPPED {
        1
    } else {
        usize::MAX
    };
    for attempt in g.attempts().iter().take(tries) {
        let (text, offset) = prepare(*attempt, code);
        let Some(tree) = parse(g, &text) else {
            continue;
        };
        let mut rows = mark_errors(&tree, offset, n);
        if g == Grammar::Rust {
            mark_unended_macros(&tree, code, offset, &mut rows);
        }
        let count = count_broken(code, &rows);
        if best.as_ref().is_none_or(|(c, _)| count < *c) {
            best = Some((count, rows));
        }
        if count == 0 {
            break;
        }
    }
    best.map(|(_, rows)| rows)
}

/// The text to parse and how many wrapper lines precede the fragment.
fn prepare(attempt: Attempt, code: &str) -> (String, usize) {
    match attempt {
        Attempt::AsIs => (code.to_owned(), 0),
        Attempt::Dedent => (dedent(code), 0),
        Attempt::Wrap(pre, post) => (format!("{pre}{code}{post}"), pre.matches('\n').count()),
    }
}

/// Removes the indentation every non-blank line shares.
fn dedent(code: &str) -> String {
    let common = code
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.len() - l.trim_start_matches([' ', '\t']).len())
        .min()
        .unwrap_or(0);
    let mut out = String::with_capacity(code.len());
    for line in code.lines() {
        out.push_str(line.get(common..).unwrap_or(""));
        out.push('\n');
    }
    out
}

pub(crate) fn count_broken(code: &str, rows: &[bool]) -> usize {
    code.lines()
        .zip(rows)
        .filter(|(l, broken)| **broken && !l.trim().is_empty())
        .count()
}

/// Marks the fragment's lines covered by ERROR or MISSING nodes. Walks with a cursor rather
/// than recursion, so deeply nested input cannot overflow the stack, and only descends into
/// subtrees that hold an error.
fn mark_errors(tree: &Tree, offset: usize, n: usize) -> Vec<bool> {
    let mut rows = vec![false; n];
    let mut cursor = tree.walk();
    loop {
        let node = cursor.node();
        let descend = if node.is_error() || node.is_missing() {
            mark(node, offset, &mut rows);
            false
        } else {
            node.has_error()
        };
        if descend && cursor.goto_first_child() {
            continue;
        }
        loop {
            if cursor.goto_next_sibling() {
                break;
            }
            if !cursor.goto_parent() {
                return rows;
            }
        }
    }
}

/// Marks Rust macro calls in parentheses or brackets that stand as a statement inside a
/// block, are not its last one and have no `;` after them: `println!("a")` then
/// `println!("b");` does not compile, but the grammar reads such a call as an item, which
/// needs none, and reports no error. A call that is the block's value, or in braces, is fine.
/// Only lines that start with `name!(` or `name![` are looked up in the tree (walking every
/// node of every block cost 6% of scoring a 10 KB answer, by callgrind).
fn mark_unended_macros(tree: &Tree, code: &str, offset: usize, rows: &mut [bool]) {
    let root = tree.root_node();
    for (row, line) in code.lines().enumerate() {
        let t = line.trim_start();
        let name_len = t
            .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':'))
            .unwrap_or(t.len());
        let rest = &t[name_len..];
        if name_len == 0 || !(rest.starts_with("!(") || rest.starts_with("![")) {
            continue;
        }
        let at = Point::new(row + offset, line.len() - t.len());
        let Some(mut node) = root.descendant_for_point_range(at, at) else {
            continue;
        };
        // From the name's token up to the call that starts where the line's code does.
        while node.kind() != "macro_invocation" || node.start_position() != at {
            match node.parent() {
                Some(p) if p.start_position() == at => node = p,
                _ => break,
            }
        }
        let in_block = node.parent().is_some_and(|p| p.kind() == "block");
        let ended = node.next_sibling().is_some_and(|n| n.kind() == ";");
        let last = node.next_named_sibling().is_none();
        if node.kind() == "macro_invocation" && in_block && !ended && !last {
            mark(node, offset, rows);
        }
    }
}

/// Marks a node's rows, mapped back from the wrapped text and clamped to the fragment (an
/// error in a wrapper line is charged to the nearest fragment line).
fn mark(node: Node, offset: usize, rows: &mut [bool]) {
    let start = node.start_position();
    let end = node.end_position();
    // A node ending at column 0 does not touch that row.
    let last = if end.column == 0 && end.row > start.row {
        end.row - 1
    } else {
        end.row
    };
    let max = rows.len() - 1;
    let from = start.row.saturating_sub(offset).min(max);
    let to = last.saturating_sub(offset).min(max);
    for r in &mut rows[from..=to.max(from)] {
        *r = true;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn broken(g: Grammar, code: &str) -> usize {
        let rows = broken_lines(g, code).expect("parsed");
        count_broken(code, &rows)
    }

    #[test]
    fn whole_programs_parse() {
        assert_eq!(
            broken(Grammar::Rust, "fn main() {\n    println!(\"hi\");\n}\n"),
            0
        );
        assert_eq!(broken(Grammar::Python, "def f(x):\n    return x * 2\n"), 0);
        assert_eq!(
            broken(Grammar::JavaScript, "function f(a) {\n  return a + 1;\n}\n"),
            0
        );
        assert_eq!(
            broken(
                Grammar::TypeScript,
                "interface U { id: number }\nconst u: U = { id: 1 };\n"
            ),
            0
        );
        assert_eq!(
            broken(
                Grammar::Tsx,
                "const A = () => <div className=\"x\">{1}</div>;\n"
            ),
            0
        );
        assert_eq!(
            broken(
                Grammar::Go,
                "package main\n\nfunc main() {\n\tprintln(1)\n}\n"
            ),
            0
        );
    }

    #[test]
    fn fragments_parse_when_wrapped() {
        assert_eq!(broken(Grammar::Rust, "let x = 1;\nlet y = x + 1;\n"), 0);
        assert_eq!(
            broken(Grammar::Go, "x := 1\nif x > 0 {\n\tfmt.Println(x)\n}\n"),
            0
        );
        assert_eq!(
            broken(Grammar::Go, "func add(a, b int) int {\n\treturn a + b\n}\n"),
            0
        );
        assert_eq!(broken(Grammar::JavaScript, "if (x) {\n  return 1;\n}\n"), 0);
        assert_eq!(
            broken(
                Grammar::TypeScript,
                "greet(name: string): string {\n  return name;\n}\n"
            ),
            0
        );
        assert_eq!(
            broken(
                Grammar::Python,
                "    def area(self):\n        return self.w * self.h\n"
            ),
            0
        );
    }

    #[test]
    fn broken_code_marks_lines() {
        assert!(broken(Grammar::Rust, "fn f( {\n    let = ;\n}\n") > 0);
        assert!(broken(Grammar::Python, "def f(x)\n    return x +\n") > 0);
        assert!(broken(Grammar::JavaScript, "function f( {\n  return ));\n}\n") > 0);
        assert!(broken(Grammar::Go, "func f(x: int) -> int {\n  return x\n}\n") > 0);
        assert!(broken(Grammar::Tsx, "const A = () => <div><span></div>;\n") > 0);
    }

    #[test]
    fn dedent_keeps_rows() {
        assert_eq!(dedent("    a\n\n      b\n"), "a\n\n  b\n");
        assert_eq!(dedent(""), "");
    }

    #[test]
    fn hostile_input_does_not_panic() {
        let deep = "(".repeat(10_000);
        let braces = "{".repeat(10_000);
        for g in ALL {
            for s in [
                "",
                "\0",
                "\u{feff}",
                deep.as_str(),
                braces.as_str(),
                "é\n\t\r\n",
            ] {
                let _ = broken_lines(g, s);
            }
        }
    }
}
