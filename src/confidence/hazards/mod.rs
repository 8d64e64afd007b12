//! Known bug and security patterns in the draft's code: the mistakes that linters and
//! security scanners flag because they parse, run, and are wrong. Each rule comes from a
//! public rule catalogue, named beside it (flake8-bugbear, pylint, bandit, ESLint,
//! typescript-eslint, go vet, ShellCheck, SpotBugs, CERT C); none is tied to a particular
//! prompt. A small model writes these often, and no other signal sees them: the code is
//! valid and the prose is fluent.
//!
//! A pattern counts only where the draft offers the code: not in a block the prose before it
//! calls wrong or insecure ("Don't do this:"), not on a line commented as bad, not on a line
//! the user's prompt already holds (quoting the user's code is not writing it), and not when
//! the prompt brings the rule up without asking for it to be fixed (answering a question
//! about a pattern shows it). Asked to fix one, a draft that shows it again in a new form
//! has not fixed it. `rules` holds the rules.

use std::sync::OnceLock;

use aho_corasick::AhoCorasick;

use super::code_line::{before_comment, blank_strings};
use super::fences::{parts, Part};
use super::words::has_phrase;
use super::{signal, Signal};
use rules::{family, Family, Rule, Seen, RULES};

mod rules;

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

/// The `hazards` signal: `None` when the draft has no code or its code has none.
pub(crate) fn signal_for(prompt: &str, answer: &str) -> Option<Signal> {
    let prompt_lower = prompt.to_ascii_lowercase();
    let prompt_squeezed = squeeze(&prompt_lower);
    let fix_asked = asks_for_a_fix(&prompt_lower);
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
                || users_own_line(line, &prompt_squeezed)
                || (!fix_asked && raised_by_the_user(rule, &prompt_squeezed))
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

/// The line, spaces aside, is in the prompt: the draft quotes the user's code.
fn users_own_line(line: &str, prompt_squeezed: &str) -> bool {
    line.len() >= 6 && prompt_squeezed.contains(&line.to_ascii_lowercase())
}

/// Words of a request to repair something, rather than to explain it.
const FIX_WORDS: &[&str] = &[
    "fix", "fixed", "repair", "correct", "secure", "safer", "safely", "prevent", "patch",
    "sanitize", "sanitise", "harden",
];

fn asks_for_a_fix(prompt_lower: &str) -> bool {
    FIX_WORDS.iter().any(|w| has_phrase(prompt_lower, w))
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

/// A line without its spaces and tabs: the rules match code however it is spaced.
fn squeeze(line: &str) -> String {
    line.chars().filter(|c| *c != ' ' && *c != '\t').collect()
}

/// The code of a line, before a trailing comment (a `#` in Python and shell, `//` in the
/// C family) that is not inside a string as far as a line can tell.
fn code_part(line: &str, fam: Family) -> &str {
    match fam {
        Family::Python | Family::Shell => before_comment(line, &["#"]),
        Family::Other => line,
        _ => before_comment(line, &["//"]),
    }
}

fn counter(prose: &str) -> bool {
    let lower = prose.to_lowercase();
    COUNTER.iter().any(|w| has_phrase(&lower, w))
}

/// A line whose comment calls it bad (`# wrong`, `// don't do this`).
fn counter_comment(line: &str) -> bool {
    let lower = line.to_lowercase();
    let comment = lower
        .find("//")
        .or_else(|| lower.find('#'))
        .map(|i| &lower[i..]);
    comment.is_some_and(|c| COUNTER.iter().any(|w| has_phrase(c, w)))
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
            ("", "```python\ndef names(users):\n    return users.sort()\n```"),
            ("", "```python\ndf = df.dropna(inplace=True)\n```"),
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
            ("", "```bash\nif [$count -gt 5 ]; then\n  echo big\nfi\n```"),
            ("", "```sh\nwhile [ \"$n\" -lt 3]; do n=$((n+1)); done\n```"),
            ("", "```c\nint n;\nscanf(\"%d\", n);\n```"),
            ("", "```java\nfor (int i = 0; i <= s.length(); i++) {\n  c += s.charAt(i);\n}\n```"),
            ("", "```go\nfor i := 0; i <= len(xs); i++ {\n\tsum += xs[i]\n}\n```"),
            ("", "```bash\nfor f in $(ls *.txt); do\n  echo \"$f\"\ndone\n```"),
            ("", "```js\nfor (var i = 0; i < 3; i++) {\n  setTimeout(() => console.log(i), 10);\n}\n```"),
        ] {
            assert_eq!(hazards(prompt, answer), Some(0.3), "{answer}");
        }
    }

    #[test]
    fn safe_code_counter_examples_and_the_users_own_code_pass() {
        for (prompt, answer) in [
            ("", "```python\ndef add(item, items=None):\n    items = items or []\n```"),
            ("", "```python\nnums.sort()\nnums = sorted(nums)\n```"),
            ("", "```python\ndf.dropna(inplace=True)\nreturn sorted(xs)\n```"),
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
            ("", "```java\nfor (int i = 0; i < arr.length; i++) {}\nfor (int i = 1; i <= arr.length; i++) {}\nfor (int i = 0; i <= arr.length - 1; i++) {}\n```"),
            ("", "```bash\nfor f in *.txt; do echo \"$f\"; done\n```"),
            ("", "```c\nint n; char name[20];\nscanf(\"%d %s\", &n, name);\nscanf(\"%d\", &n);\n```"),
            ("", "```js\nfor (let i = 0; i < 3; i++) {\n  setTimeout(() => console.log(i), 10);\n}\n```"),
            ("", "```bash\nif [ \"$count\" -gt 5 ]; then echo big; fi\nif [[ -f $f && ${a[0]} = x ]]; then :; fi\n```"),
            ("", "```go\nfunc main() {\n\tvar wg sync.WaitGroup\n\tgo func() { defer wg.Done() }()\n\twg.Wait()\n}\n```"),
        ] {
            assert_eq!(hazards(prompt, answer), Some(1.0), "{answer}");
        }
        assert_eq!(hazards("", "No code at all."), None);
    }

    #[test]
    fn asked_to_fix_a_pattern_the_same_pattern_in_a_new_form_still_counts() {
        let prompt =
            "Fix the SQL injection in: cur.execute(\"SELECT * FROM t WHERE n = '\" + n + \"'\")";
        let again =
            "Use an f-string:\n```python\ncur.execute(f\"SELECT * FROM t WHERE n = '{n}'\")\n```";
        assert_eq!(hazards(prompt, again), Some(0.3));
        let fixed = "```python\ncur.execute(\"SELECT * FROM t WHERE n = ?\", (n,))\n```";
        assert_eq!(hazards(prompt, fixed), Some(1.0));
        let quoted = "This line is the problem:\n```python\ncur.execute(\"SELECT * FROM t WHERE n = '\" + n + \"'\")\n```";
        assert_eq!(hazards(prompt, quoted), Some(1.0), "the user's own line");
        let fix_sort = "Fix this: my list is None after nums = nums.sort()";
        let same_bug = "```python\nnums = nums.sort(reverse=False)\n```";
        assert_eq!(hazards(fix_sort, same_bug), Some(0.3));
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
