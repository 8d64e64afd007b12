//! Unified diffs of a proposed change (with `similar`), and hunks as data so a front end can
//! accept or reject each one: [`FileDiff::apply_hunks`] rebuilds the text from a chosen
//! subset.

use similar::{ChangeTag, TextDiff};
use std::fmt::Write as _;
use std::time::Duration;

/// Lines of unchanged context around each change.
pub const CONTEXT: usize = 3;

/// One line of a hunk. The text keeps its line ending (`\n`, `\r\n`, or none at the end of
/// a file), so hunks rebuild a file byte for byte.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DiffLine {
    Context(String),
    Removed(String),
    Added(String),
}

impl DiffLine {
    /// The line's text with its line ending.
    pub fn raw(&self) -> &str {
        match self {
            DiffLine::Context(s) | DiffLine::Removed(s) | DiffLine::Added(s) => s,
        }
    }

    /// The line's text without its line ending.
    pub fn text(&self) -> &str {
        let s = self.raw();
        let s = s.strip_suffix('\n').unwrap_or(s);
        s.strip_suffix('\r').unwrap_or(s)
    }
}

/// One hunk: a run of changes with context.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hunk {
    /// 0-based index of the first old line, and how many old lines the hunk covers.
    pub old_start: usize,
    pub old_len: usize,
    /// The same in the new text.
    pub new_start: usize,
    pub new_len: usize,
    pub lines: Vec<DiffLine>,
}

impl Hunk {
    /// `@@ -l,s +l,s @@` as diff and git write it (1-based; a count of 1 left out; an
    /// empty side starts at the line before it).
    pub fn header(&self) -> String {
        fn side(start: usize, len: usize) -> String {
            match len {
                0 => format!("{start},0"),
                1 => format!("{}", start + 1),
                _ => format!("{},{len}", start + 1),
            }
        }
        format!(
            "@@ -{} +{} @@",
            side(self.old_start, self.old_len),
            side(self.new_start, self.new_len)
        )
    }

    pub fn added(&self) -> usize {
        self.lines
            .iter()
            .filter(|l| matches!(l, DiffLine::Added(_)))
            .count()
    }

    pub fn removed(&self) -> usize {
        self.lines
            .iter()
            .filter(|l| matches!(l, DiffLine::Removed(_)))
            .count()
    }
}

/// The change to one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileDiff {
    pub path: String,
    /// The file did not exist before (`--- /dev/null`).
    pub is_new: bool,
    /// The file is deleted (`+++ /dev/null`).
    pub is_deleted: bool,
    pub hunks: Vec<Hunk>,
}

/// The diff of `path` from `before` to `after` (`None`: the file does not exist on that
/// side). Diffing gives up on minimality after a second on hostile input (still correct).
pub fn diff(path: &str, before: Option<&str>, after: Option<&str>) -> FileDiff {
    let (old, new) = (before.unwrap_or(""), after.unwrap_or(""));
    let d = TextDiff::configure()
        .timeout(Duration::from_secs(1))
        .diff_lines(old, new);
    let mut hunks = Vec::new();
    for group in d.grouped_ops(CONTEXT) {
        let (Some(first), Some(last)) = (group.first(), group.last()) else {
            continue;
        };
        let old_start = first.old_range().start;
        let new_start = first.new_range().start;
        let mut lines = Vec::new();
        for op in &group {
            for change in d.iter_changes(op) {
                let s = change.value().to_owned();
                lines.push(match change.tag() {
                    ChangeTag::Equal => DiffLine::Context(s),
                    ChangeTag::Delete => DiffLine::Removed(s),
                    ChangeTag::Insert => DiffLine::Added(s),
                });
            }
        }
        hunks.push(Hunk {
            old_start,
            old_len: last.old_range().end - old_start,
            new_start,
            new_len: last.new_range().end - new_start,
            lines,
        });
    }
    FileDiff {
        path: path.to_owned(),
        is_new: before.is_none(),
        is_deleted: after.is_none(),
        hunks,
    }
}

impl FileDiff {
    pub fn added(&self) -> usize {
        self.hunks.iter().map(Hunk::added).sum()
    }

    pub fn removed(&self) -> usize {
        self.hunks.iter().map(Hunk::removed).sum()
    }

    /// The unified diff: `--- a/path` / `+++ b/path` (or `/dev/null`), then each hunk, each
    /// line with its own ending (CRLF stays CRLF). A line without a final newline is
    /// followed by `\ No newline at end of file`.
    pub fn unified(&self) -> String {
        let mut out = String::new();
        let old = if self.is_new {
            "/dev/null".to_owned()
        } else {
            format!("a/{}", self.path)
        };
        let new = if self.is_deleted {
            "/dev/null".to_owned()
        } else {
            format!("b/{}", self.path)
        };
        let _ = writeln!(out, "--- {old}\n+++ {new}");
        for h in &self.hunks {
            out.push_str(&h.header());
            out.push('\n');
            for l in &h.lines {
                let sign = match l {
                    DiffLine::Context(_) => ' ',
                    DiffLine::Removed(_) => '-',
                    DiffLine::Added(_) => '+',
                };
                out.push(sign);
                // A CRLF file's lines keep their `\r`, as `git diff` writes them and
                // `git apply` needs them.
                let raw = l.raw();
                out.push_str(raw.strip_suffix('\n').unwrap_or(raw));
                out.push('\n');
                if !l.raw().ends_with('\n') {
                    out.push_str("\\ No newline at end of file\n");
                }
            }
        }
        out
    }

    /// `before` with only the hunks whose `keep[i]` is true applied (a missing entry is
    /// false). `before` must be the text this diff was made from. All kept gives the
    /// after-text, none gives `before`.
    pub fn apply_hunks(&self, before: &str, keep: &[bool]) -> String {
        let old: Vec<&str> = before.split_inclusive('\n').collect();
        let mut out = String::with_capacity(before.len());
        let mut at = 0;
        for (i, h) in self.hunks.iter().enumerate() {
            let start = h.old_start.min(old.len());
            for l in &old[at.min(start)..start] {
                out.push_str(l);
            }
            if keep.get(i).copied().unwrap_or(false) {
                for l in &h.lines {
                    if !matches!(l, DiffLine::Removed(_)) {
                        out.push_str(l.raw());
                    }
                }
            } else {
                for l in &old[start..(start + h.old_len).min(old.len())] {
                    out.push_str(l);
                }
            }
            at = (start + h.old_len).min(old.len());
        }
        for l in &old[at..] {
            out.push_str(l);
        }
        out
    }
}

/// "N hunks in M files" style summary counts for a change set: (hunks, files, added,
/// removed).
pub fn totals(diffs: &[FileDiff]) -> (usize, usize, usize, usize) {
    let hunks = diffs.iter().map(|d| d.hunks.len()).sum();
    let files = diffs
        .iter()
        .filter(|d| !d.hunks.is_empty() || d.is_new || d.is_deleted)
        .count();
    let added = diffs.iter().map(FileDiff::added).sum();
    let removed = diffs.iter().map(FileDiff::removed).sum();
    (hunks, files, added, removed)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn numbered(n: usize) -> String {
        (1..=n).map(|i| format!("line {i}\n")).collect()
    }

    #[test]
    fn headers_hunks_and_counts() {
        let before = numbered(30);
        let after = before
            .replace("line 2\n", "line two\n")
            .replace("line 20\n", "line 20\nline 20.5\n");
        let d = diff("src/x.rs", Some(&before), Some(&after));
        assert_eq!(d.hunks.len(), 2);
        assert_eq!((d.added(), d.removed()), (2, 1));
        let u = d.unified();
        assert!(
            u.starts_with(
                "--- a/src/x.rs\n+++ b/src/x.rs\n@@ -1,5 +1,5 @@\n line 1\n-line 2\n+line two\n"
            ),
            "{u}"
        );
        assert!(u.contains("@@ -18,6 +18,7 @@\n"), "{u}");
        assert_eq!(d.hunks[1].header(), "@@ -18,6 +18,7 @@");
        assert_eq!(totals(&[d]), (2, 1, 2, 1));
    }

    #[test]
    fn new_and_deleted_files_are_marked() {
        let d = diff("new.txt", None, Some("a\nb\n"));
        assert!(d.is_new);
        assert_eq!(
            d.unified(),
            "--- /dev/null\n+++ b/new.txt\n@@ -0,0 +1,2 @@\n+a\n+b\n"
        );
        let d = diff("old.txt", Some("a\n"), None);
        assert!(d.is_deleted);
        assert_eq!(
            d.unified(),
            "--- a/old.txt\n+++ /dev/null\n@@ -1 +0,0 @@\n-a\n"
        );
    }

    #[test]
    fn a_missing_final_newline_is_shown() {
        let d = diff("x", Some("a\nb"), Some("a\nc"));
        assert_eq!(
            d.unified(),
            "--- a/x\n+++ b/x\n@@ -1,2 +1,2 @@\n a\n-b\n\\ No newline at end of file\n+c\n\\ No newline at end of file\n"
        );
    }

    #[test]
    fn any_subset_of_hunks_applies() {
        let before = numbered(40).replace('\n', "\r\n");
        let after = before
            .replace("line 1\r\n", "first\r\n")
            .replace("line 15\r\n", "")
            .replace("line 30\r\n", "line 30\r\nextra\r\n");
        let after = format!("{}no newline", after);
        let d = diff("f", Some(&before), Some(&after));
        assert_eq!(d.hunks.len(), 4);
        assert_eq!(d.apply_hunks(&before, &[true; 4]), after);
        assert_eq!(d.apply_hunks(&before, &[]), before);
        assert_eq!(
            d.apply_hunks(&before, &[false, true, false, false]),
            before.replace("line 15\r\n", "")
        );
        assert_eq!(
            d.apply_hunks(&before, &[true, false, true, false]),
            before
                .replace("line 1\r\n", "first\r\n")
                .replace("line 30\r\n", "line 30\r\nextra\r\n")
        );
        // Every subset: hunks are independent.
        for mask in 0..16u32 {
            let keep: Vec<bool> = (0..4).map(|i| mask & (1 << i) != 0).collect();
            let got = d.apply_hunks(&before, &keep);
            let redo = diff("f", Some(&before), Some(&got));
            assert_eq!(redo.hunks.len(), mask.count_ones() as usize, "{mask}");
        }
    }

    #[test]
    fn a_crlf_file_s_diff_keeps_its_carriage_returns_for_git_apply() {
        let d = diff("w.bat", Some("a\r\nb\r\n"), Some("a\r\nc\r\n"));
        assert_eq!(
            d.unified(),
            "--- a/w.bat\n+++ b/w.bat\n@@ -1,2 +1,2 @@\n a\r\n-b\r\n+c\r\n"
        );
    }
}
