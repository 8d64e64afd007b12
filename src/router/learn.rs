//! The learning policy: for each (task type, complexity band), Beta posteriors over "the
//! fast server's first answer held up" and "the quality server's answer held up", and a
//! Thompson draw between them for every request.
//!
//! Why Thompson sampling: it needs no tuning of an exploration rate. A class whose fast
//! drafts keep escalating soon draws the quality arm nearly every time, yet the fast arm is
//! still tried now and then, so a better fast model is noticed. Old evidence fades by
//! decay: each new observation in a class shrinks both arms' evidence toward their priors,
//! so the policy remembers roughly the last `1 / (1 - DECAY)` requests of a class.
//!
//! Pure and seeded: no I/O, no clock, and the same seed gives the same draws.

use serde::{Deserialize, Serialize};

use super::task::{Route, TaskType};

/// The learning policy's draw for one task type and complexity band: present only when it
/// moves the class off its own route. [`super::decide`] applies it.
#[derive(Debug, Clone, Serialize)]
pub struct LearnedPreference {
    pub task_type: TaskType,
    /// Complexity band: 0 for [0, 1/3), 1 for [1/3, 2/3), 2 for [2/3, 1].
    pub band: u8,
    pub route: Route,
    /// How likely `route` really is the better one, in [0,1]: below 0.5 the draw is
    /// exploring.
    pub strength: f32,
    pub samples: u32,
}

/// Evidence kept per class observation: about the last 50 requests of a class count.
pub const DECAY: f64 = 0.98;
/// The quality server's answer is worth this much less than an equally good fast one:
/// it is slower and costs the bigger model's time.
pub const QUALITY_COST: f64 = 0.3;
/// A class needs this much (decayed) evidence before learning may move its route.
pub const MIN_EVIDENCE: f64 = 3.0;
/// Explicit user feedback counts as this many observations.
pub const FEEDBACK_WEIGHT: f64 = 2.0;

/// Which server answered first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Arm {
    /// The fast server answered first (the fast route, or hybrid).
    Fast,
    /// The quality server answered first.
    Quality,
}

impl Arm {
    pub fn as_str(self) -> &'static str {
        match self {
            Arm::Fast => "fast",
            Arm::Quality => "quality",
        }
    }

    /// The arm a request's first backend stands for.
    pub fn of(first: crate::backend_id::BackendId) -> Arm {
        match first {
            crate::backend_id::BackendId::Lmstudio => Arm::Fast,
            crate::backend_id::BackendId::Ollama => Arm::Quality,
        }
    }
}

/// The complexity band of a request: 0 for [0, 1/3), 1 for [1/3, 2/3), 2 for [2/3, 1].
pub fn band(complexity: f32) -> u8 {
    ((complexity.max(0.0) * 3.0) as u8).min(2)
}

/// Decayed success and failure counts of one arm, on top of its prior.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Evidence {
    pub successes: f64,
    pub failures: f64,
}

impl Evidence {
    fn total(self) -> f64 {
        self.successes + self.failures
    }
}

/// Everything learned about one (task type, complexity band).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct ClassStats {
    pub fast: Evidence,
    pub quality: Evidence,
    /// Observations ever made in this class (not decayed), for "learning progress".
    pub observations: u64,
}

impl ClassStats {
    /// Adds one outcome: both arms' old evidence fades, then the new one counts `weight`.
    pub fn observe(&mut self, arm: Arm, success: bool, weight: f64) {
        for e in [&mut self.fast, &mut self.quality] {
            e.successes *= DECAY;
            e.failures *= DECAY;
        }
        let e = match arm {
            Arm::Fast => &mut self.fast,
            Arm::Quality => &mut self.quality,
        };
        if success {
            e.successes += weight;
        } else {
            e.failures += weight;
        }
        self.observations += 1;
    }

    fn evidence(&self) -> f64 {
        self.fast.total() + self.quality.total()
    }
}

/// Beta(α, β) parameters: the prior plus the evidence.
fn posterior(prior: (f64, f64), e: Evidence) -> (f64, f64) {
    (prior.0 + e.successes, prior.1 + e.failures)
}

/// The fast arm's prior follows the analyser: likely fine where the task type goes fast,
/// doubtful where it goes to the quality server.
fn fast_prior(task: TaskType) -> (f64, f64) {
    match task.route() {
        Route::Ollama => (1.0, 2.0),
        Route::Lmstudio | Route::Hybrid => (2.0, 1.0),
    }
}

const QUALITY_PRIOR: (f64, f64) = (3.0, 1.0);

/// The route that sends a class to the fast server first: its own route when that starts
/// fast, else hybrid, so that a weak fast answer still escalates.
pub fn fast_route(task: TaskType) -> Route {
    match task.route() {
        Route::Ollama => Route::Hybrid,
        r => r,
    }
}

/// How a class's route has moved, for the metrics' "learning progress".
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ClassSummary {
    pub task_type: TaskType,
    pub band: u8,
    pub observations: u64,
    /// Posterior mean of "a fast first answer holds up".
    pub fast_holds: f64,
    /// Posterior mean of "a quality answer holds up".
    pub quality_holds: f64,
    /// The route the evidence favours now (by posterior means).
    pub preferred: Route,
    /// The task type's own route, before learning.
    pub default: Route,
}

/// The policy: statistics per class and a seeded random source for the draws.
#[derive(Debug, Clone)]
pub struct Policy {
    classes: std::collections::BTreeMap<(TaskType, u8), ClassStats>,
    rng: SplitMix64,
}

impl Policy {
    pub fn new(seed: u64) -> Self {
        Self {
            classes: Default::default(),
            rng: SplitMix64(seed),
        }
    }

    /// Replaces a class's statistics (loaded from the store, or updated there).
    pub fn set(&mut self, task: TaskType, band: u8, stats: ClassStats) {
        self.classes.insert((task, band), stats);
    }

    pub fn stats(&self, task: TaskType, band: u8) -> ClassStats {
        self.classes.get(&(task, band)).copied().unwrap_or_default()
    }

    pub fn observe(&mut self, task: TaskType, band: u8, arm: Arm, success: bool, weight: f64) {
        self.classes
            .entry((task, band))
            .or_default()
            .observe(arm, success, weight);
    }

    pub fn clear(&mut self) {
        self.classes.clear();
    }

    /// Thompson draws for every class in `band` with enough evidence; a preference is
    /// returned only where the draw moves the class off its own route.
    pub fn preferences(&mut self, band: u8) -> Vec<LearnedPreference> {
        let classes: Vec<(TaskType, ClassStats)> = self
            .classes
            .iter()
            .filter(|((_, b), s)| *b == band && s.evidence() >= MIN_EVIDENCE)
            .map(|((t, _), s)| (*t, *s))
            .collect();
        classes
            .into_iter()
            .filter_map(|(task, stats)| self.draw(task, band, stats))
            .collect()
    }

    fn draw(&mut self, task: TaskType, band: u8, s: ClassStats) -> Option<LearnedPreference> {
        let (fa, fb) = posterior(fast_prior(task), s.fast);
        let (qa, qb) = posterior(QUALITY_PRIOR, s.quality);
        let fast = self.rng.beta(fa, fb);
        let quality = self.rng.beta(qa, qb) * (1.0 - QUALITY_COST);
        let route = if fast >= quality {
            fast_route(task)
        } else {
            Route::Ollama
        };
        (route != task.route()).then(|| LearnedPreference {
            task_type: task,
            band,
            route,
            strength: win_probability(route == Route::Ollama, (fa, fb), (qa, qb)) as f32,
            samples: s.observations.min(u64::from(u32::MAX)) as u32,
        })
    }

    /// Where every class stands, for metrics.
    pub fn summary(&self) -> Vec<ClassSummary> {
        self.classes
            .iter()
            .map(|((task, band), s)| summarize(*task, *band, s))
            .collect()
    }
}

pub fn summarize(task: TaskType, band: u8, s: &ClassStats) -> ClassSummary {
    let mean = |(a, b): (f64, f64)| a / (a + b);
    let fast_holds = mean(posterior(fast_prior(task), s.fast));
    let quality_holds = mean(posterior(QUALITY_PRIOR, s.quality));
    let preferred = if fast_holds >= quality_holds * (1.0 - QUALITY_COST) {
        fast_route(task)
    } else {
        Route::Ollama
    };
    ClassSummary {
        task_type: task,
        band,
        observations: s.observations,
        fast_holds: (fast_holds * 1000.0).round() / 1000.0,
        quality_holds: (quality_holds * 1000.0).round() / 1000.0,
        preferred,
        default: task.route(),
    }
}

/// The probability that the chosen arm really is the better one, from a normal
/// approximation of the two Beta posteriors: how sure the learned move is.
fn win_probability(quality_chosen: bool, fast: (f64, f64), quality: (f64, f64)) -> f64 {
    let moments = |(a, b): (f64, f64), scale: f64| {
        let n = a + b;
        let mean = a / n;
        let var = a * b / (n * n * (n + 1.0));
        (mean * scale, var * scale * scale)
    };
    let (mf, vf) = moments(fast, 1.0);
    let (mq, vq) = moments(quality, 1.0 - QUALITY_COST);
    let z = (mq - mf) / (vf + vq).sqrt().max(1e-9);
    let p_quality = normal_cdf(z);
    let p = if quality_chosen {
        p_quality
    } else {
        1.0 - p_quality
    };
    (p * 100.0).round() / 100.0
}

/// Φ(z) by the Abramowitz–Stegun 7.1.26 approximation of erf (error < 1.5e-7).
fn normal_cdf(z: f64) -> f64 {
    let x = z.abs() / std::f64::consts::SQRT_2;
    let t = 1.0 / (1.0 + 0.327_591_1 * x);
    let poly = t
        * (0.254_829_592
            + t * (-0.284_496_736
                + t * (1.421_413_741 + t * (-1.453_152_027 + t * 1.061_405_429))));
    let erf = 1.0 - poly * (-x * x).exp();
    if z >= 0.0 {
        0.5 * (1.0 + erf)
    } else {
        0.5 * (1.0 - erf)
    }
}

/// A small, fast, seedable generator (SplitMix64): enough for Thompson draws, and it keeps
/// the policy free of a random-number dependency.
#[derive(Debug, Clone)]
struct SplitMix64(u64);

impl SplitMix64 {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in (0, 1).
    fn uniform(&mut self) -> f64 {
        ((self.next_u64() >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    }

    fn normal(&mut self) -> f64 {
        let (u, v) = (self.uniform(), self.uniform());
        (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
    }

    /// Gamma(shape, 1) by Marsaglia and Tsang; shapes below 1 use the boost
    /// Gamma(a) = Gamma(a + 1) · U^(1/a).
    fn gamma(&mut self, shape: f64) -> f64 {
        if shape < 1.0 {
            let u = self.uniform();
            return self.gamma(shape + 1.0) * u.powf(1.0 / shape);
        }
        let d = shape - 1.0 / 3.0;
        let c = 1.0 / (9.0 * d).sqrt();
        loop {
            let x = self.normal();
            let v = (1.0 + c * x).powi(3);
            if v <= 0.0 {
                continue;
            }
            let u = self.uniform();
            if u.ln() < 0.5 * x * x + d - d * v + d * v.ln() {
                return d * v;
            }
        }
    }

    fn beta(&mut self, a: f64, b: f64) -> f64 {
        let x = self.gamma(a.max(1e-3));
        let y = self.gamma(b.max(1e-3));
        x / (x + y)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn without_evidence_nothing_moves() {
        let mut p = Policy::new(7);
        assert!(p.preferences(1).is_empty());
        p.observe(TaskType::Generation, 1, Arm::Fast, false, 1.0);
        assert!(p.preferences(1).is_empty(), "one failure is not enough");
    }

    #[test]
    fn a_class_whose_fast_answers_fail_moves_to_quality() {
        let mut p = Policy::new(7);
        for _ in 0..8 {
            p.observe(TaskType::Generation, 1, Arm::Fast, false, 1.0);
        }
        let moved = (0..100)
            .filter(|_| {
                p.preferences(1)
                    .iter()
                    .any(|x| x.task_type == TaskType::Generation && x.route == Route::Ollama)
            })
            .count();
        assert!(moved >= 85, "moved {moved}/100");
        // Other bands and classes are untouched.
        assert!(p.preferences(0).is_empty());
        let s = summarize(TaskType::Generation, 1, &p.stats(TaskType::Generation, 1));
        assert_eq!(s.preferred, Route::Ollama);
    }

    #[test]
    fn a_class_whose_fast_answers_hold_stays_fast() {
        let mut p = Policy::new(3);
        for _ in 0..20 {
            p.observe(TaskType::Refactor, 0, Arm::Fast, true, 1.0);
        }
        let moved = (0..200).filter(|_| !p.preferences(0).is_empty()).count();
        assert!(moved <= 4, "moved {moved}/200");
    }

    #[test]
    fn a_quality_class_tried_fast_with_success_may_go_hybrid() {
        let mut p = Policy::new(11);
        for _ in 0..30 {
            p.observe(TaskType::Debugging, 2, Arm::Fast, true, 1.0);
        }
        let prefs = p.preferences(2);
        assert!(prefs
            .iter()
            .all(|x| x.route == Route::Hybrid && x.task_type == TaskType::Debugging));
        assert!(!prefs.is_empty());
    }

    #[test]
    fn old_evidence_fades() {
        let mut s = ClassStats::default();
        for _ in 0..10 {
            s.observe(Arm::Fast, false, 1.0);
        }
        let before = s.fast.failures;
        for _ in 0..100 {
            s.observe(Arm::Quality, true, 1.0);
        }
        assert!(
            s.fast.failures < before * 0.2,
            "{} vs {before}",
            s.fast.failures
        );
        assert_eq!(s.observations, 110);
    }

    #[test]
    fn the_same_seed_draws_the_same_routes() {
        let run = |seed| {
            let mut p = Policy::new(seed);
            for i in 0..6 {
                p.observe(TaskType::Generation, 1, Arm::Fast, i % 3 == 0, 1.0);
            }
            (0..50).map(|_| p.preferences(1).len()).collect::<Vec<_>>()
        };
        assert_eq!(run(42), run(42));
    }

    #[test]
    fn beta_draws_have_the_right_mean() {
        let mut r = SplitMix64(1);
        let n = 20_000;
        let mean: f64 = (0..n).map(|_| r.beta(2.0, 6.0)).sum::<f64>() / n as f64;
        assert!((mean - 0.25).abs() < 0.01, "{mean}");
        let small: f64 = (0..n).map(|_| r.gamma(0.5)).sum::<f64>() / n as f64;
        assert!((small - 0.5).abs() < 0.03, "{small}");
    }

    #[test]
    fn normal_cdf_is_right() {
        assert!((normal_cdf(0.0) - 0.5).abs() < 1e-6);
        assert!((normal_cdf(1.96) - 0.975).abs() < 1e-3);
        assert!((normal_cdf(-1.96) - 0.025).abs() < 1e-3);
    }
}
