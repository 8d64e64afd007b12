//! The edit journal: every change set applied to a workspace, with each file's content
//! before and after it, so that `/undo` and `/redo` work across a restart or a crash.
//!
//! - Content is the user's files, untrusted: it is kept as bytes, exactly (CRLF, invalid
//!   UTF-8), with `None` for a file that was absent (created by the set, or deleted by it).
//!   A file over [`MAX_JOURNAL_FILE_BYTES`], or a set over [`MAX_JOURNAL_SET_BYTES`], is
//!   refused whole: the journal never holds a partial copy that could not be restored.
//! - Each content has its SHA-256 stored beside it, to compare with the disk cheaply, and
//!   checked again when the set is read, so a damaged copy is never restored.
//! - History is linear per workspace root. Undo walks back through applied sets, newest
//!   first; redo walks forward through the undone sets above the newest applied one. A new
//!   set **deletes** every undone set of its root (whichever session undid it), since the
//!   files they would re-apply over have moved on; the journal holds only `applied` and
//!   `undone` sets.
//! - Retention: recording keeps the newest [`JOURNAL_KEEP_PER_ROOT`] sets of the root and
//!   deletes older ones, so the journal cannot grow without bound.
//! - A session's deletion leaves its sets, without a session.

use rusqlite::{params, Connection, OptionalExtension, Transaction, TransactionBehavior};
use serde::Serialize;
use sha2::{Digest, Sha256};

use super::{now_ms, SessionId, Store, StoreError};

pub type EditSetId = i64;

/// The largest file content (before or after) the journal keeps.
pub const MAX_JOURNAL_FILE_BYTES: usize = 8 << 20;
/// The most content, before and after of every file together, one set may hold.
pub const MAX_JOURNAL_SET_BYTES: usize = 64 << 20;
/// How many sets per workspace root are kept; recording prunes older ones.
pub const JOURNAL_KEEP_PER_ROOT: usize = 200;

/// One file of a change set to record: its path relative to the workspace root, and its
/// content before and after (`None` when absent).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JournalFile {
    pub path: String,
    pub before: Option<Vec<u8>>,
    pub after: Option<Vec<u8>>,
}

/// One file of a recorded change set, with the SHA-256 of each content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EditFile {
    pub path: String,
    pub before: Option<Vec<u8>>,
    pub after: Option<Vec<u8>>,
    pub before_sha256: Option<[u8; 32]>,
    pub after_sha256: Option<[u8; 32]>,
}

/// Where a recorded change set stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EditState {
    /// On disk (as recorded, or redone).
    Applied,
    /// Undone, and a redo candidate until a newer set is recorded.
    Undone,
}

impl EditState {
    fn as_str(self) -> &'static str {
        match self {
            EditState::Applied => "applied",
            EditState::Undone => "undone",
        }
    }

    fn parse(s: &str) -> rusqlite::Result<EditState> {
        match s {
            "applied" => Ok(EditState::Applied),
            "undone" => Ok(EditState::Undone),
            other => Err(rusqlite::Error::InvalidColumnType(
                0,
                format!("edit set state {other:?}"),
                rusqlite::types::Type::Text,
            )),
        }
    }
}

/// A recorded change set with its files, in the order they were recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EditSet {
    pub id: EditSetId,
    pub root: String,
    pub session: Option<SessionId>,
    pub created_at_ms: i64,
    pub state: EditState,
    pub files: Vec<EditFile>,
}

/// A change set as listed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EditSetSummary {
    pub id: EditSetId,
    pub session: Option<SessionId>,
    pub created_at_ms: i64,
    pub files: usize,
    pub state: EditState,
}

/// The SHA-256 of a file's content, as the journal stores it.
pub fn content_sha256(bytes: &[u8]) -> [u8; 32] {
    Sha256::digest(bytes).into()
}

impl Store {
    /// Records a change set just applied under workspace `root`, as `applied`, in one
    /// transaction: a reader sees all of it or none. Deletes the root's undone sets (the
    /// redo chain ends) and prunes the root's sets beyond [`JOURNAL_KEEP_PER_ROOT`].
    ///
    /// Refuses, storing nothing, an empty set, a path that is empty, absolute or repeated,
    /// a file absent both before and after, and content over the size limits.
    pub fn record_edit_set(
        &self,
        root: &str,
        session: Option<SessionId>,
        files: &[JournalFile],
    ) -> Result<EditSetId, StoreError> {
        self.record_edit_set_keeping(root, session, files, JOURNAL_KEEP_PER_ROOT)
    }

    fn record_edit_set_keeping(
        &self,
        root: &str,
        session: Option<SessionId>,
        files: &[JournalFile],
        keep: usize,
    ) -> Result<EditSetId, StoreError> {
        check_files(files)?;
        let hash = |c: &Option<Vec<u8>>| c.as_deref().map(content_sha256);
        let hashes: Vec<_> = files
            .iter()
            .map(|f| (hash(&f.before), hash(&f.after)))
            .collect();
        let now = now_ms();
        self.with("record the edit in the journal", |c| {
            // IMMEDIATE: take the write lock up front (waiting out the busy timeout) rather
            // than fail upgrading a read lock when another instance writes meanwhile.
            let tx = Transaction::new_unchecked(c, TransactionBehavior::Immediate)?;
            tx.execute(
                "DELETE FROM edit_sets WHERE root = ?1 AND state = 'undone'",
                [root],
            )?;
            tx.execute(
                "INSERT INTO edit_sets (session_id, root, created_at, state)
                 VALUES (?1, ?2, ?3, 'applied')",
                params![session, root, now],
            )?;
            let id = tx.last_insert_rowid();
            {
                let mut insert = tx.prepare_cached(
                    "INSERT INTO edit_files
                     (set_id, seq, path, before, before_sha256, after, after_sha256)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                )?;
                for (seq, (f, (bh, ah))) in files.iter().zip(&hashes).enumerate() {
                    insert.execute(params![
                        id,
                        seq as i64,
                        f.path,
                        f.before,
                        bh.as_ref().map(|h| &h[..]),
                        f.after,
                        ah.as_ref().map(|h| &h[..]),
                    ])?;
                }
            }
            tx.execute(
                "DELETE FROM edit_sets WHERE root = ?1 AND id NOT IN
                 (SELECT id FROM edit_sets WHERE root = ?1 ORDER BY id DESC LIMIT ?2)",
                params![root, keep as i64],
            )?;
            tx.commit()?;
            Ok(id)
        })
    }

    /// The set `/undo` restores: the newest applied one under `root`, of `session` when
    /// given (else of any session), with its files; `None` when there is nothing to undo.
    pub fn undo_candidate(
        &self,
        root: &str,
        session: Option<SessionId>,
    ) -> Result<Option<EditSet>, StoreError> {
        self.edit_set_where(
            "SELECT id FROM edit_sets
             WHERE root = ?1 AND state = 'applied' AND (?2 IS NULL OR session_id = ?2)
             ORDER BY id DESC LIMIT 1",
            root,
            session,
        )
    }

    /// The set `/redo` re-applies: of the undone sets under `root` (of `session` when
    /// given) newer than every applied one in the same scope, the most recently undone,
    /// which is the oldest of them. `None` when there is nothing to redo.
    pub fn redo_candidate(
        &self,
        root: &str,
        session: Option<SessionId>,
    ) -> Result<Option<EditSet>, StoreError> {
        self.edit_set_where(
            "SELECT id FROM edit_sets
             WHERE root = ?1 AND state = 'undone' AND (?2 IS NULL OR session_id = ?2)
               AND id > IFNULL((SELECT MAX(id) FROM edit_sets
                                WHERE root = ?1 AND state = 'applied'
                                  AND (?2 IS NULL OR session_id = ?2)), 0)
             ORDER BY id ASC LIMIT 1",
            root,
            session,
        )
    }

    /// Marks an applied set undone (after its files were restored).
    pub fn mark_undone(&self, id: EditSetId) -> Result<(), StoreError> {
        self.transition(id, EditState::Applied, EditState::Undone)
    }

    /// Marks an undone set applied again (after its files were re-applied).
    pub fn mark_redone(&self, id: EditSetId) -> Result<(), StoreError> {
        self.transition(id, EditState::Undone, EditState::Applied)
    }

    /// The sets recorded under `root`, newest first, without their content.
    pub fn edit_sets(&self, root: &str, limit: usize) -> Result<Vec<EditSetSummary>, StoreError> {
        self.with("list the edit journal", |c| {
            let mut stmt = c.prepare_cached(
                "SELECT s.id, s.session_id, s.created_at, s.state,
                        (SELECT COUNT(*) FROM edit_files f WHERE f.set_id = s.id)
                 FROM edit_sets s WHERE s.root = ?1 ORDER BY s.id DESC LIMIT ?2",
            )?;
            let rows = stmt.query_map(params![root, limit as i64], |r| {
                Ok(EditSetSummary {
                    id: r.get(0)?,
                    session: r.get(1)?,
                    created_at_ms: r.get(2)?,
                    state: EditState::parse(&r.get::<_, String>(3)?)?,
                    files: r.get::<_, i64>(4)?.max(0) as usize,
                })
            })?;
            rows.collect()
        })
    }

    fn transition(&self, id: EditSetId, from: EditState, to: EditState) -> Result<(), StoreError> {
        let (changed, state) = self.with("update the edit journal", |c| {
            let changed = c.execute(
                "UPDATE edit_sets SET state = ?3 WHERE id = ?1 AND state = ?2",
                params![id, from.as_str(), to.as_str()],
            )?;
            let state: Option<String> = c
                .query_row("SELECT state FROM edit_sets WHERE id = ?1", [id], |r| {
                    r.get(0)
                })
                .optional()?;
            Ok((changed, state))
        })?;
        match (changed, state.as_deref()) {
            (1, _) => Ok(()),
            (_, None) => Err(StoreError(format!(
                "there is no change set {id} in the edit journal (it may have been pruned)"
            ))),
            (_, Some(_)) => Err(StoreError(match to {
                EditState::Undone => format!("change set {id} is already undone"),
                EditState::Applied => {
                    format!("change set {id} is not undone, so there is nothing to redo")
                }
            })),
        }
    }

    /// The set whose id `select_id` picks (parameters: root, session), read with its files
    /// in one read transaction, and its contents checked against their hashes.
    fn edit_set_where(
        &self,
        select_id: &str,
        root: &str,
        session: Option<SessionId>,
    ) -> Result<Option<EditSet>, StoreError> {
        let set = self.with("read the edit journal", |c| {
            let tx = c.unchecked_transaction()?;
            let id: Option<EditSetId> = tx
                .query_row(select_id, params![root, session], |r| r.get(0))
                .optional()?;
            let set = match id {
                Some(id) => Some(read_set(&tx, id)?),
                None => None,
            };
            tx.finish()?;
            Ok(set)
        })?;
        if let Some(set) = &set {
            verify(set)?;
        }
        Ok(set)
    }
}

fn read_set(c: &Connection, id: EditSetId) -> rusqlite::Result<EditSet> {
    let (root, session, created_at_ms, state) = c.query_row(
        "SELECT root, session_id, created_at, state FROM edit_sets WHERE id = ?1",
        [id],
        |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, Option<SessionId>>(1)?,
                r.get::<_, i64>(2)?,
                EditState::parse(&r.get::<_, String>(3)?)?,
            ))
        },
    )?;
    let mut stmt = c.prepare_cached(
        "SELECT path, before, before_sha256, after, after_sha256 FROM edit_files
         WHERE set_id = ?1 ORDER BY seq",
    )?;
    let files = stmt
        .query_map([id], |r| {
            Ok(EditFile {
                path: r.get(0)?,
                before: r.get(1)?,
                before_sha256: r.get(2)?,
                after: r.get(3)?,
                after_sha256: r.get(4)?,
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(EditSet {
        id,
        root,
        session,
        created_at_ms,
        state,
        files,
    })
}

/// A stored content that does not match its hash is damaged; restoring it would write the
/// wrong bytes, so the set is refused.
fn verify(set: &EditSet) -> Result<(), StoreError> {
    for f in &set.files {
        let ok = |content: &Option<Vec<u8>>, hash: &Option<[u8; 32]>| {
            content.as_deref().map(content_sha256) == *hash
        };
        if !ok(&f.before, &f.before_sha256) || !ok(&f.after, &f.after_sha256) {
            return Err(StoreError(format!(
                "the edit journal's copy of {} in change set {} is damaged (its hash does not \
                 match); it cannot be restored",
                f.path, set.id
            )));
        }
    }
    Ok(())
}

fn check_files(files: &[JournalFile]) -> Result<(), StoreError> {
    let refuse = |why: String| Err(StoreError(format!("cannot journal this edit: {why}")));
    if files.is_empty() {
        return refuse("it changes no file".into());
    }
    let mut total = 0usize;
    let mut seen = std::collections::HashSet::new();
    for f in files {
        if f.path.is_empty() || f.path.contains('\0') {
            return refuse(format!("the path {:?} is not a file name", f.path));
        }
        if std::path::Path::new(&f.path).is_absolute() {
            return refuse(format!(
                "{} is absolute; paths are relative to the workspace root",
                f.path
            ));
        }
        if !seen.insert(f.path.as_str()) {
            return refuse(format!("{} appears twice in one change set", f.path));
        }
        if f.before.is_none() && f.after.is_none() {
            return refuse(format!("{} is absent both before and after", f.path));
        }
        for content in [&f.before, &f.after].into_iter().flatten() {
            if content.len() > MAX_JOURNAL_FILE_BYTES {
                return refuse(format!(
                    "{} is {} bytes, over the journal's limit of {} MiB per file, so it could \
                     not be undone",
                    f.path,
                    content.len(),
                    MAX_JOURNAL_FILE_BYTES >> 20
                ));
            }
            total += content.len();
        }
    }
    if total > MAX_JOURNAL_SET_BYTES {
        return refuse(format!(
            "the change set holds {total} bytes, over the journal's limit of {} MiB per set, \
             so it could not be undone",
            MAX_JOURNAL_SET_BYTES >> 20
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const ROOT: &str = "/home/u/project";

    fn file(path: &str, before: Option<&[u8]>, after: Option<&[u8]>) -> JournalFile {
        JournalFile {
            path: path.into(),
            before: before.map(<[u8]>::to_vec),
            after: after.map(<[u8]>::to_vec),
        }
    }

    fn one(path: &str) -> Vec<JournalFile> {
        vec![file(path, Some(b"old\n"), Some(b"new\n"))]
    }

    #[test]
    fn a_set_comes_back_byte_for_byte_with_absent_sides() {
        let store = Store::in_memory().unwrap();
        let files = vec![
            file(
                "src/a.rs",
                Some(b"fn a() {}\r\n"),
                Some(b"fn a() { 1 }\r\n"),
            ),
            file(
                "bin.dat",
                Some(&[0xff, 0xfe, 0, b'\r', b'\n']),
                Some(&[0x80]),
            ),
            file("new.md", None, Some(b"# new")),
            file("gone.txt", Some(b"bye"), None),
        ];
        let id = store.record_edit_set(ROOT, None, &files).unwrap();
        let set = store.undo_candidate(ROOT, None).unwrap().unwrap();
        assert_eq!(
            (set.id, set.state, set.session),
            (id, EditState::Applied, None)
        );
        assert_eq!(set.root, ROOT);
        let back: Vec<JournalFile> = set
            .files
            .iter()
            .map(|f| JournalFile {
                path: f.path.clone(),
                before: f.before.clone(),
                after: f.after.clone(),
            })
            .collect();
        assert_eq!(back, files);
        assert_eq!(set.files[2].before_sha256, None);
        assert_eq!(set.files[3].after_sha256, None);
        assert_eq!(set.files[3].before_sha256, Some(content_sha256(b"bye")));
        assert!(store.undo_candidate("/elsewhere", None).unwrap().is_none());
        assert!(store.redo_candidate(ROOT, None).unwrap().is_none());
    }

    #[test]
    fn undo_goes_back_and_redo_forward_refusing_wrong_transitions() {
        let store = Store::in_memory().unwrap();
        let a = store.record_edit_set(ROOT, None, &one("a")).unwrap();
        let b = store.record_edit_set(ROOT, None, &one("b")).unwrap();
        let undo = |s: &Store| s.undo_candidate(ROOT, None).unwrap().map(|s| s.id);
        let redo = |s: &Store| s.redo_candidate(ROOT, None).unwrap().map(|s| s.id);
        assert_eq!((undo(&store), redo(&store)), (Some(b), None));
        store.mark_undone(b).unwrap();
        assert_eq!((undo(&store), redo(&store)), (Some(a), Some(b)));
        store.mark_undone(a).unwrap();
        assert_eq!((undo(&store), redo(&store)), (None, Some(a)));
        let e = store.mark_undone(a).unwrap_err();
        assert!(e.0.contains("already undone"), "{e}");
        store.mark_redone(a).unwrap();
        assert_eq!((undo(&store), redo(&store)), (Some(a), Some(b)));
        store.mark_redone(b).unwrap();
        assert_eq!((undo(&store), redo(&store)), (Some(b), None));
        let e = store.mark_redone(b).unwrap_err();
        assert!(e.0.contains("nothing to redo"), "{e}");
        let e = store.mark_undone(9999).unwrap_err();
        assert!(e.0.contains("no change set 9999"), "{e}");
        let listed: Vec<_> = store
            .edit_sets(ROOT, 10)
            .unwrap()
            .into_iter()
            .map(|s| (s.id, s.state, s.files))
            .collect();
        assert_eq!(
            listed,
            [(b, EditState::Applied, 1), (a, EditState::Applied, 1)]
        );
    }

    #[test]
    fn a_new_set_after_an_undo_ends_the_redo_chain() {
        let store = Store::in_memory().unwrap();
        let a = store.record_edit_set(ROOT, None, &one("a")).unwrap();
        let b = store.record_edit_set(ROOT, None, &one("b")).unwrap();
        store.mark_undone(b).unwrap();
        let other = store.record_edit_set("/other", None, &one("x")).unwrap();
        store.mark_undone(other).unwrap();
        let c = store.record_edit_set(ROOT, None, &one("c")).unwrap();
        assert!(c > b, "ids are never reused");
        assert!(store.redo_candidate(ROOT, None).unwrap().is_none());
        let ids: Vec<_> = store
            .edit_sets(ROOT, 10)
            .unwrap()
            .iter()
            .map(|s| s.id)
            .collect();
        assert_eq!(ids, [c, a], "the undone set is deleted");
        let e = store.mark_redone(b).unwrap_err();
        assert!(e.0.contains("no change set"), "{e}");
        // Another root's chain is its own.
        assert_eq!(
            store.redo_candidate("/other", None).unwrap().map(|s| s.id),
            Some(other)
        );
    }

    #[test]
    fn undo_and_redo_can_be_limited_to_a_session() {
        let store = Store::in_memory().unwrap();
        let s1 = store.create_session("one", None).unwrap();
        let s2 = store.create_session("two", None).unwrap();
        let a = store.record_edit_set(ROOT, Some(s1), &one("a")).unwrap();
        let b = store.record_edit_set(ROOT, Some(s2), &one("b")).unwrap();
        let undo = |s| store.undo_candidate(ROOT, s).unwrap().map(|s| s.id);
        assert_eq!(undo(Some(s1)), Some(a));
        assert_eq!(undo(Some(s2)), Some(b));
        assert_eq!(undo(None), Some(b));
        store.mark_undone(a).unwrap();
        assert_eq!(undo(Some(s1)), None);
        assert_eq!(
            store.redo_candidate(ROOT, Some(s1)).unwrap().map(|s| s.id),
            Some(a)
        );
        // Root-wide, b is applied and newer, so a is not redone from there.
        assert!(store.redo_candidate(ROOT, None).unwrap().is_none());
        // A deleted session's sets stay, without a session.
        store.delete_session(s2).unwrap();
        let set = store.undo_candidate(ROOT, None).unwrap().unwrap();
        assert_eq!((set.id, set.session), (b, None));
    }

    #[test]
    fn recording_keeps_only_the_newest_sets_of_the_root() {
        let store = Store::in_memory().unwrap();
        let keep_other = store.record_edit_set("/other", None, &one("x")).unwrap();
        let ids: Vec<_> = (0..5)
            .map(|i| {
                store
                    .record_edit_set_keeping(ROOT, None, &one(&format!("f{i}")), 3)
                    .unwrap()
            })
            .collect();
        let listed: Vec<_> = store
            .edit_sets(ROOT, 10)
            .unwrap()
            .iter()
            .map(|s| s.id)
            .collect();
        assert_eq!(listed, [ids[4], ids[3], ids[2]]);
        let files: i64 = store
            .with("count", |c| {
                c.query_row("SELECT COUNT(*) FROM edit_files", [], |r| r.get(0))
            })
            .unwrap();
        assert_eq!(files, 4, "the pruned sets' files went with them");
        assert_eq!(store.edit_sets("/other", 10).unwrap()[0].id, keep_other);
        assert_eq!(JOURNAL_KEEP_PER_ROOT, 200);
    }

    #[test]
    fn oversized_or_malformed_sets_are_refused_whole() {
        let store = Store::in_memory().unwrap();
        let big = vec![b'x'; MAX_JOURNAL_FILE_BYTES + 1];
        let files = vec![
            file("small.rs", Some(b"a"), Some(b"b")),
            file("big.bin", None, Some(&big)),
        ];
        let e = store.record_edit_set(ROOT, None, &files).unwrap_err();
        assert!(e.0.contains("big.bin") && e.0.contains("8 MiB"), "{e}");
        let at_limit = vec![b'x'; MAX_JOURNAL_FILE_BYTES];
        let many: Vec<_> = (0..9)
            .map(|i| file(&format!("f{i}"), None, Some(&at_limit)))
            .collect();
        let e = store.record_edit_set(ROOT, None, &many).unwrap_err();
        assert!(e.0.contains("per set"), "{e}");
        for bad in [
            vec![],
            vec![file("", None, Some(b"x"))],
            vec![file("/etc/passwd", None, Some(b"x"))],
            vec![file("a", None, None)],
            vec![file("a", None, Some(b"1")), file("a", Some(b"1"), None)],
        ] {
            let e = store.record_edit_set(ROOT, None, &bad).unwrap_err();
            assert!(e.0.starts_with("cannot journal this edit"), "{e}");
        }
        assert!(store.edit_sets(ROOT, 10).unwrap().is_empty());
    }

    #[test]
    fn a_damaged_copy_is_not_restored() {
        let store = Store::in_memory().unwrap();
        store.record_edit_set(ROOT, None, &one("a")).unwrap();
        store
            .with("damage", |c| {
                c.execute("UPDATE edit_files SET before = x'00'", [])
            })
            .unwrap();
        let e = store.undo_candidate(ROOT, None).unwrap_err();
        assert!(e.0.contains("damaged"), "{e}");
    }

    #[test]
    fn the_journal_survives_a_restart() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("history.db");
        let files = vec![file("a.txt", Some(b"one\r\n\xff"), None)];
        let (a, b) = {
            let store = Store::open(&path).unwrap();
            let a = store.record_edit_set(ROOT, None, &files).unwrap();
            let b = store.record_edit_set(ROOT, None, &one("b")).unwrap();
            store.mark_undone(b).unwrap();
            (a, b)
        };
        let store = Store::open(&path).unwrap();
        let set = store.undo_candidate(ROOT, None).unwrap().unwrap();
        assert_eq!(set.id, a);
        assert_eq!(set.files[0].before.as_deref(), Some(&b"one\r\n\xff"[..]));
        assert_eq!(set.files[0].after, None);
        let redo = store.redo_candidate(ROOT, None).unwrap().unwrap();
        assert_eq!((redo.id, redo.state), (b, EditState::Undone));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[test]
    fn a_reader_never_sees_half_a_set() {
        const FILES: usize = 40;
        const SETS: usize = 15;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("history.db");
        let writer = Store::open(&path).unwrap();
        let reader = Store::open(&path).unwrap();
        let files: Vec<_> = (0..FILES)
            .map(|i| file(&format!("src/f{i}.rs"), Some(b"old"), Some(b"new")))
            .collect();
        let done = std::sync::atomic::AtomicBool::new(false);
        std::thread::scope(|s| {
            s.spawn(|| {
                for _ in 0..SETS {
                    writer.record_edit_set(ROOT, None, &files).unwrap();
                }
                done.store(true, std::sync::atomic::Ordering::SeqCst);
            });
            let mut seen = 0;
            loop {
                let finished = done.load(std::sync::atomic::Ordering::SeqCst);
                if let Some(set) = reader.undo_candidate(ROOT, None).unwrap() {
                    assert_eq!(set.files.len(), FILES, "set {}", set.id);
                    seen += 1;
                }
                for s in reader.edit_sets(ROOT, 100).unwrap() {
                    assert_eq!(s.files, FILES, "set {}", s.id);
                }
                if finished {
                    break;
                }
            }
            assert!(seen > 0);
        });
        assert_eq!(reader.edit_sets(ROOT, 100).unwrap().len(), SETS);
    }
}
