//! `codecrucible judge`: how a hybrid draft would be judged, without any server. It scores an
//! answer to a prompt as the engine scores a fast draft (every signal, and the draft's own
//! examples run in the sandbox unless told not to), and says whether it would escalate.

use std::io::Read;

use serde::Serialize;

use super::{EXIT_OK, EXIT_USAGE};
use crate::confidence::{self, Draft, Report};
use crate::config::Config;
use crate::router::{self, TaskType};

#[derive(Serialize)]
struct JudgeReport<'a> {
    task_type: TaskType,
    threshold: f64,
    escalate: bool,
    #[serde(flatten)]
    report: &'a Report,
}

pub struct Args<'a> {
    pub prompt: &'a str,
    pub answer: &'a str,
    pub task: Option<&'a str>,
    pub finish_reason: Option<&'a str>,
    pub no_run: bool,
    pub json: bool,
}

pub fn judge(config: &Config, a: &Args) -> i32 {
    let answer = match read_answer(a.answer) {
        Ok(t) => t,
        Err(msg) => return usage(&msg),
    };
    let task = match a.task {
        Some(t) => match TaskType::parse(t) {
            Some(t) => t,
            None => {
                return usage(&format!(
                    "--task {t} is not a task type; use one of {}",
                    names()
                ))
            }
        },
        None => router::analyze(a.prompt, &[]).task_type,
    };
    let draft = Draft {
        prompt: a.prompt,
        answer: &answer,
        task_type: task,
        finish_reason: a.finish_reason,
        logprobs: &[],
    };
    let report = confidence::score(&draft);
    let report = if a.no_run || !config.hybrid.routing.check_examples {
        report
    } else {
        crate::engine::examples::checked(&config.sandbox, a.prompt, &answer, report, None)
    };
    let threshold = config.hybrid.routing.escalation_threshold;
    let escalate = config.hybrid.routing.escalates(report.score);
    if a.json {
        let out = JudgeReport {
            task_type: task,
            threshold,
            escalate,
            report: &report,
        };
        outln!("{}", serde_json::to_string(&out).unwrap_or_default());
    } else {
        outln!("{}", describe(&report, task, threshold, escalate));
    }
    EXIT_OK
}

fn usage(msg: &str) -> i32 {
    eprintln!("codecrucible: {msg}");
    EXIT_USAGE
}

fn names() -> String {
    TaskType::ALL
        .iter()
        .map(|t| t.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// One sentence for an answer file that cannot be read: what is wrong and what to give.
fn unreadable(path: &str, e: &std::io::Error) -> String {
    use std::io::ErrorKind;
    let what = match e.kind() {
        ErrorKind::NotFound => "it does not exist".to_owned(),
        ErrorKind::IsADirectory => "it is a directory".to_owned(),
        ErrorKind::PermissionDenied => "permission denied".to_owned(),
        _ => e.to_string(),
    };
    format!(
        "cannot read the answer from {path}: {what}: give the file that holds the answer, or - to read it from stdin"
    )
}

/// The answer from a file or `-` (stdin), its first 256 KiB (as much as the engine scores
/// of a draft), invalid UTF-8 replaced.
fn read_answer(path: &str) -> Result<String, String> {
    const MAX_ANSWER: u64 = crate::engine::SCORE_MAX_BYTES as u64;
    let mut bytes = Vec::new();
    let read = if path == "-" {
        std::io::stdin().take(MAX_ANSWER).read_to_end(&mut bytes)
    } else {
        std::fs::File::open(path).and_then(|f| f.take(MAX_ANSWER).read_to_end(&mut bytes))
    };
    read.map_err(|e| unreadable(path, &e))?;
    let text = String::from_utf8_lossy(&bytes).into_owned();
    if text.trim().is_empty() {
        return Err(format!("the answer in {path} is empty"));
    }
    Ok(text)
}

fn describe(r: &Report, task: TaskType, threshold: f64, escalate: bool) -> String {
    let verdict = if escalate {
        "escalate to the quality server"
    } else {
        "keep the fast draft"
    };
    let mut s = format!(
        "confidence: {:.2} (threshold {threshold:.2}): {verdict}\ntask:       {}\n",
        r.score,
        task.as_str()
    );
    for (name, sig) in &r.signals {
        // A detail may quote the draft's code or its error: it is untrusted text.
        let detail = crate::text::terminal::clean(&sig.detail);
        s.push_str(&format!("  {name:<12} {:.2}  {detail}\n", sig.score));
    }
    s.trim_end().to_owned()
}
