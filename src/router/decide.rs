//! The routing decision: a pure function of the analysis, the voice, the config and what
//! the engine knows about the servers. No I/O, so it is cheap and exhaustively testable.

use serde::Serialize;

use super::adjustment::{Adjustment, AdjustmentKind};
use super::analyze::Analysis;
use super::learn::LearnedPreference;
use super::task::{Route, TaskType};
use crate::backend_id::{BackendId, PerBackend};
use crate::config::{Provider, Routing};

/// A server's state as far as routing is concerned.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BackendState {
    #[default]
    Unknown,
    Up,
    Down,
    /// The circuit breaker is open: failed repeatedly, left alone for a cool-down.
    Cooling,
    Disabled,
}

impl BackendState {
    /// Worth sending a request to: up, or not yet known to be down.
    pub fn usable(self) -> bool {
        matches!(self, BackendState::Unknown | BackendState::Up)
    }
}

/// Whether the model a server would answer with is in memory.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Residency {
    /// Nothing known (no probe yet, or the server does not say).
    #[default]
    Unknown,
    Loaded {
        model: String,
    },
    /// The model would have to be loaded first; `fits` says whether its size fits in the
    /// GPU memory free now (`None` when there is no GPU reading).
    MustLoad {
        model: String,
        size_bytes: Option<u64>,
        fits: Option<bool>,
    },
}

/// What the engine knows about the servers right now.
#[derive(Debug, Clone, Default)]
pub struct Signals {
    pub health: PerBackend<BackendState>,
    pub queue_depth: PerBackend<usize>,
    pub max_concurrent: PerBackend<usize>,
    pub learned: Vec<LearnedPreference>,
    pub residency: PerBackend<Residency>,
    /// The server that answered the session's previous turn (a follow-up), if any.
    pub previous: Option<BackendId>,
}

impl Signals {
    fn state(&self, b: BackendId) -> BackendState {
        self.health[b]
    }
    fn queue(&self, b: BackendId) -> usize {
        self.queue_depth[b]
    }
}

/// A voice's pull toward a route, for borderline prompts only.
#[derive(Debug, Clone, Serialize)]
pub struct VoicePrior {
    pub name: String,
    pub route: Route,
    pub bias: f32,
}

/// The seed's `TaskRoutingDecision`, with the task type, complexity and adjustments.
#[derive(Debug, Clone, Serialize)]
pub struct RoutingDecision {
    pub selected: Route,
    pub confidence: f32,
    pub reasoning: String,
    pub fallback_strategy: String,
    pub task_type: TaskType,
    pub complexity: f32,
    pub adjustments: Vec<Adjustment>,
}

impl RoutingDecision {
    /// The backend that answers first.
    pub fn first_backend(&self) -> BackendId {
        self.selected.first_backend()
    }
}

/// A prompt is borderline when its top two task types are this close.
const BORDERLINE: f32 = 0.2;

pub fn decide(
    analysis: &Analysis,
    voice: Option<&VoicePrior>,
    routing: &Routing,
    signals: &Signals,
) -> RoutingDecision {
    let mut task = analysis.task_type;
    let mut route = task.route();
    let mut adjustments = Vec::new();
    let mut confidence = route_probability(analysis, route);
    let forced = match routing.default_provider {
        Provider::Auto => None,
        Provider::Lmstudio => Some(Route::Lmstudio),
        Provider::Ollama => Some(Route::Ollama),
    };
    if let Some(to) = forced {
        push(
            &mut adjustments,
            AdjustmentKind::Config,
            route,
            to,
            format!("hybrid.routing.default_provider is \"{}\"", to.as_str()),
        );
        route = to;
        confidence = 1.0;
    } else {
        if let Some((t, r)) = borderline_move(analysis, voice) {
            let (kind, reason) = r;
            push(&mut adjustments, kind, route, t.route(), reason);
            task = t;
            route = t.route();
            confidence = route_probability(analysis, route);
        }
        if let Some(pref) = learned(analysis, task, signals) {
            let reason = format!(
                "learned from {} past {} requests in this complexity band ({:.0}% sure)",
                pref.samples,
                task,
                pref.strength * 100.0
            );
            push(
                &mut adjustments,
                AdjustmentKind::Learning,
                route,
                pref.route,
                reason,
            );
            route = pref.route;
            confidence = pref.strength;
        }
        let borderline = analysis.task_confidence < BORDERLINE;
        route = sticky(route, borderline, signals, &mut adjustments);
        route = resident(route, borderline, signals, &mut adjustments);
        route = availability(route, signals, &mut adjustments);
    }
    if adjustments.iter().any(|a| a.kind.is_availability()) {
        confidence *= 0.8;
    }
    let confidence = (confidence * 100.0).round() / 100.0;
    RoutingDecision {
        selected: route,
        confidence: confidence.clamp(0.0, 1.0),
        reasoning: reasoning(analysis, task, route, &adjustments),
        fallback_strategy: fallback_strategy(
            route,
            forced.is_some(),
            routing.escalation_threshold,
            signals,
        ),
        task_type: task,
        complexity: (analysis.complexity * 100.0).round() / 100.0,
        adjustments,
    }
}

fn push(list: &mut Vec<Adjustment>, kind: AdjustmentKind, from: Route, to: Route, reason: String) {
    if from != to {
        list.push(Adjustment {
            kind,
            from,
            to,
            reason,
        });
    }
}

/// The probability mass of every task type that takes `route`.
fn route_probability(a: &Analysis, route: Route) -> f32 {
    TaskType::ALL
        .iter()
        .filter(|t| t.route() == route)
        .map(|t| a.probabilities[t.index()])
        .sum()
}

/// For a borderline prompt whose runner-up task type takes another route, complexity or
/// the voice may tip it to the runner-up.
fn borderline_move(
    a: &Analysis,
    voice: Option<&VoicePrior>,
) -> Option<(TaskType, (AdjustmentKind, String))> {
    if a.task_confidence >= BORDERLINE {
        return None;
    }
    let runner_up = TaskType::ALL
        .into_iter()
        .filter(|t| *t != a.task_type)
        .max_by(|x, y| a.probabilities[x.index()].total_cmp(&a.probabilities[y.index()]))?;
    let (from, to) = (a.task_type.route(), runner_up.route());
    if from == to {
        return None;
    }
    let heavier = weight(to) > weight(from);
    if heavier && a.complexity >= 0.6 {
        let why = format!(
            "borderline between {} and {}, and complexity {:.2} is high",
            a.task_type, runner_up, a.complexity
        );
        return Some((runner_up, (AdjustmentKind::Complexity, why)));
    }
    if !heavier && a.complexity <= 0.2 {
        let why = format!(
            "borderline between {} and {}, and complexity {:.2} is low",
            a.task_type, runner_up, a.complexity
        );
        return Some((runner_up, (AdjustmentKind::Complexity, why)));
    }
    let v = voice?;
    let margin = a.probabilities[a.task_type.index()] - a.probabilities[runner_up.index()];
    (v.route == to && v.bias >= margin).then(|| {
        let why = format!(
            "borderline between {} and {}; the {} voice leans to {}",
            a.task_type,
            runner_up,
            v.name,
            to.as_str()
        );
        (runner_up, (AdjustmentKind::Voice, why))
    })
}

fn weight(r: Route) -> u8 {
    match r {
        Route::Lmstudio => 0,
        Route::Hybrid => 1,
        Route::Ollama => 2,
    }
}

fn learned<'a>(a: &Analysis, task: TaskType, s: &'a Signals) -> Option<&'a LearnedPreference> {
    let band = super::learn::band(a.complexity);
    s.learned
        .iter()
        .find(|p| p.task_type == task && p.band == band && p.route != task.route())
}

/// Keeps a follow-up on the server that answered the session's previous turn, where the
/// route allows either server (hybrid, or a borderline task type): that server's KV cache
/// already holds the conversation, so its time to first token stays low (issue 16, "Warm
/// prompt caches"). A hybrid request whose previous turn the quality server answered goes
/// to it directly; one the fast server answered already starts there. A clear single route
/// is never moved, and a forced route is applied after this and wins.
fn sticky(route: Route, borderline: bool, s: &Signals, adj: &mut Vec<Adjustment>) -> Route {
    let Some(prev) = s.previous else {
        return route;
    };
    let both_usable = BackendId::ALL.iter().all(|b| s.state(*b).usable());
    if !(route == Route::Hybrid || borderline) || !both_usable {
        return route;
    }
    let to = Route::only(prev);
    if route == to || (route == Route::Hybrid && prev == BackendId::Lmstudio) {
        return route;
    }
    let reason = format!(
        "{} answered this session's previous turn, and its cache holds the conversation",
        prev.label()
    );
    push(adj, AdjustmentKind::Sticky, route, to, reason);
    to
}

/// Prefers a resident model: when both servers could serve a hybrid or borderline
/// request, one whose model is loaded wins over one that would first have to load a model
/// that does not fit in the free GPU memory. Nothing is ever unloaded.
fn resident(route: Route, borderline: bool, s: &Signals, adj: &mut Vec<Adjustment>) -> Route {
    use BackendId::{Lmstudio as Fast, Ollama as Quality};
    if !(route == Route::Hybrid || borderline)
        || !s.state(Fast).usable()
        || !s.state(Quality).usable()
    {
        return route;
    }
    let stuck = |b: BackendId| match &s.residency[b] {
        Residency::MustLoad {
            model,
            size_bytes: Some(size),
            fits: Some(false),
        } => Some((model.clone(), *size)),
        _ => None,
    };
    let loaded = |b: BackendId| match &s.residency[b] {
        Residency::Loaded { model } => Some(model.clone()),
        _ => None,
    };
    // Hybrid needs both; a borderline single route needs its own server.
    let candidates: &[BackendId] = match route {
        Route::Hybrid => &[Fast, Quality],
        r => &[r.first_backend()],
    };
    for &b in candidates {
        let (Some((model, size)), Some(other_model)) = (stuck(b), loaded(b.other())) else {
            continue;
        };
        let to = Route::only(b.other());
        let reason = format!(
            "{} would first have to load {model} ({:.1} GiB), which does not fit in free GPU memory, while {} has {other_model} loaded",
            b.label(),
            size as f64 / (1u64 << 30) as f64,
            b.other().label()
        );
        push(adj, AdjustmentKind::Resident, route, to, reason);
        return to;
    }
    route
}

/// Moves the route off a server that is down, switched off, or deeply queued while the
/// other one is idle.
fn availability(route: Route, s: &Signals, adj: &mut Vec<Adjustment>) -> Route {
    use BackendId::{Lmstudio as Fast, Ollama as Quality};
    let (fast, quality) = (s.state(Fast), s.state(Quality));
    let to = match route {
        Route::Lmstudio if !fast.usable() && quality.usable() => {
            Some((Route::Ollama, state_reason(Fast, fast)))
        }
        Route::Ollama if !quality.usable() && fast.usable() => {
            Some((Route::Lmstudio, state_reason(Quality, quality)))
        }
        Route::Hybrid if !fast.usable() && quality.usable() => {
            Some((Route::Ollama, state_reason(Fast, fast)))
        }
        Route::Hybrid if !quality.usable() && fast.usable() => Some((
            Route::Lmstudio,
            format!(
                "{}, so there is nothing to escalate to",
                state_reason(Quality, quality)
            ),
        )),
        _ => None,
    };
    if let Some((to, reason)) = to {
        push(adj, AdjustmentKind::Health, route, to, reason);
        return to;
    }
    let first = route.first_backend();
    let other = first.other();
    let limit = s.max_concurrent[first].max(1);
    if s.queue(first) >= 2 * limit && s.queue(other) == 0 && s.state(other).usable() {
        let to = Route::only(other);
        let reason = format!(
            "{} has {} requests waiting and {} is idle",
            first.label(),
            s.queue(first),
            other.label()
        );
        push(adj, AdjustmentKind::Queue, route, to, reason);
        return to;
    }
    route
}

fn state_reason(b: BackendId, state: BackendState) -> String {
    match state {
        BackendState::Disabled => format!("{} is switched off", b.label()),
        BackendState::Cooling => format!("{} is cooling down after repeated failures", b.label()),
        _ => format!("{} is down", b.label()),
    }
}

fn reasoning(a: &Analysis, task: TaskType, route: Route, adj: &[Adjustment]) -> String {
    let mut because: Vec<String> = a
        .evidence
        .iter()
        .filter(|e| e.task == task)
        .take(3)
        .map(|e| e.what.clone())
        .collect();
    if because.is_empty() {
        because.push("no strong cue".into());
    }
    let mut s = format!(
        "{} task ({}; complexity {:.2}), so {}",
        task,
        because.join(", "),
        a.complexity,
        route.label()
    );
    for x in adj {
        s += &format!(
            "; moved {} → {}: {}",
            x.from.as_str(),
            x.to.as_str(),
            x.reason
        );
    }
    s.push('.');
    s
}

fn fallback_strategy(route: Route, forced: bool, threshold: f64, s: &Signals) -> String {
    if forced {
        return "none: default_provider forces one server".into();
    }
    let other_up = |b: BackendId| s.state(b).usable();
    match route {
        Route::Lmstudio if other_up(BackendId::Ollama) => "if LM Studio is unavailable, Ollama answers".into(),
        Route::Ollama if other_up(BackendId::Lmstudio) => "if Ollama is unavailable, LM Studio answers".into(),
        Route::Hybrid => format!(
            "start on LM Studio and escalate to Ollama when confidence is below {threshold:.2}; if LM Studio is unavailable, Ollama answers"
        ),
        _ => "none: the other server is unavailable".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use crate::router::analyze;

    fn routing() -> Routing {
        Config::default().hybrid.routing
    }

    fn up() -> Signals {
        Signals {
            health: PerBackend::splat(BackendState::Up),
            max_concurrent: PerBackend::new(2, 1),
            ..Signals::default()
        }
    }

    #[test]
    fn the_route_follows_the_task_type() {
        let cases = [
            ("fix the typo in the error message string", Route::Lmstudio),
            (
                "why does this deadlock when two workers start at once?",
                Route::Ollama,
            ),
            ("implement a leaky-bucket throttle in Rust", Route::Hybrid),
        ];
        for (p, want) in cases {
            let d = decide(&analyze(p, &[]), None, &routing(), &up());
            assert_eq!(d.selected, want, "{p}: {}", d.reasoning);
            assert!(d.adjustments.is_empty());
            assert!(d.confidence > 0.0 && d.confidence <= 1.0);
        }
    }

    #[test]
    fn default_provider_forces_with_an_adjustment() {
        let mut r = routing();
        r.default_provider = Provider::Lmstudio;
        let d = decide(
            &analyze("plan the migration to Postgres", &[]),
            None,
            &r,
            &up(),
        );
        assert_eq!(d.selected, Route::Lmstudio);
        assert_eq!(d.adjustments[0].kind, AdjustmentKind::Config);
        assert_eq!(d.confidence, 1.0);
        assert!(d.fallback_strategy.starts_with("none"));
    }

    #[test]
    fn health_moves_the_route_and_says_so() {
        let mut s = up();
        s.health[BackendId::Ollama] = BackendState::Down;
        let d = decide(
            &analyze("audit this handler for XSS", &[]),
            None,
            &routing(),
            &s,
        );
        assert_eq!(d.selected, Route::Lmstudio);
        assert_eq!(d.adjustments[0].kind, AdjustmentKind::Health);
        assert!(d.reasoning.contains("Ollama is down"), "{}", d.reasoning);
        let d = decide(
            &analyze("implement a trie in Go", &[]),
            None,
            &routing(),
            &s,
        );
        assert_eq!(
            d.selected,
            Route::Lmstudio,
            "hybrid without a quality server is fast only"
        );
        s.health = PerBackend::new(BackendState::Disabled, BackendState::Up);
        let d = decide(
            &analyze("implement a trie in Go", &[]),
            None,
            &routing(),
            &s,
        );
        assert_eq!(d.selected, Route::Ollama);
        assert!(d.reasoning.contains("switched off"));
    }

    #[test]
    fn a_deep_queue_moves_to_an_idle_server() {
        let mut s = up();
        s.queue_depth = PerBackend::new(5, 0);
        let d = decide(&analyze("reformat this JSON", &[]), None, &routing(), &s);
        assert_eq!(d.selected, Route::Ollama);
        assert_eq!(d.adjustments[0].kind, AdjustmentKind::Queue);
        s.queue_depth = PerBackend::new(1, 0);
        let d = decide(&analyze("reformat this JSON", &[]), None, &routing(), &s);
        assert_eq!(d.selected, Route::Lmstudio);
    }

    fn must_load(fits: bool) -> Residency {
        Residency::MustLoad {
            model: "big:70b".into(),
            size_bytes: Some(40 << 30),
            fits: Some(fits),
        }
    }

    #[test]
    fn a_resident_model_wins_a_hybrid_request() {
        let a = analyze("implement a trie in Go", &[]);
        let mut s = up();
        s.residency = PerBackend::new(
            Residency::Loaded {
                model: "small".into(),
            },
            must_load(false),
        );
        let d = decide(&a, None, &routing(), &s);
        assert_eq!(d.selected, Route::Lmstudio);
        assert_eq!(d.adjustments[0].kind, AdjustmentKind::Resident);
        assert!(
            d.reasoning.contains("does not fit in free GPU memory"),
            "{}",
            d.reasoning
        );
        // A model that fits, or one whose fit is unknown, moves nothing.
        s.residency[BackendId::Ollama] = must_load(true);
        assert_eq!(decide(&a, None, &routing(), &s).selected, Route::Hybrid);
        s.residency[BackendId::Ollama] = Residency::Unknown;
        assert_eq!(decide(&a, None, &routing(), &s).selected, Route::Hybrid);
        // The fast side stuck and the quality side resident: straight to quality.
        s.residency = PerBackend::new(must_load(false), Residency::Loaded { model: "q".into() });
        assert_eq!(decide(&a, None, &routing(), &s).selected, Route::Ollama);
    }

    #[test]
    fn a_follow_up_stays_on_the_server_that_answered_when_the_route_allows_either() {
        let hybrid = analyze("implement a trie in Go", &[]);
        let mut s = up();
        assert_eq!(
            decide(&hybrid, None, &routing(), &s).selected,
            Route::Hybrid
        );
        // The quality server answered the last turn: the follow-up goes straight to it.
        s.previous = Some(BackendId::Ollama);
        let d = decide(&hybrid, None, &routing(), &s);
        assert_eq!(d.selected, Route::Ollama);
        assert_eq!(
            d.adjustments.last().map(|a| a.kind),
            Some(AdjustmentKind::Sticky)
        );
        assert!(d.reasoning.contains("previous turn"), "{}", d.reasoning);
        // The fast server answered it: hybrid already starts there; nothing moves.
        s.previous = Some(BackendId::Lmstudio);
        let d = decide(&hybrid, None, &routing(), &s);
        assert_eq!(d.selected, Route::Hybrid);
        assert!(d
            .adjustments
            .iter()
            .all(|a| a.kind != AdjustmentKind::Sticky));
        // A clear single route is the task's, whoever answered before.
        let clear = analyze("reformat this JSON file with two-space indentation", &[]);
        assert!(clear.task_confidence >= BORDERLINE);
        s.previous = Some(BackendId::Ollama);
        assert_eq!(
            decide(&clear, None, &routing(), &s).selected,
            Route::Lmstudio
        );
        // A server that is down is never stuck to.
        s.previous = Some(BackendId::Ollama);
        s.health[BackendId::Ollama] = BackendState::Down;
        let d = decide(&hybrid, None, &routing(), &s);
        assert_eq!(d.selected, Route::Lmstudio);
        assert!(d
            .adjustments
            .iter()
            .all(|a| a.kind != AdjustmentKind::Sticky));
    }

    #[test]
    fn residency_does_not_move_a_clear_single_route() {
        let a = analyze("reformat this JSON file with two-space indentation", &[]);
        assert!(a.task_confidence >= BORDERLINE);
        let mut s = up();
        s.residency = PerBackend::new(must_load(false), Residency::Loaded { model: "q".into() });
        assert_eq!(decide(&a, None, &routing(), &s).selected, Route::Lmstudio);
    }

    #[test]
    fn learned_preferences_apply_per_task_and_band() {
        let a = analyze("implement a trie in Go", &[]);
        let band = crate::router::learn::band(a.complexity);
        let mut s = up();
        s.learned.push(LearnedPreference {
            task_type: TaskType::Generation,
            band,
            route: Route::Ollama,
            strength: 0.8,
            samples: 40,
        });
        let d = decide(&a, None, &routing(), &s);
        assert_eq!(d.selected, Route::Ollama);
        assert_eq!(d.adjustments[0].kind, AdjustmentKind::Learning);
        s.learned[0].band = (band + 1) % 3;
        assert_eq!(decide(&a, None, &routing(), &s).selected, Route::Hybrid);
    }

    #[test]
    fn a_voice_only_tips_borderline_prompts() {
        let analyzer = VoicePrior {
            name: "Analyzer".into(),
            route: Route::Ollama,
            bias: 0.25,
        };
        let clear = analyze("reformat this file with prettier", &[]);
        let d = decide(&clear, Some(&analyzer), &routing(), &up());
        assert_eq!(
            d.selected,
            Route::Lmstudio,
            "a clear prompt ignores the voice"
        );
        // Build a borderline analysis by hand: edit narrowly ahead of debugging.
        let mut a = analyze("change this", &[]);
        a.task_type = TaskType::Edit;
        a.probabilities = [0.0; 11];
        a.probabilities[TaskType::Edit.index()] = 0.45;
        a.probabilities[TaskType::Debugging.index()] = 0.40;
        a.task_confidence = 0.05;
        a.complexity = 0.4;
        let d = decide(&a, Some(&analyzer), &routing(), &up());
        assert_eq!(d.selected, Route::Ollama);
        assert_eq!(d.task_type, TaskType::Debugging);
        assert_eq!(d.adjustments[0].kind, AdjustmentKind::Voice);
        assert_eq!(
            decide(&a, None, &routing(), &up()).selected,
            Route::Lmstudio
        );
    }

    #[test]
    fn complexity_tips_a_borderline_case() {
        let mut a = analyze("change this", &[]);
        a.task_type = TaskType::Edit;
        a.probabilities = [0.0; 11];
        a.probabilities[TaskType::Edit.index()] = 0.45;
        a.probabilities[TaskType::Refactor.index()] = 0.40;
        a.task_confidence = 0.05;
        a.complexity = 0.75;
        let d = decide(&a, None, &routing(), &up());
        assert_eq!(d.selected, Route::Hybrid);
        assert_eq!(d.adjustments[0].kind, AdjustmentKind::Complexity);
    }

    #[test]
    fn the_reasoning_names_the_deciding_features() {
        let d = decide(
            &analyze("create a SECURITY.md file for the project", &[]),
            None,
            &routing(),
            &up(),
        );
        assert_eq!(d.task_type, TaskType::Boilerplate);
        assert!(
            d.reasoning.contains("template") || d.reasoning.contains("security.md"),
            "{}",
            d.reasoning
        );
    }
}
