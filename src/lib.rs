//! CodeCrucible: a terminal coding assistant that routes each request between local LLM
//! servers — a fast one (LM Studio or any OpenAI-compatible server) and a quality one
//! (Ollama). See [`HybridClient`] for use from Rust.

pub mod backend;
pub mod backend_id;
pub mod cli;
mod client;
pub mod confidence;
pub mod config;
pub mod edit;
pub mod engine;
pub mod keys;
pub mod logging;
pub mod logprob;
pub mod private;
pub mod resources;
pub mod router;
pub mod sandbox;
pub mod store;
pub mod text;
pub mod tui;
pub mod voice;
pub mod workspace;

pub use backend::{BackendId, ChatMessage, PerBackend, Role};
pub use client::{Answer, FileEdit, HybridClient, Request, RequestError, SYSTEM_PROMPT};
pub use config::Config;
pub use engine::{EditStatus, Event, EventKind, RouteMode};
