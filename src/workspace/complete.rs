//! Fuzzy completion of workspace paths for `@`, with the matcher Helix uses (nucleo). Typing
//! usually extends the query, and a longer query only matches a subset of what the shorter
//! one matched, so each keystroke rescans only the previous matches
//! (`cargo bench --bench workspace` times 100,000 paths).

use nucleo_matcher::pattern::{CaseMatching, Normalization, Pattern};
use nucleo_matcher::{Config, Matcher, Utf32Str};

/// One suggestion: the path and the positions of its matched characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Suggestion {
    pub path: String,
    pub score: u32,
    /// Character positions in `path` that matched, for highlighting.
    pub matched: Vec<u32>,
}

/// Completes against one list of paths, remembering the last query's matches.
pub struct Completer {
    paths: Vec<String>,
    /// One matcher per scanning thread.
    matchers: [Matcher; 2],
    last_query: String,
    /// Indices into `paths` that matched `last_query`.
    last: Vec<u32>,
}

impl Completer {
    pub fn new(paths: Vec<String>) -> Self {
        let mut config = Config::DEFAULT;
        config.set_match_paths();
        let last = (0..paths.len() as u32).collect();
        Self {
            paths,
            matchers: [Matcher::new(config.clone()), Matcher::new(config)],
            last_query: String::new(),
            last,
        }
    }

    pub fn len(&self) -> usize {
        self.paths.len()
    }

    pub fn is_empty(&self) -> bool {
        self.paths.is_empty()
    }

    /// The best `limit` matches for `query`, best first (ties: shorter path, then by
    /// name). An empty query lists the first paths.
    pub fn complete(&mut self, query: &str, limit: usize) -> Vec<Suggestion> {
        let pattern = Pattern::parse(query, CaseMatching::Smart, Normalization::Smart);
        // Narrowing is safe only when the new query extends the old one, and is one plain
        // word: pattern syntax (`!`, `^`, `$`, spaces between atoms) can widen a match.
        let plain = !query.contains(|c: char| c.is_whitespace() || "!^$'\\".contains(c));
        let pool: Vec<u32> =
            if plain && !self.last_query.is_empty() && query.starts_with(&self.last_query) {
                std::mem::take(&mut self.last)
            } else {
                (0..self.paths.len() as u32).collect()
            };
        let mut scored = self.scan(&pattern, &pool);
        let mut buf = Vec::new();
        self.last = scored.iter().map(|(i, _)| *i).collect();
        self.last_query = query.to_owned();
        let paths = &self.paths;
        let key = |&(i, s): &(u32, u32)| (std::cmp::Reverse(s), paths[i as usize].len(), i);
        if scored.len() > limit {
            scored.select_nth_unstable_by_key(limit, key);
            scored.truncate(limit);
        }
        scored.sort_unstable_by_key(key);
        scored
            .into_iter()
            .map(|(i, score)| {
                let path = self.paths[i as usize].clone();
                let mut matched = Vec::new();
                let hay = Utf32Str::new(&path, &mut buf);
                pattern.indices(hay, &mut self.matchers[0], &mut matched);
                matched.sort_unstable();
                matched.dedup();
                Suggestion {
                    path,
                    score,
                    matched,
                }
            })
            .collect()
    }
}

impl Completer {
    /// Scores the paths in `pool`: on two threads when there are many (a full scan of
    /// 100,000 paths), which halves the time a keystroke waits.
    fn scan(&mut self, pattern: &Pattern, pool: &[u32]) -> Vec<(u32, u32)> {
        const PARALLEL_FROM: usize = 8192;
        let paths = &self.paths;
        let score = |part: &[u32], matcher: &mut Matcher| {
            let mut buf = Vec::new();
            let mut out = Vec::new();
            for &i in part {
                if let Some(path) = paths.get(i as usize) {
                    let hay = Utf32Str::new(path, &mut buf);
                    if let Some(s) = pattern.score(hay, matcher) {
                        out.push((i, s));
                    }
                }
            }
            out
        };
        let [m0, m1] = &mut self.matchers;
        if pool.len() < PARALLEL_FROM {
            return score(pool, m0);
        }
        let (a, b) = pool.split_at(pool.len() / 2);
        std::thread::scope(|s| {
            // `spawn` would panic when the system refuses a thread; then one thread does all.
            let other = std::thread::Builder::new().spawn_scoped(s, || score(b, m1));
            let mut first = score(a, m0);
            match other {
                // A panic in the other half loses only its suggestions.
                Ok(h) => first.extend(h.join().unwrap_or_default()),
                Err(_) => first.extend(score(b, m0)),
            }
            first
        })
    }
}

/// The `@` word being typed at the end of `input` (after the last space), if any: what
/// completion should complete, without the `@`.
pub fn typing_mention(input: &str) -> Option<&str> {
    let last = input.rsplit(char::is_whitespace).next()?;
    last.strip_prefix('@')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn paths() -> Vec<String> {
        [
            "src/store/mod.rs",
            "src/store/db.rs",
            "src/pool.rs",
            "tests/pool_test.rs",
            "README.md",
            "docs/storage.md",
        ]
        .map(String::from)
        .to_vec()
    }

    fn top(c: &mut Completer, q: &str) -> Vec<String> {
        c.complete(q, 3).into_iter().map(|s| s.path).collect()
    }

    #[test]
    fn fuzzy_matches_rank_the_closest_path_first() {
        let mut c = Completer::new(paths());
        assert_eq!(top(&mut c, "pool")[0], "src/pool.rs");
        assert_eq!(top(&mut c, "stmod")[0], "src/store/mod.rs");
        assert_eq!(top(&mut c, "readme"), ["README.md"], "smart case");
        assert!(top(&mut c, "zzz").is_empty());
    }

    #[test]
    fn narrowing_and_widening_give_the_same_answers_as_a_fresh_search() {
        let mut c = Completer::new(paths());
        for q in ["s", "st", "sto", "stor", "sto", "p", "po", "pool", ""] {
            let got = top(&mut c, q);
            let fresh = top(&mut Completer::new(paths()), q);
            assert_eq!(got, fresh, "query {q:?}");
        }
        let s = c.complete("pool", 1).remove(0);
        assert_eq!(
            s.matched,
            [4, 5, 6, 7],
            "positions of p-o-o-l in src/pool.rs"
        );
    }

    #[test]
    fn the_mention_being_typed_is_the_last_word_after_an_at() {
        assert_eq!(typing_mention("explain @src/po"), Some("src/po"));
        assert_eq!(typing_mention("explain @"), Some(""));
        assert_eq!(typing_mention("explain @a.rs now"), None);
        assert_eq!(typing_mention("mail me@x"), None);
    }
}
