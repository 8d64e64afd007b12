//! `codecrucible config get|set|reset|show|path`.

use super::args::ConfigCmd;
use super::{config_error, EXIT_OK};
use crate::config::{edit, load, Config, Overrides};

pub fn run(action: &ConfigCmd, overrides: &Overrides) -> i32 {
    let path = match load::config_path(overrides) {
        Ok(p) => p,
        Err(e) => return config_error(&e),
    };
    if let ConfigCmd::Reset { key } = action {
        if let Some(data) = data_key(key) {
            return reset_data(data);
        }
    }
    let result = match action {
        ConfigCmd::Path => {
            println!("{}", path.display());
            Ok(())
        }
        ConfigCmd::Get { key } => Config::load(overrides)
            .and_then(|c| edit::get(&c, key))
            .map(|v| println!("{v}")),
        ConfigCmd::Show => Config::load(overrides).and_then(|c| {
            let text = edit::show(&c)?;
            match &c.source {
                Some(p) => println!("# effective settings: defaults + {}\n", p.display()),
                None => println!(
                    "# effective settings: defaults (no file at {})\n",
                    path.display()
                ),
            }
            print!("{text}");
            Ok(())
        }),
        ConfigCmd::Set { key, value } => {
            let old = effective(overrides, key);
            edit::set(&path, key, value).map(|()| {
                let key = crate::config::schema::normalize_key(key);
                eprintln!("set {key} in {}", path.display());
                audit_change(overrides, &key, old);
            })
        }
        ConfigCmd::Reset { key } => {
            let old = effective(overrides, key);
            edit::reset(&path, key).map(|removed| {
                let key = crate::config::schema::normalize_key(key);
                if removed {
                    audit_change(overrides, &key, old);
                }
                if removed {
                    eprintln!("reset {key}: the default applies again");
                } else {
                    eprintln!(
                        "{key} was not set in {}; the default already applies",
                        path.display()
                    );
                }
            })
        }
    };
    match result {
        Ok(()) => EXIT_OK,
        Err(e) => config_error(&e),
    }
}

/// A setting's effective value (secrets redacted, as `config get` shows them).
fn effective(overrides: &Overrides, key: &str) -> Option<String> {
    Config::load(overrides)
        .ok()
        .and_then(|c| edit::get(&c, key).ok())
}

/// A changed setting in the audit trail: its key, and its values before and after.
fn audit_change(overrides: &Overrides, key: &str, old: Option<String>) {
    let new = effective(overrides, key);
    let detail = serde_json::json!({ "key": key, "old": old, "new": new });
    audit("config", detail);
}

/// Records an operation through the engine, the history's one writer; a failure is said
/// but does not undo what was done.
fn audit(kind: &'static str, detail: serde_json::Value) {
    let answer = super::runtime_value(|| {
        super::sessions_cmd::history_command(move |id| crate::engine::Command::Audit {
            id,
            kind: kind.into(),
            session: None,
            detail,
        })
    });
    let error = match answer {
        Some(Ok(crate::engine::EventKind::Audited { error, .. })) => error,
        Some(Ok(_)) => Some("the engine gave no answer".into()),
        Some(Err(e)) => Some(e),
        None => Some("no runtime could start".into()),
    };
    if let Some(e) = error {
        eprintln!("codecrucible: this change is not in the audit trail: {e}");
    }
}

/// Stored data that `config reset` clears, though it is not a setting in the file.
#[derive(Clone, Copy)]
enum DataKey {
    Learning,
    Cache,
}

fn data_key(key: &str) -> Option<DataKey> {
    match crate::config::schema::normalize_key(key).as_str() {
        "hybrid.routing.learning_data" => Some(DataKey::Learning),
        "hybrid.performance.cache_data" => Some(DataKey::Cache),
        _ => None,
    }
}

fn reset_data(what: DataKey) -> i32 {
    let store = match super::sessions_cmd::open_store() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("codecrucible: {e}");
            return super::EXIT_FAILED;
        }
    };
    let (result, noun) = match what {
        DataKey::Learning => (store.clear_learning(), "task classes of learning data"),
        DataKey::Cache => (store.clear_cache(), "cached answers"),
    };
    match result {
        Ok(n) => {
            eprintln!("cleared {n} {noun}");
            let kind = match what {
                DataKey::Learning => "learning_reset",
                DataKey::Cache => "cache_reset",
            };
            audit(kind, serde_json::json!({ "cleared": n }));
            EXIT_OK
        }
        Err(e) => {
            eprintln!("codecrucible: {e}");
            super::EXIT_FAILED
        }
    }
}
