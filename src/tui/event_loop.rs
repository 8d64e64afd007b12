//! The app's loop, shared by the binary, its tests and the stream benchmark (so the
//! benchmark measures what ships). It selects over terminal events, engine events,
//! effect replies and one timer; drains everything queued; and draws at most once per
//! frame interval and only when something changed (DESIGN.md: no redraw while idle).
//!
//! The timer is the earliest of the pending frame, the highlighter's catch-up tick and
//! the notice's expiry, so an idle app with nothing to expire sleeps until an event.

use std::io;
use std::task::Poll;
use std::time::Duration;

use crossterm::event::{DisableMouseCapture, EnableMouseCapture, Event as TermEvent};
use crossterm::{execute, terminal};
use futures_util::{Stream, StreamExt};
use ratatui::backend::Backend;
use ratatui::Terminal;
use tokio::time::Instant;

use super::effects::{self, Effect, Reply};
use super::pace::Pacer;
use super::{ui, App};
use crate::engine::{EngineHandle, Event};

/// What the loop reports as it goes, for measuring it; `()` reports nothing.
pub trait Probe {
    /// A frame was drawn at `at` and took `took`.
    fn frame(&mut self, _at: Instant, _took: Duration) {}
    /// The loop woke from a wait (for any reason).
    fn woke(&mut self) {}
    /// The timer woke the loop and the highlighter caught up a step.
    fn ticked(&mut self) {}
    /// `App::on_engine` took `took` for one event.
    fn engine_event(&mut self, _took: Duration) {}
}

impl Probe for () {}

/// What ended a wait. It lives for one turn of the loop, on the stack, so the size of an
/// engine event is no cost worth a box.
#[allow(clippy::large_enum_variant)]
enum Woke {
    Terminal(TermEvent),
    Engine(Event),
    Reply(Reply),
    Timer,
    /// The engine's channel closed: draw what is pending, then stop.
    EngineGone,
}

/// Runs until the user quits, the terminal events end, or the engine is gone and its last
/// change is on screen. `keys` are the terminal's events (crossterm's `EventStream` in the
/// app); frames go to `terminal`, wrapped in synchronized output.
pub async fn run<B, K, P>(
    terminal: &mut Terminal<B>,
    app: &mut App,
    engine: &mut EngineHandle,
    mut keys: K,
    probe: &mut P,
) -> io::Result<()>
where
    B: Backend<Error = io::Error> + io::Write,
    K: Stream<Item = io::Result<TermEvent>> + Unpin,
    P: Probe,
{
    let (done_tx, mut done_rx) = tokio::sync::mpsc::unbounded_channel();
    let mut pacer = Pacer::new();
    let mut engine_open = true;
    loop {
        for cmd in app.outgoing.drain(..) {
            let _ = engine.commands.send(cmd);
        }
        for effect in app.effects.drain(..) {
            match effect {
                // The terminal's own modes go to the terminal we draw on.
                Effect::MouseCapture(on) => mouse_capture(terminal.backend_mut(), on),
                work => effects::run(work, app.store.clone(), &done_tx),
            }
        }
        if app.quit {
            return Ok(());
        }
        if pacer.should_draw(app.dirty) {
            let t = Instant::now();
            draw(terminal, app)?;
            pacer.drew();
            probe.frame(pacer.last_draw(), t.elapsed());
        }
        if !engine_open && !app.dirty && !app.needs_tick() {
            return Ok(());
        }
        let expiry = app.next_expiry().map(Instant::from_std);
        let wake = earliest(pacer.wake_at(app.dirty, app.needs_tick()), expiry);
        let listen = engine_open && pacer.listens(app.dirty);
        let woke = tokio::select! {
            ev = keys.next() => match ev {
                Some(Ok(ev)) => Woke::Terminal(ev),
                Some(Err(e)) => return Err(e),
                None => return Ok(()),
            },
            ev = engine.events.recv(), if listen => match ev {
                Some(ev) => Woke::Engine(ev),
                None => Woke::EngineGone,
            },
            Some(reply) = done_rx.recv() => Woke::Reply(reply),
            _ = sleep_until(wake) => Woke::Timer,
        };
        probe.woke();
        // Notices are stamped and expired by this time.
        app.set_clock(Instant::now().into_std());
        match woke {
            Woke::Terminal(ev) => terminal_event(app, ev),
            Woke::Engine(ev) => engine_event(app, ev, probe),
            Woke::Reply(reply) => app.on_reply(reply),
            Woke::EngineGone => engine_open = false,
            Woke::Timer if app.needs_tick() => {
                app.tick();
                probe.ticked();
            }
            Woke::Timer => {}
        }
        // Drain everything already queued before the next frame.
        while engine_open {
            match engine.events.try_recv() {
                Ok(ev) => engine_event(app, ev, probe),
                Err(tokio::sync::mpsc::error::TryRecvError::Empty) => break,
                Err(tokio::sync::mpsc::error::TryRecvError::Disconnected) => engine_open = false,
            }
        }
        // Polled with this task's waker: crossterm's EventStream wakes only the waker of
        // the poll that began its wait, so a poll with a no-op waker (`now_or_never`) left
        // the next key press unheard until something else woke the loop.
        loop {
            match std::future::poll_fn(|cx| Poll::Ready(keys.poll_next_unpin(cx))).await {
                Poll::Ready(Some(Ok(ev))) => terminal_event(app, ev),
                Poll::Ready(Some(Err(e))) => return Err(e),
                Poll::Ready(None) => return Ok(()),
                Poll::Pending => break,
            }
        }
    }
}

fn engine_event<P: Probe>(app: &mut App, ev: Event, probe: &mut P) {
    let t = Instant::now();
    app.on_engine(ev);
    probe.engine_event(t.elapsed());
}

fn terminal_event(app: &mut App, ev: TermEvent) {
    match ev {
        TermEvent::Key(k) => app.on_key(k),
        TermEvent::Paste(text) => app.on_paste(&text),
        TermEvent::Mouse(m) => app.on_mouse(m),
        TermEvent::Resize(..) => app.on_resize(),
        TermEvent::FocusGained | TermEvent::FocusLost => {}
    }
}

fn mouse_capture(out: &mut impl io::Write, on: bool) {
    let _ = if on {
        execute!(out, EnableMouseCapture)
    } else {
        execute!(out, DisableMouseCapture)
    };
}

/// One frame, wrapped in synchronized output so the terminal shows it whole.
fn draw<B>(terminal: &mut Terminal<B>, app: &mut App) -> io::Result<()>
where
    B: Backend<Error = io::Error> + io::Write,
{
    let _ = execute!(terminal.backend_mut(), terminal::BeginSynchronizedUpdate);
    terminal.draw(|f| ui::draw(f, app))?;
    let _ = execute!(terminal.backend_mut(), terminal::EndSynchronizedUpdate);
    app.dirty = false;
    Ok(())
}

fn earliest(a: Option<Instant>, b: Option<Instant>) -> Option<Instant> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

async fn sleep_until(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}
