//! The machine codes every shell puts on the wire: outcomes (SPEC §5, §7), field error and
//! warning codes (SPEC §1, §4) and email kinds (SPEC §7, §8). Each is spelled here once;
//! shells call `as_str` and `from_name` instead of writing the words again.
//!
//! Vocabulary layer: this module depends on nothing else in the crate.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

macro_rules! wire_codes {
    ($(
        $(#[doc = $doc:literal])+
        $name:ident {
            $( $(#[doc = $variant_doc:literal])+ $variant:ident = $wire:literal, )+
        }
    )+) => {$(
        $(#[doc = $doc])+
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name {
            $( $(#[doc = $variant_doc])+ $variant, )+
        }

        impl $name {
            /// Every code, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The wire name, e.g. `"forward"`.
            pub const fn as_str(self) -> &'static str {
                match self { $( $name::$variant => $wire, )+ }
            }

            /// The code with this wire name, if there is one.
            pub fn from_name(name: &str) -> Option<$name> {
                $name::ALL.iter().copied().find(|c| c.as_str() == name)
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<$name, D::Error> {
                let name = std::borrow::Cow::<str>::deserialize(deserializer)?;
                $name::from_name(&name).ok_or_else(|| {
                    serde::de::Error::unknown_variant(&name, &[$($wire),+])
                })
            }
        }
    )+};
}

wire_codes! {
    /// What happens to a request (SPEC §5 `outcome`).
    Outcome {
        /// Everything is in order: the request goes to the mailbox.
        Forward = "forward",
        /// The mailbox does not take it (SPEC §3); the verdict says where it goes instead.
        OutOfScope = "out_of_scope",
        /// Errors to fix first; nothing is sent.
        NeedsChanges = "needs_changes",
    }

    /// Why a field is refused (SPEC §1): one per field, the first that applies, in this order.
    ErrorCode {
        /// Empty after normalisation.
        Required = "required",
        /// A character the field does not allow (control, bidi, or outside its set).
        InvalidCharacters = "invalid_characters",
        /// Fewer characters than the ruleset's minimum.
        TooShort = "too_short",
        /// More characters than the ruleset's maximum.
        TooLong = "too_long",
        /// Only allowed characters, but not the field's shape (an ID that starts or ends
        /// with `-`).
        InvalidFormat = "invalid_format",
        /// Not a mailbox address.
        InvalidEmail = "invalid_email",
        /// Not one of the field's options.
        UnknownOption = "unknown_option",
        /// The summary names another plan and the agent has not confirmed (SPEC §4).
        ConfirmationRequired = "confirmation_required",
    }

    /// A hint from the summary (SPEC §4): shown, never silent, never an error by itself.
    WarningCode {
        /// The summary names the other in-scope plan.
        MixedLinesOfBusiness = "mixed_lines_of_business",
        /// The summary mentions an out-of-scope subject.
        PossibleOutOfScope = "possible_out_of_scope",
        /// The summary sounds urgent: call it in first.
        Urgent = "urgent",
    }

    /// Which of the emails of SPEC §7 an [`Email`](crate::Email) is (`rsos render`'s
    /// `kind`, and the name the edge records a sent email under).
    EmailKind {
        /// The request, to the mailbox.
        Forward = "forward",
        /// The seed's automatic response, to the agent.
        Acknowledgement = "acknowledgement",
        /// Where an out-of-scope request goes instead, to the agent.
        Guidance = "guidance",
        /// The team asks the agent for more details (SPEC §9), to the agent.
        DetailsRequest = "details_request",
        /// The agent's details, to the mailbox in the request's thread.
        DetailsReply = "details_reply",
        /// The request is resolved, to the agent.
        Resolved = "resolved",
        /// A scheduled status update (every five business days), to the agent.
        StatusUpdate = "status_update",
        /// The team's daily digest, to the mailbox.
        Digest = "digest",
    }
}

impl Outcome {
    /// The `outcome` member of the edge function's reply (SPEC §7), which says what was done
    /// rather than what should be: `"forwarded"`, `"out_of_scope"`, `"needs_changes"`.
    pub const fn reply_name(self) -> &'static str {
        match self {
            Outcome::Forward => "forwarded",
            Outcome::OutOfScope => "out_of_scope",
            Outcome::NeedsChanges => "needs_changes",
        }
    }
}
