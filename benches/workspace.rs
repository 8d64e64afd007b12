//! The workspace's speed on a made-up tree of 100,000 files (1,000 folders of 100, with a
//! `.gitignore` that hides a tenth of them):
//! - building the file index from nothing (target ≤ 300 ms on 2 cores);
//! - `@` completion over the 100,000 paths, keystroke by keystroke (target ≤ 5 ms each), and
//!   over the first 100,000 files under `/usr`, whose paths are longer and less regular.
//!
//! `cargo bench --bench workspace`. The tree is made once in the system's temp folder and
//! reused by later runs.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use codecrucible::workspace::complete::Completer;
use codecrucible::workspace::{Index, IndexOptions};

const FOLDERS: usize = 1_000;
const PER_FOLDER: usize = 100;

fn tree() -> PathBuf {
    let root = std::env::temp_dir().join("codecrucible-bench-workspace-100k");
    let done = root.join(".complete");
    if done.exists() {
        return root;
    }
    let _ = std::fs::remove_dir_all(&root);
    std::fs::create_dir_all(root.join(".git")).expect("make the tree");
    std::fs::write(root.join(".gitignore"), "*.gen.rs\n").expect("write");
    let areas = [
        "server", "client", "store", "parser", "render", "net", "auth", "cli",
    ];
    for d in 0..FOLDERS {
        let dir = root
            .join("crates")
            .join(areas[d % areas.len()])
            .join(format!("mod_{d:04}"));
        std::fs::create_dir_all(&dir).expect("make a folder");
        for f in 0..PER_FOLDER {
            let name = if f % 10 == 9 {
                format!("file_{f:03}.gen.rs")
            } else {
                format!("file_{f:03}.rs")
            };
            std::fs::write(dir.join(name), "pub fn f() {}\n").expect("write a file");
        }
    }
    std::fs::write(&done, "").expect("mark");
    root
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort_unstable();
    v[v.len() / 2]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn index_runs(root: &Path, n: usize) -> (Vec<Duration>, usize) {
    let mut files = 0;
    let times = (0..n)
        .map(|_| {
            let start = Instant::now();
            let index = Index::build(root, IndexOptions::default());
            let t = start.elapsed();
            files = index.files().len();
            t
        })
        .collect();
    (times, files)
}

fn main() {
    let root = tree();
    let (times, files) = index_runs(&root, 7);
    assert_eq!(
        files,
        FOLDERS * PER_FOLDER * 9 / 10 + 2,
        "ignored files left out (.gitignore and a marker file are in)"
    );
    println!(
        "index of {} files ({} on disk): median {:.1} ms, max {:.1} ms (target ≤ 300 ms)",
        files,
        FOLDERS * PER_FOLDER,
        ms(median(times.clone())),
        ms(*times.iter().max().expect("runs"))
    );
    let paths: Vec<String> = Index::build(&root, IndexOptions::default())
        .files()
        .iter()
        .map(|f| f.rel.clone())
        .collect();
    let typed = [
        "s",
        "st",
        "sto",
        "stor",
        "store",
        "store/",
        "store/m",
        "store/mod_",
        "store/mod_04",
        "store/mod_042",
    ];
    completion("the made-up tree", &paths, &typed);
    // Real paths are longer and less regular: the files under /usr, as found by the index.
    let usr = Index::build(Path::new("/usr"), IndexOptions::default());
    let usr: Vec<String> = usr
        .files()
        .iter()
        .take(100_000)
        .map(|f| f.rel.clone())
        .collect();
    if usr.len() >= 10_000 {
        let typed = [
            "s",
            "sh",
            "sha",
            "shar",
            "share",
            "share/",
            "share/d",
            "share/doc",
            "share/doc/p",
        ];
        completion("/usr", &usr, &typed);
    }
}

/// Types `typed` keystroke by keystroke five times (a fresh completer each time), then a
/// two-word query from nothing (which scans every path), and prints the times.
fn completion(label: &str, paths: &[String], typed: &[&str]) {
    let mut first = Vec::new();
    let mut later = Vec::new();
    let mut fresh = Vec::new();
    let mut built = Vec::new();
    for _ in 0..5 {
        let list = paths.to_vec();
        let start = Instant::now();
        let mut c = Completer::new(list);
        built.push(start.elapsed());
        for (i, query) in typed.iter().enumerate() {
            let start = Instant::now();
            std::hint::black_box(c.complete(query, 50));
            if i == 0 {
                first.push(start.elapsed())
            } else {
                later.push(start.elapsed())
            }
        }
        // A fresh query (not a refinement) scans every path again.
        let start = Instant::now();
        std::hint::black_box(c.complete("pars f07", 50));
        fresh.push(start.elapsed());
    }
    // A mention is one word, so a two-word query is never typed into `@`; it is shown apart.
    let all: Vec<Duration> = first.iter().chain(&later).copied().collect();
    println!(
        "@ completion over {} paths of {label}: median {:.2} ms per keystroke, max {:.2} ms (target ≤ 5 ms); \
         first key {:.2} ms, later keys {:.2} ms; a two-word query from nothing {:.2} ms; \
         building the completer (off the draw path) {:.1} ms",
        paths.len(),
        ms(median(all.clone())),
        ms(*all.iter().max().expect("keys")),
        ms(median(first)),
        ms(median(later)),
        ms(median(fresh)),
        ms(median(built)),
    );
}
