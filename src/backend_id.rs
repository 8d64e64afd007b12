//! Which server a request goes to, and which wire protocol a server speaks.
//!
//! A leaf: the config names backends and protocols, the backends implement them, and the
//! router picks between them, so these two enums sit below all three (DESIGN.md, Layout).

use serde::{Deserialize, Serialize};

/// The two roles a server plays. The name is the role, not the protocol: the fast role may
/// be a llama-server and the quality role a vLLM.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BackendId {
    Lmstudio,
    Ollama,
}

impl BackendId {
    pub const ALL: [BackendId; 2] = [BackendId::Lmstudio, BackendId::Ollama];

    pub fn as_str(self) -> &'static str {
        match self {
            BackendId::Lmstudio => "lmstudio",
            BackendId::Ollama => "ollama",
        }
    }

    /// The name users know the server by.
    pub fn label(self) -> &'static str {
        match self {
            BackendId::Lmstudio => "LM Studio",
            BackendId::Ollama => "Ollama",
        }
    }

    pub fn other(self) -> BackendId {
        match self {
            BackendId::Lmstudio => BackendId::Ollama,
            BackendId::Ollama => BackendId::Lmstudio,
        }
    }

    /// The flag that forces this backend.
    pub fn flag(self) -> &'static str {
        match self {
            BackendId::Lmstudio => "--fast",
            BackendId::Ollama => "--analyze",
        }
    }
}

impl std::fmt::Display for BackendId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Which wire protocol a backend section speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Api {
    Openai,
    Ollama,
}
