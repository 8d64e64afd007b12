//! The session store: one SQLite database (WAL) in the data dir holding sessions, their
//! messages (partial and draft ones too, marked as such) and routing decisions, with
//! full-text search over every message. Written as things happen, so a crash or a kill
//! leaves a readable history.
//! The same database keeps the router's learning statistics, the response cache, and the
//! edit journal that undo and redo read (see `journal`).

mod audit;
mod browse;
mod cache;
mod decision;
pub mod export;
mod files;
mod journal;
mod learning;
mod metrics;
mod schema;

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rusqlite::{params, Connection, OptionalExtension};
use serde::Serialize;

pub use audit::{AuditCheck, AuditEntry};
pub use browse::BrowseRow;
pub use cache::{CacheLimits, CachedAnswer};
pub use decision::{DecisionKind, Verdict};
pub use files::{CachedTags, SessionFile};
pub use journal::{
    content_sha256, EditFile, EditSet, EditSetId, EditSetSummary, EditState, JournalFile,
    JOURNAL_KEEP_PER_ROOT, MAX_JOURNAL_FILE_BYTES, MAX_JOURNAL_SET_BYTES,
};
pub use learning::Observation;
pub use metrics::{parse_duration_ms, BackendMetrics, LearningProgress, Metrics, RoutingMetrics};
pub use schema::SCHEMA_VERSION;

pub type SessionId = i64;

/// Which stored session a run belongs to: a new one, one named by `--resume ID`, or the
/// latest (`--continue`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionChoice {
    New,
    Resume(SessionId),
    Continue,
}
pub type MessageId = i64;

/// A storage problem, phrased for the user.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{0}")]
pub struct StoreError(pub String);

impl StoreError {
    fn from_sqlite(what: &str, e: &rusqlite::Error) -> Self {
        let detail = e.to_string();
        let hint = if detail.contains("full") {
            " — the disk is full; free some space"
        } else if detail.contains("locked") || detail.contains("busy") {
            " — another CodeCrucible is holding the database; try again"
        } else {
            ""
        };
        StoreError(format!(
            "could not {what} in the history database ({detail}){hint}"
        ))
    }
}

/// Where a message stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Finished and final.
    Complete,
    /// Still streaming (what a crash leaves behind).
    Streaming,
    /// Cut short: cancelled, or the server died.
    Partial,
    /// A hybrid draft that a quality answer replaced or is judging.
    Draft,
}

impl Status {
    fn as_str(self) -> &'static str {
        match self {
            Status::Complete => "complete",
            Status::Streaming => "streaming",
            Status::Partial => "partial",
            Status::Draft => "draft",
        }
    }

    fn parse(s: &str) -> Status {
        match s {
            "streaming" => Status::Streaming,
            "partial" => Status::Partial,
            "draft" => Status::Draft,
            _ => Status::Complete,
        }
    }
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct SessionSummary {
    pub id: SessionId,
    pub title: String,
    pub voice: Option<String>,
    pub created_at_ms: i64,
    pub updated_at_ms: i64,
    pub messages: i64,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct StoredMessage {
    pub id: MessageId,
    pub role: String,
    pub content: String,
    pub status: Status,
    pub backend: Option<String>,
    pub model: Option<String>,
    pub created_at_ms: i64,
}

/// A routing decision, confidence report, escalation, outcome or feedback, as recorded.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct StoredDecision {
    pub id: i64,
    /// The answer it concerns, when there was one yet.
    pub message_id: Option<MessageId>,
    pub kind: DecisionKind,
    pub data: serde_json::Value,
    pub created_at_ms: i64,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct SearchHit {
    pub session_id: SessionId,
    pub message_id: MessageId,
    pub title: String,
    pub snippet: String,
}

pub struct Store {
    conn: Mutex<Connection>,
    path: Option<PathBuf>,
}

/// How long a writer waits for another process's transaction before giving up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

impl Store {
    /// Opens (creating if needed) the database at `path` and brings its schema up to date.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            crate::private::create_dir(dir).map_err(|e| {
                StoreError(format!(
                    "cannot create the data directory {}: {e}",
                    dir.display()
                ))
            })?;
        }
        // Created 0600 before SQLite opens it: its -wal and -shm files take the database
        // file's mode. One an earlier version made readable is tightened.
        let made = crate::private::options()
            .write(true)
            .create(true)
            .truncate(false)
            .open(path)
            .and_then(|_| crate::private::restrict(path));
        if let Err(e) = made {
            return Err(StoreError(format!(
                "cannot open the history database {}: {e}",
                path.display()
            )));
        }
        let conn = Connection::open(path).map_err(|e| {
            StoreError(format!(
                "cannot open the history database {}: {e}",
                path.display()
            ))
        })?;
        let store = Self::prepare(conn, Some(path.to_path_buf())).map_err(|e| {
            StoreError(format!(
                "the history database {p} cannot be used ({e}); if it is damaged, move it away \
                 (`mv {p} {p}.broken`) and a new one is started",
                p = path.display()
            ))
        })?;
        for side in ["-wal", "-shm"] {
            let mut p = path.as_os_str().to_owned();
            p.push(side);
            let _ = crate::private::restrict(Path::new(&p));
        }
        Ok(store)
    }

    /// A private in-memory store (for tests and `history.enabled = false` style use).
    pub fn in_memory() -> Result<Store, StoreError> {
        let conn = Connection::open_in_memory()
            .map_err(|e| StoreError::from_sqlite("open an in-memory database", &e))?;
        Self::prepare(conn, None)
    }

    fn prepare(mut conn: Connection, path: Option<PathBuf>) -> Result<Store, StoreError> {
        conn.busy_timeout(BUSY_TIMEOUT)
            .map_err(|e| StoreError::from_sqlite("set the busy timeout", &e))?;
        // WAL lets a reader (another instance, the history browser) work while a stream
        // is written; NORMAL sync is durable across a process kill, which is what we need.
        wal(&conn)?;
        conn.execute_batch("PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;")
            .map_err(|e| StoreError::from_sqlite("configure the database", &e))?;
        schema::migrate(&mut conn)?;
        Ok(Store {
            conn: Mutex::new(conn),
            path,
        })
    }

    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    fn with<T>(
        &self,
        what: &str,
        f: impl FnOnce(&Connection) -> rusqlite::Result<T>,
    ) -> Result<T, StoreError> {
        let conn = self.conn.lock().map_err(|_| {
            StoreError(
                "the history database is unusable after an earlier crash in this process".into(),
            )
        })?;
        f(&conn).map_err(|e| StoreError::from_sqlite(what, &e))
    }

    /// Starts a session titled after its first prompt.
    pub fn create_session(
        &self,
        first_prompt: &str,
        voice: Option<&str>,
    ) -> Result<SessionId, StoreError> {
        let now = now_ms();
        let title = title_from(first_prompt);
        self.with("create a session", |c| {
            c.execute(
                "INSERT INTO sessions (created_at, updated_at, title, voice)
                 VALUES (?1, MAX(?1, IFNULL((SELECT MAX(updated_at) FROM sessions), 0) + 1), ?2, ?3)",
                params![now, title, voice],
            )?;
            Ok(c.last_insert_rowid())
        })
    }

    /// Adds a message to a session.
    pub fn add_message(
        &self,
        session: SessionId,
        role: &str,
        content: &str,
        status: Status,
        backend: Option<&str>,
        model: Option<&str>,
    ) -> Result<MessageId, StoreError> {
        let now = now_ms();
        self.with("save a message", |c| {
            c.execute(
                "INSERT INTO messages (session_id, role, content, status, backend, model, created_at, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7)",
                params![session, role, content, status.as_str(), backend, model, now],
            )?;
            let id = c.last_insert_rowid();
            // Later than every session's, so "newest first" holds within one millisecond.
            c.execute(
                "UPDATE sessions SET updated_at = MAX(?2, (SELECT MAX(updated_at) FROM sessions) + 1) WHERE id = ?1",
                params![session, now],
            )?;
            Ok(id)
        })
    }

    /// Replaces a message's text and status (a streaming answer's periodic flush, or its end).
    pub fn update_message(
        &self,
        id: MessageId,
        content: &str,
        status: Status,
    ) -> Result<(), StoreError> {
        let now = now_ms();
        self.with("save an answer", |c| {
            c.execute(
                "UPDATE messages SET content = ?2, status = ?3, updated_at = ?4 WHERE id = ?1",
                params![id, content, status.as_str(), now],
            )
            .map(|_| ())
        })
    }

    /// Records a routing decision, confidence report or escalation as JSON.
    pub fn record_decision(
        &self,
        session: SessionId,
        message: Option<MessageId>,
        kind: DecisionKind,
        json: &str,
    ) -> Result<(), StoreError> {
        let now = now_ms();
        self.with("save a routing decision", |c| {
            c.execute(
                "INSERT INTO decisions (session_id, message_id, kind, data, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![session, message, kind, json, now],
            )
            .map(|_| ())
        })
    }

    /// A session's decisions in the order they were made.
    pub fn decisions(&self, session: SessionId) -> Result<Vec<StoredDecision>, StoreError> {
        self.with("read a session's decisions", |c| {
            let mut stmt = c.prepare_cached(
                "SELECT id, message_id, kind, data, created_at FROM decisions
                 WHERE session_id = ?1 ORDER BY id",
            )?;
            let rows = stmt.query_map(params![session], |r| {
                let data: String = r.get(3)?;
                let kind: String = r.get(2)?;
                let Ok(kind) = kind.parse() else {
                    return Ok(None);
                };
                Ok(Some(StoredDecision {
                    id: r.get(0)?,
                    message_id: r.get(1)?,
                    kind,
                    data: serde_json::from_str(&data).unwrap_or(serde_json::Value::Null),
                    created_at_ms: r.get(4)?,
                }))
            })?;
            // A kind this version does not know (written by a newer one) is left out.
            rows.filter_map(Result::transpose).collect()
        })
    }

    /// Records feedback on a session's latest answer. Returns the answer's message id.
    pub fn record_feedback(
        &self,
        session: SessionId,
        verdict: Verdict,
    ) -> Result<MessageId, StoreError> {
        let answer: Option<MessageId> = self.with("find the answer", |c| {
            c.query_row(
                "SELECT id FROM messages WHERE session_id = ?1 AND role = 'assistant' AND status = 'complete' ORDER BY id DESC LIMIT 1",
                params![session],
                |r| r.get(0),
            )
            .optional()
        })?;
        let id = answer.ok_or_else(|| {
            StoreError(format!("session {session} has no finished answer to rate"))
        })?;
        let json = serde_json::json!({ "message_id": id, "verdict": verdict }).to_string();
        self.record_decision(session, Some(id), DecisionKind::Feedback, &json)?;
        Ok(id)
    }

    /// The newest sessions first.
    pub fn list_sessions(&self, limit: usize) -> Result<Vec<SessionSummary>, StoreError> {
        self.with("list sessions", |c| {
            let mut stmt = c.prepare_cached(
                "SELECT s.id, s.title, s.voice, s.created_at, s.updated_at,
                        (SELECT COUNT(*) FROM messages m WHERE m.session_id = s.id)
                 FROM sessions s ORDER BY s.updated_at DESC, s.id DESC LIMIT ?1",
            )?;
            let rows = stmt.query_map(params![limit as i64], summary)?;
            rows.collect()
        })
    }

    /// A session and all its messages in order, or `None` when there is no such session.
    pub fn session(
        &self,
        id: SessionId,
    ) -> Result<Option<(SessionSummary, Vec<StoredMessage>)>, StoreError> {
        self.with("read a session", |c| {
            let head = c
                .query_row(
                    "SELECT s.id, s.title, s.voice, s.created_at, s.updated_at,
                            (SELECT COUNT(*) FROM messages m WHERE m.session_id = s.id)
                     FROM sessions s WHERE s.id = ?1",
                    params![id],
                    summary,
                )
                .optional()?;
            let Some(head) = head else { return Ok(None) };
            let mut stmt = c.prepare_cached(
                "SELECT id, role, content, status, backend, model, created_at FROM messages WHERE session_id = ?1 ORDER BY id",
            )?;
            let messages = stmt
                .query_map(params![id], |r| {
                    Ok(StoredMessage {
                        id: r.get(0)?,
                        role: r.get(1)?,
                        content: r.get(2)?,
                        status: Status::parse(&r.get::<_, String>(3)?),
                        backend: r.get(4)?,
                        model: r.get(5)?,
                        created_at_ms: r.get(6)?,
                    })
                })?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(Some((head, messages)))
        })
    }

    /// Full-text search over every message, best matches first.
    pub fn search(&self, text: &str, limit: usize) -> Result<Vec<SearchHit>, StoreError> {
        let query = fts_query(text);
        if query.is_empty() {
            return Ok(Vec::new());
        }
        self.with("search the history", |c| {
            let mut stmt = c.prepare_cached(
                "SELECT m.session_id, m.id, s.title, snippet(messages_fts, 0, '[', ']', '…', 12)
                 FROM messages_fts JOIN messages m ON m.id = messages_fts.rowid
                 JOIN sessions s ON s.id = m.session_id
                 WHERE messages_fts MATCH ?1 ORDER BY rank LIMIT ?2",
            )?;
            let rows = stmt.query_map(params![query, limit as i64], |r| {
                Ok(SearchHit {
                    session_id: r.get(0)?,
                    message_id: r.get(1)?,
                    title: r.get(2)?,
                    snippet: r.get(3)?,
                })
            })?;
            rows.collect()
        })
    }

    /// Deletes sessions not written to for `days` days (0 keeps everything).
    pub fn apply_retention(&self, days: u64) -> Result<usize, StoreError> {
        if days == 0 {
            return Ok(0);
        }
        let cutoff = now_ms() - (days as i64) * 86_400_000;
        self.with("apply the retention period", |c| {
            c.execute(
                "DELETE FROM sessions WHERE updated_at < ?1",
                params![cutoff],
            )
        })
    }

    /// The turns to send when a session is carried on: user messages and final answers,
    /// in order; drafts and cut-short answers are left out. `None` when there is no such
    /// session.
    pub fn prior_turns(
        &self,
        id: SessionId,
    ) -> Result<Option<Vec<crate::backend::ChatMessage>>, StoreError> {
        use crate::backend::{ChatMessage, Role};
        let Some((_, messages)) = self.session(id)? else {
            return Ok(None);
        };
        let turns = messages
            .into_iter()
            .filter(|m| m.status == Status::Complete)
            .filter_map(|m| {
                let role = match m.role.as_str() {
                    "user" => Role::User,
                    "assistant" => Role::Assistant,
                    _ => return None,
                };
                Some(ChatMessage::new(role, m.content))
            })
            .collect();
        Ok(Some(turns))
    }

    /// The server and model that gave the session's latest final answer, as stored
    /// (`lmstudio`/`ollama`), for a follow-up to go back to (its cache holds the prefix).
    pub fn last_served(
        &self,
        id: SessionId,
    ) -> Result<Option<(String, Option<String>)>, StoreError> {
        self.with("read a session's last answer", |c| {
            c.query_row(
                "SELECT backend, model FROM messages
                 WHERE session_id = ?1 AND role = 'assistant' AND status = ?2 AND backend IS NOT NULL
                 ORDER BY id DESC LIMIT 1",
                params![id, Status::Complete.as_str()],
                |r| Ok((r.get::<_, String>(0)?, r.get::<_, Option<String>>(1)?)),
            )
            .optional()
        })
    }

    /// The session a run carries on and its earlier turns (see [`Store::prior_turns`]);
    /// `None` for a new session. Errors say which session is missing.
    pub fn carry_on(
        &self,
        choice: SessionChoice,
    ) -> Result<Option<(SessionId, Vec<crate::backend::ChatMessage>)>, StoreError> {
        let id = match choice {
            SessionChoice::New => return Ok(None),
            SessionChoice::Resume(id) => id,
            SessionChoice::Continue => self.latest_session()?.ok_or_else(|| {
                StoreError("there is no earlier session to continue; `codecrucible sessions list` shows them".into())
            })?,
        };
        let turns = self.prior_turns(id)?.ok_or_else(|| {
            StoreError(format!(
                "there is no session {id}; `codecrucible sessions list` shows them"
            ))
        })?;
        Ok(Some((id, turns)))
    }

    /// The history database in the data dir (`CODECRUCIBLE_DATA_DIR` or the platform's),
    /// with the retention period applied; `None` when history is off.
    pub fn open_history(config: &crate::config::Config) -> Result<Option<Store>, StoreError> {
        if !config.history.enabled {
            return Ok(None);
        }
        let dir = crate::config::load::data_dir().map_err(|e| StoreError(e.0))?;
        let store = Store::open(&dir.join("history.db"))?;
        store.apply_retention(config.history.retention_days)?;
        Ok(Some(store))
    }

    /// The most recently written session, for `--continue`.
    pub fn latest_session(&self) -> Result<Option<SessionId>, StoreError> {
        Ok(self.list_sessions(1)?.first().map(|s| s.id))
    }

    /// Deletes a session with its messages and decisions; false when it did not exist.
    pub fn delete_session(&self, id: SessionId) -> Result<bool, StoreError> {
        self.with("delete a session", |c| {
            c.execute("DELETE FROM sessions WHERE id = ?1", params![id])
                .map(|n| n > 0)
        })
    }
}

/// Switches to WAL. Another instance switching the same new file at the same moment makes
/// this fail with "locked" for a moment; it is retried, and a database already in WAL is fine.
fn wal(conn: &Connection) -> Result<(), StoreError> {
    let mut last = None;
    for _ in 0..50 {
        match conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get::<_, String>(0)) {
            Ok(mode) if mode.eq_ignore_ascii_case("wal") || mode.eq_ignore_ascii_case("memory") => {
                return Ok(())
            }
            Ok(mode) => last = Some(rusqlite::Error::InvalidParameterName(mode)),
            // Only another instance switching the file at the same moment is worth waiting
            // for; a damaged file stays damaged.
            Err(e) if is_busy(&e) => last = Some(e),
            Err(e) => return Err(StoreError::from_sqlite("read the database", &e)),
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let e = last.unwrap_or(rusqlite::Error::InvalidQuery);
    Err(StoreError::from_sqlite(
        "switch the database to write-ahead logging",
        &e,
    ))
}

fn is_busy(e: &rusqlite::Error) -> bool {
    matches!(
        e.sqlite_error_code(),
        Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked)
    )
}

fn summary(r: &rusqlite::Row<'_>) -> rusqlite::Result<SessionSummary> {
    Ok(SessionSummary {
        id: r.get(0)?,
        title: r.get(1)?,
        voice: r.get(2)?,
        created_at_ms: r.get(3)?,
        updated_at_ms: r.get(4)?,
        messages: r.get(5)?,
    })
}

pub(crate) fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// A session's title: its first prompt's first line, shortened at a word boundary.
pub fn title_from(prompt: &str) -> String {
    const MAX: usize = 60;
    let line = prompt
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("(empty prompt)");
    if line.chars().count() <= MAX {
        return line.to_owned();
    }
    let cut: String = line.chars().take(MAX).collect();
    let cut = cut
        .rsplit_once(' ')
        .map(|(head, _)| head)
        .filter(|h| h.len() > MAX / 2)
        .unwrap_or(&cut);
    format!("{}…", cut.trim_end())
}

/// Turns what a user types into a safe FTS5 query: each word quoted, all must match.
fn fts_query(text: &str) -> String {
    text.split_whitespace()
        .map(|w| w.trim_matches(|c: char| !c.is_alphanumeric()))
        .filter(|w| !w.is_empty())
        .map(|w| format!("\"{}\"", w.replace('"', "")))
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_session_round_trip_with_partial_and_draft_answers() {
        let s = Store::in_memory().unwrap();
        let id = s
            .create_session(
                "why does my tokio task deadlock?\nmore text",
                Some("Analyzer"),
            )
            .unwrap();
        s.add_message(
            id,
            "user",
            "why does my tokio task deadlock?",
            Status::Complete,
            None,
            None,
        )
        .unwrap();
        let draft = s
            .add_message(
                id,
                "assistant",
                "maybe",
                Status::Streaming,
                Some("lmstudio"),
                Some("m"),
            )
            .unwrap();
        s.update_message(draft, "maybe the mutex", Status::Draft)
            .unwrap();
        s.add_message(
            id,
            "assistant",
            "The lock order",
            Status::Partial,
            Some("ollama"),
            Some("q"),
        )
        .unwrap();
        let (head, msgs) = s.session(id).unwrap().unwrap();
        assert_eq!(head.title, "why does my tokio task deadlock?");
        assert_eq!(head.messages, 3);
        assert_eq!(msgs[1].status, Status::Draft);
        assert_eq!(msgs[1].content, "maybe the mutex");
        assert_eq!(msgs[2].status, Status::Partial);
        assert!(s.session(999).unwrap().is_none());
    }

    #[test]
    fn newest_sessions_first_and_delete_cascades() {
        let s = Store::in_memory().unwrap();
        let a = s.create_session("first", None).unwrap();
        let b = s.create_session("second", None).unwrap();
        s.add_message(a, "user", "bump", Status::Complete, None, None)
            .unwrap();
        let list = s.list_sessions(10).unwrap();
        assert_eq!(list[0].id, a, "the session written to last is newest");
        assert_eq!(list[1].id, b);
        assert!(s.delete_session(a).unwrap());
        assert!(!s.delete_session(a).unwrap());
        assert!(
            s.search("bump", 10).unwrap().is_empty(),
            "its messages went with it"
        );
    }

    #[test]
    fn full_text_search_finds_words_and_tolerates_any_input() {
        let s = Store::in_memory().unwrap();
        let id = s.create_session("worker restarts", None).unwrap();
        s.add_message(
            id,
            "user",
            "the queue workers restart every hour or so",
            Status::Complete,
            None,
            None,
        )
        .unwrap();
        let hits = s.search("workers restart", 10).unwrap();
        assert_eq!(hits.len(), 1);
        assert!(hits[0].snippet.contains("[workers]"), "{}", hits[0].snippet);
        for weird in ["\"", "AND OR NOT", "*", "a:b", "(", ""] {
            s.search(weird, 10).unwrap();
        }
    }

    #[test]
    fn titles_are_shortened_at_a_word() {
        let long = "please refactor the entire billing module so that invoices and credit notes share one pipeline";
        let t = title_from(long);
        assert!(t.ends_with('…') && t.chars().count() <= 61, "{t}");
        assert_eq!(title_from("\n\n  hello  \nworld"), "hello");
    }

    #[test]
    fn two_stores_on_one_file_share_it_safely() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("history.db");
        let a = Store::open(&path).unwrap();
        let b = Store::open(&path).unwrap();
        let id = a.create_session("from a", None).unwrap();
        b.add_message(id, "user", "from b", Status::Complete, None, None)
            .unwrap();
        assert_eq!(a.session(id).unwrap().unwrap().1[0].content, "from b");
        let check: String = a
            .with("check", |c| {
                c.query_row("PRAGMA integrity_check", [], |r| r.get(0))
            })
            .unwrap();
        assert_eq!(check, "ok");
    }
}
