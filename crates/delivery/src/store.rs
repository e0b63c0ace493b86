//! The key-value store the delivery core needs, as a small trait: Spin key-value
//! (`wasi:keyvalue` store, atomics and batch) in the component, [`MemoryStore`] in native
//! tests.

use std::collections::BTreeMap;
use std::sync::Mutex;

/// A store operation failed. Says which operation, never which key (keys may be derived from
/// an agent's SAN or address).
#[derive(Debug, Clone, PartialEq, Eq, Hash, thiserror::Error)]
#[error("the key-value store failed to {operation}")]
pub struct StoreError {
    /// What was being done: "read", "write", "delete", "count", "list keys", "open".
    pub operation: &'static str,
}

/// One page of keys.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct KeyPage {
    /// The keys of this page.
    pub keys: Vec<String>,
    /// Where the next page starts; `None` after the last page.
    pub cursor: Option<String>,
}

/// What the delivery core asks of a key-value store. Every single-key operation must be
/// linearizable, and [`Store::increment`] atomic (Spin: `wasi:keyvalue/atomics.increment`,
/// a transaction on SQLite, `INCRBY` on Redis). A counter is only ever incremented, never
/// read with [`Store::get`]: backends store counters in different encodings.
pub trait Store {
    /// The value at `key`, if any.
    fn get(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError>;
    /// Sets `key` to `value`, replacing what was there.
    fn set(&self, key: &str, value: &[u8]) -> Result<(), StoreError>;
    /// Sets every key to its value in one call (Spin 4.0.2's `wasi:keyvalue/batch.set-many`:
    /// one transaction on SQLite, `MSET` on Redis, both all or none; one write after another
    /// on Azure Cosmos DB). The core needs only that every key is written once the call
    /// answers `Ok`; after an `Err` it stops, as after a crash.
    fn set_many(&self, pairs: &[(String, Vec<u8>)]) -> Result<(), StoreError>;
    /// Removes `key`; absent keys are fine.
    fn delete(&self, key: &str) -> Result<(), StoreError>;
    /// Adds `delta` to the counter at `key` (an absent counter is 0), atomically, and
    /// returns the new value.
    fn increment(&self, key: &str, delta: i64) -> Result<i64, StoreError>;
    /// Keys in the store after `cursor`, one page (its size is the store's choice). Callers
    /// filter by prefix: Spin key-value lists every key of a store.
    fn keys(&self, cursor: Option<&str>) -> Result<KeyPage, StoreError>;

    /// A counter's value (an absent counter is 0). Read by adding 0: backends encode counters
    /// differently (SQLite: eight little-endian bytes; Redis: decimal text), and only their
    /// own `increment` knows how.
    fn count(&self, key: &str) -> Result<i64, StoreError> {
        self.increment(key, 0)
    }
}

/// A store in memory: one map behind a mutex, so every operation is linearizable. For native
/// tests and the interleaving model; counters are stored as decimal text.
#[derive(Debug, Default)]
pub struct MemoryStore {
    entries: Mutex<BTreeMap<String, Vec<u8>>>,
    /// Keys per page of [`Store::keys`]; 0 = all keys in one page.
    page: usize,
}

impl MemoryStore {
    /// A store whose key listing comes `page` keys at a time.
    pub fn with_page_size(page: usize) -> MemoryStore {
        MemoryStore {
            page,
            ..MemoryStore::default()
        }
    }

    fn entries(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, Vec<u8>>> {
        // No operation panics half-way through its inserts or removes: a poisoned lock still
        // guards a whole map.
        self.entries.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Every key and value, in key order (for tests and model checking).
    pub fn snapshot(&self) -> Vec<(String, Vec<u8>)> {
        self.entries()
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    }

    /// A copy of the store (for model checking, which forks the world at every step).
    pub fn fork(&self) -> MemoryStore {
        MemoryStore {
            entries: Mutex::new(self.entries().clone()),
            page: self.page,
        }
    }
}

impl Store for MemoryStore {
    fn get(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self.entries().get(key).cloned())
    }

    fn set(&self, key: &str, value: &[u8]) -> Result<(), StoreError> {
        self.entries().insert(key.to_owned(), value.to_vec());
        Ok(())
    }

    /// All or none: one lock.
    fn set_many(&self, pairs: &[(String, Vec<u8>)]) -> Result<(), StoreError> {
        self.entries().extend(pairs.iter().cloned());
        Ok(())
    }

    fn delete(&self, key: &str) -> Result<(), StoreError> {
        self.entries().remove(key);
        Ok(())
    }

    fn increment(&self, key: &str, delta: i64) -> Result<i64, StoreError> {
        let mut entries = self.entries();
        let current = match entries.get(key) {
            None => 0,
            Some(bytes) => std::str::from_utf8(bytes)
                .ok()
                .and_then(|text| text.parse::<i64>().ok())
                .ok_or(StoreError { operation: "count" })?,
        };
        let next = current
            .checked_add(delta)
            .ok_or(StoreError { operation: "count" })?;
        entries.insert(key.to_owned(), next.to_string().into_bytes());
        Ok(next)
    }

    fn keys(&self, cursor: Option<&str>) -> Result<KeyPage, StoreError> {
        let entries = self.entries();
        let after = |k: &&String| cursor.is_none_or(|c| k.as_str() > c);
        let mut keys: Vec<String> = entries.keys().filter(after).cloned().collect();
        if self.page == 0 || keys.len() <= self.page {
            return Ok(KeyPage { keys, cursor: None });
        }
        keys.truncate(self.page);
        let cursor = keys.last().cloned();
        Ok(KeyPage { keys, cursor })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn increment_counts_from_zero_and_returns_the_new_value() {
        let store = MemoryStore::default();
        assert_eq!(store.increment("c", 1), Ok(1));
        assert_eq!(store.increment("c", 5), Ok(6));
    }

    #[test]
    fn keys_come_in_pages_that_resume_after_the_cursor() {
        let store = MemoryStore::with_page_size(2);
        for k in ["a", "b", "c"] {
            store.set(k, b"x").unwrap();
        }
        let first = store.keys(None).unwrap();
        assert_eq!(first.keys, ["a", "b"]);
        let second = store.keys(first.cursor.as_deref()).unwrap();
        assert_eq!(second.keys, ["c"]);
        assert_eq!(second.cursor, None);
    }
}
