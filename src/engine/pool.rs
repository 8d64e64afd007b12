//! A role's servers: one [`Slot`] per endpoint (`[[hybrid.<role>.endpoints]]`, or the
//! section's single `endpoint`), each with its own limiter and breaker, and the choice of
//! the one a request goes to. With one endpoint a pool is exactly the slot it holds.
//!
//! The choice ([`choose`]) is pure: among the endpoints that are up and may have the
//! model, the one that served the session's previous turn while it has room (its KV cache
//! holds the conversation's prefix, so the first token comes sooner), else the least
//! loaded for its weight.

use std::sync::Arc;

use super::breaker::Ready;
use super::context::Calibration;
use super::events::{BackendHealth, BackendLoad};
use super::slot::{Claim, Slot};
use crate::backend::{models::same_model, Backend, BackendError, BackendId, ServerInfo};
use crate::config::{BackendConfig, CircuitBreaker};
use crate::router::BackendState;

pub struct Pool {
    pub id: BackendId,
    /// The role's section: what its endpoints share (enabled, models, timeouts, ...).
    pub cfg: BackendConfig,
    /// The role's characters per token, shared with every endpoint's slot.
    pub tokens: Arc<Calibration>,
    members: Vec<Member>,
}

struct Member {
    slot: Slot,
    weight: f64,
}

/// The endpoint a request goes to, counted against it while this is held.
pub struct Picked<'a> {
    /// Its place in the role's list, to avoid it on a retry.
    pub index: usize,
    pub slot: &'a Slot,
    _claim: Claim,
}

impl Pool {
    /// The role's endpoints from its config section.
    pub fn new(id: BackendId, cfg: &BackendConfig, breaker: CircuitBreaker) -> Self {
        let endpoints = cfg.resolved_endpoints();
        let several = endpoints.len() > 1;
        let tokens = Arc::new(Calibration::default());
        let members = endpoints
            .into_iter()
            .map(|e| Member {
                slot: Slot::new(id, &e.cfg, breaker).in_pool(Arc::clone(&tokens), several),
                weight: e.weight,
            })
            .collect();
        Self::from_members(id, cfg, tokens, members)
    }

    /// The role served by one given client (tests and embedding): a single endpoint.
    pub fn with_backend(
        id: BackendId,
        cfg: &BackendConfig,
        breaker: CircuitBreaker,
        backend: Arc<dyn Backend>,
    ) -> Self {
        let tokens = Arc::new(Calibration::default());
        let slot =
            Slot::with_backend(id, cfg, breaker, backend).in_pool(Arc::clone(&tokens), false);
        let members = vec![Member { slot, weight: 1.0 }];
        Self::from_members(id, cfg, tokens, members)
    }

    fn from_members(
        id: BackendId,
        cfg: &BackendConfig,
        tokens: Arc<Calibration>,
        members: Vec<Member>,
    ) -> Self {
        Self {
            id,
            cfg: cfg.clone(),
            tokens,
            members,
        }
    }

    /// The endpoints in the order the config lists them.
    pub fn slots(&self) -> impl Iterator<Item = &Slot> {
        self.members.iter().map(|m| &m.slot)
    }

    /// More than one endpoint: displays and events name each by its address.
    pub fn several(&self) -> bool {
        self.members.len() > 1
    }

    fn first(&self) -> &Slot {
        // A pool is built from at least one endpoint (`resolved_endpoints` never is empty).
        &self.members[0].slot
    }

    /// Switched off (`enabled` is the role's, so every endpoint says the same).
    pub fn disabled_error(&self) -> Option<BackendError> {
        self.first().disabled_error()
    }

    /// Whether the role may take a request now: some endpoint is closed, else the first
    /// whose breaker lets a probe through (taking it, as a single server's gate does).
    pub fn gate(&self) -> Result<(), BackendError> {
        if self.slots().any(|s| s.readiness() == Ready::Closed) {
            return Ok(());
        }
        let mut first_error = None;
        for s in self.slots() {
            match s.gate() {
                Ok(()) => return Ok(()),
                Err(e) => {
                    first_error.get_or_insert(e);
                }
            }
        }
        first_error.map_or(Ok(()), Err)
    }

    /// The role's state for routing: the best of its endpoints' (up, unknown, cooling).
    pub fn state(&self) -> BackendState {
        let states: Vec<BackendState> = self.slots().map(Slot::state).collect();
        [
            BackendState::Up,
            BackendState::Unknown,
            BackendState::Cooling,
        ]
        .into_iter()
        .find(|want| states.contains(want))
        .unwrap_or(BackendState::Disabled)
    }

    /// Requests waiting for a permit on any endpoint.
    pub fn queued(&self) -> usize {
        self.slots().map(Slot::queued).sum()
    }

    /// The role's capacity: requests its endpoints take at once.
    pub fn max_concurrent(&self) -> usize {
        self.slots().map(|s| s.cfg.max_concurrent).sum()
    }

    /// The role's load, summed over its endpoints.
    pub fn load(&self) -> BackendLoad {
        self.slots().map(Slot::load).fold(
            BackendLoad {
                backend: self.id,
                in_flight: 0,
                queued: 0,
                max_concurrent: 0,
            },
            |a, l| BackendLoad {
                in_flight: a.in_flight + l.in_flight,
                queued: a.queued + l.queued,
                max_concurrent: a.max_concurrent + l.max_concurrent,
                ..a
            },
        )
    }

    /// Probes every endpoint at once, in the config's order.
    pub async fn health(&self) -> Vec<BackendHealth> {
        futures_util::future::join_all(self.slots().map(Slot::health)).await
    }

    /// The role's models: those of the endpoint a request would go to now, or of the next
    /// that answers when it does not.
    pub async fn info(&self) -> Result<ServerInfo, BackendError> {
        let likely = self.likely_index();
        let order = std::iter::once(likely).chain((0..self.members.len()).filter(|&i| i != likely));
        let mut first_error = None;
        for i in order {
            match self.members[i].slot.info().await {
                Ok(info) => return Ok(info),
                Err(e) => {
                    first_error.get_or_insert(e);
                }
            }
        }
        // A pool always has an endpoint, so some error was kept.
        Err(first_error.unwrap_or_else(|| {
            let why = format!("{} has no endpoint configured", self.id.label());
            BackendError::new(self.id, crate::backend::ErrorKind::Unreachable, why)
        }))
    }

    /// Has every endpoint that may take a request list its models (from cache while
    /// fresh), so that a model the user named goes to an endpoint that has it. Failures
    /// are left for the request itself to meet.
    pub async fn know_models(&self) {
        let ready = self.slots().filter(|s| s.readiness() != Ready::No);
        futures_util::future::join_all(ready.map(Slot::info)).await;
    }

    /// The endpoint a request without a preference would go to now (for routing's view of
    /// which model is resident). Claims nothing.
    pub fn likely(&self) -> &Slot {
        &self.members[self.likely_index()].slot
    }

    fn likely_index(&self) -> usize {
        let all: Vec<usize> = (0..self.members.len()).collect();
        choose(&self.candidates(None, &all), None)
            .map(|i| all[i])
            .unwrap_or(0)
    }

    /// The endpoint for a request's first try: see [`choose`]. When no endpoint may take a
    /// request (all cooling down), the first listed, whose gate then says so.
    pub fn pick_first(&self, model: Option<&str>, prefer: Option<&str>) -> Picked<'_> {
        let all: Vec<usize> = (0..self.members.len()).collect();
        let i = choose(&self.candidates(model, &all), prefer)
            .map(|i| all[i])
            .unwrap_or(0);
        self.picked(i)
    }

    /// Another endpoint after endpoint `failed` could not take the request, if one may.
    pub fn pick_other(&self, model: Option<&str>, failed: usize) -> Option<Picked<'_>> {
        let rest: Vec<usize> = (0..self.members.len()).filter(|&i| i != failed).collect();
        let i = choose(&self.candidates(model, &rest), None)?;
        Some(self.picked(rest[i]))
    }

    fn picked(&self, index: usize) -> Picked<'_> {
        let slot = &self.members[index].slot;
        Picked {
            index,
            slot,
            _claim: slot.claim(),
        }
    }

    fn candidates(&self, model: Option<&str>, which: &[usize]) -> Vec<Candidate<'_>> {
        which
            .iter()
            .map(|&i| {
                let Member { slot, weight } = &self.members[i];
                let has_model = model.and_then(|want| {
                    let info = slot.cached_info()?;
                    Some(
                        info.models
                            .iter()
                            .any(|m| same_model(slot.cfg.api, &m.name, want)),
                    )
                });
                Candidate {
                    name: slot.name(),
                    ready: if slot.cfg.enabled {
                        slot.readiness()
                    } else {
                        Ready::No
                    },
                    has_model,
                    busy: slot.busy(),
                    max_concurrent: slot.cfg.max_concurrent.max(1),
                    weight: *weight,
                }
            })
            .collect()
    }
}

/// What the choice knows of one endpoint.
#[derive(Debug, Clone)]
pub struct Candidate<'a> {
    /// Its address, as a previous turn recorded it.
    pub name: &'a str,
    pub ready: Ready,
    /// Whether it has the model asked for, from its last model list; `None`: not known,
    /// or no particular model was asked for.
    pub has_model: Option<bool>,
    /// Requests it is busy with or committed to ([`Slot::busy`]).
    pub busy: usize,
    pub max_concurrent: usize,
    pub weight: f64,
}

/// The endpoint a request goes to, as an index into `candidates`; `None` when none may
/// take it now.
///
/// - Only endpoints whose breaker is closed, or, when there are none, those whose
///   cool-down is over (the request probes one). A recovering server is not handed a
///   user's request while a working one can take it; health checks probe it meanwhile.
/// - Of those, the ones that have the model or may have it; if none does, all of them
///   (the server's own answer then says what is missing).
/// - `prefer` (the endpoint that served the session's previous turn) when it is among
///   them and has room: fewer requests than its `max_concurrent`.
/// - Otherwise, among those with room (all of them when none has: the request then
///   queues), the lowest `(busy + 1) / (max_concurrent × weight)`: the share of its
///   weighted capacity the endpoint would have in use with this request. A weight of 2
///   counts as twice the capacity, so over a busy period it gets about twice the requests
///   of a weight-1 endpoint with the same `max_concurrent`; and among idle endpoints the
///   one with the most weighted capacity is first. Ties go to the first listed.
pub fn choose(candidates: &[Candidate<'_>], prefer: Option<&str>) -> Option<usize> {
    let tier = |r: Ready| -> Vec<usize> {
        (0..candidates.len())
            .filter(|&i| candidates[i].ready == r)
            .collect()
    };
    let mut open = tier(Ready::Closed);
    if open.is_empty() {
        open = tier(Ready::Probe);
    }
    let with_model: Vec<usize> = open
        .iter()
        .copied()
        .filter(|&i| candidates[i].has_model != Some(false))
        .collect();
    let eligible = if with_model.is_empty() {
        open
    } else {
        with_model
    };
    let has_room = |c: &Candidate<'_>| c.busy < c.max_concurrent;
    if let Some(p) = prefer {
        if let Some(&i) = eligible
            .iter()
            .find(|&&i| candidates[i].name == p && has_room(&candidates[i]))
        {
            return Some(i);
        }
    }
    let roomy: Vec<usize> = eligible
        .iter()
        .copied()
        .filter(|&i| has_room(&candidates[i]))
        .collect();
    let score = |c: &Candidate<'_>| (c.busy as f64 + 1.0) / (c.max_concurrent as f64 * c.weight);
    let mut best: Option<(usize, f64)> = None;
    for i in if roomy.is_empty() { eligible } else { roomy } {
        let s = score(&candidates[i]);
        if best.is_none_or(|(_, b)| s < b) {
            best = Some((i, s));
        }
    }
    best.map(|(i, _)| i)
}

/// The endpoint of `backend` that answered the session's latest finished turn there, from
/// its stored `done` decisions (set only for roles with several endpoints).
pub fn served_last(
    store: &crate::store::Store,
    session: crate::store::SessionId,
    backend: BackendId,
) -> Option<String> {
    let decisions = store.decisions(session).ok()?;
    decisions
        .iter()
        .rev()
        .filter(|d| d.kind == crate::store::DecisionKind::Done)
        .find(|d| d.data["backend"] == backend.as_str())?
        .data["endpoint"]
        .as_str()
        .map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(name: &str, busy: usize, max: usize, weight: f64) -> Candidate<'_> {
        Candidate {
            name,
            ready: Ready::Closed,
            has_model: None,
            busy,
            max_concurrent: max,
            weight,
        }
    }

    #[test]
    fn the_least_loaded_endpoint_is_chosen_and_ties_go_to_the_first() {
        let list = [c("a", 1, 2, 1.0), c("b", 0, 2, 1.0), c("c", 0, 2, 1.0)];
        assert_eq!(choose(&list, None), Some(1));
        let idle = [c("a", 0, 2, 1.0), c("b", 0, 2, 1.0)];
        assert_eq!(choose(&idle, None), Some(0));
        // Load is relative to capacity: 2 of 8 is less loaded than 1 of 2.
        let sizes = [c("small", 1, 2, 1.0), c("big", 2, 8, 1.0)];
        assert_eq!(choose(&sizes, None), Some(1));
    }

    #[test]
    fn weights_share_the_requests_in_proportion() {
        // Simulate requests that stay open: each goes where the choice says.
        let mut busy = [0usize; 2];
        for _ in 0..9 {
            let list = [c("a", busy[0], 16, 1.0), c("b", busy[1], 16, 2.0)];
            busy[choose(&list, None).unwrap()] += 1;
        }
        assert_eq!(busy, [3, 6]);
        // A heavier endpoint that is full does not take a request another has room for.
        let list = [c("a", 3, 4, 1.0), c("b", 2, 2, 10.0)];
        assert_eq!(choose(&list, None), Some(0));
        let full = [c("a", 4, 4, 1.0), c("b", 2, 2, 10.0)];
        assert_eq!(
            choose(&full, None),
            Some(1),
            "all full: it queues by weight"
        );
    }

    #[test]
    fn endpoints_that_cannot_take_the_request_are_passed_over() {
        let mut down = c("a", 0, 2, 1.0);
        down.ready = Ready::No;
        let list = [down.clone(), c("b", 1, 2, 1.0)];
        assert_eq!(choose(&list, None), Some(1));
        // A recovering one (cool-down over) only when nothing closed is left.
        let mut probe = c("p", 0, 2, 1.0);
        probe.ready = Ready::Probe;
        assert_eq!(choose(&[probe.clone(), c("b", 1, 2, 1.0)], None), Some(1));
        assert_eq!(choose(&[down.clone(), probe], None), Some(1));
        assert_eq!(choose(&[down], None), None);
    }

    #[test]
    fn an_endpoint_known_to_lack_the_model_is_skipped_unless_all_do() {
        let mut lacks = c("a", 0, 2, 1.0);
        lacks.has_model = Some(false);
        let mut has = c("b", 1, 2, 1.0);
        has.has_model = Some(true);
        let unknown = c("c", 1, 2, 1.0);
        assert_eq!(choose(&[lacks.clone(), has], None), Some(1));
        assert_eq!(choose(&[lacks.clone(), unknown], None), Some(1));
        assert_eq!(choose(&[lacks.clone(), lacks], None), Some(0));
    }

    #[test]
    fn the_previous_turns_endpoint_is_kept_while_it_is_up_and_has_room() {
        let list = [c("a", 0, 2, 1.0), c("b", 1, 2, 1.0)];
        assert_eq!(choose(&list, Some("b")), Some(1), "sticky though busier");
        let full = [c("a", 0, 2, 1.0), c("b", 2, 2, 1.0)];
        assert_eq!(choose(&full, Some("b")), Some(0), "full: the least loaded");
        let mut down = c("b", 0, 2, 1.0);
        down.ready = Ready::No;
        assert_eq!(choose(&[c("a", 1, 2, 1.0), down], Some("b")), Some(0));
        assert_eq!(
            choose(&list, Some("gone")),
            Some(0),
            "unknown name: no preference"
        );
    }
}
