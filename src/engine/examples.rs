//! Checking what a draft claims its own code gives, by running it in the sandbox
//! (`confidence::claims` reads the claims and judges the verdicts; this runs them). The run
//! happens in an empty scratch directory: the draft's code never sees the workspace, the
//! home directory or the network, and is stopped after [`WALL`].

use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::Duration;

use crate::confidence::{self, claims, Draft, Report};
use crate::sandbox::{self, Mode, Spec};

/// The longest a draft's examples may run (each statement is also stopped after 2 s).
pub const WALL: Duration = Duration::from_secs(5);
/// Address space for the run: a runaway example is stopped, and node, which reserves more
/// than 512 MiB of address space at start, still starts (measured: it aborts under 512 MiB).
const MEMORY_BYTES: u64 = 1024 * 1024 * 1024;

/// The draft's score, with the `examples` signal when it makes a checkable claim and the
/// sandbox can run it. Blocking: call it off the async workers.
pub fn scored(cfg: &crate::config::Sandbox, draft: &Draft) -> Report {
    checked(
        cfg,
        draft.prompt,
        draft.answer,
        confidence::score(draft),
        None,
    )
}

/// `report` (the score of `answer` to `prompt`) with the answer's claims checked, or
/// unchanged when there is nothing to check or nothing may run it. Setting `cancel` stops
/// the run.
pub fn checked(
    cfg: &crate::config::Sandbox,
    prompt: &str,
    answer: &str,
    report: Report,
    cancel: Option<Arc<AtomicBool>>,
) -> Report {
    match claims::probe(prompt, answer) {
        Some(probe) => check(cfg, &probe, answer, report, cancel),
        None => report,
    }
}

/// `report` with what running `probe` (the claims of `answer`) found, or unchanged when it
/// could not run or found nothing to judge.
pub fn check(
    cfg: &crate::config::Sandbox,
    probe: &claims::Probe,
    answer: &str,
    report: Report,
    cancel: Option<Arc<AtomicBool>>,
) -> Report {
    let Some(stdout) = run(cfg, probe, cancel) else {
        return report;
    };
    match claims::judge(&stdout, answer) {
        Some(signal) => confidence::with_examples(report, signal),
        None => report,
    }
}

/// The driver's output, or `None` when it could not run confined (sandbox off or missing,
/// no scratch directory, no python3).
fn run(
    cfg: &crate::config::Sandbox,
    probe: &claims::Probe,
    cancel: Option<Arc<AtomicBool>>,
) -> Option<String> {
    if !matches!(Mode::parse(&cfg.mode), Some(Mode::Bwrap | Mode::Landlock)) {
        return None;
    }
    let scratch = tempfile::Builder::new()
        .prefix("codecrucible-example-")
        .tempdir()
        .ok()?;
    let dir = scratch.path().to_path_buf();
    let mut argv = probe.argv();
    let sysroot = probe.compiles_rust().then(rust_sysroot).flatten();
    if let Some(root) = &sysroot {
        argv.push(root.clone());
    }
    let mut spec = Spec::from_config(cfg, argv, dir.clone(), dir).ok()?;
    spec.wall = WALL;
    spec.limits.cpu_secs = spec.limits.cpu_secs.min(WALL.as_secs());
    spec.limits.memory_bytes = spec.limits.memory_bytes.min(MEMORY_BYTES);
    // Read-only paths from the config are for the user's own commands, not a draft's; a
    // Rust compile reads the toolchain, which may live in the hidden home (rustup).
    spec.read_only.clear();
    spec.read_only.extend(sysroot);
    spec.cancel = cancel;
    let out = sandbox::run(&spec, Arc::new(|_, _| {})).ok()?;
    Some(out.stdout.text())
}

/// The Rust toolchain's directory (`rustc --print sysroot`), asked once: a draft's Rust is
/// compiled with that toolchain's own `rustc`, found there rather than through rustup's
/// proxy, which needs the home directory the sandbox hides. Asking runs no draft code. It is
/// asked from the temporary directory with rustup's auto-install off, so a
/// `rust-toolchain.toml` in the directory the program started in can neither choose the
/// toolchain nor start a download.
fn rust_sysroot() -> Option<String> {
    static ROOT: std::sync::OnceLock<Option<String>> = std::sync::OnceLock::new();
    ROOT.get_or_init(|| {
        let out = std::process::Command::new("rustc")
            .args(["--print", "sysroot"])
            .current_dir(std::env::temp_dir())
            .env("RUSTUP_AUTO_INSTALL", "0")
            .env_remove("RUSTUP_TOOLCHAIN")
            .stdin(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .output()
            .ok()?;
        let root = String::from_utf8(out.stdout).ok()?.trim().to_owned();
        (out.status.success() && std::path::Path::new(&root).is_dir()).then_some(root)
    })
    .clone()
}
