//! Every transition of the delivery machine, natively: a memory store, a hand-moved clock and a
//! scripted mail API. One test per behaviour of `src/machine.rs`.

mod common;

use std::collections::VecDeque;

use rsos_delivery::limits::{RateCheck, PER_SAN};
use rsos_delivery::{
    run, run_action, Answer, Config, Decision, Delivery, Finish, MailFailure, Mailer, ManualClock,
    MemoryStore, NewRequest, Outgoing, Probe, Record, RecordKeys, SlotState, Step, Store,
};
use rsos_rules::{Email, EmailKind};

const T0: u64 = 1_767_225_600_000;

fn email(kind: EmailKind, tracking: &str) -> Email {
    Email {
        kind,
        to: "AgentRSOS@humana.com".into(),
        reply_to: None,
        subject: "Smith, John Medicare".into(),
        text: format!("Member ID #: H1234 Tracking ID: {tracking}"),
    }
}

fn fresh(tracking: &str) -> NewRequest {
    NewRequest {
        tracking_id: tracking.into(),
        received_ms: T0 as i64,
        emails: vec![
            email(EmailKind::Forward, tracking),
            email(EmailKind::Acknowledgement, tracking),
        ],
        ledger: None,
    }
}

fn keys() -> RecordKeys {
    RecordKeys::new("A12345", "draft-1")
}

fn config(two_phase: bool) -> Config {
    Config {
        lease_ms: 1_000,
        wait_ms: 5_000,
        recheck_ms: 10,
        two_phase,
        settle_ms: 2_000,
        missing_after_ms: 60_000,
    }
}

fn submission(tracking: &str, two_phase: bool) -> Delivery {
    Delivery::new(
        config(two_phase),
        keys(),
        "fp".into(),
        fresh(tracking),
        Vec::new(),
    )
}

fn stored(store: &MemoryStore) -> Record {
    let bytes = store.get(&keys().record()).unwrap().expect("a record");
    Record::decode(&bytes).expect("a readable record")
}

/// A mail API that answers from a script (accepting once the script is used up) and keeps
/// what it delivered.
#[derive(Default)]
struct Script {
    two_phase: bool,
    failures: VecDeque<MailFailure>,
    /// (kind, idempotency key or handle) of every email that went out.
    delivered: Vec<EmailKind>,
    drafts: Vec<(EmailKind, bool)>,
    calls: Vec<&'static str>,
    /// Answers to probes, in order (default: what the drafts say).
    probes: VecDeque<Probe>,
}

impl Script {
    fn one_phase() -> Script {
        Script::default()
    }
    fn two_phase() -> Script {
        Script {
            two_phase: true,
            ..Script::default()
        }
    }
    fn next_failure(&mut self) -> Option<MailFailure> {
        self.failures.pop_front()
    }
}

impl Mailer for Script {
    fn two_phase(&self) -> bool {
        self.two_phase
    }
    fn send(&mut self, outgoing: &Outgoing) -> Result<(), MailFailure> {
        let email = &outgoing.email;
        self.calls.push("send");
        match self.next_failure() {
            Some(f) if f.answer_lost => {
                self.delivered.push(email.kind);
                Err(f)
            }
            Some(f) => Err(f),
            None => {
                self.delivered.push(email.kind);
                Ok(())
            }
        }
    }
    fn prepare(&mut self, outgoing: &Outgoing) -> Result<String, MailFailure> {
        let email = &outgoing.email;
        self.calls.push("prepare");
        if let Some(f) = self.next_failure() {
            return Err(f);
        }
        self.drafts.push((email.kind, false));
        Ok(format!("draft-{}", self.drafts.len() - 1))
    }
    fn commit(&mut self, handle: &str) -> Result<(), MailFailure> {
        self.calls.push("commit");
        let i: usize = handle.trim_start_matches("draft-").parse().unwrap();
        let failure = self.next_failure();
        if failure.as_ref().is_none_or(|f| f.answer_lost) {
            assert!(!self.drafts[i].1, "a sent message was sent again");
            self.drafts[i].1 = true;
            self.delivered.push(self.drafts[i].0);
        }
        failure.map_or(Ok(()), Err)
    }
    fn probe(&mut self, handle: &str) -> Result<Probe, MailFailure> {
        self.calls.push("probe");
        if let Some(answer) = self.probes.pop_front() {
            return Ok(answer);
        }
        let i: usize = handle.trim_start_matches("draft-").parse().unwrap();
        Ok(if self.drafts[i].1 {
            Probe::Sent
        } else {
            Probe::Unsent
        })
    }
}

fn lost_answer() -> MailFailure {
    MailFailure {
        reason: "the mail API did not answer in time".into(),
        answer_lost: true,
        retry_after_s: None,
    }
}

/// Counts store operations by kind while delegating to a memory store.
#[derive(Default)]
struct Counting {
    inner: MemoryStore,
    ops: std::cell::RefCell<Vec<&'static str>>,
}

impl Store for Counting {
    fn get(&self, key: &str) -> Result<Option<Vec<u8>>, rsos_delivery::StoreError> {
        self.ops.borrow_mut().push("get");
        self.inner.get(key)
    }
    fn set(&self, key: &str, value: &[u8]) -> Result<(), rsos_delivery::StoreError> {
        self.ops.borrow_mut().push("set");
        self.inner.set(key, value)
    }
    fn set_many(&self, pairs: &[(String, Vec<u8>)]) -> Result<(), rsos_delivery::StoreError> {
        self.ops.borrow_mut().push("set_many");
        self.inner.set_many(pairs)
    }
    fn delete(&self, key: &str) -> Result<(), rsos_delivery::StoreError> {
        self.ops.borrow_mut().push("delete");
        self.inner.delete(key)
    }
    fn increment(&self, key: &str, delta: i64) -> Result<i64, rsos_delivery::StoreError> {
        self.ops.borrow_mut().push("increment");
        self.inner.increment(key, delta)
    }
    fn keys(
        &self,
        cursor: Option<&str>,
    ) -> Result<rsos_delivery::KeyPage, rsos_delivery::StoreError> {
        self.ops.borrow_mut().push("keys");
        self.inner.keys(cursor)
    }
}

#[test]
fn a_first_submission_claims_round_one_and_sends_every_email_in_order() {
    let store = Counting::default();
    let mut mail = Script::one_phase();
    let finish = run(
        &mut submission("T1", false),
        &store,
        &mut mail,
        &ManualClock::at(T0),
    );
    let Finish::Delivered(facts) = finish else {
        panic!("not delivered: {finish:?}")
    };
    assert_eq!(facts.tracking_id, "T1");
    assert_eq!(
        facts.accepted,
        [EmailKind::Forward, EmailKind::Acknowledgement]
    );
    assert_eq!(
        mail.delivered,
        [EmailKind::Forward, EmailKind::Acknowledgement]
    );
    // One read, one claim, and a write before every mail call and after the last answer.
    assert_eq!(
        *store.ops.borrow(),
        ["get", "increment", "set", "set", "set"]
    );
    assert_eq!(
        store.inner.get(&keys().claim(1)).unwrap(),
        Some(b"1".to_vec())
    );
}

#[test]
fn a_delivered_record_keeps_no_email_and_no_lease() {
    let store = MemoryStore::default();
    run(
        &mut submission("T1", false),
        &store,
        &mut Script::one_phase(),
        &ManualClock::at(T0),
    );
    let record = stored(&store);
    assert!(record.delivered);
    assert_eq!(record.lease_until_ms, 0);
    assert!(record.slots.iter().all(|s| s.state == SlotState::Accepted));
    let text = String::from_utf8(store.get(&keys().record()).unwrap().unwrap()).unwrap();
    assert!(!text.contains("H1234"), "member data kept: {text}");
}

#[test]
fn a_retry_after_delivery_replays_and_sends_nothing() {
    let store = MemoryStore::default();
    let clock = ManualClock::at(T0);
    run(
        &mut submission("T1", false),
        &store,
        &mut Script::one_phase(),
        &clock,
    );
    let mut mail = Script::one_phase();
    let finish = run(&mut submission("T2", false), &store, &mut mail, &clock);
    let Finish::Replayed(facts) = finish else {
        panic!("not replayed: {finish:?}")
    };
    assert_eq!(facts.tracking_id, "T1");
    assert!(mail.calls.is_empty());
}

#[test]
fn another_request_under_the_same_key_is_a_conflict() {
    let store = MemoryStore::default();
    let clock = ManualClock::at(T0);
    run(
        &mut submission("T1", false),
        &store,
        &mut Script::one_phase(),
        &clock,
    );
    let mut other = Delivery::new(
        config(false),
        keys(),
        "other".into(),
        fresh("T2"),
        Vec::new(),
    );
    assert_eq!(
        run(&mut other, &store, &mut Script::one_phase(), &clock),
        Finish::Conflict
    );
}

#[test]
fn a_mail_failure_lets_go_and_a_retry_sends_only_what_is_missing() {
    let store = MemoryStore::default();
    let clock = ManualClock::at(T0);
    // Forward accepted, acknowledgement refused.
    let mut half = HalfWay::default();
    let finish = run(&mut submission("T1", false), &store, &mut half, &clock);
    let Finish::MailFailed { facts, failure } = finish else {
        panic!("not a mail failure: {finish:?}")
    };
    assert_eq!(facts.accepted, [EmailKind::Forward]);
    assert_eq!(failure.reason, "refused");
    let record = stored(&store);
    assert_eq!(record.lease_until_ms, 0, "the lease is let go at once");
    let mut retry = Script::one_phase();
    let finish = run(&mut submission("T2", false), &store, &mut retry, &clock);
    assert!(
        matches!(finish, Finish::Delivered(ref f) if f.tracking_id == "T1"),
        "{finish:?}"
    );
    assert_eq!(retry.delivered, [EmailKind::Acknowledgement]);
    assert_eq!(stored(&store).round, 2);
}

/// Accepts the forward, refuses everything after it.
#[derive(Default)]
struct HalfWay {
    sent: usize,
}

impl Mailer for HalfWay {
    fn two_phase(&self) -> bool {
        false
    }
    fn send(&mut self, _outgoing: &Outgoing) -> Result<(), MailFailure> {
        self.sent += 1;
        if self.sent == 1 {
            Ok(())
        } else {
            Err(MailFailure::refused("refused"))
        }
    }
    fn prepare(&mut self, _: &Outgoing) -> Result<String, MailFailure> {
        unreachable!()
    }
    fn commit(&mut self, _: &str) -> Result<(), MailFailure> {
        unreachable!()
    }
    fn probe(&mut self, _: &str) -> Result<Probe, MailFailure> {
        unreachable!()
    }
}

/// Steps `delivery` until it asks for something other than store work, answering from `store`.
fn step_until_mail(
    delivery: &mut Delivery,
    store: &MemoryStore,
    now: u64,
    mut answer: Answer,
) -> Step {
    loop {
        let step = delivery.resume(now, answer);
        answer = match &step {
            Step::Get { key } => Answer::Got(store.get(key).unwrap()),
            Step::Set { key, value } => {
                store.set(key, value).unwrap();
                Answer::Written
            }
            Step::SetMany { pairs } => {
                store.set_many(pairs).unwrap();
                Answer::Written
            }
            Step::Increment { key, delta } => {
                Answer::Counted(store.increment(key, *delta).unwrap())
            }
            _ => return step,
        };
    }
}

#[test]
fn a_second_submission_waits_for_a_live_owner_then_replays() {
    let store = MemoryStore::default();
    let mut a = submission("T1", false);
    let mut b = submission("T2", false);
    // A owns round 1 and is about to send the forward.
    let step = step_until_mail(&mut a, &store, T0, Answer::Start);
    assert!(matches!(step, Step::Send { .. }));
    assert!(a.owns());
    // B sees A's live lease and waits.
    let step = step_until_mail(&mut b, &store, T0 + 1, Answer::Start);
    assert_eq!(step, Step::Sleep { ms: 10 });
    // A finishes.
    let step = step_until_mail(&mut a, &store, T0 + 2, Answer::Sent(Ok(())));
    let step = step_until_mail(
        &mut a,
        &store,
        T0 + 3,
        match step {
            Step::Send { .. } => Answer::Sent(Ok(())),
            other => panic!("{other:?}"),
        },
    );
    assert!(matches!(step, Step::Done(Finish::Delivered(_))));
    // B looks again and replays A's outcome.
    let step = step_until_mail(&mut b, &store, T0 + 20, Answer::Slept);
    assert!(matches!(step, Step::Done(Finish::Replayed(ref f)) if f.tracking_id == "T1"));
}

#[test]
fn waiting_past_the_wait_budget_answers_in_progress() {
    let store = MemoryStore::default();
    let mut a = submission("T1", false);
    let mut b = submission("T2", false);
    step_until_mail(&mut a, &store, T0, Answer::Start);
    assert_eq!(
        step_until_mail(&mut b, &store, T0, Answer::Start),
        Step::Sleep { ms: 10 }
    );
    // A renews its lease as it goes; B's patience is what runs out.
    let renewed = stored(&store);
    assert!(renewed.leased(T0 + 900));
    let mut record = renewed;
    record.lease_until_ms = T0 + 10_000;
    store.set(&keys().record(), &record.encode()).unwrap();
    assert_eq!(
        step_until_mail(&mut b, &store, T0 + 5_000, Answer::Slept),
        Step::Done(Finish::InProgress)
    );
}

#[test]
fn an_expired_lease_is_taken_over_by_the_next_round_with_the_same_tracking_id() {
    let store = MemoryStore::default();
    let mut a = submission("T1", false);
    // A claims, writes, and dies before sending anything.
    assert!(matches!(
        step_until_mail(&mut a, &store, T0, Answer::Start),
        Step::Send { .. }
    ));
    let clock = ManualClock::at(T0 + 1_001);
    let mut mail = Script::one_phase();
    let finish = run(&mut submission("T2", false), &store, &mut mail, &clock);
    assert!(
        matches!(finish, Finish::Delivered(ref f) if f.tracking_id == "T1"),
        "{finish:?}"
    );
    assert_eq!(
        mail.delivered,
        [EmailKind::Forward, EmailKind::Acknowledgement]
    );
    assert_eq!(stored(&store).round, 2);
}

#[test]
fn a_round_winner_that_never_wrote_is_presumed_dead_after_a_lease() {
    let store = MemoryStore::default();
    let mut a = submission("T1", false);
    // A counts 1 on round 1 and dies before its first write.
    assert!(matches!(a.resume(T0, Answer::Start), Step::Get { .. }));
    let Step::Increment { key, .. } = a.resume(T0, Answer::Got(None)) else {
        panic!()
    };
    assert_eq!(store.increment(&key, 1).unwrap(), 1);
    // B loses round 1 and waits a whole lease for A's write before claiming round 2.
    let mut b = submission("T2", false);
    assert_eq!(
        step_until_mail(&mut b, &store, T0 + 10, Answer::Start),
        Step::Sleep { ms: 10 }
    );
    assert_eq!(
        step_until_mail(&mut b, &store, T0 + 500, Answer::Slept),
        Step::Sleep { ms: 10 }
    );
    let step = step_until_mail(&mut b, &store, T0 + 1_010, Answer::Slept);
    assert!(matches!(step, Step::Send { .. }), "{step:?}");
    let record = stored(&store);
    assert_eq!((record.round, record.tracking_id.as_str()), (2, "T2"));
}

#[test]
fn rate_limits_count_a_new_request_once_and_never_a_retry() {
    let store = MemoryStore::default();
    let clock = ManualClock::at(T0);
    let limit = |n| vec![RateCheck::new(PER_SAN, "A12345", n, T0 / 1000).unwrap()];
    let mut first = Delivery::new(config(false), keys(), "fp".into(), fresh("T1"), limit(1));
    assert!(matches!(
        run(&mut first, &store, &mut Script::one_phase(), &clock),
        Finish::Delivered(_)
    ));
    let mut retry = Delivery::new(config(false), keys(), "fp".into(), fresh("T2"), limit(1));
    assert!(matches!(
        run(&mut retry, &store, &mut Script::one_phase(), &clock),
        Finish::Replayed(_)
    ));
    let other_keys = RecordKeys::new("A12345", "draft-2");
    let mut second = Delivery::new(
        config(false),
        other_keys,
        "fp2".into(),
        fresh("T3"),
        limit(1),
    );
    assert!(matches!(
        run(&mut second, &store, &mut Script::one_phase(), &clock),
        Finish::Limited { retry_after_s } if retry_after_s > 0
    ));
}

#[test]
fn a_request_without_emails_is_delivered_by_its_claim_write() {
    let store = Counting::default();
    let empty = NewRequest {
        emails: Vec::new(),
        ..fresh("T1")
    };
    let mut d = Delivery::new(config(false), keys(), "fp".into(), empty, Vec::new());
    assert!(matches!(
        run(
            &mut d,
            &store,
            &mut Script::one_phase(),
            &ManualClock::at(T0)
        ),
        Finish::Delivered(_)
    ));
    assert_eq!(*store.ops.borrow(), ["get", "increment", "set"]);
}

#[test]
fn two_phase_mail_records_the_message_id_before_sending_it() {
    let store = MemoryStore::default();
    let mut mail = Script::two_phase();
    let finish = run(
        &mut submission("T1", true),
        &store,
        &mut mail,
        &ManualClock::at(T0),
    );
    assert!(matches!(finish, Finish::Delivered(_)));
    assert_eq!(mail.calls, ["prepare", "commit", "prepare", "commit"]);
    assert_eq!(
        mail.delivered,
        [EmailKind::Forward, EmailKind::Acknowledgement]
    );
}

#[test]
fn a_lost_send_answer_is_asked_about_instead_of_sending_again() {
    let store = MemoryStore::default();
    // The first commit goes through but its answer is lost.
    let mut lossy = LossyCommit::default();
    let finish = run(
        &mut submission("T1", true),
        &store,
        &mut lossy,
        &ManualClock::at(T0),
    );
    assert!(matches!(finish, Finish::Delivered(_)), "{finish:?}");
    assert_eq!(
        lossy.inner.calls,
        ["prepare", "commit", "probe", "prepare", "commit"]
    );
    assert_eq!(
        lossy.inner.delivered,
        [EmailKind::Forward, EmailKind::Acknowledgement]
    );
}

/// Two-phase: the first commit goes through with its answer lost, the rest is normal.
#[derive(Default)]
struct LossyCommit {
    inner: Script,
    lost_once: bool,
}

impl Mailer for LossyCommit {
    fn two_phase(&self) -> bool {
        true
    }
    fn send(&mut self, o: &Outgoing) -> Result<(), MailFailure> {
        self.inner.send(o)
    }
    fn prepare(&mut self, o: &Outgoing) -> Result<String, MailFailure> {
        self.inner.prepare(o)
    }
    fn commit(&mut self, h: &str) -> Result<(), MailFailure> {
        if !self.lost_once {
            self.lost_once = true;
            self.inner.failures.push_back(lost_answer());
        }
        self.inner.commit(h)
    }
    fn probe(&mut self, h: &str) -> Result<Probe, MailFailure> {
        self.inner.probe(h)
    }
}

#[test]
fn an_unconfirmed_send_is_not_repeated_by_the_same_attempt() {
    let store = MemoryStore::default();
    // The commit's answer is lost and the message still reads as unsent (the send may be
    // under way): this attempt gives up; the next asks again and sends it.
    let mut unsent = Script::two_phase();
    unsent.probes.push_back(Probe::Unsent);
    let mut first = UnsentAfterLoss { inner: unsent };
    let finish = run(
        &mut submission("T1", true),
        &store,
        &mut first,
        &ManualClock::at(T0),
    );
    assert!(
        matches!(finish, Finish::MailFailed { ref failure, .. } if failure.answer_lost),
        "{finish:?}"
    );
    assert!(matches!(
        stored(&store).slots[0].state,
        SlotState::Prepared { .. }
    ));
    assert_eq!(first.inner.calls, ["prepare", "commit", "probe"]);
    // A retry soon after asks again and still waits: the send may be under way.
    let mut early = Script::two_phase();
    early.drafts = first.inner.drafts.clone();
    let finish = run(
        &mut submission("T2", true),
        &store,
        &mut early,
        &ManualClock::at(T0 + 10),
    );
    assert!(
        matches!(finish, Finish::MailFailed { ref failure, .. } if failure.retry_after_s == Some(2)),
        "{finish:?}"
    );
    assert_eq!(early.calls, ["probe"]);
    // Once no earlier send can still be under way, a retry that finds it unsent sends it.
    let mut retry = Script::two_phase();
    retry.drafts = first.inner.drafts.clone();
    let finish = run(
        &mut submission("T3", true),
        &store,
        &mut retry,
        &ManualClock::at(T0 + 2_001),
    );
    assert!(matches!(finish, Finish::Delivered(_)), "{finish:?}");
    assert_eq!(retry.calls, ["probe", "commit", "prepare", "commit"]);
}

#[test]
fn a_refused_send_is_sent_again_by_the_next_attempt_without_waiting() {
    let store = MemoryStore::default();
    let mut refusing = Script::two_phase();
    refusing.failures.push_back(MailFailure::refused("503"));
    let clock = ManualClock::at(T0);
    // prepare succeeds (no failure consumed), then the commit is refused.
    let mut first = RefuseCommit { inner: refusing };
    let finish = run(&mut submission("T1", true), &store, &mut first, &clock);
    assert!(matches!(finish, Finish::MailFailed { .. }), "{finish:?}");
    let mut retry = Script::two_phase();
    retry.drafts = first.inner.drafts.clone();
    let finish = run(&mut submission("T2", true), &store, &mut retry, &clock);
    assert!(matches!(finish, Finish::Delivered(_)), "{finish:?}");
    assert_eq!(retry.calls, ["probe", "commit", "prepare", "commit"]);
}

/// Creates messages, refuses the first send.
struct RefuseCommit {
    inner: Script,
}

impl Mailer for RefuseCommit {
    fn two_phase(&self) -> bool {
        true
    }
    fn send(&mut self, o: &Outgoing) -> Result<(), MailFailure> {
        self.inner.send(o)
    }
    fn prepare(&mut self, o: &Outgoing) -> Result<String, MailFailure> {
        self.inner.calls.push("prepare");
        self.inner.drafts.push((o.email.kind, false));
        Ok(format!("draft-{}", self.inner.drafts.len() - 1))
    }
    fn commit(&mut self, h: &str) -> Result<(), MailFailure> {
        self.inner.commit(h)
    }
    fn probe(&mut self, h: &str) -> Result<Probe, MailFailure> {
        self.inner.probe(h)
    }
}

/// The commit times out without reaching the mail API (answer lost, nothing sent).
struct UnsentAfterLoss {
    inner: Script,
}

impl Mailer for UnsentAfterLoss {
    fn two_phase(&self) -> bool {
        true
    }
    fn send(&mut self, o: &Outgoing) -> Result<(), MailFailure> {
        self.inner.send(o)
    }
    fn prepare(&mut self, o: &Outgoing) -> Result<String, MailFailure> {
        self.inner.prepare(o)
    }
    fn commit(&mut self, _h: &str) -> Result<(), MailFailure> {
        self.inner.calls.push("commit");
        Err(lost_answer())
    }
    fn probe(&mut self, h: &str) -> Result<Probe, MailFailure> {
        self.inner.probe(h)
    }
}

#[test]
fn a_message_not_found_is_waited_for_and_created_again_once_it_cannot_be_on_its_way() {
    let store = MemoryStore::default();
    let mut a = submission("T1", true);
    // A prepares the forward, records the id, and dies about to send it.
    let step = step_until_mail(&mut a, &store, T0, Answer::Start);
    assert!(matches!(step, Step::Prepare { .. }));
    let step = step_until_mail(&mut a, &store, T0, Answer::Prepared(Ok("draft-0".into())));
    assert!(matches!(step, Step::Commit { .. }));
    // B takes over and the mail API does not find the message: it may be on its way to
    // Sent Items, so B waits rather than send it again.
    let mut early = Script::two_phase();
    early.probes.push_back(Probe::NotFound);
    let finish = run(
        &mut submission("T2", true),
        &store,
        &mut early,
        &ManualClock::at(T0 + 1_001),
    );
    assert!(matches!(finish, Finish::MailFailed { .. }), "{finish:?}");
    assert_eq!(early.calls, ["probe"]);
    // Still not found long after: someone deleted the draft. C creates it again.
    let mut mail = Script::two_phase();
    mail.probes.push_back(Probe::NotFound);
    let finish = run(
        &mut submission("T3", true),
        &store,
        &mut mail,
        &ManualClock::at(T0 + 60_001),
    );
    assert!(
        matches!(finish, Finish::Delivered(ref f) if f.tracking_id == "T1"),
        "{finish:?}"
    );
    assert_eq!(
        mail.calls,
        ["probe", "prepare", "commit", "prepare", "commit"]
    );
}

#[test]
fn an_unreadable_record_is_left_alone() {
    let store = MemoryStore::default();
    store.set(&keys().record(), b"not json").unwrap();
    let finish = run(
        &mut submission("T1", false),
        &store,
        &mut Script::one_phase(),
        &ManualClock::at(T0),
    );
    assert_eq!(finish, Finish::Unreadable);
    assert_eq!(
        store.get(&keys().record()).unwrap(),
        Some(b"not json".to_vec())
    );
}

/// Fails every write after the first `allowed`.
struct FailingWrites {
    inner: MemoryStore,
    allowed: std::cell::Cell<usize>,
}

impl Store for FailingWrites {
    fn get(&self, key: &str) -> Result<Option<Vec<u8>>, rsos_delivery::StoreError> {
        self.inner.get(key)
    }
    fn set(&self, key: &str, value: &[u8]) -> Result<(), rsos_delivery::StoreError> {
        if self.allowed.get() == 0 {
            return Err(rsos_delivery::StoreError { operation: "write" });
        }
        self.allowed.set(self.allowed.get() - 1);
        self.inner.set(key, value)
    }
    fn set_many(&self, pairs: &[(String, Vec<u8>)]) -> Result<(), rsos_delivery::StoreError> {
        if self.allowed.get() == 0 {
            return Err(rsos_delivery::StoreError { operation: "write" });
        }
        self.allowed.set(self.allowed.get() - 1);
        self.inner.set_many(pairs)
    }
    fn delete(&self, key: &str) -> Result<(), rsos_delivery::StoreError> {
        self.inner.delete(key)
    }
    fn increment(&self, key: &str, delta: i64) -> Result<i64, rsos_delivery::StoreError> {
        self.inner.increment(key, delta)
    }
    fn keys(
        &self,
        cursor: Option<&str>,
    ) -> Result<rsos_delivery::KeyPage, rsos_delivery::StoreError> {
        self.inner.keys(cursor)
    }
}

#[test]
fn a_store_failure_finishes_with_what_the_mail_api_accepted() {
    let store = FailingWrites {
        inner: MemoryStore::default(),
        allowed: std::cell::Cell::new(1),
    };
    let finish = run(
        &mut submission("T1", false),
        &store,
        &mut Script::one_phase(),
        &ManualClock::at(T0),
    );
    let Finish::StoreFailed {
        facts: Some(facts),
        error,
    } = finish
    else {
        panic!("{finish:?}")
    };
    assert_eq!(error.operation, "write");
    assert_eq!(facts.accepted, [EmailKind::Forward]);
}

/// A forwarded request with its ledger entry, as the edge submits it.
fn tracked(tracking: &str) -> NewRequest {
    let request = common::request();
    let ruleset = rsos_rules::Ruleset::builtin();
    let assessment = rsos_rules::assess(&request, ruleset);
    let received = chrono::DateTime::from_timestamp_millis(T0 as i64).unwrap();
    NewRequest {
        ledger: rsos_rules::ledger::Entry::open(&assessment, tracking, received, ruleset),
        ..fresh(tracking)
    }
}

fn resolve(record: &Record) -> Decision {
    let ruleset = rsos_rules::Ruleset::builtin();
    let entry = record.ledger.as_ref().expect("a ledger entry");
    let now = chrono::DateTime::from_timestamp_millis(T0 as i64 + 60_000).unwrap();
    match entry.apply(&rsos_rules::ledger::Action::Resolve, now, ruleset) {
        Ok(rsos_rules::ledger::Applied::Changed(ledger)) => Decision::Apply {
            emails: rsos_rules::ledger::action_emails(
                entry,
                ledger.as_ref(),
                &rsos_rules::ledger::Action::Resolve,
                now,
                ruleset,
                "AgentRSOS@humana.com",
                &rsos_rules::Links::default(),
                None,
            ),
            ledger,
        },
        Ok(rsos_rules::ledger::Applied::AlreadyDone) => Decision::Nothing,
        Err(refusal) => Decision::Refuse {
            status: refusal.status,
            sentence: refusal.sentence,
        },
    }
}

#[test]
fn a_forwarded_request_can_be_found_by_its_tracking_id_before_any_email_names_it() {
    let store = Counting::default();
    let mut d = Delivery::new(
        config(false),
        keys(),
        "fp".into(),
        tracked("T1"),
        Vec::new(),
    );
    let finish = run(
        &mut d,
        &store,
        &mut Script::one_phase(),
        &ManualClock::at(T0),
    );
    assert!(matches!(finish, Finish::Delivered(_)), "{finish:?}");
    // The pointer goes with the record's first write, in one call, before the forward.
    assert_eq!(
        *store.ops.borrow(),
        ["get", "increment", "set_many", "set", "set"]
    );
    assert_eq!(
        store.inner.get(&RecordKeys::tracking("T1")).unwrap(),
        Some(keys().hash().as_bytes().to_vec())
    );
    assert_eq!(stored(&store.inner).ledger.unwrap().tracking_id, "T1");
}

#[test]
fn an_action_on_an_unknown_tracking_id_is_not_found() {
    let store = MemoryStore::default();
    let mut d = Delivery::act(config(false), "RSOS-NOPE", "resolve:1");
    let finish = run_action(
        &mut d,
        &store,
        &mut Script::one_phase(),
        &ManualClock::at(T0),
        resolve,
    );
    assert_eq!(finish, Finish::NotFound);
}

#[test]
fn an_action_is_applied_once_and_its_email_sent_once_however_often_it_is_posted() {
    let store = MemoryStore::default();
    let clock = ManualClock::at(T0);
    let mut intake = Delivery::new(
        config(false),
        keys(),
        "fp".into(),
        tracked("T1"),
        Vec::new(),
    );
    run(&mut intake, &store, &mut Script::one_phase(), &clock);
    let mut mail = Script::one_phase();
    let mut first = Delivery::act(config(false), "T1", "resolve:1");
    let finish = run_action(&mut first, &store, &mut mail, &clock, resolve);
    let Finish::Delivered(facts) = finish else {
        panic!("{finish:?}")
    };
    assert_eq!(
        facts.ledger.unwrap().state,
        rsos_rules::ledger::State::Resolved
    );
    assert_eq!(mail.delivered, [EmailKind::Resolved]);
    let mut again = Delivery::act(config(false), "T1", "resolve:1");
    let finish = run_action(&mut again, &store, &mut mail, &clock, |_| {
        panic!("a replayed action is not decided again")
    });
    assert!(matches!(finish, Finish::Replayed(_)), "{finish:?}");
    assert_eq!(mail.delivered, [EmailKind::Resolved]);
    assert_eq!(stored(&store).applied, ["resolve:1"]);
}

#[test]
fn a_refused_action_changes_nothing_and_lets_go_at_once() {
    let store = MemoryStore::default();
    let clock = ManualClock::at(T0);
    let mut intake = Delivery::new(
        config(false),
        keys(),
        "fp".into(),
        tracked("T1"),
        Vec::new(),
    );
    run(&mut intake, &store, &mut Script::one_phase(), &clock);
    let before = stored(&store);
    let mut d = Delivery::act(config(false), "T1", "ask:1");
    let finish = run_action(&mut d, &store, &mut Script::one_phase(), &clock, |_| {
        Decision::Refuse {
            status: 409,
            sentence: "no".into(),
        }
    });
    assert_eq!(
        finish,
        Finish::Refused {
            status: 409,
            sentence: "no".into()
        }
    );
    let after = stored(&store);
    assert_eq!(after.ledger, before.ledger);
    assert!(after.applied.is_empty());
    assert_eq!(after.lease_until_ms, 0);
}

#[test]
fn the_purge_keeps_a_tracked_request_until_the_retention_after_its_resolution() {
    use rsos_delivery::housekeeping::{fate, Fate};
    let clock = ManualClock::at(T0);
    let store = MemoryStore::default();
    let mut intake = Delivery::new(
        config(false),
        keys(),
        "fp".into(),
        tracked("T1"),
        Vec::new(),
    );
    run(&mut intake, &store, &mut Script::one_phase(), &clock);
    let record = stored(&store);
    let later = T0 as i64 + 1_000_000;
    assert_eq!(fate(&record, later), Fate::KeepUnresolved);
    let mut d = Delivery::act(config(false), "T1", "resolve:1");
    run_action(&mut d, &store, &mut Script::one_phase(), &clock, resolve);
    let resolved = stored(&store);
    assert_eq!(fate(&resolved, T0 as i64), Fate::Keep);
    assert_eq!(fate(&resolved, later), Fate::Delete);
}

#[test]
fn the_outbox_finishes_a_delivery_the_client_abandoned_and_sends_each_email_once() {
    let store = MemoryStore::default();
    let clock = ManualClock::at(T0);
    // The forward went out; the acknowledgement failed; the client never came back.
    let finish = run(
        &mut submission("T1", false),
        &store,
        &mut HalfWay::default(),
        &clock,
    );
    assert!(matches!(finish, Finish::MailFailed { .. }), "{finish:?}");
    let mut mail = Script::one_phase();
    let mut sweep = Delivery::finish_pending(config(false), keys());
    let finish = run(&mut sweep, &store, &mut mail, &clock);
    assert!(
        matches!(finish, Finish::Delivered(ref f) if f.tracking_id == "T1"),
        "{finish:?}"
    );
    assert_eq!(mail.delivered, [EmailKind::Acknowledgement]);
    let mut again = Delivery::finish_pending(config(false), keys());
    assert!(matches!(
        run(&mut again, &store, &mut mail, &clock),
        Finish::Replayed(_)
    ));
    assert_eq!(mail.delivered, [EmailKind::Acknowledgement]);
}

#[test]
fn the_outbox_leaves_a_live_owner_alone_and_knows_nothing_of_an_absent_record() {
    let store = MemoryStore::default();
    let mut a = submission("T1", false);
    assert!(matches!(
        step_until_mail(&mut a, &store, T0, Answer::Start),
        Step::Send(_)
    ));
    let sweeping = Config {
        wait_ms: 0,
        ..config(false)
    };
    let mut sweep = Delivery::finish_pending(sweeping, keys());
    let finish = run(
        &mut sweep,
        &store,
        &mut Script::one_phase(),
        &ManualClock::at(T0 + 1),
    );
    assert_eq!(finish, Finish::InProgress);
    let mut nothing = Delivery::finish_pending(sweeping, RecordKeys::new("A1", "none"));
    let finish = run(
        &mut nothing,
        &store,
        &mut Script::one_phase(),
        &ManualClock::at(T0),
    );
    assert_eq!(finish, Finish::NotFound);
}

/// One one-phase submission of the request at `T0`.
fn submit_at_t0(store: &impl Store, tracking: &str, mail: &mut impl Mailer) -> Finish {
    run(
        &mut submission(tracking, false),
        store,
        mail,
        &ManualClock::at(T0),
    )
}

fn first_answer(finish: &Finish) -> Option<bool> {
    match finish {
        Finish::Delivered(facts) | Finish::Replayed(facts) | Finish::MailFailed { facts, .. } => {
            Some(facts.first_answer)
        }
        _ => None,
    }
}

#[test]
fn the_first_answer_is_the_one_the_record_holds_and_no_later_one() {
    let store = MemoryStore::default();
    // A 503 half-way is the first answer; the retry that finishes is not, nor is a replay.
    let finish = submit_at_t0(&store, "T1", &mut HalfWay::default());
    assert_eq!(first_answer(&finish), Some(true), "{finish:?}");
    assert!(stored(&store).answered);
    let finish = submit_at_t0(&store, "T2", &mut Script::one_phase());
    assert!(matches!(finish, Finish::Delivered(_)), "{finish:?}");
    assert_eq!(first_answer(&finish), Some(false));
    let finish = submit_at_t0(&store, "T3", &mut Script::one_phase());
    assert!(matches!(finish, Finish::Replayed(_)), "{finish:?}");
    assert_eq!(first_answer(&finish), Some(false));
}

#[test]
fn a_delivery_in_one_go_is_the_first_answer() {
    let store = MemoryStore::default();
    let finish = submit_at_t0(&store, "T1", &mut Script::one_phase());
    assert!(matches!(finish, Finish::Delivered(_)), "{finish:?}");
    assert_eq!(first_answer(&finish), Some(true));
}

#[test]
fn a_mail_failure_whose_release_was_not_written_is_not_the_first_answer() {
    // The record's first write is allowed, the one after the forward too; the release after
    // the refused acknowledgement fails. The store does not hold this answer, so a later one
    // must be free to count: this one does not.
    let store = FailingWrites {
        inner: MemoryStore::default(),
        allowed: std::cell::Cell::new(2),
    };
    let finish = submit_at_t0(&store, "T1", &mut HalfWay::default());
    assert!(matches!(finish, Finish::MailFailed { .. }), "{finish:?}");
    assert_eq!(first_answer(&finish), Some(false));
    assert!(!stored(&store.inner).answered);
}

#[test]
fn a_record_of_the_version_before_the_flag_reads_as_answered() {
    // That version counted its requests through a marker of their own: finishing one of its
    // records must not count the request again.
    let store = MemoryStore::default();
    submit_at_t0(&store, "T1", &mut HalfWay::default());
    let mut json: serde_json::Value =
        serde_json::from_slice(&store.get(&keys().record()).unwrap().unwrap()).unwrap();
    json.as_object_mut().unwrap().remove("answered");
    store
        .set(&keys().record(), &serde_json::to_vec(&json).unwrap())
        .unwrap();
    assert!(stored(&store).answered);
    let finish = submit_at_t0(&store, "T2", &mut Script::one_phase());
    assert!(matches!(finish, Finish::Delivered(_)), "{finish:?}");
    assert_eq!(first_answer(&finish), Some(false));
}
