//! Answers of read-only operations, remembered while the data does not change.
//!
//! The key is the operation as the gate admitted it (document, operation name, variables) and the role
//! it ran with (masking depends on it); each answer is stored with the data version it was computed at
//! (`db::data_version`), which every write raises on every instance, so an answer is served only while
//! no write happened since. Only answers without errors are kept; the cache holds at most a given
//! number of bytes, forgetting the least recently used answers first.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use sha2::{Digest, Sha256};

use crate::auth::Role;

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

struct Entry {
    version: i64,
    answer: CachedAnswer,
    last_used: u64,
}

#[derive(Default)]
struct Entries {
    by_key: HashMap<CacheKey, Entry>,
    by_use: BTreeMap<u64, CacheKey>,
    clock: u64,
    bytes: usize,
}

/// The cache; `capacity` 0 turns it off.
pub struct ResponseCache {
    capacity: usize,
    entries: Mutex<Entries>,
}

/// What an entry costs besides its text (key, bookkeeping).
const OVERHEAD: usize = 128;

impl ResponseCache {
    pub fn new(capacity_bytes: usize) -> Self {
        ResponseCache { capacity: capacity_bytes, entries: Mutex::default() }
    }

    pub fn is_enabled(&self) -> bool {
        self.capacity > 0
    }

    /// The answer for `key` computed at `version`, if one is remembered.
    pub fn get(&self, key: &CacheKey, version: i64) -> Option<CachedAnswer> {
        let mut entries = self.entries.lock().ok()?;
        let Entries { by_key, by_use, clock, bytes } = &mut *entries;
        let entry = by_key.get_mut(key)?;
        if entry.version != version {
            // Computed before a write: it will never be served again.
            let stale = by_key.remove(key)?;
            by_use.remove(&stale.last_used);
            *bytes -= stale.answer.data.len() + OVERHEAD;
            return None;
        }
        *clock += 1;
        by_use.remove(&entry.last_used);
        entry.last_used = *clock;
        by_use.insert(*clock, *key);
        Some(entry.answer.clone())
    }

    /// Remembers an answer computed at `version`, forgetting the least recently used ones to make room.
    pub fn put(&self, key: CacheKey, version: i64, answer: CachedAnswer) {
        let size = answer.data.len() + OVERHEAD;
        if !self.is_enabled() || size > self.capacity / 4 {
            return;
        }
        let Ok(mut entries) = self.entries.lock() else { return };
        let Entries { by_key, by_use, clock, bytes } = &mut *entries;
        if let Some(old) = by_key.remove(&key) {
            by_use.remove(&old.last_used);
            *bytes -= old.answer.data.len() + OVERHEAD;
        }
        while *bytes + size > self.capacity {
            let Some((_, oldest)) = by_use.pop_first() else { break };
            if let Some(evicted) = by_key.remove(&oldest) {
                *bytes -= evicted.answer.data.len() + OVERHEAD;
            }
        }
        *clock += 1;
        by_use.insert(*clock, key);
        by_key.insert(key, Entry { version, answer, last_used: *clock });
        *bytes += size;
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
