//! Spin key-value (`fermyon:spin/key-value@2.0.0`): one store per label, shared by every
//! instance of the component, kept in memory and optionally mirrored to a JSON file so it
//! survives restarts of the local host.
//!
//! Every operation takes the store's mutex, so single-key operations are linearizable —
//! the property the component's idempotency lock relies on (see `edge/IDEMPOTENCY.md`), and
//! the one Spin's own default store (SQLite behind a mutex) also has.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};

#[derive(Debug, thiserror::Error)]
pub enum KeyValueError {
    #[error("could not read the key-value file {path}: {reason}")]
    Load { path: PathBuf, reason: String },
}

/// One named store.
#[derive(Debug, Default)]
pub struct KeyValueStore {
    entries: Mutex<BTreeMap<String, Vec<u8>>>,
    file: Option<PathBuf>,
}

impl KeyValueStore {
    pub fn in_memory() -> KeyValueStore {
        KeyValueStore::default()
    }

    /// A store backed by `file` (created on first write).
    pub fn with_file(file: PathBuf) -> Result<KeyValueStore, KeyValueError> {
        let entries = match std::fs::read(&file) {
            Ok(bytes) => {
                let text: BTreeMap<String, String> =
                    serde_json::from_slice(&bytes).map_err(|e| KeyValueError::Load {
                        path: file.clone(),
                        reason: e.to_string(),
                    })?;
                text.into_iter().map(|(k, v)| (k, v.into_bytes())).collect()
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => BTreeMap::new(),
            Err(e) => {
                return Err(KeyValueError::Load {
                    path: file,
                    reason: e.to_string(),
                })
            }
        };
        Ok(KeyValueStore {
            entries: Mutex::new(entries),
            file: Some(file),
        })
    }

    fn lock(&self) -> MutexGuard<'_, BTreeMap<String, Vec<u8>>> {
        // A panic while holding the lock cannot leave a half-written map: every operation is
        // a single insert/remove, so the data stays usable.
        self.entries.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn get(&self, key: &str) -> Option<Vec<u8>> {
        self.lock().get(key).cloned()
    }

    pub fn set(&self, key: String, value: Vec<u8>) -> Result<(), String> {
        let mut entries = self.lock();
        entries.insert(key, value);
        self.persist(&entries)
    }

    pub fn delete(&self, key: &str) -> Result<(), String> {
        let mut entries = self.lock();
        if entries.remove(key).is_some() {
            self.persist(&entries)?;
        }
        Ok(())
    }

    pub fn exists(&self, key: &str) -> bool {
        self.lock().contains_key(key)
    }

    pub fn keys(&self) -> Vec<String> {
        self.lock().keys().cloned().collect()
    }

    /// Writes the whole map while the lock is held, via a temporary file and a rename, so the
    /// file is never half-written. Values are stored as text (the component stores JSON and
    /// numbers); non-UTF-8 bytes are kept lossily, which is fine for a local development store.
    fn persist(&self, entries: &BTreeMap<String, Vec<u8>>) -> Result<(), String> {
        let Some(file) = &self.file else {
            return Ok(());
        };
        let text: BTreeMap<&str, String> = entries
            .iter()
            .map(|(k, v)| (k.as_str(), String::from_utf8_lossy(v).into_owned()))
            .collect();
        let bytes = serde_json::to_vec_pretty(&text).map_err(|e| e.to_string())?;
        let tmp = file.with_extension("tmp");
        std::fs::write(&tmp, bytes).map_err(|e| e.to_string())?;
        std::fs::rename(&tmp, file).map_err(|e| e.to_string())
    }
}

/// The stores a component may open, by label.
#[derive(Debug, Clone, Default)]
pub struct KeyValueStores {
    stores: BTreeMap<String, Arc<KeyValueStore>>,
}

impl KeyValueStores {
    /// Creates the stores the manifest grants (`key_value_stores = ["default"]`). Only the
    /// label `default` exists in this host; granting another is a start-up error in Spin and
    /// here it simply stays unopenable.
    pub fn for_labels(
        labels: &[String],
        file: Option<PathBuf>,
    ) -> Result<KeyValueStores, KeyValueError> {
        let mut stores = BTreeMap::new();
        for label in labels {
            if label == "default" {
                let store = match &file {
                    Some(file) => KeyValueStore::with_file(file.clone())?,
                    None => KeyValueStore::in_memory(),
                };
                stores.insert(label.clone(), Arc::new(store));
            }
        }
        Ok(KeyValueStores { stores })
    }

    pub fn get(&self, label: &str) -> Option<Arc<KeyValueStore>> {
        self.stores.get(label).cloned()
    }
}
