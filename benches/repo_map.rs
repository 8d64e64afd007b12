//! The repository map over a real 2,000-file source tree: the first 2,000 `.rs` files, by
//! path, of the crate sources cargo has unpacked under `~/.cargo/registry/src/*/` (present on
//! any machine that built this project), copied into a temporary directory. Or, with
//! `REPO_MAP_TREE=dir`, the source files under `dir` where they are (`target`, `.git` and
//! hidden directories left out); `REPO_MAP_ATTACH=path` picks the attached file and
//! `REPO_MAP_PROMPT` the question.
//!
//! - cold: no cache, so every file is read and scanned, the files the map shows are parsed,
//!   then ranked and rendered. Target: median ≤ 1.5 s.
//! - warm: every file's tags from an in-memory cache, so rank and render only: from the cache
//!   a cold map filled (scanned tags for most files), and from a cache of parsed tags only
//!   (what earlier versions filled), which must make exactly the map of ranking every file's
//!   parsed tags. Target: median ≤ 50 ms.
//!
//! Also printed: the phases apart (tagging with tree-sitter and scanning, each on one thread,
//! ranking, rendering), how far the cold ranking is from the ranking of every file's parsed
//! tags, the hostile inputs of the unit tests timed in release, the load average before and
//! after, and the heads of both rankings and of the map. `cargo bench --bench repo_map`;
//! `REPO_MAP_FILES=N` changes the count; `REPO_MAP_DUMP=file` and `REPO_MAP_DUMP_SCANNED=file`
//! write every file's parsed and scanned tags as JSON.

use std::cell::Cell;
use std::collections::{HashMap, HashSet};
use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use codecrucible::workspace::map::{
    build_within, extract, rank, render, scan, FileTags, Focus, MapFile, MemoryCache, NoCache,
    TagCache,
};

const BUDGET_TOKENS: u64 = 2048;
const COLD_RUNS: usize = 7;
const WARM_RUNS: usize = 31;

fn estimate(s: &str) -> u64 {
    (s.len() as u64).div_ceil(4)
}

/// A cache that counts what a map stores, parsed and scanned.
#[derive(Default)]
struct Counting {
    inner: MemoryCache,
    parsed: Cell<usize>,
    scanned: Cell<usize>,
}

impl TagCache for Counting {
    fn get(&self, path: &str, mtime_ns: i64, size: u64) -> Option<std::sync::Arc<FileTags>> {
        self.inner.get(path, mtime_ns, size)
    }
    fn put(&self, path: &str, mtime_ns: i64, size: u64, tags: &std::sync::Arc<FileTags>) {
        let count = if tags.lexical {
            &self.scanned
        } else {
            &self.parsed
        };
        count.set(count.get() + 1);
        self.inner.put(path, mtime_ns, size, tags);
    }
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` runs this unoptimised, where
    // the figures would mean nothing and take minutes.
    if !std::env::args().any(|a| a == "--bench") {
        println!("repo_map: run with `cargo bench --bench repo_map`");
        return;
    }
    let count: usize = std::env::var("REPO_MAP_FILES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2000);
    let copy = tempfile::tempdir().expect("temp dir");
    let Some((root, files)) = tree(count, copy.path()) else {
        return;
    };
    let root = root.as_path();
    println!("load average before: {}", load_average());

    // A realistic focus: one attached file and a question in words.
    let attached = std::env::var("REPO_MAP_ATTACH")
        .ok()
        .or_else(|| {
            let ends = |f: &&MapFile, tail: &str| {
                f.path == tail.trim_start_matches('/') || f.path.ends_with(tail)
            };
            files
                .iter()
                .find(|f| ends(f, "/src/parser/mod.rs") || ends(f, "/src/parser.rs"))
                .or_else(|| files.iter().find(|f| ends(f, "/src/lib.rs")))
                .map(|f| f.path.clone())
        })
        .unwrap_or_default();
    let focus = Focus {
        attached: vec![attached.clone()],
        prompt: std::env::var("REPO_MAP_PROMPT").unwrap_or_else(|_| {
            "Why does `Parser::advance` drop the last byte of an escape sequence?".into()
        }),
    };
    println!("focus: attached {attached}");

    // No limit on parsing time that a busy machine could reach: the whole tree is measured.
    let map_with = |cache: &dyn TagCache| {
        let limit = Duration::from_secs(600);
        build_within(root, &files, &focus, BUDGET_TOKENS, &estimate, cache, limit)
    };
    // Compiles the queries once, as any process's first map does.
    let first = Instant::now();
    let map = map_with(&NoCache);
    println!("first map (compiles the queries): {}", ms(first.elapsed()));
    // Under heavy load files may run out of time; the figures then understate the work.
    let complete = map.skipped.is_empty();
    if !complete {
        println!(
            "  {} files were not tagged within the time for parsing: the machine is too busy",
            map.skipped.len()
        );
    }

    let mut cold = Vec::new();
    let mut cold_cpu = Vec::new();
    for _ in 0..COLD_RUNS {
        let (t, c) = (Instant::now(), cpu_time());
        let m = map_with(&NoCache);
        cold.push(t.elapsed());
        cold_cpu.push(cpu_time().saturating_sub(c));
        if complete && m.skipped.is_empty() {
            assert_eq!(m, map, "the map is deterministic");
        }
    }

    // Warm, from the cache a cold map fills.
    let cache = Counting::default();
    let filled = map_with(&cache);
    if complete {
        assert_eq!(filled, map, "a cold map is the same whatever the cache");
    }
    let (parsed_cold, scanned_cold) = (cache.parsed.get(), cache.scanned.get());
    // The phases apart, and every file parsed: the reference a cold map is measured against.
    let texts: Vec<(String, String)> = files
        .iter()
        .filter_map(|f| {
            let bytes = fs::read(root.join(&f.path)).ok()?;
            Some((f.path.clone(), String::from_utf8(bytes).ok()?))
        })
        .collect();
    let (t, c) = (Instant::now(), cpu_time());
    let mut tagged: Vec<(String, FileTags)> = Vec::new();
    for (path, text) in &texts {
        if let Some(tags) = extract(Path::new(path), text) {
            tagged.push((path.clone(), tags));
        }
    }
    let serial = t.elapsed();
    let serial_cpu = cpu_time().saturating_sub(c);
    let (t, c) = (Instant::now(), cpu_time());
    let mut scanned: Vec<(String, FileTags)> = Vec::new();
    for (path, text) in &texts {
        if let Some(tags) = scan(Path::new(path), text) {
            scanned.push((path.clone(), tags));
        }
    }
    let scan_serial = t.elapsed();
    let scan_cpu = cpu_time().saturating_sub(c);
    tagged.sort_by(|a, b| a.0.cmp(&b.0));
    scanned.sort_by(|a, b| a.0.cmp(&b.0));
    if let Some(path) = std::env::var_os("REPO_MAP_DUMP") {
        fs::write(path, serde_json::to_vec(&tagged).expect("json")).expect("dump");
    }
    if let Some(path) = std::env::var_os("REPO_MAP_DUMP_SCANNED") {
        fs::write(path, serde_json::to_vec(&scanned).expect("json")).expect("dump");
    }
    let mut ranks = Vec::new();
    let mut ranked = Vec::new();
    for _ in 0..WARM_RUNS {
        let t = Instant::now();
        ranked = rank(&tagged, &focus);
        ranks.push(t.elapsed());
    }
    let ranked: Vec<(String, f64)> = ranked.into_iter().filter(|(p, _)| *p != attached).collect();
    let by_path: HashMap<String, FileTags> = tagged.iter().cloned().collect();
    let mut renders = Vec::new();
    let mut reference = render(&ranked, &by_path, BUDGET_TOKENS, &estimate);
    for _ in 0..WARM_RUNS {
        let t = Instant::now();
        reference = render(&ranked, &by_path, BUDGET_TOKENS, &estimate);
        renders.push(t.elapsed());
    }

    // Warm from a cache of parsed tags only: exactly the reference.
    let parsed_cache = MemoryCache::default();
    for f in &files {
        if let Some(tags) = by_path.get(&f.path) {
            parsed_cache.put(
                &f.path,
                f.mtime_ns,
                f.size,
                &std::sync::Arc::new(tags.clone()),
            );
        }
    }
    // The two warm maps in turn, so that other work on the machine weighs on both alike.
    let mut warm = Vec::new();
    let mut warm_parsed = Vec::new();
    for _ in 0..WARM_RUNS {
        let t = Instant::now();
        let m = map_with(&cache);
        warm.push(t.elapsed());
        if complete {
            assert_eq!(m, map, "the cache a cold map fills makes the same map");
        }
        let t = Instant::now();
        let m = map_with(&parsed_cache);
        warm_parsed.push(t.elapsed());
        if complete {
            assert_eq!(
                m.text, reference.text,
                "parsed tags make the map they always made"
            );
            assert_eq!(m.files, reference.files);
            assert_eq!(m.dropped, reference.dropped);
        }
    }
    assert_eq!(
        cache.parsed.get(),
        parsed_cold,
        "a warm map of the same focus parses nothing"
    );

    let defs: usize = tagged.iter().map(|(_, t)| t.defs.len()).sum();
    let refs: usize = tagged.iter().map(|(_, t)| t.refs.len()).sum();
    let uses: u64 = tagged
        .iter()
        .flat_map(|(_, t)| &t.refs)
        .map(|(_, n)| u64::from(*n))
        .sum();
    let cached_bytes: usize = tagged
        .iter()
        .map(|(_, t)| serde_json::to_vec(t).map_or(0, |v| v.len()))
        .sum();
    let scanned_defs: usize = scanned.iter().map(|(_, t)| t.defs.len()).sum();
    let scanned_refs: usize = scanned.iter().map(|(_, t)| t.refs.len()).sum();

    println!();
    println!(
        "cold map, no cache (read + scan + parse what is shown + rank + render): median {} (min {}, max {}) over {COLD_RUNS} runs; target ≤ 1500 ms",
        ms(median(&mut cold)),
        ms(cold[0]),
        ms(*cold.last().expect("runs"))
    );
    println!(
        "  CPU time per cold map: median {} (all threads together); files parsed with tree-sitter: {parsed_cold} of {}",
        ms(median(&mut cold_cpu)),
        parsed_cold + scanned_cold
    );
    println!(
        "warm map, tags from the cache a cold map filled (rank + render): median {} (min {}, max {}) over {WARM_RUNS} runs; target ≤ 50 ms",
        ms(median(&mut warm)),
        ms(warm[0]),
        ms(*warm.last().expect("runs"))
    );
    println!(
        "warm map, parsed tags only in the cache: median {} (min {}, max {}); the same map as ranking every file's parsed tags",
        ms(median(&mut warm_parsed)),
        ms(warm_parsed[0]),
        ms(*warm_parsed.last().expect("runs"))
    );
    println!(
        "  on one thread: tagging with tree-sitter {} ({} CPU); scanning {} ({} CPU); rank: median {}; render: median {}",
        ms(serial),
        ms(serial_cpu),
        ms(scan_serial),
        ms(scan_cpu),
        ms(median(&mut ranks)),
        ms(median(&mut renders))
    );
    println!(
        "  parsed tags: {} files, {defs} definitions, {refs} distinct names per file ({uses} uses), {:.1} MB as JSON",
        tagged.len(),
        cached_bytes as f64 / 1e6
    );
    println!("  scanned tags: {scanned_defs} definitions, {scanned_refs} distinct names per file");
    println!(
        "  map: {} tokens (estimated at 4 bytes a token) of {BUDGET_TOKENS}, {} files shown, {} dropped",
        map.tokens,
        map.files.len(),
        map.dropped.len()
    );
    println!("load average after: {}", load_average());

    // How close the cold map is to the map of every file parsed.
    let cold_order: Vec<&str> = map
        .files
        .iter()
        .chain(&map.dropped)
        .map(String::as_str)
        .collect();
    let full_order: Vec<&str> = ranked.iter().map(|(p, _)| p.as_str()).collect();
    let scanned_ranked: Vec<(String, f64)> = rank(&scanned, &focus)
        .into_iter()
        .filter(|(p, _)| *p != attached)
        .collect();
    let scan_order: Vec<&str> = scanned_ranked.iter().map(|(p, _)| p.as_str()).collect();
    println!("\nagainst the ranking of every file's parsed tags (shared files among the first k):");
    for (name, order) in [
        ("cold map", &cold_order),
        ("scanned tags alone", &scan_order),
    ] {
        let overlaps: Vec<String> = [5, 10, 20, 50]
            .iter()
            .map(|&k| format!("top {k}: {}", overlap(order, &full_order, k)))
            .collect();
        println!("  {name:<20} {}", overlaps.join(", "));
    }
    println!(
        "  files shown: {} of the reference's {} shown; map text {}",
        overlap(
            &map.files.iter().map(String::as_str).collect::<Vec<_>>(),
            &reference
                .files
                .iter()
                .map(String::as_str)
                .collect::<Vec<_>>(),
            reference.files.len().max(map.files.len())
        ),
        reference.files.len(),
        if map.text == reference.text {
            "identical".to_owned()
        } else {
            let same = map
                .text
                .lines()
                .zip(reference.text.lines())
                .take_while(|(a, b)| a == b)
                .count();
            format!("differs (the first {same} lines agree)")
        }
    );

    hostile();

    println!("\nthe rankings' heads (score × 1000): every file parsed | cold map");
    for (i, (path, score)) in ranked.iter().take(20).enumerate() {
        let cold = cold_order.get(i).copied().unwrap_or("");
        let mark = if cold == path { "=" } else { "≠" };
        println!("  {:>7.3}  {path:<55} {mark} {cold}", score * 1000.0);
    }
    println!("\nthe map's head:");
    for line in map.text.lines().take(40) {
        println!("  {line}");
    }
}

/// How many of the first `k` of `a` are among the first `k` of `b`.
fn overlap(a: &[&str], b: &[&str], k: usize) -> usize {
    let b: HashSet<&str> = b.iter().take(k).copied().collect();
    a.iter().take(k).filter(|p| b.contains(*p)).count()
}

/// The tree to map, under its root, with its listed files.
fn tree(count: usize, copy: &Path) -> Option<(PathBuf, Vec<MapFile>)> {
    if let Some(dir) = std::env::var_os("REPO_MAP_TREE") {
        let root = PathBuf::from(dir);
        let mut sources = Vec::new();
        collect(
            &root,
            &mut sources,
            &["rs", "py", "js", "jsx", "mjs", "cjs", "ts", "tsx", "go"],
        );
        sources.sort();
        sources.truncate(count);
        let files: Vec<MapFile> = sources
            .iter()
            .map(|src| {
                let meta = fs::metadata(src).expect("metadata");
                let rel = src.strip_prefix(&root).expect("under the root");
                MapFile {
                    path: rel.to_string_lossy().replace('\\', "/"),
                    mtime_ns: mtime_ns(&meta),
                    size: meta.len(),
                }
            })
            .collect();
        let bytes: u64 = files.iter().map(|f| f.size).sum();
        println!(
            "tree: {} files, {:.1} MB, under {}",
            files.len(),
            bytes as f64 / 1e6,
            root.display()
        );
        return Some((root, files));
    }
    let Some(registry) = registry_src() else {
        println!("repo_map: no ~/.cargo/registry/src/*/ here; nothing to measure");
        return None;
    };
    let mut sources = Vec::new();
    collect(&registry, &mut sources, &["rs"]);
    sources.sort();
    sources.truncate(count);
    if sources.is_empty() {
        println!("repo_map: no .rs files under {}", registry.display());
        return None;
    }
    let mut files = Vec::with_capacity(sources.len());
    let mut bytes = 0u64;
    let mut over_cap = 0usize;
    let mut crates = std::collections::BTreeMap::<String, usize>::new();
    for src in &sources {
        let rel = src.strip_prefix(&registry).expect("under the registry");
        let dst = copy.join(rel);
        fs::create_dir_all(dst.parent().expect("parent")).expect("mkdir");
        fs::copy(src, &dst).expect("copy");
        let meta = fs::metadata(&dst).expect("metadata");
        bytes += meta.len();
        over_cap += usize::from(meta.len() > codecrucible::workspace::map::MAX_FILE_BYTES as u64);
        let rel = rel.to_string_lossy().replace('\\', "/");
        let krate = rel.split('/').next().unwrap_or_default().to_owned();
        *crates.entry(krate).or_default() += 1;
        files.push(MapFile {
            path: rel,
            mtime_ns: mtime_ns(&meta),
            size: meta.len(),
        });
    }
    let mut biggest: Vec<(&String, &usize)> = crates.iter().collect();
    biggest.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    println!(
        "tree: {} files, {:.1} MB, {} crates (from {} to {}), {} over the 1 MiB cap",
        files.len(),
        bytes as f64 / 1e6,
        crates.len(),
        crates.keys().next().map_or("", String::as_str),
        crates.keys().last().map_or("", String::as_str),
        over_cap,
    );
    println!(
        "  most files: {}",
        biggest
            .iter()
            .take(6)
            .map(|(k, n)| format!("{k} ({n})"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    Some((copy.to_path_buf(), files))
}

/// The unit tests' hostile inputs, timed in release.
fn hostile() {
    let long_line = format!("fn f() {{ let x = \"{}\"; }}", "a".repeat(1_000_000));
    let deep = "(".repeat(100_000);
    let deep_parens = format!("fn f() {{ {deep} }}");
    let deep_brackets = "[".repeat(100_000);
    let deep_braces = "{".repeat(100_000);
    let nested_fns = "fn a() {".repeat(10_000);
    let many_names: String = (0..60_000).map(|i| format!("n{i}();")).collect();
    let many_defs: String = (0..40_000).map(|i| format!("fn f{i}(){{}}\n")).collect();
    let binaryish: String = (0..500_000u32)
        .map(|i| char::from_u32(1 + (i.wrapping_mul(2_654_435_761) % 0x2FF)).unwrap_or('x'))
        .collect();
    let minified = format!("var a=1;{}", "function q(){return a}".repeat(40_000));
    println!(
        "\nhostile files (each is tagged with a 1 s cap per parse and per query; then scanned):"
    );
    for (path, text) in [
        ("long.rs", &long_line),
        ("parens.rs", &deep_parens),
        ("brackets.py", &deep_brackets),
        ("braces.go", &deep_braces),
        ("braces.ts", &deep_braces),
        ("nested.rs", &nested_fns),
        ("names.rs", &many_names),
        ("defs.rs", &many_defs),
        ("binary.rs", &binaryish),
        ("minified.js", &minified),
    ] {
        let t = Instant::now();
        let tags = extract(Path::new(path), text).unwrap_or_default();
        let parsed = t.elapsed();
        let t = Instant::now();
        let scanned = scan(Path::new(path), text).unwrap_or_default();
        println!(
            "  {path:<12} {:>7.1} KB  {:>9}  {} defs, {} names | {:>8}  {} defs, {} names",
            text.len() as f64 / 1e3,
            ms(parsed),
            tags.defs.len(),
            tags.refs.len(),
            ms(t.elapsed()),
            scanned.defs.len(),
            scanned.refs.len()
        );
    }
}

fn registry_src() -> Option<PathBuf> {
    let home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))?;
    let src = home.join("registry").join("src");
    let mut dirs: Vec<PathBuf> = fs::read_dir(&src)
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    // With several registries, their parent: paths then start with the registry's name.
    match dirs.len() {
        0 => None,
        1 => dirs.pop(),
        _ => Some(src),
    }
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>, exts: &[&str]) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let Ok(kind) = e.file_type() else { continue };
        let path = e.path();
        let name = e.file_name();
        let name = name.to_string_lossy();
        if kind.is_dir() {
            if !name.starts_with('.') && name != "target" && name != "node_modules" {
                collect(&path, out, exts);
            }
        } else if kind.is_file()
            && path
                .extension()
                .is_some_and(|x| exts.iter().any(|e| x == *e))
        {
            out.push(path);
        }
    }
}

fn mtime_ns(meta: &fs::Metadata) -> i64 {
    meta.modified()
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map_or(0, |d| i64::try_from(d.as_nanos()).unwrap_or(i64::MAX))
}

fn median(v: &mut [Duration]) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1e3)
}

/// CPU time this process has used, all threads.
fn cpu_time() -> Duration {
    // SAFETY: getrusage only writes the struct it is given.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    if unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) } != 0 {
        return Duration::ZERO;
    }
    let tv = |t: libc::timeval| {
        Duration::from_secs(t.tv_sec.max(0) as u64) + Duration::from_micros(t.tv_usec.max(0) as u64)
    };
    tv(usage.ru_utime) + tv(usage.ru_stime)
}

fn load_average() -> String {
    fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "unknown".into())
}
