//! `doctor`'s privacy lines: whether the history, the log and the config can be read by
//! other users, and whether the config file holds an API key in plain text where an
//! environment variable could hold it. CodeCrucible creates these files 0600 in 0700
//! directories (`private.rs`), but a data directory the user made, a file copied in, or an
//! older version's files may be looser; doctor says so, with the command that fixes it.

use std::path::{Path, PathBuf};

use crate::backend::BackendId;
use crate::config::Config;

/// The files in the data directory that hold conversations.
const DATA_FILES: &[&str] = &[
    "history.db",
    "history.db-wal",
    "history.db-shm",
    "codecrucible.log",
];

/// One finding: good (✓) or a problem (✗) with what to do.
pub struct Finding {
    pub ok: bool,
    pub text: String,
}

/// Every finding for this config and data directory. `env` stands in for the process
/// environment.
pub fn check(
    config: &Config,
    data_dir: Option<&Path>,
    env: &dyn Fn(&str) -> Option<String>,
) -> Vec<Finding> {
    let mut out = Vec::new();
    match data_dir {
        Some(dir) => out.extend(data_findings(dir)),
        None => out.push(problem(
            "no data directory could be found; history is not saved",
        )),
    }
    if let Some(path) = &config.source {
        out.extend(key_findings(path, env));
    }
    out
}

/// The text lines, under a heading.
pub fn describe(findings: &[Finding]) -> String {
    let mut s = String::from("Privacy\n");
    for f in findings {
        let mark = if f.ok { "✓" } else { "✗" };
        s += &format!("  {mark} {}\n", f.text);
    }
    s
}

fn problem(text: impl Into<String>) -> Finding {
    Finding {
        ok: false,
        text: text.into(),
    }
}

fn data_findings(dir: &Path) -> Vec<Finding> {
    let Some(mode) = mode_of(dir) else {
        return vec![Finding {
            ok: true,
            text: format!(
                "no history yet; {} will be created private (0700)",
                dir.display()
            ),
        }];
    };
    let mut out = Vec::new();
    if mode & 0o077 != 0 {
        out.push(problem(format!(
            "the data directory {} can be opened by other users ({mode:04o}): chmod 700 {}",
            dir.display(),
            quoted(dir)
        )));
    }
    for name in DATA_FILES {
        let path = dir.join(name);
        if let Some(m) = mode_of(&path).filter(|m| m & 0o077 != 0) {
            out.push(loose_file(&path, m, "holds conversations"));
        }
    }
    if out.is_empty() {
        out.push(Finding {
            ok: true,
            text: format!(
                "history in {} is private (directory 0700, files 0600)",
                dir.display()
            ),
        });
    }
    out
}

fn key_findings(path: &Path, env: &dyn Fn(&str) -> Option<String>) -> Vec<Finding> {
    let in_file = keys_in_file(path);
    let mut out = Vec::new();
    for id in &in_file {
        let key = format!("{}.api_key", Config::section(*id));
        let var = env_var(*id);
        let text = if env(var).is_some() {
            format!(
                "{} holds {key} in plain text, though {var} is set and wins: remove it with \
                 `codecrucible config set {key} \"\"`",
                path.display()
            )
        } else {
            format!(
                "{} holds {key} in plain text: put it in the {var} environment variable \
                 instead and remove it with `codecrucible config set {key} \"\"`",
                path.display()
            )
        };
        out.push(problem(text));
    }
    if !in_file.is_empty() {
        if let Some(m) = mode_of(path).filter(|m| m & 0o077 != 0) {
            out.push(loose_file(path, m, "holds an API key"));
        }
    }
    out
}

fn loose_file(path: &Path, mode: u32, holds: &str) -> Finding {
    problem(format!(
        "{} {holds} and can be read by other users ({mode:04o}): chmod 600 {}",
        path.display(),
        quoted(path)
    ))
}

/// The backends whose `api_key` the user's file sets to something. The file was already
/// read and checked by the config loader; one that cannot be read now reports nothing.
fn keys_in_file(path: &Path) -> Vec<BackendId> {
    let Ok(text) = std::fs::read_to_string(path) else {
        return Vec::new();
    };
    let Ok(table) = toml::from_str::<toml::Table>(&text) else {
        return Vec::new();
    };
    BackendId::ALL
        .into_iter()
        .filter(|id| {
            let section = Config::section(*id).trim_start_matches("hybrid.");
            table
                .get("hybrid")
                .and_then(|h| h.get(section))
                .and_then(|s| s.get("api_key"))
                .and_then(|k| k.as_str())
                .is_some_and(|k| !k.is_empty())
        })
        .collect()
}

fn env_var(id: BackendId) -> &'static str {
    match id {
        BackendId::Lmstudio => "CODECRUCIBLE_LMSTUDIO_API_KEY",
        BackendId::Ollama => "CODECRUCIBLE_OLLAMA_API_KEY",
    }
}

/// The permission bits, following links as `chmod` does; `None` when it does not exist.
#[cfg(unix)]
fn mode_of(path: &Path) -> Option<u32> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path)
        .ok()
        .map(|m| m.permissions().mode() & 0o777)
}

#[cfg(not(unix))]
fn mode_of(path: &Path) -> Option<u32> {
    std::fs::metadata(path).ok().map(|_| 0o600)
}

/// A path as a shell argument: single-quoted when it holds anything but plain characters.
fn quoted(path: &Path) -> String {
    let s = path.display().to_string();
    let plain = s
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "/._-+~".contains(c));
    if plain {
        s
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

/// The data directory, when one can be found.
pub fn data_dir() -> Option<PathBuf> {
    crate::config::load::data_dir().ok()
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn chmod(p: &Path, mode: u32) {
        std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode)).expect("chmod");
    }

    fn texts(f: &[Finding]) -> Vec<(bool, String)> {
        f.iter().map(|f| (f.ok, f.text.clone())).collect()
    }

    #[test]
    fn a_private_data_dir_is_one_good_line() {
        let d = tempfile::tempdir().expect("tempdir");
        chmod(d.path(), 0o700);
        std::fs::write(d.path().join("history.db"), b"").expect("write");
        chmod(&d.path().join("history.db"), 0o600);
        let f = data_findings(d.path());
        assert_eq!(f.len(), 1);
        assert!(f[0].ok, "{:?}", texts(&f));
    }

    #[test]
    fn loose_modes_are_named_with_the_command_that_fixes_them() {
        let d = tempfile::tempdir().expect("tempdir");
        chmod(d.path(), 0o755);
        let db = d.path().join("history.db-wal");
        std::fs::write(&db, b"").expect("write");
        chmod(&db, 0o644);
        let f = texts(&data_findings(d.path()));
        assert_eq!(f.len(), 2, "{f:?}");
        assert!(f.iter().all(|(ok, _)| !ok));
        assert!(f[0].1.contains("(0755): chmod 700"), "{f:?}");
        assert!(
            f[1].1.contains("history.db-wal holds conversations") && f[1].1.contains("chmod 600"),
            "{f:?}"
        );
    }

    #[test]
    fn a_key_in_the_file_points_at_the_environment_variable() {
        let d = tempfile::tempdir().expect("tempdir");
        let path = d.path().join("config.toml");
        std::fs::write(
            &path,
            "[hybrid.ollama]\napi_key = \"sk-secret\"\n[hybrid.lm_studio]\napi_key = \"\"\n",
        )
        .expect("write");
        chmod(&path, 0o644);
        let none = |_: &str| None;
        let f = texts(&key_findings(&path, &none));
        assert_eq!(f.len(), 2, "{f:?}");
        assert!(f[0].1.contains("hybrid.ollama.api_key in plain text"));
        assert!(f[0].1.contains("CODECRUCIBLE_OLLAMA_API_KEY"));
        assert!(
            !f[0].1.contains("sk-secret"),
            "the key itself is never shown"
        );
        assert!(f[1].1.contains("chmod 600"), "{f:?}");
        let set = |k: &str| (k == "CODECRUCIBLE_OLLAMA_API_KEY").then(|| "x".to_owned());
        let f = texts(&key_findings(&path, &set));
        assert!(f[0].1.contains("is set and wins"), "{f:?}");
    }

    #[test]
    fn odd_paths_are_quoted_for_the_shell() {
        assert_eq!(quoted(Path::new("/a/b.db")), "/a/b.db");
        assert_eq!(quoted(Path::new("/a b/it's")), r"'/a b/it'\''s'");
    }
}
