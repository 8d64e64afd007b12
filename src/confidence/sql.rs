//! SQL blocks, checked for the mistakes every dialect rejects rather than parsed with one
//! dialect's grammar: a comma left before a clause keyword (`avg_salary,` then `FROM`),
//! parentheses that do not pair, and a string left open. PostgreSQL, MySQL, SQLite, SQL
//! Server and Oracle all refuse each of these; a full parser of one dialect would reject the
//! others' valid syntax (`::int`, backticks, `AUTO_INCREMENT`).

use super::code_line::before_comment;

/// Keywords that start a clause: a list before one must not end with a comma.
const CLAUSES: [&str; 10] = [
    "from", "where", "group", "order", "having", "limit", "union", "join", "on", "values",
];
/// Words that start a join only when `join` follows (`RIGHT(name, 3)` is a column).
const JOIN_KINDS: [&str; 5] = ["left", "right", "inner", "full", "cross"];

/// For each line of `code`, whether it is broken.
pub(crate) fn broken_rows(code: &str) -> Vec<bool> {
    let lines: Vec<&str> = code.lines().map(|l| before_comment(l, &["--"])).collect();
    let mut rows = vec![false; lines.len().max(1)];
    trailing_commas(&lines, &mut rows);
    // Dollar-quoted bodies (PostgreSQL functions) hold another language: pairs are not
    // counted across them.
    if !code.contains('$') {
        unpaired(&lines, &mut rows);
    }
    rows
}

/// A line ending in a comma whose next code line starts a clause or closes the list.
fn trailing_commas(lines: &[&str], rows: &mut [bool]) {
    let code: Vec<(usize, &str)> = lines
        .iter()
        .enumerate()
        .map(|(i, l)| (i, l.trim()))
        .filter(|(_, l)| !l.is_empty())
        .collect();
    for pair in code.windows(2) {
        let ((i, line), (_, next)) = (pair[0], pair[1]);
        if line.ends_with(',') && (starts_clause(next) || next.starts_with([')', ';'])) {
            rows[i] = true;
        }
    }
    // A list left open at the end of the block: `ORDER BY n DESC,` and nothing after.
    if let Some((i, last)) = code.last() {
        if last.ends_with(',') {
            rows[*i] = true;
        }
    }
}

fn starts_clause(line: &str) -> bool {
    let lower = line.to_ascii_lowercase();
    let mut words = lower.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'));
    let first = words.next().unwrap_or("");
    CLAUSES.contains(&first) || (JOIN_KINDS.contains(&first) && words.take(2).any(|w| w == "join"))
}

/// Marks the line where a `)` closes nothing, and the last line of a block that leaves a
/// parenthesis or a string open.
fn unpaired(lines: &[&str], rows: &mut [bool]) {
    let mut depth: i64 = 0;
    let mut quote: Option<char> = None;
    let mut open_at = 0;
    for (i, line) in lines.iter().enumerate() {
        let mut chars = line.chars().peekable();
        while let Some(c) = chars.next() {
            match quote {
                Some(q) if c == q => {
                    // A doubled quote is an escaped one.
                    if chars.peek() == Some(&q) {
                        chars.next();
                    } else {
                        quote = None;
                    }
                }
                Some(_) => {}
                None => match c {
                    '\'' | '"' | '`' => {
                        quote = Some(c);
                        open_at = i;
                    }
                    '(' => depth += 1,
                    ')' => {
                        depth -= 1;
                        if depth < 0 {
                            rows[i] = true;
                            depth = 0;
                        }
                    }
                    _ => {}
                },
            }
        }
    }
    let last = lines.iter().rposition(|l| !l.trim().is_empty());
    if let (Some(_), Some(_)) = (quote, last) {
        rows[open_at] = true;
    } else if let (true, Some(last)) = (depth > 0, last) {
        rows[last] = true;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn broken(code: &str) -> usize {
        broken_rows(code).iter().filter(|b| **b).count()
    }

    #[test]
    fn valid_sql_of_several_dialects_passes() {
        for code in [
            "SELECT d.name,\n       AVG(e.salary) AS avg_salary -- per department\nFROM employees e\nJOIN departments d ON d.id = e.dept_id\nGROUP BY d.name;",
            "CREATE TABLE users (\n  id SERIAL PRIMARY KEY,\n  name TEXT NOT NULL,\n  note TEXT DEFAULT 'it''s (fine'\n);",
            "SELECT `id`, price::numeric FROM t WHERE a IN (1, 2,\n  3);",
            "INSERT INTO t (a, b)\nVALUES (1, 'x'),\n       (2, 'y');",
            "CREATE FUNCTION f() RETURNS int AS $$\nBEGIN RETURN (1; END;\n$$ LANGUAGE plpgsql;",
        ] {
            assert_eq!(broken(code), 0, "{code}");
        }
    }

    #[test]
    fn trailing_commas_unpaired_parentheses_and_open_strings_are_broken() {
        let comma = "SELECT d.name,\n       AVG(e.salary) AS avg_salary,\nFROM employees e\nGROUP BY d.name;";
        assert_eq!(broken_rows(comma), vec![false, true, false, false]);
        assert_eq!(broken("CREATE TABLE t (\n  id INT,\n  name TEXT,\n);"), 1);
        assert_eq!(broken("SELECT COUNT(*)) FROM t;"), 1);
        assert_eq!(
            broken("SELECT a,\n  left_col,\n  RIGHT(name, 3)\nFROM t;"),
            0
        );
        assert_eq!(broken("SELECT a,\nLEFT JOIN b ON a.id = b.id;"), 1);
        assert_eq!(broken("SELECT * FROM t WHERE id IN (1, 2;"), 1);
        assert_eq!(broken("SELECT * FROM t WHERE name = 'bob;\n"), 1);
        assert_eq!(
            broken("SELECT a, COUNT(*) AS n\nFROM t\nGROUP BY a\nORDER BY n DESC,\n"),
            1
        );
    }
}
