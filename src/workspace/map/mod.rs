//! The repository map: what each source file defines, ranked by how much the files in the
//! user's focus rely on it, cut to a token budget (DESIGN.md, "Models to learn from": aider's
//! repository map).
//!
//! - [`extract`] reads one file's definitions and references with tree-sitter tags queries
//!   (Rust, Python, JavaScript, TypeScript/TSX, Go);
//! - [`rank`] orders files by a PageRank over "A uses a name B defines", personalised
//!   towards the attached files and what the prompt names;
//! - [`render`] writes the map in rank order within the budget;
//! - [`build`] does all three for a list of files, through the caller's [`TagCache`], so a
//!   file is parsed again only when its modification time or size changes.
//!
//! Pure but for [`build`], which reads the listed files; no engine, store or front end here.

mod common;
mod focus;
mod graph;
mod lang;
mod lexical;
mod render;
mod tags;

use std::collections::{HashMap, HashSet};
use std::fs::File;
use std::io::Read;
use std::path::{Component, Path};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

pub use focus::Focus;
pub use graph::rank;
pub use lexical::scan;
pub use render::{render, RepoMap, MAX_SYMBOLS_SHOWN};
pub use tags::{extract, FileTags, Symbol, SymbolKind, MAX_FILE_BYTES};

/// A file of the workspace as the index lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MapFile {
    /// Relative to the workspace root, `/`-separated.
    pub path: String,
    pub mtime_ns: i64,
    pub size: u64,
}

/// Tags kept between maps, keyed by path, modification time and size.
pub trait TagCache {
    fn get(&self, path: &str, mtime_ns: i64, size: u64) -> Option<FileTags>;
    fn put(&self, path: &str, mtime_ns: i64, size: u64, tags: &FileTags);
}

/// No cache: every file is parsed every time.
pub struct NoCache;

impl TagCache for NoCache {
    fn get(&self, _: &str, _: i64, _: u64) -> Option<FileTags> {
        None
    }
    fn put(&self, _: &str, _: i64, _: u64, _: &FileTags) {}
}

/// A cache in memory, for one process.
#[derive(Default)]
pub struct MemoryCache {
    entries: Mutex<HashMap<String, (i64, u64, FileTags)>>,
}

impl MemoryCache {
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, (i64, u64, FileTags)>> {
        // Entries are whole values; a panic elsewhere cannot leave one half-written.
        self.entries.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl TagCache for MemoryCache {
    fn get(&self, path: &str, mtime_ns: i64, size: u64) -> Option<FileTags> {
        let entries = self.lock();
        let (m, s, tags) = entries.get(path)?;
        (*m == mtime_ns && *s == size).then(|| tags.clone())
    }

    fn put(&self, path: &str, mtime_ns: i64, size: u64, tags: &FileTags) {
        self.lock()
            .insert(path.to_owned(), (mtime_ns, size, tags.clone()));
    }
}

/// Threads parsing at once in [`build`]. Cold maps are rare (the cache serves the rest) and
/// a local model server may be using the other cores.
const MAX_THREADS: usize = 4;
/// Fewer files than this per thread are not worth a thread.
const MIN_FILES_PER_THREAD: usize = 16;
/// Wall time for parsing in one [`build`]. Files not reached are left out of this map and
/// parsed by the next one, so a huge or hostile tree fills the cache over several maps
/// instead of holding up one request. 2,000 files of crate sources (14 MB) take about 6 s of
/// CPU time to tag (benches/repo_map.rs), so such a tree is mapped whole on two cores unless
/// the machine is busy with other work, and a larger one over several maps.
const MAX_TAGGING_TIME: Duration = Duration::from_secs(10);

/// The map of `files` under `root` for `focus`, within `budget_tokens`. Files with a
/// grammar are tagged (from `cache` when their time and size match, else read and parsed
/// within 10 s altogether, and the result stored), ranked, and rendered. Attached files are left out of the map:
/// their whole text goes in the prompt, as in aider. Files that cannot be read or are not
/// UTF-8 are listed in [`RepoMap::skipped`]; paths that would leave the root are ignored.
pub fn build(
    root: &Path,
    files: &[MapFile],
    focus: &Focus,
    budget_tokens: u64,
    estimate: &dyn Fn(&str) -> u64,
    cache: &dyn TagCache,
) -> RepoMap {
    build_within(
        root,
        files,
        focus,
        budget_tokens,
        estimate,
        cache,
        MAX_TAGGING_TIME,
    )
}

/// [`build`] with its own limit on the wall time spent parsing: short for a map a request
/// waits on, long for filling the cache in the background.
pub fn build_within(
    root: &Path,
    files: &[MapFile],
    focus: &Focus,
    budget_tokens: u64,
    estimate: &dyn Fn(&str) -> u64,
    cache: &dyn TagCache,
    parse_time: Duration,
) -> RepoMap {
    let mut tagged: Vec<(String, FileTags)> = Vec::with_capacity(files.len());
    let mut missing: Vec<&MapFile> = Vec::new();
    for f in files {
        if lang::Lang::from_path(Path::new(&f.path)).is_none() || !inside(&f.path) {
            continue;
        }
        match cache.get(&f.path, f.mtime_ns, f.size) {
            Some(tags) => tagged.push((f.path.clone(), tags)),
            None => missing.push(f),
        }
    }
    let fresh = tag_files(root, &missing, Instant::now() + parse_time);
    let mut skipped = Vec::new();
    for (f, tagged_now) in missing.iter().zip(fresh) {
        match tagged_now {
            Some((tags, complete)) => {
                if complete {
                    cache.put(&f.path, f.mtime_ns, f.size, &tags);
                }
                tagged.push((f.path.clone(), tags));
            }
            None => skipped.push(f.path.clone()),
        }
    }
    // The ranking sums floating-point weights in file order; a fixed order keeps the map
    // the same whichever files came from the cache.
    tagged.sort_by(|a, b| a.0.cmp(&b.0));
    let attached: HashSet<String> = focus.attached.iter().map(|p| focus::normalise(p)).collect();
    let ranked: Vec<(String, f64)> = rank(&tagged, focus)
        .into_iter()
        .filter(|(path, _)| !attached.contains(&focus::normalise(path)))
        .collect();
    let tags: HashMap<String, FileTags> = tagged.into_iter().collect();
    let mut map = render(&ranked, &tags, budget_tokens, estimate);
    skipped.sort();
    map.skipped = skipped;
    map
}

/// A relative path that stays under the root.
fn inside(path: &str) -> bool {
    !path.is_empty()
        && Path::new(path)
            .components()
            .all(|c| matches!(c, Component::Normal(_) | Component::CurDir))
}

/// Tags for each file, in order; `None` where a file could not be read or was not reached
/// by `deadline`. Parses on up to [`MAX_THREADS`] threads, taking files largest first so no
/// thread is left with a big one at the end.
fn tag_files(root: &Path, files: &[&MapFile], deadline: Instant) -> Vec<Option<(FileTags, bool)>> {
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(MAX_THREADS)
        .min(files.len() / MIN_FILES_PER_THREAD)
        .max(1);
    let tag = |f: &MapFile| {
        if Instant::now() >= deadline {
            return None;
        }
        tag_file(root, f)
    };
    if threads == 1 {
        return files.iter().map(|f| tag(f)).collect();
    }
    let mut order: Vec<usize> = (0..files.len()).collect();
    order.sort_by_key(|&i| std::cmp::Reverse(files[i].size));
    let next = AtomicUsize::new(0);
    let work = || {
        let mut done = Vec::new();
        loop {
            let k = next.fetch_add(1, Ordering::Relaxed);
            let Some(&i) = order.get(k) else {
                return done;
            };
            done.push((i, tag(files[i])));
        }
    };
    let mut results: Vec<Option<(FileTags, bool)>> = vec![None; files.len()];
    std::thread::scope(|s| {
        let helpers: Vec<_> = (1..threads)
            .filter_map(|_| std::thread::Builder::new().spawn_scoped(s, work).ok())
            .collect();
        // This thread works too; a helper that failed to start leaves its share to the rest.
        let mut all = work();
        for h in helpers {
            // A panicking helper loses only the files it had taken; they are skipped.
            if let Ok(done) = h.join() {
                all.extend(done);
            }
        }
        for (i, tags) in all {
            results[i] = tags;
        }
    });
    results
}

/// One file's tags, and whether they may be cached (they may not when the parse ran out of
/// time): empty when the file is too large to parse, `None` when it cannot be read or is not
/// UTF-8.
fn tag_file(root: &Path, f: &MapFile) -> Option<(FileTags, bool)> {
    if f.size > MAX_FILE_BYTES as u64 {
        return Some((FileTags::default(), true));
    }
    let file = File::open(root.join(&f.path)).ok()?;
    // Only regular files: a FIFO or device named `x.rs` would block or never end.
    if !file.metadata().ok()?.is_file() {
        return None;
    }
    let mut bytes = Vec::with_capacity(usize::try_from(f.size).unwrap_or(0).min(MAX_FILE_BYTES));
    // The file may have grown since it was listed: read one byte past the cap to know.
    file.take(MAX_FILE_BYTES as u64 + 1)
        .read_to_end(&mut bytes)
        .ok()?;
    if bytes.len() > MAX_FILE_BYTES {
        return Some((FileTags::default(), true));
    }
    let text = String::from_utf8(bytes).ok()?;
    tags::extract_timed(Path::new(&f.path), &text)
}

#[cfg(test)]
mod tests;
