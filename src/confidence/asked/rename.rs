//! A rename the prompt asks for, checked in the draft's code. The request is read from the
//! prompt's words ("rename `calc` to `compute_total`", "renommer calc en total", "change the
//! name of calc to total"); the draft's blocks that use the new name must no longer use the
//! old one in code (comments and strings aside): one missed call site is a NameError.

use crate::confidence::code_line::{before_comment, blank_strings};
use crate::confidence::words::{find_phrase, has_phrase};

/// Words that start a rename request, in the languages the router reads.
const VERBS: &[&str] = &[
    "rename",
    "renaming",
    "change the name of",
    "renommer",
    "renomme",
    "renommez",
    "renombrar",
    "renombra",
    "renombre",
];
/// Words between the verb and the old name ("rename the local variable `x`").
const FILLER: &[&str] = &[
    "the",
    "an",
    "this",
    "my",
    "our",
    "local",
    "function",
    "variable",
    "method",
    "class",
    "field",
    "parameter",
    "param",
    "argument",
    "attribute",
    "column",
    "property",
    "constant",
    "const",
    "struct",
    "type",
    "la",
    "le",
    "les",
    "l",
    "fonction",
    "méthode",
    "classe",
    "el",
    "función",
    "funcion",
    "método",
    "metodo",
    "clase",
];
/// Words between the old name and the new one.
const CONNECTORS: &[&str] = &["to", "into", "as", "->", "→", "=>", "en", "a", "por"];
/// Words after the new name that narrow the rename to one place: the old name may stay
/// elsewhere.
const ONLY: &[&str] = &["only", "just", "seulement", "solo", "uniquement"];
const WITHIN: &[&str] = &["in", "inside", "within", "dans", "en"];
/// What follows "in" when the whole code is meant ("in this file", "in the code below").
const WHOLE: &[&str] = &[
    "this",
    "the",
    "my",
    "our",
    "all",
    "every",
    "following",
    "file",
    "code",
    "module",
    "project",
    "codebase",
    "snippet",
    "below",
    "ce",
    "le",
    "el",
    "este",
];

/// What the draft missed of the rename the prompt asks for, if it asks for one.
pub(super) fn missed(prompt: &str, blocks: &[&str]) -> Option<String> {
    let ask = request(prompt)?;
    let code: Vec<String> = blocks.iter().map(|b| code_only(b)).collect();
    let renamed: Vec<&String> = code.iter().filter(|c| has_phrase(c, &ask.new)).collect();
    if renamed.is_empty() {
        return Some(format!(
            "the prompt asks to rename `{}` to `{}`, and the code never uses `{}`",
            ask.old, ask.new, ask.new
        ));
    }
    let left = renamed.iter().any(|c| has_phrase(c, &ask.old));
    (left && !ask.scoped).then(|| {
        format!(
            "the prompt asks to rename `{}` to `{}`, and the code still uses `{}`",
            ask.old, ask.new, ask.old
        )
    })
}

#[derive(Debug, PartialEq)]
struct Rename {
    old: String,
    new: String,
    /// The prompt narrows the rename to one place.
    scoped: bool,
}

fn request(prompt: &str) -> Option<Rename> {
    let lower = prompt.to_lowercase();
    let at = VERBS
        .iter()
        .filter_map(|v| find_phrase(&lower, v).map(|i| i + v.len()))
        .min()?;
    // Lowercasing keeps byte offsets for the ASCII that names are made of; a prompt where it
    // does not is not read.
    let rest = prompt.get(at..)?;
    let tokens: Vec<&str> = rest.split_whitespace().take(12).collect();
    let mut i = 0;
    while i < tokens.len() && i < 4 && FILLER.contains(&clean(tokens[i]).to_lowercase().as_str()) {
        i += 1;
    }
    let old = identifier(tokens.get(i)?)?;
    let connector = tokens.get(i + 1)?.to_lowercase();
    if !CONNECTORS.contains(&connector.as_str()) {
        return None;
    }
    let new = identifier(tokens.get(i + 2)?)?;
    // "… to `total` in:" introduces the code that follows: the whole of it, so the colon
    // stays on the word and no scope is read.
    let after: Vec<String> = tokens
        .get(i + 3..)
        .unwrap_or(&[])
        .iter()
        .take(4)
        .map(|t| {
            let w = clean(t).to_lowercase();
            if t.ends_with(':') {
                w + ":"
            } else {
                w
            }
        })
        .collect();
    (old != new).then_some(Rename {
        old,
        new,
        scoped: narrowed(&after),
    })
}

/// The words after the new name narrow the rename: "only", or "in `parse`" (not "in this
/// file").
fn narrowed(after: &[String]) -> bool {
    after.iter().any(|w| ONLY.contains(&w.as_str()))
        || after
            .windows(2)
            .any(|p| WITHIN.contains(&p[0].as_str()) && !WHOLE.contains(&p[1].as_str()))
}

/// A token without the quotes, backticks and punctuation around it.
fn clean(token: &str) -> &str {
    token.trim_matches(|c: char| !(c.is_alphanumeric() || c == '_' || c == '.'))
}

/// A code name: letters, digits, `_` (and `.` inside), not starting with a digit.
fn identifier(token: &str) -> Option<String> {
    let t = clean(token).trim_end_matches('.');
    let t = t.strip_suffix("()").unwrap_or(t);
    let first = t.chars().next()?;
    let ok = (first.is_alphabetic() || first == '_')
        && t.chars()
            .all(|c| c.is_alphanumeric() || c == '_' || c == '.')
        && t.len() <= 80;
    ok.then(|| t.rsplit('.').next().unwrap_or(t).to_owned())
}

/// A block with string contents and line comments blanked: a name that only a comment or a
/// message still holds is not a use.
fn code_only(block: &str) -> String {
    block
        .lines()
        .flat_map(|l| {
            [
                blank_strings(before_comment(l, &["#", "//", "-- "])),
                "\n".into(),
            ]
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ask(prompt: &str) -> Option<(String, String, bool)> {
        request(prompt).map(|r| (r.old, r.new, r.scoped))
    }

    #[test]
    fn rename_requests_are_read_in_their_usual_forms() {
        let want = Some(("calc".to_owned(), "compute_total".to_owned(), false));
        assert_eq!(
            ask("Rename the function `calc` to `compute_total` everywhere:"),
            want
        );
        assert_eq!(ask("please rename calc() -> compute_total()"), want);
        assert_eq!(ask("Change the name of calc to compute_total."), want);
        assert_eq!(ask("Renommer la fonction calc en compute_total"), want);
        assert_eq!(
            ask("Rename x to count in foo only").map(|r| r.2),
            Some(true)
        );
        assert_eq!(
            ask("Rename the variable `tmp` to `total` in:\n\ntmp = 0\nprint(tmp)"),
            Some(("tmp".into(), "total".into(), false)),
            "\"in:\" introduces the code, all of it"
        );
        assert_eq!(
            ask("Rename self.n to self.count"),
            Some(("n".into(), "count".into(), false))
        );
        assert_eq!(ask("Why does renaming break my imports?"), None);
        assert_eq!(ask("Add a docstring to calc"), None);
    }

    #[test]
    fn a_missed_call_site_or_a_missing_new_name_is_named() {
        let prompt = "Rename `calc` to `total` in this file:\n```python\ndef calc(x):\n    return x\nprint(calc(1))\n```";
        let done = "def total(x):\n    return x\n# was calc\nprint(total(1), 'calc')\n";
        assert_eq!(missed(prompt, &[done]), None);
        let half = "def total(x):\n    return x\nprint(calc(1))\n";
        assert!(missed(prompt, &[half]).is_some_and(|d| d.contains("still uses `calc`")));
        let none = "def calc(x):\n    return x\n";
        assert!(missed(prompt, &[none]).is_some_and(|d| d.contains("never uses")));
        let before_after = ["def calc(x): pass", "def total(x): pass"];
        assert_eq!(
            missed(prompt, &before_after),
            None,
            "a before block is not the change"
        );
        let longer = "def total(x):\n    return calc_tax(x)\n";
        assert_eq!(
            missed(prompt, &[longer]),
            None,
            "a longer name is another name"
        );
    }
}
