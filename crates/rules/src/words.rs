//! Whole-word, case-insensitive phrase finding in summaries (SPEC §4), one pass for every
//! list: Aho-Corasick over all phrases, then a word-boundary check on each hit, so
//! `Medicaid` never counts as `Medicare` and `record` never counts as `agent of record`.

use std::borrow::Cow;

use aho_corasick::{AhoCorasick, AhoCorasickKind, MatchKind};

/// Which list a phrase came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Tag {
    /// Names the plan at this index of `lines_of_business`.
    Plan(usize),
    /// A word of the out-of-scope category at this index.
    OutOfScope(usize),
    Urgent,
}

#[derive(Debug, Clone)]
pub(crate) struct WordMatcher {
    automaton: AhoCorasick,
    phrases: Vec<(String, Tag)>,
}

/// A phrase found in a summary, first occurrence per phrase, in text order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Hit<'r> {
    pub phrase: &'r str,
    pub tag: Tag,
}

impl WordMatcher {
    pub fn new(phrases: &[(&str, Tag)]) -> Result<WordMatcher, String> {
        let automaton = AhoCorasick::builder()
            .ascii_case_insensitive(true)
            .match_kind(MatchKind::Standard)
            // A few hundred short phrases make a small DFA, and a DFA scans a 4000-character
            // summary several times faster than the NFA.
            .kind(Some(AhoCorasickKind::DFA))
            .build(phrases.iter().map(|(p, _)| p))
            .map_err(|e| format!("the word lists cannot be compiled: {e}"))?;
        Ok(WordMatcher {
            automaton,
            phrases: phrases.iter().map(|(p, t)| (p.to_string(), *t)).collect(),
        })
    }

    /// Every listed phrase the text contains as whole words. Runs of white space in the text
    /// count as one space, so a phrase split over a line break still matches.
    pub fn find<'r>(&'r self, text: &str) -> Vec<Hit<'r>> {
        let folded = fold_white_space(text);
        let mut hits: Vec<(usize, usize)> = Vec::new();
        for m in self.automaton.find_overlapping_iter(folded.as_ref()) {
            let before = folded[..m.start()].chars().next_back();
            let after = folded[m.end()..].chars().next();
            let whole_word = !before.is_some_and(char::is_alphanumeric)
                && !after.is_some_and(char::is_alphanumeric);
            let index = m.pattern().as_usize();
            if whole_word && !hits.iter().any(|&(_, p)| p == index) {
                hits.push((m.start(), index));
            }
        }
        hits.sort_unstable();
        hits.into_iter()
            .map(|(_, index)| {
                let (phrase, tag) = &self.phrases[index];
                Hit { phrase, tag: *tag }
            })
            .collect()
    }
}

fn fold_white_space(text: &str) -> Cow<'_, str> {
    let bytes = text.as_bytes();
    // Fast path for plain ASCII prose with single spaces: one branch-free pass over the bytes.
    let unusual = bytes.iter().fold(false, |found, &b| {
        found | (b >= 0x80) | (b.wrapping_sub(b'\t') < 5)
    });
    let double_space = bytes
        .iter()
        .zip(bytes.iter().skip(1))
        .fold(false, |found, (&a, &b)| found | ((a == b' ') & (b == b' ')));
    let needs_folding = unusual || double_space;
    if !needs_folding {
        return Cow::Borrowed(text);
    }
    Cow::Owned(crate::request::collapse_white_space(text))
}
