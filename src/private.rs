//! Files only their owner can read. The history, the log, exports and the config hold whole
//! conversations and API keys, so CodeCrucible creates its directories 0700 and its files
//! 0600, and tightens ones an earlier version left readable (DESIGN.md, "Untrusted input").

use std::fs;
use std::io;
use std::path::Path;

#[cfg(unix)]
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};

pub const DIR_MODE: u32 = 0o700;
pub const FILE_MODE: u32 = 0o600;

/// Creates `dir` and any missing parents with mode 0700; existing ones are left as they are
/// (they may be the user's own, such as the working directory).
pub fn create_dir(dir: &Path) -> io::Result<()> {
    let mut b = fs::DirBuilder::new();
    b.recursive(true);
    #[cfg(unix)]
    b.mode(DIR_MODE);
    b.create(dir)
}

/// Tightens an existing file to 0600; a missing one is fine.
pub fn restrict(path: &Path) -> io::Result<()> {
    match fs::symlink_metadata(path) {
        Ok(m) if m.file_type().is_file() => set_mode(path, FILE_MODE),
        Ok(_) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e),
    }
}

/// Open options that create a file 0600.
pub fn options() -> fs::OpenOptions {
    let mut o = fs::OpenOptions::new();
    #[cfg(unix)]
    o.mode(FILE_MODE);
    o
}

#[cfg(unix)]
fn set_mode(path: &Path, mode: u32) -> io::Result<()> {
    fs::set_permissions(path, fs::Permissions::from_mode(mode))
}

#[cfg(not(unix))]
fn set_mode(_: &Path, _: u32) -> io::Result<()> {
    Ok(())
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    fn mode(p: &Path) -> u32 {
        fs::metadata(p).expect("exists").permissions().mode() & 0o777
    }

    #[test]
    fn new_directories_and_files_are_private_and_old_files_are_tightened() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let dir = tmp.path().join("a/b");
        create_dir(&dir).expect("created");
        assert_eq!(mode(&dir), 0o700);
        assert_eq!(mode(&tmp.path().join("a")), 0o700);
        let f = dir.join("x");
        options().write(true).create(true).open(&f).expect("open");
        assert_eq!(mode(&f), 0o600);
        let old = dir.join("old");
        fs::write(&old, "x").expect("write");
        fs::set_permissions(&old, fs::Permissions::from_mode(0o644)).expect("chmod");
        restrict(&old).expect("tightened");
        assert_eq!(mode(&old), 0o600);
        restrict(&dir.join("missing")).expect("a missing file is fine");
    }
}
