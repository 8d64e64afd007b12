//! Display width: how many terminal cells text takes. CJK ideographs and most emoji take
//! two, combining marks none; counting chars overflows a pane by the difference.
//!
//! Widths are summed per grapheme (user-perceived character) with `unicode-width`, the way
//! ratatui's buffer places them, so text clipped here never measures wider when drawn.

use unicode_segmentation::UnicodeSegmentation;
use unicode_width::UnicodeWidthStr;

/// The cells `s` takes on one line.
pub fn width(s: &str) -> usize {
    graphemes(s).map(|(_, w)| w).sum()
}

/// Each grapheme of `s` with its width in cells. Line feeds are skipped: the buffer draws
/// none.
pub fn graphemes(s: &str) -> impl Iterator<Item = (&str, usize)> {
    s.graphemes(true)
        .filter(|g| *g != "\n")
        .map(|g| (g, g.width()))
}

/// The longest start of `s` that fits in `cells`, and the rest. A wide grapheme that
/// would straddle the edge goes to the rest whole.
pub fn split_at_width(s: &str, cells: usize) -> (&str, &str) {
    let mut used = 0;
    for (i, g) in s.grapheme_indices(true) {
        let w = g.width();
        if used + w > cells {
            return (&s[..i], &s[i..]);
        }
        used += w;
    }
    (s, "")
}

/// `s` cut to at most `cells` cells, ending in '…' when anything was cut.
pub fn clip(s: &str, cells: usize) -> String {
    if width(s) <= cells {
        return s.to_owned();
    }
    let (head, _) = split_at_width(s, cells.saturating_sub(1));
    let mut out = head.to_owned();
    if cells > 0 {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wide_characters_take_two_cells() {
        assert_eq!(width("abc"), 3);
        assert_eq!(width("日本語"), 6);
        assert_eq!(width("ok 👍"), 5);
        // A combining accent adds nothing; a ZWJ family is one wide grapheme.
        assert_eq!(width("e\u{301}"), 1);
        assert_eq!(width("👨‍👩‍👧"), 2);
        assert_eq!(width(""), 0);
    }

    #[test]
    fn clip_counts_cells_not_chars() {
        // Five chars, ten cells: counting chars said it fit in six.
        assert_eq!(clip("日本語です", 6), "日本…");
        assert_eq!(width(&clip("日本語です", 6)), 5);
        assert_eq!(clip("日本語です", 10), "日本語です");
        assert_eq!(clip("hello world", 8), "hello w…");
        assert_eq!(clip("hello", 5), "hello");
        assert_eq!(clip("hello", 0), "");
        // A wide char that would straddle the edge is left out, not half drawn.
        assert_eq!(clip("a日本", 3), "a…");
        assert_eq!(clip("👍👍👍", 4), "👍…");
    }

    #[test]
    fn clipped_text_never_exceeds_the_cells() {
        for s in [
            "日本語です",
            "a👍b👍c",
            "e\u{301}e\u{301}e\u{301}",
            "plain text",
        ] {
            for cells in 0..12 {
                assert!(width(&clip(s, cells)) <= cells, "{s:?} in {cells}");
            }
        }
    }

    #[test]
    fn split_keeps_graphemes_whole() {
        assert_eq!(split_at_width("ab日c", 3), ("ab", "日c"));
        assert_eq!(split_at_width("ab日c", 4), ("ab日", "c"));
        assert_eq!(split_at_width("e\u{301}x", 1), ("e\u{301}", "x"));
        assert_eq!(split_at_width("abc", 10), ("abc", ""));
    }
}
