//! A map bounded by the bytes of what it holds, forgetting the least recently used entries first: the
//! response cache (`cache.rs`) and the parsed-document cache (`documents.rs`).

use std::borrow::Borrow;
use std::collections::{BTreeMap, HashMap};
use std::hash::Hash;
use std::sync::Mutex;

pub struct BoundedLru<K, V> {
    capacity: usize,
    /// The largest entry kept: a larger one would push out many others for one use.
    largest: usize,
    entries: Mutex<Entries<K, V>>,
}

struct Entries<K, V> {
    by_key: HashMap<K, Entry<V>>,
    /// The keys by their last use, the least recent first.
    by_use: BTreeMap<u64, K>,
    /// Counts uses: an entry's `last_used` is the count at its last use.
    clock: u64,
    bytes: usize,
}

struct Entry<V> {
    value: V,
    size: usize,
    last_used: u64,
}

impl<K: Hash + Eq + Clone, V: Clone> BoundedLru<K, V> {
    /// Holds at most `capacity` bytes (0: nothing), entries of at most `largest` bytes.
    pub fn new(capacity: usize, largest: usize) -> Self {
        let entries = Entries { by_key: HashMap::new(), by_use: BTreeMap::new(), clock: 0, bytes: 0 };
        BoundedLru { capacity, largest: largest.min(capacity), entries: Mutex::new(entries) }
    }

    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// A copy of the value of `key`, if held and `current` says it still holds; one that no longer does
    /// is forgotten.
    pub fn get<Q>(&self, key: &Q, current: impl FnOnce(&V) -> bool) -> Option<V>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        let mut entries = self.entries.lock().ok()?;
        let Entries { by_key, by_use, clock, bytes } = &mut *entries;
        let (held, entry) = by_key.get_key_value(key)?;
        if !current(&entry.value) {
            let stale = by_key.remove(key)?;
            by_use.remove(&stale.last_used);
            *bytes -= stale.size;
            return None;
        }
        let held = held.clone();
        let entry = by_key.get_mut(key)?;
        *clock += 1;
        by_use.remove(&entry.last_used);
        entry.last_used = *clock;
        by_use.insert(*clock, held);
        Some(entry.value.clone())
    }

    /// Holds `value` (of `size` bytes) for `key`, instead of what it held, forgetting the least recently
    /// used entries to make room.
    pub fn put(&self, key: K, value: V, size: usize) {
        if size > self.largest {
            return;
        }
        let Ok(mut entries) = self.entries.lock() else { return };
        let Entries { by_key, by_use, clock, bytes } = &mut *entries;
        if let Some(old) = by_key.remove(&key) {
            by_use.remove(&old.last_used);
            *bytes -= old.size;
        }
        while *bytes + size > self.capacity {
            let Some((_, oldest)) = by_use.pop_first() else { break };
            if let Some(evicted) = by_key.remove(&oldest) {
                *bytes -= evicted.size;
            }
        }
        *clock += 1;
        by_use.insert(*clock, key.clone());
        by_key.insert(key, Entry { value, size, last_used: *clock });
        *bytes += size;
    }

    /// The bytes counted as held, and the sum of the entries' sizes (always equal).
    #[cfg(test)]
    pub fn bytes(&self) -> (usize, usize) {
        let entries = self.entries.lock().expect("lock");
        (entries.bytes, entries.by_key.values().map(|entry| entry.size).sum())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_least_recently_used_make_room_and_stale_entries_go() {
        let lru: BoundedLru<String, u32> = BoundedLru::new(40, 20);
        for (i, key) in ["a", "b", "c", "d"].into_iter().enumerate() {
            lru.put(key.to_owned(), i as u32, 10);
        }
        assert_eq!(lru.get("a", |_| true), Some(0), "a is now the most recently used");
        lru.put("e".to_owned(), 4, 10);
        assert_eq!(lru.get("b", |_| true), None, "b, the least recently used, made room");
        assert_eq!(lru.get("a", |_| true), Some(0));
        assert_eq!(lru.get("c", |&v| v != 2), None, "no longer current");
        assert_eq!(lru.get("c", |_| true), None, "and forgotten");
        lru.put("a".to_owned(), 9, 15);
        assert_eq!(lru.get("a", |_| true), Some(9), "replaced");
        lru.put("big".to_owned(), 7, 21);
        assert_eq!(lru.get("big", |_| true), None, "over the largest entry");
        let (bytes, sizes) = lru.bytes();
        assert_eq!(bytes, sizes);
        assert!(bytes <= 40);
        let off: BoundedLru<String, u32> = BoundedLru::new(0, 10);
        off.put("a".to_owned(), 1, 1);
        assert_eq!(off.get("a", |_| true), None);
    }
}
