//! The module graph: which top-level modules (`src/X/` or `src/X.rs`) use which, read from
//! the `crate::X` and `super::` paths in `src/**/*.rs`. It fails on any circle between
//! top-level modules and on any arrow against the layering DESIGN.md states ("Layout"):
//! the pure rooms (router, confidence, keys, text) import nothing that does I/O or sits
//! above them, and the config imports nothing above keys.
//!
//! Run with `--nocapture` to see the edges. Std only, so it also runs on an old checkout.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

type Edges = BTreeMap<String, BTreeSet<String>>;

/// What each room may not import (DESIGN.md, Layout). Front ends (`tui`, `cli`) and the
/// library's `client` sit on top; `engine` under them; the rest below.
const FORBIDDEN: &[(&str, &[&str])] = &[
    ("text", ABOVE_PURE),
    ("keys", ABOVE_PURE),
    ("router", ABOVE_PURE),
    ("confidence", ABOVE_PURE),
    ("backend_id", ABOVE_PURE),
    ("logprob", ABOVE_PURE),
    ("voice", ABOVE_PURE),
    ("private", ABOVE_PURE),
    ("config", ABOVE_CONFIG),
    ("backend", FRONT_ENDS_AND_ENGINE),
    ("store", FRONT_ENDS_AND_ENGINE),
    ("resources", FRONT_ENDS_AND_ENGINE),
    ("engine", FRONT_ENDS),
    ("workspace", FRONT_ENDS_ENGINE_AND_STORE_AND_EDIT),
    ("edit", ABOVE_EDIT),
    ("sandbox", ABOVE_SANDBOX),
    // Front ends run commands through the engine, which owns the audit trail.
    ("tui", &["sandbox"]),
    ("cli", &["sandbox"]),
];
/// The sandbox runs commands; the engine (and the CLI's `run`) drive it. It reads its
/// settings and finds the workspace root, nothing more.
const ABOVE_SANDBOX: &[&str] = &[
    "tui",
    "cli",
    "client",
    "engine",
    "store",
    "backend",
    "resources",
    "router",
    "confidence",
    "edit",
    "voice",
];
const FRONT_ENDS: &[&str] = &["tui", "cli", "client"];
const FRONT_ENDS_AND_ENGINE: &[&str] = &["tui", "cli", "client", "engine"];
/// The workspace reads the user's files; what it caches goes through the engine. Edits
/// build on it, so it does not use them.
const FRONT_ENDS_ENGINE_AND_STORE_AND_EDIT: &[&str] =
    &["tui", "cli", "client", "engine", "store", "edit"];
/// Edits use only the text tools and the workspace's leaf helpers (secrets); the engine
/// drives them and the store journals them.
const EDIT_MAY_USE: &[&str] = &["text", "workspace"];
const ABOVE_EDIT: &[&str] = &[
    "tui",
    "cli",
    "client",
    "engine",
    "store",
    "backend",
    "resources",
    "logging",
    "router",
    "confidence",
    "config",
    "keys",
    "voice",
    "logprob",
    "backend_id",
    "private",
];
/// Everything that does I/O or sits above the pure rooms.
const ABOVE_PURE: &[&str] = &[
    "tui",
    "cli",
    "client",
    "engine",
    "store",
    "backend",
    "resources",
    "logging",
    "workspace",
    "edit",
    "sandbox",
];
/// The config may use only these rooms.
const CONFIG_MAY_USE: &[&str] = &["keys", "text", "backend_id", "private"];
const ABOVE_CONFIG: &[&str] = &[
    "tui",
    "cli",
    "client",
    "engine",
    "store",
    "backend",
    "resources",
    "logging",
    "router",
    "confidence",
    "voice",
    "logprob",
    "workspace",
    "edit",
    "sandbox",
];

#[test]
fn top_level_modules_form_no_circle_and_keep_the_layering() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let edges = module_edges(&src);
    print_edges(&edges);
    if let Some(circle) = find_circle(&edges) {
        panic!(
            "the top-level modules form a circle: {}",
            circle.join(" -> ")
        );
    }
    let wrong = layering_violations(&edges);
    assert!(
        wrong.is_empty(),
        "arrows against DESIGN.md's layering:\n{}",
        wrong.join("\n")
    );
}

#[test]
fn the_config_uses_only_the_rooms_below_it() {
    let edges = module_edges(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"));
    let used = edges.get("config").cloned().unwrap_or_default();
    let extra: Vec<&String> = used
        .iter()
        .filter(|m| !CONFIG_MAY_USE.contains(&m.as_str()))
        .collect();
    assert!(extra.is_empty(), "config uses {extra:?}");
}

#[test]
fn edits_use_only_the_text_tools_and_the_workspace() {
    let edges = module_edges(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"));
    let used = edges.get("edit").cloned().unwrap_or_default();
    let extra: Vec<&String> = used
        .iter()
        .filter(|m| !EDIT_MAY_USE.contains(&m.as_str()))
        .collect();
    assert!(extra.is_empty(), "edit uses {extra:?}");
}

/// Rooms whose files must not use each other in a circle either: the pure ones, where a
/// circle means a helper sits in the wrong file (DESIGN.md: "small modules named for what
/// they own").
const NO_FILE_CIRCLES: &[&str] = &["router", "confidence", "keys", "text", "config", "edit"];

#[test]
fn the_files_of_the_pure_rooms_form_no_circle() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    for room in NO_FILE_CIRCLES {
        if let Some(circle) = find_circle(&sibling_edges(&src, room)) {
            panic!(
                "the files of {room}/ form a circle: {}",
                circle.join(" -> ")
            );
        }
    }
}

// ---- the checker's own tests --------------------------------------------------------------

fn edges_of(list: &[(&str, &str)]) -> Edges {
    let mut e = Edges::new();
    for (a, b) in list {
        e.entry((*a).to_owned())
            .or_default()
            .insert((*b).to_owned());
    }
    e
}

#[test]
fn checker_finds_a_made_up_circle_and_passes_a_chain() {
    let chain = edges_of(&[("tui", "engine"), ("engine", "router"), ("router", "text")]);
    assert_eq!(find_circle(&chain), None);
    let circle = edges_of(&[
        ("tui", "engine"),
        ("engine", "router"),
        ("router", "config"),
        ("config", "tui"),
    ]);
    let found = find_circle(&circle).expect("a circle");
    assert_eq!(found.first(), found.last());
    assert_eq!(found.len(), 5, "{found:?}");
    // A two-module circle too.
    let pair = edges_of(&[("backend", "config"), ("config", "backend")]);
    assert!(find_circle(&pair).is_some());
}

#[test]
fn checker_flags_arrows_against_the_layering() {
    let e = edges_of(&[("router", "engine"), ("config", "tui"), ("tui", "engine")]);
    let wrong = layering_violations(&e);
    assert_eq!(wrong.len(), 2, "{wrong:?}");
    assert!(wrong.iter().any(|w| w.contains("router -> engine")));
    assert!(wrong.iter().any(|w| w.contains("config -> tui")));
}

#[test]
fn paths_in_comments_strings_and_own_submodules_are_not_edges() {
    let text = r#"
        //! See [`crate::tui::App`].
        use crate::{config::Config, router};
        use super::fences;
        /* crate::engine */
        const S: &str = "crate::store";
        const R: &str = r"crate::cli";
        fn f<'a>(c: char) -> bool { c == '{' }
        pub(super) fn g() {}
        mod tests {
            use super::super::text;
            use super::Foo;
        }
    "#;
    let mods: BTreeSet<String> = ["tui", "config", "router", "engine", "store", "cli", "text"]
        .map(str::to_owned)
        .into();
    let rooms = |used: BTreeSet<Vec<String>>| -> BTreeSet<String> {
        used.into_iter().map(|p| p[0].clone()).collect()
    };
    // As src/confidence/syntax.rs: `super::super::text` is confidence::text, not a room.
    let used = uses(text, &["confidence".into(), "syntax".into()], &mods);
    assert_eq!(rooms(used), ["config", "router"].map(str::to_owned).into());
    // As src/voice.rs, `super::` reaches the crate root: `super::router` is a room.
    let used = uses(
        "use super::router::Route;\nuse crate::text;",
        &["voice".into()],
        &mods,
    );
    assert_eq!(rooms(used), ["router", "text"].map(str::to_owned).into());
}

#[test]
fn sibling_files_resolve_through_super_and_crate_paths() {
    let mods: BTreeSet<String> = ["router".to_owned()].into();
    let text = "use super::learn::{self, Arm};\nuse super::{task::Route, text};\n\
                fn f() { crate::router::analyze::run(); }";
    let used = uses(text, &["router".into(), "decide".into()], &mods);
    let files: BTreeSet<&str> = used.iter().map(|p| p[1].as_str()).collect();
    assert_eq!(files, ["analyze", "learn", "task", "text"].into());
}

// ---- reading the sources ------------------------------------------------------------------

/// Every top-level module's uses of the other top-level modules.
fn module_edges(src: &Path) -> Edges {
    let mut edges = Edges::new();
    for (from, to) in resolved_uses(src) {
        if let (Some(a), Some(b)) = (from.first(), to.first()) {
            if a != b {
                edges.entry(a.clone()).or_default().insert(b.clone());
            }
        }
    }
    edges
}

/// Within room `top`, which of its files (`src/top/a.rs`, or `src/top/a/`) use which of
/// their siblings. `mod.rs` is left out: a room's root uses its parts by nature.
fn sibling_edges(src: &Path, top: &str) -> Edges {
    let mut edges = Edges::new();
    for (from, to) in resolved_uses(src) {
        let (Some(a), Some(b)) = (from.get(1), to.get(1)) else {
            continue;
        };
        if from[0] == top && to[0] == top && a != b {
            edges.entry(a.clone()).or_default().insert(b.clone());
        }
    }
    edges
}

/// For every file, its module path (up to two names) and each path it uses, resolved to
/// the crate root and cut to two names (`["router", "learn"]`).
fn resolved_uses(src: &Path) -> Vec<(Vec<String>, Vec<String>)> {
    let files = rust_files(src);
    let mods: BTreeSet<String> = files
        .iter()
        .filter_map(|f| module_path(src, f).first().cloned())
        .collect();
    let mut out = Vec::new();
    for file in &files {
        let path = module_path(src, file);
        if path.is_empty() {
            continue;
        }
        let text = fs::read_to_string(file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        let from: Vec<String> = path.iter().take(2).cloned().collect();
        for used in uses(&text, &path, &mods) {
            out.push((from.clone(), used));
        }
    }
    out
}

fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        let entries = fs::read_dir(&d).unwrap_or_else(|e| panic!("{}: {e}", d.display()));
        for entry in entries.flatten() {
            let p = entry.path();
            if p.is_dir() {
                todo.push(p);
            } else if p.extension().is_some_and(|e| e == "rs") {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// `src/a/b.rs` is `[a, b]`, `src/a/mod.rs` is `[a]`, `src/a.rs` is `[a]`; the crate roots
/// (`lib.rs`, `main.rs`) are `[]`.
fn module_path(src: &Path, file: &Path) -> Vec<String> {
    let rel = file.strip_prefix(src).unwrap_or(file).with_extension("");
    let mut parts: Vec<String> = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    if parts.last().is_some_and(|p| p == "mod") {
        parts.pop();
    }
    if parts.len() == 1 && (parts[0] == "lib" || parts[0] == "main") {
        parts.clear();
    }
    parts
}

/// The paths `text`, the file of module `path`, uses through `crate::` or `super::`,
/// resolved from the crate root and cut to two names; only those into a top-level module
/// of `mods`. Comments and literals are skipped; inline `mod x { ... }` blocks deepen what
/// `super::` means.
fn uses(text: &str, path: &[String], mods: &BTreeSet<String>) -> BTreeSet<Vec<String>> {
    let tokens = tokens(text);
    let mut out = BTreeSet::new();
    // The module path at each brace depth where an inline module opened.
    let mut inline: Vec<(usize, String)> = Vec::new();
    let mut depth = 0usize;
    let mut i = 0;
    while i < tokens.len() {
        let mut base: Option<(Vec<String>, usize)> = None;
        match tokens[i].as_str() {
            "{" => depth += 1,
            "}" => {
                depth = depth.saturating_sub(1);
                if inline.last().is_some_and(|(d, _)| *d == depth) {
                    inline.pop();
                }
            }
            "mod" if tokens.get(i + 2).is_some_and(|t| t == "{") => {
                inline.push((depth, tokens[i + 1].clone()));
            }
            "crate" if tokens.get(i + 1).is_some_and(|t| t == "::") => {
                base = Some((Vec::new(), i + 2));
            }
            "super" if i == 0 || tokens[i - 1] != "::" => {
                let mut here: Vec<String> = path.to_vec();
                here.extend(inline.iter().map(|(_, m)| m.clone()));
                let mut j = i;
                while tokens.get(j).is_some_and(|t| t == "super")
                    && tokens.get(j + 1).is_some_and(|t| t == "::")
                {
                    here.pop();
                    j += 2;
                }
                // `pub(super)` is followed by no path.
                if j > i {
                    base = Some((here, j));
                }
            }
            _ => {}
        }
        if let Some((prefix, at)) = base {
            for tail in use_tree(&tokens, at, 2usize.saturating_sub(prefix.len())) {
                let mut full = prefix.clone();
                full.extend(tail);
                full.truncate(2);
                if full.first().is_some_and(|m| mods.contains(m)) {
                    out.insert(full);
                }
            }
            i = at;
            continue;
        }
        i += 1;
    }
    out
}

/// The paths of a use tree starting at `at` (`a::b`, `a::{b, c::d}`, `{a, b}`), each cut
/// to `keep` names (at least one).
fn use_tree(tokens: &[String], at: usize, keep: usize) -> Vec<Vec<String>> {
    match tokens.get(at).map(String::as_str) {
        Some("{") => {
            let mut out = Vec::new();
            let mut j = at + 1;
            let mut depth = 0;
            let mut item_start = true;
            while let Some(t) = tokens.get(j) {
                match t.as_str() {
                    "{" => depth += 1,
                    "}" if depth == 0 => break,
                    "}" => depth -= 1,
                    "," if depth == 0 => item_start = true,
                    _ if item_start && depth == 0 => {
                        out.extend(use_tree(tokens, j, keep));
                        item_start = false;
                    }
                    _ => {}
                }
                j += 1;
            }
            out
        }
        Some(name) if name != "::" && name != "}" && name != "," => {
            let rest = if keep > 1 && tokens.get(at + 1).is_some_and(|t| t == "::") {
                use_tree(tokens, at + 2, keep - 1)
            } else {
                Vec::new()
            };
            if rest.is_empty() {
                vec![vec![name.to_owned()]]
            } else {
                rest.into_iter()
                    .map(|mut p| {
                        p.insert(0, name.to_owned());
                        p
                    })
                    .collect()
            }
        }
        _ => Vec::new(),
    }
}

/// Identifiers, `::`, braces and commas, with comments, strings and chars left out.
fn tokens(text: &str) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        if c == '/' && next == Some('/') {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
        } else if c == '/' && next == Some('*') {
            i = skip_block_comment(&chars, i);
        } else if c == '"' {
            i = skip_string(&chars, i + 1);
        } else if (c == 'r' || c == 'b') && is_raw_string(&chars, i) {
            i = skip_raw_string(&chars, i);
        } else if c == '\'' {
            i = skip_char_or_lifetime(&chars, i);
        } else if c.is_alphabetic() || c == '_' {
            let start = i;
            while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
                i += 1;
            }
            out.push(chars[start..i].iter().collect());
        } else if c == ':' && next == Some(':') {
            out.push("::".to_owned());
            i += 2;
        } else {
            if matches!(c, '{' | '}' | ',') {
                out.push(c.to_string());
            }
            i += 1;
        }
    }
    out
}

fn skip_block_comment(chars: &[char], mut i: usize) -> usize {
    let mut depth = 0;
    while i < chars.len() {
        if chars[i] == '/' && chars.get(i + 1) == Some(&'*') {
            depth += 1;
            i += 2;
        } else if chars[i] == '*' && chars.get(i + 1) == Some(&'/') {
            depth -= 1;
            i += 2;
            if depth == 0 {
                return i;
            }
        } else {
            i += 1;
        }
    }
    i
}

fn skip_string(chars: &[char], mut i: usize) -> usize {
    while i < chars.len() {
        match chars[i] {
            '\\' => i += 2,
            '"' => return i + 1,
            _ => i += 1,
        }
    }
    i
}

/// `r"`, `r#"`, `br"`, `br#"` (and not an identifier that merely starts with r or b).
fn is_raw_string(chars: &[char], i: usize) -> bool {
    if i > 0 && (chars[i - 1].is_alphanumeric() || chars[i - 1] == '_') {
        return false;
    }
    let mut j = i;
    if chars[j] == 'b' {
        j += 1;
    }
    if chars.get(j) != Some(&'r') {
        return false;
    }
    j += 1;
    while chars.get(j) == Some(&'#') {
        j += 1;
    }
    chars.get(j) == Some(&'"')
}

fn skip_raw_string(chars: &[char], mut i: usize) -> usize {
    while chars[i] != '#' && chars[i] != '"' {
        i += 1;
    }
    let mut hashes = 0;
    while chars[i] == '#' {
        hashes += 1;
        i += 1;
    }
    i += 1; // the opening quote
    while i < chars.len() {
        if chars[i] == '"' && (1..=hashes).all(|k| chars.get(i + k) == Some(&'#')) {
            return i + 1 + hashes;
        }
        i += 1;
    }
    i
}

/// `'x'`, `'\n'`, `'\u{..}'` are chars; `'a` in `&'a str` is a lifetime.
fn skip_char_or_lifetime(chars: &[char], i: usize) -> usize {
    if chars.get(i + 1) == Some(&'\\') {
        let mut j = i + 2;
        while j < chars.len() && chars[j] != '\'' {
            j += 1;
        }
        return j + 1;
    }
    if chars.get(i + 2) == Some(&'\'') {
        return i + 3;
    }
    i + 1
}

// ---- judging the graph --------------------------------------------------------------------

/// A circle as the modules along it, first repeated at the end; `None` when acyclic.
fn find_circle(edges: &Edges) -> Option<Vec<String>> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        New,
        Open,
        Done,
    }
    fn visit(
        node: &str,
        edges: &Edges,
        marks: &mut BTreeMap<String, Mark>,
        stack: &mut Vec<String>,
    ) -> Option<Vec<String>> {
        marks.insert(node.to_owned(), Mark::Open);
        stack.push(node.to_owned());
        for next in edges.get(node).into_iter().flatten() {
            match marks.get(next).copied().unwrap_or(Mark::New) {
                Mark::Open => {
                    let from = stack.iter().position(|m| m == next).unwrap_or(0);
                    let mut circle = stack[from..].to_vec();
                    circle.push(next.clone());
                    return Some(circle);
                }
                Mark::New => {
                    if let Some(c) = visit(next, edges, marks, stack) {
                        return Some(c);
                    }
                }
                Mark::Done => {}
            }
        }
        stack.pop();
        marks.insert(node.to_owned(), Mark::Done);
        None
    }
    let mut marks = BTreeMap::new();
    for node in edges.keys() {
        if marks.get(node).copied().unwrap_or(Mark::New) == Mark::New {
            if let Some(c) = visit(node, edges, &mut marks, &mut Vec::new()) {
                return Some(c);
            }
        }
    }
    None
}

fn layering_violations(edges: &Edges) -> Vec<String> {
    let mut out = Vec::new();
    for (from, forbidden) in FORBIDDEN {
        for to in edges.get(*from).into_iter().flatten() {
            if forbidden.contains(&to.as_str()) {
                out.push(format!("{from} -> {to}"));
            }
        }
    }
    out
}

fn print_edges(edges: &Edges) {
    println!("top-level module edges (user -> used):");
    for (from, to) in edges {
        let to: Vec<&str> = to.iter().map(String::as_str).collect();
        println!("  {from} -> {}", to.join(", "));
    }
}
