//! Elisions: the `...`, `// ...existing code...` and `# rest unchanged` marks answers use to
//! skip code. They are not syntax errors in the answer, so they are blanked before parsing.
//! Lines keep their numbers and bytes their offsets, so errors still map to the answer.

/// How a language wants an elided line replaced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Style {
    /// Blank the line and inline `...` marks (`{ ... }` → `{     }`).
    Blank,
    /// Python: an elided line may be a block's only statement, so it becomes `...` (a valid
    /// statement) at the same indentation; inline `...` is valid Python and is kept.
    Python,
    /// JSON: as Blank, and a comma left before `}` or `]` by a removed line is dropped.
    Json,
}

pub(crate) fn strip(code: &str, style: Style) -> String {
    let mut out = String::with_capacity(code.len() + 1);
    for line in code.lines() {
        if is_elision_line(line) {
            if style == Style::Python {
                let indent = line.len() - line.trim_start().len();
                out.push_str(&line[..indent]);
                out.push_str("...");
            }
        } else if style == Style::Python {
            out.push_str(line);
        } else {
            if line.contains("...") || line.contains('…') {
                out.push_str(&blank_inline(line));
            } else {
                out.push_str(line);
            }
        }
        out.push('\n');
    }
    if style == Style::Json {
        out = drop_dangling_commas(&out);
    }
    out
}

/// A line that only says code was left out: dots alone, or a comment about omitted code.
pub(crate) fn is_elision_line(line: &str) -> bool {
    let t = line.trim();
    if t.is_empty() {
        return false;
    }
    if t.chars().all(|c| c == '.' || c == '…' || c.is_whitespace()) {
        return t.contains("...") || t.contains('…');
    }
    let Some(body) = comment_body(t) else {
        return false;
    };
    let body = body.to_ascii_lowercase();
    body.contains("...")
        || body.contains('…')
        || [
            "existing code",
            "rest of",
            "unchanged",
            "omitted",
            "snip",
            "same as before",
        ]
        .iter()
        .any(|w| body.contains(w))
}

fn comment_body(t: &str) -> Option<&str> {
    ["//", "#", "/*", "<!--", "--", ";"]
        .iter()
        .find_map(|m| t.strip_prefix(m))
}

/// Blanks an inline `...` or `…` standing for omitted code: one between brackets, commas or
/// spaces. A spread (`...args`, `[...a]`) or Go variadic (`xs...`, `...int`) touches a name
/// on one side and is kept.
fn blank_inline(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut rest = line;
    let mut prev: Option<char> = None;
    while let Some(c) = rest.chars().next() {
        let mark = if rest.starts_with("...") && !rest.starts_with("....") {
            3
        } else if c == '…' {
            c.len_utf8()
        } else {
            0
        };
        if mark > 0 && opens(prev) && closes(rest[mark..].chars().next()) {
            out.push_str(&" ".repeat(mark));
            rest = &rest[mark..];
            prev = Some(' ');
            continue;
        }
        out.push(c);
        rest = &rest[c.len_utf8()..];
        prev = Some(c);
    }
    out
}

fn opens(prev: Option<char>) -> bool {
    prev.is_none_or(|c| c.is_whitespace() || "{[(,=:".contains(c))
}

fn closes(next: Option<char>) -> bool {
    next.is_none_or(|c| c.is_whitespace() || "}]),;".contains(c))
}

/// `"a": 1,` followed (after blanks) by `}` or `]` loses its comma.
fn drop_dangling_commas(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = String::with_capacity(s.len());
    for (i, c) in s.char_indices() {
        if c == ',' {
            let next = bytes[i + 1..].iter().find(|b| !b.is_ascii_whitespace());
            if matches!(next, Some(b'}') | Some(b']')) {
                out.push(' ');
                continue;
            }
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_elision_lines() {
        for l in [
            "...",
            "  …",
            "// ...existing code...",
            "    # ... rest unchanged",
            "/* ... */",
            "// rest of the file unchanged",
            "<!-- ... -->",
        ] {
            assert!(is_elision_line(l), "{l}");
        }
        for l in [
            "",
            "x = 1",
            "// add one",
            "#[derive(Debug)]",
            "a..b",
            "// see docs",
        ] {
            assert!(!is_elision_line(l), "{l}");
        }
    }

    #[test]
    fn blanks_lines_and_inline_marks() {
        assert_eq!(
            strip("fn f() { ... }\n...\n", Style::Blank),
            "fn f() {     }\n\n"
        );
        assert_eq!(
            strip("f(...args);\n[...a]\n[...]\n", Style::Blank),
            "f(...args);\n[...a]\n[   ]\n"
        );
        assert_eq!(
            strip("func f(xs ...int) { g(xs...) }\n", Style::Blank),
            "func f(xs ...int) { g(xs...) }\n"
        );
    }

    #[test]
    fn python_keeps_a_statement() {
        assert_eq!(
            strip("def f():\n    # ...\n", Style::Python),
            "def f():\n    ...\n"
        );
    }

    #[test]
    fn json_drops_dangling_commas() {
        let s = strip("{\n  \"a\": 1,\n  // ...\n}\n", Style::Json);
        assert!(serde_json::from_str::<serde_json::Value>(&s).is_ok(), "{s}");
    }
}
