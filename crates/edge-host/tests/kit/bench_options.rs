//! What both benches let one choose the same way: the key-value backing and whether the rate
//! limits count.

use clap::ValueEnum;

/// `--backing`: where the component's `default` store lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum BackingKind {
    /// The host's own map in memory.
    Memory,
    /// Spin's default store as `spin up` keeps it: SQLite, one connection, a transaction per
    /// operation, default durability (`rsos_edge_host::key_value`).
    Sqlite,
    /// A Redis, as `runtime-config.redis.toml` configures Spin.
    Redis,
}

impl BackingKind {
    pub fn name(self) -> &'static str {
        match self {
            BackingKind::Memory => "memory",
            BackingKind::Sqlite => "sqlite",
            BackingKind::Redis => "redis",
        }
    }
}

/// `--rate-limits`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RateLimits {
    /// The three counters are kept as with the manifest's defaults, but every limit is 10^9 so
    /// none refuses: a bench sends from one address, and the defaults would refuse it within
    /// a second.
    On,
    /// Every limit 0: no counter at all.
    Off,
}

impl RateLimits {
    /// The value of every `rate_limit_*` variable.
    pub fn limit(self) -> &'static str {
        match self {
            RateLimits::On => "1000000000",
            RateLimits::Off => "0",
        }
    }

    pub fn describe(self) -> &'static str {
        match self {
            RateLimits::On => "on (every counter kept, every limit 10^9)",
            RateLimits::Off => "off (no counters)",
        }
    }
}
