//! The consistency signal: does the explanation describe the code it comes with?
//!
//! A small model's fluent wrong answer often explains code it did not write: "this uses the
//! built-in `sum()`" beside `return a + b`, or "the `is_palindrome_ci()` helper checks…"
//! where no such helper exists. A call named in the prose's inline code that neither the
//! answer's code nor the prompt contains is such a claim. Absent when the answer has no code
//! or its prose names no call.

use super::fences::Doc;
use super::words::inline_spans;
use super::{signal, Signal};
use crate::text::short::{head, tail};

const WEIGHT: f32 = 1.0;
/// Inline code spans looked at, so a huge answer costs no more than a long one.
const MAX_SPANS: usize = 64;

/// The calls the prose says the code makes: a `name(` in backticks after "uses", "calls",
/// "invokes" or "relies on", or before "is used" or "is called". A call offered as an
/// alternative ("or use `max(a, b)`") is not a claim about the code given.
fn claimed_calls(prose: &str) -> Vec<&str> {
    let mut out = Vec::new();
    for (span, end) in inline_spans(prose, MAX_SPANS) {
        let start = end - span.len() - 2; // the opening backtick
        let before = tail(&prose[..start], 32).to_lowercase();
        let after = head(&prose[end..], 24).to_lowercase();
        let claimed = ["uses", "calls", "invokes", "relies on"]
            .iter()
            .any(|w| before.contains(w))
            || ["is used", "are used", "is called"]
                .iter()
                .any(|w| after.contains(w));
        if let Some(name) = call_name(span).filter(|n| claimed && !out.contains(n)) {
            out.push(name);
        }
    }
    out
}

/// `name` in `a.b.name(…)`, when the span is a call.
fn call_name(span: &str) -> Option<&str> {
    let open = span.find('(')?;
    let callee = span[..open].trim_end();
    let name = callee.rsplit(['.', ':']).next().unwrap_or(callee);
    let ident = name.len() >= 2
        && name.chars().all(|c| c.is_alphanumeric() || c == '_')
        && name
            .chars()
            .next()
            .is_some_and(|c| c.is_alphabetic() || c == '_');
    ident.then_some(name)
}

/// `name` occurs in `text` as a whole identifier.
fn mentions(text: &str, name: &str) -> bool {
    let is_ident = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() || c == '_');
    text.match_indices(name).any(|(i, _)| {
        !is_ident(text[..i].chars().next_back()) && !is_ident(text[i + name.len()..].chars().next())
    })
}

pub(crate) fn signal_for(prompt: &str, doc: &Doc) -> Option<Signal> {
    if doc.blocks.iter().all(|b| b.body.trim().is_empty()) {
        return None;
    }
    let calls = claimed_calls(&doc.prose);
    if calls.is_empty() {
        return None;
    }
    let missing: Vec<&str> = calls
        .iter()
        .copied()
        .filter(|c| !mentions(prompt, c) && !doc.blocks.iter().any(|b| mentions(&b.body, c)))
        .collect();
    if missing.is_empty() {
        return Some(signal(
            1.0,
            WEIGHT,
            "the explanation describes the code given",
        ));
    }
    let share = missing.len() as f32 / calls.len() as f32;
    let names: Vec<String> = missing.iter().take(3).map(|m| format!("`{m}()`")).collect();
    Some(signal(
        1.0 - 0.7 * share,
        WEIGHT,
        format!(
            "the explanation names {}, which the code never calls",
            names.join(", ")
        ),
    ))
}

#[cfg(test)]
mod tests {
    use super::super::fences::split;
    use super::*;

    fn score(prompt: &str, answer: &str) -> Option<f32> {
        signal_for(prompt, &split(answer)).map(|s| s.score)
    }

    #[test]
    fn an_explanation_of_code_that_is_not_there_is_doubted() {
        let a = "It uses the built-in `sum()`:\n```python\ndef add(a, b):\n    return a + b\n```";
        assert!(score("Write add(a, b).", a).is_some_and(|s| s <= 0.3));
        let ok =
            "It uses `add()` to return `a + b`:\n```python\ndef add(a, b):\n    return a + b\n```";
        assert_eq!(score("Write add(a, b).", ok), Some(1.0));
        // An alternative offered is not a claim about the code.
        let alt = "```go\nfunc Max(a, b int) int { if a > b { return a }; return b }\n```\nOr use the built-in `max(a, b)`.";
        assert_eq!(score("Go max of two ints", alt), None);
        // Named in the prompt: the answer may talk about it without calling it.
        let p = "Why avoid `eval()` here?";
        assert_eq!(
            score(
                p,
                "This uses `literal_eval()`, not `eval()`, which is called on trusted input only:\n```python\nx = ast.literal_eval(s)\n```"
            ),
            Some(1.0)
        );
    }

    #[test]
    fn no_code_or_no_named_call_leaves_it_out() {
        assert_eq!(score("q", "Use `len()` on it."), None);
        assert_eq!(score("q", "Done:\n```python\nx = 1\n```"), None);
        assert_eq!(score("q", "It uses `unclosed ( span\n```py\nx\n```"), None);
    }
}
