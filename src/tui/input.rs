//! The prompt editor: a multi-line [`TextArea`] with prompt history, bracketed paste,
//! slash-command parsing on Enter and Tab completion of commands.
//!
//! Keys (only presses and repeats count; releases, which Windows also sends, are ignored):
//!
//! | key | effect |
//! |-----|--------|
//! | Enter | submit the prompt, or run it as a `/command` |
//! | Ctrl+J, Alt+Enter, Shift+Enter (when reported) | new line |
//! | Up / Down, Ctrl+P / Ctrl+N | move between lines; on the first / last line, browse history |
//! | Tab | complete a `/command` or its argument; again to cycle |
//! | Up / Down, Ctrl+P / Ctrl+N, Tab / Enter, Esc | with the `@` list open: select, insert, close |
//! | Ctrl+A, Home / End | line start / end |
//! | Ctrl+B / Ctrl+F, arrows | character left / right |
//! | Ctrl+Left / Ctrl+Right, Alt+B / Alt+F | word left / right |
//! | Ctrl+K / Ctrl+U / Ctrl+W, Alt+Backspace | delete to line end / line start / word before |
//! | Ctrl+Y | paste what Ctrl+K/U/W deleted |
//! | Ctrl+Z, Ctrl+Shift+Z | undo, redo (redo needs a terminal that reports Shift with Ctrl) |
//!
//! Everything else — Esc, Shift+Tab, F-keys, PageUp/PageDown, Ctrl+C/D/E/G/R/T and any other
//! Ctrl or Alt letter the editor has no use for — comes back as [`InputAction::Ignored`] with
//! the text untouched, so the app can bind it. Ctrl+E is therefore *not* "end of line" here:
//! use End.
//!
//! While the word at the end of the text is a path being typed (`@src/po`, or an argument of
//! `/add` or `/drop`) and the cursor is after it, a list of matching workspace paths is open
//! ([`super::mention_popup`]); it updates with every change to the text. Once a path is
//! inserted or the list closed with Esc, it stays closed until that word changes. Esc is
//! consumed only while the list is open; the app must offer it to the box first (it is
//! otherwise a global key).
//!
//! Typing `?` into an empty box inserts `?` and returns [`InputAction::Changed`]; opening help
//! on a lone `?` is the app's call (check `text() == "?"` after `Changed`, then `clear()`).

use std::cell::Cell;
use std::collections::VecDeque;

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::Line;
use ratatui::widgets::{Block, Widget};
use ratatui_textarea::{CursorMove, TextArea, WrapMode};

use super::commands::{self, SlashCommand};
use super::mention_popup::{self, Listing, MentionPopup};

/// Shown in the empty box.
pub const PLACEHOLDER: &str = "Ask anything — Enter sends, Ctrl+J newline, / for commands";

/// Prompts kept for Up/Down.
const HISTORY_CAP: usize = 500;
/// Undo steps within one prompt.
const UNDO_DEPTH: usize = 100;
/// Long lines wrap at words, and a word wider than the box breaks anywhere.
const WRAP: WrapMode = WrapMode::WordOrGlyph;

/// What a key did, so the app knows whether to redraw, act, or handle the key itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InputAction {
    /// Enter on a prompt: the text, trimmed (see [`InputBox::handle_key`]). The box is cleared.
    Submit(String),
    /// Enter on a one-line `/command`. `Ok` clears the box; `Err` keeps the text so the user
    /// can fix it, and carries one sentence to show.
    Command(Result<SlashCommand, String>),
    /// The text changed.
    Changed,
    /// The editor used the key (a cursor move, or nothing to do) but the text is the same.
    Consumed,
    /// The editor has no use for the key; the app may act on it.
    Ignored,
}

/// Colours of the box; the app sets them from its theme.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InputStyle {
    pub text: Style,
    pub border: Style,
    pub border_focused: Style,
    pub placeholder: Style,
    pub cursor: Style,
    pub selection: Style,
}

impl Default for InputStyle {
    fn default() -> Self {
        Self {
            text: Style::default(),
            border: Style::default().fg(Color::DarkGray),
            border_focused: Style::default().fg(Color::Cyan),
            placeholder: Style::default().fg(Color::DarkGray),
            cursor: Style::default().add_modifier(Modifier::REVERSED),
            selection: Style::default().bg(Color::DarkGray),
        }
    }
}

/// Submitted prompts, plus where Up/Down browsing is and the draft it started from.
#[derive(Debug, Default)]
struct History {
    entries: VecDeque<String>,
    /// Index of the entry on screen while browsing.
    browsing: Option<usize>,
    /// The text that was being typed when browsing began; Down past the newest entry brings it back.
    draft: String,
}

impl History {
    fn push(&mut self, entry: &str) {
        self.stop();
        if self.entries.back().map(String::as_str) != Some(entry) {
            self.entries.push_back(entry.to_owned());
        }
        while self.entries.len() > HISTORY_CAP {
            self.entries.pop_front();
        }
    }

    /// Ends browsing: the text on screen has become the user's own.
    fn stop(&mut self) {
        self.browsing = None;
        self.draft.clear();
    }

    /// The entry before the one shown (the newest when not browsing yet), saving `current`
    /// as the draft when browsing begins. `None` at the oldest entry or with no history.
    fn older(&mut self, current: &str) -> Option<String> {
        let index = match self.browsing {
            None if self.entries.is_empty() => return None,
            None => {
                self.draft = current.to_owned();
                self.entries.len() - 1
            }
            Some(0) => return None,
            Some(i) => i - 1,
        };
        self.browsing = Some(index);
        self.entries.get(index).cloned()
    }

    /// The entry after the one shown, then the draft. `None` when not browsing.
    fn newer(&mut self) -> Option<String> {
        let index = self.browsing?;
        if index + 1 < self.entries.len() {
            self.browsing = Some(index + 1);
            return self.entries.get(index + 1).cloned();
        }
        self.browsing = None;
        Some(std::mem::take(&mut self.draft))
    }
}

/// How many paths Tab offers for `@` at once, best first: as many as the list shows.
const PATH_CANDIDATES: usize = mention_popup::ROWS;

/// Tab-completion state between consecutive Tabs.
#[derive(Debug)]
struct Completion {
    candidates: Vec<String>,
    /// The candidate on screen; `None` while the common prefix is shown.
    shown: Option<usize>,
}

/// Where to leave the cursor after replacing the text.
#[derive(Clone, Copy)]
enum CursorAt {
    /// End of the first line, so a further Up keeps browsing back.
    FirstLineEnd,
    /// End of the text, so a further Down keeps browsing forward.
    End,
}

/// The prompt editor. See the module docs for its keys.
pub struct InputBox {
    editor: TextArea<'static>,
    history: History,
    voices: Vec<String>,
    themes: Vec<String>,
    completion: Option<Completion>,
    /// The workspace's paths, for `@` and `/add` completion.
    paths: Option<crate::workspace::complete::Completer>,
    /// The `@` list, while it is open.
    mention: Option<MentionPopup>,
    /// The path word (its start and text) the list was last closed on by inserting or Esc:
    /// it stays closed until the word is another.
    mention_closed: Option<(usize, String)>,
    /// The (text revision, cursor at the end) the list was last worked out for, so that a
    /// key that changes neither asks the completer nothing.
    mention_for: Option<(u64, bool)>,
    style: InputStyle,
    /// Bumped on every text change; keys the wrapped-height cache.
    revision: u64,
    /// (inner width, revision, wrapped rows) of the last `height_for`.
    rows_cache: Cell<Option<(u16, u64, u16)>>,
}

impl Default for InputBox {
    fn default() -> Self {
        Self::new()
    }
}

impl InputBox {
    pub fn new() -> Self {
        let mut input = Self {
            editor: TextArea::default(),
            history: History::default(),
            voices: Vec::new(),
            themes: Vec::new(),
            completion: None,
            paths: None,
            mention: None,
            mention_closed: None,
            mention_for: None,
            style: InputStyle::default(),
            revision: 0,
            rows_cache: Cell::new(None),
        };
        input.editor.set_wrap_mode(WRAP);
        input.editor.set_max_histories(UNDO_DEPTH);
        input.editor.set_placeholder_text(PLACEHOLDER);
        // The default underline on the cursor line is noise in a one-line prompt.
        input.editor.set_cursor_line_style(Style::default());
        input.apply_style();
        input
    }

    /// Sets the colours (from the app's theme).
    pub fn set_style(&mut self, style: InputStyle) {
        self.style = style;
        self.apply_style();
    }

    fn apply_style(&mut self) {
        self.editor.set_style(self.style.text);
        self.editor.set_placeholder_style(self.style.placeholder);
        self.editor.set_selection_style(self.style.selection);
    }

    /// The names Tab offers after `/voice ` and `/theme `.
    pub fn set_completions(&mut self, voices: Vec<String>, themes: Vec<String>) {
        self.voices = voices;
        self.themes = themes;
    }

    /// The workspace's paths that `@` and `/add` complete.
    pub fn set_paths(&mut self, paths: crate::workspace::complete::Completer) {
        self.paths = Some(paths);
        // An open list was saying "reading the workspace…", or lists an older index.
        self.mention_for = None;
        self.sync_mention();
    }

    /// Candidate lines for a path being typed: after `@`, or as an argument of `/add` or
    /// `/drop`. `None` when no path is being typed.
    fn path_candidates(&mut self, text: &str) -> Option<Vec<String>> {
        let word = path_word(text)?;
        let Some(paths) = self.paths.as_mut() else {
            return Some(Vec::new()); // the index is still being read
        };
        let found = paths.complete(word.query, PATH_CANDIDATES);
        Some(
            found
                .iter()
                .map(|s| word.completed(text, &s.path))
                .collect(),
        )
    }

    /// The `@` list, while it is open.
    pub fn mention(&self) -> Option<&MentionPopup> {
        self.mention.as_ref()
    }

    /// Closes the open `@` list, text untouched, until the path word changes. False (and
    /// nothing done) when no list is open.
    pub fn dismiss_mention(&mut self) -> bool {
        if self.mention.is_none() {
            return false;
        }
        self.close_mention();
        true
    }

    /// No list for the path word at the end of the text, if any, until it changes.
    fn close_mention(&mut self) {
        let text = self.text();
        self.mention_closed = path_word(&text).map(|w| (w.start, text[w.start..].to_owned()));
        self.mention = None;
    }

    /// Opens, updates or closes the `@` list for the text and cursor as they are now.
    fn sync_mention(&mut self) {
        let at_end = self.cursor_at_end();
        if self.mention_for == Some((self.revision, at_end)) {
            return;
        }
        self.mention_for = Some((self.revision, at_end));
        let text = self.text();
        let Some(word) = path_word(&text).filter(|_| at_end) else {
            self.mention = None;
            return;
        };
        let current = (word.start, &text[word.start..]);
        if self
            .mention_closed
            .as_ref()
            .is_some_and(|(start, closed)| (*start, closed.as_str()) == current)
        {
            self.mention = None;
            return;
        }
        self.mention_closed = None;
        let listing = match self.paths.as_mut() {
            None => Listing::Reading,
            Some(paths) => Listing::Found(paths.complete(word.query, mention_popup::ROWS)),
        };
        self.mention = Some(MentionPopup::new(listing));
    }

    /// The list's keys while it is open; `None` for a key it leaves to the editor. It takes
    /// the moving and inserting keys only when it has a row, so that Enter still sends a
    /// prompt whose `@word` matches no file.
    fn mention_key(&mut self, key: KeyEvent) -> Option<InputAction> {
        let popup = self.mention.as_mut()?;
        let plain = key.modifiers.is_empty();
        let ctrl = key.modifiers == KeyModifiers::CONTROL;
        if key.code == KeyCode::Esc && plain {
            self.close_mention();
            return Some(InputAction::Consumed);
        }
        if !popup.has_matches() {
            return None;
        }
        match key.code {
            KeyCode::Up if plain => popup.step(false),
            KeyCode::Char('p') if ctrl => popup.step(false),
            KeyCode::Down if plain => popup.step(true),
            KeyCode::Char('n') if ctrl => popup.step(true),
            KeyCode::Tab | KeyCode::Enter if plain => return Some(self.accept_mention()),
            _ => return None,
        }
        Some(InputAction::Consumed)
    }

    /// Replaces the path word with the selected path and a space, as Tab completion does;
    /// the list stays closed on it.
    fn accept_mention(&mut self) -> InputAction {
        let Some(path) = self
            .mention
            .take()
            .and_then(|p| p.selected_path().map(str::to_owned))
        else {
            return InputAction::Consumed;
        };
        let text = self.text();
        let Some(word) = path_word(&text) else {
            return InputAction::Consumed;
        };
        self.mention_closed = Some((word.start, format!("{}{path}", word.at)));
        let line = word.completed(&text, &path);
        self.replace_completed(&line);
        InputAction::Changed
    }

    /// True when the cursor is after the last character of the text.
    fn cursor_at_end(&self) -> bool {
        let lines = self.editor.lines();
        let ratatui_textarea::DataCursor(row, col) = self.editor.cursor();
        row + 1 == lines.len() && lines.get(row).is_some_and(|l| col == l.chars().count())
    }

    /// The text, lines joined with `\n`.
    pub fn text(&self) -> String {
        let editor: &TextArea<'_> = &self.editor;
        editor.lines().join("\n")
    }

    pub fn is_empty(&self) -> bool {
        self.editor.is_empty()
    }

    /// Empties the box (and forgets its undo steps and any history browsing).
    pub fn clear(&mut self) {
        self.set_text("");
    }

    /// Replaces the text, cursor at the end; e.g. to put back a command the app rejected.
    pub fn set_text(&mut self, s: &str) {
        self.history.stop();
        self.completion = None;
        self.replace(&normalize_newlines(s), CursorAt::End);
        // Text put back is not being typed: no list until the user edits it.
        self.close_mention();
    }

    /// Inserts pasted text at the cursor, newlines included; a paste never submits.
    pub fn paste(&mut self, text: &str) {
        self.completion = None;
        let text = normalize_newlines(text);
        self.edit(|editor| editor.insert_str(&text));
        self.sync_mention();
    }

    /// The Tab candidates while cycling, the one on screen in brackets, for the status bar.
    pub fn completion_hint(&self) -> Option<String> {
        let completion = self.completion.as_ref()?;
        let labels: Vec<String> = completion
            .candidates
            .iter()
            .enumerate()
            .map(|(i, candidate)| {
                let label = short_label(candidate);
                if completion.shown == Some(i) {
                    format!("[{label}]")
                } else {
                    label.to_owned()
                }
            })
            .collect();
        Some(labels.join("  "))
    }

    /// Handles one key; see [`InputAction`] for what comes back.
    ///
    /// Enter sends the text with trailing whitespace and leading blank lines removed (the
    /// first line's indentation stays: it matters in pasted code); whitespace only does
    /// nothing. A one-line text starting with `/` becomes a [`InputAction::Command`]; one
    /// starting with `//` is sent as a prompt with one slash removed. A multi-line text is
    /// always a prompt. Both prompts and valid commands go into the history.
    pub fn handle_key(&mut self, key: KeyEvent) -> InputAction {
        if !matches!(key.kind, KeyEventKind::Press | KeyEventKind::Repeat) {
            return InputAction::Ignored;
        }
        if let Some(action) = self.mention_key(key) {
            self.completion = None;
            return action;
        }
        let action = if key.code == KeyCode::Tab && key.modifiers.is_empty() {
            self.tab()
        } else {
            self.completion = None;
            self.dispatch(key)
        };
        self.sync_mention();
        action
    }

    fn dispatch(&mut self, key: KeyEvent) -> InputAction {
        let mods = key.modifiers;
        // Super/Hyper chords are the app's (or the OS's), never text.
        if mods.intersects(KeyModifiers::SUPER | KeyModifiers::HYPER) {
            return InputAction::Ignored;
        }
        let ctrl = mods.contains(KeyModifiers::CONTROL);
        let alt = mods.contains(KeyModifiers::ALT);
        let plain = !ctrl && !alt && !mods.contains(KeyModifiers::SHIFT);
        match key.code {
            KeyCode::Enter if ctrl || alt || mods.contains(KeyModifiers::SHIFT) => self.newline(),
            KeyCode::Enter => self.submit(),
            // Some Windows consoles deliver Ctrl+J as a bare line feed.
            KeyCode::Char('\n') => self.newline(),
            KeyCode::Char(c) => self.char_key(c, key),
            KeyCode::Up if plain => self.up(),
            KeyCode::Down if plain => self.down(),
            // The TextArea does nothing with these chords; give them their usual meaning.
            KeyCode::Backspace if ctrl && !alt => self.edit(TextArea::delete_word),
            KeyCode::Delete if ctrl && !alt => self.edit(TextArea::delete_next_word),
            KeyCode::Left
            | KeyCode::Right
            | KeyCode::Up
            | KeyCode::Down
            | KeyCode::Home
            | KeyCode::End
            | KeyCode::Backspace
            | KeyCode::Delete => self.forward(key),
            // Esc, BackTab, F-keys, PageUp/PageDown, Insert, media and modifier keys.
            _ => InputAction::Ignored,
        }
    }

    fn char_key(&mut self, c: char, key: KeyEvent) -> InputAction {
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        let alt = key.modifiers.contains(KeyModifiers::ALT);
        match (ctrl, alt) {
            (false, false) => self.edit(|editor| {
                editor.insert_char(c);
                true
            }),
            (true, false) => self.ctrl_char(c, key),
            // The TextArea's Alt bindings: word moves and deletes, paragraph and top/bottom moves.
            (false, true) if "bfdhnp<>[]".contains(c) => self.forward(key),
            (false, true) => InputAction::Ignored,
            // Windows reports AltGr as Ctrl+Alt, so a non-letter here is a typed character
            // (`@`, `{`, `ł` on many layouts).
            (true, true) if !c.is_ascii_alphabetic() => self.edit(|editor| {
                editor.insert_char(c);
                true
            }),
            (true, true) if "bfnp".contains(c) => self.forward(key),
            (true, true) => InputAction::Ignored,
        }
    }

    fn ctrl_char(&mut self, c: char, key: KeyEvent) -> InputAction {
        // Ctrl+Shift+letter arrives as an uppercase letter from some terminals.
        let shifted = c.is_ascii_uppercase() || key.modifiers.contains(KeyModifiers::SHIFT);
        match c.to_ascii_lowercase() {
            'j' => self.newline(),
            'p' => self.up(),
            'n' => self.down(),
            // Readline's Ctrl+U (delete to line start), not the TextArea's undo.
            'u' => self.edit(TextArea::delete_line_by_head),
            'z' if shifted => self.edit(TextArea::redo),
            'z' => self.edit(TextArea::undo),
            'a' | 'b' | 'f' | 'h' | 'k' | 'w' | 'y' => self.forward(KeyEvent {
                code: KeyCode::Char(c.to_ascii_lowercase()),
                ..key
            }),
            // Ctrl+C/D/E/G/R/T and the rest belong to the app.
            _ => InputAction::Ignored,
        }
    }

    /// Runs a TextArea edit; `Changed` when it changed the text.
    fn edit(&mut self, f: impl FnOnce(&mut TextArea<'static>) -> bool) -> InputAction {
        if f(&mut self.editor) {
            self.history.stop();
            self.revision += 1;
            InputAction::Changed
        } else {
            InputAction::Consumed
        }
    }

    /// Hands a key to the TextArea's default key map (only keys already vetted above).
    fn forward(&mut self, key: KeyEvent) -> InputAction {
        self.edit(|editor| editor.input(key))
    }

    fn newline(&mut self) -> InputAction {
        self.edit(|editor| {
            editor.insert_newline();
            true
        })
    }

    fn submit(&mut self) -> InputAction {
        let text = self.text();
        let Some(trimmed) = trim_prompt(&text) else {
            return InputAction::Consumed;
        };
        let line = trimmed.trim_start();
        if !line.contains('\n') {
            if let Some(parsed) = commands::parse(line) {
                if parsed.is_ok() {
                    self.history.push(line);
                    self.clear();
                }
                return InputAction::Command(parsed);
            }
        }
        // `//text` is the escape for text that starts with a slash.
        let prompt = match line.strip_prefix("//") {
            Some(rest) => format!("/{rest}"),
            None => trimmed.to_owned(),
        };
        self.history.push(trimmed);
        self.clear();
        InputAction::Submit(prompt)
    }

    /// Up: a line up, or on the first (screen) line the previous history entry.
    fn up(&mut self) -> InputAction {
        if self.move_within(CursorMove::Up) {
            return InputAction::Consumed;
        }
        match self.history.older(&self.text()) {
            Some(entry) => {
                self.recall(&entry, CursorAt::FirstLineEnd);
                InputAction::Changed
            }
            None => InputAction::Consumed,
        }
    }

    /// Down: a line down, or on the last (screen) line the next history entry, then the draft.
    fn down(&mut self) -> InputAction {
        if self.move_within(CursorMove::Down) {
            return InputAction::Consumed;
        }
        match self.history.newer() {
            Some(entry) => {
                self.recall(&entry, CursorAt::End);
                InputAction::Changed
            }
            None => InputAction::Consumed,
        }
    }

    /// Shows a history entry. An entry ending in an `@path` opens no list: the next Up or
    /// Down must go on browsing.
    fn recall(&mut self, entry: &str, at: CursorAt) {
        self.replace(entry, at);
        self.close_mention();
    }

    /// Moves the cursor; false when it could not move (already on the first or last row).
    fn move_within(&mut self, movement: CursorMove) -> bool {
        let before = self.editor.cursor();
        self.editor.move_cursor(movement);
        self.editor.cursor() != before
    }

    fn tab(&mut self) -> InputAction {
        if let Some(completion) = self.completion.as_mut() {
            let count = completion.candidates.len();
            let next = completion.shown.map_or(0, |i| (i + 1) % count);
            completion.shown = Some(next);
            if let Some(candidate) = completion.candidates.get(next).cloned() {
                self.replace_completed(&candidate);
                return InputAction::Changed;
            }
        }
        let text = self.text();
        if text.contains('\n') {
            return InputAction::Ignored;
        }
        let mut candidates = match self.path_candidates(&text) {
            // A path being typed keeps the keys even with nothing to offer (yet): Tab
            // should not move the focus away from a half-typed @mention.
            Some(paths) if paths.is_empty() => return InputAction::Consumed,
            Some(paths) => paths,
            None => commands::complete(&text, &self.voices, &self.themes),
        };
        match candidates.len() {
            0 => InputAction::Ignored,
            1 if candidates[0] == text => InputAction::Ignored,
            1 => {
                let only = candidates.remove(0);
                self.replace_completed(&only);
                InputAction::Changed
            }
            _ => {
                self.start_cycle(&text, candidates);
                InputAction::Changed
            }
        }
    }

    /// Several candidates: extend to their common prefix if that adds something, else show
    /// the first; later Tabs cycle.
    fn start_cycle(&mut self, text: &str, candidates: Vec<String>) {
        let prefix = common_prefix(&candidates);
        let extends = prefix.chars().count() > text.chars().count()
            && prefix.to_lowercase().starts_with(&text.to_lowercase());
        let shown = if extends { None } else { Some(0) };
        let replacement = match shown {
            None => prefix,
            Some(_) => candidates[0].clone(),
        };
        self.replace_completed(&replacement);
        self.completion = Some(Completion { candidates, shown });
    }

    fn replace_completed(&mut self, line: &str) {
        self.history.stop();
        self.replace(line, CursorAt::End);
    }

    /// Swaps the whole text, resetting undo so Ctrl+Z cannot resurrect another entry.
    fn replace(&mut self, text: &str, at: CursorAt) {
        self.editor.clear();
        self.editor.insert_str(text);
        self.editor.set_max_histories(UNDO_DEPTH);
        match at {
            CursorAt::FirstLineEnd => self.editor.move_cursor(CursorMove::Jump(0, u16::MAX)),
            CursorAt::End => self.editor.move_cursor(CursorMove::Bottom),
        }
        self.editor.move_cursor(CursorMove::End);
        self.revision += 1;
    }

    /// Rows the box needs at `width` (borders included): the wrapped text, 1..=`max` rows,
    /// plus 2 for the border.
    pub fn height_for(&self, width: u16, max: u16) -> u16 {
        let inner = width.saturating_sub(2).max(1);
        self.wrapped_rows(inner).clamp(1, max.max(1)) + 2
    }

    /// Screen rows of the text wrapped at `width`, counted by the TextArea itself so the
    /// height always matches what `render` draws. Cached until the text or width changes.
    fn wrapped_rows(&self, width: u16) -> u16 {
        if let Some((w, rev, rows)) = self.rows_cache.get() {
            if w == width && rev == self.revision {
                return rows;
            }
        }
        let editor: &TextArea<'_> = &self.editor;
        let mut probe = TextArea::new(editor.lines().to_vec());
        probe.set_wrap_mode(WRAP);
        probe.set_tab_length(editor.tab_length());
        // The TextArea learns its wrap width only while rendering.
        let area = Rect::new(0, 0, width, 1);
        (&probe).render(area, &mut Buffer::empty(area));
        probe.move_cursor(CursorMove::Bottom);
        probe.move_cursor(CursorMove::End);
        let rows = u16::try_from(probe.screen_cursor().row + 1).unwrap_or(u16::MAX);
        self.rows_cache.set(Some((width, self.revision, rows)));
        rows
    }

    /// Draws the bordered box with `title`; the cursor shows only when `focused`.
    pub fn render(&mut self, area: Rect, buf: &mut Buffer, focused: bool, title: &str) {
        let border = if focused {
            self.style.border_focused
        } else {
            self.style.border
        };
        let block = Block::bordered()
            .border_style(border)
            .title(Line::from(title.to_owned()));
        self.editor.set_block(block);
        let cursor = if focused {
            self.style.cursor
        } else {
            Style::default()
        };
        self.editor.set_cursor_style(cursor);
        (&self.editor).render(area, buf);
    }
}

/// A path being typed as the last word of the text: after `@`, or as an argument of a
/// one-line `/add` or `/drop`.
struct PathWord<'a> {
    /// Byte offset of the word in the text.
    start: usize,
    /// What goes before the path in the word: `@`, or nothing for a command's argument.
    at: &'static str,
    /// The word without `at`: what the completer matches.
    query: &'a str,
}

impl PathWord<'_> {
    /// `text` with this word replaced by `path`, and a space after it.
    fn completed(&self, text: &str, path: &str) -> String {
        format!("{}{}{path} ", &text[..self.start], self.at)
    }
}

fn path_word(text: &str) -> Option<PathWord<'_>> {
    // After the whitespace character, whatever its width in bytes (a no-break space is two).
    let start = text
        .char_indices()
        .rfind(|(_, c)| c.is_whitespace())
        .map_or(0, |(i, c)| i + c.len_utf8());
    let word = &text[start..];
    let command = start > 0
        && !text.contains('\n')
        && (text.starts_with("/add ") || text.starts_with("/drop "));
    match word.strip_prefix('@') {
        Some(query) => Some(PathWord {
            start,
            at: "@",
            query,
        }),
        None if command => Some(PathWord {
            start,
            at: "",
            query: word,
        }),
        None => None,
    }
}

/// `\r\n` and lone `\r` (old Mac, some terminals' paste) become `\n`.
fn normalize_newlines(text: &str) -> String {
    text.replace("\r\n", "\n").replace('\r', "\n")
}

/// Drops trailing whitespace and blank lines before the first text, keeping the first
/// line's indentation. `None` when nothing but whitespace is left.
fn trim_prompt(text: &str) -> Option<&str> {
    let end = text.trim_end();
    let first = end.len() - end.trim_start().len();
    if first == end.len() {
        return None;
    }
    let line_start = end[..first].rfind('\n').map_or(0, |i| i + 1);
    Some(&end[line_start..])
}

/// The longest common prefix, on char boundaries.
fn common_prefix(items: &[String]) -> String {
    let Some((first, rest)) = items.split_first() else {
        return String::new();
    };
    let mut len = first.len();
    for other in rest {
        let shared: usize = first
            .chars()
            .zip(other.chars())
            .take_while(|(a, b)| a == b)
            .map(|(a, _)| a.len_utf8())
            .sum();
        len = len.min(shared);
    }
    first[..len].to_owned()
}

/// The part of a candidate worth showing: the argument, or the command name.
fn short_label(candidate: &str) -> &str {
    let candidate = candidate.trim_end();
    candidate.rsplit(' ').next().unwrap_or(candidate)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tui::commands::RouteChoice;

    fn press(code: KeyCode, mods: KeyModifiers) -> KeyEvent {
        KeyEvent::new(code, mods)
    }

    fn key(input: &mut InputBox, code: KeyCode) -> InputAction {
        input.handle_key(press(code, KeyModifiers::NONE))
    }

    fn chord(input: &mut InputBox, code: KeyCode, mods: KeyModifiers) -> InputAction {
        input.handle_key(press(code, mods))
    }

    fn ctrl(input: &mut InputBox, c: char) -> InputAction {
        chord(input, KeyCode::Char(c), KeyModifiers::CONTROL)
    }

    fn type_str(input: &mut InputBox, s: &str) {
        for c in s.chars() {
            assert_eq!(key(input, KeyCode::Char(c)), InputAction::Changed, "{c:?}");
        }
    }

    fn enter(input: &mut InputBox) -> InputAction {
        key(input, KeyCode::Enter)
    }

    fn submit(input: &mut InputBox, s: &str) {
        type_str(input, s);
        assert_eq!(enter(input), InputAction::Submit(s.into()));
    }

    #[test]
    fn enter_submits_trimmed_and_clears() {
        let mut input = InputBox::new();
        type_str(&mut input, "  hello world  ");
        assert_eq!(
            enter(&mut input),
            InputAction::Submit("  hello world".into())
        );
        assert!(input.is_empty());
        assert_eq!(input.text(), "");
    }

    #[test]
    fn enter_on_blank_does_nothing() {
        let mut input = InputBox::new();
        assert_eq!(enter(&mut input), InputAction::Consumed);
        type_str(&mut input, "   ");
        assert_eq!(enter(&mut input), InputAction::Consumed);
        assert_eq!(input.text(), "   ");
    }

    #[test]
    fn leading_blank_lines_go_but_indentation_stays() {
        assert_eq!(
            trim_prompt("\n\n    fn x() {}\n  \n"),
            Some("    fn x() {}")
        );
        assert_eq!(trim_prompt(" \n \t"), None);
        assert_eq!(trim_prompt("a\n b "), Some("a\n b"));
    }

    #[test]
    fn newline_keys_insert_a_line() {
        for (code, mods) in [
            (KeyCode::Char('j'), KeyModifiers::CONTROL),
            (KeyCode::Enter, KeyModifiers::ALT),
            (KeyCode::Enter, KeyModifiers::SHIFT),
        ] {
            let mut input = InputBox::new();
            type_str(&mut input, "a");
            assert_eq!(chord(&mut input, code, mods), InputAction::Changed);
            type_str(&mut input, "b");
            assert_eq!(input.text(), "a\nb", "{code:?} {mods:?}");
            assert_eq!(enter(&mut input), InputAction::Submit("a\nb".into()));
        }
    }

    #[test]
    fn paste_keeps_newlines_and_never_submits() {
        let mut input = InputBox::new();
        let text = "fn main() {\r\n    println!(\"hi\");\r}\n// done";
        input.paste(text);
        let expected = "fn main() {\n    println!(\"hi\");\n}\n// done";
        assert_eq!(input.text(), expected);
        assert_eq!(enter(&mut input), InputAction::Submit(expected.into()));
        assert!(input.is_empty());
    }

    #[test]
    fn paste_inserts_at_the_cursor() {
        let mut input = InputBox::new();
        type_str(&mut input, "ab");
        key(&mut input, KeyCode::Left);
        input.paste("1\n2");
        assert_eq!(input.text(), "a1\n2b");
    }

    #[test]
    fn history_browses_and_restores_the_draft() {
        let mut input = InputBox::new();
        submit(&mut input, "first");
        submit(&mut input, "second");
        submit(&mut input, "second"); // consecutive duplicate kept once
        type_str(&mut input, "draft");

        assert_eq!(key(&mut input, KeyCode::Up), InputAction::Changed);
        assert_eq!(input.text(), "second");
        assert_eq!(key(&mut input, KeyCode::Up), InputAction::Changed);
        assert_eq!(input.text(), "first");
        // Oldest entry: Up has nowhere to go.
        assert_eq!(key(&mut input, KeyCode::Up), InputAction::Consumed);
        assert_eq!(input.text(), "first");

        assert_eq!(key(&mut input, KeyCode::Down), InputAction::Changed);
        assert_eq!(input.text(), "second");
        assert_eq!(key(&mut input, KeyCode::Down), InputAction::Changed);
        assert_eq!(input.text(), "draft");
        // Back at the draft: Down does nothing more.
        assert_eq!(key(&mut input, KeyCode::Down), InputAction::Consumed);
        assert_eq!(input.text(), "draft");
    }

    #[test]
    fn up_and_down_move_inside_multiline_text_first() {
        let mut input = InputBox::new();
        submit(&mut input, "old");
        input.paste("one\ntwo");
        // Cursor on line 2: Up moves to line 1, a second Up recalls history.
        assert_eq!(key(&mut input, KeyCode::Up), InputAction::Consumed);
        assert_eq!(input.text(), "one\ntwo");
        assert_eq!(key(&mut input, KeyCode::Up), InputAction::Changed);
        assert_eq!(input.text(), "old");
        assert_eq!(key(&mut input, KeyCode::Down), InputAction::Changed);
        assert_eq!(input.text(), "one\ntwo");
    }

    #[test]
    fn recalled_multiline_entry_keeps_browsing_back() {
        let mut input = InputBox::new();
        submit(&mut input, "older");
        input.paste("a\nb\nc");
        enter(&mut input);
        assert_eq!(ctrl(&mut input, 'p'), InputAction::Changed);
        assert_eq!(input.text(), "a\nb\nc");
        // The cursor sits on the first line, so the next Up goes further back.
        assert_eq!(ctrl(&mut input, 'p'), InputAction::Changed);
        assert_eq!(input.text(), "older");
        assert_eq!(ctrl(&mut input, 'n'), InputAction::Changed);
        assert_eq!(input.text(), "a\nb\nc");
    }

    #[test]
    fn editing_a_recalled_entry_ends_browsing() {
        let mut input = InputBox::new();
        submit(&mut input, "one");
        key(&mut input, KeyCode::Up);
        type_str(&mut input, "!");
        assert_eq!(key(&mut input, KeyCode::Down), InputAction::Consumed);
        assert_eq!(input.text(), "one!");
    }

    #[test]
    fn history_is_capped() {
        let mut history = History::default();
        for i in 0..HISTORY_CAP + 10 {
            history.push(&i.to_string());
        }
        assert_eq!(history.entries.len(), HISTORY_CAP);
        assert_eq!(history.entries.front().map(String::as_str), Some("10"));
    }

    #[test]
    fn enter_parses_slash_commands() {
        let mut input = InputBox::new();
        type_str(&mut input, "/mode fast");
        assert_eq!(
            enter(&mut input),
            InputAction::Command(Ok(SlashCommand::Mode(RouteChoice::Fast)))
        );
        assert!(input.is_empty());
        // Commands are remembered too.
        key(&mut input, KeyCode::Up);
        assert_eq!(input.text(), "/mode fast");
    }

    #[test]
    fn a_bad_command_keeps_its_text() {
        let mut input = InputBox::new();
        type_str(&mut input, "/bogus");
        match enter(&mut input) {
            InputAction::Command(Err(msg)) => assert!(msg.contains("did you mean"), "{msg}"),
            other => panic!("{other:?}"),
        }
        assert_eq!(input.text(), "/bogus");
    }

    #[test]
    fn double_slash_sends_text_with_one_slash() {
        let mut input = InputBox::new();
        type_str(&mut input, "//etc/hosts is empty");
        assert_eq!(
            enter(&mut input),
            InputAction::Submit("/etc/hosts is empty".into())
        );
    }

    #[test]
    fn multiline_text_starting_with_a_slash_is_a_prompt() {
        let mut input = InputBox::new();
        input.paste("/usr/bin/env fails\nwhy?");
        assert_eq!(
            enter(&mut input),
            InputAction::Submit("/usr/bin/env fails\nwhy?".into())
        );
    }

    #[test]
    fn tab_completes_command_names_and_arguments() {
        let mut input = InputBox::new();
        input.set_completions(vec!["analyzer".into(), "architect".into()], vec![]);
        type_str(&mut input, "/vo");
        assert_eq!(key(&mut input, KeyCode::Tab), InputAction::Changed);
        assert_eq!(input.text(), "/voice ");
        type_str(&mut input, "an");
        assert_eq!(key(&mut input, KeyCode::Tab), InputAction::Changed);
        assert_eq!(input.text(), "/voice analyzer");
        assert_eq!(input.completion_hint(), None);
        // Complete already: Tab is the app's.
        assert_eq!(key(&mut input, KeyCode::Tab), InputAction::Ignored);
    }

    #[test]
    fn tab_extends_the_common_prefix_then_cycles() {
        let mut input = InputBox::new();
        type_str(&mut input, "/m");
        assert_eq!(key(&mut input, KeyCode::Tab), InputAction::Changed);
        assert_eq!(input.text(), "/mode");
        assert_eq!(input.completion_hint().as_deref(), Some("/mode  /model"));
        key(&mut input, KeyCode::Tab);
        assert_eq!(input.text(), "/mode ");
        assert_eq!(input.completion_hint().as_deref(), Some("[/mode]  /model"));
        key(&mut input, KeyCode::Tab);
        assert_eq!(input.text(), "/model ");
        key(&mut input, KeyCode::Tab);
        assert_eq!(input.text(), "/mode ");
        // Any other key ends the cycle.
        type_str(&mut input, "f");
        assert_eq!(input.completion_hint(), None);
        key(&mut input, KeyCode::Tab);
        assert_eq!(input.text(), "/mode fast");
    }

    #[test]
    fn a_path_word_after_a_wide_space_is_cut_on_a_character_boundary() {
        let mut input = InputBox::new();
        input.set_paths(crate::workspace::complete::Completer::new(vec![
            "src/a.rs".into()
        ]));
        // A no-break space is two bytes: the word starts after both.
        type_str(&mut input, "see\u{a0}@a");
        assert!(input.mention().is_some());
        assert_eq!(enter(&mut input), InputAction::Changed);
        assert_eq!(input.text(), "see\u{a0}@src/a.rs ");
    }

    #[test]
    fn the_list_follows_the_last_line_of_a_multiline_prompt() {
        let mut input = InputBox::new();
        input.set_paths(crate::workspace::complete::Completer::new(vec![
            "src/a.rs".into()
        ]));
        input.paste("first line\nsee @a");
        assert!(input.mention().is_some());
        assert_eq!(enter(&mut input), InputAction::Changed);
        assert_eq!(input.text(), "first line\nsee @src/a.rs ");
        // A `/add` is a command on one line only.
        input.set_text("/add x\nand a");
        type_str(&mut input, "b");
        assert!(input.mention().is_none());
    }

    #[test]
    fn tab_without_candidates_is_ignored() {
        let mut input = InputBox::new();
        assert_eq!(key(&mut input, KeyCode::Tab), InputAction::Ignored);
        type_str(&mut input, "hello");
        assert_eq!(key(&mut input, KeyCode::Tab), InputAction::Ignored);
        assert_eq!(input.text(), "hello");
    }

    #[test]
    fn releases_are_ignored() {
        let mut input = InputBox::new();
        let release = KeyEvent::new_with_kind(
            KeyCode::Char('a'),
            KeyModifiers::NONE,
            KeyEventKind::Release,
        );
        assert_eq!(input.handle_key(release), InputAction::Ignored);
        assert!(input.is_empty());
        let repeat =
            KeyEvent::new_with_kind(KeyCode::Char('a'), KeyModifiers::NONE, KeyEventKind::Repeat);
        assert_eq!(input.handle_key(repeat), InputAction::Changed);
    }

    #[test]
    fn app_keys_are_ignored_and_leave_the_text() {
        let mut input = InputBox::new();
        type_str(&mut input, "keep me");
        let app_keys = [
            (KeyCode::Esc, KeyModifiers::NONE),
            (KeyCode::BackTab, KeyModifiers::SHIFT),
            (KeyCode::F(1), KeyModifiers::NONE),
            (KeyCode::PageUp, KeyModifiers::NONE),
            (KeyCode::PageDown, KeyModifiers::NONE),
            (KeyCode::Char('c'), KeyModifiers::CONTROL),
            (KeyCode::Char('d'), KeyModifiers::CONTROL),
            (KeyCode::Char('g'), KeyModifiers::CONTROL),
            (KeyCode::Char('t'), KeyModifiers::CONTROL),
            (KeyCode::Char('r'), KeyModifiers::CONTROL),
            (KeyCode::Char('e'), KeyModifiers::CONTROL),
            (KeyCode::Char('v'), KeyModifiers::CONTROL),
            (KeyCode::Char('x'), KeyModifiers::ALT),
        ];
        for (code, mods) in app_keys {
            assert_eq!(
                chord(&mut input, code, mods),
                InputAction::Ignored,
                "{code:?}"
            );
        }
        assert_eq!(input.text(), "keep me");
    }

    #[test]
    fn editing_keys_work() {
        let mut input = InputBox::new();
        type_str(&mut input, "hello brave world");
        assert_eq!(ctrl(&mut input, 'w'), InputAction::Changed);
        assert_eq!(input.text(), "hello brave ");
        assert_eq!(ctrl(&mut input, 'a'), InputAction::Consumed);
        assert_eq!(ctrl(&mut input, 'k'), InputAction::Changed);
        assert_eq!(input.text(), "");
        assert_eq!(ctrl(&mut input, 'y'), InputAction::Changed);
        assert_eq!(input.text(), "hello brave ");
        assert_eq!(ctrl(&mut input, 'u'), InputAction::Changed);
        assert_eq!(input.text(), "");
        assert_eq!(ctrl(&mut input, 'z'), InputAction::Changed);
        assert_eq!(input.text(), "hello brave ");
        assert_eq!(key(&mut input, KeyCode::Home), InputAction::Consumed);
        assert_eq!(key(&mut input, KeyCode::Delete), InputAction::Changed);
        assert_eq!(input.text(), "ello brave ");
        // Ctrl+Right lands on the start of the next word, after the space.
        chord(&mut input, KeyCode::Right, KeyModifiers::CONTROL);
        key(&mut input, KeyCode::Backspace);
        assert_eq!(input.text(), "ellobrave ");
    }

    #[test]
    fn altgr_characters_are_typed() {
        let mut input = InputBox::new();
        let altgr = KeyModifiers::CONTROL | KeyModifiers::ALT;
        assert_eq!(
            chord(&mut input, KeyCode::Char('@'), altgr),
            InputAction::Changed
        );
        assert_eq!(input.text(), "@");
    }

    #[test]
    fn question_mark_is_just_text() {
        let mut input = InputBox::new();
        assert_eq!(key(&mut input, KeyCode::Char('?')), InputAction::Changed);
        assert_eq!(input.text(), "?");
    }

    #[test]
    fn set_text_and_clear() {
        let mut input = InputBox::new();
        input.set_text("a\r\nb");
        assert_eq!(input.text(), "a\nb");
        type_str(&mut input, "c");
        assert_eq!(input.text(), "a\nbc");
        input.clear();
        assert!(input.is_empty());
        // Undo cannot bring back text from before a replace.
        assert_eq!(ctrl(&mut input, 'z'), InputAction::Consumed);
    }

    #[test]
    fn height_grows_with_lines_up_to_max() {
        let mut input = InputBox::new();
        assert_eq!(input.height_for(40, 6), 3);
        input.paste("1\n2\n3");
        assert_eq!(input.height_for(40, 6), 5);
        input.paste("\n4\n5\n6\n7\n8");
        assert_eq!(input.height_for(40, 6), 8);
        input.clear();
        // A long line wraps: 25 chars in a 10-wide interior is 3 rows.
        input.paste(&"x".repeat(25));
        assert_eq!(input.height_for(12, 6), 5);
        assert_eq!(input.height_for(12, 2), 4);
    }

    #[test]
    fn height_counts_word_wrapping() {
        let mut input = InputBox::new();
        input.paste("aaaa bbbb cccc");
        // Interior 6 wide: "aaaa ", "bbbb ", "cccc".
        assert_eq!(input.height_for(8, 10), 5);
    }

    fn row_text(buf: &Buffer, y: u16) -> String {
        (0..buf.area.width)
            .map(|x| buf[(x, y)].symbol().to_owned())
            .collect()
    }

    #[test]
    fn renders_the_placeholder_when_empty() {
        let mut input = InputBox::new();
        let area = Rect::new(0, 0, 70, 3);
        let mut buf = Buffer::empty(area);
        input.render(area, &mut buf, true, "Prompt");
        assert!(row_text(&buf, 0).contains("Prompt"));
        assert!(
            row_text(&buf, 1).contains("Ask anything"),
            "{}",
            row_text(&buf, 1)
        );

        type_str(&mut input, "hi");
        let mut buf = Buffer::empty(area);
        input.render(area, &mut buf, false, "Prompt");
        let row = row_text(&buf, 1);
        assert!(row.contains("hi") && !row.contains("Ask anything"), "{row}");
    }

    #[test]
    fn cursor_shows_only_when_focused() {
        let mut input = InputBox::new();
        type_str(&mut input, "hi");
        let area = Rect::new(0, 0, 20, 3);
        let cursor_cell = (3, 1); // border, 'h', 'i', then the cursor
        let mut buf = Buffer::empty(area);
        input.render(area, &mut buf, true, "");
        assert!(buf[cursor_cell].modifier.contains(Modifier::REVERSED));
        let mut buf = Buffer::empty(area);
        input.render(area, &mut buf, false, "");
        assert!(!buf[cursor_cell].modifier.contains(Modifier::REVERSED));
    }
}
