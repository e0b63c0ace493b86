//! Mutual exclusion over Spin key-value, which offers only get/set/delete (no compare-and-swap).
//!
//! Lamport's fast mutual exclusion algorithm (ACM TOCS 5(1), 1987) needs nothing more than
//! atomic reads and writes of registers, which a key-value store with linearizable single-key
//! operations provides. Registers per lock name: `x` (last contender to arrive), `y` (the
//! contender in or entering the critical section, absent = 0) and one flag `b/{id}` per
//! contender. Uncontended, entry costs five operations and no scan; under contention the loser
//! scans the flags with `get-keys`.
//!
//! The one departure from the paper is liveness: Spin may kill an instance at any point, so
//! `y` and the flags carry an expiry and a stale one counts as absent. Safety then rests on the
//! critical section (two key-value operations here) finishing well within [`LEASE_MS`].
//! See `edge/IDEMPOTENCY.md`.

use crate::platform::{now_ms, random_u64, sleep_ms};
use crate::store::{Kv, StoreError};

/// How long a holder may keep the lock before others may assume it died.
pub const LEASE_MS: u64 = 10_000;
const POLL_MS: u64 = 2;

#[derive(Debug, thiserror::Error)]
pub enum LockError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("the lock stayed busy past the deadline")]
    Busy,
}

pub struct Lock<'s> {
    kv: &'s Kv,
    x: String,
    y: String,
    flags: String,
    me: String,
}

/// Proof of being in the critical section; released explicitly so errors are seen.
pub struct Held<'l, 's> {
    lock: &'l Lock<'s>,
}

/// The register a released lock leaves behind (`y` and the flags are deleted on release).
pub fn x_key(name: &str) -> String {
    format!("lock/{name}/x")
}

impl<'s> Lock<'s> {
    pub fn new(kv: &'s Kv, name: &str) -> Lock<'s> {
        Lock {
            kv,
            x: x_key(name),
            y: format!("lock/{name}/y"),
            flags: format!("lock/{name}/b/"),
            me: format!("{:016x}", random_u64()),
        }
    }

    fn flag(&self) -> String {
        format!("{}{}", self.flags, self.me)
    }

    /// The id in `y` if it is set and not stale.
    fn y_holder(&self) -> Result<Option<String>, StoreError> {
        let Some(raw) = self.kv.get(&self.y)? else {
            return Ok(None);
        };
        let raw = String::from_utf8_lossy(&raw).into_owned();
        let (id, expires) = raw.split_once('@').unwrap_or((raw.as_str(), "0"));
        if expires.parse::<u64>().unwrap_or(0) < now_ms() {
            return Ok(None);
        }
        Ok(Some(id.to_owned()))
    }

    fn flag_live(&self, key: &str) -> Result<bool, StoreError> {
        Ok(match self.kv.get(key)? {
            None => false,
            Some(raw) => String::from_utf8_lossy(&raw).parse::<u64>().unwrap_or(0) >= now_ms(),
        })
    }

    fn await_y_free(&self, deadline: u64) -> Result<(), LockError> {
        while self.y_holder()?.is_some() {
            if now_ms() > deadline {
                return Err(LockError::Busy);
            }
            sleep_ms(POLL_MS);
        }
        Ok(())
    }

    /// Enters the critical section, waiting at most `wait_ms`.
    pub fn acquire(&self, wait_ms: u64) -> Result<Held<'_, 's>, LockError> {
        let deadline = now_ms() + wait_ms;
        let flag = self.flag();
        loop {
            let expires = (now_ms() + LEASE_MS).to_string();
            self.kv.set(&flag, expires.as_bytes())?;
            self.kv.set(&self.x, self.me.as_bytes())?;
            if self.y_holder()?.is_some() {
                self.kv.delete(&flag)?;
                self.await_y_free(deadline)?;
                continue;
            }
            let claim = format!("{}@{}", self.me, now_ms() + LEASE_MS);
            self.kv.set(&self.y, claim.as_bytes())?;
            let x = self.kv.get(&self.x)?;
            if x.as_deref() != Some(self.me.as_bytes()) {
                // Contention: wait until every contender has either left or seen our `y`.
                self.kv.delete(&flag)?;
                for other in self.kv.keys_with_prefix(&self.flags)? {
                    while self.flag_live(&other)? {
                        if now_ms() > deadline {
                            return Err(LockError::Busy);
                        }
                        sleep_ms(POLL_MS);
                    }
                }
                if self.y_holder()?.as_deref() != Some(self.me.as_str()) {
                    self.await_y_free(deadline)?;
                    continue;
                }
            }
            return Ok(Held { lock: self });
        }
    }
}

impl Held<'_, '_> {
    pub fn release(self) -> Result<(), StoreError> {
        let lock = self.lock;
        lock.kv.delete(&lock.y)?;
        lock.kv.delete(&lock.flag())
    }
}
