//! The task vocabulary and the route each task type takes by default.

use serde::{Deserialize, Serialize};

/// Where a request goes: the fast server, the quality server, or fast-then-escalate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Route {
    Lmstudio,
    Ollama,
    Hybrid,
}

impl Route {
    pub const ALL: [Route; 3] = [Route::Lmstudio, Route::Ollama, Route::Hybrid];

    pub fn as_str(self) -> &'static str {
        match self {
            Route::Lmstudio => "lmstudio",
            Route::Ollama => "ollama",
            Route::Hybrid => "hybrid",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Route::Lmstudio => "LM Studio (fast)",
            Route::Ollama => "Ollama (quality)",
            Route::Hybrid => "hybrid (fast, escalating to quality)",
        }
    }

    /// The route that sends everything to one server.
    pub fn only(b: crate::backend_id::BackendId) -> Route {
        match b {
            crate::backend_id::BackendId::Lmstudio => Route::Lmstudio,
            crate::backend_id::BackendId::Ollama => Route::Ollama,
        }
    }

    /// The server that answers first on this route (hybrid starts fast).
    pub fn first_backend(self) -> crate::backend_id::BackendId {
        match self {
            Route::Ollama => crate::backend_id::BackendId::Ollama,
            Route::Lmstudio | Route::Hybrid => crate::backend_id::BackendId::Lmstudio,
        }
    }

    pub fn parse(s: &str) -> Option<Route> {
        match s.trim().to_ascii_lowercase().as_str() {
            "lmstudio" | "lm_studio" | "fast" => Some(Route::Lmstudio),
            "ollama" | "quality" => Some(Route::Ollama),
            "hybrid" => Some(Route::Hybrid),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TaskType {
    Format,
    Edit,
    Boilerplate,
    Documentation,
    Analysis,
    Planning,
    Debugging,
    Security,
    MultiFile,
    Refactor,
    Generation,
}

impl TaskType {
    pub const ALL: [TaskType; 11] = [
        TaskType::Format,
        TaskType::Edit,
        TaskType::Boilerplate,
        TaskType::Documentation,
        TaskType::Analysis,
        TaskType::Planning,
        TaskType::Debugging,
        TaskType::Security,
        TaskType::MultiFile,
        TaskType::Refactor,
        TaskType::Generation,
    ];

    pub fn index(self) -> usize {
        self as usize
    }

    pub fn as_str(self) -> &'static str {
        match self {
            TaskType::Format => "format",
            TaskType::Edit => "edit",
            TaskType::Boilerplate => "boilerplate",
            TaskType::Documentation => "documentation",
            TaskType::Analysis => "analysis",
            TaskType::Planning => "planning",
            TaskType::Debugging => "debugging",
            TaskType::Security => "security",
            TaskType::MultiFile => "multi_file",
            TaskType::Refactor => "refactor",
            TaskType::Generation => "generation",
        }
    }

    pub fn parse(s: &str) -> Option<TaskType> {
        let s = s.trim().to_ascii_lowercase().replace('-', "_");
        TaskType::ALL.into_iter().find(|t| t.as_str() == s)
    }

    /// The route the policy gives this task type.
    pub fn route(self) -> Route {
        match self {
            TaskType::Format | TaskType::Edit | TaskType::Boilerplate | TaskType::Documentation => {
                Route::Lmstudio
            }
            TaskType::Analysis
            | TaskType::Planning
            | TaskType::Debugging
            | TaskType::Security
            | TaskType::MultiFile => Route::Ollama,
            TaskType::Refactor | TaskType::Generation => Route::Hybrid,
        }
    }
}

impl std::fmt::Display for TaskType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}
