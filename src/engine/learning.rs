//! The engine's side of learning: the policy in memory for routing, the store as its
//! lasting copy (shared with other instances and the `feedback` command).

use std::sync::{Arc, Mutex};

use crate::router::learn::{self, ClassSummary, Policy};
use crate::router::LearnedPreference;
use crate::store::{Observation, Store};

pub struct Learner {
    policy: Mutex<Policy>,
    store: Option<Arc<Store>>,
    /// `hybrid.routing.learning_enabled`: without it outcomes are still recorded, but they
    /// do not move routes.
    enabled: bool,
}

impl Learner {
    /// Loads what earlier runs learned. A store that cannot be read starts learning afresh.
    pub fn new(enabled: bool, store: Option<Arc<Store>>, seed: u64) -> Self {
        let mut policy = Policy::new(seed);
        if let Some(s) = &store {
            match s.learning() {
                Ok(rows) => {
                    for (task, band, stats) in rows {
                        policy.set(task, band, stats);
                    }
                }
                Err(e) => tracing::warn!("learning data: {e}"),
            }
        }
        Self {
            policy: Mutex::new(policy),
            store,
            enabled,
        }
    }

    /// This request's Thompson draws for its complexity band (none when learning is off).
    pub fn preferences(&self, complexity: f32) -> Vec<LearnedPreference> {
        if !self.enabled {
            return Vec::new();
        }
        match self.policy.lock() {
            Ok(mut p) => p.preferences(learn::band(complexity)),
            Err(_) => Vec::new(),
        }
    }

    /// Adds an outcome. With a store, the store's update (atomic across processes) is
    /// the truth and the memory copy takes its result. Called on the history writer's
    /// thread, since it writes.
    pub fn observe(&self, o: &Observation) {
        let stored = self.store.as_ref().and_then(|s| match s.learn(o, 1.0) {
            Ok(stats) => Some(stats),
            Err(e) => {
                tracing::warn!("learning data: {e}");
                None
            }
        });
        if let Ok(mut p) = self.policy.lock() {
            match stored {
                Some(stats) => p.set(o.task_type, o.band, stats),
                None => p.observe(o.task_type, o.band, o.arm, o.success, 1.0),
            }
        }
    }

    /// Takes up what the store now holds for an observation's class (after feedback, which
    /// the store applies itself).
    pub fn reload(&self, store: &Store, o: &Observation) {
        let rows = match store.learning() {
            Ok(rows) => rows,
            Err(e) => {
                tracing::warn!("learning data: {e}");
                return;
            }
        };
        let row = rows
            .into_iter()
            .find(|(task, band, _)| *task == o.task_type && *band == o.band);
        if let (Some((task, band, stats)), Ok(mut p)) = (row, self.policy.lock()) {
            p.set(task, band, stats);
        }
    }

    /// Where every class stands, for live metrics.
    pub fn summary(&self) -> Vec<ClassSummary> {
        self.policy.lock().map(|p| p.summary()).unwrap_or_default()
    }
}
