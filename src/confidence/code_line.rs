//! One line of code as the line-based checks read it: without its trailing comment, and
//! with what its string literals hold blanked. A line cannot tell a quote that opens a
//! multi-line string from one that closes it, so both are best efforts, shared by every
//! check that reads code a line at a time (`hazards`, `sql`, the rename check of `asked`).

/// The quotes a string literal may open with.
const QUOTES: [char; 3] = ['"', '\'', '`'];

/// `line` before the first of `markers` (`#`, `//`, `--`) that is not inside a string.
pub(crate) fn before_comment<'a>(line: &'a str, markers: &[&str]) -> &'a str {
    let mut quote: Option<char> = None;
    for (i, c) in line.char_indices() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None if QUOTES.contains(&c) => quote = Some(c),
            None if markers.iter().any(|m| line[i..].starts_with(m)) => return &line[..i],
            None => {}
        }
    }
    line
}

/// `line` with what its quotes hold taken out: `say("a == b")` becomes `say("")`.
pub(crate) fn blank_strings(line: &str) -> String {
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
                if QUOTES.contains(&c) {
                    quote = Some(c);
                }
                out.push(c);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comments_end_the_code_unless_quoted_and_strings_are_blanked() {
        assert_eq!(before_comment("x = 1  # one", &["#"]), "x = 1  ");
        assert_eq!(before_comment("s = '#' # c", &["#"]), "s = '#' ");
        assert_eq!(before_comment("a -- b", &["--"]), "a ");
        assert_eq!(
            before_comment("url = \"http://x\" // y", &["//"]),
            "url = \"http://x\" "
        );
        assert_eq!(blank_strings("say(\"a == b\", 'c')"), "say(\"\", '')");
    }
}
