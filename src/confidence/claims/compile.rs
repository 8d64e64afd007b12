//! Code in a compiled language, checked by its own compiler (`rustc`, `gcc`, `g++`, `javac`,
//! `go`, `tsc`) in the sandbox. The grammar check (`syntax`) sees only the shape of the code; a type error
//! (`f64 / usize`, a `&str` passed where a `String` is wanted, a header that does not exist)
//! parses cleanly and reads like a good answer, but the code does not build.
//!
//! Answers hold fragments, so the driver (`driver_compile.py`) compiles each block as
//! written and wrapped in a function, as the grammar check does, and judges a block only
//! when one reading is free of syntax errors (those are the grammar check's) and of errors
//! that say the fragment needs surroundings it was not given (an undeclared name, an
//! unknown type, a missing `use` or crate). What is left is an error in the code itself.

use serde::Serialize;

use crate::confidence::fences::Part;
use crate::confidence::words::{has_phrase, normalise};

/// Blocks larger than this are not compiled: answers' fragments are short, and a compile
/// costs time in proportion.
const MAX_BLOCK: usize = 16 * 1024;
/// At most this many blocks per answer.
const MAX_BLOCKS: usize = 4;

/// One block and the compiler that reads it.
#[derive(Debug, Serialize, PartialEq)]
pub(super) struct Unit {
    lang: &'static str,
    code: String,
}

#[derive(Debug, Default, Serialize, PartialEq)]
pub(super) struct Payload {
    units: Vec<Unit>,
}

impl Payload {
    /// Whether a block is Rust, whose compiler lives in the toolchain's own directory.
    pub(super) fn has_rust(&self) -> bool {
        self.units.iter().any(|u| u.lang == "rust")
    }
}

/// The compiler's language for a fence tag; shell commands are run, and only the options
/// their own programs refuse count.
fn lang_of(tag: &str) -> Option<&'static str> {
    Some(match tag {
        "bash" | "sh" | "shell" | "zsh" | "console" | "terminal" => "shell",
        "rust" | "rs" => "rust",
        "c" => "c",
        "cpp" | "c++" | "cc" | "cxx" | "hpp" => "cpp",
        "java" => "java",
        "go" | "golang" => "go",
        "ts" | "typescript" => "ts",
        _ => return None,
    })
}

/// A block with an elision (`...` on a line of its own) is a sketch, not code to build.
fn elided(code: &str) -> bool {
    code.lines().any(|l| {
        let t = l.trim();
        t == "..." || t == "…" || t.starts_with("...") && !t.starts_with("...=")
    })
}

/// Systems whose commands take other options than the GNU ones installed here.
const OTHER_SYSTEMS: &[&str] = &[
    "mac",
    "macos",
    "osx",
    "os x",
    "bsd",
    "freebsd",
    "windows",
    "powershell",
    "busybox",
    "alpine",
    "solaris",
];
/// A shell block longer than this is a script, not a command to try.
const MAX_SHELL_LINES: usize = 6;

/// The commands of a shell block: `$ ` prompts removed, and in a console transcript only
/// the prompted lines (the rest is output).
fn commands(tag: &str, body: &str) -> String {
    let prompted = |l: &str| l.trim_start().strip_prefix("$ ").map(str::to_owned);
    let lines: Vec<String> = if tag == "console" || tag == "terminal" {
        body.lines().filter_map(prompted).collect()
    } else {
        body.lines()
            .map(|l| prompted(l).unwrap_or_else(|| l.to_owned()))
            .collect()
    };
    lines.join("\n")
}

/// The blocks of an answer to `prompt` that a compiler can check; `None` when there are
/// none. Shell commands are taken only when the prompt names no other system.
pub(super) fn payload(prompt: &str, parts: &[Part]) -> Option<Payload> {
    let lower = normalise(prompt);
    let shell_ok = !OTHER_SYSTEMS.iter().any(|w| has_phrase(&lower, w));
    let units: Vec<Unit> = parts
        .iter()
        .filter_map(|p| match p {
            Part::Block { tag, body } => Some((lang_of(tag)?, tag, body)),
            Part::Prose(_) => None,
        })
        .filter_map(|(lang, tag, body)| {
            if lang != "shell" {
                return Some((lang, body.clone()));
            }
            let code = commands(tag, body);
            let lines = code.lines().filter(|l| !l.trim().is_empty()).count();
            (shell_ok && lines <= MAX_SHELL_LINES).then_some((lang, code))
        })
        .filter(|(_, code)| code.len() <= MAX_BLOCK && !code.trim().is_empty() && !elided(code))
        .take(MAX_BLOCKS)
        .map(|(lang, code)| Unit { lang, code })
        .collect();
    (!units.is_empty()).then_some(Payload { units })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::confidence::fences::parts;

    fn langs(answer: &str) -> Vec<&'static str> {
        payload("", &parts(answer))
            .map(|p| p.units.iter().map(|u| u.lang).collect())
            .unwrap_or_default()
    }

    #[test]
    fn compiled_languages_are_taken_and_sketches_are_not() {
        assert_eq!(
            langs("```rust\nfn f() {}\n```\n```c\nint x;\n```"),
            ["rust", "c"]
        );
        assert_eq!(langs("```cpp\nint main() {}\n```"), ["cpp"]);
        assert!(langs("```python\nx = 1\n```").is_empty());
        assert!(langs("```rust\nfn f() {\n    ...\n}\n```").is_empty());
        assert!(langs("```c\n```").is_empty());
    }

    #[test]
    fn shell_commands_are_taken_from_prompts_and_short_blocks_only() {
        let p = payload(
            "",
            &parts("```console\n$ ls -la\ntotal 0\n$ pwd\n/home\n```"),
        )
        .expect("units");
        assert_eq!(p.units[0].code, "ls -la\npwd");
        assert!(payload("On macOS, list files", &parts("```bash\nls -G\n```")).is_none());
        let script = "```bash\n".to_owned() + &"echo hi\n".repeat(8) + "```";
        assert!(payload("", &parts(&script)).is_none());
    }

    #[test]
    fn at_most_four_blocks_are_compiled() {
        let answer = "```c\nint x;\n```\n".repeat(6);
        assert_eq!(langs(&answer).len(), MAX_BLOCKS);
    }
}
