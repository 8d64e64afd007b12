//! The key vocabulary: where keys act ([`Context`]), what they do ([`Action`]), how they
//! are written and matched ([`KeyChord`]), the config's `[keys.*]` tables ([`Keys`]), and
//! the checked [`Keymap`] built from them.
//!
//! Below both `config` (which holds and checks the `[keys.*]` tables) and `tui` (which
//! looks keys up); it imports neither (DESIGN.md, Layout).

mod action;
mod bindings;
mod chord;
mod context;
mod keymap;
#[cfg(test)]
mod testing;

pub use action::{unknown_action, Action};
pub use bindings::{KeySpec, Keys};
pub use chord::{KeyChord, KEY_SYNTAX};
pub use context::Context;
pub use keymap::Keymap;
