//! Whether a request to change code (an edit, a refactor, a fix, formatting) was answered
//! with the prompt's own code, unchanged: the model copied its input. Formatting is compared
//! to the character; other changes up to spacing. And whether a rename the prompt asks for
//! ("rename `calc` to `compute_total`") was carried out: the new name in the code, the old
//! one gone from it (a rename that misses one call site breaks the program); whether a
//! construct the prompt asks for ("use a list comprehension") is in the code; whether an
//! import from a file the prompt names names its module; and whether a plain SQL request is
//! kept by its query.

use super::fences::{parts, Doc, Part};
use super::words::normalise;
use super::{signal, Signal};
use crate::router::TaskType;

mod construct;
mod imports;
mod rename;
mod sql;

/// The signal for an answer taken apart as `doc`: its closed, non-empty blocks are the code
/// it offers (a block cut off at the end is no change of anything).
pub(crate) fn signal_for(prompt: &str, doc: &Doc, task: TaskType) -> Option<Signal> {
    let mut blocks: Vec<&str> = doc
        .blocks
        .iter()
        .filter(|b| b.closed && !b.body.trim().is_empty())
        .map(|b| b.body.as_str())
        .collect();
    if doc.blocks.is_empty() {
        // An answer that is nothing but code, unfenced ("let pi = 3.14;"), offers that code.
        blocks.extend(bare_code(doc));
    }
    if blocks.is_empty() {
        return None;
    }
    // The prompt lower-cased and the code joined once, for the checks that read them.
    let (text, code) = (normalise(prompt), blocks.join("\n"));
    let missed = rename::missed(prompt, &blocks)
        .or_else(|| construct::missing(&text, &code))
        .or_else(|| imports::missing(prompt, &text, &code))
        .or_else(|| sql::missing(&text, &code));
    if let Some(detail) = missed {
        return Some(signal(0.15, 1.0, detail));
    }
    if unchanged(prompt, &blocks, task) {
        return Some(signal(
            0.15,
            1.0,
            "the code is the prompt's own, returned unchanged",
        ));
    }
    matches!(
        task,
        TaskType::Format | TaskType::Edit | TaskType::Refactor | TaskType::Debugging
    )
    .then(|| signal(1.0, 0.0, "the code is not the prompt's, unchanged"))
}

/// A change was asked for and every block of the answer is the prompt's code as it was (for
/// formatting, to the character; otherwise up to spacing).
fn unchanged(prompt: &str, blocks: &[&str], task: TaskType) -> bool {
    match task {
        TaskType::Format => {
            let given: Vec<String> = parts(prompt)
                .into_iter()
                .filter_map(|p| match p {
                    Part::Block { body, .. } => Some(trimmed_lines(&body)),
                    Part::Prose(_) => None,
                })
                .collect();
            !given.is_empty() && blocks.iter().all(|b| given.contains(&trimmed_lines(b)))
        }
        TaskType::Edit | TaskType::Refactor | TaskType::Debugging => {
            let whole = squeeze(prompt);
            blocks.iter().all(|b| {
                let b = squeeze(b);
                b.len() >= 8 && whole.contains(&b)
            })
        }
        _ => false,
    }
}

/// The whole answer, when it has no fence and every line of it reads as code (a short
/// answer: at most 12 lines).
fn bare_code(doc: &Doc) -> Option<&str> {
    let text = doc.prose.trim();
    // Read no further than the thirteenth line: a long answer is no bare code, and this
    // runs on every score.
    let lines: Vec<&str> = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .take(13)
        .collect();
    (!lines.is_empty()
        && lines.len() <= 12
        && lines
            .iter()
            .all(|l| super::words::looks_like_code(l) || call_line(l)))
    .then_some(text)
}

/// A line that is one call (`print("Hello " + name)`): a name, then parentheses that end
/// the line.
fn call_line(line: &str) -> bool {
    let t = line.trim().trim_end_matches(';');
    let name_end = t
        .find(|c: char| !(c.is_alphanumeric() || matches!(c, '_' | '.')))
        .unwrap_or(t.len());
    name_end > 0 && t[name_end..].starts_with('(') && t.ends_with(')')
}

fn squeeze(s: &str) -> String {
    s.chars().filter(|c| !c.is_whitespace()).collect()
}

fn trimmed_lines(s: &str) -> String {
    s.trim()
        .lines()
        .map(str::trim_end)
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn score(prompt: &str, answer: &str, task: TaskType) -> Option<f32> {
        signal_for(prompt, &super::super::fences::split(answer), task).map(|s| s.score)
    }

    #[test]
    fn an_unfenced_answer_that_is_the_prompts_code_is_caught() {
        let prompt = "Make this JavaScript variable a constant:\n\nlet pi = 3.14;";
        assert_eq!(score(prompt, "let pi = 3.14;", TaskType::Edit), Some(0.15));
        assert_eq!(score(prompt, "const pi = 3.14;", TaskType::Edit), Some(1.0));
        let call = "Change the print statement to an f-string: print('Hello ' + name)";
        assert_eq!(
            score(call, "print(\"Hello \" + name)", TaskType::Edit),
            Some(0.15),
            "no f-string"
        );
        // Prose that quotes the prompt's code is not the code returned.
        assert_ne!(
            score(
                prompt,
                "Write it as let pi = 3.14; but with const.",
                TaskType::Edit
            ),
            Some(0.15)
        );
    }

    #[test]
    fn a_change_answered_with_the_prompts_code_is_caught() {
        let prompt = "Add a type hint to this function: def sq(x): return x * x";
        let same = "```python\ndef sq(x):\n    return x * x\n```";
        assert_eq!(score(prompt, same, TaskType::Edit), Some(0.15));
        let done = "```python\ndef sq(x: float) -> float:\n    return x * x\n```";
        assert_ne!(score(prompt, done, TaskType::Edit), Some(0.15));
        let fmt = "Indent this:\n```python\ndef f():\nreturn 1\n```";
        assert_eq!(
            score(fmt, "```python\ndef f():\nreturn 1\n```", TaskType::Format),
            Some(0.15)
        );
        let fixed = "```python\ndef f():\n    return 1\n```";
        assert_eq!(score(fmt, fixed, TaskType::Format), Some(1.0));
    }
}
