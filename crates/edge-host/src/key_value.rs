//! Spin key-value for the component: one store per label, shared by every instance, behind
//! both interfaces Spin 3/4 give a component — `fermyon:spin/key-value@2.0.0` and
//! `wasi:keyvalue@0.2.0-draft2` (store, atomics and batch) — with Spin's semantics per
//! backing, read from Spin 4.0.2's `crates/key-value-spin` and `crates/key-value-redis`:
//!
//! - [`Backing::File`] is `spin up`'s default store: SQLite through one connection behind a
//!   mutex, one table `(store, key, value)`, each statement its own transaction with SQLite's
//!   default durability (a batch's `set-many` and `delete-many` are one transaction each).
//!   `increment` reads and writes the counter (eight bytes, little-endian) in one transaction. Compare-and-swap remembers the value `current` read; `swap` updates
//!   only where the value is still that one — but where `current` saw no value, `swap` is an
//!   upsert that always succeeds, so a CAS that creates a key is not atomic on Spin's SQLite.
//! - [`Backing::Redis`] is `runtime-config.redis.toml`: `increment` is `INCRBY` (decimal
//!   text); compare-and-swap `WATCH`es the key on its own connection and swaps with
//!   `MULTI`/`SET`/`EXEC`, and, as in Spin (redis-rs reads an aborted `EXEC` as success),
//!   reports success even when another client changed the key in between.
//! - [`Backing::Memory`] is this host's own fast store for tests; it follows the SQLite
//!   semantics above.
//!
//! Single-key operations are linearizable on every backing, and `increment` is atomic: the
//! two properties the edge's delivery core relies on. It never relies on compare-and-swap.
//! Every operation is counted ([`KeyValueStore::operations`]) so benches can report
//! operations per request.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use rusqlite::{named_params, params, Connection, OptionalExtension};

/// Why the `default` store could not be opened; the host then does not start.
#[derive(Debug, thiserror::Error)]
pub enum KeyValueError {
    /// The SQLite database could not be opened or its `spin_key_value` table created.
    #[error("could not open the key-value database {path}: {reason}")]
    Load {
        /// The database file ([`Backing::File`]).
        path: PathBuf,
        /// SQLite's message.
        reason: String,
    },
    /// The Redis URL is not valid or the server refused the connection.
    #[error("could not connect to the key-value Redis at {url}: {reason}")]
    Redis {
        /// The URL as given ([`Backing::Redis`]).
        url: String,
        /// redis-rs's message.
        reason: String,
    },
}

/// Where the `default` store lives.
#[derive(Debug, Clone, Default)]
pub enum Backing {
    /// In this process's memory (tests).
    #[default]
    Memory,
    /// A SQLite database file, as `spin up` keeps `.spin/sqlite_key_value.db`.
    File(PathBuf),
    /// `redis://host:port/db`: shared by every host process that names it.
    Redis(String),
}

/// One named store.
pub struct KeyValueStore {
    backend: Backend,
    operations: AtomicU64,
}

enum Backend {
    Memory(Mutex<BTreeMap<String, Vec<u8>>>),
    Sqlite {
        connection: Arc<Mutex<Connection>>,
        label: String,
    },
    Redis(RedisStore),
}

impl std::fmt::Debug for KeyValueStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kind = match &self.backend {
            Backend::Memory(_) => "memory",
            Backend::Sqlite { .. } => "sqlite",
            Backend::Redis(_) => "redis",
        };
        f.debug_struct("KeyValueStore")
            .field("backend", &kind)
            .finish()
    }
}

/// A store in Redis: keys live under a prefix, so one Redis can hold several stores.
struct RedisStore {
    client: redis::Client,
    connection: redis::aio::MultiplexedConnection,
    prefix: String,
}

/// What a compare-and-swap handle remembers between `current` and `swap`.
pub struct CasState {
    key: String,
    /// What `current` read (`None` before it was called, or when the key was absent).
    seen: Option<Vec<u8>>,
    /// Redis: the connection that holds the `WATCH`.
    watch: Option<redis::aio::MultiplexedConnection>,
}

impl CasState {
    /// A handle for `key` that has not read anything yet.
    pub fn new(key: String) -> CasState {
        CasState {
            key,
            seen: None,
            watch: None,
        }
    }

    /// The key this handle swaps.
    pub fn key(&self) -> &str {
        &self.key
    }
}

/// Why a swap did not happen.
#[derive(Debug)]
pub enum SwapError {
    /// Someone changed the value since `current`.
    Changed,
    /// The store failed.
    Store(String),
}

// Spin's statements (`key-value-spin`), each written once here.
/// A key's value.
const SELECT_VALUE: &str = "SELECT value FROM spin_key_value WHERE store=$1 AND key=$2";
/// Sets a key, creating or overwriting it.
const UPSERT: &str = "INSERT INTO spin_key_value (store, key, value) VALUES ($1, $2, $3)
     ON CONFLICT(store, key) DO UPDATE SET value=$3";
/// Removes a key.
const DELETE: &str = "DELETE FROM spin_key_value WHERE store=$1 AND key=$2";

const SCHEMA: &str = "CREATE TABLE IF NOT EXISTS spin_key_value (
    store TEXT NOT NULL,
    key   TEXT NOT NULL,
    value BLOB NOT NULL,
    PRIMARY KEY (store, key)
)";

fn sql(e: rusqlite::Error) -> String {
    e.to_string()
}

/// Reads a SQLite-encoded counter: eight bytes, little-endian (Spin 4 would panic on any other
/// length; here it is an error).
fn counter_value(bytes: &[u8]) -> Result<i64, String> {
    <[u8; 8]>::try_from(bytes)
        .map(i64::from_le_bytes)
        .map_err(|_| "incorrect length".to_owned())
}

/// Runs blocking SQLite work the way Spin does (`block_in_place`) where the runtime allows it.
fn blocking<T>(work: impl FnOnce() -> T) -> T {
    match tokio::runtime::Handle::try_current().map(|h| h.runtime_flavor()) {
        Ok(tokio::runtime::RuntimeFlavor::MultiThread) => tokio::task::block_in_place(work),
        _ => work(),
    }
}

impl KeyValueStore {
    fn with(backend: Backend) -> KeyValueStore {
        KeyValueStore {
            backend,
            operations: AtomicU64::new(0),
        }
    }

    /// An empty store in this process's memory ([`Backing::Memory`]), gone when it ends.
    pub fn in_memory() -> KeyValueStore {
        KeyValueStore::with(Backend::Memory(Mutex::default()))
    }

    /// The store `label` in the SQLite database at `file` (created if needed).
    pub fn in_sqlite(file: &PathBuf, label: &str) -> Result<KeyValueStore, KeyValueError> {
        let fail = |e: rusqlite::Error| KeyValueError::Load {
            path: file.clone(),
            reason: e.to_string(),
        };
        let connection = Connection::open(file).map_err(fail)?;
        connection.execute(SCHEMA, []).map_err(fail)?;
        Ok(KeyValueStore::with(Backend::Sqlite {
            connection: Arc::new(Mutex::new(connection)),
            label: label.to_owned(),
        }))
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
        Ok(KeyValueStore::with(Backend::Redis(RedisStore {
            client,
            connection,
            prefix: format!("rsos:kv:{label}:"),
        })))
    }

    /// Operations served so far (every call of either interface counts one).
    pub fn operations(&self) -> u64 {
        self.operations.load(Ordering::Relaxed)
    }

    fn count(&self) {
        self.operations.fetch_add(1, Ordering::Relaxed);
    }

    fn memory(map: &Mutex<BTreeMap<String, Vec<u8>>>) -> MutexGuard<'_, BTreeMap<String, Vec<u8>>> {
        // No operation panics half-way through its inserts or removes: a poisoned lock still
        // guards a whole map.
        map.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn sqlite<T>(
        connection: &Mutex<Connection>,
        work: impl FnOnce(&mut Connection) -> rusqlite::Result<T>,
    ) -> Result<T, String> {
        blocking(|| {
            let mut connection = connection.lock().unwrap_or_else(|p| p.into_inner());
            work(&mut connection).map_err(sql)
        })
    }

    /// The value of `key`, `None` when absent. `Err`: the backing's error message.
    pub async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, String> {
        self.count();
        match &self.backend {
            Backend::Memory(map) => Ok(Self::memory(map).get(key).cloned()),
            Backend::Sqlite { connection, label } => Self::sqlite(connection, |c| {
                c.prepare_cached(SELECT_VALUE)?
                    .query_row(params![label, key], |row| row.get::<_, Vec<u8>>(0))
                    .optional()
            }),
            Backend::Redis(redis) => {
                let mut c = redis.connection.clone();
                redis::cmd("GET")
                    .arg(format!("{}{key}", redis.prefix))
                    .query_async(&mut c)
                    .await
                    .map_err(|e| e.to_string())
            }
        }
    }

    /// Sets `key` to `value`, creating or overwriting it. `Err`: the backing's error message.
    pub async fn set(&self, key: String, value: Vec<u8>) -> Result<(), String> {
        self.count();
        match &self.backend {
            Backend::Memory(map) => {
                Self::memory(map).insert(key, value);
                Ok(())
            }
            Backend::Sqlite { connection, label } => Self::sqlite(connection, |c| {
                c.prepare_cached(UPSERT)?
                    .execute(params![label, key, value])
                    .map(drop)
            }),
            Backend::Redis(redis) => {
                let mut c = redis.connection.clone();
                redis::cmd("SET")
                    .arg(format!("{}{key}", redis.prefix))
                    .arg(value)
                    .query_async(&mut c)
                    .await
                    .map_err(|e| e.to_string())
            }
        }
    }

    /// Removes `key`; an absent key is not an error. `Err`: the backing's error message.
    pub async fn delete(&self, key: &str) -> Result<(), String> {
        self.count();
        match &self.backend {
            Backend::Memory(map) => {
                Self::memory(map).remove(key);
                Ok(())
            }
            Backend::Sqlite { connection, label } => Self::sqlite(connection, |c| {
                c.prepare_cached(DELETE)?
                    .execute(params![label, key])
                    .map(drop)
            }),
            Backend::Redis(redis) => {
                let mut c = redis.connection.clone();
                redis::cmd("DEL")
                    .arg(format!("{}{key}", redis.prefix))
                    .query_async(&mut c)
                    .await
                    .map_err(|e| e.to_string())
            }
        }
    }

    /// Whether `key` has a value: a [`Self::get`] on SQLite and memory, `EXISTS` on Redis (one
    /// operation either way). `Err`: the backing's error message.
    pub async fn exists(&self, key: &str) -> Result<bool, String> {
        match &self.backend {
            // Spin's SQLite `exists` is a `get`.
            Backend::Memory(_) | Backend::Sqlite { .. } => Ok(self.get(key).await?.is_some()),
            Backend::Redis(redis) => {
                self.count();
                let mut c = redis.connection.clone();
                redis::cmd("EXISTS")
                    .arg(format!("{}{key}", redis.prefix))
                    .query_async(&mut c)
                    .await
                    .map_err(|e| e.to_string())
            }
        }
    }

    /// Every key of this store, in no promised order (Redis: `KEYS <prefix>*`, a scan of the
    /// whole database). `Err`: the backing's error message.
    pub async fn keys(&self) -> Result<Vec<String>, String> {
        self.count();
        match &self.backend {
            Backend::Memory(map) => Ok(Self::memory(map).keys().cloned().collect()),
            Backend::Sqlite { connection, label } => Self::sqlite(connection, |c| {
                c.prepare_cached("SELECT key FROM spin_key_value WHERE store=$1")?
                    .query_map(params![label], |row| row.get::<_, String>(0))?
                    .collect()
            }),
            Backend::Redis(redis) => {
                let mut c = redis.connection.clone();
                let keys: Vec<String> = redis::cmd("KEYS")
                    .arg(format!("{}*", redis.prefix))
                    .query_async(&mut c)
                    .await
                    .map_err(|e| e.to_string())?;
                Ok(keys
                    .into_iter()
                    .filter_map(|k| k.strip_prefix(&redis.prefix).map(str::to_owned))
                    .collect())
            }
        }
    }

    /// `wasi:keyvalue/batch.get-many`: the keys of `keys` that have a value, with it (absent
    /// keys are left out, as Spin's SQLite store answers; order not promised). One operation.
    /// Spin 4.0.2's Redis store sends these keys to `KEYS` as patterns, which cannot answer
    /// this shape; here Redis answers with `MGET`, what the call means. `Err`: the backing's
    /// error message.
    pub async fn get_many(&self, keys: Vec<String>) -> Result<Vec<(String, Vec<u8>)>, String> {
        self.count();
        // Each key once, as Spin's SQLite store answers (one `IN rarray(...)` statement).
        let keys: BTreeSet<String> = keys.into_iter().collect();
        match &self.backend {
            Backend::Memory(map) => {
                let map = Self::memory(map);
                Ok(keys
                    .into_iter()
                    .filter_map(|k| map.get(&k).cloned().map(|v| (k, v)))
                    .collect())
            }
            Backend::Sqlite { connection, label } => Self::sqlite(connection, |c| {
                let mut found = Vec::new();
                let mut select = c.prepare_cached(SELECT_VALUE)?;
                for key in keys {
                    let value: Option<Vec<u8>> = select
                        .query_row(params![label, key], |row| row.get(0))
                        .optional()?;
                    if let Some(value) = value {
                        found.push((key, value));
                    }
                }
                Ok(found)
            }),
            Backend::Redis(redis) => {
                if keys.is_empty() {
                    return Ok(Vec::new());
                }
                let mut c = redis.connection.clone();
                let mut mget = redis::cmd("MGET");
                for key in &keys {
                    mget.arg(format!("{}{key}", redis.prefix));
                }
                let values: Vec<Option<Vec<u8>>> =
                    mget.query_async(&mut c).await.map_err(|e| e.to_string())?;
                Ok(keys
                    .into_iter()
                    .zip(values)
                    .filter_map(|(k, v)| v.map(|v| (k, v)))
                    .collect())
            }
        }
    }

    /// `wasi:keyvalue/batch.set-many`: sets every pair, all or none: one transaction on
    /// SQLite (one synced commit, as Spin's `key-value-spin`), `MSET` on Redis (as Spin's
    /// `key-value-redis`). One operation. `Err`: the backing's error message.
    pub async fn set_many(&self, pairs: Vec<(String, Vec<u8>)>) -> Result<(), String> {
        self.count();
        match &self.backend {
            Backend::Memory(map) => {
                Self::memory(map).extend(pairs);
                Ok(())
            }
            Backend::Sqlite { connection, label } => Self::sqlite(connection, |c| {
                let tx = c.transaction()?;
                for (key, value) in pairs {
                    tx.prepare_cached(UPSERT)?
                        .execute(params![label, key, value])?;
                }
                tx.commit()
            }),
            Backend::Redis(redis) => {
                if pairs.is_empty() {
                    return Ok(());
                }
                let mut c = redis.connection.clone();
                let mut mset = redis::cmd("MSET");
                for (key, value) in pairs {
                    mset.arg(format!("{}{key}", redis.prefix)).arg(value);
                }
                mset.query_async(&mut c).await.map_err(|e| e.to_string())
            }
        }
    }

    /// `wasi:keyvalue/batch.delete-many`: removes every key (absent keys are not an error):
    /// one statement on SQLite (one transaction, as Spin), one `DEL` on Redis. One operation.
    /// `Err`: the backing's error message.
    pub async fn delete_many(&self, keys: Vec<String>) -> Result<(), String> {
        self.count();
        match &self.backend {
            Backend::Memory(map) => {
                let mut map = Self::memory(map);
                for key in &keys {
                    map.remove(key);
                }
                Ok(())
            }
            Backend::Sqlite { connection, label } => Self::sqlite(connection, |c| {
                let tx = c.transaction()?;
                for key in keys {
                    tx.prepare_cached(DELETE)?.execute(params![label, key])?;
                }
                tx.commit()
            }),
            Backend::Redis(redis) => {
                if keys.is_empty() {
                    return Ok(());
                }
                let mut c = redis.connection.clone();
                let mut del = redis::cmd("DEL");
                for key in keys {
                    del.arg(format!("{}{key}", redis.prefix));
                }
                del.query_async(&mut c).await.map_err(|e| e.to_string())
            }
        }
    }

    /// `wasi:keyvalue/atomics.increment`: adds `delta` (an absent counter is 0) and returns
    /// the new value, atomically.
    pub async fn increment(&self, key: String, delta: i64) -> Result<i64, String> {
        self.count();
        match &self.backend {
            Backend::Memory(map) => {
                let mut map = Self::memory(map);
                let current = map.get(&key).map_or(Ok(0), |v| counter_value(v))?;
                // Wraps as Spin's SQLite store does in release builds.
                let next = current.wrapping_add(delta);
                map.insert(key, next.to_le_bytes().to_vec());
                Ok(next)
            }
            Backend::Sqlite { connection, label } => {
                let result = Self::sqlite(connection, |c| {
                    let tx = c.transaction()?;
                    let value: Option<Vec<u8>> = tx
                        .prepare_cached(SELECT_VALUE)?
                        .query_row(params![label, key], |row| row.get(0))
                        .optional()?;
                    let current = match value.as_deref().map(counter_value) {
                        None => 0,
                        Some(Ok(n)) => n,
                        Some(Err(_)) => return Ok(Err("incorrect length".to_owned())),
                    };
                    let next = current.wrapping_add(delta);
                    tx.prepare_cached(UPSERT)?
                        .execute(params![label, key, next.to_le_bytes()])?;
                    tx.commit()?;
                    Ok(Ok(next))
                });
                result.and_then(|r| r)
            }
            Backend::Redis(redis) => {
                let mut c = redis.connection.clone();
                redis::cmd("INCRBY")
                    .arg(format!("{}{key}", redis.prefix))
                    .arg(delta)
                    .query_async(&mut c)
                    .await
                    .map_err(|e| e.to_string())
            }
        }
    }

    /// `wasi:keyvalue/atomics.cas.current`: the value now, remembered for [`Self::swap`].
    pub async fn cas_current(&self, cas: &mut CasState) -> Result<Option<Vec<u8>>, String> {
        match &self.backend {
            Backend::Memory(_) | Backend::Sqlite { .. } => {
                let value = self.get(&cas.key).await?;
                cas.seen.clone_from(&value);
                Ok(value)
            }
            Backend::Redis(redis) => {
                self.count();
                // As Spin: a connection of its own, so the WATCH is this handle's alone.
                let mut c = redis
                    .client
                    .get_multiplexed_async_connection()
                    .await
                    .map_err(|e| e.to_string())?;
                let key = format!("{}{}", redis.prefix, cas.key);
                redis::cmd("WATCH")
                    .arg(&key)
                    .exec_async(&mut c)
                    .await
                    .map_err(|e| e.to_string())?;
                let value: Option<Vec<u8>> = redis::cmd("GET")
                    .arg(&key)
                    .query_async(&mut c)
                    .await
                    .map_err(|e| e.to_string())?;
                cas.watch = Some(c);
                Ok(value)
            }
        }
    }

    /// `wasi:keyvalue/atomics.swap`, with Spin's semantics per backing (module docs).
    pub async fn swap(&self, cas: &mut CasState, value: Vec<u8>) -> Result<(), SwapError> {
        self.count();
        match &self.backend {
            Backend::Memory(map) => {
                let mut map = Self::memory(map);
                match &cas.seen {
                    Some(old) if map.get(&cas.key) != Some(old) => Err(SwapError::Changed),
                    _ => {
                        map.insert(cas.key.clone(), value);
                        Ok(())
                    }
                }
            }
            Backend::Sqlite { connection, label } => {
                let seen = cas.seen.clone();
                let key = cas.key.clone();
                let rows = Self::sqlite(connection, |c| match seen {
                    Some(old) => c
                        .prepare_cached(
                            "UPDATE spin_key_value SET value=:new WHERE store=:store AND key=:key AND value=:old",
                        )?
                        .execute(named_params! {":new": value, ":store": label, ":key": key, ":old": old}),
                    None => {
                        let tx = c.transaction()?;
                        let rows = tx
                            .prepare_cached(UPSERT)?
                            .execute(params![label, key, value])?;
                        tx.commit()?;
                        Ok(rows)
                    }
                })
                .map_err(SwapError::Store)?;
                if rows == 1 {
                    Ok(())
                } else {
                    Err(SwapError::Changed)
                }
            }
            Backend::Redis(redis) => {
                let mut c = match cas.watch.take() {
                    Some(c) => c,
                    None => redis
                        .client
                        .get_multiplexed_async_connection()
                        .await
                        .map_err(|e| SwapError::Store(e.to_string()))?,
                };
                let key = format!("{}{}", redis.prefix, cas.key);
                // An aborted EXEC answers nil, which redis-rs reads as `()`: success, as in Spin.
                let swapped: Result<(), redis::RedisError> = redis::pipe()
                    .atomic()
                    .set(&key, value)
                    .query_async(&mut c)
                    .await;
                redis::cmd("UNWATCH")
                    .exec_async(&mut c)
                    .await
                    .map_err(|e| SwapError::Store(e.to_string()))?;
                swapped.map_err(|e| SwapError::Store(e.to_string()))
            }
        }
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
                    Backing::File(file) => KeyValueStore::in_sqlite(file, label)?,
                    Backing::Redis(url) => KeyValueStore::in_redis(url, label).await?,
                };
                stores.insert(label.clone(), Arc::new(store));
            }
        }
        Ok(KeyValueStores { stores })
    }

    /// The shared store of `label`: `None` unless the manifest grants it and it is `default`.
    pub fn get(&self, label: &str) -> Option<Arc<KeyValueStore>> {
        self.stores.get(label).cloned()
    }

    /// Operations served by every store so far.
    pub fn operations(&self) -> u64 {
        self.stores.values().map(|s| s.operations()).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sqlite() -> (tempfile::TempDir, KeyValueStore) {
        let dir = tempfile::tempdir().unwrap();
        let store = KeyValueStore::in_sqlite(&dir.path().join("kv.db"), "default").unwrap();
        (dir, store)
    }

    #[tokio::test]
    async fn sqlite_counters_are_eight_little_endian_bytes_as_in_spin() {
        let (_dir, store) = sqlite();
        assert_eq!(store.increment("c".into(), 2).await, Ok(2));
        assert_eq!(store.increment("c".into(), 3).await, Ok(5));
        assert_eq!(store.get("c").await, Ok(Some(5i64.to_le_bytes().to_vec())));
        store.set("t".into(), b"5".to_vec()).await.unwrap();
        assert!(store.increment("t".into(), 1).await.is_err());
    }

    #[tokio::test]
    async fn sqlite_compare_and_swap_updates_only_an_unchanged_value() {
        let (_dir, store) = sqlite();
        store.set("k".into(), b"a".to_vec()).await.unwrap();
        let mut cas = CasState::new("k".into());
        assert_eq!(store.cas_current(&mut cas).await, Ok(Some(b"a".to_vec())));
        store.set("k".into(), b"b".to_vec()).await.unwrap();
        assert!(matches!(
            store.swap(&mut cas, b"c".to_vec()).await,
            Err(SwapError::Changed)
        ));
        assert_eq!(store.get("k").await, Ok(Some(b"b".to_vec())));
    }

    #[tokio::test]
    async fn sqlite_compare_and_swap_of_an_absent_key_is_an_upsert_as_in_spin() {
        let (_dir, store) = sqlite();
        let mut first = CasState::new("k".into());
        let mut second = CasState::new("k".into());
        assert_eq!(store.cas_current(&mut first).await, Ok(None));
        assert_eq!(store.cas_current(&mut second).await, Ok(None));
        assert!(store.swap(&mut first, b"1".to_vec()).await.is_ok());
        // Both "create" the key: the second overwrites the first.
        assert!(store.swap(&mut second, b"2".to_vec()).await.is_ok());
        assert_eq!(store.get("k").await, Ok(Some(b"2".to_vec())));
    }

    #[tokio::test]
    async fn a_batch_is_one_operation_and_one_transaction() {
        let (dir, on_disk) = sqlite();
        for (_dir, store) in [(None, KeyValueStore::in_memory()), (Some(dir), on_disk)] {
            store
                .set_many(vec![
                    ("a".into(), b"1".to_vec()),
                    ("b".into(), b"2".to_vec()),
                ])
                .await
                .unwrap();
            assert_eq!(store.operations(), 1);
            let mut found = store
                .get_many(vec!["a".into(), "absent".into(), "b".into()])
                .await
                .unwrap();
            found.sort();
            assert_eq!(
                found,
                vec![("a".into(), b"1".to_vec()), ("b".into(), b"2".to_vec())]
            );
            store
                .delete_many(vec!["a".into(), "absent".into()])
                .await
                .unwrap();
            assert_eq!(store.get("a").await, Ok(None));
            assert_eq!(store.get("b").await, Ok(Some(b"2".to_vec())));
            assert_eq!(store.operations(), 5);
        }
    }

    #[tokio::test]
    async fn a_sqlite_batch_that_fails_writes_nothing() {
        let (dir, store) = sqlite();
        // A trigger refuses the second key: the first, in the same transaction, is undone.
        let connection = Connection::open(dir.path().join("kv.db")).unwrap();
        connection
            .execute_batch(
                "CREATE TRIGGER refuse BEFORE INSERT ON spin_key_value WHEN NEW.key = 'b'
                 BEGIN SELECT RAISE(ABORT, 'refused'); END;",
            )
            .unwrap();
        drop(connection);
        let refused = store
            .set_many(vec![
                ("a".into(), b"1".to_vec()),
                ("b".into(), b"2".to_vec()),
            ])
            .await;
        assert!(refused.is_err());
        assert_eq!(store.get("a").await, Ok(None));
    }

    #[tokio::test]
    async fn every_operation_is_counted() {
        let store = KeyValueStore::in_memory();
        store.set("a".into(), b"1".to_vec()).await.unwrap();
        store.get("a").await.unwrap();
        store.increment("n".into(), 1).await.unwrap();
        assert_eq!(store.operations(), 3);
    }
}
