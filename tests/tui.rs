//! The full-screen app through ratatui's test backend: every pane and overlay at 120×40
//! and 80×24 with the engine's part played by scripted events, and keys injected as a
//! user would press them.

use std::collections::BTreeMap;

use codecrucible::backend::{BackendId, ModelInfo};
use codecrucible::confidence::Signal;
use codecrucible::engine::{Command, Event, EventKind, RouteMode};
use codecrucible::resources::{
    BackendResources, GpuDevice, GpuSource, GpuStatus, HostLoad, MachineReading, ResourceStatus,
};
use codecrucible::router;
use codecrucible::tui::app::{Overlay, Pane};
use codecrucible::tui::effects::Effect;
use codecrucible::tui::{ui, App, Options};
use codecrucible::voice::Voices;
use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use ratatui::backend::TestBackend;
use ratatui::Terminal;

fn app() -> App {
    App::new(Options {
        voices: Voices::builtin().list().to_vec(),
        voice: None,
        store: None,
        session: None,
        max_concurrent: [2, 1],
        mouse: false,
        themes: Vec::new(),
        theme: None,
        keymap: Default::default(),
    })
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

fn submitted(app: &mut App) -> codecrucible::engine::Submit {
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
    let routing = codecrucible::config::Config::default().hybrid.routing;
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
        EventKind::Escalate { from: BackendId::Lmstudio, to: BackendId::Ollama, confidence: 0.31, threshold: 0.7, signals },
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

#[test]
fn snapshot_every_pane_wide_and_compact() {
    let mut a = full_app();
    insta::assert_snapshot!("all_panes_120x40", screen(&mut a, 120, 40));
    insta::assert_snapshot!("chat_80x24", screen(&mut a, 80, 24));
    for (pane, name) in [
        (Pane::Code, "code_80x24"),
        (Pane::Inspector, "inspector_80x24"),
        (Pane::Resources, "resources_80x24"),
    ] {
        a.focus = pane;
        insta::assert_snapshot!(name, screen(&mut a, 80, 24));
    }
    a.focus = Pane::Chat;
    key(&mut a, KeyCode::Char('d'));
    insta::assert_snapshot!("chat_unfolded_120x40", screen(&mut a, 120, 40));
}

#[test]
fn snapshot_the_empty_app_and_too_small() {
    let mut a = app();
    insta::assert_snapshot!("empty_120x40", screen(&mut a, 120, 40));
    insta::assert_snapshot!("empty_80x24", screen(&mut a, 80, 24));
    let small = screen(&mut a, 50, 12);
    assert!(small.contains("Terminal too small"), "{small}");
}

#[test]
fn snapshot_overlays() {
    let mut a = full_app();
    key(&mut a, KeyCode::F(12));
    assert_eq!(a.overlay, Some(Overlay::Help));
    insta::assert_snapshot!("help_120x40", screen(&mut a, 120, 40));
    insta::assert_snapshot!("help_80x24", screen(&mut a, 80, 24));
    key(&mut a, KeyCode::Esc);
    ctrl(&mut a, 't');
    insta::assert_snapshot!("voice_picker_120x40", screen(&mut a, 120, 40));
    insta::assert_snapshot!("voice_picker_80x24", screen(&mut a, 80, 24));
    key(&mut a, KeyCode::Esc);
    a.focus = Pane::Code;
    key(&mut a, KeyCode::Char('s'));
    insta::assert_snapshot!("save_120x40", screen(&mut a, 120, 40));
    insta::assert_snapshot!("save_80x24", screen(&mut a, 80, 24));
}

#[test]
fn a_voice_switch_changes_the_voice_shown_and_the_next_routing() {
    let mut a = app();
    key(&mut a, KeyCode::F(2));
    assert!(screen(&mut a, 120, 40).contains(" Analyzer "));
    type_text(&mut a, "is this loop correct?");
    key(&mut a, KeyCode::Enter);
    let s = submitted(&mut a);
    let voice = s.voice.expect("the voice's prior goes with the request");
    assert_eq!(voice.name, "Analyzer");
    assert_eq!(voice.route, router::Route::Ollama);
    // Its system prompt too.
    assert!(
        s.messages[0].content.contains("Analyzer"),
        "{}",
        s.messages[0].content
    );
    // The picker chooses by number.
    a.running = None;
    ctrl(&mut a, 't');
    key(&mut a, KeyCode::Char('6'));
    assert_eq!(a.voice().map(|v| v.name.as_str()), Some("Architect"));
}

#[test]
fn esc_cancels_the_running_request_and_the_partial_answer_stays() {
    let mut a = app();
    type_text(&mut a, "reformat this");
    key(&mut a, KeyCode::Enter);
    let id = submitted(&mut a).id;
    a.on_engine(ev(
        id,
        EventKind::Delta {
            backend: BackendId::Lmstudio,
            text: "half an ans".into(),
            draft: false,
        },
    ));
    key(&mut a, KeyCode::Esc);
    assert!(a
        .outgoing
        .iter()
        .any(|c| matches!(c, Command::Cancel(x) if *x == id)));
    a.on_engine(ev(id, EventKind::Cancelled { partial: true }));
    assert!(a.running.is_none());
    let s = screen(&mut a, 120, 40);
    assert!(s.contains("half an ans") && s.contains("cancelled"), "{s}");
}

#[test]
fn slash_commands_work_and_change_the_next_request() {
    let mut a = app();
    type_text(&mut a, "/mode quality");
    key(&mut a, KeyCode::Enter);
    type_text(&mut a, "/voice security");
    key(&mut a, KeyCode::Enter);
    type_text(&mut a, "hello");
    key(&mut a, KeyCode::Enter);
    let s = submitted(&mut a);
    assert_eq!(s.route, RouteMode::Force(BackendId::Ollama));
    assert_eq!(s.voice.map(|v| v.name), Some("Security".to_owned()));
    // An unknown one says so, and nothing is sent.
    a.running = None;
    type_text(&mut a, "/vioce x");
    key(&mut a, KeyCode::Enter);
    assert!(a.outgoing.is_empty());
    assert!(a.note.as_ref().is_some_and(|n| n.error), "{:?}", a.note);
    assert_eq!(a.input.text(), "/vioce x", "kept, to be fixed");
    ctrl(&mut a, 'c');
    // /new starts afresh; /quit quits.
    type_text(&mut a, "/new");
    key(&mut a, KeyCode::Enter);
    assert!(a.entries.is_empty());
    type_text(&mut a, "/quit");
    key(&mut a, KeyCode::Enter);
    assert!(a.quit);
}

#[test]
fn ctrl_g_cycles_the_route_mode() {
    let mut a = app();
    for expected in ["fast", "quality", "auto"] {
        ctrl(&mut a, 'g');
        assert!(screen(&mut a, 120, 40).contains(&format!("mode {expected}")));
    }
}

#[test]
fn a_resize_keeps_the_state() {
    let mut a = full_app();
    type_text(&mut a, "a draft in progress");
    let wide = screen(&mut a, 120, 40);
    let narrow = screen(&mut a, 80, 24);
    let again = screen(&mut a, 120, 40);
    assert_eq!(wide, again);
    assert!(narrow.contains("a draft in progress"));
    assert_eq!(a.input.text(), "a draft in progress");
    assert_eq!(a.entries.len(), 2);
}

#[test]
fn quitting_takes_two_ctrl_c_or_ctrl_d_on_an_empty_input() {
    let mut a = app();
    type_text(&mut a, "x");
    ctrl(&mut a, 'c');
    assert!(
        !a.quit && a.input.is_empty(),
        "the first Ctrl+C clears the input"
    );
    ctrl(&mut a, 'c');
    assert!(!a.quit);
    ctrl(&mut a, 'c');
    assert!(a.quit);
    let mut b = app();
    type_text(&mut b, "x");
    ctrl(&mut b, 'd');
    assert!(!b.quit, "Ctrl+D only quits an empty input");
    ctrl(&mut b, 'c');
    ctrl(&mut b, 'd');
    assert!(b.quit);
}

#[test]
fn question_mark_opens_help_only_on_an_empty_input_and_keys_in_text_never_act() {
    let mut a = app();
    key(&mut a, KeyCode::Char('?'));
    assert_eq!(a.overlay, Some(Overlay::Help));
    key(&mut a, KeyCode::Esc);
    type_text(&mut a, "why? d y s [");
    assert_eq!(a.overlay, None);
    assert_eq!(a.input.text(), "why? d y s [");
    // Releases (Windows) do nothing.
    a.on_key(KeyEvent::new_with_kind(
        KeyCode::Char('z'),
        KeyModifiers::NONE,
        KeyEventKind::Release,
    ));
    assert_eq!(a.input.text(), "why? d y s [");
}

#[test]
fn a_pasted_newline_never_submits() {
    let mut a = app();
    a.on_paste("fn a() {}\nfn b() {}\n");
    assert!(a.outgoing.is_empty());
    key(&mut a, KeyCode::Enter);
    let s = submitted(&mut a);
    assert_eq!(s.messages.last().unwrap().content, "fn a() {}\nfn b() {}");
}

#[test]
fn the_code_pane_copies_switches_and_saves_without_overwriting() {
    let mut a = full_app();
    assert_eq!(
        a.code.blocks.len(),
        1,
        "the replaced draft's code left the pane"
    );
    a.focus = Pane::Code;
    key(&mut a, KeyCode::Char('y'));
    assert!(matches!(a.effects.last(), Some(Effect::Copy(t)) if t.contains("enum Token")));
    key(&mut a, KeyCode::Char('s'));
    for _ in 0.."snippet.rs".len() {
        key(&mut a, KeyCode::Backspace);
    }
    type_text(&mut a, "lex.rs");
    key(&mut a, KeyCode::Enter);
    assert!(
        matches!(a.effects.last(), Some(Effect::Save { path, overwrite: false, .. }) if path == "lex.rs")
    );
    a.saved("lex.rs", Err(codecrucible::tui::effects::SaveError::Exists));
    assert!(matches!(
        &a.overlay,
        Some(Overlay::SavePath {
            overwrite: true,
            ..
        })
    ));
    key(&mut a, KeyCode::Enter);
    assert!(matches!(
        a.effects.last(),
        Some(Effect::Save {
            overwrite: true,
            ..
        })
    ));
}

#[test]
fn the_chat_follows_the_stream_at_the_bottom_and_holds_when_scrolled_up() {
    let mut a = app();
    type_text(&mut a, "write a long story");
    key(&mut a, KeyCode::Enter);
    let id = submitted(&mut a).id;
    for i in 0..60 {
        a.on_engine(ev(
            id,
            EventKind::Delta {
                backend: BackendId::Lmstudio,
                text: format!("line {i}\n\n"),
                draft: false,
            },
        ));
    }
    let s = screen(&mut a, 120, 40);
    assert!(s.contains("line 59"), "following the end");
    key(&mut a, KeyCode::PageUp);
    let held = screen(&mut a, 120, 40);
    assert!(!held.contains("line 59"));
    for i in 60..80 {
        a.on_engine(ev(
            id,
            EventKind::Delta {
                backend: BackendId::Lmstudio,
                text: format!("line {i}\n\n"),
                draft: false,
            },
        ));
    }
    let still = screen(&mut a, 120, 40);
    let first = |s: &str| s.lines().find(|l| l.contains("line ")).map(str::to_owned);
    assert_eq!(first(&held), first(&still), "the view stayed put");
    key(&mut a, KeyCode::End);
    a.focus = Pane::Chat;
    key(&mut a, KeyCode::End);
    assert!(screen(&mut a, 120, 40).contains("line 79"));
}

#[test]
fn a_loading_model_and_a_failed_request_are_shown_plainly() {
    let mut a = app();
    a.on_engine(ev(
        0,
        EventKind::Resources {
            status: resources(),
        },
    ));
    type_text(&mut a, "reformat this json");
    key(&mut a, KeyCode::Enter);
    let id = submitted(&mut a).id;
    a.on_engine(ev(
        id,
        EventKind::Status {
            backend: Some(BackendId::Lmstudio),
            message: "LM Studio is loading model qwen-coder-7b; a large model can take minutes…"
                .into(),
        },
    ));
    let s = screen(&mut a, 120, 40);
    assert!(s.contains("LM Studio up, loading a model"), "{s}");
    a.on_engine(ev(
        id,
        EventKind::Error {
            backend: Some(BackendId::Lmstudio),
            message: "LM Studio closed the stream early; the partial answer is kept".into(),
            code: "stream_cut",
            partial: false,
        },
    ));
    let s = screen(&mut a, 120, 40);
    assert!(s.contains("✗ LM Studio closed the stream early"), "{s}");
    assert!(!s.contains("loading a model"), "{s}");
    assert!(a.running.is_none());
}

// ---- the session browser (issue 7) -----------------------------------------------------

fn app_with_store(store: std::sync::Arc<codecrucible::store::Store>) -> App {
    App::new(Options {
        voices: Voices::builtin().list().to_vec(),
        voice: None,
        store: Some(store),
        session: None,
        max_concurrent: [2, 1],
        mouse: false,
        themes: Vec::new(),
        theme: None,
        keymap: Default::default(),
    })
}

/// Carries out what the app asked for, as the runner would (synchronously here).
fn settle(app: &mut App, store: &codecrucible::store::Store) {
    for _ in 0..10 {
        let effects: Vec<Effect> = app.effects.drain(..).collect();
        if effects.is_empty() {
            return;
        }
        for e in effects {
            if let Some(reply) = codecrucible::tui::effects::perform(e, Some(store)) {
                app.on_reply(reply);
            }
        }
    }
}

fn stored_sessions() -> std::sync::Arc<codecrucible::store::Store> {
    use codecrucible::store::{Status, Store};
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
        "route",
        r#"{"reasoning":"generation task, so hybrid"}"#,
    )
    .unwrap();
    s.record_decision(a, None, "escalate", r#"{"from":"lmstudio","to":"ollama"}"#)
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

#[test]
fn the_browser_lists_filters_previews_and_resumes() {
    let store = stored_sessions();
    let mut a = app_with_store(store.clone());
    ctrl(&mut a, 'r');
    assert_eq!(a.overlay, Some(Overlay::Browser));
    settle(&mut a, &store);
    assert_eq!(a.browser.rows.len(), 2);
    insta::assert_snapshot!("browser_open_120x40", undated(screen(&mut a, 120, 40)));
    // Typing filters (through the full-text search), including letters that are keys
    // elsewhere.
    type_text(&mut a, "borrow");
    settle(&mut a, &store);
    assert_eq!(a.browser.rows.len(), 1);
    assert_eq!(a.browser.filter, "borrow");
    insta::assert_snapshot!("browser_filtered_80x24", undated(screen(&mut a, 80, 24)));
    type_text(&mut a, "zzz");
    settle(&mut a, &store);
    insta::assert_snapshot!("browser_empty_120x40", undated(screen(&mut a, 120, 40)));
    for _ in 0.."zzz".len() {
        key(&mut a, KeyCode::Backspace);
    }
    settle(&mut a, &store);
    // The preview shows the draft and the routing as they were.
    let p = a.browser.preview.as_ref().expect("previewed");
    assert!(p
        .messages
        .iter()
        .any(|m| m.content == "a draft that was weak"));
    // Enter resumes: the conversation is live again, final answers only.
    key(&mut a, KeyCode::Enter);
    settle(&mut a, &store);
    assert_eq!(a.overlay, None);
    let sid = a.session.expect("carried on");
    type_text(&mut a, "and the lexer?");
    key(&mut a, KeyCode::Enter);
    let s = submitted(&mut a);
    assert_eq!(s.session, Some(sid));
    let sent: Vec<&str> = s.messages.iter().map(|m| m.content.as_str()).collect();
    assert!(
        sent.contains(&"Clone the token before the loop."),
        "{sent:?}"
    );
    assert!(
        !sent.contains(&"a draft that was weak"),
        "drafts are left out"
    );
}

#[test]
fn the_browser_deletes_after_asking_and_feedback_reaches_the_store() {
    let store = stored_sessions();
    let mut a = app_with_store(store.clone());
    type_text(&mut a, "/resume");
    key(&mut a, KeyCode::Enter);
    assert_eq!(
        a.overlay,
        Some(Overlay::Browser),
        "{:?} {:?}",
        a.note,
        a.effects
    );
    settle(&mut a, &store);
    assert_eq!(a.browser.rows.len(), 2);
    let victim = a.browser.rows[0].id;
    ctrl(&mut a, 'd');
    assert!(a.browser.confirm_delete);
    key(&mut a, KeyCode::Char('n'));
    assert!(store.session(victim).unwrap().is_some(), "n keeps it");
    ctrl(&mut a, 'd');
    key(&mut a, KeyCode::Char('y'));
    settle(&mut a, &store);
    assert!(store.session(victim).unwrap().is_none());
    assert_eq!(a.browser.rows.len(), 1);
    // Resume the other one and rate its last answer from the chat pane.
    key(&mut a, KeyCode::Enter);
    settle(&mut a, &store);
    a.focus = Pane::Chat;
    key(&mut a, KeyCode::Char('q'));
    // The store write runs off the UI thread, as the runner carries it out.
    settle(&mut a, &store);
    assert!(a.note.as_ref().is_some_and(|n| !n.error), "{:?}", a.note);
    let sid = a.session.unwrap();
    let rated = store
        .decisions(sid)
        .unwrap()
        .into_iter()
        .any(|d| d.kind == "feedback" && d.data["verdict"] == "quality");
    assert!(rated, "the feedback reached the store");
}

// ---- themes (issue 7) ------------------------------------------------------------------

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

fn themed_app(depth: codecrucible::tui::theme::Depth) -> App {
    let (themes, problems) = codecrucible::tui::theme::load_all(None, depth);
    assert!(problems.is_empty(), "{problems:?}");
    let mut a = App::new(Options {
        voices: Voices::builtin().list().to_vec(),
        voice: None,
        store: None,
        session: None,
        max_concurrent: [2, 1],
        mouse: false,
        themes,
        theme: None,
        keymap: Default::default(),
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

#[test]
fn snapshot_each_theme_in_colour() {
    use codecrucible::tui::theme::Depth;
    let mut a = themed_app(Depth::TrueColor);
    for name in ["dark", "light", "high-contrast"] {
        type_text(&mut a, &format!("/theme {name}"));
        key(&mut a, KeyCode::Enter);
        assert_eq!(a.theme.name, name);
        insta::assert_snapshot!(format!("theme_{name}_80x24"), styled_screen(&mut a, 80, 24));
    }
    // 256-colour terminals get palette colours only; NO_COLOR none at all.
    let mut p = themed_app(Depth::Palette256);
    p.set_theme("light");
    let s = styled_screen(&mut p, 80, 24);
    assert!(!s.contains("Rgb("), "no RGB on a 256-colour terminal");
    let mut n = themed_app(Depth::None);
    let s = styled_screen(&mut n, 80, 24);
    for c in ["Cyan", "Red", "Magenta", "Rgb(", "Indexed("] {
        assert!(!s.contains(&format!("{{{c}")), "NO_COLOR painted {c}");
    }
}

#[test]
fn the_theme_key_cycles_and_unknown_themes_are_refused() {
    use codecrucible::tui::theme::Depth;
    let mut a = themed_app(Depth::TrueColor);
    assert_eq!(a.theme.name, "dark");
    ctrl(&mut a, 'y');
    assert_eq!(a.theme.name, "light");
    ctrl(&mut a, 'y');
    assert_eq!(a.theme.name, "high-contrast");
    ctrl(&mut a, 'y');
    assert_eq!(a.theme.name, "dark");
    type_text(&mut a, "/theme neon");
    key(&mut a, KeyCode::Enter);
    assert!(
        a.note
            .as_ref()
            .is_some_and(|n| n.error && n.text.contains("light")),
        "{:?}",
        a.note
    );
    assert_eq!(a.theme.name, "dark");
}

#[test]
fn the_inspector_shows_how_learning_has_shifted_the_task_class() {
    use codecrucible::router::learn::{band, summarize, Arm, ClassStats};
    use codecrucible::router::TaskType;
    let mut a = full_app();
    let mut stats = ClassStats::default();
    for _ in 0..8 {
        stats.observe(Arm::Fast, false, 1.0);
    }
    let b = band(a.inspector.complexity);
    let learning = vec![summarize(TaskType::Generation, b, &stats)];
    a.on_engine(ev(
        0,
        EventKind::Metrics {
            stored: None,
            load: Vec::new(),
            learning,
        },
    ));
    let s = screen(&mut a, 120, 40);
    assert!(s.contains("learned: hybrid → ollama"), "{s}");
}

// ---- configurable keys (issue 7) ---------------------------------------------------------

fn rebound() -> codecrucible::tui::keymap::Keymap {
    use codecrucible::config::{Config, KeySpec};
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
    codecrucible::tui::keymap::Keymap::from_config(&keys, None).expect("no conflicts")
}

#[test]
fn rebound_keys_act_and_the_help_lists_them() {
    let mut a = app();
    a.keymap = rebound();
    // F1 is help now; Alt+1 the Explorer voice.
    key(&mut a, KeyCode::F(1));
    assert_eq!(a.overlay, Some(Overlay::Help));
    insta::assert_snapshot!("help_rebound_120x40", screen(&mut a, 120, 40));
    key(&mut a, KeyCode::Esc);
    a.on_key(KeyEvent::new(KeyCode::Char('1'), KeyModifiers::ALT));
    assert_eq!(a.voice().map(|v| v.name.as_str()), Some("Explorer"));
    // Enter makes a new line; Ctrl+S sends.
    type_text(&mut a, "line one");
    key(&mut a, KeyCode::Enter);
    type_text(&mut a, "line two");
    assert!(a.outgoing.is_empty());
    ctrl(&mut a, 's');
    let s = submitted(&mut a);
    assert_eq!(s.messages.last().unwrap().content, "line one\nline two");
}
