//! The integration tests: the CLI (assert_cmd), the engine and the backends against fake
//! servers speaking the real protocols, the real llama-servers, and the app in tmux. One
//! binary (see `suite/`); the TUI's snapshot and key tests live beside the TUI in
//! src/tui/tests/.

mod suite;
mod support;
