//! The `[keys.*]` section of the config file as it is written: per context, action names to
//! key strings. Owned here rather than in `config` so that the config can hold it and the
//! keymap can read it without either depending on the other's room.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::context::Context;

/// The `[keys.*]` tables: action name to key binding, one map per context.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct Keys {
    #[serde(default)]
    pub global: BTreeMap<String, KeySpec>,
    #[serde(default)]
    pub input: BTreeMap<String, KeySpec>,
    #[serde(default)]
    pub chat: BTreeMap<String, KeySpec>,
    #[serde(default)]
    pub code: BTreeMap<String, KeySpec>,
    #[serde(default)]
    pub browser: BTreeMap<String, KeySpec>,
}

impl Keys {
    /// The bindings of one context's table.
    pub fn context(&self, ctx: Context) -> &BTreeMap<String, KeySpec> {
        match ctx {
            Context::Global => &self.global,
            Context::Input => &self.input,
            Context::Chat => &self.chat,
            Context::Code => &self.code,
            Context::Browser => &self.browser,
        }
    }
}

/// One action's binding: a key string (`"ctrl+r"`) or a list of them (`[]` for none).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(untagged)]
pub enum KeySpec {
    One(String),
    Many(Vec<String>),
}

impl KeySpec {
    /// The binding's key strings (one, or the list).
    pub fn as_slice(&self) -> &[String] {
        match self {
            KeySpec::One(s) => std::slice::from_ref(s),
            KeySpec::Many(v) => v,
        }
    }
}
