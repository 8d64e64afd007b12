//! JSON, TOML, YAML and diff blocks. The data parsers stop at the first error and say where,
//! so every line from that one on counts as broken: nothing after it was verified, and a
//! config that fails early is mostly unusable. A diff is only checked line by line.

use yaml_rust2::parser::{Event, Parser};

/// Broken rows for a parse that failed at `line` (0-based) of an `n`-line text.
fn from_line(line: usize, n: usize) -> Vec<bool> {
    (0..n).map(|i| i >= line.min(n.saturating_sub(1))).collect()
}

fn line_count(s: &str) -> usize {
    s.lines().count().max(1)
}

/// JSON, or several JSON values in a row (JSON Lines answers).
pub(crate) fn json(code: &str) -> Vec<bool> {
    let n = line_count(code);
    let stream = serde_json::Deserializer::from_str(code).into_iter::<serde::de::IgnoredAny>();
    for value in stream {
        if let Err(e) = value {
            return from_line(e.line().saturating_sub(1), n);
        }
    }
    vec![false; n]
}

pub(crate) fn toml(code: &str) -> Vec<bool> {
    let n = line_count(code);
    match code.parse::<toml::Table>() {
        Ok(_) => vec![false; n],
        Err(e) => {
            let at = e.span().map_or(0, |s| s.start.min(code.len()));
            let line = code.as_bytes()[..at]
                .iter()
                .filter(|b| **b == b'\n')
                .count();
            from_line(line, n)
        }
    }
}

/// Block nesting beyond this is not checked (neutral): yaml-rust2 loads nodes recursively
/// and bounds only flow nesting (`[[[`, at 255), so a deep enough block tree would overflow
/// the stack. Real YAML stays far below.
const MAX_YAML_DEPTH: usize = 64;

/// `None` when the YAML is too deeply nested to check safely. Syntax is checked with the
/// event parser, which builds no tree: an alias is one event, never a copy of its anchor, so
/// an anchors-and-aliases bomb ("billion laughs") costs as little as its text.
pub(crate) fn yaml(code: &str) -> Option<Vec<bool>> {
    if block_depth(code) > MAX_YAML_DEPTH {
        return None;
    }
    let n = line_count(code);
    let mut parser = Parser::new_from_str(code);
    loop {
        match parser.next_token() {
            Ok((Event::StreamEnd, _)) => return Some(vec![false; n]),
            Ok(_) => {}
            // The marker's line is 1-based.
            Err(e) => return Some(from_line(e.marker().line().saturating_sub(1), n)),
        }
    }
}

/// An upper bound on YAML block nesting: the indentation levels open at each line, plus
/// the nodes a line opens inline ("- - a", "a: b", "? k").
fn block_depth(code: &str) -> usize {
    let mut open: Vec<usize> = Vec::new();
    let mut max = 0;
    for line in code.lines() {
        let body = line.trim_start_matches(' ');
        if body.trim().is_empty() || body.starts_with('#') {
            continue;
        }
        let indent = line.len() - body.len();
        while open.last().is_some_and(|&top| top >= indent) {
            open.pop();
        }
        open.push(indent);
        let inline = ["- ", ": ", "? "]
            .iter()
            .map(|m| body.matches(m).count())
            .sum::<usize>();
        max = max.max(open.len() + inline);
    }
    max
}

/// A unified diff: every line is context, an addition, a removal, a hunk header or a file
/// header. Blank lines pass (editors strip a context line's trailing space), as do elisions.
pub(crate) fn diff(code: &str) -> Vec<bool> {
    const HEADERS: [&str; 9] = [
        "diff ",
        "index ",
        "new file",
        "deleted file",
        "similarity",
        "rename ",
        "old mode",
        "new mode",
        "Binary files",
    ];
    code.lines()
        .map(|l| {
            let ok = l.is_empty()
                || l.starts_with(['+', '-', ' ', '@', '\\', '\t'])
                || HEADERS.iter().any(|h| l.starts_with(h))
                || super::elision::is_elision_line(l);
            !ok
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn broken(rows: Vec<bool>) -> usize {
        rows.iter().filter(|b| **b).count()
    }

    #[test]
    fn json_valid_lines_and_errors() {
        assert_eq!(broken(json("{\n  \"a\": [1, 2]\n}\n")), 0);
        assert_eq!(broken(json("{\"a\": 1}\n{\"a\": 2}\n")), 0);
        assert_eq!(broken(json("{\n  \"a\": 1,\n  'b': 2\n}\n")), 2);
        assert_eq!(broken(json("{\n  \"a\": 1\n")), 1);
    }

    #[test]
    fn toml_valid_and_error_line() {
        assert_eq!(
            broken(toml("[package]\nname = \"x\"\nversion = \"0.1.0\"\n")),
            0
        );
        assert_eq!(broken(toml("[package]\nname = x\nversion = \"1\"\n")), 2);
    }

    #[test]
    fn yaml_valid_and_error_line() {
        let yaml = |s| yaml(s).expect("checked");
        assert_eq!(broken(yaml("a: 1\nb:\n  - x\n  - y\n")), 0);
        let rows = yaml("a: 1\nb: [1, 2\nc: 3\n");
        assert!(broken(rows) >= 1);
        assert_eq!(broken(yaml("a:\n  b: 1\n c: 2\n")), 1);
    }

    #[test]
    fn diff_lines() {
        assert_eq!(
            broken(diff("--- a/x\n+++ b/x\n@@ -1,2 +1,2 @@\n a\n-b\n+c\n")),
            0
        );
        assert_eq!(broken(diff("@@ -1 +1 @@\nchanged the line\n-b\n+c\n")), 1);
    }

    #[test]
    fn a_billion_laughs_document_is_checked_without_expanding_it() {
        let mut doc = String::from(
            "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n",
        );
        let names = ["a", "b", "c", "d", "e", "f", "g", "h", "i"];
        for w in names.windows(2) {
            let refs = vec![format!("*{}", w[0]); 9].join(",");
            doc.push_str(&format!("{}: &{} [{refs}]\n", w[1], w[1]));
        }
        // Expanded, the last anchor would be 9^9 (387 million) strings.
        let rows = yaml(&doc).expect("checked");
        assert_eq!(broken(rows), 0);
        // And a broken one still says where.
        let rows = yaml(&format!("{doc}j: [*i,\n")).expect("checked");
        assert!(broken(rows) >= 1);
    }

    #[test]
    fn hostile_input_does_not_panic() {
        let deep = "[".repeat(100_000);
        let flow = "{a: ".repeat(20_000);
        let toml_deep = format!("a = {}", "[".repeat(100_000));
        let toml_tables = format!("a = {}", "{b = ".repeat(50_000));
        let yaml_block: String = (0..3_000)
            .map(|i| format!("{}k:\n", " ".repeat(i)))
            .collect();
        for s in [
            toml_deep.as_str(),
            toml_tables.as_str(),
            yaml_block.as_str(),
            "",
            "\0",
            deep.as_str(),
            flow.as_str(),
            "a = [[[[[[[[[[",
            "é: \"\\u{d800}\"",
        ] {
            let _ = (json(s), toml(s), yaml(s), diff(s));
        }
        assert!(yaml(&yaml_block).is_none());
        // As deep as is checked, with flow nesting at yaml-rust2's own limit on top.
        let mut deepest: String = (0..60).map(|i| format!("{}k:\n", " ".repeat(i))).collect();
        deepest += &format!(
            "{}k: {}1{}\n",
            " ".repeat(60),
            "[".repeat(250),
            "]".repeat(250)
        );
        assert!(yaml(&deepest).is_some());
        let compact = format!("{}x\n", "- ".repeat(5_000));
        assert!(yaml(&compact).is_none());
        let fine = "a:\n  b:\n    - c: 1\n      d: [1, 2]\n";
        assert_eq!(block_depth(fine), 5);
        {}
    }
}
