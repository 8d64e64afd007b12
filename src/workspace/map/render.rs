//! The map as text, in aider's shape: each file's path, then its definitions' signatures
//! indented beneath it (methods one step further, under their impl, class or trait), files
//! in rank order until the token budget is spent.
//!
//! ```text
//! src/config/mod.rs:
//!   pub struct Config
//!   impl Config
//!     pub fn load(path: &Path) -> Result<Config>
//!   pub fn default_path() -> PathBuf
//! ```

use std::collections::HashMap;

use super::tags::{FileTags, SymbolKind};

/// Definitions shown per file. A file with more is summarised with a count: a map is a
/// table of contents, and one generated file must not take the whole budget.
pub const MAX_SYMBOLS_SHOWN: usize = 40;

/// The map text and what it holds.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RepoMap {
    pub text: String,
    /// The estimate of `text`, summed file by file.
    pub tokens: u64,
    /// The files shown, in rank order. The last may be shown in part: when a file does not
    /// fit whole, as many of its lines as fit go in (at least its path and one definition)
    /// and the map ends there.
    pub files: Vec<String>,
    /// The ranked files left out, in rank order.
    pub dropped: Vec<String>,
    /// Files [`build`](super::build) could not tag: unreadable, not UTF-8, or not reached
    /// within its time for parsing (the next map parses those). Empty from [`render`].
    pub skipped: Vec<String>,
    /// Where each shown file's lines end in `text` (bytes), for [`RepoMap::cut`].
    pub ends: Vec<usize>,
}

impl RepoMap {
    /// The map cut to the files that fit `budget_tokens` as `estimate` counts them: whole
    /// files from the top, the rest dropped. A map is rendered once per request and then
    /// cut to the room each server's window leaves, which is known only later.
    pub fn cut(&self, budget_tokens: u64, estimate: &dyn Fn(&str) -> u64) -> RepoMap {
        let mut cut = RepoMap {
            skipped: self.skipped.clone(),
            ..RepoMap::default()
        };
        let mut start = 0;
        for (path, &end) in self.files.iter().zip(&self.ends) {
            let chunk = self.text.get(start..end).unwrap_or_default();
            let cost = estimate(chunk);
            if cut.dropped.is_empty() && cut.tokens.saturating_add(cost) <= budget_tokens {
                cut.text.push_str(chunk);
                cut.tokens += cost;
                cut.files.push(path.clone());
                cut.ends.push(cut.text.len());
            } else {
                cut.dropped.push(path.clone());
            }
            start = end;
        }
        cut.dropped.extend(self.dropped.iter().cloned());
        cut
    }
}

/// The map of the `ranked` files within `budget_tokens` as `estimate` counts them. A ranked
/// file without tags is shown by its path alone.
pub fn render(
    ranked: &[(String, f64)],
    tags: &HashMap<String, FileTags>,
    budget_tokens: u64,
    estimate: &dyn Fn(&str) -> u64,
) -> RepoMap {
    render_by(ranked, |path| tags.get(path), budget_tokens, estimate)
}

/// [`render`] with the tags looked up by `tags`.
pub(super) fn render_by<'t>(
    ranked: &[(String, f64)],
    tags: impl Fn(&str) -> Option<&'t FileTags>,
    budget_tokens: u64,
    estimate: &dyn Fn(&str) -> u64,
) -> RepoMap {
    let mut map = RepoMap::default();
    let mut rest = ranked.iter();
    for (path, _) in rest.by_ref() {
        let lines = FileLines::new(path, tags(path));
        let chunk = lines.text();
        let cost = estimate(&chunk);
        if map.tokens.saturating_add(cost) <= budget_tokens {
            map.text.push_str(&chunk);
            map.tokens += cost;
            map.files.push(path.clone());
            map.ends.push(map.text.len());
            continue;
        }
        // The first file that does not fit whole: as much of it as fits, then stop.
        if let Some((part, cost)) = lines.fit(budget_tokens - map.tokens, estimate) {
            map.text.push_str(&part);
            map.tokens += cost;
            map.files.push(path.clone());
            map.ends.push(map.text.len());
        } else {
            map.dropped.push(path.clone());
        }
        break;
    }
    map.dropped.extend(rest.map(|(p, _)| p.clone()));
    map
}

/// A file's lines, each ending in a newline: the path, then the signatures.
struct FileLines {
    /// With whether each is a definition (rather than the path or a parent's head).
    lines: Vec<(String, bool)>,
    /// Definitions past [`MAX_SYMBOLS_SHOWN`].
    hidden: usize,
}

impl FileLines {
    fn new(path: &str, tags: Option<&FileTags>) -> FileLines {
        let mut lines = vec![(
            format!("{}:\n", crate::text::terminal::line(path, " ")),
            false,
        )];
        let Some(tags) = tags else {
            return FileLines { lines, hidden: 0 };
        };
        // The head of the impl, class or trait whose members are being listed.
        let mut open: Option<&str> = None;
        for sym in tags.defs.iter().take(MAX_SYMBOLS_SHOWN) {
            match sym.parent.as_deref() {
                Some(parent) => {
                    if open != Some(parent) {
                        lines.push((format!("  {parent}\n"), false));
                        open = Some(parent);
                    }
                    lines.push((format!("    {}\n", sym.signature), true));
                }
                None => {
                    lines.push((format!("  {}\n", sym.signature), true));
                    // A class or trait's own line heads the methods that follow it.
                    open = matches!(sym.kind, SymbolKind::Type | SymbolKind::Interface)
                        .then_some(sym.signature.as_str());
                }
            }
        }
        let hidden = tags.defs.len().saturating_sub(MAX_SYMBOLS_SHOWN);
        FileLines { lines, hidden }
    }

    /// The whole text.
    fn text(&self) -> String {
        let mut text: String = self.lines.iter().map(|(l, _)| l.as_str()).collect();
        text.push_str(&more(self.hidden));
        text
    }

    /// The longest head of the lines (the path and at least one definition) that fits in
    /// `budget` with the line saying how many definitions were left out; `None` if not
    /// even that fits.
    fn fit(&self, budget: u64, estimate: &dyn Fn(&str) -> u64) -> Option<(String, u64)> {
        let defs = self.lines.iter().filter(|(_, def)| *def).count() + self.hidden;
        let mut text = String::new();
        let mut cost = 0u64;
        let mut shown = 0usize;
        for (line, def) in &self.lines {
            let left = defs - shown - usize::from(*def);
            let c = estimate(line);
            if cost.saturating_add(c).saturating_add(estimate(&more(left))) > budget {
                break;
            }
            text.push_str(line);
            cost += c;
            shown += usize::from(*def);
        }
        if shown == 0 {
            return None;
        }
        let tail = more(defs - shown);
        cost += estimate(&tail);
        text.push_str(&tail);
        Some((text, cost))
    }
}

/// The line saying how many definitions are not shown, or nothing.
fn more(hidden: usize) -> String {
    if hidden == 0 {
        String::new()
    } else {
        format!("  ⋮ {hidden} more\n")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workspace::map::tags::Symbol;

    fn sym(name: &str, kind: SymbolKind, parent: Option<&str>) -> Symbol {
        Symbol {
            name: name.into(),
            kind,
            signature: match kind {
                SymbolKind::Type => format!("pub struct {name}"),
                _ => format!("pub fn {name}()"),
            },
            line: 1,
            parent: parent.map(str::to_owned),
        }
    }

    fn words(s: &str) -> u64 {
        s.split_whitespace().count() as u64
    }

    fn tags_of(defs: Vec<Symbol>) -> FileTags {
        FileTags {
            defs,
            refs: vec![],
            lexical: false,
        }
    }

    #[test]
    fn files_in_rank_order_with_methods_under_their_impl() {
        let mut tags = HashMap::new();
        tags.insert(
            "src/config.rs".to_owned(),
            tags_of(vec![
                sym("Config", SymbolKind::Type, None),
                sym("load", SymbolKind::Method, Some("impl Config")),
                sym("save", SymbolKind::Method, Some("impl Config")),
                sym("default_path", SymbolKind::Function, None),
            ]),
        );
        tags.insert(
            "src/main.rs".to_owned(),
            tags_of(vec![sym("main", SymbolKind::Function, None)]),
        );
        let ranked = vec![
            ("src/config.rs".to_owned(), 0.6),
            ("src/main.rs".to_owned(), 0.4),
        ];
        let map = render(&ranked, &tags, 1000, &words);
        assert_eq!(
            map.text,
            "src/config.rs:\n  pub struct Config\n  impl Config\n    pub fn load()\n    pub fn save()\n  pub fn default_path()\nsrc/main.rs:\n  pub fn main()\n"
        );
        assert_eq!(map.files, ["src/config.rs", "src/main.rs"]);
        assert!(map.dropped.is_empty());
        assert_eq!(map.tokens, words(&map.text));
    }

    #[test]
    fn the_budget_is_kept_and_the_rest_listed() {
        let mut tags = HashMap::new();
        let mut ranked = Vec::new();
        for i in 0..50 {
            let path = format!("src/f{i:02}.rs");
            tags.insert(
                path.clone(),
                tags_of(vec![sym(&format!("func_{i}"), SymbolKind::Function, None)]),
            );
            ranked.push((path, 1.0 / (i + 1) as f64));
        }
        let map = render(&ranked, &tags, 40, &words);
        assert!(map.tokens <= 40);
        assert!(words(&map.text) <= 40);
        assert_eq!(map.files.len() + map.dropped.len(), 50);
        assert_eq!(map.files[0], "src/f00.rs");
        assert_eq!(map.dropped.last().map(String::as_str), Some("src/f49.rs"));
        // What went in is a prefix of the ranking.
        let order: Vec<&String> = ranked.iter().map(|(p, _)| p).collect();
        assert_eq!(
            order[..map.files.len()],
            map.files.iter().collect::<Vec<_>>()[..]
        );
    }

    #[test]
    fn a_map_cut_to_less_room_keeps_whole_files_from_the_top() {
        let mut tags = HashMap::new();
        let mut ranked = Vec::new();
        for i in 0..20 {
            let path = format!("src/f{i:02}.rs");
            let defs = (0..3)
                .map(|k| sym(&format!("func_{i}_{k}"), SymbolKind::Function, None))
                .collect();
            tags.insert(path.clone(), tags_of(defs));
            ranked.push((path, 1.0 / (i + 1) as f64));
        }
        let full = render(&ranked, &tags, 60, &words);
        let cut = full.cut(25, &words);
        // Each file is 10 words (its path, three `pub fn` lines): two fit in 25.
        assert_eq!(cut.files, full.files[..2]);
        assert!(full.text.starts_with(&cut.text), "{}", cut.text);
        assert_eq!(cut.tokens, words(&cut.text));
        assert_eq!(
            cut.files.len() + cut.dropped.len(),
            20,
            "nothing lost from the counts"
        );
        assert_eq!(cut.dropped[0], "src/f02.rs");
        assert_eq!(full.cut(1000, &words), full, "room for all changes nothing");
        assert!(full.cut(3, &words).files.is_empty());
    }

    #[test]
    fn a_large_first_file_is_shown_in_part() {
        let defs = (0..30)
            .map(|i| sym(&format!("f{i}"), SymbolKind::Function, None))
            .collect();
        let mut tags = HashMap::new();
        tags.insert("big.rs".to_owned(), tags_of(defs));
        let ranked = vec![("big.rs".to_owned(), 1.0), ("small.rs".to_owned(), 0.5)];
        let map = render(&ranked, &tags, 20, &words);
        assert_eq!(map.files, ["big.rs"]);
        assert_eq!(map.dropped, ["small.rs"]);
        assert!(map.tokens <= 20, "{}", map.tokens);
        assert!(map.text.starts_with("big.rs:\n  pub fn f0()\n"));
        assert!(map.text.ends_with(" more\n"), "{}", map.text);
        // Nothing fits: nothing is shown.
        let map = render(&ranked, &tags, 1, &words);
        assert!(map.text.is_empty() && map.files.is_empty());
        assert_eq!(map.dropped, ["big.rs", "small.rs"]);
    }

    #[test]
    fn many_symbols_are_summarised() {
        let defs = (0..100)
            .map(|i| sym(&format!("f{i}"), SymbolKind::Function, None))
            .collect();
        let mut tags = HashMap::new();
        tags.insert("gen.rs".to_owned(), tags_of(defs));
        let map = render(&[("gen.rs".to_owned(), 1.0)], &tags, 10_000, &words);
        assert_eq!(map.text.lines().count(), 1 + MAX_SYMBOLS_SHOWN + 1);
        assert!(map.text.ends_with("  ⋮ 60 more\n"));
    }

    #[test]
    fn paths_are_cleaned() {
        let map = render(
            &[("evil\u{1b}[2J\nname.rs".to_owned(), 1.0)],
            &HashMap::new(),
            100,
            &words,
        );
        assert_eq!(map.text, "evil[2Jname.rs:\n");
    }
}
