//! `codecrucible audit`: the audit trail, read from the history database (read-only), and
//! `--verify`, which walks its hash chain.

use super::sessions_cmd::{fail, open_store};
use super::{EXIT_FAILED, EXIT_OK};
use crate::store::AuditEntry;

pub struct Options {
    pub json: bool,
    pub since: Option<String>,
    pub session: Option<i64>,
    pub verify: bool,
    pub limit: usize,
}

pub fn run(opts: Options) -> i32 {
    let since_ms = match super::sessions_cmd::since_ms(opts.since.as_deref()) {
        Ok(ms) => ms,
        Err(code) => return code,
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
    format!(
        "{:>6}  {}  {:>6}  {:<14} {}",
        e.id,
        crate::store::export::date(e.at_ms),
        session,
        e.kind,
        e.summary()
    )
}
