//! What the task and the prompt lead us to expect of the answer: enough length, code when
//! code was asked for, and code in the language the prompt names.

use super::fences::{self, Doc};
use super::words::{count_phrase, inline_spans, looks_like_code, normalise};
use super::{signal, Draft, Signal};
use crate::router::TaskType;

const LENGTH_WEIGHT: f32 = 1.0;
const CODE_WEIGHT: f32 = 1.5;
const LANGUAGE_WEIGHT: f32 = 1.5;

/// The shortest answer (in characters) that can do the task. Fast tasks may be tiny (an edit
/// can be one line); explanations and plans need room; code that was pasted to be
/// reformatted or refactored should come back at a comparable size; longer requests need
/// longer answers.
fn expected_length(task: TaskType, prompt: &str) -> f32 {
    use TaskType::*;
    let pasted = pasted_code_len(prompt) as f32;
    let asked = (prompt.chars().count() as f32 - pasted).max(0.0);
    let (base, per_pasted, per_asked) = match task {
        Format => (10.0, 0.5, 0.0),
        Edit => (10.0, 0.2, 0.0),
        Boilerplate => (120.0, 0.1, 0.1),
        Documentation => (40.0, 0.2, 0.1),
        Refactor => (60.0, 0.3, 0.1),
        Generation => (60.0, 0.1, 0.2),
        Debugging => (120.0, 0.1, 0.3),
        Analysis | Security => (150.0, 0.1, 0.3),
        Planning | MultiFile => (200.0, 0.1, 0.3),
    };
    base + (per_pasted * pasted).min(2000.0) + (per_asked * asked).min(300.0)
}

/// Too short for the task; absent for an empty answer (the refusal signal covers that).
pub(crate) fn length(d: &Draft) -> Option<Signal> {
    let len = d.answer.trim().chars().count();
    if len == 0 {
        return None;
    }
    let expected = expected_length(d.task_type, d.prompt);
    let ratio = len as f32 / expected;
    if ratio >= 1.0 {
        return Some(signal(
            1.0,
            LENGTH_WEIGHT,
            "the answer is long enough for the task",
        ));
    }
    let detail = format!(
        "the answer is short for a {} task ({len} characters, about {expected:.0} expected)",
        d.task_type.as_str()
    );
    Some(signal(ratio.powf(0.8), LENGTH_WEIGHT, detail))
}

/// Prose artefacts a generation request may ask for instead of code.
const PROSE_ASKS: [&str; 9] = [
    "haiku",
    "poem",
    "email",
    "essay",
    "story",
    "summary",
    "commit message",
    "explain",
    "describe",
];

fn expects_code(task: TaskType, prompt: &str) -> bool {
    use TaskType::*;
    match task {
        Generation => {
            let p = normalise(prompt);
            !PROSE_ASKS.iter().any(|w| count_phrase(&p, w) > 0)
        }
        Refactor | Boilerplate => true,
        Format | Edit => pasted_code_len(prompt) > 0,
        _ => false,
    }
}

/// A code task answered without code. Absent for tasks that need no code.
pub(crate) fn code_block(d: &Draft, doc: &Doc) -> Option<Signal> {
    if !expects_code(d.task_type, d.prompt) {
        return None;
    }
    let task = d.task_type.as_str();
    Some(if doc.blocks.iter().any(|b| !b.body.trim().is_empty()) {
        signal(1.0, CODE_WEIGHT, "the answer has code")
    } else if mostly_code(&doc.prose)
        || inline_code(&doc.prose)
        || doc.prose.lines().any(command_line)
    {
        // A one-liner in backticks, or an answer that is the code (or table) itself.
        signal(
            0.9,
            CODE_WEIGHT,
            "the answer gives its code without a code block",
        )
    } else if doc.prose.lines().any(looks_like_code) {
        signal(0.6, CODE_WEIGHT, "the answer has code but no code block")
    } else {
        signal(
            0.15,
            CODE_WEIGHT,
            format!("no code in the answer to a {task} task"),
        )
    })
}

/// Half or more of the answer's lines are code or table rows: the answer is the artefact.
fn mostly_code(prose: &str) -> bool {
    let lines: Vec<&str> = prose.lines().filter(|l| !l.trim().is_empty()).collect();
    let code = lines
        .iter()
        .filter(|l| {
            let t = l.trim();
            looks_like_code(t) || (t.starts_with('|') && t.ends_with('|'))
        })
        .count();
    !lines.is_empty() && code * 2 >= lines.len()
}

/// An inline code span that is a statement, an expression or a command, not a name:
/// `xs.sort(key=len)`, `list(dict.fromkeys(items))`, `30 2 * * * /opt/backup.sh`.
fn inline_code(prose: &str) -> bool {
    inline_spans(prose, 64)
        .iter()
        .any(|(span, _)| span.len() >= 8 && (looks_like_code(span) || code_like_span(span)))
}

/// A call (`name(`), or text dense with the symbols code is made of.
fn code_like_span(span: &str) -> bool {
    let call = span
        .char_indices()
        .any(|(i, c)| c == '(' && span[..i].ends_with(|p: char| p.is_alphanumeric() || p == '_'));
    let chars: Vec<char> = span.chars().filter(|c| !c.is_whitespace()).collect();
    let symbols = chars
        .iter()
        .filter(|c| "()[]{}=*/<>|&$%:;+-".contains(**c))
        .count();
    call || symbols * 5 >= chars.len().max(1)
}

/// A line that runs a well-known command with arguments: `grep -c ' 500 ' access.log`.
fn command_line(line: &str) -> bool {
    let mut words = line.trim().trim_start_matches("$ ").split_whitespace();
    let first = words.next().unwrap_or("");
    (SHELL_COMMANDS.contains(&first) || TOOLS.contains(&first))
        && words.any(|w| w.starts_with('-') || w.contains(['/', '\'', '"', '|']))
}

/// Everyday shell commands, beside the [`TOOLS`] that build and run code.
const SHELL_COMMANDS: [&str; 31] = [
    "grep",
    "sed",
    "awk",
    "find",
    "ls",
    "cat",
    "curl",
    "wget",
    "git",
    "docker",
    "kubectl",
    "chmod",
    "chown",
    "mkdir",
    "rm",
    "cp",
    "mv",
    "tar",
    "ssh",
    "scp",
    "echo",
    "export",
    "sudo",
    "psql",
    "mysql",
    "systemctl",
    "ps",
    "kill",
    "du",
    "xargs",
    "openssl",
];

/// Commands that install, build or run code.
const TOOLS: [&str; 30] = [
    "pip", "pip3", "python", "python3", "poetry", "conda", "uv", "npm", "npx", "yarn", "pnpm",
    "node", "cargo", "rustup", "rustc", "go", "javac", "java", "mvn", "gradle", "gcc", "g++",
    "clang", "make", "cmake", "dotnet", "gem", "bundle", "composer", "deno",
];

/// Characters of code pasted in the prompt: fenced blocks, else lines that look like code.
fn pasted_code_len(prompt: &str) -> usize {
    let doc = fences::split(prompt);
    if !doc.blocks.is_empty() {
        return doc.blocks.iter().map(|b| b.body.len()).sum();
    }
    let mut lines = prompt.lines();
    // The first line is usually the request; code after a colon on it still counts.
    let first = lines.next().map_or(0, |l| match l.split_once(": ") {
        Some((_, tail)) if looks_like_code(tail) => tail.len(),
        _ => 0,
    });
    first
        + lines
            .filter(|l| looks_like_code(l) || sql_statement(l))
            .map(str::len)
            .sum::<usize>()
}

/// A line that is an SQL statement, pasted without a fence ("select name from users where
/// age > 18"): it has none of the punctuation `looks_like_code` goes by.
fn sql_statement(line: &str) -> bool {
    const STARTS: [&str; 6] = [
        "select ",
        "insert into ",
        "update ",
        "delete from ",
        "create table ",
        "alter table ",
    ];
    let t = line.trim_start();
    let starts = |s: &str| t.get(..s.len()).is_some_and(|p| p.eq_ignore_ascii_case(s));
    // Lower-case only a line that starts like a statement: this runs over every prompt line.
    STARTS.iter().any(|s| starts(s)) && {
        let lower = t.to_ascii_lowercase();
        lower.contains(" from ") || lower.contains(" set ") || !starts("select ")
    }
}

/// The fence tags of data formats rather than programming languages.
const DATA_FORMATS: [&[&str]; 3] = [&["json", "jsonc"], &["yaml", "yml"], &["toml"]];

/// A language a prompt can name: the words that name it and the fence tags it goes by.
struct Lang {
    name: &'static str,
    words: &'static [&'static str],
    tags: &'static [&'static str],
}

const LANGS: [Lang; 23] = [
    Lang {
        name: "Rust",
        words: &["rust"],
        tags: &["rs", "rust"],
    },
    Lang {
        name: "Python",
        words: &["python"],
        tags: &["py", "python", "python3", "py3"],
    },
    Lang {
        name: "JavaScript",
        words: &["javascript", "js", "node.js", "nodejs"],
        tags: &["js", "javascript", "jsx", "mjs", "cjs", "node"],
    },
    Lang {
        name: "TypeScript",
        words: &["typescript", "ts", "tsx"],
        tags: &["ts", "typescript", "tsx", "mts", "cts"],
    },
    Lang {
        name: "Go",
        words: &["golang"],
        tags: &["go", "golang"],
    },
    Lang {
        name: "JSON",
        words: &["json"],
        tags: &["json", "jsonc"],
    },
    Lang {
        name: "YAML",
        words: &["yaml", "yml"],
        tags: &["yaml", "yml"],
    },
    Lang {
        name: "TOML",
        words: &["toml"],
        tags: &["toml"],
    },
    Lang {
        name: "SQL",
        words: &["sql"],
        tags: &["sql", "postgresql", "mysql", "sqlite"],
    },
    Lang {
        name: "Java",
        words: &["java"],
        tags: &["java"],
    },
    Lang {
        name: "HTML",
        words: &["html"],
        tags: &["html"],
    },
    Lang {
        name: "shell",
        words: &["bash", "shell", "zsh"],
        tags: &["bash", "sh", "shell", "zsh", "console"],
    },
    Lang {
        name: "PowerShell",
        words: &["powershell", "pwsh"],
        tags: &["powershell", "ps1", "pwsh"],
    },
    Lang {
        name: "C++",
        words: &["c++", "cpp"],
        tags: &["cpp", "c++", "cxx", "cc", "hpp"],
    },
    Lang {
        name: "C#",
        words: &["c#", "csharp", ".net"],
        tags: &["cs", "csharp", "c#"],
    },
    Lang {
        name: "Kotlin",
        words: &["kotlin"],
        tags: &["kotlin", "kt", "kts"],
    },
    Lang {
        name: "Swift",
        words: &["swift"],
        tags: &["swift"],
    },
    Lang {
        name: "Ruby",
        words: &["ruby"],
        tags: &["ruby", "rb"],
    },
    Lang {
        name: "PHP",
        words: &["php"],
        tags: &["php"],
    },
    Lang {
        name: "Haskell",
        words: &["haskell"],
        tags: &["haskell", "hs"],
    },
    Lang {
        name: "Scala",
        words: &["scala"],
        tags: &["scala"],
    },
    Lang {
        name: "Lua",
        words: &["lua"],
        tags: &["lua"],
    },
    Lang {
        name: "Elixir",
        words: &["elixir"],
        tags: &["elixir", "ex", "exs"],
    },
];

/// "Go" is an English verb too: it names the language only capitalised and not opening a
/// sentence ("a Go server", "in Go").
fn names_go(prose: &str) -> bool {
    prose.match_indices("Go").any(|(i, _)| {
        let before = prose[..i].trim_end();
        let after = prose[i + 2..].chars().next();
        let word_end = !after.is_some_and(|c| c.is_alphanumeric() || c == '_');
        let mid_sentence = before
            .chars()
            .next_back()
            .is_some_and(|c| !matches!(c, '.' | '!' | '?' | ':'))
            || opens_a_go_request(&prose[i + 2..]);
        let word_start = !prose[..i]
            .chars()
            .next_back()
            .is_some_and(char::is_alphanumeric);
        word_end && word_start && mid_sentence
    })
}

/// "Go" at a sentence start names the language when a colon or a Go noun follows ("Go: …",
/// "Go struct for …"), not when it is the verb ("Go to the folder").
fn opens_a_go_request(after: &str) -> bool {
    const NOUNS: [&str; 14] = [
        "struct",
        "function",
        "func",
        "program",
        "code",
        "snippet",
        "handler",
        "server",
        "interface",
        "method",
        "package",
        "module",
        "test",
        "http",
    ];
    let after = after.trim_start_matches(' ');
    after.starts_with(':')
        || after
            .split(|c: char| !c.is_alphanumeric())
            .next()
            .is_some_and(|w| NOUNS.contains(&w))
}

fn named_languages(prompt: &str) -> Vec<&'static Lang> {
    let prose = fences::split(prompt).prose;
    let lower = normalise(&prose);
    LANGS
        .iter()
        .filter(|l| {
            l.words.iter().any(|w| count_phrase(&lower, w) > 0)
                || (l.name == "Go" && names_go(&prose))
        })
        .collect()
}

/// The prompt names one language and the answer's code is all in others. Absent when the
/// prompt names none or several, or the answer has no tagged block in a known language.
/// Only for tasks that produce code: a security review or an explanation may name SQL as
/// its subject and show Python.
pub(crate) fn language(d: &Draft, doc: &Doc) -> Option<Signal> {
    if !expects_code(d.task_type, d.prompt) {
        return None;
    }
    let [want] = named_languages(d.prompt)[..] else {
        return None;
    };
    let known: Vec<&str> = doc
        .blocks
        .iter()
        .filter(|b| !tooling_commands(&b.body))
        .map(|b| b.tag.as_str())
        .filter(|t| LANGS.iter().any(|l| l.tags.contains(t)))
        .collect();
    // Config in JSON, YAML or TOML (a CI workflow for a Python project) is not code in
    // the wrong language.
    let data = |t: &&str| DATA_FORMATS.iter().any(|d| d.contains(t));
    if known.is_empty() || (known.iter().all(data) && !DATA_FORMATS.contains(&want.tags)) {
        return None;
    }
    if known.iter().any(|t| want.tags.contains(t)) {
        return Some(signal(
            1.0,
            LANGUAGE_WEIGHT,
            format!("the code is in {}", want.name),
        ));
    }
    let detail = format!(
        "the prompt asks for {} but the code is tagged {}",
        want.name,
        known.join(", ")
    );
    Some(signal(0.3, LANGUAGE_WEIGHT, detail))
}

/// A block of commands that install, build or run code (`pip install numpy`, `cargo run`):
/// the way to use code in the asked language, not code in another one.
fn tooling_commands(body: &str) -> bool {
    let mut lines = body
        .lines()
        .map(|l| l.trim().trim_start_matches("$ "))
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .peekable();
    lines.peek().is_some()
        && lines.all(|l| {
            let first = l.split_whitespace().next().unwrap_or("");
            TOOLS.contains(&first) || (first == "sudo" && l.contains(" install "))
        })
}

#[cfg(test)]
mod tests {
    use super::super::fences::split;
    use super::*;

    fn draft<'a>(task: TaskType, prompt: &'a str, answer: &'a str) -> Draft<'a> {
        Draft {
            prompt,
            answer,
            task_type: task,
            finish_reason: Some("stop"),
            logprobs: &[],
        }
    }

    fn length_score(task: TaskType, prompt: &str, answer: &str) -> Option<f32> {
        let d = draft(task, prompt, answer);
        length(&d).map(|s| s.score)
    }

    #[test]
    fn too_short_depends_on_the_task() {
        let p = "Why does my service leak memory after each request? It holds a cache of sessions.";
        let short = length_score(TaskType::Analysis, p, "Memory.").expect("signal");
        assert!(short < 0.2, "{short}");
        let edit = length_score(
            TaskType::Edit,
            "Fix the typo: 'Teh quick fox'",
            "The quick fox",
        );
        assert_eq!(edit, Some(1.0));
        let long = "a".repeat(400);
        assert_eq!(length_score(TaskType::Planning, p, &long), Some(1.0));
        assert_eq!(length_score(TaskType::Generation, p, "   "), None);
    }

    #[test]
    fn pasted_code_raises_the_bar_for_format() {
        let code = "fn main() { let x = 1; let y = 2; println!(\"{}\", x + y); }\n".repeat(10);
        let p = format!("Format this:\n```rust\n{code}```");
        let s = length_score(TaskType::Format, &p, "```rust\nfn main() {}\n```").expect("signal");
        assert!(s < 0.3, "{s}");
    }

    #[test]
    fn unfenced_sql_to_reformat_asks_for_code_back() {
        let p = "Reformat this SQL to put each clause on its own line:\n\nselect name from users where age > 18 order by name";
        let d = draft(TaskType::Format, p, "This query sorts the rows by name.");
        let s = code_block(&d, &split(d.answer)).expect("signal");
        assert!(s.score < 0.3, "{s:?}");
        // A sentence that starts with the word is no statement.
        assert!(!sql_statement("Select the rows you need first."));
    }

    #[test]
    fn code_task_without_code() {
        let p = "Write a Python function that reverses a string.";
        let d = draft(
            TaskType::Generation,
            p,
            "You can reverse it by iterating backwards.",
        );
        assert!(code_block(&d, &split(d.answer)).expect("signal").score < 0.2);
        let a = "```python\ndef rev(s):\n    return s[::-1]\n```";
        let d = draft(TaskType::Generation, p, a);
        assert_eq!(code_block(&d, &split(a)).map(|s| s.score), Some(1.0));
        // The answer is the code itself, or a one-liner in backticks: delivered.
        for a in [
            "def rev(s):\n    return s[::-1]",
            "Use slicing: `rev = s[::-1]` (it copies).",
        ] {
            let d = draft(TaskType::Generation, p, a);
            assert_eq!(code_block(&d, &split(a)).map(|s| s.score), Some(0.9), "{a}");
        }
        // Prose around one stray code line is not a delivered function.
        let a = "Reversing is easy in Python.\nYou iterate from the end.\nreturn s[::-1]\nThat is all there is to it, really.";
        let d = draft(TaskType::Generation, p, a);
        assert_eq!(code_block(&d, &split(a)).map(|s| s.score), Some(0.6));
        let d = draft(
            TaskType::Generation,
            "Write a haiku about compilers.",
            "Tokens fall like rain",
        );
        assert!(code_block(&d, &split(d.answer)).is_none());
        let d = draft(TaskType::Documentation, p, "Iterate backwards.");
        assert!(code_block(&d, &split(d.answer)).is_none());
        let d = draft(
            TaskType::Edit,
            "Rename x to count in: let x = 0; x += 1;",
            "Done.",
        );
        assert!(code_block(&d, &split(d.answer)).expect("signal").score < 0.2);
        let d = draft(
            TaskType::Edit,
            "Fix the typo: 'Teh quick brown fox'",
            "The quick brown fox",
        );
        assert!(code_block(&d, &split(d.answer)).is_none());
    }

    #[test]
    fn language_named_in_the_prompt() {
        let lang = |p: &str, a: &str| {
            language(&draft(TaskType::Generation, p, a), &split(a)).map(|s| s.score)
        };
        let go = "```go\nfunc f() {}\n```";
        let js = "```javascript\nfunction f() {}\n```";
        assert_eq!(
            lang("Write a Go function that adds two ints.", go),
            Some(1.0)
        );
        assert_eq!(
            lang("Write a Go function that adds two ints.", js),
            Some(0.3)
        );
        assert_eq!(lang("Write a JavaScript function.", go), Some(0.3));
        assert_eq!(lang("Go ahead and write a function.", js), None);
        assert_eq!(lang("Go to the folder and write a function.", js), None);
        assert_eq!(
            lang("Go: write a function that adds two ints.", js),
            Some(0.3)
        );
        assert_eq!(
            lang("Go struct for a user, with JSON tags.", go),
            None,
            "Go and JSON"
        );
        assert_eq!(
            lang(
                "Go struct for a user.",
                "```go
type U struct{}
```"
            ),
            Some(1.0)
        );
        assert_eq!(lang("Convert this Python to Rust.", go), None);
        assert_eq!(lang("Write a Python script.", "```\nprint(1)\n```"), None);
        assert_eq!(
            lang(
                "Write a Python script.",
                "```bash\npip install x\n```\n```python\nx = 1\n```"
            ),
            Some(1.0)
        );
        // A CI workflow for a Python project is YAML, not Python in the wrong language.
        assert_eq!(
            lang(
                "Write a GitHub Actions workflow that runs pytest for a Python project.",
                "```yaml\non: push\njobs: {}\n```"
            ),
            None
        );
        let p = "Is it safe to build SQL queries with string concatenation?";
        let a = "```python\ncur.execute(q, (x,))\n```";
        assert!(language(&draft(TaskType::Security, p, a), &split(a)).is_none());
    }
}
