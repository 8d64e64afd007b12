//! The fallback confinement where bubblewrap cannot make a sandbox (not installed, or user
//! namespaces not allowed): Landlock and seccomp, applied by the child to itself between
//! fork and exec (DESIGN.md, "Acting on code"; the issue's "use Landlock with seccomp if
//! the kernel has it").
//!
//! Landlock can only allow, path by path, and an allowance covers everything beneath it.
//! So what bubblewrap does with mounts is done here with the shape of the rules:
//! - the system is readable: every path except the hidden ones (the home, `/tmp`,
//!   `/var/tmp`, `/dev/shm`), found by walking down to them and allowing their siblings;
//! - the toolchain caches (`read_only_paths`) are readable again inside the hidden home;
//! - the workspace is writable. With a `.git` inside, its top-level entries are allowed one
//!   by one, leaving `.git` read-only, at a price bubblewrap does not charge: no new file
//!   or folder can be made at the workspace's top level;
//! - a private temporary folder, named in `TMPDIR`, stands in for the private `/tmp`;
//! - no device but the harmless ones (never the user's terminal).
//!
//! The network goes with seccomp: no socket can be made at all (Landlock's TCP rules miss
//! UDP and Unix sockets, and a path-named socket such as Docker's reaches outside).
//! Without a pid namespace, the command keeps the session and group it was given (seccomp
//! refuses `setsid`/`setpgid`), so the wall-time kill reaches all of it, and its
//! capabilities are dropped so that root inside is root in name only.

use std::os::fd::{AsRawFd as _, OwnedFd};
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use landlock::{
    path_beneath_rules, Access, AccessFs, AccessNet, RulesetAttr as _, RulesetCreatedAttr as _,
    Scope, ABI,
};

use super::profile::Paths;

/// The Landlock version the rules are written for; an older kernel enforces what it knows.
const TARGET: ABI = ABI::V6;

/// Devices a command may open; writing only to the first three.
const DEVICES_RW: &[&str] = &["/dev/null", "/dev/zero", "/dev/full"];
const DEVICES_RO: &[&str] = &["/dev/random", "/dev/urandom"];

/// The Landlock ABI version this kernel offers, `None` where it has none (or it is off).
pub fn abi() -> Option<i32> {
    // SAFETY: the version query takes no pointer (NULL, 0) and only returns a number.
    let v = unsafe {
        libc::syscall(
            libc::SYS_landlock_create_ruleset,
            std::ptr::null::<u8>(),
            0usize,
            1u32, // LANDLOCK_CREATE_RULESET_VERSION
        )
    };
    (v > 0).then_some(v as i32)
}

/// Everything a confined child needs, made in the parent: the child only makes syscalls.
pub struct Prepared {
    ruleset: OwnedFd,
    filter: Vec<libc::sock_filter>,
    /// The command's private temporary folder; removed when this is dropped.
    pub tmp: tempfile::TempDir,
}

/// The rules for a command in `paths`. `Err` is one sentence on why it cannot be confined.
pub fn prepare(paths: &Paths) -> Result<Prepared, String> {
    if abi().is_none() {
        return Err(UNAVAILABLE.into());
    }
    let tmp = tempfile::Builder::new()
        .prefix("codecrucible-tmp-")
        .tempdir()
        .map_err(|e| format!("no private temporary folder for the command: {e}"))?;
    let tmp_path = tmp
        .path()
        .canonicalize()
        .map_err(|e| format!("no private temporary folder for the command: {e}"))?;
    let ruleset = rules(paths, &tmp_path).map_err(|e| format!("{UNAVAILABLE} ({e})"))?;
    let filter = super::seccomp::landlock_program()?;
    Ok(Prepared {
        ruleset,
        filter,
        tmp,
    })
}

const UNAVAILABLE: &str = "this kernel has no Landlock to confine commands with";

/// The ruleset, as a descriptor for the child to enforce.
fn rules(paths: &Paths, tmp: &Path) -> Result<OwnedFd, landlock::RulesetError> {
    let all = AccessFs::from_all(TARGET);
    let read = AccessFs::from_read(TARGET);
    let hidden = hidden(paths);
    let readable = readable(Path::new("/"), &hidden);
    let writable = writable(&paths.workspace);
    let created = landlock::Ruleset::default()
        .handle_access(all)?
        .handle_access(AccessNet::from_all(TARGET))?
        .scope(Scope::from_all(TARGET))?
        .create()?
        .add_rules(path_beneath_rules(&readable, read))?
        .add_rules(path_beneath_rules(&paths.read_only, read))?
        .add_rules(path_beneath_rules(DEVICES_RO, read))?
        .add_rules(path_beneath_rules(DEVICES_RW, read | AccessFs::WriteFile))?
        .add_rules(path_beneath_rules(&writable, all))?
        .add_rules(path_beneath_rules([tmp], all))?;
    let fd: Option<OwnedFd> = created.into();
    fd.ok_or(landlock::RulesetError::CreateRuleset(
        landlock::CreateRulesetError::MissingHandledAccess,
    ))
}

/// What the command must not see: the home (its caches come back read-only), the shared
/// temporary folders, and all of `/dev` (the harmless devices come back one by one).
fn hidden(paths: &Paths) -> Vec<PathBuf> {
    let mut hidden: Vec<PathBuf> = ["/tmp", "/var/tmp", "/dev"]
        .iter()
        .filter_map(|p| Path::new(p).canonicalize().ok())
        .collect();
    if let Some(home) = paths.home.as_ref().filter(|h| *h != Path::new("/")) {
        hidden.push(home.clone());
    }
    hidden
}

/// Every path under `dir` except the `hidden` ones, as few as possible: a folder with no
/// hidden path beneath it is one entry; one with a hidden path beneath is opened up.
fn readable(dir: &Path, hidden: &[PathBuf]) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return out;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if hidden.contains(&path) {
            continue;
        }
        let above_hidden = hidden.iter().any(|h| h.starts_with(&path));
        let is_dir = entry.file_type().is_ok_and(|t| t.is_dir());
        if above_hidden && is_dir {
            out.extend(readable(&path, hidden));
        } else {
            out.push(path);
        }
    }
    out
}

/// The workspace, or, when it holds a `.git`, each of its top-level entries but `.git`.
fn writable(workspace: &Path) -> Vec<PathBuf> {
    let git = workspace.join(".git");
    if !git.exists() {
        return vec![workspace.to_path_buf()];
    }
    std::fs::read_dir(workspace)
        .map(|entries| {
            entries
                .flatten()
                .map(|e| e.path())
                .filter(|p| *p != git)
                .collect()
        })
        .unwrap_or_default()
}

/// Makes `cmd`'s child confine itself before it execs. Register it after the limits
/// (`limits::apply`), whose `setsid` this filter then refuses.
pub fn apply(cmd: &mut Command, prepared: &Prepared) {
    let ruleset = prepared.ruleset.as_raw_fd();
    let filter = prepared.filter.clone();
    cmd.env("TMPDIR", prepared.tmp.path())
        .env("TMP", prepared.tmp.path())
        .env("TEMP", prepared.tmp.path());
    // SAFETY: the closure runs in the forked child before exec, makes only syscalls (prctl,
    // landlock_restrict_self, seccomp) on memory prepared before the fork, and allocates
    // nothing: an error is a raw OS error.
    unsafe {
        cmd.pre_exec(move || confine(ruleset, &filter));
    }
}

/// In the child: die with the parent, drop every capability, then Landlock, then seccomp.
///
/// # Safety
/// Only between fork and exec.
unsafe fn confine(ruleset: i32, filter: &[libc::sock_filter]) -> std::io::Result<()> {
    let fail = || Err(std::io::Error::last_os_error());
    libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
    // Root keeps no capability across exec (they fail with EPERM, harmlessly, for a user
    // who has none to drop).
    libc::prctl(
        libc::PR_CAP_AMBIENT,
        libc::PR_CAP_AMBIENT_CLEAR_ALL,
        0,
        0,
        0,
    );
    for cap in 0..=63 {
        libc::prctl(libc::PR_CAPBSET_DROP, cap);
    }
    if libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 {
        return fail();
    }
    if libc::syscall(libc::SYS_landlock_restrict_self, ruleset, 0u32) != 0 {
        return fail();
    }
    let prog = libc::sock_fprog {
        len: filter.len() as libc::c_ushort,
        filter: filter.as_ptr() as *mut libc::sock_filter,
    };
    if libc::prctl(
        libc::PR_SET_SECCOMP,
        libc::SECCOMP_MODE_FILTER,
        &prog as *const libc::sock_fprog,
    ) != 0
    {
        return fail();
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_is_readable_stops_short_of_each_hidden_path_and_keeps_its_siblings() {
        let root = tempfile::tempdir().expect("tempdir");
        let r = root.path();
        for d in ["home/me/.ssh", "home/other", "usr/bin", "tmp"] {
            std::fs::create_dir_all(r.join(d)).expect("mkdir");
        }
        std::fs::write(r.join("home/note"), "x").expect("write");
        let hidden = vec![r.join("home/me"), r.join("tmp")];
        let mut got = readable(r, &hidden);
        got.sort();
        assert_eq!(
            got,
            vec![r.join("home/note"), r.join("home/other"), r.join("usr")]
        );
    }

    #[test]
    fn a_workspace_with_git_is_writable_entry_by_entry_without_git() {
        let ws = tempfile::tempdir().expect("tempdir");
        let w = ws.path();
        std::fs::create_dir(w.join(".git")).expect("git");
        std::fs::create_dir(w.join("src")).expect("src");
        std::fs::write(w.join("README"), "x").expect("write");
        let mut got = writable(w);
        got.sort();
        assert_eq!(got, vec![w.join("README"), w.join("src")]);
        std::fs::remove_dir(w.join(".git")).expect("rm");
        assert_eq!(writable(w), vec![w.to_path_buf()]);
    }
}
