//! The idempotency record: what one request (one agent's idempotency key) has done so far.
//!
//! Stored as JSON at [`RecordKeys::record`](crate::RecordKeys::record). It holds the emails
//! still to send (they carry member data) only until the mail API accepts them; a delivered
//! record keeps the tracking ID, the receipt instant and which emails went out, and no member
//! data (SPEC §9: nothing of the member is kept past delivery). A replay rebuilds its answer
//! from these facts and the resubmitted body, which must match [`Record::fingerprint`].

use rsos_rules::ledger::Entry;
use rsos_rules::{Email, EmailKind};
use serde::{Deserialize, Serialize};

/// One request's delivery state. Written only by the owner of the current round (see
/// [`crate::machine`]), read by everyone.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Record {
    /// Lower-case hex SHA-256 of the request as parsed: the same request in another key order
    /// or spacing is the same request; anything else under this key is a conflict (409).
    pub fingerprint: String,
    /// `RSOS-<UTC date>-<8 Crockford base32>`, fixed by the first owner; every email names it.
    pub tracking_id: String,
    /// When the first owner received the request, ms since the Unix epoch (UTC).
    pub received_ms: i64,
    /// The claim round whose owner wrote this record last (rounds count from 1).
    pub round: u32,
    /// Until when that owner may work, ms since the Unix epoch; 0 once it let go.
    pub lease_until_ms: u64,
    /// The emails of this request, in send order.
    pub slots: Vec<Slot>,
    /// Every email was accepted: a retry only replays.
    pub delivered: bool,
    /// The request's ledger entry (SPEC §9), for a forwarded request: opened by the claim
    /// that creates the record, changed by actions. No member data.
    #[serde(default)]
    pub ledger: Option<Entry>,
    /// The ids of the actions applied to the ledger, so a repeated action is applied once.
    #[serde(default)]
    pub applied: Vec<String>,
    /// An answer that counts for the insights (every email delivered, or a mail failure) was
    /// written into this record: later answers (replays, retries) are not the first
    /// ([`Facts::first_answer`]). Records of the version before this field read as answered:
    /// that version counted them through a marker of their own, so a request then in flight
    /// is counted at most once (or, if it had not been answered yet, not at all).
    #[serde(default = "answered_before")]
    pub answered: bool,
}

/// [`Record::answered`] of a record written before the field existed.
fn answered_before() -> bool {
    true
}

/// One email of a request and how far it got.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Slot {
    /// Which email (forward, acknowledgement, guidance).
    pub kind: EmailKind,
    /// How far it got.
    pub state: SlotState,
}

/// How far one email got with the mail API.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum SlotState {
    /// Not yet handed over; the email is kept to send it.
    Pending {
        /// The email as `rsos-rules` wrote it.
        email: Email,
    },
    /// Two-phase mail APIs only (Microsoft Graph): created as a draft whose id is `handle`,
    /// not yet known to be sent. A new owner asks the mail API before sending it.
    Prepared {
        /// The mail API's id of the created message (Graph: an immutable message id).
        handle: String,
        /// Kept in case the draft has gone and must be created again.
        email: Email,
        /// When it was created, or last possibly sent: ms since the Unix epoch.
        since_ms: u64,
        /// A send may have reached the mail API (it was about to start, or its answer was
        /// lost); false once a send was refused.
        maybe_sent: bool,
    },
    /// The mail API accepted it. The email itself is no longer kept.
    Accepted,
}

impl Slot {
    /// Whether the mail API accepted this email.
    pub fn accepted(&self) -> bool {
        matches!(self.state, SlotState::Accepted)
    }
}

impl Record {
    /// Whether its owner may still be working at `now_ms` (ms since the Unix epoch).
    pub fn leased(&self, now_ms: u64) -> bool {
        !self.delivered && self.lease_until_ms > now_ms
    }

    /// The record's bytes in the store.
    pub fn encode(&self) -> Vec<u8> {
        // A struct of strings, numbers and plain enums always serialises.
        serde_json::to_vec(self).unwrap_or_default()
    }

    /// Reads stored bytes; `None` when they are not a record this version understands (such a
    /// record is left for a person to look at, never overwritten or deleted).
    pub fn decode(bytes: &[u8]) -> Option<Record> {
        serde_json::from_slice(bytes).ok()
    }

    /// What a caller may tell the client about this request.
    pub fn facts(&self) -> Facts {
        Facts {
            tracking_id: self.tracking_id.clone(),
            received_ms: self.received_ms,
            accepted: self
                .slots
                .iter()
                .filter(|s| s.accepted())
                .map(|s| s.kind)
                .collect(),
            delivered: self.delivered,
            ledger: self.ledger.clone().map(Box::new),
            first_answer: false,
        }
    }

    /// Marks the record answered and returns its facts for the answer about to be written
    /// with it: [`Facts::first_answer`] when no answer was recorded before.
    pub fn answer(&mut self) -> Facts {
        let first = !self.answered;
        self.answered = true;
        Facts {
            first_answer: first,
            ..self.facts()
        }
    }
}

/// The facts of a request a reply is built from: no member data.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Facts {
    /// The request's tracking ID.
    pub tracking_id: String,
    /// When it was first received, ms since the Unix epoch (UTC).
    pub received_ms: i64,
    /// The emails the mail API has accepted, in send order.
    pub accepted: Vec<EmailKind>,
    /// Whether every email was accepted.
    pub delivered: bool,
    /// The ledger entry, for a forwarded request.
    pub ledger: Option<Box<Entry>>,
    /// This answer is the first the record holds (written with [`Record::answered`]): the
    /// one the insights count, so a request counts once however often it is retried or
    /// replayed, with no counter of its own (issue 13: one synced write less per forward on
    /// Spin's SQLite store). A crash between that write and the count loses the count:
    /// insights undercount, never overcount.
    pub first_answer: bool,
}

/// The record of the request with `tracking_id`, found through its tracking pointer: `None`
/// when no tracked request has that ID (or it was purged). Two reads.
pub fn find(
    store: &impl crate::Store,
    tracking_id: &str,
) -> Result<Option<Record>, crate::StoreError> {
    let Some(keys) = store
        .get(&crate::RecordKeys::tracking(tracking_id))?
        .as_deref()
        .and_then(crate::RecordKeys::of_hash)
    else {
        return Ok(None);
    };
    Ok(store
        .get(&keys.record())?
        .as_deref()
        .and_then(Record::decode))
}
