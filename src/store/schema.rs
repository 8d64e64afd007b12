//! The versioned schema. `PRAGMA user_version` holds the version; each migration brings a
//! database from the version before it, all pending ones in one transaction, so a database
//! from any earlier version (or a new, empty one) ends up current.

use rusqlite::{Connection, TransactionBehavior};

use super::StoreError;

/// Each entry migrates from version `i` to `i + 1`.
const MIGRATIONS: &[&str] = &[
    // 0 → 1: sessions, messages with full-text search, routing decisions.
    "CREATE TABLE sessions (
        id INTEGER PRIMARY KEY,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        title TEXT NOT NULL,
        voice TEXT
    );
    CREATE INDEX sessions_by_update ON sessions(updated_at DESC, id DESC);
    CREATE TABLE messages (
        id INTEGER PRIMARY KEY,
        session_id INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
        role TEXT NOT NULL,
        content TEXT NOT NULL,
        status TEXT NOT NULL,
        backend TEXT,
        model TEXT,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
    );
    CREATE INDEX messages_by_session ON messages(session_id, id);
    CREATE TABLE decisions (
        id INTEGER PRIMARY KEY,
        session_id INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
        message_id INTEGER REFERENCES messages(id) ON DELETE CASCADE,
        kind TEXT NOT NULL,
        data TEXT NOT NULL,
        created_at INTEGER NOT NULL
    );
    CREATE INDEX decisions_by_session ON decisions(session_id);
    CREATE VIRTUAL TABLE messages_fts USING fts5(content, content='messages', content_rowid='id');
    CREATE TRIGGER messages_ai AFTER INSERT ON messages BEGIN
        INSERT INTO messages_fts(rowid, content) VALUES (new.id, new.content);
    END;
    CREATE TRIGGER messages_ad AFTER DELETE ON messages BEGIN
        INSERT INTO messages_fts(messages_fts, rowid, content) VALUES ('delete', old.id, old.content);
    END;
    CREATE TRIGGER messages_au AFTER UPDATE OF content ON messages BEGIN
        INSERT INTO messages_fts(messages_fts, rowid, content) VALUES ('delete', old.id, old.content);
        INSERT INTO messages_fts(rowid, content) VALUES (new.id, new.content);
    END;",
    // 1 → 2: the router's learning statistics and the exact-tier response cache.
    "CREATE TABLE learning (
        task_type TEXT NOT NULL,
        band INTEGER NOT NULL,
        stats TEXT NOT NULL,
        updated_at INTEGER NOT NULL,
        PRIMARY KEY (task_type, band)
    ) WITHOUT ROWID;
    CREATE TABLE cache (
        key BLOB PRIMARY KEY,
        backend TEXT NOT NULL,
        model TEXT NOT NULL,
        answer TEXT NOT NULL,
        bytes INTEGER NOT NULL,
        created_at INTEGER NOT NULL,
        used_at INTEGER NOT NULL
    );
    CREATE INDEX cache_by_use ON cache(used_at);",
    // 2 → 3: the files attached to each session, and the repository map's symbols per
    // workspace file (keyed by modification time and size).
    "CREATE TABLE session_files (
        session_id INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
        path TEXT NOT NULL,
        range_start INTEGER,
        range_end INTEGER,
        digest TEXT NOT NULL,
        added_at INTEGER NOT NULL,
        PRIMARY KEY (session_id, path, range_start, range_end)
    );
    CREATE TABLE file_tags (
        root TEXT NOT NULL,
        path TEXT NOT NULL,
        mtime_ns INTEGER NOT NULL,
        size INTEGER NOT NULL,
        tags TEXT NOT NULL,
        PRIMARY KEY (root, path)
    ) WITHOUT ROWID;",
    // 3 → 4: the edit journal. Each applied change set (ids never reused: AUTOINCREMENT),
    // and each file's content before and after it, as bytes (NULL for an absent file),
    // with SHA-256 hashes for comparing against the disk without reading the blobs.
    "CREATE TABLE edit_sets (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        session_id INTEGER REFERENCES sessions(id) ON DELETE SET NULL,
        root TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        state TEXT NOT NULL CHECK (state IN ('applied', 'undone'))
    );
    CREATE INDEX edit_sets_by_root ON edit_sets(root, id);
    CREATE INDEX edit_sets_by_session ON edit_sets(session_id, id);
    CREATE TABLE edit_files (
        set_id INTEGER NOT NULL REFERENCES edit_sets(id) ON DELETE CASCADE,
        seq INTEGER NOT NULL,
        path TEXT NOT NULL,
        before BLOB,
        before_sha256 BLOB,
        after BLOB,
        after_sha256 BLOB,
        PRIMARY KEY (set_id, seq)
    );",
    // 4 → 5: the audit trail. Append-only: triggers refuse updates and deletes, and each
    // row carries the SHA-256 of the previous row's hash and its own fields, so that an
    // edit made around the triggers breaks the chain (`codecrucible audit --verify`).
    // `session_id` is not a foreign key: deleting a session keeps its operations.
    "CREATE TABLE audit (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        at INTEGER NOT NULL,
        session_id INTEGER,
        kind TEXT NOT NULL,
        detail TEXT NOT NULL,
        prev_hash BLOB NOT NULL,
        hash BLOB NOT NULL
    );
    CREATE INDEX audit_by_session ON audit(session_id, id);
    CREATE INDEX audit_by_time ON audit(at);
    CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
        BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;
    CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
        BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;",
];

/// The version a current database has.
pub const SCHEMA_VERSION: u32 = MIGRATIONS.len() as u32;

pub fn migrate(conn: &mut Connection) -> Result<(), StoreError> {
    let fail = |what: &str, e: rusqlite::Error| StoreError::from_sqlite(what, &e);
    // IMMEDIATE takes the write lock first (waiting out the busy timeout), so two
    // instances opening a new database at once cannot both run a migration; the version is
    // read again under the lock.
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(|e| fail("lock the database to check its schema", e))?;
    let version: u32 = tx
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .map_err(|e| fail("read the schema version", e))?;
    if version > SCHEMA_VERSION {
        return Err(StoreError(format!(
            "the history database is from a newer CodeCrucible (schema {version}, this one knows {SCHEMA_VERSION}); update CodeCrucible"
        )));
    }
    if version == SCHEMA_VERSION {
        return Ok(());
    }
    for sql in MIGRATIONS.iter().skip(version as usize) {
        tx.execute_batch(sql)
            .map_err(|e| fail("migrate the schema", e))?;
    }
    tx.pragma_update(None, "user_version", SCHEMA_VERSION)
        .map_err(|e| fail("record the schema version", e))?;
    tx.commit().map_err(|e| fail("finish the migration", e))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every earlier version, including an empty database, migrates to the current one.
    #[test]
    fn migrates_from_every_earlier_version() {
        for start in 0..SCHEMA_VERSION {
            let mut conn = Connection::open_in_memory().unwrap();
            for (i, sql) in MIGRATIONS.iter().enumerate().take(start as usize) {
                conn.execute_batch(sql).unwrap();
                conn.pragma_update(None, "user_version", i as u32 + 1)
                    .unwrap();
            }
            if start >= 1 {
                conn.execute(
                    "INSERT INTO sessions (created_at, updated_at, title) VALUES (1, 1, 'kept')",
                    [],
                )
                .unwrap();
            }
            migrate(&mut conn).unwrap();
            if start >= 1 {
                let title: String = conn
                    .query_row("SELECT title FROM sessions", [], |r| r.get(0))
                    .unwrap();
                assert_eq!(title, "kept", "data survives migrating from {start}");
            }
            let v: u32 = conn
                .query_row("PRAGMA user_version", [], |r| r.get(0))
                .unwrap();
            assert_eq!(v, SCHEMA_VERSION, "from version {start}");
            // The newest tables are there (version 4: the edit journal).
            for table in ["edit_sets", "edit_files", "file_tags", "cache", "messages"] {
                let n: i64 = conn
                    .query_row(
                        "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = ?1",
                        [table],
                        |r| r.get(0),
                    )
                    .unwrap();
                assert_eq!(n, 1, "{table} after migrating from version {start}");
            }
            migrate(&mut conn).unwrap(); // and running again changes nothing
        }
    }

    #[test]
    fn a_newer_database_is_refused_clearly() {
        let mut conn = Connection::open_in_memory().unwrap();
        conn.pragma_update(None, "user_version", SCHEMA_VERSION + 1)
            .unwrap();
        let e = migrate(&mut conn).unwrap_err();
        assert!(e.0.contains("newer CodeCrucible"), "{e}");
    }
}
