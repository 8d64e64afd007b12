//! The response cache's key, and looking answers up and keeping them.
//!
//! The key is a SHA-256 of everything that shapes an answer: the server (which backend and
//! where it is), the model, the sampling settings and the full message list as sent (the
//! system prompt, every prior turn, attachments). "Now add tests" in two sessions therefore
//! never meet: their earlier turns differ.

use sha2::{Digest, Sha256};

use super::Shared;
use crate::backend::{BackendId, ChatRequest};
use crate::store::{CacheLimits, CachedAnswer};

pub type Key = [u8; 32];

/// Bump when what goes into the key changes, so old entries simply miss.
const KEY_VERSION: &str = "codecrucible-cache-v1";

pub fn key(backend: BackendId, endpoint: &str, req: &ChatRequest) -> Key {
    let mut h = Sha256::new();
    // Each field is length-prefixed so that no two different requests hash the same bytes.
    let mut field = |bytes: &[u8]| {
        h.update((bytes.len() as u64).to_le_bytes());
        h.update(bytes);
    };
    field(KEY_VERSION.as_bytes());
    field(backend.as_str().as_bytes());
    field(endpoint.as_bytes());
    field(req.model.as_bytes());
    field(format!("{:?}", req.temperature).as_bytes());
    field(format!("{:?}", req.max_tokens).as_bytes());
    for m in &req.messages {
        field(
            serde_json::to_string(&m.role)
                .unwrap_or_default()
                .as_bytes(),
        );
        field(m.content.as_bytes());
    }
    h.finalize().into()
}

fn limits(shared: &Shared) -> CacheLimits {
    let p = &shared.config.hybrid.performance;
    CacheLimits {
        ttl_ms: i64::try_from(p.cache_ttl_secs.saturating_mul(1000)).unwrap_or(i64::MAX),
        max_bytes: p.cache_max_mb.saturating_mul(1 << 20),
    }
}

/// The cache is on and has somewhere to live (it is kept in the history database).
pub fn enabled(shared: &Shared) -> bool {
    shared.config.hybrid.performance.cache_enabled && shared.store.is_some()
}

/// The cached answer for `key`. A broken cache is a miss.
pub fn get(shared: &Shared, key: &Key) -> Option<CachedAnswer> {
    let store = shared.store.as_ref()?;
    store.cache_get(key, limits(shared)).ok().flatten()
}

/// Keeps a finished answer. Failing to keep it loses nothing.
pub fn put(shared: &Shared, key: &Key, backend: BackendId, model: &str, answer: &CachedAnswer) {
    if answer.text.is_empty() {
        return;
    }
    if let Some(store) = &shared.store {
        if let Err(e) = store.cache_put(key, backend.as_str(), model, answer, limits(shared)) {
            tracing::warn!("response cache: {e}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backend::{ChatMessage, Role};

    fn req(turns: &[(&str, &str)]) -> ChatRequest {
        let messages = turns
            .iter()
            .map(|(r, c)| {
                let role = match *r {
                    "system" => Role::System,
                    "user" => Role::User,
                    _ => Role::Assistant,
                };
                ChatMessage::new(role, *c)
            })
            .collect();
        ChatRequest {
            model: "m".into(),
            messages,
            ..ChatRequest::default()
        }
    }

    #[test]
    fn the_same_words_in_different_conversations_differ() {
        let a = req(&[
            ("system", "s"),
            ("user", "write a parser"),
            ("assistant", "A"),
            ("user", "now add tests"),
        ]);
        let b = req(&[
            ("system", "s"),
            ("user", "write a lexer"),
            ("assistant", "B"),
            ("user", "now add tests"),
        ]);
        let e = "http://localhost:1234";
        assert_ne!(
            key(BackendId::Lmstudio, e, &a),
            key(BackendId::Lmstudio, e, &b)
        );
        assert_eq!(
            key(BackendId::Lmstudio, e, &a),
            key(BackendId::Lmstudio, e, &a.clone())
        );
    }

    #[test]
    fn backend_model_sampling_and_roles_are_in_the_key() {
        let e = "http://localhost:1234";
        let base = req(&[("user", "hi")]);
        let k = key(BackendId::Lmstudio, e, &base);
        assert_ne!(k, key(BackendId::Ollama, e, &base));
        assert_ne!(k, key(BackendId::Lmstudio, "http://localhost:1235", &base));
        let mut other = base.clone();
        other.model = "n".into();
        assert_ne!(k, key(BackendId::Lmstudio, e, &other));
        let mut hot = base.clone();
        hot.temperature = Some(0.9);
        assert_ne!(k, key(BackendId::Lmstudio, e, &hot));
        let mut short = base.clone();
        short.max_tokens = Some(10);
        assert_ne!(k, key(BackendId::Lmstudio, e, &short));
        assert_ne!(k, key(BackendId::Lmstudio, e, &req(&[("system", "hi")])));
        // Moving text between turns changes the key.
        assert_ne!(
            key(
                BackendId::Lmstudio,
                e,
                &req(&[("user", "ab"), ("user", "c")])
            ),
            key(
                BackendId::Lmstudio,
                e,
                &req(&[("user", "a"), ("user", "bc")])
            )
        );
    }
}
