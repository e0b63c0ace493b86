//! The Unicode data the rules read (issue 9), behind one small seam: Normalization Form C
//! (UAX #15) of a text and the general category (UAX #44) of a character. Nothing else in
//! the crate touches Unicode tables beyond what `core` has (`char::is_alphabetic`,
//! `is_whitespace`).
//!
//! Where the data comes from, in this order:
//! 1. an implementation the shell installed with [`install`]: the browser form
//!    installs the browser's own (`String.prototype.normalize` and regular-expression
//!    property escapes), so it ships no Unicode tables;
//! 2. else, with the default feature `icu`, ICU4X's compiled-in data ([`ICU4X`]): the CLI,
//!    the edge function and the tests;
//! 3. else no data: text is kept as typed and no character outside ASCII is a mark or a
//!    domain letter, so such names and addresses are refused — never a panic.
//!
//! A seam of two plain functions rather than a trait object threaded through
//! [`assess`](crate::assess): which data a process uses is a property of the build, set once
//! at start, and it keeps every caller's signature as it was. The functions are pure lookups,
//! so the crate stays pure whichever is installed.
//!
//! Vocabulary layer: depends on nothing else in the crate.

use std::sync::OnceLock;

/// A Unicode general category (UAX #44 `General_Category`): every character has exactly one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[allow(missing_docs)] // each variant is the category of its name; `short_name` gives UAX #44's
pub enum GeneralCategory {
    UppercaseLetter,
    LowercaseLetter,
    TitlecaseLetter,
    ModifierLetter,
    OtherLetter,
    NonspacingMark,
    SpacingMark,
    EnclosingMark,
    DecimalNumber,
    LetterNumber,
    OtherNumber,
    ConnectorPunctuation,
    DashPunctuation,
    OpenPunctuation,
    ClosePunctuation,
    InitialPunctuation,
    FinalPunctuation,
    OtherPunctuation,
    MathSymbol,
    CurrencySymbol,
    ModifierSymbol,
    OtherSymbol,
    SpaceSeparator,
    LineSeparator,
    ParagraphSeparator,
    Control,
    Format,
    Surrogate,
    PrivateUse,
    Unassigned,
}

impl GeneralCategory {
    /// Every category, in the order of [`GeneralCategory::SHORT_NAMES`].
    pub const ALL: [GeneralCategory; 30] = [
        Self::UppercaseLetter,
        Self::LowercaseLetter,
        Self::TitlecaseLetter,
        Self::ModifierLetter,
        Self::OtherLetter,
        Self::NonspacingMark,
        Self::SpacingMark,
        Self::EnclosingMark,
        Self::DecimalNumber,
        Self::LetterNumber,
        Self::OtherNumber,
        Self::ConnectorPunctuation,
        Self::DashPunctuation,
        Self::OpenPunctuation,
        Self::ClosePunctuation,
        Self::InitialPunctuation,
        Self::FinalPunctuation,
        Self::OtherPunctuation,
        Self::MathSymbol,
        Self::CurrencySymbol,
        Self::ModifierSymbol,
        Self::OtherSymbol,
        Self::SpaceSeparator,
        Self::LineSeparator,
        Self::ParagraphSeparator,
        Self::Control,
        Self::Format,
        Self::Surrogate,
        Self::PrivateUse,
        Self::Unassigned,
    ];

    /// UAX #44's short names (`Lu`, `Ll`, … `Cn`), in the order of [`GeneralCategory::ALL`],
    /// separated by spaces: what regular-expression property escapes (`\p{Lu}`) take.
    pub const SHORT_NAMES: &'static str =
        "Lu Ll Lt Lm Lo Mn Mc Me Nd Nl No Pc Pd Ps Pe Pi Pf Po Sm Sc Sk So Zs Zl Zp Cc Cf Cs Co Cn";

    /// The category at `index` in [`GeneralCategory::ALL`]; `Unassigned` past its end.
    pub fn from_index(index: usize) -> GeneralCategory {
        Self::ALL
            .get(index)
            .copied()
            .unwrap_or(GeneralCategory::Unassigned)
    }

    /// Group M: nonspacing, spacing and enclosing marks (accents, vowel signs, viramas,
    /// tone marks).
    pub fn is_mark(self) -> bool {
        matches!(
            self,
            Self::NonspacingMark | Self::SpacingMark | Self::EnclosingMark
        )
    }
}

/// Where the rules take their Unicode data from: two pure functions, which must agree with
/// the Unicode Character Database (a shell proves its own against [`ICU4X`]).
#[derive(Debug, Clone, Copy)]
pub struct UnicodeData {
    /// Normalization Form C of a text (UAX #15).
    pub nfc: fn(&str) -> String,
    /// The general category of a character.
    pub general_category: fn(char) -> GeneralCategory,
}

static INSTALLED: OnceLock<UnicodeData> = OnceLock::new();

/// Makes `data` the Unicode data of every later call in this process, in place of the
/// default. The first installation wins: returns `false` (and changes nothing) when data
/// was installed before.
pub fn install(data: UnicodeData) -> bool {
    INSTALLED.set(data).is_ok()
}

/// ICU4X's compiled-in data (`icu_normalizer`, `icu_properties`; feature `icu`, on by
/// default): the reference other implementations are tested against.
#[cfg(feature = "icu")]
pub const ICU4X: UnicodeData = UnicodeData {
    nfc: icu::nfc,
    general_category: icu::general_category,
};

/// No data (no `icu` feature and nothing installed): text stays as typed, and every
/// character reads as unassigned, so nothing outside ASCII counts as a mark or a letter of a
/// domain.
#[cfg_attr(feature = "icu", allow(dead_code))]
const NO_DATA: UnicodeData = UnicodeData {
    nfc: str::to_owned,
    general_category: |_| GeneralCategory::Unassigned,
};

#[cfg(feature = "icu")]
const DEFAULT: UnicodeData = ICU4X;
#[cfg(not(feature = "icu"))]
const DEFAULT: UnicodeData = NO_DATA;

/// The data in use: installed, else ICU4X (feature `icu`), else none.
pub(crate) fn data() -> UnicodeData {
    INSTALLED.get().copied().unwrap_or(DEFAULT)
}

#[cfg(feature = "icu")]
mod icu {
    use icu_normalizer::ComposingNormalizerBorrowed;
    use icu_properties::props::GeneralCategory as Icu;
    use icu_properties::CodePointMapData;

    use super::GeneralCategory;

    pub(super) fn nfc(text: &str) -> String {
        ComposingNormalizerBorrowed::new_nfc()
            .normalize(text)
            .into_owned()
    }

    pub(super) fn general_category(c: char) -> GeneralCategory {
        match CodePointMapData::<Icu>::new().get(c) {
            Icu::UppercaseLetter => GeneralCategory::UppercaseLetter,
            Icu::LowercaseLetter => GeneralCategory::LowercaseLetter,
            Icu::TitlecaseLetter => GeneralCategory::TitlecaseLetter,
            Icu::ModifierLetter => GeneralCategory::ModifierLetter,
            Icu::OtherLetter => GeneralCategory::OtherLetter,
            Icu::NonspacingMark => GeneralCategory::NonspacingMark,
            Icu::SpacingMark => GeneralCategory::SpacingMark,
            Icu::EnclosingMark => GeneralCategory::EnclosingMark,
            Icu::DecimalNumber => GeneralCategory::DecimalNumber,
            Icu::LetterNumber => GeneralCategory::LetterNumber,
            Icu::OtherNumber => GeneralCategory::OtherNumber,
            Icu::ConnectorPunctuation => GeneralCategory::ConnectorPunctuation,
            Icu::DashPunctuation => GeneralCategory::DashPunctuation,
            Icu::OpenPunctuation => GeneralCategory::OpenPunctuation,
            Icu::ClosePunctuation => GeneralCategory::ClosePunctuation,
            Icu::InitialPunctuation => GeneralCategory::InitialPunctuation,
            Icu::FinalPunctuation => GeneralCategory::FinalPunctuation,
            Icu::OtherPunctuation => GeneralCategory::OtherPunctuation,
            Icu::MathSymbol => GeneralCategory::MathSymbol,
            Icu::CurrencySymbol => GeneralCategory::CurrencySymbol,
            Icu::ModifierSymbol => GeneralCategory::ModifierSymbol,
            Icu::OtherSymbol => GeneralCategory::OtherSymbol,
            Icu::SpaceSeparator => GeneralCategory::SpaceSeparator,
            Icu::LineSeparator => GeneralCategory::LineSeparator,
            Icu::ParagraphSeparator => GeneralCategory::ParagraphSeparator,
            Icu::Control => GeneralCategory::Control,
            Icu::Format => GeneralCategory::Format,
            Icu::Surrogate => GeneralCategory::Surrogate,
            Icu::PrivateUse => GeneralCategory::PrivateUse,
            Icu::Unassigned => GeneralCategory::Unassigned,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_names_match_the_categories_in_order() {
        let names: Vec<&str> = GeneralCategory::SHORT_NAMES.split(' ').collect();
        assert_eq!(names.len(), GeneralCategory::ALL.len());
        for (i, category) in GeneralCategory::ALL.iter().enumerate() {
            assert_eq!(GeneralCategory::from_index(i), *category);
        }
        assert_eq!(names[5], "Mn");
        assert_eq!(GeneralCategory::ALL[5], GeneralCategory::NonspacingMark);
        assert_eq!(GeneralCategory::from_index(99), GeneralCategory::Unassigned);
    }

    #[test]
    fn without_data_text_stays_as_typed_and_nothing_is_a_mark() {
        assert_eq!((NO_DATA.nfc)("e\u{301}"), "e\u{301}");
        assert!(!(NO_DATA.general_category)('\u{301}').is_mark());
    }

    #[cfg(feature = "icu")]
    #[test]
    fn icu4x_composes_and_knows_marks() {
        assert_eq!((ICU4X.nfc)("e\u{301}"), "\u{e9}");
        assert!((ICU4X.general_category)('\u{301}').is_mark());
        assert!((ICU4X.general_category)('\u{E48}').is_mark());
        assert_eq!(
            (ICU4X.general_category)('a'),
            GeneralCategory::LowercaseLetter
        );
    }
}
