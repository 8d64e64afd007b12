//! The workspace's file index: every file a user may attach, found with ripgrep's walker
//! (the `ignore` crate), so `.gitignore`, `.ignore`, `.git/info/exclude` and the global git
//! excludes are honoured as `rg` honours them. Files that are binary by their extension are
//! left out; content is sniffed, and the size limit applied, where a file is read
//! (`attach.rs`, the repository map). The index itself reads no file's metadata: on a
//! 100,000-file tree a `stat` of every file cost 390 ms of the walk's 550 ms here
//! (`cargo bench --bench workspace`), and the few files a request reads can be checked then.
//!
//! It is rebuilt before each request that names a file, so a file created a moment ago can
//! be attached.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// One file, by its path relative to the workspace root (with `/` separators).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexedFile {
    pub rel: String,
}

/// How the index is walked.
#[derive(Debug, Clone, Copy)]
pub struct IndexOptions {
    /// Walker threads.
    pub threads: usize,
}

impl Default for IndexOptions {
    fn default() -> Self {
        // The machines this runs on have 2 cores; a third thread only adds switching.
        Self { threads: 2 }
    }
}

/// The files of one workspace, sorted by path.
#[derive(Debug, Clone, Default)]
pub struct Index {
    root: PathBuf,
    files: Vec<IndexedFile>,
}

impl Index {
    /// Walks `root`. Unreadable directories and files are skipped: an index is a best
    /// effort, and what is missing from it can still be named explicitly.
    pub fn build(root: &Path, opts: IndexOptions) -> Index {
        let found = Mutex::new(Vec::new());
        let mut collect = Collect {
            root,
            found: &found,
        };
        walker(root, opts).build_parallel().visit(&mut collect);
        let mut files = found.into_inner().unwrap_or_else(|e| e.into_inner());
        files.sort_unstable_by(|a, b| a.rel.cmp(&b.rel));
        Index {
            root: root.to_path_buf(),
            files,
        }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    pub fn files(&self) -> &[IndexedFile] {
        &self.files
    }

    /// The file at `rel`, if indexed.
    pub fn get(&self, rel: &str) -> Option<&IndexedFile> {
        self.files
            .binary_search_by(|f| f.rel.as_str().cmp(rel))
            .ok()
            .map(|i| &self.files[i])
    }

    /// The indexed files under folder `rel` (`""` for all).
    pub fn under<'a>(&'a self, rel: &str) -> impl Iterator<Item = &'a IndexedFile> + 'a {
        let prefix = match rel.trim_end_matches('/') {
            "" | "." => String::new(),
            p => format!("{p}/"),
        };
        let start = self.files.partition_point(|f| f.rel < prefix);
        self.files[start..]
            .iter()
            .take_while(move |f| f.rel.starts_with(&prefix))
    }

    /// Files whose name (last component) is `name`.
    pub fn named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a IndexedFile> + 'a {
        self.files
            .iter()
            .filter(move |f| f.rel.rsplit('/').next() == Some(name))
    }
}

/// Gives each walker thread a [`Collector`].
struct Collect<'a> {
    root: &'a Path,
    found: &'a Mutex<Vec<IndexedFile>>,
}

impl<'s> ignore::ParallelVisitorBuilder<'s> for Collect<'s> {
    fn build(&mut self) -> Box<dyn ignore::ParallelVisitor + 's> {
        Box::new(Collector {
            root: self.root,
            found: self.found,
            local: Vec::new(),
        })
    }
}

/// One walker thread's files, handed over in batches (one lock per batch, not per file).
struct Collector<'a> {
    root: &'a Path,
    found: &'a Mutex<Vec<IndexedFile>>,
    local: Vec<IndexedFile>,
}

impl ignore::ParallelVisitor for Collector<'_> {
    fn visit(&mut self, entry: Result<ignore::DirEntry, ignore::Error>) -> ignore::WalkState {
        if let Some(f) = entry.ok().and_then(|e| indexed(self.root, &e)) {
            self.local.push(f);
            if self.local.len() >= 1024 {
                self.flush();
            }
        }
        ignore::WalkState::Continue
    }
}

impl Collector<'_> {
    fn flush(&mut self) {
        if let Ok(mut all) = self.found.lock() {
            all.append(&mut self.local);
        }
    }
}

impl Drop for Collector<'_> {
    fn drop(&mut self) {
        self.flush();
    }
}

fn walker(root: &Path, opts: IndexOptions) -> ignore::WalkBuilder {
    let mut b = ignore::WalkBuilder::new(root);
    b.hidden(false) // dotfiles such as .github/ are part of a project
        .git_ignore(true)
        .git_global(true)
        .git_exclude(true)
        .ignore(true)
        .parents(true)
        // .gitignore counts outside a git repository too: it still says what is generated.
        .require_git(false)
        .follow_links(false)
        .threads(opts.threads.max(1))
        .filter_entry(|e| e.file_name() != ".git");
    b
}

fn indexed(root: &Path, e: &ignore::DirEntry) -> Option<IndexedFile> {
    if !e.file_type()?.is_file() {
        return None;
    }
    let rel = relative(root, e.path())?;
    (!binary_by_name(&rel)).then_some(IndexedFile { rel })
}

/// `path` relative to `root` with `/` separators; `None` for a name that is not UTF-8
/// (it could not be named in a prompt).
pub fn relative(root: &Path, path: &Path) -> Option<String> {
    let rel = path.strip_prefix(root).ok()?.to_str()?;
    Some(if std::path::MAIN_SEPARATOR == '/' {
        rel.to_owned()
    } else {
        rel.replace(std::path::MAIN_SEPARATOR, "/")
    })
}

/// Extensions of formats that are never text. Content is sniffed too when a file is read
/// (`attach.rs`); this only keeps the obvious ones out of completion and the map.
fn binary_by_name(rel: &str) -> bool {
    const BINARY: &[&str] = &[
        "png",
        "jpg",
        "jpeg",
        "gif",
        "bmp",
        "ico",
        "webp",
        "tiff",
        "psd",
        "pdf",
        "zip",
        "gz",
        "tgz",
        "bz2",
        "xz",
        "zst",
        "7z",
        "rar",
        "tar",
        "jar",
        "war",
        "class",
        "so",
        "dylib",
        "dll",
        "exe",
        "o",
        "a",
        "lib",
        "obj",
        "rlib",
        "wasm",
        "pyc",
        "pyo",
        "woff",
        "woff2",
        "ttf",
        "otf",
        "eot",
        "mp3",
        "mp4",
        "wav",
        "ogg",
        "flac",
        "mov",
        "avi",
        "mkv",
        "webm",
        "sqlite",
        "db",
        "gguf",
        "bin",
        "onnx",
        "pt",
        "safetensors",
        "npy",
        "npz",
        "parquet",
    ];
    let Some((_, ext)) = rel.rsplit_once('.') else {
        return false;
    };
    BINARY.iter().any(|b| b.eq_ignore_ascii_case(ext))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(root: &Path, rel: &str, text: &str) {
        let p = root.join(rel);
        std::fs::create_dir_all(p.parent().expect("parent")).expect("dirs");
        std::fs::write(p, text).expect("write");
    }

    fn rels(i: &Index) -> Vec<&str> {
        i.files().iter().map(|f| f.rel.as_str()).collect()
    }

    #[test]
    fn ignore_files_are_honoured_and_binaries_left_out() {
        let d = tempfile::tempdir().expect("tempdir");
        let r = d.path();
        std::fs::create_dir_all(r.join(".git/info")).expect("git");
        write(r, ".git/info/exclude", "local-notes.md\n");
        write(r, ".gitignore", "target/\n*.log\n");
        write(r, "src/.ignore", "generated.rs\n");
        write(r, "src/main.rs", "fn main() {}\n");
        write(r, "src/generated.rs", "// generated\n");
        write(r, "src/pool.rs", "pub struct Pool;\n");
        write(r, "target/debug/out.rs", "x\n");
        write(r, "build.log", "x\n");
        write(r, "local-notes.md", "x\n");
        write(r, "logo.png", "x\n");
        write(r, ".github/workflows/ci.yml", "on: push\n");
        write(r, ".env", "TOKEN=1\n");
        let i = Index::build(r, IndexOptions::default());
        assert_eq!(
            rels(&i),
            [
                ".env",
                ".github/workflows/ci.yml",
                ".gitignore",
                "src/.ignore",
                "src/main.rs",
                "src/pool.rs"
            ]
        );
        assert!(i.get("src/pool.rs").is_some());
        let under: Vec<&str> = i.under("src/").map(|f| f.rel.as_str()).collect();
        assert_eq!(under, ["src/.ignore", "src/main.rs", "src/pool.rs"]);
        assert_eq!(i.named("pool.rs").count(), 1);
    }
}
