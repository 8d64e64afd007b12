//! Text tools shared by every room that reads or shows text: fenced code blocks by
//! CommonMark's rules, edit distance for suggestions, display width for the terminal, and
//! cleaning untrusted text before it reaches one.
//!
//! Pure and a leaf (DESIGN.md, Layout): the router, the confidence scorer, the config, the
//! keymap and the TUI all use these, so they sit below all of them and import none.

pub mod distance;
pub mod fence;
pub mod short;
pub mod terminal;
pub mod width;

pub use distance::distance;
