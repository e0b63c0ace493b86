//! Spin key-value (`fermyon:spin/key-value@2.0.0`): one store per label, shared by every
//! instance of the component. Kept in memory (optionally mirrored to a JSON file so it
//! survives restarts of the local host), or in Redis, so several host processes share one
//! store as Spin instances do with `runtime-config.redis.toml`.
//!
//! In memory every operation takes the store's mutex; in Redis every operation is one
//! command. Either way single-key operations are linearizable — the property the component's
//! idempotency lock relies on (see `edge/IDEMPOTENCY.md`), and the one Spin's own stores
//! (SQLite behind a mutex, Redis) also have.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};

#[derive(Debug, thiserror::Error)]
pub enum KeyValueError {
    #[error("could not read the key-value file {path}: {reason}")]
    Load { path: PathBuf, reason: String },
    #[error("could not connect to the key-value Redis at {url}: {reason}")]
    Redis { url: String, reason: String },
}

/// Where the `default` store lives.
#[derive(Debug, Clone, Default)]
pub enum Backing {
    #[default]
    Memory,
    File(PathBuf),
    /// `redis://host:port/db`: shared by every host process that names it.
    Redis(String),
}

/// One named store.
#[derive(Default)]
pub struct KeyValueStore {
    entries: Mutex<BTreeMap<String, Vec<u8>>>,
    file: Option<PathBuf>,
    redis: Option<RedisStore>,
}

impl std::fmt::Debug for KeyValueStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyValueStore")
            .field("file", &self.file)
            .field("redis", &self.redis.as_ref().map(|r| &r.prefix))
            .finish()
    }
}

/// A store in Redis: keys live under a prefix, so one Redis can hold several stores.
struct RedisStore {
    connection: redis::aio::MultiplexedConnection,
    prefix: String,
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
            redis: None,
        })
    }

    /// A store in the Redis at `url`, under `rsos:kv:<label>:`.
    pub async fn in_redis(url: &str, label: &str) -> Result<KeyValueStore, KeyValueError> {
        let fail = |e: redis::RedisError| KeyValueError::Redis {
            url: url.to_owned(),
            reason: e.to_string(),
        };
        let client = redis::Client::open(url).map_err(fail)?;
        let connection = client
            .get_multiplexed_async_connection()
            .await
            .map_err(fail)?;
        Ok(KeyValueStore {
            redis: Some(RedisStore {
                connection,
                prefix: format!("rsos:kv:{label}:"),
            }),
            ..KeyValueStore::default()
        })
    }

    fn lock(&self) -> MutexGuard<'_, BTreeMap<String, Vec<u8>>> {
        // A panic while holding the lock cannot leave a half-written map: every operation is
        // a single insert/remove, so the data stays usable.
        self.entries.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, String> {
        if let Some(redis) = &self.redis {
            let mut c = redis.connection.clone();
            return redis::cmd("GET")
                .arg(format!("{}{key}", redis.prefix))
                .query_async(&mut c)
                .await
                .map_err(|e| e.to_string());
        }
        Ok(self.lock().get(key).cloned())
    }

    pub async fn set(&self, key: String, value: Vec<u8>) -> Result<(), String> {
        if let Some(redis) = &self.redis {
            let mut c = redis.connection.clone();
            return redis::cmd("SET")
                .arg(format!("{}{key}", redis.prefix))
                .arg(value)
                .query_async(&mut c)
                .await
                .map_err(|e| e.to_string());
        }
        let mut entries = self.lock();
        entries.insert(key, value);
        self.persist(&entries)
    }

    pub async fn delete(&self, key: &str) -> Result<(), String> {
        if let Some(redis) = &self.redis {
            let mut c = redis.connection.clone();
            return redis::cmd("DEL")
                .arg(format!("{}{key}", redis.prefix))
                .query_async(&mut c)
                .await
                .map_err(|e| e.to_string());
        }
        let mut entries = self.lock();
        if entries.remove(key).is_some() {
            self.persist(&entries)?;
        }
        Ok(())
    }

    pub async fn exists(&self, key: &str) -> Result<bool, String> {
        if let Some(redis) = &self.redis {
            let mut c = redis.connection.clone();
            return redis::cmd("EXISTS")
                .arg(format!("{}{key}", redis.prefix))
                .query_async(&mut c)
                .await
                .map_err(|e| e.to_string());
        }
        Ok(self.lock().contains_key(key))
    }

    pub async fn keys(&self) -> Result<Vec<String>, String> {
        if let Some(redis) = &self.redis {
            let mut c = redis.connection.clone();
            let keys: Vec<String> = redis::cmd("KEYS")
                .arg(format!("{}*", redis.prefix))
                .query_async(&mut c)
                .await
                .map_err(|e| e.to_string())?;
            return Ok(keys
                .into_iter()
                .filter_map(|k| k.strip_prefix(&redis.prefix).map(str::to_owned))
                .collect());
        }
        Ok(self.lock().keys().cloned().collect())
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
    pub async fn for_labels(
        labels: &[String],
        backing: &Backing,
    ) -> Result<KeyValueStores, KeyValueError> {
        let mut stores = BTreeMap::new();
        for label in labels {
            if label == "default" {
                let store = match backing {
                    Backing::Memory => KeyValueStore::in_memory(),
                    Backing::File(file) => KeyValueStore::with_file(file.clone())?,
                    Backing::Redis(url) => KeyValueStore::in_redis(url, label).await?,
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
