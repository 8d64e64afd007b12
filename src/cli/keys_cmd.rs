//! `codecrucible keys`: the keymap in effect, the defaults with the user's `[keys.*]`
//! bindings laid over them.

use super::{config_error, EXIT_OK};
use crate::config::{Config, ConfigError};
use crate::keys::Keymap;

pub fn run(config: &Config, json: bool) -> i32 {
    // The loader has already refused conflicts; building again names the file's lines if
    // anything is still wrong.
    let text = config
        .source
        .as_ref()
        .and_then(|p| std::fs::read_to_string(p).ok().map(|t| (p.clone(), t)));
    let keymap = match Keymap::from_config(
        &config.keys,
        text.as_ref().map(|(p, t)| (p.as_path(), t.as_str())),
    ) {
        Ok(k) => k,
        Err(e) => return config_error(&ConfigError(e)),
    };
    let rows = keymap.rows();
    if json {
        let list: Vec<serde_json::Value> = rows
            .iter()
            .map(|(ctx, action, _, what)| {
                serde_json::json!({
                    "context": ctx.name(),
                    "action": action.name(),
                    "keys": keymap
                        .keys_for(*action)
                        .iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>(),
                    "description": what,
                })
            })
            .collect();
        println!(
            "{}",
            serde_json::to_string_pretty(&list).unwrap_or_default()
        );
        return EXIT_OK;
    }
    let header = ("context", "action", "keys", "what it does");
    let w_ctx = rows
        .iter()
        .map(|r| r.0.name().len())
        .chain([header.0.len()])
        .max()
        .unwrap_or(0);
    let w_action = rows
        .iter()
        .map(|r| r.1.name().len())
        .chain([header.1.len()])
        .max()
        .unwrap_or(0);
    let w_keys = rows
        .iter()
        .map(|r| r.2.chars().count())
        .chain([header.2.len()])
        .max()
        .unwrap_or(0);
    let line = |c: &str, a: &str, k: &str, w: &str| {
        println!("{c:<w_ctx$}  {a:<w_action$}  {k:<w_keys$}  {w}");
    };
    line(header.0, header.1, header.2, header.3);
    for (ctx, action, keys, what) in &rows {
        line(ctx.name(), action.name(), keys, what);
    }
    EXIT_OK
}
