//! Answers of read-only operations, remembered while the data does not change.
//!
//! The key is the operation as the gate admitted it (document, operation name, variables) and the role
//! it ran with (masking depends on it); each answer is stored with the data version it was computed at
//! (`db::data_version`), which every write raises on every instance, so an answer is served only while
//! no write happened since. Only answers without errors are kept; the cache holds at most a given
//! number of bytes, forgetting the least recently used answers first.

use std::sync::Arc;

use sha2::{Digest, Sha256};

use crate::auth::Role;
use crate::graphql::gate::lru::BoundedLru;

/// What identifies an answer besides the data version: a SHA-256 of everything it depends on.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub struct CacheKey([u8; 32]);

impl CacheKey {
    pub fn of(query: &str, operation_name: Option<&str>, variables: &serde_json::Value, role: Role) -> Self {
        let mut hash = Sha256::new();
        for part in [role.as_str(), operation_name.unwrap_or(""), query, &variables.to_string()] {
            hash.update((part.len() as u64).to_le_bytes());
            hash.update(part.as_bytes());
        }
        CacheKey(hash.finalize().into())
    }

    /// An HTTP entity tag for this answer at `version`.
    pub fn etag(&self, version: i64) -> String {
        let short: String = self.0[..8].iter().map(|b| format!("{b:02x}")).collect();
        format!("\"{version:x}-{short}\"")
    }
}

/// A remembered answer: its `data` as JSON text, and what it cost to compute.
#[derive(Clone, Debug)]
pub struct CachedAnswer {
    pub data: Arc<str>,
    pub actual_cost: u64,
}

/// An answer and the data version it was computed at.
#[derive(Clone)]
struct Remembered {
    version: i64,
    answer: CachedAnswer,
}

/// The cache; a capacity of 0 turns it off.
pub struct ResponseCache(BoundedLru<CacheKey, Remembered>);

/// What an entry costs besides its text (key, bookkeeping).
const OVERHEAD: usize = 128;

impl ResponseCache {
    pub fn new(capacity_bytes: usize) -> Self {
        ResponseCache(BoundedLru::new(capacity_bytes, capacity_bytes / 4))
    }

    pub fn is_enabled(&self) -> bool {
        self.0.capacity() > 0
    }

    /// The answer for `key` computed at `version`, if one is remembered; one computed before a write is
    /// forgotten, as it will never be served again.
    pub fn get(&self, key: &CacheKey, version: i64) -> Option<CachedAnswer> {
        self.0.get(key, |remembered| remembered.version == version).map(|remembered| remembered.answer)
    }

    /// Remembers an answer computed at `version`, forgetting the least recently used ones to make room.
    pub fn put(&self, key: CacheKey, version: i64, answer: CachedAnswer) {
        let size = answer.data.len() + OVERHEAD;
        self.0.put(key, Remembered { version, answer }, size);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(text: &str) -> CachedAnswer {
        CachedAnswer { data: Arc::from(text), actual_cost: 1 }
    }

    #[test]
    fn answers_are_served_only_at_their_version_and_the_least_recently_used_go_first() {
        let key = |q: &str| CacheKey::of(q, None, &serde_json::json!({}), Role::Admin);
        let cache = ResponseCache::new(4 * (OVERHEAD + 10));
        cache.put(key("a"), 1, answer("aaaaaaaaaa"));
        assert_eq!(cache.get(&key("a"), 1).map(|a| a.data.to_string()), Some("aaaaaaaaaa".to_owned()));
        assert!(cache.get(&key("a"), 2).is_none(), "a write happened since");
        assert!(cache.get(&key("a"), 1).is_none(), "and the stale answer is gone");
        for q in ["a", "b", "c", "d"] {
            cache.put(key(q), 1, answer("0123456789"));
        }
        assert!(cache.get(&key("a"), 1).is_some(), "a is now the most recently used");
        cache.put(key("e"), 1, answer("0123456789"));
        assert!(cache.get(&key("b"), 1).is_none(), "b, the least recently used, made room");
        assert!(cache.get(&key("a"), 1).is_some() && cache.get(&key("e"), 1).is_some());
        assert_ne!(
            CacheKey::of("q", None, &serde_json::json!({}), Role::Admin),
            CacheKey::of("q", None, &serde_json::json!({}), Role::Analyst),
            "roles see different answers"
        );
        assert!(!ResponseCache::new(0).is_enabled());
    }
}
