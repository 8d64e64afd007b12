//! The repository map through its public interface, as the engine calls it: a small project
//! in four languages on disk, a focus, a budget, and a cache that outlives one map.

use std::fs;
use std::path::Path;

use codecrucible::workspace::map::{build, Focus, MapFile, MemoryCache, SymbolKind};

const FILES: &[(&str, &str)] = &[
    (
        "server/handlers.go",
        "package server\n\nfunc HandleJobs(w Writer) {\n\tstats := CollectQueueStats()\n\tRenderStats(w, stats)\n}\n",
    ),
    (
        "server/stats.go",
        "package server\n\ntype QueueStats struct {\n\tPending int\n}\n\nfunc CollectQueueStats() QueueStats {\n\treturn QueueStats{}\n}\n",
    ),
    (
        "server/render.go",
        "package server\n\nfunc RenderStats(w Writer, s QueueStats) {}\n",
    ),
    (
        "client/lease.py",
        "class LeaseClient:\n    def take_lease(self, queue_name):\n        return open_connection(queue_name)\n",
    ),
    (
        "client/net.py",
        "def open_connection(name):\n    pass\n",
    ),
    (
        "web/summary.ts",
        "export interface JobSummary { pending: number }\n\nexport function summariseJobs(): JobSummary {\n  return { pending: 0 };\n}\n",
    ),
    (
        "web/view.js",
        "import { summariseJobs } from './summary';\n\nexport function renderView() {\n  return summariseJobs();\n}\n",
    ),
    ("docs/notes.md", "# QueueStats and LeaseClient\n"),
];

fn project() -> (tempfile::TempDir, Vec<MapFile>) {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut listed = Vec::new();
    for (path, text) in FILES {
        let full = dir.path().join(path);
        fs::create_dir_all(full.parent().expect("parent")).expect("mkdir");
        fs::write(&full, text).expect("write");
        listed.push(MapFile {
            path: (*path).to_owned(),
            mtime_ns: 7,
            size: text.len() as u64,
        });
    }
    (dir, listed)
}

fn tokens(s: &str) -> u64 {
    (s.len() as u64).div_ceil(4)
}

fn map(root: &Path, files: &[MapFile], focus: &Focus, budget: u64, cache: &MemoryCache) -> String {
    build(root, files, focus, budget, &tokens, cache).text
}

#[test]
fn the_attached_go_handler_brings_the_files_it_calls_first() {
    let (dir, files) = project();
    let cache = MemoryCache::default();
    let focus = Focus {
        attached: vec!["server/handlers.go".into()],
        prompt: "the pending count is always zero".into(),
    };
    let result = build(dir.path(), &files, &focus, 10_000, &tokens, &cache);
    // Every code file but the attached one, and no markdown.
    assert_eq!(result.files.len(), 6, "{result:?}");
    assert!(result.skipped.is_empty());
    let top: Vec<&str> = result.files.iter().take(2).map(String::as_str).collect();
    assert!(top.contains(&"server/stats.go"), "{top:?}");
    assert!(top.contains(&"server/render.go"), "{top:?}");
    assert!(result.text.contains(
        "server/stats.go:\n  type QueueStats struct\n  func CollectQueueStats() QueueStats\n"
    ));
    assert_eq!(cache.len(), 7, "every code file's tags are cached");
}

#[test]
fn a_symbol_written_as_code_in_the_prompt_points_at_its_file() {
    let (dir, files) = project();
    let cache = MemoryCache::default();
    let focus = Focus {
        attached: vec![],
        prompt: "why does `take_lease` hang?".into(),
    };
    let text = map(dir.path(), &files, &focus, 10_000, &cache);
    assert!(
        text.starts_with(
            "client/lease.py:\n  class LeaseClient:\n    def take_lease(self, queue_name):\n"
        ),
        "{text}"
    );
    // What it calls comes next.
    assert!(text.find("client/net.py") < text.find("server/"), "{text}");
}

#[test]
fn a_small_budget_keeps_the_head_of_the_same_ranking() {
    let (dir, files) = project();
    let cache = MemoryCache::default();
    let focus = Focus {
        attached: vec!["web/view.js".into()],
        prompt: String::new(),
    };
    let full = build(dir.path(), &files, &focus, 10_000, &tokens, &cache);
    let small = build(dir.path(), &files, &focus, 20, &tokens, &cache);
    assert!(small.tokens <= 20);
    assert_eq!(full.files[0], "web/summary.ts");
    assert_eq!(small.files, full.files[..small.files.len()]);
    assert_eq!(small.files.len() + small.dropped.len(), full.files.len());
    assert!(
        small.text.starts_with("web/summary.ts:\n"),
        "{}",
        small.text
    );
}

#[test]
fn extraction_is_public_for_callers_with_their_own_pipeline() {
    let tags = codecrucible::workspace::map::extract(
        Path::new("web/summary.ts"),
        "export interface JobSummary { pending: number }\n",
    )
    .expect("TypeScript has a grammar");
    assert_eq!(tags.defs[0].kind, SymbolKind::Interface);
    assert_eq!(tags.defs[0].signature, "export interface JobSummary");
    // Tags survive the round trip a store-backed cache makes.
    let json = serde_json::to_string(&tags).expect("serialise");
    assert_eq!(
        serde_json::from_str::<codecrucible::workspace::map::FileTags>(&json).expect("parse"),
        tags
    );
}
