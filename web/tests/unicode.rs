//! The browser's Unicode data (`src/unicode.rs`, what the shipped form installs) against
//! ICU4X's (what the CLI and the edge function use), on every Unicode scalar value, in
//! headless Chromium. The shipped form leaves ICU4X out; this test build compiles it in as
//! the reference.
//!
//! The two must agree on every character the browser knows. A browser's Unicode version
//! trails or leads ICU4X's data by a release now and then (measured: ICU4X 2.4's data is
//! Unicode 18.0, Chromium 156's is 17.0; the 13,007 characters 18.0 added are unassigned to
//! that browser), so a difference is allowed only where the browser reads a character as
//! unassigned; the count is printed. Any other difference fails.
//!
//! - General categories: every scalar value, one by one, through the installed function.
//! - NFC, per scalar value `c`: `c` alone (decompositions, singletons, composition
//!   exclusions), ICU4X's NFD of `c` (every canonical composition, composed back), `c` before
//!   U+0334 (class 1) and after U+0301 (class 230) (reordering); and every character with a
//!   non-zero canonical combining class after one mark of each class (its exact class).
//!   Probes are joined by line feeds, which compose with nothing and stop every reordering,
//!   so one call normalises thousands of probes exactly as one by one.

#[path = "../src/unicode.rs"]
mod unicode;

use std::collections::BTreeMap;

use icu_normalizer::DecomposingNormalizerBorrowed;
use icu_properties::props::{CanonicalCombiningClass, GeneralCategory as IcuCategory};
use icu_properties::CodePointMapData;
use rsos_rules::unicode::{GeneralCategory, ICU4X};
use wasm_bindgen_test::{console_log, wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

/// Every Unicode scalar value: the code points minus the surrogates.
fn scalar_values() -> impl Iterator<Item = char> {
    (0..=0x10FFFF_u32).filter_map(char::from_u32)
}

/// At most this many differences are listed in a failure.
const SHOWN: usize = 20;

fn report(what: &str, differences: &[String], compared: usize) {
    assert!(
        differences.is_empty(),
        "{what}: {} of {compared} differ between the browser and ICU4X; the first: {:#?}",
        differences.len(),
        &differences[..differences.len().min(SHOWN)]
    );
}

/// A character this browser's Unicode version does not have.
fn unknown_to_the_browser(c: char) -> bool {
    (unicode::BROWSER.general_category)(c) == GeneralCategory::Unassigned
}

#[wasm_bindgen_test]
fn general_categories_agree_on_every_scalar_value_the_browser_knows() {
    unicode::install();
    let mut differences = Vec::new();
    let (mut compared, mut unknown) = (0, 0);
    for c in scalar_values() {
        compared += 1;
        let browser = (unicode::BROWSER.general_category)(c);
        let icu = (ICU4X.general_category)(c);
        if browser == icu {
            continue;
        }
        if browser == GeneralCategory::Unassigned {
            unknown += 1;
        } else {
            differences.push(format!(
                "U+{:04X}: browser {browser:?}, ICU4X {icu:?}",
                c as u32
            ));
        }
    }
    assert_eq!(compared, 1_112_064);
    console_log!(
        "general category: {compared} scalar values compared; {unknown} assigned by ICU4X are unknown to the browser"
    );
    report("general category", &differences, compared);
}

#[wasm_bindgen_test]
fn nfc_agrees_on_every_scalar_value_the_browser_knows() {
    unicode::install();
    let nfd = DecomposingNormalizerBorrowed::new_nfd();
    let class = |c: char| CodePointMapData::<CanonicalCombiningClass>::new().get(c).0;
    // One mark of each non-zero combining class that is its own decomposition.
    let mut marks: BTreeMap<u8, char> = BTreeMap::new();
    for c in scalar_values() {
        let k = class(c);
        if k != 0 && nfd.normalize(c.encode_utf8(&mut [0; 4])) == c.to_string() {
            marks.entry(k).or_insert(c);
        }
    }
    let probes = scalar_values().flat_map(|c| {
        let mut probes = vec![
            c.to_string(),
            nfd.normalize(c.encode_utf8(&mut [0; 4])).into_owned(),
            format!("{c}\u{334}"),
            format!("\u{301}{c}"),
        ];
        if class(c) != 0 {
            probes.extend(marks.values().map(|m| format!("{m}{c}")));
        }
        probes
    });
    let mut tally = Tally::default();
    let mut batch = Vec::with_capacity(BATCH);
    for probe in probes {
        batch.push(probe);
        if batch.len() == BATCH {
            compare_nfc(&batch, &mut tally);
            batch.clear();
        }
    }
    compare_nfc(&batch, &mut tally);
    console_log!(
        "NFC: {} probes compared ({} combining classes); {} differ, each holding a character unknown to the browser",
        tally.compared,
        marks.len(),
        tally.unknown
    );
    report("NFC", &tally.differences, tally.compared);
}

#[derive(Default)]
struct Tally {
    compared: usize,
    /// Probes that differ and hold a character the browser does not know.
    unknown: usize,
    differences: Vec<String>,
}

const BATCH: usize = 16_384;

/// Normalises the probes joined by line feeds with both; only when the texts differ, one by
/// one, to name the probes that differ.
fn compare_nfc(batch: &[String], tally: &mut Tally) {
    tally.compared += batch.len();
    let text = batch.join("\n");
    if (unicode::BROWSER.nfc)(&text) == (ICU4X.nfc)(&text) {
        return;
    }
    for probe in batch {
        let (browser, icu) = ((unicode::BROWSER.nfc)(probe), (ICU4X.nfc)(probe));
        if browser == icu {
            continue;
        }
        if probe.chars().any(unknown_to_the_browser) {
            tally.unknown += 1;
        } else {
            tally.differences.push(format!(
                "{}: browser {}, ICU4X {}",
                code_points(probe),
                code_points(&browser),
                code_points(&icu)
            ));
        }
    }
}

fn code_points(text: &str) -> String {
    text.chars()
        .map(|c| format!("U+{:04X}", c as u32))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Which Unicode versions were compared, by the newest characters each side knows: U+0558
/// (an Armenian modifier letter) is new in Unicode 18.0, U+20C1 SAUDI RIYAL SIGN in 17.0,
/// U+1CC00 (Symbols for Legacy Computing Supplement) in 16.0, U+2FFC (an ideographic
/// description character) in 15.1. The browser must know at least the version of Rust's own
/// tables (`char::is_alphabetic` decides the letters of a name beside the browser's marks).
#[wasm_bindgen_test]
fn the_browser_knows_at_least_the_unicode_version_of_rusts_tables() {
    unicode::install();
    let probes = [
        ('\u{0558}', (18, 0)),
        ('\u{20C1}', (17, 0)),
        ('\u{1CC00}', (16, 0)),
        ('\u{2FFC}', (15, 1)),
    ];
    let newest = |category: fn(char) -> GeneralCategory| {
        probes
            .into_iter()
            .find(|(c, _)| category(*c) != GeneralCategory::Unassigned)
            .map_or((15, 0), |(_, version)| version)
    };
    let browser = newest(unicode::BROWSER.general_category);
    let icu = newest(ICU4X.general_category);
    let (major, minor, _) = char::UNICODE_VERSION;
    console_log!(
        "Unicode: browser {}.{}, ICU4X {}.{}, Rust std {major}.{minor}",
        browser.0,
        browser.1,
        icu.0,
        icu.1
    );
    assert_eq!(
        CodePointMapData::<IcuCategory>::new().get('\u{0558}'),
        IcuCategory::ModifierLetter,
        "ICU4X's data is Unicode 18.0 or newer"
    );
    assert!(browser >= (major, minor));
}
