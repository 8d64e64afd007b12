//! Text bound for a terminal. Model output, server messages and stored history are
//! untrusted (DESIGN.md, "Untrusted input"): an escape sequence in them could move the
//! cursor, retitle the window, end a bracketed paste early or hide text. What goes to a
//! terminal keeps tabs and newlines and loses every other C0 control, DEL, every C1
//! control (U+0080–U+009F, which some terminals obey like ESC sequences) and the Unicode
//! bidirectional controls that reorder what is shown. Piped output stays byte-exact.

/// True for a character that must not reach a terminal.
pub fn is_unsafe(c: char) -> bool {
    match c {
        '\t' | '\n' => false,
        '\u{0}'..='\u{1f}' | '\u{7f}'..='\u{9f}' => true,
        // Bidi embeddings, overrides and isolates, and the marks.
        '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200e}' | '\u{200f}' => true,
        _ => false,
    }
}

/// `text` without the characters [`is_unsafe`] names. A carriage return before a newline
/// goes too; a lone one, which would overwrite the line, as well.
pub fn clean(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.chars().any(is_unsafe) {
        return std::borrow::Cow::Borrowed(text);
    }
    std::borrow::Cow::Owned(text.chars().filter(|c| !is_unsafe(*c)).collect())
}

/// One line for a terminal's cell buffer (the chat, the code pane): tabs become `tab`, and a
/// newline goes with everything [`is_unsafe`] names. The buffer would drop C0 and C1 itself,
/// but not the bidi controls, which reorder what the terminal shows.
pub fn line<'a>(text: &'a str, tab: &str) -> std::borrow::Cow<'a, str> {
    let special = |c: char| c == '\t' || c == '\n' || is_unsafe(c);
    if !text.chars().any(special) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c == '\t' {
            out.push_str(tab);
        } else if !special(c) {
            out.push(c);
        }
    }
    std::borrow::Cow::Owned(out)
}

/// A command as the user is asked about it, one terminal line per line: the words joined
/// by spaces, and an argument that holds code (a demonstration's `python3 -c CODE`) shown
/// as its own lines rather than run together. At most `max` lines, the last saying how
/// many more there are; each is cleaned with [`line`].
pub fn command_lines(argv: &[String], max: usize) -> Vec<String> {
    let joined = argv.join(" ");
    let all: Vec<&str> = joined.trim_end_matches('\n').split('\n').collect();
    let max = max.max(2);
    let mut out: Vec<String> = all
        .iter()
        .take(if all.len() > max { max - 1 } else { max })
        .map(|l| line(l, "    ").into_owned())
        .collect();
    if all.len() > max {
        out.push(format!("… {} more lines", all.len() - (max - 1)));
    }
    out
}

/// A JSON line with C1 controls escaped too: serde_json escapes C0 only, and a terminal
/// showing `--json` output would obey a raw U+009B (CSI). The escapes are valid JSON, and
/// those characters can only stand inside strings.
pub fn escape_c1_in_json(line: &str) -> std::borrow::Cow<'_, str> {
    if !line.chars().any(|c| ('\u{80}'..='\u{9f}').contains(&c)) {
        return std::borrow::Cow::Borrowed(line);
    }
    let mut out = String::with_capacity(line.len() + 16);
    for c in line.chars() {
        if ('\u{80}'..='\u{9f}').contains(&c) {
            out.push_str(&format!("\\u{:04x}", c as u32));
        } else {
            out.push(c);
        }
    }
    std::borrow::Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::command_lines;

    #[test]
    fn code_in_a_command_shows_as_its_own_lines_capped_and_cleaned() {
        let argv = vec![
            "python3".to_owned(),
            "-c".to_owned(),
            "import x\nassert x.f() == 1\x1b[2J\n".to_owned(),
        ];
        assert_eq!(
            command_lines(&argv, 10),
            ["python3 -c import x", "assert x.f() == 1[2J"]
        );
        let long: Vec<String> = vec!["sh".into(), "-c".into(), "echo\n".repeat(30)];
        let shown = command_lines(&long, 5);
        assert_eq!(shown.len(), 5);
        assert_eq!(shown[4], "… 26 more lines");
        assert_eq!(command_lines(&["true".to_owned()], 5), ["true"]);
    }

    use super::*;

    #[test]
    fn escapes_and_controls_are_dropped_and_text_kept() {
        let hostile = "ok\x1b]0;owned\x07 \x1b[2Jtext\u{9b}31m\u{202e}gnp.exe\r\n\tend\x7f";
        assert_eq!(clean(hostile), "ok]0;owned [2Jtext31mgnp.exe\n\tend");
        assert!(matches!(
            clean("plain\ttext\n"),
            std::borrow::Cow::Borrowed(_)
        ));
        assert_eq!(clean("naïve – 日本語 😀"), "naïve – 日本語 😀");
    }

    #[test]
    fn a_display_line_expands_tabs_and_loses_controls_and_bidi() {
        assert_eq!(line("a\tb\u{202e}c\x1b[0m\n", "  "), "a  bc[0m");
        assert!(matches!(line("plain", "  "), std::borrow::Cow::Borrowed(_)));
    }

    #[test]
    fn json_lines_get_c1_escaped_and_stay_json() {
        let v = serde_json::json!({ "text": "a\u{9b}31mb\u{85}" });
        let line = serde_json::to_string(&v).expect("json");
        assert!(line.contains('\u{9b}'), "serde_json leaves C1 raw");
        let safe = escape_c1_in_json(&line);
        assert!(!safe.chars().any(|c| ('\u{80}'..='\u{9f}').contains(&c)));
        let back: serde_json::Value = serde_json::from_str(&safe).expect("still JSON");
        assert_eq!(back, v);
    }
}
