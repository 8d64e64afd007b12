//! Resource limits, set in the child between fork and exec so that they bind bubblewrap and
//! everything it starts: CPU seconds, address space, processes, file size, no core dumps.
//! The child also gets its own session, so that the wall-time kill reaches its group.
//!
//! The kernel exempts root from `RLIMIT_NPROC`, so when a pids cgroup can be made (root,
//! cgroup v1 or v2) the process count is bounded there as well.

use std::ffi::CString;
use std::os::unix::process::CommandExt as _;
use std::path::PathBuf;
use std::process::Command;

/// The limits of one run.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub cpu_secs: u64,
    pub memory_bytes: u64,
    pub max_procs: u64,
    pub max_file_bytes: u64,
}

/// A pids cgroup made for one run; removed when dropped (once its processes are gone).
pub struct PidsGroup {
    dir: PathBuf,
    procs: CString,
}

impl PidsGroup {
    /// A fresh cgroup capped at `max` processes, where the system lets this process make
    /// one; `None` otherwise (the rlimit still applies to users other than root).
    pub fn create(max: u64) -> Option<PidsGroup> {
        use std::sync::atomic::{AtomicU64, Ordering};
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let base = ["/sys/fs/cgroup/pids", "/sys/fs/cgroup"]
            .iter()
            .map(PathBuf::from)
            .find(|b| b.join("pids.max").exists() || b.join("cgroup.procs").exists())?;
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let dir = base.join(format!("codecrucible-{}-{n}", std::process::id()));
        std::fs::create_dir(&dir).ok()?;
        if std::fs::write(dir.join("pids.max"), max.to_string()).is_err() {
            let _ = std::fs::remove_dir(&dir);
            return None;
        }
        let procs = CString::new(
            dir.join("cgroup.procs")
                .into_os_string()
                .into_encoded_bytes(),
        );
        Some(PidsGroup {
            procs: procs.ok()?,
            dir,
        })
    }
}

impl Drop for PidsGroup {
    fn drop(&mut self) {
        // The kernel refuses while processes remain; they are killed before this runs.
        for _ in 0..50 {
            if std::fs::remove_dir(&self.dir).is_ok() {
                return;
            }
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
    }
}

/// Makes `cmd`'s child start a session, join `group`, and take `limits` before it execs.
pub fn apply(cmd: &mut Command, limits: Limits, group: Option<&PidsGroup>) {
    let procs = group.map(|g| g.procs.clone());
    // SAFETY: the closure runs in the forked child before exec and calls only
    // async-signal-safe functions (setsid, setrlimit, open, write, close, getpid) on
    // memory prepared before the fork.
    unsafe {
        cmd.pre_exec(move || {
            libc::setsid();
            if let Some(path) = &procs {
                join(path);
            }
            set(
                libc::RLIMIT_CPU,
                limits.cpu_secs,
                limits.cpu_secs.saturating_add(5),
            );
            set(libc::RLIMIT_AS, limits.memory_bytes, limits.memory_bytes);
            set(libc::RLIMIT_NPROC, limits.max_procs, limits.max_procs);
            set(
                libc::RLIMIT_FSIZE,
                limits.max_file_bytes,
                limits.max_file_bytes,
            );
            set(libc::RLIMIT_CORE, 0, 0);
            Ok(())
        });
    }
}

/// How many tasks (threads) this user runs now: what `RLIMIT_NPROC` counts outside a user
/// namespace.
pub fn tasks_of_this_user() -> u64 {
    // SAFETY: getuid cannot fail.
    let uid = unsafe { libc::getuid() }.to_string();
    let Ok(procs) = std::fs::read_dir("/proc") else {
        return 0;
    };
    let mut tasks = 0u64;
    for p in procs.flatten() {
        if !p
            .file_name()
            .as_encoded_bytes()
            .iter()
            .all(u8::is_ascii_digit)
        {
            continue;
        }
        let Ok(status) = std::fs::read_to_string(p.path().join("status")) else {
            continue;
        };
        let field = |name: &str| {
            status
                .lines()
                .find_map(|l| l.strip_prefix(name))
                .map(str::trim)
        };
        let real_uid = field("Uid:").and_then(|v| v.split_whitespace().next());
        if real_uid == Some(uid.as_str()) {
            tasks += field("Threads:").and_then(|t| t.parse().ok()).unwrap_or(1);
        }
    }
    tasks
}

fn set(resource: libc::__rlimit_resource_t, soft: u64, hard: u64) {
    let lim = libc::rlimit {
        rlim_cur: soft as libc::rlim_t,
        rlim_max: hard as libc::rlim_t,
    };
    // SAFETY: a plain syscall on a stack value.
    unsafe {
        libc::setrlimit(resource, &lim);
    }
}

/// Writes this process's pid into the cgroup's `cgroup.procs`.
fn join(procs: &CString) {
    let mut buf = [0u8; 20];
    // SAFETY: getpid, open, write and close on memory owned here.
    unsafe {
        let mut pid = libc::getpid() as u64;
        let mut i = buf.len();
        loop {
            i -= 1;
            buf[i] = b'0' + (pid % 10) as u8;
            pid /= 10;
            if pid == 0 {
                break;
            }
        }
        let fd = libc::open(procs.as_ptr(), libc::O_WRONLY);
        if fd >= 0 {
            libc::write(fd, buf[i..].as_ptr().cast(), buf.len() - i);
            libc::close(fd);
        }
    }
}
