//! The kinds of decision the store records, and the user's verdict on an answer. Both are
//! stored and shown as their lowercase names, as they always were.

use std::fmt;
use std::str::FromStr;

use rusqlite::types::{ToSql, ToSqlOutput};
use serde::{Deserialize, Serialize};

/// What a stored decision records: the `kind` column of the `decisions` table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DecisionKind {
    /// The routing decision for a request.
    Route,
    /// A server failed or was unusable and another took over.
    Fallback,
    /// The confidence report on a fast draft.
    Confidence,
    /// A draft scored below the threshold and went to the quality server.
    Escalate,
    /// The request finished: backend, timings, tokens.
    Done,
    /// The request failed.
    Error,
    /// The user's verdict on an answer.
    Feedback,
    /// What the finished request taught the router.
    Learning,
}

impl DecisionKind {
    pub const ALL: [DecisionKind; 8] = [
        DecisionKind::Route,
        DecisionKind::Fallback,
        DecisionKind::Confidence,
        DecisionKind::Escalate,
        DecisionKind::Done,
        DecisionKind::Error,
        DecisionKind::Feedback,
        DecisionKind::Learning,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            DecisionKind::Route => "route",
            DecisionKind::Fallback => "fallback",
            DecisionKind::Confidence => "confidence",
            DecisionKind::Escalate => "escalate",
            DecisionKind::Done => "done",
            DecisionKind::Error => "error",
            DecisionKind::Feedback => "feedback",
            DecisionKind::Learning => "learning",
        }
    }
}

impl FromStr for DecisionKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| format!("unknown decision kind `{s}`"))
    }
}

/// Bound in SQL as its name, so queries name kinds by type rather than by literal.
impl ToSql for DecisionKind {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::from(self.as_str()))
    }
}

impl fmt::Display for DecisionKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The user's verdict on an answer (`/good`, the chat's g/b/q keys, `codecrucible
/// feedback`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    Good,
    Bad,
    /// It should have gone to the quality server.
    Quality,
}

impl Verdict {
    pub const ALL: [Verdict; 3] = [Verdict::Good, Verdict::Bad, Verdict::Quality];

    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Good => "good",
            Verdict::Bad => "bad",
            Verdict::Quality => "quality",
        }
    }

    /// Whether the server that answered first did well.
    pub fn confirms(self) -> bool {
        self == Verdict::Good
    }
}

impl ToSql for Verdict {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::from(self.as_str()))
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_and_verdicts_keep_their_stored_names() {
        for k in DecisionKind::ALL {
            assert_eq!(serde_json::to_string(&k).unwrap(), format!("\"{k}\""));
            assert_eq!(k.as_str().parse::<DecisionKind>(), Ok(k));
        }
        assert!("routing".parse::<DecisionKind>().is_err());
        for v in Verdict::ALL {
            assert_eq!(serde_json::to_string(&v).unwrap(), format!("\"{v}\""));
        }
        assert!(Verdict::Good.confirms() && !Verdict::Quality.confirms());
    }
}
