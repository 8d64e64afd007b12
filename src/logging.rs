//! Logs go to a file in the data dir, never to the terminal the app draws on.
//! `CODECRUCIBLE_LOG=debug|info|warn|error|off` sets the level (default: warn).

use std::fs::File;
use std::io::{self, Write};
use std::path::PathBuf;
use std::sync::Mutex;

use tracing::Level;

/// Opens the log file on the first write only, so runs that log nothing touch no disk.
struct LazyFile {
    path: PathBuf,
    file: Mutex<Option<File>>,
}

struct Writer<'a>(&'a LazyFile);

impl Write for Writer<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let mut guard = self
            .0
            .file
            .lock()
            .map_err(|_| io::Error::other("log lock poisoned"))?;
        if guard.is_none() {
            // The log can quote conversations: 0600 in a 0700 directory.
            if let Some(dir) = self.0.path.parent() {
                crate::private::create_dir(dir)?;
            }
            let file = crate::private::options()
                .create(true)
                .append(true)
                .open(&self.0.path)?;
            crate::private::restrict(&self.0.path)?;
            *guard = Some(file);
        }
        match guard.as_mut() {
            Some(f) => f.write(buf),
            None => Ok(buf.len()),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for LazyFile {
    type Writer = Writer<'a>;
    fn make_writer(&'a self) -> Self::Writer {
        Writer(self)
    }
}

/// Installs the file logger. Failing to set it up never stops the program.
pub fn init() {
    let level = match std::env::var("CODECRUCIBLE_LOG")
        .unwrap_or_default()
        .to_ascii_lowercase()
        .as_str()
    {
        "off" | "none" => return,
        "trace" => Level::TRACE,
        "debug" => Level::DEBUG,
        "info" => Level::INFO,
        "error" => Level::ERROR,
        _ => Level::WARN,
    };
    let Ok(dir) = crate::config::load::data_dir() else {
        return;
    };
    let writer = LazyFile {
        path: dir.join("codecrucible.log"),
        file: Mutex::new(None),
    };
    let _ = tracing_subscriber::fmt()
        .with_max_level(level)
        .with_ansi(false)
        .with_writer(writer)
        .try_init();
}
