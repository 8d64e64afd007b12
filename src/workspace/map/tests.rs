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
    fn get(&self, path: &str, mtime_ns: i64, size: u64) -> Option<FileTags> {
        self.gets.set(self.gets.get() + 1);
        self.inner.get(path, mtime_ns, size)
    }
    fn put(&self, path: &str, mtime_ns: i64, size: u64, tags: &FileTags) {
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
