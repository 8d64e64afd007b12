//! Finding, reading, checking and layering the configuration.

use std::path::{Path, PathBuf};

use toml_edit::{Item, TableLike};

use super::address;
use super::schema::{self, check, is_table, join, keys, nearest_key};
use super::Config;
use crate::backend_id::BackendId;

/// Settings given on the command line; they win over every other layer.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    pub config_path: Option<PathBuf>,
    pub lmstudio_url: Option<String>,
    pub ollama_url: Option<String>,
}

/// A configuration problem, already phrased for the user (file, line and key included).
#[derive(Debug, Clone, thiserror::Error)]
#[error("{0}")]
pub struct ConfigError(pub String);

/// Where the user's config file is: `--config`, `CODECRUCIBLE_CONFIG`, or the platform's
/// config directory.
pub fn config_path(overrides: &Overrides) -> Result<PathBuf, ConfigError> {
    if let Some(p) = &overrides.config_path {
        return Ok(p.clone());
    }
    if let Some(p) = env_nonempty("CODECRUCIBLE_CONFIG") {
        return Ok(PathBuf::from(p));
    }
    project_dirs()
        .map(|d| d.config_dir().join("config.toml"))
        .ok_or_else(no_home)
}

/// Where sessions, logs and caches go: `CODECRUCIBLE_DATA_DIR` or the platform's data dir.
pub fn data_dir() -> Result<PathBuf, ConfigError> {
    if let Some(p) = env_nonempty("CODECRUCIBLE_DATA_DIR") {
        return Ok(PathBuf::from(p));
    }
    project_dirs()
        .map(|d| d.data_dir().to_path_buf())
        .ok_or_else(no_home)
}

fn project_dirs() -> Option<directories::ProjectDirs> {
    directories::ProjectDirs::from("dev", "codecrucible", "codecrucible")
}

fn no_home() -> ConfigError {
    ConfigError(
        "cannot find a home directory for CodeCrucible's files; set CODECRUCIBLE_CONFIG and \
         CODECRUCIBLE_DATA_DIR"
            .into(),
    )
}

fn env_nonempty(key: &str) -> Option<String> {
    std::env::var(key).ok().filter(|v| !v.trim().is_empty())
}

impl Config {
    /// Loads every layer from the real environment.
    pub fn load(overrides: &Overrides) -> Result<Config, ConfigError> {
        Self::load_with_env(overrides, &|k| env_nonempty(k))
    }

    /// Loads with `env` standing in for the process environment (used by tests).
    pub fn load_with_env(
        overrides: &Overrides,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Config, ConfigError> {
        let path = config_path(overrides)?;
        let user_text = read_user_file(&path, overrides.config_path.is_some())?;
        let mut merged: toml::Table = toml::from_str(schema::DEFAULT_TOML)
            .map_err(|e| ConfigError(format!("embedded defaults are invalid: {e}")))?;
        let mut user_sets_ollama_endpoint = false;
        if let Some(text) = &user_text {
            let user = parse_user_text(&path, text)?;
            user_sets_ollama_endpoint = user
                .get("hybrid")
                .and_then(|h| h.get("ollama"))
                .and_then(|o| o.get("endpoint"))
                .is_some();
            deep_merge(&mut merged, user);
        }
        let mut config: Config = merged
            .try_into()
            .map_err(|e| ConfigError(format!("{}: {e}", path.display())))?;
        config.source = user_text.is_some().then(|| path.clone());
        apply_env(&mut config, env, user_sets_ollama_endpoint)?;
        apply_flags(&mut config, overrides)?;
        Ok(config)
    }
}

fn read_user_file(path: &Path, explicit: bool) -> Result<Option<String>, ConfigError> {
    match std::fs::read_to_string(path) {
        Ok(text) => Ok(Some(text)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && !explicit => Ok(None),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(ConfigError(format!(
            "config file {} does not exist; create it with `codecrucible --config {} config set KEY VALUE` or drop --config",
            path.display(),
            path.display()
        ))),
        Err(e) => Err(ConfigError(format!(
            "cannot read config file {}: {e}",
            path.display()
        ))),
    }
}

/// Parses and checks the user's file; every problem names the file, the line and the key.
pub fn parse_user_text(path: &Path, text: &str) -> Result<toml::Table, ConfigError> {
    let doc = toml_edit::Document::parse(text.to_owned()).map_err(|e| {
        let line = e.span().map(|s| line_of(text, s.start)).unwrap_or(1);
        ConfigError(format!(
            "{}, line {line}: this is not valid TOML: {}",
            path.display(),
            e.message().trim_end()
        ))
    })?;
    check_table(doc.as_table(), "", text, path)?;
    let table: toml::Table =
        toml::from_str(text).map_err(|e| ConfigError(format!("{}: {e}", path.display())))?;
    check_keymap(path, text, &table)?;
    Ok(table)
}

/// Lays the user's `[keys.*]` bindings over the defaults and refuses conflicts, naming
/// both actions, the key and the line. Run on every load and before `config set` writes.
fn check_keymap(path: &Path, text: &str, user: &toml::Table) -> Result<(), ConfigError> {
    let Some(toml::Value::Table(user_keys)) = user.get("keys") else {
        return Ok(());
    };
    let mut defaults: toml::Table = toml::from_str(schema::DEFAULT_TOML)
        .map_err(|e| ConfigError(format!("embedded defaults are invalid: {e}")))?;
    let mut keys = match defaults.remove("keys") {
        Some(toml::Value::Table(t)) => t,
        _ => toml::Table::new(),
    };
    deep_merge(&mut keys, user_keys.clone());
    let keys: super::Keys = toml::Value::Table(keys)
        .try_into()
        .map_err(|e| ConfigError(format!("{}: [keys]: {e}", path.display())))?;
    crate::keys::Keymap::from_config(&keys, Some((path, text)))
        .map(|_| ())
        .map_err(ConfigError)
}

fn check_table(
    table: &dyn TableLike,
    prefix: &str,
    text: &str,
    path: &Path,
) -> Result<(), ConfigError> {
    for (k, item) in table.iter() {
        let full = join(prefix, k);
        let span = table
            .get_key_value(k)
            .and_then(|(key, _)| key.span())
            .or_else(|| item.span());
        let line = span.map(|s| line_of(text, s.start)).unwrap_or(1);
        let at = || format!("{}, line {line}", path.display());
        match item {
            Item::Value(v) if keys().contains_key(&full) => {
                check(&full, v).map_err(|why| ConfigError(format!("{}: `{full}` {why}", at())))?;
            }
            Item::ArrayOfTables(list) if keys().get(&full) == Some(&schema::Kind::Endpoints) => {
                check_endpoint_tables(list, &full, text, path)?;
            }
            _ if is_table(&full) => match item.as_table_like() {
                Some(t) => check_table(t, &full, text, path)?,
                None => {
                    return Err(ConfigError(format!(
                        "{}: `{full}` must be a table of settings",
                        at()
                    )))
                }
            },
            _ => return Err(ConfigError(format!("{}: {}", at(), unknown_key(&full)))),
        }
    }
    Ok(())
}

/// `[[hybrid.<role>.endpoints]]`: each entry checked, a problem named by the entry's line.
fn check_endpoint_tables(
    list: &toml_edit::ArrayOfTables,
    full: &str,
    text: &str,
    path: &Path,
) -> Result<(), ConfigError> {
    let urls: Vec<Option<&str>> = list.iter().map(|t| schema::endpoint_url(t)).collect();
    for (i, t) in list.iter().enumerate() {
        schema::check_endpoint(t, &urls[..i]).map_err(|why| {
            let line = t.span().map(|s| line_of(text, s.start)).unwrap_or(1);
            ConfigError(format!(
                "{}, line {line}: `{full}` entry {}: {why}",
                path.display(),
                i + 1
            ))
        })?;
    }
    Ok(())
}

/// "unknown key `x`; did you mean `y`?"
pub fn unknown_key(key: &str) -> String {
    if let Some(msg) = unknown_binding(key) {
        return msg;
    }
    match nearest_key(key) {
        Some(near) => format!("unknown key `{key}`; did you mean `{near}`?"),
        None => format!("unknown key `{key}`; `codecrucible config show` lists every key"),
    }
}

/// For `keys.<context>.<action>`: the context's actions (or the contexts) by name.
fn unknown_binding(key: &str) -> Option<String> {
    use crate::keys::{unknown_action, Context};
    let rest = key.strip_prefix("keys.")?;
    let (ctx, name) = rest.split_once('.').unwrap_or((rest, ""));
    match Context::from_name(ctx) {
        Some(ctx) if !name.is_empty() && !name.contains('.') => Some(unknown_action(ctx, name)),
        Some(_) => None,
        None => Some(format!(
            "unknown key context `{ctx}` in `{key}`; the contexts are [keys.global], \
             [keys.input], [keys.chat], [keys.code] and [keys.browser]"
        )),
    }
}

fn line_of(text: &str, offset: usize) -> usize {
    text.as_bytes()[..offset.min(text.len())]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

fn deep_merge(base: &mut toml::Table, over: toml::Table) {
    for (k, v) in over {
        match (base.get_mut(&k), v) {
            (Some(toml::Value::Table(b)), toml::Value::Table(o)) => deep_merge(b, o),
            (_, v) => {
                base.insert(k, v);
            }
        }
    }
}

fn apply_env(
    config: &mut Config,
    env: &dyn Fn(&str) -> Option<String>,
    user_sets_ollama_endpoint: bool,
) -> Result<(), ConfigError> {
    // An explicit value in the user's file wins over OLLAMA_HOST, as the issue asks.
    if !user_sets_ollama_endpoint {
        if let Some(host) = env("OLLAMA_HOST") {
            config.hybrid.ollama.endpoint = address::ollama_host(&host).to_string();
        }
    }
    let urls = [
        ("CODECRUCIBLE_LMSTUDIO_URL", BackendId::Lmstudio),
        ("CODECRUCIBLE_OLLAMA_URL", BackendId::Ollama),
    ];
    for (var, id) in urls {
        if let Some(url) = env(var) {
            address::parse_base_url(&url)
                .map_err(|why| ConfigError(format!("{var}=\"{url}\" {why}")))?;
            use_only(config.backend_mut(id), url);
        }
    }
    if let Some(key) = env("CODECRUCIBLE_LMSTUDIO_API_KEY") {
        config.hybrid.lm_studio.api_key = super::Secret::new(key);
    }
    if let Some(key) = env("CODECRUCIBLE_OLLAMA_API_KEY") {
        config.hybrid.ollama.api_key = super::Secret::new(key);
    }
    Ok(())
}

fn apply_flags(config: &mut Config, o: &Overrides) -> Result<(), ConfigError> {
    let urls = [
        ("--lmstudio-url", &o.lmstudio_url, BackendId::Lmstudio),
        ("--ollama-url", &o.ollama_url, BackendId::Ollama),
    ];
    for (flag, value, id) in urls {
        if let Some(url) = value {
            address::parse_base_url(url)
                .map_err(|why| ConfigError(format!("{flag} \"{url}\" {why}")))?;
            use_only(config.backend_mut(id), url.clone());
        }
    }
    Ok(())
}

/// A URL given for this run (flag or variable) is the role's one server, whatever
/// `endpoints` the file lists: `scripts/run.sh` relies on it to swap in a local server.
fn use_only(b: &mut super::BackendConfig, url: String) {
    b.endpoint = url;
    b.endpoints.clear();
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backend_id::Api;
    use crate::config::Provider;

    fn load(text: &str, env: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.toml");
        std::fs::write(&path, text).unwrap();
        let o = Overrides {
            config_path: Some(path),
            ..Default::default()
        };
        let env: Vec<(String, String)> = env
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::load_with_env(&o, &move |k| {
            env.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone())
        })
    }

    #[test]
    fn user_file_overrides_defaults() {
        let c = load("[hybrid.routing]\ndefault_provider = \"ollama\"\n", &[]).unwrap();
        assert_eq!(c.hybrid.routing.default_provider, Provider::Ollama);
        assert_eq!(c.hybrid.lm_studio.max_concurrent, 2);
    }

    #[test]
    fn unknown_key_names_file_line_and_suggestion() {
        let e = load("\n[hybrid.routing]\nescalation_treshold = 0.5\n", &[]).unwrap_err();
        assert!(e.0.contains("line 3"), "{e}");
        assert!(e.0.contains("escalation_threshold"), "{e}");
    }

    #[test]
    fn bad_values_name_the_key_and_rule() {
        let e = load("[hybrid.routing]\nescalation_threshold = 3\n", &[]).unwrap_err();
        assert!(e.0.contains("between 0 and 1"), "{e}");
        let e = load("[hybrid.ollama]\nmax_concurrent = \"two\"\n", &[]).unwrap_err();
        assert!(e.0.contains("whole number"), "{e}");
    }

    #[test]
    fn ollama_keep_alive_num_ctx_and_think_are_checked() {
        let c = load("", &[]).unwrap();
        assert_eq!(c.hybrid.ollama.keep_alive.as_deref(), Some("30m"));
        assert_eq!(c.hybrid.ollama.num_ctx(), None);
        assert_eq!(c.hybrid.lm_studio.think, crate::config::Think::Off);
        assert_eq!(c.hybrid.ollama.think, crate::config::Think::Auto);
        let c = load(
            "[hybrid.ollama]\nkeep_alive = \"-1\"\nnum_ctx = 16384\nthink = \"on\"\n",
            &[],
        )
        .unwrap();
        assert_eq!(
            c.hybrid.ollama.keep_alive(),
            Some(crate::config::KeepAlive::Seconds(-1))
        );
        assert_eq!(c.hybrid.ollama.num_ctx(), Some(16384));
        let e = load("[hybrid.ollama]\nkeep_alive = \"half an hour\"\n", &[]).unwrap_err();
        assert!(
            e.0.contains("line 2") && e.0.contains("keep_alive") && e.0.contains("\"30m\""),
            "{e}"
        );
        assert_eq!(e.0.lines().count(), 1, "{e}");
        let e = load("[hybrid.ollama]\nnum_ctx = 100\n", &[]).unwrap_err();
        assert!(e.0.contains("num_ctx") && e.0.contains("256"), "{e}");
        let e = load("[hybrid.lm_studio]\nthink = \"yes\"\n", &[]).unwrap_err();
        assert!(e.0.contains("\"off\", \"on\", \"auto\""), "{e}");
        // Ollama-only keys belong to the Ollama section.
        let e = load("[hybrid.lm_studio]\nkeep_alive = \"5m\"\n", &[]).unwrap_err();
        assert!(e.0.contains("keep_alive"), "{e}");
    }

    #[test]
    fn syntax_errors_give_a_line() {
        let e = load("[hybrid.routing\n", &[]).unwrap_err();
        assert!(
            e.0.contains("line 1") && e.0.contains("not valid TOML"),
            "{e}"
        );
    }

    #[test]
    fn key_bindings_layer_and_are_checked() {
        let c = load("[keys.chat]\ngood = \"+\"\n", &[]).unwrap();
        assert_eq!(c.keys.chat["good"].as_slice(), ["+"]);
        assert_eq!(c.keys.chat["bad"].as_slice(), ["b"]);
        let e = load("[keys.chat]\n\ngood = \"ctrl+\"\n", &[]).unwrap_err();
        assert!(
            e.0.contains("line 3") && e.0.contains("keys.chat.good"),
            "{e}"
        );
        let e = load("[keys.chat]\ngod = \"g\"\n", &[]).unwrap_err();
        assert!(
            e.0.contains("line 2") && e.0.contains("did you mean `good`"),
            "{e}"
        );
        let e = load("[keys.pane]\ngood = \"g\"\n", &[]).unwrap_err();
        assert!(e.0.contains("[keys.browser]"), "{e}");
        let e = load("[keys.global]\nhelp = \"ctrl+r\"\n", &[]).unwrap_err();
        assert!(
            e.0.contains("line 2") && e.0.contains("`help`") && e.0.contains("`history`"),
            "{e}"
        );
    }

    #[test]
    fn several_endpoints_load_with_the_sections_defaults() {
        let c = load(
            "[hybrid.lm_studio]\nmax_concurrent = 3\n\n\
             [[hybrid.lm_studio.endpoints]]\nurl = \"http://127.0.0.1:1234\"\n\n\
             [[hybrid.lm_studio.endpoints]]\nurl = \"http://127.0.0.1:8080\"\napi = \"ollama\"\nweight = 2\nmax_concurrent = 5\n",
            &[],
        )
        .unwrap();
        let e = c.hybrid.lm_studio.resolved_endpoints();
        assert_eq!(e.len(), 2);
        assert_eq!(e[0].cfg.endpoint, "http://127.0.0.1:1234");
        assert_eq!(
            (e[0].cfg.api, e[0].cfg.max_concurrent, e[0].weight),
            (Api::Openai, 3, 1.0)
        );
        assert_eq!(
            (e[1].cfg.api, e[1].cfg.max_concurrent, e[1].weight),
            (Api::Ollama, 5, 2.0)
        );
        // Without entries, `endpoint` is the one server, as before.
        let c = load("", &[]).unwrap();
        let e = c.hybrid.ollama.resolved_endpoints();
        assert_eq!(e.len(), 1);
        assert_eq!(e[0].cfg.endpoint, c.hybrid.ollama.endpoint);
    }

    #[test]
    fn a_bad_endpoint_entry_is_named_with_its_line_and_rule() {
        let two = |second: &str| {
            format!(
                "[[hybrid.ollama.endpoints]]\nurl = \"http://127.0.0.1:11434\"\n\n\
                 [[hybrid.ollama.endpoints]]\n{second}\n"
            )
        };
        let cases = [
            (
                "url = \"http://127.0.0.1:1\"\nweight = 0",
                "`weight` must be a number greater than 0",
            ),
            (
                "url = \"http://127.0.0.1:1\"\nweight = -1.5",
                "greater than 0",
            ),
            (
                "url = \"http://127.0.0.1:1\"\nmax_concurrent = 0",
                "`max_concurrent` must be between 1 and 64",
            ),
            (
                "url = \"http://127.0.0.1:1\"\napi = \"grpc\"",
                "`api` must be one of \"openai\", \"ollama\"",
            ),
            ("url = \"ftp://x\"", "`url`"),
            ("weight = 2", "has no `url`"),
            (
                "url = \"http://127.0.0.1:1\"\nwieght = 2",
                "unknown key `wieght`",
            ),
            (
                "url = \"http://127.0.0.1:11434\"",
                "lists http://127.0.0.1:11434 again",
            ),
        ];
        for (entry, rule) in cases {
            let e = load(&two(entry), &[]).unwrap_err();
            assert!(
                e.0.contains("line 4")
                    && e.0.contains("`hybrid.ollama.endpoints` entry 2")
                    && e.0.contains(rule),
                "{entry}: {e}"
            );
            assert_eq!(e.0.lines().count(), 1, "one sentence: {e}");
        }
        let inline =
            "[hybrid.ollama]\nendpoints = [{ url = \"http://127.0.0.1:1\", weight = 0 }]\n";
        let e = load(inline, &[]).unwrap_err();
        assert!(
            e.0.contains("line 2") && e.0.contains("entry 1: `weight`"),
            "{e}"
        );
        let e = load(
            "[hybrid.ollama]\nendpoints = [\"http://127.0.0.1:1\"]\n",
            &[],
        )
        .unwrap_err();
        assert!(e.0.contains("a list of endpoints"), "{e}");
    }

    #[test]
    fn a_url_given_for_the_run_replaces_the_files_endpoints() {
        let c = load(
            "[[hybrid.lm_studio.endpoints]]\nurl = \"http://127.0.0.1:1234\"\n",
            &[("CODECRUCIBLE_LMSTUDIO_URL", "http://127.0.0.1:9931")],
        )
        .unwrap();
        let e = c.hybrid.lm_studio.resolved_endpoints();
        assert_eq!(e.len(), 1);
        assert_eq!(e[0].cfg.endpoint, "http://127.0.0.1:9931");
    }

    #[test]
    fn ollama_host_applies_unless_the_file_sets_the_endpoint() {
        let c = load("", &[("OLLAMA_HOST", "0.0.0.0:9999")]).unwrap();
        assert_eq!(c.hybrid.ollama.endpoint, "http://0.0.0.0:9999/");
        let c = load(
            "[hybrid.ollama]\nendpoint = \"http://127.0.0.1:1111\"\n",
            &[("OLLAMA_HOST", "0.0.0.0:9999")],
        )
        .unwrap();
        assert_eq!(c.hybrid.ollama.endpoint, "http://127.0.0.1:1111");
    }
}
