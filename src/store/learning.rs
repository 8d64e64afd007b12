//! The router's learning statistics: one row per (task type, complexity band), updated in
//! a write transaction so that two instances learning at once lose no observation.

use rusqlite::{params, OptionalExtension, TransactionBehavior};

use super::{now_ms, DecisionKind, MessageId, SessionId, Store, StoreError, Verdict};
use crate::router::learn::{Arm, ClassStats, FEEDBACK_WEIGHT};
use crate::router::TaskType;

/// What a finished request taught the router, kept with its answer so that later feedback
/// on that answer can correct it.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Observation {
    pub task_type: TaskType,
    pub band: u8,
    pub arm: Arm,
    pub success: bool,
}

impl Store {
    /// Every class's statistics.
    pub fn learning(&self) -> Result<Vec<(TaskType, u8, ClassStats)>, StoreError> {
        let rows: Vec<(String, u8, String)> = self.with("read the learning data", |c| {
            let mut stmt = c.prepare_cached("SELECT task_type, band, stats FROM learning")?;
            let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
            rows.collect()
        })?;
        // A row this version cannot read (an unknown task type) is skipped, not fatal.
        Ok(rows
            .into_iter()
            .filter_map(|(t, band, json)| {
                Some((
                    TaskType::parse(&t)?,
                    band,
                    serde_json::from_str(&json).ok()?,
                ))
            })
            .collect())
    }

    /// Adds one observation to its class and returns the class's new statistics.
    pub fn learn(&self, o: &Observation, weight: f64) -> Result<ClassStats, StoreError> {
        let mut conn = self.conn.lock().map_err(|_| {
            StoreError("the history database is unusable after an earlier crash".into())
        })?;
        let fail = |e: rusqlite::Error| StoreError::from_sqlite("update the learning data", &e);
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(fail)?;
        let key = o.task_type.as_str();
        let old: Option<String> = tx
            .query_row(
                "SELECT stats FROM learning WHERE task_type = ?1 AND band = ?2",
                params![key, o.band],
                |r| r.get(0),
            )
            .optional()
            .map_err(fail)?;
        let mut stats: ClassStats = old
            .and_then(|j| serde_json::from_str(&j).ok())
            .unwrap_or_default();
        stats.observe(o.arm, o.success, weight);
        let json = serde_json::to_string(&stats).unwrap_or_default();
        tx.execute(
            "INSERT INTO learning (task_type, band, stats, updated_at) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (task_type, band) DO UPDATE SET stats = ?3, updated_at = ?4",
            params![key, o.band, json, now_ms()],
        )
        .map_err(fail)?;
        tx.commit().map_err(fail)?;
        Ok(stats)
    }

    /// Forgets everything learned; returns how many classes had data.
    pub fn clear_learning(&self) -> Result<usize, StoreError> {
        self.with("clear the learning data", |c| {
            c.execute("DELETE FROM learning", [])
        })
    }

    /// Feedback on a stored answer teaches the router: `good` confirms the server that
    /// answered first, `bad` and `quality` count against it, with more weight than an
    /// automatic outcome. Returns the observation made, or `None` when the answer taught
    /// nothing (a cached answer, a fallback, or one saved before learning existed).
    pub fn learn_from_feedback(
        &self,
        session: SessionId,
        message: MessageId,
        verdict: Verdict,
    ) -> Result<Option<Observation>, StoreError> {
        let json: Option<String> = self.with("read the answer's routing", |c| {
            c.query_row(
                "SELECT data FROM decisions WHERE session_id = ?1 AND message_id = ?2 AND kind = ?3
                 ORDER BY id DESC LIMIT 1",
                params![session, message, DecisionKind::Learning],
                |r| r.get(0),
            )
            .optional()
        })?;
        let Some(mut o) = json.and_then(|j| serde_json::from_str::<Observation>(&j).ok()) else {
            return Ok(None);
        };
        o.success = verdict.confirms();
        self.learn(&o, FEEDBACK_WEIGHT)?;
        Ok(Some(o))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn obs(success: bool) -> Observation {
        Observation {
            task_type: TaskType::Generation,
            band: 1,
            arm: Arm::Fast,
            success,
        }
    }

    #[test]
    fn observations_accumulate_and_clear() {
        let s = Store::in_memory().unwrap();
        s.learn(&obs(false), 1.0).unwrap();
        let stats = s.learn(&obs(true), 1.0).unwrap();
        assert_eq!(stats.observations, 2);
        let all = s.learning().unwrap();
        assert_eq!(all.len(), 1);
        assert_eq!(all[0].2, stats);
        assert_eq!(s.clear_learning().unwrap(), 1);
        assert!(s.learning().unwrap().is_empty());
    }

    #[test]
    fn feedback_counts_against_the_arm_that_answered() {
        let s = Store::in_memory().unwrap();
        let session = s.create_session("implement a trie", None).unwrap();
        let msg = s
            .add_message(
                session,
                "assistant",
                "code",
                super::super::Status::Complete,
                Some("lmstudio"),
                None,
            )
            .unwrap();
        let json = serde_json::to_string(&obs(true)).unwrap();
        s.record_decision(session, Some(msg), DecisionKind::Learning, &json)
            .unwrap();
        let o = s
            .learn_from_feedback(session, msg, Verdict::Quality)
            .unwrap()
            .unwrap();
        assert!(!o.success);
        let stats = s.learning().unwrap()[0].2;
        assert_eq!(stats.fast.failures, FEEDBACK_WEIGHT);
        // An answer with no learning record (cached, say) teaches nothing.
        let other = s
            .add_message(
                session,
                "assistant",
                "x",
                super::super::Status::Complete,
                None,
                None,
            )
            .unwrap();
        assert!(s
            .learn_from_feedback(session, other, Verdict::Bad)
            .unwrap()
            .is_none());
    }
}
