//! From a submitted request to a plan: analyse the prompt, decide the route with what the
//! engine knows about the servers, and apply what the front end forced.

use super::events::{RouteMode, Submit};
use super::Shared;
use crate::backend::{BackendId, ChatMessage, Role};
use crate::config::Provider;
use crate::router::{self, Adjustment, AdjustmentKind, Route, RoutingDecision, Signals};

pub struct Plan {
    pub primary: BackendId,
    pub fallback: Option<BackendId>,
    pub decision: RoutingDecision,
    pub features: crate::router::Features,
    /// Why only one backend may answer, phrased as how to undo it.
    pub forced: Option<String>,
}

/// `files`: the workspace files the request sends, evidence for the task type; `previous`:
/// the server that answered the session's previous turn, which a follow-up prefers.
pub fn plan(shared: &Shared, submit: &Submit, files: &[&str], previous: Option<BackendId>) -> Plan {
    let attachments: Vec<&str> = submit.attachments.iter().map(|a| a.text.as_str()).collect();
    let analysis = router::analyze_with_files(&submit.input, &attachments, files);
    let mut signals = signals(shared);
    signals.learned = shared.learner.preferences(analysis.complexity);
    signals.previous = previous;
    let mut decision = router::decide(
        &analysis,
        submit
            .voice
            .as_ref()
            .map(crate::voice::Voice::prior)
            .as_ref(),
        &shared.config.hybrid.routing,
        &signals,
    );
    let forced = match submit.route {
        RouteMode::Force(b) => {
            force(&mut decision, b);
            Some(format!(
                "you forced {} with {} or --backend; use --backend auto to let {} answer",
                b.label(),
                b.flag(),
                b.other().label()
            ))
        }
        RouteMode::Hybrid => {
            force_hybrid(&mut decision);
            None
        }
        RouteMode::Auto => match shared.config.hybrid.routing.default_provider {
            Provider::Auto => None,
            _ => Some(format!(
                "hybrid.routing.default_provider is \"{}\"; run `codecrucible config set hybrid.routing.defaultProvider auto` to let {} answer",
                decision.selected.as_str(),
                decision.first_backend().other().label()
            )),
        },
    };
    let primary = decision.first_backend();
    let other = primary.other();
    let fallback = (forced.is_none() && shared.slot(other).cfg.enabled).then_some(other);
    Plan {
        primary,
        fallback,
        decision,
        features: analysis.features,
        forced,
    }
}

fn force(decision: &mut RoutingDecision, b: BackendId) {
    let to = Route::only(b);
    if decision.selected != to {
        let reason = format!("you forced {} with {}", b.label(), b.flag());
        decision.reasoning = format!("{} Forced to {}: {reason}.", decision.reasoning, b.label());
        decision.adjustments.push(Adjustment {
            kind: AdjustmentKind::Forced,
            from: decision.selected,
            to,
            reason,
        });
    }
    decision.selected = to;
    decision.confidence = 1.0;
    decision.fallback_strategy = "none: a forced server never falls back".into();
}

fn force_hybrid(decision: &mut RoutingDecision) {
    if decision.selected != Route::Hybrid {
        let reason = "you asked for the hybrid path with --backend hybrid".to_owned();
        decision.reasoning = format!("{} Forced to hybrid: {reason}.", decision.reasoning);
        decision.adjustments.push(Adjustment {
            kind: AdjustmentKind::Forced,
            from: decision.selected,
            to: Route::Hybrid,
            reason,
        });
    }
    decision.selected = Route::Hybrid;
    decision.confidence = 1.0;
}

/// What the router may know about the servers: switched off, recently down, queue depth.
pub fn signals(shared: &Shared) -> Signals {
    let mut s = Signals::default();
    for b in BackendId::ALL {
        let slot = shared.slot(b);
        s.health[b] = slot.state();
        s.queue_depth[b] = slot.queued();
        s.max_concurrent[b] = slot.max_concurrent();
    }
    s.residency = super::resources::residency(shared);
    s
}

/// The conversation for the quality server after a weak draft: the task, the draft, and
/// what was wrong with it.
pub fn escalation_messages(
    mut messages: Vec<ChatMessage>,
    draft: &str,
    problems: &[String],
) -> Vec<ChatMessage> {
    let problems = if problems.is_empty() {
        "it scored below the confidence threshold".to_owned()
    } else {
        problems.join("; ")
    };
    let note = format!(
        "\n\nA faster model drafted the answer below, and it looks weak: {problems}.\n\n<draft>\n{}\n</draft>\n\nWrite a correct and complete answer to the request above. Reuse what is right in the draft; do not mention it.",
        draft.trim()
    );
    match messages.iter_mut().rev().find(|m| m.role == Role::User) {
        Some(last) => last.content.push_str(&note),
        None => messages.push(ChatMessage::new(Role::User, note)),
    }
    messages
}
