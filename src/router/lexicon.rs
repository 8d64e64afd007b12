//! The cues the analysis weighs: phrases (one to four words, stemmed on load) and the task
//! types they point to, with a weight. Verbs that name the job are strong; domain terms are
//! weaker, because a keyword alone misleads ("create a SECURITY.md file"). Artifact nouns
//! (a commit message, a Dockerfile) are strong, since they decide what "write" produces.

use std::collections::HashMap;
use std::sync::OnceLock;

use super::task::TaskType::{self, *};
use super::text::stem;

/// What kind of evidence a cue is, for the reasoning sentence and the features.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CueKind {
    Verb,
    Artifact,
    Domain,
    Scope,
    Question,
}

pub struct Cue {
    pub words: Vec<String>,
    pub phrase: &'static str,
    pub task: TaskType,
    pub weight: f32,
    pub kind: CueKind,
}

use CueKind::*;

#[rustfmt::skip]
const CUES: &[(&str, TaskType, f32, CueKind)] = &[
    // format
    ("format", Format, 3.0, Verb), ("reformat", Format, 3.5, Verb), ("indent", Format, 2.5, Verb),
    ("indentation", Format, 2.5, Domain), ("prettify", Format, 3.5, Verb), ("pretty print", Format, 3.0, Verb),
    ("beautify", Format, 3.5, Verb), ("rustfmt", Format, 3.0, Domain), ("prettier", Format, 3.0, Domain),
    ("gofmt", Format, 3.0, Domain), ("black", Format, 1.0, Domain), ("clang format", Format, 3.0, Domain),
    ("sort import", Format, 3.0, Verb), ("organize import", Format, 3.0, Verb),
    ("alphabetize", Format, 2.5, Verb), ("whitespace", Format, 2.0, Domain), ("trailing", Format, 1.0, Domain),
    ("tabs", Format, 1.5, Domain), ("spaces", Format, 1.0, Domain), ("line length", Format, 2.0, Domain),
    ("wrap", Format, 1.0, Verb), ("align", Format, 2.0, Verb), ("pep8", Format, 2.5, Domain), ("pep 8", Format, 2.5, Domain),
    ("minify", Format, 2.5, Verb), ("lint", Format, 1.5, Domain),
    ("linter", Format, 1.5, Domain), ("formatting", Format, 3.0, Domain), ("formatter", Format, 2.5, Domain),
    ("tidy", Format, 1.5, Verb), ("camelcase", Format, 1.0, Domain), ("snake_case", Format, 1.0, Domain),
    ("consistent", Format, 1.0, Domain), ("80 column", Format, 2.0, Domain), ("columns", Format, 0.5, Domain),
    ("line up", Format, 2.0, Verb), ("one per line", Format, 2.0, Domain), ("trailing comma", Format, 2.5, Domain),
    ("quotes", Format, 2.0, Domain), ("double quotes", Format, 2.5, Domain), ("single quotes", Format, 2.5, Domain),
    ("sort", Format, 1.5, Verb), ("json", Format, 0.3, Domain),
    // edit
    ("rename", Edit, 3.0, Verb), ("change", Edit, 1.8, Verb), ("replace", Edit, 1.8, Verb), ("update", Edit, 1.5, Verb),
    ("bump", Edit, 3.0, Verb), ("remove", Edit, 1.8, Verb), ("delete", Edit, 1.8, Verb), ("add", Edit, 1.0, Verb),
    ("tweak", Edit, 2.5, Verb), ("adjust", Edit, 2.0, Verb), ("typo", Edit, 3.0, Domain), ("typos", Edit, 3.0, Domain),
    ("swap", Edit, 2.0, Verb), ("toggle", Edit, 1.5, Verb), ("increase", Edit, 1.5, Verb), ("decrease", Edit, 1.5, Verb),
    ("comment out", Edit, 3.0, Verb), ("uncomment", Edit, 3.0, Verb), ("insert", Edit, 1.5, Verb), ("append", Edit, 1.5, Verb),
    ("modify", Edit, 1.5, Verb), ("edit", Edit, 2.0, Verb), ("tiny change", Edit, 2.0, Domain),     ("one liner", Edit, 1.0, Domain), ("instead of", Edit, 1.2, Domain), ("set the", Edit, 1.0, Verb), ("make it", Edit, 0.8, Verb),
    ("default value", Edit, 1.5, Domain), ("timeout", Edit, 0.5, Domain), ("constant", Edit, 0.6, Domain), ("version", Edit, 0.8, Domain),
    ("field", Edit, 0.8, Domain), ("parameter", Edit, 0.6, Domain), ("argument", Edit, 0.4, Domain),     ("log statement", Edit, 1.5, Domain), ("print statement", Edit, 1.5, Domain), ("flag", Edit, 0.6, Domain),
    ("return type", Edit, 1.0, Domain), ("visibility", Edit, 1.0, Domain), ("make public", Edit, 1.5, Verb), ("make private", Edit, 1.5, Verb),
    ("move", Edit, 1.0, Verb), ("wrong name", Edit, 1.0, Domain), ("spelling", Edit, 2.0, Domain), ("message text", Edit, 1.0, Domain),
    ("hardcoded", Edit, 0.8, Domain), ("env var", Edit, 0.5, Domain), ("from", Edit, 0.2, Domain),
    // boilerplate
    ("boilerplate", Boilerplate, 4.0, Artifact), ("template", Boilerplate, 3.0, Artifact), ("scaffold", Boilerplate, 3.5, Verb),
    ("skeleton", Boilerplate, 3.0, Artifact), ("stub", Boilerplate, 2.5, Artifact), ("stubs", Boilerplate, 2.5, Artifact),
    ("starter", Boilerplate, 2.0, Artifact), ("dockerfile", Boilerplate, 3.5, Artifact), ("docker compose", Boilerplate, 3.0, Artifact),
    ("gitignore", Boilerplate, 3.5, Artifact), ("makefile", Boilerplate, 3.0, Artifact), ("github action", Boilerplate, 3.0, Artifact),
    ("github actions", Boilerplate, 3.0, Artifact), ("workflow file", Boilerplate, 3.0, Artifact), ("ci config", Boilerplate, 3.0, Artifact),
    ("ci pipeline", Boilerplate, 2.0, Artifact), ("ci workflow", Boilerplate, 3.0, Artifact), ("config file", Boilerplate, 2.5, Artifact),
    ("yaml", Boilerplate, 1.0, Domain), ("package json", Boilerplate, 2.5, Artifact), ("tsconfig", Boilerplate, 3.0, Artifact),
    ("eslint config", Boilerplate, 3.0, Artifact), ("license", Boilerplate, 2.5, Artifact), ("crud", Boilerplate, 2.5, Artifact),
    ("hello world", Boilerplate, 3.0, Artifact), ("setup py", Boilerplate, 3.0, Artifact), ("pyproject", Boilerplate, 2.5, Artifact),
    ("new project", Boilerplate, 2.0, Artifact), ("set up a new", Boilerplate, 2.0, Verb), ("basic", Boilerplate, 1.0, Domain),
    ("empty", Boilerplate, 1.0, Domain), ("placeholder", Boilerplate, 2.0, Artifact), ("getter", Boilerplate, 2.0, Artifact),
    ("getters", Boilerplate, 2.5, Artifact), ("setters", Boilerplate, 2.5, Artifact), ("dto", Boilerplate, 2.0, Artifact),
    ("pojo", Boilerplate, 2.5, Artifact), ("data class", Boilerplate, 2.0, Artifact), ("entity", Boilerplate, 1.0, Artifact),
    ("model class", Boilerplate, 2.0, Artifact), ("enum", Boilerplate, 0.8, Artifact), ("interface", Boilerplate, 0.8, Artifact),
    ("controller", Boilerplate, 2.5, Artifact), ("route handler", Boilerplate, 1.2, Artifact), ("routes", Boilerplate, 0.8, Artifact),
    ("docker", Boilerplate, 1.5, Domain), ("compose", Boilerplate, 1.0, Domain), ("k8s", Boilerplate, 1.0, Domain),
    ("kubernetes manifest", Boilerplate, 3.0, Artifact), ("helm chart", Boilerplate, 2.5, Artifact), ("deployment yaml", Boilerplate, 3.0, Artifact),
    ("editorconfig", Boilerplate, 3.0, Artifact), ("pre commit", Boilerplate, 2.0, Artifact), ("cargo toml", Boilerplate, 2.5, Artifact),
    ("go mod", Boilerplate, 2.0, Artifact), ("main function", Boilerplate, 1.0, Artifact), ("unit test file", Boilerplate, 1.5, Artifact),
    ("test file", Boilerplate, 1.0, Artifact), ("fixture", Boilerplate, 1.5, Artifact), ("fixtures", Boilerplate, 1.5, Artifact),
    ("mock", Boilerplate, 1.0, Artifact), ("html page", Boilerplate, 1.5, Artifact), ("landing page", Boilerplate, 1.5, Artifact),
    ("form", Boilerplate, 0.6, Artifact), ("serializer", Boilerplate, 1.5, Artifact), ("migration file", Boilerplate, 2.0, Artifact),
    ("issue template", Boilerplate, 3.5, Artifact), ("pr template", Boilerplate, 3.5, Artifact), ("code of conduct", Boilerplate, 3.5, Artifact),
    ("standard", Boilerplate, 0.8, Domain), ("typical", Boilerplate, 0.8, Domain), ("simple", Boilerplate, 0.3, Domain),
    ("file:dockerfile", Boilerplate, 3.5, Artifact), ("file:makefile", Boilerplate, 3.0, Artifact), ("file:.gitignore", Boilerplate, 3.5, Artifact),
    ("file:security.md", Boilerplate, 3.0, Artifact), ("file:license", Boilerplate, 3.0, Artifact), ("file:contributing.md", Documentation, 2.5, Artifact),
    ("file:docker-compose.yml", Boilerplate, 3.5, Artifact), ("file:docker-compose.yaml", Boilerplate, 3.5, Artifact), ("file:package.json", Boilerplate, 1.5, Artifact),
    ("file:tsconfig.json", Boilerplate, 2.5, Artifact), ("file:.editorconfig", Boilerplate, 3.0, Artifact), ("file:.env", Boilerplate, 1.0, Artifact),
    ("file:code_of_conduct.md", Boilerplate, 3.5, Artifact), ("file:setup.py", Boilerplate, 2.0, Artifact), ("file:pyproject.toml", Boilerplate, 1.5, Artifact),
    // documentation
    ("document", Documentation, 3.0, Verb), ("documentation", Documentation, 3.0, Artifact), ("docs", Documentation, 2.5, Artifact),
    ("doc", Documentation, 2.0, Artifact), ("docstring", Documentation, 3.5, Artifact), ("docstrings", Documentation, 3.5, Artifact),
    ("doc comment", Documentation, 3.5, Artifact), ("doc comments", Documentation, 3.5, Artifact), ("comment", Documentation, 1.5, Artifact),
    ("comments", Documentation, 2.0, Artifact), ("readme", Documentation, 3.5, Artifact), ("changelog", Documentation, 3.5, Artifact),
    ("commit message", Documentation, 4.5, Artifact), ("commit msg", Documentation, 4.5, Artifact), ("release notes", Documentation, 4.0, Artifact),
    ("jsdoc", Documentation, 3.5, Artifact), ("javadoc", Documentation, 3.5, Artifact), ("rustdoc", Documentation, 3.5, Artifact),
    ("tsdoc", Documentation, 3.5, Artifact), ("api doc", Documentation, 3.0, Artifact), ("pr description", Documentation, 4.0, Artifact),
    ("pull request description", Documentation, 4.0, Artifact), ("man page", Documentation, 3.5, Artifact), ("help text", Documentation, 3.0, Artifact),
    ("usage section", Documentation, 3.0, Artifact), ("usage example", Documentation, 1.5, Artifact), ("tutorial", Documentation, 2.0, Artifact),
    ("describe", Documentation, 1.0, Verb), ("summarize", Documentation, 1.5, Verb), ("summary", Documentation, 1.0, Artifact),
    ("explain in a comment", Documentation, 3.0, Verb), ("annotate", Documentation, 2.0, Verb), ("wiki", Documentation, 2.5, Artifact),
    ("header comment", Documentation, 3.0, Artifact), ("inline comment", Documentation, 3.0, Artifact), ("module doc", Documentation, 3.5, Artifact),
    ("openapi description", Documentation, 3.0, Artifact), ("type hints", Edit, 1.0, Domain), ("write up", Documentation, 2.0, Verb),
    ("file:readme.md", Documentation, 3.5, Artifact), ("file:changelog.md", Documentation, 3.5, Artifact), ("file:docs.md", Documentation, 2.0, Artifact),
    ("adr", Documentation, 1.5, Artifact), ("faq", Documentation, 2.5, Artifact), ("section", Documentation, 0.8, Artifact),
    // analysis
    ("explain", Analysis, 2.5, Verb), ("explain why", Analysis, 2.0, Question), ("explain how", Analysis, 2.0, Question), ("why", Analysis, 1.5, Question), ("what does", Analysis, 2.0, Question),
    ("how does", Analysis, 2.0, Question), ("analyze", Analysis, 3.5, Verb), ("analyse", Analysis, 3.5, Verb), ("analysis", Analysis, 3.0, Verb),
    ("review", Analysis, 2.5, Verb), ("code review", Analysis, 3.0, Verb), ("compare", Analysis, 2.0, Verb), ("comparison", Analysis, 2.5, Verb),
    ("evaluate", Analysis, 2.5, Verb), ("assess", Analysis, 2.5, Verb), ("performance", Analysis, 1.8, Domain), ("slow", Analysis, 1.8, Domain),
    ("slower", Analysis, 2.0, Domain), ("faster", Analysis, 1.2, Domain), ("complexity", Analysis, 2.0, Domain), ("big o", Analysis, 3.0, Domain),
    ("time complexity", Analysis, 3.0, Domain), ("bottleneck", Analysis, 2.5, Domain), ("profile", Analysis, 2.0, Verb), ("profiling", Analysis, 2.5, Domain),
    ("flamegraph", Analysis, 2.5, Domain), ("understand", Analysis, 1.5, Verb), ("walk me through", Analysis, 3.0, Verb), ("walk through", Analysis, 2.5, Verb),
    ("difference between", Analysis, 3.0, Question), ("pros and cons", Analysis, 2.0, Question), ("which is better", Analysis, 2.5, Question),
    ("is it worth", Analysis, 1.5, Question), ("benchmark", Analysis, 1.5, Domain), ("memory usage", Analysis, 2.0, Domain),
    ("allocations", Analysis, 1.5, Domain), ("cache misses", Analysis, 2.5, Domain), ("what happens", Analysis, 2.5, Question),
    ("semantics", Analysis, 2.0, Domain), ("behaviour", Analysis, 1.0, Domain), ("behavior", Analysis, 1.0, Domain), ("reason about", Analysis, 2.5, Verb),
    ("correct", Analysis, 1.0, Domain), ("is this correct", Analysis, 2.5, Question), ("is this right", Analysis, 2.0, Question),
    ("idiomatic", Refactor, 1.0, Domain), ("inefficient", Analysis, 2.0, Domain), ("throughput", Analysis, 1.5, Domain), ("latency", Analysis, 1.5, Domain),
    ("scale", Planning, 1.5, Domain), ("quadratic", Analysis, 2.5, Domain), ("optimize", Analysis, 1.5, Verb),
    ("optimise", Analysis, 1.5, Verb), ("what is wrong with", Debugging, 1.5, Question), ("interpret", Analysis, 2.0, Verb),
    ("estimate", Analysis, 1.5, Verb), ("understand why", Analysis, 2.0, Question), ("tradeoffs of", Analysis, 1.0, Question),
    // planning
    ("plan", Planning, 3.0, Verb), ("design", Planning, 2.5, Verb), ("architecture", Planning, 3.0, Domain), ("architect", Planning, 2.5, Verb),
    ("how should we", Planning, 3.5, Question), ("how should i", Planning, 3.0, Question), ("should we", Planning, 2.5, Question),
    ("should i", Planning, 1.5, Question), ("best way to structure", Planning, 3.5, Question), ("how would you structure", Planning, 3.5, Question),
    ("how would you design", Planning, 4.0, Question), ("approach", Planning, 1.8, Domain), ("strategy", Planning, 2.0, Domain), ("roadmap", Planning, 3.5, Domain),
    ("migrate", Planning, 2.0, Verb), ("migration", Planning, 2.0, Domain), ("migration plan", Planning, 4.0, Domain), ("shard", Planning, 3.0, Domain),
    ("sharding", Planning, 3.0, Domain), ("scaling", Planning, 2.5, Domain), ("microservice", Planning, 2.5, Domain), ("monolith", Planning, 2.5, Domain),
    ("schema design", Planning, 3.5, Domain), ("data model", Planning, 2.5, Domain), ("system design", Planning, 4.0, Domain),
    ("break down", Planning, 2.0, Verb), ("milestone", Planning, 2.5, Domain), ("phases", Planning, 2.0, Domain), ("rollout", Planning, 2.5, Domain),
    ("trade off", Planning, 2.0, Domain), ("tradeoff", Planning, 2.0, Domain), ("choose between", Planning, 2.5, Question),
    ("which database", Planning, 3.0, Question), ("which framework", Planning, 3.0, Question), ("high level", Planning, 2.0, Domain),
    ("structure the project", Planning, 3.5, Domain), ("organize the", Planning, 1.0, Domain), ("proposal", Planning, 2.0, Domain),
    ("rfc", Planning, 2.0, Domain), ("replatform", Planning, 3.0, Domain), ("event sourcing", Planning, 2.5, Domain), ("cqrs", Planning, 2.5, Domain),
    ("multi tenant", Planning, 2.5, Domain), ("multi region", Planning, 3.0, Domain), ("capacity", Planning, 2.0, Domain), ("queue", Planning, 0.5, Domain),
    ("kafka", Planning, 1.0, Domain), ("infrastructure", Planning, 1.5, Domain), ("deploy strategy", Planning, 3.0, Domain), ("blue green", Planning, 2.5, Domain),
    ("zero downtime", Planning, 3.0, Domain), ("backwards compatible", Planning, 1.5, Domain), ("versioning strategy", Planning, 3.5, Domain),
    ("what would it take", Planning, 3.0, Question), ("step by step plan", Planning, 4.0, Domain), ("outline", Planning, 2.0, Verb),
    ("split into services", Planning, 3.5, Domain), ("evaluate whether", Planning, 1.5, Question),     // debugging
    ("debug", Debugging, 3.5, Verb), ("bug", Debugging, 3.0, Domain), ("crash", Debugging, 3.5, Domain), ("crashes", Debugging, 3.5, Domain),
    ("panic", Debugging, 2.5, Domain), ("panics", Debugging, 3.0, Domain), ("segfault", Debugging, 4.0, Domain), ("exception", Debugging, 2.5, Domain),
    ("traceback", Debugging, 3.5, Domain), ("stack trace", Debugging, 3.5, Domain), ("stacktrace", Debugging, 3.5, Domain),
    ("error", Debugging, 1.2, Domain), ("errors", Debugging, 1.0, Domain), ("fail", Debugging, 2.5, Domain), ("failing", Debugging, 3.0, Domain),
    ("broken", Debugging, 2.5, Domain), ("does not work", Debugging, 3.5, Domain), ("not working", Debugging, 3.5, Domain),
    ("isn't working", Debugging, 3.5, Domain), ("stopped working", Debugging, 4.0, Domain), ("wrong", Debugging, 2.0, Domain),
    ("unexpected", Debugging, 2.0, Domain), ("deadlock", Debugging, 4.0, Domain), ("deadlocks", Debugging, 4.0, Domain), ("race condition", Debugging, 3.5, Domain),
    ("data race", Debugging, 3.5, Domain), ("memory leak", Debugging, 4.0, Domain), ("leak", Debugging, 1.0, Domain), ("leak", Security, 1.5, Domain), ("leaking", Debugging, 1.2, Domain), ("leaking", Security, 1.5, Domain),
    ("hang", Debugging, 3.0, Domain), ("hangs", Debugging, 3.5, Domain), ("freezes", Debugging, 3.5, Domain), ("flaky", Debugging, 3.5, Domain),
    ("off by one", Debugging, 3.5, Domain), ("null pointer", Debugging, 3.5, Domain), ("undefined", Debugging, 1.5, Domain), ("nan", Debugging, 1.5, Domain),
    ("infinite loop", Debugging, 3.5, Domain), ("fix", Debugging, 1.8, Verb), ("investigate", Debugging, 2.5, Verb), ("regression", Debugging, 3.0, Domain),
    ("returns the wrong", Debugging, 3.5, Domain), ("why does", Debugging, 1.5, Question), ("why does", Analysis, 1.0, Question), ("why is", Debugging, 1.0, Question),
    ("troubleshoot", Debugging, 3.5, Verb), ("diagnose", Debugging, 3.0, Verb), ("root cause", Debugging, 3.0, Domain), ("intermittent", Debugging, 3.0, Domain),
    ("sometimes", Debugging, 1.5, Domain), ("randomly", Debugging, 2.0, Domain), ("oom", Debugging, 3.0, Domain), ("out of memory", Debugging, 3.0, Domain),
    ("timeout error", Debugging, 3.0, Domain), ("times out", Debugging, 2.5, Domain), ("blows up", Debugging, 3.0, Domain), ("throws", Debugging, 2.5, Domain),
    ("stuck", Debugging, 2.5, Domain), ("500", Debugging, 1.5, Domain), ("404", Debugging, 1.0, Domain), ("can't figure out", Debugging, 2.5, Domain),
    ("still getting", Debugging, 3.0, Domain), ("keeps", Debugging, 1.0, Domain), ("instead of the expected", Debugging, 3.0, Domain),
    ("expected", Debugging, 1.0, Domain), ("but got", Debugging, 3.0, Domain), ("gives me", Debugging, 1.0, Domain), ("issue", Debugging, 1.0, Domain),
    ("borrow checker", Debugging, 1.5, Domain), ("won't compile", Debugging, 3.5, Domain), ("doesn't compile", Debugging, 3.5, Domain), ("compile error", Debugging, 3.0, Domain),
    ("test fails", Debugging, 3.5, Domain), ("tests fail", Debugging, 3.5, Domain), ("corrupt", Debugging, 2.5, Domain), ("duplicate", Debugging, 0.8, Domain),
    ("mismatch", Debugging, 1.5, Domain), ("heisenbug", Debugging, 4.0, Domain), ("what's going on", Debugging, 2.5, Question),
    // security
    ("security", Security, 2.5, Domain), ("secure", Security, 2.0, Domain), ("vulnerability", Security, 4.0, Domain), ("vulnerabilities", Security, 4.0, Domain),
    ("vulnerable", Security, 4.0, Domain), ("injection", Security, 4.0, Domain), ("sql injection", Security, 4.5, Domain), ("xss", Security, 4.0, Domain),
    ("csrf", Security, 4.0, Domain), ("ssrf", Security, 4.0, Domain), ("auth bypass", Security, 3.5, Domain), ("bypass", Security, 2.0, Domain),
    ("exploit", Security, 3.5, Domain), ("exploitable", Security, 4.0, Domain), ("attacker", Security, 3.5, Domain), ("attack", Security, 2.5, Domain),
    ("sanitize", Security, 2.5, Verb), ("sanitise", Security, 2.5, Verb), ("escape", Security, 1.0, Domain), ("cve", Security, 3.5, Domain),
    ("owasp", Security, 4.0, Domain), ("audit", Security, 3.0, Verb), ("threat model", Security, 4.5, Domain), ("privilege escalation", Security, 4.5, Domain),
    ("path traversal", Security, 4.5, Domain), ("directory traversal", Security, 4.5, Domain), ("insecure", Security, 3.5, Domain),
    ("safe", Security, 1.2, Domain), ("unsafe", Security, 1.5, Domain), ("hardening", Security, 3.5, Domain),
    ("harden", Security, 3.5, Verb), ("secret", Security, 1.5, Domain), ("secrets", Security, 2.0, Domain), ("credentials", Security, 2.0, Domain),
    ("password", Security, 1.5, Domain), ("passwords", Security, 1.5, Domain), ("hashing", Security, 0.4, Domain), ("bcrypt", Security, 2.0, Domain),
    ("jwt", Security, 2.5, Domain), ("token", Security, 0.5, Domain), ("timing attack", Security, 4.5, Domain), ("deserialization", Security, 2.5, Domain),
    ("rce", Security, 4.5, Domain), ("remote code execution", Security, 4.5, Domain), ("permission", Security, 1.0, Domain), ("permissions", Security, 1.2, Domain),
    ("encrypt", Security, 2.0, Domain), ("encryption", Security, 2.0, Domain), ("tls", Security, 1.0, Domain), ("authentication", Security, 1.5, Domain),
    ("authorization", Security, 1.5, Domain), ("authz", Security, 2.0, Domain), ("idor", Security, 4.5, Domain), ("cors", Security, 2.5, Domain),
    ("csp", Security, 2.5, Domain), ("untrusted", Security, 3.0, Domain), ("user input", Security, 1.5, Domain), ("leak secrets", Security, 3.0, Domain),
    ("pentest", Security, 4.0, Domain), ("penetration", Security, 3.5, Domain), ("malicious", Security, 3.5, Domain), ("sandbox escape", Security, 4.5, Domain),
    ("buffer overflow", Security, 4.0, Domain), ("use after free", Security, 3.0, Domain), ("reentrancy", Security, 3.5, Domain), ("command injection", Security, 4.5, Domain),
    ("shell injection", Security, 4.5, Domain), ("eval", Security, 1.0, Domain), ("ddos", Security, 3.0, Domain), ("rate limiting", Security, 0.8, Domain),
    ("session fixation", Security, 4.5, Domain), ("supply chain", Security, 3.0, Domain), ("leaked", Security, 2.0, Domain),
    // multi-file
    ("across", MultiFile, 2.0, Scope), ("everywhere", MultiFile, 3.0, Scope), ("all files", MultiFile, 3.5, Scope), ("every file", MultiFile, 3.5, Scope),
    ("codebase", MultiFile, 3.0, Scope), ("code base", MultiFile, 3.0, Scope), ("entire project", MultiFile, 3.5, Scope), ("whole project", MultiFile, 3.5, Scope),
    ("entire repo", MultiFile, 3.5, Scope), ("the repo", MultiFile, 1.5, Scope), ("monorepo", Planning, 2.5, Domain),
    ("multiple files", MultiFile, 4.0, Scope), ("several files", MultiFile, 4.0, Scope), ("these files", MultiFile, 3.0, Scope), ("both files", MultiFile, 3.0, Scope),
    ("each module", MultiFile, 3.0, Scope), ("all modules", MultiFile, 3.5, Scope), ("every module", MultiFile, 3.5, Scope), ("across services", MultiFile, 4.0, Scope),
    ("all the services", MultiFile, 3.5, Scope), ("call sites", MultiFile, 2.5, Scope), ("every call", MultiFile, 3.0, Scope),
    ("throughout", MultiFile, 2.5, Scope), ("project wide", MultiFile, 3.5, Scope), ("repo wide", MultiFile, 3.5, Scope), ("all usages", MultiFile, 3.0, Scope),
    ("all occurrences", MultiFile, 2.5, Scope), ("package", MultiFile, 0.5, Scope), ("packages", MultiFile, 1.5, Scope), ("modules", MultiFile, 1.5, Scope),
    ("crates", MultiFile, 1.5, Scope), ("workspace", MultiFile, 1.5, Scope), ("frontend and backend", MultiFile, 3.5, Scope), ("client and server", MultiFile, 2.5, Scope),
    ("wire", MultiFile, 1.0, Verb), ("plumb", MultiFile, 2.5, Verb), ("thread through", MultiFile, 3.0, Verb),
    ("propagate", MultiFile, 2.0, Verb), ("layers", MultiFile, 1.5, Scope), ("all the", MultiFile, 0.6, Scope), ("every", MultiFile, 0.6, Scope),
    ("same change", MultiFile, 1.5, Scope), ("in sync", MultiFile, 1.5, Scope), ("folder", MultiFile, 1.0, Scope), ("directory", MultiFile, 0.3, Scope),
    ("microservices", MultiFile, 1.0, Scope), ("multiple files", MultiFile, 4.0, Scope),
    // refactor
    ("refactor", Refactor, 4.0, Verb), ("restructure", Refactor, 3.5, Verb), ("extract", Refactor, 3.0, Verb), ("split", Refactor, 2.5, Verb),
    ("simplify", Refactor, 3.0, Verb), ("clean up", Refactor, 3.0, Verb), ("cleanup", Refactor, 3.0, Verb), ("decouple", Refactor, 3.5, Verb),
    ("modularize", Refactor, 3.5, Verb), ("reorganize", Refactor, 2.5, Verb), ("rewrite", Refactor, 2.5, Verb), ("rework", Refactor, 2.5, Verb),
    ("async await", Refactor, 2.0, Domain), ("callbacks", Refactor, 1.5, Domain), ("dry", Refactor, 2.5, Domain), ("deduplicate", Refactor, 3.0, Verb),
    ("pull out", Refactor, 3.0, Verb), ("break up", Refactor, 3.0, Verb), ("separate", Refactor, 1.5, Verb), ("more readable", Refactor, 3.0, Domain),
    ("readability", Refactor, 2.5, Domain), ("reduce nesting", Refactor, 3.5, Domain), ("early return", Refactor, 2.5, Domain), ("early returns", Refactor, 2.5, Domain),
    ("use generics", Refactor, 2.5, Domain), ("convert", Refactor, 1.2, Verb), ("port", Refactor, 1.0, Verb), ("smaller functions", Refactor, 3.5, Domain),
    ("helper function", Refactor, 1.5, Domain), ("helpers", Refactor, 1.5, Domain), ("too long", Refactor, 2.0, Domain),
    ("messy", Refactor, 2.5, Domain), ("mess", Refactor, 2.0, Domain), ("spaghetti", Refactor, 3.0, Domain), ("duplication", Refactor, 3.0, Domain),
    ("duplicated code", Refactor, 3.0, Domain), ("design pattern", Refactor, 1.5, Domain), ("strategy pattern", Refactor, 3.0, Domain), ("builder pattern", Refactor, 2.0, Domain),
    ("dependency injection", Refactor, 2.0, Domain), ("inline", Refactor, 1.0, Verb), ("replace the", Refactor, 0.5, Verb), ("into a class", Refactor, 2.5, Domain),
    ("into functions", Refactor, 2.5, Domain), ("keep the behavior", Refactor, 3.0, Domain), ("keep the behaviour", Refactor, 3.0, Domain),
    ("without changing", Refactor, 3.0, Domain), ("iterator", Refactor, 0.8, Domain),
    ("functional style", Refactor, 2.5, Domain), ("immutable", Refactor, 1.0, Domain), ("pattern matching", Refactor, 1.0, Domain), ("make this more", Refactor, 1.5, Domain),
    ("modernize", Refactor, 3.0, Verb), ("tidy up", Refactor, 2.0, Verb), ("restructure the", Refactor, 1.0, Verb), ("introduce", Refactor, 1.0, Verb),
    ("composition", Refactor, 1.5, Domain), ("inheritance", Refactor, 1.0, Domain), ("trait", Refactor, 0.5, Domain), ("abstraction", Refactor, 1.5, Domain),
    // generation
    ("write", Generation, 1.0, Verb), ("implement", Generation, 3.0, Verb), ("create", Generation, 1.5, Verb), ("build", Generation, 1.5, Verb),
    ("generate", Generation, 1.5, Verb), ("make a", Generation, 1.5, Verb), ("code a", Generation, 2.5, Verb), ("code up", Generation, 2.5, Verb),
    ("give me a", Generation, 1.5, Verb), ("need a", Generation, 1.2, Verb), ("function that", Generation, 3.0, Artifact), ("function to", Generation, 2.5, Artifact),
    ("program that", Generation, 3.0, Artifact), ("script that", Generation, 2.5, Artifact), ("script to", Generation, 2.0, Artifact),
    ("algorithm", Generation, 2.0, Domain), ("parser", Generation, 2.0, Artifact), ("validator", Generation, 2.5, Artifact), ("validates", Generation, 1.5, Domain),
    ("cli", Generation, 1.2, Artifact), ("command line tool", Generation, 2.5, Artifact), ("endpoint", Generation, 0.8, Artifact), ("server", Generation, 0.5, Artifact),
    ("client", Generation, 0.5, Artifact), ("library", Generation, 0.8, Artifact), ("unit tests", Generation, 2.0, Artifact),     ("test cases", Generation, 1.5, Artifact), ("property tests", Generation, 2.5, Artifact), ("regex", Generation, 2.0, Artifact), ("query", Generation, 1.0, Artifact),
    ("sql query", Generation, 2.0, Artifact), ("solve", Generation, 2.0, Verb), ("leetcode", Generation, 2.5, Domain), ("cache", Generation, 0.8, Domain),
    ("lru", Generation, 2.5, Domain), ("rate limiter", Generation, 3.0, Artifact), ("token bucket", Generation, 2.5, Domain), ("retry", Generation, 1.0, Domain),
    ("backoff", Generation, 1.5, Domain), ("binary search", Generation, 2.0, Domain), ("linked list", Generation, 2.0, Domain), ("tree", Generation, 1.0, Domain),
    ("graph", Generation, 1.0, Domain), ("state machine", Generation, 2.5, Artifact),     ("websocket", Generation, 1.5, Domain), ("scraper", Generation, 2.5, Artifact), ("converter", Generation, 2.0, Artifact), ("hook", Generation, 1.0, Artifact),
    ("component", Generation, 1.2, Artifact), ("widget", Generation, 1.2, Artifact), ("macro", Generation, 1.2, Artifact), ("that takes", Generation, 2.0, Domain),
    ("that returns", Generation, 2.0, Domain), ("which returns", Generation, 2.0, Domain), ("from scratch", Generation, 2.5, Domain),
    ("new feature", Generation, 1.5, Domain), ("add support for", Generation, 2.5, Verb), ("support for", Generation, 1.0, Domain), ("handler", Generation, 0.8, Artifact),
    ("middleware", Generation, 1.5, Artifact), ("serializer for", Generation, 1.5, Artifact), ("calculator", Generation, 2.0, Artifact), ("game", Generation, 1.5, Artifact),
    ("simulation", Generation, 2.0, Artifact), ("debounce", Generation, 2.0, Artifact), ("throttle", Generation, 1.5, Artifact), ("pagination", Generation, 1.5, Domain),
    ("escreve", Generation, 2.0, Verb), ("escribe", Generation, 2.0, Verb), ("écris", Generation, 2.0, Verb), ("schreibe", Generation, 2.0, Verb),
    ("implementa", Generation, 2.5, Verb), ("função", Generation, 2.0, Artifact), ("función", Generation, 2.0, Artifact), ("fonction", Generation, 2.0, Artifact),
    ("funktion", Generation, 2.0, Artifact),
];

/// A verb cue one typo away ("refacor", "optimze"), for words of six letters or more.
pub fn near_verb(stem: &str) -> Option<&'static Vec<Cue>> {
    if stem.len() < 6 || stem.starts_with("file:") {
        return None;
    }
    // Bucketed by length: a verb one edit away is at most one byte longer or shorter, so
    // most of the list is never compared (this scan ran for every unknown word).
    static VERBS: OnceLock<Vec<Vec<&'static str>>> = OnceLock::new();
    let verbs = VERBS.get_or_init(|| {
        let mut by_len: Vec<Vec<&'static str>> = Vec::new();
        for (k, cues) in index() {
            let verb = cues
                .iter()
                .any(|c| c.kind == CueKind::Verb && c.words.len() == 1);
            if k.len() >= 6 && verb {
                if by_len.len() <= k.len() {
                    by_len.resize(k.len() + 1, Vec::new());
                }
                by_len[k.len()].push(k.as_str());
            }
        }
        for bucket in &mut by_len {
            bucket.sort_unstable();
        }
        by_len
    });
    let near = (stem.len() - 1..=stem.len() + 1)
        .filter_map(|n| verbs.get(n))
        .flatten()
        .find(|v| one_edit_apart(stem, v))?;
    index().get(*near)
}

/// True when one insertion, deletion or substitution turns `a` into `b`.
fn one_edit_apart(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len().abs_diff(b.len()) > 1 || a == b {
        return false;
    }
    let prefix = a.iter().zip(b).take_while(|(x, y)| x == y).count();
    let (ra, rb) = (&a[prefix..], &b[prefix..]);
    match ra.len().cmp(&rb.len()) {
        std::cmp::Ordering::Equal => ra[1..] == rb[1..],
        std::cmp::Ordering::Less => ra == &rb[1..],
        std::cmp::Ordering::Greater => &ra[1..] == rb,
    }
}

/// The cue for a docs file that no phrase names.
pub fn generic_doc_file() -> &'static Vec<Cue> {
    static CUE: OnceLock<Vec<Cue>> = OnceLock::new();
    CUE.get_or_init(|| {
        vec![Cue {
            words: vec![],
            phrase: "a docs file",
            task: TaskType::Documentation,
            weight: 2.5,
            kind: CueKind::Artifact,
        }]
    })
}

/// The cue for a config file that no phrase names.
pub fn generic_config_file() -> &'static Vec<Cue> {
    static CUE: OnceLock<Vec<Cue>> = OnceLock::new();
    CUE.get_or_init(|| {
        vec![Cue {
            words: vec![],
            phrase: "a config file",
            task: TaskType::Boilerplate,
            weight: 2.5,
            kind: CueKind::Artifact,
        }]
    })
}

/// A digest of every cue (phrase, task, weight, kind): the classifier reads the rules'
/// verdict, so a model trained under other cues is stale.
pub fn digest() -> String {
    CUES.iter()
        .map(|(p, t, w, k)| format!("{p}|{t}|{w}|{k:?}\n"))
        .collect()
}

/// Every multi-word cue phrase with its stemmed words, for the check that no phrase was
/// lifted from an evaluation prompt (tests/suite/data_overlap.rs).
pub fn phrases() -> Vec<(&'static str, Vec<String>)> {
    index()
        .values()
        .flatten()
        .filter(|c| c.words.len() >= 2)
        .map(|c| (c.phrase, c.words.clone()))
        .collect()
}

/// Cues indexed by their first stemmed word.
pub fn index() -> &'static HashMap<String, Vec<Cue>> {
    static INDEX: OnceLock<HashMap<String, Vec<Cue>>> = OnceLock::new();
    INDEX.get_or_init(|| {
        let mut map: HashMap<String, Vec<Cue>> = HashMap::new();
        for &(phrase, task, weight, kind) in CUES {
            let words: Vec<String> = if phrase.starts_with("file:") {
                vec![phrase.to_owned()]
            } else {
                phrase
                    .split(|c: char| !(c.is_alphanumeric() || c == '\'' || c == '_'))
                    .filter(|w| !w.is_empty())
                    .map(stem)
                    .collect()
            };
            let Some(first) = words.first().cloned() else {
                continue;
            };
            map.entry(first).or_default().push(Cue {
                words,
                phrase,
                task,
                weight,
                kind,
            });
        }
        // Longest phrases first, so the most specific match is tried first. Two spellings
        // that stem alike ("deadlock", "deadlocks") are one cue: keep the stronger.
        for cues in map.values_mut() {
            cues.sort_by(|a, b| b.weight.total_cmp(&a.weight));
            let mut seen: Vec<(Vec<String>, TaskType)> = Vec::new();
            cues.retain(|c| {
                let key = (c.words.clone(), c.task);
                let new = !seen.contains(&key);
                seen.push(key);
                new
            });
            cues.sort_by_key(|c| std::cmp::Reverse(c.words.len()));
        }
        map
    })
}
