//! Incremental syntax highlighting for code blocks that stream in.
//!
//! Loading the syntax definitions takes tens of milliseconds, so it never happens on the
//! startup or draw path: [`preload`] loads them on a background thread and everything else
//! only looks at whether they are there yet ([`ready`]). Until then lines stay plain and are
//! highlighted later, in order, a bounded number per call.
//!
//! A [`BlockHighlighter`] highlights each line exactly once, when its newline arrives (the
//! partial last line stays plain), so a streaming block costs one line of work per line, not
//! the whole block again on every token.
//!
//! The syntaxes and themes are two-face's: syntect's own set lacks TypeScript, TSX, TOML,
//! Kotlin, Swift and Dockerfile.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use syntect::easy::HighlightLines;
use syntect::highlighting::{self as sh, FontStyle, Theme};
use syntect::parsing::{SyntaxReference, SyntaxSet};
use two_face::theme::{EmbeddedLazyThemeSet, LazyThemeSet};

/// Past this many bytes in a block, later lines stay plain.
pub const MAX_HIGHLIGHT_BYTES: usize = 256 * 1024;
/// Past this many lines in a block, later lines stay plain.
pub const MAX_HIGHLIGHT_LINES: usize = 5000;
/// Lines highlighted per [`BlockHighlighter::push`] or [`BlockHighlighter::catch_up`] call,
/// so a big paste or a late load never stalls a frame.
pub const CATCH_UP_LINES: usize = 200;
/// The theme used until [`set_theme`] picks another.
pub const DEFAULT_THEME: &str = "base16-ocean.dark";

const TAB: &str = "    ";

struct Assets {
    syntaxes: SyntaxSet,
    themes: LazyThemeSet,
}

static ASSETS: OnceLock<Assets> = OnceLock::new();
static LOAD_STARTED: AtomicBool = AtomicBool::new(false);
static THEME: Mutex<&str> = Mutex::new(DEFAULT_THEME);
static TRUECOLOR: AtomicBool = AtomicBool::new(true);

/// Starts loading the syntaxes and themes on a background thread. Cheap and idempotent:
/// call it at startup and whenever in doubt.
pub fn preload() {
    if ASSETS.get().is_some() || LOAD_STARTED.swap(true, Ordering::SeqCst) {
        return;
    }
    let spawned = std::thread::Builder::new()
        .name("syntax-load".into())
        .spawn(|| {
            let assets = ASSETS.get_or_init(load_assets);
            let _ = assets;
        });
    if spawned.is_err() {
        // Let a later call try again; until then code stays plain.
        LOAD_STARTED.store(false, Ordering::SeqCst);
    }
}

/// Whether the syntaxes are loaded (highlighting can happen).
pub fn ready() -> bool {
    ASSETS.get().is_some()
}

/// Starts loading if needed and blocks until loaded or `timeout` passes. For the headless
/// CLI and tests; the TUI polls [`ready`] instead.
pub fn wait_ready(timeout: Duration) -> bool {
    preload();
    let deadline = Instant::now() + timeout;
    while !ready() {
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    true
}

/// Loads the syntaxes and warms `lang`, blocking until done or `timeout` passes. For
/// benchmarks and tests; the app never waits.
pub fn wait_warm(lang: &str, timeout: Duration) -> bool {
    let deadline = Instant::now() + timeout;
    if !wait_ready(timeout) {
        return false;
    }
    let Some(assets) = ASSETS.get() else {
        return false;
    };
    let Some(syntax) = find_syntax(&assets.syntaxes, lang) else {
        return true; // plain anyway
    };
    let Some(theme) = assets
        .themes
        .get(theme_name())
        .or_else(|| assets.themes.get(DEFAULT_THEME))
    else {
        return false;
    };
    while !warmed(assets, syntax, theme) {
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    true
}

/// Selects the theme for blocks created from now on (case-insensitive). False if there is
/// no theme of that name; see [`theme_names`].
pub fn set_theme(name: &str) -> bool {
    let Some(found) = theme_names()
        .into_iter()
        .find(|n| n.eq_ignore_ascii_case(name.trim()))
    else {
        return false;
    };
    *THEME.lock().unwrap_or_else(|e| e.into_inner()) = found;
    if let Some(assets) = ASSETS.get() {
        // Decompress it now (a user action) rather than on the next draw.
        let _ = assets.themes.get(found);
    }
    true
}

/// The current theme's name.
pub fn theme_name() -> &'static str {
    *THEME.lock().unwrap_or_else(|e| e.into_inner())
}

/// Every theme [`set_theme`] accepts.
pub fn theme_names() -> Vec<&'static str> {
    EmbeddedLazyThemeSet::theme_names()
        .iter()
        .map(|t| t.as_name())
        .collect()
}

static NO_COLOUR: AtomicBool = AtomicBool::new(false);

/// `NO_COLOR`: code keeps its bold and italic but no colours, from now on.
pub fn set_no_colour(on: bool) {
    NO_COLOUR.store(on, Ordering::Relaxed);
}

/// Whether colours are kept as 24-bit RGB (the default) or mapped with [`to_256`] for
/// terminals without truecolor. Applies to lines highlighted from now on.
pub fn set_truecolor(on: bool) {
    TRUECOLOR.store(on, Ordering::Relaxed);
}

fn load_assets() -> Assets {
    let syntaxes = two_face::syntax::extra_newlines();
    let themes = LazyThemeSet::from(two_face::theme::extra());
    let _ = themes.get(theme_name());
    Assets { syntaxes, themes }
}

/// Syntaxes whose first use is done. syntect compiles a syntax's regexes lazily, which
/// takes milliseconds and several megabytes per language; so each language is warmed on a
/// background thread the first time a block needs it (never at startup, which keeps idle
/// memory small), and its blocks stay plain until then.
static WARM: Mutex<Vec<(String, bool)>> = Mutex::new(Vec::new());

/// Whether `syntax` is warm; starts warming it if nobody has.
fn warmed(
    assets: &'static Assets,
    syntax: &'static SyntaxReference,
    theme: &'static Theme,
) -> bool {
    let mut warm = WARM.lock().unwrap_or_else(|e| e.into_inner());
    if let Some((_, done)) = warm.iter().find(|(n, _)| *n == syntax.name) {
        return *done;
    }
    warm.push((syntax.name.clone(), false));
    let spawned = std::thread::Builder::new()
        .name("syntax-warm".into())
        .spawn(move || {
            let _ = HighlightLines::new(syntax, theme).highlight_line("x\n", &assets.syntaxes);
            let mut warm = WARM.lock().unwrap_or_else(|e| e.into_inner());
            if let Some(entry) = warm.iter_mut().find(|(n, _)| *n == syntax.name) {
                entry.1 = true;
            }
        });
    if spawned.is_err() {
        // No thread: warm it here rather than never highlight.
        warm.retain(|(n, _)| *n != syntax.name);
        return true;
    }
    false
}

// ---------------------------------------------------------------------------------------
// Languages

/// Names models write after a fence that syntect does not know as a name or extension.
const ALIASES: &[(&str, &str)] = &[
    ("shell", "bash"),
    ("sh", "bash"),
    ("zsh", "bash"),
    ("console", "bash"),
    ("shell-session", "bash"),
    ("py", "python"),
    ("python3", "python"),
    ("js", "javascript"),
    ("node", "javascript"),
    ("jsx", "javascript"),
    ("ts", "typescript"),
    ("typescriptreact", "tsx"),
    ("yml", "yaml"),
    ("docker", "dockerfile"),
    ("containerfile", "dockerfile"),
    ("kt", "kotlin"),
    ("kts", "kotlin"),
    ("golang", "go"),
    ("c++", "cpp"),
    ("cxx", "cpp"),
    ("hpp", "cpp"),
    ("h", "c"),
    ("md", "markdown"),
    ("htm", "html"),
    ("patch", "diff"),
    ("rs", "rust"),
    ("rb", "ruby"),
    ("cs", "c#"),
    ("csharp", "c#"),
    ("ps1", "powershell"),
    ("make", "makefile"),
    ("jsonc", "json"),
];

/// Fence languages that mean "no highlighting".
const PLAIN: &[&str] = &["", "text", "txt", "plain", "plaintext", "output", "log"];

fn find_syntax<'a>(syntaxes: &'a SyntaxSet, lang: &str) -> Option<&'a SyntaxReference> {
    let lang = lang.trim().to_ascii_lowercase();
    if PLAIN.contains(&lang.as_str()) {
        return None;
    }
    let token = ALIASES
        .iter()
        .find(|(alias, _)| *alias == lang)
        .map_or(lang.as_str(), |(_, token)| token);
    syntaxes
        .find_syntax_by_token(token)
        .or_else(|| syntaxes.find_syntax_by_token(&lang))
}

// ---------------------------------------------------------------------------------------
// Colours

/// Converts a syntect style: foreground, bold, italic, underline (the theme's background is
/// ignored so code sits on the pane's own background).
pub fn convert_style(style: sh::Style) -> Style {
    let mut out = Style::new();
    let colours = !NO_COLOUR.load(Ordering::Relaxed);
    if let Some(fg) = convert_color(style.foreground).filter(|_| colours) {
        let fg = if TRUECOLOR.load(Ordering::Relaxed) {
            fg
        } else {
            to_256(fg)
        };
        out = out.fg(fg);
    }
    let fs = style.font_style;
    if fs.contains(FontStyle::BOLD) {
        out = out.add_modifier(Modifier::BOLD);
    }
    if fs.contains(FontStyle::ITALIC) {
        out = out.add_modifier(Modifier::ITALIC);
    }
    if fs.contains(FontStyle::UNDERLINE) {
        out = out.add_modifier(Modifier::UNDERLINED);
    }
    out
}

/// The terminal themes ("ansi", "base16") store a palette index in red with alpha 0, and
/// "use the default colour" as alpha 1 (bat's convention, which two-face follows).
fn convert_color(c: sh::Color) -> Option<Color> {
    match c.a {
        0 => Some(Color::Indexed(c.r)),
        1 => None,
        _ => Some(Color::Rgb(c.r, c.g, c.b)),
    }
}

/// The xterm-256 colour nearest to an RGB colour (the 6×6×6 cube or the gray ramp); other
/// colours are returned unchanged.
pub fn to_256(color: Color) -> Color {
    let Color::Rgb(r, g, b) = color else {
        return color;
    };
    const LEVELS: [u8; 6] = [0, 95, 135, 175, 215, 255];
    let nearest_level = |v: u8| -> usize {
        (0..LEVELS.len())
            .min_by_key(|&i| LEVELS[i].abs_diff(v))
            .unwrap_or(0)
    };
    let (ri, gi, bi) = (nearest_level(r), nearest_level(g), nearest_level(b));
    let cube = (LEVELS[ri], LEVELS[gi], LEVELS[bi]);
    let cube_index = 16 + 36 * ri + 6 * gi + bi;
    // Gray ramp 232..=255 is 8, 18, ..., 238.
    let avg = (u16::from(r) + u16::from(g) + u16::from(b)) / 3;
    let gray_step = (avg.saturating_sub(3) / 10).min(23);
    let gray = 8 + 10 * gray_step;
    let gray_rgb = (gray as u8, gray as u8, gray as u8);
    let dist = |(x, y, z): (u8, u8, u8)| -> u32 {
        let d = |a: u8, b: u8| u32::from(a.abs_diff(b)).pow(2);
        d(x, r) + d(y, g) + d(z, b)
    };
    if dist(gray_rgb) < dist(cube) {
        Color::Indexed(232 + gray_step as u8)
    } else {
        Color::Indexed(cube_index as u8)
    }
}

// ---------------------------------------------------------------------------------------
// Blocks

enum State {
    /// The syntaxes are not loaded yet.
    Waiting,
    Active(Box<HighlightLines<'static>>, &'static SyntaxSet),
    /// Unknown language, over the size limit, or the highlighter failed: plain from here on.
    Plain,
}

/// Highlights one code block as its text streams in.
pub struct BlockHighlighter {
    lang: Option<String>,
    theme: &'static str,
    state: State,
    /// Completed lines: the first `next` went through the highlighter (or were given up
    /// on), the rest are plain and wait for it.
    lines: Vec<Line<'static>>,
    next: usize,
    /// Text after the last newline.
    partial: String,
    /// Bytes of the lines handed to the highlighter so far, for the size limit.
    bytes: usize,
    max_bytes: usize,
    max_lines: usize,
    /// Lines that went through syntect (tests check each is highlighted once).
    highlighted: usize,
    /// Only a block on screen is highlighted as it streams; the others keep their lines
    /// plain until they are shown (then they catch up on ticks).
    live: bool,
    time_budget: Duration,
}

/// The longest a single push or catch-up may spend highlighting: the rest waits for the
/// next tick, so a burst of code (a cache hit, a slow language) never stalls the app.
pub const HIGHLIGHT_BUDGET: Duration = Duration::from_millis(4);

impl std::fmt::Debug for BlockHighlighter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let state = match self.state {
            State::Waiting => "waiting",
            State::Active(..) => "active",
            State::Plain => "plain",
        };
        f.debug_struct("BlockHighlighter")
            .field("lang", &self.lang)
            .field("state", &state)
            .field("lines", &self.lines.len())
            .field("highlighted_through", &self.next)
            .finish()
    }
}

impl BlockHighlighter {
    /// A highlighter for a block in `lang` (a fence's language; `None` stays plain) with the
    /// current theme. Starts loading the syntaxes if nobody has yet.
    pub fn new(lang: Option<&str>) -> Self {
        preload();
        let lang = lang.map(str::trim).filter(|l| !l.is_empty());
        let state = if lang.is_none() {
            State::Plain
        } else {
            State::Waiting
        };
        Self {
            lang: lang.map(str::to_string),
            theme: theme_name(),
            state,
            lines: Vec::new(),
            next: 0,
            partial: String::new(),
            bytes: 0,
            max_bytes: MAX_HIGHLIGHT_BYTES,
            max_lines: MAX_HIGHLIGHT_LINES,
            highlighted: 0,
            live: true,
            time_budget: HIGHLIGHT_BUDGET,
        }
    }

    /// Whether this block is on screen: only then is it highlighted.
    pub fn set_live(&mut self, live: bool) {
        self.live = live;
    }

    /// The language this block was created with.
    pub fn lang(&self) -> Option<&str> {
        self.lang.as_deref()
    }

    /// Appends streamed text (any chunking) and highlights newly completed lines.
    pub fn push(&mut self, text: &str) {
        self.append(text);
        if self.live {
            self.catch_up();
        }
    }

    /// The block is complete: its last line counts even without a newline.
    pub fn finish(&mut self) {
        if !self.partial.is_empty() {
            let line = std::mem::take(&mut self.partial);
            self.complete_line(&line);
        }
        self.catch_up();
    }

    /// Highlights up to [`CATCH_UP_LINES`] waiting lines. Returns true if any line changed,
    /// so the caller knows to redraw. Call it on ticks while [`Self::needs_catch_up`].
    pub fn catch_up(&mut self) -> bool {
        self.catch_up_with(ASSETS.get(), CATCH_UP_LINES)
    }

    /// Whether lines are waiting for the highlighter (the syntaxes are still loading, or the
    /// per-call budget ran out).
    pub fn needs_catch_up(&self) -> bool {
        if !self.live {
            return false;
        }
        match self.state {
            State::Waiting | State::Active(..) => self.next < self.lines.len(),
            State::Plain => false,
        }
    }

    /// Lines, counting the partial last one.
    pub fn len(&self) -> usize {
        self.lines.len() + usize::from(!self.partial.is_empty())
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// One line (the partial last line comes back plain).
    pub fn line(&self, i: usize) -> Option<Line<'static>> {
        match self.lines.get(i) {
            Some(line) => Some(line.clone()),
            None if i == self.lines.len() && !self.partial.is_empty() => {
                Some(Line::raw(clean(&self.partial)))
            }
            None => None,
        }
    }

    /// The lines in `start..start + height`: only what is on screen gets cloned.
    pub fn visible(&self, start: usize, height: usize) -> Vec<Line<'static>> {
        let end = start.saturating_add(height).min(self.len());
        (start..end).filter_map(|i| self.line(i)).collect()
    }

    /// All lines. Prefer [`Self::visible`] on the draw path.
    pub fn lines(&self) -> Vec<Line<'static>> {
        self.visible(0, self.len())
    }

    fn append(&mut self, text: &str) {
        for piece in text.split_inclusive('\n') {
            match piece.strip_suffix('\n') {
                Some(rest) => {
                    self.partial.push_str(rest);
                    let line = std::mem::take(&mut self.partial);
                    self.complete_line(&line);
                }
                None => self.partial.push_str(piece),
            }
        }
    }

    fn complete_line(&mut self, raw: &str) {
        let raw = raw.strip_suffix('\r').unwrap_or(raw);
        self.lines.push(Line::raw(clean(raw)));
    }

    fn catch_up_with(&mut self, assets: Option<&'static Assets>, budget: usize) -> bool {
        if matches!(self.state, State::Waiting) {
            let Some(assets) = assets else {
                return false;
            };
            self.state = self.start(assets);
            if matches!(self.state, State::Waiting) {
                return false; // its language is still warming up
            }
        }
        let mut changed = false;
        let mut done = 0;
        let started = Instant::now();
        // At least one line per call, so even a slow line makes progress.
        while self.next < self.lines.len()
            && done < budget
            && (done == 0 || started.elapsed() < self.time_budget)
        {
            let State::Active(..) = self.state else {
                // Given up: the remaining lines stay plain.
                self.next = self.lines.len();
                break;
            };
            changed |= self.highlight_next();
            done += 1;
        }
        changed
    }

    fn start(&self, assets: &'static Assets) -> State {
        let Some(syntax) = self
            .lang
            .as_deref()
            .and_then(|l| find_syntax(&assets.syntaxes, l))
        else {
            return State::Plain;
        };
        let theme: &'static Theme = match assets.themes.get(self.theme) {
            Some(theme) => theme,
            None => match assets.themes.get(DEFAULT_THEME) {
                Some(theme) => theme,
                None => return State::Plain,
            },
        };
        if !warmed(assets, syntax, theme) {
            return State::Waiting;
        }
        State::Active(
            Box::new(HighlightLines::new(syntax, theme)),
            &assets.syntaxes,
        )
    }

    /// Highlights line `next`, or gives up on the block if it is over the size limit or the
    /// highlighter fails (its state would be wrong for every later line).
    fn highlight_next(&mut self) -> bool {
        let i = self.next;
        let text = self.lines[i]
            .spans
            .first()
            .map_or(String::new(), |s| s.content.to_string());
        self.bytes += text.len() + 1;
        if self.bytes > self.max_bytes || i >= self.max_lines {
            self.state = State::Plain;
            self.next = self.lines.len();
            return false;
        }
        let State::Active(highlighter, syntaxes) = &mut self.state else {
            return false;
        };
        let with_newline = format!("{text}\n");
        self.highlighted += 1;
        match highlighter.highlight_line(&with_newline, syntaxes) {
            Ok(regions) => {
                self.lines[i] = styled_line(&regions);
                self.next += 1;
                true
            }
            Err(_) => {
                self.state = State::Plain;
                self.next = self.lines.len();
                false
            }
        }
    }
}

fn styled_line(regions: &[(sh::Style, &str)]) -> Line<'static> {
    let spans: Vec<Span<'static>> = regions
        .iter()
        .filter_map(|(style, text)| {
            let text = text.trim_end_matches(['\n', '\r']);
            (!text.is_empty()).then(|| Span::styled(text.to_string(), convert_style(*style)))
        })
        .collect();
    Line::from(spans)
}

/// Tabs as spaces and nothing a terminal must not get: the highlighter should see what is
/// shown.
fn clean(text: &str) -> String {
    crate::text::terminal::line(text, TAB).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn loaded() -> &'static Assets {
        assert!(wait_ready(Duration::from_secs(60)), "syntaxes did not load");
        ASSETS.get().expect("loaded")
    }

    /// A block with the default theme whatever the global one is: a test switches it.
    fn block(lang: &str) -> BlockHighlighter {
        assert!(
            wait_warm(lang, Duration::from_secs(60)),
            "{lang} did not warm up"
        );
        let mut h = BlockHighlighter::new(Some(lang));
        h.theme = DEFAULT_THEME;
        // Line counts, not this machine's speed, decide these tests.
        h.time_budget = Duration::from_secs(60);
        h
    }

    #[test]
    fn a_call_stops_at_its_time_budget_but_always_makes_progress() {
        let mut h = block("rust");
        h.time_budget = Duration::ZERO;
        h.push(&"let x = 1;\n".repeat(20));
        assert_eq!(h.highlighted, 1, "one line, then out of time");
        assert!(h.needs_catch_up());
        while h.catch_up() {}
        assert_eq!(h.highlighted, 20);
    }

    #[test]
    fn a_block_off_screen_waits_until_shown() {
        let mut h = block("rust");
        h.set_live(false);
        h.push(&"let x = 1;\n".repeat(5));
        assert_eq!(h.highlighted, 0);
        assert!(!h.needs_catch_up(), "nothing to do while hidden");
        h.set_live(true);
        assert!(h.needs_catch_up());
        while h.catch_up() {}
        assert_eq!(h.highlighted, 5);
    }

    fn text_of(line: &Line<'_>) -> String {
        line.spans.iter().map(|s| s.content.as_ref()).collect()
    }

    fn is_plain(line: &Line<'_>) -> bool {
        line.spans.iter().all(|s| s.style == Style::new())
    }

    fn highlighted(lang: &str, text: &str) -> BlockHighlighter {
        loaded();
        let mut h = block(lang);
        h.push(text);
        h.finish();
        while h.catch_up() {}
        h
    }

    const RUST: &str = "fn main() {\n    let x = \"hi\"; // note\n\tprintln!(\"{x}\");\n}\n";

    #[test]
    fn chunked_input_matches_whole_input() {
        let whole = highlighted("rust", RUST);
        assert!(whole.lines().iter().any(|l| !is_plain(l)));
        for chunk in [1, 2, 3, 7, 13] {
            let mut h = block("rust");
            let chars: Vec<char> = RUST.chars().collect();
            for piece in chars.chunks(chunk) {
                h.push(&piece.iter().collect::<String>());
            }
            h.finish();
            assert_eq!(h.lines(), whole.lines(), "chunks of {chunk}");
        }
        assert_eq!(text_of(&whole.lines()[2]), "    println!(\"{x}\");");
    }

    #[test]
    fn each_line_is_highlighted_once() {
        loaded();
        let mut h = block("rust");
        for c in RUST.chars() {
            h.push(&c.to_string());
            h.catch_up();
        }
        h.finish();
        h.finish();
        assert_eq!(h.highlighted, RUST.lines().count());
        assert_eq!(h.len(), RUST.lines().count());
    }

    #[test]
    fn partial_last_line_is_plain_until_finish() {
        loaded();
        let mut h = block("rust");
        h.push("let a = 1;\nlet b = \"two\";");
        assert_eq!(h.len(), 2);
        assert!(!is_plain(&h.lines()[0]));
        let partial = h.line(1).expect("partial line");
        assert!(is_plain(&partial));
        assert_eq!(text_of(&partial), "let b = \"two\";");
        h.finish();
        assert!(!is_plain(&h.lines()[1]));
        assert_eq!(h.len(), 2);
    }

    #[test]
    fn unknown_or_missing_language_stays_plain() {
        for lang in [Some("klingon"), Some("text"), None] {
            loaded();
            let mut h = BlockHighlighter::new(lang);
            h.push("fn main() {}\nlet x = 1;\n");
            h.finish();
            assert!(h.lines().iter().all(is_plain), "{lang:?}");
            assert!(!h.needs_catch_up());
            assert_eq!(h.highlighted, 0);
        }
    }

    #[test]
    fn two_face_languages_and_aliases_are_recognised() {
        let ss = &loaded().syntaxes;
        let cases = [
            ("typescript", "TypeScript"),
            ("ts", "TypeScript"),
            ("tsx", "TypeScriptReact"),
            ("toml", "TOML"),
            ("kotlin", "Kotlin"),
            ("kt", "Kotlin"),
            ("swift", "Swift"),
            ("dockerfile", "Dockerfile"),
            ("Dockerfile", "Dockerfile"),
            ("rs", "Rust"),
            ("rust", "Rust"),
            ("py", "Python"),
            ("sh", "Bourne Again Shell (bash)"),
            ("bash", "Bourne Again Shell (bash)"),
            ("shell", "Bourne Again Shell (bash)"),
            ("yml", "YAML"),
            ("json", "JSON"),
            ("go", "Go"),
            ("c", "C"),
            ("cpp", "C++"),
            ("java", "Java"),
            ("md", "Markdown"),
            ("sql", "SQL"),
            ("html", "HTML"),
            ("css", "CSS"),
        ];
        for (lang, name) in cases {
            let found = find_syntax(ss, lang).map(|s| s.name.as_str());
            assert_eq!(found, Some(name), "{lang}");
        }
        for lang in ["js", "jsx"] {
            let found = find_syntax(ss, lang)
                .map(|s| s.name.clone())
                .unwrap_or_default();
            assert!(found.contains("JavaScript"), "{lang} → {found}");
        }
        assert!(find_syntax(ss, "klingon").is_none());
    }

    #[test]
    fn size_limits_leave_the_rest_plain() {
        loaded();
        let mut h = block("rust");
        h.max_lines = 3;
        h.push(&"let x = 1;\n".repeat(10));
        h.finish();
        let lines = h.lines();
        assert!(lines[..3].iter().all(|l| !is_plain(l)));
        assert!(lines[3..].iter().all(is_plain));
        assert_eq!(h.highlighted, 3);
        assert!(!h.needs_catch_up());

        let mut h = block("rust");
        h.max_bytes = 25; // two lines of 11 bytes fit, the third does not
        h.push(&"let x = 1;\n".repeat(5));
        let lines = h.lines();
        assert!(lines[..2].iter().all(|l| !is_plain(l)));
        assert!(lines[2..].iter().all(is_plain));
    }

    #[test]
    fn lines_arriving_before_the_load_catch_up_in_bounded_steps() {
        let assets = loaded();
        let mut h = block("rust");
        // Simulate the syntaxes not being loaded yet.
        h.append(&"let x = 1;\n".repeat(25));
        assert!(!h.catch_up_with(None, 10));
        assert!(h.lines().iter().all(is_plain));
        assert!(h.needs_catch_up());
        assert!(h.catch_up_with(Some(assets), 10));
        assert_eq!(h.highlighted, 10);
        assert!(h.lines()[..10].iter().all(|l| !is_plain(l)));
        assert!(h.lines()[10..].iter().all(is_plain));
        assert!(h.catch_up_with(Some(assets), 10));
        assert!(h.catch_up_with(Some(assets), 10));
        assert!(!h.needs_catch_up());
        assert!(!h.catch_up_with(Some(assets), 10));
        assert_eq!(h.highlighted, 25);
        assert_eq!(
            h.lines(),
            highlighted("rust", &"let x = 1;\n".repeat(25)).lines()
        );
    }

    #[test]
    fn visible_returns_only_the_window() {
        let h = highlighted("rust", &"let x = 1;\n".repeat(500));
        let window = h.visible(490, 20);
        assert_eq!(window.len(), 10);
        assert_eq!(h.visible(600, 5).len(), 0);
        assert_eq!(h.visible(0, 3), h.lines()[..3].to_vec());
    }

    #[test]
    fn crlf_tabs_and_control_characters_are_cleaned() {
        let h = highlighted("python", "x = 1\r\n\tif x:\u{1b}[0m\n");
        let text: Vec<String> = h.lines().iter().map(text_of).collect();
        assert_eq!(text, ["x = 1", "    if x:[0m"]);
    }

    #[test]
    fn themes_can_be_chosen_by_name() {
        assert!(theme_names().contains(&DEFAULT_THEME));
        assert!(!set_theme("no such theme"));
        assert_eq!(theme_name(), DEFAULT_THEME);
        // Switching and back in one test: the theme is global.
        assert!(set_theme("NORD"));
        assert_eq!(theme_name(), "Nord");
        assert!(set_theme(DEFAULT_THEME));
    }

    #[test]
    fn colours_convert() {
        let s = sh::Style {
            foreground: sh::Color {
                r: 1,
                g: 2,
                b: 3,
                a: 255,
            },
            background: sh::Color::BLACK,
            font_style: FontStyle::BOLD | FontStyle::ITALIC,
        };
        let out = convert_style(s);
        assert_eq!(out.fg, Some(Color::Rgb(1, 2, 3)));
        assert!(out.add_modifier.contains(Modifier::BOLD | Modifier::ITALIC));
        assert_eq!(out.bg, None);
        let ansi = sh::Color {
            r: 4,
            g: 0,
            b: 0,
            a: 0,
        };
        assert_eq!(convert_color(ansi), Some(Color::Indexed(4)));
        assert_eq!(convert_color(sh::Color { a: 1, ..ansi }), None);
    }

    #[test]
    fn rgb_maps_to_the_nearest_xterm_colour() {
        assert_eq!(to_256(Color::Rgb(0, 0, 0)), Color::Indexed(16));
        assert_eq!(to_256(Color::Rgb(255, 255, 255)), Color::Indexed(231));
        assert_eq!(to_256(Color::Rgb(255, 0, 0)), Color::Indexed(196));
        assert_eq!(to_256(Color::Rgb(0, 255, 0)), Color::Indexed(46));
        assert_eq!(to_256(Color::Rgb(0, 0, 255)), Color::Indexed(21));
        assert_eq!(to_256(Color::Rgb(95, 135, 175)), Color::Indexed(67));
        // Grays land on the ramp, not the cube.
        assert_eq!(to_256(Color::Rgb(128, 128, 128)), Color::Indexed(244));
        assert_eq!(to_256(Color::Rgb(8, 8, 8)), Color::Indexed(232));
        assert_eq!(to_256(Color::Rgb(238, 238, 238)), Color::Indexed(255));
        assert_eq!(to_256(Color::Red), Color::Red);
        assert_eq!(to_256(Color::Indexed(7)), Color::Indexed(7));
    }
}
