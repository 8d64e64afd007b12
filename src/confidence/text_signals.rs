//! Signals read from the answer's text: truncation, emptiness or refusal, hedging, and an
//! answer that starts by repeating the prompt (a model continuing text instead of answering).

use super::fences::Doc;
use super::words::{count_phrase, looks_like_code, normalise, word_count};
use super::{signal, Signal};

pub(crate) const TRUNCATION_WEIGHT: f32 = 3.0;
pub(crate) const REFUSAL_WEIGHT: f32 = 3.0;
const HEDGING_WEIGHT: f32 = 1.0;
const ECHO_WEIGHT: f32 = 1.0;

/// Cut off at the token limit, or stopped inside a code block.
pub(crate) fn truncation(finish_reason: Option<&str>, doc: &Doc) -> Signal {
    let at_limit = matches!(finish_reason, Some("length" | "max_tokens"));
    let filtered = finish_reason == Some("content_filter");
    // Ollama's runner ends a stream without its done line when the model repeats one
    // token run over and over; the client reports that as `repeat` (backend::ollama).
    let looped = finish_reason == Some("repeat");
    let open = doc.unclosed();
    let (score, detail) = match (at_limit, open) {
        _ if looped => (
            0.05,
            "the server stopped the answer: the model was repeating itself",
        ),
        (true, true) => (
            0.0,
            "the answer was cut off at the token limit inside a code block",
        ),
        (true, false) => (0.05, "the answer was cut off at the token limit"),
        (false, true) => (0.25, "the answer ends inside an unclosed code block"),
        _ if filtered => (0.1, "the server stopped the answer (content filter)"),
        _ => (1.0, "the answer finished"),
    };
    signal(score, TRUNCATION_WEIGHT, detail)
}

const REFUSALS: [&str; 34] = [
    "i can't help",
    "i cannot help",
    "i can't assist",
    "i cannot assist",
    "i'm unable to",
    "i am unable to",
    "as an ai",
    "as a language model",
    "as an assistant",
    "i won't be able to",
    "i can't provide",
    "i cannot provide",
    "i can't do that",
    "i cannot do that",
    "i can't write",
    "i cannot write",
    "i'm not able to",
    "i am not able to",
    "i can't fulfill",
    "i cannot fulfill",
    "i can't complete",
    "i cannot complete",
    "i must decline",
    "i have to decline",
    "i don't have access",
    "i do not have access",
    "i can't access",
    "i cannot access",
    "i'm sorry, but i",
    "i apologize, but i",
    "not something i can",
    "beyond my capabilities",
    "beyond the scope of what i",
    "i'd recommend consulting",
];

/// Empty, or refusing. A refusal with no code and little text is a non-answer; a caveat
/// ("As an AI I cannot run this, but...") before real content costs much less.
pub(crate) fn refusal(answer: &str, doc: &Doc) -> Signal {
    if !answer.chars().any(char::is_alphanumeric) {
        return signal(0.0, REFUSAL_WEIGHT, "the answer is empty");
    }
    // A refusal opens or closes the answer; a long polite one may bury it in the middle
    // of its first paragraphs, so the head is generous.
    let chars = doc.prose.chars().count();
    let head: String = doc.prose.chars().take(600).collect();
    let tail: String = doc.prose.chars().skip(chars.saturating_sub(300)).collect();
    let (head, tail) = (normalise(&head), normalise(&tail));
    let Some(phrase) = REFUSALS
        .iter()
        .find(|p| count_phrase(&head, p) > 0 || count_phrase(&tail, p) > 0)
    else {
        return signal(1.0, REFUSAL_WEIGHT, "the answer does not refuse");
    };
    // "I can't run it, but here is the code" still delivers; however long and fluent,
    // prose that declines does not.
    let score = if doc.blocks.is_empty() { 0.1 } else { 0.75 };
    signal(
        score,
        REFUSAL_WEIGHT,
        format!("the answer refuses (\"{phrase}\")"),
    )
}

/// Phrases that admit doubt, with a weight: a flat "I'm not sure" counts double.
const HEDGES: [(&str, f32); 40] = [
    ("i'm not sure", 2.0),
    ("i am not sure", 2.0),
    ("not sure if", 1.0),
    ("i don't know", 2.0),
    ("i'm not certain", 2.0),
    ("not 100% sure", 2.0),
    ("hard to say", 2.0),
    ("hard to tell", 2.0),
    ("difficult to say", 2.0),
    ("i can't be sure", 2.0),
    ("can't guarantee", 1.5),
    ("cannot guarantee", 1.5),
    ("may or may not", 2.0),
    ("it depends", 2.0),
    ("may vary", 2.0),
    ("might vary", 2.0),
    ("without more context", 2.0),
    ("without more information", 2.0),
    ("in some ways", 1.5),
    ("some sources", 2.0),
    ("different sources", 2.0),
    ("test it yourself", 2.0),
    ("in your own environment", 1.5),
    ("you may want to test", 1.5),
    ("i'd suggest testing", 2.0),
    ("i would suggest testing", 2.0),
    ("might", 1.0),
    ("maybe", 1.0),
    ("possibly", 1.0),
    ("perhaps", 1.0),
    ("probably", 1.0),
    ("i think", 1.0),
    ("i believe", 1.0),
    ("i guess", 1.0),
    ("i suppose", 1.0),
    ("it seems", 1.0),
    ("could be", 1.0),
    ("not entirely sure", 2.0),
    ("if i remember correctly", 2.0),
    ("great question", 1.0),
];

/// The weighted count of hedges, in one pass over the word starts (the phrase list is
/// matched only where a word begins, rather than searched for twenty times).
fn hedge_weight(text: &str) -> f32 {
    let is_word = |c: char| c.is_alphanumeric() || c == '_';
    let mut total = 0.0;
    let mut prev_word = false;
    for (i, c) in text.char_indices() {
        let word = is_word(c);
        if word && !prev_word {
            let rest = &text.as_bytes()[i..];
            // Most words start no phrase: compare the first byte before the whole phrase.
            for (phrase, weight) in HEDGES.iter().filter(|(p, _)| p.as_bytes()[0] == rest[0]) {
                let ends_word = rest.starts_with(phrase.as_bytes())
                    && !text[i + phrase.len()..].chars().next().is_some_and(is_word);
                if ends_word {
                    total += weight;
                }
            }
        }
        prev_word = word;
    }
    total
}

/// Density of doubt in the prose, per 100 words; absent when there is no prose. Short
/// answers count as 40 words so that a single "might" does not sink them.
pub(crate) fn hedging(doc: &Doc) -> Option<Signal> {
    let words = word_count(&doc.prose);
    if words == 0 {
        return None;
    }
    let hits = hedge_weight(&normalise(&doc.prose));
    let density = hits * 100.0 / words.max(40) as f32;
    let score = 1.0 / (1.0 + (density / 4.0).powi(2));
    let detail = if hits <= 0.0 {
        "no hedging".to_owned()
    } else {
        format!("hedges ({density:.1} doubtful phrases per 100 words)")
    };
    Some(signal(score, HEDGING_WEIGHT, detail))
}

/// The answer opens with the prompt's first line: a base model continuing the text rather
/// than answering it. Absent when the prompt's first line is too short to tell.
pub(crate) fn echo(prompt: &str, answer: &str) -> Option<Signal> {
    let first = prompt.lines().find(|l| !l.trim().is_empty())?.trim();
    // A pasted line of code may rightly open the answer too (an edit returns the function).
    if first.chars().count() < 16 || looks_like_code(first) {
        return None;
    }
    let first = normalise(first);
    // Only the opening matters; lower-casing all of a long answer would waste time.
    let head: String = answer
        .trim_start()
        .chars()
        .take(first.chars().count() + 8)
        .collect();
    let head = normalise(&head);
    let echoed = head.starts_with(&first);
    Some(if echoed {
        signal(
            0.2,
            ECHO_WEIGHT,
            "the answer repeats the prompt instead of answering it",
        )
    } else {
        signal(1.0, ECHO_WEIGHT, "the answer does not echo the prompt")
    })
}

#[cfg(test)]
mod tests {
    use super::super::fences::split;
    use super::*;

    #[test]
    fn phrases_match_at_word_boundaries() {
        assert_eq!(hedge_weight("i'm not sure. it mighty be; it might."), 3.0);
    }

    #[test]
    fn truncation_by_finish_reason_and_open_fence() {
        let closed = split("```rust\nfn a() {}\n```");
        let open = split("```rust\nfn a() {");
        assert_eq!(truncation(Some("stop"), &closed).score, 1.0);
        assert_eq!(truncation(None, &closed).score, 1.0);
        assert!(truncation(Some("length"), &closed).score <= 0.05);
        assert_eq!(truncation(Some("length"), &open).score, 0.0);
        assert_eq!(truncation(Some("stop"), &open).score, 0.25);
        assert!(truncation(Some("content_filter"), &closed).score < 0.5);
        let looped = truncation(Some("repeat"), &closed);
        assert!(looped.score <= 0.05, "{looped:?}");
        assert!(looped.detail.contains("repeating itself"), "{looped:?}");
    }

    #[test]
    fn empty_and_refusing_answers() {
        for a in ["", "   \n", "..."] {
            assert_eq!(refusal(a, &split(a)).score, 0.0, "{a:?}");
        }
        let a = "I'm sorry, but I can\u{2019}t help with that.";
        let s = refusal(a, &split(a));
        assert!(s.score <= 0.1 && s.detail.contains("can't help"), "{s:?}");
        let a = "As an AI language model, I cannot write code for you.";
        assert!(refusal(a, &split(a)).score <= 0.1);
        let a = "As an AI I can't run this, but here it is:\n```rust\nfn a() {}\n```";
        let s = refusal(a, &split(a)).score;
        assert!(s > 0.5 && s < 1.0, "{s}");
        let a = "Use `Vec::with_capacity` to avoid reallocations.";
        assert_eq!(refusal(a, &split(a)).score, 1.0);
    }

    #[test]
    fn hedging_by_density() {
        let sure = "Use a HashMap keyed by user id; lookups are O(1) and the map owns the values.";
        assert_eq!(hedging(&split(sure)).map(|s| s.score), Some(1.0));
        let one = "This might fail when the list is empty, so check `is_empty()` first and \
                   return early. Otherwise sort the list and take the middle element, which is \
                   the median for odd lengths; for even lengths average the two middle ones.";
        let s1 = hedging(&split(one)).expect("signal").score;
        let unsure = "I'm not sure, but maybe it could be the cache. I think it might possibly \
                      be a race, perhaps. I don't know.";
        let s2 = hedging(&split(unsure)).expect("signal").score;
        assert!(s1 > 0.7, "{s1}");
        assert!(s2 < 0.3, "{s2}");
        assert!(hedging(&split("```rust\nfn a() {}\n```")).is_none());
    }

    #[test]
    fn echo_of_the_prompt() {
        let p = "Write a Python function that reverses a string.";
        assert!(
            echo(p, "Write a Python function that reverses a string. staan")
                .expect("signal")
                .score
                < 0.5
        );
        assert_eq!(
            echo(p, "```python\ndef rev(s):\n    return s[::-1]\n```").map(|s| s.score),
            Some(1.0)
        );
        assert!(echo("hi", "hi there").is_none());
        let code = "def compute_totals(orders, tax_rate):\n    ...\nAdd rounding.";
        assert!(echo(code, "def compute_totals(orders, tax_rate):\n    return 1").is_none());
    }
}
