//! The component's key-value imports, served from [`crate::key_value`] as Spin 4 serves
//! them (`crates/factor-key-value/src/host.rs`): `fermyon:spin/key-value@2.0.0`, and
//! `wasi:keyvalue/store`, `wasi:keyvalue/atomics` and `wasi:keyvalue/batch` @0.2.0-draft2
//! over the same stores and the same grants. Like Spin, `list-keys` takes no cursor (it
//! answers every key at once and refuses a cursor), and a failed swap hands back a fresh
//! compare-and-swap handle that has already read the current value.

use std::sync::Arc;

use wasmtime::component::Resource;

use crate::key_value::{CasState, KeyValueStore, SwapError};
use crate::runtime::bindings::fermyon::spin::key_value;
use crate::runtime::bindings::wasi::keyvalue::{atomics, batch, store as wasi_store};
use crate::runtime::InstanceState;

/// A store handle held by one instance (a `fermyon:spin` store or a `wasi:keyvalue` bucket):
/// the label's shared store.
pub struct OpenStore(Arc<KeyValueStore>);

/// A compare-and-swap handle held by one instance.
pub struct OpenCas {
    store: Arc<KeyValueStore>,
    state: CasState,
}

async fn pause(latency: Option<std::time::Duration>) {
    if let Some(latency) = latency {
        tokio::time::sleep(latency).await;
    }
}

impl InstanceState {
    /// The granted store `label`, or why not.
    fn grant(&self, label: &str) -> Result<Arc<KeyValueStore>, Denied> {
        if !self.app.granted_stores.iter().any(|l| l == label) {
            return Err(Denied::Access);
        }
        self.app.stores.get(label).ok_or(Denied::NoSuchStore)
    }

    fn open_store(&self, this: &Resource<OpenStore>) -> Result<Arc<KeyValueStore>, String> {
        self.table
            .get(this)
            .map(|open| open.0.clone())
            .map_err(|_| "unknown store handle".to_owned())
    }
}

enum Denied {
    Access,
    NoSuchStore,
}

impl key_value::Host for InstanceState {}

impl key_value::HostStore for InstanceState {
    async fn open(&mut self, label: String) -> Result<Resource<OpenStore>, key_value::Error> {
        pause(self.app.key_value_latency).await;
        let store = self.grant(&label).map_err(|denied| match denied {
            Denied::Access => key_value::Error::AccessDenied,
            Denied::NoSuchStore => key_value::Error::NoSuchStore,
        })?;
        self.table
            .push(OpenStore(store))
            .map_err(|_| key_value::Error::StoreTableFull)
    }

    async fn get(
        &mut self,
        this: Resource<OpenStore>,
        key: String,
    ) -> Result<Option<Vec<u8>>, key_value::Error> {
        pause(self.app.key_value_latency).await;
        let store = self.open_store(&this).map_err(key_value::Error::Other)?;
        store.get(&key).await.map_err(key_value::Error::Other)
    }

    async fn set(
        &mut self,
        this: Resource<OpenStore>,
        key: String,
        value: Vec<u8>,
    ) -> Result<(), key_value::Error> {
        pause(self.app.key_value_latency).await;
        let store = self.open_store(&this).map_err(key_value::Error::Other)?;
        store.set(key, value).await.map_err(key_value::Error::Other)
    }

    async fn delete(
        &mut self,
        this: Resource<OpenStore>,
        key: String,
    ) -> Result<(), key_value::Error> {
        pause(self.app.key_value_latency).await;
        let store = self.open_store(&this).map_err(key_value::Error::Other)?;
        store.delete(&key).await.map_err(key_value::Error::Other)
    }

    async fn exists(
        &mut self,
        this: Resource<OpenStore>,
        key: String,
    ) -> Result<bool, key_value::Error> {
        pause(self.app.key_value_latency).await;
        let store = self.open_store(&this).map_err(key_value::Error::Other)?;
        store.exists(&key).await.map_err(key_value::Error::Other)
    }

    async fn get_keys(
        &mut self,
        this: Resource<OpenStore>,
    ) -> Result<Vec<String>, key_value::Error> {
        pause(self.app.key_value_latency).await;
        let store = self.open_store(&this).map_err(key_value::Error::Other)?;
        store.keys().await.map_err(key_value::Error::Other)
    }

    async fn drop(&mut self, this: Resource<OpenStore>) -> wasmtime::Result<()> {
        self.table.delete(this)?;
        Ok(())
    }
}

impl wasi_store::Host for InstanceState {
    async fn open(&mut self, identifier: String) -> Result<Resource<OpenStore>, wasi_store::Error> {
        pause(self.app.key_value_latency).await;
        let store = self.grant(&identifier).map_err(|denied| match denied {
            Denied::Access => wasi_store::Error::AccessDenied,
            Denied::NoSuchStore => wasi_store::Error::NoSuchStore,
        })?;
        self.table
            .push(OpenStore(store))
            .map_err(|_| wasi_store::Error::Other("store table full".into()))
    }
}

impl wasi_store::HostBucket for InstanceState {
    async fn get(
        &mut self,
        this: Resource<OpenStore>,
        key: String,
    ) -> Result<Option<Vec<u8>>, wasi_store::Error> {
        pause(self.app.key_value_latency).await;
        let store = self.open_store(&this).map_err(wasi_store::Error::Other)?;
        store.get(&key).await.map_err(wasi_store::Error::Other)
    }

    async fn set(
        &mut self,
        this: Resource<OpenStore>,
        key: String,
        value: Vec<u8>,
    ) -> Result<(), wasi_store::Error> {
        pause(self.app.key_value_latency).await;
        let store = self.open_store(&this).map_err(wasi_store::Error::Other)?;
        store
            .set(key, value)
            .await
            .map_err(wasi_store::Error::Other)
    }

    async fn delete(
        &mut self,
        this: Resource<OpenStore>,
        key: String,
    ) -> Result<(), wasi_store::Error> {
        pause(self.app.key_value_latency).await;
        let store = self.open_store(&this).map_err(wasi_store::Error::Other)?;
        store.delete(&key).await.map_err(wasi_store::Error::Other)
    }

    async fn exists(
        &mut self,
        this: Resource<OpenStore>,
        key: String,
    ) -> Result<bool, wasi_store::Error> {
        pause(self.app.key_value_latency).await;
        let store = self.open_store(&this).map_err(wasi_store::Error::Other)?;
        store.exists(&key).await.map_err(wasi_store::Error::Other)
    }

    async fn list_keys(
        &mut self,
        this: Resource<OpenStore>,
        cursor: Option<String>,
    ) -> Result<wasi_store::KeyResponse, wasi_store::Error> {
        pause(self.app.key_value_latency).await;
        if cursor.is_some() {
            return Err(wasi_store::Error::Other(
                "list_keys: cursor not supported".into(),
            ));
        }
        let store = self.open_store(&this).map_err(wasi_store::Error::Other)?;
        let keys = store.keys().await.map_err(wasi_store::Error::Other)?;
        Ok(wasi_store::KeyResponse { keys, cursor: None })
    }

    async fn drop(&mut self, this: Resource<OpenStore>) -> wasmtime::Result<()> {
        self.table.delete(this)?;
        Ok(())
    }
}

impl atomics::Host for InstanceState {
    async fn increment(
        &mut self,
        bucket: Resource<OpenStore>,
        key: String,
        delta: i64,
    ) -> Result<i64, wasi_store::Error> {
        pause(self.app.key_value_latency).await;
        let store = self.open_store(&bucket).map_err(wasi_store::Error::Other)?;
        store
            .increment(key, delta)
            .await
            .map_err(wasi_store::Error::Other)
    }

    async fn swap(
        &mut self,
        cas: Resource<OpenCas>,
        value: Vec<u8>,
    ) -> Result<(), atomics::CasError> {
        pause(self.app.key_value_latency).await;
        let other = |e: String| atomics::CasError::StoreError(wasi_store::Error::Other(e));
        let mut open = self
            .table
            .delete(cas)
            .map_err(|_| other("unknown compare-and-swap handle".into()))?;
        match open.store.swap(&mut open.state, value).await {
            Ok(()) => Ok(()),
            Err(SwapError::Store(e)) => Err(other(e)),
            Err(SwapError::Changed) => {
                // As Spin: a new handle for the same key that has read the current value.
                let mut state = CasState::new(open.state.key().to_owned());
                open.store.cas_current(&mut state).await.map_err(other)?;
                let fresh = OpenCas {
                    store: open.store,
                    state,
                };
                let handle = self
                    .table
                    .push(fresh)
                    .map_err(|_| other("too many compare_and_swaps opened".into()))?;
                Err(atomics::CasError::CasFailed(handle))
            }
        }
    }
}

impl atomics::HostCas for InstanceState {
    async fn new(
        &mut self,
        bucket: Resource<OpenStore>,
        key: String,
    ) -> Result<Resource<OpenCas>, wasi_store::Error> {
        let store = self.open_store(&bucket).map_err(wasi_store::Error::Other)?;
        self.table
            .push(OpenCas {
                store,
                state: CasState::new(key),
            })
            .map_err(|_| wasi_store::Error::Other("too many compare_and_swaps opened".into()))
    }

    async fn current(
        &mut self,
        this: Resource<OpenCas>,
    ) -> Result<Option<Vec<u8>>, wasi_store::Error> {
        pause(self.app.key_value_latency).await;
        let open = self
            .table
            .get_mut(&this)
            .map_err(|_| wasi_store::Error::Other("unknown compare-and-swap handle".into()))?;
        let store = open.store.clone();
        store
            .cas_current(&mut open.state)
            .await
            .map_err(wasi_store::Error::Other)
    }

    async fn drop(&mut self, this: Resource<OpenCas>) -> wasmtime::Result<()> {
        self.table.delete(this)?;
        Ok(())
    }
}

/// As Spin's `wasi_keyvalue::batch::Host`: an empty batch is answered without touching the
/// store.
impl batch::Host for InstanceState {
    async fn get_many(
        &mut self,
        bucket: Resource<OpenStore>,
        keys: Vec<String>,
    ) -> Result<Vec<(String, Option<Vec<u8>>)>, wasi_store::Error> {
        pause(self.app.key_value_latency).await;
        let store = self.open_store(&bucket).map_err(wasi_store::Error::Other)?;
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        let found = store
            .get_many(keys)
            .await
            .map_err(wasi_store::Error::Other)?;
        Ok(found.into_iter().map(|(k, v)| (k, Some(v))).collect())
    }

    async fn set_many(
        &mut self,
        bucket: Resource<OpenStore>,
        key_values: Vec<(String, Vec<u8>)>,
    ) -> Result<(), wasi_store::Error> {
        pause(self.app.key_value_latency).await;
        let store = self.open_store(&bucket).map_err(wasi_store::Error::Other)?;
        if key_values.is_empty() {
            return Ok(());
        }
        store
            .set_many(key_values)
            .await
            .map_err(wasi_store::Error::Other)
    }

    async fn delete_many(
        &mut self,
        bucket: Resource<OpenStore>,
        keys: Vec<String>,
    ) -> Result<(), wasi_store::Error> {
        pause(self.app.key_value_latency).await;
        let store = self.open_store(&bucket).map_err(wasi_store::Error::Other)?;
        if keys.is_empty() {
            return Ok(());
        }
        store
            .delete_many(keys)
            .await
            .map_err(wasi_store::Error::Other)
    }
}
