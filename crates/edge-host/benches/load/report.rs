//! The figures: outcomes, statuses, latency and throughput, and the check that every
//! accepted request was forwarded and acknowledged exactly once — lost = accepted requests
//! whose forward (or acknowledgement) was never delivered, duplicates = tracking IDs delivered
//! more than once. Problems are traced: the agent's attempts, the mail API's calls and the
//! component's log lines, in order.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;
use std::process::ExitCode;
use std::time::Duration;

use crate::agents::{Outcome, Submitted};
use crate::kit;
use crate::kit::component_log as log;
use crate::mail_api::{Behaviour, MailCall};
use crate::options::Options;

/// What the run left to count.
pub struct Run<'a> {
    pub options: &'a Options,
    pub submitted: &'a [Submitted],
    pub calls: &'a [MailCall],
    pub run_time: Duration,
    /// Every key-value operation the component made in the run.
    pub key_value_operations: u64,
    pub peak_hanging: usize,
    pub still_hanging_at_end: usize,
}

fn quantile(sorted: &[Duration], q: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((sorted.len() as f64) * q).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

pub fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

fn latency_line(label: &str, mut samples: Vec<Duration>) -> String {
    samples.sort();
    format!(
        "{label:<34} p50 {:>10}   p99 {:>10}   max {:>10}   (n = {})",
        ms(quantile(&samples, 0.50)),
        ms(quantile(&samples, 0.99)),
        ms(samples.last().copied().unwrap_or_default()),
        samples.len()
    )
}

/// Prints everything known about one tracking ID: the agent's attempts, the mail API's calls
/// and the component's log lines, in order.
fn trace(tracking_id: &str, by_tid: &HashMap<&str, &Submitted>, calls: &[MailCall], log: &Path) {
    println!("  {tracking_id}:");
    let mut events: Vec<(Duration, String)> = Vec::new();
    if let Some(s) = by_tid.get(tracking_id) {
        println!(
            "    agent {} key {} outcome {:?}",
            s.agent, s.key, s.outcome
        );
        for a in &s.attempts {
            let status = match a.status {
                0 => "network error".to_owned(),
                status => status.to_string(),
            };
            let mut line = format!("agent POST → {status} after {}", ms(a.took));
            if let Some(seconds) = a.retry_after {
                line.push_str(&format!(", Retry-After {seconds}"));
            }
            if a.status == 503 {
                line.push_str(&format!(", sent so far {:?}", a.sent));
            }
            if let (409, Some(error)) = (a.status, &a.error) {
                line.push_str(&format!(": {error}"));
            }
            events.push((a.at, line));
        }
    } else {
        println!("    (no agent saw this tracking ID)");
    }
    for c in calls.iter().filter(|c| c.tracking_id == tracking_id) {
        events.push((c.at, format!("mail API ← {} → {:?}", c.kind, c.behaviour)));
    }
    events.sort_by_key(|(at, _)| *at);
    for (at, line) in events {
        println!("    {:>9.3} s  {line}", at.as_secs_f64());
    }
    for line in log::lines_for(log, tracking_id) {
        println!("    component log: {line}");
    }
}

/// Prints the figures; `FAILURE` if an accepted request was lost or delivered twice.
pub fn report(run: Run<'_>) -> ExitCode {
    let Run {
        options,
        submitted,
        calls,
        run_time,
        key_value_operations,
        peak_hanging,
        still_hanging_at_end,
    } = run;
    let accepted: Vec<&Submitted> = submitted
        .iter()
        .filter(|s| s.outcome == Outcome::Accepted)
        .collect();
    // With the sweep, every request the component recorded must be delivered: those its agent
    // gave up on after a 503 that named a tracking ID too.
    let sweeping = options.sweep_every_s > 0;
    let finished_by_sweep: Vec<&Submitted> = submitted
        .iter()
        .filter(|s| sweeping && s.outcome != Outcome::Accepted && s.tracking_id.is_some())
        .collect();
    let owed: Vec<&Submitted> = accepted
        .iter()
        .chain(finished_by_sweep.iter())
        .copied()
        .collect();
    let count = |o: fn(&Outcome) -> bool| submitted.iter().filter(|s| o(&s.outcome)).count();
    let gave_up = count(|o| *o == Outcome::GaveUp);
    let abandoned = count(|o| *o == Outcome::Abandoned);
    let refused = count(|o| matches!(o, Outcome::Refused(_)));

    let mut statuses: BTreeMap<u16, usize> = BTreeMap::new();
    let mut attempt_latency = Vec::new();
    for a in submitted.iter().flat_map(|s| &s.attempts) {
        *statuses.entry(a.status).or_default() += 1;
        attempt_latency.push(a.took);
    }
    let attempts: usize = statuses.values().sum();
    let accepted_latency: Vec<Duration> =
        accepted.iter().filter_map(|s| s.accepted_after).collect();

    // Delivered = the call that sends the email was carried out.
    let mut delivered: HashMap<(&str, &str), Vec<&MailCall>> = HashMap::new();
    let mut by_behaviour: BTreeMap<String, usize> = BTreeMap::new();
    for c in calls {
        let name = match c.behaviour {
            Behaviour::Accept => "ok",
            Behaviour::Fail => "failed (500)",
            Behaviour::Hang => "hung (no reply)",
            Behaviour::Late => "carried out, answered after the timeout",
        };
        *by_behaviour
            .entry(format!("{} {name}", c.step))
            .or_default() += 1;
        if c.delivers() {
            delivered
                .entry((c.tracking_id.as_str(), c.kind.as_str()))
                .or_default()
                .push(c);
        }
    }
    let delivered_of = |kind: &str| -> Vec<(&str, usize)> {
        delivered
            .iter()
            .filter(|((_, k), _)| *k == kind)
            .map(|((tid, _), v)| (*tid, v.len()))
            .collect()
    };
    let forwards = delivered_of("forward");
    let acks = delivered_of("acknowledgement");
    let other_kinds: usize = delivered
        .iter()
        .filter(|((_, k), _)| *k != "forward" && *k != "acknowledgement")
        .map(|(_, v)| v.len())
        .sum();
    let total = |list: &[(&str, usize)]| list.iter().map(|(_, n)| n).sum::<usize>();
    let duplicated = |list: &[(&str, usize)]| -> Vec<String> {
        let mut d: Vec<String> = list
            .iter()
            .filter(|(_, n)| *n > 1)
            .map(|(tid, _)| tid.to_string())
            .collect();
        d.sort();
        d
    };
    let dup_forwards = duplicated(&forwards);
    let dup_acks = duplicated(&acks);

    let mut lost_forwards = Vec::new();
    let mut lost_acks = Vec::new();
    let mut mismatched = Vec::new();
    let mut accepted_without_id = 0;
    for s in &owed {
        let Some(tid) = s.tracking_id.as_deref() else {
            accepted_without_id += 1;
            continue;
        };
        match delivered.get(&(tid, "forward")) {
            None => lost_forwards.push(tid.to_owned()),
            Some(list) => {
                if list.iter().any(|c| {
                    !c.text.contains(&s.member_id)
                        || !c.to.eq_ignore_ascii_case(kit::mailbox_address())
                }) {
                    mismatched.push(tid.to_owned());
                }
            }
        }
        match delivered.get(&(tid, "acknowledgement")) {
            None => lost_acks.push(tid.to_owned()),
            Some(list) => {
                if list.iter().any(|c| {
                    !c.to.eq_ignore_ascii_case(&s.agent_email) || c.text.contains(&s.member_id)
                }) {
                    mismatched.push(tid.to_owned());
                }
            }
        }
    }
    let accepted_tids: HashSet<&str> = owed
        .iter()
        .filter_map(|s| s.tracking_id.as_deref())
        .collect();
    let distinct_accepted_tids = accepted_tids.len();
    let orphan_forwards = forwards
        .iter()
        .filter(|(tid, _)| !accepted_tids.contains(tid))
        .count();

    let secs = run_time.as_secs_f64();
    println!();
    println!("run time (submissions and retries)  {secs:.1} s");
    println!("requests submitted                  {}", submitted.len());
    println!("  accepted (202)                    {}", accepted.len());
    println!(
        "  gave up after {} tries            {gave_up}",
        options.tries
    );
    println!("  abandoned at the end of the run   {abandoned}");
    if sweeping {
        println!(
            "  recorded, left to the sweep       {}  (a 503 named the tracking ID)",
            finished_by_sweep.len()
        );
    }
    println!("  refused (other final status)      {refused}");
    let statuses_text: Vec<String> = statuses
        .iter()
        .map(|(status, n)| {
            if *status == 0 {
                format!("network error {n}")
            } else {
                format!("{status}: {n}")
            }
        })
        .collect();
    println!(
        "attempts                            {attempts}  ({})",
        statuses_text.join(", ")
    );
    println!(
        "attempts per accepted request       {:.2}",
        accepted.iter().map(|s| s.attempts.len()).sum::<usize>() as f64
            / accepted.len().max(1) as f64
    );
    let behaviour_text: Vec<String> = by_behaviour
        .iter()
        .map(|(name, n)| format!("{name} {n}"))
        .collect();
    println!(
        "mail API calls                      {}  ({}); peak hung at once {}, still held at the end {}",
        calls.len(),
        behaviour_text.join(", "),
        peak_hanging,
        still_hanging_at_end
    );
    println!(
        "forwards delivered                  {}  (distinct tracking IDs {}, of requests never accepted {})",
        total(&forwards),
        forwards.len(),
        orphan_forwards
    );
    println!(
        "  lost (owed, never delivered)      {}",
        lost_forwards.len()
    );
    println!("  duplicates (delivered > once)     {}", dup_forwards.len());
    println!(
        "acknowledgements delivered          {}  (distinct tracking IDs {})",
        total(&acks),
        acks.len()
    );
    println!("  lost (owed, never delivered)      {}", lost_acks.len());
    println!("  duplicates (delivered > once)     {}", dup_acks.len());
    if other_kinds > 0 {
        let expected = if sweeping {
            "the sweep's digest and updates"
        } else {
            "expected none"
        };
        println!("other emails delivered              {other_kinds}  ({expected})");
    }
    println!("emails not matching their request  {}", mismatched.len());
    if accepted_without_id > 0 || distinct_accepted_tids != owed.len() - accepted_without_id {
        println!(
            "202s without a tracking ID {accepted_without_id}; distinct tracking IDs among owed requests {distinct_accepted_tids} of {}",
            owed.len()
        );
    }
    println!("{}", latency_line("latency per attempt", attempt_latency));
    println!(
        "{}",
        latency_line("latency per accepted request", accepted_latency)
    );
    println!(
        "throughput                          {:.1} accepted requests/s, {:.1} attempts/s, {:.1} emails delivered/s",
        accepted.len() as f64 / secs,
        attempts as f64 / secs,
        (total(&forwards) + total(&acks)) as f64 / secs
    );
    println!(
        "key-value operations                {key_value_operations}  ({:.1} per accepted request, {:.1} per attempt; {})",
        key_value_operations as f64 / accepted.len().max(1) as f64,
        key_value_operations as f64 / attempts.max(1) as f64,
        options.backing.name()
    );

    let by_tid: HashMap<&str, &Submitted> = submitted
        .iter()
        .filter_map(|s| s.tracking_id.as_deref().map(|t| (t, s)))
        .collect();
    let mut problems: Vec<(&str, &String)> = Vec::new();
    problems.extend(lost_forwards.iter().map(|t| ("lost forward", t)));
    problems.extend(dup_forwards.iter().map(|t| ("duplicate forward", t)));
    problems.extend(lost_acks.iter().map(|t| ("lost acknowledgement", t)));
    problems.extend(dup_acks.iter().map(|t| ("duplicate acknowledgement", t)));
    problems.extend(
        mismatched
            .iter()
            .map(|t| ("email not matching its request", t)),
    );
    if !problems.is_empty() {
        println!();
        println!("problems (first 10, traced):");
        for (what, tid) in problems.iter().take(10) {
            println!("- {what}");
            trace(tid, &by_tid, calls, &options.log);
        }
    }
    let failed = !lost_forwards.is_empty()
        || !dup_forwards.is_empty()
        || !lost_acks.is_empty()
        || !dup_acks.is_empty()
        || !mismatched.is_empty()
        || accepted_without_id > 0;
    println!();
    if failed {
        println!("FAIL: requests owed were not delivered exactly once");
        ExitCode::FAILURE
    } else {
        println!(
            "PASS: every {} request was forwarded and acknowledged exactly once",
            if sweeping { "recorded" } else { "accepted" }
        );
        ExitCode::SUCCESS
    }
}
