//! The bubblewrap profile: what a sandboxed command sees (DESIGN.md, "Acting on code"; the
//! same confinement Codex CLI's linux-sandbox builds). Later mounts cover earlier ones, so
//! the order is: the whole system read-only, fresh /dev, /proc, /tmp and /run, the home
//! hidden, the toolchain caches shown again read-only, then the workspace writable with its
//! `.git` read-only on top.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;

/// The paths a profile is built from; all absolute and canonical.
#[derive(Debug, Clone)]
pub struct Paths {
    pub workspace: PathBuf,
    pub cwd: PathBuf,
    pub home: Option<PathBuf>,
    /// Readable inside the hidden home (existing ones only).
    pub read_only: Vec<PathBuf>,
}

impl Paths {
    /// `read_only` entries as the config writes them (`~/.cargo`), expanded against `home`;
    /// missing ones are skipped.
    pub fn expand(read_only: &[String], home: Option<&Path>) -> Vec<PathBuf> {
        read_only
            .iter()
            .filter_map(|p| match (p.strip_prefix("~/"), home) {
                (Some(rest), Some(h)) => Some(h.join(rest)),
                (Some(_), None) => None,
                (None, _) => Some(PathBuf::from(p)),
            })
            .filter_map(|p| p.canonicalize().ok())
            .collect()
    }
}

/// bubblewrap's arguments for `argv` run in `paths`.
/// `seccomp_fd`: an open descriptor holding the syscall filter (see `seccomp`).
pub fn bwrap_args(paths: &Paths, seccomp_fd: i32, argv: &[String]) -> Vec<OsString> {
    let mut a: Vec<OsString> = Vec::new();
    let mut push = |items: &[&std::ffi::OsStr]| a.extend(items.iter().map(|s| s.to_os_string()));
    // Every namespace: no network (not even the model servers on loopback), its own pids
    // (killing bubblewrap ends them all), its own IPC and hostname.
    push(&["--unshare-all".as_ref(), "--die-with-parent".as_ref()]);
    // Its own session: the command cannot push keys into the user's terminal (TIOCSTI).
    push(&["--new-session".as_ref()]);
    push(&["--ro-bind".as_ref(), "/".as_ref(), "/".as_ref()]);
    push(&["--dev".as_ref(), "/dev".as_ref()]);
    push(&["--proc".as_ref(), "/proc".as_ref()]);
    push(&["--tmpfs".as_ref(), "/tmp".as_ref()]);
    push(&["--tmpfs".as_ref(), "/var/tmp".as_ref()]);
    // Sockets of system services live here; a read-only mount does not stop connect().
    push(&["--tmpfs".as_ref(), "/run".as_ref()]);
    if let Some(home) = paths.home.as_deref().filter(|h| *h != Path::new("/")) {
        push(&["--tmpfs".as_ref(), home.as_os_str()]);
        for p in &paths.read_only {
            push(&["--ro-bind".as_ref(), p.as_os_str(), p.as_os_str()]);
        }
    }
    let ws = paths.workspace.as_os_str();
    push(&["--bind".as_ref(), ws, ws]);
    let git = paths.workspace.join(".git");
    if git.exists() {
        push(&["--ro-bind".as_ref(), git.as_os_str(), git.as_os_str()]);
    }
    push(&["--chdir".as_ref(), paths.cwd.as_os_str()]);
    let fd = seccomp_fd.to_string();
    push(&["--seccomp".as_ref(), fd.as_ref()]);
    push(&["--".as_ref()]);
    a.extend(argv.iter().map(OsString::from));
    a
}

/// Why bubblewrap cannot make a sandbox here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unavailable {
    NotInstalled,
    /// It ran and refused: what it said (user namespaces are usually not allowed).
    Refused(String),
    /// It could not be started at all.
    NotStarted(String),
}

impl Unavailable {
    /// What is wrong, in a few words.
    pub fn short(&self) -> String {
        match self {
            Unavailable::NotInstalled => "bubblewrap is not installed".into(),
            Unavailable::Refused(said) => {
                format!("bubblewrap cannot create a sandbox here ({said})")
            }
            Unavailable::NotStarted(e) => format!("bubblewrap could not be started ({e})"),
        }
    }

    /// What to do about it.
    pub fn fix(&self) -> &'static str {
        match self {
            Unavailable::NotInstalled => INSTALL,
            _ => ALLOW_NAMESPACES,
        }
    }

    /// One sentence for the user when nothing else can confine a command either.
    pub fn sentence(&self) -> String {
        format!(
            "commands run in a sandbox, and {}: {}, or set sandbox.mode = \"off\" to run \
             them unconfined",
            self.short(),
            self.fix()
        )
    }
}

/// Whether bubblewrap can make a sandbox here: installed, and allowed to create the
/// namespaces. Probed once per process (about 8 ms).
pub fn available() -> Result<(), Unavailable> {
    static PROBE: OnceLock<Result<(), Unavailable>> = OnceLock::new();
    PROBE.get_or_init(probe).clone()
}

fn probe() -> Result<(), Unavailable> {
    let out = Command::new("bwrap")
        .args(["--unshare-all", "--die-with-parent", "--ro-bind", "/", "/"])
        .args(["--dev", "/dev", "--proc", "/proc", "true"])
        .stdin(Stdio::null())
        .output();
    match out {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(Unavailable::NotInstalled),
        Err(e) => Err(Unavailable::NotStarted(e.to_string())),
        Ok(o) if o.status.success() => Ok(()),
        Ok(o) => {
            let said = String::from_utf8_lossy(&o.stderr);
            let said = crate::text::terminal::clean(said.trim()).into_owned();
            Err(Unavailable::Refused(said))
        }
    }
}

const INSTALL: &str = "install it (`sudo apt-get install bubblewrap`, `sudo dnf install \
bubblewrap`, or `sudo pacman -S bubblewrap`)";
const ALLOW_NAMESPACES: &str = "allow unprivileged user namespaces (`sudo sysctl -w \
kernel.unprivileged_userns_clone=1`, or on Ubuntu \
`kernel.apparmor_restrict_unprivileged_userns=0`)";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_workspace_is_bound_after_the_hidden_home_and_its_git_read_only_on_top() {
        let ws = tempfile::tempdir().expect("tempdir");
        std::fs::create_dir(ws.path().join(".git")).expect("git");
        let paths = Paths {
            workspace: ws.path().to_path_buf(),
            cwd: ws.path().to_path_buf(),
            home: Some(PathBuf::from("/home/u")),
            read_only: vec![PathBuf::from("/home/u/.cargo")],
        };
        let args: Vec<String> = bwrap_args(&paths, 9, &["cargo".into(), "test".into()])
            .iter()
            .map(|a| a.to_string_lossy().into_owned())
            .collect();
        let at = |needle: &[&str]| {
            args.windows(needle.len())
                .position(|w| w == needle)
                .unwrap_or_else(|| panic!("{needle:?} in {args:?}"))
        };
        let w = ws.path().display().to_string();
        let g = format!("{w}/.git");
        assert!(
            at(&["--tmpfs", "/home/u"]) < at(&["--ro-bind", "/home/u/.cargo", "/home/u/.cargo"])
        );
        assert!(at(&["--ro-bind", "/", "/"]) < at(&["--bind", &w, &w]));
        assert!(at(&["--bind", &w, &w]) < at(&["--ro-bind", &g, &g]));
        assert!(at(&["--unshare-all"]) < at(&["--"]));
        assert_eq!(&args[args.len() - 3..], ["--", "cargo", "test"]);
    }

    #[test]
    fn read_only_paths_expand_the_home_and_skip_missing_ones() {
        let home = tempfile::tempdir().expect("tempdir");
        std::fs::create_dir(home.path().join(".cargo")).expect("mkdir");
        let got = Paths::expand(&["~/.cargo".into(), "~/.missing".into()], Some(home.path()));
        assert_eq!(got.len(), 1);
        assert!(got[0].ends_with(".cargo"));
    }
}
