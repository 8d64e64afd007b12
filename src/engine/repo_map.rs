//! The repository map a request sends: for analysis, planning, multi-file and security
//! work, and in the Explorer voice, the workspace's files with their definitions, ranked by
//! relevance to the prompt and the attached files (`workspace::map`). Symbols are cached
//! per file in the history database by modification time and size; the cache is read
//! through the writer, filled in memory while the map is built, and the new rows written
//! back by the writer, which stays the store's only writer. A long-lived engine (the TUI)
//! also keeps each workspace's symbols in memory ([`Warm`]), so only its first map reads
//! the store: the rows of 2,000 files are about 4.4 MB of JSON (benches/repo_map.rs).

use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::UNIX_EPOCH;

use crate::router::TaskType;
use crate::store::CachedTags;
use crate::workspace::map::{self, FileTags, Focus, MapFile, MemoryCache, RepoMap, TagCache};
use crate::workspace::{Index, IndexOptions};

/// Tokens the map is rendered to, before the window is known. Each server then gets its
/// head, cut to what its window leaves (at most a quarter of it, see `context.rs`), so a
/// 16k window can take all of it and a 4k one its first files.
pub const MAP_RENDERED: u64 = 4096;

/// Workspaces whose symbols are kept in memory at once.
const WARM_ROOTS: usize = 4;

/// Symbols kept in memory between requests, per workspace root, most recent last.
#[derive(Default)]
pub struct Warm {
    roots: Mutex<Vec<(String, Arc<MemoryCache>)>>,
}

impl Warm {
    /// The symbols kept for `root`, if any.
    pub fn get(&self, root: &str) -> Option<Arc<MemoryCache>> {
        let mut roots = self.lock();
        let at = roots.iter().position(|(r, _)| r == root)?;
        let entry = roots.remove(at);
        let cache = Arc::clone(&entry.1);
        roots.push(entry);
        Some(cache)
    }

    /// Keeps `cache` for `root`, forgetting the least recently used root past
    /// [`WARM_ROOTS`].
    pub fn keep(&self, root: &str, cache: Arc<MemoryCache>) {
        let mut roots = self.lock();
        roots.retain(|(r, _)| r != root);
        if roots.len() >= WARM_ROOTS {
            roots.remove(0);
        }
        roots.push((root.to_owned(), cache));
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<(String, Arc<MemoryCache>)>> {
        // Entries are whole values; a panic elsewhere cannot leave one half-written.
        self.roots.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Extensions the map has grammars for; only these files are looked at.
const MAPPED: &[&str] = &["rs", "py", "js", "jsx", "mjs", "cjs", "ts", "tsx", "go"];

/// Whether this request gets a map.
pub fn wanted(task: TaskType, voice: Option<&str>) -> bool {
    matches!(
        task,
        TaskType::Analysis | TaskType::Planning | TaskType::MultiFile | TaskType::Security
    ) || voice.is_some_and(|v| v.eq_ignore_ascii_case("explorer"))
}

/// The symbols in memory, and what this map read afresh (for the store).
struct Cache {
    known: Arc<MemoryCache>,
    fresh: Mutex<Vec<CachedTags>>,
}

impl TagCache for Cache {
    fn get(&self, path: &str, mtime_ns: i64, size: u64) -> Option<std::sync::Arc<FileTags>> {
        self.known.get(path, mtime_ns, size)
    }

    fn put(&self, path: &str, mtime_ns: i64, size: u64, tags: &std::sync::Arc<FileTags>) {
        self.known.put(path, mtime_ns, size, tags);
        let Ok(json) = serde_json::to_string(&**tags) else {
            return;
        };
        if let Ok(mut fresh) = self.fresh.lock() {
            fresh.push(CachedTags {
                path: path.to_owned(),
                mtime_ns,
                size,
                tags: json,
            });
        }
    }
}

/// Fills a memory cache from the store's rows (rows that do not parse are skipped: the file
/// is parsed again).
pub fn warm_from(rows: Vec<CachedTags>) -> MemoryCache {
    let cache = MemoryCache::default();
    for c in rows {
        if let Ok(tags) = serde_json::from_str::<FileTags>(&c.tags) {
            cache.put(&c.path, c.mtime_ns, c.size, &Arc::new(tags));
        }
    }
    cache
}

/// Builds the map (blocking: a walk, a `stat` of each source file and parsing the files
/// `known` does not hold). Returns it with the rows to store; `known` gains them too.
pub fn build(
    root: &Path,
    index: Option<&Index>,
    focus: &Focus,
    known: Arc<MemoryCache>,
    max_file_bytes: u64,
    chars_per_token: f64,
) -> (RepoMap, Vec<CachedTags>) {
    let cache = Cache {
        known,
        fresh: Mutex::new(Vec::new()),
    };
    let walked;
    let index = match index {
        Some(i) => i,
        None => {
            walked = Index::build(root, IndexOptions::default());
            &walked
        }
    };
    let files = source_files(root, index, max_file_bytes);
    let estimate = |s: &str| super::context::tokens(s, chars_per_token);
    let map = map::build(root, &files, focus, MAP_RENDERED, &estimate, &cache);
    let fresh = cache.fresh.into_inner().unwrap_or_default();
    (map, fresh)
}

/// The workspace's files that have a grammar, with their time and size.
fn source_files(root: &Path, index: &Index, max_file_bytes: u64) -> Vec<MapFile> {
    index
        .files()
        .iter()
        .filter(|f| {
            f.rel
                .rsplit_once('.')
                .is_some_and(|(_, ext)| MAPPED.contains(&ext))
        })
        .filter(|f| !crate::workspace::secrets::is_secret(&f.rel))
        .filter_map(|f| {
            let meta = std::fs::metadata(root.join(&f.rel)).ok()?;
            let mtime_ns = meta
                .modified()
                .ok()
                .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
                .map_or(0, |d| i64::try_from(d.as_nanos()).unwrap_or(i64::MAX));
            (meta.len() <= max_file_bytes).then(|| MapFile {
                path: f.rel.clone(),
                mtime_ns,
                size: meta.len(),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn analysis_work_and_the_explorer_get_a_map() {
        assert!(wanted(TaskType::Security, None));
        assert!(wanted(TaskType::MultiFile, None));
        assert!(!wanted(TaskType::Format, None));
        assert!(wanted(TaskType::Format, Some("Explorer")));
    }

    #[test]
    fn a_second_map_reads_its_symbols_from_the_cache() {
        let d = tempfile::tempdir().expect("tempdir");
        std::fs::create_dir_all(d.path().join("src")).expect("dirs");
        std::fs::write(
            d.path().join("src/auth.rs"),
            "pub fn check_password(p: &str) -> bool { p.len() > 8 }\n",
        )
        .expect("write");
        std::fs::write(
            d.path().join("src/main.rs"),
            "fn main() { auth::check_password(\"x\"); }\n",
        )
        .expect("write");
        let focus = Focus {
            attached: Vec::new(),
            prompt: "review check_password".into(),
        };
        let memory = Arc::new(MemoryCache::default());
        let (first, fresh) = build(d.path(), None, &focus, Arc::clone(&memory), 1 << 20, 3.5);
        assert!(first.text.contains("check_password"), "{}", first.text);
        assert_eq!(fresh.len(), 2, "both files parsed and offered to the store");
        assert_eq!(memory.len(), 2, "and kept in memory");
        let (second, again) = build(d.path(), None, &focus, memory, 1 << 20, 3.5);
        assert_eq!(second.text, first.text);
        assert!(again.is_empty(), "nothing parsed the second time");
        // A new process starts from the store's rows.
        let (third, again) = build(
            d.path(),
            None,
            &focus,
            Arc::new(warm_from(fresh)),
            1 << 20,
            3.5,
        );
        assert_eq!(third.text, first.text);
        assert!(
            again.is_empty(),
            "nothing parsed from the stored rows either"
        );
        // A file that changes is parsed again.
        std::fs::write(
            d.path().join("src/auth.rs"),
            "pub fn check_password_twice() {}\n",
        )
        .expect("write");
        let (fourth, again) = build(
            d.path(),
            None,
            &focus,
            Arc::new(warm_from(Vec::new())),
            1 << 20,
            3.5,
        );
        assert!(
            fourth.text.contains("check_password_twice"),
            "{}",
            fourth.text
        );
        assert_eq!(again.len(), 2);
    }

    #[test]
    fn the_most_recent_workspaces_stay_warm() {
        let warm = Warm::default();
        for i in 0..6 {
            warm.keep(&format!("/w{i}"), Arc::new(MemoryCache::default()));
        }
        assert!(warm.get("/w0").is_none() && warm.get("/w1").is_none());
        assert!(warm.get("/w2").is_some(), "four kept");
        warm.keep("/w6", Arc::new(MemoryCache::default()));
        assert!(
            warm.get("/w2").is_some(),
            "a root just used is not the one forgotten"
        );
        assert!(warm.get("/w3").is_none());
    }
}
