//! `codecrucible sessions list|show|search|export|delete`, and opening the history for
//! headless runs.

use std::sync::Arc;

use super::args::{ExportFormat, SessionsCmd};
use super::{EXIT_FAILED, EXIT_OK};
use crate::config::{load, Config};
use crate::engine::{Command, EventKind};
use crate::store::{DecisionKind, SessionSummary, Store, Verdict};

/// Opens the history database when history is on. A failure is reported on stderr and
/// the run goes on without history.
pub fn open_history(config: &Config) -> Option<Arc<Store>> {
    if !config.history.enabled {
        return None;
    }
    match open_store() {
        Ok(store) => {
            if let Err(e) = store.apply_retention(config.history.retention_days) {
                eprintln!("codecrucible: {e}");
            }
            Some(Arc::new(store))
        }
        Err(e) => {
            eprintln!("codecrucible: {e}; this conversation will not be saved");
            None
        }
    }
}

/// The history database in the data dir (`CODECRUCIBLE_DATA_DIR` or the platform's).
pub fn open_store() -> Result<Store, String> {
    let dir = load::data_dir().map_err(|e| e.0)?;
    Store::open(&dir.join("history.db")).map_err(|e| e.0)
}

pub fn run(action: &SessionsCmd) -> i32 {
    if let SessionsCmd::Delete { id } = action {
        return super::runtime(|| delete(*id));
    }
    let store = match open_store() {
        Ok(s) => s,
        Err(e) => return fail(&e),
    };
    let result = match action {
        SessionsCmd::List { json, limit } => {
            store.list_sessions(*limit).map(|l| print_list(&l, *json))
        }
        SessionsCmd::Show { id, json } => show(&store, *id, *json),
        SessionsCmd::Search { text, json, limit } => store.search(text, *limit).map(|hits| {
            if *json {
                outln!(
                    "{}",
                    serde_json::to_string_pretty(&hits).unwrap_or_default()
                );
            } else {
                for h in hits {
                    outln!(
                        "{:>6}  {}\n        {}",
                        h.session_id,
                        h.title,
                        h.snippet.replace('\n', " ")
                    );
                }
            }
        }),
        SessionsCmd::Export { id, format } => export(&store, *id, *format),
        SessionsCmd::Delete { .. } => Ok(()),
    };
    match result {
        Ok(()) => EXIT_OK,
        Err(e) => fail(&e.0),
    }
}

/// `codecrucible feedback SESSION good|bad|quality`: the engine, the history's one writer,
/// records it and teaches the router.
pub async fn feedback(session: i64, verdict: Verdict) -> i32 {
    let reply = match history_command(|id| Command::Feedback {
        id,
        session,
        verdict,
    })
    .await
    {
        Ok(kind) => kind,
        Err(e) => return fail(&e),
    };
    let EventKind::Rated {
        message,
        learned,
        error,
        ..
    } = reply
    else {
        return fail("the engine gave no answer to the feedback");
    };
    let Some(message) = message else {
        return fail(error.as_deref().unwrap_or("the feedback was not recorded"));
    };
    eprintln!("recorded \"{verdict}\" for answer {message} of session {session}");
    if let Some(o) = learned {
        eprintln!(
            "the router learns: {} {} answers to {} requests (complexity band {})",
            if o.success {
                "more trust in"
            } else {
                "less trust in"
            },
            o.arm.as_str(),
            o.task_type,
            o.band
        );
    }
    if let Some(e) = error {
        // The feedback itself is saved; only the learning update failed.
        eprintln!("codecrucible: {e}");
    }
    EXIT_OK
}

/// `codecrucible sessions delete ID`, through the engine.
async fn delete(session: i64) -> i32 {
    match history_command(|id| Command::DeleteSession { id, session }).await {
        Ok(EventKind::Deleted { error: None, .. }) => {
            eprintln!("deleted session {session}");
            EXIT_OK
        }
        Ok(EventKind::Deleted { error: Some(e), .. }) => fail(&e),
        Ok(_) => fail("the engine gave no answer to the delete"),
        Err(e) => fail(&e),
    }
}

/// Runs one history command through an engine on the user's history and returns its
/// answer.
pub(super) async fn history_command(cmd: impl FnOnce(u64) -> Command) -> Result<EventKind, String> {
    const ID: u64 = 1;
    let store = Arc::new(open_store()?);
    let mut engine = crate::engine::Builder::new(Config::default())
        .store(store)
        .spawn();
    let _ = engine.commands.send(cmd(ID));
    while let Some(ev) = engine.events.recv().await {
        if ev.id == ID {
            let _ = engine.commands.send(Command::Shutdown);
            return Ok(ev.kind);
        }
    }
    Err("the engine stopped".into())
}

/// `--since DURATION` as the start time in ms; a bad duration is said, with the usage exit
/// code as the error.
pub(super) fn since_ms(since: Option<&str>) -> Result<Option<i64>, i32> {
    match since.map(|s| (s, crate::store::parse_duration_ms(s))) {
        None => Ok(None),
        Some((_, Some(ms))) => Ok(Some(crate::store::now_ms() - ms)),
        Some((s, None)) => {
            eprintln!("codecrucible: --since \"{s}\" is not a duration; use e.g. 30m, 24h or 7d");
            Err(super::EXIT_USAGE)
        }
    }
}

/// `codecrucible metrics`: the figures over the whole history or its last `since`.
pub fn metrics(json: bool, since: Option<&str>) -> i32 {
    let since_ms = match since_ms(since) {
        Ok(ms) => ms,
        Err(code) => return code,
    };
    let m = match open_store().and_then(|s| s.metrics(since_ms).map_err(|e| e.0)) {
        Ok(m) => m,
        Err(e) => return fail(&e),
    };
    if json {
        outln!("{}", serde_json::to_string_pretty(&m).unwrap_or_default());
        return EXIT_OK;
    }
    let pct = |v: Option<f64>| v.map_or("-".to_owned(), |v| format!("{:.0}%", v * 100.0));
    let num = |v: Option<f64>, unit: &str| v.map_or("-".to_owned(), |v| format!("{v:.0} {unit}"));
    outln!(
        "{:<10} {:>8} {:>7} {:>12} {:>10} {:>10} {:>8}",
        "backend",
        "requests",
        "cached",
        "avg response",
        "avg TTFT",
        "tokens/s",
        "success"
    );
    for b in &m.backends {
        outln!(
            "{:<10} {:>8} {:>7} {:>12} {:>10} {:>10} {:>8}",
            b.backend,
            b.requests,
            b.cached,
            num(b.avg_response_ms, "ms"),
            num(b.avg_ttft_ms, "ms"),
            num(b.avg_tokens_per_second, ""),
            pct(b.success_rate)
        );
    }
    let r = &m.routing;
    outln!(
        "\nrouted {} requests; {} hybrid drafts scored, {} escalated ({}); routing accuracy {}",
        r.requests,
        r.scored_drafts,
        r.escalations,
        pct(r.escalation_rate),
        pct(r.routing_accuracy)
    );
    outln!(
        "draft confidence, by fifths from 0 to 1: {:?}",
        r.confidence_distribution
    );
    print_learning(&m.learning);
    EXIT_OK
}

fn print_learning(l: &crate::store::LearningProgress) {
    outln!(
        "learning: {} outcomes; {} of {} task classes now prefer another route",
        l.observations,
        l.moved,
        l.classes.len()
    );
    for c in l.classes.iter().filter(|c| c.preferred != c.default) {
        outln!(
            "  {} (complexity band {}): {} → {} (fast answers hold up {:.0}%, {} outcomes)",
            c.task_type,
            c.band,
            c.default.as_str(),
            c.preferred.as_str(),
            c.fast_holds * 100.0,
            c.observations
        );
    }
}

/// One sentence on stderr, and the failure exit code.
pub(super) fn fail(msg: &str) -> i32 {
    eprintln!("codecrucible: {msg}");
    EXIT_FAILED
}

fn print_list(list: &[SessionSummary], json: bool) {
    if json {
        outln!("{}", serde_json::to_string_pretty(list).unwrap_or_default());
        return;
    }
    if list.is_empty() {
        outln!("no sessions yet");
    }
    for s in list {
        outln!(
            "{:>6}  {}  {:>3} msgs  {}",
            s.id,
            date(s.updated_at_ms),
            s.messages,
            s.title
        );
    }
}

fn not_found(id: i64) -> crate::store::StoreError {
    crate::store::StoreError(format!(
        "there is no session {id}; `codecrucible sessions list` shows them"
    ))
}

fn show(store: &Store, id: i64, json: bool) -> Result<(), crate::store::StoreError> {
    let (head, messages) = store.session(id)?.ok_or_else(|| not_found(id))?;
    let decisions = store.decisions(id)?;
    if json {
        let v =
            serde_json::json!({ "session": head, "messages": messages, "decisions": decisions });
        outln!("{}", serde_json::to_string_pretty(&v).unwrap_or_default());
    } else {
        outln!(
            "session {} · {} · {}\n",
            head.id,
            date(head.updated_at_ms),
            head.title
        );
        for m in &messages {
            outln!("── {}\n{}\n", label(m), m.content);
        }
        for d in decisions.iter().filter(|d| d.kind == DecisionKind::Route) {
            if let Some(why) = d.data.get("reasoning").and_then(|r| r.as_str()) {
                outln!("· routed: {why}");
            }
        }
    }
    Ok(())
}

fn export(store: &Store, id: i64, format: ExportFormat) -> Result<(), crate::store::StoreError> {
    let (head, messages) = store.session(id)?.ok_or_else(|| not_found(id))?;
    match format {
        ExportFormat::Json => {
            let v = serde_json::json!({ "session": head, "messages": messages });
            outln!("{}", serde_json::to_string_pretty(&v).unwrap_or_default());
        }
        ExportFormat::Markdown => {
            super::print_text(&crate::store::export::markdown(&head.title, &messages));
        }
    }
    Ok(())
}

use crate::store::export::{date, label};
