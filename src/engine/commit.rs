//! `/commit`: a commit message for the newest applied change set, written by the fast
//! server with the set's diff as context and shown before anything is committed; then the
//! commit of exactly the set's files.
//!
//! git runs with hooks off (`core.hooksPath=/dev/null`) and without an fsmonitor: a
//! workspace's hooks are code from the project, and CodeCrucible runs such code only in the
//! sandbox (DESIGN.md, "Acting on code").

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt as _;

use super::events::{Event, EventKind, RequestId};
use super::outbox::Outbox;
use super::Shared;
use crate::backend::{models, BackendId, ChatMessage, ChatRequest, Role, StreamEvent};
use crate::store::{EditSet, SessionId};

/// The most of the set's diff sent to the server: a commit message needs the gist, and a
/// small model's window is small.
const DIFF_CHARS: usize = 12_000;
/// A subject and a short body.
const MESSAGE_TOKENS: u32 = 160;
/// The most of the server's answer kept: a server that ignores `max_tokens` must not fill
/// memory with a "commit message".
const MESSAGE_BYTES: usize = 8 * 1024;
/// How long the server may take to write it.
const MESSAGE_BUDGET: Duration = Duration::from_secs(120);
/// The most of git's output kept for an error message.
const GIT_OUTPUT: usize = 2_000;

const PROMPT: &str = "Write a git commit message for the change below. The first line is a \
summary in the imperative mood, at most 72 characters. If more needs saying, add a blank \
line and a few short lines. Reply with the message only: no quotes, no code fences, no \
preamble.";

/// Answers `ProposeCommit` with a `commit_proposal` event.
pub async fn propose(
    shared: Arc<Shared>,
    events: Outbox,
    id: RequestId,
    dir: PathBuf,
    session: Option<SessionId>,
) {
    let kind = match proposal(&shared, &dir, session).await {
        Ok((set, message)) => EventKind::CommitProposal {
            set: Some(set.id),
            files: set.files.iter().map(|f| f.path.clone()).collect(),
            message,
            error: None,
        },
        Err(error) => EventKind::CommitProposal {
            set: None,
            files: Vec::new(),
            message: String::new(),
            error: Some(error),
        },
    };
    events.send(Event { id, kind }).await;
}

async fn proposal(
    shared: &Shared,
    dir: &Path,
    session: Option<SessionId>,
) -> Result<(EditSet, String), String> {
    let (root, key) = super::journal::workspace_key(dir)?;
    if !root.join(".git").exists() {
        return Err(format!(
            "{} is not a git repository, so there is nothing to commit to",
            root.display()
        ));
    }
    let history = shared
        .history
        .as_ref()
        .ok_or("the edit journal is unavailable, so there is no change set to commit")?;
    let set = history
        .writer
        .ask(move |s| s.undo_candidate(&key, session))
        .await
        .ok_or("the history writer has stopped")?
        .map_err(|e| e.0)?
        .ok_or_else(|| format!("no applied change in {} is left to commit", root.display()))?;
    let diff = set_diff(&set);
    let message = tokio::time::timeout(MESSAGE_BUDGET, write_message(shared, &diff))
        .await
        .map_err(|_| {
            format!(
                "the fast server did not write a message within {} s; \
                 `/commit YOUR MESSAGE` commits with yours",
                MESSAGE_BUDGET.as_secs()
            )
        })??;
    Ok((set, message))
}

/// The set's unified diff, cut to [`DIFF_CHARS`] at a line boundary.
fn set_diff(set: &EditSet) -> String {
    let mut out = String::new();
    for f in &set.files {
        let text =
            |c: &Option<Vec<u8>>| c.as_ref().map(|b| String::from_utf8_lossy(b).into_owned());
        let d = crate::edit::diff(
            &f.path,
            text(&f.before).as_deref(),
            text(&f.after).as_deref(),
        );
        out.push_str(&d.unified());
    }
    if out.len() > DIFF_CHARS {
        let cut = crate::text::short::head(&out, DIFF_CHARS)
            .rfind('\n')
            .map_or(0, |i| i + 1);
        out.truncate(cut);
        out.push_str("[the rest of the diff is left out]\n");
    }
    out
}

/// Asks the fast server (LM Studio's slot) for the message.
async fn write_message(shared: &Shared, diff: &str) -> Result<String, String> {
    let picked = shared.slot(BackendId::Lmstudio).pick_first(None, None);
    let slot = picked.slot;
    let unavailable = |e: crate::backend::BackendError| {
        format!(
            "{}; `/commit YOUR MESSAGE` commits with a message of yours",
            e.message
        )
    };
    slot.gate().map_err(unavailable)?;
    let info = slot.info().await.map_err(unavailable)?;
    let choice = models::choose(slot.id, slot.cfg.api, None, &slot.cfg.models, &info.models)
        .map_err(unavailable)?;
    let _permit = slot.acquire().await;
    let req = ChatRequest {
        model: choice.name,
        messages: vec![
            ChatMessage::new(Role::System, PROMPT),
            ChatMessage::new(Role::User, format!("```diff\n{diff}```")),
        ],
        temperature: Some(0.2),
        max_tokens: Some(MESSAGE_TOKENS),
        logprobs: false,
    };
    let mut stream = slot.backend.chat(req);
    let mut text = String::new();
    while let Some(item) = stream.next().await {
        match item {
            Ok(StreamEvent::Text(t)) => {
                text.push_str(&t);
                if text.len() >= MESSAGE_BYTES {
                    text.truncate(crate::text::short::head(&text, MESSAGE_BYTES).len());
                    break;
                }
            }
            Ok(_) => {}
            Err(e) => return Err(unavailable(e)),
        }
    }
    let message = tidy(&text);
    if message.is_empty() {
        return Err(
            "the fast server wrote no message; `/commit YOUR MESSAGE` commits with yours".into(),
        );
    }
    Ok(message)
}

/// The model's answer as a commit message: fences, quotes and terminal control characters
/// gone, the subject first, trailing blank lines dropped.
pub fn tidy(answer: &str) -> String {
    let clean = crate::text::terminal::clean(answer);
    let lines: Vec<&str> = clean
        .lines()
        .map(str::trim_end)
        .filter(|l| !l.trim_start().starts_with("```"))
        .collect();
    let start = lines
        .iter()
        .position(|l| !l.trim().is_empty())
        .unwrap_or(lines.len());
    let end = lines
        .iter()
        .rposition(|l| !l.trim().is_empty())
        .map_or(start, |i| i + 1);
    let mut body: Vec<String> = lines[start..end].iter().map(|l| (*l).to_owned()).collect();
    if let Some(first) = body.first_mut() {
        let subject = first.trim();
        let subject = subject
            .strip_prefix("Commit message:")
            .unwrap_or(subject)
            .trim()
            .trim_matches(|c| c == '"' || c == '\'' || c == '`')
            .trim();
        *first = subject.to_owned();
    }
    body.join("\n")
}

/// Answers `Commit` with a `committed` event.
pub async fn commit(
    events: Outbox,
    id: RequestId,
    dir: PathBuf,
    files: Vec<String>,
    message: String,
) {
    let job = tokio::task::spawn_blocking(move || git_commit(&dir, &files, &message)).await;
    let kind = match job {
        Ok(Ok(hash)) => EventKind::Committed {
            commit: Some(hash),
            error: None,
        },
        Ok(Err(e)) => EventKind::Committed {
            commit: None,
            error: Some(e),
        },
        Err(_) => EventKind::Committed {
            commit: None,
            error: Some("the commit failed unexpectedly".into()),
        },
    };
    events.send(Event { id, kind }).await;
}

/// Stages exactly `files` and commits them with `message`; returns the new commit's hash.
pub fn git_commit(dir: &Path, files: &[String], message: &str) -> Result<String, String> {
    let (root, _) = super::journal::workspace_key(dir)?;
    if !root.join(".git").exists() {
        return Err(format!("{} is not a git repository", root.display()));
    }
    let message = message.trim();
    if message.is_empty() {
        return Err("a commit needs a message".into());
    }
    if files.is_empty() {
        return Err("there are no files to commit".into());
    }
    for f in files {
        crate::edit::resolve(&root, f).map_err(|e| e.message)?;
    }
    // `add -A` stages deletions as well as new and changed files, of these paths only.
    git(&root, &["add", "-A", "--"], files)?;
    // `diff --cached --quiet` exits 1 when something is staged for these paths.
    if git(&root, &["diff", "--cached", "--quiet", "--"], files).is_ok() {
        return Err(format!(
            "{} {} already committed as {}; there is nothing to commit",
            files.join(", "),
            if files.len() == 1 { "is" } else { "are" },
            if files.len() == 1 {
                "it is"
            } else {
                "they are"
            },
        ));
    }
    git(&root, &["commit", "--quiet", "-m", message, "--"], files)?;
    let hash = git(&root, &["rev-parse", "HEAD"], &[])?;
    Ok(hash.trim().to_owned())
}

fn git(root: &Path, args: &[&str], paths: &[String]) -> Result<String, String> {
    let out = std::process::Command::new("git")
        .arg("-C")
        .arg(root)
        .args([
            "-c",
            "core.hooksPath=/dev/null",
            "-c",
            "core.fsmonitor=false",
        ])
        .args(args)
        .args(paths)
        .stdin(std::process::Stdio::null())
        .output()
        .map_err(|e| format!("git could not be run ({e}); is it installed?"))?;
    if out.status.success() {
        return Ok(String::from_utf8_lossy(&out.stdout).into_owned());
    }
    // git says some failures on stdout ("nothing to commit").
    let said = if out.stderr.iter().all(u8::is_ascii_whitespace) {
        String::from_utf8_lossy(&out.stdout)
    } else {
        String::from_utf8_lossy(&out.stderr)
    };
    let said = crate::text::terminal::clean(said.trim());
    let said: String = said.chars().take(GIT_OUTPUT).collect();
    Err(format!("git {} failed: {said}", args[0]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_chatty_answer_becomes_a_plain_message() {
        let got = tidy("```\nCommit message: \"Fix the sum\"\n\nAdd instead of subtract.\n```\n\n");
        assert_eq!(got, "Fix the sum\n\nAdd instead of subtract.");
        assert!(!tidy("\x1b[31mFix\x1b[0m it\n").contains('\x1b'));
        assert_eq!(tidy("  \n```\n```"), "");
    }
}
