//! Fuzzy completion of workspace paths for `@`, with the matcher Helix uses (nucleo). Typing
//! usually extends the query, and a longer query only matches a subset of what the shorter
//! one matched, so each keystroke rescans only the previous matches
//! (`cargo bench --bench workspace` times 100,000 paths).

use std::cmp::Reverse;
use std::collections::BinaryHeap;

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

/// The most one more query character can add to a path's score: nucleo's `SCORE_MATCH` (16)
/// plus its largest bonus in path mode (9, a word start after a `/`; a consecutive character
/// carries at most that). An alignment of `query + c` minus its last character is an
/// alignment of `query`, so `score(query + c) <= score(query) + GROWTH`. It must be exact:
/// one point more and every path tied at the top is rescored on each keystroke.
const GROWTH: i32 = 25;

/// Paths longer than this may be scored greedily by nucleo (its matrix has a size cap), which
/// breaks the bound above, so they are always rescored. So are paths that are not ASCII:
/// nucleo 0.3 scores one character against them at its first occurrence, not its best
/// (the tests show both cases).
const BOUNDED_LEN: usize = 256;

/// The stored bound of a path that is always rescored; far above any score.
const UNBOUNDED: i32 = i32::MAX / 2;

/// Queries longer than this are scanned afresh: it keeps the bounds' arithmetic small.
const NARROWED_CHARS: usize = 4096;

/// Earlier queries kept for Backspace, each a prefix of the next.
const MAX_STEPS: usize = 24;

/// A path in a step's pool: its index, and an upper bound on its score for the step's query
/// (exact when it was scored), stored minus the step's `offset`.
#[derive(Debug, Clone, Copy)]
struct Cand {
    idx: u32,
    bound: i32,
}

/// One typed query and its pool: every path that may match it, ordered by (bound
/// descending, index ascending).
struct Step {
    query: String,
    chars: usize,
    /// Added to every stored bound to give the real one. Raising the bounds of the paths not
    /// reached on a keystroke then costs nothing.
    offset: i32,
    pool: Vec<Cand>,
}

/// The paths in one buffer, sorted by (length, text): the tie-break "shorter path first, then
/// by name" is index order, and a scan reads memory in order.
struct Paths {
    text: String,
    ends: Vec<u32>,
    /// Paths whose score may break the bound (see [`BOUNDED_LEN`]).
    rescore: Vec<bool>,
    /// Per path, the letters and digits that start a path component (see [`word_starts`]).
    starts: Vec<u64>,
}

impl Paths {
    fn new(mut paths: Vec<String>) -> Self {
        paths.sort_unstable_by(|a, b| a.len().cmp(&b.len()).then_with(|| a.cmp(b)));
        let mut text = String::with_capacity(paths.iter().map(String::len).sum());
        let mut ends = Vec::with_capacity(paths.len());
        let mut rescore = Vec::with_capacity(paths.len());
        let mut starts = Vec::with_capacity(paths.len());
        for p in &paths {
            // Offsets are u32: a list past 4 GiB of text is cut there.
            if text.len() + p.len() > u32::MAX as usize {
                break;
            }
            text.push_str(p);
            ends.push(text.len() as u32);
            rescore.push(p.len() > BOUNDED_LEN || !p.is_ascii());
            starts.push(word_starts(p));
        }
        Self {
            text,
            ends,
            rescore,
            starts,
        }
    }

    fn len(&self) -> usize {
        self.ends.len()
    }

    fn get(&self, i: usize) -> &str {
        let start = if i == 0 { 0 } else { self.ends[i - 1] as usize };
        &self.text[start..self.ends[i] as usize]
    }
}

/// Completes against one list of paths.
///
/// Typing usually extends the query, and a longer query matches only a subset of what the
/// shorter one matched, with a score at most [`GROWTH`] higher per added character. So each
/// keystroke scores the previous pool best-bound first and stops as soon as no remaining
/// path can reach the current best `limit`. The answer is the same as a full scan's
/// (`cargo bench --bench workspace` times 100,000 paths).
pub struct Completer {
    paths: Paths,
    /// One matcher per scanning thread.
    matchers: [Matcher; 2],
    steps: Vec<Step>,
}

impl std::fmt::Debug for Completer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Completer({} paths)", self.paths.len())
    }
}

impl Completer {
    pub fn new(paths: Vec<String>) -> Self {
        let mut config = Config::DEFAULT;
        config.set_match_paths();
        Self {
            paths: Paths::new(paths),
            matchers: [Matcher::new(config.clone()), Matcher::new(config)],
            steps: Vec::new(),
        }
    }

    pub fn len(&self) -> usize {
        self.paths.len()
    }

    pub fn is_empty(&self) -> bool {
        self.paths.len() == 0
    }

    /// The best `limit` matches for `query`, best first (ties: shorter path, then by
    /// name). An empty query lists the shortest paths.
    pub fn complete(&mut self, query: &str, limit: usize) -> Vec<Suggestion> {
        if query.is_empty() || limit == 0 {
            self.steps.clear();
            let n = limit.min(self.paths.len());
            return (0..n as u32).map(|i| self.suggestion(i, 0, None)).collect();
        }
        let pattern = Pattern::parse(query, CaseMatching::Smart, Normalization::Smart);
        let chars = query.chars().count();
        // Narrowing is safe only when the new query extends the old one, and is one plain
        // word: pattern syntax (`!`, `^`, `$`, spaces between atoms) can widen a match.
        let plain = chars <= NARROWED_CHARS
            && !query.contains(|c: char| c.is_whitespace() || "!^$'\\".contains(c));
        if !plain {
            self.steps.clear();
        }
        while self
            .steps
            .last()
            .is_some_and(|s| !query.starts_with(&s.query))
        {
            self.steps.pop();
        }
        // A first keystroke may start from a made-up step (see `first_key`); it is not kept.
        let base = match plain && self.steps.is_empty() {
            true => first_key(&self.paths, query, limit),
            false => None,
        };
        let (scanned, rest, offset) = match self.steps.last().or(base.as_ref()) {
            Some(step) => {
                let offset = step.offset + GROWTH * (chars - step.chars) as i32;
                let matcher = &mut self.matchers[0];
                let (scanned, stop) = narrow(&self.paths, matcher, &pattern, step, offset, limit);
                (scanned, &step.pool[stop..], offset)
            }
            None => (self.scan(&pattern), &[][..], 0),
        };
        let top = best(&scanned, limit);
        let pool = plain.then(|| merge(scanned, rest, offset, &self.paths));
        let top = top
            .into_iter()
            .map(|(idx, score)| self.suggestion(idx, score, Some(&pattern)))
            .collect();
        if let Some(pool) = pool {
            if self.steps.last().is_some_and(|s| s.query == query) {
                self.steps.pop();
            }
            if self.steps.len() == MAX_STEPS {
                self.steps.remove(0);
            }
            self.steps.push(Step {
                query: query.to_owned(),
                chars,
                offset,
                pool,
            });
        }
        top
    }

    fn suggestion(&mut self, idx: u32, score: u32, pattern: Option<&Pattern>) -> Suggestion {
        let path = self.paths.get(idx as usize).to_owned();
        let mut matched = Vec::new();
        if let Some(pattern) = pattern {
            let mut buf = Vec::new();
            let hay = Utf32Str::new(&path, &mut buf);
            pattern.indices(hay, &mut self.matchers[0], &mut matched);
            matched.sort_unstable();
            matched.dedup();
        }
        Suggestion {
            path,
            score,
            matched,
        }
    }

    /// Scores every path, in index order: on two threads when there are many (a full scan
    /// of 100,000 paths), which halves the time a keystroke waits.
    fn scan(&mut self, pattern: &Pattern) -> Vec<(u32, u32)> {
        const PARALLEL_FROM: usize = 8192;
        let paths = &self.paths;
        let score = |range: std::ops::Range<usize>, matcher: &mut Matcher| {
            let mut buf = Vec::new();
            let mut out = Vec::new();
            for i in range {
                let hay = Utf32Str::new(paths.get(i), &mut buf);
                if let Some(s) = pattern.score(hay, matcher) {
                    out.push((i as u32, s));
                }
            }
            out
        };
        let [m0, m1] = &mut self.matchers;
        let n = paths.len();
        if n < PARALLEL_FROM {
            return score(0..n, m0);
        }
        let half = n / 2;
        std::thread::scope(|s| {
            // `spawn` would panic when the system refuses a thread; then one thread does all.
            let other = std::thread::Builder::new().spawn_scoped(s, || score(half..n, m1));
            let mut first = score(0..half, m0);
            match other {
                // A panic in the other half loses only its suggestions.
                Ok(h) => first.extend(h.join().unwrap_or_default()),
                Err(_) => first.extend(score(half..n, m0)),
            }
            first
        })
    }
}

/// The highest score one character can get: a word start after a `/` (or at the start),
/// where nucleo's bonus is 9 in path mode, doubled for a query's first character.
const FIRST_AT_START: i32 = 16 + 2 * 9;

/// Anywhere else a first character scores at most 16 + 2 × 8.
const FIRST_ELSEWHERE: i32 = 16 + 2 * 8;

/// The bit for a lowercase ASCII letter or digit.
fn start_bit(c: u8) -> Option<u64> {
    match c {
        b'a'..=b'z' => Some(1 << (c - b'a')),
        b'0'..=b'9' => Some(1 << (26 + c - b'0')),
        _ => None,
    }
}

/// The letters and digits (lowercased) found at the start of a path component: where one
/// typed character gets its best score ([`FIRST_AT_START`]).
fn word_starts(path: &str) -> u64 {
    let mut mask = 0;
    let mut after_delimiter = true; // nucleo's path mode treats the start as after a `/`
    for &b in path.as_bytes() {
        if after_delimiter {
            mask |= start_bit(b.to_ascii_lowercase()).unwrap_or(0);
        }
        after_delimiter = b == b'/' || b == b':';
    }
    mask
}

/// A first keystroke's pool without scoring anything, when enough paths have the typed
/// character at a component start: those are bounded by [`FIRST_AT_START`] and every other
/// path by [`FIRST_ELSEWHERE`], so narrowing from this step scores only the first few. A
/// full scan would score all 100,000 paths; with fewer starts than `limit`, it is still
/// the faster way, on two threads.
fn first_key(paths: &Paths, query: &str, limit: usize) -> Option<Step> {
    let &[c] = query.as_bytes() else {
        return None;
    };
    let bit = start_bit(c)?;
    let at_start = paths.starts.iter().filter(|m| **m & bit != 0).count();
    if at_start < limit {
        return None;
    }
    // Stored for query "" so that one keystroke (offset GROWTH) lifts them to the bounds.
    let mut pool = Vec::with_capacity(paths.len());
    let mut tiers: [Vec<Cand>; 3] = Default::default();
    for i in 0..paths.len() {
        let (tier, bound) = if paths.rescore[i] {
            (0, UNBOUNDED)
        } else if paths.starts[i] & bit != 0 {
            (1, FIRST_AT_START - GROWTH)
        } else {
            (2, FIRST_ELSEWHERE - GROWTH)
        };
        tiers[tier].push(Cand {
            idx: i as u32,
            bound,
        });
    }
    for tier in tiers {
        pool.extend(tier);
    }
    Some(Step {
        query: String::new(),
        chars: 0,
        offset: 0,
        pool,
    })
}

/// Scores `step`'s pool in order, its bounds raised to `offset`, until no remaining entry
/// can enter the best `limit`. Returns the matches scored (index, score) and where the scan
/// stopped.
fn narrow(
    paths: &Paths,
    matcher: &mut Matcher,
    pattern: &Pattern,
    step: &Step,
    offset: i32,
    limit: usize,
) -> (Vec<(u32, u32)>, usize) {
    // The best `limit` so far as a min-heap of (score, Reverse(index)): larger is better.
    let mut best: BinaryHeap<Reverse<(i64, Reverse<u32>)>> = BinaryHeap::with_capacity(limit + 1);
    let mut scanned = Vec::new();
    let mut buf = Vec::new();
    for (at, c) in step.pool.iter().enumerate() {
        let bound = i64::from(c.bound) + i64::from(offset);
        if best.len() >= limit
            && best
                .peek()
                .is_some_and(|Reverse(kth)| (bound, Reverse(c.idx)) < *kth)
        {
            return (scanned, at);
        }
        let hay = Utf32Str::new(paths.get(c.idx as usize), &mut buf);
        let Some(score) = pattern.score(hay, matcher) else {
            continue;
        };
        scanned.push((c.idx, score));
        best.push(Reverse((i64::from(score), Reverse(c.idx))));
        if best.len() > limit {
            best.pop();
        }
    }
    (scanned, step.pool.len())
}

/// The best `limit` of `scored` (index, score), best first.
fn best(scored: &[(u32, u32)], limit: usize) -> Vec<(u32, u32)> {
    let order = |&(i, s): &(u32, u32)| (Reverse(s), i);
    let mut top = scored.to_vec();
    if top.len() > limit {
        top.select_nth_unstable_by_key(limit, order);
        top.truncate(limit);
    }
    top.sort_unstable_by_key(order);
    top
}

/// Pool order: bound descending, then index ascending.
fn key(c: &Cand) -> (Reverse<i32>, u32) {
    (Reverse(c.bound), c.idx)
}

/// The next pool: the scored matches, stored relative to `offset` (paths that break the
/// bound marked for rescoring), merged with the entries not reached, already in order.
fn merge(scanned: Vec<(u32, u32)>, rest: &[Cand], offset: i32, paths: &Paths) -> Vec<Cand> {
    let mut fresh: Vec<Cand> = scanned
        .into_iter()
        .map(|(idx, score)| {
            let bound = if paths.rescore[idx as usize] {
                UNBOUNDED
            } else {
                i32::try_from(score).unwrap_or(UNBOUNDED).min(UNBOUNDED) - offset
            };
            Cand { idx, bound }
        })
        .collect();
    sort_into_pool_order(&mut fresh);
    if rest.is_empty() {
        return fresh;
    }
    // Usually a few scored entries and many not reached: copy runs of the latter whole.
    let mut pool = Vec::with_capacity(fresh.len() + rest.len());
    let mut from = 0;
    for c in fresh {
        let at = from + rest[from..].partition_point(|r| key(r) < key(&c));
        pool.extend_from_slice(&rest[from..at]);
        pool.push(c);
        from = at;
    }
    pool.extend_from_slice(&rest[from..]);
    pool
}

/// Sorts into pool order. Scores are small integers, and a full scan yields paths in index
/// order, so a stable counting sort does it in linear time; a comparison sort of 100,000
/// entries would be most of a first keystroke's cost.
fn sort_into_pool_order(cands: &mut Vec<Cand>) {
    const COUNTED: i32 = 1 << 16;
    let in_index_order = cands.windows(2).all(|w| w[0].idx < w[1].idx);
    let (lo, hi) = cands.iter().fold((i32::MAX, i32::MIN), |(lo, hi), c| {
        (lo.min(c.bound), hi.max(c.bound))
    });
    if !in_index_order || cands.is_empty() || i64::from(hi) - i64::from(lo) >= i64::from(COUNTED) {
        cands.sort_unstable_by_key(key);
        return;
    }
    // starts[k]: where the k-th bound from the top begins.
    let span = (hi - lo) as usize;
    let mut starts = vec![0usize; span + 2];
    for c in cands.iter() {
        starts[(hi - c.bound) as usize + 1] += 1;
    }
    for i in 1..starts.len() {
        starts[i] += starts[i - 1];
    }
    let mut out = vec![Cand { idx: 0, bound: 0 }; cands.len()];
    for c in cands.iter() {
        let slot = &mut starts[(hi - c.bound) as usize];
        out[*slot] = *c;
        *slot += 1;
    }
    *cands = out;
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

    /// What a full scan with a fresh matcher ranks first: the definition `complete` must meet.
    fn brute(paths: &[String], query: &str, limit: usize) -> Vec<(String, u32)> {
        let mut config = Config::DEFAULT;
        config.set_match_paths();
        let mut matcher = Matcher::new(config);
        let pattern = Pattern::parse(query, CaseMatching::Smart, Normalization::Smart);
        let mut buf = Vec::new();
        let mut all: Vec<(String, u32)> = paths
            .iter()
            .filter_map(|p| {
                Some((
                    p.clone(),
                    pattern.score(Utf32Str::new(p, &mut buf), &mut matcher)?,
                ))
            })
            .collect();
        all.sort_by(|a, b| {
            b.1.cmp(&a.1)
                .then(a.0.len().cmp(&b.0.len()))
                .then(a.0.cmp(&b.0))
        });
        all.truncate(limit);
        all
    }

    /// A small deterministic generator, so a failure can be replayed.
    struct Rng(u64);
    impl Rng {
        fn next(&mut self, n: usize) -> usize {
            self.0 = self
                .0
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((self.0 >> 33) as usize) % n
        }
    }

    fn made_up_paths(rng: &mut Rng, n: usize) -> Vec<String> {
        let parts = [
            "src",
            "store",
            "Store",
            "mod",
            "lib",
            "tests",
            "st",
            "ore",
            "pool",
            "db_conn",
            "parseTree",
            "Ü",
            "été",
            "a-b",
            "x.y",
            "file_01",
            "Main",
            "README",
        ];
        (0..n)
            .map(|_| {
                let depth = 1 + rng.next(5);
                let mut p: Vec<&str> = (0..depth).map(|_| parts[rng.next(parts.len())]).collect();
                if rng.next(40) == 0 {
                    // A path past the length where nucleo may score greedily.
                    p.extend(std::iter::repeat_n("deep_store_folder", 20));
                }
                p.join("/") + [".rs", ".md", "", ".py"][rng.next(4)]
            })
            .collect()
    }

    #[test]
    fn every_keystroke_ranks_exactly_as_a_full_scan_does() {
        let mut rng = Rng(7);
        let paths = made_up_paths(&mut rng, 1500);
        let letters: Vec<char> = "stoREmdlbpa_/.é ".chars().collect();
        for session in 0..30 {
            let mut c = Completer::new(paths.clone());
            let mut query = String::new();
            for _ in 0..14 {
                match rng.next(6) {
                    0 => {
                        query.pop();
                    }
                    1 if session % 3 == 0 => query = letters[rng.next(letters.len())].to_string(),
                    _ => query.push(letters[rng.next(letters.len())]),
                }
                let limit = [1, 5, 50][rng.next(3)];
                let got: Vec<(String, u32)> = c
                    .complete(&query, limit)
                    .into_iter()
                    .map(|s| (s.path, s.score))
                    .collect();
                if query.is_empty() {
                    continue;
                }
                assert_eq!(
                    got,
                    brute(&paths, &query, limit),
                    "query {query:?} limit {limit}"
                );
            }
        }
    }

    #[test]
    fn the_mention_being_typed_is_the_last_word_after_an_at() {
        assert_eq!(typing_mention("explain @src/po"), Some("src/po"));
        assert_eq!(typing_mention("explain @"), Some(""));
        assert_eq!(typing_mention("explain @a.rs now"), None);
        assert_eq!(typing_mention("mail me@x"), None);
    }
}
