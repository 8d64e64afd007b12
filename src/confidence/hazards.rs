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

use std::sync::OnceLock;

use aho_corasick::AhoCorasick;

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
    /// Pieces of the line without spaces, one of which the rule needs (in any case): found
    /// for all rules in one pass over a block, so a line is only checked by the rules whose
    /// pieces it holds.
    keys: &'static [&'static str],
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

const MUTABLE_DEFAULTS: &[&str] = &["=[]", "={}", "=set()", "=list()", "=dict()"];
/// Methods that change a list in place and return None (not `append`, `extend` or
/// `insert`: other libraries' methods of those names return values).
const IN_PLACE: &[&str] = &[".sort(", ".reverse()", "random.shuffle("];
const CALLED_DEFAULTS: &[&str] = &[
    "=datetime.now()",
    "=datetime.utcnow()",
    "=time.time()",
    "=date.today()",
    "=datetime.datetime.now()",
    "=uuid.uuid4()",
    "=uuid4()",
];
const TLS_OFF: &[&str] = &[
    "verify=False",
    "rejectUnauthorized:false",
    "NODE_TLS_REJECT_UNAUTHORIZED",
    "CERT_NONE",
    "check_hostname=False",
    "InsecureSkipVerify:true",
    "curl-k",
    "--insecure",
    "_create_unverified_context",
];
const WORLD_WRITABLE: &[&str] = &["chmod777", "chmod-R777", "0o777", "chmod(0777", ",0777)"];
const NAN: &[&str] = &[
    "==NaN",
    "===NaN",
    "!=NaN",
    "!==NaN",
    "==float('nan')",
    "==float(\"nan\")",
    "==math.nan",
];

const RULES: &[Rule] = &[
    // flake8-bugbear B006: a mutable default is shared by every call.
    Rule {
        families: PY,
        what: "a mutable default argument, shared between calls",
        keys: MUTABLE_DEFAULTS,
        hit: |s| s.line.starts_with("def") && has_any(s.line, MUTABLE_DEFAULTS),
    },
    // flake8-bugbear B008: a call in a default runs once, when the function is defined.
    Rule {
        families: PY,
        what: "a default computed once, when the function is defined",
        keys: CALLED_DEFAULTS,
        hit: |s| s.line.starts_with("def") && has_any(s.line, CALLED_DEFAULTS),
    },
    // pylint E1111 (assignment-from-no-return): these methods change the object, return None.
    Rule {
        families: PY,
        what: "assigns the None that an in-place method returns",
        keys: IN_PLACE,
        hit: |s| {
            let Some((left, right)) = s.line.split_once('=') else {
                return false;
            };
            !left.is_empty()
                && !left.ends_with(['!', '<', '>', '=', '+', '-', '*', '/'])
                && !right.starts_with('=')
                && !right.starts_with("sorted(")
                && IN_PLACE
                    .iter()
                    .any(|m| right.contains(m) && !right.contains("lambda"))
                && !right.starts_with('[')
        },
    },
    // Python's SyntaxWarning "is" with a literal: identity, not equality.
    Rule {
        families: PY,
        what: "compares identity with `is` where equality is meant",
        keys: &[
            "is\"", "is'", "isnot", "is0", "is1", "is2", "is3", "is4", "is5", "is6", "is7", "is8",
            "is9",
        ],
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
        keys: &["yaml.load("],
        hit: |s| s.line.contains("yaml.load(") && !s.line.contains("Loader"),
    },
    // bandit B501, ESLint-security: certificate checks turned off.
    Rule {
        families: ANY,
        what: "turns off TLS certificate verification",
        keys: TLS_OFF,
        hit: |s| has_any(s.line, TLS_OFF),
    },
    // bandit B303/B324: MD5 and SHA-1 are fast, unsuitable for passwords.
    Rule {
        families: ANY,
        what: "a fast hash (MD5 or SHA-1) for secrets",
        keys: &["md5", "sha1"],
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
        keys: &["execute(", "query(", "raw(", "exec(", "sql="],
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
        keys: &["os.system(", "shell=True"],
        hit: |s| {
            (s.line.contains("os.system(") || s.line.contains("shell=True"))
                && has_any(s.line, &["f\"", "f'", "+", ".format(", "%"])
        },
    },
    // bandit B311, CWE-338: a non-cryptographic generator for a secret.
    Rule {
        families: ANY,
        what: "predictable randomness for a secret",
        keys: &[
            "random.random(",
            "random.randint(",
            "random.choice(",
            "Math.random()",
            "rand()",
            "math/rand",
        ],
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
        keys: WORLD_WRITABLE,
        hit: |s| has_any(s.line, WORLD_WRITABLE),
    },
    // ShellCheck SC2115: rm -rf on an unquoted variable can remove /.
    Rule {
        families: &[Family::Shell],
        what: "rm -rf on an unquoted variable",
        keys: &["rm-rf$", "rm-fr$"],
        hit: |s| s.line.contains("rm-rf$") || s.line.contains("rm-fr$"),
    },
    // typescript-eslint require-array-sort-compare: numbers sort as strings without one.
    Rule {
        families: JS,
        what: "sort() without a comparator sorts numbers as strings",
        keys: &[".sort()"],
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
        keys: &["typeof"],
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
        keys: NAN,
        hit: |s| has_any(s.line, NAN),
    },
    // The fetch spec: a no-cors response is opaque, its body cannot be read.
    Rule {
        families: JS,
        what: "a no-cors fetch, whose response cannot be read",
        keys: &["no-cors"],
        hit: |s| s.line.contains("mode:'no-cors'") || s.line.contains("mode:\"no-cors\""),
    },
    // ESLint no-misused-promises family: forEach does not wait for an async callback.
    Rule {
        families: JS,
        what: "an async callback in forEach, which is never awaited",
        keys: &["forEach(async"],
        hit: |s| s.line.contains("forEach(async"),
    },
    // CWE-79: markup built from values.
    Rule {
        families: JS,
        what: "innerHTML set from a value (script injection)",
        keys: &["innerHTML"],
        hit: |s| {
            s.line.contains("innerHTML=") && has_any(s.line, &["+", "${"])
                || s.line.contains("innerHTML+=")
        },
    },
    // ESLint no-cond-assign, gcc -Wparentheses: an assignment where a test was meant.
    Rule {
        families: C_LIKE,
        what: "an assignment inside an if condition",
        keys: &["if("],
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
        keys: &["==\"", "\"==", "!=\"", "\"!="],
        hit: |s| has_any(s.bare, &["==\"", "\"==", "!=\"", "\"!="]),
    },
    // CERT C STR31-C: strlen leaves no room for the terminating NUL.
    Rule {
        families: &[Family::C],
        what: "allocates strlen() bytes, with no room for the terminating NUL",
        keys: &["malloc(strlen("],
        hit: |s| {
            s.line.contains("malloc(strlen(") && !s.line.contains("+1") && !s.line.contains("1+")
        },
    },
    // CERT C MSC24-C: gets cannot be bounded.
    Rule {
        families: &[Family::C],
        what: "gets(), which cannot be used safely",
        keys: &["gets("],
        hit: |s| s.bare.contains("gets(") && !s.bare.contains("fgets("),
    },
    // go vet (the Go memory model): main returns without waiting for its goroutines.
    Rule {
        families: &[Family::Go],
        what: "starts goroutines and never waits for them",
        keys: &["gofunc("],
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
    let prompt_lower = prompt.to_ascii_lowercase();
    let prompt_squeezed = squeeze(&prompt_lower);
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
        let block = Squeezed::of(&body, fam);
        for (li, ri) in candidates(&block, fam) {
            let rule = &RULES[ri];
            let raw = block.lines[li];
            let line = block.line(li);
            if found.contains(&rule.what)
                || counter_comment(raw)
                || raised_by_the_user(rule, &prompt_squeezed)
            {
                continue;
            }
            let bare = blank_strings(line);
            let raw_bare = blank_strings(code_part(raw, fam));
            let seen = Seen {
                raw: &raw_bare,
                line,
                bare: &bare,
                block: &block.text,
                prompt: &prompt_lower,
            };
            if (rule.hit)(&seen) {
                found.push(rule.what);
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

/// The prompt itself holds one of the rule's pieces: the user brought the pattern up (to
/// ask what it does, or why it fails), and an answer that shows it is explaining it.
fn raised_by_the_user(rule: &Rule, prompt_squeezed: &str) -> bool {
    rule.keys
        .iter()
        .any(|k| prompt_squeezed.contains(&k.to_ascii_lowercase()))
}

/// A block's code lines without their comments, spaces and tabs, one per line of `text`.
struct Squeezed<'a> {
    lines: Vec<&'a str>,
    text: String,
    starts: Vec<usize>,
}

impl<'a> Squeezed<'a> {
    fn of(body: &'a str, fam: Family) -> Self {
        let lines: Vec<&str> = body.lines().collect();
        let mut text = String::with_capacity(body.len());
        let mut starts = Vec::with_capacity(lines.len());
        for raw in &lines {
            starts.push(text.len());
            text.extend(
                code_part(raw, fam)
                    .chars()
                    .filter(|c| *c != ' ' && *c != '\t'),
            );
            text.push('\n');
        }
        Squeezed {
            lines,
            text,
            starts,
        }
    }

    fn line(&self, i: usize) -> &str {
        let end = self.starts.get(i + 1).map_or(self.text.len(), |e| *e);
        self.text[self.starts[i]..end].trim_end_matches('\n')
    }
}

/// The (line, rule) pairs worth checking: a rule of the block's family whose key the line
/// holds. One pass of one automaton over the block; without it, every rule on every line.
fn candidates(block: &Squeezed, fam: Family) -> Vec<(usize, usize)> {
    let mut out: Vec<(usize, usize)> = Vec::new();
    let Some((ac, owner)) = matcher() else {
        for li in 0..block.lines.len() {
            out.extend((0..RULES.len()).map(|ri| (li, ri)));
        }
        return out;
    };
    for m in ac.find_overlapping_iter(&block.text) {
        let ri = owner[m.pattern().as_usize()];
        if !RULES[ri].families.contains(&fam) {
            continue;
        }
        let li = block
            .starts
            .partition_point(|s| *s <= m.start())
            .saturating_sub(1);
        if !out.contains(&(li, ri)) {
            out.push((li, ri));
        }
    }
    out
}

/// Every rule's keys in one automaton (ASCII case folded), and the rule each key is for.
fn matcher() -> Option<&'static (AhoCorasick, Vec<usize>)> {
    static MATCHER: OnceLock<Option<(AhoCorasick, Vec<usize>)>> = OnceLock::new();
    MATCHER
        .get_or_init(|| {
            let (mut keys, mut owner) = (Vec::new(), Vec::new());
            for (i, rule) in RULES.iter().enumerate() {
                for k in rule.keys {
                    keys.push(*k);
                    owner.push(i);
                }
            }
            let ac = AhoCorasick::builder()
                .ascii_case_insensitive(true)
                .build(&keys)
                .ok()?;
            Some((ac, owner))
        })
        .as_ref()
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
            ("", "```python\nprint(\"this is 5 apples\")\n```"),
            ("", "```python\nrows = table.insert().values(name=n)\n```"),
            ("What does chmod 777 do?", "It opens the file to everyone:\n```sh\nchmod 777 f\n```"),
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
