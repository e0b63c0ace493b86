//! Runs a [`Delivery`] to its end over a [`Store`], a [`Mailer`] and a [`Clock`]: the loop
//! every shell would otherwise write again. No I/O of its own: the traits bring it.

use std::cell::Cell;

use crate::machine::{Answer, Decision, Delivery, Finish, Step};
use crate::mailer::Mailer;
use crate::record::Record;
use crate::store::Store;

/// Time as the caller keeps it.
pub trait Clock {
    /// Now, in ms since the Unix epoch (UTC).
    fn now_ms(&self) -> u64;
    /// Waits `ms` milliseconds.
    fn sleep_ms(&self, ms: u64);
}

/// A clock that only moves when told to, or when slept on: for tests.
#[derive(Debug, Default)]
pub struct ManualClock {
    now: Cell<u64>,
}

impl ManualClock {
    /// A clock standing at `now_ms`.
    pub fn at(now_ms: u64) -> ManualClock {
        ManualClock {
            now: Cell::new(now_ms),
        }
    }

    /// Moves the clock `ms` forward.
    pub fn advance(&self, ms: u64) {
        self.now.set(self.now.get().saturating_add(ms));
    }
}

impl Clock for ManualClock {
    fn now_ms(&self) -> u64 {
        self.now.get()
    }

    fn sleep_ms(&self, ms: u64) {
        self.advance(ms);
    }
}

/// Feeds an intake `delivery` until it finishes. Every operation of `store`, `mailer` and
/// `clock` is one step of the machine; nothing else happens here.
pub fn run(
    delivery: &mut Delivery,
    store: &impl Store,
    mailer: &mut impl Mailer,
    clock: &impl Clock,
) -> Finish {
    run_action(delivery, store, mailer, clock, |_| Decision::Nothing)
}

/// Feeds `delivery` until it finishes; `decide` answers an action's [`Step::Decide`] (it is
/// given the claimed record, and is called at most once).
pub fn run_action(
    delivery: &mut Delivery,
    store: &impl Store,
    mailer: &mut impl Mailer,
    clock: &impl Clock,
    mut decide: impl FnMut(&Record) -> Decision,
) -> Finish {
    let mut answer = Answer::Start;
    loop {
        answer = match delivery.resume(clock.now_ms(), answer) {
            Step::Done(finish) => return finish,
            Step::Decide { record } => Answer::Decided(decide(&record)),
            step => perform(step, store, mailer, clock),
        };
    }
}

/// Carries out one store, mail or clock step ([`Step::Decide`] and [`Step::Done`] are the
/// caller's).
pub fn perform(
    step: Step,
    store: &impl Store,
    mailer: &mut impl Mailer,
    clock: &impl Clock,
) -> Answer {
    let stored =
        |result: Result<Answer, crate::StoreError>| result.unwrap_or_else(Answer::StoreFailed);
    match step {
        Step::Get { key } => stored(store.get(&key).map(Answer::Got)),
        Step::Set { key, value } => stored(store.set(&key, &value).map(|()| Answer::Written)),
        Step::SetMany { pairs } => stored(store.set_many(&pairs).map(|()| Answer::Written)),
        Step::Increment { key, delta } => stored(store.increment(&key, delta).map(Answer::Counted)),
        Step::Sleep { ms } => {
            clock.sleep_ms(ms);
            Answer::Slept
        }
        Step::Send(outgoing) => Answer::Sent(mailer.send(&outgoing)),
        Step::Prepare(outgoing) => Answer::Prepared(mailer.prepare(&outgoing)),
        Step::Commit { handle } => Answer::Committed(mailer.commit(&handle)),
        Step::Probe { handle } => Answer::Probed(mailer.probe(&handle)),
        Step::Decide { .. } | Step::Done(_) => Answer::Start,
    }
}
