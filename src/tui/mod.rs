//! The full-screen app: a ratatui + crossterm front end driven by the engine over
//! channels. One loop selects over terminal events, engine events and the frame timer;
//! it drains everything queued, then draws at most ~60 times a second and only when
//! something changed, so an idle app uses no CPU.

pub mod app;
pub mod chat;
pub mod commands;
pub mod edits;
pub mod effects;
pub mod event_loop;
pub mod files;
pub mod highlight;
pub mod input;
pub mod inspector;
pub mod markdown;
pub mod mention_popup;
pub mod notice;
pub mod overlay;
pub mod pace;
pub mod run;
pub mod stream;
pub mod theme;
pub mod ui;

#[cfg(test)]
mod tests;

use std::io::{self, Write};
use std::sync::Arc;

use crossterm::event::{
    DisableBracketedPaste, DisableMouseCapture, EnableBracketedPaste, EnableMouseCapture,
    EventStream, KeyboardEnhancementFlags, PopKeyboardEnhancementFlags,
    PushKeyboardEnhancementFlags,
};
use crossterm::terminal::{self, EnterAlternateScreen, LeaveAlternateScreen};
use crossterm::{cursor, execute};
use ratatui::backend::CrosstermBackend;
use ratatui::Terminal;

use crate::backend::ChatMessage;
use crate::config::Config;
use crate::engine::{self, Command};
use crate::store::{SessionChoice, SessionId, Store};
use crate::voice::Voice;

pub use app::{App, Options};

/// What the command line asked the app to start with.
pub struct Launch {
    pub prompt: Option<String>,
    pub voices: Vec<Voice>,
    pub voice: Option<String>,
    pub session: SessionChoice,
    pub model: Option<String>,
    /// `--fast` / `--analyze` start in that route mode.
    pub mode: commands::RouteChoice,
    /// `--max-tokens` caps every answer.
    pub max_tokens: Option<u32>,
    /// The user's theme files (`themes` beside the config file).
    pub themes_dir: Option<std::path::PathBuf>,
    /// `-C DIR`: where the workspace is looked for (else the current directory).
    pub workspace: Option<std::path::PathBuf>,
}

/// Leaves raw mode, the alternate screen and every mode we turned on. Safe to call more
/// than once, and from the panic hook.
pub fn restore_terminal() {
    let mut out = io::stdout();
    let _ = execute!(
        out,
        PopKeyboardEnhancementFlags,
        DisableMouseCapture,
        DisableBracketedPaste,
        LeaveAlternateScreen,
        cursor::Show
    );
    let _ = terminal::disable_raw_mode();
    let _ = out.flush();
}

/// Restores the terminal before a panic report is printed (color-eyre's, which says where
/// it happened), so the report is readable and the shell usable.
pub fn install_panic_hook() {
    let (panic_hook, eyre_hook) = color_eyre::config::HookBuilder::default()
        .display_env_section(false)
        .into_hooks();
    let _ = eyre_hook.install();
    let report = panic_hook.into_panic_hook();
    std::panic::set_hook(Box::new(move |info| {
        restore_terminal();
        report(info);
    }));
}

/// Restores the terminal when the app ends by any path, errors included.
struct TerminalGuard;

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        restore_terminal();
    }
}

fn enter_terminal(mouse: bool) -> io::Result<TerminalGuard> {
    terminal::enable_raw_mode()?;
    let guard = TerminalGuard;
    let mut out = io::stdout();
    execute!(
        out,
        EnterAlternateScreen,
        EnableBracketedPaste,
        cursor::Hide
    )?;
    if mouse {
        execute!(out, EnableMouseCapture)?;
    }
    // Lets Shift+Enter be told from Enter where the terminal supports it.
    if matches!(terminal::supports_keyboard_enhancement(), Ok(true)) {
        execute!(
            out,
            PushKeyboardEnhancementFlags(KeyboardEnhancementFlags::DISAMBIGUATE_ESCAPE_CODES)
        )?;
    }
    Ok(guard)
}

/// Runs the app until the user quits; returns the exit code.
pub fn run(config: Config, launch: Launch) -> i32 {
    install_panic_hook();
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("codecrucible: cannot start the async runtime: {e}");
            return 1;
        }
    };
    match rt.block_on(main_loop(config, launch)) {
        Ok(code) => code,
        Err(e) => {
            restore_terminal();
            eprintln!("codecrucible: {e}; try `codecrucible -p \"PROMPT\"` for the plain mode");
            1
        }
    }
}

/// The history, the session carried on (with its turns), and a problem to tell the user.
struct History {
    store: Option<Arc<Store>>,
    session: Option<(SessionId, Vec<ChatMessage>)>,
    problem: Option<String>,
}

/// Opens the history and the session to carry on. Problems become a note, never a
/// refusal to start.
fn open_history(config: &Config, choice: SessionChoice) -> History {
    let mut h = History {
        store: None,
        session: None,
        problem: None,
    };
    match Store::open_history(config) {
        Ok(s) => h.store = s.map(Arc::new),
        Err(e) => h.problem = Some(format!("{e}; this conversation will not be saved")),
    }
    let Some(s) = &h.store else {
        return h;
    };
    match s.carry_on(choice) {
        Ok(session) => h.session = session,
        Err(e) => h.problem = Some(format!("{e}; this is a new session")),
    }
    h
}

async fn main_loop(config: Config, launch: Launch) -> io::Result<i32> {
    // Syntax sets load on their own thread; the first frame does not wait for them.
    highlight::preload();
    let History {
        store,
        session,
        problem,
    } = {
        // Opening applies the retention period, a write: off the runtime's workers.
        let (config, choice) = (config.clone(), launch.session);
        tokio::task::spawn_blocking(move || open_history(&config, choice))
            .await
            .unwrap_or(History {
                store: None,
                session: None,
                problem: Some(
                    "the history could not be opened; this conversation will not be saved".into(),
                ),
            })
    };
    let depth = theme::Depth::from_env();
    let (themes, theme_problems) = theme::load_all(launch.themes_dir.as_deref(), depth);
    match depth {
        theme::Depth::Palette256 => highlight::set_truecolor(false),
        theme::Depth::None => highlight::set_no_colour(true),
        theme::Depth::TrueColor => {}
    }
    let configured = Some(config.ui.theme.trim().to_owned()).filter(|t| !t.is_empty());
    // Raw mode from here: the background query below reads the terminal's answer.
    let _guard = enter_terminal(true)?;
    let theme = configured.or_else(|| {
        // No theme chosen: match the terminal's background.
        let light = std::env::var("COLORFGBG")
            .ok()
            .and_then(|v| theme::background_from_colorfgbg(&v))
            .or_else(theme::query_background)?;
        Some(if light { "light" } else { "dark" }.to_owned())
    });
    let voice = launch.voice.as_deref().and_then(|name| {
        launch
            .voices
            .iter()
            .position(|v| v.name.eq_ignore_ascii_case(name))
    });
    let opts = Options {
        voices: launch.voices,
        voice,
        store: store.clone(),
        session,
        // A role's capacity: all its endpoints' together.
        max_concurrent: crate::backend_id::PerBackend::from_fn(|b| {
            let endpoints = config.backend(b).resolved_endpoints();
            endpoints.iter().map(|e| e.cfg.max_concurrent).sum()
        }),
        mouse: true,
        themes,
        theme,
        // The config was checked for conflicts when it loaded.
        keymap: crate::keys::Keymap::from_config(&config.keys, None).unwrap_or_default(),
        workspace: crate::workspace::root::find(
            launch
                .workspace
                .as_deref()
                .unwrap_or(std::path::Path::new(".")),
        )
        .ok(),
    };
    let sandbox = run::SandboxInfo::from_config(&config.sandbox);
    let mut builder = engine::Builder::new(config).long_lived(engine::HEALTH_INTERVAL);
    if let Some(s) = store {
        builder = builder.store(s);
    }
    let mut engine = builder.spawn();
    let _ = engine.commands.send(Command::HealthCheck(0));
    let mut app = App::new(opts);
    app.model = launch.model;
    app.mode = launch.mode;
    app.max_tokens = launch.max_tokens;
    app.sandbox = sandbox;
    if let Some(p) = problem.or_else(|| theme_problems.first().cloned()) {
        app.problem(p);
    }
    let mut terminal = Terminal::new(CrosstermBackend::new(io::stdout()))?;
    terminal.clear()?;
    if let Some(p) = launch.prompt.filter(|p| !p.trim().is_empty()) {
        app.submit(p, false);
    }
    let result = event_loop::run(
        &mut terminal,
        &mut app,
        &mut engine,
        EventStream::new(),
        &mut (),
    )
    .await;
    let _ = engine.commands.send(Command::Shutdown);
    result.map(|()| 0)
}
