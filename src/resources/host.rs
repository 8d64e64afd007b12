//! CPU and memory load of this machine, through sysinfo.
//!
//! CPU usage is a difference between two readings, so a meaningful figure needs a
//! `System` refreshed at least [`MINIMUM_CPU_UPDATE_INTERVAL`] earlier: the sampler keeps
//! one between reads, and a one-shot read waits out the interval once.

use std::time::{Duration, Instant};

use serde::Serialize;
use sysinfo::System;

pub use sysinfo::MINIMUM_CPU_UPDATE_INTERVAL;

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct HostLoad {
    /// All cores together, 0–100.
    pub cpu_percent: f32,
    pub memory_total_bytes: u64,
    /// Memory not available to new programs (total less available, as `free` counts it).
    pub memory_used_bytes: u64,
}

impl HostLoad {
    pub fn memory_free_bytes(&self) -> u64 {
        self.memory_total_bytes
            .saturating_sub(self.memory_used_bytes)
    }
}

/// Keeps a `System` between reads so each read's CPU figure covers the time since the last.
pub struct HostSampler {
    sys: System,
    last_cpu_refresh: Instant,
}

impl Default for HostSampler {
    fn default() -> Self {
        Self::new()
    }
}

impl HostSampler {
    /// Takes the first CPU reading, the baseline the next [`HostSampler::sample`] needs.
    pub fn new() -> Self {
        let mut sys = System::new();
        sys.refresh_cpu_usage();
        Self {
            sys,
            last_cpu_refresh: Instant::now(),
        }
    }

    /// Reads the load now. If the previous reading is younger than sysinfo's minimum
    /// interval, first sleeps the rest of it (at most 200 ms), so the CPU figure is real.
    pub fn sample(&mut self) -> HostLoad {
        let age = self.last_cpu_refresh.elapsed();
        if let Some(wait) = MINIMUM_CPU_UPDATE_INTERVAL.checked_sub(age) {
            std::thread::sleep(wait + Duration::from_millis(1));
        }
        self.sys.refresh_cpu_usage();
        self.last_cpu_refresh = Instant::now();
        self.sys.refresh_memory();
        HostLoad {
            cpu_percent: clamp_percent(self.sys.global_cpu_usage()),
            memory_total_bytes: self.sys.total_memory(),
            memory_used_bytes: self.sys.used_memory(),
        }
    }
}

/// One reading for a one-off command: two CPU refreshes the minimum interval apart.
/// Blocks for about 200 ms.
pub fn read_host_once() -> HostLoad {
    HostSampler::new().sample()
}

/// sysinfo can report NaN before it has two readings, or a hair over 100.
fn clamp_percent(p: f32) -> f32 {
    if p.is_finite() {
        p.clamp(0.0, 100.0)
    } else {
        0.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentages_are_kept_in_range() {
        assert_eq!(clamp_percent(f32::NAN), 0.0);
        assert_eq!(clamp_percent(100.4), 100.0);
        assert_eq!(clamp_percent(-1.0), 0.0);
        assert_eq!(clamp_percent(42.5), 42.5);
    }

    #[test]
    fn a_one_shot_read_waits_for_a_real_cpu_figure_and_sees_memory() {
        let start = Instant::now();
        let h = read_host_once();
        assert!(start.elapsed() >= MINIMUM_CPU_UPDATE_INTERVAL);
        assert!((0.0..=100.0).contains(&h.cpu_percent));
        if sysinfo::IS_SUPPORTED_SYSTEM {
            assert!(h.memory_total_bytes > 0);
            assert!(h.memory_used_bytes <= h.memory_total_bytes);
        }
        assert_eq!(
            h.memory_free_bytes(),
            h.memory_total_bytes - h.memory_used_bytes
        );
    }

    #[test]
    fn back_to_back_samples_are_spaced_by_the_minimum_interval() {
        let mut s = HostSampler::new();
        s.sample();
        let start = Instant::now();
        s.sample();
        assert!(start.elapsed() >= MINIMUM_CPU_UPDATE_INTERVAL);
    }
}
