//! Exactly-once delivery of one RSOS request, sans-IO: the quinn-proto under the edge
//! function's quinn.
//!
//! SPEC §7 promises that the same `Idempotency-Key` with the same body answers the first
//! response and sends nothing again, that a different body is a conflict, that nothing is
//! lost when the mail service fails, and that a request is never forwarded twice. This crate
//! is that promise as a state machine, [`Delivery`]: the caller brings the current instant
//! and the store's and mail API's answers, and gets the next step out (read the record,
//! count a claim, write the record, send an email, wait, or finish with an outcome). It has
//! no key-value client, no clock, no HTTP and no randomness, so the same code runs in the Spin
//! component over Spin key-value and in native tests over [`MemoryStore`] with a hand-moved
//! clock, where `tests/interleavings.rs` explores every schedule of a few contenders.
//!
//! ```
//! use rsos_delivery::{run, Config, Delivery, Finish, ManualClock, MemoryStore, NewRequest, RecordKeys};
//! use rsos_delivery::mailer::Accepting;
//!
//! let store = MemoryStore::default();
//! let clock = ManualClock::at(1_767_000_000_000);
//! let keys = RecordKeys::new("A12345", "draft-1");
//! let fresh = NewRequest { tracking_id: "RSOS-20251229-0000000A".into(), received_ms: 1_767_000_000_000, emails: Vec::new(), ledger: None };
//! let mut first = Delivery::new(Config::for_mail_timeout(10_000, false), keys.clone(), "fp".into(), fresh.clone(), Vec::new());
//! assert!(matches!(run(&mut first, &store, &mut Accepting::default(), &clock), Finish::Delivered(_)));
//! let mut retry = Delivery::new(Config::for_mail_timeout(10_000, false), keys, "fp".into(), fresh, Vec::new());
//! assert!(matches!(run(&mut retry, &store, &mut Accepting::default(), &clock), Finish::Replayed(_)));
//! ```
//!
//! Why the claim is a counter and not a compare-and-swap, and what each lease assumes:
//! ARCHITECTURE.md ("Idempotency and more than one instance") and `edge/IDEMPOTENCY.md`.

pub mod driver;
pub mod housekeeping;
pub mod keys;
pub mod limits;
pub mod machine;
pub mod mailer;
pub mod record;
pub mod store;
pub mod tally;

pub use driver::{run, run_action, Clock, ManualClock};
pub use keys::RecordKeys;
pub use limits::RateCheck;
pub use machine::{Answer, Config, Decision, Delivery, Finish, NewRequest, Step};
pub use mailer::{MailFailure, Mailer, Outgoing, Probe};
pub use record::{find, Facts, Record, Slot, SlotState};
pub use store::{KeyPage, MemoryStore, Store, StoreError};
