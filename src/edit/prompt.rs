//! What an edit request tells the model about the format: appended to the voice's system
//! prompt. Short, with one example of each kind, because small models copy the example more
//! faithfully than they follow a description (aider's edit-format prompts work the same
//! way). The tests parse the examples with [`super::parse`], so the prompt and the parser
//! cannot drift apart.

/// Files up to this many lines are rewritten whole; longer ones get SEARCH/REPLACE blocks,
/// where a whole rewrite would spend most of a small model's answer on unchanged lines.
pub const WHOLE_FILE_LINES: usize = 400;

/// An example of a whole-file edit, as the prompt shows it.
const WHOLE_EXAMPLE: &str = "app/greet.py
```python
def greet(name: str) -> str:
    return f\"Hello, {name}!\"
```";

/// An example of a SEARCH/REPLACE edit, as the prompt shows it.
const REPLACE_EXAMPLE: &str = "app/calc.py
```python
<<<<<<< SEARCH
    return a - b
=======
    return a + b
>>>>>>> REPLACE
```";

/// An example of a deletion, as the prompt shows it.
const DELETE_EXAMPLE: &str = "app/old_helpers.py
```
<<<<<<< DELETE
```";

/// The instructions for proposing edits, for files up to `whole_file_lines` long to be
/// rewritten whole.
pub fn instructions(whole_file_lines: usize) -> String {
    // 0 (`workspace.whole_file_lines = 0`) asks for blocks in every existing file.
    let (whole, blocks) = if whole_file_lines == 0 {
        ("For a new file".to_owned(), "For a file that exists")
    } else {
        (
            format!("For a file of up to {whole_file_lines} lines, and for a new file"),
            "For a longer file",
        )
    };
    format!(
        "To change files, write each change as the file's path on a line of its own, then a \
         fenced code block. Never put anything else on the path line.\n\n\
         {whole}, write the whole new content of the file in the block:\n\n\
         {WHOLE_EXAMPLE}\n\n\
         {blocks}, write one or more SEARCH/REPLACE blocks instead. The SEARCH part \
         must match the file's current lines exactly, including indentation, and only one \
         place in the file; include enough lines to make it unique:\n\n{REPLACE_EXAMPLE}\n\n\
         To delete a file:\n\n{DELETE_EXAMPLE}\n\n\
         Explain briefly before or after the blocks, never inside them."
    )
}

#[cfg(test)]
mod tests {
    use super::super::parse::{parse, EditKind};
    use super::*;

    #[test]
    fn the_prompt_shows_each_kind_and_its_examples_parse_as_that_kind() {
        let text = instructions(WHOLE_FILE_LINES);
        assert!(text.contains("up to 400 lines"), "{text}");
        let blocks_only = instructions(0);
        assert!(blocks_only.contains("For a file that exists, write one or more SEARCH"));
        assert!(!blocks_only.contains("up to 0 lines"), "{blocks_only}");
        let parsed = parse(&text);
        assert!(parsed.incomplete.is_none());
        assert_eq!(
            parsed.errors().count(),
            0,
            "{:?}",
            parsed.errors().collect::<Vec<_>>()
        );
        let blocks: Vec<_> = parsed.blocks().collect();
        assert_eq!(blocks.len(), 3, "{blocks:?}");
        assert_eq!(blocks[0].path, "app/greet.py");
        assert!(matches!(&blocks[0].kind, EditKind::Whole(t) if t.contains("Hello, {name}!")));
        assert_eq!(blocks[1].path, "app/calc.py");
        match &blocks[1].kind {
            EditKind::Replace(r) => {
                assert_eq!(r.len(), 1);
                assert_eq!(r[0].search.trim_end(), "    return a - b");
                assert_eq!(r[0].replace.trim_end(), "    return a + b");
            }
            other => panic!("not a replacement: {other:?}"),
        }
        assert_eq!(blocks[2].path, "app/old_helpers.py");
        assert!(matches!(blocks[2].kind, EditKind::Delete));
    }

    #[test]
    fn an_answer_that_copies_the_example_shape_for_a_real_file_parses() {
        let answer = format!(
            "Here is the fix.\n\n{}\n\nThat adds instead of subtracting.",
            REPLACE_EXAMPLE.replace("app/calc.py", "src/lib/calc.py")
        );
        let parsed = parse(&answer);
        let blocks: Vec<_> = parsed.blocks().collect();
        assert_eq!(blocks.len(), 1);
        assert_eq!(blocks[0].path, "src/lib/calc.py");
    }
}
