//! Running commands on the user's behalf, confined (DESIGN.md, "Acting on code"): bubblewrap
//! with the profile in [`profile`], resource limits in [`limits`], a wall-time kill of the
//! whole command, and output kept within a cap ([`capture`]) while it streams.
//!
//! Nothing here runs a command unconfined unless the config says `mode = "off"`, and the
//! caller says so to the user every time; when bubblewrap cannot confine, the run is
//! refused with one sentence on how to fix it.

pub mod capture;
pub mod landlock;
pub mod limits;
pub mod profile;
pub mod seccomp;

use std::os::fd::AsRawFd as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub use capture::Captured;
pub use limits::Limits;

/// The most of each stream kept (head and tail).
pub const OUTPUT_CAP: usize = 256 * 1024;

/// How commands are confined.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Bwrap,
    /// Landlock and seccomp, without namespaces: where bubblewrap cannot run ([`landlock`]).
    Landlock,
    /// Unconfined (an explicit opt-in): limits and the wall-time kill still apply.
    Off,
}

impl Mode {
    /// The config's `sandbox.mode`.
    pub fn parse(s: &str) -> Option<Mode> {
        match s {
            "bwrap" => Some(Mode::Bwrap),
            "landlock" => Some(Mode::Landlock),
            "off" => Some(Mode::Off),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Mode::Bwrap => "bwrap",
            Mode::Landlock => "landlock",
            Mode::Off => "off",
        }
    }
}

/// How a command will really be confined under the configured `mode`, and what to tell the
/// user when that is not what they asked for: `bwrap` falls back to Landlock where
/// bubblewrap cannot make a sandbox and the kernel has Landlock. `Err` is one sentence on
/// why nothing can confine it; the command is then not run (never unconfined silently).
pub fn resolve(mode: Mode) -> Result<(Mode, Option<String>), String> {
    choose(mode, profile::available, || landlock::abi().is_some())
}

/// [`resolve`] with the probes passed in.
fn choose(
    mode: Mode,
    bwrap: impl FnOnce() -> Result<(), profile::Unavailable>,
    landlock: impl Fn() -> bool,
) -> Result<(Mode, Option<String>), String> {
    match mode {
        Mode::Off => Ok((Mode::Off, None)),
        Mode::Landlock if landlock() => Ok((Mode::Landlock, None)),
        Mode::Landlock => Err(
            "sandbox.mode is \"landlock\", but this kernel has no Landlock (Linux 5.13 or later, \
             with Landlock enabled): set sandbox.mode = \"bwrap\" and install bubblewrap"
                .into(),
        ),
        Mode::Bwrap => match bwrap() {
            Ok(()) => Ok((Mode::Bwrap, None)),
            Err(why) if landlock() => Ok((
                Mode::Landlock,
                Some(format!(
                    "{}, so the command is confined with Landlock instead: no network, the \
                     home hidden, and no new files at the workspace's top level ({})",
                    why.short(),
                    why.fix()
                )),
            )),
            Err(why) => Err(why.sentence()),
        },
    }
}

/// One command to run.
#[derive(Debug, Clone)]
pub struct Spec {
    pub argv: Vec<String>,
    /// Writable inside the sandbox (its `.git` read-only).
    pub workspace: PathBuf,
    /// Where the command starts; inside the workspace.
    pub cwd: PathBuf,
    pub mode: Mode,
    pub wall: Duration,
    pub limits: Limits,
    /// Readable paths in the hidden home, as the config lists them (`~/.cargo`).
    pub read_only: Vec<String>,
    /// Set to stop the run early (the user cancelled it): it is killed like a timeout.
    pub cancel: Option<Arc<std::sync::atomic::AtomicBool>>,
}

impl Spec {
    /// A spec from the `[sandbox]` config for `argv` in `workspace`, starting in `cwd`.
    pub fn from_config(
        cfg: &crate::config::Sandbox,
        argv: Vec<String>,
        workspace: PathBuf,
        cwd: PathBuf,
    ) -> Result<Spec, String> {
        let mode = Mode::parse(&cfg.mode).ok_or_else(|| {
            format!(
                "sandbox.mode is \"{}\"; use \"bwrap\", \"landlock\" or \"off\"",
                cfg.mode
            )
        })?;
        let mb = |n: u64| n.saturating_mul(1024 * 1024);
        Ok(Spec {
            argv,
            workspace,
            cwd,
            mode,
            wall: Duration::from_secs(cfg.wall_secs.max(1)),
            limits: Limits {
                cpu_secs: cfg.cpu_secs,
                memory_bytes: mb(cfg.memory_mb),
                max_procs: cfg.max_procs,
                max_file_bytes: mb(cfg.max_file_mb),
            },
            read_only: cfg.read_only_paths.clone(),
            cancel: None,
        })
    }
}

/// How a run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    Code(i32),
    /// Killed by this signal (a limit, or a crash).
    Signal(i32),
    /// Killed, with everything it started, at the wall-time limit.
    TimedOut,
    /// Killed, with everything it started, because the user stopped it.
    Cancelled,
}

impl Exit {
    /// The exit code a shell would report: 124 for a timeout (as `timeout(1)`), 128+N for
    /// signal N.
    pub fn code(self) -> i32 {
        match self {
            Exit::Code(c) => c,
            Exit::Signal(s) => 128 + s,
            Exit::TimedOut => 124,
            Exit::Cancelled => 130,
        }
    }
}

/// Which stream a piece of output came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Channel {
    Stdout,
    Stderr,
}

/// A finished run.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub exit: Exit,
    pub duration: Duration,
    pub stdout: Captured,
    pub stderr: Captured,
    pub mode: Mode,
}

/// Called with each piece of output as it arrives.
pub type OnOutput = Arc<dyn Fn(Channel, &[u8]) + Send + Sync>;

/// Runs `spec`, streaming its output to `on_output`, and waits for it (or its wall time).
/// Blocking: call it off the async runtime.
pub fn run(spec: &Spec, on_output: OnOutput) -> Result<Outcome, String> {
    if spec.argv.is_empty() {
        return Err("there is no command to run".into());
    }
    let workspace = spec.workspace.canonicalize().map_err(|e| {
        format!(
            "the workspace {} cannot be used: {e}",
            spec.workspace.display()
        )
    })?;
    let cwd = spec
        .cwd
        .canonicalize()
        .unwrap_or_else(|_| workspace.clone());
    if !cwd.starts_with(&workspace) {
        return Err(format!(
            "{} is outside the workspace {}",
            cwd.display(),
            workspace.display()
        ));
    }
    let (mode, _) = resolve(spec.mode)?;
    let home = std::env::var_os("HOME")
        .map(PathBuf::from)
        .and_then(|h| h.canonicalize().ok());
    let mut read_only = spec.read_only.clone();
    // The active Python virtualenv, wherever it lives: its tests need its packages.
    if let Some(venv) = std::env::var_os("VIRTUAL_ENV") {
        read_only.push(venv.to_string_lossy().into_owned());
    }
    let paths = profile::Paths {
        read_only: profile::Paths::expand(&read_only, home.as_deref()),
        workspace,
        cwd,
        home,
    };
    let (mut filter, mut confined) = (None, None);
    let mut cmd = match mode {
        Mode::Bwrap => {
            let file = seccomp::file()?;
            let mut c = Command::new("bwrap");
            c.args(profile::bwrap_args(&paths, file.as_raw_fd(), &spec.argv));
            filter = Some(file);
            c
        }
        Mode::Landlock => {
            confined = Some(landlock::prepare(&paths)?);
            direct(&spec.argv, &paths.cwd)
        }
        Mode::Off => direct(&spec.argv, &paths.cwd),
    };
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut limits = spec.limits;
    if mode != Mode::Bwrap {
        // Without a user namespace, the process limit counts every task the user already
        // has; the command gets its allowance on top of them.
        limits.max_procs = limits
            .max_procs
            .saturating_add(limits::tasks_of_this_user());
    }
    let group = limits::PidsGroup::create(spec.limits.max_procs);
    limits::apply(&mut cmd, limits, group.as_ref());
    if let Some(c) = &confined {
        landlock::apply(&mut cmd, c);
    }
    let started = Instant::now();
    let mut child = cmd.spawn().map_err(|e| spawn_error(spec, mode, e))?;
    // bubblewrap has its own copy of the filter's descriptor now.
    drop(filter);
    let pid = child.id() as libc::pid_t;
    let stdout = Arc::new(Mutex::new(Captured::new(OUTPUT_CAP)));
    let stderr = Arc::new(Mutex::new(Captured::new(OUTPUT_CAP)));
    let readers = [
        child
            .stdout
            .take()
            .map(|s| reader(s, Channel::Stdout, &stdout, &on_output)),
        child
            .stderr
            .take()
            .map(|s| reader(s, Channel::Stderr, &stderr, &on_output)),
    ];
    let exit = wait(&mut child, pid, spec.wall, spec.cancel.as_deref());
    let duration = started.elapsed();
    // Output still in the pipes is read; a process that escaped the group (only possible
    // with the sandbox off) and holds them open is not waited for long.
    let until = Instant::now() + Duration::from_secs(2);
    for r in readers.into_iter().flatten() {
        while !r.is_finished() && Instant::now() < until {
            std::thread::sleep(Duration::from_millis(5));
        }
    }
    drop(group);
    drop(confined);
    let take = |c: &Arc<Mutex<Captured>>| c.lock().map(|c| c.clone()).unwrap_or_default();
    Ok(Outcome {
        exit,
        duration,
        stdout: take(&stdout),
        stderr: take(&stderr),
        mode,
    })
}

/// The command itself, started in `cwd` (confined by the child itself, or not at all).
fn direct(argv: &[String], cwd: &Path) -> Command {
    let mut c = Command::new(&argv[0]);
    c.args(&argv[1..]).current_dir(cwd);
    c
}

fn spawn_error(spec: &Spec, mode: Mode, e: std::io::Error) -> String {
    match (mode, e.kind()) {
        (Mode::Off | Mode::Landlock, std::io::ErrorKind::NotFound) => {
            format!("{} is not a command here", spec.argv[0])
        }
        (Mode::Landlock, _) => format!(
            "{} could not be started in the Landlock sandbox: {e}",
            spec.argv[0]
        ),
        _ => format!("{} could not be started: {e}", spec.argv[0]),
    }
}

fn reader(
    mut stream: impl std::io::Read + Send + 'static,
    channel: Channel,
    into: &Arc<Mutex<Captured>>,
    on_output: &OnOutput,
) -> std::thread::JoinHandle<()> {
    let into = Arc::clone(into);
    let on_output = Arc::clone(on_output);
    std::thread::spawn(move || {
        let mut buf = [0u8; 8192];
        loop {
            match stream.read(&mut buf) {
                Ok(0) | Err(_) => return,
                Ok(n) => {
                    on_output(channel, &buf[..n]);
                    if let Ok(mut c) = into.lock() {
                        c.push(&buf[..n]);
                    }
                }
            }
        }
    })
}

/// Waits for the child, killing its whole group at the wall-time limit. Killing
/// bubblewrap ends its pid namespace, and with it everything the command started.
fn wait(
    child: &mut std::process::Child,
    pid: libc::pid_t,
    wall: Duration,
    cancel: Option<&std::sync::atomic::AtomicBool>,
) -> Exit {
    use std::os::unix::process::ExitStatusExt as _;
    let deadline = Instant::now() + wall;
    let mut pause = Duration::from_millis(1);
    loop {
        match child.try_wait() {
            Ok(Some(status)) => {
                return match (status.code(), status.signal()) {
                    (Some(c), _) => Exit::Code(c),
                    (None, Some(s)) => Exit::Signal(s),
                    (None, None) => Exit::Code(1),
                }
            }
            Ok(None) if Instant::now() >= deadline => return kill(child, pid, Exit::TimedOut),
            Ok(None) if cancel.is_some_and(|c| c.load(std::sync::atomic::Ordering::SeqCst)) => {
                return kill(child, pid, Exit::Cancelled)
            }
            Ok(None) => {}
            Err(_) => return Exit::Code(1),
        }
        std::thread::sleep(pause);
        pause = (pause * 2).min(Duration::from_millis(20));
    }
}

/// Kills the run's whole group and reaps it.
fn kill(child: &mut std::process::Child, pid: libc::pid_t, why: Exit) -> Exit {
    // SAFETY: signalling the process group this run created (setsid).
    unsafe {
        libc::kill(-pid, libc::SIGKILL);
    }
    let _ = child.kill();
    let _ = child.wait();
    why
}

/// The workspace root and start directory for a run from `dir` (its git top-level, as
/// requests use).
pub fn workspace_of(dir: &Path) -> Result<(PathBuf, PathBuf), String> {
    let root = crate::workspace::root::find(dir)
        .map_err(|e| format!("{} is not a workspace: {e}", dir.display()))?;
    let cwd = dir.canonicalize().unwrap_or_else(|_| root.clone());
    Ok((root, cwd))
}

#[cfg(test)]
mod tests {
    use super::profile::Unavailable;
    use super::*;

    #[test]
    fn bwrap_falls_back_to_landlock_and_says_why_and_refuses_when_neither_can_confine() {
        let ok = || Ok(());
        let missing = || Err(Unavailable::NotInstalled);
        assert_eq!(choose(Mode::Bwrap, ok, || true), Ok((Mode::Bwrap, None)));
        let (mode, notice) = choose(Mode::Bwrap, missing, || true).expect("falls back");
        assert_eq!(mode, Mode::Landlock);
        let notice = notice.expect("said");
        assert!(notice
            .starts_with("bubblewrap is not installed, so the command is confined with Landlock"));
        assert!(notice.contains("apt-get install bubblewrap"), "{notice}");
        let refused = choose(Mode::Bwrap, missing, || false).expect_err("refused");
        assert!(refused.contains("apt-get install bubblewrap"), "{refused}");
        assert!(refused.contains("sandbox.mode = \"off\""), "{refused}");
        let userns = || {
            Err(Unavailable::Refused(
                "No permissions to create new namespace".into(),
            ))
        };
        let refused = choose(Mode::Bwrap, userns, || false).expect_err("refused");
        assert!(refused.contains("user namespaces"), "{refused}");
        let forced = choose(Mode::Landlock, ok, || false).expect_err("no landlock");
        assert!(forced.contains("no Landlock"), "{forced}");
        assert_eq!(choose(Mode::Off, missing, || false), Ok((Mode::Off, None)));
    }
}
