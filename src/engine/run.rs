//! Commands run on the user's behalf, through the sandbox (DESIGN.md, "Acting on code"):
//! `/run`, `/test` and `codecrucible run`. The output streams as `command_output` events
//! and the run ends with `command_done`; nothing runs unconfined unless the config says
//! `sandbox.mode = "off"` (or the run asks for it), and then the events say so.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::events::{Event, EventKind, RequestId};
use super::outbox::Outbox;
use super::Shared;
use crate::sandbox::{self, Channel, Mode, Spec};

/// What to run.
#[derive(Debug, Clone)]
pub struct RunRequest {
    /// Where: the workspace above `dir`, starting in `dir`.
    pub dir: PathBuf,
    /// The command and its arguments; empty runs the workspace's test command.
    pub argv: Vec<String>,
    /// Overrides `sandbox.wall_secs`.
    pub timeout: Option<Duration>,
    /// Run unconfined, whatever the config says (an explicit opt-in).
    pub unconfined: bool,
    /// The session it was run from, for the audit trail.
    pub session: Option<crate::store::SessionId>,
}

/// Runs it on the blocking pool; answered by `command_output` events and `command_done`.
///
/// `stop` ends the run early when it fires, or when its sender is dropped (the engine is
/// shutting down).
pub fn start(
    shared: &Arc<Shared>,
    events: &Outbox,
    id: RequestId,
    req: RunRequest,
    stop: tokio::sync::oneshot::Receiver<()>,
) {
    let events = events.clone();
    let shared = Arc::clone(shared);
    let cancel = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let flag = Arc::clone(&cancel);
    // Watches for a stop until the run ends; then it lets go of `stop`, so the engine
    // forgets the run.
    let (ended, end) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(async move {
        tokio::select! {
            _ = stop => flag.store(true, std::sync::atomic::Ordering::SeqCst),
            _ = end => {}
        }
    });
    tokio::task::spawn_blocking(move || {
        let config = &shared.config;
        let session = req.session;
        let resolved = spec(&config.sandbox, &config.workspace.test_command, req)
            .and_then(|s| sandbox::resolve(s.mode).map(|r| (s, r)));
        let done = match resolved {
            Ok((mut spec, (mode, notice))) => {
                spec.cancel = Some(cancel);
                spec.mode = mode;
                let started = EventKind::CommandStarted {
                    argv: spec.argv.clone(),
                    sandbox: mode.name(),
                    notice,
                };
                events.send_blocking(Event { id, kind: started });
                let done = execute(&events, id, &spec);
                record(&shared, &spec, session, &done);
                done
            }
            Err(error) => failed(error),
        };
        let _ = ended.send(());
        events.send_blocking(Event { id, kind: done });
    });
}

/// The run in the audit trail (and, unconfined, that too as its own entry).
fn record(
    shared: &Shared,
    spec: &Spec,
    session: Option<crate::store::SessionId>,
    done: &EventKind,
) {
    let EventKind::CommandDone {
        exit_code,
        timed_out,
        duration_ms,
        output_bytes,
        error,
        ..
    } = done
    else {
        return;
    };
    let command = serde_json::json!({
        "argv": spec.argv,
        "cwd": spec.cwd.display().to_string(),
        "workspace": spec.workspace.display().to_string(),
        "sandbox": spec.mode.name(),
        "exit_code": exit_code,
        "timed_out": timed_out,
        "duration_ms": duration_ms.round(),
        "output_bytes": output_bytes,
        "error": error,
    });
    let unconfined = spec.mode == Mode::Off;
    let argv = spec.argv.clone();
    // Written before the run is reported done, so `audit` right after `run` finds it.
    super::audit_now(shared, "command", session, command);
    if unconfined {
        super::audit_now(
            shared,
            "no_sandbox",
            session,
            serde_json::json!({ "argv": argv }),
        );
    }
}

fn failed(error: String) -> EventKind {
    EventKind::CommandDone {
        exit_code: None,
        timed_out: false,
        cancelled: false,
        duration_ms: 0.0,
        output_bytes: 0,
        error: Some(error),
    }
}

/// The spec for `req` under the `[sandbox]` config; an empty command is the workspace's
/// test command (`workspace.test_command`, else detected).
fn spec(
    config: &crate::config::Sandbox,
    test_command: &str,
    req: RunRequest,
) -> Result<Spec, String> {
    let (root, cwd) = sandbox::workspace_of(&req.dir)?;
    let argv = if req.argv.is_empty() {
        crate::workspace::test_command::command(&root, test_command).ok_or_else(|| {
            format!(
                "no test command is known for {}: set workspace.test_command (for example \
                 `codecrucible config set workspace.test_command \"make test\"`)",
                root.display()
            )
        })?
    } else {
        req.argv
    };
    let mut spec = Spec::from_config(config, argv, root, cwd)?;
    if let Some(t) = req.timeout {
        spec.wall = t;
    }
    if req.unconfined {
        spec.mode = Mode::Off;
    }
    Ok(spec)
}

fn execute(events: &Outbox, id: RequestId, spec: &Spec) -> EventKind {
    let carry = Arc::new(Mutex::new([Vec::new(), Vec::new()]));
    let out = events.clone();
    let on_output: sandbox::OnOutput = Arc::new(move |channel, bytes: &[u8]| {
        let text = carry
            .lock()
            .map(|mut c| whole_chars(&mut c[channel as usize], bytes))
            .unwrap_or_default();
        if !text.is_empty() {
            let kind = EventKind::CommandOutput {
                stream: match channel {
                    Channel::Stdout => "stdout",
                    Channel::Stderr => "stderr",
                },
                text,
            };
            out.send_blocking(Event { id, kind });
        }
    });
    match sandbox::run(spec, on_output) {
        Ok(o) => EventKind::CommandDone {
            exit_code: Some(o.exit.code()),
            timed_out: o.exit == sandbox::Exit::TimedOut,
            cancelled: o.exit == sandbox::Exit::Cancelled,
            duration_ms: o.duration.as_secs_f64() * 1000.0,
            output_bytes: o.stdout.total + o.stderr.total,
            error: None,
        },
        Err(e) => failed(e),
    }
}

/// `bytes` appended to what was held back, as text: a character split between two reads
/// waits for its end instead of becoming U+FFFD.
fn whole_chars(held: &mut Vec<u8>, bytes: &[u8]) -> String {
    held.extend_from_slice(bytes);
    let cut = match std::str::from_utf8(held) {
        Ok(_) => held.len(),
        // An incomplete sequence at the end (at most 3 bytes) is kept for the next read.
        Err(e) if e.error_len().is_none() => e.valid_up_to(),
        Err(_) => held.len(),
    };
    let rest = held.split_off(cut);
    let text = String::from_utf8_lossy(held).into_owned();
    *held = rest;
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_character_split_across_reads_arrives_whole() {
        let mut held = Vec::new();
        let e = "é".as_bytes();
        assert_eq!(whole_chars(&mut held, &[b'a', e[0]]), "a");
        assert_eq!(whole_chars(&mut held, &[e[1], b'b']), "éb");
        assert_eq!(
            whole_chars(&mut held, &[0xff, b'c']),
            "\u{fffd}c",
            "bad bytes do not stall"
        );
        assert!(held.is_empty());
    }
}
