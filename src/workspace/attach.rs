//! Reading the files a user attaches: a folder becomes its indexed files, a path must lie
//! inside the workspace (after links are followed), secrets need consent, binary files and
//! files past the size cap are refused with a sentence saying why. A file goes to the model
//! as a fenced block headed by its path, with line numbers.

use super::read::Capped;
use std::path::Path;

use sha2::{Digest, Sha256};

use super::index::Index;
use super::mention::LineRange;
use super::secrets::is_secret;

/// A file (or folder) the user asked for, relative to the workspace.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct FileRef {
    pub path: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub range: Option<LineRange>,
}

impl FileRef {
    pub fn new(path: impl Into<String>, range: Option<LineRange>) -> Self {
        Self {
            path: path.into(),
            range,
        }
    }

    /// `PATH`, `PATH:40-90` or `PATH:40` as a user writes it on a command line.
    pub fn parse(s: &str) -> Self {
        if let Some((path, r)) = s.rsplit_once(':') {
            if let Some(range) = super::mention::parse_range(r) {
                return Self::new(path, Some(range));
            }
        }
        Self::new(s, None)
    }

    /// `path` or `path:40-90`, as the user would write it.
    pub fn label(&self) -> String {
        match self.range {
            Some(r) if r.end == u32::MAX => format!("{}:{}-", self.path, r.start),
            Some(r) => format!("{}:{}-{}", self.path, r.start, r.end),
            None => self.path.clone(),
        }
    }
}

/// Why a file was not attached: one sentence for the user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused {
    pub path: String,
    pub secret: bool,
    pub why: String,
}

/// A file's text as read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileText {
    pub file: FileRef,
    /// The lines sent, numbered.
    pub body: String,
    /// Lines in the whole file.
    pub total_lines: u32,
    /// A digest of the whole file, to see later whether it changed.
    pub digest: String,
}

/// Files are never read past this, even for a line range.
pub const HARD_CAP: u64 = 8 * 1024 * 1024;

/// What `r` stands for: itself, or a folder's indexed files (secrets left out). Refused
/// when it does not exist, lies outside `root`, or is a secret and `allow_secret` is off.
pub fn expand(
    root: &Path,
    index: &Index,
    r: &FileRef,
    allow_secret: bool,
) -> Result<Vec<FileRef>, Refused> {
    let refuse = |why: String, secret: bool| Refused {
        path: r.path.clone(),
        secret,
        why,
    };
    let rel = clean_rel(&r.path).ok_or_else(|| {
        refuse(
            format!("{} is outside the workspace {}", r.path, root.display()),
            false,
        )
    })?;
    let full = root.join(&rel);
    let real = full.canonicalize().map_err(|_| {
        refuse(
            format!("there is no {} in the workspace {}", r.path, root.display()),
            false,
        )
    })?;
    if !real.starts_with(root) {
        return Err(refuse(
            format!("{} leads outside the workspace {}", r.path, root.display()),
            false,
        ));
    }
    if real.is_dir() {
        let files: Vec<FileRef> = index
            .under(&rel)
            .filter(|f| !is_secret(&f.rel))
            .map(|f| FileRef::new(f.rel.clone(), None))
            .collect();
        if files.is_empty() {
            return Err(refuse(
                format!("the folder {} has no files to attach", r.path),
                false,
            ));
        }
        return Ok(files);
    }
    if is_secret(&rel) && !allow_secret {
        return Err(refuse(
            format!("{rel} looks like it holds secrets, so it is not sent without your consent"),
            true,
        ));
    }
    Ok(vec![FileRef::new(rel, r.range)])
}

/// A relative path without `.` and `..` parts, with `/` separators; `None` when it climbs
/// out or is absolute.
fn clean_rel(path: &str) -> Option<String> {
    if path.starts_with('/') || path.starts_with('\\') {
        return None;
    }
    let mut parts: Vec<&str> = Vec::new();
    for p in path.split(['/', '\\']) {
        match p {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            p => parts.push(p),
        }
    }
    Some(parts.join("/"))
}

/// Reads a file for sending: at most `max_bytes` for a whole file, at most [`HARD_CAP`]
/// when a line range picks part of it.
pub fn read(root: &Path, file: &FileRef, max_bytes: u64) -> Result<FileText, Refused> {
    let refuse = |why: String| Refused {
        path: file.path.clone(),
        secret: false,
        why,
    };
    let cap = if file.range.is_some() {
        HARD_CAP
    } else {
        max_bytes
    };
    let bytes = match super::read::capped(&root.join(&file.path), cap) {
        Ok(Capped::Bytes(b)) => b,
        Ok(Capped::TooLarge) => {
            return Err(refuse(format!(
                "{} is larger than {} KiB; attach part of it, such as @{}:1-200",
                file.path,
                cap / 1024,
                file.path
            )))
        }
        Ok(Capped::Missing) => {
            return Err(refuse(format!(
                "cannot read {}: it does not exist",
                file.path
            )))
        }
        Err(e) => return Err(refuse(format!("cannot read {}: {e}", file.path))),
    };
    if bytes[..bytes.len().min(8192)].contains(&0) {
        return Err(refuse(format!("{} is a binary file", file.path)));
    }
    let text = String::from_utf8_lossy(&bytes);
    let digest = digest_of(&bytes);
    let total_lines = u32::try_from(text.lines().count()).unwrap_or(u32::MAX);
    let (start, end) = match file.range {
        Some(r) => (r.start, r.end.min(total_lines)),
        None => (1, total_lines),
    };
    if start > total_lines.max(1) {
        return Err(refuse(format!(
            "{} has {total_lines} lines, so it has no line {start}",
            file.path
        )));
    }
    Ok(FileText {
        file: file.clone(),
        body: numbered(&text, start, end),
        total_lines,
        digest,
    })
}

/// The digest [`FileText::digest`] holds, of a whole file's bytes.
pub fn digest_of(bytes: &[u8]) -> String {
    hex16(&Sha256::digest(bytes))
}

fn hex16(bytes: &[u8]) -> String {
    bytes.iter().take(8).map(|b| format!("{b:02x}")).collect()
}

/// Lines `start..=end` of `text`, each after its number and a `|`. Control characters
/// other than tab are shown as `\u{…}` escapes: the file is untrusted and the text may be
/// echoed to a terminal.
fn numbered(text: &str, start: u32, end: u32) -> String {
    let width = end.max(1).to_string().len();
    let mut out = String::new();
    for (n, line) in (1u32..).zip(text.lines()) {
        if n < start {
            continue;
        }
        if n > end {
            break;
        }
        out += &format!("{n:>width$} | ");
        for c in line.chars() {
            if c.is_control() && c != '\t' {
                out += &c.escape_unicode().to_string();
            } else {
                out.push(c);
            }
        }
        out.push('\n');
    }
    out
}

/// The block sent to the model: a heading with the path (and the lines shown), then the
/// numbered text in a fence longer than any backtick run inside it.
pub fn block(f: &FileText, changed: bool) -> String {
    let lines = match f.file.range {
        Some(r) => format!(
            "lines {}-{} of {}",
            r.start,
            r.end.min(f.total_lines),
            f.total_lines
        ),
        None if f.total_lines == 1 => "1 line".to_owned(),
        None => format!("{} lines", f.total_lines),
    };
    let note = if changed {
        ", changed since it was attached"
    } else {
        ""
    };
    let fence = "`".repeat(longest_backtick_run(&f.body).max(2) + 1);
    format!(
        "{} ({lines}{note})\n{fence}{}\n{}{fence}\n",
        f.file.path,
        language(&f.file.path),
        f.body
    )
}

fn longest_backtick_run(s: &str) -> usize {
    s.split(|c| c != '`').map(str::len).max().unwrap_or(0)
}

/// The fence's language tag, from the extension.
fn language(path: &str) -> &'static str {
    let ext = path.rsplit_once('.').map_or("", |(_, e)| e);
    match ext {
        "rs" => "rust",
        "py" => "python",
        "js" | "mjs" | "cjs" | "jsx" => "javascript",
        "ts" | "tsx" => "typescript",
        "go" => "go",
        "c" | "h" => "c",
        "cc" | "cpp" | "hpp" | "cxx" => "cpp",
        "java" => "java",
        "rb" => "ruby",
        "sh" | "bash" => "bash",
        "toml" => "toml",
        "yml" | "yaml" => "yaml",
        "json" => "json",
        "md" => "markdown",
        "sql" => "sql",
        "html" => "html",
        "css" => "css",
        _ => "",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workspace::IndexOptions;

    fn fixture() -> (tempfile::TempDir, std::path::PathBuf, Index) {
        let d = tempfile::tempdir().expect("tempdir");
        let root = d.path().canonicalize().expect("canonical");
        let lines: String = (1..=120).map(|i| format!("line {i}\n")).collect();
        for (f, text) in [
            ("src/pool.rs", lines.as_str()),
            ("src/store/mod.rs", "pub mod db;\n"),
            ("src/store/db.rs", "fn open() {}\n"),
            ("src/store/.env", "KEY=1\n"),
            (".env", "KEY=1\n"),
            ("blob.dat", "a\0b"),
            ("weird.rs", "let s = \"\u{1b}[2J\";\n```\n"),
        ] {
            let p = root.join(f);
            std::fs::create_dir_all(p.parent().expect("parent")).expect("dirs");
            std::fs::write(p, text).expect("write");
        }
        let index = Index::build(&root, IndexOptions::default());
        (d, root, index)
    }

    fn expand_ok(root: &Path, index: &Index, path: &str) -> Vec<String> {
        expand(root, index, &FileRef::new(path, None), false)
            .expect("expands")
            .into_iter()
            .map(|f| f.path)
            .collect()
    }

    #[test]
    fn folders_expand_to_their_files_without_secrets() {
        let (_d, root, index) = fixture();
        assert_eq!(
            expand_ok(&root, &index, "src/store/"),
            ["src/store/db.rs", "src/store/mod.rs"]
        );
        assert_eq!(
            expand_ok(&root, &index, "./src/../src/pool.rs"),
            ["src/pool.rs"]
        );
    }

    #[test]
    fn secrets_outside_paths_and_missing_files_are_refused_with_a_reason() {
        let (_d, root, index) = fixture();
        let e = expand(&root, &index, &FileRef::new(".env", None), false).expect_err("secret");
        assert!(e.secret && e.why.contains("secrets"), "{e:?}");
        assert!(expand(&root, &index, &FileRef::new(".env", None), true).is_ok());
        let e = expand(&root, &index, &FileRef::new("../etc/passwd", None), false)
            .expect_err("outside");
        assert!(e.why.contains("outside the workspace"), "{e:?}");
        let e = expand(&root, &index, &FileRef::new("nope.rs", None), false).expect_err("missing");
        assert!(e.why.contains("there is no nope.rs"), "{e:?}");
        #[cfg(unix)]
        {
            std::os::unix::fs::symlink("/etc", root.join("etc-link")).expect("link");
            let e = expand(&root, &index, &FileRef::new("etc-link/passwd", None), false)
                .expect_err("link out");
            assert!(e.why.contains("leads outside"), "{e:?}");
        }
    }

    #[test]
    fn ranges_number_their_lines_and_large_or_binary_files_are_refused() {
        let (_d, root, _) = fixture();
        let range = Some(LineRange { start: 40, end: 42 });
        let t = read(&root, &FileRef::new("src/pool.rs", range), 1 << 20).expect("read");
        assert_eq!(t.body, "40 | line 40\n41 | line 41\n42 | line 42\n");
        assert_eq!(t.total_lines, 120);
        assert!(block(&t, false).starts_with("src/pool.rs (lines 40-42 of 120)\n```rust\n"));
        let e = read(&root, &FileRef::new("src/pool.rs", None), 100).expect_err("too large");
        assert!(e.why.contains("@src/pool.rs:1-200"), "{e:?}");
        let e = read(&root, &FileRef::new("blob.dat", None), 1 << 20).expect_err("binary");
        assert!(e.why.contains("binary"), "{e:?}");
        let beyond = Some(LineRange {
            start: 500,
            end: 600,
        });
        assert!(read(&root, &FileRef::new("src/pool.rs", beyond), 1 << 20).is_err());
    }

    #[test]
    fn hostile_text_cannot_break_out_of_its_fence_or_reach_a_terminal() {
        let (_d, root, _) = fixture();
        let t = read(&root, &FileRef::new("weird.rs", None), 1 << 20).expect("read");
        assert!(!t.body.contains('\u{1b}'), "{}", t.body);
        let b = block(&t, true);
        assert!(b.contains("changed since it was attached"));
        assert!(b.contains("\n````rust\n") && b.ends_with("````\n"), "{b}");
    }
}
