//! The repository map a request sends: for analysis, planning, multi-file and security
//! work, and in the Explorer voice, the workspace's files with their definitions, ranked by
//! relevance to the prompt and the attached files (`workspace::map`). Symbols are cached
//! per file in the history database by modification time and size; the cache is read
//! through the writer, filled in memory while the map is built, and the new rows written
//! back by the writer, which stays the store's only writer.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Mutex;
use std::time::UNIX_EPOCH;

use crate::router::TaskType;
use crate::store::CachedTags;
use crate::workspace::map::{self, FileTags, Focus, MapFile, RepoMap, TagCache};
use crate::workspace::{Index, IndexOptions};

/// Tokens the map may take before the window is known; it is left out if what the window
/// leaves after the attached files is smaller.
pub const MAP_BUDGET: u64 = 1024;

/// Extensions the map has grammars for; only these files are looked at.
const MAPPED: &[&str] = &["rs", "py", "js", "jsx", "mjs", "cjs", "ts", "tsx", "go"];

/// Whether this request gets a map.
pub fn wanted(task: TaskType, voice: Option<&str>) -> bool {
    matches!(
        task,
        TaskType::Analysis | TaskType::Planning | TaskType::MultiFile | TaskType::Security
    ) || voice.is_some_and(|v| v.eq_ignore_ascii_case("explorer"))
}

/// The cache as loaded from the store, and what this map read afresh.
struct Cache {
    known: HashMap<String, (i64, u64, FileTags)>,
    fresh: Mutex<Vec<CachedTags>>,
}

impl TagCache for Cache {
    fn get(&self, path: &str, mtime_ns: i64, size: u64) -> Option<FileTags> {
        let (m, s, tags) = self.known.get(path)?;
        (*m == mtime_ns && *s == size).then(|| tags.clone())
    }

    fn put(&self, path: &str, mtime_ns: i64, size: u64, tags: &FileTags) {
        let Ok(json) = serde_json::to_string(tags) else {
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

/// Builds the map (blocking: a walk, a `stat` of each source file and parsing the files
/// the cache does not hold). Returns it with the rows to cache.
pub fn build(
    root: &Path,
    index: Option<&Index>,
    focus: &Focus,
    cached: Vec<CachedTags>,
    max_file_bytes: u64,
    chars_per_token: f64,
) -> (RepoMap, Vec<CachedTags>) {
    let known = cached
        .into_iter()
        .filter_map(|c| {
            let tags = serde_json::from_str(&c.tags).ok()?;
            Some((c.path, (c.mtime_ns, c.size, tags)))
        })
        .collect();
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
    let map = map::build(root, &files, focus, MAP_BUDGET, &estimate, &cache);
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
        let (first, fresh) = build(d.path(), None, &focus, Vec::new(), 1 << 20, 3.5);
        assert!(first.text.contains("check_password"), "{}", first.text);
        assert_eq!(fresh.len(), 2, "both files parsed and offered to the cache");
        let (second, again) = build(d.path(), None, &focus, fresh, 1 << 20, 3.5);
        assert_eq!(second.text, first.text);
        assert!(again.is_empty(), "nothing parsed the second time");
    }
}
