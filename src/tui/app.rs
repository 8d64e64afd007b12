//! The app's state and how it changes: key presses and engine events in, commands for the
//! engine and effects (copy, save) out. No I/O and no drawing here, so every behaviour can
//! be driven by tests with scripted events.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Instant;

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers, MouseEvent, MouseEventKind};

use super::chat::{Entry, Scroll, State, Who};
use super::commands::{RouteChoice, SlashCommand};
use super::effects::{Effect, Reply, SaveError};
use super::input::{InputAction, InputBox};
use super::inspector::Inspector;
use super::notice::{Level, Notice};
use super::overlay::{Browser, Help, Kind, Outcome, Overlay, SavePrompt, VoicePicker};
use super::stream::CodeStream;
use super::theme::Theme;
use crate::backend::{BackendId, ChatMessage, Role};
use crate::backend_id::PerBackend;
use crate::engine::{
    BackendHealth, BackendLoad, Command, Event, EventKind, RequestId, RouteMode, SessionChoice,
    Submit,
};
use crate::keys::{Action, Context, Keymap};
use crate::resources::ResourceStatus;
use crate::store::{SessionId, Store, Verdict};
use crate::voice::Voice;

/// The panes that can have focus, in Tab order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pane {
    Input,
    Chat,
    Code,
    Inspector,
    Resources,
}

impl Pane {
    const ORDER: [Pane; 5] = [
        Pane::Input,
        Pane::Chat,
        Pane::Code,
        Pane::Inspector,
        Pane::Resources,
    ];

    fn step(self, forward: bool) -> Pane {
        let i = Self::ORDER.iter().position(|p| *p == self).unwrap_or(0);
        let n = Self::ORDER.len();
        Self::ORDER[if forward {
            (i + 1) % n
        } else {
            (i + n - 1) % n
        }]
    }

    pub fn title(self) -> &'static str {
        match self {
            Pane::Input => "Input",
            Pane::Chat => "Chat",
            Pane::Code => "Code",
            Pane::Inspector => "Routing",
            Pane::Resources => "Resources",
        }
    }
}

pub struct Options {
    pub voices: Vec<Voice>,
    /// Index into `voices` of the voice to start with.
    pub voice: Option<usize>,
    pub store: Option<Arc<Store>>,
    /// A session carried on (`--resume`, `--continue`), with its earlier turns.
    pub session: Option<(SessionId, Vec<ChatMessage>)>,
    pub max_concurrent: PerBackend<usize>,
    pub mouse: bool,
    /// The themes to choose from (built-in and the user's); empty: the dark one only.
    pub themes: Vec<Theme>,
    /// The theme to start with, by name.
    pub theme: Option<String>,
    /// The keys, from the config (defaults where it names none).
    pub keymap: Keymap,
    /// The workspace's root (the git top-level above the working directory).
    pub workspace: Option<std::path::PathBuf>,
}

pub struct App {
    pub theme: Theme,
    pub(crate) themes: Vec<Theme>,
    pub(crate) voices: Vec<Voice>,
    pub(crate) voice: Option<usize>,
    pub(crate) mode: RouteChoice,
    pub(crate) model: Option<String>,
    pub(crate) max_tokens: Option<u32>,
    pub entries: Vec<Entry>,
    pub(crate) input: InputBox,
    pub(crate) focus: Pane,
    pub(crate) overlay: Option<Overlay>,
    pub(crate) store: Option<Arc<Store>>,
    pub(crate) session: Option<SessionId>,
    pub running: Option<RequestId>,
    next_id: RequestId,
    pub(crate) inspector: Inspector,
    pub(crate) resources: Option<ResourceStatus>,
    /// The last model unloaded to make room (`hybrid.vram.unload_idle`), for the resource
    /// pane.
    pub(crate) unloaded: Option<String>,
    pub(crate) health: PerBackend<Option<BackendHealth>>,
    pub(crate) load: PerBackend<BackendLoad>,
    /// Where learning stands per task class (from the engine's live metrics).
    pub(crate) learning: Vec<crate::router::learn::ClassSummary>,
    /// A server is loading a model for the running request (until its first token).
    pub(crate) loading: PerBackend<bool>,
    /// Tokens per second of recent answers, newest last.
    pub(crate) speed: VecDeque<u64>,
    pub scroll: Scroll,
    /// Chat lines at the last draw, to hold a scrolled-up view still as text arrives.
    pub(crate) last_total: usize,
    pub code: CodeStream,
    pub(crate) code_selected: usize,
    pub(crate) code_scroll: usize,
    pub(crate) unfold: bool,
    pub(crate) mouse: bool,
    /// The status bar's notice, while it is live.
    pub(crate) note: Option<Notice>,
    /// The time as the runner last said; notices are stamped and expired by it.
    clock: Instant,
    /// Tokens the last request used and the window its model is loaded with.
    pub(crate) context: Option<(u64, Option<u64>)>,
    last_prompt: Option<String>,
    ctrl_c_armed: bool,
    pub(crate) quit: bool,
    /// Something visible changed since the last frame.
    pub dirty: bool,
    pub outgoing: Vec<Command>,
    pub effects: Vec<Effect>,
    pub(crate) keymap: Keymap,
    /// The session's workspace files.
    pub(crate) files: super::files::Files,
    /// Edit mode, the last proposal and the journal and commit commands in flight
    /// (src/tui/edits/).
    pub(crate) edits: super::edits::Edits,
    /// How commands run (`[sandbox]`); the defaults until the runner sets the config's.
    pub(crate) sandbox: super::run::SandboxInfo,
    /// `/run` and `/test` commands in flight (src/tui/run/).
    pub(crate) runs: super::run::Runs,
}

const SPEED_HISTORY: usize = 60;

impl App {
    pub fn new(opts: Options) -> Self {
        let mut input = InputBox::new();
        let themes = if opts.themes.is_empty() {
            vec![Theme::dark()]
        } else {
            opts.themes
        };
        input.set_completions(
            opts.voices.iter().map(|v| v.name.to_lowercase()).collect(),
            themes.iter().map(|t| t.name.clone()).collect(),
        );
        let load = PerBackend::from_fn(|b| BackendLoad {
            backend: b,
            in_flight: 0,
            queued: 0,
            max_concurrent: opts.max_concurrent[b],
        });
        let mut app = Self {
            theme: themes[0].clone(),
            themes,
            voices: opts.voices,
            voice: opts.voice,
            mode: RouteChoice::Auto,
            model: None,
            max_tokens: None,
            entries: Vec::new(),
            input,
            focus: Pane::Input,
            overlay: None,
            store: opts.store,
            session: None,
            running: None,
            next_id: 1,
            inspector: Inspector::default(),
            resources: None,
            unloaded: None,
            health: PerBackend::default(),
            load,
            loading: PerBackend::splat(false),
            learning: Vec::new(),
            speed: VecDeque::with_capacity(SPEED_HISTORY),
            scroll: Scroll::default(),
            last_total: 0,
            code: CodeStream::new(),
            code_selected: 0,
            code_scroll: 0,
            unfold: false,
            mouse: opts.mouse,
            note: None,
            clock: Instant::now(),
            context: None,
            last_prompt: None,
            ctrl_c_armed: false,
            quit: false,
            dirty: true,
            outgoing: Vec::new(),
            effects: Vec::new(),
            keymap: opts.keymap,
            files: super::files::Files::new(opts.workspace),
            edits: Default::default(),
            sandbox: Default::default(),
            runs: Default::default(),
        };
        app.apply_theme(0);
        app.reindex();
        if let Some(name) = opts.theme {
            if !app.set_theme(&name) {
                let names: Vec<&str> = app.themes.iter().map(|t| t.name.as_str()).collect();
                app.warn(format!(
                    "There is no theme \"{name}\"; try {}",
                    names.join(", ")
                ));
            }
        }
        if let Some((id, turns)) = opts.session {
            app.resume(id, turns);
        }
        app
    }

    /// Switches to the theme of that name (case-insensitive); false if there is none.
    pub fn set_theme(&mut self, name: &str) -> bool {
        let Some(i) = self
            .themes
            .iter()
            .position(|t| t.name.eq_ignore_ascii_case(name.trim()))
        else {
            return false;
        };
        self.apply_theme(i);
        true
    }

    fn apply_theme(&mut self, i: usize) {
        self.theme = self.themes[i].clone();
        super::highlight::set_theme(&self.theme.syntax);
        let t = &self.theme;
        self.input.set_style(super::input::InputStyle {
            text: t.text,
            border: t.border,
            border_focused: t.border_focused,
            placeholder: t.dim,
            cursor: t.selected,
            selection: t.selected,
        });
        // Everything laid out in the old colours is laid out again.
        for e in &self.entries {
            e.touch();
        }
        self.dirty = true;
    }

    fn cycle_theme(&mut self) {
        let now = self.themes.iter().position(|t| t.name == self.theme.name);
        let next = now.map_or(0, |i| (i + 1) % self.themes.len());
        self.apply_theme(next);
        self.notice(format!("Theme: {}", self.theme.name));
    }

    /// Shows a stored session's turns and carries it on.
    pub fn resume(&mut self, id: SessionId, turns: Vec<ChatMessage>) {
        self.entries.clear();
        for m in turns {
            let who = if m.role == Role::User {
                Who::User
            } else {
                Who::Assistant
            };
            self.entries.push(Entry::new(who, m.content));
        }
        self.session = Some(id);
        self.notice(format!("Carrying on session {id}."));
    }

    pub fn voice(&self) -> Option<&Voice> {
        self.voice.and_then(|i| self.voices.get(i))
    }

    pub(crate) fn notice(&mut self, text: impl Into<String>) {
        self.tell(text.into(), Level::Info);
    }

    /// Something the user asked for was refused.
    pub(crate) fn warn(&mut self, text: impl Into<String>) {
        self.tell(text.into(), Level::Warning);
    }

    /// Something went wrong.
    pub(crate) fn problem(&mut self, text: impl Into<String>) {
        self.tell(text.into(), Level::Error);
    }

    /// Notices quote servers and models (errors, model names): the buffer drops control
    /// characters, but bidi controls would reorder the line, so they go here.
    fn tell(&mut self, text: String, level: Level) {
        let text = crate::text::terminal::clean(&text).into_owned();
        self.note = Some(Notice::new(text, level, self.clock));
        self.dirty = true;
    }

    /// The runner says what time it is: a notice past its time goes, and the key hints
    /// come back.
    pub fn set_clock(&mut self, now: Instant) {
        self.clock = now;
        if self.note.as_ref().is_some_and(|n| !n.live_at(now)) {
            self.note = None;
            self.dirty = true;
        }
    }

    /// When the runner must wake for the app's sake alone: the notice's expiry.
    pub fn next_expiry(&self) -> Option<Instant> {
        self.note.as_ref().map(|n| n.until)
    }

    // ---- keys ----------------------------------------------------------------------

    pub fn on_key(&mut self, key: KeyEvent) {
        // Windows reports releases too; act on presses (and auto-repeat) only.
        if key.kind == KeyEventKind::Release {
            return;
        }
        self.dirty = true;
        if self
            .note
            .as_ref()
            .is_some_and(|n| n.ends_on_key(self.clock))
        {
            self.note = None;
        }
        // A message that named a secret file waits for a yes; any other key is a no.
        if let Some(text) = self.files.secret_retry.take() {
            if key.code == KeyCode::Char('y') && key.modifiers.is_empty() {
                self.repeat_edit_flag();
                self.send(text, false, true);
                return;
            }
        }
        let ctx = self.context();
        let action = self.keymap.action(ctx, &key);
        if action != Some(Action::CancelOrQuit) {
            self.ctrl_c_armed = false;
        }
        // The top overlay has the key first.
        if let Some(overlay) = &mut self.overlay {
            let outcome = match (overlay, &mut self.edits.view) {
                (Overlay::Diff, Some(view)) => view.on_key(key, &self.keymap),
                (Overlay::Diff, None) => Outcome::Close,
                (overlay, _) => overlay.on_key(key, &self.keymap),
            };
            if outcome == Outcome::NotConsumed
                && self.keymap.action(Context::Global, &key) == Some(Action::CancelOrQuit)
            {
                // Ctrl+C closes any overlay, and counts towards quitting as anywhere else.
                self.overlay = None;
                self.ctrl_c();
            }
            self.overlay_outcome(outcome);
            return;
        }
        // `?` types text, so it cannot be a bound key; on an empty input it opens help.
        if key.code == KeyCode::Char('?') && self.focus == Pane::Input && self.input.is_empty() {
            self.open_help();
            return;
        }
        match (self.focus, action) {
            (Pane::Input, _) => self.input_key(key),
            (_, Some(a)) if self.global_action(a) || self.pane_action(a) => {}
            _ => self.type_into_input(key),
        }
    }

    /// The keymap context of the focused pane.
    fn context(&self) -> Context {
        match self.focus {
            Pane::Input => Context::Input,
            Pane::Chat => Context::Chat,
            Pane::Code => Context::Code,
            Pane::Inspector | Pane::Resources => Context::Global,
        }
    }

    /// Actions that work wherever the focus is. Returns true when `a` is one of them.
    fn global_action(&mut self, a: Action) -> bool {
        match a {
            Action::CancelOrQuit => self.ctrl_c(),
            Action::Quit if self.input.is_empty() => self.quit = true,
            Action::Quit => {}
            Action::VoicePicker => self.open_voice_picker(),
            Action::History => self.open_browser(),
            Action::CycleTheme => self.cycle_theme(),
            Action::CycleMode => {
                self.mode = self.mode.next();
                self.notice(format!("Route mode: {}", self.mode.label()));
            }
            Action::ToggleMouse => self.toggle_mouse(),
            Action::Voice1 => self.pick_voice_by_order(0),
            Action::Voice2 => self.pick_voice_by_order(1),
            Action::Voice3 => self.pick_voice_by_order(2),
            Action::Voice4 => self.pick_voice_by_order(3),
            Action::Voice5 => self.pick_voice_by_order(4),
            Action::Voice6 => self.pick_voice_by_order(5),
            Action::Help => self.open_help(),
            Action::CloseOrCancel => {
                if let Some(id) = self.running {
                    self.outgoing.push(Command::Cancel(id));
                    self.notice("Cancelling…");
                } else if self.focus != Pane::Input {
                    self.focus = Pane::Input;
                } else if self.run_active() {
                    self.stop_runs();
                }
            }
            Action::NextPane => self.focus = self.focus.step(true),
            Action::PrevPane => self.focus = self.focus.step(false),
            Action::ScrollUp => self.scroll.up(10, self.last_total, 10),
            Action::ScrollDown => self.scroll.down(10),
            _ => return false,
        }
        true
    }

    fn toggle_mouse(&mut self) {
        self.mouse = !self.mouse;
        self.effects.push(Effect::MouseCapture(self.mouse));
        let key = self.keymap.label(Action::ToggleMouse);
        self.notice(if self.mouse {
            format!(
                "Mouse capture on: the wheel scrolls; {key} gives selection back to the terminal"
            )
        } else {
            format!("Mouse capture off: select text natively; {key} turns the wheel back on")
        });
    }

    fn ctrl_c(&mut self) {
        if let Some(id) = self.running {
            self.outgoing.push(Command::Cancel(id));
            self.notice("Cancelling…");
        } else if !self.input.is_empty() {
            self.input.clear();
        } else if self.ctrl_c_armed {
            self.quit = true;
        } else {
            self.ctrl_c_armed = true;
            let key = self.keymap.label(Action::CancelOrQuit);
            if self.run_active() {
                self.warn(format!("A command is running · {key} again quits"));
            } else {
                self.notice(format!("Press {key} again to quit"));
            }
        }
    }

    /// The input: global keys that type nothing act; the rest reach the editor, each
    /// rebound key translated to the default key the editor knows.
    fn input_key(&mut self, key: KeyEvent) {
        let mut actions = self
            .keymap
            .actions(Context::Input, &key)
            .collect::<Vec<_>>()
            .into_iter();
        let first = actions.next();
        // Esc is a global key, so the box never sees it; the `@` list takes it first, and
        // a running request is not cancelled by a press meant for the list.
        if first == Some(Action::CloseOrCancel) && self.input.dismiss_mention() {
            return;
        }
        match first {
            // Tab completes a /command; with nothing to complete it moves on.
            Some(Action::Complete) => {
                let fallback = actions.next();
                self.edit(key, fallback);
            }
            Some(a) if a.context() == Context::Global => {
                self.global_action(a);
            }
            _ => self.edit(key, None),
        }
    }

    fn edit(&mut self, key: KeyEvent, fallback: Option<Action>) {
        let Some(k) = self.keymap.translate(Context::Input, &key) else {
            return; // a default key that was rebound away
        };
        match self.input.handle_key(k) {
            InputAction::Submit(text) => self.submit(text, false),
            InputAction::Command(Ok(cmd)) => self.command(cmd),
            InputAction::Command(Err(msg)) => self.warn(msg),
            InputAction::Ignored => {
                if let Some(a) = fallback {
                    self.global_action(a);
                }
            }
            InputAction::Changed => self.refresh_paths(),
            InputAction::Consumed => {}
        }
    }

    /// The chat's and the code pane's own actions. Returns true when `a` is one of them.
    fn pane_action(&mut self, a: Action) -> bool {
        match a {
            Action::ChatLineUp => self.scroll.up(1, self.last_total, 1),
            Action::ChatLineDown => self.scroll.down(1),
            Action::ChatTop => self.scroll.up(usize::MAX / 2, self.last_total, 1),
            Action::ChatBottom => self.scroll = Scroll::default(),
            Action::Good => self.feedback(Verdict::Good),
            Action::Bad => self.feedback(Verdict::Bad),
            Action::Quality => self.feedback(Verdict::Quality),
            Action::Unfold => {
                self.unfold = !self.unfold;
                for e in &self.entries {
                    e.touch();
                }
            }
            Action::NextBlock | Action::PrevBlock => self.step_block(a == Action::NextBlock),
            Action::CopyBlock => match self.selected_code() {
                Some(text) => {
                    self.effects.push(Effect::Copy(text));
                    self.notice("Copied the code block");
                }
                None => self.warn("There is no code block to copy yet"),
            },
            Action::SaveBlock => match self.selected_code() {
                Some(text) => {
                    let ext = self.selected_extension();
                    let prompt = SavePrompt::new(format!("snippet.{ext}"), text);
                    self.overlay = Some(Overlay::Save(prompt));
                }
                None => self.warn("There is no code block to save yet"),
            },
            Action::CodeLineUp => self.code_scroll = self.code_scroll.saturating_sub(1),
            Action::CodeLineDown => self.code_scroll += 1,
            _ => return false,
        }
        true
    }

    fn step_block(&mut self, forward: bool) {
        let blocks = self.code.blocks.len();
        if blocks == 0 {
            return;
        }
        self.code_selected = if forward {
            (self.code_selected + 1).min(blocks - 1)
        } else {
            self.code_selected.saturating_sub(1)
        };
        self.pick_block();
    }

    /// A printable key pressed in a pane that does not use it goes to the input.
    fn type_into_input(&mut self, key: KeyEvent) {
        if let KeyCode::Char(_) = key.code {
            if !key
                .modifiers
                .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT)
            {
                self.focus = Pane::Input;
                self.input_key(key);
            }
        }
    }

    /// The user picked a block: stop following new ones, and highlight this one.
    fn pick_block(&mut self) {
        self.code_scroll = 0;
        self.code.follow = self.code_selected + 1 == self.code.blocks.len();
        self.code.show(self.code_selected);
    }

    /// While following, the newest block is the one shown.
    fn follow_code(&mut self) {
        if self.code.follow {
            self.code_selected = self.code.blocks.len().saturating_sub(1);
        }
    }

    /// The selected block as the pane shows it, for copying and saving: without control
    /// characters, so what is pasted is what was seen, and an `ESC[201~` in a model's code
    /// cannot end a shell's bracketed paste early.
    pub fn selected_code(&self) -> Option<String> {
        let b = self.code.blocks.get(self.code_selected)?;
        Some(crate::text::terminal::clean(&b.text).into_owned())
    }

    fn selected_extension(&self) -> &'static str {
        let lang = self
            .code
            .blocks
            .get(self.code_selected)
            .and_then(|b| b.lang.as_deref())
            .unwrap_or("");
        match lang {
            "rust" | "rs" => "rs",
            "python" | "py" => "py",
            "javascript" | "js" => "js",
            "typescript" | "ts" => "ts",
            "tsx" => "tsx",
            "go" => "go",
            "toml" => "toml",
            "json" => "json",
            "yaml" | "yml" => "yaml",
            "sh" | "bash" | "shell" => "sh",
            _ => "txt",
        }
    }

    pub fn on_paste(&mut self, text: &str) {
        self.dirty = true;
        if let Some(Overlay::Save(prompt)) = &mut self.overlay {
            prompt.paste(text);
            return;
        }
        self.focus = Pane::Input;
        self.input.paste(text);
    }

    pub fn on_mouse(&mut self, m: MouseEvent) {
        match m.kind {
            MouseEventKind::ScrollUp => self.scroll.up(3, self.last_total, 3),
            MouseEventKind::ScrollDown => self.scroll.down(3),
            _ => return,
        }
        self.dirty = true;
    }

    pub fn on_resize(&mut self) {
        self.dirty = true;
    }

    /// Highlights code that arrived before the syntaxes loaded, a bounded amount per
    /// call; the runner calls it on a timer while `needs_tick` says so.
    pub fn tick(&mut self) {
        if self.code.catch_up() {
            self.dirty = true;
        }
    }

    pub fn needs_tick(&self) -> bool {
        self.code.needs_catch_up()
    }

    // ---- overlays ------------------------------------------------------------------

    /// Which overlay is on top, if any.
    pub fn overlay_kind(&self) -> Option<Kind> {
        self.overlay.as_ref().map(Overlay::kind)
    }

    /// The session browser, while it is open.
    pub fn browser(&self) -> Option<&Browser> {
        match &self.overlay {
            Some(Overlay::Browser(b)) => Some(b),
            _ => None,
        }
    }

    fn open_help(&mut self) {
        self.overlay = Some(Overlay::Help(Help::default()));
    }

    fn open_voice_picker(&mut self) {
        let picker = VoicePicker::new(&self.voices, self.voice);
        self.overlay = Some(Overlay::VoicePicker(picker));
    }

    fn open_browser(&mut self) {
        if self.store.is_none() {
            self.warn(
                "The history is off (history.enabled = false), so there is nothing to browse",
            );
            return;
        }
        let (browser, search) = Browser::open();
        self.overlay = Some(Overlay::Browser(browser));
        self.effects.push(search);
    }

    /// Carries out what an overlay answered.
    fn overlay_outcome(&mut self, outcome: Outcome) {
        match outcome {
            Outcome::NotConsumed | Outcome::Consumed => {}
            Outcome::Close => self.overlay = None,
            Outcome::CloseWith(text) => {
                self.overlay = None;
                self.notice(text);
            }
            Outcome::Apply { changes, hunks } => self.apply_changes(changes, hunks),
            Outcome::Reject => self.reject_changes(),
            Outcome::Commit { files, message } => self.commit(files, message),
            Outcome::Approve { id, run } => {
                self.overlay = None;
                self.outgoing.push(Command::Approve { id, run });
                if !run {
                    self.notice("Not run; the edit is offered unchecked");
                }
            }
            Outcome::Voice(v) => {
                self.overlay = None;
                self.set_voice(v);
            }
            Outcome::Save {
                path,
                text,
                overwrite,
            } => {
                self.overlay = None;
                self.effects.push(Effect::Save {
                    path,
                    text,
                    overwrite,
                });
            }
            Outcome::Run(effect) => self.effects.push(effect),
            Outcome::Delete(session) => {
                let id = self.command_id();
                self.outgoing.push(Command::DeleteSession { id, session });
            }
            Outcome::Notice(text) => self.notice(text),
            Outcome::Problem(text) => self.problem(text),
        }
    }

    /// Background work for the app has finished.
    pub fn on_reply(&mut self, reply: Reply) {
        self.dirty = true;
        // The browser takes its own replies: searches and previews.
        let reply = match &mut self.overlay {
            Some(Overlay::Browser(b)) => match b.on_reply(reply) {
                Ok(outcome) => return self.overlay_outcome(outcome),
                Err(other) => other,
            },
            _ => reply,
        };
        match reply {
            // For a browser closed since.
            Reply::Rows { .. } | Reply::Preview(Ok(_)) => {}
            Reply::Indexed(paths) => {
                self.files.indexed();
                self.input.set_paths(*paths);
            }
            Reply::Preview(Err(e)) | Reply::Exported(Err(e)) => self.problem(e),
            Reply::Resume { id, turns } => match turns {
                Ok(turns) => {
                    if let Some(run) = self.running.take() {
                        self.outgoing.push(Command::Cancel(run));
                    }
                    self.overlay = None;
                    self.code = CodeStream::new();
                    self.inspector = Inspector::default();
                    self.scroll = Scroll::default();
                    self.resume(id, turns);
                }
                Err(e) => self.problem(e),
            },
            Reply::Exported(Ok(path)) => self.notice(format!("Exported to {path}")),
            Reply::Saved { path, text, result } => self.saved(&path, text, result),
        }
    }

    /// The engine deleted a session (or could not).
    fn deleted(&mut self, id: SessionId, error: Option<String>) {
        match error {
            None => {
                if self.session == Some(id) {
                    self.session = None;
                }
                self.notice(format!("Deleted session {id}"));
                if let Some(Overlay::Browser(b)) = &mut self.overlay {
                    let search = b.search();
                    self.effects.push(search);
                }
            }
            Some(e) => self.problem(e),
        }
    }

    /// An id for a command that is not a request (its reply carries it back).
    pub(crate) fn command_id(&mut self) -> RequestId {
        let id = self.next_id;
        self.next_id += 1;
        id
    }

    /// The runner reports how a save went: a file that exists is never overwritten
    /// silently, so the overlay comes back asking to confirm.
    pub fn saved(&mut self, path: &str, text: String, result: Result<(), SaveError>) {
        self.dirty = true;
        match result {
            Ok(()) => self.notice(format!("Saved {path}")),
            Err(SaveError::Exists) => {
                self.overlay = Some(Overlay::Save(SavePrompt::exists(path, text)))
            }
            Err(SaveError::Failed(msg)) => self.problem(format!("Could not save {path}: {msg}")),
        }
    }

    // ---- voices, commands, requests ------------------------------------------------

    fn pick_voice_by_order(&mut self, n: usize) {
        if n < self.voices.len() {
            self.set_voice(Some(n));
        }
    }

    fn set_voice(&mut self, i: Option<usize>) {
        self.voice = i;
        let name = self
            .voice()
            .map_or("none (neutral)".to_owned(), |v| v.name.clone());
        self.notice(format!("Voice: {name}"));
    }

    fn command(&mut self, cmd: SlashCommand) {
        match cmd {
            SlashCommand::Voice(name) => {
                let wanted = name.trim().to_lowercase();
                if wanted == "none" || wanted == "neutral" {
                    self.set_voice(None);
                } else if let Some(i) = self
                    .voices
                    .iter()
                    .position(|v| v.name.to_lowercase() == wanted)
                {
                    self.set_voice(Some(i));
                } else {
                    let names: Vec<String> =
                        self.voices.iter().map(|v| v.name.to_lowercase()).collect();
                    self.warn(format!(
                        "There is no voice \"{name}\"; try {}",
                        names.join(", ")
                    ));
                }
            }
            SlashCommand::Add(paths) => {
                let note = self.files.add(&paths);
                self.notice(note);
            }
            SlashCommand::Drop(paths) => {
                let note = self.files.drop_paths(&paths);
                self.notice(note);
            }
            SlashCommand::Files => {
                let list = self.files.list();
                self.entries.push(Entry::new(Who::Notice, list));
            }
            SlashCommand::Mode(m) => {
                self.mode = m;
                self.notice(format!("Route mode: {}", m.label()));
            }
            SlashCommand::Model(name) => {
                self.model = Some(name.clone()).filter(|n| !n.is_empty());
                self.notice(format!("Model: {name} (the server must have it)"));
            }
            SlashCommand::New => {
                if let Some(id) = self.running.take() {
                    self.outgoing.push(Command::Cancel(id));
                }
                self.entries.clear();
                self.session = None;
                self.files.forget_session();
                self.code = CodeStream::new();
                self.inspector = Inspector::default();
                self.scroll = Scroll::default();
                self.notice("New session");
            }
            SlashCommand::Retry => match self.last_prompt.clone() {
                Some(p) => {
                    // The last exchange is replaced, and the cache is not asked.
                    if self.entries.last().is_some_and(|e| e.who == Who::Assistant) {
                        self.entries.pop();
                    }
                    if self.entries.last().is_some_and(|e| e.who == Who::User) {
                        self.entries.pop();
                    }
                    self.repeat_edit_flag();
                    self.submit(p, true);
                }
                None => self.warn("Nothing to retry yet"),
            },
            SlashCommand::Help => self.open_help(),
            SlashCommand::Edit(prompt) => self.edit_command(prompt),
            SlashCommand::Diff => self.open_diff(),
            SlashCommand::Undo { force } => self.journal_command(true, force),
            SlashCommand::Redo { force } => self.journal_command(false, force),
            SlashCommand::Commit(message) => self.commit_command(message),
            SlashCommand::Run(argv) => self.run_command(argv),
            SlashCommand::Test => self.run_command(Vec::new()),
            SlashCommand::Quit => self.quit = true,
            SlashCommand::Good => self.feedback(Verdict::Good),
            SlashCommand::Bad => self.feedback(Verdict::Bad),
            SlashCommand::Quality => self.feedback(Verdict::Quality),
            SlashCommand::Resume => self.open_browser(),
            SlashCommand::Theme(name) => {
                if self.set_theme(&name) {
                    self.notice(format!("Theme: {}", self.theme.name));
                } else {
                    let names: Vec<&str> = self.themes.iter().map(|t| t.name.as_str()).collect();
                    self.warn(format!(
                        "There is no theme \"{name}\"; try {}",
                        names.join(", ")
                    ));
                }
            }
        }
    }

    /// Rates the session's last answer; the engine records it.
    fn feedback(&mut self, verdict: Verdict) {
        if self.store.is_none() {
            self.warn("Feedback needs a saved session (history is off)");
            return;
        }
        match self.session {
            Some(session) => {
                let id = self.command_id();
                self.outgoing.push(Command::Feedback {
                    id,
                    session,
                    verdict,
                });
            }
            None => self.warn("There is no answer to rate yet"),
        }
    }

    /// Sends what the user typed; the engine adds the voice's system prompt and the
    /// session's earlier turns.
    pub fn submit(&mut self, text: String, no_cache: bool) {
        self.send(text, no_cache, false);
    }

    /// Has the workspace's file list (for `@` completion) read off the draw path; again
    /// after each answer, which may follow new files.
    fn reindex(&mut self) {
        if let Some(root) = self.files.root.clone() {
            self.files.index_asked(self.clock);
            self.effects.push(Effect::Index(root));
        }
    }

    /// Before completing a path being typed, reads the file list again if it is stale.
    fn refresh_paths(&mut self) {
        let text = self.input.text();
        let typing_path = crate::workspace::complete::typing_mention(&text).is_some()
            || text.starts_with("/add ")
            || text.starts_with("/drop ");
        if typing_path && self.files.index_stale(self.clock) {
            self.reindex();
        }
    }

    /// Sends a message; `allow_secrets` once the user said yes to a secret file it names.
    fn send(&mut self, text: String, no_cache: bool, allow_secrets: bool) {
        // A one-off `/edit` is used up even when the message is refused.
        let edit = self.take_edit_flag();
        if self.running.is_some() {
            self.warn("A request is still running — Esc cancels it");
            self.input.set_text(&text);
            return;
        }
        let voice = self.voice().cloned();
        let id = self.command_id();
        let route = match self.mode {
            RouteChoice::Auto => RouteMode::Auto,
            RouteChoice::Fast => RouteMode::Force(BackendId::Lmstudio),
            RouteChoice::Quality => RouteMode::Force(BackendId::Ollama),
        };
        let submit = Submit {
            route,
            model: self.model.clone(),
            max_tokens: self.max_tokens,
            voice: voice.clone(),
            session: self
                .session
                .map_or(SessionChoice::New, SessionChoice::Resume),
            no_cache,
            workspace: self.files.request(allow_secrets),
            edit,
            ..Submit::new(id, text.clone())
        };
        self.outgoing.push(Command::Submit(submit));
        self.edit_request_sent(id, edit);
        self.entries.push(Entry::new(Who::User, text.clone()));
        self.entries.push(Entry::assistant(voice.map(|v| v.name)));
        self.last_prompt = Some(text);
        self.running = Some(id);
        self.inspector = Inspector::default();
        self.code = CodeStream::new();
        self.code_selected = 0;
        self.code_scroll = 0;
        self.scroll = Scroll::default();
        self.dirty = true;
    }

    // ---- engine events -------------------------------------------------------------

    pub fn on_engine(&mut self, ev: Event) {
        self.dirty = true;
        match ev.kind {
            EventKind::Health { backends } => {
                // A role with several endpoints has an entry each: its first stands for it
                // here; the resource pane lists them all from the resources event.
                let mut seen = PerBackend::<bool>::default();
                for h in backends {
                    let b = h.backend;
                    if !std::mem::replace(&mut seen[b], true) {
                        self.health[b] = Some(h);
                    }
                }
                return;
            }
            EventKind::Unloaded {
                backend,
                ref model,
                idle_secs,
                ref reason,
            } => {
                // Kept for the resource pane: an unload is never silent. Cleaned once, here:
                // the model name and reason come from a server.
                let line = crate::engine::unloaded_sentence(backend, model, idle_secs, reason);
                self.unloaded = Some(crate::text::terminal::line(&line, " ").into_owned());
            }
            EventKind::Resources { status } => {
                // One section per endpoint: a role's load is their sum.
                for id in BackendId::ALL {
                    let mine = status.backends.iter().filter(|b| b.backend == id);
                    let (n, in_flight, queued, max) = mine.fold((0, 0, 0, 0), |(n, f, q, m), b| {
                        (n + 1, f + b.in_flight, q + b.queued, m + b.max_concurrent)
                    });
                    if n > 0 {
                        let l = &mut self.load[id];
                        l.in_flight = in_flight;
                        l.queued = queued;
                        l.max_concurrent = max;
                    }
                }
                self.resources = Some(status);
                return;
            }
            EventKind::Metrics { load, learning, .. } => {
                self.learning = learning;
                for l in load {
                    let b = l.backend;
                    self.load[b] = l;
                }
                return;
            }
            EventKind::Rated { verdict, error, .. } => {
                match error {
                    None => {
                        self.notice(format!("Recorded \"{verdict}\"; the router learns from it"))
                    }
                    Some(e) => self.problem(e),
                }
                return;
            }
            EventKind::Deleted { session, error } => {
                self.deleted(session, error);
                return;
            }
            EventKind::Journal {
                action,
                files,
                forced,
                error,
                ..
            } => {
                self.on_journal(ev.id, action, files, forced, error);
                return;
            }
            EventKind::CommitProposal {
                files,
                message,
                error,
                ..
            } => {
                self.on_commit_proposal(files, message, error);
                return;
            }
            EventKind::Committed { commit, error } => {
                self.on_committed(ev.id, commit, error);
                return;
            }
            EventKind::CommandStarted { .. }
            | EventKind::CommandOutput { .. }
            | EventKind::CommandDone { .. } => {
                self.run_event(ev.id, ev.kind);
                return;
            }
            _ => {}
        }
        if Some(ev.id) != self.running {
            self.dirty = false;
            return;
        }
        self.inspector.on_event(&ev.kind);
        self.request_event(ev.id, ev.kind);
    }

    fn request_event(&mut self, id: RequestId, kind: EventKind) {
        let kind = match kind {
            EventKind::Edit {
                path,
                status,
                diff,
                why,
                change,
                file_diff,
                ..
            } => {
                let edit = super::edits::EditEvent {
                    path,
                    status,
                    diff,
                    why,
                    change,
                    file_diff,
                };
                return self.edit_event(id, edit);
            }
            other => other,
        };
        self.edit_stream(id, &kind);
        if let EventKind::Approval { argv, why } = &kind {
            // It waits for the answer: it goes on top, whatever else is open.
            self.overlay = Some(super::overlay::Overlay::Approve(
                super::overlay::ApproveCommand {
                    id,
                    argv: argv.clone(),
                    why: why.clone(),
                },
            ));
        }
        match &kind {
            EventKind::Session { session, .. } => self.session = Some(*session),
            EventKind::Context {
                budget,
                used,
                items,
                ..
            } => self.files.on_context(*budget, *used, items.clone()),
            EventKind::Loading {
                backend,
                loaded: false,
                ..
            } => self.loading[*backend] = true,
            EventKind::Delta { backend, .. } | EventKind::Reasoning { backend, .. } => {
                self.loading[*backend] = false
            }
            EventKind::Done { .. } | EventKind::Error { .. } | EventKind::Cancelled { .. } => {
                self.loading = PerBackend::splat(false);
                self.reindex();
                self.edits_finished(id, matches!(kind, EventKind::Done { .. }));
            }
            _ => {}
        }
        let Some(entry) = self
            .entries
            .iter_mut()
            .rev()
            .find(|e| e.who == Who::Assistant)
        else {
            return;
        };
        entry.touch();
        match kind {
            EventKind::Model { backend, model, .. } => {
                entry.backend = Some(backend);
                entry.model = Some(model);
            }
            EventKind::Delta {
                text,
                draft: true,
                backend,
            } => {
                entry.draft.push_str(&text);
                entry.draft_backend = Some(backend);
                self.code.push(&text);
                self.follow_code();
            }
            EventKind::Delta { text, .. } => {
                if entry.escalated && entry.text.is_empty() {
                    // The quality answer replaces the draft's code in the code pane.
                    self.code = CodeStream::new();
                    self.code_selected = 0;
                }
                entry.text.push_str(&text);
                self.code.push(&text);
                self.follow_code();
            }
            EventKind::Reasoning { text, .. } => entry.reasoning.push_str(&text),
            EventKind::Escalate { .. } => entry.escalated = true,
            EventKind::Fallback { .. } => entry.text.clear(),
            EventKind::Done {
                backend,
                model,
                cached,
                input_tokens,
                output_tokens,
                tokens_per_second,
                ..
            } => {
                if entry.text.is_empty() && entry.draft_backend == Some(backend) {
                    // A draft that held up, or outlived a failed escalation, is the answer.
                    entry.text = std::mem::take(&mut entry.draft);
                    entry.escalated = false;
                }
                entry.backend = Some(backend);
                entry.model = Some(model);
                entry.cached = cached;
                entry.state = State::Done;
                if let Some(tps) = tokens_per_second.filter(|_| !cached) {
                    if self.speed.len() == SPEED_HISTORY {
                        self.speed.pop_front();
                    }
                    self.speed.push_back(tps.round() as u64);
                }
                // Counts come from the server: never trust them not to overflow.
                let used = input_tokens
                    .unwrap_or(0)
                    .saturating_add(output_tokens.unwrap_or(0));
                self.context = Some((used, self.window_of(backend)));
                self.code.finish();
                self.running = None;
            }
            EventKind::Error { message, code, .. } => {
                entry.state = State::Failed(message.clone());
                self.code.finish();
                self.running = None;
                if code == "secret_file" {
                    self.files.secret_retry = self.last_prompt.clone();
                    self.problem(format!("{message} — press y to send it anyway"));
                } else {
                    self.problem(message);
                }
            }
            EventKind::Cancelled { .. } => {
                entry.state = State::Cancelled;
                self.code.finish();
                self.running = None;
                self.notice("Cancelled");
            }
            _ => {}
        }
    }

    /// The loaded window of the model a backend answered with, from the last probe.
    fn window_of(&self, backend: BackendId) -> Option<u64> {
        let model = self.entries.iter().rev().find_map(|e| e.model.clone())?;
        let from_resources = self.resources.as_ref().and_then(|r| {
            r.backends
                .iter()
                .filter(|b| b.backend == backend)
                .flat_map(|b| &b.models)
                .find(|m| m.name == model)?
                .context_length
        });
        from_resources.or_else(|| {
            self.health[backend]
                .as_ref()?
                .models
                .iter()
                .find(|m| m.name == model)?
                .context_length
        })
    }
}
