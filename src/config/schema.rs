//! What every setting is allowed to hold. The keys and their types come from the embedded
//! `config/default.toml`; the rules here add what a type alone cannot say (enums, ranges,
//! URLs). The same checks serve a loaded file and `config set`.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use toml_edit::{Item, Value};

use crate::text::distance;

/// The embedded defaults, the source of truth for which keys exist.
pub const DEFAULT_TOML: &str = include_str!("../../config/default.toml");

pub const TASK_TYPES: &[&str] = &[
    "format",
    "edit",
    "boilerplate",
    "documentation",
    "analysis",
    "planning",
    "debugging",
    "security",
    "multi_file",
    "refactor",
    "generation",
];

/// The shape of a setting's value, taken from its default.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Bool,
    Integer,
    Float,
    String,
    StringList,
    /// `endpoints`: a list of tables, each one server of a role.
    Endpoints,
}

impl Kind {
    pub fn describe(self) -> &'static str {
        match self {
            Kind::Bool => "true or false",
            Kind::Integer => "a whole number",
            Kind::Float => "a number",
            Kind::String => "a string",
            Kind::StringList => "a list of strings",
            Kind::Endpoints => "a list of endpoints such as [{ url = \"http://127.0.0.1:1235\" }]",
        }
    }
}

/// Every valid dotted key (snake_case) with its kind, in file order.
pub fn keys() -> &'static BTreeMap<String, Kind> {
    static KEYS: OnceLock<BTreeMap<String, Kind>> = OnceLock::new();
    KEYS.get_or_init(|| {
        let doc: toml_edit::DocumentMut = DEFAULT_TOML.parse().unwrap_or_default();
        let mut out = BTreeMap::new();
        collect(doc.as_table(), "", &mut out);
        out
    })
}

fn collect(table: &toml_edit::Table, prefix: &str, out: &mut BTreeMap<String, Kind>) {
    for (k, item) in table.iter() {
        let path = join(prefix, k);
        match item {
            Item::Table(t) => collect(t, &path, out),
            // Its default is an empty list; what it lists are tables.
            Item::Value(_) if k == "endpoints" => {
                out.insert(path, Kind::Endpoints);
            }
            Item::Value(v) => {
                if let Some(kind) = kind_of(v) {
                    out.insert(path, kind);
                }
            }
            _ => {}
        }
    }
}

pub fn join(prefix: &str, key: &str) -> String {
    if prefix.is_empty() {
        key.to_owned()
    } else {
        format!("{prefix}.{key}")
    }
}

fn kind_of(v: &Value) -> Option<Kind> {
    Some(match v {
        Value::Boolean(_) => Kind::Bool,
        Value::Integer(_) => Kind::Integer,
        Value::Float(_) => Kind::Float,
        Value::String(_) => Kind::String,
        Value::Array(_) => Kind::StringList,
        _ => return None,
    })
}

/// True when `path` names a table that holds settings (such as `hybrid.routing`).
pub fn is_table(path: &str) -> bool {
    let prefix = format!("{path}.");
    keys().keys().any(|k| k.starts_with(&prefix))
}

/// Checks one value for `key`; the error is a phrase such as "must be between 0 and 1".
pub fn check(key: &str, value: &Value) -> Result<(), String> {
    let Some(&kind) = keys().get(key) else {
        return Err("is not a setting".into());
    };
    if key.starts_with("keys.") {
        return check_binding(value);
    }
    check_kind(kind, value)?;
    let last = key.rsplit('.').next().unwrap_or(key);
    match last {
        "api" => one_of(value, &["openai", "ollama"]),
        "default_provider" => one_of(value, &["auto", "lmstudio", "ollama"]),
        "escalation_threshold" => in_range(value, 0.0, 1.0),
        "max_concurrent" => in_range(value, 1.0, 64.0),
        "failures" => in_range(value, 1.0, 1000.0),
        "retention_days" => in_range(value, 0.0, 36_500.0),
        "window_secs" | "cooldown_secs" => in_range(value, 1.0, 86_400.0),
        "cache_ttl_secs" => in_range(value, 1.0, 31_536_000.0),
        "cache_max_mb" => in_range(value, 1.0, 1_048_576.0),
        "max_answer_kb" => in_range(value, 1.0, 4_194_304.0),
        "max_file_kb" => in_range(value, 1.0, 65_536.0),
        "whole_file_lines" => in_range(value, 0.0, 1_000_000.0),
        "test_attempts" => in_range(value, 1.0, 10.0),
        "test_budget_secs" => in_range(value, 1.0, 86_400.0),
        "idle_secs" => in_range(value, 0.0, 604_800.0),
        "mode" if key == "sandbox.mode" => one_of(value, &["bwrap", "landlock", "off"]),
        "approval" => one_of(value, &["ask", "auto"]),
        "wall_secs" => in_range(value, 1.0, 86_400.0),
        "cpu_secs" => in_range(value, 1.0, 604_800.0),
        "memory_mb" => in_range(value, 16.0, 16_777_216.0),
        "max_procs" => in_range(value, 1.0, 1_000_000.0),
        "max_file_mb" => in_range(value, 1.0, 16_777_216.0),
        "connect_timeout_ms" => in_range(value, 1.0, 600_000.0),
        "first_token_timeout_secs" | "idle_timeout_secs" => in_range(value, 1.0, 86_400.0),
        "draft_max_tokens" => in_range(value, 1.0, 1_000_000.0),
        "think" => one_of(value, super::ollama_opts::THINK_VALUES),
        "keep_alive" => super::ollama_opts::KeepAlive::parse(value.as_str().unwrap_or_default())
            .map(|_| ())
            .map_err(|e| format!("is wrong: {e}")),
        "num_ctx" => check_num_ctx(value),
        "endpoint" => check_url(value),
        "endpoints" => check_endpoints(value),
        "task_types" => each_one_of(value, TASK_TYPES),
        _ => Ok(()),
    }
}

fn check_kind(kind: Kind, value: &Value) -> Result<(), String> {
    let ok = match (kind, value) {
        (Kind::Bool, Value::Boolean(_)) => true,
        (Kind::Integer, Value::Integer(_)) => true,
        (Kind::Float, Value::Float(_) | Value::Integer(_)) => true,
        (Kind::String, Value::String(_)) => true,
        (Kind::StringList, Value::Array(a)) => a.iter().all(|v| v.is_str()),
        (Kind::Endpoints, Value::Array(a)) => a.iter().all(|v| v.is_inline_table()),
        _ => false,
    };
    if ok {
        Ok(())
    } else {
        Err(format!("must be {}", kind.describe()))
    }
}

/// A key binding: one key string or a list of them, each a key the keymap understands.
fn check_binding(value: &Value) -> Result<(), String> {
    let strings: Vec<&str> = match value {
        Value::String(s) => vec![s.value().as_str()],
        Value::Array(a) if a.iter().all(|v| v.is_str()) => {
            a.iter().filter_map(|v| v.as_str()).collect()
        }
        _ => {
            return Err(
                "must be a key (\"ctrl+r\") or a list of keys ([\"up\", \"ctrl+p\"])".into(),
            )
        }
    };
    for s in strings {
        crate::keys::KeyChord::parse(s).map_err(|e| format!("is wrong: {e}"))?;
    }
    Ok(())
}

fn number(value: &Value) -> Option<f64> {
    match value {
        Value::Integer(i) => Some(*i.value() as f64),
        Value::Float(f) => Some(*f.value()),
        _ => None,
    }
}

fn in_range(value: &Value, lo: f64, hi: f64) -> Result<(), String> {
    match number(value) {
        Some(n) if n >= lo && n <= hi => Ok(()),
        _ => Err(format!("must be between {lo} and {hi}")),
    }
}

fn one_of(value: &Value, allowed: &[&str]) -> Result<(), String> {
    match value.as_str() {
        Some(s) if allowed.contains(&s) => Ok(()),
        _ => Err(format!("must be one of {}", quoted(allowed))),
    }
}

fn each_one_of(value: &Value, allowed: &[&str]) -> Result<(), String> {
    let Some(arr) = value.as_array() else {
        return Err("must be a list of strings".into());
    };
    for v in arr.iter() {
        let s = v.as_str().unwrap_or_default();
        if !allowed.contains(&s) {
            return Err(format!(
                "has unknown task type \"{s}\"; valid ones are {}",
                quoted(allowed)
            ));
        }
    }
    Ok(())
}

/// 0 leaves the window to the server; anything else is a window a model can be loaded
/// with (Ollama's smallest useful context is a few hundred tokens).
fn check_num_ctx(value: &Value) -> Result<(), String> {
    match number(value) {
        Some(n) if n == 0.0 || (256.0..=16_777_216.0).contains(&n) => Ok(()),
        _ => Err("must be 0 (use the size the model is loaded with) or a window between 256 and 16777216 tokens".into()),
    }
}

/// An inline `endpoints = [{ url = "..." }, ...]`: each entry checked, the first bad one
/// named by its place in the list.
fn check_endpoints(value: &Value) -> Result<(), String> {
    let Some(list) = value.as_array() else {
        return Err(format!("must be {}", Kind::Endpoints.describe()));
    };
    let tables: Vec<&dyn toml_edit::TableLike> = list
        .iter()
        .filter_map(|v| v.as_inline_table().map(|t| t as &dyn toml_edit::TableLike))
        .collect();
    let urls: Vec<Option<&str>> = tables.iter().map(|t| endpoint_url(*t)).collect();
    for (i, t) in tables.iter().enumerate() {
        check_endpoint(*t, &urls[..i]).map_err(|why| format!("entry {}: {why}", i + 1))?;
    }
    Ok(())
}

/// The `url` of an endpoint table, if it has one.
pub fn endpoint_url(t: &dyn toml_edit::TableLike) -> Option<&str> {
    t.get("url").and_then(|i| i.as_str())
}

/// One `[[hybrid.<role>.endpoints]]` entry; `earlier`: the urls of the entries before it
/// (one server listed twice would take twice its share and confuse stickiness). The error
/// is a phrase such as "`weight` must be greater than 0".
pub fn check_endpoint(
    t: &dyn toml_edit::TableLike,
    earlier: &[Option<&str>],
) -> Result<(), String> {
    for (k, item) in t.iter() {
        let Some(v) = item.as_value() else {
            return Err(format!("`{k}` must be a value, not a table"));
        };
        let checked = match k {
            "url" => check_kind(Kind::String, v).and_then(|()| check_url(v)),
            "api" => one_of(v, &["openai", "ollama"]),
            "max_concurrent" => check_kind(Kind::Integer, v).and_then(|()| in_range(v, 1.0, 64.0)),
            "weight" => match number(v) {
                Some(w) if w > 0.0 && w <= 1000.0 => Ok(()),
                _ => Err("must be a number greater than 0 (and at most 1000)".into()),
            },
            other => {
                return Err(format!(
                "has unknown key `{other}`; an endpoint takes url, api, weight and max_concurrent"
            ))
            }
        };
        checked.map_err(|why| format!("`{k}` {why}"))?;
    }
    let Some(url) = endpoint_url(t) else {
        return Err(
            "has no `url`; each endpoint needs one, such as url = \"http://127.0.0.1:1235\"".into(),
        );
    };
    if earlier.contains(&Some(url)) {
        return Err(format!("lists {url} again; each server goes in once"));
    }
    Ok(())
}

fn check_url(value: &Value) -> Result<(), String> {
    let s = value.as_str().unwrap_or_default();
    super::address::parse_base_url(s).map(|_| ())
}

fn quoted(items: &[&str]) -> String {
    items
        .iter()
        .map(|s| format!("\"{s}\""))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Accepts the seed's camelCase spelling as well as snake_case: `hybrid.lmStudio.maxConcurrent`
/// becomes `hybrid.lm_studio.max_concurrent`.
pub fn normalize_key(key: &str) -> String {
    key.trim()
        .split('.')
        .map(snake_case)
        .collect::<Vec<_>>()
        .join(".")
}

fn snake_case(part: &str) -> String {
    let mut out = String::with_capacity(part.len() + 4);
    for (i, c) in part.chars().enumerate() {
        if c.is_ascii_uppercase() {
            if i > 0 && !out.ends_with('_') {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else if c == '-' {
            out.push('_');
        } else {
            out.push(c);
        }
    }
    out
}

/// The valid key closest to `key` by edit distance, when it is close enough to be a typo.
pub fn nearest_key(key: &str) -> Option<&'static str> {
    let key = normalize_key(key);
    let leaf = key.rsplit('.').next().unwrap_or(&key).to_owned();
    // Key bindings have short names (`up`, `bad`, `quit`) that would match any short typo;
    // suggest them only for a typo inside `[keys.*]`.
    let bindings = key.starts_with("keys.");
    keys()
        .keys()
        .filter(|k| bindings || !k.starts_with("keys."))
        .map(|k| {
            // Compare whole paths, but let a matching leaf in another section count too.
            let k_leaf = k.rsplit('.').next().unwrap_or(k);
            (distance(&key, k).min(distance(&leaf, k_leaf) + 2), k)
        })
        .filter(|(d, _)| *d <= key.len().max(4) / 3 + 2)
        .min_by_key(|(d, _)| *d)
        .map(|(_, k)| k.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_define_the_seed_schema() {
        let k = keys();
        for key in [
            "hybrid.routing.default_provider",
            "hybrid.routing.escalation_threshold",
            "hybrid.routing.confidence_scoring",
            "hybrid.routing.learning_enabled",
            "hybrid.lm_studio.endpoint",
            "hybrid.lm_studio.max_concurrent",
            "hybrid.ollama.task_types",
            "hybrid.performance.health_checking",
        ] {
            assert!(k.contains_key(key), "{key}");
        }
    }

    #[test]
    fn every_default_passes_its_own_checks() {
        let doc: toml_edit::DocumentMut = DEFAULT_TOML.parse().unwrap();
        for key in keys().keys() {
            let mut item = doc.as_item();
            for part in key.split('.') {
                item = &item[part];
            }
            check(key, item.as_value().unwrap()).unwrap_or_else(|e| panic!("{key} {e}"));
        }
    }

    #[test]
    fn camel_case_paths_normalize() {
        assert_eq!(
            normalize_key("hybrid.routing.escalationThreshold"),
            "hybrid.routing.escalation_threshold"
        );
        assert_eq!(
            normalize_key("hybrid.lmStudio.maxConcurrent"),
            "hybrid.lm_studio.max_concurrent"
        );
    }

    #[test]
    fn typos_suggest_the_nearest_key() {
        assert_eq!(
            nearest_key("hybrid.routing.escalation_treshold"),
            Some("hybrid.routing.escalation_threshold")
        );
        assert_eq!(nearest_key("zzzz.qqqq"), None);
    }
}
