//! What the session browser lists: each session with its date, title, voice, the servers
//! that answered in it, its message count and whether any answer was escalated, newest
//! first — all of them, or those whose messages match a filter as the user types it.

use rusqlite::params;
use serde::Serialize;

use super::{SessionId, Store, StoreError};

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct BrowseRow {
    pub id: SessionId,
    pub title: String,
    pub voice: Option<String>,
    pub updated_at_ms: i64,
    pub messages: i64,
    /// `lmstudio`, `ollama`: the servers that answered in it.
    pub backends: Vec<String>,
    pub escalated: bool,
}

const COLUMNS: &str = "s.id, s.title, s.voice, s.updated_at,
    (SELECT COUNT(*) FROM messages m WHERE m.session_id = s.id),
    (SELECT group_concat(DISTINCT m.backend) FROM messages m WHERE m.session_id = s.id AND m.backend IS NOT NULL),
    EXISTS (SELECT 1 FROM decisions d WHERE d.session_id = s.id AND d.kind = 'escalate')";

impl Store {
    /// The newest `limit` sessions, or those with a message (or title) matching `filter`.
    /// The filter's last word matches as a prefix, so results follow typing.
    pub fn browse(&self, filter: &str, limit: usize) -> Result<Vec<BrowseRow>, StoreError> {
        let query = prefix_query(filter);
        self.with("list sessions", |c| {
            let rows = if query.is_empty() {
                let sql = format!("SELECT {COLUMNS} FROM sessions s ORDER BY s.updated_at DESC, s.id DESC LIMIT ?1");
                let mut stmt = c.prepare_cached(&sql)?;
                let rows = stmt.query_map(params![limit as i64], row)?;
                rows.collect::<rusqlite::Result<Vec<_>>>()?
            } else {
                // The newest matching messages first, and only as many as could fill the
                // list: a common word matches most of a large history, and sorting every
                // match would take tens of milliseconds per keystroke.
                let sql = format!(
                    "SELECT {COLUMNS} FROM sessions s WHERE s.id IN (
                        SELECT m.session_id FROM messages m WHERE m.id IN (
                            SELECT rowid FROM messages_fts WHERE messages_fts MATCH ?1
                            ORDER BY rowid DESC LIMIT ?2 * 20))
                     ORDER BY s.updated_at DESC, s.id DESC LIMIT ?2"
                );
                let mut stmt = c.prepare_cached(&sql)?;
                let rows = stmt.query_map(params![query, limit as i64], row)?;
                rows.collect::<rusqlite::Result<Vec<_>>>()?
            };
            Ok(rows)
        })
    }
}

fn row(r: &rusqlite::Row<'_>) -> rusqlite::Result<BrowseRow> {
    let backends: Option<String> = r.get(5)?;
    Ok(BrowseRow {
        id: r.get(0)?,
        title: r.get(1)?,
        voice: r.get(2)?,
        updated_at_ms: r.get(3)?,
        messages: r.get(4)?,
        backends: backends
            .map(|b| b.split(',').map(str::to_owned).collect())
            .unwrap_or_default(),
        escalated: r.get(6)?,
    })
}

/// Every word quoted (so any input is safe), the last one as a prefix.
fn prefix_query(text: &str) -> String {
    let words: Vec<String> = text
        .split_whitespace()
        .map(|w| {
            w.trim_matches(|c: char| !c.is_alphanumeric())
                .replace('"', "")
        })
        .filter(|w| !w.is_empty())
        .map(|w| format!("\"{w}\""))
        .collect();
    match words.split_last() {
        Some((last, rest)) if !text.ends_with(char::is_whitespace) => {
            let mut q = rest.join(" ");
            if !q.is_empty() {
                q.push(' ');
            }
            q.push_str(last);
            q.push('*');
            q
        }
        _ => words.join(" "),
    }
}

#[cfg(test)]
mod tests {
    use super::super::{DecisionKind, Status};
    use super::*;

    #[test]
    fn sessions_are_listed_with_their_servers_and_filtered_as_typed() {
        let s = Store::in_memory().unwrap();
        let a = s
            .create_session("fix the borrow checker error", Some("Developer"))
            .unwrap();
        s.add_message(
            a,
            "user",
            "fix the borrow checker error",
            Status::Complete,
            None,
            None,
        )
        .unwrap();
        s.add_message(
            a,
            "assistant",
            "use a clone",
            Status::Complete,
            Some("lmstudio"),
            Some("m"),
        )
        .unwrap();
        s.record_decision(a, None, DecisionKind::Escalate, "{}")
            .unwrap();
        let b = s.create_session("plan the migration", None).unwrap();
        s.add_message(
            b,
            "user",
            "plan the migration",
            Status::Complete,
            None,
            None,
        )
        .unwrap();
        let all = s.browse("", 10).unwrap();
        assert_eq!(all.iter().map(|r| r.id).collect::<Vec<_>>(), [b, a]);
        assert_eq!(all[1].backends, ["lmstudio"]);
        assert!(all[1].escalated && !all[0].escalated);
        assert_eq!(all[1].messages, 2);
        assert_eq!(all[1].voice.as_deref(), Some("Developer"));
        let typed = s.browse("bor", 10).unwrap();
        assert_eq!(typed.iter().map(|r| r.id).collect::<Vec<_>>(), [a]);
        assert!(s.browse("borrow zzz", 10).unwrap().is_empty());
        assert!(
            s.browse("\"(*", 10).unwrap().len() == 2,
            "nothing searchable: all sessions"
        );
    }

    #[test]
    fn prefix_queries_are_quoted() {
        assert_eq!(prefix_query("borrow che"), "\"borrow\" \"che\"*");
        assert_eq!(prefix_query("borrow "), "\"borrow\"");
        assert_eq!(prefix_query(""), "");
    }
}
