//! Whether the draft does what the prompt asks of its code, on two things that can be seen
//! without running anything:
//! - a request to change code (an edit, a refactor, a fix, formatting) answered with the
//!   prompt's own code, unchanged: the model copied its input;
//! - a request to write code that names pieces in backticks (`if __name__ == "__main__":`,
//!   `main.py`, `const`) answered by code that never mentions them.
//!
//! A request to rename, remove or replace something is left out of the second check: the
//! named piece is meant to disappear.

use super::fences::{parts, Part};
use super::{signal, Signal};
use crate::router::TaskType;

/// A named piece longer than this is a quoted line of code or an error, not a piece to use.
const MAX_PIECE: usize = 40;
/// Prompts whose named pieces are meant to go away.
const TAKING_AWAY: &[&str] = &[
    "rename",
    "remove",
    "replace",
    "delete",
    "instead of",
    "without",
    "drop",
    "get rid",
    "convert",
    "migrate",
    "translate",
    "port ",
];

pub(crate) fn signal_for(prompt: &str, answer: &str, task: TaskType) -> Option<Signal> {
    let blocks: Vec<String> = parts(answer)
        .into_iter()
        .filter_map(|p| match p {
            Part::Block { body, .. } if !body.trim().is_empty() => Some(body),
            _ => None,
        })
        .collect();
    if blocks.is_empty() {
        return None;
    }
    if unchanged(prompt, &blocks, task) {
        return Some(signal(
            0.15,
            1.0,
            "the code is the prompt's own, returned unchanged",
        ));
    }
    let (named, missing) = missing_pieces(prompt, answer, task)?;
    Some(if missing.is_empty() {
        signal(
            1.0,
            0.5,
            format!("uses the {named} piece(s) the prompt names"),
        )
    } else {
        let share = missing.len() as f32 / named as f32;
        signal(
            1.0 - 0.7 * share,
            1.0,
            format!("never uses what the prompt names: {}", missing.join(", ")),
        )
    })
}

/// A change was asked for and every block of the answer is the prompt's code as it was (for
/// formatting, to the character; otherwise up to spacing).
fn unchanged(prompt: &str, blocks: &[String], task: TaskType) -> bool {
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

/// How many pieces the prompt names for code it asks to be written, and which of them the
/// answer never mentions; `None` when it names none or asks for no code.
fn missing_pieces(prompt: &str, answer: &str, task: TaskType) -> Option<(usize, Vec<String>)> {
    if !matches!(
        task,
        TaskType::Generation
            | TaskType::Boilerplate
            | TaskType::Edit
            | TaskType::Refactor
            | TaskType::MultiFile
    ) {
        return None;
    }
    let lower = prompt.to_lowercase();
    if TAKING_AWAY.iter().any(|w| lower.contains(w)) {
        return None;
    }
    let prose: String = parts(prompt)
        .into_iter()
        .filter_map(|p| match p {
            Part::Prose(l) => Some(l),
            Part::Block { .. } => None,
        })
        .collect::<Vec<_>>()
        .join("\n");
    let pieces: Vec<&str> = super::words::inline_spans(&prose, 12)
        .into_iter()
        .map(|(s, _)| s.trim())
        .filter(|s| !s.is_empty() && s.len() <= MAX_PIECE)
        .collect();
    if pieces.is_empty() {
        return None;
    }
    let said = squeeze(&answer.replace('\'', "\"")).to_lowercase();
    let missing: Vec<String> = pieces
        .iter()
        .filter(|p| !said.contains(&squeeze(&p.replace('\'', "\"")).to_lowercase()))
        .map(|p| format!("`{p}`"))
        .collect();
    Some((pieces.len(), missing))
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
        signal_for(prompt, answer, task).map(|s| s.score)
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
        assert_eq!(score(fmt, fixed, TaskType::Format), None);
    }

    #[test]
    fn named_pieces_must_appear_unless_they_are_to_go() {
        let prompt = "Write a main guard `if __name__ == \"__main__\":` that calls `run()`.";
        let without = "```python\ndef main():\n    print('hi')\nmain()\n```";
        let s = score(prompt, without, TaskType::Boilerplate).expect("judged");
        assert!(s < 0.5, "{s}");
        let with = "```python\nif __name__ == '__main__':\n    run()\n```";
        assert_eq!(score(prompt, with, TaskType::Boilerplate), Some(1.0));
        let rename = "Rename `tmp` to `total`:\n```python\ntmp = 1\n```";
        assert_eq!(
            score(rename, "```python\ntotal = 1\n```", TaskType::Edit),
            None
        );
        let question = "Why does `a is b` fail?";
        assert_eq!(
            score(question, "```python\na == b\n```", TaskType::Debugging),
            None
        );
    }
}
