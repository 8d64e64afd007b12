//! CodeCrucible: a terminal coding assistant that routes between local LLM servers.

pub mod backend;
pub mod config;
