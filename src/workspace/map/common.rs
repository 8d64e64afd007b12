//! Names and files that say little about which file is meant.
//!
//! A tags query sees names, not what they resolve to: a call of `.unwrap()` or a type named
//! `Result` links to any project file that happens to define an `unwrap` or a `Result`, when
//! nearly always the standard library's was meant. Measured on 2,000 files of crate sources
//! (benches/repo_map.rs), such names drew the top of every ranking to the few files that
//! define them (an iterator adapter crate, derive tests declaring `struct Display`), over the
//! files the attached one actually uses. Tests, benches and examples are similar: what they
//! define is for themselves, and a production file that uses a name they define almost
//! always means another thing of that name.

/// Names every program in these languages uses from its standard library or runtime: Rust's
/// prelude and common traits, methods and macros; Python's builtins; JavaScript's globals and
/// array and promise methods; Go's builtins and `fmt`. Sorted, for binary search.
const STD_NAMES: &[&str] = &[
    "Arc",
    "Array",
    "AsMut",
    "AsRef",
    "BTreeMap",
    "BTreeSet",
    "Borrow",
    "Box",
    "Cell",
    "Clone",
    "Close",
    "Copy",
    "Cow",
    "Date",
    "Debug",
    "Default",
    "Deref",
    "DerefMut",
    "Display",
    "Drop",
    "Duration",
    "Eq",
    "Err",
    "Error",
    "Errorf",
    "Exception",
    "Fn",
    "FnMut",
    "FnOnce",
    "Formatter",
    "From",
    "Hash",
    "HashMap",
    "HashSet",
    "Instant",
    "Into",
    "IntoIterator",
    "Iterator",
    "JSON",
    "KeyError",
    "Len",
    "Lock",
    "Map",
    "Math",
    "Mutex",
    "New",
    "None",
    "Object",
    "Ok",
    "Option",
    "Ord",
    "Ordering",
    "PartialEq",
    "PartialOrd",
    "Path",
    "PathBuf",
    "Printf",
    "Println",
    "Promise",
    "Rc",
    "Read",
    "RefCell",
    "Result",
    "Self",
    "Send",
    "Set",
    "Sized",
    "Some",
    "Sprintf",
    "String",
    "Sync",
    "ToOwned",
    "ToString",
    "TypeError",
    "Unlock",
    "ValueError",
    "Vec",
    "VecDeque",
    "Write",
    "all",
    "and_then",
    "any",
    "append",
    "as_bytes",
    "as_mut",
    "as_ptr",
    "as_ref",
    "as_slice",
    "as_str",
    "assert",
    "assert_eq",
    "assert_ne",
    "borrow",
    "borrow_mut",
    "bytes",
    "capacity",
    "catch",
    "chain",
    "chars",
    "clear",
    "clone",
    "cloned",
    "cmp",
    "collect",
    "console",
    "contains",
    "copied",
    "debug_assert",
    "decode",
    "default",
    "dict",
    "drop",
    "encode",
    "ends_with",
    "entry",
    "enumerate",
    "eprint",
    "eprintln",
    "eq",
    "err",
    "expect",
    "extend",
    "filter",
    "filter_map",
    "find",
    "first",
    "float",
    "flush",
    "fmt",
    "forEach",
    "format",
    "from",
    "get",
    "get_mut",
    "getattr",
    "hasattr",
    "hash",
    "insert",
    "int",
    "into",
    "into_iter",
    "is_empty",
    "is_err",
    "is_none",
    "is_ok",
    "is_some",
    "isinstance",
    "items",
    "iter",
    "iter_mut",
    "join",
    "keys",
    "last",
    "len",
    "lines",
    "list",
    "lock",
    "log",
    "make",
    "map",
    "map_err",
    "matches",
    "max",
    "min",
    "new",
    "next",
    "object",
    "ok",
    "ok_or",
    "ok_or_else",
    "open",
    "panic",
    "parse",
    "pop",
    "print",
    "println",
    "push",
    "push_str",
    "range",
    "read",
    "read_to_string",
    "reduce",
    "reject",
    "remove",
    "replace",
    "require",
    "resolve",
    "rev",
    "set",
    "setattr",
    "skip",
    "sort",
    "sort_by",
    "split",
    "starts_with",
    "str",
    "stringify",
    "strip",
    "sum",
    "super",
    "take",
    "then",
    "to_owned",
    "to_string",
    "to_vec",
    "todo",
    "trim",
    "tuple",
    "type",
    "unimplemented",
    "unreachable",
    "unwrap",
    "unwrap_or",
    "unwrap_or_default",
    "unwrap_or_else",
    "update",
    "values",
    "vec",
    "with_capacity",
    "write",
    "write_all",
    "write_fmt",
    "write_str",
    "zip",
];

/// Whether `name` is standard-library vocabulary (see [`STD_NAMES`]).
pub(super) fn is_std_name(name: &str) -> bool {
    STD_NAMES.binary_search(&name).is_ok()
}

/// Directories whose files are tests, benchmarks, examples or their data.
const LEAF_DIRS: &[&str] = &[
    "__tests__",
    "benches",
    "examples",
    "fixtures",
    "spec",
    "test",
    "testdata",
    "tests",
];

/// Whether a workspace-relative path is a test, benchmark or example by the conventions of
/// the languages mapped: a directory named for it, a file named `tests` or `test` (Rust's
/// `mod tests;`), Go's `_test.go`, pytest's `test_*.py` and `*_test.py`, and JavaScript's
/// `*.test.*` and `*.spec.*`.
pub(super) fn is_leaf_path(path: &str) -> bool {
    let mut parts = path.rsplit('/');
    let name = parts.next().unwrap_or(path);
    if parts.any(|dir| LEAF_DIRS.contains(&dir)) {
        return true;
    }
    let stem = name.split('.').next().unwrap_or(name);
    stem == "tests"
        || stem == "test"
        || name.ends_with("_test.go")
        || (name.ends_with(".py") && (stem.starts_with("test_") || stem.ends_with("_test")))
        || name == "conftest.py"
        || [".test.", ".spec."].iter().any(|m| name.contains(m))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_vocabulary_is_sorted_for_search() {
        assert!(STD_NAMES.windows(2).all(|w| w[0] < w[1]), "sort STD_NAMES");
        assert!(is_std_name("unwrap") && is_std_name("Result") && is_std_name("Println"));
        assert!(!is_std_name("load_settings") && !is_std_name("RepoMap"));
    }

    #[test]
    fn tests_benches_and_examples_are_leaves() {
        for leaf in [
            "tests/suite/cli.rs",
            "crate/benches/b.rs",
            "examples/demo.rs",
            "pkg/server_test.go",
            "pkg/tests/helpers.py",
            "app/test_views.py",
            "app/views_test.py",
            "conftest.py",
            "web/src/app.test.tsx",
            "web/src/app.spec.js",
            "ui/__tests__/button.js",
            "src/workspace/map/tests.rs",
            "tests.py",
        ] {
            assert!(is_leaf_path(leaf), "{leaf}");
        }
        for code in [
            "src/testing/mod.rs",
            "src/contest.rs",
            "pkg/server.go",
            "app/views.py",
            "web/src/latest.ts",
        ] {
            assert!(!is_leaf_path(code), "{code}");
        }
    }
}
