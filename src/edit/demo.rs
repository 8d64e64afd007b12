//! The demonstration an answer gives of its change: a code block, outside the edit blocks,
//! that runs the changed code and fails if it is wrong. Where a workspace has no tests,
//! the test-checked loop runs it in the sandbox instead (DESIGN.md, "Acting on code": what
//! the code does is judged by running it).
//!
//! Which block: the last one whose info string says `demo` (```` ```python demo ````), as
//! the prompt asks; failing that, the last runnable block that the line just before it
//! introduces as something to run ("To check it:", "Usage:"). A block in a language with
//! no interpreter to hand it to, an unclosed one, or an edit block is never taken.

use super::parse::path_of;
use crate::text::fence;

/// A larger block is not a demonstration.
const MAX_DEMO_BYTES: usize = 16 * 1024;

/// Words in the line before a block that introduce it as something to run.
const CUES: &[&str] = &[
    "demo", "check", "verify", "run", "usage", "example", "try", "test", "confirm",
];

/// What the prompt asks for, where the workspace has no tests to check an edit with.
pub const PROMPT: &str = "This workspace has no tests. After the edits, show that the change \
works: one short block marked demo that runs the changed code and exits with an error if \
it is wrong, for example:

```python demo
from app.calc import add
assert add(2, 3) == 5
```";

/// The command that runs the answer's demonstration, if it gives one.
pub fn find(answer: &str) -> Option<Vec<String>> {
    let blocks = other_blocks(answer);
    let marked = blocks
        .iter()
        .rev()
        .filter(|b| {
            b.info
                .split_whitespace()
                .any(|w| w.eq_ignore_ascii_case("demo"))
        })
        .find_map(command);
    marked.or_else(|| {
        blocks
            .iter()
            .rev()
            .filter(|b| introduced(&b.before))
            .find_map(command)
    })
}

/// A closed fenced block that is not an edit: its info string, its body, and the prose
/// line before it.
struct Block {
    info: String,
    body: String,
    before: String,
}

/// The answer's closed blocks that no path line opens (those are edits).
fn other_blocks(answer: &str) -> Vec<Block> {
    let mut out = Vec::new();
    let mut last_prose = String::new();
    let mut open: Option<(fence::Fence<'static>, bool, Block)> = None;
    for line in answer.lines() {
        let line = line.strip_suffix('\r').unwrap_or(line);
        if let Some((f, is_edit, block)) = open.as_mut() {
            if f.closed_by(line) {
                if let Some((_, false, block)) = open.take() {
                    out.push(block);
                } else {
                    open = None;
                }
                last_prose.clear();
            } else if !*is_edit {
                block.body.push_str(f.strip(line));
                block.body.push('\n');
            }
            continue;
        }
        if let Some(f) = fence::opening(line) {
            let is_edit = path_of(&last_prose).is_some();
            let block = Block {
                info: f.info.to_owned(),
                body: String::new(),
                before: std::mem::take(&mut last_prose),
            };
            // Only the fence's shape is kept: its info string is the block's now.
            let shape = fence::Fence { info: "", ..f };
            open = Some((shape, is_edit, block));
        } else if !line.trim().is_empty() {
            last_prose = line.to_owned();
        }
    }
    out
}

fn introduced(before: &str) -> bool {
    let before = before.to_lowercase();
    before
        .split(|c: char| !c.is_alphanumeric())
        .any(|w| CUES.iter().any(|cue| w.starts_with(cue)))
}

/// How the block runs: its language's interpreter with the code as an argument.
fn command(block: &Block) -> Option<Vec<String>> {
    if block.body.trim().is_empty() || block.body.len() > MAX_DEMO_BYTES {
        return None;
    }
    let lang = fence::lang(&block.info)?;
    let (program, flag, code) = match lang.as_str() {
        "python" | "python3" | "py" => ("python3", "-c", block.body.clone()),
        "sh" | "shell" => ("sh", "-c", block.body.clone()),
        "bash" => ("bash", "-c", block.body.clone()),
        "console" | "shell-session" => ("sh", "-c", console_commands(&block.body)?),
        "js" | "javascript" | "node" => ("node", "-e", block.body.clone()),
        _ => return None,
    };
    Some(vec![program.into(), flag.into(), code])
}

/// The commands of a console transcript: the lines after a `$ ` prompt (its output lines
/// are what the model expects to see, not commands).
fn console_commands(body: &str) -> Option<String> {
    let commands: Vec<&str> = body
        .lines()
        .filter_map(|l| l.trim_start().strip_prefix("$ "))
        .collect();
    (!commands.is_empty()).then(|| commands.join("\n") + "\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_prompts_example_is_found_and_is_not_an_edit() {
        let argv = find(PROMPT).expect("the example is a demonstration");
        assert_eq!(argv[0], "python3");
        assert!(argv[2].contains("assert add(2, 3) == 5"), "{argv:?}");
        assert_eq!(super::super::parse::parse(PROMPT).blocks().count(), 0);
    }

    #[test]
    fn a_marked_block_wins_and_an_edit_block_is_never_run() {
        let answer = "app/calc.py\n```python\nprint('an edit')\n```\n\nTo check it:\n\n\
                      ```sh\necho unmarked\n```\n\n```python demo\nprint('marked')\n```\n";
        assert_eq!(
            find(answer),
            Some(vec![
                "python3".into(),
                "-c".into(),
                "print('marked')\n".into()
            ])
        );
        let only_edit = "app/run.py\n```python\nimport os\n```\n";
        assert_eq!(find(only_edit), None);
    }

    #[test]
    fn an_unmarked_block_runs_only_when_introduced_as_something_to_run() {
        let introduced = "Fixed.\n\nYou can verify it with:\n```bash\n./check.sh\n```\n";
        assert_eq!(find(introduced).expect("found")[0], "bash");
        let shown = "The function now reads:\n```python\ndef f(): pass\n```\n";
        assert_eq!(find(shown), None);
    }

    #[test]
    fn a_console_block_runs_its_prompted_lines_only() {
        let answer = "Try it:\n```console\n$ python3 -m app 2 3\n5\n$ echo done\ndone\n```\n";
        let argv = find(answer).expect("found");
        assert_eq!(argv, ["sh", "-c", "python3 -m app 2 3\necho done\n"]);
    }

    #[test]
    fn unclosed_unknown_empty_or_huge_blocks_are_not_run() {
        assert_eq!(find("Run:\n```python demo\nprint(1)\n"), None, "unclosed");
        assert_eq!(find("Run:\n```haskell demo\nmain = pure ()\n```\n"), None);
        assert_eq!(find("Run:\n```sh demo\n\n```\n"), None);
        let huge = format!("Run:\n```sh demo\n{}\n```\n", "x".repeat(MAX_DEMO_BYTES));
        assert_eq!(find(&huge), None);
    }
}
