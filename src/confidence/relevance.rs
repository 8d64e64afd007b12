//! Off-topic answers: an answer that shares no content word with the prompt (neither the
//! subject nor a name from the pasted code) is likely about something else. Only a near-total
//! miss counts: good answers paraphrase, so a low overlap is normal and scores 1.

use std::collections::HashSet;

use super::{signal, Signal};

const WEIGHT: f32 = 1.0;
/// At or above this share of the prompt's content words found in the answer, no doubt.
const ENOUGH: f32 = 0.2;
/// Prompts with fewer content words say too little about the topic.
const MIN_WORDS: usize = 3;
/// Answers with fewer words are not judged: a short answer states its result ("It moves the
/// branch back one commit", "`2023-11-14T22:13:20Z`") without restating the question. On
/// the development answers, a miss on an answer this short was a false alarm two times in
/// three (24 good answers against 9 bad ones, where no other signal saw anything).
const MIN_ANSWER_WORDS: usize = 40;

/// Request words and function words that say nothing about the topic.
const STOP: [&str; 72] = [
    "the", "and", "for", "with", "that", "this", "these", "those", "from", "into", "what", "which",
    "when", "where", "why", "how", "who", "does", "did", "are", "was", "were", "can", "could",
    "would", "should", "will", "shall", "may", "might", "must", "have", "has", "had", "not", "but",
    "all", "any", "some", "one", "two", "its", "your", "you", "our", "their", "them", "then",
    "than", "there", "here", "about", "write", "give", "make", "create", "show", "tell", "explain",
    "please", "use", "using", "want", "need", "like", "just", "also", "get", "add", "new", "way",
    "it's",
];

/// Words of three or more characters, split at anything but letters, digits, apostrophes
/// and dots (so that `0.1` is a word, as the topic of a question about floats); the dots at
/// a word's ends are sentence ends and go.
fn words(text: &str) -> impl Iterator<Item = &str> {
    text.split(|c: char| !c.is_alphanumeric() && c != '\'' && c != '.')
        .flat_map(|w| {
            // A dot inside a word joins digits only: `os.path` is two words.
            let numeric = w.chars().all(|c| c.is_ascii_digit() || c == '.');
            w.split(move |c: char| c == '.' && !numeric)
        })
        .map(|w| w.trim_matches(|c| c == '\'' || c == '.'))
        .filter(|w| w.chars().nth(2).is_some())
}

/// The word's first five characters in lower case, so that "reverses" meets "reversed"
/// and "function" meets "functions". Written into `buf` to spare an allocation per word.
fn stem_into(word: &str, buf: &mut String) {
    buf.clear();
    buf.extend(word.chars().take(5).flat_map(char::to_lowercase));
}

/// The prompt's content words, stemmed.
fn asked(prompt: &str) -> HashSet<String> {
    words(prompt)
        .filter(|w| !STOP.iter().any(|s| s.eq_ignore_ascii_case(w)))
        .map(|w| {
            let mut buf = String::new();
            stem_into(w, &mut buf);
            buf
        })
        .collect()
}

/// How many of the asked stems the answer contains; stops once `enough` are found.
fn shared(asked: &HashSet<String>, answer: &str, enough: usize) -> usize {
    let mut found: HashSet<&str> = HashSet::new();
    let mut buf = String::new();
    for w in words(answer) {
        stem_into(w, &mut buf);
        if let Some(stem) = asked.get(buf.as_str()) {
            found.insert(stem);
            if found.len() >= enough {
                break;
            }
        }
    }
    found.len()
}

pub(crate) fn signal_for(prompt: &str, answer: &str) -> Option<Signal> {
    let asked = asked(prompt);
    if asked.len() < MIN_WORDS || super::words::word_count(answer) < MIN_ANSWER_WORDS {
        return None;
    }
    let enough = (ENOUGH * asked.len() as f32).ceil() as usize;
    let shared = shared(&asked, answer, enough);
    let share = shared as f32 / asked.len() as f32;
    if shared >= enough {
        return Some(signal(1.0, WEIGHT, "the answer is on the prompt's topic"));
    }
    let score = 0.3 + 0.7 * share / ENOUGH;
    let detail = format!(
        "the answer may be off-topic ({shared} of {} prompt words appear in it)",
        asked.len()
    );
    Some(signal(score, WEIGHT, detail))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rel(p: &str, a: &str) -> Option<f32> {
        signal_for(p, a).map(|s| s.score)
    }

    #[test]
    fn on_and_off_topic() {
        let p = "Refactor this to use a list comprehension:\nresult = []\nfor x in items:\n    result.append(x * 2)";
        let answer = "```python\nresult = [x * 2 for x in items]\n```\nThe comprehension \
                      builds the same list in one expression: for each x in items it keeps x * 2, \
                      in order, so result holds exactly what the loop appended, and there is no \
                      separate append call to forget or to get wrong in a later edit of the code.";
        assert_eq!(rel(p, answer), Some(1.0));
        assert_eq!(
            rel(p, "```go\nfunc negate(n int) int {\n\treturn -n\n}\n```"),
            None,
            "too short to judge"
        );
        let p = "Why does my Go program panic with 'assignment to entry in nil map'?";
        let long = "A nil map cannot be written to; create it with make before you store \
                    anything in it. The zero value of a map type is nil, and reading from a \
                    nil map works, but every write panics at run time, so initialise the map \
                    in the constructor or where it is declared, and the panic goes away.";
        assert_eq!(rel(p, long), Some(1.0));
        let off = "Use a buffered channel and close it when the producer is done, then range \
                   over it in the consumer; a WaitGroup tells main when every worker has \
                   returned, and select with a timeout stops a stuck receive from hanging \
                   forever. Remember to handle the error returned by each worker call too.";
        assert_eq!(rel(p, off), Some(0.3));
    }

    #[test]
    fn absent_for_tiny_prompts_or_empty_answers() {
        assert_eq!(rel("Say hi.", "Hello!"), None);
        assert_eq!(rel("Write a Rust function that sorts numbers.", ""), None);
        assert_eq!(
            rel(
                "What does `git cherry-pick <sha>` do?",
                "It applies that one commit's changes onto your branch."
            ),
            None
        );
    }
}
