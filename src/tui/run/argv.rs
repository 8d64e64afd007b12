//! `/run` splits what the user typed into words the way a POSIX shell would, so that what
//! runs is what they meant to type in a terminal: `'…'` is literal, `"…"` is literal but
//! for `\"`, `\\`, `` \` `` and `\$`, and a backslash outside quotes takes the next
//! character as it is. Nothing is expanded (no variables, no globs, no `~`): the words go to
//! the sandbox as argv, never through a shell (DESIGN.md, "Acting on code").

/// The words of `line`; `Err` is a sentence for the status bar (an unclosed quote, a
/// backslash with nothing after it).
pub fn split(line: &str) -> Result<Vec<String>, String> {
    let mut words = Vec::new();
    // The word being built; `None` between words (so `""` still makes an empty word).
    let mut word: Option<String> = None;
    let mut chars = line.chars().enumerate();
    while let Some((at, c)) = chars.next() {
        match c {
            c if c.is_whitespace() => words.extend(word.take()),
            '\'' => {
                let w = word.get_or_insert_with(String::new);
                single_quoted(&mut chars, w).ok_or_else(|| unclosed('\'', at))?;
            }
            '"' => {
                let w = word.get_or_insert_with(String::new);
                double_quoted(&mut chars, w).ok_or_else(|| unclosed('"', at))?;
            }
            '\\' => match chars.next() {
                // A backslash before a line break joins the lines, as in a shell.
                Some((_, '\n')) => {}
                Some((_, next)) => word.get_or_insert_with(String::new).push(next),
                None => return Err(
                    "/run: the command ends with a backslash; double it (\\\\) for a literal one."
                        .into(),
                ),
            },
            c => word.get_or_insert_with(String::new).push(c),
        }
    }
    words.extend(word);
    Ok(words)
}

/// Up to the closing `'`; `None` when there is none.
fn single_quoted(chars: &mut impl Iterator<Item = (usize, char)>, word: &mut String) -> Option<()> {
    for (_, c) in chars {
        if c == '\'' {
            return Some(());
        }
        word.push(c);
    }
    None
}

/// Up to the closing `"`, with the escapes a shell keeps inside double quotes; `None` when
/// there is no closing quote.
fn double_quoted(chars: &mut impl Iterator<Item = (usize, char)>, word: &mut String) -> Option<()> {
    while let Some((_, c)) = chars.next() {
        match c {
            '"' => return Some(()),
            '\\' => match chars.next()?.1 {
                e @ ('"' | '\\' | '$' | '`') => word.push(e),
                '\n' => {}
                other => {
                    word.push('\\');
                    word.push(other);
                }
            },
            c => word.push(c),
        }
    }
    None
}

fn unclosed(quote: char, at: usize) -> String {
    format!(
        "/run: the {quote} quote at character {} is never closed; close it, or put a \\ before it for a literal {quote}.",
        at + 1
    )
}

/// `argv` as a shell line that splits back into the same words, for showing what ran:
/// words with spaces or shell characters are single-quoted.
pub fn join(argv: &[String]) -> String {
    argv.iter().map(|w| quote(w)).collect::<Vec<_>>().join(" ")
}

fn quote(word: &str) -> String {
    let plain = |c: char| c.is_alphanumeric() || "-_./=:,+@%^".contains(c);
    if !word.is_empty() && word.chars().all(plain) {
        return word.to_owned();
    }
    format!("'{}'", word.replace('\'', r"'\''"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(line: &str) -> Vec<String> {
        match split(line) {
            Ok(w) => w,
            Err(e) => panic!("{line:?}: {e}"),
        }
    }

    #[test]
    fn splits_on_whitespace() {
        assert_eq!(words("echo hi"), ["echo", "hi"]);
        assert_eq!(words("  cargo\ttest   --lib  "), ["cargo", "test", "--lib"]);
    }

    #[test]
    fn an_empty_line_has_no_words() {
        assert!(words("").is_empty());
        assert!(words("   \t ").is_empty());
    }

    #[test]
    fn quotes_keep_spaces_and_join_with_what_touches_them() {
        assert_eq!(
            words(r#"sh -c "echo hello-from-sandbox; exit 3""#),
            ["sh", "-c", "echo hello-from-sandbox; exit 3"]
        );
        assert_eq!(words("grep 'a  b' x"), ["grep", "a  b", "x"]);
        assert_eq!(words(r#"a'b c'"d e"f"#), ["ab cd ef"]);
        assert_eq!(words(r#"echo "" ''"#), ["echo", "", ""]);
    }

    #[test]
    fn single_quotes_are_literal() {
        assert_eq!(words(r#"echo '$HOME \n "x"'"#), ["echo", r#"$HOME \n "x""#]);
    }

    #[test]
    fn backslashes_escape_as_in_a_shell() {
        assert_eq!(words(r"echo a\ b \'c\' \\"), ["echo", "a b", "'c'", r"\"]);
        assert_eq!(
            words(r#"echo "say \"hi\" \$x \\ \n""#),
            ["echo", r#"say "hi" $x \ \n"#]
        );
        assert_eq!(words("echo a\\\nb"), ["echo", "ab"]);
    }

    #[test]
    fn nothing_is_expanded() {
        assert_eq!(words("echo $HOME *.rs ~"), ["echo", "$HOME", "*.rs", "~"]);
    }

    #[test]
    fn an_unbalanced_quote_is_a_clear_error() {
        let e = split(r#"sh -c "echo hi"#).unwrap_err();
        assert!(e.contains("\" quote at character 7 is never closed"), "{e}");
        let e = split("echo 'it").unwrap_err();
        assert!(e.contains("' quote at character 6"), "{e}");
        let e = split(r"echo a\").unwrap_err();
        assert!(e.contains("ends with a backslash"), "{e}");
        assert!(split(r#"echo "a\"#).is_err(), "an escaped closing quote");
    }

    #[test]
    fn join_quotes_what_split_would_break_up() {
        for line in [
            r#"sh -c "echo hi; exit 3""#,
            "echo 'it'\\''s' \"\" plain/path.rs",
            "printf '%s\\n' a",
        ] {
            let argv = words(line);
            assert_eq!(words(&join(&argv)), argv, "{line}");
        }
        assert_eq!(join(&words(r#"sh -c "echo hi""#)), "sh -c 'echo hi'");
        assert_eq!(join(&words("cargo test --lib")), "cargo test --lib");
    }
}
