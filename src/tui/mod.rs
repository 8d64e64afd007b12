//! The full-screen app. Until the TUI lands this is an honest placeholder screen that
//! points at what works today; it already restores the terminal on every exit path.

use std::io::{self, Write};

use crossterm::event::{self, Event, KeyCode, KeyEventKind, KeyModifiers};
use crossterm::style::Print;
use crossterm::terminal::{self, EnterAlternateScreen, LeaveAlternateScreen};
use crossterm::{cursor, execute, queue};

/// Leaves raw mode and the alternate screen. Safe to call more than once.
pub fn restore_terminal() {
    let _ = terminal::disable_raw_mode();
    let _ = execute!(io::stdout(), LeaveAlternateScreen, cursor::Show);
}

/// Restores the terminal before a panic message is printed.
pub fn install_panic_hook() {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        restore_terminal();
        previous(info);
    }));
}

const LINES: &[&str] = &[
    "CodeCrucible",
    "",
    "The full-screen app is not built yet. What works today:",
    "",
    "  codecrucible -p \"PROMPT\"      stream an answer (LM Studio first, Ollama as fallback)",
    "  codecrucible doctor            check your LM Studio and Ollama servers",
    "  codecrucible config show       see every setting",
    "",
    "Press q or Esc to quit.",
];

pub fn placeholder() -> i32 {
    if let Err(e) = show() {
        restore_terminal();
        eprintln!("codecrucible: cannot use this terminal ({e}); try `codecrucible -p \"PROMPT\"`");
        return 1;
    }
    restore_terminal();
    0
}

fn show() -> io::Result<()> {
    terminal::enable_raw_mode()?;
    execute!(io::stdout(), EnterAlternateScreen, cursor::Hide)?;
    draw()?;
    loop {
        match event::read()? {
            Event::Key(k) if k.kind == KeyEventKind::Press => {
                let ctrl_c =
                    k.code == KeyCode::Char('c') && k.modifiers.contains(KeyModifiers::CONTROL);
                if matches!(k.code, KeyCode::Char('q') | KeyCode::Esc) || ctrl_c {
                    return Ok(());
                }
            }
            Event::Resize(..) => draw()?,
            _ => {}
        }
    }
}

fn draw() -> io::Result<()> {
    let (w, h) = terminal::size()?;
    let mut out = io::stdout();
    queue!(out, terminal::Clear(terminal::ClearType::All))?;
    let top = h.saturating_sub(LINES.len() as u16) / 2;
    for (i, line) in LINES.iter().enumerate() {
        let len = line.chars().count() as u16;
        let x = if i == 0 {
            w.saturating_sub(len) / 2
        } else {
            w.saturating_sub(78) / 2
        };
        queue!(out, cursor::MoveTo(x, top + i as u16), Print(line))?;
    }
    out.flush()
}
