//! Edits to the user's files: reading edit blocks out of a model's answer, matching them
//! against the files, showing them as diffs, and writing them atomically (DESIGN.md,
//! Layout: "edit blocks: parse, match, diff, apply atomically, undo journal"; "Acting on
//! code: a pipeline, not a free agent"). The journal itself lives in the store; [`apply`]
//! returns each file's before and after content for it.
//!
//! Pure except for [`apply`], which is the one part that touches the disk. No engine, UI or
//! store here: the engine drives the pipeline, the front ends show [`FileDiff`]s.
//!
//! # Why two formats
//! Small local models break structured edit formats. aider measured whole-file edits at
//! 97–100% well-formed for local 3–32B models (qwen2.5-coder 7B: 100%), diff-style formats
//! at 72–94%, and code inside JSON tool arguments lower still (issue 14, DESIGN.md). So a
//! small file is rewritten whole, and a large one gets SEARCH/REPLACE blocks; the parser
//! takes either kind for any file.
//!
//! # The formats accepted
//! A path on its own line (blank lines may follow it), then a fence of 3 or more backticks
//! or tildes, any info string:
//!
//! ````text
//! app/calc.py
//! ```python
//! …the entire new content…
//! ```
//! ````
//!
//! The path line may be decorated: `` `path` ``, `**path**`, `# path`, `- path`, `path:`,
//! `File: path`. It must look like a path: no spaces unless in backticks, and a `/` or a
//! `.` in it, or a well-known bare name (`Makefile`, `Dockerfile`, …). A fence after any
//! other line is prose and is skipped.
//!
//! The fence's body is one of:
//! - **search/replace**: one or more blocks, blank lines between them allowed, nothing
//!   else:
//!   ```text
//!   <<<<<<< SEARCH
//!       return a - b
//!   =======
//!       return a + b
//!   >>>>>>> REPLACE
//!   ```
//!   Markers take 5 to 9 of their character, any case, spaces around. An empty SEARCH
//!   creates a new (or fills an empty) file.
//! - **deletion**: only the line `<<<<<<< DELETE` (5 to 9 `<`; blank lines around allowed).
//! - **whole file**: anything else. A Markdown file with its own fences is written with a
//!   longer outer fence (```` ```` ````), or with same-length inner fences that carry an
//!   info string (```` ```sh ````): those nest, and the bare fence after one closes it.
//!
//! A block whose closing fence never came (a cut-off stream) is
//! [`Parsed::incomplete`](parse::Parsed::incomplete), never applied.
//!
//! # Use
//! ```
//! use codecrucible::edit::{diff, matcher, parse};
//! let answer = "src/a.py\n```python\n<<<<<<< SEARCH\nx = 1\n=======\nx = 2\n>>>>>>> REPLACE\n```\n";
//! let parsed = parse::parse(answer);
//! let block = parsed.blocks().next().unwrap();
//! let before = "x = 1\ny = 1\n";
//! let after = matcher::apply_edit(Some(before), &block.kind).unwrap();
//! let d = diff::diff(&block.path, Some(before), after.as_deref());
//! assert_eq!((d.hunks.len(), d.added(), d.removed()), (1, 1, 1));
//! // Then: edit::apply::apply(root, &[Change { path, before, after }]).
//! ```

pub mod apply;
pub mod demo;
pub mod diff;
pub mod matcher;
pub mod parse;
pub mod prompt;

pub use apply::{apply, resolve, Applied, ApplyError, ApplyErrorKind, Change};
pub use diff::{diff, DiffLine, FileDiff, Hunk};
pub use matcher::{apply_edit, MatchError, NearMatch, Strategy};
pub use parse::{
    parse, EditBlock, EditKind, Incomplete, Item, ParseError, Parsed, Parser, Replacement,
};
