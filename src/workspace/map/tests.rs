//! The map end to end over files on disk, the cache, and hostile input.

use std::cell::Cell;
use std::fs;
use std::time::{Duration, Instant};

use super::*;

fn words(s: &str) -> u64 {
    s.split_whitespace().count() as u64
}

/// A small project: an app that uses the settings, a store nobody here uses, and a cycle of
/// helpers that use each other heavily (central, but not to this prompt).
fn project() -> (tempfile::TempDir, Vec<MapFile>) {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut files: Vec<(String, String)> = vec![
        (
            "src/app.rs".to_owned(),
            "use crate::settings::Settings;\n\npub fn run_app() {\n    let s = load_settings(\"x\");\n    s.apply_theme();\n}\n".to_owned(),
        ),
        (
            "src/settings.rs".to_owned(),
            "pub struct Settings { theme: String }\n\nimpl Settings {\n    pub fn apply_theme(&self) {}\n}\n\npub fn load_settings(path: &str) -> Settings {\n    Settings { theme: path.into() }\n}\n".to_owned(),
        ),
        (
            "src/store.rs".to_owned(),
            "pub struct Store;\n\npub fn open_store() -> Store { Store }\n".to_owned(),
        ),
        ("README.md".to_owned(), "# not code\n".to_owned()),
    ];
    for i in 0..6 {
        let next = (i + 1) % 6;
        files.push((
            format!("src/util{i}.rs"),
            format!(
                "pub fn helper_number_{i}() {{\n{}}}\n",
                format!("    helper_number_{next}();\n").repeat(9)
            ),
        ));
    }
    let mut listed = Vec::new();
    for (path, text) in files {
        let full = dir.path().join(&path);
        fs::create_dir_all(full.parent().expect("parent")).expect("mkdir");
        fs::write(&full, &text).expect("write");
        listed.push(MapFile {
            path,
            mtime_ns: 1,
            size: text.len() as u64,
        });
    }
    (dir, listed)
}

#[derive(Default)]
struct Counting {
    inner: MemoryCache,
    gets: Cell<usize>,
    puts: Cell<usize>,
}

impl TagCache for Counting {
    fn get(&self, path: &str, mtime_ns: i64, size: u64) -> Option<std::sync::Arc<FileTags>> {
        self.gets.set(self.gets.get() + 1);
        self.inner.get(path, mtime_ns, size)
    }
    fn put(&self, path: &str, mtime_ns: i64, size: u64, tags: &std::sync::Arc<FileTags>) {
        self.puts.set(self.puts.get() + 1);
        self.inner.put(path, mtime_ns, size, tags);
    }
}

#[test]
fn the_map_follows_the_attached_file_and_leaves_it_out() {
    let (dir, files) = project();
    let focus = Focus {
        attached: vec!["src/app.rs".into()],
        prompt: "the theme is not applied".into(),
    };
    let map = build(dir.path(), &files, &focus, 1000, &words, &NoCache);
    assert_eq!(
        map.files.first().map(String::as_str),
        Some("src/settings.rs"),
        "{map:?}"
    );
    assert!(!map.files.contains(&"src/app.rs".to_owned()));
    assert!(!map.dropped.contains(&"src/app.rs".to_owned()));
    assert!(!map
        .files
        .iter()
        .chain(&map.dropped)
        .any(|p| p == "README.md"));
    assert!(map.text.starts_with(
        "src/settings.rs:\n  pub struct Settings\n  impl Settings\n    pub fn apply_theme(&self)\n  pub fn load_settings(path: &str) -> Settings\n"
    ), "{}", map.text);
    // The store, which nothing in focus uses, comes after the settings.
    let pos = |p: &str| map.files.iter().position(|f| f == p);
    assert!(pos("src/store.rs") > pos("src/settings.rs"));
}

#[test]
fn the_budget_cuts_the_map() {
    let (dir, files) = project();
    let full = build(
        dir.path(),
        &files,
        &Focus::default(),
        10_000,
        &words,
        &NoCache,
    );
    assert_eq!(full.files.len(), 9);
    assert!(full.dropped.is_empty());
    let cut = build(dir.path(), &files, &Focus::default(), 12, &words, &NoCache);
    assert!(cut.tokens <= 12 && words(&cut.text) <= 12, "{cut:?}");
    assert!(!cut.files.is_empty() && !cut.dropped.is_empty());
    assert_eq!(cut.files.len() + cut.dropped.len(), 9);
    assert_eq!(cut.files[..], full.files[..cut.files.len()]);
}

#[test]
fn the_cache_spares_parsing_until_a_file_changes() {
    let (dir, mut files) = project();
    let cache = Counting::default();
    let first = build(dir.path(), &files, &Focus::default(), 1000, &words, &cache);
    assert_eq!(cache.puts.get(), 9, "every code file parsed once");
    // Same time and size: the cached tags stand, even with the file gone from disk.
    fs::remove_file(dir.path().join("src/store.rs")).expect("rm");
    let second = build(dir.path(), &files, &Focus::default(), 1000, &words, &cache);
    assert_eq!(cache.puts.get(), 9, "nothing parsed again");
    assert_eq!(first, second);
    // A changed file is read again (and, being gone, left out).
    let store = files
        .iter_mut()
        .find(|f| f.path == "src/store.rs")
        .expect("store");
    store.mtime_ns = 2;
    let third = build(dir.path(), &files, &Focus::default(), 1000, &words, &cache);
    assert!(!third
        .files
        .iter()
        .chain(&third.dropped)
        .any(|p| p == "src/store.rs"));
}

#[test]
fn unreadable_foreign_and_escaping_files_are_skipped() {
    let (dir, mut files) = project();
    fs::write(dir.path().join("latin1.rs"), b"// caf\xe9\nfn latin() {}\n").expect("write");
    files.push(MapFile {
        path: "latin1.rs".into(),
        mtime_ns: 1,
        size: 20,
    });
    let outside = tempfile::tempdir().expect("temp dir");
    fs::write(outside.path().join("secret.rs"), "fn secret() {}\n").expect("write");
    let name = outside.path().file_name().expect("name").to_string_lossy();
    files.push(MapFile {
        path: format!("../{name}/secret.rs"),
        mtime_ns: 1,
        size: 15,
    });
    files.push(MapFile {
        path: outside
            .path()
            .join("secret.rs")
            .to_string_lossy()
            .into_owned(),
        mtime_ns: 1,
        size: 15,
    });
    files.push(MapFile {
        path: "missing.rs".into(),
        mtime_ns: 1,
        size: 1,
    });
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink("/dev/zero", dir.path().join("zero.rs")).expect("symlink");
        files.push(MapFile {
            path: "zero.rs".into(),
            mtime_ns: 1,
            size: 0,
        });
    }
    let map = build(
        dir.path(),
        &files,
        &Focus::default(),
        10_000,
        &words,
        &NoCache,
    );
    assert_eq!(map.files.len(), 9, "{:?}", map.files);
    let mut expected = vec!["latin1.rs", "missing.rs"];
    if cfg!(unix) {
        expected.push("zero.rs");
    }
    assert_eq!(map.skipped, expected);
    assert!(!map.text.contains("secret") && !map.text.contains("latin"));
}

#[test]
fn many_files_parse_in_parallel_to_the_same_map() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut files = Vec::new();
    for i in 0..100 {
        let path = format!("m{i:03}.py");
        let text = format!("def func_{i}():\n    return func_{}()\n", (i + 1) % 100);
        fs::write(dir.path().join(&path), &text).expect("write");
        files.push(MapFile {
            path,
            mtime_ns: 1,
            size: text.len() as u64,
        });
    }
    let parallel = build(
        dir.path(),
        &files,
        &Focus::default(),
        100_000,
        &words,
        &NoCache,
    );
    assert_eq!(parallel.files.len(), 100);
    let serial: Vec<_> = files.iter().map(|f| tag_file(dir.path(), f)).collect();
    let refs: Vec<&MapFile> = files.iter().collect();
    let later = Instant::now() + Duration::from_secs(3600);
    assert_eq!(tag_files(dir.path(), &refs, later), serial);
    // Past the deadline nothing more is parsed.
    let past = tag_files(dir.path(), &refs, Instant::now());
    assert!(past.iter().all(Option::is_none));
}

/// Hostile files: each must be tagged without a panic, within the cap on time. Debug builds
/// compile tree-sitter without optimisation, so the bound is loose; release is far faster.
#[test]
fn hostile_files_return_quickly() {
    let long_line = format!("fn f() {{ let x = \"{}\"; }}", "a".repeat(1_000_000));
    let deep_parens = format!("fn f() {{ {} }}", "(".repeat(100_000));
    let deep_brackets = "[".repeat(100_000);
    let deep_braces = "{".repeat(100_000);
    let nested_fns = "fn a() {".repeat(10_000);
    let nested_defs: String = (0..5_000)
        .map(|i| format!("{}def f{i}():\n", " ".repeat(i % 200)))
        .collect();
    let many_names: String = (0..60_000).map(|i| format!("n{i}();")).collect();
    let many_defs: String = (0..40_000).map(|i| format!("fn f{i}(){{}}\n")).collect();
    let binaryish: String = (0..500_000u32)
        .map(|i| char::from_u32(1 + (i.wrapping_mul(2_654_435_761) % 0x2FF)).unwrap_or('x'))
        .collect();
    let minified = format!("var a=1;{}", "function q(){return a}".repeat(40_000));
    let cases: Vec<(&str, &str)> = vec![
        ("long.rs", &long_line),
        ("long.py", &long_line),
        ("parens.rs", &deep_parens),
        ("brackets.py", &deep_brackets),
        ("brackets.js", &deep_brackets),
        ("braces.ts", &deep_braces),
        ("braces.go", &deep_braces),
        ("nested.rs", &nested_fns),
        ("nested.py", &nested_defs),
        ("names.rs", &many_names),
        ("names.js", &many_names),
        ("defs.rs", &many_defs),
        ("binary.rs", &binaryish),
        ("binary.tsx", &binaryish),
        ("minified.js", &minified),
    ];
    for (path, text) in cases {
        let start = Instant::now();
        let tags = extract(Path::new(path), text).expect("a grammar");
        let took = start.elapsed();
        eprintln!(
            "{path}: {took:?} defs {} refs {}",
            tags.defs.len(),
            tags.refs.len()
        );
        assert!(took < Duration::from_secs(10), "{path}: {took:?}");
        assert!(tags.defs.len() <= tags::MAX_DEFS, "{path}");
        assert!(tags.refs.len() <= tags::MAX_REF_NAMES, "{path}");
        assert!(
            tags.defs.iter().all(|d| d.signature.chars().count() <= 161),
            "{path}"
        );
    }
}

/// A cache that records what was stored, parsed or scanned.
#[derive(Default)]
struct Recording {
    inner: MemoryCache,
    parsed: std::cell::RefCell<Vec<String>>,
    scanned: std::cell::RefCell<Vec<String>>,
}

impl TagCache for Recording {
    fn get(&self, path: &str, mtime_ns: i64, size: u64) -> Option<std::sync::Arc<FileTags>> {
        self.inner.get(path, mtime_ns, size)
    }
    fn put(&self, path: &str, mtime_ns: i64, size: u64, tags: &std::sync::Arc<FileTags>) {
        let list = if tags.lexical {
            &self.scanned
        } else {
            &self.parsed
        };
        list.borrow_mut().push(path.to_owned());
        self.inner.put(path, mtime_ns, size, tags);
    }
}

#[test]
fn a_cold_map_parses_only_what_it_shows() {
    let (dir, files) = project();
    let cache = Recording::default();
    let small = build(dir.path(), &files, &Focus::default(), 12, &words, &cache);
    let mut parsed = cache.parsed.borrow().clone();
    parsed.sort();
    let mut shown = small.files.clone();
    shown.sort();
    assert_eq!(parsed, shown, "exactly the files shown were parsed");
    assert_eq!(
        cache.parsed.borrow().len() + cache.scanned.borrow().len(),
        9
    );
    assert!(small.text.starts_with(&format!("{}:\n", small.files[0])));
    // The same map again parses nothing and is the same map.
    assert_eq!(
        build(dir.path(), &files, &Focus::default(), 12, &words, &cache),
        small
    );
    assert_eq!(cache.parsed.borrow().len(), shown.len());
    // A larger map parses the files it shows now, once each, and shows parsed tags only.
    let full = build(
        dir.path(),
        &files,
        &Focus::default(),
        10_000,
        &words,
        &cache,
    );
    assert_eq!(full.files.len(), 9);
    let parsed = cache.parsed.borrow().clone();
    let mut once = parsed.clone();
    once.sort();
    once.dedup();
    assert_eq!(once.len(), parsed.len(), "{parsed:?}");
    assert_eq!(parsed.len(), 9);
    assert_eq!(
        full,
        build(
            dir.path(),
            &files,
            &Focus::default(),
            10_000,
            &words,
            &NoCache
        )
    );
}

#[test]
fn a_cold_map_is_the_map_its_cache_makes_again() {
    let (dir, files) = project();
    let focus = Focus {
        attached: vec!["src/app.rs".into()],
        prompt: "the theme is not applied".into(),
    };
    for budget in [8, 12, 20, 30, 1000] {
        let cache = MemoryCache::default();
        let cold = build(dir.path(), &files, &focus, budget, &words, &cache);
        assert_eq!(
            build(dir.path(), &files, &focus, budget, &words, &cache),
            cold,
            "{budget}"
        );
        assert_eq!(
            build(dir.path(), &files, &focus, budget, &words, &NoCache),
            cold,
            "{budget}"
        );
    }
}

#[test]
fn parsed_tags_in_the_cache_make_the_map_of_ranking_them() {
    let (dir, files) = project();
    let cache = MemoryCache::default();
    let mut all = Vec::new();
    for f in &files {
        let text = fs::read_to_string(dir.path().join(&f.path)).expect("read");
        if let Some(tags) = extract(Path::new(&f.path), &text) {
            cache.put(
                &f.path,
                f.mtime_ns,
                f.size,
                &std::sync::Arc::new(tags.clone()),
            );
            all.push((f.path.clone(), tags));
        }
    }
    all.sort_by(|a, b| a.0.cmp(&b.0));
    let focus = Focus {
        attached: vec!["src/app.rs".into()],
        prompt: String::new(),
    };
    let ranked: Vec<(String, f64)> = rank(&all, &focus)
        .into_iter()
        .filter(|(p, _)| p != "src/app.rs")
        .collect();
    let by_path: HashMap<String, FileTags> = all.into_iter().collect();
    for budget in [12, 30, 1000] {
        let expected = render(&ranked, &by_path, budget, &words);
        let map = build(dir.path(), &files, &focus, budget, &words, &cache);
        assert_eq!(
            (map.text, map.files, map.dropped),
            (expected.text, expected.files, expected.dropped)
        );
    }
}

#[test]
fn a_scanned_file_gone_when_it_is_to_be_shown_is_skipped() {
    let (dir, files) = project();
    let cache = Recording::default();
    let small = build(dir.path(), &files, &Focus::default(), 12, &words, &cache);
    let unshown = files
        .iter()
        .find(|f| f.path.ends_with(".rs") && !small.files.contains(&f.path))
        .expect("a file not shown");
    fs::remove_file(dir.path().join(&unshown.path)).expect("rm");
    let full = build(
        dir.path(),
        &files,
        &Focus::default(),
        10_000,
        &words,
        &cache,
    );
    assert_eq!(full.skipped, std::slice::from_ref(&unshown.path));
    assert!(!full.files.contains(&unshown.path) && !full.dropped.contains(&unshown.path));
    assert_eq!(full.files.len(), 8);
    assert!(full.text.starts_with(&format!("{}:\n", full.files[0])));
}

#[test]
fn out_of_time_the_map_shows_scanned_tags() {
    let (dir, files) = project();
    let cache = Recording::default();
    for f in &files {
        let text = fs::read_to_string(dir.path().join(&f.path)).expect("read");
        if let Some(tags) = scan(Path::new(&f.path), &text) {
            cache.inner.put(
                &f.path,
                f.mtime_ns,
                f.size,
                &std::sync::Arc::new(tags.clone()),
            );
        }
    }
    let focus = Focus::default();
    let map = build_within(
        dir.path(),
        &files,
        &focus,
        1000,
        &words,
        &cache,
        Duration::ZERO,
    );
    assert_eq!(map.files.len(), 9, "{map:?}");
    assert!(map.skipped.is_empty());
    assert!(map
        .text
        .contains("pub fn load_settings(path: &str) -> Settings"));
    assert!(cache.parsed.borrow().is_empty() && cache.scanned.borrow().is_empty());
}
