//! The session's workspace files as the app sees them: what `/add` and `/drop` will change
//! with the next message, what the engine said it sent last (its `context` event), and a
//! message held back because it named a secret file, waiting for the user's yes. The
//! engine owns the set itself (DESIGN.md, "The engine owns the conversation").

use std::path::PathBuf;
use std::time::{Duration, Instant};

use crate::engine::{ContextCounts, ContextItem, FileRef, FilesRequest, Source};
use crate::text::short::{count, counted};

#[derive(Debug, Default)]
pub struct Files {
    /// The workspace's root; `None` when none could be found.
    pub root: Option<PathBuf>,
    /// `/add`s not yet sent.
    pending: Vec<FileRef>,
    /// `/drop`s not yet sent.
    drops: Vec<String>,
    /// The files the last request considered.
    pub last: Vec<ContextItem>,
    /// The inspector's line for the last request, e.g. "context 3.1k / 4.1k: 2 files".
    pub line: Option<String>,
    /// A message refused because it named a secret file: sent again with consent on `y`.
    pub secret_retry: Option<String>,
    /// When the file list for `@` completion was last asked for, and whether it is still
    /// being read.
    index_asked: Option<Instant>,
    indexing: bool,
}

/// A file list older than this is read again when the user starts typing a path, so files
/// made since (in an editor, by a build) can be completed. Reading 100,000 paths takes
/// about 130 ms off the draw path (benches/workspace.rs).
const INDEX_FRESH: Duration = Duration::from_secs(3);

impl Files {
    pub fn new(root: Option<PathBuf>) -> Self {
        Self {
            root,
            ..Self::default()
        }
    }

    /// Notes that the file list is being read (at `now`); `false` without a workspace.
    pub fn index_asked(&mut self, now: Instant) -> bool {
        if self.root.is_none() {
            return false;
        }
        self.index_asked = Some(now);
        self.indexing = true;
        true
    }

    /// The file list arrived.
    pub fn indexed(&mut self) {
        self.indexing = false;
    }

    /// Whether to read the file list again before completing a path at `now`: it is older
    /// than [`INDEX_FRESH`] and not being read already.
    pub fn index_stale(&self, now: Instant) -> bool {
        self.root.is_some()
            && !self.indexing
            && self
                .index_asked
                .is_none_or(|at| now.saturating_duration_since(at) > INDEX_FRESH)
    }

    /// `/add`: queued for the next message. Returns the notice.
    pub fn add(&mut self, paths: &[String]) -> String {
        for p in paths {
            let f = FileRef::parse(p);
            self.drops.retain(|d| *d != f.path && *d != f.label());
            if !self.pending.contains(&f) {
                self.pending.push(f);
            }
        }
        format!(
            "{} will be attached with your next message",
            paths.join(", ")
        )
    }

    /// `/drop`: queued for the next message. Returns the notice.
    pub fn drop_paths(&mut self, paths: &[String]) -> String {
        for p in paths {
            self.pending.retain(|f| f.path != *p && f.label() != *p);
            if !self.drops.contains(p) {
                self.drops.push(p.clone());
            }
        }
        format!(
            "{} will be left out from your next message on",
            paths.join(", ")
        )
    }

    /// `/files`: the session's files as last sent, and what is queued.
    pub fn list(&self) -> String {
        let mut lines = Vec::new();
        for i in &self.last {
            let state = match (&i.dropped, i.changed) {
                (Some(why), _) => format!("left out: {why}"),
                (None, true) => "sent, changed since attached".to_owned(),
                (None, false) => "sent".to_owned(),
            };
            let from = match i.source {
                Source::Attached => "attached",
                Source::Session => "session",
                Source::Named => "named in the prompt",
                Source::Map => "ranked by relevance",
            };
            lines.push(format!(
                "  {} ({from}, ~{} tokens): {state}",
                i.path, i.tokens
            ));
        }
        for f in &self.pending {
            lines.push(format!("  {}: attached with your next message", f.label()));
        }
        for d in &self.drops {
            lines.push(format!("  {d}: dropped with your next message"));
        }
        if lines.is_empty() {
            return "No files attached. Type @path in a message, or /add PATH.".into();
        }
        let root = self
            .root
            .as_ref()
            .map_or(String::new(), |r| format!(" in {}", r.display()));
        format!("Files{root}:\n{}", lines.join("\n"))
    }

    /// What the next message brings; the queue empties.
    pub fn request(&mut self, allow_secrets: bool) -> FilesRequest {
        FilesRequest {
            dir: self.root.clone(),
            files: std::mem::take(&mut self.pending),
            allow_secrets,
            drop: std::mem::take(&mut self.drops),
        }
    }

    /// The engine's `context` event.
    pub fn on_context(&mut self, budget: u64, used: u64, items: Vec<ContextItem>) {
        let counts = ContextCounts::of(&items);
        let (sent, dropped) = (counts.sent, counts.dropped);
        let mut line = format!(
            "context {} / {}: {}",
            count(used),
            count(budget),
            counted(sent, "file")
        );
        if dropped > 0 {
            line += &format!(" ({dropped} dropped)");
        }
        if let Some((shown, left, included)) = counts.map {
            line += &if included {
                format!(", map {} ({left} dropped)", counted(shown, "file"))
            } else {
                ", map left out".to_owned()
            };
        }
        self.line = Some(line);
        self.last = items;
    }

    /// A new session starts with no files.
    pub fn forget_session(&mut self) {
        self.pending.clear();
        self.drops.clear();
        self.last.clear();
        self.line = None;
        self.secret_retry = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(path: &str, tokens: u64, included: bool) -> ContextItem {
        ContextItem {
            path: path.into(),
            source: Source::Attached,
            tokens,
            included,
            changed: false,
            dropped: (!included).then(|| "needs about 9000 tokens".into()),
            map: None,
        }
    }

    #[test]
    fn adds_and_drops_go_with_the_next_message_once() {
        let mut f = Files::new(Some("/w".into()));
        f.add(&["src/a.rs".into(), "src/b.rs:4-9".into()]);
        f.drop_paths(&["src/a.rs".into(), "old.rs".into()]);
        let r = f.request(false);
        assert_eq!(r.files, [FileRef::parse("src/b.rs:4-9")]);
        assert_eq!(r.drop, ["src/a.rs", "old.rs"]);
        assert_eq!(r.dir.as_deref(), Some(std::path::Path::new("/w")));
        let again = f.request(false);
        assert!(again.files.is_empty() && again.drop.is_empty());
    }

    #[test]
    fn the_context_line_counts_what_went_in() {
        let mut f = Files::default();
        f.on_context(
            4100,
            3100,
            vec![
                item("a.rs", 1000, true),
                item("b.rs", 2100, true),
                item("big.rs", 9000, false),
            ],
        );
        assert_eq!(
            f.line.as_deref(),
            Some("context 3.1k / 4.1k: 2 files (1 dropped)")
        );
        let list = f.list();
        assert!(
            list.contains("big.rs (attached, ~9000 tokens): left out"),
            "{list}"
        );
    }
}
