//! Where a key acts: the contexts of the `[keys.*]` tables.

use std::fmt;

/// Where a key acts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Context {
    /// Wherever the focus is, before the focused pane's own keys. Not in the session
    /// browser, which takes every key while it is open.
    Global,
    /// The prompt editor.
    Input,
    /// The chat pane.
    Chat,
    /// The code pane.
    Code,
    /// The session browser (Ctrl+R).
    Browser,
}

impl Context {
    pub const ALL: [Context; 5] = [
        Context::Global,
        Context::Input,
        Context::Chat,
        Context::Code,
        Context::Browser,
    ];

    /// The name of the context's table in the config: `[keys.<name>]`.
    pub fn name(self) -> &'static str {
        match self {
            Context::Global => "global",
            Context::Input => "input",
            Context::Chat => "chat",
            Context::Code => "code",
            Context::Browser => "browser",
        }
    }

    pub fn from_name(name: &str) -> Option<Context> {
        Self::ALL.into_iter().find(|c| c.name() == name)
    }

    /// Where the context's keys act, for help text.
    pub fn describe(self) -> &'static str {
        match self {
            Context::Global => "everywhere except the session browser",
            Context::Input => "while the input has the focus",
            Context::Chat => "while the chat pane has the focus",
            Context::Code => "while the code pane has the focus",
            Context::Browser => "in the session browser",
        }
    }

    /// Whether global keys act in this context too (so its keys must not reuse them).
    pub(super) fn under_global(self) -> bool {
        matches!(self, Context::Input | Context::Chat | Context::Code)
    }

    pub(super) fn index(self) -> usize {
        self as usize
    }
}

impl fmt::Display for Context {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
