//! Which grammar reads a file, and the tags query each grammar runs: the `tags.scm` its crate
//! ships (what aider's repository map uses), plus a few patterns this module adds.
//!
//! The crates' queries capture `@name` with `@definition.*` or `@reference.*`. The additions:
//! - more references where the shipped query has few: Rust and TypeScript name types
//!   everywhere, and Rust, Python and JavaScript import names; without these a file that only
//!   uses a struct as a parameter type would not point at the file defining it;
//! - Rust trait method declarations, consts and statics as definitions;
//! - `@scope.*` captures: function bodies (definitions inside them are local and left out),
//!   class, impl and trait bodies (functions inside them are methods), and Rust's
//!   `#[cfg(test)]` modules (tests are not the project's API).

use std::sync::{Mutex, MutexGuard, OnceLock, PoisonError};

use tree_sitter::{CaptureQuantifier, Language, Parser, Query, QueryCursor};

use super::tags::SymbolKind;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Lang {
    Rust,
    Python,
    JavaScript,
    TypeScript,
    Tsx,
    Go,
}

const ALL: [Lang; 6] = [
    Lang::Rust,
    Lang::Python,
    Lang::JavaScript,
    Lang::TypeScript,
    Lang::Tsx,
    Lang::Go,
];

/// What a capture in the tags query means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Role {
    /// The identifier of the definition or reference in the same match.
    Name,
    Def(SymbolKind),
    Ref,
    Scope(ScopeKind),
    /// Captures the query uses only for predicates (`@doc`, `@_cfg`).
    Other,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum ScopeKind {
    /// A function body: definitions inside it are local.
    Function,
    /// A class, impl or trait body: functions inside it are its methods.
    Class,
    /// Rust's `#[cfg(test)]` module, the whole item.
    Test,
}

/// A grammar with its compiled tags query.
pub(super) struct Grammar {
    pub lang: Lang,
    language: Language,
    pub query: Query,
    /// By capture index.
    pub roles: Vec<Role>,
}

const RUST_EXTRA: &str = r#"
(function_signature_item name: (identifier) @name) @definition.method
(const_item name: (identifier) @name) @definition.constant
(static_item name: (identifier) @name) @definition.constant
(type_identifier) @name @reference.type
(scoped_identifier name: (identifier) @name) @reference.call
((scoped_identifier path: (identifier) @name) @reference.type (#match? @name "^[A-Z]"))
(use_list (identifier) @name) @reference.call
(function_item) @scope.function
(closure_expression) @scope.function
(impl_item) @scope.class
(trait_item) @scope.class
((attribute_item) @_cfg . (mod_item) @scope.test (#match? @_cfg "^#\\[cfg\\(test\\)\\]$"))
"#;

const PYTHON_EXTRA: &str = r#"
(type (identifier) @name) @reference.type
(class_definition superclasses: (argument_list (identifier) @name)) @reference.class
(import_from_statement name: (dotted_name (identifier) @name)) @reference.import
(import_from_statement name: (aliased_import name: (dotted_name (identifier) @name))) @reference.import
(function_definition) @scope.function
(class_definition) @scope.class
"#;

const JAVASCRIPT_EXTRA: &str = r#"
(import_specifier name: (identifier) @name) @reference.import
(function_declaration) @scope.function
(generator_function_declaration) @scope.function
(function_expression) @scope.function
(generator_function) @scope.function
(arrow_function) @scope.function
(method_definition) @scope.function
(class_declaration) @scope.class
(class) @scope.class
"#;

const TYPESCRIPT_EXTRA: &str = r#"
(type_identifier) @name @reference.type
(abstract_class_declaration) @scope.class
(interface_declaration) @scope.class
"#;

const GO_EXTRA: &str = r#"
(function_declaration) @scope.function
(method_declaration) @scope.function
(func_literal) @scope.function
"#;

impl Lang {
    /// The grammar for a file, by its extension.
    pub fn from_path(path: &std::path::Path) -> Option<Lang> {
        let ext = path.extension()?.to_str()?;
        Some(match ext.to_ascii_lowercase().as_str() {
            "rs" => Lang::Rust,
            "py" | "pyi" => Lang::Python,
            "js" | "mjs" | "cjs" | "jsx" => Lang::JavaScript,
            "ts" | "mts" | "cts" => Lang::TypeScript,
            "tsx" => Lang::Tsx,
            "go" => Lang::Go,
            _ => return None,
        })
    }

    fn index(self) -> usize {
        self as usize
    }

    fn language(self) -> Language {
        match self {
            Lang::Rust => tree_sitter_rust::LANGUAGE.into(),
            Lang::Python => tree_sitter_python::LANGUAGE.into(),
            Lang::JavaScript => tree_sitter_javascript::LANGUAGE.into(),
            Lang::TypeScript => tree_sitter_typescript::LANGUAGE_TYPESCRIPT.into(),
            Lang::Tsx => tree_sitter_typescript::LANGUAGE_TSX.into(),
            Lang::Go => tree_sitter_go::LANGUAGE.into(),
        }
    }

    /// The query source. TypeScript's shipped tags query holds only what JavaScript's lacks,
    /// so the two run together, as its grammar extends JavaScript's.
    fn query_source(self) -> String {
        match self {
            Lang::Rust => [tree_sitter_rust::TAGS_QUERY, RUST_EXTRA].concat(),
            Lang::Python => [tree_sitter_python::TAGS_QUERY, PYTHON_EXTRA].concat(),
            Lang::JavaScript => [tree_sitter_javascript::TAGS_QUERY, JAVASCRIPT_EXTRA].concat(),
            Lang::TypeScript | Lang::Tsx => [
                tree_sitter_javascript::TAGS_QUERY,
                JAVASCRIPT_EXTRA,
                tree_sitter_typescript::TAGS_QUERY,
                TYPESCRIPT_EXTRA,
            ]
            .concat(),
            Lang::Go => [tree_sitter_go::TAGS_QUERY, GO_EXTRA].concat(),
        }
    }

    /// The compiled grammar, built once per process: compiling a tags query takes longer
    /// than tagging a typical file. `None` only if the query does not compile against its
    /// grammar, which the tests rule out for the versions in Cargo.lock.
    pub fn grammar(self) -> Option<&'static Grammar> {
        static GRAMMARS: [OnceLock<Option<Grammar>>; ALL.len()] =
            [const { OnceLock::new() }; ALL.len()];
        GRAMMARS[self.index()]
            .get_or_init(|| compile(self))
            .as_ref()
    }
}

fn compile(lang: Lang) -> Option<Grammar> {
    let language = lang.language();
    let mut query = Query::new(&language, &lang.query_source()).ok()?;
    // Doc comments are captured only for the shipped queries' `#strip!`; nothing here reads
    // them, and a run of comments held open by `(comment)*` costs matching time.
    query.disable_capture("doc");
    let roles: Vec<Role> = query.capture_names().iter().map(|n| role(n)).collect();
    // Patterns that capture only a `@name` (Go's package, import, var and const lines) say
    // neither what is defined nor what is used.
    for pattern in 0..query.pattern_count() {
        let useful = query
            .capture_quantifiers(pattern)
            .iter()
            .zip(&roles)
            .any(|(q, r)| *q != CaptureQuantifier::Zero && !matches!(r, Role::Name | Role::Other));
        if !useful {
            query.disable_pattern(pattern);
        }
    }
    Some(Grammar {
        lang,
        language,
        query,
        roles,
    })
}

fn role(capture: &str) -> Role {
    if capture == "name" {
        return Role::Name;
    }
    if let Some(kind) = capture.strip_prefix("definition.") {
        return match kind {
            "function" => Role::Def(SymbolKind::Function),
            "method" => Role::Def(SymbolKind::Method),
            "class" | "type" | "enum" | "struct" => Role::Def(SymbolKind::Type),
            "interface" | "trait" => Role::Def(SymbolKind::Interface),
            "constant" => Role::Def(SymbolKind::Constant),
            "module" => Role::Def(SymbolKind::Module),
            "macro" => Role::Def(SymbolKind::Macro),
            _ => Role::Other,
        };
    }
    if capture.starts_with("reference.") {
        return Role::Ref;
    }
    match capture {
        "scope.function" => Role::Scope(ScopeKind::Function),
        "scope.class" => Role::Scope(ScopeKind::Class),
        "scope.test" => Role::Scope(ScopeKind::Test),
        _ => Role::Other,
    }
}

/// A parser and a query cursor, reused: both allocate, and a map tags thousands of files.
pub(super) struct Tools {
    pub parser: Parser,
    pub cursor: QueryCursor,
}

/// Idle tools per grammar, shared by all threads. Unlike a thread-local, a pool serves short
/// lived scoped threads and the engine's blocking workers alike, and holds at most as many
/// as ever ran at once.
static POOL: [Mutex<Vec<Tools>>; ALL.len()] = [const { Mutex::new(Vec::new()) }; ALL.len()];

fn pool(lang: Lang) -> MutexGuard<'static, Vec<Tools>> {
    // A poisoned pool still holds working tools: a parse never leaves one half-updated.
    POOL[lang.index()]
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
}

impl Grammar {
    pub fn take_tools(&self) -> Option<Tools> {
        if let Some(t) = pool(self.lang).pop() {
            return Some(t);
        }
        let mut parser = Parser::new();
        parser.set_language(&self.language).ok()?;
        Some(Tools {
            parser,
            cursor: QueryCursor::new(),
        })
    }

    pub fn give_back(&self, tools: Tools) {
        pool(self.lang).push(tools);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    #[test]
    fn every_query_compiles_against_its_grammar() {
        for lang in ALL {
            let source = lang.query_source();
            if let Err(e) = Query::new(&lang.language(), &source) {
                panic!("{lang:?}: {e}");
            }
            assert!(lang.grammar().is_some(), "{lang:?}");
        }
    }

    #[test]
    fn extensions_pick_grammars() {
        assert_eq!(Lang::from_path(Path::new("a/b.rs")), Some(Lang::Rust));
        assert_eq!(Lang::from_path(Path::new("x.PY")), Some(Lang::Python));
        assert_eq!(Lang::from_path(Path::new("x.jsx")), Some(Lang::JavaScript));
        assert_eq!(Lang::from_path(Path::new("x.mts")), Some(Lang::TypeScript));
        assert_eq!(Lang::from_path(Path::new("x.tsx")), Some(Lang::Tsx));
        assert_eq!(Lang::from_path(Path::new("main.go")), Some(Lang::Go));
        assert_eq!(Lang::from_path(Path::new("README.md")), None);
        assert_eq!(Lang::from_path(Path::new("Makefile")), None);
    }
}
