//! Where the workspace is: the git top-level above a directory, or the directory itself
//! outside git. `-C DIR` / `--workspace DIR` choose the directory to start from.

use std::path::{Path, PathBuf};

/// The workspace for `start`: the nearest ancestor (or itself) holding `.git` (a directory,
/// or the file a worktree or submodule has), else `start`. The path is made absolute and
/// free of `..` so that attached files can be checked to lie inside it.
pub fn find(start: &Path) -> std::io::Result<PathBuf> {
    let start = start.canonicalize()?;
    if !start.is_dir() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::NotADirectory,
            format!("{} is not a directory", start.display()),
        ));
    }
    let top = start
        .ancestors()
        .find(|dir| dir.join(".git").exists())
        .unwrap_or(&start);
    Ok(top.to_path_buf())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_git_top_level_is_the_workspace_and_outside_git_the_directory_is() {
        let d = tempfile::tempdir().expect("tempdir");
        let repo = d.path().join("repo");
        std::fs::create_dir_all(repo.join(".git")).expect("git dir");
        std::fs::create_dir_all(repo.join("src/deep")).expect("dirs");
        let root = find(&repo.join("src/deep")).expect("found");
        assert_eq!(root, repo.canonicalize().expect("canonical"));
        let plain = d.path().join("plain");
        std::fs::create_dir_all(&plain).expect("dir");
        assert_eq!(
            find(&plain).expect("found"),
            plain.canonicalize().expect("c")
        );
        // A worktree's `.git` is a file.
        let wt = d.path().join("wt");
        std::fs::create_dir_all(wt.join("a")).expect("dir");
        std::fs::write(wt.join(".git"), "gitdir: elsewhere\n").expect("file");
        assert_eq!(
            find(&wt.join("a")).expect("found"),
            wt.canonicalize().expect("c")
        );
        assert!(find(&d.path().join("missing")).is_err());
    }
}
