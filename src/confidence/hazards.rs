//! Known bug and security patterns in the draft's code: the mistakes that linters and
//! security scanners flag because they parse, run, and are wrong. Each rule comes from a
//! public rule catalogue, named beside it (flake8-bugbear, pylint, bandit, ESLint,
//! typescript-eslint, go vet, ShellCheck, SpotBugs, CERT C); none is tied to a particular
//! prompt. A small model writes these often, and no other signal sees them: the code is
//! valid and the prose is fluent.
//!
//! A pattern counts only where the draft offers the code: not in a block the prose before it
//! calls wrong or insecure ("Don't do this:"), not on a line commented as bad, and not on a
//! line the prompt already had (explaining the user's bug is not making it).

use super::fences::{parts, Part};
use super::{signal, Signal};

/// Words that mark a block or a line as a counter-example.
const COUNTER: &[&str] = &[
    "bad",
    "wrong",
    "don't",
    "do not",
    "avoid",
    "insecure",
    "unsafe",
    "vulnerable",
    "never",
    "before",
    "instead of",
    "incorrect",
    "problem",
    "buggy",
    "bug",
    "dangerous",
    "not safe",
    "noncompliant",
    "❌",
];

#[derive(Debug, Clone, Copy, PartialEq)]
enum Family {
    Python,
    Js,
    C,
    Go,
    Java,
    Shell,
    Other,
}

fn family(tag: &str) -> Family {
    match tag {
        "python" | "python3" | "py" | "pycon" => Family::Python,
        "javascript" | "js" | "jsx" | "ts" | "typescript" | "tsx" | "node" | "mjs" => Family::Js,
        "c" | "h" | "cpp" | "c++" | "cc" | "cxx" => Family::C,
        "go" | "golang" => Family::Go,
        "java" | "kotlin" => Family::Java,
        "sh" | "bash" | "shell" | "zsh" | "console" => Family::Shell,
        _ => Family::Other,
    }
}

/// What a rule sees: one line of code without spaces, the whole block without spaces, and
/// the prompt in lower case.
struct Seen<'a> {
    /// The line as written, for rules that need word boundaries.
    raw: &'a str,
    line: &'a str,
    /// `line` with the contents of its string literals removed (the quotes kept).
    bare: &'a str,
    block: &'a str,
    prompt: &'a str,
}

struct Rule {
    families: &'static [Family],
    what: &'static str,
    hit: fn(&Seen) -> bool,
}

const PY: &[Family] = &[Family::Python];
const JS: &[Family] = &[Family::Js];
const C_LIKE: &[Family] = &[Family::C, Family::Js, Family::Java];
const ANY: &[Family] = &[
    Family::Python,
    Family::Js,
    Family::C,
    Family::Go,
    Family::Java,
    Family::Shell,
    Family::Other,
];

fn has_any(s: &str, needles: &[&str]) -> bool {
    needles.iter().any(|n| s.contains(n))
}

fn about_secrets(s: &Seen) -> bool {
    let line = s.line.to_ascii_lowercase();
    has_any(
        &line,
        &[
            "password", "passwd", "token", "secret", "apikey", "api_key", "salt",
        ],
    ) || has_any(
        s.prompt,
        &["password", "token", "secret", "api key", "session id"],
    )
}

const RULES: &[Rule] = &[
    // flake8-bugbear B006: a mutable default is shared by every call.
    Rule {
        families: PY,
        what: "a mutable default argument, shared between calls",
        hit: |s| {
            s.line.starts_with("def")
                && has_any(s.line, &["=[]", "={}", "=set()", "=list()", "=dict()"])
        },
    },
    // flake8-bugbear B008: a call in a default runs once, when the function is defined.
    Rule {
        families: PY,
        what: "a default computed once, when the function is defined",
        hit: |s| {
            s.line.starts_with("def")
                && has_any(
                    s.line,
                    &[
                        "=datetime.now()",
                        "=datetime.utcnow()",
                        "=time.time()",
                        "=date.today()",
                        "=datetime.datetime.now()",
                        "=uuid.uuid4()",
                        "=uuid4()",
                    ],
                )
        },
    },
    // pylint E1111 (assignment-from-no-return): these methods change the object, return None.
    Rule {
        families: PY,
        what: "assigns the None that an in-place method returns",
        hit: |s| {
            let Some((left, right)) = s.line.split_once('=') else {
                return false;
            };
            !left.is_empty()
                && !left.ends_with(['!', '<', '>', '=', '+', '-', '*', '/'])
                && !right.starts_with('=')
                && !right.starts_with("sorted(")
                && [
                    ".sort(",
                    ".append(",
                    ".extend(",
                    ".reverse()",
                    ".insert(",
                    "random.shuffle(",
                ]
                .iter()
                .any(|m| right.contains(m) && !right.contains("lambda"))
                && !right.starts_with('[')
        },
    },
    // Python's SyntaxWarning "is" with a literal: identity, not equality.
    Rule {
        families: PY,
        what: "compares identity with `is` where equality is meant",
        hit: |s| {
            s.raw.match_indices(" is ").any(|(i, _)| {
                let after = &s.raw[i + 4..];
                let after = after.strip_prefix("not ").unwrap_or(after).trim_start();
                after.starts_with(|c: char| c.is_ascii_digit() || c == '"' || c == '\'')
            })
        },
    },
    // bandit B506: yaml.load without a safe loader builds arbitrary objects.
    Rule {
        families: PY,
        what: "yaml.load without a safe loader",
        hit: |s| s.line.contains("yaml.load(") && !s.line.contains("Loader"),
    },
    // bandit B501, ESLint-security: certificate checks turned off.
    Rule {
        families: ANY,
        what: "turns off TLS certificate verification",
        hit: |s| {
            has_any(
                s.line,
                &[
                    "verify=False",
                    "rejectUnauthorized:false",
                    "NODE_TLS_REJECT_UNAUTHORIZED",
                    "CERT_NONE",
                    "check_hostname=False",
                    "InsecureSkipVerify:true",
                    "curl-k",
                    "--insecure",
                    "_create_unverified_context",
                ],
            )
        },
    },
    // bandit B303/B324: MD5 and SHA-1 are fast, unsuitable for passwords.
    Rule {
        families: ANY,
        what: "a fast hash (MD5 or SHA-1) for secrets",
        hit: |s| {
            let l = s.line.to_ascii_lowercase();
            has_any(
                &l,
                &[
                    "md5(", "sha1(", "'md5'", "\"md5\"", "'sha1'", "\"sha1\"", "md5.new",
                    "sha1.new",
                ],
            ) && about_secrets(s)
        },
    },
    // bandit B608, CWE-89: SQL built by string formatting.
    Rule {
        families: ANY,
        what: "SQL built from strings (injectable)",
        hit: |s| {
            let l = s.line.to_ascii_lowercase();
            let sql = has_any(&l, &["select", "insert", "update", "delete"])
                && has_any(&l, &["from", "into", "set", "where"]);
            let formatted = has_any(
                &l,
                &[
                    "f\"", "f'", "\"+", "'+", "+\"", "+'", "${", "%s\"%", ".format(", "\"%", "'%",
                ],
            ) && !has_any(
                &l,
                &["?,", "(?", "=?", "%s\",(", "%s',(", "$1", ":id", ":name"],
            );
            sql && formatted && has_any(&l, &["execute(", "query(", "raw(", "exec(", "sql="])
        },
    },
    // bandit B602/B605: a shell command built from strings.
    Rule {
        families: PY,
        what: "a shell command built from strings (injectable)",
        hit: |s| {
            (s.line.contains("os.system(") || s.line.contains("shell=True"))
                && has_any(s.line, &["f\"", "f'", "+", ".format(", "%"])
        },
    },
    // bandit B311, CWE-338: a non-cryptographic generator for a secret.
    Rule {
        families: ANY,
        what: "predictable randomness for a secret",
        hit: |s| {
            has_any(
                s.line,
                &[
                    "random.random(",
                    "random.randint(",
                    "random.choice(",
                    "Math.random()",
                    "rand()",
                    "math/rand",
                ],
            ) && about_secrets(s)
        },
    },
    // CWE-732: world-writable permissions.
    Rule {
        families: ANY,
        what: "world-writable permissions (777)",
        hit: |s| {
            has_any(
                s.line,
                &["chmod777", "chmod-R777", "0o777", "chmod(0777", ",0777)"],
            )
        },
    },
    // ShellCheck SC2115: rm -rf on an unquoted variable can remove /.
    Rule {
        families: &[Family::Shell],
        what: "rm -rf on an unquoted variable",
        hit: |s| s.line.contains("rm-rf$") || s.line.contains("rm-fr$"),
    },
    // typescript-eslint require-array-sort-compare: numbers sort as strings without one.
    Rule {
        families: JS,
        what: "sort() without a comparator sorts numbers as strings",
        hit: |s| {
            s.line.contains(".sort()")
                && (has_any(
                    s.prompt,
                    &["number", "numeric", "integer", "ages", "scores", "prices"],
                ) || numeric_array(s.block))
        },
    },
    // ESLint valid-typeof: typeof never gives these.
    Rule {
        families: JS,
        what: "compares typeof with a type it never returns",
        hit: |s| {
            s.line.contains("typeof")
                && has_any(
                    s.line,
                    &[
                        "'array'",
                        "\"array\"",
                        "'null'",
                        "\"null\"",
                        "'integer'",
                        "\"integer\"",
                        "'float'",
                        "\"float\"",
                        "'list'",
                        "\"list\"",
                        "'int'",
                        "\"int\"",
                    ],
                )
        },
    },
    // ESLint use-isnan: nothing equals NaN, not even NaN.
    Rule {
        families: ANY,
        what: "compares with NaN, which equals nothing",
        hit: |s| {
            has_any(
                s.line,
                &[
                    "==NaN",
                    "===NaN",
                    "!=NaN",
                    "!==NaN",
                    "==float('nan')",
                    "==float(\"nan\")",
                    "==math.nan",
                ],
            )
        },
    },
    // The fetch spec: a no-cors response is opaque, its body cannot be read.
    Rule {
        families: JS,
        what: "a no-cors fetch, whose response cannot be read",
        hit: |s| s.line.contains("mode:'no-cors'") || s.line.contains("mode:\"no-cors\""),
    },
    // ESLint no-misused-promises family: forEach does not wait for an async callback.
    Rule {
        families: JS,
        what: "an async callback in forEach, which is never awaited",
        hit: |s| s.line.contains("forEach(async"),
    },
    // CWE-79: markup built from values.
    Rule {
        families: JS,
        what: "innerHTML set from a value (script injection)",
        hit: |s| {
            s.line.contains("innerHTML=") && has_any(s.line, &["+", "${"])
                || s.line.contains("innerHTML+=")
        },
    },
    // ESLint no-cond-assign, gcc -Wparentheses: an assignment where a test was meant.
    Rule {
        families: C_LIKE,
        what: "an assignment inside an if condition",
        hit: |s| {
            // Doubled parentheses are the usual mark of an intended assignment.
            let Some(cond) = s.bare.strip_prefix("if(").filter(|c| !c.starts_with('(')) else {
                return false;
            };
            let cond = cond.split(')').next().unwrap_or("");
            cond.char_indices().any(|(i, c)| {
                c == '='
                    && !cond[..i].ends_with(['=', '!', '<', '>'])
                    && !cond[i + 1..].starts_with('=')
            })
        },
    },
    // SpotBugs ES_COMPARING_STRINGS_WITH_EQ: == compares references.
    Rule {
        families: &[Family::Java],
        what: "compares strings with ==",
        hit: |s| has_any(s.bare, &["==\"", "\"==", "!=\"", "\"!="]),
    },
    // CERT C STR31-C: strlen leaves no room for the terminating NUL.
    Rule {
        families: &[Family::C],
        what: "allocates strlen() bytes, with no room for the terminating NUL",
        hit: |s| {
            s.line.contains("malloc(strlen(") && !s.line.contains("+1") && !s.line.contains("1+")
        },
    },
    // CERT C MSC24-C: gets cannot be bounded.
    Rule {
        families: &[Family::C],
        what: "gets(), which cannot be used safely",
        hit: |s| s.bare.contains("gets(") && !s.bare.contains("fgets("),
    },
    // go vet (the Go memory model): main returns without waiting for its goroutines.
    Rule {
        families: &[Family::Go],
        what: "starts goroutines and never waits for them",
        hit: |s| {
            s.line.starts_with("gofunc(")
                && s.block.contains("funcmain()")
                && !has_any(
                    s.block,
                    &["WaitGroup", "<-", "errgroup", "time.Sleep", ".Wait()"],
                )
        },
    },
];

/// Whether the block sorts an array literal of numbers (`[10, 1, 5]`).
fn numeric_array(block: &str) -> bool {
    block.split('[').skip(1).any(|rest| {
        let inner = rest.split(']').next().unwrap_or("");
        inner.contains(',')
            && inner
                .split(',')
                .all(|n| !n.is_empty() && n.parse::<f64>().is_ok())
    })
}

/// The `hazards` signal: `None` when the draft has no code or its code has none.
pub(crate) fn signal_for(prompt: &str, answer: &str) -> Option<Signal> {
    let prompt_lines: Vec<String> = prompt.lines().map(squeeze).collect();
    let prompt_lower = prompt.to_ascii_lowercase();
    let mut found: Vec<&'static str> = Vec::new();
    let mut had_code = false;
    let mut before = "";
    for part in parts(answer) {
        let (tag, body) = match part {
            Part::Prose(l) => {
                before = l;
                continue;
            }
            Part::Block { tag, body } => (tag, body),
        };
        had_code = true;
        if counter(before) {
            continue;
        }
        let fam = family(&tag);
        let block = squeeze(&body);
        for raw in body.lines() {
            if counter_comment(raw) {
                continue;
            }
            let line = squeeze(code_part(raw, fam));
            if line.is_empty() || prompt_lines.contains(&line) {
                continue;
            }
            let bare = blank_strings(&line);
            let seen = Seen {
                raw: code_part(raw, fam),
                line: &line,
                bare: &bare,
                block: &block,
                prompt: &prompt_lower,
            };
            for rule in RULES {
                if rule.families.contains(&fam) && (rule.hit)(&seen) && !found.contains(&rule.what)
                {
                    found.push(rule.what);
                }
            }
        }
    }
    if !had_code {
        return None;
    }
    Some(match found.len() {
        0 => signal(1.0, 1.0, "no known bug or security pattern in the code"),
        n => signal(
            if n == 1 { 0.3 } else { 0.15 },
            1.0,
            format!("the code has a known pitfall: {}", found.join("; ")),
        ),
    })
}

/// `line` with what its quotes hold taken out: `say("a == b")` becomes `say("")`.
fn blank_strings(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut quote: Option<char> = None;
    for c in line.chars() {
        match quote {
            Some(q) if c == q => {
                quote = None;
                out.push(c);
            }
            Some(_) => {}
            None => {
                if matches!(c, '"' | '\'' | '`') {
                    quote = Some(c);
                }
                out.push(c);
            }
        }
    }
    out
}

/// A line without its spaces and tabs: the rules match code however it is spaced.
fn squeeze(line: &str) -> String {
    line.chars().filter(|c| *c != ' ' && *c != '\t').collect()
}

/// The code of a line, before a trailing comment (a `#` in Python and shell, `//` in the
/// C family) that is not inside a string as far as a line can tell.
fn code_part(line: &str, fam: Family) -> &str {
    let marker = match fam {
        Family::Python | Family::Shell => "#",
        Family::Other => return line,
        _ => "//",
    };
    let mut quote: Option<char> = None;
    for (i, c) in line.char_indices() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None if c == '"' || c == '\'' || c == '`' => quote = Some(c),
            None if line[i..].starts_with(marker) => return &line[..i],
            None => {}
        }
    }
    line
}

fn counter(prose: &str) -> bool {
    let lower = prose.to_lowercase();
    COUNTER.iter().any(|w| contains_word(&lower, w))
}

/// A line whose comment calls it bad (`# wrong`, `// don't do this`).
fn counter_comment(line: &str) -> bool {
    let lower = line.to_lowercase();
    let comment = lower
        .find("//")
        .or_else(|| lower.find('#'))
        .map(|i| &lower[i..]);
    comment.is_some_and(|c| COUNTER.iter().any(|w| contains_word(c, w)))
}

fn contains_word(text: &str, word: &str) -> bool {
    text.match_indices(word).any(|(i, _)| {
        let before = text[..i].chars().next_back();
        let after = text[i + word.len()..].chars().next();
        !before.is_some_and(char::is_alphanumeric) && !after.is_some_and(char::is_alphanumeric)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hazards(prompt: &str, answer: &str) -> Option<f32> {
        signal_for(prompt, answer).map(|s| s.score)
    }

    #[test]
    fn each_family_has_rules_that_fire() {
        for (prompt, answer) in [
            (
                "",
                "```python\ndef add(item, items=[]):\n    items.append(item)\n```",
            ),
            ("", "```python\nnums = nums.sort()\n```"),
            ("", "```python\nif x is 5:\n    pass\n```"),
            ("", "```python\nrequests.get(url, verify = False)\n```"),
            (
                "hash the password",
                "```js\ncrypto.createHash('md5').update(pw)\n```",
            ),
            (
                "",
                "```python\ncur.execute(f\"SELECT * FROM users WHERE id = {uid}\")\n```",
            ),
            ("", "```js\n[10, 1, 5].sort();\n```"),
            ("", "```js\nif (typeof x === 'array') {}\n```"),
            ("", "```c\nchar *p = malloc(strlen(s));\n```"),
            ("", "```java\nif (name == \"admin\") {}\n```"),
            (
                "",
                "```go\nfunc main() {\n\tgo func() { fmt.Println(1) }()\n}\n```",
            ),
            ("", "```bash\nrm -rf $DIR/\n```"),
        ] {
            assert_eq!(hazards(prompt, answer), Some(0.3), "{answer}");
        }
    }

    #[test]
    fn safe_code_counter_examples_and_the_users_own_code_pass() {
        for (prompt, answer) in [
            ("", "```python\ndef add(item, items=None):\n    items = items or []\n```"),
            ("", "```python\nnums.sort()\nnums = sorted(nums)\n```"),
            ("", "```python\nif x is None or y is not None:\n    pass\n```"),
            ("", "```python\ncur.execute(\"SELECT * FROM users WHERE id = ?\", (uid,))\n```"),
            ("", "```js\nnums.sort((a, b) => a - b);\n```"),
            ("", "```c\nchar *p = malloc(strlen(s) + 1);\n```"),
            ("", "```java\nif (name.equals(\"admin\")) {}\n```"),
            ("", "```java\nSystem.out.println(\"a == \" + a);\n```"),
            ("", "```c\nwhile (1) { if ((c = getchar()) != EOF) break; }\n```"),
            ("", "Don't do this:\n```python\nrequests.get(url, verify=False)\n```\nUse a CA bundle."),
            ("", "```python\nrequests.get(url, verify=False)  # insecure, never in production\n```"),
            ("Why is nums None?\nnums = nums.sort()", "It returns None:\n```python\nnums = nums.sort()\n```"),
            ("", "```go\nfunc main() {\n\tvar wg sync.WaitGroup\n\tgo func() { defer wg.Done() }()\n\twg.Wait()\n}\n```"),
        ] {
            assert_eq!(hazards(prompt, answer), Some(1.0), "{answer}");
        }
        assert_eq!(hazards("", "No code at all."), None);
    }

    #[test]
    fn two_pitfalls_weigh_more_than_one_and_are_named() {
        let answer = "```python\ndef f(x=[]):\n    x = x.sort()\n```";
        let s = signal_for("", answer).expect("signal");
        assert_eq!(s.score, 0.15);
        assert!(
            s.detail.contains("mutable default") && s.detail.contains("None"),
            "{}",
            s.detail
        );
    }
}
