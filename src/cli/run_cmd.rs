//! `codecrucible run [--timeout SECS] -- CMD ARGS…`: a command the user typed, run in the
//! workspace in the sandbox, its output streamed, its exit code passed on.

use std::io::IsTerminal as _;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use crate::config::Config;
use crate::sandbox::{self, Channel, Mode, Spec};

/// The command could not be run at all (as `timeout(1)` and `docker run` use it).
pub const EXIT_NOT_RUN: i32 = 125;

pub struct Options {
    pub dir: PathBuf,
    pub timeout: Option<u64>,
    pub no_sandbox: bool,
    pub command: Vec<String>,
}

pub fn run(config: &Config, opts: Options) -> i32 {
    let (root, cwd) = match sandbox::workspace_of(&opts.dir) {
        Ok(w) => w,
        Err(e) => return not_run(&e),
    };
    let mut spec = match Spec::from_config(&config.sandbox, opts.command, root, cwd) {
        Ok(s) => s,
        Err(e) => return not_run(&e),
    };
    if let Some(secs) = opts.timeout {
        spec.wall = Duration::from_secs(secs.max(1));
    }
    if opts.no_sandbox {
        spec.mode = Mode::Off;
    }
    if spec.mode == Mode::Off {
        eprintln!(
            "codecrucible: the sandbox is off: {} runs unconfined, with your files and network",
            spec.argv[0]
        );
    }
    let (out_tty, err_tty) = (
        std::io::stdout().is_terminal(),
        std::io::stderr().is_terminal(),
    );
    let on_output: sandbox::OnOutput = Arc::new(move |channel, bytes: &[u8]| match channel {
        Channel::Stdout => write(&mut std::io::stdout().lock(), bytes, out_tty),
        Channel::Stderr => write(&mut std::io::stderr().lock(), bytes, err_tty),
    });
    match sandbox::run(&spec, on_output) {
        Ok(outcome) => {
            if outcome.exit == sandbox::Exit::TimedOut {
                eprintln!(
                    "codecrucible: {} ran out of its {} s and was stopped, with everything it started",
                    spec.argv[0],
                    spec.wall.as_secs()
                );
            }
            outcome.exit.code()
        }
        Err(e) => not_run(&e),
    }
}

/// Untrusted output: cleaned of control sequences on a terminal, byte-exact when piped.
fn write(out: &mut impl std::io::Write, bytes: &[u8], terminal: bool) {
    let _ = if terminal {
        let text = String::from_utf8_lossy(bytes);
        out.write_all(crate::text::terminal::clean(&text).as_bytes())
    } else {
        out.write_all(bytes)
    };
    let _ = out.flush();
}

fn not_run(why: &str) -> i32 {
    eprintln!("codecrucible: {why}");
    EXIT_NOT_RUN
}
