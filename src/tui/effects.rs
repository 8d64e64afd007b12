//! Side effects the app asks for, carried out off the draw path: copying a code block
//! (OSC 52, which works over SSH and in tmux, plus the system clipboard tool where there
//! is one) and saving one to a file (never overwriting silently).

use std::io::Write;
use std::process::{Command, Stdio};

use std::sync::Arc;

use tokio::sync::mpsc::UnboundedSender;

use crate::store::{BrowseRow, SessionId, Store, StoredDecision, StoredMessage};

/// Work with side effects the runner carries out off the draw path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    Copy(String),
    Save {
        path: String,
        text: String,
        overwrite: bool,
    },
    MouseCapture(bool),
    /// Sessions matching a filter, for the browser.
    Browse {
        filter: String,
        generation: u64,
    },
    Preview(SessionId),
    Resume(SessionId),
    Export(SessionId),
    /// The workspace's file list, for `@` completion.
    Index(std::path::PathBuf),
}

impl Reply {
    /// The completions for these workspace files: the files, and each folder holding one
    /// (as `dir/`, which `@` and `/add` attach whole).
    pub fn indexed(files: Vec<String>) -> Reply {
        let mut folders = std::collections::BTreeSet::new();
        for f in &files {
            let mut at = f.as_str();
            while let Some((dir, _)) = at.rsplit_once('/') {
                if !folders.insert(format!("{dir}/")) {
                    break; // its parents are in already
                }
                at = dir;
            }
        }
        let mut paths = files;
        paths.extend(folders);
        Reply::Indexed(Box::new(crate::workspace::complete::Completer::new(paths)))
    }
}

/// What the runner's background work reports back.
#[derive(Debug)]
pub enum Reply {
    Rows {
        generation: u64,
        rows: Result<Vec<BrowseRow>, String>,
    },
    Preview(Result<Preview, String>),
    Resume {
        id: SessionId,
        turns: Result<Vec<crate::backend::ChatMessage>, String>,
    },
    Exported(Result<String, String>),
    /// The workspace's files and folders, relative to its root, ready to complete. Built off
    /// the draw path: 30–90 ms for 100,000 paths (benches/workspace.rs).
    Indexed(Box<crate::workspace::complete::Completer>),
    Saved {
        path: String,
        /// What was to be saved, for asking again before overwriting.
        text: String,
        result: Result<(), SaveError>,
    },
}

/// A stored session as the browser previews it: its messages, drafts included, its
/// routing decisions, and what it changed or ran (the audit trail's entries for it).
#[derive(Debug, Clone)]
pub struct Preview {
    pub id: SessionId,
    pub messages: Vec<StoredMessage>,
    pub decisions: Vec<StoredDecision>,
    pub operations: Vec<crate::store::AuditEntry>,
}

/// The most of a session's operations the preview lists (the newest).
const PREVIEW_OPERATIONS: usize = 50;

/// How saving a code block can fail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SaveError {
    Exists,
    Failed(String),
}

/// How many sessions the browser lists.
const BROWSE_LIMIT: usize = 200;

/// Carries out an effect: at once for the clipboard, on the blocking pool for disk
/// and database work, whose reply comes back on `done`.
pub fn run(effect: Effect, store: Option<Arc<Store>>, done: &UnboundedSender<Reply>) {
    match effect {
        Effect::Copy(text) => {
            osc52(&text);
            std::thread::spawn(move || system_clipboard(&text));
        }
        // The loop sends it to the terminal it draws on.
        Effect::MouseCapture(_) => {}
        work => {
            let done = done.clone();
            tokio::task::spawn_blocking(move || {
                if let Some(reply) = perform(work, store.as_deref()) {
                    let _ = done.send(reply);
                }
            });
        }
    }
}

/// Does the disk or database work of an effect and says how it went (`None` for the
/// terminal effects, and for history work without a history).
pub fn perform(effect: Effect, store: Option<&Store>) -> Option<Reply> {
    match effect {
        Effect::Save {
            path,
            text,
            overwrite,
        } => {
            let result = save(&path, &text, overwrite);
            Some(Reply::Saved { path, text, result })
        }
        Effect::Browse { filter, generation } => {
            let rows = store?.browse(&filter, BROWSE_LIMIT).map_err(|e| e.0);
            Some(Reply::Rows { generation, rows })
        }
        Effect::Preview(id) => Some(Reply::Preview(preview(store?, id))),
        Effect::Resume(id) => {
            let turns = match store?.prior_turns(id) {
                Ok(Some(t)) => Ok(t),
                Ok(None) => Err(format!("Session {id} is gone")),
                Err(e) => Err(e.0),
            };
            Some(Reply::Resume { id, turns })
        }
        Effect::Export(id) => Some(Reply::Exported(export(store?, id))),
        Effect::Index(root) => {
            let index = crate::workspace::Index::build(&root, Default::default());
            let files = index.files().iter().map(|f| f.rel.clone()).collect();
            Some(Reply::indexed(files))
        }
        Effect::Copy(_) | Effect::MouseCapture(_) => None,
    }
}

fn preview(s: &Store, id: SessionId) -> Result<Preview, String> {
    let (_, messages) = s
        .session(id)
        .map_err(|e| e.0)?
        .ok_or_else(|| format!("Session {id} is gone"))?;
    let decisions = s.decisions(id).map_err(|e| e.0)?;
    let operations = s
        .audit_entries(None, Some(id), PREVIEW_OPERATIONS)
        .map_err(|e| e.0)?;
    Ok(Preview {
        id,
        messages,
        decisions,
        operations,
    })
}

/// Writes `session-ID.md` in the current directory, never over an existing file.
fn export(s: &Store, id: SessionId) -> Result<String, String> {
    let (head, messages) = s
        .session(id)
        .map_err(|e| e.0)?
        .ok_or_else(|| format!("Session {id} is gone"))?;
    let text = crate::store::export::markdown(&head.title, &messages);
    let path = format!("session-{id}.md");
    match save_private(&path, &text) {
        Ok(()) => Ok(path),
        Err(SaveError::Exists) => Err(format!(
            "{path} already exists; move it away to export again"
        )),
        Err(SaveError::Failed(e)) => Err(format!("Could not write {path}: {e}")),
    }
}

/// Writes the file; an existing one only when the user confirmed.
pub fn save(path: &str, text: &str, overwrite: bool) -> Result<(), SaveError> {
    write_file(std::fs::OpenOptions::new(), path, text, overwrite)
}

/// Like [`save`], but a new file is 0600: an export holds a whole conversation.
fn save_private(path: &str, text: &str) -> Result<(), SaveError> {
    write_file(crate::private::options(), path, text, false)
}

/// `~` and `~/…` as the shell means them: the home directory.
fn expand_home(path: &str, home: Option<&std::path::Path>) -> std::path::PathBuf {
    match (path.strip_prefix('~'), home) {
        (Some(""), Some(h)) => h.to_path_buf(),
        (Some(rest), Some(h)) if rest.starts_with('/') => h.join(&rest[1..]),
        _ => std::path::PathBuf::from(path),
    }
}

fn write_file(
    mut opts: std::fs::OpenOptions,
    path: &str,
    text: &str,
    overwrite: bool,
) -> Result<(), SaveError> {
    let home = std::env::var_os("HOME").map(std::path::PathBuf::from);
    let path = expand_home(path, home.as_deref());
    opts.write(true);
    if overwrite {
        opts.create(true).truncate(true);
    } else {
        opts.create_new(true);
    }
    let mut file = opts.open(&path).map_err(|e| match e.kind() {
        std::io::ErrorKind::AlreadyExists => SaveError::Exists,
        _ => SaveError::Failed(e.to_string()),
    })?;
    file.write_all(text.as_bytes())
        .map_err(|e| SaveError::Failed(e.to_string()))
}

/// The terminal's clipboard escape: `ESC ] 52 ; c ; base64 BEL`.
fn osc52(text: &str) {
    let seq = format!("\x1b]52;c;{}\x07", base64(text.as_bytes()));
    let mut out = std::io::stdout();
    let _ = out.write_all(seq.as_bytes());
    let _ = out.flush();
}

/// The first clipboard tool found; none is fine (OSC 52 already did the job).
fn system_clipboard(text: &str) {
    let tools: [(&str, &[&str]); 4] = [
        ("wl-copy", &[]),
        ("xclip", &["-selection", "clipboard"]),
        ("xsel", &["--clipboard", "--input"]),
        ("pbcopy", &[]),
    ];
    for (tool, args) in tools {
        let child = Command::new(tool)
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn();
        if let Ok(mut child) = child {
            if let Some(mut stdin) = child.stdin.take() {
                let _ = stdin.write_all(text.as_bytes());
            }
            let _ = child.wait();
            return;
        }
    }
}

fn base64(bytes: &[u8]) -> String {
    const ABC: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ABC[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tilde_is_the_home_directory() {
        let home = std::path::Path::new("/home/ada");
        assert_eq!(expand_home("~/x.rs", Some(home)), home.join("x.rs"));
        assert_eq!(expand_home("~", Some(home)), home.to_path_buf());
        assert_eq!(
            expand_home("~bob/x.rs", Some(home)),
            std::path::PathBuf::from("~bob/x.rs")
        );
        assert_eq!(
            expand_home("src/~x.rs", Some(home)),
            std::path::PathBuf::from("src/~x.rs")
        );
        assert_eq!(
            expand_home("~/x.rs", None),
            std::path::PathBuf::from("~/x.rs")
        );
    }

    #[test]
    fn base64_matches_the_standard() {
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foo"), "Zm9v");
        assert_eq!(base64(b"foobar"), "Zm9vYmFy");
    }

    #[test]
    fn saving_never_overwrites_without_leave() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.rs");
        let p = path.to_str().unwrap();
        assert_eq!(save(p, "one", false), Ok(()));
        assert_eq!(save(p, "two", false), Err(SaveError::Exists));
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "one");
        assert_eq!(save(p, "two", true), Ok(()));
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "two");
    }
}
