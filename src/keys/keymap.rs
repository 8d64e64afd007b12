//! Building the keymap: the built-in keys with the user's `[keys.*]` bindings laid over
//! them, checked for conflicts, and the lookups the TUI makes per key event.
//!
//! Lookups try the context's own keys first, then the global ones; bindings that would make
//! a key ambiguous are refused when the keymap is built (see [`Keymap::from_config`]).

use std::collections::HashMap;
use std::path::Path;

use crossterm::event::KeyEvent;

use super::action::{unknown_action, Action};
use super::bindings::Keys;
use super::chord::KeyChord;
use super::context::Context;

/// Pairs of actions that may share a key on purpose: the first, a context action, acts
/// only in some states and otherwise leaves the key to the second, a global one. Tab
/// completes a `/command` in the input and otherwise moves to the next pane.
const SHARED: &[(Action, Action)] = &[(Action::Complete, Action::NextPane)];

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
    use crate::keys::testing::{chord, ev};
    use crossterm::event::{KeyCode, KeyModifiers};

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
