//! Every pane at 120×40 and 80×24, and how the chat and resources show a stream.

use super::*;

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
        EventKind::Loading {
            backend: BackendId::Lmstudio,
            model: "qwen-coder-7b".into(),
            loaded: false,
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

#[test]
fn the_inspector_shows_how_learning_has_shifted_the_task_class() {
    use crate::router::learn::{band, summarize, Arm, ClassStats};
    use crate::router::TaskType;
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

#[test]
fn the_resource_pane_shows_a_model_partly_on_the_cpu() {
    let mut a = app();
    let mut status = resources();
    let model = ModelInfo {
        loaded: Some(true),
        vram_bytes: Some(12_400_000_000),
        resident_bytes: Some(20_000_000_000),
        context_length: Some(8192),
        ..ModelInfo::named("qwen2.5-coder:32b")
    };
    status.backends[1] =
        BackendResources::up(BackendId::Ollama, "http://localhost:11434", 1, &[model]);
    a.on_engine(ev(0, EventKind::Resources { status }));
    let s = screen(&mut a, 160, 40);
    assert!(
        s.contains("qwen2.5-coder:32b · 11.5 GiB VRAM of 18.6 GiB (62% on GPU"),
        "{s}"
    );
}

#[test]
fn a_role_with_several_endpoints_lists_each_with_its_state_and_load() {
    let mut a = app();
    let mut status = resources();
    let model = |name: &str| ModelInfo {
        loaded: Some(true),
        ..ModelInfo::named(name)
    };
    let gpu2 = BackendResources::up(
        BackendId::Lmstudio,
        "http://127.0.0.1:8080",
        4,
        &[model("qwen-coder-14b")],
    )
    .with_load(3, 1);
    let mut cooling = BackendResources::up(BackendId::Lmstudio, "http://127.0.0.1:8081", 2, &[]);
    cooling.cooling = true;
    let refused = BackendResources::down(
        BackendId::Lmstudio,
        "http://127.0.0.1:8082",
        2,
        "LM Studio is not answering on http://127.0.0.1:8082 (connection refused)",
    );
    status.backends.splice(1..1, [gpu2, cooling, refused]);
    status.backends[0] = status.backends[0].clone().with_load(1, 0);
    a.on_engine(ev(0, EventKind::Resources { status }));
    a.focus = Pane::Resources;
    let s = screen(&mut a, 80, 24);
    insta::assert_snapshot!("resources_several_endpoints_80x24", s);
    assert!(s.contains("LM Studio up · 4/10 in flight, 1 queued"), "{s}");
    assert!(
        s.contains("http://127.0.0.1:8080 up · 3/4 in flight · qwen-coder-14b"),
        "{s}"
    );
    assert!(
        s.contains("http://127.0.0.1:8081 cooling down · 0/2 in flight"),
        "{s}"
    );
    assert!(
        s.contains("http://127.0.0.1:8082 down · 0/2 in flight"),
        "{s}"
    );
    assert!(s.contains("(connection refused)"), "{s}");
    // The role with one endpoint is shown as before: no endpoint lines.
    assert!(!s.contains("  http://localhost:11434"), "{s}");
}

#[test]
fn timeline_steps_quoting_a_server_are_drawn_without_bidi_controls() {
    let mut a = app();
    a.on_engine(ev(
        0,
        EventKind::Unloaded {
            backend: BackendId::Lmstudio,
            model: "qwen\u{202e}evil".into(),
            idle_secs: 900,
            reason: "to make room for big:32b".into(),
        },
    ));
    let s = screen(&mut a, 160, 40);
    assert!(s.contains("unloaded qwenevil from LM Studio"), "{s}");
    assert!(!s.contains('\u{202e}'), "{s}");
}
