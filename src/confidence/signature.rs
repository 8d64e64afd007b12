//! Whether the function a draft defines can take what the prompt says it takes. "The larger
//! of two ints" answered by `fn maximum(x: i32)`, or "the sum of a list" by
//! `def total(a: int)`, cannot be right whatever its body does: the signature contradicts
//! the request (the check a type checker makes at the call site, made against the prompt).
//! Only a draft that defines exactly one function besides `main` is judged, in the
//! languages whose definitions read unambiguously from a line (Python, JavaScript, Rust, Go).

use super::fences::Doc;
use super::words::{has_phrase, normalise};
use super::{signal, Signal};

/// Counts a prompt may give its function's inputs.
const COUNTS: &[(&str, usize)] = &[("two", 2), ("2", 2), ("three", 3), ("3", 3)];
/// What such a count counts: inputs, not results ("two decimal places" is no input).
const INPUT_NOUNS: &[&str] = &[
    "numbers",
    "integers",
    "ints",
    "floats",
    "values",
    "strings",
    "words",
    "lists",
    "arrays",
    "slices",
    "arguments",
    "parameters",
    "args",
    "inputs",
    "points",
    "dates",
    "dicts",
    "dictionaries",
    "sets",
    "vectors",
    "i32",
    "i64",
    "u32",
    "u64",
    "f64",
];
/// A collection the prompt says the function is given ("the sum of a list").
const COLLECTIONS: &[&str] = &["list", "array", "slice", "vector", "vec"];
const GIVEN: &[&str] = &["of", "in", "from", "takes", "accepts", "given"];
/// Types that hold one value, never a collection.
const SCALARS: &[&str] = &[
    "int", "float", "bool", "i8", "i16", "i32", "i64", "u8", "u16", "u32", "u64", "usize", "isize",
    "f32", "f64", "float64", "float32", "int64", "int32",
];

/// The signal for an answer taken apart as `doc`, or `None` when the prompt asks for no
/// function or the draft does not define exactly one.
pub(crate) fn signal_for(prompt: &str, doc: &Doc) -> Option<Signal> {
    let text = normalise(prompt);
    if !["function", "method", "func", "fn"]
        .iter()
        .any(|w| has_phrase(&text, w))
    {
        return None;
    }
    let mut defined = doc
        .blocks
        .iter()
        .filter(|b| b.closed)
        .flat_map(|b| b.body.lines())
        .filter_map(definition)
        .filter(|(name, _)| name != "main" && !name.starts_with("test"));
    let (name, params) = defined.next()?;
    if defined.next().is_some() {
        return None;
    }
    let words: Vec<&str> = text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    let detail =
        too_few(&words, &name, &params).or_else(|| scalar_for_many(&words, &name, &params));
    Some(match detail {
        Some(d) => signal(0.2, 1.0, d),
        None => signal(1.0, 0.0, format!("`{name}` takes what the prompt gives it")),
    })
}

/// "two ints" in the prompt and fewer parameters in the function.
fn too_few(words: &[&str], name: &str, params: &[String]) -> Option<String> {
    if params
        .iter()
        .any(|p| p.starts_with('*') || p.contains("..."))
    {
        return None;
    }
    let (count, noun) = words.iter().enumerate().find_map(|(i, w)| {
        let n = COUNTS.iter().find(|(c, _)| c == w)?.1;
        let noun = words[i + 1..]
            .iter()
            .take(2)
            .find(|x| INPUT_NOUNS.contains(x))?;
        Some((n, *noun))
    })?;
    (params.len() < count).then(|| {
        format!(
            "the prompt gives the function {count} {noun}, and `{name}` takes {}",
            plural(params.len())
        )
    })
}

/// "the sum of a list" in the prompt, and a function whose one parameter holds one number.
fn scalar_for_many(words: &[&str], name: &str, params: &[String]) -> Option<String> {
    let [param] = params else {
        return None;
    };
    let collection = words.windows(3).chain(words.windows(4)).find_map(|w| {
        let article = matches!(w[1], "a" | "an" | "the");
        let last = w[w.len() - 1];
        (GIVEN.contains(&w[0]) && article && COLLECTIONS.contains(&last)).then_some(last)
    })?;
    let ty = param_type(param)?;
    SCALARS.contains(&ty).then(|| {
        format!("the prompt gives the function a {collection}, and `{name}` takes one {ty}")
    })
}

fn plural(n: usize) -> String {
    match n {
        0 => "no parameter".to_owned(),
        1 => "one".to_owned(),
        n => format!("{n}"),
    }
}

/// The type a parameter is declared with: `n: int` (Python, Rust) or `n int` (Go).
fn param_type(param: &str) -> Option<&str> {
    if let Some((_, ty)) = param.split_once(':') {
        return Some(ty.trim());
    }
    let mut parts = param.split_whitespace();
    let (_name, ty) = (parts.next()?, parts.next()?);
    parts.next().is_none().then_some(ty)
}

/// A function definition on one line: its name and parameters (without a method's own
/// receiver), or `None` for any other line or one whose parameters go on.
fn definition(line: &str) -> Option<(String, Vec<String>)> {
    let mut rest = line.trim_start();
    for prefix in ["pub ", "export ", "async ", "const ", "let ", "var "] {
        rest = rest.strip_prefix(prefix).unwrap_or(rest);
    }
    let arrow = !rest.starts_with("def ")
        && !rest.starts_with("fn ")
        && !rest.starts_with("func ")
        && !rest.starts_with("function ");
    if arrow {
        return arrow_definition(rest, line);
    }
    let rest = rest.split_once(' ')?.1.trim_start();
    // Go's method receiver: `func (s *Stack) Push(x int)`.
    let rest = match rest.strip_prefix('(') {
        Some(r) => r.split_once(')')?.1.trim_start(),
        None => rest,
    };
    let end = rest.find(|c: char| !(c.is_alphanumeric() || c == '_'))?;
    let name = &rest[..end];
    let after = rest[end..].trim_start();
    let after = match after.strip_prefix('<') {
        Some(g) => g.split_once('>')?.1.trim_start(),
        None => after,
    };
    if name.is_empty() || !after.starts_with('(') {
        return None;
    }
    Some((name.to_owned(), params_of(after)?))
}

/// `add = (a, b) =>`: the name, then the parameters.
fn arrow_definition(rest: &str, line: &str) -> Option<(String, Vec<String>)> {
    let (name, value) = rest.split_once('=')?;
    let value = value.trim_start();
    let value = value.strip_prefix("async").unwrap_or(value).trim_start();
    if !value.starts_with('(') || !line.contains("=>") {
        return None;
    }
    Some((name.trim().to_owned(), params_of(value)?))
}

/// The parameters in `text`, which starts at their opening parenthesis; commas inside
/// brackets (`HashMap<K, V>`, `Dict[str, int]`) do not split. A method's `self` is left out.
fn params_of(text: &str) -> Option<Vec<String>> {
    let mut depth = 0i32;
    let mut current = String::new();
    let mut out = Vec::new();
    for c in text.chars().skip(1) {
        match c {
            '(' | '[' | '<' | '{' => depth += 1,
            ')' if depth == 0 => {
                out.push(std::mem::take(&mut current));
                let params: Vec<String> = out
                    .into_iter()
                    .map(|p| p.trim().to_owned())
                    .filter(|p| !p.is_empty())
                    .filter(|p| {
                        !matches!(
                            p.as_str(),
                            "self" | "&self" | "&mut self" | "mut self" | "cls"
                        )
                    })
                    .collect();
                return Some(params);
            }
            ')' | ']' | '>' | '}' => depth -= 1,
            ',' if depth == 0 => {
                out.push(std::mem::take(&mut current));
                continue;
            }
            _ => {}
        }
        current.push(c);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::confidence::fences::split;

    fn score(prompt: &str, answer: &str) -> Option<f32> {
        signal_for(prompt, &split(answer)).map(|s| s.score)
    }

    #[test]
    fn a_signature_that_cannot_take_the_prompts_inputs_is_caught() {
        let rust = "```rust\nfn maximum(x: i32) -> i32 {\n    x + 2\n}\n```";
        assert_eq!(
            score(
                "Write a Rust function that returns the maximum of two i32 values.",
                rust
            ),
            Some(0.2)
        );
        let py = "```python\ndef total(a: int):\n    return a + 1\n```";
        assert_eq!(
            score(
                "Write a Python function that returns the sum of a list of numbers.",
                py
            ),
            Some(0.2)
        );
        let go = "```go\nfunc Larger(a int) int {\n\treturn a\n}\n```";
        assert_eq!(
            score(
                "Write a Go function that returns the larger of two ints.",
                go
            ),
            Some(0.2)
        );
    }

    #[test]
    fn fitting_signatures_and_unclear_drafts_pass() {
        let prompt = "Write a function that returns the larger of two numbers.";
        for answer in [
            "```python\ndef larger(a, b):\n    return max(a, b)\n```",
            "```rust\npub fn larger<T: PartialOrd>(a: T, b: T) -> T { if a > b { a } else { b } }\n```",
            "```go\nfunc (m Math) Larger(a, b int) int {\n\treturn a\n}\n```",
            "```js\nconst larger = (a, b) => (a > b ? a : b);\n```",
            "```python\ndef larger(*nums):\n    return max(nums)\n```",
        ] {
            assert_eq!(score(prompt, answer), Some(1.0), "{answer}");
        }
        let two_helpers = "```python\ndef a(x):\n    return x\ndef b(y):\n    return y\n```";
        assert_eq!(score(prompt, two_helpers), None);
        assert_eq!(
            score(
                "Round to two decimal places",
                "```python\ndef r(x):\n    return round(x, 2)\n```"
            ),
            None
        );
        let list = "```python\ndef total(nums: list[int]) -> int:\n    return sum(nums)\n```";
        assert_eq!(
            score("Write a function that sums a list of ints.", list),
            Some(1.0)
        );
    }
}
