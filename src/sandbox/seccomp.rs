//! The syscall filter bubblewrap installs just before it runs the command (`--seccomp FD`,
//! as Codex CLI's linux-sandbox adds seccomp to its namespaces). Namespaces already take
//! the network, the pids and the filesystem; this refuses, with EPERM, what no build or test
//! needs and what sandbox escapes are made of: tracing other processes, new namespaces
//! (nested user namespaces widen the kernel's attack surface), mounts, kernel modules and
//! kexec, keyrings, BPF, perf events, userfaultfd, and file handles (`open_by_handle_at`
//! reaches files outside any mount).

use std::io::{Seek as _, Write as _};
use std::os::fd::AsRawFd as _;

use seccompiler::{BpfProgram, SeccompAction, SeccompFilter, TargetArch};

/// The syscalls refused.
const DENIED: &[i64] = &[
    libc::SYS_ptrace,
    libc::SYS_process_vm_readv,
    libc::SYS_process_vm_writev,
    libc::SYS_unshare,
    libc::SYS_setns,
    libc::SYS_mount,
    libc::SYS_umount2,
    libc::SYS_pivot_root,
    libc::SYS_init_module,
    libc::SYS_finit_module,
    libc::SYS_delete_module,
    libc::SYS_kexec_load,
    libc::SYS_kexec_file_load,
    libc::SYS_reboot,
    libc::SYS_swapon,
    libc::SYS_swapoff,
    libc::SYS_acct,
    libc::SYS_keyctl,
    libc::SYS_add_key,
    libc::SYS_request_key,
    libc::SYS_bpf,
    libc::SYS_perf_event_open,
    libc::SYS_userfaultfd,
    libc::SYS_open_by_handle_at,
    libc::SYS_name_to_handle_at,
];

fn arch() -> Option<TargetArch> {
    match std::env::consts::ARCH {
        "x86_64" => Some(TargetArch::x86_64),
        "aarch64" => Some(TargetArch::aarch64),
        "riscv64" => Some(TargetArch::riscv64),
        _ => None,
    }
}

/// Refused as well where there are no namespaces (the Landlock fallback): every new socket
/// (there is no empty network namespace to put it in), io_uring (which makes sockets
/// without the `socket` call), and leaving the session or group the wall-time kill reaches.
const DENIED_WITHOUT_NAMESPACES: &[i64] = &[
    libc::SYS_socket,
    libc::SYS_io_uring_setup,
    libc::SYS_io_uring_enter,
    libc::SYS_io_uring_register,
    libc::SYS_setsid,
    libc::SYS_setpgid,
];

/// The filter as BPF bytes, as bubblewrap reads them.
pub fn program() -> Result<Vec<u8>, String> {
    let bpf = compile(DENIED.iter())?;
    let mut bytes = Vec::with_capacity(bpf.len() * 8);
    for i in bpf {
        bytes.extend_from_slice(&i.code.to_ne_bytes());
        bytes.push(i.jt);
        bytes.push(i.jf);
        bytes.extend_from_slice(&i.k.to_ne_bytes());
    }
    Ok(bytes)
}

/// The filter for a command confined by Landlock, which installs it itself.
pub fn landlock_program() -> Result<Vec<libc::sock_filter>, String> {
    let bpf = compile(DENIED.iter().chain(DENIED_WITHOUT_NAMESPACES))?;
    Ok(bpf
        .into_iter()
        .map(|i| libc::sock_filter {
            code: i.code,
            jt: i.jt,
            jf: i.jf,
            k: i.k,
        })
        .collect())
}

fn compile<'a>(denied: impl Iterator<Item = &'a i64>) -> Result<BpfProgram, String> {
    let arch = arch().ok_or("the sandbox's syscall filter has no rules for this CPU")?;
    let rules = denied.map(|&n| (n, Vec::new())).collect();
    let filter = SeccompFilter::new(
        rules,
        SeccompAction::Allow,
        SeccompAction::Errno(libc::EPERM as u32),
        arch,
    )
    .map_err(|e| format!("the sandbox's syscall filter cannot be built: {e}"))?;
    filter
        .try_into()
        .map_err(|e| format!("the sandbox's syscall filter cannot be compiled: {e}"))
}

/// An unnamed file holding the filter, open for bubblewrap to read: its descriptor is left
/// open across exec. Keep it alive until the child has started.
pub fn file() -> Result<std::fs::File, String> {
    let bytes = program()?;
    let mut f = tempfile::tempfile().map_err(|e| format!("no file for the syscall filter: {e}"))?;
    f.write_all(&bytes)
        .and_then(|()| f.rewind())
        .map_err(|e| format!("the syscall filter could not be written: {e}"))?;
    // SAFETY: clearing FD_CLOEXEC on a descriptor this function owns.
    let ok = unsafe { libc::fcntl(f.as_raw_fd(), libc::F_SETFD, 0) } == 0;
    if !ok {
        return Err("the syscall filter could not be handed to bubblewrap".into());
    }
    Ok(f)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_filter_compiles_to_whole_instructions() {
        let p = program().expect("a program");
        assert!(!p.is_empty() && p.len() % 8 == 0, "{}", p.len());
    }
}
