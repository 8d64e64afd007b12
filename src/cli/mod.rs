//! Everything the binary does without the full-screen app: headless runs and subcommands.

pub mod args;
mod config_cmd;
mod doctor;
mod headless;

use std::io::IsTerminal;

pub use args::{BackendArg, Cli, Cmd};

use crate::backend::BackendId;
use crate::config::{Config, ConfigError, Overrides};
use crate::engine::RouteMode;

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
        None => {}
    }
    let headless =
        cli.print || cli.json || cli.prompt.is_some() || !std::io::stdout().is_terminal();
    if !headless {
        return with_config(&overrides, |_| crate::tui::placeholder());
    }
    let route = route_mode(&cli);
    with_config(&overrides, |config| {
        let opts = headless::Options {
            prompt: cli.prompt.clone(),
            json: cli.json,
            route,
            model: cli.model.clone(),
            max_tokens: cli.max_tokens,
        };
        runtime(|| headless::run(config, opts))
    })
}

fn route_mode(cli: &Cli) -> RouteMode {
    match (cli.fast, cli.analyze, cli.backend) {
        (true, _, _) | (_, _, Some(BackendArg::Lmstudio)) => RouteMode::Force(BackendId::Lmstudio),
        (_, true, _) | (_, _, Some(BackendArg::Ollama)) => RouteMode::Force(BackendId::Ollama),
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
