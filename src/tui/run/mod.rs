//! `/run CMD ARGS…` and `/test`: commands the user types, run by the engine in the sandbox
//! (DESIGN.md, "Acting on code": the TUI never starts a process itself), each shown in the
//! chat as its own entry with its output streaming in. The entry lives in the app's memory
//! only: the engine does not record runs in the session yet.

pub mod argv;
pub mod log;

use log::{End, RunLog, Stream};

use super::app::App;
use super::chat::{Entry, Who};
use crate::engine::run::RunRequest;
use crate::engine::{Command, EventKind, RequestId};

/// How commands are confined and approved, from the `[sandbox]` config, for the status bar.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SandboxInfo {
    /// `sandbox.mode = "off"`: commands run unconfined, and the user must see it.
    pub off: bool,
    /// `ask` or `auto`.
    pub approval: String,
    /// The wall-time limit after which a command is killed.
    pub wall_secs: u64,
}

impl Default for SandboxInfo {
    fn default() -> Self {
        Self::from_config(&crate::config::Config::default().sandbox)
    }
}

impl SandboxInfo {
    pub fn from_config(s: &crate::config::Sandbox) -> Self {
        Self {
            off: s.mode.trim().eq_ignore_ascii_case("off"),
            approval: s.approval.trim().to_lowercase(),
            wall_secs: s.wall_secs,
        }
    }

    /// "sandbox ask" / "sandbox auto", or "sandbox OFF"; true when it is a warning.
    pub fn label(&self) -> (String, bool) {
        if self.off {
            ("sandbox OFF".into(), true)
        } else {
            (format!("sandbox {}", self.approval), false)
        }
    }
}

/// The runs sent and not finished yet.
#[derive(Debug, Default)]
pub struct Runs {
    active: Vec<RequestId>,
}

impl App {
    /// `/run CMD ARGS…` (`argv` already split) or, with an empty `argv`, `/test`. Commands
    /// the user types are not asked about: typing them is the approval.
    pub(crate) fn run_command(&mut self, argv: Vec<String>) {
        let Some(dir) = self.files.root.clone() else {
            self.warn(
                "There is no workspace here to run commands in; start in a project, or with -C DIR",
            );
            return;
        };
        let id = self.command_id();
        let mut entry = Entry::new(Who::Run, "");
        entry.run = Some(Box::new(RunLog::new(id, &argv)));
        self.entries.push(entry);
        self.runs.active.push(id);
        self.scroll = Default::default();
        self.outgoing.push(Command::Run {
            id,
            run: RunRequest {
                dir,
                argv,
                timeout: None,
                unconfined: false,
                session: self.session,
            },
        });
    }

    /// Whether a command sent from here is still running.
    pub(crate) fn run_active(&self) -> bool {
        !self.runs.active.is_empty()
    }

    /// Esc while a command runs: the engine kills it, with everything it started.
    pub(crate) fn stop_runs(&mut self) {
        for id in self.runs.active.clone() {
            self.outgoing.push(Command::Cancel(id));
        }
        self.notice("Stopping the command…");
    }

    /// `command_started`, `command_output` and `command_done` for a run sent from here.
    pub(crate) fn run_event(&mut self, id: RequestId, kind: EventKind) {
        if let EventKind::CommandDone { .. } = kind {
            self.runs.active.retain(|r| *r != id);
        }
        let Some(entry) = self
            .entries
            .iter_mut()
            .rev()
            .find(|e| e.run.as_ref().is_some_and(|r| r.id == id))
        else {
            // Its entry went with `/new`, or the run was not ours.
            self.dirty = false;
            return;
        };
        entry.touch();
        let Some(log) = entry.run.as_mut() else {
            return;
        };
        match kind {
            EventKind::CommandStarted {
                argv,
                sandbox,
                notice,
            } => log.started(argv, sandbox, notice),
            EventKind::CommandOutput { stream, text } => {
                log.output(Stream::from_name(stream), &text)
            }
            EventKind::CommandDone {
                exit_code,
                timed_out,
                cancelled,
                duration_ms,
                error,
                ..
            } => {
                let secs = duration_ms / 1000.0;
                log.done(match (error, timed_out, cancelled) {
                    (Some(e), _, _) => End::Error(e),
                    (None, true, _) => End::TimedOut { secs },
                    (None, false, true) => End::Stopped { secs },
                    (None, false, false) => End::Exited {
                        code: exit_code,
                        secs,
                    },
                });
            }
            _ => {}
        }
    }
}
