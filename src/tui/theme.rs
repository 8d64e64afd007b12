//! Colour themes: `themes/*.toml` (dark, light, high-contrast, built in) and the user's own
//! in the `themes` folder beside the config file. A theme colours the UI and picks the
//! syntax theme for code. `NO_COLOR` keeps only bold, dim, italic and reverse; on terminals
//! without truecolor, RGB colours are mapped to the 256-colour palette.

use std::collections::BTreeMap;
use std::path::Path;

use ratatui::style::{Color, Modifier, Style};
use serde::Deserialize;

use super::markdown::MdStyles;

/// The built-in themes, in the order the theme key cycles them.
pub const BUILTIN: &[(&str, &str)] = &[
    ("dark", include_str!("../../themes/dark.toml")),
    ("light", include_str!("../../themes/light.toml")),
    (
        "high-contrast",
        include_str!("../../themes/high-contrast.toml"),
    ),
];

#[derive(Debug, Clone)]
pub struct Theme {
    pub name: String,
    /// The syntax theme code is highlighted with.
    pub syntax: String,
    pub text: Style,
    pub dim: Style,
    pub user: Style,
    pub assistant: Style,
    pub accent: Style,
    pub ok: Style,
    pub warn: Style,
    pub error: Style,
    pub border: Style,
    pub border_focused: Style,
    pub title: Style,
    pub selected: Style,
    pub markdown: MdStyles,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ThemeFile {
    name: String,
    syntax: String,
    styles: BTreeMap<String, String>,
}

/// How many colours the terminal shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Depth {
    TrueColor,
    Palette256,
    /// `NO_COLOR`: modifiers only.
    None,
}

impl Depth {
    /// From the environment: `NO_COLOR` (any non-empty value), else `COLORTERM` saying
    /// truecolor or 24bit, else 256 colours.
    pub fn from_env() -> Depth {
        if std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty()) {
            return Depth::None;
        }
        match std::env::var("COLORTERM").map(|v| v.to_ascii_lowercase()) {
            Ok(v) if v.contains("truecolor") || v.contains("24bit") => Depth::TrueColor,
            _ => Depth::Palette256,
        }
    }
}

impl Theme {
    /// The built-in dark theme (plain styles if it could not be read, which the tests
    /// rule out for a released binary).
    pub fn dark() -> Self {
        Self::builtin("dark").unwrap_or_else(|_| Self::plain())
    }

    fn builtin(name: &str) -> Result<Theme, String> {
        let (_, text) = BUILTIN
            .iter()
            .find(|(n, _)| *n == name)
            .ok_or_else(|| format!("there is no built-in theme \"{name}\""))?;
        Theme::parse(text, Depth::TrueColor)
    }

    /// Only modifiers, for `NO_COLOR`.
    pub fn plain() -> Self {
        let bold = Style::default().add_modifier(Modifier::BOLD);
        let dim = Style::default().add_modifier(Modifier::DIM);
        let s = Style::default();
        Self {
            name: "plain".into(),
            syntax: "ansi".into(),
            text: s,
            dim,
            user: bold,
            assistant: bold,
            accent: s,
            ok: s,
            warn: bold,
            error: bold,
            border: s,
            border_focused: bold,
            title: bold,
            selected: Style::default().add_modifier(Modifier::REVERSED),
            markdown: MdStyles {
                text: s,
                heading: [bold; 3],
                emphasis: Style::default().add_modifier(Modifier::ITALIC),
                strong: bold,
                code: s,
                code_block: s,
                link: Style::default().add_modifier(Modifier::UNDERLINED),
                quote: dim,
                list_marker: s,
                rule: dim,
                dim,
            },
        }
    }

    /// A theme file's text; styles it does not set fall back to the dark theme's.
    pub fn parse(text: &str, depth: Depth) -> Result<Theme, String> {
        let file: ThemeFile = toml::from_str(text).map_err(|e| e.to_string())?;
        let get = |key: &str, default: Style| -> Result<Style, String> {
            match file.styles.get(key) {
                Some(spec) => parse_style(spec, depth).map_err(|e| format!("styles.{key}: {e}")),
                None => Ok(default),
            }
        };
        if let Some(unknown) = file
            .styles
            .keys()
            .find(|k| !STYLE_KEYS.contains(&k.as_str()))
        {
            return Err(format!(
                "styles.{unknown} is not a style; the styles are {}",
                STYLE_KEYS.join(", ")
            ));
        }
        let s = Style::default();
        let heading = get("heading", s.add_modifier(Modifier::BOLD))?;
        let dim = get("dim", s.add_modifier(Modifier::DIM))?;
        Ok(Theme {
            name: file.name,
            syntax: file.syntax,
            text: get("text", s)?,
            dim,
            user: get("user", s)?,
            assistant: get("assistant", s)?,
            accent: get("accent", s)?,
            ok: get("ok", s)?,
            warn: get("warn", s)?,
            error: get("error", s)?,
            border: get("border", s)?,
            border_focused: get("border_focused", s)?,
            title: get("title", s)?,
            selected: get("selected", s.add_modifier(Modifier::REVERSED))?,
            markdown: MdStyles {
                text: get("text", s)?,
                heading: [heading; 3],
                emphasis: get("emphasis", s)?,
                strong: get("strong", s)?,
                code: get("code", s)?,
                code_block: get("code_block", s)?,
                link: get("link", s)?,
                quote: get("quote", s)?,
                list_marker: get("list_marker", s)?,
                rule: dim,
                dim,
            },
        })
    }
}

const STYLE_KEYS: &[&str] = &[
    "text",
    "dim",
    "user",
    "assistant",
    "accent",
    "ok",
    "warn",
    "error",
    "border",
    "border_focused",
    "title",
    "selected",
    "heading",
    "emphasis",
    "strong",
    "code",
    "code_block",
    "link",
    "quote",
    "list_marker",
];

/// "cyan bold", "#88c0d0 italic", "black on white", "214 underline", "default".
pub fn parse_style(spec: &str, depth: Depth) -> Result<Style, String> {
    let mut style = Style::default();
    let mut on = false;
    for word in spec.split_whitespace() {
        let w = word.to_ascii_lowercase();
        let modifier = match w.as_str() {
            "bold" => Some(Modifier::BOLD),
            "dim" => Some(Modifier::DIM),
            "italic" => Some(Modifier::ITALIC),
            "underline" | "underlined" => Some(Modifier::UNDERLINED),
            "reversed" | "reverse" => Some(Modifier::REVERSED),
            _ => None,
        };
        if let Some(m) = modifier {
            style = style.add_modifier(m);
            continue;
        }
        if w == "on" {
            on = true;
            continue;
        }
        let color = parse_color(&w)?;
        let color = match (depth, color) {
            (Depth::None, _) => None,
            (Depth::Palette256, Some(c)) => Some(super::highlight::to_256(c)),
            (_, c) => c,
        };
        if let Some(c) = color {
            style = if on { style.bg(c) } else { style.fg(c) };
        }
        on = false;
    }
    Ok(style)
}

/// `None` for "default" (the terminal's own colour).
fn parse_color(w: &str) -> Result<Option<Color>, String> {
    let named = match w {
        "default" | "reset" => return Ok(None),
        "black" => Color::Black,
        "red" => Color::Red,
        "green" => Color::Green,
        "yellow" => Color::Yellow,
        "blue" => Color::Blue,
        "magenta" => Color::Magenta,
        "cyan" => Color::Cyan,
        "gray" | "grey" => Color::Gray,
        "darkgray" | "darkgrey" => Color::DarkGray,
        "lightred" => Color::LightRed,
        "lightgreen" => Color::LightGreen,
        "lightyellow" => Color::LightYellow,
        "lightblue" => Color::LightBlue,
        "lightmagenta" => Color::LightMagenta,
        "lightcyan" => Color::LightCyan,
        "white" => Color::White,
        hex if hex.starts_with('#') && hex.len() == 7 => {
            let byte = |i: usize| u8::from_str_radix(&hex[i..i + 2], 16);
            match (byte(1), byte(3), byte(5)) {
                (Ok(r), Ok(g), Ok(b)) => Color::Rgb(r, g, b),
                _ => return Err(format!("\"{hex}\" is not a #rrggbb colour")),
            }
        }
        n => match n.parse::<u8>() {
            Ok(i) => Color::Indexed(i),
            Err(_) => {
                return Err(format!(
                    "\"{n}\" is not a colour or modifier (a colour name, #rrggbb, 0-255, or bold, dim, italic, underline, reversed)"
                ))
            }
        },
    };
    Ok(Some(named))
}

/// Every theme by name: the built-in ones, then the user's (`<dir>/*.toml`; one with a
/// built-in's name replaces it). A broken user theme is reported, not fatal.
pub fn load_all(dir: Option<&Path>, depth: Depth) -> (Vec<Theme>, Vec<String>) {
    let mut themes: Vec<Theme> = Vec::new();
    let mut problems = Vec::new();
    for (_, text) in BUILTIN {
        match Theme::parse(text, depth) {
            Ok(t) => themes.push(t),
            Err(e) => problems.push(format!("built-in theme: {e}")),
        }
    }
    let Some(dir) = dir else {
        return (themes, problems);
    };
    let Ok(entries) = std::fs::read_dir(dir) else {
        return (themes, problems);
    };
    let mut paths: Vec<_> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    paths.sort();
    for path in paths {
        let parsed = std::fs::read_to_string(&path)
            .map_err(|e| e.to_string())
            .and_then(|t| Theme::parse(&t, depth));
        match parsed {
            Ok(t) => {
                themes.retain(|x| !x.name.eq_ignore_ascii_case(&t.name));
                themes.push(t);
            }
            Err(e) => problems.push(format!("theme {}: {e}", path.display())),
        }
    }
    (themes, problems)
}

/// Asks the terminal for its background (OSC 11), followed by a device-attributes query
/// that every terminal answers, so a terminal that ignores OSC 11 costs one round trip, not
/// a timeout. Call in raw mode, before anything else reads the terminal. `None` when the
/// answer does not say.
#[cfg(unix)]
pub fn query_background() -> Option<bool> {
    use std::io::Write;
    let mut out = std::io::stdout();
    out.write_all(b"\x1b]11;?\x07\x1b[c").ok()?;
    out.flush().ok()?;
    let mut reply = Vec::new();
    let deadline = std::time::Instant::now() + std::time::Duration::from_millis(200);
    // The device-attributes answer ends in 'c' after "\x1b[?": stop there.
    while !reply.windows(3).any(|w| w == b"\x1b[?") || !reply.ends_with(b"c") {
        let left = deadline.checked_duration_since(std::time::Instant::now())?;
        let mut fds = libc::pollfd {
            fd: libc::STDIN_FILENO,
            events: libc::POLLIN,
            revents: 0,
        };
        // SAFETY: one valid pollfd for the duration of the call.
        let ready = unsafe { libc::poll(&mut fds, 1, left.as_millis() as libc::c_int) };
        if ready <= 0 {
            return None;
        }
        let mut buf = [0u8; 256];
        // SAFETY: reading into a stack buffer of the length given.
        let n = unsafe { libc::read(libc::STDIN_FILENO, buf.as_mut_ptr().cast(), buf.len()) };
        if n <= 0 {
            return None;
        }
        reply.extend_from_slice(&buf[..n as usize]);
    }
    background_from_osc11(&reply)
}

#[cfg(not(unix))]
pub fn query_background() -> Option<bool> {
    None
}

/// Light or dark from `COLORFGBG` ("15;0": white on black), the convention of rxvt,
/// Konsole and others. `None` when it is not set or unclear.
pub fn background_from_colorfgbg(value: &str) -> Option<bool> {
    let bg: u8 = value.rsplit(';').next()?.trim().parse().ok()?;
    // 0-6 and 8 are dark backgrounds; 7 and 9-15 light.
    Some(matches!(bg, 7 | 9..=15))
}

/// Light or dark from an OSC 11 reply (`ESC ] 11 ; rgb:RRRR/GGGG/BBBB BEL`): light when
/// its perceived brightness is above half.
pub fn background_from_osc11(reply: &[u8]) -> Option<bool> {
    let text = std::str::from_utf8(reply).ok()?;
    let rgb = text.split("rgb:").nth(1)?;
    let parts: Vec<u32> = rgb
        .split(['/', '\x07', '\x1b'])
        .take(3)
        .map(|h| {
            // The reply is the terminal's: count characters, never slice bytes.
            let h: String = h.chars().take(4).collect();
            if h.is_empty() || !h.chars().all(|c| c.is_ascii_hexdigit()) {
                return None;
            }
            let v = u32::from_str_radix(&h, 16).ok()?;
            // Scale 1-4 hex digits to 0..=255.
            let max = (1u32 << (4 * h.len() as u32)) - 1;
            Some(v * 255 / max.max(1))
        })
        .collect::<Option<_>>()?;
    let [r, g, b] = parts[..] else {
        return None;
    };
    let luma = (299 * r + 587 * g + 114 * b) / 1000;
    Some(luma > 127)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_builtin_theme_parses_and_names_a_real_syntax_theme() {
        let names = super::super::highlight::theme_names();
        for (name, text) in BUILTIN {
            let t = Theme::parse(text, Depth::TrueColor).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(&t.name, name);
            assert!(names.contains(&t.syntax.as_str()), "{name}: {}", t.syntax);
        }
    }

    #[test]
    fn styles_parse_and_bad_ones_say_why() {
        let s = parse_style("#88c0d0 bold on black", Depth::TrueColor).unwrap();
        assert_eq!(s.fg, Some(Color::Rgb(0x88, 0xc0, 0xd0)));
        assert_eq!(s.bg, Some(Color::Black));
        assert!(s.add_modifier.contains(Modifier::BOLD));
        let mapped = parse_style("#88c0d0", Depth::Palette256).unwrap();
        assert!(matches!(mapped.fg, Some(Color::Indexed(_))));
        let none = parse_style("red bold", Depth::None).unwrap();
        assert_eq!(none.fg, None);
        assert!(none.add_modifier.contains(Modifier::BOLD));
        let e = parse_style("chartreuse", Depth::TrueColor).unwrap_err();
        assert!(e.contains("chartreuse"), "{e}");
        let e = Theme::parse(
            "name='x'\nsyntax='ansi'\n[styles]\nborderr='red'\n",
            Depth::TrueColor,
        )
        .unwrap_err();
        assert!(e.contains("borderr"), "{e}");
    }

    #[test]
    fn user_themes_add_and_replace_and_broken_ones_are_reported() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("solar.toml"),
            "name='solar'\nsyntax='Solarized (dark)'\n[styles]\naccent='#b58900'\n",
        )
        .unwrap();
        std::fs::write(
            dir.path().join("light.toml"),
            "name='light'\nsyntax='GitHub'\n[styles]\n",
        )
        .unwrap();
        std::fs::write(dir.path().join("bad.toml"), "name=").unwrap();
        let (themes, problems) = load_all(Some(dir.path()), Depth::TrueColor);
        let names: Vec<&str> = themes.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(names, ["dark", "high-contrast", "light", "solar"]);
        assert_eq!(themes[2].syntax, "GitHub");
        assert_eq!(problems.len(), 1);
        assert!(problems[0].contains("bad.toml"));
    }

    #[test]
    fn the_background_is_read_from_colorfgbg_and_osc_11() {
        assert_eq!(background_from_colorfgbg("15;0"), Some(false));
        assert_eq!(background_from_colorfgbg("0;15"), Some(true));
        assert_eq!(background_from_colorfgbg("0;default;7"), Some(true));
        assert_eq!(background_from_colorfgbg("x"), None);
        assert_eq!(
            background_from_osc11(b"\x1b]11;rgb:ffff/ffff/ffff\x07"),
            Some(true)
        );
        assert_eq!(
            background_from_osc11(b"\x1b]11;rgb:1e1e/1e1e/2e2e\x1b\\"),
            Some(false)
        );
        assert_eq!(background_from_osc11(b"\x1b]11;rgb:f/f/f\x07"), Some(true));
        // A hostile or broken reply: a multibyte character across the fourth byte.
        for reply in [
            "\x1b]11;rgb:fffé/ffff/ffff\x07",
            "\x1b]11;rgb:é/€/😀\x07",
            "\x1b]11;rgb://\x07",
        ] {
            assert_eq!(background_from_osc11(reply.as_bytes()), None, "{reply:?}");
        }
        assert_eq!(background_from_osc11(b"garbage"), None);
    }
}
