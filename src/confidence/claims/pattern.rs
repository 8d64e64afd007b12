//! Regular expressions the prompt names by what they must match ("a regex that matches a
//! string of only digits", "validate an email address"): the draft's pattern is tried on
//! strings it must match and strings it must not, as a test of the pattern would. The
//! contracts are the plain textbook ones; a string whose verdict depends on how strict the
//! pattern chooses to be (an email without a dot in its domain, `a_b` as alphanumeric, the
//! three-digit `#fff`) is left out. A pattern matches a string when it matches the whole of
//! it, so an unanchored `\d+` meant for `fullmatch` stands.

use serde::Serialize;

use crate::confidence::fences::Part;
use crate::confidence::words::{has_phrase, normalise};

/// One textbook pattern: phrases that name it (one of each group must occur), phrases that
/// make it something else, and what it must and must not match.
struct Contract {
    name: &'static str,
    all: &'static [&'static [&'static str]],
    not: &'static [&'static str],
    matches: &'static [&'static str],
    rejects: &'static [&'static str],
}

const REGEX: &[&str] = &["regex", "regexp", "regular expression", "pattern"];

/// A candidate pattern longer than this is not one of these textbook patterns; no literal
/// is scanned further, so a hostile answer full of unclosed ones costs little.
const MAX_PATTERN: usize = 300;
/// At most this many candidates are tried.
const MAX_CANDIDATES: usize = 6;

const CONTRACTS: &[Contract] = &[
    Contract {
        name: "only digits",
        all: &[
            REGEX,
            &[
                "only digits",
                "only numbers",
                "digits only",
                "only numeric",
                "all digits",
                "string of digits",
                "numeric string",
            ],
        ],
        not: &[
            "decimal", "float", "negative", "sign", "comma", "phone", "exactly",
        ],
        matches: &["123", "0", "9876543210"],
        rejects: &["12a", "a12", "1 2", "1.5"],
    },
    Contract {
        name: "only letters",
        all: &[
            REGEX,
            &[
                "only letters",
                "letters only",
                "only alphabetic",
                "alphabetic characters only",
                "only alphabetical",
            ],
        ],
        not: &[
            "lowercase",
            "uppercase",
            "spaces",
            "space",
            "accented",
            "unicode",
            "exactly",
        ],
        matches: &["abc", "Hello", "XYZ"],
        rejects: &["abc1", "a b", "ab-c"],
    },
    Contract {
        name: "alphanumeric",
        all: &[REGEX, &["alphanumeric"]],
        not: &[
            "underscore",
            "spaces",
            "space",
            "hyphen",
            "dash",
            "exactly",
            "at least",
        ],
        matches: &["abc123", "A1", "xyz"],
        rejects: &["abc 123", "abc!", "a-b"],
    },
    Contract {
        name: "email address",
        all: &[REGEX, &["email", "e-mail"]],
        not: &["extract", "find all", "domain only", "gmail", "replace"],
        matches: &["user@example.com", "first.last@mail.co.uk", "a1@b.io"],
        rejects: &[
            "user@",
            "@example.com",
            "user example.com",
            "userexample.com",
        ],
    },
    Contract {
        name: "hex colour",
        all: &[
            REGEX,
            &["hex color", "hex colour", "hexadecimal color", "hex code"],
        ],
        not: &["alpha", "rgba", "without", "optional", "extract"],
        matches: &["#1a2B3c", "#FFFFFF", "#000000"],
        rejects: &["#ff", "#12345g", "#1234567"],
    },
    Contract {
        name: "IPv4 address",
        all: &[REGEX, &["ipv4", "ip address"]],
        not: &["ipv6", "cidr", "port", "extract", "private"],
        matches: &["192.168.1.1", "10.0.0.255", "8.8.8.8"],
        rejects: &["192.168.1", "1.2.3.4.5", "a.b.c.d"],
    },
    Contract {
        name: "YYYY-MM-DD date",
        all: &[REGEX, &["yyyy-mm-dd"]],
        not: &["time", "extract", "slash"],
        matches: &["2024-01-31", "1999-12-01"],
        rejects: &["2024/01/31", "24-01-31", "2024-01-311"],
    },
];

/// What the driver tries: the contract's name, the draft's candidate patterns (as written:
/// a bare pattern, or a string literal of its code), and the strings.
#[derive(Debug, Serialize, PartialEq)]
pub(super) struct PatternCheck {
    name: &'static str,
    candidates: Vec<String>,
    matches: &'static [&'static str],
    rejects: &'static [&'static str],
}

/// The check for an answer to `prompt`, when the prompt names a textbook pattern and the
/// answer offers one; `None` otherwise.
pub(super) fn read(prompt: &str, parts: &[Part]) -> Option<PatternCheck> {
    let text = normalise(prompt);
    let c = CONTRACTS.iter().find(|c| {
        c.all
            .iter()
            .all(|group| group.iter().any(|p| text.contains(p)))
            && !c.not.iter().any(|p| has_phrase(&text, p))
    })?;
    let mut candidates = candidates(parts);
    candidates.dedup();
    candidates.truncate(MAX_CANDIDATES);
    (!candidates.is_empty()).then_some(PatternCheck {
        name: c.name,
        candidates,
        matches: c.matches,
        rejects: c.rejects,
    })
}

/// The patterns an answer offers: a one-line block (untagged or tagged as a regex), an
/// inline span that reads as a pattern, and the string or regex literal a call of `re` or
/// a JavaScript `/…/` holds.
fn candidates(parts: &[Part]) -> Vec<String> {
    let mut out = Vec::new();
    for part in parts {
        if out.len() >= 2 * MAX_CANDIDATES {
            break;
        }
        match part {
            Part::Block { tag, body } => {
                let lines: Vec<&str> = body.lines().filter(|l| !l.trim().is_empty()).collect();
                if lines.len() == 1 && matches!(tag.as_str(), "" | "regex" | "re" | "text") {
                    out.push(lines[0].trim().to_owned());
                } else {
                    out.extend(in_code(body));
                }
            }
            Part::Prose(line) => out.extend(
                crate::confidence::words::inline_spans(line, 8)
                    .into_iter()
                    .map(|(s, _)| s.trim())
                    .filter(|s| reads_as_pattern(s))
                    .map(str::to_owned),
            ),
        }
    }
    out.retain(|p| p.len() <= MAX_PATTERN);
    out
}

fn reads_as_pattern(s: &str) -> bool {
    let marked = s.starts_with('^') || s.ends_with('$') || s.starts_with('/');
    let classes = ["\\d", "\\w", "\\s", "[a-z", "[A-Z", "[0-9", "]+", "]{"];
    !s.contains(' ') && (marked || classes.iter().any(|c| s.contains(c)))
}

/// String literals passed to Python's `re` and JavaScript regex literals in `code`.
fn in_code(code: &str) -> Vec<String> {
    let mut out = Vec::new();
    for call in ["re.compile(", "re.match(", "re.fullmatch(", "re.search("] {
        for (i, _) in code.match_indices(call) {
            out.extend(string_literal(&code[i + call.len()..]));
        }
    }
    for line in code.lines() {
        if let Some(lit) = regex_literal(line) {
            out.push(lit);
        }
    }
    out
}

/// A Python string literal at the start of `s` (after spaces), prefix and quotes kept, for
/// the driver to read as Python would.
fn string_literal(s: &str) -> Option<String> {
    let s = s.trim_start();
    // The quote comes within a prefix of two letters, or this is no string literal.
    let body_at = s
        .char_indices()
        .take(3)
        .find(|(_, c)| matches!(c, '"' | '\''))?
        .0;
    let prefix = &s[..body_at];
    if prefix.len() > 2 || !prefix.chars().all(|c| matches!(c, 'r' | 'R' | 'b' | 'u')) {
        return None;
    }
    let quote = s[body_at..].chars().next()?;
    let rest = &s[body_at + 1..];
    let mut escaped = false;
    for (i, c) in rest.char_indices().take(MAX_PATTERN) {
        match c {
            '\\' if !escaped => escaped = true,
            c if c == quote && !escaped => return Some(s[..body_at + 2 + i].to_owned()),
            _ => escaped = false,
        }
    }
    None
}

/// A JavaScript regex literal on a line (`const re = /^\d+$/;`, `(s) => /^\d+$/.test(s)`),
/// with its slashes and flags: a slash where an expression starts, not a division.
fn regex_literal(line: &str) -> Option<String> {
    let starts = line.char_indices().filter(|&(i, c)| {
        let before = line[..i].trim_end();
        c == '/'
            && !line[i + 1..].starts_with(['/', '*'])
            && (before.is_empty()
                || before.ends_with(['=', '(', ',', ':', '>', '[', '!', '&', '|', '?', ';', '{'])
                || before.ends_with("return"))
    });
    starts
        .map(|(i, _)| i)
        .find_map(|i| literal_at(&line[i + 1..]))
}

/// The rest of a regex literal whose opening slash came just before `body`.
fn literal_at(body: &str) -> Option<String> {
    let (mut escaped, mut class) = (false, false);
    for (i, c) in body.char_indices().take(MAX_PATTERN) {
        match c {
            _ if escaped => escaped = false,
            '\\' => escaped = true,
            '[' => class = true,
            ']' => class = false,
            '/' if !class && i > 0 => {
                let flags: String = body[i + 1..]
                    .chars()
                    .take_while(char::is_ascii_alphabetic)
                    .collect();
                return Some(format!("/{}/{flags}", &body[..i]));
            }
            _ => {}
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::confidence::fences::parts;

    fn check(prompt: &str, answer: &str) -> Option<PatternCheck> {
        read(prompt, &parts(answer))
    }

    #[test]
    fn a_textbook_pattern_and_the_answers_candidates_are_read() {
        let c = check(
            "Write a regex that matches a string of only digits.",
            "Here it is:\n\n```\n^[01]\n```\n",
        )
        .expect("read");
        assert_eq!(c.name, "only digits");
        assert_eq!(c.candidates, ["^[01]"]);
        let c = check(
            "Python regex to validate an email address",
            "```python\nimport re\nEMAIL = re.compile(r\"^[^@\\s]+@[^@\\s]+\\.[a-z]+$\")\n```\nUse `EMAIL.match(s)`.",
        )
        .expect("read");
        assert_eq!(c.candidates, ["r\"^[^@\\s]+@[^@\\s]+\\.[a-z]+$\""]);
        let js = check(
            "JavaScript regex for a hex color",
            "```js\nconst hex = /^#([0-9a-f]{3}){1,2}$/i;\nconst ok = (s) => /^#[0-9a-f]{6}$/.test(s);\nconst half = n / 2; // not a pattern\n```",
        )
        .expect("read");
        assert_eq!(
            js.candidates,
            ["/^#([0-9a-f]{3}){1,2}$/i", "/^#[0-9a-f]{6}$/"]
        );
        let inline = check(
            "regex: only letters",
            "Use `^[A-Za-z]+$` with re.fullmatch.",
        );
        assert_eq!(inline.expect("read").candidates, ["^[A-Za-z]+$"]);
    }

    #[test]
    fn unclosed_literals_are_scanned_no_further_than_a_pattern_can_be() {
        let prompt = "Python regex to validate an email address";
        // Calls that never reach a string, then one string that never closes.
        let hostile = format!(
            "```python\n{}\"[a-z{}\n```",
            "re.match(".repeat(20_000),
            "a".repeat(50_000)
        );
        assert!(check(prompt, &hostile).is_none());
        let slashes = format!("```js\nconst x = {};\n```", "(/[".repeat(20_000));
        assert!(check(prompt, &slashes).is_none());
        let long = format!("```js\nconst re = /{}/;\n```", "a".repeat(MAX_PATTERN + 1));
        assert!(check(prompt, &long).is_none());
    }

    #[test]
    fn other_patterns_and_answers_without_one_give_nothing() {
        assert!(check(
            "Write a regex for a decimal number with only digits",
            "`^\\d+$`"
        )
        .is_none());
        assert!(check(
            "Extract every email from this text with a regex",
            "`\\S+@\\S+`"
        )
        .is_none());
        assert!(check(
            "Write a regex that matches only digits",
            "Use isdigit() instead."
        )
        .is_none());
        assert!(check("Explain what an email address is", "`a@b.c`").is_none());
    }
}
