//! Windows over the panes: the session browser, the voice picker, the save prompt, help,
//! the diff view and the commit confirmation. Each is a component, as in gitui and codex's bottom pane: it takes the keys while
//! it is on top, keeps its own state, renders from `&self` beside that state, and answers
//! with an [`Outcome`] the app acts on. The app stays the dispatcher: a key goes to the
//! top overlay first, and only a key it does not consume reaches the app.

pub mod approve;
pub mod browser;
pub mod commit;
pub mod diff_view;
pub mod help;
pub mod save;
pub mod voice_picker;

use crossterm::event::KeyEvent;
use ratatui::layout::Rect;
use ratatui::Frame;

use super::effects::Effect;
use super::theme::Theme;
use crate::keys::{Action, Context, Keymap};

pub use approve::ApproveCommand;
pub use browser::Browser;
pub use commit::CommitConfirm;
pub use diff_view::DiffView;
pub use help::Help;
pub use save::SavePrompt;
pub use voice_picker::VoicePicker;

/// What an overlay did with a key (or a reply), for the app to carry out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Not the overlay's key: the app may act on it (Ctrl+C closes any overlay).
    NotConsumed,
    /// Used, nothing more to do.
    Consumed,
    /// Close the overlay.
    Close,
    /// Close it and say this in the status bar.
    CloseWith(String),
    /// Use this voice (`None`: no voice) and close.
    Voice(Option<usize>),
    /// Save the selected code block there and close.
    Save {
        path: String,
        text: String,
        overwrite: bool,
    },
    /// Work for the effects runner (a search, a preview, resuming, exporting).
    Run(Effect),
    /// Delete this stored session (the engine, the history's one writer, does it).
    Delete(crate::store::SessionId),
    /// A line for the status bar.
    Notice(String),
    Problem(String),
    /// Write these changes (the hunks the user kept; `hunks` counts them for the notice).
    Apply {
        changes: Vec<crate::edit::Change>,
        hunks: usize,
    },
    /// The proposal was rejected: close, nothing is written.
    Reject,
    /// Commit these files with this message.
    Commit {
        files: Vec<String>,
        message: String,
    },
    /// The user's answer to a request's `approval`: run the command or not.
    Approve {
        id: crate::engine::RequestId,
        run: bool,
    },
}

/// What an overlay draws with, besides its own state.
pub struct View<'a> {
    pub theme: &'a Theme,
    pub keymap: &'a Keymap,
}

/// The overlay on top, if any.
#[derive(Debug)]
pub enum Overlay {
    Help(Help),
    Browser(Browser),
    VoicePicker(VoicePicker),
    Save(SavePrompt),
    /// The diff view is on top. The proposal it shows outlives the window (`/diff` opens it
    /// again, the stream keeps filling it while it is closed), so the app keeps it
    /// (`App::edits`) and draws and feeds it; this only says it is on top.
    Diff,
    Commit(CommitConfirm),
    Approve(ApproveCommand),
}

/// Which overlay it is, for tests and the status bar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Help,
    Browser,
    VoicePicker,
    Save,
    Diff,
    Commit,
    Approve,
}

impl Overlay {
    pub fn kind(&self) -> Kind {
        match self {
            Overlay::Help(_) => Kind::Help,
            Overlay::Browser(_) => Kind::Browser,
            Overlay::VoicePicker(_) => Kind::VoicePicker,
            Overlay::Save(_) => Kind::Save,
            Overlay::Diff => Kind::Diff,
            Overlay::Commit(_) => Kind::Commit,
            Overlay::Approve(_) => Kind::Approve,
        }
    }

    pub fn on_key(&mut self, key: KeyEvent, keymap: &Keymap) -> Outcome {
        match self {
            Overlay::Help(o) => o.on_key(key, keymap),
            Overlay::Browser(o) => o.on_key(key, keymap),
            Overlay::VoicePicker(o) => o.on_key(key, keymap),
            Overlay::Save(o) => o.on_key(key, keymap),
            Overlay::Commit(o) => o.on_key(key, keymap),
            Overlay::Approve(o) => o.on_key(key, keymap),
            // The app gives the diff view's keys to the view it keeps.
            Overlay::Diff => Outcome::NotConsumed,
        }
    }

    pub fn render(&self, f: &mut Frame, area: Rect, view: &View) {
        match self {
            Overlay::Help(o) => o.render(f, area, view),
            Overlay::Browser(o) => o.render(f, area, view),
            Overlay::VoicePicker(o) => o.render(f, area, view),
            Overlay::Save(o) => o.render(f, area, view),
            Overlay::Commit(o) => o.render(f, area, view),
            Overlay::Approve(o) => o.render(f, area, view),
            // The app draws the view it keeps.
            Overlay::Diff => {}
        }
    }
}

/// The global action `key` triggers, for the overlays that close on the app's own keys
/// (Esc's `close_or_cancel`, F12's `help`): they follow the user's bindings.
fn global_action(keymap: &Keymap, key: &KeyEvent) -> Option<Action> {
    keymap.action(Context::Global, key)
}

/// A `w`×`h` box in the middle of `area`, no larger than it.
fn centered(area: Rect, w: u16, h: u16) -> Rect {
    let w = w.min(area.width);
    let h = h.min(area.height);
    Rect::new(
        area.x + (area.width - w) / 2,
        area.y + (area.height - h) / 2,
        w,
        h,
    )
}
