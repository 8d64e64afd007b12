//! Turns a prompt into what the analysis weighs: prose words (with the clause they sit
//! in), code blocks, file references and error traces. Words inside code, inline code and
//! file names are kept out of the prose, so "create a SECURITY.md file" does not read as
//! a security task.

use crate::text::fence;

/// One prose word, stemmed, with where it stands.
#[derive(Debug, Clone, PartialEq)]
pub struct Word {
    pub stem: String,
    /// 0 for the opening clause (where the request's main verb usually is).
    pub clause: u16,
    /// Index of the word within its clause.
    pub pos: u16,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct CodeBlock {
    pub lang: Option<String>,
    pub lines: usize,
    pub chars: usize,
}

#[derive(Debug, Clone, Default)]
pub struct Parsed {
    pub words: Vec<Word>,
    pub code: Vec<CodeBlock>,
    /// Distinct file names or paths mentioned, lowercased.
    pub files: Vec<String>,
    /// Directories mentioned (`src/ui/`), which point at many files.
    pub dirs: usize,
    /// A stack trace, panic or compiler error appears somewhere.
    pub has_trace: bool,
    pub questions: usize,
    pub prose_chars: usize,
    /// The prose words as written (lowercased, unstemmed, space-separated), up to
    /// [`PLAIN_CAP`] bytes: what the classifier reads character by character, so that
    /// inflections, typos and unspaced scripts still share pieces with its training text.
    pub plain: String,
}

/// The request is in the opening prose; past this, more words only cost time.
pub const PLAIN_CAP: usize = 1200;

impl Parsed {
    pub fn code_chars(&self) -> usize {
        self.code.iter().map(|c| c.chars).sum()
    }
    pub fn code_lines(&self) -> usize {
        self.code.iter().map(|c| c.lines).sum()
    }
}

/// Reduces a word to a crude stem so that "fixing", "fixed" and "fixes" meet "fix".
pub fn stem(word: &str) -> String {
    let mut w = word.to_ascii_lowercase();
    let n = w.len();
    if n > 4 && w.ends_with("ies") {
        w.truncate(n - 3);
        w.push('y');
    } else if n > 5 && w.ends_with("ing") {
        w.truncate(n - 3);
        undouble(&mut w);
    } else if n > 4 && w.ends_with("ed") {
        w.truncate(n - 2);
        undouble(&mut w);
    } else if n > 4 && w.ends_with("es") && matches!(w.as_bytes()[n - 3], b's' | b'x' | b'z' | b'h')
    {
        w.truncate(n - 2);
    } else if n > 3 && w.ends_with('s') && !w.ends_with("ss") && !w.ends_with("us") {
        w.truncate(n - 1);
    }
    if w.len() > 4 && w.ends_with('e') {
        w.pop();
    }
    w
}

fn undouble(w: &mut String) {
    let b = w.as_bytes();
    let n = b.len();
    if n >= 3 && b[n - 1] == b[n - 2] && !matches!(b[n - 1], b'l' | b's' | b'z' | b'e' | b'o') {
        w.pop();
    }
}

const SOURCE_EXTS: &[&str] = &[
    "rs", "py", "js", "ts", "tsx", "jsx", "go", "java", "kt", "kts", "swift", "c", "h", "cc",
    "cpp", "hpp", "cs", "rb", "php", "scala", "sql", "sh", "bash", "zsh", "yml", "yaml", "toml",
    "json", "md", "txt", "html", "css", "scss", "vue", "svelte", "lua", "dart", "ex", "exs", "erl",
    "hs", "ml", "clj", "gradle", "xml", "proto", "tf", "ini", "cfg", "conf", "env", "lock", "mod",
    "ipynb", "r", "m", "mm", "pl", "ps1", "bat", "cmake", "graphql", "prisma", "csv", "log",
];

const BARE_FILES: &[&str] = &[
    "dockerfile",
    "makefile",
    "jenkinsfile",
    "procfile",
    "gemfile",
    "rakefile",
    "vagrantfile",
    "codeowners",
    "justfile",
    "containerfile",
];

/// A token such as `src/db/pool.rs`, `Cargo.toml`, `.gitignore` or `Dockerfile`.
pub fn as_file(token: &str) -> Option<String> {
    let t = token
        .trim_matches(|c: char| {
            matches!(
                c,
                '"' | '\'' | '`' | ',' | ';' | ')' | '(' | '?' | '!' | ':'
            )
        })
        .trim_end_matches('.');
    // Most tokens are plain words: no dot and not a known extensionless name.
    if !t.contains('.') && !BARE_FILES.iter().any(|b| b.eq_ignore_ascii_case(t)) {
        return None;
    }
    let lower = t.to_ascii_lowercase();
    if BARE_FILES.contains(&lower.as_str()) {
        return Some(lower);
    }
    let name = lower.rsplit('/').next().unwrap_or(&lower);
    if name.starts_with('.')
        && name.len() > 2
        && name[1..]
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        return Some(lower); // .gitignore, .env, .editorconfig
    }
    let (stem, ext) = name.rsplit_once('.')?;
    let ok_stem = !stem.is_empty()
        && stem
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_-.".contains(c));
    let ok_ext = SOURCE_EXTS.contains(&ext);
    // "e.g." and "i.e." and version numbers are not files.
    (ok_stem && ok_ext && !stem.chars().all(|c| c.is_ascii_digit())).then_some(lower)
}

/// Lines that read as a stack trace, a panic or a compiler error.
fn is_trace_line(line: &str) -> bool {
    let l = line.trim_start();
    // `java.util.ConcurrentModificationException at ...`, `FooError: ...`
    let named = l
        .split(|c: char| c.is_whitespace() || c == ':' || c == '`')
        .any(|t| {
            let t = t.trim_end_matches(['.', ',']);
            t.len() > 9
                && (t.ends_with("Exception") || t.ends_with("Error"))
                && t.chars().next().is_some_and(|c| c.is_alphabetic())
        });
    if named {
        return true;
    }
    // One pass over the line for all the marks below (measured: 33 substring searches per
    // prose line were a tenth of routing's time). Fixed strings always build; were it ever
    // not to, the searches are done one by one.
    fn marks() -> Option<&'static aho_corasick::AhoCorasick> {
        static AC: std::sync::OnceLock<Option<aho_corasick::AhoCorasick>> =
            std::sync::OnceLock::new();
        AC.get_or_init(|| aho_corasick::AhoCorasick::new(MARKS).ok())
            .as_ref()
    }
    const MARKS: &[&str] = &[
        "Traceback (most recent call last)",
        "panicked at",
        "Exception in thread",
        "Segmentation fault",
        "segmentation fault",
        "core dumped",
        "NullPointerException",
        "stack backtrace",
        "Uncaught ",
        "FATAL",
        "fatal error:",
        "undefined reference to",
        "RuntimeError",
        "TypeError:",
        "ValueError:",
        "KeyError:",
        "AttributeError:",
        "ReferenceError:",
        "IndexError",
        "java.lang.",
        "goroutine ",
        "SIGSEGV",
        "Caused by:",
        "AddressSanitizer",
        "FAILED",
        "assertion failed",
        "error[E",
        "error: ",
        "Error: ",
        "ERROR ",
        "warning: unused",
        "** (exit)",
        "(EXIT)",
    ];
    marks().map_or_else(|| MARKS.iter().any(|m| l.contains(m)), |ac| ac.is_match(l))
        || (l.starts_with("at ") && l.contains('(') && l.contains(':'))
        || (l.starts_with("File \"") && l.contains("line "))
}

fn is_log_fence(lang: Option<&str>) -> bool {
    matches!(
        lang,
        None | Some(
            "text"
                | "txt"
                | "log"
                | "console"
                | "shell"
                | "sh"
                | "bash"
                | "zsh"
                | "output"
                | "stderr"
                | "stacktrace"
                | "traceback"
                | "pytb"
                | "plaintext"
        )
    )
}

/// A line of pasted code outside a fence.
fn is_code_line(line: &str) -> bool {
    let l = line.trim();
    if l.is_empty() || l.len() > 300 {
        return false;
    }
    const STARTS: &[&str] = &[
        "def ",
        "fn ",
        "pub fn",
        "class ",
        "import ",
        "from ",
        "#include",
        "public ",
        "private ",
        "protected ",
        "func ",
        "let ",
        "const ",
        "var ",
        "return ",
        "if (",
        "for (",
        "while (",
        "}",
        "@",
        "struct ",
        "impl ",
        "package ",
        "use ",
        "async ",
        "export ",
        "function ",
        "SELECT ",
        "select ",
        "#!/",
        "int ",
        "void ",
        "static ",
        "<div",
        "</",
        "#[",
        "self.",
    ];
    if STARTS.iter().any(|s| l.starts_with(s)) {
        return true;
    }
    let ends = l.ends_with(';') || l.ends_with('{') || l.ends_with('}') || l.ends_with("):");
    // "create a REST controller that returns {"status":"ok"}" ends like code but reads as
    // a request: a line that opens with several plain words is prose.
    ends && leading_prose_words(l) < 3
}

/// How many plain words open the line before anything code-like.
fn leading_prose_words(line: &str) -> usize {
    line.split_whitespace()
        .take_while(|w| {
            w.chars()
                .all(|c| c.is_alphabetic() || matches!(c, ',' | '\'' | ':' | '+'))
        })
        .count()
}

/// Splits "prettify this json: {...}" into the request and the pasted code.
fn split_inline_code(line: &str) -> Option<(&str, &str)> {
    let i = line.find(": ")?;
    let (head, rest) = (&line[..i], line[i + 2..].trim_start());
    let codeish = rest.starts_with(['{', '[', '<', '(', '`']) || is_code_line(rest);
    (codeish && leading_prose_words(head) >= 1 && head.split_whitespace().count() <= 12)
        .then_some((head, rest))
}

/// Splits the prompt and its attachments into prose and code.
pub fn parse(prompt: &str, attachments: &[&str]) -> Parsed {
    let mut p = Parsed::default();
    let mut prose = String::with_capacity(prompt.len());
    split_fences(prompt, &mut p, &mut prose);
    for a in attachments {
        let lines = a.lines().count().max(1);
        p.has_trace |= a.lines().any(is_trace_line);
        p.code.push(CodeBlock {
            lang: None,
            lines,
            chars: a.len(),
        });
    }
    words(&prose, &mut p);
    p
}

fn split_fences(prompt: &str, p: &mut Parsed, prose: &mut String) {
    let mut fences = fence::Scanner::new();
    let mut in_fence: Option<CodeBlock> = None;
    let mut loose = CodeBlock::default();
    for raw in prompt.lines() {
        let line = match fences.line(raw) {
            fence::Line::Open(f) => {
                in_fence = Some(CodeBlock {
                    lang: f.lang(),
                    ..CodeBlock::default()
                });
                continue;
            }
            fence::Line::Close => {
                p.code.extend(in_fence.take());
                continue;
            }
            fence::Line::Code(line) | fence::Line::Prose(line) => line,
        };
        if let Some(block) = in_fence.as_mut() {
            block.lines += 1;
            block.chars += line.len() + 1;
            // Traces are pasted bare or as logs; inside `rust` or `python` code, "Error: "
            // is just a string.
            if !p.has_trace && is_log_fence(block.lang.as_deref()) {
                p.has_trace = is_trace_line(line);
            }
            continue;
        }
        if let Some((head, code)) = split_inline_code(line) {
            p.has_trace |= is_trace_line(code);
            prose.push_str(head);
            prose.push('\n');
            loose.lines += 1;
            loose.chars += code.len() + 1;
        } else if is_trace_line(line) {
            p.has_trace = true;
            loose.lines += 1;
            loose.chars += line.len() + 1;
        } else if is_code_line(line) {
            loose.lines += 1;
            loose.chars += line.len() + 1;
        } else {
            prose.push_str(line);
            prose.push('\n');
        }
    }
    if let Some(block) = in_fence {
        p.code.push(block); // an unclosed fence still holds code
    }
    if loose.lines > 0 {
        p.code.push(loose);
    }
}

fn words(prose: &str, p: &mut Parsed) {
    p.prose_chars = prose.len();
    let prose = strip_preamble(prose);
    let mut clause: u16 = 0;
    let mut pos: u16 = 0;
    let mut in_inline = false;
    for raw in prose.split_inclusive(|c: char| c.is_whitespace()) {
        let token = raw.trim();
        if token.is_empty() {
            if raw.contains('\n') && pos > 0 {
                clause += 1;
                pos = 0;
            }
            continue;
        }
        let ticks = token.matches('`').count();
        let was_inline = in_inline;
        if ticks % 2 == 1 {
            in_inline = !in_inline;
        }
        if is_dir(token) {
            p.dirs += 1;
            pos += 1;
        } else if let Some(file) = as_file(token) {
            if !p.files.contains(&file) {
                p.files.push(file.clone());
            }
            p.words.push(Word {
                stem: format!("file:{}", file.rsplit('/').next().unwrap_or(&file)),
                clause,
                pos,
            });
            pos += 1;
        } else if !was_inline && ticks == 0 {
            for w in token.split(|c: char| !(c.is_alphanumeric() || c == '\'' || c == '_')) {
                let w = w.trim_matches('\'');
                if is_identifier(w) || is_member_access(token) {
                    pos += 1; // a name from the code, not a word of the request
                } else if !w.is_empty() {
                    push_plain(&mut p.plain, w);
                    p.words.push(Word {
                        stem: stem(w),
                        clause,
                        pos,
                    });
                    pos += 1;
                }
            }
        } else {
            pos += 1; // inline code occupies a position but says nothing
        }
        p.questions += token.matches('?').count();
        let ends_clause = token.ends_with(['.', '?', '!', ';', ':']) || raw.contains('\n');
        if ends_clause && pos > 0 && !is_abbreviation(token) {
            clause = clause.saturating_add(1);
            pos = 0;
        }
    }
}

fn push_plain(plain: &mut String, word: &str) {
    if plain.len() + word.len() >= PLAIN_CAP {
        return;
    }
    if plain.is_empty() {
        plain.push(' '); // so the first word's opening pieces are marked as one
    }
    if word.is_ascii() {
        let from = plain.len();
        plain.push_str(word);
        plain[from..].make_ascii_lowercase();
    } else {
        plain.extend(word.chars().flat_map(char::to_lowercase));
    }
    plain.push(' ');
}

/// Acronyms that carry meaning in a request; other all-caps words are names from code.
const ACRONYMS: &[&str] = &[
    "sql",
    "xss",
    "csrf",
    "ssrf",
    "cve",
    "owasp",
    "rce",
    "idor",
    "cors",
    "csp",
    "jwt",
    "tls",
    "dto",
    "crud",
    "lru",
    "cli",
    "oom",
    "json",
    "yaml",
    "api",
    "ci",
    "adr",
    "faq",
    "rfc",
    "pr",
    "k8s",
    "cqrs",
    "ddos",
    "readme",
    "todo",
    "http",
    "url",
    "orm",
    "db",
    "ui",
    "ux",
    "io",
    "cpu",
    "gpu",
    "ssl",
    "ssh",
    "aws",
    "gcp",
    "sdk",
    "nan",
    "null",
    "aes",
    "rsa",
    "md5",
    "sha1",
    "ram",
    "ttl",
    "license",
    "changelog",
    "contributing",
    "security",
    "makefile",
    "dockerfile",
    "rest",
    "fixme",
];

/// `snake_case`, `camelCase`, `SCREAMING_CASE` and other names that come from code.
fn is_identifier(w: &str) -> bool {
    if w.len() < 2 {
        return false;
    }
    if [
        "camelcase",
        "snake_case",
        "pascalcase",
        "kebab",
        "screaming_snake_case",
    ]
    .iter()
    .any(|s| s.eq_ignore_ascii_case(w))
    {
        return false; // naming styles, named in a request
    }
    if w.contains('_') {
        return true;
    }
    let mut letters = w.chars().filter(|c| c.is_alphabetic()).peekable();
    let first_upper = letters.peek().is_some_and(|c| c.is_uppercase());
    if first_upper
        && w.chars().filter(|c| c.is_alphabetic()).count() >= 2
        && letters.all(char::is_uppercase)
    {
        return !ACRONYMS.iter().any(|a| a.eq_ignore_ascii_case(w));
    }
    // An upper-case letter after a lower-case one: camelCase.
    w.chars()
        .zip(w.chars().skip(1))
        .any(|(a, b)| a.is_lowercase() && b.is_uppercase())
}

/// `YAML.load`, `foo.bar()`, `std::env::var`: code, not prose.
fn is_member_access(token: &str) -> bool {
    let t = token.trim_matches(|c: char| !c.is_alphanumeric() && c != ')');
    // A plain word, as most tokens are, can hold none of the marks below.
    if t.chars().all(char::is_alphanumeric) {
        return false;
    }
    if t.contains("::") || t.contains("()") || t.contains("->") || t.contains("#[") {
        return true;
    }
    // `name(` or `name[`: a call or an index, as in `derive(Debug,` or `panic!(`.
    let b = t.as_bytes();
    if b.windows(2)
        .any(|w| (w[0].is_ascii_alphanumeric() || w[0] == b'!') && (w[1] == b'(' || w[1] == b'['))
    {
        return true;
    }
    t.contains('.')
        && t.split('.').all(|p| {
            !p.is_empty()
                && p.chars().all(|c| c.is_alphanumeric() || "_()".contains(c))
                && p.chars().any(|c| c.is_alphabetic())
        })
}

/// `src/ui/` or `app/src/main/java/`: a folder, not a file.
fn is_dir(token: &str) -> bool {
    let t = token.trim_matches(|c: char| {
        matches!(
            c,
            '"' | '\'' | '`' | ',' | ';' | ')' | '(' | '.' | '?' | ':'
        )
    });
    if !t.contains('/') || t.contains("://") {
        return false;
    }
    let segments_ok = t
        .split('/')
        .all(|s| s.chars().all(|c| c.is_alphanumeric() || "_-*.".contains(c)));
    let root = t.split('/').next().unwrap_or("");
    // "src/components", "config/", "src/routes/*.rs"; but not "async/await" or "and/or".
    segments_ok
        && (t.ends_with('/') && t.len() > 2
            || t.contains('*')
            || (!t.contains('.') && ROOTS.contains(&root.to_ascii_lowercase().as_str())))
}

const ROOTS: &[&str] = &[
    "src",
    "app",
    "lib",
    "pkg",
    "cmd",
    "internal",
    "test",
    "tests",
    "config",
    "components",
    "pages",
    "web",
    "api",
    "services",
    "packages",
    "crates",
    "docs",
    "scripts",
    "modules",
    "server",
    "client",
];

fn is_abbreviation(token: &str) -> bool {
    matches!(
        token.to_ascii_lowercase().as_str(),
        "e.g." | "i.e." | "etc." | "vs." | "e.g.," | "i.e.,"
    )
}

/// Drops openers that carry no request ("hey,", "quick question:", "so,") so the main verb
/// leads the first clause.
fn strip_preamble(prose: &str) -> &str {
    let mut s = prose.trim_start();
    loop {
        let lower = s.to_ascii_lowercase();
        let mut cut = None;
        for opener in [
            "hey", "hi", "hello", "ok so", "okay so", "so", "ok", "okay", "please", "pls", "yo",
        ] {
            if let Some(rest) = lower.strip_prefix(opener) {
                if rest.starts_with([',', ' ', '!', ':']) {
                    cut = Some(opener.len() + 1);
                    break;
                }
            }
        }
        if cut.is_none() {
            // "simple question:", "quick one -", "dumb q:"
            if let Some(i) = lower.find([':', '-']) {
                let head = &lower[..i];
                let filler = head.split_whitespace().count() <= 3
                    && head
                        .split_whitespace()
                        .any(|w| matches!(w, "question" | "q" | "one" | "thing" | "ask" | "task"));
                if filler {
                    cut = Some(i + 1);
                }
            }
        }
        match cut {
            Some(n) => s = s[n..].trim_start(),
            None => return s,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stems_meet() {
        for (a, b) in [
            ("fixing", "fix"),
            ("fixed", "fixes"),
            ("formatting", "format"),
            ("writing", "write"),
            ("bugs", "bug"),
            ("refactoring", "refactor"),
            ("classes", "class"),
        ] {
            assert_eq!(stem(a), stem(b), "{a} {b}");
        }
    }

    #[test]
    fn files_are_recognised_and_not_read_as_words() {
        let p = parse(
            "create a SECURITY.md file and update src/db/pool.rs and Dockerfile",
            &[],
        );
        assert_eq!(p.files, vec!["security.md", "src/db/pool.rs", "dockerfile"]);
        assert!(!p.words.iter().any(|w| w.stem == "security"));
        assert!(as_file("e.g.").is_none() && as_file("1.2").is_none());
    }

    #[test]
    fn code_and_traces_leave_the_prose() {
        let p = parse("why does this crash?\n```rust\nfn main() { let v = vec![1]; }\n```\nthread 'main' panicked at src/main.rs:3:5", &[]);
        assert_eq!(p.code.len(), 2);
        assert!(p.has_trace);
        assert_eq!(p.questions, 1);
        assert!(!p.words.iter().any(|w| w.stem == "vec"));
    }

    #[test]
    fn a_fence_inside_a_longer_fence_stays_code() {
        // A markdown file pasted in a four-backtick block: its own fences do not end the
        // block, so "security" in it is code, not the request's topic. (The router used to
        // close on any fence line, reading the tail as prose.)
        let p = parse(
            "format this readme\n````md\n# Notes\n```sh\nmake\n```\nsecurity review pending\n````",
            &[],
        );
        assert_eq!(p.code.len(), 1);
        assert_eq!(p.code[0].lang.as_deref(), Some("md"));
        assert_eq!(p.code[0].lines, 5);
        assert!(!p.words.iter().any(|w| w.stem.starts_with("secur")));
    }

    #[test]
    fn preambles_are_dropped_so_the_verb_leads() {
        let p = parse("simple question: how should we shard this database?", &[]);
        assert_eq!(p.words[0].stem, "how");
        assert_eq!(p.words[0].clause, 0);
        let p = parse("hey, please fix the typo", &[]);
        assert_eq!(p.words[0].stem, "fix");
    }

    #[test]
    fn names_from_code_are_not_words() {
        let p = parse("change the log level from DEBUG to WARN and make parseConfig use MAX_RETRIES, not YAML.load", &[]);
        let stems: Vec<&str> = p.words.iter().map(|w| w.stem.as_str()).collect();
        assert!(
            !stems.contains(&"debug") && !stems.contains(&"warn") && !stems.contains(&"load"),
            "{stems:?}"
        );
        let p = parse("is this XSS safe? see app/src/ui/", &[]);
        assert!(p.words.iter().any(|w| w.stem == "xss"));
        assert_eq!(p.dirs, 1);
    }

    #[test]
    fn inline_code_says_nothing() {
        let p = parse("rename `debug_mode` to `verbose`", &[]);
        assert_eq!(p.words.len(), 2);
    }
}
