//! Headless runs: one prompt in, the answer streamed to stdout, one status line on stderr
//! (or every event as JSON with `--json`).

use std::io::{IsTerminal, Read, Write};

use super::{EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE};
use crate::backend::{ChatMessage, Role};
use crate::client::SYSTEM_PROMPT;
use crate::config::Config;
use crate::engine::{self, Command, Event, EventKind, RouteMode, Submit};

pub struct Options {
    pub prompt: Option<String>,
    pub json: bool,
    pub route: RouteMode,
    pub model: Option<String>,
    pub max_tokens: Option<u32>,
}

const REQUEST_ID: u64 = 1;

pub async fn run(config: Config, opts: Options) -> i32 {
    let prompt = match build_prompt(opts.prompt.as_deref()) {
        Ok(p) => p,
        Err(msg) => {
            eprintln!("codecrucible: {msg}");
            return EXIT_USAGE;
        }
    };
    let mut engine = engine::spawn(config);
    let submit = Submit {
        id: REQUEST_ID,
        messages: vec![
            ChatMessage::new(Role::System, SYSTEM_PROMPT),
            ChatMessage::new(Role::User, prompt),
        ],
        route: opts.route,
        model: opts.model,
        max_tokens: opts.max_tokens,
    };
    let _ = engine.commands.send(Command::Submit(submit));
    let mut out = Output::new(opts.json);
    let mut interrupted = false;
    loop {
        let event = tokio::select! {
            ev = engine.events.recv() => ev,
            _ = tokio::signal::ctrl_c() => {
                if interrupted {
                    return EXIT_INTERRUPTED; // a second Ctrl-C: stop waiting
                }
                interrupted = true;
                let _ = engine.commands.send(Command::Cancel(REQUEST_ID));
                continue;
            }
        };
        let Some(event) = event else {
            return EXIT_FAILED;
        };
        if let Some(code) = out.event(&event) {
            let _ = engine.commands.send(Command::Shutdown);
            return if interrupted { EXIT_INTERRUPTED } else { code };
        }
    }
}

/// The prompt from the argument and stdin: `-` means stdin is the prompt; otherwise piped
/// text is attached below the prompt.
fn build_prompt(arg: Option<&str>) -> Result<String, String> {
    let stdin = read_stdin()?;
    let prompt = match (arg, stdin) {
        (Some("-"), Some(text)) => text,
        (Some("-"), None) => return Err("the prompt is `-` but nothing came on stdin".into()),
        (Some(p), Some(text)) => format!("{p}\n\nAttached input:\n```\n{}\n```", text.trim_end()),
        (Some(p), None) => p.to_owned(),
        (None, Some(text)) => text,
        (None, None) => {
            return Err(
                "no prompt: give one as an argument (codecrucible -p \"...\") or pipe it on stdin"
                    .into(),
            )
        }
    };
    if prompt.trim().is_empty() {
        return Err("the prompt is empty".into());
    }
    Ok(prompt)
}

fn read_stdin() -> Result<Option<String>, String> {
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        return Ok(None);
    }
    let mut buf = Vec::new();
    stdin
        .lock()
        .read_to_end(&mut buf)
        .map_err(|e| format!("cannot read stdin: {e}"))?;
    let text = String::from_utf8_lossy(&buf).into_owned();
    Ok((!text.trim().is_empty()).then_some(text))
}

/// Writes events as they come; returns the exit code once the request has ended.
struct Output {
    json: bool,
    route_reason: String,
    wrote_text: bool,
    ends_in_newline: bool,
    stdout_gone: bool,
}

impl Output {
    fn new(json: bool) -> Self {
        Self {
            json,
            route_reason: String::new(),
            wrote_text: false,
            ends_in_newline: true,
            stdout_gone: false,
        }
    }

    fn event(&mut self, ev: &Event) -> Option<i32> {
        if self.json {
            let line = serde_json::to_string(ev).unwrap_or_default();
            self.stdout(&format!("{line}\n"));
        } else {
            self.human(&ev.kind);
        }
        match &ev.kind {
            EventKind::Done { .. } => Some(EXIT_OK),
            EventKind::Error { code, .. } if *code == "config" || *code == "remote_not_allowed" => {
                Some(EXIT_USAGE)
            }
            EventKind::Error { .. } => Some(EXIT_FAILED),
            EventKind::Cancelled { .. } => Some(EXIT_INTERRUPTED),
            _ if self.stdout_gone => Some(EXIT_OK),
            _ => None,
        }
    }

    fn human(&mut self, kind: &EventKind) {
        match kind {
            EventKind::Route { reasoning, .. } => self.route_reason = reasoning.clone(),
            EventKind::Model {
                backend,
                model,
                reason,
            } => {
                eprintln!(
                    "[{} · {model}] {}; model: {reason}",
                    backend.label(),
                    self.route_reason
                );
            }
            EventKind::Queued { backend, depth } => {
                eprintln!(
                    "[{}] busy: waiting in line ({depth} queued)",
                    backend.label()
                )
            }
            EventKind::Status { message, .. } => eprintln!("[{message}]"),
            EventKind::Fallback { from, to, error } => {
                self.finish_line();
                eprintln!(
                    "[{} unavailable, {} answers instead] {error}",
                    from.label(),
                    to.label()
                );
            }
            EventKind::Delta { text, .. } => {
                self.wrote_text = true;
                self.ends_in_newline = text.ends_with('\n');
                self.stdout(text);
            }
            EventKind::Done { .. } => self.finish_line(),
            EventKind::Error {
                message, partial, ..
            } => {
                self.finish_line();
                let kept = if *partial {
                    " (the partial answer above is kept)"
                } else {
                    ""
                };
                eprintln!("codecrucible: {message}{kept}");
            }
            EventKind::Cancelled { .. } => {
                self.finish_line();
                eprintln!("codecrucible: interrupted");
            }
            _ => {}
        }
    }

    fn finish_line(&mut self) {
        if self.wrote_text && !self.ends_in_newline {
            self.stdout("\n");
            self.ends_in_newline = true;
        }
    }

    fn stdout(&mut self, text: &str) {
        if self.stdout_gone {
            return;
        }
        let mut out = std::io::stdout().lock();
        // A closed pipe (`| head`) means the reader has what it wanted: stop quietly.
        if out
            .write_all(text.as_bytes())
            .and_then(|()| out.flush())
            .is_err()
        {
            self.stdout_gone = true;
        }
    }
}
