//! Whole-word, case-insensitive phrase finding in summaries (SPEC §4), one pass for every
//! list, so `Medicaid` never counts as `Medicare` and `record` never counts as
//! `agent of record`.
//!
//! Every phrase starts with a letter or digit (the ruleset checks it), so a phrase can only
//! begin where a word begins. The matcher walks the word starts of the summary and tries only
//! the phrases that begin with that word's first byte. That is a few comparisons per word and
//! no automaton: the browser form ships this code, and an Aho-Corasick DFA cost it ~20 KB of
//! gzip for no better answers (the tests hold this matcher to Aho-Corasick's, byte for byte,
//! on lists without not-urgent phrases, which Aho-Corasick has no notion of).
//!
//! Not-urgent phrases ("non-emergency", "not urgent") are found like any other; an urgency
//! phrase inside one of them does not count there.

use std::borrow::Cow;

/// Which list a phrase came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Tag {
    /// Names the plan at this index of `lines_of_business`.
    Plan(usize),
    /// A word of the out-of-scope category at this index.
    OutOfScope(usize),
    Urgent,
    /// Takes the urgency out of the urgency phrases it contains; never reported itself.
    NotUrgent,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct WordMatcher {
    /// Lowercase phrases in ruleset order (the order breaks ties between equal starts).
    phrases: Vec<(String, Tag)>,
    /// Phrase indices grouped by first byte: `by_first[starts[b]..starts[b + 1]]` holds the
    /// phrases that begin with byte `b`.
    by_first: Vec<u32>,
    starts: Box<[u32; 257]>,
    /// One bit per pair of lowercase bytes that some phrase begins with (a one-byte phrase
    /// sets every pair it begins), so most words are passed over after one lookup.
    pairs: Box<[u64; 1024]>,
}

/// A phrase found in a summary, first occurrence per phrase, in text order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Hit<'r> {
    pub phrase: &'r str,
    pub tag: Tag,
}

impl WordMatcher {
    pub fn new(phrases: &[(&str, Tag)]) -> Result<WordMatcher, String> {
        let count = u32::try_from(phrases.len())
            .map_err(|_| "the word lists hold too many phrases".to_string())?;
        if phrases.iter().any(|(p, _)| p.is_empty()) {
            // The ruleset's `Phrase` type already refuses it; an empty phrase would match
            // everywhere, so refuse it here too.
            return Err("the word lists cannot hold an empty phrase".into());
        }
        // A counting sort by first byte, which keeps ruleset order within each group.
        let first = |(p, _): &(&str, Tag)| usize::from(p.as_bytes()[0]);
        let mut starts = Box::new([0u32; 257]);
        for phrase in phrases {
            starts[first(phrase) + 1] += 1;
        }
        for b in 1..257 {
            starts[b] += starts[b - 1];
        }
        let mut by_first = vec![0u32; phrases.len()];
        let mut next = starts.clone();
        for (index, phrase) in (0..count).zip(phrases) {
            let slot = &mut next[first(phrase)];
            by_first[*slot as usize] = index;
            *slot += 1;
        }
        let mut pairs = Box::new([0u64; 1024]);
        for (phrase, _) in phrases {
            let (first, second) = match phrase.as_bytes() {
                [first] => (*first, 0..=255),
                [first, second, ..] => (*first, *second..=*second),
                [] => continue,
            };
            for second in second {
                let pair = pair_key(first, second);
                pairs[pair >> 6] |= 1 << (pair & 63);
            }
        }
        Ok(WordMatcher {
            phrases: phrases.iter().map(|(p, t)| (p.to_string(), *t)).collect(),
            by_first,
            starts,
            pairs,
        })
    }

    /// Every listed phrase the text contains as whole words. Runs of white space in the text
    /// count as one space, so a phrase split over a line break still matches. Case is
    /// ignored for ASCII letters, as the lists are written in lowercase.
    pub fn find<'r>(&'r self, text: &str) -> Vec<Hit<'r>> {
        let folded = fold_white_space(text);
        let text = folded.as_ref();
        let bytes = text.as_bytes();
        let mut scan = Scan::default();
        if text.is_ascii() {
            self.find_in_ascii(bytes, &mut scan);
        } else {
            self.find_in_unicode(text, &mut scan);
        }
        // Already in (start, ruleset index) order: word starts are visited left to right,
        // and each one's phrases in ruleset order.
        debug_assert!(scan.hits.is_sorted());
        scan.hits
            .into_iter()
            .map(|(_, index)| {
                let (phrase, tag) = &self.phrases[index];
                Hit { phrase, tag: *tag }
            })
            .collect()
    }

    /// Word starts from bit masks, eight bytes at a time: no branch per byte, only per word.
    fn find_in_ascii(&self, bytes: &[u8], scan: &mut Scan) {
        let mut previous_was_word = 0u8;
        let chunks = bytes.chunks_exact(8);
        let mut tail = [b' '; 8];
        tail[..chunks.remainder().len()].copy_from_slice(chunks.remainder());
        let eights = chunks.map(|c| <[u8; 8]>::try_from(c).unwrap_or(tail));
        for (chunk_index, eight) in eights.chain([tail]).enumerate() {
            let word_chars = ascii_word_mask(u64::from_le_bytes(eight));
            let mut word_starts = word_chars & !((word_chars << 1) | previous_was_word);
            previous_was_word = word_chars >> 7;
            while word_starts != 0 {
                let at = chunk_index * 8 + word_starts.trailing_zeros() as usize;
                word_starts &= word_starts - 1;
                let first = bytes[at].to_ascii_lowercase();
                let second = bytes.get(at + 1).map_or(0, u8::to_ascii_lowercase);
                if self.may_start(first, second) {
                    self.try_phrases_at(bytes, at, scan);
                }
            }
        }
    }

    /// Letters and digits of every script are word characters, so this path decodes chars.
    fn find_in_unicode(&self, text: &str, scan: &mut Scan) {
        let mut in_word = false;
        for (at, c) in text.char_indices() {
            let word_char = c.is_alphanumeric();
            if word_char && !in_word {
                let bytes = text.as_bytes();
                let first = bytes[at].to_ascii_lowercase();
                let second = bytes.get(at + 1).map_or(0, u8::to_ascii_lowercase);
                if self.may_start(first, second) {
                    self.try_phrases_at(bytes, at, scan);
                }
            }
            in_word = word_char;
        }
    }

    /// Whether some phrase begins with these two lowercase bytes.
    #[inline]
    fn may_start(&self, first: u8, second: u8) -> bool {
        let pair = pair_key(first, second);
        self.pairs[pair >> 6] & (1 << (pair & 63)) != 0
    }

    /// Records every phrase that starts at the word start `at` and ends a word there.
    #[inline(never)]
    fn try_phrases_at(&self, bytes: &[u8], at: usize, scan: &mut Scan) {
        let b = usize::from(bytes[at].to_ascii_lowercase());
        let candidates = &self.by_first[self.starts[b] as usize..self.starts[b + 1] as usize];
        let matches = |index: usize| {
            let phrase = self.phrases[index].0.as_bytes();
            let end = at + phrase.len();
            let same = bytes
                .get(at..end)
                .is_some_and(|here| here.eq_ignore_ascii_case(phrase));
            (same && ends_word(bytes, end)).then_some(end)
        };
        // Not-urgent phrases first, so one starting here covers the urgency phrases that do.
        for &index in candidates {
            let index = index as usize;
            if self.phrases[index].1 == Tag::NotUrgent {
                if let Some(end) = matches(index) {
                    scan.calm.push((at, end));
                }
            }
        }
        for &index in candidates {
            let index = index as usize;
            let tag = self.phrases[index].1;
            if tag == Tag::NotUrgent || scan.hits.iter().any(|&(_, p)| p == index) {
                continue;
            }
            let Some(end) = matches(index) else {
                continue;
            };
            let calmed = || scan.calm.iter().any(|&(s, e)| s <= at && end <= e);
            if tag != Tag::Urgent || !calmed() {
                scan.hits.push((at, index));
            }
        }
    }
}

/// What one `find` has seen so far.
#[derive(Default)]
struct Scan {
    /// (start, phrase index), first occurrence per phrase.
    hits: Vec<(usize, usize)>,
    /// Byte ranges of the not-urgent phrases found.
    calm: Vec<(usize, usize)>,
}

/// One bit per byte of `eight` (ASCII, little-endian): set for letters and digits. SWAR:
/// each byte is range-checked by an addition that sets its high bit, no byte can carry into
/// the next (all are below 0x80), and a multiplication gathers the eight high bits.
fn ascii_word_mask(eight: u64) -> u8 {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let in_range = |x: u64, lo: u8, hi: u8| {
        (x + ONES * u64::from(0x80 - lo)) & !(x + ONES * u64::from(0x7f - hi)) & HIGH
    };
    // `| 0x20` folds A–Z onto a–z and moves no other byte into a–z.
    let word = in_range(eight | (ONES * 0x20), b'a', b'z') | in_range(eight, b'0', b'9');
    ((word >> 7).wrapping_mul(0x0102_0408_1020_4080) >> 56) as u8
}

fn pair_key(first: u8, second: u8) -> usize {
    usize::from(first) << 8 | usize::from(second)
}

/// Whether no letter or digit follows `end` (a char boundary: a phrase just matched there).
fn ends_word(bytes: &[u8], end: usize) -> bool {
    match bytes.get(end) {
        None => true,
        Some(b) if b.is_ascii() => !b.is_ascii_alphanumeric(),
        // Only the next char is decoded (at most four bytes): checking the whole rest of
        // the text at every match would make long summaries quadratic.
        Some(_) => {
            let next = &bytes[end..bytes.len().min(end + 4)];
            let valid = match std::str::from_utf8(next) {
                Ok(text) => text,
                Err(e) => std::str::from_utf8(&next[..e.valid_up_to()]).unwrap_or_default(),
            };
            !valid.chars().next().is_some_and(char::is_alphanumeric)
        }
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
    Cow::Owned(crate::text::collapse_white_space(text))
}

#[cfg(test)]
mod tests {
    use aho_corasick::{AhoCorasick, MatchKind};
    use proptest::prelude::*;

    use super::*;

    /// The matcher this crate used to ship: Aho-Corasick over all phrases, overlapping, then
    /// a whole-word check on each hit. The hand-written matcher must answer exactly as it did.
    fn reference(phrases: &[(&str, Tag)], text: &str) -> Vec<(String, Tag)> {
        let automaton = AhoCorasick::builder()
            .ascii_case_insensitive(true)
            .match_kind(MatchKind::Standard)
            .build(phrases.iter().map(|(p, _)| p))
            .expect("small patterns");
        let folded = fold_white_space(text);
        let mut hits: Vec<(usize, usize)> = Vec::new();
        for m in automaton.find_overlapping_iter(folded.as_ref()) {
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
            .map(|(_, i)| (phrases[i].0.to_string(), phrases[i].1))
            .collect()
    }

    fn ours(phrases: &[(&str, Tag)], text: &str) -> Vec<(String, Tag)> {
        let matcher = WordMatcher::new(phrases).expect("valid phrases");
        matcher
            .find(text)
            .into_iter()
            .map(|h| (h.phrase.to_string(), h.tag))
            .collect()
    }

    const PHRASES: &[(&str, Tag)] = &[
        ("medicare", Tag::Plan(0)),
        ("medicare advantage", Tag::Plan(0)),
        ("humanaone", Tag::Plan(1)),
        ("agent of record", Tag::OutOfScope(0)),
        ("record", Tag::OutOfScope(1)),
        ("1099", Tag::OutOfScope(2)),
        ("er", Tag::Urgent),
        ("emergency", Tag::Urgent),
        ("e", Tag::Urgent),
        ("émigré", Tag::Urgent),
        ("record", Tag::Urgent),
    ];

    #[test]
    fn the_word_mask_marks_exactly_ascii_letters_and_digits() {
        for b in 0u8..0x80 {
            for at in 0..8 {
                let mut eight = [b'.'; 8];
                eight[at] = b;
                let mask = ascii_word_mask(u64::from_le_bytes(eight));
                let expected = if b.is_ascii_alphanumeric() {
                    1 << at
                } else {
                    0
                };
                assert_eq!(mask, expected, "byte {b:#x} at {at}");
            }
        }
        assert_eq!(
            ascii_word_mask(u64::from_le_bytes(*b"Ab1 z9_Z")),
            0b1011_0111
        );
    }

    #[test]
    fn an_urgency_phrase_inside_a_not_urgent_phrase_does_not_count() {
        let mut phrases = PHRASES.to_vec();
        phrases.extend([
            ("non-emergency", Tag::NotUrgent),
            ("non emergency", Tag::NotUrgent),
            ("not an emergency", Tag::NotUrgent),
        ]);
        let matcher = WordMatcher::new(&phrases).expect("valid phrases");
        let urgent = |text: &str| matcher.find(text).iter().any(|h| h.phrase == "emergency");
        assert!(!urgent("a non-emergency ride"));
        assert!(!urgent("NON EMERGENCY transport; it is not an emergency"));
        assert!(urgent("non-emergency at first, then an emergency"));
        assert!(urgent("anon-emergency"), "`non` must be a word of its own");
        assert!(urgent("not emergency"), "only the listed phrases calm");
        assert!(urgent("emergency"));
        assert!(
            matcher
                .find("non-emergency")
                .iter()
                .all(|h| h.tag != Tag::NotUrgent),
            "never reported"
        );
        // Only urgency is calmed: a plan named inside stays named.
        let plans = matcher.find("non-emergency medicare");
        assert_eq!(plans.first().map(|h| h.phrase), Some("medicare"));
    }

    #[test]
    fn agrees_with_aho_corasick_on_hand_picked_texts() {
        for text in [
            "",
            "Medicare",
            "MEDICARE ADVANTAGE member, Medicaid too",
            "the agent of record; record.",
            "agent  of\nrecord",
            "Émigré émigré e-er e1099 1099e 1099",
            "emergencyemergency emergency! non-emergency",
            "ée e\u{301} e",
        ] {
            assert_eq!(ours(PHRASES, text), reference(PHRASES, text), "{text:?}");
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        /// Texts built from the phrases' own pieces, in any case, with word-joining and
        /// word-breaking characters between them: where the two matchers could disagree.
        #[test]
        fn agrees_with_aho_corasick(
            pieces in prop::collection::vec(
                prop_oneof![
                    Just("medicare"), Just("MEDICARE"), Just("Advantage"), Just("agent"),
                    Just("of"), Just("RECORD"), Just("record"), Just("1099"), Just("er"),
                    Just("e"), Just("émigré"), Just("ÉMIGRÉ"), Just("humana"), Just("one"),
                    Just(" "), Just("  "), Just("\n"), Just("-"), Just("."), Just("x"),
                    Just("\u{301}"), Just("ß"),
                ],
                0..24,
            ),
        ) {
            let text: String = pieces.concat();
            prop_assert_eq!(ours(PHRASES, &text), reference(PHRASES, &text));
        }

        #[test]
        fn agrees_with_aho_corasick_on_any_ascii_text(text in "[ -~\n]{0,80}") {
            prop_assert_eq!(ours(PHRASES, &text), reference(PHRASES, &text));
        }

        #[test]
        fn agrees_with_aho_corasick_on_any_text(text in "\\PC{0,80}") {
            prop_assert_eq!(ours(PHRASES, &text), reference(PHRASES, &text));
        }
    }
}
