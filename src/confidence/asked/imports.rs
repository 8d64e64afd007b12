//! Whether an import the prompt asks for names the module it asks about: "import `add`
//! from math_utils.py" answered with `import math` never reaches the file.

use crate::confidence::words::{file_tokens, has_phrase, plain_file};

/// Names of the form `name.js` that are products, not files ("Node.js").
const PRODUCTS: &[&str] = &[
    "node", "vue", "next", "nuxt", "react", "express", "angular", "ember", "backbone", "d3",
    "three", "chart", "socket", "deno", "nest", "svelte", "solid", "p5", "moment", "day",
];

/// The module a prompt asks to import from, named by its file ("import `add` from
/// math_utils.py"), when the answer's `code` never names it. `text` is the prompt
/// normalised; the file is read from the prompt as written, whose case the code keeps.
pub(super) fn missing(prompt: &str, text: &str, code: &str) -> Option<String> {
    if !has_phrase(text, "import") || text.trim_start().starts_with("why") {
        return None;
    }
    let (file, stem) = file_tokens(prompt).find_map(|t| {
        // A path names its module by its last part ("src/math_utils.py").
        let (stem, ext) = plain_file(t.rsplit('/').next()?)?;
        let module = matches!(ext, "py" | "js" | "mjs" | "ts")
            && !PRODUCTS.contains(&stem.to_ascii_lowercase().as_str());
        module.then_some((t, stem))
    })?;
    (!has_phrase(code, stem)).then(|| {
        format!("the prompt asks to import from {file}, and the code never names `{stem}`")
    })
}

#[cfg(test)]
mod tests {
    use crate::confidence::words::normalise;

    fn missing(prompt: &str, blocks: &[&str]) -> Option<String> {
        super::missing(prompt, &normalise(prompt), &blocks.join("\n"))
    }

    #[test]
    fn an_import_from_a_named_file_must_name_its_module() {
        let prompt = "I have a file math_utils.py with `def add(a, b)`. Show how to import add in another file.";
        assert!(missing(prompt, &["import math\nprint(math.add(2, 3))"]).is_some());
        assert!(missing(prompt, &["from math_utils import add\nprint(add(2, 3))"]).is_none());
        let js = "How do I import `foo` from `helpers.js` in ES modules?";
        assert!(missing(js, &["import { foo } from './helpers.js';"]).is_none());
        assert!(missing(js, &["import foo from 'esm.js-lint';"]).is_some());
        assert!(
            missing("Fix the bug in utils.py", &["x = 1"]).is_none(),
            "no import asked"
        );
        let node = "How do I import a function from another file in Node.js with CommonJS?";
        assert!(missing(node, &["const { double } = require('./math');"]).is_none());
    }
}
