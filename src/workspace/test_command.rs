//! The workspace's test command: `workspace.test_command` when set, else what the project
//! says it uses: a `Cargo.toml` (`cargo test`), a `go.mod` (`go test ./...`), a
//! `package.json` with a `test` script (`npm test`), or Python tests (`pytest`, run as
//! `python3 -m pytest` so that the venv's pytest is found through the interpreter).

use std::path::Path;

/// The command to run for `/test` in `root`, as argv; `None` when none is set or found.
pub fn command(root: &Path, configured: &str) -> Option<Vec<String>> {
    if !configured.trim().is_empty() {
        return Some(vec!["sh".into(), "-c".into(), configured.trim().to_owned()]);
    }
    detect(root)
}

/// What the project's files say it tests with.
pub fn detect(root: &Path) -> Option<Vec<String>> {
    let argv = |a: &[&str]| Some(a.iter().map(|s| (*s).to_owned()).collect());
    if root.join("Cargo.toml").is_file() {
        return argv(&["cargo", "test"]);
    }
    if root.join("go.mod").is_file() {
        return argv(&["go", "test", "./..."]);
    }
    if has_npm_test(&root.join("package.json")) {
        return argv(&["npm", "test"]);
    }
    if has_python_tests(root) {
        return argv(&["python3", "-m", "pytest"]);
    }
    None
}

/// The most of a project file read to tell its test command.
const MAX_PROJECT_FILE: u64 = 1 << 20;

/// A project file's bytes, read no further than [`MAX_PROJECT_FILE`] and only when it is a
/// regular file (a FIFO named `pyproject.toml` must not hang the request).
fn project_file(path: &Path) -> Option<Vec<u8>> {
    match super::read::capped(path, MAX_PROJECT_FILE) {
        Ok(super::read::Capped::Bytes(bytes)) => Some(bytes),
        _ => None,
    }
}

/// A `package.json` whose `scripts.test` is set (and is not npm's placeholder).
fn has_npm_test(path: &Path) -> bool {
    let Some(bytes) = project_file(path) else {
        return false;
    };
    let Ok(json) = serde_json::from_slice::<serde_json::Value>(&bytes) else {
        return false;
    };
    json["scripts"]["test"]
        .as_str()
        .is_some_and(|t| !t.contains("no test specified"))
}

fn has_python_tests(root: &Path) -> bool {
    ["pytest.ini", "conftest.py", "tox.ini"]
        .iter()
        .any(|f| root.join(f).is_file())
        || project_file(&root.join("pyproject.toml"))
            .is_some_and(|t| String::from_utf8_lossy(&t).contains("[tool.pytest"))
        || ["tests", "test", "."]
            .iter()
            .any(|d| has_test_file(&root.join(d)))
}

fn has_test_file(dir: &Path) -> bool {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return false;
    };
    entries.flatten().take(2_000).any(|e| {
        let name = e.file_name();
        let name = name.to_string_lossy();
        name.ends_with(".py") && (name.starts_with("test_") || name.ends_with("_test.py"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_configured_command_wins_then_the_project_files_decide() {
        let d = tempfile::tempdir().expect("tempdir");
        assert_eq!(command(d.path(), ""), None);
        std::fs::write(d.path().join("test_calc.py"), "def test_x(): pass\n").expect("w");
        assert_eq!(
            command(d.path(), ""),
            Some(vec!["python3".into(), "-m".into(), "pytest".into()])
        );
        std::fs::write(
            d.path().join("package.json"),
            r#"{"scripts":{"test":"echo \"Error: no test specified\" && exit 1"}}"#,
        )
        .expect("w");
        assert_eq!(
            command(d.path(), "").map(|a| a[0].clone()),
            Some("python3".into())
        );
        std::fs::write(
            d.path().join("package.json"),
            r#"{"scripts":{"test":"vitest"}}"#,
        )
        .expect("w");
        assert_eq!(
            command(d.path(), ""),
            Some(vec!["npm".into(), "test".into()])
        );
        std::fs::write(d.path().join("Cargo.toml"), "[package]\n").expect("w");
        assert_eq!(
            command(d.path(), ""),
            Some(vec!["cargo".into(), "test".into()])
        );
        // A FIFO where a project file should be is not read (it would block).
        let fifo = tempfile::tempdir().expect("tempdir");
        let path = std::ffi::CString::new(
            fifo.path()
                .join("pyproject.toml")
                .into_os_string()
                .into_encoded_bytes(),
        )
        .expect("path");
        // SAFETY: mkfifo on a path owned by this test.
        assert_eq!(unsafe { libc::mkfifo(path.as_ptr(), 0o600) }, 0);
        assert_eq!(command(fifo.path(), ""), None);
        assert_eq!(
            command(d.path(), " make check "),
            Some(vec!["sh".into(), "-c".into(), "make check".into()])
        );
    }
}
