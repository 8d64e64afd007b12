//! What the prompt asks a function to give, as properties the driver can test it against
//! (property-based testing, as QuickCheck and Hypothesis do it): "the last n elements" gives
//! n elements and they are the last ones; "remove duplicates" leaves no duplicate and loses
//! no value; "the index of target" points at the target. A draft whose function breaks the
//! property on ordinary input is wrong, whatever it says about itself: the off-by-one in
//! `arr[-n-1:]`, a maximum that starts from 0, a binary search that misses the last item.
//!
//! Only contracts that read the same way in any prompt are taken, and each is narrow: a
//! sort "by" a key, a "second largest" or a "maximum subarray" is not a plain sort or
//! maximum, and such prompts give no property. The driver applies a property only to a
//! function whose parameters it can fill for it, and only to a result of the expected kind.

use serde::Serialize;

use super::known::{self, Known};
use crate::confidence::words::{
    file_tokens, has_phrase, inline_spans, looks_like_code, normalise, plain_file,
};

/// One property the prompt asks of the answer's function.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub(super) enum Spec {
    /// The last `count` items of a sequence (or of a file's lines).
    LastN { count: Option<u32> },
    /// The first `count` items of a sequence, or `count` items of a series.
    FirstN { count: Option<u32> },
    /// The `count` largest (or smallest) items, in any order.
    Extremes { count: Option<u32>, largest: bool },
    /// The single largest (or smallest) item of a list.
    Extreme { largest: bool },
    /// The items without duplicates, in first-seen order when `ordered`; a yes/no question
    /// about duplicates must answer differently with and without them.
    Unique { ordered: bool },
    /// The even (or odd) items, or their sum or count.
    Parity { even: bool, reduce: Reduce },
    /// The index of a target in a sorted list, and what a missing target gives.
    IndexOf { missing: Missing },
    /// The items in order.
    Sorted { descending: bool },
    /// One page of items, with the first page numbered 1 (`Some(true)`), 0, or unsaid.
    Page { one_based: Option<bool> },
    /// A textbook function and what it gives on a few inputs (`known`).
    Known(&'static Known),
}

/// What the prompt says an item-by-item result is reduced to.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub(super) enum Reduce {
    List,
    Sum,
    Count,
}

/// What a search gives for a target that is not there, as the prompt says.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub(super) enum Missing {
    MinusOne,
    None,
    Unsaid,
}

/// Words that name a count in "the last n …": a letter parameter or a number.
const COUNT_WORDS: &[&str] = &["n", "k", "m", "`n`", "`k`", "count", "num"];
const LARGEST: &[&str] = &[
    "largest", "biggest", "highest", "greatest", "maximum", "max",
];
const SMALLEST: &[&str] = &["smallest", "lowest", "least", "minimum", "min"];
const ITEM_NOUNS: &[&str] = &[
    "number", "numbers", "value", "values", "element", "elements", "item", "items", "integer",
    "integers", "entry", "entries",
];
/// A rank other than the first, or a run rather than an item: not a plain maximum.
const NOT_PLAIN: &[&str] = &[
    "second",
    "third",
    "kth",
    "k-th",
    "nth",
    "n-th",
    "index",
    "position",
    "subarray",
    "sublist",
    "substring",
    "subsequence",
    "product",
    "sum of",
    "difference",
    "gap",
    "path",
    "window",
    "depth",
];
/// Requests for the items without their duplicates.
const UNIQUE: &[&str] = &[
    "remove duplicates",
    "removes duplicates",
    "removing duplicates",
    "without duplicates",
    "drop duplicates",
    "deduplicate",
    "deduplicates",
    "dedupe",
    "unique elements",
    "unique values",
    "unique items",
    "unique numbers",
    "unique words",
    "unique strings",
    "distinct elements",
    "distinct values",
    "distinct items",
];
/// Yes-or-no questions about duplicates.
const HAS_DUPLICATES: &[&str] = &[
    "has duplicates",
    "contains duplicates",
    "contains any duplicates",
    "any duplicates",
    "has any duplicates",
    "all unique",
    "all distinct",
    "are unique",
    "are distinct",
];
/// Rankings by something other than the items' own size ("the top k most frequent").
const RANKED_BY: &[&str] = &["frequent", "common", "occurring", "by", "revers"];
const ORDER: &[&str] = &[
    "order",
    "ordered",
    "first occurrence",
    "first occurrences",
    "first seen",
];
const INDEX: &[&str] = &[
    "index of",
    "the index",
    "its index",
    "position of",
    "binary search",
];
const SORT: &[&str] = &["sort", "sorts", "sorted", "sorting"];
/// A sort with a key or a rule of its own is not checked as a plain one, wherever the
/// prompt says so.
const KEYED: &[&str] = &[
    "by",
    "key",
    "length",
    "frequency",
    "case",
    "stable",
    "merge",
    "merges",
];
/// Words near "sorted" that make it a description of the input or a question ("binary
/// search in a sorted list", "check whether it is sorted").
const NOT_A_SORT: &[&str] = &[
    "merged", "if", "whether", "is", "are", "check", "checks", "insert", "inserts", "search",
];
const DESCENDING: &[&str] = &[
    "descending",
    "decreasing",
    "reverse order",
    "largest first",
    "highest first",
    "biggest first",
    "high to low",
];

/// Requests for a rewrite that keeps what the code does.
const REWRITE: &[&str] = &[
    "refactor",
    "simplify",
    "rewrite",
    "clean up",
    "more concise",
    "more pythonic",
    "more readable",
    "idiomatic",
    "list comprehension",
    "dict comprehension",
    "use enumerate",
    "use zip",
    "use sum",
    "use any",
    "use all",
    "f-string",
    "without changing",
    "same behaviour",
    "same behavior",
    "same output",
];
/// Words that ask for a different behaviour, which no comparison with the original can judge.
const CHANGE: &[&str] = &[
    "fix",
    "bug",
    "wrong",
    "error",
    "also",
    "add",
    "handle",
    "instead",
    "should",
    "faster",
    "optimize",
    "optimise",
    "async",
    "type hints",
    "typed",
    "class",
];

/// The code of a prompt that asks for a rewrite keeping its behaviour ("refactor this to a
/// list comprehension: …"), for the driver to run beside the draft's; `None` for any other
/// prompt. The code is the prompt's first Python or untagged block, else its lines from the
/// first that reads as code, else what follows the first colon; the driver parses it and
/// drops what is not Python.
pub(super) fn original(prompt: &str) -> Option<String> {
    let text = normalise(prompt);
    if !REWRITE.iter().any(|w| has_phrase(&text, w)) || CHANGE.iter().any(|w| has_phrase(&text, w))
    {
        return None;
    }
    if let Some(block) = super::read::prompt_block(super::Lang::Python, prompt) {
        return Some(block);
    }
    let lines: Vec<&str> = prompt.lines().collect();
    if let Some(i) = (1..lines.len()).find(|&i| starts_code(lines[i])) {
        return Some(lines[i..].join("\n"));
    }
    if let Some((_, rest)) = prompt.split_once(": ") {
        return Some(rest.trim().trim_matches('`').to_owned());
    }
    inline_spans(prompt, 4)
        .first()
        .map(|(s, _)| (*s).to_owned())
}

/// Extensions of the data files a prompt may name for the code to read.
const FILE_KINDS: &[&str] = &[
    "json", "csv", "txt", "log", "yaml", "yml", "ini", "cfg", "toml", "md",
];

/// The plain file names the prompt mentions ("settings.json", "`access.log`"), at most 8.
pub(super) fn files(prompt: &str) -> Vec<String> {
    let mut out: Vec<String> = file_tokens(prompt)
        .filter(|t| {
            plain_file(t)
                .is_some_and(|(_, ext)| FILE_KINDS.contains(&ext.to_ascii_lowercase().as_str()))
        })
        .map(str::to_owned)
        .collect();
    out.sort();
    out.dedup();
    out.truncate(8);
    out
}

pub(super) fn starts_code(line: &str) -> bool {
    const STARTS: [&str; 6] = ["for ", "if ", "while ", "print(", "with ", "try:"];
    let t = line.trim_start();
    looks_like_code(line) || STARTS.iter().any(|s| t.starts_with(s))
}

/// The properties `prompt` asks of the answer's function.
pub(super) fn read(prompt: &str) -> Vec<Spec> {
    let text = normalise(prompt);
    let words: Vec<&str> = text
        .split(|c: char| !(c.is_alphanumeric() || c == '-' || c == '`' || c == '_'))
        .filter(|w| !w.is_empty())
        .collect();
    let mut specs = Vec::new();
    if !RANKED_BY.iter().any(|w| text.contains(w)) {
        specs.extend(counted(&words));
    }
    specs.extend(extreme(&text, &words));
    let unique = unique(&text);
    specs.extend(unique);
    specs.extend(parity(&text));
    specs.extend(index_of(&text));
    // Unique values in order are no sort of the whole list.
    if unique.is_none() {
        specs.extend(sorted(&text, &words));
    }
    specs.extend(page(&text));
    specs.extend(known::read(&text).into_iter().map(Spec::Known));
    specs
}

/// "the last n …", "the first 3 …", "top k", "the n largest …".
fn counted(words: &[&str]) -> Option<Spec> {
    for (i, pair) in words.windows(2).enumerate() {
        let Some(count) = count_of(pair[1]) else {
            continue;
        };
        let next = words.get(i + 2).copied().unwrap_or("");
        match pair[0] {
            "last" | "final" => return Some(Spec::LastN { count }),
            "first" => return Some(Spec::FirstN { count }),
            "top" => {
                return Some(Spec::Extremes {
                    count,
                    largest: true,
                })
            }
            _ if LARGEST.contains(&next) => {
                return Some(Spec::Extremes {
                    count,
                    largest: true,
                })
            }
            _ if SMALLEST.contains(&next) => {
                return Some(Spec::Extremes {
                    count,
                    largest: false,
                })
            }
            _ => {}
        }
    }
    None
}

/// `Some(None)` for a named count ("n"), `Some(Some(3))` for a number, `None` otherwise.
fn count_of(word: &str) -> Option<Option<u32>> {
    if COUNT_WORDS.contains(&word) {
        return Some(None);
    }
    word.parse::<u32>()
        .ok()
        .filter(|n| (1..=50).contains(n))
        .map(Some)
}

/// "the largest number in a list", "the minimum value".
fn extreme(text: &str, words: &[&str]) -> Option<Spec> {
    if NOT_PLAIN.iter().any(|w| has_phrase(text, w)) {
        return None;
    }
    let found = words.windows(2).find_map(|pair| {
        let largest = LARGEST.contains(&pair[0]);
        let smallest = SMALLEST.contains(&pair[0]);
        ((largest || smallest) && ITEM_NOUNS.contains(&pair[1])).then_some(largest)
    })?;
    // "the 3 largest" is a counted request, read above.
    let counted = words
        .windows(2)
        .any(|p| count_of(p[0]).is_some() && (LARGEST.contains(&p[1]) || SMALLEST.contains(&p[1])));
    (!counted).then_some(Spec::Extreme { largest: found })
}

fn unique(text: &str) -> Option<Spec> {
    let asks = |list: &[&str]| list.iter().any(|w| has_phrase(text, w));
    if !asks(UNIQUE) && !asks(HAS_DUPLICATES) {
        return None;
    }
    // "in sorted order" asks for a sort, not for the first-seen order.
    let sorts = SORT.iter().any(|w| has_phrase(text, w));
    let ordered = !sorts && ORDER.iter().any(|w| has_phrase(text, w));
    Some(Spec::Unique { ordered })
}

/// "the even numbers", "sum of the odd values", "count the even integers".
fn parity(text: &str) -> Option<Spec> {
    let even = ["even", "odd"].into_iter().find_map(|p| {
        ITEM_NOUNS
            .iter()
            .any(|n| has_phrase(text, &format!("{p} {n}")))
            .then_some(p == "even")
    })?;
    let reduce = if has_phrase(text, "sum") || has_phrase(text, "total") {
        Reduce::Sum
    } else if ["count", "how many", "number of"]
        .iter()
        .any(|w| has_phrase(text, w))
    {
        Reduce::Count
    } else {
        Reduce::List
    };
    Some(Spec::Parity { even, reduce })
}

fn index_of(text: &str) -> Option<Spec> {
    if !INDEX.iter().any(|w| has_phrase(text, w)) {
        return None;
    }
    let missing = if text.contains("-1") {
        Missing::MinusOne
    } else if has_phrase(text, "none") || has_phrase(text, "null") {
        Missing::None
    } else {
        Missing::Unsaid
    };
    Some(Spec::IndexOf { missing })
}

/// "sort a list of numbers", "sorted in descending order"; not "sort by age", "merge two
/// sorted lists" or "check whether it is sorted".
fn sorted(text: &str, words: &[&str]) -> Option<Spec> {
    let at = words.iter().position(|w| SORT.contains(w))?;
    let near = &words[at.saturating_sub(3)..(at + 4).min(words.len())];
    if near.iter().any(|w| NOT_A_SORT.contains(w)) || words.iter().any(|w| KEYED.contains(w)) {
        return None;
    }
    let descending = DESCENDING.iter().any(|w| has_phrase(text, w));
    Some(Spec::Sorted { descending })
}

fn page(text: &str) -> Option<Spec> {
    if !["paginate", "pagination", "page"]
        .iter()
        .any(|w| has_phrase(text, w))
    {
        return None;
    }
    let one = [
        "1-based",
        "1-indexed",
        "one-based",
        "starts at 1",
        "page 1 is",
    ];
    let zero = [
        "0-based",
        "0-indexed",
        "zero-based",
        "starts at 0",
        "page 0 is",
    ];
    let one_based = if one.iter().any(|w| text.contains(w)) {
        Some(true)
    } else if zero.iter().any(|w| text.contains(w)) {
        Some(false)
    } else {
        None
    };
    Some(Spec::Page { one_based })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counted_requests_are_read_with_their_count() {
        assert_eq!(
            read("Write a function that returns the last n lines of a file."),
            vec![Spec::LastN { count: None }]
        );
        assert_eq!(
            read("Return the first 3 words of a sentence"),
            vec![Spec::FirstN { count: Some(3) }]
        );
        assert_eq!(
            read("Get the top k scores from a list"),
            vec![Spec::Extremes {
                count: None,
                largest: true
            }]
        );
        assert_eq!(
            read("the 2 smallest numbers"),
            vec![Spec::Extremes {
                count: Some(2),
                largest: false
            }]
        );
        assert!(read("Find the first non-repeating character").is_empty());
        assert!(read("Return the top k most frequent words").is_empty());
        assert!(read("the last n items in reverse order").is_empty());
        assert!(read("Find the first unique character in a string").is_empty());
    }

    #[test]
    fn a_plain_extreme_is_read_and_a_ranked_or_compound_one_is_not() {
        assert_eq!(
            read("Write a Rust function that returns the largest value in a slice."),
            vec![Spec::Extreme { largest: true }]
        );
        assert_eq!(
            read("find the minimum element of an array"),
            vec![Spec::Extreme { largest: false }]
        );
        assert!(read("Return the second largest number in a list").is_empty());
        assert!(read("maximum subarray sum: return the largest sum").is_empty());
    }

    #[test]
    fn a_rewrite_that_keeps_behaviour_hands_on_the_prompts_code() {
        let p = "Refactor this to use a list comprehension:\nresult = []\nfor x in items:\n    result.append(x * 2)";
        assert_eq!(
            original(p).as_deref(),
            Some("result = []\nfor x in items:\n    result.append(x * 2)")
        );
        let fenced = "Simplify this:\n```python\nif ok == True:\n    go()\n```";
        assert_eq!(
            original(fenced).as_deref(),
            Some("if ok == True:\n    go()\n")
        );
        assert_eq!(
            original("Convert this to an f-string: print('Total: %.2f' % total)").as_deref(),
            Some("print('Total: %.2f' % total)")
        );
        assert_eq!(original("Refactor this and fix the bug:\nx = 1"), None);
        assert_eq!(original("Write a function that sums a list."), None);
    }

    #[test]
    fn the_files_a_prompt_names_are_read() {
        assert_eq!(
            files("Python: load settings from settings.json into a dict."),
            vec!["settings.json"]
        );
        assert_eq!(
            files("Count lines with ' 500 ' in `access.log`, and write out.csv: ../x.json no"),
            vec!["access.log", "out.csv"]
        );
        assert!(files("Parse the config at /etc/app/config.yaml").is_empty());
    }

    #[test]
    fn duplicates_parity_index_sort_and_pages() {
        assert_eq!(
            read("Remove duplicates from a list, keeping the original order."),
            vec![Spec::Unique { ordered: true }]
        );
        assert_eq!(
            read("Return the sum of the even numbers in a list"),
            vec![Spec::Parity {
                even: true,
                reduce: Reduce::Sum
            }]
        );
        assert_eq!(
            read("binary search returning the index of target or -1"),
            vec![Spec::IndexOf {
                missing: Missing::MinusOne
            }]
        );
        assert_eq!(
            read("Sort a list of integers in descending order"),
            vec![Spec::Sorted { descending: true }]
        );
        assert!(read("sort the users by age").is_empty());
        assert_eq!(
            read("Return the unique values of a list in sorted order"),
            vec![Spec::Unique { ordered: false }]
        );
        assert!(read("merge two sorted lists").is_empty());
        assert!(read("check whether a list is sorted").is_empty());
        assert_eq!(
            read("paginate(items, page, size) where page is 1-based"),
            vec![Spec::Page {
                one_based: Some(true)
            }]
        );
    }
}
