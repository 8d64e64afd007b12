//! Shortening: the head of a text within a byte budget (cut on a character boundary), and
//! a count as people read it on a status line ("1.2k").

/// At most `max` bytes of the start of `text`, cut at a character boundary.
pub fn head(text: &str, max: usize) -> &str {
    if text.len() <= max {
        return text;
    }
    let mut cut = max;
    while !text.is_char_boundary(cut) {
        cut -= 1;
    }
    &text[..cut]
}

/// At most `max` bytes of the end of `text`, from a character boundary.
pub fn tail(text: &str, max: usize) -> &str {
    let mut start = text.len().saturating_sub(max);
    while !text.is_char_boundary(start) {
        start += 1;
    }
    &text[start..]
}

/// 999 → "999", 1234 → "1.2k".
pub fn count(n: u64) -> String {
    if n < 1000 {
        n.to_string()
    } else {
        format!("{:.1}k", n as f64 / 1000.0)
    }
}

/// "1 file", "2 files": a count with its noun, `s` added for any count but one.
pub fn counted(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heads_cut_on_characters_and_counts_read_short() {
        assert_eq!(head("short", 10), "short");
        assert_eq!(tail("short", 3), "ort");
        assert_eq!(tail("aé", 1), "");
        assert_eq!(tail("aé", 2), "é");
        assert_eq!(head("ééé", 3), "é");
        assert_eq!(head("", 0), "");
        assert_eq!(count(999), "999");
        assert_eq!(count(3150), "3.1k");
        assert_eq!(
            (counted(1, "file"), counted(0, "file")),
            ("1 file".into(), "0 files".into())
        );
    }
}
