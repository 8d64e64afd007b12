//! `codecrucible audit`: the audit trail, read from the history database (read-only), and
//! `--verify`, which walks its hash chain.

use super::sessions_cmd::open_store;
use super::{EXIT_FAILED, EXIT_OK, EXIT_USAGE};
use crate::store::AuditEntry;

pub struct Options {
    pub json: bool,
    pub since: Option<String>,
    pub session: Option<i64>,
    pub verify: bool,
    pub limit: usize,
}

pub fn run(opts: Options) -> i32 {
    let since_ms = match opts
        .since
        .as_deref()
        .map(|s| (s, crate::store::parse_duration_ms(s)))
    {
        None => None,
        Some((_, Some(ms))) => Some(crate::store::now_ms() - ms),
        Some((s, None)) => {
            eprintln!("codecrucible: --since \"{s}\" is not a duration; use e.g. 30m, 24h or 7d");
            return EXIT_USAGE;
        }
    };
    let store = match open_store() {
        Ok(s) => s,
        Err(e) => return fail(&e),
    };
    if opts.verify {
        return match store.verify_audit() {
            Ok(check) if opts.json => {
                outln!("{}", serde_json::to_string(&check).unwrap_or_default());
                if check.broken_at.is_some() {
                    EXIT_FAILED
                } else {
                    EXIT_OK
                }
            }
            Ok(check) => match (check.broken_at, check.why) {
                (None, _) => {
                    outln!("the audit trail is intact: {} entries", check.rows);
                    EXIT_OK
                }
                (Some(id), why) => fail(&format!(
                    "the audit trail is broken at entry {id}: {}",
                    why.unwrap_or_default()
                )),
            },
            Err(e) => fail(&e.0),
        };
    }
    match store.audit_entries(since_ms, opts.session, opts.limit) {
        Ok(entries) if opts.json => {
            for e in entries {
                outln!("{}", serde_json::to_string(&e).unwrap_or_default());
            }
            EXIT_OK
        }
        Ok(entries) if entries.is_empty() => {
            outln!("the audit trail has no entries here");
            EXIT_OK
        }
        Ok(entries) => {
            for e in &entries {
                outln!("{}", line(e));
            }
            EXIT_OK
        }
        Err(e) => fail(&e.0),
    }
}

/// One entry as a line: its id, time, session, kind and what it says.
fn line(e: &AuditEntry) -> String {
    let session = e.session.map_or("-".to_owned(), |s| s.to_string());
    let d = &e.detail;
    let what = match e.kind.as_str() {
        "command" => format!(
            "{} ({}) exit {} in {} ms",
            words(&d["argv"]),
            d["sandbox"].as_str().unwrap_or("?"),
            d["exit_code"]
                .as_i64()
                .map_or("-".into(), |c| c.to_string()),
            d["duration_ms"]
        ),
        "file" => format!(
            "{} {} (by {})",
            d["change"].as_str().unwrap_or("?"),
            d["path"].as_str().unwrap_or("?"),
            d["by"].as_str().unwrap_or("?")
        ),
        "config" => format!(
            "{}: {} -> {}",
            d["key"].as_str().unwrap_or("?"),
            d["old"],
            d["new"]
        ),
        "no_sandbox" => format!("UNCONFINED {}", words(&d["argv"])),
        _ => d.to_string(),
    };
    format!(
        "{:>6}  {}  {:>6}  {:<14} {what}",
        e.id,
        crate::store::export::date(e.at_ms),
        session,
        e.kind
    )
}

fn words(argv: &serde_json::Value) -> String {
    argv.as_array()
        .map(|a| {
            a.iter()
                .map(|w| w.as_str().unwrap_or("?").to_owned())
                .collect::<Vec<_>>()
                .join(" ")
        })
        .unwrap_or_default()
}

fn fail(msg: &str) -> i32 {
    eprintln!("codecrucible: {msg}");
    EXIT_FAILED
}
