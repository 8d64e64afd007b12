//! The edit tasks in `benches/edit_tasks/`: reading them, copying a task's fixture into a
//! workspace, and checking the workspace afterwards. Shared by the `edit_success` bench
//! (which runs them against a real model) and `tests/suite/edit_tasks.rs` (which checks
//! that every task parses and that no check passes on the untouched fixture).
//!
//! A task is a folder `NN-name/` holding `task.toml` and `files/`, the workspace as it is
//! before the edit. `task.toml`:
//!
//! ```toml
//! instruction = "In app/settings.py, change DEFAULT_TIMEOUT from 30 to 60."
//! files = ["app/settings.py"]        # attached with --file (relative to files/)
//! targets = ["app/settings.py"]      # the files the edit is for; default: `files`
//!
//! [[check]]                          # one or more
//! path = "app/settings.py"
//! contains = ["DEFAULT_TIMEOUT = 60"] # each must appear in the file afterwards
//! lacks = ["DEFAULT_TIMEOUT = 30"]    # none may appear
//! exists = true                       # false: the file must be gone (default true)
//! ```
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use serde::Deserialize;

/// Where the tasks live.
pub fn tasks_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/edit_tasks")
}

/// One task, as read from its folder.
#[derive(Debug, Clone)]
pub struct Task {
    /// The folder's name, `NN-name`.
    pub id: String,
    /// The folder holding `task.toml` and `files/`.
    pub dir: PathBuf,
    pub spec: Spec,
}

/// `task.toml`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Spec {
    pub instruction: String,
    /// Attached with `--file`.
    #[serde(default)]
    pub files: Vec<String>,
    /// The files the edit is for; empty means `files`.
    #[serde(default)]
    pub targets: Vec<String>,
    #[serde(rename = "check")]
    pub checks: Vec<Check>,
}

/// What must hold for one file after the edit.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Check {
    pub path: String,
    #[serde(default)]
    pub contains: Vec<String>,
    #[serde(default)]
    pub lacks: Vec<String>,
    #[serde(default = "yes")]
    pub exists: bool,
}

fn yes() -> bool {
    true
}

impl Task {
    /// The fixture: the workspace before the edit.
    pub fn fixture(&self) -> PathBuf {
        self.dir.join("files")
    }

    /// The files the edit is for.
    pub fn targets(&self) -> &[String] {
        if self.spec.targets.is_empty() {
            &self.spec.files
        } else {
            &self.spec.targets
        }
    }

    /// Lines in the longest attached file: which side of the whole-file threshold it is on.
    pub fn longest_file_lines(&self) -> usize {
        self.spec
            .files
            .iter()
            .filter_map(|f| std::fs::read_to_string(self.fixture().join(f)).ok())
            .map(|t| t.lines().count())
            .max()
            .unwrap_or(0)
    }

    /// The language of the first target, from its extension: for the table.
    pub fn language(&self) -> &'static str {
        let ext = self
            .targets()
            .first()
            .and_then(|t| Path::new(t).extension())
            .and_then(|e| e.to_str())
            .unwrap_or("");
        match ext {
            "py" => "python",
            "rs" => "rust",
            "js" => "javascript",
            "ts" => "typescript",
            "go" => "go",
            "toml" => "toml",
            "md" => "markdown",
            _ => "other",
        }
    }

    /// Every failed condition of the checks against the workspace `root`; empty when the
    /// task's result is correct.
    pub fn failures(&self, root: &Path) -> Vec<String> {
        let mut out = Vec::new();
        for c in &self.spec.checks {
            let path = root.join(&c.path);
            match (std::fs::read_to_string(&path), c.exists) {
                (Ok(_), false) => out.push(format!("{} still exists", c.path)),
                (Err(_), false) => {}
                (Err(e), true) => out.push(format!("{} cannot be read: {e}", c.path)),
                (Ok(text), true) => {
                    for s in &c.contains {
                        if !text.contains(s.as_str()) {
                            out.push(format!("{} lacks {s:?}", c.path));
                        }
                    }
                    for s in &c.lacks {
                        if text.contains(s.as_str()) {
                            out.push(format!("{} still has {s:?}", c.path));
                        }
                    }
                }
            }
        }
        out
    }
}

/// Every task under `dir`, in folder-name order; an error names the task that is wrong.
pub fn load_all(dir: &Path) -> Result<Vec<Task>, String> {
    let entries = std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let mut tasks = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| format!("{}: {e}", dir.display()))?;
        if entry.path().is_dir() {
            tasks.push(load(&entry.path())?);
        }
    }
    tasks.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(tasks)
}

/// One task folder, validated: its attached files exist, and it has checks.
pub fn load(dir: &Path) -> Result<Task, String> {
    let id = dir
        .file_name()
        .and_then(|n| n.to_str())
        .ok_or_else(|| format!("{}: not a task folder name", dir.display()))?
        .to_owned();
    let file = dir.join("task.toml");
    let text = std::fs::read_to_string(&file).map_err(|e| format!("{}: {e}", file.display()))?;
    let spec: Spec = toml::from_str(&text).map_err(|e| format!("{}: {e}", file.display()))?;
    let task = Task {
        id,
        dir: dir.to_path_buf(),
        spec,
    };
    if task.spec.instruction.trim().is_empty() {
        return Err(format!("{}: the instruction is empty", task.id));
    }
    if task.spec.checks.is_empty() {
        return Err(format!("{}: no [[check]]", task.id));
    }
    if task.targets().is_empty() {
        return Err(format!("{}: neither files nor targets", task.id));
    }
    for f in &task.spec.files {
        if !task.fixture().join(f).is_file() {
            return Err(format!(
                "{}: files names {f}, which is not in files/",
                task.id
            ));
        }
    }
    Ok(task)
}

/// Copies the fixture's files into `to` (which exists), folders included.
pub fn copy_fixture(task: &Task, to: &Path) -> std::io::Result<()> {
    copy_dir(&task.fixture(), to)
}

fn copy_dir(from: &Path, to: &Path) -> std::io::Result<()> {
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let dest = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            std::fs::create_dir_all(&dest)?;
            copy_dir(&entry.path(), &dest)?;
        } else {
            std::fs::copy(entry.path(), &dest)?;
        }
    }
    Ok(())
}
