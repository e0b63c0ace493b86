//! The wall clock the component reads (`wasi:clocks/wall-clock`): the system's, shifted by an
//! offset that only moves forward. Tests of what is due days later (the sweep's agent updates
//! and digest) move it instead of waiting; the component reads time exactly as it does under
//! Spin, through WASI. The offset is zero unless a test or `--clock-offset-hours` moves it.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

/// The host's wall clock: system time plus an offset shared by every instance.
#[derive(Debug, Default)]
pub struct HostClock {
    offset_ms: AtomicU64,
}

impl HostClock {
    /// Moves the clock forward by `by`.
    pub fn advance(&self, by: Duration) {
        let ms = u64::try_from(by.as_millis()).unwrap_or(u64::MAX);
        self.offset_ms.fetch_add(ms, Ordering::SeqCst);
    }

    /// How far the clock was moved forward.
    pub fn now_offset(&self) -> Duration {
        Duration::from_millis(self.offset_ms.load(Ordering::SeqCst))
    }

    /// Now, as the component sees it: time since the Unix epoch.
    pub fn now(&self) -> Duration {
        let system = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .unwrap_or_default();
        system + Duration::from_millis(self.offset_ms.load(Ordering::SeqCst))
    }
}

/// One instance's view of the shared clock, as WASI wants it.
pub struct WallClock(pub Arc<HostClock>);

impl wasmtime_wasi::HostWallClock for WallClock {
    fn resolution(&self) -> Duration {
        Duration::from_millis(1)
    }

    fn now(&self) -> Duration {
        self.0.now()
    }
}
