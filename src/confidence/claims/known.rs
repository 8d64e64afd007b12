//! Textbook functions the prompt names ("check whether a number is prime", "the factorial of
//! n", "the larger of two numbers"), each with what it must give on a few inputs. The
//! contract of such a function is the same in every prompt and every language, so a draft's
//! function can be called on those inputs and compared, as a test suite would (HumanEval and
//! MBPP score generated code this way). A tiny model gets exactly these requests wrong while
//! writing fluent, well-formed code: a prime test without its loop, a sum that multiplies,
//! a leap-year rule without the century case.
//!
//! Each contract is taken only when a phrase names it and no phrase turns it into another
//! task ("the first n primes", "reverse the words", "sum of squares"). The expected values
//! are the mathematical ones; where conventions differ (which Fibonacci number is the
//! first), every common one is accepted, and cases whose answer depends on an unstated
//! choice (the factorial of 0, an empty list) are left out.

use serde::ser::{Serialize, SerializeStruct, Serializer};

use crate::confidence::words::has_phrase;

/// One textbook function: the phrases that name it, those that make the request something
/// else, its number of arguments, and its cases (JSON, read by the drivers).
#[derive(Debug, PartialEq)]
pub(super) struct Known {
    pub name: &'static str,
    any: &'static [&'static str],
    not: &'static [&'static str],
    arity: u8,
    /// A JSON list of suites, tried in order until one applies (its first case returns a
    /// value of the expected kind); each suite is a list of cases
    /// `{"a": [args], "e": expected}` or `{"a": [args], "any": [expected, …]}`. `"mut": true`
    /// on a suite accepts the argument changed in place when the function returns nothing.
    suites: &'static str,
}

impl Serialize for Known {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let suites: serde_json::Value =
            serde_json::from_str(self.suites).unwrap_or(serde_json::Value::Null);
        let mut st = s.serialize_struct("Known", 3)?;
        st.serialize_field("name", self.name)?;
        st.serialize_field("arity", &self.arity)?;
        st.serialize_field("suites", &suites)?;
        st.end()
    }
}

/// Collections and aggregates that turn a one-number contract into another task.
const NOT_ONE_NUMBER: &[&str] = &[
    "numbers", "list", "lists", "array", "arrays", "elements", "values", "items", "integers",
    "sum", "count", "filter", "first", "up to", "below", "between", "all",
];

/// Collections and other kinds that turn a two-number contract into another task.
const NOT_TWO_NUMBERS: &[&str] = &[
    "three", "list", "array", "lists", "arrays", "strings", "dates",
];

pub(super) static CATALOGUE: &[Known] = &[
    Known {
        name: "prime",
        any: &[
            "is prime",
            "is a prime",
            "is_prime",
            "isprime",
            "prime or not",
            "primality",
            "prime check",
            "checks for prime",
        ],
        not: &[
            "primes",
            "factor",
            "factors",
            "factorization",
            "nth",
            "n-th",
            "sieve",
            "next",
            "largest",
            "smallest",
            "twin",
            "list",
            "sum",
            "count",
            "first",
            "up to",
            "below",
            "between",
        ],
        arity: 1,
        suites: r#"[[{"a":[2],"e":true},{"a":[3],"e":true},{"a":[4],"e":false},{"a":[9],"e":false},
            {"a":[13],"e":true},{"a":[25],"e":false},{"a":[29],"e":true},{"a":[1],"e":false}]]"#,
    },
    Known {
        name: "factorial",
        any: &["factorial", "factorials"],
        not: &[
            "trailing", "digits", "digit", "sum", "zeros", "zeroes", "list", "table", "first",
            "up to", "modulo", "mod", "double", "prime",
        ],
        arity: 1,
        suites: r#"[[{"a":[3],"e":6},{"a":[1],"e":1},{"a":[5],"e":120},{"a":[6],"e":720},
            {"a":[10],"e":3628800}]]"#,
    },
    Known {
        name: "fibonacci",
        any: &["fibonacci"],
        not: &[
            "sum",
            "even",
            "odd",
            "list",
            "sequence up to",
            "up to",
            "first",
            "all",
            "series",
            "numbers",
            "modulo",
            "mod",
            "last digit",
            "index",
            "check",
            "whether",
        ],
        arity: 1,
        suites: r#"[[{"a":[5],"any":[5,3]},{"a":[2],"any":[1]},{"a":[3],"any":[2,1]},
            {"a":[6],"any":[8,5]},{"a":[7],"any":[13,8]},{"a":[10],"any":[55,34]}]]"#,
    },
    Known {
        name: "palindrome",
        any: &["palindrome", "palindromes", "palindromic"],
        not: &[
            "longest",
            "substring",
            "substrings",
            "subsequence",
            "count",
            "make",
            "shortest",
            "linked",
            "list of",
            "all palindromes",
            "partition",
            "minimum",
            "permutation",
            "number of",
            "next",
            "largest",
            "smallest",
            "generate",
            "pairs",
            "rearrange",
        ],
        arity: 1,
        suites: r#"[[{"a":["racecar"],"e":true},{"a":["hello"],"e":false},{"a":["abba"],"e":true},
            {"a":["ab"],"e":false},{"a":["level"],"e":true},{"a":["abca"],"e":false}],
            [{"a":[121],"e":true},{"a":[123],"e":false},{"a":[1221],"e":true},{"a":[10],"e":false}]]"#,
    },
    Known {
        name: "reverse_string",
        any: &[
            "reverse a string",
            "reverses a string",
            "reverse the string",
            "reverses the string",
            "reverse a given string",
            "reverses a given string",
            "reversed string",
            "string reversed",
            "string in reverse",
            "reverse string",
            "reverse of a string",
            "string reversal",
            "reverse the characters",
            "reverses the characters",
        ],
        not: &[
            "words",
            "word",
            "vowels",
            "linked",
            "integer",
            "number",
            "digits",
            "sentence",
            "each",
            "without",
            "recursion",
            "recursive",
            "recursively",
            "list",
            "array",
        ],
        arity: 1,
        suites: r#"[[{"a":["hello"],"e":"olleh"},{"a":["ab c"],"e":"c ba"},{"a":["x"],"e":"x"}]]"#,
    },
    Known {
        name: "reverse_list",
        any: &[
            "reverse a list",
            "reverses a list",
            "reverse the list",
            "reverses the list",
            "reverse an array",
            "reverses an array",
            "reverse the array",
            "reverses the array",
            "list reversed",
            "list in reverse",
            "array in reverse",
        ],
        not: &[
            "linked",
            "sort",
            "sorted",
            "words",
            "string",
            "strings",
            "each",
            "sublist",
            "group",
            "groups",
            "k elements",
            "rotate",
        ],
        arity: 1,
        suites: r#"[{"mut":true,"cases":[{"a":[[1,2,3]],"e":[3,2,1]},{"a":[[5]],"e":[5]},
            {"a":[[4,1,4,2]],"e":[2,4,1,4]}]}]"#,
    },
    Known {
        name: "sum",
        any: &[
            "sum of a list",
            "sum of the list",
            "sum of list",
            "sum of all numbers",
            "sum of all the numbers",
            "sum of the numbers",
            "sum of numbers",
            "sum of an array",
            "sum of the array",
            "sum of array",
            "sum of all elements",
            "sum of the elements",
            "sum of all the elements",
            "sum of all items",
            "sums a list",
            "sums the list",
            "sums an array",
            "sums the array",
            "sums the numbers",
            "sums all numbers",
            "sums all the numbers",
            "sum a list",
            "sum an array",
            "sum all numbers",
            "sum all the numbers",
            "adds up the numbers",
            "adds up all the numbers",
            "total of a list",
        ],
        not: &[
            "even",
            "odd",
            "squares",
            "square",
            "digits",
            "two numbers",
            "pair",
            "pairs",
            "target",
            "subarray",
            "sub-array",
            "cumulative",
            "running",
            "prefix",
            "positive",
            "negative",
            "maximum",
            "max",
            "minimum",
            "min",
            "average",
            "mean",
            "matrix",
            "nested",
            "dict",
            "dictionary",
            "column",
            "csv",
            "file",
            "except",
            "excluding",
            "multiples",
            "divisible",
            "unique",
            "distinct",
            "duplicates",
        ],
        arity: 1,
        suites: r#"[[{"a":[[1,2,3,4]],"e":10},{"a":[[-1,5]],"e":4},{"a":[[7]],"e":7},
            {"a":[[2,2,2]],"e":6}]]"#,
    },
    Known {
        name: "average",
        any: &[
            "average of",
            "the average",
            "averages",
            "average value",
            "mean of",
            "the mean",
            "arithmetic mean",
        ],
        not: &[
            "moving",
            "weighted",
            "rolling",
            "running",
            "median",
            "mode",
            "geometric",
            "harmonic",
            "per",
            "dict",
            "dictionary",
            "column",
            "csv",
            "file",
            "excluding",
            "except",
            "without",
            "window",
            "deviation",
            "variance",
            "above",
            "below",
            "two",
            "three",
            "grades",
            "scores",
            "students",
            "time",
            "load",
            "response",
        ],
        arity: 1,
        suites: r#"[[{"a":[[1,2,3,4]],"e":2.5},{"a":[[10]],"e":10},{"a":[[2,4]],"e":3},
            {"a":[[1,2]],"e":1.5}]]"#,
    },
    Known {
        name: "vowels",
        any: &[
            "count vowels",
            "counts vowels",
            "count the vowels",
            "counts the vowels",
            "number of vowels",
            "vowel count",
            "counting vowels",
            "how many vowels",
        ],
        not: &[
            "consonants",
            "each vowel",
            "per vowel",
            "remove",
            "removes",
            "replace",
            "dict",
            "dictionary",
            "frequency",
            "words",
            "list",
        ],
        arity: 1,
        suites: r#"[[{"a":["hello world"],"e":3},{"a":["bcd"],"e":0},{"a":["banana"],"e":3},
            {"a":["queue"],"e":4}]]"#,
    },
    Known {
        name: "larger",
        any: &[
            "larger of two",
            "largest of two",
            "bigger of two",
            "biggest of two",
            "greater of two",
            "greatest of two",
            "maximum of two",
            "max of two",
            "larger of the two",
            "the larger number",
            "the bigger number",
            "the greater number",
            "the larger of",
            "the bigger of",
        ],
        not: NOT_TWO_NUMBERS,
        arity: 2,
        suites: r#"[[{"a":[3,7],"e":7},{"a":[7,3],"e":7},{"a":[-2,-5],"e":-2},{"a":[4,4],"e":4}]]"#,
    },
    Known {
        name: "smaller",
        any: &[
            "smaller of two",
            "smallest of two",
            "lesser of two",
            "minimum of two",
            "min of two",
            "smaller of the two",
            "the smaller number",
            "the smaller of",
        ],
        not: NOT_TWO_NUMBERS,
        arity: 2,
        suites: r#"[[{"a":[3,7],"e":3},{"a":[7,3],"e":3},{"a":[-2,-5],"e":-5},{"a":[4,4],"e":4}]]"#,
    },
    Known {
        name: "gcd",
        any: &[
            "gcd",
            "greatest common divisor",
            "greatest common factor",
            "highest common factor",
            "hcf",
        ],
        not: &[
            "list",
            "array",
            "three",
            "extended",
            "bezout",
            "polynomial",
            "polynomials",
            "fraction",
            "fractions",
        ],
        arity: 2,
        suites: r#"[[{"a":[12,18],"e":6},{"a":[18,12],"e":6},{"a":[17,5],"e":1},
            {"a":[100,75],"e":25},{"a":[7,7],"e":7}]]"#,
    },
    Known {
        name: "lcm",
        any: &["lcm", "least common multiple", "lowest common multiple"],
        not: &[
            "list",
            "array",
            "three",
            "range",
            "polynomial",
            "fraction",
            "fractions",
        ],
        arity: 2,
        suites: r#"[[{"a":[4,6],"e":12},{"a":[3,5],"e":15},{"a":[6,6],"e":6},{"a":[8,12],"e":24}]]"#,
    },
    Known {
        name: "leap_year",
        any: &[
            "leap year",
            "leap-year",
            "leap_year",
            "is_leap",
            "isleap",
            "is_leap_year",
            "isleapyear",
        ],
        not: &[
            "days", "list", "count", "between", "next", "all leap", "previous", "range",
            "how many", "since", "date", "dates",
        ],
        arity: 1,
        suites: r#"[[{"a":[2024],"e":true},{"a":[2023],"e":false},{"a":[2000],"e":true},
            {"a":[1900],"e":false},{"a":[2100],"e":false},{"a":[1600],"e":true}]]"#,
    },
    Known {
        name: "celsius_to_fahrenheit",
        any: &[
            "celsius to fahrenheit",
            "celsius into fahrenheit",
            "celsius_to_fahrenheit",
            "c to f",
            "from celsius",
        ],
        not: &[
            "fahrenheit to celsius",
            "from fahrenheit",
            "kelvin",
            "both",
            "list",
            "table",
            "array",
            "round",
            "rounded",
            "string",
        ],
        arity: 1,
        suites: r#"[[{"a":[100],"e":212},{"a":[0],"e":32},{"a":[-40],"e":-40},{"a":[25],"e":77},
            {"a":[1],"e":33.8}]]"#,
    },
    Known {
        name: "fahrenheit_to_celsius",
        any: &[
            "fahrenheit to celsius",
            "fahrenheit into celsius",
            "fahrenheit_to_celsius",
            "f to c",
            "from fahrenheit",
        ],
        not: &[
            "celsius to fahrenheit",
            "from celsius",
            "kelvin",
            "both",
            "list",
            "table",
            "array",
            "round",
            "rounded",
            "string",
        ],
        arity: 1,
        suites: r#"[[{"a":[212],"e":100},{"a":[32],"e":0},{"a":[-40],"e":-40},{"a":[50],"e":10},
            {"a":[41],"e":5}]]"#,
    },
    Known {
        name: "even",
        any: &[
            "is even",
            "is_even",
            "iseven",
            "number is even",
            "integer is even",
        ],
        not: NOT_ONE_NUMBER,
        arity: 1,
        suites: r#"[[{"a":[4],"e":true},{"a":[7],"e":false},{"a":[0],"e":true},{"a":[-2],"e":true},
            {"a":[-3],"e":false}]]"#,
    },
    Known {
        name: "odd",
        any: &[
            "is odd",
            "is_odd",
            "isodd",
            "number is odd",
            "integer is odd",
        ],
        not: NOT_ONE_NUMBER,
        arity: 1,
        suites: r#"[[{"a":[7],"e":true},{"a":[4],"e":false},{"a":[0],"e":false},{"a":[-3],"e":true},
            {"a":[-2],"e":false}]]"#,
    },
    Known {
        name: "square",
        any: &[
            "square of a number",
            "square of the number",
            "squares a number",
            "square of x",
            "square of n",
            "returns the square",
            "return the square",
            "returns its square",
            "computes the square",
            "calculates the square",
            "square of an integer",
        ],
        not: &[
            "root",
            "sum of squares",
            "squares of",
            "list",
            "array",
            "matrix",
            "perfect",
            "each",
            "all",
            "area",
            "numbers",
        ],
        arity: 1,
        suites: r#"[[{"a":[3],"e":9},{"a":[-4],"e":16},{"a":[0],"e":0},{"a":[1.5],"e":2.25}]]"#,
    },
    Known {
        name: "digit_sum",
        any: &[
            "sum of digits",
            "sum of its digits",
            "sum of the digits",
            "sum of all digits",
            "digit sum",
            "sums the digits",
            "sum the digits",
            "adds the digits",
            "add the digits",
        ],
        not: &[
            "string",
            "until",
            "single digit",
            "repeatedly",
            "digital root",
            "factorial",
            "even",
            "odd",
            "squares",
            "list",
            "power",
            "cubes",
        ],
        arity: 1,
        suites: r#"[[{"a":[1234],"e":10},{"a":[9],"e":9},{"a":[505],"e":10},{"a":[1000],"e":1}]]"#,
    },
    Known {
        name: "word_count",
        any: &[
            "count the words",
            "counts the words",
            "count words",
            "counts words",
            "number of words",
            "word count",
            "how many words",
            "counting words",
        ],
        not: &[
            "frequency",
            "frequencies",
            "each word",
            "occurrences",
            "unique",
            "distinct",
            "most common",
            "per",
            "dict",
            "dictionary",
            "longest",
            "vowels",
            "average",
            "letters",
            "characters",
            "lines and",
            "top",
        ],
        arity: 1,
        suites: r#"[[{"a":["hello big world"],"e":3},{"a":["one"],"e":1},
            {"a":["  two   spaces  "],"e":2}],
            [{"a":["lines.txt"],"e":40}]]"#,
    },
    Known {
        name: "anagram",
        any: &["anagram", "anagrams"],
        not: &[
            "group",
            "groups",
            "find all",
            "list of",
            "all anagrams",
            "count",
            "substring",
            "minimum",
            "generate",
            "palindrome",
        ],
        arity: 2,
        suites: r#"[[{"a":["listen","silent"],"e":true},{"a":["abc","abd"],"e":false},
            {"a":["aab","abb"],"e":false},{"a":["abc","cba"],"e":true}]]"#,
    },
];

/// The textbook functions `text` (normalised) asks for, at most two.
pub(super) fn read(text: &str) -> Vec<&'static Known> {
    CATALOGUE
        .iter()
        .filter(|k| k.any.iter().any(|p| has_phrase(text, p)))
        .filter(|k| !k.not.iter().any(|p| has_phrase(text, p)))
        .take(2)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::confidence::words::normalise;

    fn names(prompt: &str) -> Vec<&'static str> {
        read(&normalise(prompt)).iter().map(|k| k.name).collect()
    }

    #[test]
    fn every_suite_is_valid_json_of_the_declared_arity() {
        for k in CATALOGUE {
            let v: serde_json::Value = serde_json::from_str(k.suites).expect(k.name);
            let suites = v.as_array().expect("a list of suites");
            assert!(!suites.is_empty(), "{}", k.name);
            for s in suites {
                let cases = s.get("cases").unwrap_or(s).as_array().expect("cases");
                for c in cases {
                    let args = c["a"].as_array().expect("args");
                    assert_eq!(args.len(), usize::from(k.arity), "{}", k.name);
                    assert!(c.get("e").is_some() || c.get("any").is_some(), "{}", k.name);
                }
            }
        }
    }

    #[test]
    fn named_contracts_are_read() {
        assert_eq!(
            names("Write a Python function that checks whether a number is prime."),
            ["prime"]
        );
        assert_eq!(names("factorial of n, recursively, in JS"), ["factorial"]);
        assert_eq!(
            names("Function returning the larger of two numbers"),
            ["larger"]
        );
        assert_eq!(names("is_leap(year) -> bool"), ["leap_year"]);
        assert_eq!(
            names("Convert Celsius to Fahrenheit in a function"),
            ["celsius_to_fahrenheit"]
        );
        assert_eq!(names("Count the vowels in a string"), ["vowels"]);
        assert_eq!(
            names("Write a function that reverses a string"),
            ["reverse_string"]
        );
    }

    #[test]
    fn other_tasks_that_share_a_word_are_not_read() {
        for prompt in [
            "Print the first 10 primes",
            "Sum of squares of a list",
            "Reverse the words in a sentence",
            "Find the longest palindromic substring",
            "Sum of the even numbers in a list",
            "Filter the even numbers from a list",
            "Compute the moving average of a series",
            "Group anagrams together",
            "List the leap years between 1900 and 2000",
            "Trailing zeros of a factorial",
            "Return the first n Fibonacci numbers",
            "Reverse a linked list",
        ] {
            assert!(names(prompt).is_empty(), "{prompt}: {:?}", names(prompt));
        }
    }

    #[test]
    fn a_contract_serialises_with_its_cases() {
        let k = &CATALOGUE[0];
        let v = serde_json::to_value(k).expect("json");
        assert_eq!(v["name"], "prime");
        assert_eq!(v["arity"], 1);
        assert_eq!(v["suites"][0][0]["a"][0], 2);
    }
}
