//! Everything the binary does without the full-screen app: headless runs and subcommands.

/// `println!` for text that may hold what models, servers or stored history wrote: cleaned
/// of escape sequences when stdout is a terminal, byte-exact when piped.
macro_rules! outln {
    ($($arg:tt)*) => {
        $crate::cli::print_line(&format!($($arg)*))
    };
}

pub mod args;
mod audit_cmd;
mod config_cmd;
mod doctor;
mod headless;
mod input;
mod journal_cmd;
mod judge_cmd;
mod keys_cmd;
mod privacy;
mod route_cmd;
mod run_cmd;
mod sessions_cmd;
mod system_cmd;

use std::io::IsTerminal;

pub use args::{BackendArg, Cli, Cmd};

use crate::backend::BackendId;
use crate::config::{Config, ConfigError, Overrides};
use crate::engine::RouteMode;
use crate::voice::{Voice, Voices};

/// See [`outln!`].
pub(crate) fn print_line(line: &str) {
    print_text(&format!("{line}\n"));
}

/// Untrusted text to stdout: cleaned on a terminal, byte-exact when piped.
pub(crate) fn print_text(text: &str) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    let text = if out.is_terminal() {
        crate::text::terminal::clean(text)
    } else {
        text.into()
    };
    // A closed pipe (`| head`) means the reader has what it wanted.
    let _ = out.write_all(text.as_bytes());
}

pub const EXIT_OK: i32 = 0;
pub const EXIT_FAILED: i32 = 1;
pub const EXIT_USAGE: i32 = 2;
pub const EXIT_INTERRUPTED: i32 = 130;

/// Runs the parsed command line and returns the process exit code.
pub fn run(cli: Cli) -> i32 {
    let overrides = Overrides {
        config_path: cli.global.config.clone(),
        lmstudio_url: cli.global.lmstudio_url.clone(),
        ollama_url: cli.global.ollama_url.clone(),
    };
    match &cli.command {
        Some(Cmd::Config { action }) => return config_cmd::run(action, &overrides),
        Some(Cmd::Doctor { json }) => {
            return with_config(&overrides, |c| runtime(|| doctor::run(c, *json)))
        }
        Some(Cmd::Judge {
            prompt,
            answer,
            task,
            finish_reason,
            no_run,
            json,
        }) => {
            let args = judge_cmd::Args {
                prompt,
                answer,
                task: task.as_deref(),
                finish_reason: finish_reason.as_deref(),
                no_run: *no_run,
                json: *json,
            };
            return with_config(&overrides, |c| judge_cmd::judge(&c, &args));
        }
        Some(Cmd::Route { prompt, json }) => {
            // Without --voice the route command is neutral, whatever ui.voice says.
            return with_config(&overrides, |c| match load_voices(&overrides) {
                Ok(v) => match cli.voice.as_deref().map(|n| v.get(n)).transpose() {
                    Ok(voice) => route_cmd::route(&c, prompt, voice, *json),
                    Err(e) => usage_error(&e.to_string()),
                },
                Err(e) => usage_error(&e),
            });
        }
        // The history needs no config: it lives in the data dir.
        Some(Cmd::Feedback { session, verdict }) => {
            return runtime(|| sessions_cmd::feedback(*session, *verdict))
        }
        Some(Cmd::Run {
            timeout,
            no_sandbox,
            command,
        }) => {
            let dir = cli.workspace.clone().unwrap_or_else(|| ".".into());
            let opts = run_cmd::Options {
                dir,
                timeout: *timeout,
                no_sandbox: *no_sandbox,
                command: command.clone(),
            };
            return with_config(&overrides, |c| run_cmd::run(&c, opts));
        }
        Some(Cmd::Audit {
            json,
            since,
            session,
            verify,
            limit,
        }) => {
            return audit_cmd::run(audit_cmd::Options {
                json: *json,
                since: since.clone(),
                session: *session,
                verify: *verify,
                limit: *limit,
            })
        }
        Some(Cmd::Undo(a)) => return journal(&cli, a, false),
        Some(Cmd::Redo(a)) => return journal(&cli, a, true),
        Some(Cmd::Metrics { json, since }) => {
            return sessions_cmd::metrics(*json, since.as_deref())
        }
        Some(Cmd::Sessions { action }) => return sessions_cmd::run(action),
        Some(Cmd::System { action }) => {
            return with_config(&overrides, |c| runtime(|| system_cmd::run(c, action)))
        }
        Some(Cmd::Keys { json }) => return with_config(&overrides, |c| keys_cmd::run(&c, *json)),
        Some(Cmd::Voices { json }) => {
            return match load_voices(&overrides) {
                Ok(v) => route_cmd::voices(&v, *json),
                Err(e) => usage_error(&e),
            }
        }
        None => {}
    }
    // The full-screen app needs a terminal on both ends; piped input or output, -p and
    // --json run headless.
    let headless = cli.print
        || cli.json
        || !std::io::stdout().is_terminal()
        || !std::io::stdin().is_terminal();
    if !headless {
        return with_config(&overrides, |config| tui(config, &cli, &overrides));
    }
    let route = route_mode(&cli);
    with_config(&overrides, |config| {
        let voice = match active_voice(&config, &overrides, cli.voice.as_deref()) {
            Ok(v) => v,
            Err(e) => return usage_error(&e),
        };
        let opts = headless::Options {
            voice,
            prompt: cli.prompt.clone(),
            json: cli.json,
            route,
            model: cli.model.clone(),
            max_tokens: cli.max_tokens,
            no_cache: cli.no_cache,
            edit: cli.edit || cli.apply,
            apply: cli.apply,
            workspace: crate::engine::FilesRequest {
                dir: Some(
                    cli.workspace
                        .clone()
                        .unwrap_or_else(|| std::path::PathBuf::from(".")),
                ),
                files: cli
                    .files
                    .iter()
                    .map(|f| crate::engine::FileRef::parse(f))
                    .collect(),
                allow_secrets: cli.allow_secrets,
                drop: cli.drop.clone(),
            },
            session: match (cli.resume, cli.continue_latest) {
                (Some(id), _) => crate::store::SessionChoice::Resume(id),
                (None, true) => crate::store::SessionChoice::Continue,
                (None, false) => crate::store::SessionChoice::New,
            },
        };
        runtime(|| headless::run(config, opts))
    })
}

fn tui(config: Config, cli: &Cli, overrides: &Overrides) -> i32 {
    let voices = match load_voices(overrides) {
        Ok(v) => v.list().to_vec(),
        Err(e) => return usage_error(&e),
    };
    let voice = match active_voice(&config, overrides, cli.voice.as_deref()) {
        Ok(v) => v.map(|v| v.name),
        Err(e) => return usage_error(&e),
    };
    let launch = crate::tui::Launch {
        workspace: cli.workspace.clone(),
        prompt: cli.prompt.clone(),
        voices,
        voice,
        session: match (cli.resume, cli.continue_latest) {
            (Some(id), _) => crate::store::SessionChoice::Resume(id),
            (None, true) => crate::store::SessionChoice::Continue,
            (None, false) => crate::store::SessionChoice::New,
        },
        model: cli.model.clone(),
        mode: match route_mode(cli) {
            RouteMode::Force(BackendId::Lmstudio) => crate::tui::commands::RouteChoice::Fast,
            RouteMode::Force(BackendId::Ollama) => crate::tui::commands::RouteChoice::Quality,
            _ => crate::tui::commands::RouteChoice::Auto,
        },
        max_tokens: cli.max_tokens,
        themes_dir: crate::config::load::config_path(overrides)
            .ok()
            .and_then(|p| p.parent().map(|d| d.join("themes"))),
    };
    crate::tui::run(config, launch)
}

fn route_mode(cli: &Cli) -> RouteMode {
    match (cli.fast, cli.analyze, cli.backend) {
        (true, _, _) | (_, _, Some(BackendArg::Lmstudio)) => RouteMode::Force(BackendId::Lmstudio),
        (_, true, _) | (_, _, Some(BackendArg::Ollama)) => RouteMode::Force(BackendId::Ollama),
        (_, _, Some(BackendArg::Hybrid)) => RouteMode::Hybrid,
        _ => RouteMode::Auto,
    }
}

/// Loads the config; a bad one is reported as one sentence with exit code 2.
fn with_config(overrides: &Overrides, f: impl FnOnce(Config) -> i32) -> i32 {
    match Config::load(overrides) {
        Ok(c) => f(c),
        Err(e) => config_error(&e),
    }
}

fn usage_error(msg: &str) -> i32 {
    eprintln!("codecrucible: {msg}");
    EXIT_USAGE
}

/// The built-in voices plus the user's, from the `voices` folder beside the config file.
fn load_voices(overrides: &Overrides) -> Result<Voices, String> {
    let dir = crate::config::load::config_path(overrides)
        .map_err(|e| e.to_string())?
        .parent()
        .map(|d| d.join("voices"));
    Voices::load(dir.as_deref()).map_err(|e| e.to_string())
}

/// The voice from `--voice`, else `ui.voice`, else none.
fn active_voice(
    config: &Config,
    overrides: &Overrides,
    flag: Option<&str>,
) -> Result<Option<Voice>, String> {
    let name = flag.unwrap_or(config.default_voice()).trim();
    if name.is_empty() {
        return Ok(None);
    }
    let voices = load_voices(overrides)?;
    voices
        .get(name)
        .cloned()
        .map(Some)
        .map_err(|e| e.to_string())
}

pub(crate) fn config_error(e: &ConfigError) -> i32 {
    eprintln!("codecrucible: {e}");
    EXIT_USAGE
}

fn runtime<F, Fut>(f: F) -> i32
where
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = i32>,
{
    match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt.block_on(f()),
        Err(e) => {
            eprintln!("codecrucible: cannot start the async runtime: {e}");
            EXIT_FAILED
        }
    }
}

/// Runs `f` to its value on a small runtime; `None` when no runtime can start.
pub(crate) fn runtime_value<F, Fut, T>(f: F) -> Option<T>
where
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = T>,
{
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .ok()
        .map(|rt| rt.block_on(f()))
}

/// `undo` / `redo` in the workspace of `-C DIR` (default: the current directory).
fn journal(cli: &Cli, a: &args::JournalArgs, redo: bool) -> i32 {
    let dir = cli
        .workspace
        .clone()
        .unwrap_or_else(|| std::path::PathBuf::from("."));
    if a.list {
        return journal_cmd::list(&dir, a.json);
    }
    let opts = journal_cmd::Options {
        dir: &dir,
        session: a.session,
        force: a.force,
        json: a.json,
    };
    runtime(|| journal_cmd::run(opts, redo))
}
