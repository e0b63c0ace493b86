//! The fields of a request (SPEC §1), written once in one table: [`Request`] (as typed),
//! [`NormalisedRequest`] (after normalisation), [`Field`] (their names, labels, order) and
//! each field's kind of input all come from it, so adding or renaming a field is one edit.
//!
//! Vocabulary layer: this module depends on nothing else in the crate.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The kind of control a field is, for forms and for the normalisation rules of SPEC §1
/// (every kind but [`InputKind::MultiLine`] and [`InputKind::Checkbox`] is single-line).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum InputKind {
    /// One of the ruleset's options (plans, topics): a `<select>`.
    Choice,
    /// One line of text.
    Line,
    /// One line holding an email address (`<input type="email">`).
    Email,
    /// Text that may hold line breaks and tabs (`<textarea>`).
    MultiLine,
    /// A yes/no box; its JSON value is a boolean, not text.
    Checkbox,
}

impl InputKind {
    /// Whether white space collapses to single spaces and line breaks are refused (SPEC §1).
    pub const fn is_single_line(self) -> bool {
        !matches!(self, InputKind::MultiLine | InputKind::Checkbox)
    }
}

/// A field's slot in [`Request`]: text (`String`) or a flag (`bool`).
trait RawSlot {
    fn text(&self) -> &str;
    fn text_mut(&mut self) -> Option<&mut String>;
    fn flag_mut(&mut self) -> Option<&mut bool>;
}

impl RawSlot for String {
    fn text(&self) -> &str {
        self
    }
    fn text_mut(&mut self) -> Option<&mut String> {
        Some(self)
    }
    fn flag_mut(&mut self) -> Option<&mut bool> {
        None
    }
}

impl RawSlot for bool {
    fn text(&self) -> &str {
        ""
    }
    fn text_mut(&mut self) -> Option<&mut String> {
        None
    }
    fn flag_mut(&mut self) -> Option<&mut bool> {
        Some(self)
    }
}

/// A field's slot in [`NormalisedRequest`], made from its raw slot by a normaliser.
trait NormalisedSlot<Raw> {
    fn make(field: Field, raw: &Raw, normalise: &dyn Fn(Field, &str) -> String) -> Self;
    fn text(&self) -> &str;
}

impl NormalisedSlot<String> for String {
    fn make(field: Field, raw: &String, normalise: &dyn Fn(Field, &str) -> String) -> String {
        normalise(field, raw)
    }
    fn text(&self) -> &str {
        self
    }
}

/// An optional field: empty after normalisation means absent.
impl NormalisedSlot<String> for Option<String> {
    fn make(field: Field, raw: &String, normalise: &dyn Fn(Field, &str) -> String) -> Self {
        Some(normalise(field, raw)).filter(|text| !text.is_empty())
    }
    fn text(&self) -> &str {
        self.as_deref().unwrap_or("")
    }
}

impl NormalisedSlot<bool> for bool {
    fn make(_: Field, raw: &bool, _: &dyn Fn(Field, &str) -> String) -> bool {
        *raw
    }
    fn text(&self) -> &str {
        ""
    }
}

macro_rules! count {
    () => { 0 };
    ($head:ident $($tail:ident)*) => { 1 + count!($($tail)*) };
}

macro_rules! field_table {
    ($(
        $(#[doc = $doc:literal])+
        $variant:ident $name:ident: $raw:ty => $normalised:ty {
            label: $label:literal,
            input: $input:ident,
            required: $required:literal,
            autocomplete: $autocomplete:literal $(,)?
        }
    )+) => {
        /// One request, as typed (SPEC §1). A missing or `null` JSON text field is the same as
        /// an empty one, so the agent gets a `required` error rather than a malformed request.
        #[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
        pub struct Request {
            $( $(#[doc = $doc])+ pub $name: $raw, )+
        }

        /// The request after normalisation (SPEC §1): what the subject line and the emails
        /// are made from. Same field names as [`Request`].
        #[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
        pub struct NormalisedRequest {
            $( $(#[doc = $doc])+ pub $name: $normalised, )+
        }

        /// The fields of a request, in the order of SPEC §1 (errors are reported in this
        /// order). Serialises as its JSON name (`"member_id"`).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Field {
            $( $(#[doc = $doc])+ $variant, )+
        }

        impl Field {
            /// Every field, in SPEC §1 order.
            pub const ALL: [Field; count!($($variant)+)] = [$(Field::$variant),+];

            /// Every field's JSON name, in SPEC §1 order.
            pub const NAMES: &'static [&'static str] = &[$(stringify!($name)),+];

            /// The JSON name, e.g. `"member_id"`.
            pub const fn as_str(self) -> &'static str {
                match self { $( Field::$variant => stringify!($name), )+ }
            }

            /// The label an agent sees, in the seed template's words where it has them.
            pub const fn label(self) -> &'static str {
                match self { $( Field::$variant => $label, )+ }
            }

            /// The kind of control the field is.
            pub const fn input(self) -> InputKind {
                match self { $( Field::$variant => InputKind::$input, )+ }
            }

            /// Whether SPEC §1 requires a value (`required` error when empty).
            pub const fn is_required(self) -> bool {
                match self { $( Field::$variant => $required, )+ }
            }

            /// The HTML `autocomplete` token for the field's control (`"off"` where the
            /// browser must not fill in remembered values, e.g. member data).
            pub const fn autocomplete(self) -> &'static str {
                match self { $( Field::$variant => $autocomplete, )+ }
            }
        }

        impl Request {
            /// The raw text of a field (`""` for the checkbox).
            pub fn text(&self, field: Field) -> &str {
                match field { $( Field::$variant => RawSlot::text(&self.$name), )+ }
            }

            /// The text of a field to edit it by name; `None` for the checkbox.
            pub fn text_mut(&mut self, field: Field) -> Option<&mut String> {
                match field { $( Field::$variant => RawSlot::text_mut(&mut self.$name), )+ }
            }

            /// The value of a checkbox field to edit it by name; `None` for text fields.
            pub fn flag_mut(&mut self, field: Field) -> Option<&mut bool> {
                match field { $( Field::$variant => RawSlot::flag_mut(&mut self.$name), )+ }
            }

            /// Every field through `normalise` (text fields), flags copied, empty optional
            /// fields made absent.
            pub(crate) fn normalised_with(
                &self,
                normalise: &dyn Fn(Field, &str) -> String,
            ) -> NormalisedRequest {
                NormalisedRequest {
                    $( $name: NormalisedSlot::make(Field::$variant, &self.$name, normalise), )+
                }
            }
        }

        impl NormalisedRequest {
            /// The normalised text of a field (`""` for an absent optional field and for the
            /// checkbox).
            pub fn text(&self, field: Field) -> &str {
                match field {
                    $( Field::$variant => NormalisedSlot::<$raw>::text(&self.$name), )+
                }
            }
        }
    };
}

field_table! {
    /// The member's plan: a `lines_of_business` code of the ruleset (`medicare`,
    /// `individual`, `medicaid`, `other`).
    LineOfBusiness line_of_business: String => String {
        label: "Plan", input: Choice, required: true, autocomplete: "off",
    }
    /// What the issue is about: a `topics` code of the ruleset (SPEC §3).
    Topic topic: String => String {
        label: "Topic", input: Choice, required: true, autocomplete: "off",
    }
    /// The agent's name: one line, 1–100 characters (ruleset limits).
    AgentName agent_name: String => String {
        label: "Agent Name", input: Line, required: true, autocomplete: "name",
    }
    /// The agent's SAN: ASCII letters and digits, 1–20 characters.
    AgentSan agent_san: String => String {
        label: "Agent SAN", input: Line, required: true, autocomplete: "off",
    }
    /// Where the acknowledgement goes: a mailbox address of at most 254 characters.
    AgentEmail agent_email: String => String {
        label: "Agent email", input: Email, required: true, autocomplete: "email",
    }
    /// The member's ID: ASCII letters, digits and inner hyphens, 3–30 characters.
    MemberId member_id: String => String {
        label: "Member ID #", input: Line, required: true, autocomplete: "off",
    }
    /// The member's first name: letters of any script, marks, spaces and name
    /// punctuation, 1–60 characters; no commas or brackets (the subject line uses them).
    MemberFirstName member_first_name: String => String {
        label: "Member first name", input: Line, required: true, autocomplete: "off",
    }
    /// The member's last name: as the first name.
    MemberLastName member_last_name: String => String {
        label: "Member last name", input: Line, required: true, autocomplete: "off",
    }
    /// An optional call or case reference: ASCII letters, digits and inner hyphens, at most
    /// 40 characters; empty means absent.
    ReferenceNumber reference_number: String => Option<String> {
        label: "Reference #", input: Line, required: false, autocomplete: "off",
    }
    /// What happened and what is needed: 20–4000 characters; line breaks and tabs allowed.
    Summary summary: String => String {
        label: "Summary of issue", input: MultiLine, required: true, autocomplete: "off",
    }
    /// The agent confirms a request whose summary names another plan is about one plan
    /// only (SPEC §4); `false` when missing.
    ConfirmSingleLineOfBusiness confirm_single_line_of_business: bool => bool {
        label: "One line of business", input: Checkbox, required: false, autocomplete: "off",
    }
}

impl Field {
    /// The field with this JSON name, if there is one.
    pub fn from_name(name: &str) -> Option<Field> {
        Field::ALL.into_iter().find(|f| f.as_str() == name)
    }
}

impl Serialize for Field {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Field {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Field, D::Error> {
        let name = std::borrow::Cow::<str>::deserialize(deserializer)?;
        Field::from_name(&name)
            .ok_or_else(|| serde::de::Error::unknown_variant(&name, Field::NAMES))
    }
}
