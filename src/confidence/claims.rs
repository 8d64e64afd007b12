//! What a draft claims its own Python code does, checked by running it (DESIGN.md, "Acting
//! on code": what the code does is judged by running it). Valid code that is wrong (an
//! off-by-one, a wrong operator, a wrong API) parses, reads fluently and scores like a good
//! answer; but such answers often say what their code gives ("`sum_to(5)` returns 15",
//! `print(add(5, 5))  # 11`, "Output: …"), and the prompt may say what it must give
//! ("fib(0)=0"). Running the code against those claims is evidence no static signal has.
//!
//! This module stays pure, as the scorer must: [`probe`] reads the claims and builds the
//! command, the engine runs it in the sandbox (`engine::examples`), and [`judge`] reads what
//! came back. The program that runs is `claims_driver.py`: it executes the draft's blocks a
//! statement at a time with their output captured, reads the comment claims and doctests
//! with Python's own tokenizer, and prints one JSON verdict per claim.

use serde::{Deserialize, Serialize};

use super::fences::{parts, Part};
use super::{signal, Signal};

const PYTHON_DRIVER: &str = include_str!("claims_driver.py");
const JS_DRIVER: &str = include_str!("claims_driver.js");
/// A larger payload is not run: a draft's examples are short.
const MAX_PAYLOAD: usize = 32 * 1024;
/// At most this many verdict lines are read back.
const MAX_VERDICTS: usize = 64;
/// Verbs that state what a call gives, longest first so "should return" wins over "return".
const VERBS: &[&str] = &[
    "should return",
    "will return",
    "would return",
    "evaluates to",
    "results in",
    "should be",
    "will be",
    "returns",
    "gives",
    "outputs",
    "prints",
    "yields",
    "produces",
    "equals",
    "is",
    "==",
    "=>",
    "->",
    "\u{2192}",
];
/// Words that introduce a block's printed output.
const OUTPUT_CUES: &[&str] = &[
    "output:",
    "output would be:",
    "output will be:",
    "the output is:",
    "this prints:",
    "this will print:",
    "this will output:",
    "it prints:",
    "prints:",
    "result:",
];

/// The command that checks a draft's claims.
#[derive(Debug, Clone, PartialEq)]
pub struct Probe {
    lang: Lang,
    payload: String,
}

impl Probe {
    /// The driver with the payload as its argument: `python3` in isolated mode (no
    /// environment, no user site), or `node`.
    pub fn argv(&self) -> Vec<String> {
        let (program, flags, driver): (&str, &[&str], &str) = match self.lang {
            Lang::Python => ("python3", &["-I", "-c"], PYTHON_DRIVER),
            Lang::Js => ("node", &["-e"], JS_DRIVER),
        };
        let mut argv = vec![program.to_owned()];
        argv.extend(flags.iter().map(|f| (*f).to_owned()));
        argv.push(driver.to_owned());
        argv.push(self.payload.clone());
        argv
    }
}

#[derive(Debug, Default, Serialize)]
struct Payload {
    blocks: Vec<String>,
    /// The functions the blocks define: the driver calls each with ordinary arguments.
    defined: Vec<String>,
    calls: Vec<Call>,
    outputs: Vec<Output>,
    question: Option<Question>,
}

/// The prompt asks what its own code prints or gives; the answer's candidate replies.
#[derive(Debug, Serialize, PartialEq)]
struct Question {
    code: String,
    claims: Vec<String>,
}

/// A claimed result of a call: `expr` should give `expected`.
#[derive(Debug, Serialize, PartialEq)]
struct Call {
    from: &'static str,
    expr: String,
    expected: String,
}

/// A claimed printed output of Python block `block` (an index into the payload's blocks).
#[derive(Debug, Serialize, PartialEq)]
struct Output {
    block: usize,
    expected: String,
}

/// The claims of an answer to `prompt`, as a command to run; `None` when it has no Python
/// or JavaScript code that makes or faces a checkable claim. An answer with both is checked
/// in Python when its Python has a claim, else in JavaScript.
pub fn probe(prompt: &str, answer: &str) -> Option<Probe> {
    let parts = parts(answer);
    [Lang::Python, Lang::Js].into_iter().find_map(|lang| {
        let payload = payload_for(lang, prompt, &parts)?;
        let payload = serde_json::to_string(&payload).ok()?;
        (payload.len() <= MAX_PAYLOAD).then_some(Probe { lang, payload })
    })
}

/// The language a probe runs in.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Lang {
    Python,
    Js,
}

impl Lang {
    fn takes(self, tag: &str, body: &str) -> bool {
        match self {
            Lang::Python => is_python(tag, body),
            Lang::Js => matches!(tag, "javascript" | "js" | "node" | "mjs" | "jsx"),
        }
    }
}

fn payload_for(lang: Lang, prompt: &str, parts: &[Part]) -> Option<Payload> {
    let mut payload = Payload::default();
    let mut last: Option<usize> = None;
    let mut pending_output: Option<usize> = None;
    for part in parts {
        match part {
            Part::Prose(line) => {
                pending_output = None;
                if let (Some(b), Some(rest)) = (last, output_cue(line)) {
                    if rest.is_empty() {
                        pending_output = Some(b);
                    } else {
                        payload.outputs.push(Output {
                            block: b,
                            expected: rest.to_owned(),
                        });
                    }
                }
            }
            Part::Block { tag, body } => {
                if let Some(b) = pending_output.take() {
                    if tag.is_empty() || is_output_tag(tag) {
                        payload.outputs.push(Output {
                            block: b,
                            expected: body.clone(),
                        });
                        continue;
                    }
                }
                if lang.takes(tag, body) {
                    payload.blocks.push(body.clone());
                    last = Some(payload.blocks.len() - 1);
                }
            }
        }
    }
    if lang == Lang::Python {
        payload.question = question(prompt, parts);
    }
    if payload.blocks.is_empty() && payload.question.is_none() {
        return None;
    }
    let defined = defined_names(lang, &payload.blocks);
    let prose: String = parts
        .iter()
        .filter_map(|p| match p {
            Part::Prose(l) => Some(*l),
            Part::Block { .. } => None,
        })
        .collect::<Vec<_>>()
        .join("\n");
    payload.calls = calls_in(&prose, &defined, "prose");
    payload.calls.extend(calls_in(prompt, &defined, "prompt"));
    payload.defined = defined;
    worth_running(lang, &payload).then_some(payload)
}

/// Words of a prompt that asks what a piece of code does when run.
const QUESTION_CUES: &[&str] = &[
    "what does",
    "what will",
    "what would",
    "what is the output",
    "what's the output",
    "what is the result",
    "what's the result",
    "what is printed",
    "what gets printed",
    "what value",
];
const QUESTION_VERBS: &[&str] = &[
    "print", "output", "return", "result", "evaluat", "value", "give",
];

/// A prompt that asks what its Python code prints or gives ("What does `print([1, 2][-1])`
/// print?"), with the values the answer's opening says it does.
fn question(prompt: &str, parts: &[Part]) -> Option<Question> {
    let lower = prompt.to_lowercase();
    if !QUESTION_CUES.iter().any(|c| lower.contains(c))
        || !QUESTION_VERBS.iter().any(|v| lower.contains(v))
        || [
            "javascript",
            "node",
            "typescript",
            "rust",
            "java ",
            "golang",
            " go ",
            "c++",
            "bash",
        ]
        .iter()
        .any(|l| lower.contains(l))
    {
        return None;
    }
    let code = prompt_code(prompt)?;
    let opening: String = parts
        .iter()
        .filter_map(|p| match p {
            Part::Prose(l) => Some(*l),
            Part::Block { .. } => None,
        })
        .collect::<Vec<_>>()
        .join(" ");
    let opening = crate::text::short::head(&opening, 400);
    let mut claims: Vec<(usize, String)> = Vec::new();
    for verb in VERBS {
        for (i, _) in opening.match_indices(verb) {
            let after = &opening[i + verb.len()..];
            let before = opening[..i].chars().next_back();
            if !after.starts_with([' ', ':']) || before.is_some_and(char::is_alphanumeric) {
                continue;
            }
            let value = after.trim_start_matches([' ', ':']);
            if let Some(v) = literal_token(value) {
                claims.push((i, v));
            }
        }
    }
    claims.sort_by_key(|c| c.0);
    let claims: Vec<String> = claims.into_iter().map(|c| c.1).take(8).collect();
    (!claims.is_empty()).then_some(Question { code, claims })
}

/// The code a prompt shows: its first Python (or untagged) block, else its first inline
/// span that is an expression or a call rather than a bare name.
fn prompt_code(prompt: &str) -> Option<String> {
    let parts = parts(prompt);
    let block = parts.iter().find_map(|p| match p {
        Part::Block { tag, body } if tag.is_empty() || is_python(tag, body) => Some(body.clone()),
        _ => None,
    });
    block.or_else(|| {
        super::words::inline_spans(prompt, 8)
            .into_iter()
            .map(|(span, _)| span)
            .find(|s| s.contains(['(', '[', '+', '*', '%']) && s.len() <= 300)
            .map(str::to_owned)
    })
}

fn is_python(tag: &str, body: &str) -> bool {
    match tag {
        "python" | "python3" | "py" | "pycon" | "ipython" => true,
        "" => body.lines().any(|l| {
            let l = l.trim_start();
            l.starts_with("def ") || l.starts_with(">>> ") || l.starts_with("print(")
        }),
        _ => false,
    }
}

fn is_output_tag(tag: &str) -> bool {
    matches!(
        tag,
        "text" | "txt" | "output" | "console" | "plaintext" | "none"
    )
}

/// What follows a cue that introduces printed output ("Output: 15" gives "15", a bare
/// "Output:" gives ""), if `line` is one.
fn output_cue(line: &str) -> Option<&str> {
    let plain = line.trim_matches(|c: char| c == '*' || c == '_' || c.is_whitespace());
    let lower = plain.to_ascii_lowercase();
    let cue = OUTPUT_CUES.iter().find(|c| lower.starts_with(**c))?;
    let rest = plain.get(cue.len()..)?.trim_start_matches(['*', '_']);
    let rest = rest.trim().trim_end_matches(['.', ',', ';', '!']);
    Some(rest.trim_matches('`').trim())
}

/// The functions the blocks define at the top level: in Python `def name(` and
/// `name = lambda`; in JavaScript `function name(` and `const name = (…) =>` or `= function`.
fn defined_names(lang: Lang, blocks: &[String]) -> Vec<String> {
    let mut names = Vec::new();
    for line in blocks.iter().flat_map(|b| b.lines()) {
        let name = match lang {
            Lang::Python => python_def(line),
            Lang::Js => js_def(line),
        };
        let name = name.trim();
        if is_identifier(name) && !names.iter().any(|n| n == name) {
            names.push(name.to_owned());
        }
    }
    names
}

fn python_def(line: &str) -> &str {
    let rest = line
        .strip_prefix("def ")
        .or_else(|| line.strip_prefix("async def "));
    match rest {
        Some(r) => r.split('(').next().unwrap_or(""),
        None => match line.split_once('=') {
            Some((n, v)) if v.trim_start().starts_with("lambda") => n.trim(),
            _ => "",
        },
    }
}

fn js_def(line: &str) -> &str {
    let line = line.strip_prefix("export ").unwrap_or(line);
    let line = line.strip_prefix("async ").unwrap_or(line);
    if let Some(r) = line.strip_prefix("function ") {
        return r.split('(').next().unwrap_or("").trim();
    }
    let Some(r) = ["const ", "let ", "var "]
        .iter()
        .find_map(|k| line.strip_prefix(k))
    else {
        return "";
    };
    let Some((name, value)) = r.split_once('=') else {
        return "";
    };
    let value = value.trim_start();
    let value = value.strip_prefix("async").map_or(value, str::trim_start);
    // `function (…)`, `(a, b) => …` or `a => …`.
    let arrow = value
        .split_once("=>")
        .is_some_and(|(params, _)| params.trim().starts_with('(') || is_identifier(params.trim()));
    if value.starts_with("function") || arrow {
        name.trim()
    } else {
        ""
    }
}

fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Claims in `text` that a call of a defined name gives a literal: "`f(5)` returns 15",
/// "f(0)=0", "f([1, 2]) -> [2, 1]".
fn calls_in(text: &str, defined: &[String], from: &'static str) -> Vec<Call> {
    let mut out = Vec::new();
    for name in defined {
        let mut at = 0;
        while let Some(i) = text[at..].find(name.as_str()).map(|i| i + at) {
            at = i + name.len();
            let before = text[..i].chars().next_back();
            if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '.') {
                continue;
            }
            let Some(args) = balanced(&text[at..]) else {
                continue;
            };
            let expr = format!("{name}{args}");
            let rest = &text[at + args.len()..];
            if let Some(expected) = claimed_value(rest, from) {
                out.push(Call {
                    from,
                    expr,
                    expected,
                });
            }
            if out.len() >= 16 {
                return out;
            }
        }
    }
    out
}

/// The bracketed group `text` starts with (`(...)`, `[...]` or `{...}`), brackets
/// balanced and quotes respected, within one line.
fn balanced(text: &str) -> Option<&str> {
    let open = text.chars().next()?;
    if !matches!(open, '(' | '[' | '{') {
        return None;
    }
    let mut depth = 0usize;
    let mut quote: Option<char> = None;
    for (i, c) in text.char_indices() {
        match (quote, c) {
            (_, '\n') => return None,
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '\'' | '"') => quote = Some(c),
            (None, '(' | '[' | '{') => depth += 1,
            (None, ')' | ']' | '}') => {
                depth = depth.checked_sub(1)?;
                if depth == 0 {
                    return Some(&text[..=i]);
                }
            }
            _ => {}
        }
        if i > 200 {
            return None;
        }
    }
    None
}

/// The literal a claim verb introduces right after a call: "` returns `15`" or " = 0".
fn claimed_value(rest: &str, from: &str) -> Option<String> {
    let rest = rest.trim_start_matches('`').trim_start();
    let lower = rest.to_ascii_lowercase();
    let verb = VERBS
        .iter()
        .copied()
        .chain((from == "prompt").then_some("="))
        .find(|v| {
            let word = v.ends_with(|c: char| c.is_ascii_alphabetic());
            lower.starts_with(v)
                && !lower[v.len()..]
                    .starts_with(|c: char| c == '=' || (word && c.is_ascii_alphanumeric()))
        })?;
    let value = rest[verb.len()..].trim_start();
    let value = value.strip_prefix(':').unwrap_or(value).trim_start();
    literal_token(value)
}

/// A literal at the start of `text`: a backticked span, a number, a quoted string, a
/// bracketed group, or True/False/None.
fn literal_token(text: &str) -> Option<String> {
    if let Some(inner) = text.strip_prefix('`') {
        let end = inner.find('`')?;
        return Some(inner[..end].to_owned()).filter(|s| !s.trim().is_empty());
    }
    if let Some(group) = balanced(text) {
        return Some(group.to_owned());
    }
    let first = text.chars().next()?;
    if first == '"' || first == '\'' {
        let end = text[1..].find(first)?;
        return Some(text[..end + 2].to_owned());
    }
    let word: String = text
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '+' | 'e'))
        .collect();
    let word = word.trim_end_matches('.');
    let numeric = word.parse::<f64>().is_ok();
    let named = matches!(word, "True" | "False" | "None" | "true" | "false");
    (numeric || named).then(|| word.to_owned())
}

/// Running is worth it when there is a claim to check, or (in Python) top-level code that
/// runs: a JavaScript snippet's errors are mostly the browser or module it was not given.
fn worth_running(lang: Lang, p: &Payload) -> bool {
    if !p.calls.is_empty() || !p.outputs.is_empty() || p.question.is_some() {
        return true;
    }
    if lang == Lang::Python && !p.defined.is_empty() {
        return true;
    }
    if lang == Lang::Js {
        return p.blocks.iter().any(|b| {
            b.lines()
                .any(|l| l.trim_start().starts_with("console.log(") && l.contains("//"))
        });
    }
    p.blocks.iter().any(|b| {
        b.lines().any(|l| {
            l.trim_start().starts_with(">>> ")
                || (!l.starts_with([' ', '\t', '#', '@'])
                    && l.contains('(')
                    && !l.starts_with("def ")
                    && !l.starts_with("class ")
                    && !l.starts_with("async def ")
                    && !l.starts_with("import ")
                    && !l.starts_with("from "))
        })
    })
}

/// One line the driver prints.
#[derive(Debug, Deserialize)]
struct Verdict {
    claim: Option<String>,
    #[serde(default)]
    code: String,
    #[serde(default)]
    expected: String,
    got: Option<String>,
    ok: Option<bool>,
    raised: Option<String>,
    /// A call of a defined function with ordinary arguments, when it crashed.
    smoke: Option<String>,
    error: Option<String>,
    line: Option<u32>,
    #[serde(default)]
    done: bool,
}

/// The `examples` signal from the driver's output; `None` when nothing could be judged (no
/// claim was checked, or the run did not finish). `answer` is the draft: an error it
/// describes itself ("this raises a TypeError") is not held against it.
pub fn judge(stdout: &str, answer: &str) -> Option<Signal> {
    let verdicts: Vec<Verdict> = stdout
        .lines()
        .take(MAX_VERDICTS + 1)
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    if !verdicts.iter().any(|v| v.done) {
        return None;
    }
    let shown = |s: &str| crate::text::short::head(s.trim(), 60).replace('\n', " ");
    if let Some(v) = verdicts.iter().find(|v| v.ok == Some(false)) {
        let what = if v.code.is_empty() {
            v.claim.clone().unwrap_or_default()
        } else {
            format!("`{}`", shown(&v.code))
        };
        let detail = format!(
            "run in the sandbox, its own example is wrong: {what} gives {}, not {} as it says",
            shown(v.got.as_deref().unwrap_or("")),
            shown(&v.expected)
        );
        return Some(signal(0.05, 1.0, detail));
    }
    if let Some(v) = verdicts
        .iter()
        .find(|v| v.raised.is_some() && v.smoke.is_none())
    {
        let err = v.raised.as_deref().unwrap_or("an error");
        if !describes(answer, err) {
            let detail = format!(
                "run in the sandbox, `{}` raises {err} where the answer says it gives {}",
                shown(&v.code),
                shown(&v.expected)
            );
            return Some(signal(0.15, 1.0, detail));
        }
    }
    if let Some(v) = verdicts.iter().find(|v| v.smoke.is_some()) {
        let err = v.raised.as_deref().unwrap_or("an error");
        if !describes(answer, err) {
            let call = shown(v.smoke.as_deref().unwrap_or(""));
            let what = if err == "Timeout" {
                "never returns".to_owned()
            } else {
                format!("raises {err}")
            };
            let detail = format!("run in the sandbox on ordinary input, `{call}` {what}");
            return Some(signal(0.3, 1.0, detail));
        }
    }
    let checked = verdicts.iter().filter(|v| v.ok == Some(true)).count();
    if let Some(v) = verdicts.iter().find(|v| v.error.is_some()) {
        let err = v.error.as_deref().unwrap_or("an error");
        if !describes(answer, err) {
            let detail = format!(
                "run in the sandbox, the code raises {err} at line {}",
                v.line.unwrap_or(0)
            );
            return Some(signal(0.4, 1.0, detail));
        }
    }
    (checked > 0).then(|| {
        let s = if checked == 1 { "" } else { "s" };
        signal(
            1.0,
            1.0,
            format!("{checked} claimed result{s} checked by running the code"),
        )
    })
}

/// Whether the answer itself says its code raises: it names the error or talks of raising.
fn describes(answer: &str, error: &str) -> bool {
    let lower = answer.to_ascii_lowercase();
    lower.contains(&error.to_ascii_lowercase())
        || ["raise", "throws", "exception", "traceback"]
            .iter()
            .any(|w| lower.contains(w))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn payload(prompt: &str, answer: &str) -> serde_json::Value {
        let p = probe(prompt, answer).expect("a probe");
        serde_json::from_str(&p.payload).expect("json")
    }

    #[test]
    fn prose_claims_about_defined_calls_are_read() {
        let answer = "```python\ndef sum_to(n):\n    return sum(range(n))\n```\n\
                      For example `sum_to(5)` returns 15, and sum_to(0) is 0.";
        let p = payload("", answer);
        assert_eq!(p["calls"][0]["expr"], "sum_to(5)");
        assert_eq!(p["calls"][0]["expected"], "15");
        assert_eq!(p["calls"][1]["expr"], "sum_to(0)");
        assert_eq!(p["calls"][1]["expected"], "0");
    }

    #[test]
    fn prompt_examples_are_claims_about_the_answers_function() {
        let prompt = "Return the nth Fibonacci number (fib(0)=0, fib(1)=1).";
        let answer = "```python\ndef fib(n):\n    a, b = 0, 1\n    for _ in range(n):\n        \
                      a, b = b, a + b\n    return b\n```\n";
        let p = payload(prompt, answer);
        assert_eq!(p["calls"][0]["from"], "prompt");
        assert_eq!(p["calls"][0]["expr"], "fib(0)");
        assert_eq!(p["calls"][0]["expected"], "0");
    }

    #[test]
    fn an_output_cue_binds_to_the_block_before_it() {
        let answer = "```python\nprint(2 + 2)\n```\nOutput:\n```\n4\n```\n";
        let p = payload("", answer);
        assert_eq!(p["blocks"].as_array().map(Vec::len), Some(1));
        assert_eq!(p["outputs"][0]["block"], 0);
        assert_eq!(p["outputs"][0]["expected"], "4\n");
        let inline = payload("", "```python\nprint(3)\n```\n**Output:** `3`\n");
        assert_eq!(inline["outputs"][0]["expected"], "3");
    }

    #[test]
    fn plain_statements_or_other_languages_are_not_run() {
        assert_eq!(probe("", "```python\nTIMEOUT = 30\nimport os\n```\n"), None);
        assert_eq!(
            probe("", "```rust\nfn main() { println!(\"1\"); }\n```\n"),
            None
        );
        assert_eq!(probe("", "No code here, f(1) returns 2."), None);
        assert!(probe("", "```python\nprint(f(1))\n```\n").is_some());
    }

    #[test]
    fn prose_words_after_a_call_are_not_literals() {
        let answer = "```python\ndef f(x):\n    return x\n```\n`f(x)` is a function and f(2) \
                      returns the input.";
        assert_eq!(
            payload("", answer)["calls"].as_array().map(Vec::len),
            Some(0)
        );
    }

    #[test]
    fn a_question_about_the_prompts_code_takes_the_answers_values() {
        let prompt = "What does `print([1, 2, 3][-1])` print in Python?";
        let p = payload(prompt, "It prints `1`, because -1 is the first element.");
        assert_eq!(p["question"]["code"], "print([1, 2, 3][-1])");
        assert_eq!(p["question"]["claims"][0], "1");
        let js = "What does `[10, 1].sort()` return in JavaScript?";
        assert_eq!(probe(js, "It returns `[1, 10]`."), None, "Python only");
        assert_eq!(
            probe("Explain `print(1)`.", "It prints 1."),
            None,
            "not a question"
        );
    }

    #[test]
    fn javascript_claims_run_in_node_and_functions_are_offered_for_ordinary_calls() {
        let js =
            "```js\nconst nums = [10, 1, 5];\nnums.sort();\nconsole.log(nums); // [1, 5, 10]\n```";
        let p = probe("", js).expect("a probe");
        assert_eq!(p.argv()[0], "node");
        let arrow = "```javascript\nconst add = (a, b) => a + b;\n```\n`add(2, 2)` returns 4.";
        let v = payload("", arrow);
        assert_eq!(v["calls"][0]["expr"], "add(2, 2)");
        let py = payload(
            "",
            "```python\ndef middle(arr):\n    return arr[len(arr) // 2]\n```",
        );
        assert_eq!(py["defined"][0], "middle");
    }

    #[test]
    fn verdicts_make_the_signal() {
        let wrong = "{\"claim\":\"prose\",\"code\":\"sum_to(5)\",\"expected\":\"15\",\
                     \"got\":\"10\",\"ok\":false}\n{\"done\":true}\n";
        let s = judge(wrong, "").expect("judged");
        assert!(s.score < 0.1, "{s:?}");
        assert!(
            s.detail.contains("`sum_to(5)` gives 10, not 15"),
            "{}",
            s.detail
        );
        let right = "{\"claim\":\"prose\",\"code\":\"f(1)\",\"expected\":\"1\",\"got\":\"1\",\
                     \"ok\":true}\n{\"done\":true}\n";
        assert_eq!(judge(right, "").map(|s| s.score), Some(1.0));
        let raised = "{\"claim\":\"prose\",\"code\":\"f([])\",\"expected\":\"0\",\
                      \"raised\":\"IndexError\"}\n{\"done\":true}\n";
        assert!(judge(raised, "").is_some_and(|s| s.score < 0.2));
        assert_eq!(
            judge(raised, "An empty list raises IndexError.").map(|s| s.score),
            None,
            "an error the answer describes is not held against it"
        );
        let smoke = "{\"smoke\":\"f([1, 3])\",\"raised\":\"IndexError\"}\n{\"done\":true}\n";
        let s = judge(smoke, "").expect("judged");
        assert!(
            s.detail.contains("`f([1, 3])` raises IndexError"),
            "{}",
            s.detail
        );
        assert_eq!(judge("{\"ok\":false}\n", ""), None, "an unfinished run");
        assert_eq!(judge("garbage\n{\"done\":true}\n", ""), None);
    }
}
