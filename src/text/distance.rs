//! Edit distance for "did you mean" suggestions (commands, config keys, key actions).

/// Optimal-string-alignment distance: Levenshtein plus adjacent swaps, the commonest typo
/// (`mdoe` is one edit from `mode`, not two). Counts chars, not bytes.
pub fn distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    // Three rolling rows: the swap looks two rows back.
    let mut before: Vec<usize> = vec![0; b.len() + 1];
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for i in 1..=a.len() {
        let mut cur = vec![i; b.len() + 1];
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut d = (prev[j] + 1).min(cur[j - 1] + 1).min(prev[j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                d = d.min(before[j - 2] + 1);
            }
            cur[j] = d;
        }
        before = std::mem::replace(&mut prev, cur);
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::distance;

    #[test]
    fn insertions_deletions_and_substitutions_count_one_each() {
        assert_eq!(distance("kitten", "sitting"), 3);
        assert_eq!(distance("", "abc"), 3);
        assert_eq!(distance("abc", ""), 3);
        assert_eq!(distance("same", "same"), 0);
    }

    #[test]
    fn an_adjacent_swap_counts_once() {
        // Plain Levenshtein (what config and the keymap used) said 2 here.
        assert_eq!(distance("mdoe", "mode"), 1);
        assert_eq!(distance("retnetion_days", "retention_days"), 1);
        // A swap of non-adjacent letters is still two edits.
        assert_eq!(distance("abcd", "dbca"), 2);
    }

    #[test]
    fn counts_characters_not_bytes() {
        assert_eq!(distance("é", "e"), 1);
        assert_eq!(distance("日本", "本日"), 1);
    }
}
