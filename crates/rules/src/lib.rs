//! Every decision of RSOS intake, in one pure crate: validation and normalisation of a
//! request, the canonical subject line, out-of-scope triage with guidance, urgency and the
//! call-center number, the business-day service clock, tracking IDs and the email texts.
//!
//! Sans-IO, like rustls and quinn-proto: no clock, no I/O, no randomness, no platform code.
//! The browser form, the Spin edge function and the `rsos` CLI are thin shells around it,
//! so the same request gets the same verdict, byte for byte, everywhere.
//!
//! ```
//! use rsos_rules::{assess, Outcome, Request, Ruleset};
//!
//! let request = Request {
//!     line_of_business: "medicare".into(),
//!     topic: "claims".into(),
//!     agent_name: "Pat Agent".into(),
//!     agent_san: "A12345".into(),
//!     agent_email: "pat@agency.example".into(),
//!     member_id: "H1234-5678".into(),
//!     member_first_name: "John".into(),
//!     member_last_name: "Smith".into(),
//!     summary: "Claim for the March 3 office visit was denied as out of network.".into(),
//!     ..Request::default()
//! };
//! let verdict = assess(&request, Ruleset::builtin()).verdict;
//! assert_eq!(verdict.outcome, Outcome::Forward);
//! assert_eq!(verdict.subject.as_deref(), Some("Smith, John Medicare"));
//! ```
//!
//! The policy (contacts, word lists, holidays, phone numbers, limits, SLA values) is data:
//! `ruleset/default.toml`, compiled in and replaceable with [`Ruleset::from_toml`].

//! # Layers
//!
//! Each module uses only the ones above it in this list, so there is no cycle:
//!
//! 1. vocabulary: `field` (the field table: [`Request`], [`NormalisedRequest`], [`Field`]),
//!    `codes` (wire names), `unicode` (the Unicode data: NFC and general categories, ICU4X's
//!    or a shell's), `text` (normalisation), `model` (the ruleset file's shape);
//! 2. policy parts: `words` (the summary's word matcher), `holidays` (the calendar);
//! 3. the ruleset: `ruleset` (and its compile steps);
//! 4. judgement: `verdict` ([`assess`] and the field checks), `clock` (the business clock);
//! 5. output: `email` (and [`dispatch`]), `ledger` (a forwarded request's life, SPEC §9),
//!    `insights` (what is counted for coaching, and the report),
//!    `tracking`, `form` (hints, the urgent banner, the promise before sending),
//!    `policy` (the ruleset in words), `notice` (what the agent is told about an unfinished
//!    delivery), `json` (feature `json`).

#![deny(missing_docs)]

// 1. Vocabulary.
mod codes;
mod field;
mod model;
mod small;
mod text;
pub mod unicode;
// 2. Policy parts.
mod holidays;
mod words;
// 3. The ruleset.
mod ruleset;
// 4. Judgement.
mod clock;
mod verdict;
// 5. Output.
mod email;
mod form;
pub mod insights;
#[cfg(feature = "json")]
mod json;
pub mod ledger;
pub mod notice;
mod policy;
mod tracking;

pub use clock::{rfc3339, BusinessClock, ServiceTimes};
pub use codes::{EmailKind, ErrorCode, Outcome, WarningCode};
pub use email::{
    acknowledgement, dispatch, emails, forward, guidance, Dispatch, Email, Links, Stamp,
};
pub use field::{Field, InputKind, NormalisedRequest, Request};
pub use form::{
    if_sent_now, promise_if_sent, urgent_banner, CallLink, PromiseIfSent, UrgentBanner,
};
#[cfg(feature = "json")]
pub use json::MalformedRequest;
pub use ruleset::{
    Category, InsightsPolicy, Limit, LineOfBusiness, Ruleset, RulesetError, SlaTargets, Topic,
    SUPPORTED_ZONES,
};
pub use text::normalise;
pub use tracking::tracking_id;
pub use verdict::{
    assess, is_mailbox_address, Assessment, FieldError, OutOfScope, Verdict, Warning,
};

/// The built-in ruleset's TOML text, for `rsos ruleset` and as a starting point for edits.
pub const DEFAULT_RULESET_TOML: &str = include_str!("../ruleset/default.toml");
