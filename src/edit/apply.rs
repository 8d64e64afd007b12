//! Writing a change set into the workspace: every path judged, every file checked against
//! what was read, then all files written or none.
//!
//! Order of work in [`apply`]:
//! 1. each path is judged (see [`resolve`]) and each file compared with the content the
//!    caller read; any refusal stops everything before a byte is written;
//! 2. each new content goes to a temp file in the target's own folder (created if needed),
//!    with the original's permissions, and is fsynced;
//! 3. the temp files are renamed over their targets (deletions removed) in order; if one
//!    step fails, the files already replaced are put back from the before-content held
//!    here, and new files and folders are removed.

use crate::workspace::read::Capped;
use crate::workspace::secrets::is_secret;
use std::fs;
use std::io::Write as _;
use std::path::{Component, Path, PathBuf};

/// One file's change: the content the caller read (`None`: the file did not exist) and the
/// content to write (`None`: delete it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// Workspace-relative (or absolute inside the workspace), `/`-separated.
    pub path: String,
    pub before: Option<String>,
    pub after: Option<String>,
}

/// A file changed: its workspace-relative path and its content before and after, for the
/// undo journal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Applied {
    pub path: String,
    pub before: Option<String>,
    pub after: Option<String>,
}

/// Why a change set was refused or failed; nothing was changed (unless the message says a
/// restore failed too).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApplyError {
    /// The path as given.
    pub path: String,
    pub kind: ApplyErrorKind,
    /// One sentence for the user.
    pub message: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApplyErrorKind {
    /// Empty, absolute elsewhere, `..`, or a symlink out.
    Outside,
    /// Under `.git/`.
    Git,
    /// A secrets file (`workspace::secrets`).
    Secret,
    /// The file changed since it was read.
    Stale,
    /// Not a regular file, or the same file twice in one set.
    NotAFile,
    /// Reading or writing failed.
    Io,
}

impl std::fmt::Display for ApplyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ApplyError {}

fn refuse(path: &str, kind: ApplyErrorKind, message: String) -> ApplyError {
    ApplyError {
        path: path.to_owned(),
        kind,
        message,
    }
}

/// Where a change will be written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolved {
    /// Workspace-relative, `/`-separated, as the user knows it.
    pub rel: String,
    /// The real path to write: symlinks of existing parts followed.
    pub target: PathBuf,
}

/// Judges a path for writing under `root`: refuses an empty path, an absolute path outside
/// the root, any `..`, anything under `.git/`, secrets files, and a path whose real location
/// (following symlinks of the parts that exist) leaves the root.
pub fn resolve(root: &Path, path: &str) -> Result<Resolved, ApplyError> {
    use ApplyErrorKind::*;
    let root_real = fs::canonicalize(root).map_err(|e| {
        refuse(
            path,
            Io,
            format!("the workspace {} cannot be read: {e}", root.display()),
        )
    })?;
    let p = Path::new(path);
    let rel_path: &Path = if p.is_absolute() {
        p.strip_prefix(&root_real)
            .or_else(|_| p.strip_prefix(root))
            .map_err(|_| refuse(path, Outside, format!("{path} is outside the workspace.")))?
    } else {
        p
    };
    let mut parts: Vec<String> = Vec::new();
    for c in rel_path.components() {
        match c {
            Component::Normal(s) => parts.push(s.to_string_lossy().into_owned()),
            Component::CurDir => {}
            Component::ParentDir => {
                return Err(refuse(
                    path,
                    Outside,
                    format!("{path} uses `..`; edits stay inside the workspace."),
                ))
            }
            Component::RootDir | Component::Prefix(_) => {
                return Err(refuse(
                    path,
                    Outside,
                    format!("{path} is outside the workspace."),
                ))
            }
        }
    }
    if parts.is_empty() {
        return Err(refuse(path, Outside, format!("{path:?} names no file.")));
    }
    let rel = parts.join("/");
    judge_name(path, &rel)?;
    // The real location: the deepest part that exists, canonicalised, plus the rest.
    let joined = root_real.join(&rel);
    let mut existing = joined.clone();
    let mut rest: Vec<std::ffi::OsString> = Vec::new();
    while fs::symlink_metadata(&existing).is_err() {
        match (existing.file_name(), existing.parent()) {
            (Some(name), Some(parent)) => {
                rest.push(name.to_owned());
                existing = parent.to_path_buf();
            }
            _ => break,
        }
    }
    let mut target = fs::canonicalize(&existing).map_err(|_| {
        refuse(
            path,
            Outside,
            format!("{path} goes through a symlink that leads nowhere."),
        )
    })?;
    target.extend(rest.iter().rev());
    let Ok(real_rel) = target.strip_prefix(&root_real) else {
        return Err(refuse(
            path,
            Outside,
            format!("{path} leads outside the workspace through a symlink."),
        ));
    };
    let real_rel = real_rel.to_string_lossy().replace('\\', "/");
    if real_rel.is_empty() {
        return Err(refuse(
            path,
            NotAFile,
            format!("{path} is the workspace itself."),
        ));
    }
    judge_name(path, &real_rel)?;
    Ok(Resolved { rel, target })
}

fn judge_name(path: &str, rel: &str) -> Result<(), ApplyError> {
    if rel.split('/').any(|c| c == ".git") {
        return Err(refuse(
            path,
            ApplyErrorKind::Git,
            format!("{path} is inside .git/, which edits never touch."),
        ));
    }
    if is_secret(rel) {
        return Err(refuse(
            path,
            ApplyErrorKind::Secret,
            format!("{path} looks like a secrets file, which edits never write."),
        ));
    }
    Ok(())
}

/// A change judged and checked, ready to write.
struct Planned<'a> {
    change: &'a Change,
    rel: String,
    target: PathBuf,
    perms: Option<fs::Permissions>,
    temp: Option<PathBuf>,
}

/// Applies the change set under `root`: all files or none (see the module docs). Returns
/// each file's before and after content.
pub fn apply(root: &Path, changes: &[Change]) -> Result<Vec<Applied>, ApplyError> {
    apply_inner(root, changes, None)
}

/// `fail_at`: in tests, the commit step that fails as if the disk had refused it.
fn apply_inner(
    root: &Path,
    changes: &[Change],
    fail_at: Option<usize>,
) -> Result<Vec<Applied>, ApplyError> {
    let mut plan = check(root, changes)?;
    let mut created_dirs: Vec<PathBuf> = Vec::new();
    if let Err(e) = prepare(&mut plan, &mut created_dirs) {
        cleanup(&plan, &created_dirs);
        return Err(e);
    }
    for i in 0..plan.len() {
        let step = if fail_at == Some(i) {
            Err(std::io::Error::other("injected failure"))
        } else {
            commit(&plan[i])
        };
        if let Err(e) = step {
            let undo = rollback(&plan[..i]);
            cleanup(&plan, &created_dirs);
            let p = &plan[i].change.path;
            let message = match undo {
                Ok(()) => format!("{p} could not be written ({e}); nothing was changed."),
                Err(r) => format!(
                    "{p} could not be written ({e}), and restoring {r} failed too; check it by hand."
                ),
            };
            return Err(refuse(p, ApplyErrorKind::Io, message));
        }
    }
    Ok(plan
        .iter()
        .map(|p| Applied {
            path: p.rel.clone(),
            before: p.change.before.clone(),
            after: p.change.after.clone(),
        })
        .collect())
}

/// Step 1: every path judged, every file compared with what was read.
fn check<'a>(root: &Path, changes: &'a [Change]) -> Result<Vec<Planned<'a>>, ApplyError> {
    let mut plan: Vec<Planned> = Vec::new();
    for change in changes {
        let path = &change.path;
        let Resolved { rel, target } = resolve(root, path)?;
        if plan.iter().any(|p| p.target == target) {
            return Err(refuse(
                path,
                ApplyErrorKind::NotAFile,
                format!("{path} is changed twice in one set."),
            ));
        }
        let meta = fs::metadata(&target).ok();
        if meta.as_ref().is_some_and(|m| !m.is_file()) {
            return Err(refuse(
                path,
                ApplyErrorKind::NotAFile,
                format!("{path} is not a regular file."),
            ));
        }
        // What is on disk now, read no further than `before` reaches: a longer file has
        // changed, whatever it holds.
        let before = change.before.as_ref().map(|s| s.as_bytes());
        let cap = before.map_or(0, |b| b.len() as u64);
        let same = match crate::workspace::read::capped(&target, cap) {
            Ok(Capped::Bytes(now)) => before == Some(now.as_slice()),
            Ok(Capped::Missing) => before.is_none(),
            Ok(Capped::TooLarge) => false,
            Err(e) => {
                return Err(refuse(
                    path,
                    ApplyErrorKind::Io,
                    format!("{path} cannot be read: {e}."),
                ))
            }
        };
        if !same {
            return Err(refuse(
                path,
                ApplyErrorKind::Stale,
                format!("{path} changed since it was read; ask again"),
            ));
        }
        plan.push(Planned {
            change,
            rel,
            target,
            perms: meta.map(|m| m.permissions()),
            temp: None,
        });
    }
    Ok(plan)
}

/// Step 2: folders for new files, and a synced temp file beside each target.
fn prepare(plan: &mut [Planned], created: &mut Vec<PathBuf>) -> Result<(), ApplyError> {
    for (i, p) in plan.iter_mut().enumerate() {
        let Some(after) = &p.change.after else {
            continue;
        };
        let io = |e: std::io::Error| {
            refuse(
                &p.change.path,
                ApplyErrorKind::Io,
                format!(
                    "{} could not be written ({e}); nothing was changed.",
                    p.change.path
                ),
            )
        };
        let parent = p.target.parent().expect("a file path has a parent");
        create_dirs(parent, created).map_err(io)?;
        let temp = temp_path(&p.target, i);
        write_synced(&temp, after.as_bytes(), p.perms.as_ref()).map_err(|e| {
            let _ = fs::remove_file(&temp);
            io(e)
        })?;
        p.temp = Some(temp);
    }
    Ok(())
}

/// Step 3 for one file: rename the temp over the target, or delete it.
fn commit(p: &Planned) -> std::io::Result<()> {
    match &p.temp {
        Some(temp) => fs::rename(temp, &p.target)?,
        None => fs::remove_file(&p.target)?,
    }
    sync_dir(&p.target);
    Ok(())
}

/// Puts back the files already committed, newest first; on failure, the path that failed.
fn rollback(done: &[Planned]) -> Result<(), String> {
    let mut failed = Ok(());
    for (i, p) in done.iter().enumerate().rev() {
        let r = match &p.change.before {
            Some(before) => {
                let temp = temp_path(&p.target, usize::MAX - i);
                write_synced(&temp, before.as_bytes(), p.perms.as_ref())
                    .and_then(|()| fs::rename(&temp, &p.target))
            }
            None => fs::remove_file(&p.target),
        };
        if r.is_err() && failed.is_ok() {
            failed = Err(p.change.path.clone());
        }
    }
    failed
}

/// Removes leftover temp files and the folders made for new files (emptiest first).
fn cleanup(plan: &[Planned], created: &[PathBuf]) {
    for p in plan {
        if let Some(t) = &p.temp {
            let _ = fs::remove_file(t);
        }
    }
    for d in created.iter().rev() {
        let _ = fs::remove_dir(d);
    }
}

fn create_dirs(dir: &Path, created: &mut Vec<PathBuf>) -> std::io::Result<()> {
    let mut missing = Vec::new();
    let mut d = dir;
    while fs::symlink_metadata(d).is_err() {
        missing.push(d.to_path_buf());
        match d.parent() {
            Some(p) => d = p,
            None => break,
        }
    }
    for m in missing.into_iter().rev() {
        fs::create_dir(&m)?;
        created.push(m);
    }
    Ok(())
}

fn temp_path(target: &Path, i: usize) -> PathBuf {
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    target.with_file_name(format!(
        ".{name}.codecrucible-{}-{i}.tmp",
        std::process::id()
    ))
}

fn write_synced(path: &Path, bytes: &[u8], perms: Option<&fs::Permissions>) -> std::io::Result<()> {
    let mut f = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)?;
    f.write_all(bytes)?;
    if let Some(perms) = perms {
        f.set_permissions(perms.clone())?;
    }
    f.sync_all()
}

/// Makes a rename durable (best effort: not every platform can open a folder).
fn sync_dir(file: &Path) {
    if let Some(dir) = file.parent() {
        if let Ok(d) = fs::File::open(dir) {
            let _ = d.sync_all();
        }
    }
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use crate::edit::matcher::apply_edit;
    use crate::edit::parse::parse;
    use std::os::unix::fs::{symlink, PermissionsExt};

    fn ws() -> tempfile::TempDir {
        let d = tempfile::tempdir().unwrap();
        fs::create_dir_all(d.path().join("src")).unwrap();
        fs::write(d.path().join("src/x.rs"), "fn x() {\n    1\n}\n").unwrap();
        d
    }

    fn change(path: &str, before: Option<&str>, after: Option<&str>) -> Change {
        Change {
            path: path.into(),
            before: before.map(Into::into),
            after: after.map(Into::into),
        }
    }

    fn read(root: &Path, p: &str) -> Option<String> {
        fs::read_to_string(root.join(p)).ok()
    }

    /// What the engine will do: parse, match against the file, apply.
    fn changes_from(root: &Path, answer: &str) -> Vec<Change> {
        parse(answer)
            .blocks()
            .map(|b| {
                let before = read(root, &b.path);
                let after = apply_edit(before.as_deref(), &b.kind).unwrap();
                Change {
                    path: b.path.clone(),
                    before,
                    after,
                }
            })
            .collect()
    }

    #[test]
    fn whole_file_search_replace_new_and_deleted_files_are_written() {
        let d = ws();
        let root = d.path();
        fs::write(root.join("old.txt"), "bye\n").unwrap();
        fs::write(root.join("src/y.rs"), "a\n").unwrap();
        let answer = "src/x.rs\n```rust\n<<<<<<< SEARCH\n    1\n=======\n    2\n>>>>>>> REPLACE\n```\n\
                      src/y.rs\n```\nb\n```\nnew/deep/z.rs\n```\nz\n```\nold.txt\n```\n<<<<<<< DELETE\n```\n";
        let set = changes_from(root, answer);
        let done = apply(root, &set).unwrap();
        assert_eq!(done.len(), 4);
        assert_eq!(read(root, "src/x.rs").unwrap(), "fn x() {\n    2\n}\n");
        assert_eq!(read(root, "src/y.rs").unwrap(), "b\n");
        assert_eq!(read(root, "new/deep/z.rs").unwrap(), "z\n");
        assert_eq!(read(root, "old.txt"), None);
        assert_eq!(done[3].before.as_deref(), Some("bye\n"));
        assert_eq!(done[3].after, None);
        assert_eq!(done[2].before, None);
        // No temp files are left.
        let names: Vec<_> = fs::read_dir(root.join("src")).unwrap().flatten().collect();
        assert_eq!(names.len(), 2);
    }

    #[test]
    fn crlf_and_permissions_are_kept() {
        let d = ws();
        let root = d.path();
        let f = root.join("run.sh");
        fs::write(&f, "echo one\r\necho two\r\n").unwrap();
        fs::set_permissions(&f, fs::Permissions::from_mode(0o751)).unwrap();
        let set = changes_from(
            root,
            "run.sh\n```sh\n<<<<<<< SEARCH\necho two\n=======\necho 2\necho 3\n>>>>>>> REPLACE\n```\n",
        );
        apply(root, &set).unwrap();
        assert_eq!(fs::read(&f).unwrap(), b"echo one\r\necho 2\r\necho 3\r\n");
        assert_eq!(
            fs::metadata(&f).unwrap().permissions().mode() & 0o7777,
            0o751
        );
        // A whole-file answer keeps CRLF too.
        let set = changes_from(root, "run.sh\n```\necho whole\n```\n");
        apply(root, &set).unwrap();
        assert_eq!(fs::read(&f).unwrap(), b"echo whole\r\n");
        assert_eq!(
            fs::metadata(&f).unwrap().permissions().mode() & 0o7777,
            0o751
        );
    }

    #[test]
    fn a_stale_file_is_refused_with_the_exact_message() {
        let d = ws();
        let root = d.path();
        let set = [change("src/x.rs", Some("what I read\n"), Some("new\n"))];
        let e = apply(root, &set).unwrap_err();
        assert_eq!(e.kind, ApplyErrorKind::Stale);
        assert_eq!(
            e.to_string(),
            "src/x.rs changed since it was read; ask again"
        );
        // A file that appeared since, and one that vanished.
        let e = apply(root, &[change("src/x.rs", None, Some("n\n"))]).unwrap_err();
        assert_eq!(e.kind, ApplyErrorKind::Stale);
        let e = apply(root, &[change("gone.rs", Some("x"), None)]).unwrap_err();
        assert_eq!(
            e.to_string(),
            "gone.rs changed since it was read; ask again"
        );
        assert_eq!(read(root, "src/x.rs").unwrap(), "fn x() {\n    1\n}\n");
    }

    #[test]
    fn escapes_git_and_secrets_are_refused_and_nothing_is_written() {
        let d = ws();
        let root = d.path();
        let outside = tempfile::tempdir().unwrap();
        symlink(outside.path(), root.join("out")).unwrap();
        fs::write(outside.path().join("t.rs"), "t\n").unwrap();
        symlink(outside.path().join("t.rs"), root.join("link.rs")).unwrap();
        fs::create_dir(root.join(".git")).unwrap();
        fs::write(root.join(".git/config"), "[core]\n").unwrap();
        symlink(root.join(".git/config"), root.join("cfg.txt")).unwrap();
        let abs_out = outside
            .path()
            .join("evil.rs")
            .to_string_lossy()
            .into_owned();
        let cases: [(&str, ApplyErrorKind); 9] = [
            ("../x.rs", ApplyErrorKind::Outside),
            ("src/../../x.rs", ApplyErrorKind::Outside),
            (&abs_out, ApplyErrorKind::Outside),
            ("out/evil.rs", ApplyErrorKind::Outside),
            ("link.rs", ApplyErrorKind::Outside),
            (".git/config", ApplyErrorKind::Git),
            ("cfg.txt", ApplyErrorKind::Git),
            (".env", ApplyErrorKind::Secret),
            ("", ApplyErrorKind::Outside),
        ];
        for (bad, kind) in cases {
            let before = if bad == "link.rs" { Some("t\n") } else { None };
            let before = if bad == "cfg.txt" {
                Some("[core]\n")
            } else {
                before
            };
            // A good change first: it must not be written either.
            let set = [
                change(
                    "src/x.rs",
                    read(root, "src/x.rs").as_deref(),
                    Some("changed\n"),
                ),
                change(bad, before, Some("pwned\n")),
            ];
            let e = apply(root, &set).unwrap_err();
            assert_eq!(e.kind, kind, "{bad}: {e}");
            assert!(e.message.ends_with('.') && !e.message.contains('\n'), "{e}");
            assert_eq!(
                read(root, "src/x.rs").unwrap(),
                "fn x() {\n    1\n}\n",
                "{bad}"
            );
        }
        assert_eq!(fs::read_dir(outside.path()).unwrap().count(), 1);
        assert_eq!(read(root, ".git/config").unwrap(), "[core]\n");
        assert_eq!(read(root, ".env"), None);
        // An absolute path inside the workspace is fine.
        let abs_in = root.join("src/x.rs").to_string_lossy().into_owned();
        let set = [change(
            &abs_in,
            read(root, "src/x.rs").as_deref(),
            Some("ok\n"),
        )];
        assert_eq!(apply(root, &set).unwrap()[0].path, "src/x.rs");
        assert_eq!(read(root, "src/x.rs").unwrap(), "ok\n");
    }

    #[test]
    fn a_failure_midway_puts_everything_back() {
        let d = ws();
        let root = d.path();
        fs::write(root.join("del.txt"), "keep me\n").unwrap();
        fs::set_permissions(root.join("src/x.rs"), fs::Permissions::from_mode(0o640)).unwrap();
        let x = read(root, "src/x.rs");
        let set = [
            change("src/x.rs", x.as_deref(), Some("changed\n")),
            change("del.txt", Some("keep me\n"), None),
            change("brand/new/file.rs", None, Some("new\n")),
            change("src/w.rs", None, Some("w\n")),
        ];
        for fail in 0..set.len() {
            let e = apply_inner(root, &set, Some(fail)).unwrap_err();
            assert_eq!(e.kind, ApplyErrorKind::Io);
            assert!(e.message.contains("nothing was changed"), "{e}");
            assert_eq!(read(root, "src/x.rs"), x, "fail at {fail}");
            assert_eq!(
                fs::metadata(root.join("src/x.rs"))
                    .unwrap()
                    .permissions()
                    .mode()
                    & 0o777,
                0o640
            );
            assert_eq!(read(root, "del.txt").as_deref(), Some("keep me\n"));
            assert!(!root.join("brand").exists(), "fail at {fail}");
            assert!(!root.join("src/w.rs").exists());
            let mut left: Vec<_> = fs::read_dir(root.join("src"))
                .unwrap()
                .flatten()
                .map(|e| e.file_name())
                .collect();
            left.sort();
            assert_eq!(left, ["x.rs"], "fail at {fail}");
        }
        // And without the failure it all goes through.
        apply(root, &set).unwrap();
        assert_eq!(read(root, "brand/new/file.rs").as_deref(), Some("new\n"));
    }

    #[test]
    fn a_set_naming_one_file_twice_or_a_folder_is_refused() {
        let d = ws();
        let root = d.path();
        let x = read(root, "src/x.rs");
        let set = [
            change("src/x.rs", x.as_deref(), Some("a\n")),
            change("./src/x.rs", x.as_deref(), Some("b\n")),
        ];
        assert_eq!(
            apply(root, &set).unwrap_err().kind,
            ApplyErrorKind::NotAFile
        );
        let e = apply(root, &[change("src", None, Some("a\n"))]).unwrap_err();
        assert_eq!(e.kind, ApplyErrorKind::NotAFile);
    }
}
