//! A circuit breaker per backend: after `failures` failures within `window`, the server is
//! left alone for `cooldown`; then one request (or health check) probes it, and a success
//! closes the breaker again while a failure re-opens it. Time is tokio's clock, so tests
//! run it under a paused clock.

use std::collections::VecDeque;
use std::time::Duration;

use serde::Serialize;
use tokio::time::Instant;

use crate::config::CircuitBreaker as Settings;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BreakerState {
    /// Working normally.
    Closed,
    /// Cooling down after repeated failures.
    Open,
    /// One probe is in flight to see whether the server recovered.
    HalfOpen,
}

/// Whether a request may go to the server now, asked without changing the breaker.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ready {
    /// Working normally.
    Closed,
    /// The cool-down is over: a request would be the probe.
    Probe,
    /// Cooling down, or a probe is already out.
    No,
}

/// What a caller may do now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Allow {
    Yes,
    /// Yes, as the probe that decides whether the server recovered.
    Probe,
    /// No: cooling down (or a probe is already out) for about this long.
    No(Duration),
}

#[derive(Debug)]
pub struct Breaker {
    settings: Settings,
    state: BreakerState,
    failures: VecDeque<Instant>,
    open_until: Instant,
}

impl Breaker {
    pub fn new(settings: Settings) -> Self {
        Self {
            settings,
            state: BreakerState::Closed,
            failures: VecDeque::new(),
            open_until: Instant::now(),
        }
    }

    pub fn state(&self) -> BreakerState {
        self.state
    }

    /// The state as the router should see it: an open breaker whose cool-down is over is
    /// ready for its probe, so requests may be routed to it again.
    pub fn routable_state(&self) -> BreakerState {
        match self.state {
            BreakerState::Open if Instant::now() >= self.open_until => BreakerState::HalfOpen,
            s => s,
        }
    }

    /// What [`Breaker::allow`] would answer, without taking the probe.
    pub fn ready(&self) -> Ready {
        match self.state {
            BreakerState::Closed => Ready::Closed,
            BreakerState::Open if Instant::now() >= self.open_until => Ready::Probe,
            BreakerState::Open | BreakerState::HalfOpen => Ready::No,
        }
    }

    fn cooldown(&self) -> Duration {
        Duration::from_secs(self.settings.cooldown_secs)
    }

    pub fn allow(&mut self) -> Allow {
        let now = Instant::now();
        match self.state {
            BreakerState::Closed => Allow::Yes,
            BreakerState::Open if now >= self.open_until => {
                self.state = BreakerState::HalfOpen;
                Allow::Probe
            }
            BreakerState::Open => Allow::No(self.open_until - now),
            // A probe is out; others wait for its verdict (at most one cool-down).
            BreakerState::HalfOpen => Allow::No(self.cooldown()),
        }
    }

    pub fn record_success(&mut self) {
        self.state = BreakerState::Closed;
        self.failures.clear();
    }

    pub fn record_failure(&mut self) {
        let now = Instant::now();
        if self.state == BreakerState::HalfOpen {
            return self.open(now);
        }
        let window = Duration::from_secs(self.settings.window_secs);
        self.failures.push_back(now);
        while self
            .failures
            .front()
            .is_some_and(|t| now.duration_since(*t) > window)
        {
            self.failures.pop_front();
        }
        if self.failures.len() >= self.settings.failures as usize {
            self.open(now);
        }
    }

    fn open(&mut self, now: Instant) {
        self.state = BreakerState::Open;
        self.open_until = now + self.cooldown();
        self.failures.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn breaker() -> Breaker {
        Breaker::new(Settings {
            failures: 3,
            window_secs: 60,
            cooldown_secs: 5,
        })
    }

    #[tokio::test(start_paused = true)]
    async fn opens_after_n_failures_in_the_window() {
        let mut b = breaker();
        b.record_failure();
        b.record_failure();
        assert_eq!(b.allow(), Allow::Yes);
        b.record_failure();
        assert_eq!(b.state(), BreakerState::Open);
        assert!(matches!(b.allow(), Allow::No(d) if d == Duration::from_secs(5)));
    }

    #[tokio::test(start_paused = true)]
    async fn failures_older_than_the_window_do_not_count() {
        let mut b = breaker();
        b.record_failure();
        b.record_failure();
        tokio::time::advance(Duration::from_secs(61)).await;
        b.record_failure();
        assert_eq!(b.state(), BreakerState::Closed);
    }

    #[tokio::test(start_paused = true)]
    async fn cools_down_then_probes_then_recovers() {
        let mut b = breaker();
        (0..3).for_each(|_| b.record_failure());
        tokio::time::advance(Duration::from_secs(2)).await;
        assert!(matches!(b.allow(), Allow::No(d) if d == Duration::from_secs(3)));
        tokio::time::advance(Duration::from_secs(3)).await;
        assert_eq!(b.ready(), Ready::Probe, "asking does not take the probe");
        assert_eq!(b.allow(), Allow::Probe);
        assert_eq!(b.ready(), Ready::No);
        assert!(matches!(b.allow(), Allow::No(_)), "one probe at a time");
        b.record_success();
        assert_eq!(b.state(), BreakerState::Closed);
        assert_eq!(b.allow(), Allow::Yes);
    }

    #[tokio::test(start_paused = true)]
    async fn a_failed_probe_opens_it_again() {
        let mut b = breaker();
        (0..3).for_each(|_| b.record_failure());
        tokio::time::advance(Duration::from_secs(5)).await;
        assert_eq!(b.allow(), Allow::Probe);
        b.record_failure();
        assert_eq!(b.state(), BreakerState::Open);
        tokio::time::advance(Duration::from_secs(4)).await;
        assert!(matches!(b.allow(), Allow::No(_)));
        tokio::time::advance(Duration::from_secs(1)).await;
        assert_eq!(b.allow(), Allow::Probe);
    }
}
