//! Routing: which server a request goes to, and why.
//!
//! [`analyze`] reads the prompt (with its attachments) into a task type, a complexity and
//! the features that led there; [`decide`] turns that, the voice, the config and the
//! servers' state into a [`RoutingDecision`]. Neither does any I/O.

mod adjustment;
mod analyze;
pub mod classifier;
mod decide;
pub mod learn;
mod lexicon;
mod task;
pub mod text;
pub mod train;

pub use analyze::{analyze, analyze_with_files, Analysis, Evidence, Features};

/// Builds the cue index and decodes the classifier now (a few milliseconds), so that the
/// first request does not pay for it.
pub fn warm() {
    let _ = analyze("warm up", &[]);
}
pub use adjustment::{Adjustment, AdjustmentKind};
pub use decide::{decide, BackendState, Residency, RoutingDecision, Signals, VoicePrior};
pub use learn::LearnedPreference;
pub use lexicon::phrases as cue_phrases;
pub use task::{Route, TaskType};
