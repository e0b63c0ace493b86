//! The browser's own Unicode data for `rsos-rules` (its `unicode` seam): NFC from
//! `String.prototype.normalize` and general categories from regular-expression property
//! escapes (`\p{Lu}` …). Every browser ships both, so the form ships no Unicode tables of its
//! own: ICU4X's cost 28 KB of the form's gzip bytes (benchmarks/form-size/README.md).
//!
//! `tests/unicode.rs` holds this against ICU4X on every Unicode scalar value in Chromium, and
//! `tests/vectors.rs` judges the shared vectors with it; both include this file as it is.

use rsos_rules::unicode::{GeneralCategory, UnicodeData};
use wasm_bindgen::prelude::*;

#[wasm_bindgen(module = "/js/element.js")]
extern "C" {
    /// `text.normalize('NFC')`.
    #[wasm_bindgen(js_name = nfc)]
    fn browser_nfc(text: &str) -> String;

    /// The index in `names` (space-separated short names, as given to
    /// `useUnicodeCategories`) of the category whose property escape matches the code point.
    #[wasm_bindgen(js_name = generalCategory)]
    fn browser_general_category(code_point: u32) -> u32;

    #[wasm_bindgen(js_name = useUnicodeCategories)]
    fn use_unicode_categories(names: &str);
}

/// The browser's data, as `rsos-rules` takes it. Call [`install`] (or at least
/// `useUnicodeCategories` through it) before the first category is asked for.
pub const BROWSER: UnicodeData = UnicodeData {
    nfc: browser_nfc,
    general_category,
};

fn general_category(c: char) -> GeneralCategory {
    GeneralCategory::from_index(browser_general_category(c as u32) as usize)
}

/// Makes the browser's data the rules' Unicode data for this page.
pub fn install() {
    // The category names and their order come from the rules crate, so the JS side cannot
    // disagree with it about which index is which category.
    use_unicode_categories(GeneralCategory::SHORT_NAMES);
    rsos_rules::unicode::install(BROWSER);
}
