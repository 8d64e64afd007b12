//! The exact-tier response cache: finished answers by the hash of everything that shaped
//! them (see `engine::cache` for the key). Entries expire after a TTL, and the least
//! recently used go first when the cache outgrows its size cap.

use rusqlite::{params, OptionalExtension};
use serde::{Deserialize, Serialize};

use super::{now_ms, Store, StoreError};

/// A finished answer as the cache keeps it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CachedAnswer {
    pub text: String,
    #[serde(default)]
    pub reasoning: String,
    pub finish_reason: Option<String>,
    pub input_tokens: Option<u64>,
    pub output_tokens: Option<u64>,
    /// Kept so that a cached hybrid draft is judged exactly as it was the first time.
    #[serde(default)]
    pub logprobs: Vec<crate::backend::TokenLogprob>,
}

/// How long entries live and how much the cache may hold.
#[derive(Debug, Clone, Copy)]
pub struct CacheLimits {
    pub ttl_ms: i64,
    pub max_bytes: u64,
}

impl Store {
    /// The answer stored under `key`, if it has not expired. A hit marks it recently used.
    pub fn cache_get(
        &self,
        key: &[u8],
        limits: CacheLimits,
    ) -> Result<Option<CachedAnswer>, StoreError> {
        let now = now_ms();
        let json: Option<String> = self.with("read the response cache", |c| {
            let found = c
                .prepare_cached("SELECT answer FROM cache WHERE key = ?1 AND created_at > ?2")?
                .query_row(params![key, now - limits.ttl_ms], |r| r.get(0))
                .optional()?;
            if found.is_some() {
                c.prepare_cached("UPDATE cache SET used_at = ?2 WHERE key = ?1")?
                    .execute(params![key, now])?;
            }
            Ok(found)
        })?;
        // An entry this version cannot read is a miss, not an error.
        Ok(json.and_then(|j| serde_json::from_str(&j).ok()))
    }

    /// Stores an answer, then drops expired entries and, over the cap, the least recently
    /// used ones.
    pub fn cache_put(
        &self,
        key: &[u8],
        backend: &str,
        model: &str,
        answer: &CachedAnswer,
        limits: CacheLimits,
    ) -> Result<(), StoreError> {
        let json = serde_json::to_string(answer).unwrap_or_default();
        let bytes = json.len() as i64;
        if bytes as u64 > limits.max_bytes {
            return Ok(()); // larger than the whole cache: not worth keeping
        }
        let now = now_ms();
        self.with("write the response cache", |c| {
            c.prepare_cached(
                "INSERT INTO cache (key, backend, model, answer, bytes, created_at, used_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)
                 ON CONFLICT (key) DO UPDATE SET backend = ?2, model = ?3, answer = ?4,
                     bytes = ?5, created_at = ?6, used_at = ?6",
            )?
            .execute(params![key, backend, model, json, bytes, now])?;
            c.prepare_cached("DELETE FROM cache WHERE created_at <= ?1")?
                .execute(params![now - limits.ttl_ms])?;
            evict(c, limits.max_bytes)
        })
    }

    /// Empties the cache; returns how many answers it held.
    pub fn clear_cache(&self) -> Result<usize, StoreError> {
        self.with("clear the response cache", |c| {
            c.execute("DELETE FROM cache", [])
        })
    }
}

/// Deletes the least recently used entries until the cache is within `max_bytes`.
fn evict(c: &rusqlite::Connection, max_bytes: u64) -> rusqlite::Result<()> {
    let total: i64 = c.query_row("SELECT COALESCE(SUM(bytes), 0) FROM cache", [], |r| {
        r.get(0)
    })?;
    let mut excess = total - max_bytes as i64;
    if excess <= 0 {
        return Ok(());
    }
    let victims: Vec<(Vec<u8>, i64)> = {
        let mut stmt = c.prepare("SELECT key, bytes FROM cache ORDER BY used_at ASC")?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        let mut out = Vec::new();
        for row in rows {
            let (key, bytes) = row?;
            if excess <= 0 {
                break;
            }
            excess -= bytes;
            out.push((key, bytes));
        }
        out
    };
    for (key, _) in victims {
        c.execute("DELETE FROM cache WHERE key = ?1", params![key])?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(text: &str) -> CachedAnswer {
        CachedAnswer {
            text: text.into(),
            reasoning: String::new(),
            finish_reason: Some("stop".into()),
            input_tokens: Some(3),
            output_tokens: Some(5),
            logprobs: Vec::new(),
        }
    }

    const ROOMY: CacheLimits = CacheLimits {
        ttl_ms: 60_000,
        max_bytes: 1 << 20,
    };

    #[test]
    fn a_stored_answer_is_found_by_its_key_only() {
        let s = Store::in_memory().unwrap();
        s.cache_put(b"k1", "lmstudio", "m", &answer("one"), ROOMY)
            .unwrap();
        assert_eq!(s.cache_get(b"k1", ROOMY).unwrap(), Some(answer("one")));
        assert_eq!(s.cache_get(b"k2", ROOMY).unwrap(), None);
    }

    #[test]
    fn expired_entries_miss() {
        let s = Store::in_memory().unwrap();
        s.cache_put(b"k", "lmstudio", "m", &answer("one"), ROOMY)
            .unwrap();
        let expired = CacheLimits {
            ttl_ms: -1,
            ..ROOMY
        };
        assert_eq!(s.cache_get(b"k", expired).unwrap(), None);
    }

    #[test]
    fn the_least_recently_used_go_when_over_the_cap() {
        let s = Store::in_memory().unwrap();
        let one = serde_json::to_string(&answer("aaaa")).unwrap().len() as u64;
        let tight = CacheLimits {
            ttl_ms: 60_000,
            max_bytes: 2 * one,
        };
        s.cache_put(b"a", "lmstudio", "m", &answer("aaaa"), tight)
            .unwrap();
        s.cache_put(b"b", "lmstudio", "m", &answer("bbbb"), tight)
            .unwrap();
        std::thread::sleep(std::time::Duration::from_millis(2));
        assert!(s.cache_get(b"a", tight).unwrap().is_some()); // a is now the fresher
        std::thread::sleep(std::time::Duration::from_millis(2));
        s.cache_put(b"c", "lmstudio", "m", &answer("cccc"), tight)
            .unwrap();
        assert!(
            s.cache_get(b"b", tight).unwrap().is_none(),
            "b was least recently used"
        );
        assert!(s.cache_get(b"a", tight).unwrap().is_some());
        assert!(s.cache_get(b"c", tight).unwrap().is_some());
        assert_eq!(s.clear_cache().unwrap(), 2);
    }
}
