//! The user's project: root, file index, @mentions, repo map, context budget (DESIGN.md).

pub mod map;
