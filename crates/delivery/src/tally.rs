//! Coaching counters in the key-value store (issue 12): what `rsos_rules::insights` says to
//! count, kept as atomic counters so concurrent instances never lose a count, and counted once
//! per identity through a marker so retries and replays never count twice.
//!
//! Keys: `tally/<week>/<SAN>/<metric>` for a counter (the week `2026-W49`, the agent's SAN or
//! `-`, a metric name from the rules' closed list), `tally/<week>/~seen/<hash>` for a marker
//! (the first 16 bytes of SHA-256 of the identity, hex: an identity may hold a client's
//! idempotency key, which is free text). Unlike request keys, counter keys hold the agent's SAN
//! in clear: the report names agents by SAN. No key holds member data: weeks, SANs (letters and
//! digits, checked by the rules) and metric names (codes) are all a counter key can hold, and
//! [`read`] reads back only names the rules recognise.

use rsos_rules::insights::{Count, Metric, Tally};
use rsos_rules::Ruleset;
use sha2::{Digest, Sha256};

use crate::store::{Store, StoreError};

/// Prefix of every insights key.
pub const TALLY_PREFIX: &str = "tally/";
/// The part of a marker key after the week: sorts after every SAN.
const MARKER_PART: &str = "~seen";

/// What [`count`] did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counted {
    /// Items counted now.
    pub counted: usize,
    /// Items whose identity was counted before (a retry or a replay).
    pub already: usize,
}

fn marker(week: &str, identity: &str) -> String {
    let hash = Sha256::digest(identity.as_bytes());
    format!(
        "{TALLY_PREFIX}{week}/{MARKER_PART}/{}",
        hex::encode(&hash[..16])
    )
}

/// The counter key of `metric` for `agent_san` in `week`.
pub fn counter_key(week: &str, agent_san: &str, metric: &Metric) -> String {
    format!("{TALLY_PREFIX}{week}/{agent_san}/{}", metric.name())
}

/// Counts `tally`: per item, one increment of its marker (when it has an identity), and when
/// that is the first, one increment per metric. A crash between the two loses that item's
/// counts rather than counting them twice: insights undercount, never overcount.
///
/// # Errors
/// The first store failure; items before it stay counted.
pub fn count(store: &impl Store, tally: &Tally) -> Result<Counted, StoreError> {
    let mut counted = Counted::default();
    for item in &tally.items {
        if let Some(identity) = &item.once_per {
            if store.increment(&marker(&tally.week, identity), 1)? != 1 {
                counted.already += 1;
                continue;
            }
        }
        for (metric, delta) in &item.counts {
            store.increment(&counter_key(&tally.week, &tally.agent_san, metric), *delta)?;
        }
        counted.counted += 1;
    }
    Ok(counted)
}

/// Every counter of `weeks`, in key order. Keys that are not counters of a metric this
/// version counts (for `ruleset`) are skipped, so nothing but codes is ever read back.
///
/// # Errors
/// The first store failure.
pub fn read(
    store: &impl Store,
    weeks: &[String],
    ruleset: &Ruleset,
) -> Result<Vec<Count>, StoreError> {
    let mut keys = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let page = store.keys(cursor.as_deref())?;
        keys.extend(
            page.keys
                .into_iter()
                .filter(|k| k.starts_with(TALLY_PREFIX)),
        );
        match page.cursor {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    keys.sort_unstable();
    let mut counts = Vec::new();
    for key in keys {
        let Some((week, agent_san, metric)) = parse(&key) else {
            continue;
        };
        if !weeks.iter().any(|w| w == week) || Metric::parse(metric, ruleset).is_none() {
            continue;
        }
        counts.push(Count {
            week: week.to_owned(),
            agent_san: agent_san.to_owned(),
            metric: metric.to_owned(),
            count: store.count(&key)?,
        });
    }
    Ok(counts)
}

/// A counter key's week, SAN and metric; `None` for markers and anything else.
fn parse(key: &str) -> Option<(&str, &str, &str)> {
    let mut parts = key.strip_prefix(TALLY_PREFIX)?.splitn(3, '/');
    let (week, agent_san, metric) = (parts.next()?, parts.next()?, parts.next()?);
    let san_ok = agent_san == rsos_rules::insights::UNKNOWN_SAN
        || (!agent_san.is_empty() && agent_san.bytes().all(|b| b.is_ascii_alphanumeric()));
    (is_week(week) && san_ok).then_some((week, agent_san, metric))
}

/// `2026-W49`: four digits, `-W`, two digits. Such names sort in time order.
fn is_week(text: &str) -> bool {
    let bytes = text.as_bytes();
    bytes.len() == 8
        && bytes[..4].iter().all(u8::is_ascii_digit)
        && &bytes[4..6] == b"-W"
        && bytes[6..].iter().all(u8::is_ascii_digit)
}

/// Which insights keys the purge deletes: counters of weeks before `counters_from`, markers
/// of weeks before `markers_from` (both `2026-W49` names; markers only guard retries, so they
/// go long before the counts they guard).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Retention {
    /// The oldest week whose counters are kept.
    pub counters_from: String,
    /// The oldest week whose markers are kept.
    pub markers_from: String,
}

impl Retention {
    /// Whether `key` is an insights key past its retention.
    pub fn is_spent(&self, key: &str) -> bool {
        let Some(rest) = key.strip_prefix(TALLY_PREFIX) else {
            return false;
        };
        let Some((week, rest)) = rest.split_once('/') else {
            return false;
        };
        if !is_week(week) {
            return false;
        }
        if rest.starts_with(MARKER_PART) {
            week < self.markers_from.as_str()
        } else {
            week < self.counters_from.as_str()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::MemoryStore;
    use rsos_rules::insights::TallyItem;

    fn tally(identity: Option<&str>) -> Tally {
        Tally {
            week: "2026-W49".into(),
            agent_san: "A1".into(),
            items: vec![TallyItem {
                once_per: identity.map(str::to_owned),
                counts: vec![(Metric::Urgent, 1), (Metric::DetailsWaitMinutes, 30)],
            }],
        }
    }

    #[test]
    fn an_identity_is_counted_once_and_no_identity_every_time() {
        let store = MemoryStore::default();
        let ruleset = Ruleset::builtin();
        assert_eq!(
            count(&store, &tally(Some("request|T1"))).unwrap().counted,
            1
        );
        assert_eq!(
            count(&store, &tally(Some("request|T1"))).unwrap().already,
            1
        );
        count(&store, &tally(None)).unwrap();
        let counts = read(&store, &["2026-W49".into()], ruleset).unwrap();
        let urgent = counts.iter().find(|c| c.metric == "urgent").unwrap();
        assert_eq!(urgent.count, 2);
        let minutes = counts
            .iter()
            .find(|c| c.metric == "details.wait_minutes")
            .unwrap();
        assert_eq!(minutes.count, 60);
        assert!(read(&store, &["2026-W48".into()], ruleset)
            .unwrap()
            .is_empty());
    }

    #[test]
    fn keys_that_are_not_counters_are_never_read_back() {
        let store = MemoryStore::default();
        store.increment("tally/2026-W49/A1/member.John", 1).unwrap();
        store
            .increment("tally/2026-W49/John Smith/urgent", 1)
            .unwrap();
        store.increment("tally/2026-W49/A1/urgent", 1).unwrap();
        let counts = read(&store, &["2026-W49".into()], Ruleset::builtin()).unwrap();
        assert_eq!(counts.len(), 1);
        assert_eq!(counts[0].metric, "urgent");
    }

    #[test]
    fn the_retention_deletes_old_weeks_and_markers_sooner() {
        let retention = Retention {
            counters_from: "2025-W49".into(),
            markers_from: "2026-W48".into(),
        };
        assert!(retention.is_spent("tally/2025-W48/A1/urgent"));
        assert!(!retention.is_spent("tally/2025-W49/A1/urgent"));
        assert!(retention.is_spent(&marker("2026-W47", "x")));
        assert!(!retention.is_spent(&marker("2026-W48", "x")));
        assert!(!retention.is_spent("req/2025-W01"));
    }
}
