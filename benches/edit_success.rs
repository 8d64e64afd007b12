//! How often a real local model's edits are well-formed, applied and correct, per edit
//! format: the tasks in `benches/edit_tasks/` (see `support/edit_tasks.rs` for their
//! format), each run through the real binary (`codecrucible --json --fast --apply`) against
//! the llama-server that `scripts/real-server.sh` serves (SmolLM2-135M-Instruct), once with
//! whole-file edits (`workspace.whole_file_lines = 400`) and once with SEARCH/REPLACE blocks
//! (`whole_file_lines = 0`).
//!
//! ```text
//! cargo bench --bench edit_success
//! EDIT_TASKS=03,09 EDIT_REPEAT=3 cargo bench --bench edit_success
//! ```
//!
//! Settings (environment):
//! - `EDIT_TASKS`: comma-separated task ids or prefixes (`09`, `09-py-inventory-bug`); all
//!   tasks when unset.
//! - `EDIT_FORMATS`: `whole`, `search-replace`, or both (the default), comma-separated.
//! - `EDIT_REPEAT`: runs per task and format (default 1). The model samples: see below.
//! - `EDIT_MAX_TOKENS`: `--max-tokens` per answer (default 1024; 0 for no cap). An answer
//!   cut off inside its block counts as not well-formed.
//! - `EDIT_TIMEOUT_SECS`: a run still going after this long is killed (default 600).
//! - `EDIT_JOBS`: runs at once (default 1). The script starts llama-server with two slots,
//!   so 2 batches two answers on the same cores.
//! - `EDIT_VERBOSE=1`: print each run's answer to stderr.
//! - `CODECRUCIBLE_REAL_SERVER_URL`: use this server instead of the script's.
//!
//! Each run gets a fresh temporary folder: the fixture copied into a git repository, its
//! own config file and data dir (history on, as `--apply` journals; `--no-cache` anyway).
//! Nothing is written into the repository.
//!
//! A run is:
//! - **well-formed** when the answer held at least one edit block for a target file that
//!   parsed: an `edit` event for that path with status `proposed` or `applied`, or `failed`
//!   for a reason found after parsing (the SEARCH text is not in the file or is ambiguous,
//!   the path escapes the workspace, ...). A failure is a *format* failure, and the run is
//!   not well-formed, when its `why` is a parse error (src/engine/edits.rs reports those as
//!   the parser's `ParseError`, whose text always starts with `<path> (line N): `) or says
//!   the answer ended inside the block (cut off). No `edit` event for a target at all (no
//!   path line, no fence, a block for another file) is not well-formed either.
//! - **applied** when an `edit` event for a target says `applied`: the change set was
//!   written.
//! - **correct** when the task's checks pass on the workspace afterwards.
//!
//! Sampling: neither the CLI nor the config sets a temperature or seed for edit requests
//! (the request carries none), so llama-server's defaults apply (temperature 0.8, a random
//! seed) and results vary from run to run; use `EDIT_REPEAT` for a steadier figure.

#[path = "support/edit_tasks.rs"]
mod edit_tasks;

use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use edit_tasks::Task;

/// The two formats: a name for the table and `workspace.whole_file_lines`.
const FORMATS: [(&str, usize); 2] = [("whole", 400), ("search-replace", 0)];

struct Opts {
    tasks: Vec<String>,
    formats: Vec<(&'static str, usize)>,
    repeat: usize,
    max_tokens: u32,
    timeout: Duration,
    jobs: usize,
    verbose: bool,
}

impl Opts {
    fn from_env() -> Result<Opts, String> {
        let list = |name: &str| -> Vec<String> {
            std::env::var(name)
                .unwrap_or_default()
                .split(',')
                .map(|s| s.trim().to_owned())
                .filter(|s| !s.is_empty())
                .collect()
        };
        let number = |name: &str, default: u64| -> Result<u64, String> {
            match std::env::var(name) {
                Ok(v) if !v.trim().is_empty() => v
                    .trim()
                    .parse()
                    .map_err(|_| format!("{name}={v} is not a number")),
                _ => Ok(default),
            }
        };
        let wanted = list("EDIT_FORMATS");
        let formats: Vec<_> = FORMATS
            .into_iter()
            .filter(|(name, _)| wanted.is_empty() || wanted.iter().any(|w| w == name))
            .collect();
        if formats.is_empty() {
            return Err(format!(
                "EDIT_FORMATS names no format (whole, search-replace): {wanted:?}"
            ));
        }
        Ok(Opts {
            tasks: list("EDIT_TASKS"),
            formats,
            repeat: number("EDIT_REPEAT", 1)?.max(1) as usize,
            max_tokens: u32::try_from(number("EDIT_MAX_TOKENS", 1024)?)
                .map_err(|_| "EDIT_MAX_TOKENS is too large".to_owned())?,
            timeout: Duration::from_secs(number("EDIT_TIMEOUT_SECS", 600)?),
            jobs: number("EDIT_JOBS", 1)?.max(1) as usize,
            verbose: std::env::var("EDIT_VERBOSE").is_ok_and(|v| v == "1"),
        })
    }

    fn wants(&self, task: &Task) -> bool {
        self.tasks.is_empty()
            || self
                .tasks
                .iter()
                .any(|t| task.id == *t || task.id.starts_with(&format!("{t}-")))
    }
}

/// The llama-server in use; stopped at the end only when this run started it.
struct Server {
    url: String,
    started_here: bool,
}

impl Server {
    fn script() -> String {
        concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/real-server.sh").to_owned()
    }

    fn script_says(action: &str) -> Result<String, String> {
        let out = Command::new("bash")
            .args([Self::script().as_str(), action, "fast"])
            .stderr(Stdio::piped())
            .output()
            .map_err(|e| format!("cannot run bash: {e}"))?;
        let url = String::from_utf8_lossy(&out.stdout).trim().to_owned();
        if out.status.success() && !url.is_empty() {
            Ok(url)
        } else {
            let err = String::from_utf8_lossy(&out.stderr);
            Err(err.lines().last().unwrap_or("no output").to_owned())
        }
    }

    /// The server from `CODECRUCIBLE_REAL_SERVER_URL`, else the script's running one, else
    /// one the script starts (installing it first if needed).
    fn find_or_start() -> Result<Server, String> {
        if let Some(url) = std::env::var("CODECRUCIBLE_REAL_SERVER_URL")
            .ok()
            .filter(|u| !u.is_empty())
        {
            return Ok(Server {
                url,
                started_here: false,
            });
        }
        if let Ok(url) = Self::script_says("url") {
            return Ok(Server {
                url,
                started_here: false,
            });
        }
        eprintln!("edit_success: starting llama-server (scripts/real-server.sh start fast)...");
        let url = Self::script_says("start")?;
        Ok(Server {
            url,
            started_here: true,
        })
    }

    fn stop(&self) {
        if self.started_here {
            let _ = Command::new("bash")
                .args([Self::script().as_str(), "stop", "fast"])
                .status();
        }
    }
}

/// What one run came to.
#[derive(Debug, Clone, Default)]
struct Outcome {
    well_formed: bool,
    applied: bool,
    correct: bool,
    secs: f64,
    output_tokens: Option<u64>,
    model: Option<String>,
    /// Why it fell short, for the table; empty when correct.
    note: String,
}

fn main() {
    let opts = match Opts::from_env() {
        Ok(o) => o,
        Err(e) => {
            eprintln!("edit_success: {e}");
            std::process::exit(2);
        }
    };
    let all = edit_tasks::load_all(&edit_tasks::tasks_dir())
        .unwrap_or_else(|e| panic!("the edit tasks must parse: {e}"));
    let tasks: Vec<Task> = all.into_iter().filter(|t| opts.wants(t)).collect();
    if tasks.is_empty() {
        eprintln!("edit_success: EDIT_TASKS={:?} matches no task", opts.tasks);
        std::process::exit(2);
    }
    if !Command::new("git")
        .arg("--version")
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
    {
        println!("edit_success: SKIPPED: git is not installed (each run is a git repository)");
        return;
    }
    let server = match Server::find_or_start() {
        Ok(s) => s,
        Err(e) => {
            println!("edit_success: SKIPPED: no llama-server could be started: {e}");
            return;
        }
    };

    // Every (task, format, repeat), run by `jobs` workers in turn.
    let plan: Vec<(usize, usize)> = (0..tasks.len())
        .flat_map(|t| (0..opts.formats.len()).map(move |f| (t, f)))
        .flat_map(|tf| std::iter::repeat_n(tf, opts.repeat))
        .collect();
    let results: Mutex<Vec<Option<Outcome>>> = Mutex::new(vec![None; plan.len()]);
    let next = AtomicUsize::new(0);
    let done = AtomicUsize::new(0);
    let started = Instant::now();
    eprintln!(
        "edit_success: {} runs ({} tasks x {} formats x {}) against {}, {} at a time",
        plan.len(),
        tasks.len(),
        opts.formats.len(),
        opts.repeat,
        server.url,
        opts.jobs
    );
    std::thread::scope(|s| {
        for _ in 0..opts.jobs.min(plan.len()) {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::SeqCst);
                let Some(&(t, f)) = plan.get(i) else { break };
                let (fname, lines) = opts.formats[f];
                let o = run_one(&server.url, &tasks[t], lines, &opts);
                let n = done.fetch_add(1, Ordering::SeqCst) + 1;
                eprintln!(
                    "  [{n}/{}] {} {fname}: {}{}{} {:.0}s {}",
                    plan.len(),
                    tasks[t].id,
                    mark(o.well_formed, "W"),
                    mark(o.applied, "A"),
                    mark(o.correct, "C"),
                    o.secs,
                    o.note
                );
                results.lock().unwrap_or_else(|p| p.into_inner())[i] = Some(o);
            });
        }
    });
    let wall = started.elapsed();
    server.stop();

    let results: Vec<Outcome> = results
        .into_inner()
        .unwrap_or_else(|p| p.into_inner())
        .into_iter()
        .map(Option::unwrap_or_default)
        .collect();
    report(&tasks, &opts, &plan, &results, wall);
}

fn mark(ok: bool, letter: &str) -> &str {
    if ok {
        letter
    } else {
        "-"
    }
}

/// Runs one task in one format in a fresh temporary workspace and classifies the result.
fn run_one(url: &str, task: &Task, whole_file_lines: usize, opts: &Opts) -> Outcome {
    let tmp = tempfile::tempdir().expect("a temporary folder for the run");
    let ws = tmp.path().join("ws");
    std::fs::create_dir_all(&ws).expect("create the workspace folder");
    edit_tasks::copy_fixture(task, &ws).expect("copy the task's fixture");
    git_init(&ws);
    let config = tmp.path().join("config.toml");
    std::fs::write(
        &config,
        format!("[workspace]\nwhole_file_lines = {whole_file_lines}\n"),
    )
    .expect("write the run's config file");

    let mut cmd = Command::new(env!("CARGO_BIN_EXE_codecrucible"));
    cmd.current_dir(&ws)
        .args(["--json", "--fast", "--apply", "--no-cache", "-C"])
        .arg(&ws)
        .args(["--lmstudio-url", url]);
    for f in &task.spec.files {
        cmd.args(["--file", f]);
    }
    if opts.max_tokens > 0 {
        cmd.args(["--max-tokens", &opts.max_tokens.to_string()]);
    }
    cmd.args(["-p", &task.spec.instruction])
        .env("CODECRUCIBLE_CONFIG", &config)
        .env("CODECRUCIBLE_DATA_DIR", tmp.path().join("data"))
        .env_remove("OLLAMA_HOST")
        .env_remove("CODECRUCIBLE_LMSTUDIO_URL")
        .env_remove("CODECRUCIBLE_OLLAMA_URL")
        .env_remove("CODECRUCIBLE_LMSTUDIO_API_KEY")
        .env_remove("CODECRUCIBLE_OLLAMA_API_KEY")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());

    let start = Instant::now();
    let (stdout, stderr, timed_out) = run_with_timeout(cmd, opts.timeout);
    let mut o = Outcome {
        secs: start.elapsed().as_secs_f64(),
        ..Outcome::default()
    };
    classify(task, &ws, &stdout, &mut o);
    if timed_out {
        o.note = format!("killed after {} s; {}", opts.timeout.as_secs(), o.note);
    }
    if o.note.is_empty() && !o.correct {
        o.note = stderr.lines().last().unwrap_or("").to_owned();
    }
    if opts.verbose {
        eprintln!(
            "----- {} (whole_file_lines = {whole_file_lines}) answer:\n{}\n-----",
            task.id,
            answer_text(&stdout)
        );
    }
    o
}

/// `git init` and a first commit, so the workspace is a repository like a user's.
fn git_init(ws: &Path) {
    let git = |args: &[&str]| {
        let ok = Command::new("git")
            .args([
                "-c",
                "user.name=edit-bench",
                "-c",
                "user.email=bench@localhost",
            ])
            .args(args)
            .current_dir(ws)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        assert!(ok, "git {args:?} failed in {}", ws.display());
    };
    git(&["init", "-q"]);
    git(&["add", "-A"]);
    git(&["commit", "-q", "-m", "fixture"]);
}

/// Runs `cmd`, killing it after `timeout`; its stdout, stderr, and whether it was killed.
fn run_with_timeout(mut cmd: Command, timeout: Duration) -> (String, String, bool) {
    let mut child = cmd.spawn().expect("run target/…/codecrucible");
    // Read both pipes on their own threads, so a full pipe cannot stall the child.
    let drain = |r: Option<Box<dyn Read + Send>>| {
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            if let Some(mut r) = r {
                let _ = r.read_to_end(&mut buf);
            }
            String::from_utf8_lossy(&buf).into_owned()
        })
    };
    let out = drain(
        child
            .stdout
            .take()
            .map(|r| Box::new(r) as Box<dyn Read + Send>),
    );
    let err = drain(
        child
            .stderr
            .take()
            .map(|r| Box::new(r) as Box<dyn Read + Send>),
    );
    let deadline = Instant::now() + timeout;
    let mut timed_out = false;
    loop {
        match child.try_wait() {
            Ok(Some(_)) => break,
            Ok(None) if Instant::now() >= deadline => {
                let _ = child.kill();
                let _ = child.wait();
                timed_out = true;
                break;
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(100)),
            Err(_) => break,
        }
    }
    (
        out.join().unwrap_or_default(),
        err.join().unwrap_or_default(),
        timed_out,
    )
}

fn events(stdout: &str) -> impl Iterator<Item = serde_json::Value> + '_ {
    stdout
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
}

/// The answer's text, from its `delta` events.
fn answer_text(stdout: &str) -> String {
    events(stdout)
        .filter(|e| e["type"] == "delta")
        .filter_map(|e| e["text"].as_str().map(str::to_owned))
        .collect()
}

/// A path as the events and the tasks write it, for comparing.
fn norm(p: &str) -> &str {
    p.trim().trim_start_matches("./")
}

/// Whether a failed edit's `why` is a format failure: the block did not parse (the
/// parser's errors read `<path> (line N): …`), or the answer was cut off inside it.
fn is_format_failure(path: &str, why: &str) -> bool {
    why.starts_with(&format!("{path} (line ")) || why.contains("the answer ended inside")
}

/// Fills `o`'s classification from the run's events and the workspace afterwards.
fn classify(task: &Task, ws: &Path, stdout: &str, o: &mut Outcome) {
    let targets: Vec<&str> = task.targets().iter().map(|t| norm(t)).collect();
    let mut target_why: Option<String> = None;
    let mut other_paths: Vec<String> = Vec::new();
    let mut error: Option<String> = None;
    for e in events(stdout) {
        match e["type"].as_str() {
            Some("model") => o.model = e["model"].as_str().map(str::to_owned),
            Some("done") => o.output_tokens = e["output_tokens"].as_u64(),
            Some("error") => error = e["message"].as_str().map(str::to_owned),
            Some("edit") => {
                let path = e["path"].as_str().unwrap_or("");
                let status = e["status"].as_str().unwrap_or("");
                let why = e["why"].as_str().unwrap_or("");
                if !targets.contains(&norm(path)) {
                    other_paths.push(path.to_owned());
                    continue;
                }
                match status {
                    "proposed" => o.well_formed = true,
                    "applied" => {
                        o.well_formed = true;
                        o.applied = true;
                    }
                    _ => {
                        if !is_format_failure(path, why) {
                            o.well_formed = true;
                        }
                        target_why.get_or_insert_with(|| why.to_owned());
                    }
                }
            }
            _ => {}
        }
    }
    let failures = task.failures(ws);
    o.correct = failures.is_empty();
    o.note = if o.correct {
        String::new()
    } else if o.applied {
        failures.join("; ")
    } else if let Some(why) = target_why {
        why
    } else if let Some(e) = error {
        format!("error: {e}")
    } else if !other_paths.is_empty() {
        format!(
            "no block for the target; blocks for {}",
            other_paths.join(", ")
        )
    } else {
        "no edit block".to_owned()
    };
    // One line per note in the table.
    o.note = o.note.replace('\n', " ");
}

fn pct(n: usize, of: usize) -> String {
    if of == 0 {
        "-".to_owned()
    } else {
        format!("{n}/{of} ({:.0}%)", 100.0 * n as f64 / of as f64)
    }
}

fn report(
    tasks: &[Task],
    opts: &Opts,
    plan: &[(usize, usize)],
    results: &[Outcome],
    wall: Duration,
) {
    let model = results
        .iter()
        .find_map(|o| o.model.clone())
        .unwrap_or_else(|| "unknown model".to_owned());
    println!();
    println!(
        "Edit success: {model}, {} tasks, {} run(s) each per format, max {} tokens",
        tasks.len(),
        opts.repeat,
        if opts.max_tokens == 0 {
            "unlimited".to_owned()
        } else {
            opts.max_tokens.to_string()
        }
    );
    println!();
    println!(
        "{:<24} {:<10} {:>5}  {:<14} {:>5} {:>5} {:>5} {:>7} {:>6}  note",
        "task", "language", "lines", "format", "wf", "appl", "corr", "tokens", "secs"
    );
    for (t, task) in tasks.iter().enumerate() {
        for (f, (fname, _)) in opts.formats.iter().enumerate() {
            let runs: Vec<&Outcome> = plan
                .iter()
                .zip(results)
                .filter(|((pt, pf), _)| *pt == t && *pf == f)
                .map(|(_, o)| o)
                .collect();
            let n = runs.len();
            let count = |k: fn(&Outcome) -> bool| runs.iter().filter(|o| k(o)).count();
            let tokens: u64 = runs.iter().filter_map(|o| o.output_tokens).sum();
            let secs: f64 = runs.iter().map(|o| o.secs).sum();
            let note = runs
                .iter()
                .rev()
                .map(|o| o.note.as_str())
                .find(|n| !n.is_empty())
                .unwrap_or("");
            println!(
                "{:<24} {:<10} {:>5}  {:<14} {:>5} {:>5} {:>5} {:>7} {:>6.0}  {}",
                task.id,
                task.language(),
                task.longest_file_lines(),
                fname,
                format!("{}/{n}", count(|o| o.well_formed)),
                format!("{}/{n}", count(|o| o.applied)),
                format!("{}/{n}", count(|o| o.correct)),
                tokens / n.max(1) as u64,
                secs / n.max(1) as f64,
                clip(note, 90)
            );
        }
    }
    println!();
    println!(
        "{:<20} {:>5}  {:<14} {:<14} {:<14}",
        "format", "runs", "well-formed", "applied", "correct"
    );
    let total_row = |name: &str, pick: &dyn Fn(usize) -> bool| {
        let rs: Vec<&Outcome> = plan
            .iter()
            .zip(results)
            .filter(|((_, f), _)| pick(*f))
            .map(|(_, o)| o)
            .collect();
        let n = rs.len();
        println!(
            "{:<20} {:>5}  {:<14} {:<14} {:<14}",
            name,
            n,
            pct(rs.iter().filter(|o| o.well_formed).count(), n),
            pct(rs.iter().filter(|o| o.applied).count(), n),
            pct(rs.iter().filter(|o| o.correct).count(), n),
        );
    };
    for (f, (fname, lines)) in opts.formats.iter().enumerate() {
        total_row(&format!("{fname} ({lines})"), &|x| x == f);
    }
    if opts.formats.len() > 1 {
        total_row("all", &|_| true);
    }
    println!();
    println!(
        "{} runs in {:.1} min ({} at a time); sampling at the server's defaults (no temperature or seed is sent)",
        plan.len(),
        wall.as_secs_f64() / 60.0,
        opts.jobs
    );
}

fn clip(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_owned()
    } else {
        let mut out: String = s.chars().take(n - 1).collect();
        out.push('…');
        out
    }
}
