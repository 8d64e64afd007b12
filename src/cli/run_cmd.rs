//! `codecrucible run [--timeout SECS] -- CMD ARGS…`: a command the user typed, run by the
//! engine in the workspace's sandbox, its output streamed, its exit code passed on.

use std::io::IsTerminal as _;
use std::path::PathBuf;
use std::time::Duration;

use crate::config::Config;
use crate::engine::run::RunRequest;
use crate::engine::{Command, EventKind};

/// The command could not be run at all (as `timeout(1)` and `docker run` use it).
pub const EXIT_NOT_RUN: i32 = 125;

pub struct Options {
    pub dir: PathBuf,
    pub timeout: Option<u64>,
    pub no_sandbox: bool,
    pub command: Vec<String>,
}

pub fn run(config: &Config, opts: Options) -> i32 {
    super::runtime(|| go(config.clone(), opts))
}

async fn go(config: Config, opts: Options) -> i32 {
    const ID: u64 = 1;
    // The run goes in the audit trail of the history database (in memory with history off).
    let mut builder = crate::engine::Builder::new(config.clone());
    if config.history.enabled {
        match super::sessions_cmd::open_store() {
            Ok(store) => builder = builder.store(std::sync::Arc::new(store)),
            Err(e) => eprintln!("codecrucible: {e}; this run is not in the audit trail"),
        }
    }
    let mut engine = builder.spawn();
    let name = opts.command.first().cloned().unwrap_or_default();
    // The limit it is held to, as the user set it: the kill lands a little after it.
    let limit = opts.timeout.unwrap_or(config.sandbox.wall_secs).max(1);
    let req = RunRequest {
        dir: opts.dir,
        argv: opts.command,
        timeout: opts.timeout.map(|s| Duration::from_secs(s.max(1))),
        unconfined: opts.no_sandbox,
        session: None,
    };
    let _ = engine.commands.send(Command::Run { id: ID, run: req });
    let (out_tty, err_tty) = (
        std::io::stdout().is_terminal(),
        std::io::stderr().is_terminal(),
    );
    while let Some(ev) = engine.events.recv().await {
        if ev.id != ID {
            continue;
        }
        match ev.kind {
            EventKind::CommandStarted { sandbox: "off", .. } => eprintln!(
                "codecrucible: the sandbox is off: {name} runs unconfined, with your files and network"
            ),
            EventKind::CommandStarted {
                notice: Some(n), ..
            } => eprintln!("codecrucible: {}", crate::text::terminal::line(&n, " ")),
            EventKind::CommandOutput { stream, text } => {
                if stream == "stderr" {
                    write(&mut std::io::stderr().lock(), &text, err_tty);
                } else {
                    write(&mut std::io::stdout().lock(), &text, out_tty);
                }
            }
            EventKind::CommandDone {
                error: Some(e), ..
            } => return not_run(&e),
            EventKind::CommandDone {
                exit_code,
                timed_out,
                ..
            } => {
                if timed_out {
                    eprintln!(
                        "codecrucible: {name} ran out of its {limit} s and was stopped, with everything it started"
                    );
                }
                return exit_code.unwrap_or(EXIT_NOT_RUN);
            }
            _ => {}
        }
    }
    not_run("the engine stopped")
}

/// Untrusted output: cleaned of control sequences on a terminal, as sent when piped.
fn write(out: &mut impl std::io::Write, text: &str, terminal: bool) {
    let _ = if terminal {
        out.write_all(crate::text::terminal::clean(text).as_bytes())
    } else {
        out.write_all(text.as_bytes())
    };
    let _ = out.flush();
}

fn not_run(why: &str) -> i32 {
    eprintln!("codecrucible: {why}");
    EXIT_NOT_RUN
}
