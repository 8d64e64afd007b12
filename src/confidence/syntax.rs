//! The syntax signal: how much of the answer's code fails to parse.
//!
//! Each fenced block with a known language is parsed (tree-sitter for Rust, Python,
//! JavaScript, TypeScript, Go, Java, C and shell; the data crates for JSON, TOML and YAML;
//! a line check for diffs; the mistakes every SQL dialect rejects) after its elisions are blanked. Any line in error caps the
//! signal low (the code does not run as given); past that, the share of non-blank lines in
//! error tells one typo from a block of prose fenced as Python. Blocks in other languages
//! are neutral and left out.

use super::data_formats;
use super::elision::{self, Style};
use super::fences::{Block, Doc};
use super::grammar::{self, Grammar};
use super::sql;
use super::{signal, Signal};

pub(crate) const WEIGHT: f32 = 2.5;

/// Blocks longer than this are left out, and so are blocks after this much code: tree-sitter
/// parses a few MB/s, and the scorer's time budget is for answers, not pasted repositories.
const MAX_BLOCK: usize = 64 * 1024;
const MAX_CODE: usize = 128 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Checker {
    Tree(Grammar),
    Json,
    Toml,
    Yaml,
    Diff,
    Sql,
}

/// The checker for a fence tag; `None` for tags we do not check (neutral).
pub(crate) fn checker_for(tag: &str) -> Option<Checker> {
    use Checker::*;
    Some(match tag {
        "rs" | "rust" => Tree(Grammar::Rust),
        "py" | "python" | "python3" | "py3" => Tree(Grammar::Python),
        "js" | "javascript" | "jsx" | "mjs" | "cjs" | "node" => Tree(Grammar::JavaScript),
        "ts" | "typescript" | "mts" | "cts" => Tree(Grammar::TypeScript),
        "tsx" => Tree(Grammar::Tsx),
        "go" | "golang" => Tree(Grammar::Go),
        "java" => Tree(Grammar::Java),
        "c" | "h" => Tree(Grammar::C),
        "bash" | "sh" | "shell" | "zsh" => Tree(Grammar::Bash),
        "json" | "jsonc" => Json,
        "toml" => Toml,
        "yaml" | "yml" => Yaml,
        "diff" | "patch" => Diff,
        "sql" | "postgres" | "postgresql" | "psql" | "mysql" | "sqlite" | "plsql" | "tsql"
        | "pgsql" => Sql,
        _ => return None,
    })
}

impl Checker {
    fn name(self) -> &'static str {
        match self {
            Checker::Tree(g) => g.name(),
            Checker::Json => "json",
            Checker::Toml => "toml",
            Checker::Yaml => "yaml",
            Checker::Diff => "diff",
            Checker::Sql => "sql",
        }
    }

    /// Broken rows of `code`, or `None` when the parser gave no answer (neutral).
    fn broken_rows(self, code: &str) -> Option<Vec<bool>> {
        match self {
            Checker::Tree(Grammar::Python) => {
                grammar::broken_lines(Grammar::Python, &elision::strip(code, Style::Python))
            }
            Checker::Tree(g) => grammar::broken_lines(g, &elision::strip(code, Style::Blank)),
            Checker::Json => Some(data_formats::json(&strip_json(code))),
            Checker::Toml => Some(data_formats::toml(&elision::strip(code, Style::Blank))),
            // `...` alone is YAML's document end marker, so YAML is parsed as written.
            Checker::Yaml => data_formats::yaml(code),
            Checker::Diff => Some(data_formats::diff(code)),
            Checker::Sql => Some(sql::broken_rows(&elision::strip(code, Style::Blank))),
        }
    }
}

/// JSON with its elisions and `//` comment lines removed (answers annotate JSON; jsonc
/// allows it).
fn strip_json(code: &str) -> String {
    let no_comments: String = code
        .lines()
        .map(|l| {
            if l.trim_start().starts_with("//") {
                ""
            } else {
                l
            }
        })
        .flat_map(|l| [l, "\n"])
        .collect();
    elision::strip(&no_comments, Style::Json)
}

/// What one block's check found.
struct Checked {
    name: &'static str,
    lines: usize,
    broken: usize,
}

fn check(block: &Block) -> Option<Checked> {
    let checker = checker_for(&block.tag)?;
    let lines = block.body.lines().filter(|l| !l.trim().is_empty()).count();
    if lines == 0 {
        return None;
    }
    let rows = checker.broken_rows(&block.body)?;
    Some(Checked {
        name: checker.name(),
        lines,
        broken: grammar::count_broken(&block.body, &rows),
    })
}

/// The syntax signal (absent when no block is in a language we check), with `other` (the scorer's other signals, which cost about
/// `other_cost` bytes of parsing) run on this thread meanwhile: see [`check_all`].
pub(crate) fn signal_alongside<T>(
    doc: &Doc,
    other_cost: usize,
    other: impl FnOnce() -> T,
) -> (Option<Signal>, T) {
    let mut code = 0;
    let blocks: Vec<&Block> = doc
        .blocks
        .iter()
        .filter(|b| b.body.len() <= MAX_BLOCK && checker_for(&b.tag).is_some())
        .take_while(|b| {
            code += b.body.len();
            code <= MAX_CODE
        })
        .collect();
    let (checked, theirs) = check_all(&blocks, other_cost, other);
    if checked.is_empty() {
        return (None, theirs);
    }
    let lines: usize = checked.iter().map(|c| c.lines).sum();
    let broken: usize = checked.iter().map(|c| c.broken).sum();
    let share = broken as f32 / lines.max(1) as f32;
    (
        Some(signal(score_for(share), WEIGHT, detail(&checked))),
        theirs,
    )
}

/// Below this much code the blocks are checked on the calling thread: starting a second one
/// costs more than it saves.
const SPLIT_AT: usize = 2 * 1024;

/// Every block checked, in order, and what `other` gave. With enough code, the work is
/// shared between this thread and one more: this one runs `other` and some blocks, the
/// second the rest, so that each has about half (by parsing cost; `other_cost` is `other`'s).
/// tree-sitter parses about 3–4 MB/s on the 2-core machines we measure on, so a 10 KB
/// answer's parsing is most of its scoring time (`cargo bench --bench confidence`). The work
/// is the same; it finishes sooner when a second core is free. If no thread can be started,
/// this one does it all.
fn check_all<T>(
    blocks: &[&Block],
    other_cost: usize,
    other: impl FnOnce() -> T,
) -> (Vec<Checked>, T) {
    let total: usize = blocks.iter().map(|b| cost(b)).sum();
    if total < SPLIT_AT || blocks.len() < 2 {
        let theirs = other();
        return (blocks.iter().filter_map(|b| check(b)).collect(), theirs);
    }
    let (mine, theirs) = halves(blocks, other_cost);
    let check_part = |part: &[usize]| -> Vec<(usize, Checked)> {
        part.iter()
            .filter_map(|i| Some((*i, check(blocks[*i])?)))
            .collect()
    };
    let (mut out, value) = std::thread::scope(|scope| {
        let second = std::thread::Builder::new().spawn_scoped(scope, || check_part(&theirs));
        let value = other();
        let mut out = check_part(&mine);
        match second.map(|h| h.join()) {
            Ok(Ok(rest)) => out.extend(rest),
            // No thread, or it panicked (a parser bug): the other half is checked here.
            _ => out.extend(check_part(&theirs)),
        }
        (out, value)
    });
    out.sort_by_key(|(i, _)| *i);
    (out.into_iter().map(|(_, c)| c).collect(), value)
}

/// The blocks' indices in two sets of about equal cost, the first starting with `preload`
/// (work of its own): the costliest block first, each to the lighter set.
fn halves(blocks: &[&Block], preload: usize) -> (Vec<usize>, Vec<usize>) {
    let mut order: Vec<usize> = (0..blocks.len()).collect();
    order.sort_by_key(|i| std::cmp::Reverse(cost(blocks[*i])));
    let (mut a, mut b) = ((Vec::new(), preload), (Vec::new(), 0));
    for i in order {
        let lighter = if a.1 <= b.1 { &mut a } else { &mut b };
        lighter.0.push(i);
        lighter.1 += cost(blocks[i]);
    }
    (a.0, b.0)
}

/// A block's parsing cost in tree-sitter bytes: the data formats' own parsers are about ten
/// times faster per byte.
fn cost(block: &Block) -> usize {
    match checker_for(&block.tag) {
        Some(Checker::Tree(_)) => block.body.len(),
        _ => block.body.len() / 10,
    }
}

/// Code with any line in error does not compile or run as given, however long it is: a
/// single broken line already caps the signal at [`BROKEN`]. Past that, a cubic fall-off
/// still tells a typo from a block of prose fenced as code (half the code in error leaves
/// almost nothing).
fn score_for(share: f32) -> f32 {
    let share = share.clamp(0.0, 1.0);
    if share == 0.0 {
        return 1.0;
    }
    (1.0 - share).powi(3).min(BROKEN)
}

/// The most a draft whose code does not parse can score on syntax.
const BROKEN: f32 = 0.3;

fn detail(checked: &[Checked]) -> String {
    let bad: Vec<String> = checked
        .iter()
        .filter(|c| c.broken > 0)
        .map(|c| format!("{} ({} of {} lines)", c.name, c.broken, c.lines))
        .collect();
    let mut names: Vec<&str> = Vec::new();
    for c in checked {
        if !names.contains(&c.name) {
            names.push(c.name);
        }
    }
    if bad.is_empty() {
        return format!("every checked code block parses ({})", names.join(", "));
    }
    format!(
        "syntax errors in {} of {} code blocks: {}",
        bad.len(),
        checked.len(),
        bad.join(", ")
    )
}

#[cfg(test)]
mod tests {
    use super::super::fences::split;
    use super::*;

    fn signal_for(doc: &Doc) -> Option<Signal> {
        signal_alongside(doc, 0, || ()).0
    }

    fn syntax(answer: &str) -> Option<f32> {
        signal_for(&split(answer)).map(|s| s.score)
    }

    fn ok(answer: &str) {
        let s = signal_for(&split(answer)).expect("a syntax signal");
        assert_eq!(s.score, 1.0, "{answer}\n{}", s.detail);
    }

    fn bad(answer: &str) {
        let s = signal_for(&split(answer)).expect("a syntax signal");
        assert!(s.score < 0.75, "{answer}\n{} {}", s.score, s.detail);
    }

    #[test]
    fn fence_tags_map_to_checkers() {
        for (tag, name) in [
            ("rs", "rust"),
            ("rust", "rust"),
            ("py", "python"),
            ("python3", "python"),
            ("js", "javascript"),
            ("jsx", "javascript"),
            ("mjs", "javascript"),
            ("ts", "typescript"),
            ("typescript", "typescript"),
            ("tsx", "tsx"),
            ("go", "go"),
            ("golang", "go"),
            ("json", "json"),
            ("toml", "toml"),
            ("yml", "yaml"),
            ("diff", "diff"),
            ("java", "java"),
            ("c", "c"),
            ("sh", "bash"),
            ("bash", "bash"),
        ] {
            assert_eq!(checker_for(tag).map(Checker::name), Some(name), "{tag}");
        }
        assert_eq!(checker_for("powershell"), None);
        assert_eq!(checker_for(""), None);
    }

    #[test]
    fn rust_valid_fragment_and_broken() {
        ok("```rust\nfn add(a: i32, b: i32) -> i32 {\n    a + b\n}\n```");
        ok("```rs\nlet v: Vec<u8> = Vec::new();\nfor x in &v {\n    println!(\"{x}\");\n}\n```");
        ok("```rust\nimpl Cache {\n    // ...existing code...\n    pub fn clear(&mut self) {\n        self.map.clear();\n    }\n}\n```");
        ok("```rust\npub fn len(&self) -> usize {\n    self.items.len()\n}\n```");
        ok("```rust\nfn run() {\n    ...\n    let x = 1;\n}\n```");
        bad("```rust\nfn add(a: i32, b: i32) -> i32 {\n    a + \n}}\nfn\n```");
    }

    #[test]
    fn python_valid_fragment_and_broken() {
        ok("```python\ndef f(xs):\n    return [x * 2 for x in xs]\n```");
        ok("```py\n    def area(self):\n        return self.w * self.h\n```");
        ok("```python\nclass A:\n    def f(self):\n        # ... unchanged ...\n```");
        bad("```python\ndef reverse(s: str) -> str {\n  return s[::-1]\n}\n```");
    }

    #[test]
    fn javascript_valid_fragment_and_broken() {
        ok("```js\nconst sum = (xs) => xs.reduce((a, b) => a + b, 0);\n```");
        ok("```javascript\nif (!user) {\n  return null;\n}\n// ...\n```");
        ok("```jsx\nconst App = () => <div>{items.map((i) => <p key={i}>{i}</p>)}</div>;\n```");
        bad("```javascript\nfunction square(x: i64) {\n    return x * x\n}\n```");
    }

    #[test]
    fn typescript_and_tsx_valid_fragment_and_broken() {
        ok("```ts\ninterface User {\n  id: number;\n  name: string;\n}\n```");
        ok("```typescript\n  async load(id: string): Promise<User> {\n    return this.repo.get(id);\n  }\n```");
        ok("```tsx\nexport function Hello({ name }: { name: string }) {\n  return <h1>Hello {name}</h1>;\n}\n```");
        bad("```ts\ninterface User {\n  id: number\n  name: string =>\n```\n");
        bad("```tsx\nexport function A() {\n  return <div><span></div>;\n}\n```");
    }

    #[test]
    fn go_valid_fragment_and_broken() {
        ok("```go\npackage main\n\nimport \"fmt\"\n\nfunc main() {\n\tfmt.Println(\"hi\")\n}\n```");
        ok("```go\nfunc Max(a, b int) int {\n\tif a > b {\n\t\treturn a\n\t}\n\treturn b\n}\n```");
        ok("```golang\nif err != nil {\n\treturn err\n}\n```");
        bad(
            "```go\nfn even(n: i64) {\n    if n % 2 == 0 {\n        return \"even\"\n    }\n}\n```",
        );
    }

    #[test]
    fn data_formats_valid_fragment_and_broken() {
        ok("```json\n{\n  \"name\": \"app\",\n  \"version\": \"1.0.0\"\n}\n```");
        ok("```json\n{\n  \"scripts\": { ... },\n  \"name\": \"app\",\n  // ...\n}\n```");
        bad("```json\n{\n  'name': 'app',\n  version: 1\n}\n```");
        ok("```toml\n[dependencies]\nserde = { version = \"1\", features = [\"derive\"] }\n...\n```");
        bad("```toml\n[package\nname = app\n```");
        ok("```yaml\nservices:\n  db:\n    image: postgres:16\n    ports:\n      - \"5432:5432\"\n```");
        bad("```yaml\nservices:\n  db:\n    image: postgres\n   ports: [1, 2\n```");
        ok("```diff\n--- a/x.py\n+++ b/x.py\n@@ -1,2 +1,2 @@\n def f():\n-    return 1\n+    return 2\n```");
        bad("```diff\nI changed the return value to 2.\nThe function now works.\n-    return 1\n```");
    }

    /// One error caps the signal; a block of prose fenced as code scores lower still.
    #[test]
    fn one_error_caps_and_the_share_still_counts() {
        let mut long = String::from("```python\n");
        for i in 0..40 {
            long += &format!("x{i} = {i}\n");
        }
        long += "y = (\n```";
        let one_error = syntax(&long).expect("signal");
        let all_bad =
            syntax("```python\nthis is not python at all\nnor is this }}}\n```").expect("signal");
        assert!(one_error <= 0.3, "{one_error}");
        assert!(all_bad < 0.2 && all_bad < one_error, "{all_bad}");
    }

    #[test]
    fn unknown_language_or_no_code_is_absent() {
        assert_eq!(
            syntax("```powershell\nGet-ChildItem | Measure-Object\n```"),
            None
        );
        assert_eq!(syntax("```\nplain text\n```"), None);
        assert_eq!(syntax("No code here."), None);
        assert_eq!(syntax("```python\n\n```"), None);
    }

    #[test]
    fn detail_names_the_broken_block() {
        let s =
            signal_for(&split("```go\nfunc f( {\n```\n```rust\nfn a() {}\n```")).expect("signal");
        assert!(s.detail.contains("go (1 of 1 lines)"), "{}", s.detail);
        assert!(s.detail.contains("1 of 2 code blocks"), "{}", s.detail);
    }

    #[test]
    fn a_rust_macro_call_left_without_its_semicolon_is_broken() {
        let bad =
            "```rust\nfn main() {\n    println!(\"{:?}\", f(t))\n    println!(\"done\");\n}\n```";
        assert!(
            signal_for(&split(bad)).is_some_and(|s| s.score <= BROKEN),
            "missing ;"
        );
        for good in [
            "```rust\nfn name(x: u8) -> String {\n    format!(\"n{x}\")\n}\n```",
            "```rust\nfn main() {\n    println!(\"{:?}\", f(\"1\"));   // Ok([1])\n    println!(\"b\"); // (done)\n}\n```",
            "```rust\nfn main() {\n    let v = vec!(1, 2)\n        .len();\n    println!(\"{v}\");\n}\n```",
        ] {
            let s = signal_for(&split(good)).expect("checked");
            assert_eq!(s.score, 1.0, "{good}: {}", s.detail);
        }
    }

    #[test]
    fn shared_between_two_threads_the_blocks_are_judged_as_one_thread_judges_them() {
        let mut answer = String::new();
        for i in 0..12 {
            let (tag, body) = match i % 4 {
                0 => (
                    "rust",
                    format!("fn f{i}(x: u32) -> u32 {{\n    x + {i}\n}}\n"),
                ),
                1 => ("python", format!("def g{i}(x):\n    return x * {i}\n")),
                2 => ("json", format!("{{\"k{i}\": [1, 2, 3]}}\n")),
                _ => ("go", format!("func h{i}( {{\n\treturn\n}}\n")),
            };
            answer.push_str(&format!("```{tag}\n{}```\n", body.repeat(8)));
        }
        let doc = split(&answer);
        let blocks: Vec<&Block> = doc.blocks.iter().collect();
        assert!(blocks.iter().map(|b| cost(b)).sum::<usize>() >= SPLIT_AT);
        let one: Vec<(&str, usize, usize)> = blocks
            .iter()
            .filter_map(|b| check(b))
            .map(|c| (c.name, c.lines, c.broken))
            .collect();
        let two: Vec<(&str, usize, usize)> = check_all(&blocks, 100, || ())
            .0
            .into_iter()
            .map(|c| (c.name, c.lines, c.broken))
            .collect();
        assert_eq!(one, two);
        assert!(two.iter().any(|c| c.2 > 0) && two.iter().any(|c| c.2 == 0));
    }
}
