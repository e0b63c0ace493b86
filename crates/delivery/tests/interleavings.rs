//! The exactly-once property, model-checked: two or three submissions of one request under one
//! key, interleaved one store or mail operation at a time in every order, with a mail API that
//! may refuse or lose an answer, a contender that may crash at any point, and a clock that may
//! jump past leases. Every reachable state is visited once (states are remembered by a hash),
//! so every schedule is covered without enumerating schedules one by one.
//!
//! In every state: no email kind reached an inbox twice, and nobody was told "delivered"
//! before every email reached one. In every final state without a crash or a fault: the request
//! was delivered. The one timing assumption is explicit: the clock never jumps past the time a
//! live contender must act by (`Delivery::must_act_by`: a live owner works within its lease, a
//! round's winner writes within a lease of its count). The last tests show the checker finds
//! the duplicates that appear when that assumption, or the mail API's deduplication, is dropped.

mod common;

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::hash::{DefaultHasher, Hash, Hasher};

use rsos_delivery::{
    Answer, Config, Decision, Delivery, Finish, MailFailure, NewRequest, Probe, Record, RecordKeys,
    Step,
};
use rsos_rules::ledger::{Actor, Entry, Event, Happened};
use rsos_rules::{Email, EmailKind};

const LEASE: u64 = 100;
/// How long after a send Graph's Sent Items copy (found under the same id) takes to appear:
/// until then the id is not found. Shorter than `missing_after_ms` (300): the model's second
/// timing assumption.
const COPY_DELAY: u64 = 150;

#[derive(Clone, Copy)]
struct Model {
    contenders: usize,
    two_phase: bool,
    /// Mail calls that may be refused or lose their answer.
    faults: u8,
    crashes: u8,
    /// Jumps of the clock by a lease and a bit.
    ticks: u8,
    /// The one-phase mail API delivers each idempotency key once (our webhook contract).
    deduplicating_mail: bool,
    /// Drop the timing assumption: the clock may jump past a live contender's deadline.
    unbounded_clock: bool,
    wait_ms: u64,
    /// See [`COPY_DELAY`].
    copy_delay: u64,
    /// When not empty: the request is delivered and tracked already, and each contender
    /// posts one ledger action, by id (two with one id are a double click).
    actions: &'static [&'static str],
    /// Outbox sweeps racing the intake contenders (`Delivery::finish_pending`).
    sweeps: usize,
}

impl Model {
    fn of(contenders: usize, two_phase: bool) -> Model {
        Model {
            contenders,
            two_phase,
            faults: 1,
            crashes: 1,
            ticks: 3,
            deduplicating_mail: true,
            unbounded_clock: false,
            wait_ms: 1_000,
            copy_delay: COPY_DELAY,
            actions: &[],
            sweeps: 0,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Hash)]
enum Status {
    Live,
    Crashed,
    Finished(Finish),
}

#[derive(Clone, Debug, Hash)]
struct Contender {
    machine: Delivery,
    /// The step it is about to take; `None` before it started.
    next: Option<Step>,
    status: Status,
}

#[derive(Clone, Debug, Default, Hash)]
struct Mail {
    /// One-phase: the idempotency keys already taken.
    keys: BTreeSet<String>,
    /// What reached an inbox, per email kind.
    delivered: BTreeMap<String, u32>,
    /// Two-phase: created messages (kind, sent at).
    drafts: Vec<(String, Option<u64>)>,
}

#[derive(Clone, Debug, Hash)]
struct World {
    store: BTreeMap<String, Vec<u8>>,
    now: u64,
    contenders: Vec<Contender>,
    mail: Mail,
    faults: u8,
    crashes: u8,
    ticks: u8,
}

impl World {
    fn start(model: &Model) -> World {
        let keys = RecordKeys::new("A12345", "draft-1");
        let config = Config {
            lease_ms: LEASE,
            wait_ms: model.wait_ms,
            recheck_ms: 1,
            two_phase: model.two_phase,
            settle_ms: 2 * LEASE,
            missing_after_ms: 3 * LEASE,
        };
        if !model.actions.is_empty() {
            return World::tracked(model, config);
        }
        let sweeps = (0..model.sweeps).map(|_| Contender {
            machine: Delivery::finish_pending(
                Config {
                    wait_ms: 0,
                    ..config
                },
                keys.clone(),
            ),
            next: None,
            status: Status::Live,
        });
        let contenders = (0..model.contenders)
            .map(|i| {
                let tracking = format!("T{i}");
                let emails = [EmailKind::Forward, EmailKind::Acknowledgement]
                    .map(|kind| Email {
                        kind,
                        to: "mailbox".into(),
                        reply_to: None,
                        subject: "s".into(),
                        text: tracking.clone(),
                    })
                    .to_vec();
                let fresh = NewRequest {
                    tracking_id: tracking,
                    received_ms: 0,
                    emails,
                    ledger: None,
                };
                Contender {
                    machine: Delivery::new(config, keys.clone(), "fp".into(), fresh, Vec::new()),
                    next: None,
                    status: Status::Live,
                }
            })
            .chain(sweeps)
            .collect();
        World {
            store: BTreeMap::new(),
            now: 0,
            contenders,
            mail: Mail::default(),
            faults: model.faults,
            crashes: model.crashes,
            ticks: model.ticks,
        }
    }

    /// A delivered, tracked request in the store, and one action contender per `model.actions`.
    fn tracked(model: &Model, config: Config) -> World {
        let keys = RecordKeys::new("A12345", "draft-1");
        let request = common::request();
        let ruleset = rsos_rules::Ruleset::builtin();
        let assessment = rsos_rules::assess(&request, ruleset);
        let received = chrono::DateTime::from_timestamp_millis(0).unwrap_or_default();
        let record = Record {
            fingerprint: "fp".into(),
            tracking_id: "T".into(),
            received_ms: 0,
            round: 1,
            lease_until_ms: 0,
            slots: Vec::new(),
            delivered: true,
            ledger: Entry::open(&assessment, "T", received, ruleset),
            applied: Vec::new(),
            answered: true,
        };
        let mut store = BTreeMap::new();
        store.insert(keys.record(), record.encode());
        store.insert(RecordKeys::tracking("T"), keys.hash().as_bytes().to_vec());
        let contenders = model
            .actions
            .iter()
            .map(|id| Contender {
                machine: Delivery::act(config, "T", id),
                next: None,
                status: Status::Live,
            })
            .collect();
        World {
            store,
            now: 0,
            contenders,
            mail: Mail::default(),
            faults: model.faults,
            crashes: model.crashes,
            ticks: model.ticks,
        }
    }

    /// The model's decision for an action: one event in the ledger, one email naming it.
    fn decide(record: &Record, action_id: &str) -> Decision {
        let mut ledger = record.ledger.clone().expect("a tracked request");
        ledger.events.push(Event {
            at_ms: 0,
            by: Actor::Team,
            happened: Happened::UpdateSent {
                k: u32::from(action_id.as_bytes()[0]),
            },
        });
        Decision::Apply {
            ledger: Box::new(ledger),
            emails: vec![Email {
                kind: EmailKind::Resolved,
                to: "pat@agency.example".into(),
                reply_to: None,
                subject: "s".into(),
                text: action_id.to_owned(),
            }],
        }
    }

    /// What identifies an email in the inboxes: its kind, and for actions the action.
    fn identity(email: &Email) -> String {
        match email.kind {
            EmailKind::Resolved => format!("{:?}:{}", email.kind, email.text),
            kind => format!("{kind:?}"),
        }
    }

    /// 128 bits of the whole state: two differently salted SipHashes.
    fn fingerprint(&self) -> (u64, u64) {
        let hash = |salt: u8| {
            let mut h = DefaultHasher::new();
            salt.hash(&mut h);
            self.hash(&mut h);
            h.finish()
        };
        (hash(1), hash(2))
    }

    fn deliver(&mut self, kind: &str) {
        *self.mail.delivered.entry(kind.to_owned()).or_default() += 1;
    }

    /// Every way contender `i` can take its next step.
    fn steps_of(&self, i: usize, model: &Model) -> Vec<World> {
        let Some(step) = self.contenders[i].next.clone() else {
            return vec![self.answered(i, Answer::Start)];
        };
        let refused = || MailFailure::refused("refused");
        let lost = || MailFailure {
            reason: "lost".into(),
            answer_lost: true,
            retry_after_s: None,
        };
        let mut out = Vec::new();
        match step {
            Step::Get { key } => {
                out.push(self.answered(i, Answer::Got(self.store.get(&key).cloned())))
            }
            Step::Set { key, value } => {
                let mut w = self.clone();
                w.store.insert(key, value);
                out.push(w.answered(i, Answer::Written));
            }
            Step::SetMany { pairs } => {
                let mut w = self.clone();
                w.store.extend(pairs);
                out.push(w.answered(i, Answer::Written));
            }
            Step::Increment { key, delta } => {
                let mut w = self.clone();
                let current: i64 = w
                    .store
                    .get(&key)
                    .map(|v| String::from_utf8_lossy(v).parse().unwrap_or(0))
                    .unwrap_or(0);
                let next = current + delta;
                w.store.insert(key, next.to_string().into_bytes());
                out.push(w.answered(i, Answer::Counted(next)));
            }
            Step::Sleep { .. } => out.push(self.answered(i, Answer::Slept)),
            Step::Send(outgoing) => {
                let (email, idempotency_key) = (outgoing.email, outgoing.idempotency_key);
                let kind = World::identity(&email);
                let mut accept = self.clone();
                if !model.deduplicating_mail || accept.mail.keys.insert(idempotency_key) {
                    accept.deliver(&kind);
                }
                if self.faults > 0 {
                    let mut lost_world = accept.clone();
                    lost_world.faults -= 1;
                    out.push(lost_world.answered(i, Answer::Sent(Err(lost()))));
                    let mut refuse = self.clone();
                    refuse.faults -= 1;
                    out.push(refuse.answered(i, Answer::Sent(Err(refused()))));
                }
                out.push(accept.answered(i, Answer::Sent(Ok(()))));
            }
            Step::Prepare(outgoing) => {
                let email = outgoing.email;
                let mut created = self.clone();
                created.mail.drafts.push((World::identity(&email), None));
                let handle = (created.mail.drafts.len() - 1).to_string();
                if self.faults > 0 {
                    let mut lost_world = created.clone();
                    lost_world.faults -= 1;
                    out.push(lost_world.answered(i, Answer::Prepared(Err(lost()))));
                    let mut refuse = self.clone();
                    refuse.faults -= 1;
                    out.push(refuse.answered(i, Answer::Prepared(Err(refused()))));
                }
                out.push(created.answered(i, Answer::Prepared(Ok(handle))));
            }
            Step::Commit { handle } => {
                let h: usize = handle.parse().expect("a handle the model made");
                if self.mail.drafts[h].1.is_some() {
                    // Graph refuses to send a message that was already sent.
                    out.push(self.answered(i, Answer::Committed(Err(refused()))));
                } else {
                    let mut sent = self.clone();
                    sent.mail.drafts[h].1 = Some(self.now);
                    let kind = sent.mail.drafts[h].0.clone();
                    sent.deliver(&kind);
                    if self.faults > 0 {
                        let mut lost_world = sent.clone();
                        lost_world.faults -= 1;
                        out.push(lost_world.answered(i, Answer::Committed(Err(lost()))));
                        let mut refuse = self.clone();
                        refuse.faults -= 1;
                        out.push(refuse.answered(i, Answer::Committed(Err(refused()))));
                    }
                    out.push(sent.answered(i, Answer::Committed(Ok(()))));
                }
            }
            Step::Probe { handle } => {
                let h: usize = handle.parse().expect("a handle the model made");
                let probe = match self.mail.drafts[h].1 {
                    None => Probe::Unsent,
                    Some(at) if self.now < at + model.copy_delay => Probe::NotFound,
                    Some(_) => Probe::Sent,
                };
                out.push(self.answered(i, Answer::Probed(Ok(probe))));
            }
            Step::Decide { record } => {
                let id = model.actions[i];
                out.push(self.answered(i, Answer::Decided(World::decide(&record, id))));
            }
            Step::Done(finish) => {
                let mut w = self.clone();
                w.contenders[i].status = Status::Finished(finish);
                out.push(w);
            }
        }
        out
    }

    fn answered(&self, i: usize, answer: Answer) -> World {
        let mut w = self.clone();
        let now = w.now;
        let contender = &mut w.contenders[i];
        let step = contender.machine.resume(now, answer);
        if let Step::Done(finish) = &step {
            contender.status = Status::Finished(finish.clone());
        }
        contender.next = Some(step);
        w
    }

    fn successors(&self, model: &Model) -> Vec<World> {
        let mut out = Vec::new();
        for i in 0..self.contenders.len() {
            if self.contenders[i].status != Status::Live {
                continue;
            }
            out.extend(self.steps_of(i, model));
            if self.crashes > 0 {
                let mut w = self.clone();
                w.crashes -= 1;
                w.contenders[i].status = Status::Crashed;
                out.push(w);
            }
        }
        if self.ticks > 0 {
            let target = self.now + LEASE + 1;
            let allowed = model.unbounded_clock
                || self.contenders.iter().all(|c| {
                    c.status != Status::Live || c.machine.must_act_by().is_none_or(|by| target < by)
                });
            if allowed {
                let mut w = self.clone();
                w.now = target;
                w.ticks -= 1;
                out.push(w);
            }
        }
        out
    }

    /// The safety properties; `Err` names the broken one.
    fn check(&self, model: &Model) -> Result<(), String> {
        for (kind, n) in &self.mail.delivered {
            if *n > 1 {
                return Err(format!("{kind} reached an inbox {n} times"));
            }
        }
        let expected: Vec<String> = if model.actions.is_empty() {
            vec!["Forward".into(), "Acknowledgement".into()]
        } else {
            let ids: BTreeSet<&str> = model.actions.iter().copied().collect();
            ids.iter().map(|id| format!("Resolved:{id}")).collect()
        };
        let all_delivered = expected
            .iter()
            .all(|k| self.mail.delivered.get(k) == Some(&1));
        if !model.actions.is_empty() {
            // No lost update: every action delivered is in the ledger, once.
            let keys = RecordKeys::new("A12345", "draft-1");
            let record = self
                .store
                .get(&keys.record())
                .and_then(|b| Record::decode(b))
                .ok_or("the record is gone")?;
            let events = record.ledger.map(|l| l.events.len()).unwrap_or_default();
            let applied: BTreeSet<&String> = record.applied.iter().collect();
            if applied.len() != record.applied.len() {
                return Err(format!("an action applied twice: {:?}", record.applied));
            }
            if events != 1 + record.applied.len() {
                return Err(format!("{events} events for {:?}", record.applied));
            }
        }
        for (i, c) in self.contenders.iter().enumerate() {
            if let Status::Finished(Finish::Delivered(_) | Finish::Replayed(_)) = c.status {
                // An intake is told delivered once both emails are out; an action once its
                // own email is.
                let promised = match model.actions.get(i) {
                    Some(id) => self.mail.delivered.get(&format!("Resolved:{id}")) == Some(&1),
                    None => all_delivered,
                };
                if !promised {
                    return Err(format!(
                        "contender {i} told delivered, but the inboxes got {:?}",
                        self.mail.delivered
                    ));
                }
            }
        }
        let over = self.contenders.iter().all(|c| c.status != Status::Live);
        // The insights count a request at its first recorded answer: never twice, and,
        // without a crash, once as soon as anyone was answered.
        // Only submissions count (an outbox sweep holds no request text).
        let answered: Vec<bool> = self
            .contenders
            .iter()
            .take(model.contenders)
            .filter_map(|c| match &c.status {
                Status::Finished(Finish::Delivered(facts) | Finish::MailFailed { facts, .. }) => {
                    Some(facts.first_answer)
                }
                _ => None,
            })
            .collect();
        let firsts = answered.iter().filter(|first| **first).count();
        if firsts > 1 {
            return Err(format!("{firsts} answers counted as the first"));
        }
        if model.actions.is_empty()
            && over
            && self.crashes == model.crashes
            && !answered.is_empty()
            && firsts != 1
        {
            return Err("answered without a crash, yet no answer counted".into());
        }
        let undisturbed = self.crashes == model.crashes && self.faults == model.faults;
        if over && undisturbed && !all_delivered {
            return Err(format!(
                "no crash and no fault, yet not delivered: {:?}",
                self.contenders
                    .iter()
                    .map(|c| &c.status)
                    .collect::<Vec<_>>()
            ));
        }
        Ok(())
    }
}

/// Visits every state reachable from the start; returns how many, or the first broken property
/// with the path of states that led to it.
fn explore(model: Model) -> Result<usize, String> {
    let start = World::start(&model);
    let mut seen: HashSet<(u64, u64)> = HashSet::new();
    seen.insert(start.fingerprint());
    let mut stack = vec![(start, 0usize)];
    while let Some((world, depth)) = stack.pop() {
        if let Err(broken) = world.check(&model) {
            return Err(format!(
                "{broken}\nafter {depth} steps in state:\n{world:#?}"
            ));
        }
        for next in world.successors(&model) {
            if seen.insert(next.fingerprint()) {
                stack.push((next, depth + 1));
            }
        }
    }
    Ok(seen.len())
}

fn holds(model: Model) -> usize {
    match explore(model) {
        Ok(states) => {
            println!("{states} states");
            states
        }
        Err(broken) => panic!("{broken}"),
    }
}

#[test]
fn two_submissions_one_phase_never_deliver_twice_or_lose_an_email() {
    assert!(holds(Model::of(2, false)) > 1_000);
}

#[test]
fn two_submissions_two_phase_never_deliver_twice_or_lose_an_email() {
    assert!(holds(Model::of(2, true)) > 1_000);
}

#[test]
fn three_submissions_one_phase_with_a_crash_never_deliver_twice() {
    holds(Model {
        faults: 0,
        ticks: 2,
        ..Model::of(3, false)
    });
}

/// About two million states: run it with `cargo test -p rsos-delivery --release -- --ignored`.
#[test]
#[ignore = "two million states; minutes in a debug build"]
fn three_submissions_two_phase_with_a_crash_never_deliver_twice() {
    holds(Model {
        faults: 0,
        ticks: 2,
        ..Model::of(3, true)
    });
}

#[test]
fn impatient_submissions_give_up_without_breaking_anything() {
    holds(Model {
        wait_ms: 150,
        ..Model::of(2, true)
    });
}

#[test]
fn the_checker_finds_the_duplicate_a_non_deduplicating_one_phase_api_allows() {
    let broken = explore(Model {
        deduplicating_mail: false,
        ..Model::of(2, false)
    })
    .expect_err("a lost answer from an API without idempotency keys leads to a resend");
    assert!(broken.contains("reached an inbox 2 times"), "{broken}");
}

#[test]
fn the_checker_finds_the_duplicate_a_stalled_owner_causes() {
    let broken = explore(Model {
        unbounded_clock: true,
        faults: 0,
        ..Model::of(2, true)
    })
    .expect_err("an owner that outlives its lease overlaps the next owner");
    assert!(broken.contains("reached an inbox 2 times"), "{broken}");
}

#[test]
fn the_checker_finds_the_duplicate_a_sent_copy_slower_than_the_missing_rule_causes() {
    let broken = explore(Model {
        copy_delay: 10_000,
        ticks: 4,
        crashes: 0,
        ..Model::of(2, true)
    })
    .expect_err("a sent email not found for longer than missing_after_ms is created again");
    assert!(broken.contains("reached an inbox 2 times"), "{broken}");
}

#[test]
fn double_posted_and_concurrent_actions_apply_once_each_and_lose_no_update() {
    holds(Model {
        actions: &["A", "A", "B"],
        faults: 0,
        ticks: 1,
        ..Model::of(3, false)
    });
}

#[test]
fn actions_with_two_phase_mail_apply_once_each() {
    holds(Model {
        actions: &["A", "B"],
        ..Model::of(2, true)
    });
}

#[test]
fn an_outbox_sweep_racing_the_submissions_never_delivers_twice() {
    holds(Model {
        sweeps: 1,
        ..Model::of(1, false)
    });
    holds(Model {
        sweeps: 1,
        ..Model::of(1, true)
    });
}
