//! The seed's `HybridMetrics`, computed from the store so that any process can read them.

use rusqlite::params;
use serde::Serialize;

use super::{DecisionKind, Store, StoreError, Verdict};
use crate::router::learn::{summarize, ClassSummary};

#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct BackendMetrics {
    pub backend: String,
    /// Requests this backend finished or failed.
    pub requests: i64,
    /// Finished requests answered from the response cache; they are left out of the
    /// latency and speed figures.
    pub cached: i64,
    /// Mean time from request to last token, in ms, of the finished ones.
    pub avg_response_ms: Option<f64>,
    pub avg_ttft_ms: Option<f64>,
    pub avg_tokens_per_second: Option<f64>,
    /// Finished / (finished + failed).
    pub success_rate: Option<f64>,
}

#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct RoutingMetrics {
    /// Requests routed.
    pub requests: i64,
    /// Hybrid drafts that were scored.
    pub scored_drafts: i64,
    pub escalations: i64,
    /// Share of scored drafts that were escalated.
    pub escalation_rate: Option<f64>,
    /// Share of routed requests whose first route held: not escalated and not rejected by
    /// feedback (`bad` or `quality`).
    pub routing_accuracy: Option<f64>,
    /// Scored drafts per confidence fifth: [0,0.2), [0.2,0.4), … [0.8,1].
    pub confidence_distribution: [i64; 5],
}

#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct Metrics {
    pub since_ms: Option<i64>,
    pub backends: Vec<BackendMetrics>,
    pub routing: RoutingMetrics,
    pub learning: LearningProgress,
}

/// How far learning has moved routes (all time: the statistics decay rather than expire).
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct LearningProgress {
    /// Outcomes learned from.
    pub observations: u64,
    /// Task classes (task type × complexity band) whose evidence now favours another
    /// route than the task type's own.
    pub moved: usize,
    pub classes: Vec<ClassSummary>,
}

fn ratio(a: i64, b: i64) -> Option<f64> {
    (b > 0).then(|| a as f64 / b as f64)
}

impl Store {
    /// Metrics over everything recorded since `since_ms` (unix ms), or all time.
    pub fn metrics(&self, since_ms: Option<i64>) -> Result<Metrics, StoreError> {
        let since = since_ms.unwrap_or(0);
        self.with("compute metrics", |c| {
            let count = |kind: DecisionKind| -> rusqlite::Result<i64> {
                c.query_row("SELECT COUNT(*) FROM decisions WHERE kind = ?1 AND created_at >= ?2", params![kind, since], |r| r.get(0))
            };
            let mut backends: Vec<BackendMetrics> = Vec::new();
            let mut stmt = c.prepare(
                "SELECT json_extract(data, '$.backend') AS b, COUNT(*), AVG(IIF(c, NULL, json_extract(data, '$.total_ms'))),
                        AVG(IIF(c, NULL, json_extract(data, '$.ttft_ms'))), AVG(IIF(c, NULL, json_extract(data, '$.tokens_per_second'))),
                        SUM(c)
                 FROM (SELECT data, COALESCE(json_extract(data, '$.cached'), 0) AS c FROM decisions
                       WHERE kind = ?2 AND created_at >= ?1)
                 GROUP BY b ORDER BY b",
            )?;
            let done = stmt.query_map(params![since, DecisionKind::Done], |r| {
                Ok(BackendMetrics {
                    backend: r.get::<_, Option<String>>(0)?.unwrap_or_default(),
                    requests: r.get(1)?,
                    avg_response_ms: r.get(2)?,
                    avg_ttft_ms: r.get(3)?,
                    avg_tokens_per_second: r.get(4)?,
                    cached: r.get::<_, Option<i64>>(5)?.unwrap_or(0),
                    success_rate: None,
                })
            })?;
            for b in done {
                backends.push(b?);
            }
            let mut stmt = c.prepare(
                "SELECT json_extract(data, '$.backend') AS b, COUNT(*) FROM decisions
                 WHERE kind = ?2 AND created_at >= ?1 GROUP BY b",
            )?;
            let failed: Vec<(String, i64)> = stmt
                .query_map(params![since, DecisionKind::Error], |r| Ok((r.get::<_, Option<String>>(0)?.unwrap_or_default(), r.get(1)?)))?
                .collect::<rusqlite::Result<_>>()?;
            for b in &mut backends {
                let errors = failed.iter().find(|(n, _)| *n == b.backend).map_or(0, |(_, n)| *n);
                b.success_rate = ratio(b.requests, b.requests + errors);
                b.requests += errors;
            }
            for (name, errors) in failed.iter().filter(|(n, _)| !n.is_empty()) {
                if !backends.iter().any(|b| &b.backend == name) {
                    backends.push(BackendMetrics { backend: name.clone(), requests: *errors, success_rate: Some(0.0), ..Default::default() });
                }
            }
            let mut distribution = [0i64; 5];
            let mut stmt = c.prepare("SELECT json_extract(data, '$.score') FROM decisions WHERE kind = ?2 AND created_at >= ?1")?;
            for score in stmt.query_map(params![since, DecisionKind::Confidence], |r| r.get::<_, Option<f64>>(0))? {
                if let Some(s) = score? {
                    distribution[((s * 5.0) as usize).min(4)] += 1;
                }
            }
            let requests = count(DecisionKind::Route)?;
            let escalations = count(DecisionKind::Escalate)?;
            let rejected: i64 = c.query_row(
                "SELECT COUNT(*) FROM decisions WHERE kind = ?2 AND created_at >= ?1
                   AND json_extract(data, '$.verdict') IN (?3, ?4)",
                params![since, DecisionKind::Feedback, Verdict::Bad, Verdict::Quality],
                |r| r.get(0),
            )?;
            let scored = distribution.iter().sum();
            let routing = RoutingMetrics {
                requests,
                scored_drafts: scored,
                escalations,
                escalation_rate: ratio(escalations, scored),
                routing_accuracy: ratio((requests - escalations - rejected).max(0), requests),
                confidence_distribution: distribution,
            };
            Ok(Metrics { since_ms, backends, routing, learning: LearningProgress::default() })
        })
        .and_then(|mut m| {
            m.learning = self.learning_progress()?;
            Ok(m)
        })
    }

    fn learning_progress(&self) -> Result<LearningProgress, StoreError> {
        let classes: Vec<ClassSummary> = self
            .learning()?
            .iter()
            .map(|(task, band, stats)| summarize(*task, *band, stats))
            .collect();
        Ok(LearningProgress {
            observations: classes.iter().map(|c| c.observations).sum(),
            moved: classes.iter().filter(|c| c.preferred != c.default).count(),
            classes,
        })
    }
}

/// Parses "30m", "24h", "7d" or "90s" into milliseconds.
pub fn parse_duration_ms(s: &str) -> Option<i64> {
    let s = s.trim();
    let (num, unit) = s.split_at(s.find(|c: char| !c.is_ascii_digit())?);
    let n: i64 = num.parse().ok()?;
    let unit_ms = match unit.trim() {
        "s" => 1_000,
        "m" => 60_000,
        "h" => 3_600_000,
        "d" => 86_400_000,
        "w" => 7 * 86_400_000,
        _ => return None,
    };
    n.checked_mul(unit_ms)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Status;

    #[test]
    fn figures_come_from_recorded_decisions() {
        let s = Store::in_memory().unwrap();
        let id = s.create_session("x", None).unwrap();
        s.add_message(id, "user", "x", Status::Complete, None, None)
            .unwrap();
        for _ in 0..4 {
            s.record_decision(id, None, DecisionKind::Route, r#"{"type":"route"}"#)
                .unwrap();
        }
        s.record_decision(
            id,
            None,
            DecisionKind::Done,
            r#"{"backend":"lmstudio","total_ms":100.0,"ttft_ms":10.0,"tokens_per_second":40.0}"#,
        )
        .unwrap();
        s.record_decision(
            id,
            None,
            DecisionKind::Done,
            r#"{"backend":"lmstudio","total_ms":300.0,"ttft_ms":30.0,"tokens_per_second":20.0}"#,
        )
        .unwrap();
        s.record_decision(
            id,
            None,
            DecisionKind::Done,
            r#"{"backend":"ollama","total_ms":900.0,"ttft_ms":90.0,"tokens_per_second":10.0}"#,
        )
        .unwrap();
        s.record_decision(
            id,
            None,
            DecisionKind::Error,
            r#"{"backend":"ollama","message":"x"}"#,
        )
        .unwrap();
        s.record_decision(id, None, DecisionKind::Confidence, r#"{"score":0.95}"#)
            .unwrap();
        s.record_decision(id, None, DecisionKind::Confidence, r#"{"score":0.1}"#)
            .unwrap();
        s.record_decision(id, None, DecisionKind::Escalate, r#"{"confidence":0.1}"#)
            .unwrap();
        let m = s.metrics(None).unwrap();
        let lm = &m.backends[0];
        assert_eq!(
            (
                lm.backend.as_str(),
                lm.requests,
                lm.avg_response_ms,
                lm.success_rate
            ),
            ("lmstudio", 2, Some(200.0), Some(1.0))
        );
        let ol = &m.backends[1];
        assert_eq!((ol.requests, ol.success_rate), (2, Some(0.5)));
        assert_eq!(m.routing.escalation_rate, Some(0.5));
        assert_eq!(m.routing.routing_accuracy, Some(0.75));
        assert_eq!(m.routing.confidence_distribution, [1, 0, 0, 0, 1]);
        assert_eq!(s.metrics(Some(i64::MAX)).unwrap().routing.requests, 0);
    }

    #[test]
    fn durations_parse() {
        assert_eq!(parse_duration_ms("24h"), Some(86_400_000));
        assert_eq!(parse_duration_ms("30m"), Some(1_800_000));
        assert_eq!(parse_duration_ms("7d"), Some(604_800_000));
        assert_eq!(parse_duration_ms("soon"), None);
        assert_eq!(parse_duration_ms("5"), None);
    }
}
