//! Applying SEARCH/REPLACE pairs to a file's text: exact first, then with whitespace
//! normalised, then with a uniform indentation offset (crush's fallback, DESIGN.md "Models
//! to learn from"), and never where the search text matches in more than one place.
//!
//! Matching is by whole lines. The file's line ending (CRLF when its text holds `\r\n`) and
//! whether it ends in a newline are kept; a file with mixed endings comes out CRLF
//! throughout.

use super::parse::{EditKind, Replacement};
use std::collections::HashSet;
use std::time::Duration;

/// Why a pair did not apply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MatchError {
    /// The search text matches in several places; their first lines (1-based, at most 10).
    Ambiguous { lines: Vec<usize> },
    /// The search text is not in the file; the most similar lines, if any.
    Missing { near: Option<NearMatch> },
    /// An empty SEARCH on a file with content: it says nothing about where to insert.
    EmptySearch,
    /// The file does not exist, and the edit needs one (a deletion, or a non-empty SEARCH).
    NoFile,
}

/// The lines of the file most like a search text that did not match, to send back to the
/// model with the error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NearMatch {
    /// 1-based, inclusive.
    pub first_line: usize,
    pub last_line: usize,
    /// The file's real text of those lines (joined with `\n`).
    pub text: String,
}

impl std::fmt::Display for MatchError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            MatchError::Ambiguous { lines } => {
                let list: Vec<String> = lines.iter().map(usize::to_string).collect();
                write!(
                    f,
                    "the SEARCH text matches in more than one place (lines {}); include more lines so it matches once",
                    list.join(", ")
                )
            }
            MatchError::Missing { near: Some(n) } => write!(
                f,
                "the SEARCH text is not in the file; the most similar lines are {}-{}:\n{}",
                n.first_line, n.last_line, n.text
            ),
            MatchError::Missing { near: None } => f.write_str("the SEARCH text is not in the file"),
            MatchError::EmptySearch => f.write_str(
                "an empty SEARCH only inserts into an empty or new file; quote the lines to replace",
            ),
            MatchError::NoFile => f.write_str("the file does not exist"),
        }
    }
}

impl std::error::Error for MatchError {}

/// How a pair matched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Strategy {
    Exact,
    Whitespace,
    Indentation,
}

/// At most this many candidate places are collected for an ambiguity error.
const MAX_CANDIDATES: usize = 10;

/// A file's text as lines, with its line ending and final-newline state.
struct Doc {
    lines: Vec<String>,
    crlf: bool,
    trailing_newline: bool,
}

impl Doc {
    fn of(text: &str) -> Doc {
        let trailing_newline = text.ends_with('\n');
        let body = text.strip_suffix('\n').unwrap_or(text);
        let lines = if text.is_empty() {
            Vec::new()
        } else {
            body.split('\n')
                .map(|l| l.strip_suffix('\r').unwrap_or(l).to_owned())
                .collect()
        };
        Doc {
            lines,
            crlf: text.contains("\r\n"),
            trailing_newline,
        }
    }

    fn render(&self) -> String {
        let eol = if self.crlf { "\r\n" } else { "\n" };
        let mut out = self.lines.join(eol);
        if self.trailing_newline && !self.lines.is_empty() {
            out.push_str(eol);
        }
        out
    }
}

/// The lines of a search or replace text (`\n` or `\r\n` endings; a final newline optional).
fn lines_of(text: &str) -> Vec<&str> {
    if text.is_empty() {
        return Vec::new();
    }
    let body = text.strip_suffix('\n').unwrap_or(text);
    body.split('\n')
        .map(|l| l.strip_suffix('\r').unwrap_or(l))
        .collect()
}

/// Applies one pair to `text`; returns the new text and how it matched.
pub fn replace(text: &str, pair: &Replacement) -> Result<(String, Strategy), MatchError> {
    let mut doc = Doc::of(text);
    let how = replace_in(&mut doc, pair)?;
    Ok((doc.render(), how))
}

/// Applies the pairs in order, each to the result of the ones before. On failure: the index
/// of the pair that failed, and why.
pub fn replace_all(text: &str, pairs: &[Replacement]) -> Result<String, (usize, MatchError)> {
    let mut doc = Doc::of(text);
    for (i, pair) in pairs.iter().enumerate() {
        replace_in(&mut doc, pair).map_err(|e| (i, e))?;
    }
    Ok(doc.render())
}

/// The file's new content after an edit, given its current content (`None`: it does not
/// exist). `Ok(None)` means the file is deleted. A whole-file edit of an existing file takes
/// that file's line ending and final-newline state.
pub fn apply_edit(
    current: Option<&str>,
    kind: &EditKind,
) -> Result<Option<String>, (usize, MatchError)> {
    match (kind, current) {
        (EditKind::Delete, None) => Err((0, MatchError::NoFile)),
        (EditKind::Delete, Some(_)) => Ok(None),
        (EditKind::Whole(body), None) => Ok(Some(body.clone())),
        (EditKind::Whole(body), Some(cur)) => {
            let old = Doc::of(cur);
            let new = Doc {
                lines: lines_of(body).into_iter().map(str::to_owned).collect(),
                crlf: old.crlf,
                trailing_newline: old.trailing_newline || cur.is_empty(),
            };
            Ok(Some(new.render()))
        }
        (EditKind::Replace(pairs), cur) => {
            if cur.is_none() {
                if let Some(i) = pairs.iter().position(|p| !p.search.is_empty()) {
                    return Err((i, MatchError::NoFile));
                }
            }
            replace_all(cur.unwrap_or(""), pairs).map(Some)
        }
    }
}

fn replace_in(doc: &mut Doc, pair: &Replacement) -> Result<Strategy, MatchError> {
    let search = lines_of(&pair.search);
    let replace = lines_of(&pair.replace);
    if search.is_empty() {
        if doc.lines.is_empty() {
            doc.lines = replace.into_iter().map(str::to_owned).collect();
            doc.trailing_newline = true;
            return Ok(Strategy::Exact);
        }
        return Err(MatchError::EmptySearch);
    }
    let file: Vec<&str> = doc.lines.iter().map(String::as_str).collect();
    let strategies: [(Strategy, &Matcher); 3] = [
        (Strategy::Exact, &|f, i| {
            (f[i..i + search.len()] == search[..]).then_some(Shift::None)
        }),
        (Strategy::Whitespace, &|f, i| {
            f[i..i + search.len()]
                .iter()
                .zip(&search)
                .all(|(a, b)| same_spaced(a, b))
                .then_some(Shift::None)
        }),
        (Strategy::Indentation, &|f, i| {
            uniform_shift(&f[i..i + search.len()], &search)
        }),
    ];
    for (how, matches) in strategies {
        let mut found: Vec<(usize, Shift)> = Vec::new();
        for i in 0..(file.len() + 1).saturating_sub(search.len()) {
            if let Some(shift) = matches(&file, i) {
                found.push((i, shift));
                if found.len() >= MAX_CANDIDATES {
                    break;
                }
            }
        }
        match found.len() {
            0 => continue,
            1 => {
                let (at, shift) = found.pop().expect("one");
                let new: Vec<String> = replace.iter().map(|l| shift.apply(l)).collect();
                doc.lines.splice(at..at + search.len(), new);
                return Ok(how);
            }
            _ => {
                return Err(MatchError::Ambiguous {
                    lines: found.iter().map(|(i, _)| i + 1).collect(),
                })
            }
        }
    }
    Err(MatchError::Missing {
        near: near_match(&file, &search),
    })
}

/// Whether the search matches the file's lines at an index, and how to re-indent.
type Matcher<'a> = dyn Fn(&[&str], usize) -> Option<Shift> + 'a;

/// Equal once trailing whitespace is dropped and runs of blanks after the indentation are
/// one space.
fn same_spaced(a: &str, b: &str) -> bool {
    indent(a) == indent(b) && words_equal(a, b)
}

fn words_equal(a: &str, b: &str) -> bool {
    a.split_whitespace().eq(b.split_whitespace())
}

fn indent(line: &str) -> &str {
    &line[..line.len() - line.trim_start().len()]
}

/// How the replacement's lines are re-indented.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Shift {
    None,
    Add(String),
    Remove(String),
}

impl Shift {
    fn apply(&self, line: &str) -> String {
        match self {
            _ if line.trim().is_empty() => line.to_owned(),
            Shift::None => line.to_owned(),
            Shift::Add(p) => format!("{p}{line}"),
            Shift::Remove(p) => match line.strip_prefix(p.as_str()) {
                Some(rest) => rest.to_owned(),
                None => {
                    let ws = indent(line).len().min(p.len());
                    line[ws..].to_owned()
                }
            },
        }
    }
}

/// The one indentation change that makes every non-blank search line its file line, if
/// the texts are otherwise equal (blank lines match blank lines).
fn uniform_shift(file: &[&str], search: &[&str]) -> Option<Shift> {
    let mut shift: Option<Shift> = None;
    for (f, s) in file.iter().zip(search) {
        if f.trim().is_empty() || s.trim().is_empty() {
            if f.trim().is_empty() != s.trim().is_empty() {
                return None;
            }
            continue;
        }
        if !words_equal(f, s) {
            return None;
        }
        let (fi, si) = (indent(f), indent(s));
        let this = if let Some(extra) = fi.strip_prefix(si) {
            if extra.is_empty() {
                Shift::None
            } else {
                Shift::Add(extra.to_owned())
            }
        } else if let Some(extra) = si.strip_prefix(fi) {
            Shift::Remove(extra.to_owned())
        } else {
            return None;
        };
        match &shift {
            None => shift = Some(this),
            Some(s) if *s != this => return None,
            Some(_) => {}
        }
    }
    shift
}

/// The window of the file most like the search text: windows are ranked by how many of
/// the search's words their lines hold, and the best few by character similarity.
fn near_match(file: &[&str], search: &[&str]) -> Option<NearMatch> {
    let n = search.len().min(file.len());
    if n == 0 {
        return None;
    }
    let words = |l: &str| -> HashSet<String> {
        l.split(|c: char| !c.is_alphanumeric() && c != '_')
            .filter(|w| !w.is_empty())
            .map(str::to_owned)
            .collect()
    };
    let wanted: HashSet<String> = search.iter().flat_map(|l| words(l)).collect();
    let hits: Vec<usize> = file
        .iter()
        .map(|l| words(l).iter().filter(|w| wanted.contains(*w)).count())
        .collect();
    let mut sums = Vec::with_capacity(file.len() - n + 1);
    let mut sum: usize = hits[..n].iter().sum();
    sums.push((sum, 0usize));
    for i in 1..=file.len() - n {
        sum = sum + hits[i + n - 1] - hits[i - 1];
        sums.push((sum, i));
    }
    if sums.iter().all(|(s, _)| *s == 0) {
        return None;
    }
    sums.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    let target = clip(&search.join("\n"));
    let best = sums
        .iter()
        .take(5)
        .map(|&(_, i)| {
            let text = clip(&file[i..i + n].join("\n"));
            let ratio = similar::TextDiff::configure()
                .timeout(Duration::from_millis(50))
                .diff_chars(target.as_str(), text.as_str())
                .ratio();
            (ratio, i)
        })
        .fold(None::<(f32, usize)>, |acc, (r, i)| match acc {
            Some((best, _)) if best >= r => acc,
            _ => Some((r, i)),
        })?;
    let at = best.1;
    Some(NearMatch {
        first_line: at + 1,
        last_line: at + n,
        text: file[at..at + n].join("\n"),
    })
}

/// At most 4000 bytes, cut at a char boundary.
fn clip(s: &str) -> String {
    let mut end = s.len().min(4000);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s[..end].to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pair(search: &str, replace: &str) -> Replacement {
        Replacement {
            search: search.into(),
            replace: replace.into(),
        }
    }

    const CALC: &str = "def add(a, b):\n    return a - b\n\ndef sub(a, b):\n    return a - b + 0\n";

    #[test]
    fn exact_match_replaces_whole_lines() {
        let (out, how) = replace(
            CALC,
            &pair(
                "def add(a, b):\n    return a - b\n",
                "def add(a, b):\n    return a + b\n",
            ),
        )
        .unwrap();
        assert_eq!(how, Strategy::Exact);
        assert_eq!(out, CALC.replacen("a - b\n", "a + b\n", 1));
    }

    #[test]
    fn whitespace_differences_inside_and_after_lines_are_ignored() {
        let (out, how) = replace(
            CALC,
            &pair(
                "def add(a,  b):   \n    return a  -  b\n",
                "def add(a, b):\n    return a + b\n",
            ),
        )
        .unwrap();
        assert_eq!(how, Strategy::Whitespace);
        assert_eq!(out, CALC.replacen("a - b\n", "a + b\n", 1));
    }

    #[test]
    fn indentation_offsets_match_and_the_replacement_is_reindented() {
        let file =
            "class C:\n    def f(self):\n        if x:\n            return 1\n        return 2\n";
        // The model wrote the method without the class's indentation.
        let (out, how) = replace(
            file,
            &pair(
                "def f(self):\n    if x:\n        return 1\n",
                "def f(self):\n    if x:\n        log()\n        return 1\n",
            ),
        )
        .unwrap();
        assert_eq!(how, Strategy::Indentation);
        assert_eq!(
            out,
            "class C:\n    def f(self):\n        if x:\n            log()\n            return 1\n        return 2\n"
        );
        // And with more indentation than the file has.
        let (out, _) = replace(
            "fn a() {\nlet x = 1;\n}\n",
            &pair(
                "    fn a() {\n    let x = 1;\n",
                "    fn a() {\n        let x = 2;\n",
            ),
        )
        .unwrap();
        assert_eq!(out, "fn a() {\n    let x = 2;\n}\n");
        // A non-uniform offset is not a match.
        let e = replace("a\n  b\n", &pair("  a\n  b\n", "c\n")).unwrap_err();
        assert!(matches!(e, MatchError::Missing { .. }));
    }

    fn e_near(e: &MatchError) -> Option<NearMatch> {
        match e {
            MatchError::Missing { near } => near.clone(),
            _ => None,
        }
    }

    #[test]
    fn ambiguous() {
        let file = "x = 1\ny = 2\nx = 1\nz = 3\n  x = 1\n";
        let e = replace(file, &pair("x = 1\n", "x = 9\n")).unwrap_err();
        assert_eq!(e, MatchError::Ambiguous { lines: vec![1, 3] });
        assert!(e.to_string().contains("lines 1, 3"), "{e}");
        // Unique by exact match even though the indentation stage would find three.
        assert!(replace(file, &pair("x = 1\nz = 3\n", "")).is_ok());
    }

    #[test]
    fn a_missing_match_carries_the_nearest_lines() {
        let file = "fn main() {\n    let total = compute(1, 2);\n    println!(\"{total}\");\n}\n\nfn other() {}\n";
        let e = replace(
            file,
            &pair(
                "    let total = compute(1, 3);\n    println!(\"{}\", total);\n",
                "x\n",
            ),
        )
        .unwrap_err();
        let near = e_near(&e).expect("a near match");
        assert_eq!((near.first_line, near.last_line), (2, 3));
        assert_eq!(
            near.text,
            "    let total = compute(1, 2);\n    println!(\"{total}\");"
        );
        assert!(e.to_string().contains("lines are 2-3"));
        // Nothing alike: no hint.
        let e = replace("a\n", &pair("zzz\n", "")).unwrap_err();
        assert_eq!(e, MatchError::Missing { near: None });
    }

    #[test]
    fn crlf_and_the_final_newline_are_kept() {
        let crlf = "one\r\ntwo\r\nthree\r\n";
        let (out, _) = replace(crlf, &pair("two\n", "TWO\nand a half\n")).unwrap();
        assert_eq!(out, "one\r\nTWO\r\nand a half\r\nthree\r\n");
        let bare = "one\ntwo";
        let (out, _) = replace(bare, &pair("two\n", "2\n")).unwrap();
        assert_eq!(out, "one\n2");
        let (out, _) = replace("one\r\ntwo", &pair("one\r\n", "1\r\n")).unwrap();
        assert_eq!(out, "1\r\ntwo");
    }

    #[test]
    fn empty_search_inserts_into_an_empty_or_new_file_only() {
        let kind = EditKind::Replace(vec![pair("", "hello\n")]);
        assert_eq!(apply_edit(None, &kind).unwrap().as_deref(), Some("hello\n"));
        assert_eq!(
            apply_edit(Some(""), &kind).unwrap().as_deref(),
            Some("hello\n")
        );
        assert_eq!(
            apply_edit(Some("x\n"), &kind),
            Err((0, MatchError::EmptySearch))
        );
        let kind = EditKind::Replace(vec![pair("a\n", "b\n")]);
        assert_eq!(apply_edit(None, &kind), Err((0, MatchError::NoFile)));
    }

    #[test]
    fn whole_files_and_deletions() {
        let kind = EditKind::Whole("a\nb\n".into());
        assert_eq!(apply_edit(None, &kind).unwrap().as_deref(), Some("a\nb\n"));
        assert_eq!(
            apply_edit(Some("old\r\n"), &kind).unwrap().as_deref(),
            Some("a\r\nb\r\n")
        );
        assert_eq!(
            apply_edit(Some("old"), &kind).unwrap().as_deref(),
            Some("a\nb")
        );
        assert_eq!(apply_edit(Some("x"), &EditKind::Delete), Ok(None));
        assert_eq!(
            apply_edit(None, &EditKind::Delete),
            Err((0, MatchError::NoFile))
        );
    }

    #[test]
    fn pairs_apply_in_order_and_a_failure_names_its_index() {
        let out = replace_all("a\nb\nc\n", &[pair("a\n", "A\n"), pair("A\nb\n", "AB\n")]).unwrap();
        assert_eq!(out, "AB\nc\n");
        let e = replace_all("a\nb\n", &[pair("a\n", "A\n"), pair("q\n", "")]).unwrap_err();
        assert_eq!(e.0, 1);
    }
}
