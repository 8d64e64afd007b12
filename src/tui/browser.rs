//! The session history browser's state: the filter as typed, the sessions it matches, the
//! highlighted one's preview. Searches and reads run off the draw path (the runner does
//! them on the blocking pool); each reply carries the generation it answers, so only the
//! newest search is shown.

use super::effects::Preview;
use crate::store::{BrowseRow, SessionId};

#[derive(Debug, Default)]
pub struct Browser {
    pub filter: String,
    pub rows: Vec<BrowseRow>,
    pub selected: usize,
    pub preview: Option<Preview>,
    /// The newest search asked for; older replies are dropped.
    pub generation: u64,
    /// Still waiting for the first results.
    pub searching: bool,
    /// Asking "delete session N?".
    pub confirm_delete: bool,
}

impl Browser {
    pub fn selected_id(&self) -> Option<SessionId> {
        self.rows.get(self.selected).map(|r| r.id)
    }
}
