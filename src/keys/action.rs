//! Everything a key can do: the actions table, with each action's context, config name,
//! help text and built-in keys (the same as `config/default.toml`).

use std::fmt;
use std::sync::OnceLock;

use super::chord::KeyChord;
use super::context::Context;
use crate::text::distance;

macro_rules! actions {
    ($( $ctx:ident { $( $variant:ident = $name:literal [$($key:literal),*] $what:literal, )* } )*) => {
        /// Everything a key can do, grouped by [`Context`].
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Action {
            $($( $variant, )*)*
        }

        impl Action {
            /// Every action, grouped by context in [`Context::ALL`] order.
            pub const ALL: &'static [Action] = &[$($( Action::$variant, )*)*];

            pub fn context(self) -> Context {
                match self {
                    $($( Action::$variant => Context::$ctx, )*)*
                }
            }

            /// The action's name in its `[keys.<context>]` table (snake_case).
            pub fn name(self) -> &'static str {
                match self {
                    $($( Action::$variant => $name, )*)*
                }
            }

            /// What the action does, for help text.
            pub fn describe(self) -> &'static str {
                match self {
                    $($( Action::$variant => $what, )*)*
                }
            }

            /// The built-in keys, as written in `config/default.toml`.
            pub fn default_keys(self) -> &'static [&'static str] {
                match self {
                    $($( Action::$variant => &[$($key),*], )*)*
                }
            }
        }
    };
}

actions! {
    Global {
        CancelOrQuit = "cancel_or_quit" ["ctrl+c"]
            "Cancel the running request, else clear the input; twice on an empty input quits",
        Quit = "quit" ["ctrl+d"] "Quit (when the input is empty)",
        Voice1 = "voice_1" ["f1"] "Use the 1st voice (Explorer)",
        Voice2 = "voice_2" ["f2"] "Use the 2nd voice (Analyzer)",
        Voice3 = "voice_3" ["f3"] "Use the 3rd voice (Developer)",
        Voice4 = "voice_4" ["f4"] "Use the 4th voice (Implementor)",
        Voice5 = "voice_5" ["f5"] "Use the 5th voice (Security)",
        Voice6 = "voice_6" ["f6"] "Use the 6th voice (Architect)",
        VoicePicker = "voice_picker" ["ctrl+t"] "Open the voice picker",
        CycleMode = "cycle_mode" ["ctrl+g"] "Cycle the route mode: auto, fast, quality",
        Help = "help" ["f12"] "Show every key and command",
        CloseOrCancel = "close_or_cancel" ["esc"]
            "Cancel the running request, else go back to the input",
        NextPane = "next_pane" ["tab"] "Focus the next pane",
        PrevPane = "prev_pane" ["shift+tab"] "Focus the previous pane",
        ScrollUp = "scroll_up" ["pageup"] "Scroll the chat up a page",
        ScrollDown = "scroll_down" ["pagedown"] "Scroll the chat down a page",
        ToggleMouse = "toggle_mouse" ["ctrl+o"]
            "Mouse capture on/off (off: the terminal's own text selection)",
        History = "history" ["ctrl+r"] "Open the session history",
        CycleTheme = "cycle_theme" ["ctrl+y"] "Switch to the next colour theme",
    }
    Input {
        Submit = "submit" ["enter"] "Send the prompt or /command",
        Newline = "newline" ["ctrl+j", "alt+enter", "shift+enter", "ctrl+enter"]
            "Start a new line",
        HistoryPrev = "history_prev" ["up", "ctrl+p"]
            "The previous prompt (on the first line; above it, a line up)",
        HistoryNext = "history_next" ["down", "ctrl+n"]
            "The next prompt (on the last line; above it, a line down)",
        Complete = "complete" ["tab"]
            "Complete a /command (with nothing to complete, the key moves to the next pane)",
    }
    Chat {
        ChatLineUp = "line_up" ["up"] "Scroll up a line",
        ChatLineDown = "line_down" ["down"] "Scroll down a line",
        ChatTop = "top" ["home"] "Scroll to the top",
        ChatBottom = "bottom" ["end"] "Scroll to the bottom and follow new text",
        Unfold = "unfold" ["d"] "Show or hide drafts and thinking",
        Good = "good" ["g"] "Rate the last answer good",
        Bad = "bad" ["b"] "Rate the last answer bad",
        Quality = "quality" ["q"] "Rate the last answer: it should have gone to the quality server",
    }
    Code {
        PrevBlock = "prev_block" ["["] "Show the previous code block",
        NextBlock = "next_block" ["]"] "Show the next code block",
        CopyBlock = "copy" ["y"] "Copy the code block",
        SaveBlock = "save" ["s"] "Save the code block to a file",
        CodeLineUp = "line_up" ["up"] "Scroll the code block up a line",
        CodeLineDown = "line_down" ["down"] "Scroll the code block down a line",
    }
    Browser {
        Resume = "resume" ["enter"] "Carry on the selected session",
        Export = "export" ["ctrl+e"] "Export the selected session",
        Delete = "delete" ["ctrl+d"] "Delete the selected session (after a y to confirm)",
        BrowserUp = "up" ["up"] "Select the previous session",
        BrowserDown = "down" ["down"] "Select the next session",
        BrowserClose = "close" ["esc"] "Close the session browser",
    }
}

// Here rather than in context.rs, so that the context does not depend on the actions
// table that names it.
impl Context {
    /// The context's actions, in the order the config file lists them.
    pub fn actions(self) -> impl Iterator<Item = Action> {
        Action::ALL
            .iter()
            .copied()
            .filter(move |a| a.context() == self)
    }
}

impl Action {
    /// The action called `name` in `[keys.<ctx>]`.
    pub fn from_name(ctx: Context, name: &str) -> Option<Action> {
        ctx.actions().find(|a| a.name() == name)
    }

    /// The built-in keys, parsed.
    pub fn default_chords(self) -> &'static [KeyChord] {
        static DEFAULTS: OnceLock<Vec<Vec<KeyChord>>> = OnceLock::new();
        &DEFAULTS.get_or_init(|| {
            Action::ALL
                .iter()
                .map(|a| {
                    a.default_keys()
                        .iter()
                        .filter_map(|k| KeyChord::parse(k).ok())
                        .collect()
                })
                .collect()
        })[self.index()]
    }

    pub(super) fn index(self) -> usize {
        self as usize
    }
}

impl fmt::Display for Action {
    /// `context.name`, e.g. `global.help`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.context().name(), self.name())
    }
}

/// "unknown action `x` in [keys.chat]; did you mean `y`? the chat actions are ..."
pub fn unknown_action(ctx: Context, name: &str) -> String {
    let names: Vec<&str> = ctx.actions().map(Action::name).collect();
    let near = names
        .iter()
        .map(|n| (distance(name, n), *n))
        .filter(|(d, _)| *d <= name.len().max(4) / 3 + 1)
        .min_by_key(|(d, _)| *d)
        .map(|(_, n)| format!("did you mean `{n}`? "))
        .unwrap_or_default();
    format!(
        "unknown action `{name}` in [keys.{ctx}]; {near}the {ctx} actions are {}",
        names.join(", ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actions_are_grouped_and_named_uniquely() {
        let mut last = Context::Global;
        for (i, a) in Action::ALL.iter().enumerate() {
            assert_eq!(a.index(), i);
            assert!(a.context() >= last, "{a} is out of its group");
            last = a.context();
            assert_eq!(Action::from_name(a.context(), a.name()), Some(*a));
        }
    }

    #[test]
    fn unknown_actions_suggest_the_nearest_name() {
        let e = unknown_action(Context::Chat, "godo");
        assert!(e.contains("did you mean `good`"), "{e}");
        let e = unknown_action(Context::Chat, "zzzzzz");
        assert!(!e.contains("did you mean"), "{e}");
        assert!(e.contains("the chat actions are line_up, line_down"), "{e}");
    }
}
