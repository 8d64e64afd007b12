//! The status bar's transient line: what just happened (info), what was refused
//! (warning) or what went wrong (error). Every notice expires, so the key hints it covers
//! come back. Time is passed in, never read here, so expiry is tested without sleeping;
//! the runner wakes once at [`Notice::until`] rather than ticking (DESIGN.md: no redraw
//! while idle).

use std::time::{Duration, Instant};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Info,
    Warning,
    Error,
}

/// An info notice stays long enough to read a short sentence.
pub const INFO_FOR: Duration = Duration::from_secs(4);
/// Warnings and errors stay longer, unless a key press ends them first.
pub const PROBLEM_FOR: Duration = Duration::from_secs(12);
/// A key press ends a warning or an error only once it has been on screen this long, so
/// one that arrives while the user is typing is not wiped before it is seen.
pub const SEEN_AFTER: Duration = Duration::from_millis(1500);

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    pub text: String,
    pub level: Level,
    pub since: Instant,
    /// When it expires.
    pub until: Instant,
}

impl Notice {
    pub fn new(text: String, level: Level, now: Instant) -> Notice {
        let lasts = match level {
            Level::Info => INFO_FOR,
            Level::Warning | Level::Error => PROBLEM_FOR,
        };
        Notice {
            text,
            level,
            since: now,
            until: now + lasts,
        }
    }

    pub fn is_problem(&self) -> bool {
        self.level != Level::Info
    }

    pub fn live_at(&self, now: Instant) -> bool {
        now < self.until
    }

    /// Whether a key pressed at `now` ends it: a warning or an error that has been seen.
    pub fn ends_on_key(&self, now: Instant) -> bool {
        self.is_problem() && now.saturating_duration_since(self.since) >= SEEN_AFTER
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn info_expires_first_and_problems_end_on_a_key_once_seen() {
        let t0 = Instant::now();
        let info = Notice::new("Voice: Analyzer".into(), Level::Info, t0);
        let error = Notice::new("the server failed".into(), Level::Error, t0);
        assert!(info.live_at(t0 + INFO_FOR - Duration::from_millis(1)));
        assert!(!info.live_at(t0 + INFO_FOR));
        assert!(error.live_at(t0 + INFO_FOR));
        assert!(!error.live_at(t0 + PROBLEM_FOR));
        assert!(
            !info.ends_on_key(t0 + SEEN_AFTER),
            "info waits for its time"
        );
        assert!(!error.ends_on_key(t0), "not before it was seen");
        assert!(error.ends_on_key(t0 + SEEN_AFTER));
    }
}
