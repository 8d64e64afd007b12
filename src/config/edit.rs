//! `config get | set | reset | show`: reading effective values and editing the user's file
//! with toml_edit so that the user's comments and layout survive.

use std::path::Path;

use toml_edit::{value, Array, DocumentMut, Item, Table, Value};

use super::load::{parse_user_text, unknown_key, ConfigError};
use super::schema::{check, is_table, keys, normalize_key, Kind};
use super::Config;

const REDACTED: &str = "<redacted>";

/// The effective value of `key`, as TOML. Secrets are never shown.
pub fn get(config: &Config, key: &str) -> Result<String, ConfigError> {
    let key = known_key(key)?;
    let table = effective_table(config)?;
    let mut item = &toml::Value::Table(table);
    for part in key.split('.') {
        item = item
            .get(part)
            .ok_or_else(|| ConfigError(format!("`{key}` has no value")))?;
    }
    Ok(match item {
        toml::Value::String(s) => s.clone(),
        other => other.to_string(),
    })
}

/// Every effective setting as a TOML document, secrets redacted.
pub fn show(config: &Config) -> Result<String, ConfigError> {
    let table = effective_table(config)?;
    toml::to_string(&table).map_err(|e| ConfigError(format!("cannot print the config: {e}")))
}

fn effective_table(config: &Config) -> Result<toml::Table, ConfigError> {
    let mut table = toml::Table::try_from(config)
        .map_err(|e| ConfigError(format!("cannot read the config: {e}")))?;
    for section in ["lm_studio", "ollama"] {
        if let Some(toml::Value::Table(b)) =
            table.get_mut("hybrid").and_then(|h| h.get_mut(section))
        {
            let set = b
                .get("api_key")
                .and_then(|v| v.as_str())
                .is_some_and(|s| !s.is_empty());
            if set {
                b.insert("api_key".into(), toml::Value::String(REDACTED.into()));
            }
        }
    }
    Ok(table)
}

fn known_key(key: &str) -> Result<String, ConfigError> {
    let key = normalize_key(key);
    if keys().contains_key(&key) {
        Ok(key)
    } else {
        Err(ConfigError(unknown_key(&key)))
    }
}

/// Sets `key` to `raw` in the file at `path`, creating the file if needed. The value is
/// typed and checked first, and the whole file is checked before anything is written.
pub fn set(path: &Path, key: &str, raw: &str) -> Result<(), ConfigError> {
    let key = known_key(key)?;
    let kind = keys()[&key];
    let new = parse_value(kind, raw).map_err(|why| ConfigError(format!("`{key}` {why}")))?;
    check(&key, &new).map_err(|why| ConfigError(format!("`{key}` {why}")))?;
    let mut doc = read_doc(path)?;
    let parts: Vec<&str> = key.split('.').collect();
    let (leaf, tables) = parts.split_last().unwrap_or((&"", &[]));
    let mut table = doc.as_table_mut();
    for part in tables {
        let entry = table.entry(part).or_insert_with(|| {
            let mut t = Table::new();
            t.set_implicit(true);
            Item::Table(t)
        });
        table = entry
            .as_table_mut()
            .ok_or_else(|| ConfigError(format!("{}: `{part}` is not a table", path.display())))?;
    }
    table.insert(leaf, value(new));
    write_doc(path, &doc)
}

/// Removes `key` (a setting or a whole section) from the file, so the default applies.
pub fn reset(path: &Path, key: &str) -> Result<bool, ConfigError> {
    let key = normalize_key(key);
    if !keys().contains_key(&key) && !is_table(&key) {
        return Err(ConfigError(unknown_key(&key)));
    }
    if !path.exists() {
        return Ok(false);
    }
    let mut doc = read_doc(path)?;
    let parts: Vec<&str> = key.split('.').collect();
    let (leaf, tables) = parts.split_last().unwrap_or((&"", &[]));
    let mut table = doc.as_table_mut() as &mut dyn toml_edit::TableLike;
    for part in tables {
        match table.get_mut(part).and_then(|i| i.as_table_like_mut()) {
            Some(t) => table = t,
            None => return Ok(false),
        }
    }
    let removed = table.remove(leaf).is_some();
    if removed {
        write_doc(path, &doc)?;
    }
    Ok(removed)
}

fn parse_value(kind: Kind, raw: &str) -> Result<Value, String> {
    let raw = raw.trim();
    let bad = || format!("must be {}, not \"{raw}\"", kind.describe());
    Ok(match kind {
        Kind::Bool => match raw.to_ascii_lowercase().as_str() {
            "true" | "yes" | "on" | "1" => Value::from(true),
            "false" | "no" | "off" | "0" => Value::from(false),
            _ => return Err(bad()),
        },
        Kind::Integer => Value::from(raw.parse::<i64>().map_err(|_| bad())?),
        Kind::Float => Value::from(raw.parse::<f64>().map_err(|_| bad())?),
        Kind::String => Value::from(raw),
        Kind::StringList => Value::Array(parse_list(raw).ok_or_else(bad)?),
        // A TOML array of inline tables; its entries are checked by `check`.
        Kind::Endpoints => raw
            .parse::<Value>()
            .ok()
            .filter(Value::is_array)
            .ok_or_else(bad)?,
    })
}

/// Accepts a TOML/JSON array (`["a", "b"]`), a comma-separated list, or "" for empty.
fn parse_list(raw: &str) -> Option<Array> {
    if raw.starts_with('[') {
        let v: Value = raw.parse().ok()?;
        return v.as_array().cloned();
    }
    Some(
        raw.split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .collect(),
    )
}

fn read_doc(path: &Path) -> Result<DocumentMut, ConfigError> {
    match std::fs::read_to_string(path) {
        Ok(text) => {
            parse_user_text(path, &text)?;
            text.parse()
                .map_err(|e| ConfigError(format!("{}: {e}", path.display())))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(new_file_header()),
        Err(e) => Err(ConfigError(format!("cannot read {}: {e}", path.display()))),
    }
}

fn new_file_header() -> DocumentMut {
    let mut doc = DocumentMut::new();
    doc.decor_mut().set_prefix(
        "# CodeCrucible settings. Only what differs from the defaults needs to be here;\n\
         # `codecrucible config show` prints every setting.\n",
    );
    doc
}

/// Writes through a temporary file and a rename, so a full disk never leaves half a file.
/// A symlinked config is written where the link points (the link stays a link), and the
/// file keeps its mode; a new one is 0600, since it may hold an API key.
fn write_doc(path: &Path, doc: &DocumentMut) -> Result<(), ConfigError> {
    let text = doc.to_string();
    parse_user_text(path, &text)?;
    let fail = |e: std::io::Error| {
        ConfigError(format!(
            "cannot write {}: {e}; the file was left as it was",
            path.display()
        ))
    };
    let target = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    if let Some(dir) = target.parent().filter(|d| !d.as_os_str().is_empty()) {
        crate::private::create_dir(dir).map_err(fail)?;
    }
    let mode = std::fs::metadata(&target).map(|m| m.permissions()).ok();
    let tmp = target.with_extension("toml.tmp");
    let written = crate::private::options()
        .write(true)
        .create(true)
        .truncate(true)
        .open(&tmp)
        .and_then(|mut f| std::io::Write::write_all(&mut f, text.as_bytes()))
        .and_then(|()| mode.map_or(Ok(()), |m| std::fs::set_permissions(&tmp, m)));
    if let Err(e) = written.and_then(|()| std::fs::rename(&tmp, &target)) {
        let _ = std::fs::remove_file(&tmp);
        return Err(fail(e));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    #[test]
    fn set_keeps_the_mode_and_writes_through_a_symlink() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let real = dir.path().join("dotfiles/codecrucible.toml");
        std::fs::create_dir_all(real.parent().unwrap()).unwrap();
        std::fs::write(
            &real,
            "# mine\n[hybrid.lm_studio]\napi_key = \"sk-local\"\n",
        )
        .unwrap();
        std::fs::set_permissions(&real, std::fs::Permissions::from_mode(0o600)).unwrap();
        let link = dir.path().join("config.toml");
        std::os::unix::fs::symlink(&real, &link).unwrap();
        set(&link, "hybrid.routing.escalationThreshold", "0.8").unwrap();
        assert!(std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink());
        let text = std::fs::read_to_string(&real).unwrap();
        assert!(
            text.contains("escalation_threshold = 0.8") && text.contains("# mine"),
            "{text}"
        );
        let mode = std::fs::metadata(&real).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        // A new config file is private from the start.
        let fresh = dir.path().join("new/config.toml");
        set(&fresh, "hybrid.routing.escalationThreshold", "0.8").unwrap();
        let mode = std::fs::metadata(&fresh).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }

    #[test]
    fn set_keeps_comments_and_accepts_camel_case() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.toml");
        std::fs::write(
            &path,
            "# mine\n[hybrid.routing]\n# keep me\nlearning_enabled = false\n",
        )
        .unwrap();
        set(&path, "hybrid.routing.escalationThreshold", "0.8").unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.contains("# keep me") && text.contains("# mine"));
        assert!(text.contains("escalation_threshold = 0.8"), "{text}");
    }

    #[test]
    fn set_rejects_bad_values_without_writing() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.toml");
        let e = set(&path, "hybrid.lmStudio.maxConcurrent", "lots").unwrap_err();
        assert!(e.0.contains("whole number"), "{e}");
        assert!(!path.exists());
    }

    #[test]
    fn endpoints_are_set_as_a_list_of_tables_and_checked() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.toml");
        let list =
            r#"[{ url = "http://127.0.0.1:1234" }, { url = "http://127.0.0.1:8080", weight = 2 }]"#;
        set(&path, "hybrid.lmStudio.endpoints", list).unwrap();
        let o = crate::config::Overrides {
            config_path: Some(path.clone()),
            ..Default::default()
        };
        let c = crate::config::Config::load_with_env(&o, &|_| None).unwrap();
        assert_eq!(c.hybrid.lm_studio.resolved_endpoints()[1].weight, 2.0);
        let e = set(
            &path,
            "hybrid.ollama.endpoints",
            r#"[{ url = "http://127.0.0.1:1", weight = 0 }]"#,
        )
        .unwrap_err();
        assert!(
            e.0.contains("entry 1: `weight` must be a number greater than 0"),
            "{e}"
        );
        let e = set(&path, "hybrid.ollama.endpoints", "http://127.0.0.1:1").unwrap_err();
        assert!(e.0.contains("must be a list of endpoints"), "{e}");
    }

    #[test]
    fn lists_parse_from_commas_or_arrays() {
        assert_eq!(parse_list("a, b").unwrap().len(), 2);
        assert_eq!(parse_list("[\"a\",\"b\",\"c\"]").unwrap().len(), 3);
        assert_eq!(parse_list("").unwrap().len(), 0);
    }

    #[test]
    fn reset_removes_the_key() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.toml");
        set(&path, "hybrid.ollama.max_concurrent", "3").unwrap();
        assert!(reset(&path, "hybrid.ollama.maxConcurrent").unwrap());
        assert!(!std::fs::read_to_string(&path)
            .unwrap()
            .contains("max_concurrent"));
    }

    #[test]
    fn show_redacts_api_keys() {
        let mut c = Config::default();
        c.hybrid.ollama.api_key = super::super::Secret::new("topsecret");
        let out = show(&c).unwrap();
        assert!(!out.contains("topsecret") && out.contains(REDACTED));
        assert_eq!(get(&c, "hybrid.ollama.apiKey").unwrap(), REDACTED);
    }
}
