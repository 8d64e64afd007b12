//! The audit trail: every operation that changes something, appended and never changed
//! (DESIGN.md's store: "edit journal, audit"). Each row's hash covers the previous row's
//! hash and its own fields, so [`Store::verify_audit`] finds a row edited or removed behind
//! the triggers' back.

use rusqlite::{params, OptionalExtension, Transaction, TransactionBehavior};
use serde::Serialize;
use sha2::{Digest, Sha256};

use super::{now_ms, SessionId, Store, StoreError};

/// One recorded operation.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AuditEntry {
    pub id: i64,
    pub at_ms: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub session: Option<SessionId>,
    /// `command`, `file`, `undo`, `redo`, `config`, `learning_reset`, `no_sandbox`.
    pub kind: String,
    pub detail: serde_json::Value,
}

impl AuditEntry {
    /// What the entry records, in a few words: "ran `cargo test` (bwrap): exit 1",
    /// "modified app/calc.py (apply)". Raw: the detail came from commands, files and
    /// config, so a front end cleans it before it reaches a terminal.
    pub fn summary(&self) -> String {
        let d = &self.detail;
        let text = |k: &str| d[k].as_str().unwrap_or("?").to_owned();
        let argv = || {
            d["argv"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .map(|w| w.as_str().unwrap_or("?"))
                        .collect::<Vec<_>>()
                        .join(" ")
                })
                .unwrap_or_default()
        };
        match self.kind.as_str() {
            "command" => {
                let exit = d["exit_code"]
                    .as_i64()
                    .map_or_else(|| "did not run".to_owned(), |c| format!("exit {c}"));
                format!("ran `{}` ({}): {exit}", argv(), text("sandbox"))
            }
            "no_sandbox" => format!("ran `{}` UNCONFINED", argv()),
            "file" => format!("{} {} ({})", text("change"), text("path"), text("by")),
            "undo" | "redo" => format!("{} of change set {}", self.kind, d["set"]),
            "config" => format!("{}: {} -> {}", text("key"), d["old"], d["new"]),
            _ => format!("{} {d}", self.kind),
        }
    }
}

/// What `verify` found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuditCheck {
    pub rows: u64,
    /// The first row whose hash does not follow from the rows before it, and why.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub broken_at: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub why: Option<String>,
}

fn row_hash(prev: &[u8], at: i64, session: Option<SessionId>, kind: &str, detail: &str) -> Vec<u8> {
    let mut h = Sha256::new();
    h.update(prev);
    h.update(at.to_le_bytes());
    h.update(session.unwrap_or(-1).to_le_bytes());
    h.update((kind.len() as u64).to_le_bytes());
    h.update(kind.as_bytes());
    h.update((detail.len() as u64).to_le_bytes());
    h.update(detail.as_bytes());
    h.finalize().to_vec()
}

const GENESIS: [u8; 32] = [0; 32];

impl Store {
    /// Appends one operation; returns its id.
    pub fn append_audit(
        &self,
        kind: &str,
        session: Option<SessionId>,
        detail: &serde_json::Value,
    ) -> Result<i64, StoreError> {
        let detail = detail.to_string();
        let at = now_ms();
        self.with("record the operation in the audit trail", |c| {
            // IMMEDIATE: the previous hash is read and the row written under one lock, so
            // two instances never fork the chain.
            let tx = Transaction::new_unchecked(c, TransactionBehavior::Immediate)?;
            let prev: Vec<u8> = tx
                .query_row("SELECT hash FROM audit ORDER BY id DESC LIMIT 1", [], |r| {
                    r.get(0)
                })
                .optional()?
                .unwrap_or_else(|| GENESIS.to_vec());
            let hash = row_hash(&prev, at, session, kind, &detail);
            tx.execute(
                "INSERT INTO audit (at, session_id, kind, detail, prev_hash, hash)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![at, session, kind, detail, prev, hash],
            )?;
            let id = tx.last_insert_rowid();
            tx.commit()?;
            Ok(id)
        })
    }

    /// The operations since `since_ms` (of `session` when given), oldest first, at most
    /// `limit` (the newest ones).
    pub fn audit_entries(
        &self,
        since_ms: Option<i64>,
        session: Option<SessionId>,
        limit: usize,
    ) -> Result<Vec<AuditEntry>, StoreError> {
        self.with("read the audit trail", |c| {
            let mut stmt = c.prepare_cached(
                "SELECT id, at, session_id, kind, detail FROM audit
                 WHERE at >= ?1 AND (?2 IS NULL OR session_id = ?2)
                 ORDER BY id DESC LIMIT ?3",
            )?;
            let rows = stmt.query_map(
                params![since_ms.unwrap_or(i64::MIN), session, limit as i64],
                |r| {
                    let detail: String = r.get(4)?;
                    Ok(AuditEntry {
                        id: r.get(0)?,
                        at_ms: r.get(1)?,
                        session: r.get(2)?,
                        kind: r.get(3)?,
                        detail: serde_json::from_str(&detail)
                            .unwrap_or(serde_json::Value::String(detail)),
                    })
                },
            )?;
            let mut out: Vec<AuditEntry> = rows.collect::<rusqlite::Result<_>>()?;
            out.reverse();
            Ok(out)
        })
    }

    /// Walks the whole chain: each row's `prev_hash` must be the row before's `hash`, and
    /// its `hash` must follow from its fields.
    pub fn verify_audit(&self) -> Result<AuditCheck, StoreError> {
        self.with("verify the audit trail", |c| {
            let mut stmt = c.prepare(
                "SELECT id, at, session_id, kind, detail, prev_hash, hash FROM audit ORDER BY id",
            )?;
            let mut rows = stmt.query([])?;
            let mut expected_prev = GENESIS.to_vec();
            let mut n = 0u64;
            while let Some(r) = rows.next()? {
                n += 1;
                let id: i64 = r.get(0)?;
                let (at, session): (i64, Option<SessionId>) = (r.get(1)?, r.get(2)?);
                let (kind, detail): (String, String) = (r.get(3)?, r.get(4)?);
                let (prev, hash): (Vec<u8>, Vec<u8>) = (r.get(5)?, r.get(6)?);
                let why = if prev != expected_prev {
                    Some("it does not follow the row before it (a row was removed or replaced)")
                } else if hash != row_hash(&prev, at, session, &kind, &detail) {
                    Some("its content does not match its hash (the row was edited)")
                } else {
                    None
                };
                if let Some(why) = why {
                    return Ok(AuditCheck {
                        rows: n,
                        broken_at: Some(id),
                        why: Some(why.into()),
                    });
                }
                expected_prev = hash;
            }
            Ok(AuditCheck {
                rows: n,
                broken_at: None,
                why: None,
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_chain_verifies_and_refuses_changes_and_finds_an_edit_made_around_the_triggers() {
        let store = Store::in_memory().expect("store");
        store
            .append_audit("command", Some(3), &json!({"argv": ["true"]}))
            .expect("a");
        store
            .append_audit("file", None, &json!({"path": "a.py"}))
            .expect("b");
        store
            .append_audit("undo", None, &json!({"set": 1}))
            .expect("c");
        assert_eq!(
            store.verify_audit().expect("verify"),
            AuditCheck {
                rows: 3,
                broken_at: None,
                why: None
            }
        );
        let listed = store.audit_entries(None, Some(3), 10).expect("list");
        assert_eq!(listed.len(), 1);
        assert_eq!(listed[0].detail["argv"][0], "true");
        let refused = store.with("edit", |c| {
            c.execute("UPDATE audit SET detail = '{}' WHERE id = 2", [])
        });
        assert!(refused.is_err(), "append-only");
        assert!(store
            .with("delete", |c| c.execute("DELETE FROM audit", []))
            .is_err());
        // Around the triggers: the chain says where.
        store
            .with("tamper", |c| {
                c.execute_batch(
                    "DROP TRIGGER audit_no_update;
                     UPDATE audit SET detail = '{\"path\":\"b.py\"}' WHERE id = 2;",
                )
            })
            .expect("tamper");
        let check = store.verify_audit().expect("verify");
        assert_eq!(check.broken_at, Some(2));
        assert!(check.why.as_deref().unwrap_or("").contains("edited"));
    }
}
