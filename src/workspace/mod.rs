//! The user's project: root, file index, @mentions, repo map, context budget (DESIGN.md).

pub mod attach;
pub mod complete;
pub mod index;
pub mod map;
pub mod mention;
pub mod read;
pub mod root;
pub mod secrets;
pub mod test_command;

pub use attach::{FileRef, FileText, Refused};
pub use index::{Index, IndexOptions, IndexedFile};
pub use mention::LineRange;
