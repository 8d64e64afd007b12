//! Where the user's attention is: the files they attached and the words of their prompt,
//! read into what the ranking can match against paths and identifiers.

use std::collections::HashSet;

use crate::text::short::head;

/// Where the user's attention is.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Focus {
    /// Files attached explicitly (`@src/main.rs`), relative to the workspace root.
    pub attached: Vec<String>,
    /// The user's message.
    pub prompt: String,
}

/// Only the head of a long prompt is read for names: a pasted log adds noise, not focus.
const MAX_PROMPT_BYTES: usize = 64 * 1024;
/// Distinct words kept from a prompt.
const MAX_WORDS: usize = 2048;
/// Words shorter than this match identifiers and file names only exactly (case and all).
pub(super) const MIN_LOOSE_LEN: usize = 4;

/// English and programming words that name half the files of any project (`test`, `main`,
/// `new`) and so point at none: they are not taken as mentions. Lower case.
const COMMON: &[&str] = &[
    "a", "add", "all", "an", "and", "any", "are", "as", "at", "be", "but", "by", "can", "code",
    "could", "do", "does", "error", "file", "files", "fix", "for", "from", "function", "get",
    "has", "have", "how", "if", "in", "into", "is", "it", "its", "lib", "main", "make", "method",
    "mod", "new", "no", "not", "of", "on", "or", "please", "self", "set", "should", "so", "src",
    "test", "tests", "that", "the", "then", "this", "to", "type", "use", "was", "what", "when",
    "where", "which", "why", "will", "with", "would", "you",
];

/// A normalised workspace-relative path: forward slashes, no leading `./`.
pub(super) fn normalise(path: &str) -> String {
    let p = path.replace('\\', "/");
    let mut s = p.as_str();
    while let Some(rest) = s.strip_prefix("./") {
        s = rest;
    }
    s.trim_start_matches('@').to_owned()
}

/// The prompt's words and path-like tokens.
pub(super) struct Mentions {
    /// Identifier-shaped words, as written.
    pub words: HashSet<String>,
    /// The words of [`MIN_LOOSE_LEN`] or more, lower-cased, by byte length: `config` in a
    /// prompt names `Config` and `CONFIG` too. Indexed by length so that testing each of
    /// thousands of identifiers costs no hashing.
    loose: Vec<Vec<String>>,
    /// Tokens holding a `/` or a `.`, normalised (`src/store/mod.rs`, `main.py`).
    pub paths: Vec<String>,
    /// Words written as code: in backticks, or shaped like an identifier and unlike a word of
    /// prose (`load_config`, `RepoMap`, `utf8`). Only these point at the files defining
    /// them: plain words (`value`, `default`, `None` at the start of a sentence) name
    /// symbols in too many files by accident.
    code: HashSet<String>,
}

impl Mentions {
    pub fn read(prompt: &str) -> Mentions {
        let head = head(prompt, MAX_PROMPT_BYTES);
        let mut words = HashSet::new();
        let mut loose: Vec<Vec<String>> = Vec::new();
        for word in identifiers(head) {
            if words.len() >= MAX_WORDS {
                break;
            }
            let lower = word.to_lowercase();
            if COMMON.contains(&lower.as_str()) || word.chars().all(|c| c.is_ascii_digit()) {
                continue;
            }
            if words.insert(word.to_owned()) && word.chars().count() >= MIN_LOOSE_LEN {
                if loose.len() <= lower.len() {
                    loose.resize(lower.len() + 1, Vec::new());
                }
                let same_len = &mut loose[lower.len()];
                if !same_len.contains(&lower) {
                    same_len.push(lower);
                }
            }
        }
        let mut code = HashSet::new();
        for (i, span) in head.split('`').enumerate() {
            for word in identifiers(span) {
                if code.len() >= MAX_WORDS {
                    break;
                }
                // Odd pieces are inside backticks.
                if i % 2 == 1 || code_shaped(word) {
                    code.insert(word.to_owned());
                }
            }
        }
        let mut paths = Vec::new();
        for token in head.split(|c: char| c.is_whitespace() || "`'\"()[]{}<>,;".contains(c)) {
            let token = token.trim_end_matches([':', '.', '!', '?']);
            if (token.contains('/') || token.contains('.')) && token.len() <= 512 {
                let p = normalise(token);
                if !p.is_empty() && paths.len() < MAX_WORDS && !paths.contains(&p) {
                    paths.push(p);
                }
            }
        }
        Mentions {
            words,
            loose,
            paths,
            code,
        }
    }

    /// Whether the prompt names `ident`: exactly, or ignoring case for longer words.
    #[cfg(test)]
    pub fn names(&self, ident: &str) -> bool {
        self.words.contains(ident) || self.names_loosely(ident)
    }

    /// Whether a longer word of the prompt is `ident` but for case.
    pub fn names_loosely(&self, ident: &str) -> bool {
        ident.len() >= MIN_LOOSE_LEN
            && self
                .loose
                .get(ident.len())
                .is_some_and(|ws| ws.iter().any(|w| w.eq_ignore_ascii_case(ident)))
    }

    /// The words written as code (see [`Mentions::code`]).
    pub fn code_words(&self) -> impl Iterator<Item = &str> {
        self.code.iter().map(String::as_str)
    }

    /// Whether the prompt names this file: its path or a tail of it (`store/mod.rs`).
    pub fn names_path(&self, path: &str) -> bool {
        self.paths.iter().any(|p| {
            path == p
                || (path.len() > p.len()
                    && path.ends_with(p.as_str())
                    && path.as_bytes()[path.len() - p.len() - 1] == b'/')
        })
    }

    /// The parts of a path a word may name: directory names, the file name, its stem.
    pub fn path_words(path: &str) -> impl Iterator<Item = &str> {
        let name = path.rsplit('/').next().unwrap_or(path);
        let stem = name.split('.').next().unwrap_or(name);
        path.split('/')
            .chain(std::iter::once(stem))
            .filter(|w| !w.is_empty())
    }

    pub fn is_empty(&self) -> bool {
        self.words.is_empty() && self.paths.is_empty()
    }
}

/// The identifier-shaped words of `text`.
fn identifiers(text: &str) -> impl Iterator<Item = &str> {
    text.split(|c: char| !(c.is_alphanumeric() || c == '_'))
        .filter(|w| !w.is_empty() && w.len() <= 128)
}

/// Snake case, camel case (a lower-case letter followed by a capital), or letters with
/// digits: shapes prose words do not take.
fn code_shaped(word: &str) -> bool {
    let inner_underscore = word.trim_matches('_').contains('_');
    let camel = word
        .as_bytes()
        .windows(2)
        .any(|w| w[0].is_ascii_lowercase() && w[1].is_ascii_uppercase());
    let has_letter = word.chars().any(char::is_alphabetic);
    let has_digit = word.chars().any(|c| c.is_ascii_digit());
    inner_underscore || camel || (has_letter && has_digit)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_and_paths_of_a_prompt() {
        let m = Mentions::read("Why does `load_config` fail in src/config.rs? See ./README.md.");
        assert!(m.names("load_config"));
        assert!(m.names("README"));
        assert!(!m.names("does"), "common words are not mentions");
        assert!(m.names_path("src/config.rs"));
        assert!(m.names_path("README.md"));
        assert!(!m.names_path("other/src/configs.rs"));
        assert!(!m.names_path("xsrc/config.rs"));
    }

    #[test]
    fn longer_words_match_without_case() {
        let m = Mentions::read("the config loader and the DB");
        assert!(m.names("Config"));
        assert!(m.names("CONFIG"));
        assert!(!m.names("Db"), "short words match exactly only");
        assert!(m.names("DB"));
    }

    #[test]
    fn code_is_told_from_prose() {
        let m = Mentions::read("None of `Config` or `new` helps: load_config, RepoMap, utf8 do");
        let mut code: Vec<&str> = m.code_words().collect();
        code.sort_unstable();
        assert_eq!(code, ["Config", "RepoMap", "load_config", "new", "utf8"]);
    }

    #[test]
    fn tails_of_paths_name_files() {
        let m = Mentions::read("look at store/mod.rs");
        assert!(m.names_path("src/store/mod.rs"));
        assert!(!m.names_path("src/restore/mod.rs"));
        assert_eq!(
            Mentions::path_words("src/store/mod.rs").collect::<Vec<_>>(),
            ["src", "store", "mod.rs", "mod"]
        );
    }

    #[test]
    fn huge_prompts_are_read_in_part() {
        let prompt: String = (0..200_000)
            .map(|i| format!("wörd{i} a/b{i}.rs "))
            .collect();
        let m = Mentions::read(&prompt);
        assert!(m.names("wörd0"));
        assert!(!m.names("wörd199999"), "past the head");
        assert!(m.words.len() <= MAX_WORDS && m.paths.len() <= MAX_WORDS);
    }

    #[test]
    fn attached_paths_are_normalised() {
        assert_eq!(normalise("./src\\main.rs"), "src/main.rs");
        assert_eq!(normalise("@src/lib.rs"), "src/lib.rs");
    }
}
