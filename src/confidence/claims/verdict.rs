//! Reading back what the driver found: its JSON verdict lines become the `examples` signal.

use serde::Deserialize;

use crate::confidence::{signal, Signal};

/// At most this many verdict lines are read back.
const MAX_VERDICTS: usize = 64;

/// What the driver reports as `raised` when a function of whole numbers gives the same falsy
/// value for every input of a wide spread.
const CONSTANT: &str = "Constant";
/// What the driver reports as `raised` for a function that computes a value and drops it.
const DISCARDED: &str = "Discarded";
/// What the driver reports as `raised` for a function whose loop cannot reach a second pass.
const FIRST_PASS: &str = "FirstPass";

/// What the driver reports as `claim` for a property the prompt asks of the function.
const REQUEST: &str = "the request";

/// What the driver reports as `claim` when a rewrite does not behave as the prompt's code.
const ORIGINAL: &str = "the original";

/// What the driver reports as `claim` for a textbook pattern tried on its strings.
const PATTERN: &str = "the pattern";

/// What the driver reports as `claim` for the run of numbers the request asks printed.
const PRINTED: &str = "the printed numbers";

/// What the driver reports as `claim` when the prompt asks what its own code gives.
const QUESTION: &str = "the prompt's code";

/// What the compile check reports as `claim` for a block that does not build; its `code`
/// names the language.
const COMPILER: &str = "the compiler";
/// What the compile check reports as `claim` for a shell command whose program refuses an
/// option it was given.
const SHELL: &str = "the shell";

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
    /// The error's message, where the driver gives one.
    message: Option<String>,
    line: Option<u32>,
    #[serde(default)]
    done: bool,
}

/// The `examples` signal from the driver's output; `None` when nothing could be judged (no
/// claim was checked, or the run did not finish). `answer` is the draft: an error it
/// describes itself ("this raises a TypeError") is not held against it.
pub fn judge(stdout: &str, answer: &str) -> Option<Signal> {
    // The driver's last line says it finished; a draft with many claims may print more
    // verdicts than are read, so the end is looked for on its own.
    let finished = stdout
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .and_then(|l| serde_json::from_str::<Verdict>(l).ok())
        .is_some_and(|v| v.done);
    if !finished {
        return None;
    }
    let verdicts: Vec<Verdict> = stdout
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .take(MAX_VERDICTS)
        .collect();
    // What the draft's code said or raised is untrusted: no control characters pass.
    let shown = |s: &str| crate::text::terminal::clean(&shown_short(s)).into_owned();
    if let Some(v) = verdicts.iter().find(|v| v.ok == Some(false)) {
        let (code, got, expected) = (
            shown(&v.code),
            shown(v.got.as_deref().unwrap_or("")),
            shown(&v.expected),
        );
        let found = match v.claim.as_deref() {
            Some(ORIGINAL) => Some(format!(
                "the rewrite does not do what the prompt's code does: {code} gives {got} where the original gives {expected}"
            )),
            Some(PATTERN) => Some(format!(
                "the pattern `{code}` {got}, where the request asks for {expected}"
            )),
            Some(PRINTED) => Some(format!(
                "the code prints {got}, where the request asks for the numbers {expected}"
            )),
            Some(QUESTION) => {
                // The answer to the question itself is wrong, as a wrong example of its own.
                let detail = format!(
                    "run in the sandbox, the prompt's `{code}` gives {got}, not {expected} as the answer says"
                );
                return Some(signal(0.05, 1.0, detail));
            }
            Some(REQUEST) => {
                let gives = if got.starts_with("raises ") { "" } else { "gives " };
                Some(format!(
                    "`{code}` {gives}{got}, where the request asks for {expected}"
                ))
            }
            Some(COMPILER) => {
                let at = v.line.filter(|l| *l > 0).map(|l| format!(" (line {l})"));
                let got = crate::text::terminal::clean(v.got.as_deref().unwrap_or("")).into_owned();
                let detail = format!(
                    "compiled in the sandbox, the {code} code does not build: {}{}",
                    crate::text::short::head(got.trim(), 120).replace('\n', " "),
                    at.unwrap_or_default()
                );
                return Some(signal(0.15, 1.0, detail));
            }
            Some(SHELL) => {
                let detail = format!(
                    "run in the sandbox, a command of the answer is refused by its program: {got} (in `{code}`)"
                );
                return Some(signal(0.15, 1.0, detail));
            }
            _ => None,
        };
        if let Some(found) = found {
            return Some(signal(0.15, 1.0, format!("run in the sandbox, {found}")));
        }
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
        let constant = err == CONSTANT || err == DISCARDED || err == FIRST_PASS;
        if constant || !describes(answer, err) {
            let call = shown(v.smoke.as_deref().unwrap_or(""));
            let what = match err {
                "Timeout" => "never returns".to_owned(),
                CONSTANT => format!(
                    "gives {} every time: it computes nothing",
                    shown(v.got.as_deref().unwrap_or("the same value"))
                ),
                FIRST_PASS => {
                    let detail = format!(
                        "a loop in `{call}` always leaves on its first pass (its body ends in a return, break or raise), so it never looks past the first item"
                    );
                    return Some(signal(0.3, 1.0, detail));
                }
                DISCARDED => {
                    let detail = format!(
                        "`{call}` computes a result and never returns it (no `return`, and nothing else leaves the function)"
                    );
                    return Some(signal(0.3, 1.0, detail));
                }
                _ => format!("raises {err}{}", because(v.message.as_deref())),
            };
            let detail = format!("run in the sandbox on ordinary input, `{call}` {what}");
            return Some(signal(0.3, 1.0, detail));
        }
    }
    let checked = verdicts.iter().filter(|v| v.ok == Some(true)).count();
    if let Some(v) = verdicts.iter().find(|v| v.error.is_some()) {
        let err = v.error.as_deref().unwrap_or("an error");
        if !describes(answer, err) {
            let at = v.line.filter(|l| *l > 0).map(|l| format!(" at line {l}"));
            let detail = format!(
                "run in the sandbox, the code raises {err}{}{}",
                at.unwrap_or_default(),
                because(v.message.as_deref())
            );
            return Some(signal(0.4, 1.0, detail));
        }
    }
    let properties = verdicts
        .iter()
        .filter(|v| {
            v.ok == Some(true) && matches!(v.claim.as_deref(), Some(REQUEST | PATTERN | PRINTED))
        })
        .count();
    (checked > 0).then(|| signal(1.0, 1.0, held_detail(checked - properties, properties)))
}

/// "2 claimed results and 1 property of the request checked by running the code".
fn held_detail(claims: usize, properties: usize) -> String {
    let count = |n: usize, one: &str, many: &str| match n {
        1 => format!("1 {one}"),
        n => format!("{n} {many}"),
    };
    let parts: Vec<String> = [
        (claims > 0).then(|| count(claims, "claimed result", "claimed results")),
        (properties > 0).then(|| {
            count(
                properties,
                "property of the request",
                "properties of the request",
            )
        }),
    ]
    .into_iter()
    .flatten()
    .collect();
    format!("{} checked by running the code", parts.join(" and "))
}

fn shown_short(s: &str) -> String {
    crate::text::short::head(s.trim(), 60).replace('\n', " ")
}

/// ": the error's message", when the driver gave one.
fn because(message: Option<&str>) -> String {
    match message.map(str::trim) {
        Some(m) if !m.is_empty() => {
            format!(": {}", crate::text::terminal::clean(&shown_short(m)))
        }
        _ => String::new(),
    }
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
        let hostile = "{\"block\":0,\"error\":\"TypeError\",\"message\":\"x\\u001b[2J\\u009b is not a function\"}\n{\"done\":true}\n";
        let s = judge(hostile, "").expect("judged");
        assert!(s.detail.contains("x[2J is not a function"), "{}", s.detail);
        assert!(!s.detail.chars().any(|c| c.is_control()), "{:?}", s.detail);
        let constant = "{\"smoke\":\"f(n) for n in 0..12\",\"raised\":\"Constant\",\"got\":\"0\"}\n{\"done\":true}\n";
        let s = judge(constant, "It raises nothing.").expect("judged");
        assert_eq!(s.score, 0.3);
        assert!(s.detail.contains("gives 0 every time"), "{}", s.detail);
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

    #[test]
    fn compiler_and_shell_findings_say_what_refused_and_pass_no_control_characters() {
        let built = "{\"claim\":\"the compiler\",\"code\":\"Rust\",\"expected\":\"\",\
                     \"got\":\"error[E0308]: mismatched \\u001b[31mtypes\\u0007\",\"line\":3,\"ok\":false}\n{\"done\":true}\n";
        let s = judge(built, "").expect("judged");
        assert!(s.score < 0.2, "{s:?}");
        assert!(
            s.detail.contains(
                "the Rust code does not build: error[E0308]: mismatched [31mtypes (line 3)"
            ),
            "{}",
            s.detail
        );
        assert!(!s.detail.chars().any(|c| c.is_control()), "{:?}", s.detail);
        let shell =
            "{\"claim\":\"the shell\",\"code\":\"mkdir -r b\\u001b]0;x\\u0007\",\"expected\":\"\",\
                     \"got\":\"mkdir: invalid option -- 'r'\",\"ok\":false}\n{\"done\":true}\n";
        let s = judge(shell, "").expect("judged");
        assert!(
            s.detail
                .contains("refused by its program: mkdir: invalid option -- 'r'"),
            "{}",
            s.detail
        );
        assert!(!s.detail.chars().any(|c| c.is_control()), "{:?}", s.detail);
    }

    #[test]
    fn claims_and_properties_that_held_are_told_apart() {
        let both = "{\"claim\":\"prose\",\"code\":\"f(1)\",\"expected\":\"1\",\"got\":\"1\",\"ok\":true}\n\
                    {\"claim\":\"the request\",\"code\":\"f\",\"expected\":\"\",\"got\":\"\",\"ok\":true}\n{\"done\":true}\n";
        let s = judge(both, "").expect("judged");
        assert_eq!(
            s.detail,
            "1 claimed result and 1 property of the request checked by running the code"
        );
        // A textbook pattern or a printed run that held is the request's, not a claim.
        let pattern = "{\"claim\":\"the pattern\",\"code\":\"\\\\d+\",\"expected\":\"\",\"got\":\"\",\"ok\":true}\n{\"done\":true}\n";
        let s = judge(pattern, "").expect("judged");
        assert_eq!(
            s.detail,
            "1 property of the request checked by running the code"
        );
    }

    #[test]
    fn a_run_with_more_verdicts_than_are_read_still_counts_as_finished() {
        let line = "{\"claim\":\"prose\",\"code\":\"f(1)\",\"expected\":\"1\",\"got\":\"1\",\"ok\":true}\n";
        let many = format!("{}{{\"done\":true}}\n", line.repeat(200));
        let s = judge(&many, "").expect("judged");
        assert_eq!(s.score, 1.0);
        assert!(
            s.detail.starts_with(&format!("{MAX_VERDICTS} claimed")),
            "{}",
            s.detail
        );
    }
}
