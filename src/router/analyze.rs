//! Task analysis: what kind of job a prompt is, how complex, and the features that said so.
//!
//! Cues are weighed by where they stand, not just whether they appear: the opening clause
//! (where the request's verb and object usually are) counts most, words inside code, inline
//! code and file names count not at all, and structure — a pasted stack trace, several
//! files, the size of the code — adds evidence of its own.

use serde::Serialize;

use super::lexicon::{self, CueKind};
use super::task::TaskType;
use super::text::{self, Parsed, Word};

/// The features the decision rests on, reported so a user can see why.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Features {
    pub prose_words: usize,
    pub code_chars: usize,
    pub code_lines: usize,
    pub code_languages: Vec<String>,
    pub files_referenced: usize,
    pub has_error_trace: bool,
    /// 0 (an instruction) to 3 (an open design or root-cause question).
    pub question_depth: u8,
    pub verbs: Vec<String>,
    pub artifacts: Vec<String>,
    pub domain_terms: Vec<String>,
    pub scope_terms: Vec<String>,
}

/// One piece of evidence and how much it added to a task type.
#[derive(Debug, Clone, Serialize)]
pub struct Evidence {
    pub what: String,
    pub task: TaskType,
    pub weight: f32,
    #[serde(skip)]
    kind: Option<CueKind>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Analysis {
    pub task_type: TaskType,
    /// How clearly the prompt is this task type rather than the runner-up, in [0,1].
    pub task_confidence: f32,
    pub complexity: f32,
    /// Each task type's probability, in `TaskType::ALL` order.
    pub probabilities: [f32; 11],
    pub features: Features,
    /// The strongest evidence for the chosen task type, strongest first.
    pub evidence: Vec<Evidence>,
}

/// Analyses a prompt with its attachments (pasted code, piped input, files).
pub fn analyze(prompt: &str, attachments: &[&str]) -> Analysis {
    analyze_parsed(text::parse(prompt, attachments))
}

/// As [`analyze`], with the workspace files the request attaches: several files are
/// evidence of a multi-file task, as several paths named in the prompt are.
pub fn analyze_with_files(prompt: &str, attachments: &[&str], files: &[&str]) -> Analysis {
    let mut parsed = text::parse(prompt, attachments);
    for f in files {
        if !parsed.files.iter().any(|p| p == f) {
            parsed.files.push((*f).to_owned());
        }
    }
    analyze_parsed(parsed)
}

/// The cue rules' scores, with the evidence and features they rest on.
fn rules(parsed: &Parsed) -> ([f32; 11], Vec<Evidence>, Features) {
    let mut scores = [0f32; 11];
    let mut evidence = Vec::new();
    let mut features = Features::default();
    match_cues(parsed, &mut scores, &mut evidence, &mut features);
    content_terms(&mut scores, &evidence);
    structure(parsed, &mut scores, &mut evidence);
    (scores, evidence, features)
}

/// The cue rules' verdict as probabilities: one of the classifier's inputs.
pub(super) fn rule_probabilities(parsed: &Parsed) -> [f32; 11] {
    softmax(&rules(parsed).0)
}

fn analyze_parsed(parsed: text::Parsed) -> Analysis {
    let (scores, mut evidence, mut features) = rules(&parsed);
    let rules = softmax(&scores);
    let (rule_best, _) = top_two(&rules);
    let classifier = super::classifier::shipped();
    let probabilities = match classifier {
        Some(model) => model
            .log_posterior(&super::classifier::features(&parsed, &rules))
            .map(f32::exp),
        None => rules,
    };
    let (best, runner_up) = top_two(&probabilities);
    if best != rule_best {
        evidence.push(Evidence {
            what: "similar labelled prompts".into(),
            task: TaskType::ALL[best],
            weight: probabilities[best],
            kind: None,
        });
    }
    // Two words and no cue ("thoughts?", "MAX_RETRIES -> 5") give the classifier too
    // little to read, so the prompt's shape decides. A prompt in an unspaced script is one
    // or two "words" however long it is: there the classifier's reading is kept.
    let unspaced = parsed.plain.chars().any(super::classifier::is_unspaced);
    let terse = parsed.words.len() < 3 && (!unspaced || classifier.is_none());
    let task_type = if terse && scores.iter().all(|s| *s <= 0.0) {
        fallback_type(&parsed)
    } else {
        TaskType::ALL[best]
    };
    fill_features(&parsed, &mut features);
    let task_confidence = (probabilities[best] - probabilities[runner_up]).clamp(0.0, 1.0);
    let complexity = complexity(&parsed, &features, task_type);
    evidence.retain(|e| e.task == task_type);
    evidence.sort_by(|a, b| b.weight.total_cmp(&a.weight));
    evidence.truncate(4);
    Analysis {
        task_type,
        task_confidence,
        complexity,
        probabilities,
        features,
        evidence,
    }
}

/// Subjects that turn a following verb into a description ("I format the input…"),
/// not a request.
const SUBJECTS: &[&str] = &[
    "i", "we", "they", "it", "he", "she", "thi", "that", "which", "who", "i'm", "we'r", "someon",
    "somebody",
];
/// Words that put a change beyond one file.
const REPO_WORDS: &[&str] = &[
    "repo", "codebas", "project", "servic", "crat", "packag", "workspac", "monorepo", "callers",
    "caller",
];
/// "this function": a scope of one unit, so "everywhere" stays inside it.
const LOCAL_UNITS: &[&str] = &[
    "function", "fn", "file", "class", "method", "snippet", "modul", "struct", "componen",
    "script", "loop", "block", "test", "handler", "endpoint", "query", "view",
];

/// "the docs say…": an artifact followed by one of these is the subject, not the request.
const SAYS: &[&str] = &[
    "say",
    "sai",
    "claim",
    "mention",
    "stat",
    "suggest",
    "recommend",
    "promis",
    "is",
    "ar",
    "were",
    "was",
];
/// Words that open a clause describing context, not the request ("before I scaffold…").
const CONTEXT: &[&str] = &[
    "befor", "after", "onc", "when", "if", "until", "whil", "sinc", "becaus",
];

fn is_verb(stem: &str) -> bool {
    lexicon::index().get(stem).is_some_and(|c| {
        c.iter()
            .any(|c| c.kind == CueKind::Verb && c.words.len() == 1)
    })
}

/// Question words that turn a following verb into part of a question ("how would you split").
const WH: &[&str] = &["how", "what", "why", "which", "when", "where", "whether"];
/// Verbs that produce something; an artifact right after one is what the request makes.
const PRODUCERS: &[&str] = &[
    "writ",
    "add",
    "creat",
    "generat",
    "make",
    "draft",
    "giv",
    "need",
    "want",
    "build",
    "prepar",
    "produc",
    "updat",
    "fill",
    "set",
    "scaffold",
    "provid",
    "document",
    "regenerat",
    "improv",
    "expand",
];

/// How a cue counts, given where it stands and what comes before it.
fn cue_factor(words: &[Word], i: usize, kind: CueKind) -> f32 {
    let w = &words[i];
    let clause_factor = match w.clause {
        0 => 1.3,
        1 => 1.0,
        _ => 0.8,
    };
    match kind {
        CueKind::Verb => {
            let before = |n: usize| {
                words[i.saturating_sub(n)..i]
                    .iter()
                    .filter(|p| p.clause == w.clause)
            };
            let described = before(1).any(|p| SUBJECTS.contains(&p.stem.as_str()))
                || before(3).any(|p| CONTEXT.contains(&p.stem.as_str()));
            let asked = before(3).any(|p| WH.contains(&p.stem.as_str()));
            if asked {
                clause_factor * 0.5 // "how would you split…": part of a question
            } else if described {
                clause_factor // "I format the input…": a description, not a request
            } else if w.clause == 0 && w.pos < 3 {
                2.4 // the request's own verb
            } else if w.clause == 0 {
                1.5
            } else {
                clause_factor
            }
        }
        CueKind::Artifact => {
            let produced = words[..i]
                .iter()
                .rev()
                .take_while(|p| p.clause == w.clause)
                .take(6)
                .any(|p| PRODUCERS.contains(&p.stem.as_str()));
            // A request that is only a noun phrase ("levenshtein distance fn in kotlin") leads
            // with its artifact; "the docs say…" leads with a subject.
            let determined = i > 0
                && matches!(
                    words[i - 1].stem.as_str(),
                    "the" | "our" | "my" | "thi" | "these" | "their" | "your" | "those"
                );
            // "design a rate limiter": the verb's object. "levenshtein distance fn": a compound
            // noun, where the word just before the artifact only modifies it.
            let verb_before = words[..i.saturating_sub(1)]
                .iter()
                .any(|p| p.clause == 0 && is_verb(&p.stem));
            let subject = words
                .get(i + 1)
                .is_some_and(|n| SAYS.contains(&n.stem.as_str()));
            let leads = w.clause == 0 && w.pos < 3 && !determined && !verb_before && !subject;
            // "write a commit message" makes one; "the docs say…" only mentions them.
            if produced || leads {
                clause_factor * 1.6
            } else {
                clause_factor * 0.6
            }
        }
        _ => clause_factor,
    }
}

fn match_cues(p: &Parsed, scores: &mut [f32; 11], evidence: &mut Vec<Evidence>, f: &mut Features) {
    let index = lexicon::index();
    let words = &p.words;
    let mut i = 0;
    while i < words.len() {
        let w = &words[i];
        let cues = index
            .get(&w.stem)
            .or_else(|| file_cue(&w.stem))
            .or_else(|| lexicon::near_verb(&w.stem));
        let Some(cues) = cues else {
            i += 1;
            continue;
        };
        let matched = cues.iter().find(|c| {
            c.words.len() <= words.len() - i
                && c.words
                    .iter()
                    .zip(&words[i..])
                    .enumerate()
                    .all(|(k, (cw, pw))| {
                        // Adjacent words only: inline code between them breaks a phrase.
                        // The first word is what the cues were found by (maybe one typo away).
                        (k == 0 || *cw == pw.stem)
                            && pw.clause == w.clause
                            && usize::from(pw.pos) == usize::from(w.pos) + k
                    })
        });
        let Some(first) = matched else {
            i += 1;
            continue;
        };
        let len = first.words.len().max(1);
        for c in cues.iter().filter(|c| c.words == first.words) {
            let weight = c.weight * cue_factor(words, i, c.kind);
            scores[c.task.index()] += weight;
            let name = c.phrase.trim_start_matches("file:").to_owned();
            evidence.push(Evidence {
                what: format!("{} \"{name}\"", kind_name(c.kind)),
                task: c.task,
                weight,
                kind: Some(c.kind),
            });
            let list = match c.kind {
                CueKind::Verb => &mut f.verbs,
                CueKind::Artifact => &mut f.artifacts,
                CueKind::Domain | CueKind::Question => &mut f.domain_terms,
                CueKind::Scope => &mut f.scope_terms,
            };
            if !list.contains(&name) {
                list.push(name);
            }
        }
        i += len;
    }
}

/// A config or docs file the lexicon does not name (`.pre-commit-config.yaml`) is still
/// something a request can ask to be made.
fn file_cue(stem: &str) -> Option<&'static Vec<lexicon::Cue>> {
    let name = stem.strip_prefix("file:")?;
    if name.ends_with(".md") || name.ends_with(".rst") {
        Some(lexicon::generic_doc_file())
    } else if is_doc_or_config(name) {
        Some(lexicon::generic_config_file())
    } else {
        None
    }
}

fn kind_name(k: CueKind) -> &'static str {
    match k {
        CueKind::Verb => "verb",
        CueKind::Artifact => "asks for",
        CueKind::Domain => "term",
        CueKind::Scope => "scope",
        CueKind::Question => "question",
    }
}

/// When the request clearly makes something (a SECURITY.md, a password checker, docs for
/// the auth module), quality-task terms in it describe the content, not the job: they
/// count for less.
fn content_terms(scores: &mut [f32; 11], evidence: &[Evidence]) {
    use TaskType::*;
    let head = evidence
        .iter()
        .filter(|e| matches!(e.kind, Some(CueKind::Verb | CueKind::Artifact)) && e.weight >= 3.0)
        .max_by(|a, b| a.weight.total_cmp(&b.weight))
        .map(|e| e.task);
    let Some(head) = head.filter(|t| {
        matches!(
            t,
            Format | Edit | Boilerplate | Documentation | Generation | Refactor
        )
    }) else {
        return;
    };
    for e in evidence {
        let content = matches!(e.kind, Some(CueKind::Domain | CueKind::Question));
        if content && e.task != head && e.task.route() == super::Route::Ollama {
            scores[e.task.index()] -= 0.4 * e.weight;
        }
    }
}

/// Evidence from the prompt's shape rather than its words, and from how cues combine.
fn structure(p: &Parsed, scores: &mut [f32; 11], evidence: &mut Vec<Evidence>) {
    use TaskType::*;
    let mut add = |scores: &mut [f32; 11], task: TaskType, weight: f32, what: String| {
        scores[task.index()] += weight;
        evidence.push(Evidence {
            what,
            task,
            weight,
            kind: None,
        });
    };
    if p.has_trace {
        add(
            scores,
            Debugging,
            3.0,
            "a pasted error or stack trace".into(),
        );
    }
    let sources = p.files.iter().filter(|f| !is_doc_or_config(f)).count();
    if sources >= 3 {
        let w = (2.5 + 1.5 * (sources as f32 - 3.0)).min(6.0);
        add(scores, MultiFile, w, format!("{sources} files referenced"));
    } else if sources == 2 {
        add(scores, MultiFile, 1.5, "2 files referenced".into());
    }
    if p.dirs > 0 {
        add(scores, MultiFile, 2.0, "a folder referenced".into());
    }
    let pasted = p.code.iter().filter(|c| c.lines > 0).count();
    let repo_wide = p
        .words
        .iter()
        .any(|w| REPO_WORDS.contains(&w.stem.as_str()));
    let local = p
        .words
        .windows(2)
        .any(|w| w[0].stem == "thi" && LOCAL_UNITS.contains(&w[1].stem.as_str()));
    if !repo_wide
        && p.dirs == 0
        && (local || (pasted == 1 && sources <= 1) || (sources == 1 && pasted == 0))
    {
        // "everywhere" about one pasted snippet means everywhere in it.
        scores[MultiFile.index()] *= 0.4;
    } else if scores[MultiFile.index()] >= 3.0 {
        // A small change made everywhere is a multi-file job.
        let carried = 0.5
            * scores[Edit.index()]
                .max(scores[Refactor.index()])
                .max(scores[Format.index()]);
        add(
            scores,
            MultiFile,
            carried,
            "a change across many places".into(),
        );
    }
    let concrete = p.has_trace
        || pasted > 0
        || p.words
            .iter()
            .any(|w| matches!(w.stem.as_str(), "my" | "our" | "thi" | "it" | "we" | "i"));
    if !concrete {
        // A failure question with nothing failing in it is a question about behaviour.
        let moved = scores[Debugging.index()] * 0.35;
        scores[Debugging.index()] -= moved;
        scores[Analysis.index()] += moved;
    }
    let reviewing = p
        .words
        .iter()
        .take(4)
        .any(|w| matches!(w.stem.as_str(), "review" | "check" | "audit" | "look"));
    if reviewing && scores[Security.index()] > 0.0 {
        let w = scores[Security.index()];
        add(
            scores,
            Security,
            w,
            "a review of security-sensitive code".into(),
        );
    }
    let verbs = p.words.iter().take(12).any(|w| {
        lexicon::index()
            .get(&w.stem)
            .is_some_and(|c| c.iter().any(|c| c.kind == CueKind::Verb))
    });
    if p.questions > 0 && !verbs {
        add(scores, Analysis, 1.0, "an open question".into());
    }
    if p.code_chars() > 0 && p.words.len() <= 3 && p.questions == 0 {
        // Code with a bare instruction ("thoughts?", "this") asks for a reading of it.
        add(
            scores,
            Analysis,
            0.8,
            "pasted code with little instruction".into(),
        );
    }
}

fn is_doc_or_config(file: &str) -> bool {
    let name = file.rsplit('/').next().unwrap_or(file);
    name.ends_with(".md")
        || name.starts_with('.')
        || matches!(
            name.rsplit('.').next(),
            Some("toml" | "json" | "yml" | "yaml" | "lock" | "txt" | "ini" | "cfg" | "env")
        )
        || !name.contains('.')
}

/// With no cue at all: a question or bare code asks for a reading, a few words are a
/// small change ("MAX_RETRIES -> 5"), anything longer asks for new code.
fn fallback_type(p: &Parsed) -> TaskType {
    if p.questions > 0 || p.code_chars() > 0 {
        TaskType::Analysis
    } else if p.prose_chars < 40 {
        TaskType::Edit
    } else {
        TaskType::Generation
    }
}

fn fill_features(p: &Parsed, f: &mut Features) {
    f.prose_words = p.words.len();
    f.code_chars = p.code_chars();
    f.code_lines = p.code_lines();
    f.code_languages = p.code.iter().filter_map(|c| c.lang.clone()).collect();
    f.code_languages.dedup();
    f.files_referenced = p.files.len();
    f.has_error_trace = p.has_trace;
    let open = ["why", "how", "should", "what"];
    let asks = p
        .words
        .iter()
        .filter(|w| open.contains(&w.stem.as_str()))
        .count();
    f.question_depth = (p.questions.min(1) + asks.min(2)) as u8;
}

/// Complexity in [0,1] from size, code, files, question depth and the kind of task.
fn complexity(p: &Parsed, f: &Features, task: TaskType) -> f32 {
    let chars = (p.prose_chars + p.code_chars()) as f32;
    let size = (chars.ln_1p() / 9.0).min(1.0) * 0.3;
    let code = (p.code_lines() as f32 / 150.0).min(1.0) * 0.15;
    let files = (p.files.len() as f32 / 5.0).min(1.0) * 0.15;
    let depth = f32::from(f.question_depth) / 3.0 * 0.1;
    let kind = match task.route() {
        super::Route::Ollama => 0.25,
        super::Route::Hybrid => 0.15,
        super::Route::Lmstudio => 0.0,
    };
    let trace = if p.has_trace { 0.05 } else { 0.0 };
    (size + code + files + depth + kind + trace).clamp(0.0, 1.0)
}

fn softmax(scores: &[f32; 11]) -> [f32; 11] {
    const TEMPERATURE: f32 = 1.6;
    let max = scores.iter().copied().fold(f32::MIN, f32::max);
    let mut out = [0f32; 11];
    let mut sum = 0.0;
    for (o, s) in out.iter_mut().zip(scores) {
        *o = ((s - max) / TEMPERATURE).exp();
        sum += *o;
    }
    for o in &mut out {
        *o /= sum;
    }
    out
}

fn top_two(p: &[f32; 11]) -> (usize, usize) {
    let mut best = 0;
    for i in 1..p.len() {
        if p[i] > p[best] {
            best = i;
        }
    }
    let mut second = if best == 0 { 1 } else { 0 };
    for i in 0..p.len() {
        if i != best && p[i] > p[second] {
            second = i;
        }
    }
    (best, second)
}

#[cfg(test)]
mod tests {
    use super::*;
    use TaskType::*;

    fn t(prompt: &str) -> TaskType {
        analyze(prompt, &[]).task_type
    }

    #[test]
    fn keywords_alone_do_not_decide() {
        assert_eq!(t("create a SECURITY.md file for the project"), Boilerplate);
        assert_eq!(
            t("simple question: how should we shard this database?"),
            Planning
        );
        assert_eq!(
            t("commit msg please: patched the auth bypass in the session check"),
            Documentation
        );
        assert_eq!(t("rename `debug_mode` to `verbose`"), Edit);
    }

    #[test]
    fn each_task_type_on_plain_prompts() {
        let cases = [
            ("reformat this file with rustfmt style", Format),
            ("change the default timeout from 30 to 60 seconds", Edit),
            ("create a Dockerfile for a Deno service", Boilerplate),
            ("add docstrings to these python functions", Documentation),
            (
                "explain why this loop is quadratic and what dominates the runtime",
                Analysis,
            ),
            (
                "what order do we move our services off MySQL onto Postgres in?",
                Planning,
            ),
            (
                "my test fails with a null pointer exception when the list is empty",
                Debugging,
            ),
            ("audit this login handler for SQL injection", Security),
            (
                "rename the User type everywhere across the codebase",
                MultiFile,
            ),
            ("refactor this function into smaller functions", Refactor),
            (
                "implement a ring buffer with fixed capacity in Zig",
                Generation,
            ),
        ];
        for (prompt, want) in cases {
            assert_eq!(t(prompt), want, "{prompt}");
        }
    }

    #[test]
    fn an_unspaced_script_is_read_by_the_classifier_not_the_terse_guess() {
        // One "word" to the tokenizer, but a whole question about a deadlock: the terse
        // guess (new code, so hybrid) would ignore what it says.
        let a = analyze("帮我看看这个函数为什么会死锁", &[]);
        assert_eq!(
            a.task_type.route(),
            super::super::Route::Ollama,
            "{:?}",
            a.task_type
        );
        // Two Latin words with no cue are still a small change.
        assert_eq!(t("MAX_RETRIES -> 5"), Edit);
    }

    #[test]
    fn structure_adds_evidence() {
        let trace = "Traceback (most recent call last):\n  File \"app.py\", line 3, in <module>\nKeyError: 'id'";
        assert_eq!(analyze("help", &[trace]).task_type, Debugging);
        assert_eq!(
            t("update the imports in src/a.rs, src/b.rs, src/c.rs and src/d.rs"),
            MultiFile
        );
    }

    #[test]
    fn complexity_grows_with_size_and_depth() {
        let small = analyze("fix the typo in the README", &[]).complexity;
        let code = "fn f() {}\n".repeat(200);
        let big = analyze(
            "why does this deadlock under load? walk me through it",
            &[&code],
        )
        .complexity;
        assert!(small < 0.3 && big > 0.6, "{small} {big}");
    }
}
