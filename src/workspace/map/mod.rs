//! The repository map: what each source file defines, ranked by how much the files in the
//! user's focus rely on it, cut to a token budget (DESIGN.md, "Models to learn from": aider's
//! repository map).
//!
//! - [`extract`] reads one file's definitions and references with tree-sitter tags queries
//!   (Rust, Python, JavaScript, TypeScript/TSX, Go); [`scan`] reads the same names with a
//!   lexical pass, without a parse tree (`lexical.rs`);
//! - [`rank`] orders files by a PageRank over "A uses a name B defines", personalised
//!   towards the attached files and what the prompt names;
//! - [`render`] writes the map in rank order within the budget;
//! - [`build`] does all of it for a list of files, through the caller's [`TagCache`], so a
//!   file is read again only when its modification time or size changes.
//!
//! # A cold map
//!
//! With nothing cached, [`build`] scans every file, ranks, and parses only the files it is
//! about to show (and the attached ones, which steer the ranking). Parsing is what tagging
//! costs: on the bench's 2,000 files of crate sources (14 MB, benches/repo_map.rs) tree-sitter
//! takes about 3.5 s of CPU on one thread on a quiet machine, 62% of it parsing, and two
//! threads gain only 1.3×, so a map that parsed every file took 2.7–2.8 s on two cores (3–8
//! s with two other builds running). The scanner reads the same files in about a twentieth
//! of tree-sitter's CPU time, and a cold map takes 0.3–0.6 s with those builds running,
//! parsing 9 files. The scanner mirrors what the tags queries capture, so the rankings
//! agree: on that tree, and on this project's `src/`, the cold map is the same text as the
//! map of every file parsed, and the first 20 files ranked are the same (the bench prints
//! both comparisons).
//!
//! Parsed tags differ a little from scanned ones, so after parsing what it is about to show
//! the map ranks again, and parses what it would show then, until it shows only parsed
//! files. The cache keeps both kinds, told apart by [`FileTags::lexical`]; a file cached as
//! scanned is parsed, and cached again, when a later map shows it. So the next map from the
//! cache a cold map filled is that same map, and a cache of parsed tags only (as earlier
//! versions filled it) makes exactly the map it always made.
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
use std::path::{Component, Path};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use crate::workspace::read::Capped;

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

/// Tags kept between maps, keyed by path, modification time and size. Shared, not copied:
/// copying 2,000 files' tags was a third of a warm map's time (benches/repo_map.rs).
pub trait TagCache {
    fn get(&self, path: &str, mtime_ns: i64, size: u64) -> Option<Arc<FileTags>>;
    fn put(&self, path: &str, mtime_ns: i64, size: u64, tags: &std::sync::Arc<FileTags>);
}

/// No cache: every file is parsed every time.
pub struct NoCache;

impl TagCache for NoCache {
    fn get(&self, _: &str, _: i64, _: u64) -> Option<Arc<FileTags>> {
        None
    }
    fn put(&self, _: &str, _: i64, _: u64, _: &Arc<FileTags>) {}
}

/// A cache in memory, for one process.
#[derive(Default)]
pub struct MemoryCache {
    entries: Mutex<HashMap<String, Stamped>>,
}

/// Tags with the modification time and size they were read at.
type Stamped = (i64, u64, Arc<FileTags>);

impl MemoryCache {
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Stamped>> {
        // Entries are whole values; a panic elsewhere cannot leave one half-written.
        self.entries.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl TagCache for MemoryCache {
    fn get(&self, path: &str, mtime_ns: i64, size: u64) -> Option<Arc<FileTags>> {
        let entries = self.lock();
        let (m, s, tags) = entries.get(path)?;
        (*m == mtime_ns && *s == size).then(|| Arc::clone(tags))
    }

    fn put(&self, path: &str, mtime_ns: i64, size: u64, tags: &std::sync::Arc<FileTags>) {
        self.lock()
            .insert(path.to_owned(), (mtime_ns, size, Arc::clone(tags)));
    }
}

/// Threads reading files at once in [`build`]. Cold maps are rare (the cache serves the
/// rest) and a local model server may be using the other cores.
const MAX_THREADS: usize = 4;
/// Fewer files than this per thread are not worth a thread when scanning, which is quick.
const MIN_FILES_PER_THREAD: usize = 16;
/// Wall time for reading and parsing in one [`build`]. Files not reached are left out of
/// this map and read by the next one, so a huge or hostile tree fills the cache over several
/// maps instead of holding up one request. A cold map of 2,000 files of crate sources (14
/// MB) takes well under 1 s on two cores (benches/repo_map.rs), so only a far larger tree
/// or a very busy machine reaches this.
const MAX_TAGGING_TIME: Duration = Duration::from_secs(10);
/// Times a cold map ranks again after parsing the files it is about to show. Parsed tags
/// differ a little from scanned ones, so the ranking may move; ranking again with them
/// makes the map the one the next (warm) map, reading the cache this one filled, makes
/// too. Two rankings nearly always agree; the bound only stops a ranking that keeps moving.
const MAX_RERANKS: usize = 4;

/// The map of `files` under `root` for `focus`, within `budget_tokens`. Files with a
/// grammar are tagged (from `cache` when their time and size match, else read within 10 s
/// altogether, and the result stored), ranked, and rendered. Attached files are left out of
/// the map: their whole text goes in the prompt, as in aider. Files that cannot be read or
/// are not UTF-8 are listed in [`RepoMap::skipped`]; paths that would leave the root are
/// ignored.
///
/// A file the cache does not hold is read by the lexical scanner (`lexical.rs`), which is
/// enough to rank it; only the files the map is about to show are parsed with tree-sitter.
/// Both kinds of tags are cached, told apart by [`FileTags::lexical`], and a file cached as
/// scanned is parsed (and cached again) when a later map shows it.
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

/// [`build`] with its own limit on the wall time spent reading and parsing: short for a map
/// a request waits on, long for filling the cache in the background. A file about to be
/// shown when the time is up is shown with its scanned tags.
pub fn build_within(
    root: &Path,
    files: &[MapFile],
    focus: &Focus,
    budget_tokens: u64,
    estimate: &dyn Fn(&str) -> u64,
    cache: &dyn TagCache,
    parse_time: Duration,
) -> RepoMap {
    let deadline = Instant::now() + parse_time;
    let mut entries: Vec<Entry> = Vec::with_capacity(files.len());
    let mut missing: Vec<&MapFile> = Vec::new();
    for f in files {
        if lang::Lang::from_path(Path::new(&f.path)).is_none() || !inside(&f.path) {
            continue;
        }
        match cache.get(&f.path, f.mtime_ns, f.size) {
            Some(tags) => entries.push(Entry::new(f, tags, false)),
            None => missing.push(f),
        }
    }
    let mut skipped = Vec::new();
    let scanned = read_files(&missing, deadline, MIN_FILES_PER_THREAD, |f| {
        scan_file(root, f)
    });
    for (f, outcome) in missing.iter().zip(scanned) {
        match outcome {
            Outcome::Done(tags) => entries.push(Entry::new(f, Arc::new(tags), true)),
            Outcome::Unreadable | Outcome::Late => skipped.push(f.path.clone()),
        }
    }
    // The ranking sums floating-point weights in file order; a fixed order keeps the map
    // the same whichever files came from the cache.
    entries.sort_by(|a, b| a.file.path.cmp(&b.file.path));
    let index: HashMap<&str, usize> = entries
        .iter()
        .enumerate()
        .map(|(i, e)| (e.file.path.as_str(), i))
        .collect();
    let attached: HashSet<String> = focus.attached.iter().map(|p| focus::normalise(p)).collect();
    let rank_now = |entries: &[Entry]| -> Vec<(String, f64)> {
        let input: Vec<(&str, &FileTags)> = entries
            .iter()
            .filter(|e| !e.gone)
            .map(|e| (e.file.path.as_str(), &*e.tags))
            .collect();
        graph::rank_refs(&input, focus)
            .into_iter()
            .filter(|(path, _)| !attached.contains(&focus::normalise(path)))
            .collect()
    };

    // The attached files steer the ranking (what they use counts 50 times): parsed first,
    // so that the focus is exact. They are few, and their own text goes in the prompt.
    let focus_files: Vec<usize> = entries
        .iter()
        .enumerate()
        .filter(|(_, e)| e.tags.lexical && attached.contains(&focus::normalise(&e.file.path)))
        .map(|(i, _)| i)
        .collect();
    parse_into(root, &mut entries, &focus_files, deadline, &mut skipped);

    // Rank, then parse what the map would show, until it shows only parsed files.
    let mut ranked = rank_now(&entries);
    let mut reranks = 0;
    let mut map = loop {
        let lookup = |path: &str| {
            let e = &entries[*index.get(path)?];
            (!e.gone).then_some(&*e.tags)
        };
        let map = render::render_by(&ranked, lookup, budget_tokens, estimate);
        let shown: Vec<usize> = map
            .files
            .iter()
            .filter_map(|p| index.get(p.as_str()).copied())
            .filter(|&i| entries[i].tags.lexical)
            .collect();
        if shown.is_empty() || Instant::now() >= deadline {
            break map;
        }
        if !parse_into(root, &mut entries, &shown, deadline, &mut skipped) {
            // Out of time: what is left is shown as scanned.
            let lookup = |path: &str| {
                let e = &entries[*index.get(path)?];
                (!e.gone).then_some(&*e.tags)
            };
            ranked.retain(|(p, _)| lookup(p).is_some());
            break render::render_by(&ranked, lookup, budget_tokens, estimate);
        }
        if reranks < MAX_RERANKS {
            reranks += 1;
            ranked = rank_now(&entries);
        } else {
            ranked.retain(|(p, _)| index.get(p.as_str()).is_some_and(|&i| !entries[i].gone));
        }
    };
    for e in entries.iter().filter(|e| e.fresh && e.cacheable) {
        cache.put(&e.file.path, e.file.mtime_ns, e.file.size, &e.tags);
    }
    skipped.sort();
    map.skipped = skipped;
    map
}

/// Parses the files at `which` in `entries`, replacing their scanned tags; one that can no
/// longer be read is marked gone and listed in `skipped`. False if the deadline came first
/// for any: those keep their scanned tags.
fn parse_into(
    root: &Path,
    entries: &mut [Entry],
    which: &[usize],
    deadline: Instant,
    skipped: &mut Vec<String>,
) -> bool {
    let batch: Vec<&MapFile> = which.iter().map(|&i| entries[i].file).collect();
    // A batch is a few large files: each is worth a thread.
    let parsed = read_files(&batch, deadline, 1, |f| tag_file(root, f));
    let mut in_time = true;
    for (&i, outcome) in which.iter().zip(parsed) {
        let e = &mut entries[i];
        match outcome {
            Outcome::Done((tags, complete)) => {
                e.tags = Arc::new(tags);
                e.fresh = true;
                e.cacheable = complete;
            }
            Outcome::Unreadable => {
                // Gone or changed since it was listed (or cached): not in this map.
                e.gone = true;
                e.fresh = false;
                skipped.push(e.file.path.clone());
            }
            Outcome::Late => in_time = false,
        }
    }
    in_time
}

/// A file in a map and its tags.
struct Entry<'f> {
    file: &'f MapFile,
    tags: Arc<FileTags>,
    /// Read in this map, so to be cached (when `cacheable`).
    fresh: bool,
    /// False for tags a parse cut short by its time cap: they depend on the machine's load.
    cacheable: bool,
    /// Could not be read when it came to parsing it: out of this map.
    gone: bool,
}

impl<'f> Entry<'f> {
    fn new(file: &'f MapFile, tags: Arc<FileTags>, fresh: bool) -> Self {
        Entry {
            file,
            tags,
            fresh,
            cacheable: true,
            gone: false,
        }
    }
}

/// A relative path that stays under the root.
fn inside(path: &str) -> bool {
    !path.is_empty()
        && Path::new(path)
            .components()
            .all(|c| matches!(c, Component::Normal(_) | Component::CurDir))
}

/// What became of one file in [`read_files`].
#[derive(Debug, Clone, PartialEq)]
enum Outcome<T> {
    Done(T),
    /// Not readable, not a regular file, or not UTF-8.
    Unreadable,
    /// Not reached by the deadline.
    Late,
}

/// `read` applied to each file, in order, on up to [`MAX_THREADS`] threads (each with at
/// least `min_per_thread` files), largest files first so no thread is left with a big one
/// at the end; files not started by `deadline` are [`Outcome::Late`].
fn read_files<T: Send>(
    files: &[&MapFile],
    deadline: Instant,
    min_per_thread: usize,
    read: impl Fn(&MapFile) -> Option<T> + Sync,
) -> Vec<Outcome<T>> {
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(MAX_THREADS)
        .min(files.len() / min_per_thread.max(1))
        .max(1);
    let one = |f: &MapFile| {
        if Instant::now() >= deadline {
            return Outcome::Late;
        }
        read(f).map_or(Outcome::Unreadable, Outcome::Done)
    };
    if threads == 1 {
        return files.iter().map(|f| one(f)).collect();
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
            done.push((i, one(files[i])));
        }
    };
    let mut results: Vec<Outcome<T>> = (0..files.len()).map(|_| Outcome::Unreadable).collect();
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
        for (i, outcome) in all {
            results[i] = outcome;
        }
    });
    results
}

/// Tags for each file, in order; `None` where a file could not be read or was not reached
/// by `deadline`.
#[cfg(test)]
fn tag_files(root: &Path, files: &[&MapFile], deadline: Instant) -> Vec<Option<(FileTags, bool)>> {
    read_files(files, deadline, MIN_FILES_PER_THREAD, |f| tag_file(root, f))
        .into_iter()
        .map(|o| match o {
            Outcome::Done(t) => Some(t),
            Outcome::Unreadable | Outcome::Late => None,
        })
        .collect()
}

/// One file's parsed tags, and whether they may be cached (they may not when the parse ran
/// out of time): empty when the file is too large to parse, `None` when it cannot be read
/// or is not UTF-8.
fn tag_file(root: &Path, f: &MapFile) -> Option<(FileTags, bool)> {
    match read_source(root, f)? {
        Some(text) => tags::extract_timed(Path::new(&f.path), &text),
        None => Some((FileTags::default(), true)),
    }
}

/// One file's scanned tags (see `lexical.rs`), `None` when it cannot be read or is not
/// UTF-8.
fn scan_file(root: &Path, f: &MapFile) -> Option<FileTags> {
    let lang = lang::Lang::from_path(Path::new(&f.path))?;
    Some(match read_source(root, f)? {
        Some(text) => lexical::scan_lang(lang, &text),
        None => FileTags::default(),
    })
}

/// A file's text: `Some(None)` when it is larger than [`MAX_FILE_BYTES`] (not read, and
/// tagged as empty), `None` when it cannot be read or is not UTF-8.
fn read_source(root: &Path, f: &MapFile) -> Option<Option<String>> {
    if f.size > MAX_FILE_BYTES as u64 {
        return Some(None);
    }
    // Only regular files: a FIFO or device named `x.rs` would block or never end.
    match crate::workspace::read::capped(&root.join(&f.path), MAX_FILE_BYTES as u64).ok()? {
        Capped::Bytes(bytes) => String::from_utf8(bytes).ok().map(Some),
        Capped::TooLarge => Some(None),
        Capped::Missing => None,
    }
}

#[cfg(test)]
mod tests;
