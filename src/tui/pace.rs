//! Frame pacing: draw at most once per frame interval and only when something changed;
//! while a frame is pending, engine events wait in their channel and are drained in one go
//! just before it (the frame shows everything that arrived before it), so a fast stream
//! wakes the loop about once per frame instead of once per token. Key presses always wake.

use std::time::Duration;

use tokio::time::Instant;

/// 60 frames a second.
pub const FRAME: Duration = Duration::from_micros(16_667);
/// While code waits for its syntax to warm up, check this often.
pub const TICK: Duration = Duration::from_millis(50);

pub struct Pacer {
    last_draw: Instant,
}

impl Default for Pacer {
    fn default() -> Self {
        Self::new()
    }
}

impl Pacer {
    pub fn new() -> Self {
        Self {
            last_draw: Instant::now() - FRAME,
        }
    }

    /// Whether to wake for engine events now (otherwise they wait for the frame).
    pub fn listens(&self, dirty: bool) -> bool {
        !dirty
    }

    pub fn should_draw(&self, dirty: bool) -> bool {
        dirty && self.last_draw.elapsed() >= FRAME
    }

    pub fn drew(&mut self) {
        self.last_draw = Instant::now();
    }

    pub fn last_draw(&self) -> Instant {
        self.last_draw
    }

    /// When to wake if nothing else comes first; `None` sleeps until something does.
    pub fn wake_at(&self, dirty: bool, needs_tick: bool) -> Option<Instant> {
        if dirty {
            Some(self.last_draw + FRAME)
        } else if needs_tick {
            Some(Instant::now() + TICK)
        } else {
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn at_most_one_frame_per_interval_and_none_while_idle() {
        let mut p = Pacer::new();
        assert!(!p.should_draw(false), "nothing changed: no frame");
        assert!(p.should_draw(true));
        p.drew();
        assert!(!p.should_draw(true), "too soon");
        assert!(!p.listens(true), "events wait for the pending frame");
        assert_eq!(p.wake_at(true, false), Some(p.last_draw() + FRAME));
        tokio::time::advance(FRAME).await;
        assert!(p.should_draw(true));
        assert_eq!(p.wake_at(false, false), None, "idle: sleep until an event");
        assert!(p.listens(false));
        assert!(p.wake_at(false, true).is_some());
    }
}
