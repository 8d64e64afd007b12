//! Whether a plain SQL request is kept by the query that answers it: "all rows" answered
//! with a WHERE that drops some, "return 10 rows" answered with no limit. Only requests with
//! nothing that narrows them are read, so a WHERE the request itself implies stands.

use crate::confidence::words::has_phrase;

/// Words that narrow a request for a table's rows: a WHERE clause is then the point.
const NARROWED: &[&str] = &[
    "where",
    "whose",
    "with",
    "only",
    "filter",
    "matching",
    "than",
    "between",
    "if",
    "who",
    "join",
    "except",
    "unless",
    "when",
    "condition",
    "active",
    "by",
    "have",
    "has",
    "are",
    "contain",
    "containing",
    "equal",
    "not",
    "null",
    "missing",
    "empty",
    "duplicate",
    "recent",
    "last",
    "first",
    "older",
    "newer",
    "greater",
    "less",
    "above",
    "below",
    "over",
    "under",
];

/// What a plain SQL request (`text`, normalised) asks and the answer's query leaves out:
/// "all rows" answered with a WHERE that drops some, or "return 10 rows" answered with no
/// limit.
pub(super) fn missing(text: &str, code: &str) -> Option<String> {
    let request = text.lines().next().unwrap_or("");
    let query = code.to_ascii_lowercase();
    if !has_phrase(&query, "select") {
        return None;
    }
    let everything = [
        "all rows",
        "all columns",
        "all records",
        "every row",
        "all the rows",
    ];
    let narrowed = NARROWED.iter().any(|w| has_phrase(request, w));
    if everything.iter().any(|p| request.contains(p)) && !narrowed && has_phrase(&query, "where") {
        return Some("the prompt asks for all rows, and the query filters them with WHERE".into());
    }
    let counted = request
        .split_whitespace()
        .collect::<Vec<_>>()
        .windows(2)
        .any(|w| {
            w[0].parse::<u32>().is_ok()
                && matches!(
                    w[1].trim_end_matches(['.', ',', ':']),
                    "rows" | "records" | "results"
                )
        });
    let limited = ["limit", "top", "fetch first", "rownum"]
        .iter()
        .any(|w| has_phrase(&query, w));
    (counted && !limited)
        .then(|| "the prompt asks for a number of rows, and the query sets no limit".into())
}

#[cfg(test)]
mod tests {
    use crate::confidence::words::normalise;

    fn missing(prompt: &str, blocks: &[&str]) -> Option<String> {
        super::missing(&normalise(prompt), &blocks.join("\n"))
    }

    #[test]
    fn a_plain_sql_request_must_be_kept_by_the_query() {
        let all = "Write a SQL query that selects all rows from the table `users`.";
        assert!(missing(all, &["SELECT * FROM users WHERE username IS NULL;"]).is_some());
        assert!(missing(all, &["SELECT * FROM users;"]).is_none());
        let narrowed = "Select all rows from users where age is over 18.";
        assert!(missing(narrowed, &["SELECT * FROM users WHERE age > 18;"]).is_none());
        let ten = "Change this SQL to only return 10 rows: SELECT * FROM users ORDER BY id;";
        assert!(missing(ten, &["SELECT * FROM users WHERE id > 1000;"]).is_some());
        assert!(missing(ten, &["SELECT * FROM users ORDER BY id LIMIT 10;"]).is_none());
        assert!(missing(ten, &["SELECT TOP 10 * FROM users ORDER BY id;"]).is_none());
    }
}
