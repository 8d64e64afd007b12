//! What moved a routing decision off the route its task type alone says, and why.

use std::fmt;

use serde::Serialize;

use super::task::Route;

/// One thing that moved the route away from what the task type alone says.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Adjustment {
    pub kind: AdjustmentKind,
    pub from: Route,
    pub to: Route,
    pub reason: String,
}

/// What made the move. Serialized as the lowercase name (`"health"`), as `route --json`
/// and the stored decisions have it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum AdjustmentKind {
    /// `hybrid.routing.default_provider` names a server.
    Config,
    /// The request forced a server (`--fast`, `--analyze`, a route mode).
    Forced,
    /// A borderline prompt's runner-up task type, by complexity.
    Complexity,
    /// A borderline prompt's runner-up task type, by the voice's lean.
    Voice,
    /// The learning policy's draw for the class.
    Learning,
    /// The other server already has its model in memory.
    Resident,
    /// The server that answered the session's previous turn holds its prefix in its cache.
    Sticky,
    /// The chosen server is down.
    Health,
    /// The chosen server's queue is full.
    Queue,
}

impl AdjustmentKind {
    pub fn as_str(self) -> &'static str {
        match self {
            AdjustmentKind::Config => "config",
            AdjustmentKind::Forced => "forced",
            AdjustmentKind::Complexity => "complexity",
            AdjustmentKind::Voice => "voice",
            AdjustmentKind::Learning => "learning",
            AdjustmentKind::Resident => "resident",
            AdjustmentKind::Sticky => "sticky",
            AdjustmentKind::Health => "health",
            AdjustmentKind::Queue => "queue",
        }
    }

    /// The server was unusable, not merely a worse fit.
    pub fn is_availability(self) -> bool {
        matches!(self, AdjustmentKind::Health | AdjustmentKind::Queue)
    }
}

impl fmt::Display for AdjustmentKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_serialize_as_their_names() {
        for k in [
            AdjustmentKind::Config,
            AdjustmentKind::Forced,
            AdjustmentKind::Complexity,
            AdjustmentKind::Voice,
            AdjustmentKind::Learning,
            AdjustmentKind::Resident,
            AdjustmentKind::Sticky,
            AdjustmentKind::Health,
            AdjustmentKind::Queue,
        ] {
            let json = serde_json::to_string(&k).unwrap();
            assert_eq!(json, format!("\"{}\"", k.as_str()));
        }
    }
}
