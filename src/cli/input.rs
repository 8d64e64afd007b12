//! Where a headless prompt comes from: the argument, stdin, or both.

use std::io::{IsTerminal, Read};

use crate::engine::Attachment;

/// The prompt and its attachments. `-` means stdin is the prompt; otherwise piped text is
/// attached to the prompt (and weighed by the router as pasted context).
pub fn read_input(arg: Option<&str>) -> Result<(String, Vec<Attachment>), String> {
    let stdin = read_stdin()?;
    let (prompt, attachments) =
        match (arg, stdin) {
            (Some("-"), Some(text)) => (text, Vec::new()),
            (Some("-"), None) => return Err("the prompt is `-` but nothing came on stdin".into()),
            (Some(p), Some(text)) => (
                p.to_owned(),
                vec![Attachment {
                    name: "stdin".into(),
                    text,
                }],
            ),
            (Some(p), None) => (p.to_owned(), Vec::new()),
            (None, Some(text)) => (text, Vec::new()),
            (None, None) => return Err(
                "no prompt: give one as an argument (codecrucible -p \"...\") or pipe it on stdin"
                    .into(),
            ),
        };
    if prompt.trim().is_empty() {
        return Err("the prompt is empty".into());
    }
    Ok((prompt, attachments))
}

/// The most stdin may bring: a prompt with a pasted file or log, not a disk image. Piped
/// input is untrusted and read whole before anything else happens, so it is capped while it
/// is read.
pub const MAX_STDIN: u64 = 8 * 1024 * 1024;

fn read_stdin() -> Result<Option<String>, String> {
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        return Ok(None);
    }
    let mut buf = Vec::new();
    stdin
        .lock()
        .take(MAX_STDIN + 1)
        .read_to_end(&mut buf)
        .map_err(|e| format!("cannot read stdin: {e}"))?;
    if buf.len() as u64 > MAX_STDIN {
        return Err(format!(
            "stdin holds more than {} MiB: pipe a smaller file, or the part of it that matters",
            MAX_STDIN / (1024 * 1024)
        ));
    }
    let text = String::from_utf8_lossy(&buf).into_owned();
    Ok((!text.trim().is_empty()).then_some(text))
}
