//! Headless runs: one prompt in, the answer streamed to stdout, one status line on stderr
//! (or every event as JSON with `--json`).

use std::io::{IsTerminal, Write};

use super::input::read_input;
use super::{EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE};
use crate::config::Config;
use crate::engine::{self, Command, Event, EventKind, RouteMode, Submit};
use crate::store::{SessionChoice, SessionId};
use crate::voice::Voice;

pub struct Options {
    pub prompt: Option<String>,
    pub json: bool,
    pub route: RouteMode,
    pub model: Option<String>,
    pub max_tokens: Option<u32>,
    pub voice: Option<Voice>,
    pub session: SessionChoice,
    /// Ask the server afresh even when the response cache has an answer.
    pub no_cache: bool,
    /// The workspace and the files to attach from it.
    pub workspace: engine::FilesRequest,
    /// `--edit`: the answer's changes go to stdout as a unified diff, its prose to stderr;
    /// nothing is written.
    pub edit: bool,
    /// `--apply`: as `--edit`, and the changes are written (all or none) and journaled.
    pub apply: bool,
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
    // Opening applies the retention period, a write: off the runtime's workers.
    let history = config.clone();
    let store = tokio::task::spawn_blocking(move || super::sessions_cmd::open_history(&history))
        .await
        .ok()
        .flatten();
    let mut engine = match store {
        Some(store) => engine::spawn_with_store(config, store),
        None => engine::spawn(config),
    };
    let submit = Submit {
        id: REQUEST_ID,
        input: prompt,
        session: opts.session,
        route: opts.route,
        model: opts.model,
        max_tokens: opts.max_tokens,
        attachments,
        voice: opts.voice,
        no_cache: opts.no_cache,
        workspace: opts.workspace,
        edit: opts.edit,
        apply: opts.apply,
    };
    let _ = engine.commands.send(Command::Submit(submit));
    let mut out = Output::new(opts.json);
    out.edit = opts.edit || opts.apply;
    out.apply = opts.apply;
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
        if let EventKind::Approval { argv, why } = &event.kind {
            let run = ask(argv, why).await;
            let _ = engine.commands.send(Command::Approve {
                id: REQUEST_ID,
                run,
            });
        }
        if let Some(code) = out.event(&event) {
            let _ = engine.commands.send(Command::Shutdown);
            return if interrupted { EXIT_INTERRUPTED } else { code };
        }
    }
}

/// Asks on the terminal whether the request may run `argv` (`sandbox.approval = "ask"`);
/// without a terminal to ask on, the answer is no, and it says how to allow it.
async fn ask(argv: &[String], why: &str) -> bool {
    let shown = crate::text::terminal::command_lines(argv, 24).join("\n  ");
    if !std::io::stdin().is_terminal() || !std::io::stderr().is_terminal() {
        eprintln!(
            "[not running `{shown}` {why}: sandbox.approval is \"ask\" and there is no terminal \
             to ask on; `codecrucible config set sandbox.approval auto` runs it without asking]"
        );
        return false;
    }
    eprint!("Run `{shown}` {why}? [y/N] ");
    let line = tokio::task::spawn_blocking(|| {
        let mut line = String::new();
        std::io::stdin().read_line(&mut line).map(|_| line)
    })
    .await;
    matches!(line, Ok(Ok(l)) if l.trim().eq_ignore_ascii_case("y") || l.trim().eq_ignore_ascii_case("yes"))
}

/// Writes events as they come; returns the exit code once the request has ended.
struct Output {
    json: bool,
    route_reason: String,
    wrote_text: bool,
    ends_in_newline: bool,
    stdout_gone: bool,
    /// A hybrid draft: streamed to stderr while it is judged, printed to stdout only if
    /// it is kept.
    draft: String,
    /// The draft's last line on stderr is unfinished: a status or error line must start
    /// below it, not after its last word.
    draft_open: bool,
    /// The stored session, named in the status line (for `feedback` and `--resume`).
    session: Option<SessionId>,
    stdout_tty: bool,
    stderr_tty: bool,
    /// `--edit`: stdout holds only the proposed diffs.
    edit: bool,
    /// `--apply`: the diffs shown are the changes written.
    apply: bool,
    /// Files and hunks proposed so far.
    proposed: (usize, usize),
}

impl Output {
    fn new(json: bool) -> Self {
        Self {
            json,
            route_reason: String::new(),
            wrote_text: false,
            ends_in_newline: true,
            stdout_gone: false,
            draft: String::new(),
            draft_open: false,
            session: None,
            stdout_tty: std::io::stdout().is_terminal(),
            stderr_tty: std::io::stderr().is_terminal(),
            edit: false,
            apply: false,
            proposed: (0, 0),
        }
    }

    fn event(&mut self, ev: &Event) -> Option<i32> {
        if let EventKind::Edit {
            status: engine::EditStatus::Proposed | engine::EditStatus::Applied,
            hunks,
            ..
        } = &ev.kind
        {
            self.proposed = (self.proposed.0 + 1, self.proposed.1 + hunks);
        }
        if self.json {
            let line = serde_json::to_string(ev).unwrap_or_default();
            let line = crate::text::terminal::escape_c1_in_json(&line);
            self.stdout(&format!("{line}\n"));
        } else {
            self.human(&ev.kind);
        }
        match &ev.kind {
            // Edits were asked for and none could be proposed: a script must not go on.
            EventKind::Done { .. } if self.edit && self.proposed.0 == 0 => Some(EXIT_FAILED),
            EventKind::Done { .. } => Some(EXIT_OK),
            EventKind::Error { code, .. }
                if matches!(
                    *code,
                    "config" | "remote_not_allowed" | "session" | "file" | "secret_file"
                ) =>
            {
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
            // Named in the status line only when it is saved (it can be carried on).
            EventKind::Session {
                session,
                stored: true,
                ..
            } => self.session = Some(*session),
            EventKind::Loading { message, .. } => self.err_line(&format!("[{message}]")),
            EventKind::Route { decision, .. } => {
                self.route_reason = decision.reasoning.trim_end_matches('.').to_owned()
            }
            EventKind::Model {
                backend,
                model,
                reason,
            } => {
                let session = self
                    .session
                    .map(|s| format!("session {s} · "))
                    .unwrap_or_default();
                self.err_line(&format!(
                    "[{session}{} · {model}] {}; model: {reason}",
                    backend.label(),
                    self.route_reason
                ));
            }
            EventKind::Queued { backend, depth } => self.err_line(&format!(
                "[{}] busy: waiting in line ({depth} queued)",
                backend.label()
            )),
            EventKind::Status { message, .. } => self.err_line(&format!("[{message}]")),
            EventKind::Fallback { from, to, error } => {
                self.finish_line();
                self.err_line(&format!(
                    "[{} unavailable, {} answers instead] {error}",
                    from.label(),
                    to.label()
                ));
            }
            EventKind::Delta {
                text, draft: true, ..
            } => {
                self.draft.push_str(text);
                self.err(text);
                self.draft_open = !self.draft.ends_with('\n');
            }
            // With --edit the prose goes to stderr, so stdout is a diff `git apply` takes.
            EventKind::Delta { text, .. } if self.edit => {
                self.err(text);
                self.draft_open = !text.ends_with('\n');
            }
            EventKind::Delta { text, .. } => {
                self.wrote_text = true;
                self.ends_in_newline = text.ends_with('\n');
                self.stdout(text);
            }
            EventKind::Edit {
                status: engine::EditStatus::Proposed | engine::EditStatus::Applied,
                diff,
                ..
            } => {
                self.end_draft_line();
                // Byte-exact when piped (for `git apply`), cleaned on a terminal.
                self.stdout(diff);
            }
            EventKind::Edit { path, why, .. } => {
                let why = why.as_deref().unwrap_or("it cannot be made");
                self.err_line(&format!("[no change to {path}: {why}]"));
            }
            EventKind::Confidence {
                score, threshold, ..
            } => {
                self.err_line(&format!(
                    "[draft confidence {score:.2}, threshold {threshold:.2}]"
                ));
            }
            EventKind::Escalate {
                to,
                early: Some(stop),
                ..
            } => {
                let saved = stop
                    .saved_ms
                    .map(|ms| format!("; about {:.0} s saved", ms / 1000.0))
                    .unwrap_or_default();
                self.err_line(&format!(
                    "[stopped the draft after {} tokens, {}; escalating to {}{saved}]",
                    stop.tokens,
                    stop.reason,
                    to.label()
                ));
            }
            EventKind::Unloaded {
                backend,
                model,
                idle_secs,
                reason,
            } => {
                // Never silent (DESIGN: the user sees what happened to their servers).
                let line = crate::engine::unloaded_sentence(*backend, model, *idle_secs, reason);
                self.err_line(&format!("[{line}]"));
            }
            EventKind::Escalate { to, signals, .. } => {
                let weak: Vec<&str> = signals
                    .values()
                    .filter(|s| s.score < 0.5)
                    .map(|s| s.detail.as_str())
                    .collect();
                let why = if weak.is_empty() {
                    String::new()
                } else {
                    format!(": {}", weak.join("; "))
                };
                self.err_line(&format!("[escalating to {}{why}]", to.label()));
            }
            EventKind::Context {
                budget,
                used,
                items,
                ..
            } => {
                for line in context_lines(*budget, *used, items) {
                    self.err_line(&line);
                }
            }
            EventKind::Trimmed {
                dropped, window, ..
            } => self.err_line(&format!(
                "[dropped the {dropped} oldest turn(s) to fit the model's {window}-token window]"
            )),
            EventKind::Done { cached, .. } => {
                if *cached {
                    self.err_line("[answered from the cache; --no-cache asks the server afresh]");
                }
                if self.edit {
                    self.end_draft_line();
                    let (files, hunks) = self.proposed;
                    let (hunks, files_n) = (
                        crate::text::short::counted(hunks, "hunk"),
                        crate::text::short::counted(files, "file"),
                    );
                    self.err_line(&match (files, self.apply) {
                        (0, _) => "[the answer proposes no change that can be made]".to_owned(),
                        (_, true) => format!("[applied {hunks} in {files_n}]"),
                        (_, false) => {
                            format!("[proposed {hunks} in {files_n}; nothing was written]")
                        }
                    });
                }
                if !self.edit && !self.wrote_text && !self.draft.is_empty() {
                    // The draft was good enough: it is the answer.
                    let draft = std::mem::take(&mut self.draft);
                    self.wrote_text = true;
                    self.ends_in_newline = draft.ends_with('\n');
                    self.stdout(&draft);
                }
                self.finish_line()
            }
            EventKind::Error { message, .. } => {
                self.finish_line();
                self.err_line(&format!("codecrucible: {message}"));
            }
            EventKind::Cancelled { .. } => {
                self.finish_line();
                self.err_line("codecrucible: interrupted");
            }
            _ => {}
        }
    }

    fn end_draft_line(&mut self) {
        if std::mem::take(&mut self.draft_open) {
            self.err("\n");
        }
    }

    fn finish_line(&mut self) {
        if self.wrote_text && !self.ends_in_newline {
            self.stdout("\n");
            self.ends_in_newline = true;
        }
    }

    /// To stderr, cleaned of escape sequences when it is a terminal.
    fn err(&self, text: &str) {
        let text = if self.stderr_tty {
            crate::text::terminal::clean(text)
        } else {
            text.into()
        };
        let mut e = std::io::stderr().lock();
        let _ = e.write_all(text.as_bytes());
    }

    fn err_line(&mut self, line: &str) {
        self.end_draft_line();
        self.err(&format!("{line}\n"));
    }

    /// To stdout: byte-exact when piped, cleaned of escape sequences on a terminal (model
    /// output is untrusted).
    fn stdout(&mut self, text: &str) {
        if self.stdout_gone {
            return;
        }
        let cleaned;
        let text = if self.stdout_tty {
            cleaned = crate::text::terminal::clean(text);
            cleaned.as_ref()
        } else {
            text
        };
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

/// The stderr lines for a `context` event: files attached because the prompt named them,
/// files left out and why, then what was sent of the budget.
fn context_lines(budget: u64, used: u64, items: &[engine::ContextItem]) -> Vec<String> {
    let mut out = Vec::new();
    for i in items {
        match (&i.dropped, i.source) {
            (Some(why), _) => out.push(format!("[left out {}: {why}]", i.path)),
            (None, engine::Source::Map) => {
                let (shown, left) = i.map.unwrap_or_default();
                let shown = crate::text::short::counted(shown, "file");
                out.push(format!("[repository map: {shown}, {left} more left out]"))
            }
            (None, engine::Source::Named) => {
                out.push(format!("[attached {}: named in the prompt]", i.path))
            }
            _ if i.changed => out.push(format!(
                "[{} changed since it was attached; sent afresh]",
                i.path
            )),
            _ => {}
        }
    }
    let sent = engine::ContextCounts::of(items).sent;
    out.push(format!(
        "[context: {}, about {} of {} tokens]",
        crate::text::short::counted(sent, "file"),
        crate::text::short::count(used),
        crate::text::short::count(budget)
    ));
    out
}
