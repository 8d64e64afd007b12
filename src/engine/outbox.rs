//! The engine's side of its event channel. The channel is bounded: a front end that falls
//! behind (a slow terminal, a library caller that reads late) makes the requests wait at
//! their next event, which in turn stops reading the server's stream, instead of queueing
//! without limit (DESIGN.md, untrusted input: every buffer has a cap).
//!
//! Three ways to send, by where the sender runs:
//! - [`Outbox::send`] from request tasks on the runtime: waits for room;
//! - [`Outbox::send_blocking`] from the history writer's thread and the blocking pool;
//! - [`Outbox::offer`] for periodic readings, which the next reading replaces: dropped
//!   when there is no room rather than waited for.
//!
//! Every front end drains its events continuously (the TUI's loop, the headless loop, the
//! library's dispatcher), so waiting for room always ends.

use tokio::sync::mpsc;

use super::events::Event;

/// Events that may wait for the front end. A token is one event, so this is a few
/// seconds of a fast stream; the memory it holds is bounded by the answer cap too.
pub const CAPACITY: usize = 1024;

/// A clone of the engine's event sender.
#[derive(Clone)]
pub struct Outbox(mpsc::Sender<Event>);

impl Outbox {
    /// A bounded channel: the outbox and the front end's receiver.
    pub fn channel() -> (Self, mpsc::Receiver<Event>) {
        let (tx, rx) = mpsc::channel(CAPACITY);
        (Self(tx), rx)
    }

    /// Waits for room, then sends. A front end that has gone away needs no events.
    pub async fn send(&self, event: Event) {
        let _ = self.0.send(event).await;
    }

    /// As [`Outbox::send`], from a thread outside the async runtime.
    pub fn send_blocking(&self, event: Event) {
        let _ = self.0.blocking_send(event);
    }

    /// Sends when there is room. `false` only when the front end has gone away.
    pub fn offer(&self, event: Event) -> bool {
        !matches!(
            self.0.try_send(event),
            Err(mpsc::error::TrySendError::Closed(_))
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::EventKind;

    fn status(id: u64) -> Event {
        Event {
            id,
            kind: EventKind::Status {
                backend: None,
                message: String::new(),
            },
        }
    }

    #[tokio::test]
    async fn a_full_channel_holds_senders_and_drops_offers() {
        let (out, mut rx) = Outbox::channel();
        for i in 0..CAPACITY as u64 {
            out.send(status(i)).await;
        }
        assert!(
            out.offer(status(99_999)),
            "room or not, the receiver is there"
        );
        let waiting = tokio::spawn({
            let out = out.clone();
            async move { out.send(status(7)).await }
        });
        tokio::task::yield_now().await;
        assert!(
            !waiting.is_finished(),
            "a full channel makes the sender wait"
        );
        let first = rx.recv().await.map(|e| e.id);
        assert_eq!(first, Some(0));
        waiting.await.expect("sender finishes once there is room");
        let mut ids = Vec::new();
        while let Ok(e) = rx.try_recv() {
            ids.push(e.id);
        }
        assert_eq!(
            ids.len(),
            CAPACITY,
            "the offer was dropped, the waiting send arrived"
        );
        assert_eq!(ids.last(), Some(&7));
        drop(rx);
        assert!(!out.offer(status(1)), "a closed channel is reported");
    }
}
