//! The files attached to a session: the set `/add`, `/drop`, `@path` and `--file` manage,
//! kept with the session so that a resumed conversation sees the same files. Each carries
//! the digest of the text last sent, so a file that changed since is marked as changed.

use rusqlite::params;

use super::{now_ms, SessionId, Store, StoreError};

/// One attached file (or part of one, with a line range).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionFile {
    pub path: String,
    /// Lines `start..=end`, counted from 1; `None` for the whole file.
    pub range: Option<(u32, u32)>,
    /// The digest of the file when it was last sent.
    pub digest: String,
}

impl Store {
    /// The session's attached files, in the order they were added.
    pub fn session_files(&self, session: SessionId) -> Result<Vec<SessionFile>, StoreError> {
        self.with("read the session's files", |c| {
            let mut stmt = c.prepare_cached(
                "SELECT path, range_start, range_end, digest FROM session_files
                 WHERE session_id = ?1 ORDER BY added_at, rowid",
            )?;
            let rows = stmt.query_map([session], |r| {
                let (start, end): (Option<u32>, Option<u32>) = (r.get(1)?, r.get(2)?);
                Ok(SessionFile {
                    path: r.get(0)?,
                    range: start.zip(end),
                    digest: r.get(3)?,
                })
            })?;
            rows.collect()
        })
    }

    /// Replaces the session's set with `files`, keeping when each was first added.
    pub fn set_session_files(
        &self,
        session: SessionId,
        files: &[SessionFile],
    ) -> Result<(), StoreError> {
        self.with("save the session's files", |c| {
            let tx = c.unchecked_transaction()?;
            let now = now_ms();
            let keep: Vec<String> = files.iter().map(key).collect();
            let existing: Vec<(String, Option<u32>, Option<u32>)> = {
                let mut stmt = tx.prepare_cached(
                    "SELECT path, range_start, range_end FROM session_files WHERE session_id = ?1",
                )?;
                let rows = stmt.query_map([session], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
                rows.collect::<rusqlite::Result<_>>()?
            };
            for (path, start, end) in existing {
                let k = key(&SessionFile {
                    path: path.clone(),
                    range: start.zip(end),
                    digest: String::new(),
                });
                if !keep.contains(&k) {
                    tx.execute(
                        "DELETE FROM session_files WHERE session_id = ?1 AND path = ?2
                         AND range_start IS ?3 AND range_end IS ?4",
                        params![session, path, start, end],
                    )?;
                }
            }
            for (i, f) in files.iter().enumerate() {
                let (start, end) = (f.range.map(|r| r.0), f.range.map(|r| r.1));
                let updated = tx.execute(
                    "UPDATE session_files SET digest = ?5 WHERE session_id = ?1 AND path = ?2
                     AND range_start IS ?3 AND range_end IS ?4",
                    params![session, f.path, start, end, f.digest],
                )?;
                if updated == 0 {
                    // Added in order: later in the list is later in time.
                    tx.execute(
                        "INSERT INTO session_files
                         (session_id, path, range_start, range_end, digest, added_at)
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                        params![session, f.path, start, end, f.digest, now + i as i64],
                    )?;
                }
            }
            tx.commit()
        })
    }
}

/// The repository map's symbols for one file, as cached: its path under a workspace root,
/// the modification time and size they were read at, and the tags as JSON.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CachedTags {
    pub path: String,
    pub mtime_ns: i64,
    pub size: u64,
    pub tags: String,
}

impl Store {
    /// Every cached file's tags under workspace `root`.
    pub fn file_tags(&self, root: &str) -> Result<Vec<CachedTags>, StoreError> {
        self.with("read the repository map's cache", |c| {
            let mut stmt = c.prepare_cached(
                "SELECT path, mtime_ns, size, tags FROM file_tags WHERE root = ?1",
            )?;
            let rows = stmt.query_map([root], |r| {
                Ok(CachedTags {
                    path: r.get(0)?,
                    mtime_ns: r.get(1)?,
                    size: r.get::<_, i64>(2)?.max(0) as u64,
                    tags: r.get(3)?,
                })
            })?;
            rows.collect()
        })
    }

    /// Stores freshly read tags (replacing older ones for the same files).
    pub fn put_file_tags(&self, root: &str, rows: &[CachedTags]) -> Result<(), StoreError> {
        self.with("save the repository map's cache", |c| {
            let tx = c.unchecked_transaction()?;
            for t in rows {
                tx.execute(
                    "INSERT OR REPLACE INTO file_tags (root, path, mtime_ns, size, tags)
                     VALUES (?1, ?2, ?3, ?4, ?5)",
                    params![root, t.path, t.mtime_ns, t.size as i64, t.tags],
                )?;
            }
            tx.commit()
        })
    }
}

fn key(f: &SessionFile) -> String {
    match f.range {
        Some((a, b)) => format!("{}:{a}-{b}", f.path),
        None => f.path.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(path: &str, range: Option<(u32, u32)>, digest: &str) -> SessionFile {
        SessionFile {
            path: path.into(),
            range,
            digest: digest.into(),
        }
    }

    #[test]
    fn the_set_is_replaced_keeping_order_and_updating_digests() {
        let store = Store::in_memory().expect("store");
        let s = store.create_session("q", None).expect("session");
        let a = file("src/a.rs", None, "d1");
        let b = file("src/b.rs", Some((4, 9)), "d2");
        store
            .set_session_files(s, &[a.clone(), b.clone()])
            .expect("set");
        assert_eq!(
            store.session_files(s).expect("read"),
            [a.clone(), b.clone()]
        );
        let a2 = file("src/a.rs", None, "d3");
        let c = file("c.md", None, "d4");
        store
            .set_session_files(s, &[a2.clone(), c.clone()])
            .expect("set");
        assert_eq!(store.session_files(s).expect("read"), [a2, c]);
        assert!(store.delete_session(s).expect("delete"));
        assert!(store.session_files(s).expect("read").is_empty());
    }
}
