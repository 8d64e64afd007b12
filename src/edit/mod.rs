//! Edit blocks (DESIGN.md, Layout: "edit blocks: parse, match, diff, apply atomically").

pub mod matcher;
pub mod parse;
