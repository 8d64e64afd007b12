//! The app's colours. One dark theme for now, in the 16 named colours so that it reads on
//! any terminal; `NO_COLOR` keeps only bold, dim and reverse.

use ratatui::style::{Color, Modifier, Style};

use super::markdown::MdStyles;

#[derive(Debug, Clone)]
pub struct Theme {
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

impl Theme {
    pub fn dark() -> Self {
        let fg = |c: Color| Style::default().fg(c);
        Self {
            text: Style::default(),
            dim: fg(Color::DarkGray),
            user: fg(Color::Cyan).add_modifier(Modifier::BOLD),
            assistant: fg(Color::Magenta).add_modifier(Modifier::BOLD),
            accent: fg(Color::Cyan),
            ok: fg(Color::Green),
            warn: fg(Color::Yellow),
            error: fg(Color::Red),
            border: fg(Color::DarkGray),
            border_focused: fg(Color::Cyan),
            title: Style::default().add_modifier(Modifier::BOLD),
            selected: Style::default().add_modifier(Modifier::REVERSED),
            markdown: MdStyles::default(),
        }
    }

    /// Only modifiers, for `NO_COLOR`.
    pub fn plain() -> Self {
        let bold = Style::default().add_modifier(Modifier::BOLD);
        let dim = Style::default().add_modifier(Modifier::DIM);
        let s = Style::default();
        Self {
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

    /// The theme for this environment: `NO_COLOR` (any value) means no colours.
    pub fn from_env() -> Self {
        if std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty()) {
            Self::plain()
        } else {
            Self::dark()
        }
    }
}
