//! Reading claims out of text: a call of a defined function and the literal the text says it
//! gives ("`sum_to(5)` returns 15", "fib(0)=0"), the functions a block defines, and a prompt
//! that asks what its own code prints.

use super::{Call, Lang, Question};
use crate::confidence::fences::{parts, prose_of, Part};

/// Verbs that state what a call gives, longest first so "should return" wins over "return".
const VERBS: &[&str] = &[
    "should return",
    "will return",
    "would return",
    "evaluates to",
    "results in",
    "should be",
    "will be",
    "would be",
    "will print",
    "would print",
    "will output",
    "would output",
    "will give",
    "would give",
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

/// A prompt that asks what its Python or JavaScript code prints or gives ("What does
/// `print([1, 2][-1])` print?"), with the values the answer's opening says it does. A prompt
/// is JavaScript's when it names the language or tags its block so; Python's when it names
/// no other language.
pub(super) fn question(lang: Lang, prompt: &str, parts: &[Part]) -> Option<Question> {
    let lower = prompt.to_lowercase();
    if !QUESTION_CUES.iter().any(|c| lower.contains(c))
        || !QUESTION_VERBS.iter().any(|v| lower.contains(v))
        || prompt_lang(&lower) != Some(lang)
    {
        return None;
    }
    let code = prompt_code(lang, prompt)?;
    let opening = prose_of(parts, " ");
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
            if let Some(v) = quoted_or_literal(value) {
                claims.push((i, v));
            }
        }
    }
    // An answer that opens with the value itself ("`[4, 6]`: map doubles, then…").
    if let Some(v) = opening
        .trim_start()
        .starts_with('`')
        .then(|| quoted_or_literal(opening.trim_start()))
        .flatten()
    {
        claims.push((0, v));
    }
    claims.sort_by_key(|c| c.0);
    // A quoted span that is a piece of the prompt's code names the code, not its value.
    let mut claims: Vec<String> = claims
        .into_iter()
        .map(
            |(_, c)| match c.strip_prefix('`').and_then(|c| c.strip_suffix('`')) {
                Some(inner) if code.contains(inner) => inner.to_owned(),
                _ => c,
            },
        )
        .take(8)
        .collect();
    if claims.is_empty() {
        claims.extend(line_after_cue(prompt, parts).or_else(|| output_block(prompt, parts)));
    }
    let said = without_spans(opening);
    (!claims.is_empty()).then_some(Question { code, claims, said })
}

/// A value as `literal_token` reads it; one the answer quoted as code keeps its backticks,
/// so the driver knows the answer presented it as the value, literal or not (`<class 'str'>`).
fn quoted_or_literal(text: &str) -> Option<String> {
    let v = literal_token(text)?;
    Some(if text.starts_with('`') {
        format!("`{v}`")
    } else {
        v
    })
}

/// A short line on its own after a line that ends in a cue for the value ("The output will
/// be:" then "aaa"), quoted: the answer shows the output unfenced. A line that copies the
/// prompt is its code, not the output.
fn line_after_cue(prompt: &str, parts: &[Part]) -> Option<String> {
    const CUES: [&str; 5] = ["output", "print", "will be", "result", "return"];
    parts.windows(2).find_map(|pair| match pair {
        [Part::Prose(cue), Part::Prose(value)] => {
            let lower = cue.to_lowercase();
            let cued = lower.ends_with(':') && CUES.iter().any(|c| lower.contains(c));
            // The prompt is searched only for a cued line's value, not for every pair.
            let plain = cued
                && value.len() <= 60
                && !value.ends_with(':')
                && !prompt.lines().any(|l| l.trim() == value.trim());
            plain.then(|| format!("`{}`", value.trim_matches('`')))
        }
        _ => None,
    })
}

/// The answer's first block when it is short, untagged (or tagged as output) and not the
/// prompt's own code: the printed output it shows ("This will output:\n```\n3\n```").
fn output_block(prompt: &str, parts: &[Part]) -> Option<String> {
    let body = parts.iter().find_map(|p| match p {
        Part::Block { tag, body } => Some((tag, body)),
        Part::Prose(_) => None,
    });
    let (tag, body) = body?;
    let plain = tag.is_empty() || matches!(tag.as_str(), "text" | "txt" | "output" | "console");
    let body = body.trim();
    let short = body.lines().count() <= 5 && body.len() <= 200;
    let copied = prompt.contains(body) && body.lines().any(super::spec::starts_code);
    (plain && short && !body.is_empty() && !copied).then(|| format!("`{body}`"))
}

/// Prose with its inline code spans left out: where a value the answer states in words
/// ("…, which is 2 + 12 = 14") is looked for, apart from the code it quotes.
fn without_spans(text: &str) -> String {
    text.split('`').step_by(2).collect::<Vec<_>>().join(" ")
}

/// The language a question prompt's code is in: JavaScript when it says so, none when it
/// names another language, else Python.
fn prompt_lang(lower: &str) -> Option<Lang> {
    const JS: [&str; 5] = ["javascript", "```js", "node.js", "nodejs", " js "];
    const OTHER: [&str; 9] = [
        "typescript",
        "rust",
        "java ",
        "golang",
        " go ",
        "c++",
        "bash",
        "ruby",
        "php",
    ];
    if JS.iter().any(|l| lower.contains(l)) && !lower.contains("typescript") {
        return Some(Lang::Js);
    }
    (!OTHER.iter().any(|l| lower.contains(l)) && !lower.ends_with(" java")).then_some(Lang::Python)
}

/// The code a prompt shows: its first block in the language (or untagged), else its first
/// inline span that is an expression or a call rather than a bare name.
fn prompt_code(lang: Lang, prompt: &str) -> Option<String> {
    // Spans of the prose only: the backticks of a fence are no span.
    let prose = prose_of(&parts(prompt), "\n");
    let span = crate::confidence::words::inline_spans(&prose, 8)
        .into_iter()
        .map(|(span, _)| span)
        .find(|s| s.contains(['(', '[', '+', '*', '%']) && s.len() <= 300)
        .map(str::to_owned);
    prompt_block(lang, prompt)
        .or_else(|| unfenced(prompt))
        .map(|code| match &span {
            // "What does `f(3)` return?" over the code that defines `f`: the question's
            // expression is run last, after the code.
            Some(expr) if !code.contains(expr.as_str()) => format!("{code}\n{expr}"),
            _ => code,
        })
        .or(span)
}

/// The prompt's code when it is not fenced: its lines from the first after the question
/// that reads as code ("What does this print?\n\nx = [1, 2]\nprint(len(x))").
fn unfenced(prompt: &str) -> Option<String> {
    let lines: Vec<&str> = prompt.lines().collect();
    let first = (1..lines.len()).find(|&i| super::spec::starts_code(lines[i]))?;
    let code = lines[first..].join("\n");
    (code.len() <= 2000).then(|| code.trim_end().to_owned())
}

/// The prompt's first block in `lang` or untagged.
pub(super) fn prompt_block(lang: Lang, prompt: &str) -> Option<String> {
    parts(prompt).into_iter().find_map(|p| match p {
        Part::Block { tag, body } if tag.is_empty() || lang.takes(&tag, &body) => Some(body),
        _ => None,
    })
}

/// The functions the blocks define at the top level: in Python `def name(` and
/// `name = lambda`; in JavaScript `function name(` and `const name = (…) =>` or `= function`.
pub(super) fn defined_names(lang: Lang, blocks: &[String]) -> Vec<String> {
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
pub(super) fn calls_in(text: &str, defined: &[String], from: &'static str) -> Vec<Call> {
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
