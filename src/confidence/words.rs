//! Word-level helpers shared by the signals: phrase matching at word boundaries, word
//! counts, and telling a line of code from a line of prose.

/// Lower case with typographic apostrophes made plain, so phrases match either spelling.
pub(crate) fn normalise(text: &str) -> String {
    text.to_lowercase().replace(['\u{2019}', '\u{2018}'], "'")
}

/// Occurrences of `phrase` in `text` at word boundaries (both already normalised).
pub(crate) fn count_phrase(text: &str, phrase: &str) -> usize {
    phrase_at(text, phrase).count()
}

/// Whether `phrase` occurs in `text` at word boundaries; stops at the first.
pub(crate) fn has_phrase(text: &str, phrase: &str) -> bool {
    find_phrase(text, phrase).is_some()
}

/// The byte offset of the first occurrence of `phrase` in `text` at word boundaries.
pub(crate) fn find_phrase(text: &str, phrase: &str) -> Option<usize> {
    phrase_at(text, phrase).next()
}

fn phrase_at<'a>(text: &'a str, phrase: &'a str) -> impl Iterator<Item = usize> + 'a {
    let is_word = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() || c == '_');
    text.match_indices(phrase).map(|(i, _)| i).filter(move |i| {
        let before = text[..*i].chars().next_back();
        let after = text[i + phrase.len()..].chars().next();
        !phrase.is_empty() && !is_word(before) && !is_word(after)
    })
}

/// The words of `text` that may name a file: split at spaces, quotes, backticks, brackets
/// and commas, with sentence punctuation trimmed from their ends ("`settings.json`.").
pub(crate) fn file_tokens(text: &str) -> impl Iterator<Item = &str> {
    text.split(|c: char| c.is_whitespace() || matches!(c, '`' | '\'' | '"' | '(' | ')' | ','))
        .map(|t| t.trim_end_matches(['.', ':', ';', '?', '!']))
        .filter(|t| !t.is_empty())
}

/// `token` as the stem and extension of a plain file name: a stem of letters, digits, `_`
/// and `-` only (no path), at most 58 characters.
pub(crate) fn plain_file(token: &str) -> Option<(&str, &str)> {
    let (stem, ext) = token.rsplit_once('.')?;
    let plain = stem
        .chars()
        .all(|c| c.is_alphanumeric() || c == '_' || c == '-');
    (!stem.is_empty() && stem.len() <= 58 && plain && !ext.is_empty()).then_some((stem, ext))
}

/// The closed inline code spans of `text` (between backticks), each with the byte offset
/// just past its closing backtick; at most `max`, so a huge answer costs no more than a
/// long one. A backtick left open starts no span.
pub(crate) fn inline_spans(text: &str, max: usize) -> Vec<(&str, usize)> {
    let parts: Vec<&str> = text.split('`').take(2 * max + 1).collect();
    let mut offset = 0;
    let mut out = Vec::new();
    for (k, part) in parts.iter().enumerate() {
        offset += part.len() + 1;
        if k % 2 == 1 && k + 1 < parts.len() {
            out.push((*part, offset));
        }
    }
    out
}

pub(crate) fn word_count(text: &str) -> usize {
    text.split_whitespace()
        .filter(|w| w.chars().any(char::is_alphanumeric))
        .count()
}

/// A line that reads as code rather than prose: a keyword start, code punctuation, or an
/// assignment.
pub(crate) fn looks_like_code(line: &str) -> bool {
    const STARTS: [&str; 12] = [
        "def ",
        "fn ",
        "func ",
        "function ",
        "class ",
        "import ",
        "let ",
        "const ",
        "var ",
        "return ",
        "#include",
        "pub ",
    ];
    const HAS: [&str; 7] = [";", "{", "}", "=>", "->", "==", "()"];
    let t = line.trim();
    STARTS.iter().any(|s| t.starts_with(s)) || HAS.iter().any(|s| t.contains(s)) || is_assignment(t)
}

/// `name = value` or `name: value` where the name is one identifier.
fn is_assignment(t: &str) -> bool {
    let Some((name, value)) = t.split_once(" = ").or_else(|| t.split_once(": ")) else {
        return false;
    };
    let name = name.trim();
    !name.is_empty()
        && !value.trim().is_empty()
        && name
            .chars()
            .all(|c| c.is_alphanumeric() || c == '_' || c == '.')
        && name.chars().any(char::is_alphabetic)
        && !name.chars().next().is_some_and(char::is_uppercase)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phrases_match_at_word_boundaries() {
        assert_eq!(count_phrase("it might work, it mighty", "might"), 1);
        assert_eq!(count_phrase("maybe. maybe!", "maybe"), 2);
        assert_eq!(count_phrase("", "maybe"), 0);
        assert_eq!(normalise("I\u{2019}m"), "i'm");
    }

    #[test]
    fn inline_spans_are_closed_and_located() {
        let t = "use `a()` then `b` and `open";
        let spans = inline_spans(t, 8);
        assert_eq!(spans.iter().map(|s| s.0).collect::<Vec<_>>(), ["a()", "b"]);
        assert_eq!(&t[spans[0].1..spans[0].1 + 5], " then");
        assert_eq!(inline_spans(t, 1).len(), 1);
    }

    #[test]
    fn words_ignore_bare_punctuation() {
        assert_eq!(word_count("one - two, three !"), 3);
    }

    #[test]
    fn code_lines() {
        assert!(looks_like_code("let x = 0; x += 1;"));
        assert!(looks_like_code("name = app, version = 1.0"));
        assert!(!looks_like_code("Why is my loop slow?"));
        assert!(!looks_like_code("Note: this is prose"));
    }
}
