//! The workspace files a request sends: those it names (`--file`, `/add`, `@path`), those
//! its session already holds, and those the prompt names without `@`. They are gathered on
//! the blocking pool (a walk and file reads), before the session is opened for the files a
//! request names (a refusal then leaves no empty session behind) and after it for the
//! session's own.

use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::config::Config;
use crate::store::SessionFile;
use crate::workspace::{self, mention, FileRef, FileText, Index, IndexOptions, Refused};

/// What a request asks of the workspace.
#[derive(Debug, Clone, Default)]
pub struct FilesRequest {
    /// The directory to start from (the current one, or `-C DIR`); the workspace is the git
    /// top-level above it. `None`: no workspace, so no files.
    pub dir: Option<PathBuf>,
    /// Files and folders attached explicitly (`--file`, `/add`).
    pub files: Vec<FileRef>,
    /// The user agreed to send files that look like they hold secrets.
    pub allow_secrets: bool,
    /// Files (`path` or `path:40-90`) or folders (`dir/`) to take out of the session's
    /// set (`/drop`).
    pub drop: Vec<String>,
}

/// Why a file is in the request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// Named with `--file`, `/add` or `@`.
    Attached,
    /// Attached to the session on an earlier turn.
    Session,
    /// Named in the prompt without `@`.
    Named,
    /// The repository map.
    Map,
}

/// One file ready to send.
#[derive(Debug, Clone)]
pub struct Gathered {
    pub text: FileText,
    pub source: Source,
    /// It changed since it was last sent in this session.
    pub changed: bool,
}

/// The workspace and the files this request names.
pub struct Named {
    pub root: PathBuf,
    /// The index, when naming the files needed one; the repository map reuses it rather
    /// than walk the workspace again.
    pub index: Option<Index>,
    pub files: Vec<(FileRef, Source)>,
}

/// A refusal the user must act on, as one sentence.
pub fn refusal_message(r: &Refused) -> String {
    if r.secret {
        format!(
            "{}; attach it anyway with --allow-secrets (or answer y when asked)",
            r.why
        )
    } else {
        r.why.clone()
    }
}

/// Finds the workspace, indexes it and resolves the files this request names.
pub fn named(config: &Config, req: &FilesRequest, input: &str) -> Result<Named, Refused> {
    let dir = req.dir.as_deref().unwrap_or(Path::new("."));
    let root = workspace::root::find(dir).map_err(|e| Refused {
        path: dir.display().to_string(),
        secret: false,
        why: format!("the workspace {} cannot be opened: {e}", dir.display()),
    })?;
    // Walking is the costly part, so it is done only when something needs it.
    let index =
        needs_index(config, req, input).then(|| Index::build(&root, IndexOptions::default()));
    let empty = Index::default();
    let listed = index.as_ref().unwrap_or(&empty);
    let mut files: Vec<(FileRef, Source)> = Vec::new();
    let push = |f: FileRef, s: Source, files: &mut Vec<(FileRef, Source)>| {
        if !files.iter().any(|(g, _)| *g == f) {
            files.push((f, s));
        }
    };
    for r in &req.files {
        for f in workspace::attach::expand(&root, listed, r, req.allow_secrets)? {
            push(f, Source::Attached, &mut files);
        }
    }
    for m in mention::mentions(input) {
        let r = FileRef::new(m.path.clone(), m.range);
        match workspace::attach::expand(&root, listed, &r, req.allow_secrets) {
            Ok(found) => found
                .into_iter()
                .for_each(|f| push(f, Source::Attached, &mut files)),
            // `@dataclass`, `@alice`: not a path, so not a file that is missing.
            Err(e) if !looks_like_path(&m.path) && !e.secret => {}
            Err(e) => return Err(e),
        }
    }
    if config.workspace.attach_named_files {
        for rel in mention::named_files(input, listed) {
            push(FileRef::new(rel, None), Source::Named, &mut files);
        }
    }
    Ok(Named { root, index, files })
}

/// A folder is attached, or the prompt may name a file: `@`, or a word with a `/` or an
/// inner `.` (`src/pool.rs`, `pool.rs`, not the full stop at a sentence's end).
fn needs_index(config: &Config, req: &FilesRequest, input: &str) -> bool {
    let folder = req
        .files
        .iter()
        .any(|f| f.path.ends_with('/') || f.path == "." || !f.path.contains('.'));
    let named = config.workspace.attach_named_files
        && input.split_whitespace().any(|w| {
            let w = w.trim_end_matches(['.', ',', ':', ';', '!', '?', ')', '`', '"', '\'']);
            w.contains('/') || w.contains('.')
        });
    folder || input.contains('@') || named
}

/// Whether `/drop` names this stored file: by its path, its `path:range` label, or a
/// folder it is in.
fn dropped(s: &SessionFile, drop: &[String]) -> bool {
    let label = file_ref(s).label();
    drop.iter().any(|d| {
        let d = d.trim_start_matches("./").trim_start_matches('@');
        let folder = format!("{}/", d.trim_end_matches('/'));
        d == s.path || d == label || s.path.starts_with(&folder)
    })
}

fn looks_like_path(s: &str) -> bool {
    s.contains('/') || s.contains('.')
}

/// Reads the files this request names. A file named explicitly that cannot be sent (binary,
/// too large, unreadable) is refused; one named in passing is left out with a note.
pub fn read_named(config: &Config, named: &Named) -> Result<(Vec<Gathered>, Vec<String>), Refused> {
    let max = config.workspace.max_file_bytes();
    let mut out = Vec::new();
    let mut notes = Vec::new();
    for (f, source) in &named.files {
        match workspace::attach::read(&named.root, f, max) {
            Ok(text) => out.push(Gathered {
                text,
                source: *source,
                changed: false,
            }),
            Err(e) if *source == Source::Attached => return Err(e),
            Err(e) => notes.push(format!("{}; left out", e.why)),
        }
    }
    Ok((out, notes))
}

/// Adds the session's own files after the request's, marks every file that changed since
/// it was last sent, and returns the session's new set and notes on files that are gone.
pub fn add_session_files(
    config: &Config,
    root: &Path,
    files: &mut Vec<Gathered>,
    stored: &[SessionFile],
    drop: &[String],
) -> (Vec<SessionFile>, Vec<String>) {
    let max = config.workspace.max_file_bytes();
    let mut notes = Vec::new();
    for s in stored.iter().filter(|s| !dropped(s, drop)) {
        let f = file_ref(s);
        if files.iter().any(|g| g.text.file == f) {
            continue;
        }
        match workspace::attach::read(root, &f, max) {
            Ok(text) => files.push(Gathered {
                text,
                source: Source::Session,
                changed: false,
            }),
            Err(e) => notes.push(format!("{}; dropped from this session's files", e.why)),
        }
    }
    let set: Vec<SessionFile> = files.iter().map(session_file).collect();
    for (g, now) in files.iter_mut().zip(&set) {
        g.changed = stored
            .iter()
            .any(|s| s.path == now.path && s.range == now.range && s.digest != now.digest);
    }
    (set, notes)
}

/// A stored session file as the workspace names it.
fn file_ref(s: &SessionFile) -> FileRef {
    let range = s
        .range
        .map(|(start, end)| workspace::LineRange { start, end });
    FileRef::new(s.path.clone(), range)
}

/// A file as sent, as the session stores it.
fn session_file(g: &Gathered) -> SessionFile {
    SessionFile {
        path: g.text.file.path.clone(),
        range: g.text.file.range.map(|r| (r.start, r.end)),
        digest: g.text.digest.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn repo() -> tempfile::TempDir {
        let d = tempfile::tempdir().expect("tempdir");
        for (f, t) in [
            ("src/pool.rs", "pub struct Pool;\n"),
            ("src/store/db.rs", "fn open() {}\n"),
            (".env", "KEY=1\n"),
        ] {
            let p = d.path().join(f);
            std::fs::create_dir_all(p.parent().expect("parent")).expect("dirs");
            std::fs::write(p, t).expect("write");
        }
        std::fs::create_dir(d.path().join(".git")).expect("git");
        d
    }

    fn req(d: &Path, files: &[&str]) -> FilesRequest {
        FilesRequest {
            dir: Some(d.join("src")),
            files: files.iter().map(|f| FileRef::new(*f, None)).collect(),
            allow_secrets: false,
            drop: Vec::new(),
        }
    }

    #[test]
    fn named_attached_and_mentioned_files_are_found_once_each() {
        let d = repo();
        let c = Config::default();
        let n = named(
            &c,
            &req(d.path(), &["src/store/"]),
            "why does @src/pool.rs and src/pool.rs, @dataclass",
        )
        .expect("named");
        let got: Vec<(&str, Source)> = n.files.iter().map(|(f, s)| (f.path.as_str(), *s)).collect();
        assert_eq!(
            got,
            [
                ("src/store/db.rs", Source::Attached),
                ("src/pool.rs", Source::Attached)
            ]
        );
        let e = named(&c, &req(d.path(), &[]), "read @.env")
            .err()
            .expect("secret refused");
        assert!(refusal_message(&e).contains("--allow-secrets"));
        let e = named(&c, &req(d.path(), &[]), "read @src/gone.rs")
            .err()
            .expect("missing");
        assert!(e.why.contains("there is no src/gone.rs"), "{e:?}");
    }

    #[test]
    fn session_files_come_after_the_requests_and_changes_are_marked() {
        let d = repo();
        let c = Config::default();
        let n = named(&c, &req(d.path(), &[]), "look at src/pool.rs").expect("named");
        let (mut files, notes) = read_named(&c, &n).expect("read");
        assert!(notes.is_empty());
        let stored = vec![
            SessionFile {
                path: "src/store/db.rs".into(),
                range: None,
                digest: "old".into(),
            },
            SessionFile {
                path: "src/deleted.rs".into(),
                range: None,
                digest: "x".into(),
            },
        ];
        let (set, notes) = add_session_files(&c, &n.root, &mut files, &stored, &[]);
        let got: Vec<(&str, Source, bool)> = files
            .iter()
            .map(|g| (g.text.file.path.as_str(), g.source, g.changed))
            .collect();
        assert_eq!(
            got,
            [
                ("src/pool.rs", Source::Named, false),
                ("src/store/db.rs", Source::Session, true)
            ]
        );
        assert_eq!(set.len(), 2);
        assert_eq!(notes.len(), 1, "{notes:?}");
        assert!(notes[0].contains("src/deleted.rs"), "{notes:?}");
        let mut files = Vec::new();
        let (set, _) = add_session_files(&c, &n.root, &mut files, &stored, &["src/store/".into()]);
        assert!(set.is_empty(), "dropped by folder: {set:?}");
    }
}
