//! Spin key-value through `wasi:keyvalue` (store, atomics and batch, 0.2.0-draft2, served by
//! Spin 3.0 and later from the stores the manifest grants), as the delivery core's [`Store`].
//! Errors say which operation failed, never which key (keys may be derived from an agent's SAN
//! or address).

use rsos_delivery::{KeyPage, Store, StoreError};
use spin_sdk::wit::wasi::keyvalue::{atomics, batch, store};

/// The component's `default` store.
pub struct Kv(store::Bucket);

impl Kv {
    pub fn open() -> Result<Kv, StoreError> {
        store::open("default")
            .map(Kv)
            .map_err(|_| StoreError { operation: "open" })
    }
}

impl Store for Kv {
    fn get(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        self.0
            .get(key)
            .map_err(|_| StoreError { operation: "read" })
    }

    fn set(&self, key: &str, value: &[u8]) -> Result<(), StoreError> {
        self.0
            .set(key, value)
            .map_err(|_| StoreError { operation: "write" })
    }

    fn set_many(&self, pairs: &[(String, Vec<u8>)]) -> Result<(), StoreError> {
        batch::set_many(&self.0, pairs).map_err(|_| StoreError { operation: "write" })
    }

    fn delete(&self, key: &str) -> Result<(), StoreError> {
        self.0.delete(key).map_err(|_| StoreError {
            operation: "delete",
        })
    }

    fn increment(&self, key: &str, delta: i64) -> Result<i64, StoreError> {
        atomics::increment(&self.0, key, delta).map_err(|_| StoreError { operation: "count" })
    }

    /// A counter read with a `get`, not an increment by 0: on Spin's SQLite store every
    /// increment is a write transaction (a synced commit), and the insights page reads
    /// thousands of counters. Spin's stores keep counters as eight little-endian bytes
    /// (`key-value-spin`) or as decimal text (Redis `INCRBY`); eight bytes that are all ASCII
    /// digits would be a count above 3.4 × 10^18, so the two never meet in practice.
    fn count(&self, key: &str) -> Result<i64, StoreError> {
        let Some(bytes) = self.get(key)? else {
            return Ok(0);
        };
        let text = std::str::from_utf8(&bytes)
            .ok()
            .filter(|t| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit() || b == b'-'));
        match text {
            Some(text) => text.parse().map_err(|_| StoreError { operation: "count" }),
            None => <[u8; 8]>::try_from(bytes.as_slice())
                .map(i64::from_le_bytes)
                .map_err(|_| StoreError { operation: "count" }),
        }
    }

    /// Spin answers every key at once and refuses a cursor.
    fn keys(&self, _cursor: Option<&str>) -> Result<KeyPage, StoreError> {
        let response = self.0.list_keys(None).map_err(|_| StoreError {
            operation: "list keys",
        })?;
        Ok(KeyPage {
            keys: response.keys,
            cursor: None,
        })
    }
}
