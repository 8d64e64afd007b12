//! Headless runs: one prompt in, the answer streamed to stdout, one status line on stderr
//! (or every event as JSON with `--json`).

use std::io::Write;

use super::input::read_input;
use super::{EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE};
use crate::backend::{ChatMessage, Role};
use crate::client::SYSTEM_PROMPT;
use crate::config::Config;
use crate::engine::{self, Command, Event, EventKind, RouteMode, Submit};
use crate::voice::Voice;

pub struct Options {
    pub prompt: Option<String>,
    pub json: bool,
    pub route: RouteMode,
    pub model: Option<String>,
    pub max_tokens: Option<u32>,
    pub voice: Option<Voice>,
}

const REQUEST_ID: u64 = 1;

pub async fn run(config: Config, opts: Options) -> i32 {
    let (prompt, attachments) = match read_input(opts.prompt.as_deref()) {
        Ok(p) => p,
        Err(msg) => {
            eprintln!("codecrucible: {msg}");
            return EXIT_USAGE;
        }
    };
    let system = opts
        .voice
        .as_ref()
        .map_or(SYSTEM_PROMPT, |v| v.system_prompt.as_str());
    let mut engine = engine::spawn(config);
    let submit = Submit {
        id: REQUEST_ID,
        messages: vec![
            ChatMessage::new(Role::System, system),
            ChatMessage::new(Role::User, prompt),
        ],
        route: opts.route,
        model: opts.model,
        max_tokens: opts.max_tokens,
        attachments,
        voice: opts.voice.as_ref().map(Voice::prior),
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
            EventKind::Route { decision, .. } => {
                self.route_reason = decision.reasoning.trim_end_matches('.').to_owned()
            }
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
