//! A request to print a run of whole numbers ("print the numbers from 1 to 10", "count from
//! 0 to 9"): what the draft's code prints can be compared with it outright, as a test of
//! the program's output would. Only a plain run is read; a request that picks some of the
//! numbers (the even ones, the squares, FizzBuzz) or does more with them (a sum) is
//! another task and gives nothing.

use crate::confidence::words::{has_phrase, normalise};

/// Words that ask for output.
const PRINTS: &[&str] = &["print", "prints", "output", "display", "count", "go"];

/// Words that make the request something other than the plain run.
const OTHER: &[&str] = &[
    "even",
    "odd",
    "square",
    "squares",
    "cube",
    "prime",
    "primes",
    "fizzbuzz",
    "fizz",
    "sum",
    "total",
    "product",
    "average",
    "every",
    "step",
    "multiple",
    "multiples",
    "except",
    "skip",
    "divisible",
    "random",
    "factorial",
    "fibonacci",
    "table",
    "times",
    "twice",
    "reverse",
    "backwards",
    "list",
    "array",
    "return",
    "returns",
    "function",
    "string",
    "words",
    "letters",
    "alphabet",
    "character",
    "characters",
    "n",
];

/// The most numbers a run may have: a request for more is no short example.
const MAX_LEN: i64 = 1000;

/// The first and last number of the run the prompt asks to be printed, in order (a run from
/// 10 to 1 counts down); `None` for any other prompt.
pub(super) fn printed_range(prompt: &str) -> Option<[i64; 2]> {
    let text = normalise(prompt);
    let first_line = text.lines().next().unwrap_or("");
    if !PRINTS.iter().any(|w| has_phrase(first_line, w))
        || OTHER.iter().any(|w| has_phrase(first_line, w))
    {
        return None;
    }
    let words: Vec<&str> = first_line
        .split(|c: char| c.is_whitespace() || matches!(c, ',' | '.' | ':' | '?' | '!'))
        .filter(|w| !w.is_empty())
        .collect();
    let at = words.windows(4).find(|w| {
        w[0] == "from" && matches!(w[2], "to" | "through" | "until") && int(w[1]).is_some()
    })?;
    let (a, b) = (int(at[1])?, int(at[3])?);
    // Checked: the numbers are the prompt's, and may be as large as an i64 holds.
    (b.checked_sub(a)?.checked_abs()? < MAX_LEN).then_some([a, b])
}

fn int(word: &str) -> Option<i64> {
    word.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_plain_run_of_numbers_to_print_is_read() {
        assert_eq!(
            printed_range("Write Python code to print the numbers from 1 to 10."),
            Some([1, 10])
        );
        assert_eq!(
            printed_range(
                "Change this loop to go from 0 to 9 instead of 0 to 4:\n\nfor i in range(5):"
            ),
            Some([0, 9]),
            "the run asked for comes first"
        );
        assert_eq!(
            printed_range("Count from 10 to 1 in JavaScript"),
            Some([10, 1])
        );
        assert_eq!(
            printed_range("Print all numbers from 0 through 5"),
            Some([0, 5])
        );
        // Runs too long to be an example, or at the edges of what a number holds, give nothing.
        assert_eq!(printed_range("Print the numbers from 1 to 1000000"), None);
        let edges = format!("Print the numbers from {} to {}", i64::MIN, i64::MAX);
        assert_eq!(printed_range(&edges), None);
        assert_eq!(
            printed_range("Print the numbers from 1 to 99999999999999999999"),
            None
        );
    }

    #[test]
    fn a_run_that_picks_or_combines_the_numbers_is_another_task() {
        for prompt in [
            "Print the even numbers from 1 to 10.",
            "Print the sum of the numbers from 1 to 100.",
            "Print FizzBuzz from 1 to 100.",
            "Print the squares from 1 to 5.",
            "Write a function that returns a list of numbers from 1 to 10.",
            "Print the numbers from 1 to n.",
            "Print the letters from a to z.",
            "Explain the loop from 1 to 10.",
        ] {
            assert_eq!(printed_range(prompt), None, "{prompt}");
        }
    }
}
