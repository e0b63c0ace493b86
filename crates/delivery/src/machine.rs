//! The delivery state machine: one submission's way from "is this key known?" to "every email
//! accepted", as a pure function of the answers it is given.
//!
//! The protocol (reasoning and assumptions in `edge/IDEMPOTENCY.md`):
//! 1. Read the record. Another fingerprint → [`Finish::Conflict`]; delivered →
//!    [`Finish::Replayed`]; an owner's live lease → wait and read again (up to
//!    [`Config::wait_ms`], then [`Finish::InProgress`]).
//! 2. Otherwise claim the next round: count 1 on the round's counter
//!    ([`RecordKeys::claim`]); whoever counts 1 owns the round, everyone else lost it. A
//!    counter is atomic on every store Spin ships (`wasi:keyvalue/atomics.increment`), which
//!    Spin's compare-and-swap is not (it is an upsert for an absent key on SQLite and reports
//!    success for an aborted transaction on Redis).
//! 3. The owner writes the record (creating it with the tracking ID and the emails, or taking
//!    over the previous round's) with a lease, then works through the emails; after each
//!    answer of the mail API it writes the record again, renewing the lease, so every mail
//!    call starts within a fresh lease. A failure lets go of the lease and answers
//!    [`Finish::MailFailed`]: a retry sends only what is missing.
//! 4. A contender that lost a round whose winner has not written after a whole lease (the
//!    winner counted before it, and a live owner writes within a lease of its count) presumes
//!    the winner dead and claims the round after.

use rsos_rules::ledger::Entry;
use rsos_rules::Email;

use crate::keys::RecordKeys;
use crate::limits::RateCheck;
use crate::mailer::{MailFailure, Outgoing, Probe};
use crate::record::{Facts, Record, Slot, SlotState};
use crate::store::StoreError;

/// Time budgets of the protocol, in milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Config {
    /// How long an owner may go between two writes of the record: more than the slowest mail
    /// step and store write. Others take over a record whose lease has run out.
    pub lease_ms: u64,
    /// How long a contender waits for another attempt's outcome before answering
    /// [`Finish::InProgress`].
    pub wait_ms: u64,
    /// Pause between two looks at a record another attempt is working on.
    pub recheck_ms: u64,
    /// The mail API creates a message and sends it by id ([`crate::Mailer::two_phase`]).
    pub two_phase: bool,
    /// Two-phase: how long after a send that may have happened (its answer was lost, or its
    /// owner died) a message the mail API still shows unsent is sent again. Longer than any
    /// send can still be under way.
    pub settle_ms: u64,
    /// Two-phase: how long after its last send a message the mail API cannot find counts as
    /// gone (and is created again). Graph creates the Sent Items copy, under the same
    /// immutable id, some time after sending; until then the id is not found.
    pub missing_after_ms: u64,
}

impl Config {
    /// Budgets for a mail API whose every outbound call is bounded by `mail_timeout_ms`. One
    /// mail step makes at most four calls (sign in, the call, a 401, sign in again, the call
    /// again: the first call's 401 is the third), so the lease is four timeouts and five
    /// seconds for the store.
    pub fn for_mail_timeout(mail_timeout_ms: u64, two_phase: bool) -> Config {
        let lease_ms = 4 * mail_timeout_ms + 5_000;
        Config {
            lease_ms,
            wait_ms: 25_000,
            recheck_ms: 5,
            two_phase,
            settle_ms: 2 * lease_ms,
            missing_after_ms: 15 * 60 * 1000,
        }
    }
}

/// What a first owner creates the record from.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct NewRequest {
    /// A fresh tracking ID (the caller brings the entropy).
    pub tracking_id: String,
    /// The receipt instant, ms since the Unix epoch (UTC).
    pub received_ms: i64,
    /// The emails `rsos-rules` wrote for this tracking ID and receipt, in send order.
    pub emails: Vec<Email>,
    /// The ledger entry a forwarded request opens (`rsos_rules::ledger::Entry::open`).
    pub ledger: Option<Entry>,
}

/// What an owner does with a record it claimed for an action (`rsos_rules::ledger`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Decision {
    /// The ledger entry becomes `ledger` and these emails are sent.
    Apply {
        /// The changed entry.
        ledger: Box<Entry>,
        /// The emails the action sends.
        emails: Vec<Email>,
    },
    /// Nothing changes (the action was done already): recorded as applied.
    Nothing,
    /// The action cannot be applied.
    Refuse {
        /// 409 or 422.
        status: u16,
        /// What to tell the person.
        sentence: String,
    },
}

/// What the caller does next.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Step {
    /// Read `key`; answer [`Answer::Got`].
    Get {
        /// The key.
        key: String,
    },
    /// Write `value` at `key`; answer [`Answer::Written`].
    Set {
        /// The key.
        key: String,
        /// The bytes.
        value: Vec<u8>,
    },
    /// Write every pair in one store call (Spin: `wasi:keyvalue/batch.set-many`, one
    /// transaction on SQLite, `MSET` on Redis; see [`crate::Store::set_many`]); answer
    /// [`Answer::Written`].
    SetMany {
        /// The keys and their bytes.
        pairs: Vec<(String, Vec<u8>)>,
    },
    /// Add `delta` to the counter at `key` atomically; answer [`Answer::Counted`].
    Increment {
        /// The key.
        key: String,
        /// The amount.
        delta: i64,
    },
    /// Wait `ms` milliseconds; answer [`Answer::Slept`].
    Sleep {
        /// How long.
        ms: u64,
    },
    /// One-phase mail: send the email; answer [`Answer::Sent`].
    Send(Outgoing),
    /// Two-phase mail: create the email unsent; answer [`Answer::Prepared`].
    Prepare(Outgoing),
    /// Two-phase mail: send the message created as `handle`; answer [`Answer::Committed`].
    Commit {
        /// The mail API's id of the message.
        handle: String,
    },
    /// Two-phase mail: ask whether `handle` was sent; answer [`Answer::Probed`].
    Probe {
        /// The mail API's id of the message.
        handle: String,
    },
    /// An action's owner: decide what the action does to this record (its ledger entry);
    /// answer [`Answer::Decided`].
    Decide {
        /// The record as claimed.
        record: Box<Record>,
    },
    /// Nothing more to do.
    Done(Finish),
}

/// The result of the previous [`Step`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Answer {
    /// The first call: nothing done yet.
    Start,
    /// The value read.
    Got(Option<Vec<u8>>),
    /// The write happened.
    Written,
    /// The counter's new value.
    Counted(i64),
    /// The pause is over.
    Slept,
    /// The one-phase send's result.
    Sent(Result<(), MailFailure>),
    /// The created message's id.
    Prepared(Result<String, MailFailure>),
    /// The two-phase send's result.
    Committed(Result<(), MailFailure>),
    /// What the mail API says of a created message.
    Probed(Result<Probe, MailFailure>),
    /// What the action does.
    Decided(Decision),
    /// The store operation failed.
    StoreFailed(StoreError),
}

/// How one submission ended.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Finish {
    /// This submission delivered every email.
    Delivered(Facts),
    /// An earlier submission with this key delivered them: answer as it did.
    Replayed(Facts),
    /// The key was used for another request.
    Conflict,
    /// Another submission with this key is still working past [`Config::wait_ms`].
    InProgress,
    /// Over a rate limit; retry after this many seconds.
    Limited {
        /// Seconds until the window ends.
        retry_after_s: u64,
    },
    /// The mail API did not accept an email. `facts` say which were accepted before.
    MailFailed {
        /// What was delivered so far.
        facts: Facts,
        /// Why the mail API refused (no member data).
        failure: MailFailure,
    },
    /// The store failed. `facts` are known when this submission owned the request (they may
    /// include emails accepted but not recorded).
    StoreFailed {
        /// What was delivered so far, if known.
        facts: Option<Facts>,
        /// The failed operation.
        error: StoreError,
    },
    /// The record under this key is not one this version can read: it is left alone.
    Unreadable,
    /// An action: no request has this tracking ID (or it was purged).
    NotFound,
    /// An action the ledger refuses; nothing changed.
    Refused {
        /// 409 or 422.
        status: u16,
        /// What to tell the person.
        sentence: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Awaiting {
    Start,
    Pointer,
    Record,
    Decide,
    Sleep,
    Limit(usize),
    Claim(u32),
    Write(Then),
    Mail(Call),
    Done(Finish),
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Then {
    Work,
    Mail(Call),
    Finish(Finish),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Call {
    Send(usize),
    Prepare(usize),
    Commit(usize),
    Probe(usize),
}

/// One submission's delivery. Feed it with [`Delivery::resume`] until it answers
/// [`Step::Done`]; [`crate::run`] does that over a [`crate::Store`] and a [`crate::Mailer`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Delivery {
    config: Config,
    /// `None` for an action until the tracking pointer is read.
    keys: Option<RecordKeys>,
    /// For an action: the tracking ID it is about, and its id.
    action: Option<(String, String)>,
    /// Only finish what an earlier submission left pending (the outbox); never create.
    pending_only: bool,
    /// The owner wrote the tracking pointer of its record's ledger.
    pointer_written: bool,
    fingerprint: String,
    fresh: Option<NewRequest>,
    limits: Vec<RateCheck>,
    limits_counted: bool,
    awaiting: Awaiting,
    started_ms: Option<u64>,
    /// The record last read, or the one this submission owns.
    record: Option<Record>,
    /// The round this submission owns.
    owned: Option<u32>,
    /// The latest round this submission counted on and lost, and when.
    lost: Option<(u32, u64)>,
    /// The owned record was written since the last mail call: the next call starts within
    /// a fresh lease.
    lease_written: bool,
    /// See [`Delivery::must_act_by`].
    act_by: Option<u64>,
}

impl Delivery {
    /// A submission of the request with `fingerprint` under `keys`. `fresh` is used only if
    /// this submission creates the record; `limits` are counted only then (a retry of a known
    /// request is not a new request).
    pub fn new(
        config: Config,
        keys: RecordKeys,
        fingerprint: String,
        fresh: NewRequest,
        limits: Vec<RateCheck>,
    ) -> Delivery {
        Delivery {
            config,
            keys: Some(keys),
            action: None,
            pending_only: false,
            pointer_written: false,
            fingerprint,
            fresh: Some(fresh),
            limits,
            limits_counted: false,
            awaiting: Awaiting::Start,
            started_ms: None,
            record: None,
            owned: None,
            lost: None,
            lease_written: false,
            act_by: None,
        }
    }

    /// An action on the request with `tracking_id` (found through its tracking pointer),
    /// applied once per `action_id` however often it is posted: the owner of the claimed
    /// record asks the caller to decide ([`Step::Decide`]), records the change and the action's
    /// id, and sends what it decided, exactly once, like the intake's emails.
    pub fn act(config: Config, tracking_id: &str, action_id: &str) -> Delivery {
        Delivery {
            config,
            keys: None,
            action: Some((tracking_id.to_owned(), action_id.to_owned())),
            pending_only: false,
            pointer_written: true,
            fingerprint: String::new(),
            fresh: None,
            limits: Vec::new(),
            limits_counted: true,
            awaiting: Awaiting::Start,
            started_ms: None,
            record: None,
            owned: None,
            lost: None,
            lease_written: false,
            act_by: None,
        }
    }

    /// The outbox (issue 11): finishes the delivery of the record under `keys` that an earlier
    /// submission left half-way (a failed mail call, a client that did not come back), with
    /// the same exactly-once rules: claim the next round, send what is pending. Delivered →
    /// [`Finish::Replayed`]; absent → [`Finish::NotFound`]; someone at work → it waits up to
    /// [`Config::wait_ms`] (0 for a sweep that moves on).
    pub fn finish_pending(config: Config, keys: RecordKeys) -> Delivery {
        Delivery {
            pending_only: true,
            fresh: None,
            limits_counted: true,
            // The record was written with its pointer already, if it has a ledger.
            pointer_written: true,
            ..Delivery::new(
                config,
                keys,
                String::new(),
                NewRequest {
                    tracking_id: String::new(),
                    received_ms: 0,
                    emails: Vec::new(),
                    ledger: None,
                },
                Vec::new(),
            )
        }
    }

    /// The time by which this submission must take its next step if its promises are to hold
    /// (ms since the Unix epoch): an owner's lease, or the first write a round's winner owes.
    /// The interleaving model never moves its clock past it for a live submission; in the
    /// component, bounded mail and store calls keep it.
    pub fn must_act_by(&self) -> Option<u64> {
        match self.awaiting {
            Awaiting::Done(_) => None,
            _ => self.act_by,
        }
    }

    /// Whether this submission owns a round and has not finished.
    pub fn owns(&self) -> bool {
        self.owned.is_some() && !matches!(self.awaiting, Awaiting::Done(_))
    }

    /// Takes the answer to the previous step (or [`Answer::Start`]) at `now_ms` (ms since the
    /// Unix epoch) and says what to do next.
    pub fn resume(&mut self, now_ms: u64, answer: Answer) -> Step {
        let started = *self.started_ms.get_or_insert(now_ms);
        let awaiting = std::mem::replace(&mut self.awaiting, Awaiting::Start);
        match (awaiting, answer) {
            (Awaiting::Done(finish), _) => self.finish(finish),
            // The release after a mail failure could not be written: the lease runs out by
            // itself, and the agent needs to hear about the mail, not the store. The store
            // does not know of this answer, so it is not the one that counts.
            (
                Awaiting::Write(Then::Finish(Finish::MailFailed { mut facts, failure })),
                Answer::StoreFailed(_),
            ) => {
                facts.first_answer = false;
                self.finish(Finish::MailFailed { facts, failure })
            }
            (_, Answer::StoreFailed(error)) => {
                let facts = self.owned.and(self.record.as_ref()).map(Record::facts);
                self.finish(Finish::StoreFailed { facts, error })
            }
            (Awaiting::Start | Awaiting::Sleep, _) => self.read(),
            (Awaiting::Pointer, Answer::Got(hash)) => {
                match hash.as_deref().and_then(RecordKeys::of_hash) {
                    Some(keys) => {
                        self.keys = Some(keys);
                        self.read()
                    }
                    None => self.finish(Finish::NotFound),
                }
            }
            (Awaiting::Record, Answer::Got(bytes)) => self.on_record(now_ms, started, bytes),
            (Awaiting::Decide, Answer::Decided(decision)) => self.on_decided(now_ms, decision),
            (Awaiting::Limit(i), Answer::Counted(n)) => self.on_limit(now_ms, started, i, n),
            (Awaiting::Claim(round), Answer::Counted(n)) => {
                self.on_claim(now_ms, started, round, n)
            }
            (Awaiting::Write(then), Answer::Written) => {
                self.lease_written = true;
                self.act_by = self.record.as_ref().map(|r| r.lease_until_ms);
                match then {
                    Then::Work => self.work(now_ms),
                    Then::Mail(call) => self.mail(now_ms, call),
                    Then::Finish(finish) => self.finish(finish),
                }
            }
            (Awaiting::Mail(call), answer) => self.on_mail(now_ms, call, answer),
            // The caller answered something other than what was asked: a driver bug. Stop
            // rather than guess; nothing is written.
            (_, _) => self.finish(Finish::StoreFailed {
                facts: None,
                error: StoreError {
                    operation: "follow the delivery protocol",
                },
            }),
        }
    }

    fn finish(&mut self, finish: Finish) -> Step {
        self.act_by = None;
        self.awaiting = Awaiting::Done(finish.clone());
        Step::Done(finish)
    }

    fn read(&mut self) -> Step {
        match (&self.keys, &self.action) {
            (Some(keys), _) => {
                self.awaiting = Awaiting::Record;
                Step::Get { key: keys.record() }
            }
            (None, Some((tracking_id, _))) => {
                self.awaiting = Awaiting::Pointer;
                Step::Get {
                    key: RecordKeys::tracking(tracking_id),
                }
            }
            (None, None) => self.finish(Finish::NotFound),
        }
    }

    fn record_key(&self) -> String {
        self.keys
            .as_ref()
            .map_or_else(String::new, RecordKeys::record)
    }

    fn wait(&mut self, now_ms: u64, started: u64) -> Step {
        if now_ms >= started.saturating_add(self.config.wait_ms) {
            return self.finish(Finish::InProgress);
        }
        self.awaiting = Awaiting::Sleep;
        Step::Sleep {
            ms: self.config.recheck_ms,
        }
    }

    fn on_record(&mut self, now_ms: u64, started: u64, bytes: Option<Vec<u8>>) -> Step {
        // Finishing a pending delivery or applying an action: the record must be there.
        if self.pending_only || self.action.is_some() {
            let Some(record) = bytes.as_deref().map(Record::decode) else {
                return self.finish(Finish::NotFound);
            };
            let Some(record) = record else {
                return self.finish(Finish::Unreadable);
            };
            let done = match &self.action {
                Some((_, action_id)) if !self.pending_only => {
                    record.delivered && record.applied.contains(action_id)
                }
                _ => record.delivered,
            };
            if done {
                return self.finish(Finish::Replayed(record.facts()));
            }
            return self.keep(now_ms, started, record);
        }
        let Some(bytes) = bytes else {
            self.record = None;
            if !self.limits_counted && !self.limits.is_empty() {
                self.limits_counted = true;
                return self.count_limit(0);
            }
            return self.claim_after(now_ms, started, 0);
        };
        let Some(record) = Record::decode(&bytes) else {
            return self.finish(Finish::Unreadable);
        };
        if record.fingerprint != self.fingerprint {
            return self.finish(Finish::Conflict);
        }
        if record.delivered {
            return self.finish(Finish::Replayed(record.facts()));
        }
        self.keep(now_ms, started, record)
    }

    /// Holds on to an unfinished `record`: waits out another holder's lease, else claims the
    /// round after the record's.
    fn keep(&mut self, now_ms: u64, started: u64, record: Record) -> Step {
        let leased = record.leased(now_ms);
        let round = record.round;
        self.record = Some(record);
        if leased {
            self.wait(now_ms, started)
        } else {
            self.claim_after(now_ms, started, round)
        }
    }

    fn count_limit(&mut self, i: usize) -> Step {
        self.awaiting = Awaiting::Limit(i);
        Step::Increment {
            key: self.limits[i].key.clone(),
            delta: 1,
        }
    }

    fn on_limit(&mut self, now_ms: u64, started: u64, i: usize, count: i64) -> Step {
        let check = &self.limits[i];
        if count > i64::try_from(check.limit).unwrap_or(i64::MAX) {
            return self.finish(Finish::Limited {
                retry_after_s: check.retry_after_s,
            });
        }
        if i + 1 < self.limits.len() {
            return self.count_limit(i + 1);
        }
        self.claim_after(now_ms, started, 0)
    }

    /// Claims the round after `round` (the record's; 0 when there is none), unless this
    /// submission lost a later round whose winner may still be about to write.
    fn claim_after(&mut self, now_ms: u64, started: u64, round: u32) -> Step {
        let next = match self.lost {
            Some((lost, at)) if lost > round => {
                // The winner counted before we did and writes within a lease of its count.
                if now_ms < at.saturating_add(self.config.lease_ms) {
                    return self.wait(now_ms, started);
                }
                lost.saturating_add(1)
            }
            _ => round.saturating_add(1),
        };
        self.awaiting = Awaiting::Claim(next);
        Step::Increment {
            key: self
                .keys
                .as_ref()
                .map_or_else(String::new, |keys| keys.claim(next)),
            delta: 1,
        }
    }

    fn on_claim(&mut self, now_ms: u64, started: u64, round: u32, count: i64) -> Step {
        if count != 1 {
            self.lost = Some((round, now_ms));
            return self.wait(now_ms, started);
        }
        let record = match (self.record.take(), self.fresh.take()) {
            // Taking over: what the previous owners did stays; the emails still pending are
            // in the record.
            (Some(mut record), _) => {
                record.round = round;
                record
            }
            (None, Some(fresh)) => Record {
                fingerprint: self.fingerprint.clone(),
                tracking_id: fresh.tracking_id,
                received_ms: fresh.received_ms,
                round,
                lease_until_ms: 0,
                slots: fresh
                    .emails
                    .into_iter()
                    .map(|email| Slot {
                        kind: email.kind,
                        state: SlotState::Pending { email },
                    })
                    .collect(),
                delivered: false,
                ledger: fresh.ledger,
                applied: Vec::new(),
                answered: false,
            },
            // We created the record in an earlier round and lost it since: that round ended
            // in a finish, so this cannot happen; stop rather than write a record we lack.
            (None, None) => {
                return self.finish(Finish::StoreFailed {
                    facts: None,
                    error: StoreError {
                        operation: "follow the delivery protocol",
                    },
                })
            }
        };
        self.owned = Some(round);
        self.record = Some(record);
        // A live winner writes within a lease of its count; contenders that lost this round
        // rely on it.
        self.act_by = Some(now_ms.saturating_add(self.config.lease_ms));
        self.lease_written = false;
        if let Some((_, action_id)) = &self.action {
            let applied = self
                .record
                .as_ref()
                .is_some_and(|r| r.applied.contains(action_id));
            if !applied {
                self.awaiting = Awaiting::Decide;
                return Step::Decide {
                    record: Box::new(self.record.clone().unwrap_or_else(unreachable_record)),
                };
            }
        }
        self.work(now_ms)
    }

    fn on_decided(&mut self, now_ms: u64, decision: Decision) -> Step {
        let action_id = self
            .action
            .as_ref()
            .map(|(_, id)| id.clone())
            .unwrap_or_default();
        let Some(record) = self.record.as_mut() else {
            return self.read();
        };
        match decision {
            Decision::Apply { ledger, emails } => {
                record.ledger = Some(*ledger);
                record.applied.push(action_id);
                record.slots.extend(emails.into_iter().map(|email| Slot {
                    kind: email.kind,
                    state: SlotState::Pending { email },
                }));
                record.delivered = false;
                self.work(now_ms)
            }
            Decision::Nothing => {
                record.applied.push(action_id);
                self.work(now_ms)
            }
            Decision::Refuse { status, sentence } => {
                // Nothing changes; the lease is let go at once.
                record.lease_until_ms = 0;
                let value = record.encode();
                self.awaiting = Awaiting::Write(Then::Finish(Finish::Refused { status, sentence }));
                Step::Set {
                    key: self.record_key(),
                    value,
                }
            }
        }
    }

    /// The owner's next move: the first email not yet accepted, or the final write.
    fn work(&mut self, now_ms: u64) -> Step {
        let Some(record) = self.record.as_mut() else {
            return self.read();
        };
        let Some(i) = record.slots.iter().position(|s| !s.accepted()) else {
            record.delivered = true;
            let facts = record.answer();
            return self.write(now_ms, Then::Finish(Finish::Delivered(facts)));
        };
        // Every mail call starts right after a write that renewed the lease: the claim, or
        // the record of the previous answer.
        if !self.lease_written {
            return self.write(now_ms, Then::Work);
        }
        let call = match &record.slots[i].state {
            SlotState::Pending { .. } if self.config.two_phase => Call::Prepare(i),
            SlotState::Pending { .. } => Call::Send(i),
            SlotState::Prepared { .. } => Call::Probe(i),
            SlotState::Accepted => Call::Send(i),
        };
        self.mail(now_ms, call)
    }

    /// Writes the owned record with a lease renewed from `now_ms` (none once delivered).
    fn write(&mut self, now_ms: u64, then: Then) -> Step {
        let lease_ms = self.config.lease_ms;
        let Some(record) = self.record.as_mut() else {
            return self.read();
        };
        record.lease_until_ms = if record.delivered {
            0
        } else {
            now_ms.saturating_add(lease_ms)
        };
        let value = record.encode();
        let pointer_key = (!self.pointer_written && record.ledger.is_some())
            .then(|| RecordKeys::tracking(&record.tracking_id));
        self.awaiting = Awaiting::Write(then);
        let Some(pointer_key) = pointer_key else {
            return Step::Set {
                key: self.record_key(),
                value,
            };
        };
        // A forwarded request can be found by its tracking ID (actions, the status page) as
        // soon as it is in the store, before any email names it: the pointer goes in the same
        // call as the record's first write (one transaction on Spin's SQLite store instead of
        // two synced commits). Should the write fail, this submission finishes.
        self.pointer_written = true;
        let pointer = self
            .keys
            .as_ref()
            .map_or_else(Vec::new, |k| k.hash().as_bytes().to_vec());
        Step::SetMany {
            pairs: vec![(self.record_key(), value), (pointer_key, pointer)],
        }
    }

    /// Lets go of the lease (a retry may take over at once) and finishes with the failure.
    fn give_up(&mut self, failure: MailFailure) -> Step {
        let Some(record) = self.record.as_mut() else {
            return self.read();
        };
        record.lease_until_ms = 0;
        let facts = record.answer();
        let value = record.encode();
        self.awaiting = Awaiting::Write(Then::Finish(Finish::MailFailed { facts, failure }));
        Step::Set {
            key: self.record_key(),
            value,
        }
    }

    fn slot_email(&self, i: usize) -> Option<Email> {
        match &self.record.as_ref()?.slots.get(i)?.state {
            SlotState::Pending { email } | SlotState::Prepared { email, .. } => Some(email.clone()),
            SlotState::Accepted => None,
        }
    }

    /// Slot `i`'s email with its mail idempotency key: `<tracking ID>-<kind>` for the first
    /// email of its kind, `<tracking ID>-<kind>-<n>` for the n-th (a request's life may send
    /// several of one kind). Slots are only ever appended, so a slot's key never changes.
    fn outgoing(&self, i: usize, email: Email) -> Outgoing {
        let (tracking_id, nth) = self.record.as_ref().map_or((String::new(), 1), |r| {
            let nth = r.slots[..i.min(r.slots.len())]
                .iter()
                .filter(|s| s.kind == email.kind)
                .count()
                + 1;
            (r.tracking_id.clone(), nth)
        });
        let idempotency_key = if nth == 1 {
            format!("{tracking_id}-{}", email.kind.as_str())
        } else {
            format!("{tracking_id}-{}-{nth}", email.kind.as_str())
        };
        Outgoing {
            idempotency_key,
            tracking_id,
            email,
        }
    }

    fn handle(&self, i: usize) -> Option<String> {
        match &self.record.as_ref()?.slots.get(i)?.state {
            SlotState::Prepared { handle, .. } => Some(handle.clone()),
            _ => None,
        }
    }

    fn mail(&mut self, now_ms: u64, call: Call) -> Step {
        let step = match call {
            Call::Send(i) | Call::Prepare(i) => {
                let Some(email) = self.slot_email(i) else {
                    return self.work(now_ms);
                };
                let outgoing = self.outgoing(i, email);
                if matches!(call, Call::Send(_)) {
                    Step::Send(outgoing)
                } else {
                    Step::Prepare(outgoing)
                }
            }
            Call::Commit(i) | Call::Probe(i) => {
                let Some(handle) = self.handle(i) else {
                    return self.work(now_ms);
                };
                if matches!(call, Call::Commit(_)) {
                    Step::Commit { handle }
                } else {
                    Step::Probe { handle }
                }
            }
        };
        self.lease_written = false;
        self.awaiting = Awaiting::Mail(call);
        step
    }

    fn set_slot(&mut self, i: usize, state: SlotState) {
        if let Some(slot) = self.record.as_mut().and_then(|r| r.slots.get_mut(i)) {
            slot.state = state;
        }
    }

    /// Records an accepted email: the final write when it was the last one.
    fn accepted(&mut self, now_ms: u64, i: usize) -> Step {
        self.set_slot(i, SlotState::Accepted);
        match self.record.as_mut() {
            Some(record) if record.slots.iter().all(Slot::accepted) => {
                record.delivered = true;
                let facts = record.answer();
                self.write(now_ms, Then::Finish(Finish::Delivered(facts)))
            }
            _ => self.write(now_ms, Then::Work),
        }
    }

    /// The prepared slot `i`'s message id, since when, and whether it may have been sent.
    fn prepared(&self, i: usize) -> Option<(u64, bool)> {
        match &self.record.as_ref()?.slots.get(i)?.state {
            SlotState::Prepared {
                since_ms,
                maybe_sent,
                ..
            } => Some((*since_ms, *maybe_sent)),
            _ => None,
        }
    }

    /// Marks the prepared slot `i` as possibly sent from `now_ms` (a send is about to start, or
    /// its answer was lost), or as surely not sent.
    fn mark_prepared(&mut self, i: usize, now_ms: u64, maybe_sent: bool) {
        if let Some(SlotState::Prepared {
            since_ms,
            maybe_sent: maybe,
            ..
        }) = self
            .record
            .as_mut()
            .and_then(|r| r.slots.get_mut(i))
            .map(|s| &mut s.state)
        {
            *since_ms = now_ms;
            *maybe = maybe_sent;
        }
    }

    fn on_mail(&mut self, now_ms: u64, call: Call, answer: Answer) -> Step {
        let wait_s = |until_ms: u64| Some(until_ms.saturating_sub(now_ms).div_ceil(1000).max(1));
        match (call, answer) {
            (Call::Send(i), Answer::Sent(Ok(()))) => self.accepted(now_ms, i),
            (Call::Prepare(i), Answer::Prepared(Ok(handle))) => {
                let Some(email) = self.slot_email(i) else {
                    return self.work(now_ms);
                };
                // Recorded as possibly sent before the send starts: if this owner dies during
                // it, the next one asks and waits before sending again.
                self.set_slot(
                    i,
                    SlotState::Prepared {
                        handle,
                        email,
                        since_ms: now_ms,
                        maybe_sent: true,
                    },
                );
                self.write(now_ms, Then::Mail(Call::Commit(i)))
            }
            (Call::Commit(i), Answer::Committed(Ok(()))) => self.accepted(now_ms, i),
            // The send may have gone through: ask before anything else, within a new lease.
            (Call::Commit(i), Answer::Committed(Err(failure))) if failure.answer_lost => {
                self.mark_prepared(i, now_ms, true);
                self.write(now_ms, Then::Mail(Call::Probe(i)))
            }
            (Call::Commit(i), Answer::Committed(Err(failure))) => {
                self.mark_prepared(i, now_ms, false);
                self.give_up(failure)
            }
            (Call::Probe(i), Answer::Probed(Ok(Probe::Sent))) => self.accepted(now_ms, i),
            (Call::Probe(i), Answer::Probed(Ok(Probe::Unsent))) => match self.prepared(i) {
                // A send that may have happened may still be under way at the mail API:
                // sending again now could send twice. A later attempt asks again.
                Some((since, true)) if now_ms < since.saturating_add(self.config.settle_ms) => self
                    .give_up(MailFailure {
                        reason: "the mail API has not confirmed that it sent the email".into(),
                        answer_lost: true,
                        retry_after_s: wait_s(since.saturating_add(self.config.settle_ms)),
                    }),
                _ => {
                    self.mark_prepared(i, now_ms, true);
                    self.write(now_ms, Then::Mail(Call::Commit(i)))
                }
            },
            (Call::Probe(i), Answer::Probed(Ok(Probe::NotFound))) => match self.prepared(i) {
                Some((since, _)) if now_ms < since.saturating_add(self.config.missing_after_ms) => {
                    self.give_up(MailFailure {
                        reason: "the mail API does not show the email yet".into(),
                        answer_lost: true,
                        retry_after_s: wait_s(now_ms.saturating_add(self.config.settle_ms)),
                    })
                }
                // Gone for longer than any sent copy takes to appear: create it again.
                _ => {
                    if let Some(email) = self.slot_email(i) {
                        self.set_slot(i, SlotState::Pending { email });
                    }
                    self.write(now_ms, Then::Work)
                }
            },
            (_, Answer::Sent(Err(failure)))
            | (_, Answer::Prepared(Err(failure)))
            | (_, Answer::Probed(Err(failure))) => self.give_up(failure),
            (_, _) => self.finish(Finish::StoreFailed {
                facts: None,
                error: StoreError {
                    operation: "follow the delivery protocol",
                },
            }),
        }
    }
}

/// A record for the impossible case of an owner without one (it always has one after a claim).
fn unreachable_record() -> Record {
    Record {
        fingerprint: String::new(),
        tracking_id: String::new(),
        received_ms: 0,
        round: 0,
        lease_until_ms: 0,
        slots: Vec::new(),
        delivered: true,
        ledger: None,
        applied: Vec::new(),
        answered: true,
    }
}
