//! Spin key-value, with errors that say which operation failed (never which key: keys may
//! be derived from an agent's SAN or address).

use spin_sdk::key_value::Store;

#[derive(Debug, thiserror::Error)]
#[error("the key-value store failed to {operation}")]
pub struct StoreError {
    pub operation: &'static str,
}

pub struct Kv(Store);

impl Kv {
    pub fn open() -> Result<Kv, StoreError> {
        Store::open_default()
            .map(Kv)
            .map_err(|_| StoreError { operation: "open" })
    }

    pub fn get(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        self.0
            .get(key)
            .map_err(|_| StoreError { operation: "read" })
    }

    pub fn set(&self, key: &str, value: &[u8]) -> Result<(), StoreError> {
        self.0
            .set(key, value)
            .map_err(|_| StoreError { operation: "write" })
    }

    pub fn delete(&self, key: &str) -> Result<(), StoreError> {
        self.0.delete(key).map_err(|_| StoreError {
            operation: "delete",
        })
    }

    pub fn keys_with_prefix(&self, prefix: &str) -> Result<Vec<String>, StoreError> {
        let keys = self.0.get_keys().map_err(|_| StoreError {
            operation: "list keys",
        })?;
        Ok(keys.into_iter().filter(|k| k.starts_with(prefix)).collect())
    }

    pub fn get_json<T: serde::de::DeserializeOwned>(
        &self,
        key: &str,
    ) -> Result<Option<T>, StoreError> {
        match self.get(key)? {
            None => Ok(None),
            Some(bytes) => serde_json::from_slice(&bytes)
                .map(Some)
                .map_err(|_| StoreError {
                    operation: "decode a record",
                }),
        }
    }

    pub fn set_json<T: serde::Serialize>(&self, key: &str, value: &T) -> Result<(), StoreError> {
        let bytes = serde_json::to_vec(value).map_err(|_| StoreError {
            operation: "encode a record",
        })?;
        self.set(key, &bytes)
    }
}
