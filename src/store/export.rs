//! Sessions as people read them: a message's label, dates, and a session as markdown (for
//! `sessions export` and the TUI's browser).

use super::{Status, StoredMessage};

/// "assistant (ollama · qwen2.5-coder:32b) — draft", and so on.
pub fn label(m: &StoredMessage) -> String {
    let who = match (m.role.as_str(), &m.backend, &m.model) {
        ("assistant", Some(b), Some(model)) => format!("assistant ({b} · {model})"),
        ("assistant", Some(b), None) => format!("assistant ({b})"),
        (role, _, _) => role.to_owned(),
    };
    match m.status {
        Status::Complete => who,
        Status::Draft => format!("{who} — draft"),
        Status::Partial => format!("{who} — partial"),
        Status::Streaming => format!("{who} — interrupted"),
    }
}

/// `YYYY-MM-DD HH:MM` in UTC, without a date library.
pub fn date(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let days = secs.div_euclid(86_400);
    let (h, m) = (secs.rem_euclid(86_400) / 3600, secs.rem_euclid(3600) / 60);
    // Civil-from-days (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let mo = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(mo <= 2);
    format!("{y:04}-{mo:02}-{d:02} {h:02}:{m:02}")
}

/// A session as markdown: its title, then each message under its label.
pub fn markdown(title: &str, messages: &[StoredMessage]) -> String {
    let mut out = format!("# {title}\n\n");
    for m in messages {
        out += &format!("## {}\n\n{}\n\n", label(m), m.content.trim_end());
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn dates_print_in_utc() {
        assert_eq!(super::date(0), "1970-01-01 00:00");
        assert_eq!(super::date(1_795_597_170_000), "2026-11-25 08:59");
    }
}
