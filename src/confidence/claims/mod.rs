//! What a draft claims its own Python or JavaScript code does, checked by running it (DESIGN.md, "Acting
//! on code": what the code does is judged by running it). Valid code that is wrong (an
//! off-by-one, a wrong operator, a wrong API) parses, reads fluently and scores like a good
//! answer; but such answers often say what their code gives ("`sum_to(5)` returns 15",
//! `print(add(5, 5))  # 11`, "Output: …"), and the prompt may say what it must give
//! ("fib(0)=0"). Running the code against those claims is evidence no static signal has.
//!
//! This module stays pure, as the scorer must: [`probe`] reads the claims and builds the
//! command, the engine runs it in the sandbox (`engine::examples`), and [`judge`] reads what
//! came back (`verdict`); `read` takes the claims out of the text, and `spec` the properties
//! the prompt asks of the draft's function. The program that runs is `driver.py` (or
//! `driver.js`): it executes the draft's blocks a statement at a time with their output
//! captured, reads the comment claims and doctests with the language's own tokenizer, calls
//! the draft's functions with ordinary arguments, and prints one JSON verdict per finding;
//! `driver_spec.py` (`driver_spec.js`) tests the function against the prompt's properties,
//! and `driver_rewrite.py` runs a rewrite beside the prompt's own code.

mod compile;
mod known;
mod pattern;
mod range;
mod read;
mod spec;
mod verdict;

use serde::Serialize;

use super::fences::{parts, prose_of, Part};
use read::{calls_in, defined_names, question};
pub use verdict::judge;

/// The Python driver: its core, the prompt's properties, the textbook functions and the
/// rewrite comparison, run as one program that ends by calling `main()`.
const PYTHON_DRIVER: &str = concat!(
    include_str!("driver.py"),
    "\n",
    include_str!("driver_spec.py"),
    "\n",
    include_str!("driver_known.py"),
    "\n",
    include_str!("driver_rewrite.py"),
    "\nmain()\n"
);
/// The JavaScript driver, likewise.
const JS_DRIVER: &str = concat!(
    include_str!("driver.js"),
    "\n",
    include_str!("driver_spec.js"),
    "\n",
    include_str!("driver_known.js"),
    "\nmain();\n"
);
/// The compile check's driver, a program of its own.
const COMPILE_DRIVER: &str = include_str!("driver_compile.py");
/// A larger payload is not run: a draft's examples are short.
const MAX_PAYLOAD: usize = 32 * 1024;
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
    driver: Driver,
    payload: String,
    /// The payload compiles Rust, so the run needs the Rust toolchain's directory.
    rust: bool,
}

impl Probe {
    /// The driver with the payload as its argument: `python3` in isolated mode (no
    /// environment, no user site), or `node`.
    pub fn argv(&self) -> Vec<String> {
        let (program, flags, driver): (&str, &[&str], &str) = match self.driver {
            Driver::Run(Lang::Python) => ("python3", &["-I", "-c"], PYTHON_DRIVER),
            Driver::Run(Lang::Js) => ("node", &["-e"], JS_DRIVER),
            Driver::Compile => ("python3", &["-I", "-c"], COMPILE_DRIVER),
        };
        let mut argv = vec![program.to_owned()];
        argv.extend(flags.iter().map(|f| (*f).to_owned()));
        argv.push(driver.to_owned());
        argv.push(self.payload.clone());
        argv
    }

    /// Whether the run compiles Rust: the caller then passes the toolchain's sysroot as the
    /// last argument and lets the sandbox read it.
    pub fn compiles_rust(&self) -> bool {
        self.rust
    }

    /// What the run does, for the user watching.
    pub fn purpose(&self) -> &'static str {
        match self.driver {
            Driver::Compile => "compiling the draft's code in the sandbox to check that it builds",
            _ => "running the draft's own example in the sandbox to check what it claims",
        }
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
    /// What the prompt asks of the answer's function, to test it against.
    spec: Vec<spec::Spec>,
    /// The prompt's words, for telling the function it asks for from helpers.
    words: Vec<String>,
    /// The prompt's own code, when it asks for a rewrite that keeps its behaviour.
    original: Option<String>,
    /// The files the prompt names (`settings.json`): the driver creates them, with ordinary
    /// content for their kind, so code that opens them runs.
    files: Vec<String>,
    /// The run of whole numbers the prompt asks the code to print, first and last.
    prints: Option<[i64; 2]>,
    /// The textbook pattern the prompt names, with the answer's candidates for it.
    pattern: Option<pattern::PatternCheck>,
}

/// The prompt asks what its own code prints or gives; the answer's candidate replies.
#[derive(Debug, Serialize, PartialEq)]
struct Question {
    code: String,
    claims: Vec<String>,
    /// The answer's opening prose without its code spans, where the driver also looks for
    /// the value standing alone.
    said: String,
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
    let run = [Lang::Python, Lang::Js].into_iter().find_map(|lang| {
        let payload = payload_for(lang, prompt, &parts)?;
        let payload = serde_json::to_string(&payload).ok()?;
        (payload.len() <= MAX_PAYLOAD).then_some(Probe {
            driver: Driver::Run(lang),
            payload,
            rust: false,
        })
    });
    run.or_else(|| {
        let units = compile::payload(prompt, &parts)?;
        let rust = units.has_rust();
        let payload = serde_json::to_string(&units).ok()?;
        (payload.len() <= MAX_PAYLOAD).then_some(Probe {
            driver: Driver::Compile,
            payload,
            rust,
        })
    })
}

/// The language a probe runs in.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Lang {
    Python,
    Js,
}

/// The program a probe runs: the run driver of a language, or the compile check (Rust, C
/// and C++, checked by their compilers rather than run).
#[derive(Debug, Clone, Copy, PartialEq)]
enum Driver {
    Run(Lang),
    Compile,
}

impl Lang {
    /// A line at the top level that calls something, not one that declares or imports (in
    /// Python, a `>>>` prompt line too).
    fn top_level_call(self, line: &str) -> bool {
        const PYTHON: [&str; 7] = ["def ", "async def ", "class ", "import ", "from ", "#", "@"];
        const JS: [&str; 8] = [
            "function ",
            "async function ",
            "class ",
            "import ",
            "export ",
            "//",
            "}",
            "*",
        ];
        let declares: &[&str] = match self {
            Lang::Python => &PYTHON,
            Lang::Js => &JS,
        };
        let calls = !line.starts_with([' ', '\t'])
            && line.contains('(')
            && !declares.iter().any(|d| line.starts_with(d));
        match self {
            Lang::Python => calls || line.trim_start().starts_with(">>> "),
            // An arrow or function expression declares a function rather than calling one.
            Lang::Js => calls && !line.contains("=>") && !line.contains("function"),
        }
    }

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
    payload.question = question(lang, prompt, parts);
    // A JavaScript answer's pattern is tried in node, as its code would use it.
    let other = parts.iter().any(|p| match p {
        Part::Block { tag, body } => lang == Lang::Python && Lang::Js.takes(tag, body),
        Part::Prose(_) => false,
    });
    if !other {
        payload.pattern = pattern::read(prompt, parts);
    }
    payload.files = spec::files(prompt);
    if lang == Lang::Python && !payload.blocks.is_empty() {
        payload.original = spec::original(prompt);
    }
    if !payload.blocks.is_empty() {
        payload.prints = range::printed_range(prompt);
    }
    if payload.blocks.is_empty() && payload.question.is_none() && payload.pattern.is_none() {
        return None;
    }
    let defined = defined_names(lang, &payload.blocks);
    let prose = prose_of(parts, "\n");
    payload.calls = calls_in(&prose, &defined, "prose");
    payload.calls.extend(calls_in(prompt, &defined, "prompt"));
    payload.defined = defined;
    if !payload.defined.is_empty() {
        payload.spec = spec::read(prompt);
        payload.words = prompt_words(prompt);
    }
    worth_running(lang, &payload).then_some(payload)
}

/// The prompt's distinct words in lower case, at most 200.
fn prompt_words(prompt: &str) -> Vec<String> {
    let mut words: Vec<String> = prompt
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| w.len() > 2)
        .map(str::to_lowercase)
        .collect();
    words.sort_unstable();
    words.dedup();
    words.truncate(200);
    words
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

/// Running is worth it when there is a claim to check, or top-level code that runs. A
/// JavaScript snippet that needs the browser or a module it was not given is skipped by the
/// driver, and the errors that only say so (ReferenceError) do not count.
fn worth_running(lang: Lang, p: &Payload) -> bool {
    if !p.calls.is_empty()
        || !p.outputs.is_empty()
        || p.prints.is_some()
        || p.pattern.is_some()
        || p.question.is_some()
        || !p.defined.is_empty()
        || p.original.is_some()
    {
        return true;
    }
    p.blocks
        .iter()
        .any(|b| b.lines().any(|l| lang.top_level_call(l)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn payload(prompt: &str, answer: &str) -> serde_json::Value {
        let p =
            probe(prompt, answer).unwrap_or_else(|| panic!("no probe for {prompt:?} {answer:?}"));
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
        // Rust is compiled, never run.
        let rust = probe("", "```rust\nfn main() { println!(\"1\"); }\n```\n").expect("a probe");
        assert_eq!(rust.driver, Driver::Compile);
        assert!(rust.compiles_rust());
        assert_eq!(probe("", "```toml\na = 1\n```\n"), None);
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
        let js = "What does `[10, 1, 2].sort()` return in JavaScript?";
        let p = probe(js, "It returns `[1, 2, 10]`.").expect("a probe");
        assert_eq!(p.argv()[0], "node");
        let ts = "What does `[10, 1].sort()` return in TypeScript?";
        assert_eq!(probe(ts, "It returns `[1, 10]`."), None, "not run");
        assert_eq!(
            probe("Explain `print(1)`.", "It prints 1."),
            None,
            "not a question"
        );
    }

    #[test]
    fn a_question_over_unfenced_code_reads_it_and_the_answers_shown_output() {
        let prompt = "What does this print in Python?\n\nx = [1, 2, 3]\nprint(len(x))";
        let p = payload(prompt, "This Python code will output:\n\n```\n3\n```\n");
        assert_eq!(p["question"]["code"], "x = [1, 2, 3]\nprint(len(x))");
        assert_eq!(
            p["question"]["claims"][0], "`3`",
            "the shown output, quoted"
        );
        // Or unfenced, on a line of its own after the line announcing it.
        let p = payload(
            prompt,
            "The output will be:\n\nthree\n\nIt counts the items.",
        );
        assert_eq!(p["question"]["claims"][0], "`three`");
        // A value said in words is kept for the driver apart from the code quoted.
        let p = payload(prompt, "It will output `len(x)`, which is 3.");
        assert_eq!(p["question"]["claims"][0], "len(x)", "code, not a value");
        assert_eq!(p["question"]["said"], "It will output  , which is 3.");
        // The question's expression runs after the code that defines what it calls.
        let defs = "What does `f(3)` return?\n\ndef f(x):\n    return x * 2";
        let p = payload(defs, "It returns 6.");
        assert_eq!(p["question"]["code"], "def f(x):\n    return x * 2\nf(3)");
        // A fenced block's backticks are no inline span to append.
        let fenced = "What does this print?\n```python\nprint(2 ** 3)\n```";
        assert_eq!(
            payload(fenced, "It will print `9`.")["question"]["code"],
            "print(2 ** 3)\n"
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
}
