//! The shared loop driven by scripted terminal events: every key press is heard when it
//! happens, not at the next engine event.

use std::collections::VecDeque;
use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use crossterm::event::Event as TermEvent;
use futures_util::Stream;
use ratatui::backend::CrosstermBackend;
use ratatui::layout::Rect;
use ratatui::{TerminalOptions, Viewport};

use super::*;
use crate::engine::EngineHandle;
use crate::tui::event_loop;

/// Terminal events as crossterm's `EventStream` delivers them: when a poll finds nothing,
/// the waker of the poll that began the wait is the one woken by the next event; later
/// polls during the same wait do not replace it.
#[derive(Clone, Default)]
struct Keys(Arc<Mutex<(VecDeque<TermEvent>, Option<Waker>)>>);

impl Keys {
    fn press(&self, code: KeyCode, mods: KeyModifiers) {
        let mut s = self.0.lock().expect("keys");
        s.0.push_back(TermEvent::Key(KeyEvent::new(code, mods)));
        if let Some(w) = s.1.take() {
            w.wake();
        }
    }
}

impl Stream for Keys {
    type Item = io::Result<TermEvent>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let mut s = self.0.lock().expect("keys");
        if let Some(ev) = s.0.pop_front() {
            return Poll::Ready(Some(Ok(ev)));
        }
        if s.1.is_none() {
            s.1 = Some(cx.waker().clone());
        }
        Poll::Pending
    }
}

/// The app's loop on a fixed 120×40 screen with an engine that never answers, in a task
/// of its own (so that only its own wakers wake it) while `script` presses keys. Returns
/// the app once the loop has ended.
async fn run_with(app: App, script: impl std::future::Future<Output = ()>, keys: Keys) -> App {
    let local = tokio::task::LocalSet::new();
    let looping = local.spawn_local(async move {
        let mut app = app;
        let mut term = ratatui::Terminal::with_options(
            CrosstermBackend::new(io::sink()),
            TerminalOptions {
                viewport: Viewport::Fixed(Rect::new(0, 0, 120, 40)),
            },
        )
        .expect("terminal");
        let (commands, _sent) = tokio::sync::mpsc::unbounded_channel();
        let (_events_tx, events) = tokio::sync::mpsc::channel(8);
        let mut engine = EngineHandle { commands, events };
        let mut quiet = ();
        let ended = event_loop::run(&mut term, &mut app, &mut engine, keys, &mut quiet).await;
        ended.expect("the loop ran");
        app
    });
    local
        .run_until(async move {
            script.await;
            tokio::time::timeout(Duration::from_secs(60), looping)
                .await
                .expect("the loop heard every key and quit")
                .expect("the loop's task")
        })
        .await
}

#[tokio::test(start_paused = true)]
async fn a_key_pressed_after_another_is_heard_at_once() {
    let keys = Keys::default();
    let k = keys.clone();
    let script = async move {
        let pause = || tokio::time::sleep(Duration::from_millis(200));
        pause().await;
        k.press(KeyCode::Char('?'), KeyModifiers::NONE);
        pause().await;
        // The loop is idle now, with nothing else to wake it.
        k.press(KeyCode::Esc, KeyModifiers::NONE);
        pause().await;
        k.press(KeyCode::Char('c'), KeyModifiers::CONTROL);
        k.press(KeyCode::Char('c'), KeyModifiers::CONTROL);
    };
    let a = run_with(app(), script, keys).await;
    assert!(a.quit);
    assert_eq!(a.overlay_kind(), None);
}
