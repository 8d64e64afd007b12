//! Configurable keys: every action the app's keys trigger, its default keys, and the
//! user's bindings from the `[keys.*]` tables of the config file.
//!
//! Keys belong to a [`Context`]: `global` keys act wherever the focus is, the others only
//! while their pane (or the session browser) has the keys. Lookups try the context's own
//! keys first, then the global ones; bindings that would make a key ambiguous are refused
//! when the keymap is built (see [`Keymap::from_config`]).
//!
//! A key string is a single character (`d`, `?`, `[`, `+`) or a key name (`enter`, `esc`,
//! `tab`, `backtab`, `backspace`, `delete`, `insert`, `home`, `end`, `pageup`, `pagedown`,
//! `up`, `down`, `left`, `right`, `space`, `f1`–`f24`), after any of the modifiers `ctrl+`,
//! `alt+` and `shift+` in any order. Names and modifiers ignore case. A lone uppercase
//! letter is that letter with Shift (`Q` is `shift+q`, which is what typing Q sends); with
//! Ctrl or Alt the letter's case does not matter (`Ctrl+R` is `ctrl+r`; write
//! `ctrl+shift+r` for Shift). Shift on a character that has no case (`shift+1`) is
//! ignored: bind the character the shifted key types (`!`). `shift+tab` is `backtab`.

use std::collections::HashMap;
use std::fmt;
use std::path::Path;
use std::str::FromStr;
use std::sync::OnceLock;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use crate::config::Keys;

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

    /// The context's actions, in the order the config file lists them.
    pub fn actions(self) -> impl Iterator<Item = Action> {
        Action::ALL
            .iter()
            .copied()
            .filter(move |a| a.context() == self)
    }

    /// Whether global keys act in this context too (so its keys must not reuse them).
    fn under_global(self) -> bool {
        matches!(self, Context::Input | Context::Chat | Context::Code)
    }

    fn index(self) -> usize {
        self as usize
    }
}

impl fmt::Display for Context {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

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

/// Pairs of actions that may share a key on purpose: the first, a context action, acts
/// only in some states and otherwise leaves the key to the second, a global one. Tab
/// completes a `/command` in the input and otherwise moves to the next pane.
const SHARED: &[(Action, Action)] = &[(Action::Complete, Action::NextPane)];

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

    fn index(self) -> usize {
        self as usize
    }
}

impl fmt::Display for Action {
    /// `context.name`, e.g. `global.help`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.context().name(), self.name())
    }
}

// ---- key chords --------------------------------------------------------------------

/// One key with its modifiers, normalised so that equal keys compare equal whatever quirks
/// the terminal has: letters are lowercase with Shift for uppercase, characters without
/// case carry no Shift, BackTab carries no Shift, a bare line feed is Ctrl+J.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct KeyChord {
    pub code: KeyCode,
    pub mods: KeyModifiers,
}

const NAMES: &[(&str, KeyCode)] = &[
    ("enter", KeyCode::Enter),
    ("return", KeyCode::Enter),
    ("esc", KeyCode::Esc),
    ("escape", KeyCode::Esc),
    ("tab", KeyCode::Tab),
    ("backtab", KeyCode::BackTab),
    ("backspace", KeyCode::Backspace),
    ("delete", KeyCode::Delete),
    ("del", KeyCode::Delete),
    ("insert", KeyCode::Insert),
    ("ins", KeyCode::Insert),
    ("home", KeyCode::Home),
    ("end", KeyCode::End),
    ("pageup", KeyCode::PageUp),
    ("pgup", KeyCode::PageUp),
    ("pagedown", KeyCode::PageDown),
    ("pgdn", KeyCode::PageDown),
    ("up", KeyCode::Up),
    ("down", KeyCode::Down),
    ("left", KeyCode::Left),
    ("right", KeyCode::Right),
    ("space", KeyCode::Char(' ')),
];

/// What a key string may be, for error messages.
pub const KEY_SYNTAX: &str = "a key is a single character (\"d\", \"?\", \"[\") or one of \
     enter, esc, tab, backtab, backspace, delete, insert, home, end, pageup, pagedown, up, \
     down, left, right, space, f1-f24, after any of ctrl+, alt+ and shift+ \
     (\"ctrl+shift+z\")";

impl KeyChord {
    /// A chord from its parts, normalised.
    pub fn new(code: KeyCode, mods: KeyModifiers) -> KeyChord {
        let mut mods = mods;
        let code = match code {
            KeyCode::Char('\n') if !mods.intersects(KeyModifiers::CONTROL | KeyModifiers::ALT) => {
                // Some consoles deliver Ctrl+J as a bare line feed.
                mods = KeyModifiers::CONTROL;
                KeyCode::Char('j')
            }
            KeyCode::Char(c) if c.is_uppercase() => {
                let mut lower = c.to_lowercase();
                match (lower.next(), lower.next()) {
                    (Some(l), None) => {
                        mods |= KeyModifiers::SHIFT;
                        KeyCode::Char(l)
                    }
                    _ => KeyCode::Char(c),
                }
            }
            KeyCode::Char(c) => {
                if !c.is_lowercase() {
                    // `?`, `!`, digits: the Shift that typed them is not part of the key.
                    mods.remove(KeyModifiers::SHIFT);
                }
                KeyCode::Char(c)
            }
            KeyCode::Tab if mods.contains(KeyModifiers::SHIFT) => {
                mods.remove(KeyModifiers::SHIFT);
                KeyCode::BackTab
            }
            KeyCode::BackTab => {
                mods.remove(KeyModifiers::SHIFT);
                KeyCode::BackTab
            }
            other => other,
        };
        KeyChord { code, mods }
    }

    /// The chord a terminal key event stands for.
    pub fn from_event(key: &KeyEvent) -> KeyChord {
        KeyChord::new(key.code, key.modifiers)
    }

    /// Parses a key string such as `ctrl+r`, `shift+tab`, `f12`, `?` or `ctrl++`.
    pub fn parse(s: &str) -> Result<KeyChord, String> {
        let bad = |why: String| format!("\"{s}\" is not a key: {why}");
        let mut rest = s.trim();
        if rest.is_empty() {
            return Err(
                "an empty string is not a key; write [] to leave an action without a key".into(),
            );
        }
        let mut mods = KeyModifiers::NONE;
        while let Some((head, tail)) = rest.split_once('+') {
            let head = head.trim();
            if head.is_empty() || tail.trim().is_empty() {
                break;
            }
            mods |= match head.to_ascii_lowercase().as_str() {
                "ctrl" | "control" => KeyModifiers::CONTROL,
                "alt" | "option" | "meta" => KeyModifiers::ALT,
                "shift" => KeyModifiers::SHIFT,
                _ => {
                    return Err(bad(format!(
                        "\"{head}\" is not a modifier; the modifiers are ctrl+, alt+ and shift+"
                    )))
                }
            };
            rest = tail.trim();
        }
        let mut chars = rest.chars();
        let code = match (chars.next(), chars.next()) {
            (Some(c), None) => {
                // With Ctrl or Alt, a letter's case is not Shift: `Ctrl+R` is `ctrl+r`.
                if mods.intersects(KeyModifiers::CONTROL | KeyModifiers::ALT) {
                    let mut lower = c.to_lowercase();
                    match (lower.next(), lower.next()) {
                        (Some(l), None) => KeyCode::Char(l),
                        _ => KeyCode::Char(c),
                    }
                } else {
                    KeyCode::Char(c)
                }
            }
            _ => {
                let name = rest.to_ascii_lowercase();
                match NAMES.iter().find(|(n, _)| *n == name) {
                    Some((_, code)) => *code,
                    None => match name.strip_prefix('f').and_then(|n| n.parse::<u8>().ok()) {
                        Some(n @ 1..=24) => KeyCode::F(n),
                        _ => return Err(bad(unknown_name(s))),
                    },
                }
            }
        };
        Ok(KeyChord::new(code, mods))
    }

    /// True when `key` is this chord.
    pub fn matches(&self, key: &KeyEvent) -> bool {
        KeyChord::from_event(key) == *self
    }

    /// A key event for this chord, as a terminal reports it (uppercase letters with Shift,
    /// BackTab with Shift), carrying `like`'s kind and state.
    pub fn to_event(&self, like: &KeyEvent) -> KeyEvent {
        let (code, modifiers) = match self.code {
            KeyCode::Char(c) if self.mods.contains(KeyModifiers::SHIFT) => {
                let mut upper = c.to_uppercase();
                match (upper.next(), upper.next()) {
                    (Some(u), None) => (KeyCode::Char(u), self.mods),
                    _ => (self.code, self.mods),
                }
            }
            KeyCode::BackTab => (KeyCode::BackTab, self.mods | KeyModifiers::SHIFT),
            code => (code, self.mods),
        };
        KeyEvent {
            code,
            modifiers,
            kind: like.kind,
            state: like.state,
        }
    }

    /// True for keys that type a character into a text field: a character without Ctrl or
    /// Alt (Shift is fine).
    pub fn types_text(&self) -> bool {
        matches!(self.code, KeyCode::Char(_))
            && !self.mods.intersects(
                KeyModifiers::CONTROL
                    | KeyModifiers::ALT
                    | KeyModifiers::SUPER
                    | KeyModifiers::HYPER
                    | KeyModifiers::META,
            )
    }
}

fn unknown_name(whole: &str) -> String {
    // `ctrl-r` is a common way to write it elsewhere.
    let parts: Vec<&str> = whole.trim().split('-').collect();
    if let Some((last, mods)) = parts.split_last() {
        let is_mod = |m: &&str| {
            matches!(
                m.to_ascii_lowercase().as_str(),
                "ctrl" | "control" | "alt" | "option" | "meta" | "shift"
            )
        };
        if !mods.is_empty() && mods.iter().all(is_mod) && !last.is_empty() {
            let plus = parts.join("+");
            if KeyChord::parse(&plus).is_ok() {
                return format!("write modifiers with + (\"{plus}\")");
            }
        }
    }
    KEY_SYNTAX.to_owned()
}

impl FromStr for KeyChord {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        KeyChord::parse(s)
    }
}

impl fmt::Display for KeyChord {
    /// The canonical key string: `ctrl+r`, `f12`, `shift+tab`, `ctrl+shift+z`, `space`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let m = self.mods;
        for (flag, name) in [
            (KeyModifiers::CONTROL, "ctrl+"),
            (KeyModifiers::ALT, "alt+"),
            (KeyModifiers::SUPER, "super+"),
            (KeyModifiers::HYPER, "hyper+"),
            (KeyModifiers::META, "meta+"),
        ] {
            if m.contains(flag) {
                f.write_str(name)?;
            }
        }
        if m.contains(KeyModifiers::SHIFT) || self.code == KeyCode::BackTab {
            f.write_str("shift+")?;
        }
        match self.code {
            KeyCode::Char(' ') => f.write_str("space"),
            KeyCode::Char(c) => write!(f, "{c}"),
            KeyCode::F(n) => write!(f, "f{n}"),
            KeyCode::BackTab => f.write_str("tab"),
            code => match NAMES.iter().find(|(_, c)| *c == code) {
                Some((name, _)) => f.write_str(name),
                None => write!(f, "{}", format!("{code:?}").to_ascii_lowercase()),
            },
        }
    }
}

// ---- the keymap --------------------------------------------------------------------

/// Every action's keys, and the reverse lookup per context.
#[derive(Debug, Clone)]
pub struct Keymap {
    /// By action index.
    keys: Vec<Vec<KeyChord>>,
    /// By context index.
    lookup: Vec<HashMap<KeyChord, Action>>,
}

/// Where an action's binding came from, for error messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Origin {
    Default,
    /// The user's file sets it, at this line when known.
    User(Option<usize>),
}

impl Origin {
    fn describe(self) -> String {
        match self {
            Origin::Default => "default".into(),
            Origin::User(Some(line)) => format!("line {line}"),
            Origin::User(None) => "set in your config".into(),
        }
    }
}

impl Default for Keymap {
    fn default() -> Self {
        Keymap::defaults()
    }
}

impl Keymap {
    /// The built-in keys (the same as `config/default.toml`).
    pub fn defaults() -> Keymap {
        let keys = Action::ALL
            .iter()
            .map(|a| a.default_chords().to_vec())
            .collect();
        // The built-in keys are checked by the tests; they cannot conflict.
        Keymap::build(keys, &|_| Origin::Default, None)
            .unwrap_or_else(|e| panic!("the built-in keymap is inconsistent: {e}"))
    }

    /// Builds the keymap from the effective `[keys.*]` settings (the defaults with the
    /// user's bindings laid over them; an action missing from `keys` keeps its default).
    ///
    /// `source` is the user's config file and its text: errors then name the file and the
    /// line of the offending binding. Refused, with a message naming the actions, their
    /// contexts, the key and the line:
    /// - an unknown action name, or a key string that is not a key;
    /// - one key bound to two actions of the same context;
    /// - a key of the `input`, `chat` or `code` context that is also a global key (global
    ///   keys act in those panes too). The one deliberate exception: `input.complete` may
    ///   share `global.next_pane`'s key (Tab completes a /command, else moves on). The
    ///   session browser takes every key while open, so its keys may reuse global ones.
    pub fn from_config(keys: &Keys, source: Option<(&Path, &str)>) -> Result<Keymap, String> {
        let doc = source.and_then(|(_, text)| toml_edit::Document::parse(text.to_owned()).ok());
        let path = source.map(|(p, _)| p);
        let text = source.map_or("", |(_, t)| t);
        let line_of_binding = |ctx: Context, name: &str| -> Option<usize> {
            let doc = doc.as_ref()?;
            binding_line(doc.as_table(), text, ctx, name)
        };
        let at = |line: Option<usize>| match (path, line) {
            (Some(p), Some(l)) => format!("{}, line {l}: ", p.display()),
            (Some(p), None) => format!("{}: ", p.display()),
            (None, _) => String::new(),
        };

        let mut chords: Vec<Vec<KeyChord>> = Action::ALL
            .iter()
            .map(|a| a.default_chords().to_vec())
            .collect();
        let mut origins = vec![Origin::Default; Action::ALL.len()];
        for ctx in Context::ALL {
            for (name, spec) in keys.context(ctx) {
                let line = line_of_binding(ctx, name);
                let Some(action) = Action::from_name(ctx, name) else {
                    return Err(format!("{}{}", at(line), unknown_action(ctx, name)));
                };
                let mut list = Vec::new();
                for s in spec.as_slice() {
                    let chord = KeyChord::parse(s).map_err(|why| {
                        format!("{}`keys.{ctx}.{name}` is wrong: {why}", at(line))
                    })?;
                    if !list.contains(&chord) {
                        list.push(chord);
                    }
                }
                let user = if doc.is_some() {
                    line.is_some()
                } else {
                    list.as_slice() != action.default_chords()
                };
                if user {
                    origins[action.index()] = Origin::User(line);
                }
                chords[action.index()] = list;
            }
        }
        Keymap::build(chords, &|a| origins[a.index()], path)
    }

    fn build(
        keys: Vec<Vec<KeyChord>>,
        origin: &dyn Fn(Action) -> Origin,
        path: Option<&Path>,
    ) -> Result<Keymap, String> {
        let mut lookup: Vec<HashMap<KeyChord, Action>> = vec![HashMap::new(); Context::ALL.len()];
        for &action in Action::ALL {
            let map = &mut lookup[action.context().index()];
            for &chord in &keys[action.index()] {
                if let Some(&other) = map.get(&chord) {
                    return Err(conflict(
                        path,
                        (other, origin(other)),
                        (action, origin(action)),
                        chord,
                    ));
                }
                map.insert(chord, action);
            }
        }
        for &action in Action::ALL {
            if !action.context().under_global() {
                continue;
            }
            for chord in &keys[action.index()] {
                if let Some(&global) = lookup[Context::Global.index()].get(chord) {
                    if !SHARED.contains(&(action, global)) {
                        return Err(conflict(
                            path,
                            (global, origin(global)),
                            (action, origin(action)),
                            *chord,
                        ));
                    }
                }
            }
        }
        Ok(Keymap { keys, lookup })
    }

    /// The action `key` triggers in `ctx`: the context's own keys first, then the global
    /// ones (except in the browser, which takes every key). In the input, a key that types
    /// text never triggers a global action, so that a global key bound to a plain
    /// character still types it there. `None`: no action; typing keys go to the editor.
    pub fn action(&self, ctx: Context, key: &KeyEvent) -> Option<Action> {
        self.actions(ctx, key).next()
    }

    /// Every action `key` may trigger in `ctx`, most specific first: the context's action,
    /// then the global one. Two only where a pair shares a key on purpose
    /// (`input.complete` then `global.next_pane` for Tab): use the second when the first
    /// has nothing to do.
    pub fn actions(&self, ctx: Context, key: &KeyEvent) -> impl Iterator<Item = Action> + '_ {
        let chord = KeyChord::from_event(key);
        let own = self.lookup[ctx.index()].get(&chord).copied();
        let global = match ctx {
            Context::Global | Context::Browser => None,
            Context::Input if chord.types_text() => None,
            _ => self.lookup[Context::Global.index()].get(&chord).copied(),
        };
        own.into_iter().chain(global)
    }

    /// The keys bound to `action` (empty when the user unbound it with `[]`).
    pub fn keys_for(&self, action: Action) -> &[KeyChord] {
        &self.keys[action.index()]
    }

    /// The keys of `action` for display: `ctrl+r`, or `ctrl+j / alt+enter`; `unbound` when
    /// it has none.
    pub fn label(&self, action: Action) -> String {
        let keys = self.keys_for(action);
        if keys.is_empty() {
            return "unbound".into();
        }
        keys.iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(" / ")
    }

    /// One row per action, grouped by context: the context, the action, its keys (as
    /// [`Keymap::label`] writes them) and what it does. For the help overlay and
    /// `codecrucible keys`.
    pub fn rows(&self) -> Vec<(Context, Action, String, &'static str)> {
        Action::ALL
            .iter()
            .map(|&a| (a.context(), a, self.label(a), a.describe()))
            .collect()
    }

    /// For a key bound to an action of `ctx`, the event of that action's first default
    /// key (kind and state kept from `key`); `None` for a key bound to no action of `ctx`.
    ///
    /// The prompt editor knows only the default keys; with `submit = "ctrl+s"`, Ctrl+S
    /// becomes Enter, and with `newline = "enter"` too, Enter becomes Ctrl+J.
    pub fn canonical(&self, ctx: Context, key: &KeyEvent) -> Option<KeyEvent> {
        let action = *self.lookup[ctx.index()].get(&KeyChord::from_event(key))?;
        let default = action.default_chords().first()?;
        Some(default.to_event(key))
    }

    /// What to hand the editor for `key` in `ctx`: [`Keymap::canonical`]'s event for a bound
    /// key; `None` (drop it) for a default key of one of `ctx`'s actions that is no longer
    /// bound to anything there, so that unbinding Enter from `submit` really stops Enter
    /// sending; `key` itself for any other key (text, cursor moves, editing chords).
    pub fn translate(&self, ctx: Context, key: &KeyEvent) -> Option<KeyEvent> {
        if let Some(event) = self.canonical(ctx, key) {
            return Some(event);
        }
        let chord = KeyChord::from_event(key);
        if ctx.actions().any(|a| a.default_chords().contains(&chord)) {
            return None;
        }
        Some(*key)
    }
}

fn conflict(
    path: Option<&Path>,
    first: (Action, Origin),
    second: (Action, Origin),
    chord: KeyChord,
) -> String {
    let line = |o: Origin| match o {
        Origin::User(l) => l,
        Origin::Default => None,
    };
    let primary = line(first.1).max(line(second.1));
    let at = match (path, primary) {
        (Some(p), Some(l)) => format!("{}, line {l}: ", p.display()),
        (Some(p), None) => format!("{}: ", p.display()),
        (None, _) => String::new(),
    };
    let who = |(a, o): (Action, Origin)| {
        format!("`{}` ({}, {})", a.name(), a.context().name(), o.describe())
    };
    let why = if first.0.context() == second.0.context() {
        format!(
            "a key can do only one thing, so give one of them another key in [keys.{}]",
            first.0.context()
        )
    } else {
        "global keys act in every pane before the pane's own keys, so bind one of them to \
         another key"
            .to_owned()
    };
    let defaults = if first.1 == Origin::Default && second.1 == Origin::Default {
        " (both are default bindings)"
    } else {
        ""
    };
    format!(
        "{at}key conflict: {chord} is bound to both {} and {}{defaults}; {why}",
        who(first),
        who(second)
    )
}

/// "unknown action `x` in [keys.chat]; did you mean `y`? the chat actions are ..."
pub fn unknown_action(ctx: Context, name: &str) -> String {
    let names: Vec<&str> = ctx.actions().map(Action::name).collect();
    let near = names
        .iter()
        .map(|n| (levenshtein(name, n), *n))
        .filter(|(d, _)| *d <= name.len().max(4) / 3 + 1)
        .min_by_key(|(d, _)| *d)
        .map(|(_, n)| format!("did you mean `{n}`? "))
        .unwrap_or_default();
    format!(
        "unknown action `{name}` in [keys.{ctx}]; {near}the {ctx} actions are {}",
        names.join(", ")
    )
}

fn levenshtein(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur[j + 1] = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

/// The line of `keys.<ctx>.<name>` in the user's file, however it is written (a
/// `[keys.chat]` table, dotted keys, inline tables).
fn binding_line(root: &toml_edit::Table, text: &str, ctx: Context, name: &str) -> Option<usize> {
    let mut table: &dyn toml_edit::TableLike = root;
    for part in ["keys", ctx.name()] {
        table = table.get(part)?.as_table_like()?;
    }
    let (key, item) = table.get_key_value(name)?;
    let span = key.span().or_else(|| item.span())?;
    Some(
        text.as_bytes()[..span.start.min(text.len())]
            .iter()
            .filter(|&&b| b == b'\n')
            .count()
            + 1,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crossterm::event::{KeyEventKind, KeyEventState};

    fn ev(code: KeyCode, mods: KeyModifiers) -> KeyEvent {
        KeyEvent {
            code,
            modifiers: mods,
            kind: KeyEventKind::Press,
            state: KeyEventState::NONE,
        }
    }

    fn chord(s: &str) -> KeyChord {
        KeyChord::parse(s).unwrap_or_else(|e| panic!("{e}"))
    }

    fn keys(toml_text: &str) -> Keys {
        toml::from_str::<toml::Table>(toml_text)
            .unwrap()
            .remove("keys")
            .map(|v| v.try_into().unwrap())
            .unwrap_or_default()
    }

    fn user(toml_text: &str) -> Result<Keymap, String> {
        Keymap::from_config(
            &keys(toml_text),
            Some((Path::new("/cfg/config.toml"), toml_text)),
        )
    }

    #[test]
    fn key_strings_parse_and_print_canonically() {
        for (input, canonical) in [
            ("ctrl+r", "ctrl+r"),
            ("Ctrl+R", "ctrl+r"),
            ("CTRL+shift+z", "ctrl+shift+z"),
            ("shift+ctrl+z", "ctrl+shift+z"),
            ("f12", "f12"),
            ("F1", "f1"),
            ("shift+tab", "shift+tab"),
            ("backtab", "shift+tab"),
            ("Enter", "enter"),
            ("alt+enter", "alt+enter"),
            ("?", "?"),
            ("shift+?", "?"),
            ("[", "["),
            ("+", "+"),
            ("ctrl++", "ctrl++"),
            ("Q", "shift+q"),
            ("shift+q", "shift+q"),
            ("space", "space"),
            ("PageUp", "pageup"),
            ("esc", "esc"),
            ("escape", "esc"),
        ] {
            let c = chord(input);
            assert_eq!(c.to_string(), canonical, "{input}");
            assert_eq!(chord(canonical), c, "{canonical} round-trips");
        }
        assert_eq!(chord("shift+tab").code, KeyCode::BackTab);
    }

    #[test]
    fn bad_key_strings_say_why() {
        for (bad, says) in [
            ("", "[]"),
            ("ctrl+", "a key is a single character"),
            ("hyperspace", "a key is a single character"),
            ("f25", "a key is a single character"),
            ("ctrl--", "a key is a single character"),
            ("cmd+k", "not a modifier"),
            ("ctrl-r", "\"ctrl+r\""),
        ] {
            let e = KeyChord::parse(bad).unwrap_err();
            assert!(e.contains(says), "{bad}: {e}");
        }
    }

    #[test]
    fn events_match_despite_terminal_quirks() {
        let k = Keymap::defaults();
        let shift = KeyModifiers::SHIFT;
        // BackTab with or without Shift.
        for m in [KeyModifiers::NONE, shift] {
            assert_eq!(
                k.action(Context::Chat, &ev(KeyCode::BackTab, m)),
                Some(Action::PrevPane)
            );
        }
        // An uppercase letter arrives with or without Shift; both are shift+q.
        let q = chord("shift+q");
        assert!(q.matches(&ev(KeyCode::Char('Q'), shift)));
        assert!(q.matches(&ev(KeyCode::Char('Q'), KeyModifiers::NONE)));
        assert!(q.matches(&ev(KeyCode::Char('q'), shift)));
        assert_eq!(chord("Q"), q);
        // `?` arrives with Shift on most layouts.
        assert!(chord("?").matches(&ev(KeyCode::Char('?'), shift)));
        // Plain q in the chat is `quality`, Shift+Q is not.
        assert_eq!(
            k.action(Context::Chat, &ev(KeyCode::Char('q'), KeyModifiers::NONE)),
            Some(Action::Quality)
        );
        assert_eq!(
            k.action(Context::Chat, &ev(KeyCode::Char('Q'), shift)),
            None
        );
        // A bare line feed is Ctrl+J.
        assert_eq!(
            k.action(Context::Input, &ev(KeyCode::Char('\n'), KeyModifiers::NONE)),
            Some(Action::Newline)
        );
    }

    #[test]
    fn defaults_have_no_conflicts_and_match_todays_keys() {
        let k = Keymap::defaults();
        let ctrl = KeyModifiers::CONTROL;
        let none = KeyModifiers::NONE;
        let cases = [
            (
                Context::Input,
                ev(KeyCode::Char('c'), ctrl),
                Action::CancelOrQuit,
            ),
            (Context::Input, ev(KeyCode::Char('d'), ctrl), Action::Quit),
            (Context::Chat, ev(KeyCode::F(3), none), Action::Voice3),
            (Context::Code, ev(KeyCode::F(12), none), Action::Help),
            (
                Context::Input,
                ev(KeyCode::Char('r'), ctrl),
                Action::History,
            ),
            (Context::Input, ev(KeyCode::Enter, none), Action::Submit),
            (
                Context::Input,
                ev(KeyCode::Enter, KeyModifiers::ALT),
                Action::Newline,
            ),
            (Context::Input, ev(KeyCode::Tab, none), Action::Complete),
            (Context::Chat, ev(KeyCode::Tab, none), Action::NextPane),
            (Context::Chat, ev(KeyCode::Char('d'), none), Action::Unfold),
            (
                Context::Code,
                ev(KeyCode::Char('['), none),
                Action::PrevBlock,
            ),
            (Context::Code, ev(KeyCode::Up, none), Action::CodeLineUp),
            (
                Context::Browser,
                ev(KeyCode::Char('d'), ctrl),
                Action::Delete,
            ),
            (
                Context::Browser,
                ev(KeyCode::Esc, none),
                Action::BrowserClose,
            ),
            (Context::Chat, ev(KeyCode::Esc, none), Action::CloseOrCancel),
        ];
        for (ctx, key, want) in cases {
            assert_eq!(k.action(ctx, &key), Some(want), "{ctx} {key:?}");
        }
        // Tab in the input: complete, else the next pane.
        let tab: Vec<_> = k.actions(Context::Input, &ev(KeyCode::Tab, none)).collect();
        assert_eq!(tab, [Action::Complete, Action::NextPane]);
        // Typing keys never reach global actions in the input, nor any in the browser.
        assert_eq!(
            k.action(Context::Input, &ev(KeyCode::Char('g'), none)),
            None
        );
        assert_eq!(k.action(Context::Browser, &ev(KeyCode::F(1), none)), None);
        assert_eq!(
            k.label(Action::Newline),
            "ctrl+j / alt+enter / shift+enter / ctrl+enter"
        );
        assert_eq!(k.label(Action::PrevPane), "shift+tab");
        // Every default key string parses.
        for a in Action::ALL {
            assert_eq!(a.default_chords().len(), a.default_keys().len(), "{a}");
        }
    }

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
    fn default_toml_lists_every_action_with_its_built_in_keys() {
        let config = crate::config::Config::default();
        for ctx in Context::ALL {
            let table = config.keys.context(ctx);
            let names: Vec<&str> = ctx.actions().map(Action::name).collect();
            let listed: Vec<&str> = table.keys().map(String::as_str).collect();
            let mut sorted = names.clone();
            sorted.sort_unstable();
            assert_eq!(listed, sorted, "[keys.{ctx}]");
            for a in ctx.actions() {
                let spec = &table[a.name()];
                assert_eq!(spec.as_slice(), a.default_keys(), "{a}");
            }
        }
        let from_file = Keymap::from_config(&config.keys, None).unwrap();
        assert_eq!(from_file.rows(), Keymap::defaults().rows());
    }

    #[test]
    fn user_bindings_override_only_what_they_name() {
        let k = user("[keys.chat]\ngood = \"+\"\n").unwrap();
        assert_eq!(k.label(Action::Good), "+");
        assert_eq!(
            k.action(Context::Chat, &ev(KeyCode::Char('+'), KeyModifiers::SHIFT)),
            Some(Action::Good)
        );
        assert_eq!(
            k.action(Context::Chat, &ev(KeyCode::Char('g'), KeyModifiers::NONE)),
            None
        );
        assert_eq!(k.label(Action::Bad), "b");
        assert_eq!(k.label(Action::History), "ctrl+r");
        // A list, and [] to unbind.
        let k = user("[keys.global]\nhelp = [\"f12\", \"f10\"]\nquit = []\n").unwrap();
        assert_eq!(k.label(Action::Help), "f12 / f10");
        assert_eq!(k.label(Action::Quit), "unbound");
        assert!(k.keys_for(Action::Quit).is_empty());
    }

    #[test]
    fn conflicts_name_both_actions_the_key_and_the_line() {
        let e = user("# mine\n[keys.global]\nhelp = \"ctrl+r\"\n").unwrap_err();
        for part in [
            "/cfg/config.toml, line 3",
            "`help` (global, line 3)",
            "`history` (global, default)",
            "ctrl+r",
        ] {
            assert!(e.contains(part), "{part}: {e}");
        }
        // Both set by the user: the later line leads, both lines are named.
        let e = user("[keys.chat]\ngood = \"x\"\n\nbad = \"X\"\nquality = \"x\"\n").unwrap_err();
        assert!(e.starts_with("/cfg/config.toml, line 5:"), "{e}");
        assert!(
            e.contains("`good` (chat, line 2)") && e.contains("`quality` (chat, line 5)"),
            "{e}"
        );
        // A pane key that a global key would shadow.
        let e = user("[keys.code]\ncopy = \"ctrl+o\"\n").unwrap_err();
        assert!(
            e.contains("`copy` (code, line 2)") && e.contains("`toggle_mouse` (global, default)"),
            "{e}"
        );
        assert!(e.contains("global keys act in every pane"), "{e}");
        // Input keys against global ones too.
        let e = user("[keys.input]\nsubmit = \"f12\"\n").unwrap_err();
        assert!(e.contains("`submit`") && e.contains("`help`"), "{e}");
        // Dotted keys are found as well.
        let e = user("keys.global.help = \"ctrl+r\"\n").unwrap_err();
        assert!(e.contains("line 1"), "{e}");
        // The browser takes every key, so it may reuse global keys.
        user("[keys.browser]\nexport = \"ctrl+r\"\n").unwrap();
        // Without the file, the user's binding is still told from the default.
        let e = Keymap::from_config(&keys("[keys.global]\nhelp = \"ctrl+r\"\n"), None).unwrap_err();
        assert!(e.contains("`help` (global, set in your config)"), "{e}");
    }

    #[test]
    fn unknown_actions_and_bad_keys_name_the_line() {
        let e = user("\n[keys.chat]\ngod = \"g\"\n").unwrap_err();
        assert!(
            e.contains("line 3") && e.contains("did you mean `good`"),
            "{e}"
        );
        assert!(e.contains("line_up, line_down, top"), "{e}");
        let e = user("[keys.code]\ncopy = \"ctrl+\"\n").unwrap_err();
        assert!(e.contains("line 2") && e.contains("keys.code.copy"), "{e}");
    }

    #[test]
    fn canonical_translates_user_keys_to_the_editors_defaults() {
        let ctrl = KeyModifiers::CONTROL;
        let none = KeyModifiers::NONE;
        let k = user("[keys.input]\nsubmit = \"ctrl+s\"\nnewline = \"enter\"\n").unwrap();
        let enter = k
            .canonical(Context::Input, &ev(KeyCode::Char('s'), ctrl))
            .unwrap();
        assert_eq!((enter.code, enter.modifiers), (KeyCode::Enter, none));
        let nl = k
            .canonical(Context::Input, &ev(KeyCode::Enter, none))
            .unwrap();
        assert_eq!((nl.code, nl.modifiers), (KeyCode::Char('j'), ctrl));
        // Alt+Enter is no longer a newline key: the editor must not see it.
        assert_eq!(
            k.canonical(Context::Input, &ev(KeyCode::Enter, KeyModifiers::ALT)),
            None
        );
        assert_eq!(
            k.translate(Context::Input, &ev(KeyCode::Enter, KeyModifiers::ALT)),
            None
        );
        // Other keys pass through unchanged.
        let x = ev(KeyCode::Char('x'), none);
        assert_eq!(k.canonical(Context::Input, &x), None);
        assert_eq!(k.translate(Context::Input, &x), Some(x));
        // Keys still bound to their default action map to its first default key.
        let d = Keymap::defaults();
        let nl = d
            .translate(Context::Input, &ev(KeyCode::Enter, KeyModifiers::SHIFT))
            .unwrap();
        assert_eq!((nl.code, nl.modifiers), (KeyCode::Char('j'), ctrl));
        let up = d.translate(Context::Input, &ev(KeyCode::Up, none)).unwrap();
        assert_eq!(up.code, KeyCode::Up);
        // Unbinding submit entirely makes Enter do nothing in the editor.
        let k = user("[keys.input]\nsubmit = []\n").unwrap();
        assert_eq!(k.translate(Context::Input, &ev(KeyCode::Enter, none)), None);
    }
}
