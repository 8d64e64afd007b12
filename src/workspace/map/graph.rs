//! Ranking files by relevance: PageRank over "file A uses an identifier file B defines",
//! personalised towards the user's focus, as aider's repository map does.
//!
//! Edge weights follow aider's: an identifier the prompt names counts 10×, a long
//! structured one (`snake_case`, `camelCase`, 8+ characters) 10×, a `_private` one 0.1×, one
//! defined in more than five files 0.1×; uses count by their square root, so a name used a
//! hundred times is not a hundred times the link; and what an attached file uses counts 50×.
//! Departures, each because a name is not what it resolves to (see `common.rs`):
//! - a use's weight is shared among the files that define the name, instead of going whole to
//!   each of them, so one call of `new()` does not send most of a file's rank to every file
//!   with a constructor;
//! - standard-library vocabulary (`unwrap`, `Result`, `len`) counts 0.1×, and links into
//!   tests, benches and examples 0.1×;
//! - a file's uses of its own names are not links (aider keeps them as self-loops, which
//!   hold rank in files that mostly call themselves).
//!
//! Sharing also lets the walk run without building the edges: rank flows from each file to
//! the names it uses, then from each name to the files defining it, which is linear in the
//! tags where the file-to-file edges can number files × files.

use std::collections::HashMap;

use super::common::{is_leaf_path, is_std_name};
use super::focus::{normalise, Focus, Mentions};
use super::tags::FileTags;

const DAMPING: f64 = 0.85;
const MAX_ITERATIONS: usize = 100;
/// Total change in rank (which sums to 1) per file below which the walk has settled:
/// networkx's default, which its users, aider among them, rank by.
const TOLERANCE_PER_FILE: f64 = 1e-6;
/// What a prose word matching file or directory names counts for, against one for an
/// attached file. Prose names files by accident (`escape`, `drop` and `sequence` in a
/// question about an escape-sequence parser named three unrelated files of the benchmark
/// tree), and a restart share that large put them above what the attached file uses.
const PATH_WORD_WEIGHT: f64 = 0.25;
/// Share of the restart probability that goes to the focus when there is one; the rest is
/// spread evenly, so files the focus does not reach are still ordered by how much the
/// project uses them rather than tied at zero.
const FOCUS_SHARE: f64 = 0.9;

/// Files by relevance, most relevant first; ties by path. Every file given is returned,
/// attached ones included (the caller decides whether to show them).
pub fn rank(files: &[(String, FileTags)], focus: &Focus) -> Vec<(String, f64)> {
    let files: Vec<(&str, &FileTags)> = files.iter().map(|(p, t)| (p.as_str(), t)).collect();
    rank_refs(&files, focus)
}

/// [`rank`] over borrowed tags, for a caller that ranks the same files more than once.
pub(super) fn rank_refs(files: &[(&str, &FileTags)], focus: &Focus) -> Vec<(String, f64)> {
    let n = files.len();
    if n == 0 {
        return Vec::new();
    }
    let mentions = Mentions::read(&focus.prompt);
    let attached: Vec<bool> = if focus.attached.is_empty() {
        vec![false; n]
    } else {
        let wanted: Vec<String> = focus.attached.iter().map(|p| normalise(p)).collect();
        files
            .iter()
            .map(|(path, _)| wanted.iter().any(|w| *w == normalise(path)))
            .collect()
    };

    // Names defined anywhere, and per file the names it defines (each once).
    let mut ids: HashMap<&str, u32> = HashMap::new();
    let mut defines: Lists<u32> = Lists::with_capacity(n);
    // Per name, the last file recorded as defining it.
    let mut last_definer: Vec<u32> = Vec::new();
    for (f, (_, tags)) in files.iter().enumerate() {
        for sym in &tags.defs {
            let next = last_definer.len() as u32;
            let id = *ids.entry(sym.name.as_str()).or_insert(next);
            if id == next {
                last_definer.push(u32::MAX);
            }
            if last_definer[id as usize] != f as u32 {
                last_definer[id as usize] = f as u32;
                defines.push(id);
            }
        }
        defines.close();
    }
    let definers = defines.inverted(last_definer.len());
    let names: Vec<&str> = {
        let mut v = vec![""; definers.len()];
        for (name, &id) in &ids {
            v[id as usize] = name;
        }
        v
    };
    // Names the prompt mentions: looked up word by word, since words are few and names many.
    let mut named = vec![false; names.len()];
    for word in &mentions.words {
        if let Some(&id) = ids.get(word.as_str()) {
            named[id as usize] = true;
        }
    }
    for (id, name) in names.iter().enumerate() {
        named[id] = named[id] || mentions.names_loosely(name);
    }
    let mut named_as_code = vec![false; names.len()];
    for word in mentions.code_words() {
        if let Some(&id) = ids.get(word) {
            named_as_code[id as usize] = true;
        }
    }
    // aider's multiplier per name, computed once rather than per use.
    let weight: Vec<f64> = (0..names.len())
        .map(|id| name_weight(names[id], named[id], definers.get(id).len()))
        .collect();
    // How much of the rank reaching a file through its names it keeps.
    let target: Vec<f64> = files
        .iter()
        .map(|(path, _)| if is_leaf_path(path) { 0.1 } else { 1.0 })
        .collect();
    // Per name: the mean of its defining files' `target`, so a link's weight counts only
    // what arrives.
    let reach: Vec<f64> = (0..names.len())
        .map(|id| {
            let defs = definers.get(id);
            defs.iter().map(|&d| target[d as usize]).sum::<f64>() / defs.len() as f64
        })
        .collect();

    // Each file's uses of defined names, as (name, weight per defining file before its
    // `target`).
    let mut uses: Lists<(u32, f64)> = Lists::with_capacity(n);
    // Per file: the weight of all its links, and of the part that points back at itself.
    let mut out_weight = vec![0.0f64; n];
    let mut self_weight = vec![0.0f64; n];
    for (f, (_, tags)) in files.iter().enumerate() {
        for (name, count) in &tags.refs {
            let Some(&id) = ids.get(name.as_str()) else {
                continue;
            };
            let defs = definers.get(id as usize);
            let mut w = weight[id as usize] * f64::from(*count).sqrt();
            if attached[f] {
                w *= 50.0;
            }
            let share = w / defs.len() as f64;
            out_weight[f] += w * reach[id as usize];
            if defs.binary_search(&(f as u32)).is_ok() {
                self_weight[f] += share * target[f];
            }
            uses.push((id, share));
        }
        uses.close();
        out_weight[f] -= self_weight[f];
    }

    let restart = restart_vector(files, &attached, &mentions, &definers, &named_as_code);
    let graph = Graph {
        uses: &uses,
        defines: &defines,
        target: &target,
        out_weight: &out_weight,
        self_weight: &self_weight,
        names: names.len(),
    };
    let scores = graph.walk(&restart);

    let mut ranked: Vec<(String, f64)> = files
        .iter()
        .zip(scores)
        .map(|((path, _), s)| ((*path).to_owned(), s))
        .collect();
    ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    ranked
}

/// aider's multiplier for a link through `name`, and the standard library's discount.
fn name_weight(name: &str, named_in_prompt: bool, definers: usize) -> f64 {
    let mut w = if is_std_name(name) { 0.1 } else { 1.0 };
    if named_in_prompt {
        w *= 10.0;
    }
    let has_alpha = name.chars().any(char::is_alphabetic);
    let snake = name.contains('_') && has_alpha;
    let kebab = name.contains('-') && has_alpha;
    let camel = name.chars().any(char::is_uppercase) && name.chars().any(char::is_lowercase);
    if (snake || kebab || camel) && name.chars().count() >= 8 {
        w *= 10.0;
    }
    if name.starts_with('_') {
        w *= 0.1;
    }
    if definers > 5 {
        w *= 0.1;
    }
    w
}

/// Where the walk restarts: evenly, or mostly at the focus. Each attached file and each file
/// whose path the prompt spells counts one; a name written as code counts one shared among
/// the files defining it, so a name defined once points there and a name defined in fifty
/// files points nowhere much; a plain word naming parts of paths (`escape` for
/// `util/escape.rs`) counts [`PATH_WORD_WEIGHT`], shared the same way.
fn restart_vector(
    files: &[(&str, &FileTags)],
    attached: &[bool],
    mentions: &Mentions,
    definers: &Lists<u32>,
    named_as_code: &[bool],
) -> Vec<f64> {
    let n = files.len();
    let mut focus = vec![0.0f64; n];
    for (f, (path, _)) in files.iter().enumerate() {
        if attached[f] {
            focus[f] += 1.0;
        }
        if mentions.names_path(path) {
            focus[f] += 1.0;
        }
    }
    if !mentions.is_empty() {
        // Files named by each word through their path's parts.
        let mut by_word: HashMap<&str, Vec<u32>> = HashMap::new();
        for (f, (path, _)) in files.iter().enumerate() {
            for part in Mentions::path_words(path) {
                if mentions.words.contains(part) {
                    by_word.entry(part).or_default().push(f as u32);
                }
            }
        }
        for fs in by_word.values_mut() {
            // A file is pushed once per matching part, consecutively.
            fs.dedup();
            for &f in fs.iter() {
                focus[f as usize] += PATH_WORD_WEIGHT / fs.len() as f64;
            }
        }
        for (id, named) in named_as_code.iter().enumerate() {
            if *named {
                let defs = definers.get(id);
                for &f in defs {
                    focus[f as usize] += 1.0 / defs.len() as f64;
                }
            }
        }
    }
    let total: f64 = focus.iter().sum();
    let even = 1.0 / n as f64;
    if total <= 0.0 {
        return vec![even; n];
    }
    focus
        .iter()
        .map(|w| (1.0 - FOCUS_SHARE) * even + FOCUS_SHARE * w / total)
        .collect()
}

/// Lists of items, one per index, stored end to end: tens of thousands of small vectors
/// would cost an allocation each, and the walk reads them in order.
struct Lists<T> {
    /// Where list `i` starts in `items`; the last entry is the end of the last list.
    starts: Vec<usize>,
    items: Vec<T>,
}

impl<T: Copy> Lists<T> {
    fn with_capacity(lists: usize) -> Self {
        let mut starts = Vec::with_capacity(lists + 1);
        starts.push(0);
        Lists {
            starts,
            items: Vec::new(),
        }
    }

    /// Adds to the list being built.
    fn push(&mut self, item: T) {
        self.items.push(item);
    }

    /// Ends the list being built.
    fn close(&mut self) {
        self.starts.push(self.items.len());
    }

    fn len(&self) -> usize {
        self.starts.len() - 1
    }

    fn get(&self, i: usize) -> &[T] {
        &self.items[self.starts[i]..self.starts[i + 1]]
    }
}

impl Lists<u32> {
    /// For lists of indices below `targets`: per target, the lists holding it, ascending.
    fn inverted(&self, targets: usize) -> Lists<u32> {
        let mut starts = vec![0usize; targets + 1];
        for &t in &self.items {
            starts[t as usize + 1] += 1;
        }
        for i in 0..targets {
            starts[i + 1] += starts[i];
        }
        let mut fill = starts.clone();
        let mut items = vec![0u32; self.items.len()];
        for list in 0..self.len() {
            for &t in self.get(list) {
                items[fill[t as usize]] = list as u32;
                fill[t as usize] += 1;
            }
        }
        Lists { starts, items }
    }
}

/// The link structure, by file and by name.
struct Graph<'a> {
    /// Per file: the names it uses, with the weight per defining file.
    uses: &'a Lists<(u32, f64)>,
    /// Per file: the names it defines.
    defines: &'a Lists<u32>,
    /// Per file: the share it keeps of the rank its names draw.
    target: &'a [f64],
    /// Per file: the total weight of its links, its own names excluded.
    out_weight: &'a [f64],
    /// Per file: the weight of its links to its own names.
    self_weight: &'a [f64],
    names: usize,
}

impl Graph<'_> {
    /// Personalised PageRank by power iteration. Rank leaves file `r` in proportion to its
    /// links' weights; a file without links hands its rank to the restart vector, as
    /// networkx does for dangling nodes.
    fn walk(&self, restart: &[f64]) -> Vec<f64> {
        let n = restart.len();
        let mut rank = restart.to_vec();
        let mut next = vec![0.0f64; n];
        let mut via = vec![0.0f64; self.names];
        for _ in 0..MAX_ITERATIONS {
            via.iter_mut().for_each(|v| *v = 0.0);
            let mut dangling = 0.0;
            for (f, (r, out)) in rank.iter().zip(self.out_weight).enumerate() {
                if *out > 0.0 {
                    let s = r / out;
                    for &(id, w) in self.uses.get(f) {
                        via[id as usize] += s * w;
                    }
                } else {
                    dangling += r;
                }
            }
            let mut change = 0.0;
            for d in 0..n {
                let drawn: f64 = self.defines.get(d).iter().map(|&id| via[id as usize]).sum();
                let mut inflow = drawn * self.target[d];
                if self.out_weight[d] > 0.0 {
                    inflow -= rank[d] / self.out_weight[d] * self.self_weight[d];
                }
                let v = DAMPING * (inflow.max(0.0) + dangling * restart[d])
                    + (1.0 - DAMPING) * restart[d];
                change += (v - rank[d]).abs();
                next[d] = v;
            }
            std::mem::swap(&mut rank, &mut next);
            if change < TOLERANCE_PER_FILE * n as f64 {
                break;
            }
        }
        rank
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workspace::map::tags::{Symbol, SymbolKind};

    fn file(path: &str, defs: &[&str], refs: &[(&str, u32)]) -> (String, FileTags) {
        let defs = defs
            .iter()
            .enumerate()
            .map(|(i, name)| Symbol {
                name: (*name).to_owned(),
                kind: SymbolKind::Function,
                signature: format!("fn {name}()"),
                line: i as u32 + 1,
                parent: None,
            })
            .collect();
        let mut refs: Vec<(String, u32)> =
            refs.iter().map(|(n, c)| ((*n).to_owned(), *c)).collect();
        refs.sort();
        (
            path.to_owned(),
            FileTags {
                defs,
                refs,
                lexical: false,
            },
        )
    }

    fn position(ranked: &[(String, f64)], path: &str) -> usize {
        ranked.iter().position(|(p, _)| p == path).expect(path)
    }

    #[test]
    fn scores_sum_to_one_and_order_is_total() {
        let files = vec![
            file("a.rs", &["alpha"], &[("beta", 2)]),
            file("b.rs", &["beta"], &[("gamma", 1)]),
            file("c.rs", &["gamma"], &[]),
            file("d.rs", &[], &[]),
        ];
        let ranked = rank(&files, &Focus::default());
        assert_eq!(ranked.len(), 4);
        let sum: f64 = ranked.iter().map(|(_, s)| s).sum();
        assert!((sum - 1.0).abs() < 1e-6, "{sum}");
        assert!(ranked.windows(2).all(|w| w[0].1 >= w[1].1));
        // c.rs is used by b.rs, which is used by a.rs: the end of the chain collects most.
        assert_eq!(ranked[0].0, "c.rs");
    }

    #[test]
    fn attached_files_pull_up_what_they_use() {
        let mut files = vec![
            file("src/app.rs", &["run_app"], &[("load_settings", 1)]),
            file("src/settings.rs", &["load_settings"], &[]),
        ];
        // Unrelated files that use each other a lot.
        for i in 0..6 {
            let next = (i + 1) % 6;
            files.push(file(
                &format!("src/other{i}.rs"),
                &[&format!("other_thing_{i}")],
                &[(&format!("other_thing_{next}"), 9)],
            ));
        }
        let plain = rank(&files, &Focus::default());
        let focused = rank(
            &files,
            &Focus {
                attached: vec!["./src/app.rs".into()],
                prompt: String::new(),
            },
        );
        assert!(position(&focused, "src/settings.rs") <= 1, "{focused:?}");
        assert!(position(&focused, "src/settings.rs") < position(&plain, "src/settings.rs"));
    }

    #[test]
    fn the_prompt_names_files_and_symbols() {
        let files = vec![
            file("src/a.rs", &["alpha_one"], &[("beta_two", 1)]),
            file("src/b.rs", &["beta_two"], &[("alpha_one", 1)]),
            file("src/router/decide.rs", &["decide"], &[]),
            file("src/store/mod.rs", &["open_store"], &[]),
        ];
        let by_symbol = rank(
            &files,
            &Focus {
                attached: vec![],
                prompt: "why does open_store fail".into(),
            },
        );
        assert_eq!(by_symbol[0].0, "src/store/mod.rs");
        let by_dir = rank(
            &files,
            &Focus {
                attached: vec![],
                prompt: "change the router".into(),
            },
        );
        assert_eq!(by_dir[0].0, "src/router/decide.rs");
        let by_path = rank(
            &files,
            &Focus {
                attached: vec![],
                prompt: "see store/mod.rs".into(),
            },
        );
        assert_eq!(by_path[0].0, "src/store/mod.rs");
    }

    #[test]
    fn names_defined_everywhere_do_not_drain_rank() {
        // One call of `new` must not send caller's rank mostly to the ten files with a `new`.
        let mut files = vec![file(
            "src/app.rs",
            &["run_app"],
            &[("new", 1), ("parse_request", 1)],
        )];
        files.push(file("src/request.rs", &["parse_request"], &[]));
        for i in 0..10 {
            files.push(file(&format!("src/t{i}.rs"), &["new"], &[]));
        }
        let ranked = rank(
            &files,
            &Focus {
                attached: vec!["src/app.rs".into()],
                prompt: String::new(),
            },
        );
        let request = position(&ranked, "src/request.rs");
        assert!(request <= 1, "{ranked:?}");
    }

    #[test]
    fn standard_names_and_tests_do_not_draw_rank() {
        // The attached file calls `unwrap` 30 times and uses `Display` 20 times; a project file
        // happens to define an `unwrap`, a test a `Display`. The file it needs is settings.rs.
        let files = vec![
            file(
                "src/app.rs",
                &["run"],
                &[("unwrap", 30), ("Display", 20), ("load", 1)],
            ),
            file("src/settings.rs", &["load"], &[]),
            file("src/fallible.rs", &["unwrap"], &[]),
            file("tests/display.rs", &["Display"], &[]),
        ];
        let ranked = rank(
            &files,
            &Focus {
                attached: vec!["src/app.rs".into()],
                prompt: String::new(),
            },
        );
        let settings = position(&ranked, "src/settings.rs");
        assert!(
            settings < position(&ranked, "src/fallible.rs"),
            "{ranked:?}"
        );
        assert!(
            settings < position(&ranked, "tests/display.rs"),
            "{ranked:?}"
        );
    }

    #[test]
    fn prose_does_not_point_at_symbols() {
        let files = vec![
            file("src/a.rs", &["value"], &[]),
            file("src/b.rs", &["other_name"], &[("value", 1)]),
            file("src/c.rs", &["third_name"], &[("other_name", 1)]),
        ];
        let plain = rank(&files, &Focus::default());
        let prose = rank(
            &files,
            &Focus {
                attached: vec![],
                prompt: "the value is wrong".into(),
            },
        );
        assert_eq!(plain, prose);
        let code = rank(
            &files,
            &Focus {
                attached: vec![],
                prompt: "the `value` is wrong".into(),
            },
        );
        assert_eq!(code[0].0, "src/a.rs");
    }

    #[test]
    fn lists_invert() {
        let mut lists: Lists<u32> = Lists::with_capacity(3);
        for list in [&[2u32, 0][..], &[], &[0, 1]] {
            for &i in list {
                lists.push(i);
            }
            lists.close();
        }
        let inv = lists.inverted(3);
        assert_eq!(inv.len(), 3);
        assert_eq!(
            [inv.get(0), inv.get(1), inv.get(2)],
            [&[0u32, 2][..], &[2], &[0]]
        );
    }

    #[test]
    fn empty_input_is_empty() {
        assert!(rank(&[], &Focus::default()).is_empty());
    }
}
