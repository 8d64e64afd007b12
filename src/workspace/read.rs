//! Reading one of the user's files, bounded: the one way the workspace, the repository map
//! and edits read a file. Files are untrusted (DESIGN.md, "Untrusted input"): a file is
//! never read past its cap, and only a regular file is read at all. Opening a FIFO named
//! like a source file waits for a writer that may never come, so the file is opened
//! without waiting and checked before a byte is read.

use std::fs::File;
use std::io::{self, Read};
use std::path::Path;

/// What reading found.
#[derive(Debug, PartialEq, Eq)]
pub enum Capped {
    /// The whole file.
    Bytes(Vec<u8>),
    /// The file is longer than the cap; nothing of it is returned.
    TooLarge,
    /// There is no such file.
    Missing,
}

/// Reads `path` whole when it holds at most `cap` bytes. A path that is not a regular file
/// (a folder, a FIFO, a device) is an error of kind `InvalidInput`.
pub fn capped(path: &Path, cap: u64) -> io::Result<Capped> {
    let file = match open_without_waiting(path) {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Capped::Missing),
        Err(e) => return Err(e),
    };
    let meta = file.metadata()?;
    if !meta.is_file() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "it is not a regular file",
        ));
    }
    if meta.len() > cap {
        return Ok(Capped::TooLarge);
    }
    let mut bytes = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0));
    // The file may grow while it is read: one byte past the cap says so.
    file.take(cap.saturating_add(1)).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > cap {
        return Ok(Capped::TooLarge);
    }
    Ok(Capped::Bytes(bytes))
}

#[cfg(unix)]
fn open_without_waiting(path: &Path) -> io::Result<File> {
    use std::os::unix::fs::OpenOptionsExt;
    // O_NONBLOCK only changes how a FIFO or device opens; reads of a regular file behave
    // as usual with it on Linux.
    std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(path)
}

#[cfg(not(unix))]
fn open_without_waiting(path: &Path) -> io::Result<File> {
    File::open(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_is_read_whole_within_its_cap_and_refused_past_it() {
        let d = tempfile::tempdir().expect("tempdir");
        let f = d.path().join("a.rs");
        std::fs::write(&f, b"fn a() {}\n").expect("write");
        assert_eq!(
            capped(&f, 10).expect("read"),
            Capped::Bytes(b"fn a() {}\n".to_vec())
        );
        assert_eq!(capped(&f, 9).expect("read"), Capped::TooLarge);
        assert_eq!(
            capped(&d.path().join("none.rs"), 9).expect("read"),
            Capped::Missing
        );
        let dir = capped(d.path(), 1 << 20).expect_err("a folder");
        assert_eq!(dir.kind(), io::ErrorKind::InvalidInput);
    }

    #[cfg(unix)]
    #[test]
    fn a_fifo_named_like_source_is_refused_without_waiting_for_a_writer() {
        let d = tempfile::tempdir().expect("tempdir");
        let fifo = d.path().join("pipe.rs");
        let made = std::process::Command::new("mkfifo").arg(&fifo).status();
        if !made.is_ok_and(|s| s.success()) {
            return; // no mkfifo here
        }
        // With a blocking open this would wait forever: nothing writes to the FIFO.
        let e = capped(&fifo, 1 << 20).expect_err("not a regular file");
        assert_eq!(e.kind(), io::ErrorKind::InvalidInput);
    }
}
