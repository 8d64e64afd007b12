//! Token log probabilities: what a backend reports and the confidence scorer reads.
//!
//! A leaf, so that `confidence` (pure, no I/O) need not depend on the backends that
//! produce them (DESIGN.md, Layout).

use serde::{Deserialize, Serialize};

/// One token's log probability.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TokenLogprob {
    pub token: String,
    pub logprob: f64,
}
