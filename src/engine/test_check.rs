//! Checking an edit by running the workspace's tests (DESIGN.md, "Acting on code": what the
//! code does is judged by running it). The edit is applied to a scratch copy of the
//! workspace's files (the ones the index sees: `.gitignore`d build output is left out), and
//! the tests run there in the sandbox. The user's tree is never touched.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use crate::edit::Change;
use crate::sandbox::{self, Spec};

/// The most copied into a scratch workspace; a larger one is "not checked".
const MAX_COPY_FILES: usize = 50_000;
const MAX_COPY_BYTES: u64 = 1 << 30;
/// The end of a failing run's output kept for the model and the user.
pub const OUTPUT_TAIL: usize = 6_000;

/// A finished check.
#[derive(Debug, Clone)]
pub struct Checked {
    pub passed: bool,
    pub exit_code: i32,
    pub duration: Duration,
    /// The end of the output (stdout then stderr).
    pub output: String,
    /// How it was confined (`bwrap`, `landlock`, `off`).
    pub sandbox: &'static str,
}

/// Copies the workspace at `root` into a fresh temporary directory, applies `changes`
/// there, and runs `argv` in the sandbox within `wall`. `Err` is why nothing could be
/// checked.
pub fn check(
    config: &crate::config::Sandbox,
    root: &Path,
    changes: &[Change],
    argv: Vec<String>,
    wall: Duration,
) -> Result<Checked, String> {
    let scratch = tempfile::Builder::new()
        .prefix("codecrucible-check-")
        .tempdir()
        .map_err(|e| format!("no scratch directory for the tests: {e}"))?;
    copy_workspace(root, scratch.path())?;
    crate::edit::apply(scratch.path(), changes)
        .map_err(|e| format!("the edit does not apply to the scratch copy: {e}"))?;
    let dir: PathBuf = scratch.path().to_path_buf();
    let mut spec = Spec::from_config(config, argv, dir.clone(), dir)?;
    spec.wall = wall;
    let out = sandbox::run(&spec, Arc::new(|_, _| {}))?;
    let mut output = out.stdout.text();
    output.push_str(&out.stderr.text());
    let output = tail(&output, OUTPUT_TAIL);
    Ok(Checked {
        passed: out.exit == sandbox::Exit::Code(0),
        exit_code: out.exit.code(),
        duration: out.duration,
        output,
        sandbox: out.mode.name(),
    })
}

/// The last `max` bytes of `text`, from a line start where there is one.
fn tail(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_owned();
    }
    let mut start = text.len() - max;
    while !text.is_char_boundary(start) {
        start += 1;
    }
    let cut = &text[start..];
    let cut = cut.find('\n').map_or(cut, |i| &cut[i + 1..]);
    format!("[… the start of the output is left out …]\n{cut}")
}

/// Copies the files the workspace index sees (not `.git`, not ignored build output).
fn copy_workspace(root: &Path, to: &Path) -> Result<(), String> {
    let index = crate::workspace::index::Index::build(root, Default::default());
    let (mut files, mut bytes) = (0usize, 0u64);
    for f in index.files() {
        files += 1;
        let from = root.join(&f.rel);
        let Ok(meta) = std::fs::symlink_metadata(&from) else {
            continue;
        };
        if !meta.is_file() {
            continue;
        }
        bytes += meta.len();
        if files > MAX_COPY_FILES || bytes > MAX_COPY_BYTES {
            return Err(format!(
                "the workspace is too large to copy for a test run (over {MAX_COPY_FILES} files or {} MiB)",
                MAX_COPY_BYTES >> 20
            ));
        }
        let dest = to.join(&f.rel);
        if let Some(parent) = dest.parent() {
            std::fs::create_dir_all(parent).map_err(|e| copy_error(&f.rel, &e))?;
        }
        std::fs::copy(&from, &dest).map_err(|e| copy_error(&f.rel, &e))?;
    }
    Ok(())
}

fn copy_error(rel: &str, e: &std::io::Error) -> String {
    format!("{rel} could not be copied for a test run: {e}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_output_keeps_its_end_from_a_line_start() {
        let text: String = (0..2000).map(|i| format!("line {i}\n")).collect();
        let t = tail(&text, 100);
        assert!(t.starts_with("[… the start"), "{t}");
        assert!(t.ends_with("line 1999\n"));
        assert!(t.lines().nth(1).is_some_and(|l| l.starts_with("line ")));
    }
}
