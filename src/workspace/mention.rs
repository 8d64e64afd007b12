//! Files named in a prompt: `@path`, `@path:40-90`, `@folder/`, and plain paths such as
//! `src/pool.rs` that exist in the workspace. Pure: the index says what exists.

use super::index::Index;
use super::secrets::is_secret;

/// Lines `start..=end`, counted from 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct LineRange {
    pub start: u32,
    pub end: u32,
}

/// An `@` mention as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mention {
    /// The path after `@`, without a range or trailing punctuation.
    pub path: String,
    pub range: Option<LineRange>,
}

/// Characters that end a mention or a path-like word.
fn is_stop(c: char) -> bool {
    c.is_whitespace()
        || matches!(
            c,
            ',' | ';' | '(' | ')' | '[' | ']' | '"' | '\'' | '`' | '<' | '>'
        )
}

/// Every `@mention` in `prompt`. An `@` counts only at the start or after a space or an
/// opening bracket or quote, so `user@example.com` is not one.
pub fn mentions(prompt: &str) -> Vec<Mention> {
    let mut out = Vec::new();
    let mut prev: Option<char> = None;
    for (i, c) in prompt.char_indices() {
        let starts = c == '@' && prev.is_none_or(|p| is_stop(p) || p == '(' || p == '[');
        prev = Some(c);
        if !starts {
            continue;
        }
        let rest = &prompt[i + 1..];
        let word = rest.split(is_stop).next().unwrap_or("");
        if let Some(m) = parse_mention(word) {
            out.push(m);
        }
    }
    out
}

fn parse_mention(word: &str) -> Option<Mention> {
    let word = word.trim_end_matches(['.', ',', '!', '?', ':']);
    if word.is_empty() {
        return None;
    }
    let (path, range) = match word.rsplit_once(':') {
        Some((p, r)) => match parse_range(r) {
            Some(range) => (p, Some(range)),
            None => (word, None),
        },
        None => (word, None),
    };
    let path = path.strip_prefix("./").unwrap_or(path);
    (!path.is_empty()).then(|| Mention {
        path: path.to_owned(),
        range,
    })
}

/// `40-90`, `40` or `40-`; `None` for anything else, or an empty or reversed range.
pub fn parse_range(s: &str) -> Option<LineRange> {
    let (a, b) = s.split_once('-').unwrap_or((s, s));
    let start: u32 = a.parse().ok()?;
    let end: u32 = if b.is_empty() {
        u32::MAX
    } else {
        b.parse().ok()?
    };
    (start >= 1 && end >= start).then_some(LineRange { start, end })
}

/// Files the prompt names without `@` that exist in the workspace: a path such as
/// `src/pool.rs` (optionally `:LINE`), or a bare file name that only one file has. Files
/// that hold secrets are never picked up this way.
pub fn named_files(prompt: &str, index: &Index) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for word in prompt.split(is_stop) {
        if word.starts_with('@') {
            continue;
        }
        let word = word.trim_end_matches(['.', ',', '!', '?', ':']);
        let word = word.split(':').next().unwrap_or(word);
        let word = word.strip_prefix("./").unwrap_or(word);
        if !word.contains('.') && !word.contains('/') {
            continue;
        }
        let found = match index.get(word) {
            Some(f) => Some(f.rel.clone()),
            None if !word.contains('/') => unique_name(index, word),
            None => None,
        };
        if let Some(rel) = found.filter(|r| !is_secret(r) && !out.contains(r)) {
            out.push(rel);
        }
    }
    out
}

fn unique_name(index: &Index, name: &str) -> Option<String> {
    let mut it = index.named(name);
    let first = it.next()?;
    it.next().is_none().then(|| first.rel.clone())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workspace::IndexOptions;

    fn m(path: &str, range: Option<(u32, u32)>) -> Mention {
        Mention {
            path: path.into(),
            range: range.map(|(start, end)| LineRange { start, end }),
        }
    }

    #[test]
    fn mentions_with_ranges_and_folders_and_not_emails() {
        let got = mentions(
            "look at @src/pool.rs:40-90, and @./src/store/ then (@README.md). mail me@example.com @",
        );
        assert_eq!(
            got,
            [
                m("src/pool.rs", Some((40, 90))),
                m("src/store/", None),
                m("README.md", None)
            ]
        );
        assert_eq!(mentions("@a.rs:7"), [m("a.rs", Some((7, 7)))]);
        assert_eq!(mentions("@a.rs:12-"), [m("a.rs", Some((12, u32::MAX)))]);
        assert_eq!(
            mentions("@a.rs:9-3"),
            [m("a.rs:9-3", None)],
            "a reversed range is no range"
        );
    }

    #[test]
    fn paths_named_in_the_prompt_are_found_in_the_index() {
        let d = tempfile::tempdir().expect("tempdir");
        for f in [
            "src/pool.rs",
            "src/store/mod.rs",
            "lib/mod.rs",
            ".env",
            "README.md",
        ] {
            let p = d.path().join(f);
            std::fs::create_dir_all(p.parent().expect("parent")).expect("dirs");
            std::fs::write(p, "x").expect("write");
        }
        let index = Index::build(d.path(), IndexOptions::default());
        let got = named_files(
            "find the race in src/pool.rs: and compare `README.md` with mod.rs, .env and src/none.rs",
            &index,
        );
        assert_eq!(
            got,
            ["src/pool.rs", "README.md"],
            "mod.rs is ambiguous, .env a secret"
        );
        assert_eq!(named_files("see ./src/pool.rs:12", &index), ["src/pool.rs"]);
    }
}
