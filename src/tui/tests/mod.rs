//! The full-screen app through ratatui's test backend: every pane and overlay at 120×40
//! and 80×24 with the engine's part played by scripted events, and keys injected as a
//! user would press them. The tmux end-to-end tests are tests/suite/tui_e2e.rs.

mod browser;
mod edits;
mod event_loop;
mod files;
mod keys;
mod mention;
mod notices;
mod overlays;
mod panes;
mod runs;
mod themes;

use std::collections::BTreeMap;

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use ratatui::backend::TestBackend;
use ratatui::Terminal;

use super::app::Pane;
use super::effects::Effect;
use super::overlay::{Browser, Kind, Overlay};
use super::{ui, App, Options};
use crate::backend::{BackendId, ModelInfo};
use crate::confidence::Signal;
use crate::engine::{Command, Event, EventKind, RouteMode};
use crate::resources::{
    BackendResources, GpuDevice, GpuSource, GpuStatus, HostLoad, MachineReading, ResourceStatus,
};
use crate::router;
use crate::voice::Voices;

fn app() -> App {
    App::new(options())
}

fn options() -> Options {
    Options {
        voices: Voices::builtin().list().to_vec(),
        voice: None,
        store: None,
        session: None,
        max_concurrent: crate::PerBackend::new(2, 1),
        mouse: false,
        themes: Vec::new(),
        theme: None,
        keymap: Default::default(),
        workspace: None,
    }
}

fn screen(app: &mut App, w: u16, h: u16) -> String {
    let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
    t.draw(|f| ui::draw(f, app)).unwrap();
    let buf = t.backend().buffer().clone();
    let mut out = String::new();
    for y in 0..h {
        let line: String = (0..w)
            .map(|x| buf[(x, y)].symbol().to_owned())
            .collect::<String>();
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

fn key(app: &mut App, code: KeyCode) {
    app.on_key(KeyEvent::new(code, KeyModifiers::NONE));
}

fn ctrl(app: &mut App, c: char) {
    app.on_key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL));
}

fn type_text(app: &mut App, text: &str) {
    for c in text.chars() {
        key(app, KeyCode::Char(c));
    }
}

fn submitted(app: &mut App) -> crate::engine::Submit {
    let cmds: Vec<Command> = app.outgoing.drain(..).collect();
    cmds.into_iter()
        .rev()
        .find_map(|c| match c {
            Command::Submit(s) => Some(s),
            _ => None,
        })
        .expect("a request was sent")
}

fn ev(id: u64, kind: EventKind) -> Event {
    Event { id, kind }
}

fn signal(score: f32, detail: &str) -> Signal {
    Signal {
        score,
        weight: 1.0,
        detail: detail.into(),
    }
}

fn resources() -> ResourceStatus {
    let model = |name: &str, vram: Option<u64>| ModelInfo {
        loaded: Some(true),
        vram_bytes: vram,
        context_length: Some(8192),
        ..ModelInfo::named(name)
    };
    ResourceStatus {
        machine: MachineReading {
            gpu: GpuStatus {
                source: GpuSource::NvidiaSmi,
                devices: vec![GpuDevice {
                    index: 0,
                    name: Some("NVIDIA RTX 4090".into()),
                    total_bytes: 24 << 30,
                    used_bytes: 10 << 30,
                }],
                note: None,
            },
            host: HostLoad {
                cpu_percent: 21.0,
                memory_total_bytes: 32 << 30,
                memory_used_bytes: 12 << 30,
            },
        },
        backends: vec![
            BackendResources::up(BackendId::Lmstudio, "http://localhost:1234", 2, &[model("qwen-coder-7b", None)]),
            BackendResources::down(
                BackendId::Ollama,
                "http://localhost:11434",
                1,
                "Ollama is not answering on http://localhost:11434 (connection refused) — start it with `ollama serve`",
            ),
        ],
    }
}

/// A hybrid request as the engine reports it: routed, drafted, judged weak, escalated,
/// answered by the quality server with code.
fn escalated_run(app: &mut App) -> u64 {
    type_text(app, "implement a tokenizer for arithmetic in Rust");
    key(app, KeyCode::Enter);
    let id = submitted(app).id;
    let analysis = router::analyze("implement a tokenizer for arithmetic in Rust", &[]);
    let routing = crate::config::Config::default().hybrid.routing;
    let decision = router::decide(&analysis, None, &routing, &router::Signals::default());
    let mut signals = BTreeMap::new();
    signals.insert("truncation", signal(0.0, "cut off at the token limit"));
    signals.insert("syntax", signal(0.4, "1 of 2 code lines in error"));
    let events = vec![
        EventKind::Route {
            decision,
            backend: BackendId::Lmstudio,
            fallback: Some(BackendId::Ollama),
            features: analysis.features.clone(),
        },
        EventKind::Model { backend: BackendId::Lmstudio, model: "qwen-coder-7b".into(), reason: "loaded".into() },
        EventKind::Delta { backend: BackendId::Lmstudio, text: "```rust\nfn lex(s: &str) -> Vec<".into(), draft: true },
        EventKind::Confidence { backend: BackendId::Lmstudio, score: 0.31, threshold: 0.7, signals: signals.clone() },
        EventKind::Escalate { from: BackendId::Lmstudio, to: BackendId::Ollama, confidence: 0.31, threshold: 0.7, signals, early: None },
        EventKind::Model { backend: BackendId::Ollama, model: "qwen2.5-coder:32b".into(), reason: "loaded".into() },
        EventKind::Delta {
            backend: BackendId::Ollama,
            text: "A **tokenizer** in two parts:\n\n```rust\nenum Token { Num(f64), Op(char) }\n\nfn lex(s: &str) -> Vec<Token> {\n    let mut out = Vec::new();\n    out\n}\n```\n\nThen `parse` the tokens.\n".into(),
            draft: false,
        },
        EventKind::Done {
            backend: BackendId::Ollama,
            model: "qwen2.5-coder:32b".into(),
            ttft_ms: Some(420.0),
            total_ms: 3100.0,
            input_tokens: Some(900),
            output_tokens: Some(120),
            tokens_per_second: Some(38.0),
            finish_reason: Some("stop".into()),
            cached: false,
            cached_tokens: None,
            endpoint: None,
        },
    ];
    for k in events {
        app.on_engine(ev(id, k));
    }
    id
}

fn full_app() -> App {
    let mut a = app();
    a.on_engine(ev(
        0,
        EventKind::Resources {
            status: resources(),
        },
    ));
    escalated_run(&mut a);
    a
}

fn app_with_store(store: std::sync::Arc<crate::store::Store>) -> App {
    App::new(Options {
        voices: Voices::builtin().list().to_vec(),
        voice: None,
        store: Some(store),
        session: None,
        max_concurrent: crate::PerBackend::new(2, 1),
        mouse: false,
        themes: Vec::new(),
        theme: None,
        keymap: Default::default(),
        workspace: None,
    })
}

/// Carries out what the app asked for, as the runner would (synchronously here), and has
/// a real engine on the same store carry out the history commands (delete, feedback).
fn settle(app: &mut App, store: &std::sync::Arc<crate::store::Store>) {
    for _ in 0..10 {
        let effects: Vec<Effect> = app.effects.drain(..).collect();
        let (history, rest): (Vec<Command>, Vec<Command>) = app
            .outgoing
            .drain(..)
            .partition(|c| matches!(c, Command::Feedback { .. } | Command::DeleteSession { .. }));
        app.outgoing = rest;
        if effects.is_empty() && history.is_empty() {
            return;
        }
        for e in effects {
            if let Some(reply) = crate::tui::effects::perform(e, Some(store)) {
                app.on_reply(reply);
            }
        }
        for reply in engine_replies(store, history) {
            app.on_engine(reply);
        }
    }
}

/// Runs history commands through an engine on `store` and returns its answers.
fn engine_replies(
    store: &std::sync::Arc<crate::store::Store>,
    commands: Vec<Command>,
) -> Vec<Event> {
    if commands.is_empty() {
        return Vec::new();
    }
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let mut engine = crate::engine::Builder::new(crate::Config::default())
            .store(std::sync::Arc::clone(store))
            .spawn();
        let n = commands.len();
        for c in commands {
            engine.commands.send(c).unwrap();
        }
        let mut out = Vec::new();
        while out.len() < n {
            let ev = engine.events.recv().await.expect("engine alive");
            if matches!(ev.kind, EventKind::Rated { .. } | EventKind::Deleted { .. }) {
                out.push(ev);
            }
        }
        out
    })
}

fn stored_sessions() -> std::sync::Arc<crate::store::Store> {
    use crate::store::{Status, Store};
    let s = Store::in_memory().unwrap();
    let a = s
        .create_session(
            "fix the borrow checker error in parser.rs",
            Some("Developer"),
        )
        .unwrap();
    s.add_message(
        a,
        "user",
        "fix the borrow checker error in parser.rs",
        Status::Complete,
        None,
        None,
    )
    .unwrap();
    s.add_message(
        a,
        "assistant",
        "a draft that was weak",
        Status::Draft,
        Some("lmstudio"),
        Some("qwen-coder-7b"),
    )
    .unwrap();
    s.record_decision(
        a,
        None,
        crate::store::DecisionKind::Route,
        r#"{"reasoning":"generation task, so hybrid"}"#,
    )
    .unwrap();
    s.record_decision(
        a,
        None,
        crate::store::DecisionKind::Escalate,
        r#"{"from":"lmstudio","to":"ollama"}"#,
    )
    .unwrap();
    s.add_message(
        a,
        "assistant",
        "Clone the token before the loop.",
        Status::Complete,
        Some("ollama"),
        Some("qwen2.5-coder:32b"),
    )
    .unwrap();
    let b = s
        .create_session("plan the database migration", None)
        .unwrap();
    s.add_message(
        b,
        "user",
        "plan the database migration",
        Status::Complete,
        None,
        None,
    )
    .unwrap();
    s.add_message(
        b,
        "assistant",
        "Three steps.",
        Status::Complete,
        Some("ollama"),
        Some("q"),
    )
    .unwrap();
    std::sync::Arc::new(s)
}

/// Dates differ run to run; snapshots show them as a placeholder.
fn undated(s: String) -> String {
    let re = |line: &str| -> String {
        let mut out = line.to_owned();
        while let Some(i) = out.find("20") {
            let bytes = out.as_bytes();
            let is_date = out.len() >= i + 16
                && bytes[i + 4] == b'-'
                && bytes[i + 7] == b'-'
                && bytes[i + 13] == b':';
            if !is_date {
                break;
            }
            out.replace_range(i..i + 16, "YYYY-MM-DD hh:mm");
        }
        out
    };
    s.lines().map(re).collect::<Vec<_>>().join("\n")
}

/// The screen with its colours: each run of cells in one style is prefixed by that style
/// when it changes (`{fg bg +mods}`), so a theme's snapshot shows what it paints.
fn styled_screen(app: &mut App, w: u16, h: u16) -> String {
    let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
    t.draw(|f| ui::draw(f, app)).unwrap();
    let buf = t.backend().buffer().clone();
    let mut out = String::new();
    for y in 0..h {
        let mut last = None;
        let mut line = String::new();
        for x in 0..w {
            let c = &buf[(x, y)];
            let style = (c.fg, c.bg, c.modifier);
            if last != Some(style) {
                line.push_str(&format!("{{{:?} {:?} {:?}}}", c.fg, c.bg, c.modifier));
                last = Some(style);
            }
            line.push_str(c.symbol());
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

fn themed_app(depth: crate::tui::theme::Depth) -> App {
    let (themes, problems) = crate::tui::theme::load_all(None, depth);
    assert!(problems.is_empty(), "{problems:?}");
    let mut a = App::new(Options {
        voices: Voices::builtin().list().to_vec(),
        voice: None,
        store: None,
        session: None,
        max_concurrent: crate::PerBackend::new(2, 1),
        mouse: false,
        themes,
        theme: None,
        keymap: Default::default(),
        workspace: None,
    });
    a.on_engine(ev(
        0,
        EventKind::Resources {
            status: resources(),
        },
    ));
    escalated_run(&mut a);
    a
}

fn rebound() -> crate::keys::Keymap {
    use crate::config::{Config, KeySpec};
    let mut keys = Config::default().keys;
    keys.chat.insert("good".into(), KeySpec::One("+".into()));
    keys.global.insert("help".into(), KeySpec::One("f1".into()));
    keys.global
        .insert("voice_1".into(), KeySpec::Many(vec!["alt+1".into()]));
    keys.input
        .insert("submit".into(), KeySpec::One("ctrl+s".into()));
    keys.input.insert(
        "newline".into(),
        KeySpec::Many(vec!["enter".into(), "ctrl+j".into()]),
    );
    crate::keys::Keymap::from_config(&keys, None).expect("no conflicts")
}

fn browser(a: &App) -> &Browser {
    a.browser().expect("the browser is open")
}
