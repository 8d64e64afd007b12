//! Whether a construct the prompt asks the code to use is in the code: "refactor this to a
//! list comprehension" answered without one, "use const instead of var" answered with
//! `var`, "use an arrow function" answered with `function(x)`. Each construct is known by
//! the syntax that spells it, so its absence is plain to see.

use crate::confidence::words::has_phrase;

/// A construct: the phrases that ask for it, and whether code uses it.
struct Construct {
    name: &'static str,
    asked_by: &'static [&'static str],
    /// The verbs of a request to use it, one of which the prompt must use.
    verbs: &'static [&'static str],
    used: fn(&str) -> bool,
}

const CONSTRUCTS: &[Construct] = &[
    Construct {
        name: "a list comprehension",
        verbs: CHANGE,
        asked_by: &["list comprehension"],
        used: |c| bracketed_loop(c, '[', ']'),
    },
    Construct {
        name: "a dict comprehension",
        verbs: CHANGE,
        asked_by: &["dict comprehension", "dictionary comprehension"],
        used: |c| bracketed_loop(c, '{', '}'),
    },
    Construct {
        name: "a generator",
        verbs: CHANGE,
        asked_by: &["generator", "generator expression"],
        used: |c| c.contains("yield") || bracketed_loop(c, '(', ')'),
    },
    Construct {
        name: "an arrow function",
        verbs: CHANGE,
        asked_by: &["arrow function", "arrow functions"],
        used: |c| c.contains("=>"),
    },
    Construct {
        name: "an f-string",
        verbs: CHANGE,
        asked_by: &["f-string", "f-strings", "fstring"],
        used: has_f_string,
    },
    Construct {
        name: "`enumerate`",
        verbs: CHANGE,
        asked_by: &["enumerate", "enumerate()"],
        used: |c| c.contains("enumerate("),
    },
    Construct {
        name: "`zip`",
        verbs: CHANGE,
        asked_by: &["zip()", "use zip"],
        used: |c| c.contains("zip("),
    },
    Construct {
        name: "`sum()`",
        verbs: CHANGE,
        asked_by: &["sum()", "use sum"],
        used: |c| c.contains("sum("),
    },
    Construct {
        name: "async/await",
        verbs: CHANGE,
        asked_by: &["async/await", "async and await", "async await"],
        used: |c| c.contains("await"),
    },
    Construct {
        name: "a template literal",
        verbs: CHANGE,
        asked_by: &["template literal", "template literals", "template string"],
        used: |c| c.contains('`'),
    },
    Construct {
        name: "`const` in place of `var`",
        verbs: CHANGE,
        asked_by: &["use const", "to const", "const instead"],
        used: |c| has_phrase(c, "const") && !has_phrase(c, "var"),
    },
    Construct {
        name: "`let` in place of `var`",
        verbs: CHANGE,
        asked_by: &["use let", "to let", "let instead"],
        used: |c| has_phrase(c, "let") && !has_phrase(c, "var"),
    },
    Construct {
        name: "a `with` block",
        verbs: CHANGE,
        asked_by: &[
            "with statement",
            "context manager",
            "use `with`",
            "use with",
        ],
        used: |c| {
            c.lines().any(|l| {
                let t = l.trim_start();
                t.starts_with("with ") || t.starts_with("async with ")
            })
        },
    },
    Construct {
        name: "a dataclass",
        verbs: CHANGE,
        asked_by: &["dataclass", "@dataclass"],
        used: |c| c.contains("@dataclass"),
    },
    Construct {
        name: "a docstring",
        verbs: DOCUMENT,
        asked_by: &["docstring", "docstrings", "doc comment", "jsdoc"],
        used: |c| {
            ["\"\"\"", "\'\'\'", "/**", "///", "//!"]
                .iter()
                .any(|d| c.contains(d))
        },
    },
    Construct {
        name: "an `if __name__ == \"__main__\"` guard",
        verbs: DOCUMENT,
        asked_by: &["__name__", "__main__", "main guard"],
        used: |c| c.contains("__name__"),
    },
    Construct {
        name: "a descending order",
        verbs: DOCUMENT,
        asked_by: &[
            "descending",
            "largest first",
            "highest first",
            "biggest first",
        ],
        used: descends,
    },
    Construct {
        name: "pathlib",
        verbs: CHANGE,
        asked_by: &["pathlib"],
        used: |c| c.contains("Path"),
    },
];

/// Verbs of a request to change code, one of which the prompt must use.
const CHANGE: &[&str] = &[
    "use", "convert", "rewrite", "refactor", "change", "turn", "replace", "make", "switch", "into",
];
/// Verbs of a request for documentation: a docstring is written or added, not "used".
const DOCUMENT: &[&str] = &[
    "use", "convert", "rewrite", "refactor", "change", "turn", "replace", "make", "switch", "into",
    "add", "write", "document", "generate", "give", "create",
];
/// Openings of a question about a construct, not a request to use it.
const QUESTIONS: &[&str] = &[
    "what", "why", "how does", "how do", "explain", "when", "is ", "can ", "should",
];

/// What the prompt (`text`, normalised) asks the code to use and the answer's `code` lacks,
/// as a phrase.
pub(super) fn missing(text: &str, code: &str) -> Option<String> {
    let opening = text.trim_start();
    if QUESTIONS.iter().any(|q| opening.starts_with(q)) {
        return None;
    }
    let c = CONSTRUCTS
        .iter()
        .find(|c| c.asked_by.iter().any(|p| has_phrase(text, p)))?;
    if !c.verbs.iter().any(|v| has_phrase(text, v)) {
        return None;
    }
    (!(c.used)(code)).then(|| format!("the prompt asks for {}, and the code has none", c.name))
}

/// Whether code orders from the largest down, in any of the usual spellings: a reverse
/// flag or call, SQL's DESC, a comparator that puts `b` first, `std::greater`.
fn descends(code: &str) -> bool {
    let c = code.to_ascii_lowercase().replace(' ', "");
    let c = c.replace("reverse=false", "");
    [
        "reverse",
        "desc",
        "[::-1]",
        "b-a",
        "b.cmp(a)",
        "b.compareto(a)",
        "greater",
        "-x",
        "-item",
    ]
    .iter()
    .any(|m| c.contains(m))
}

/// A bracketed loop: `open … for … in … close`, as comprehensions and generator expressions
/// are written.
fn bracketed_loop(code: &str, open: char, close: char) -> bool {
    let bytes: Vec<(usize, char)> = code.char_indices().collect();
    for (k, &(start, c)) in bytes.iter().enumerate() {
        if c != open {
            continue;
        }
        let mut depth = 0;
        for &(end, d) in &bytes[k..] {
            if d == open {
                depth += 1;
            } else if d == close {
                depth -= 1;
                if depth == 0 {
                    let inner = &code[start..end];
                    if has_phrase(inner, "for") && has_phrase(inner, "in") {
                        return true;
                    }
                    break;
                }
            }
        }
    }
    false
}

fn has_f_string(code: &str) -> bool {
    code.match_indices(['f', 'F']).any(|(i, _)| {
        let before = code[..i].chars().next_back();
        let after = code[i + 1..].chars().next();
        !before.is_some_and(|b| b.is_alphanumeric() || b == '_')
            && matches!(after, Some('"' | '\''))
    })
}

#[cfg(test)]
mod tests {
    use crate::confidence::words::normalise;

    fn missing(prompt: &str, blocks: &[&str]) -> Option<String> {
        super::missing(&normalise(prompt), &blocks.join("\n"))
    }

    #[test]
    fn a_descending_order_asked_for_must_be_in_the_code() {
        let prompt = "Change this so it sorts in descending order:\n\nnums.sort()";
        assert!(missing(prompt, &["nums.sort(reverse=False)"]).is_some());
        for right in [
            "nums.sort(reverse=True)",
            "nums.sort((a, b) => b - a);",
            "v.sort_by(|a, b| b.cmp(a));",
            "SELECT * FROM t ORDER BY n DESC;",
            "std::sort(v.begin(), v.end(), std::greater<int>());",
        ] {
            assert!(missing(prompt, &[right]).is_none(), "{right}");
        }
    }

    #[test]
    fn a_main_guard_asked_for_must_be_written() {
        let prompt = "Write a Python `if __name__ == '__main__':` block that calls main().";
        assert!(missing(prompt, &["def main():\n    pass\n\nmain()"]).is_some());
        assert!(missing(prompt, &["if __name__ == '__main__':\n    main()"]).is_none());
    }

    #[test]
    fn a_construct_asked_for_and_missing_is_named() {
        let p = "Refactor this to use a list comprehension:\nresult = []\nfor x in items:\n    result.append(x * 2)";
        assert!(missing(p, &["result = list(map(lambda x: x * 2, items))"])
            .is_some_and(|m| m.contains("a list comprehension")));
        assert_eq!(missing(p, &["result = [x * 2 for x in items]"]), None);
        let arrow = "Refactor this JavaScript to use an arrow function: function double(x) { return x * 2; }";
        assert!(missing(arrow, &["const double = function(x) { return x * 2; };"]).is_some());
        assert_eq!(missing(arrow, &["const double = x => x * 2;"]), None);
        let var = "Change this JavaScript to use const instead of var: var total = 5;";
        assert!(missing(var, &["var total = 5;"]).is_some());
        assert_eq!(missing(var, &["const total = 5;"]), None);
        let with = "Refactor this to use a with statement: f = open('a.txt')";
        assert!(missing(with, &["f = open('a.txt')\ndata = f.read()"]).is_some());
        assert_eq!(
            missing(with, &["with open('a.txt') as f:\n    data = f.read()"]),
            None
        );
        let fs = "Convert this to an f-string: print('Total: %.2f' % total)";
        assert_eq!(missing(fs, &["print(f\"Total: {total:.2f}\")"]), None);
        assert!(missing(fs, &["print('Total: {:.2f}'.format(total))"]).is_some());
    }

    #[test]
    fn a_docstring_asked_for_must_be_written() {
        let p = "Write a Python docstring for `def is_even(n): return n % 2 == 0`.";
        assert!(missing(p, &["def is_even(n):\n    return n % 2 == 0"])
            .is_some_and(|m| m.contains("a docstring")));
        let doc = "def is_even(n):\n    \"\"\"True when n is even.\"\"\"\n    return n % 2 == 0";
        assert_eq!(missing(p, &[doc]), None);
        assert_eq!(missing("What is a docstring?", &["x = 1"]), None);
    }

    #[test]
    fn questions_about_a_construct_ask_for_nothing() {
        assert_eq!(missing("What is a list comprehension?", &["x = 1"]), None);
        assert_eq!(
            missing(
                "Turn this CSV header into a Python list of strings: id,name",
                &["['id', 'name']"]
            ),
            None
        );
    }
}
