//! Which server a request goes to, and which wire protocol a server speaks.
//!
//! A leaf: the config names backends and protocols, the backends implement them, and the
//! router picks between them, so these two enums sit below all three (DESIGN.md, Layout).

use serde::{Deserialize, Serialize};

/// The two roles a server plays. The name is the role, not the protocol: the fast role may
/// be a llama-server and the quality role a vLLM.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BackendId {
    Lmstudio,
    Ollama,
}

impl BackendId {
    pub const ALL: [BackendId; 2] = [BackendId::Lmstudio, BackendId::Ollama];

    pub fn as_str(self) -> &'static str {
        match self {
            BackendId::Lmstudio => "lmstudio",
            BackendId::Ollama => "ollama",
        }
    }

    /// The name users know the server by.
    pub fn label(self) -> &'static str {
        match self {
            BackendId::Lmstudio => "LM Studio",
            BackendId::Ollama => "Ollama",
        }
    }

    pub fn other(self) -> BackendId {
        match self {
            BackendId::Lmstudio => BackendId::Ollama,
            BackendId::Ollama => BackendId::Lmstudio,
        }
    }

    /// The flag that forces this backend.
    pub fn flag(self) -> &'static str {
        match self {
            BackendId::Lmstudio => "--fast",
            BackendId::Ollama => "--analyze",
        }
    }
}

impl std::fmt::Display for BackendId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Which wire protocol a backend section speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Api {
    Openai,
    Ollama,
}

/// One `T` per backend, in [`BackendId::ALL`] order: what was a `[T; 2]` indexed by
/// `backend as usize`. Serialized as that array was (`[lmstudio, ollama]`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct PerBackend<T>([T; 2]);

impl<T> PerBackend<T> {
    pub fn new(lmstudio: T, ollama: T) -> Self {
        PerBackend([lmstudio, ollama])
    }

    /// Each backend's value from `f`, called in [`BackendId::ALL`] order.
    pub fn from_fn(f: impl FnMut(BackendId) -> T) -> Self {
        PerBackend(BackendId::ALL.map(f))
    }

    /// The same value for every backend.
    pub fn splat(value: T) -> Self
    where
        T: Clone,
    {
        PerBackend::new(value.clone(), value)
    }

    pub fn get(&self, b: BackendId) -> &T {
        &self.0[Self::slot(b)]
    }

    pub fn get_mut(&mut self, b: BackendId) -> &mut T {
        &mut self.0[Self::slot(b)]
    }

    pub fn map<U>(self, f: impl FnMut(T) -> U) -> PerBackend<U> {
        PerBackend(self.0.map(f))
    }

    /// Each backend with its value, in [`BackendId::ALL`] order.
    pub fn iter(&self) -> impl Iterator<Item = (BackendId, &T)> {
        BackendId::ALL.into_iter().zip(self.0.iter())
    }

    /// The values, in [`BackendId::ALL`] order.
    pub fn values(&self) -> impl Iterator<Item = &T> {
        self.0.iter()
    }

    pub fn into_values(self) -> [T; 2] {
        self.0
    }

    fn slot(b: BackendId) -> usize {
        match b {
            BackendId::Lmstudio => 0,
            BackendId::Ollama => 1,
        }
    }
}

/// From an array in [`BackendId::ALL`] order.
impl<T> From<[T; 2]> for PerBackend<T> {
    fn from(values: [T; 2]) -> Self {
        PerBackend(values)
    }
}

impl<T> std::ops::Index<BackendId> for PerBackend<T> {
    type Output = T;
    fn index(&self, b: BackendId) -> &T {
        self.get(b)
    }
}

impl<T> std::ops::IndexMut<BackendId> for PerBackend<T> {
    fn index_mut(&mut self, b: BackendId) -> &mut T {
        self.get_mut(b)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn per_backend_values_follow_the_ids() {
        let mut p = PerBackend::new("fast", "quality");
        assert_eq!(p[BackendId::Lmstudio], "fast");
        assert_eq!(*p.get(BackendId::Ollama), "quality");
        *p.get_mut(BackendId::Ollama) = "big";
        p[BackendId::Lmstudio] = "small";
        let order: Vec<_> = p.iter().collect();
        assert_eq!(
            order,
            [(BackendId::Lmstudio, &"small"), (BackendId::Ollama, &"big")]
        );
        assert_eq!(p.map(str::len).into_values(), [5, 3]);
        let ids = PerBackend::from_fn(|b| b.as_str());
        assert_eq!(ids.into_values(), ["lmstudio", "ollama"]);
    }

    #[test]
    fn per_backend_serializes_as_the_array_it_replaced() {
        let p = PerBackend::new(1, 2);
        assert_eq!(serde_json::to_string(&p).unwrap(), "[1,2]");
        let back: PerBackend<i32> = serde_json::from_str("[1,2]").unwrap();
        assert_eq!(back, p);
        assert_eq!(PerBackend::splat(0), PerBackend::default());
    }
}
