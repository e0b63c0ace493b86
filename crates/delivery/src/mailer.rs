//! The mail API as the delivery core sees it: one call per email (a JSON webhook that takes an
//! idempotency key), or two (Microsoft Graph: create the message, then send it by its id, so a
//! lost answer can be asked about instead of sending again).

use rsos_rules::Email;

/// Why the mail API did not accept a call. Carries no recipient and no text of the email.
#[derive(Debug, Clone, PartialEq, Eq, Hash, thiserror::Error)]
#[error("{reason}")]
pub struct MailFailure {
    /// One plain sentence for the log (no member data).
    pub reason: String,
    /// The call may have been carried out even though no answer came (a timeout after the
    /// request was sent). Two-phase APIs are asked before the call is repeated.
    pub answer_lost: bool,
    /// How long the mail API asked us to wait (`Retry-After`), in seconds.
    pub retry_after_s: Option<u64>,
}

impl MailFailure {
    /// A failure with only a reason: refused, nothing was done.
    pub fn refused(reason: impl Into<String>) -> MailFailure {
        MailFailure {
            reason: reason.into(),
            answer_lost: false,
            retry_after_s: None,
        }
    }
}

/// What the mail API says about a message created earlier (two-phase APIs).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Probe {
    /// It was sent.
    Sent,
    /// It exists and was not sent.
    Unsent,
    /// It is not there (deleted by someone): create it again.
    Missing,
}

/// A mail API. One-phase APIs implement [`Mailer::send`]; two-phase ones [`Mailer::prepare`],
/// [`Mailer::commit`] and [`Mailer::probe`].
pub trait Mailer {
    /// Whether this API creates a message first and sends it by id.
    fn two_phase(&self) -> bool;
    /// Sends `email` in one call; `idempotency_key` (`<tracking ID>-<kind>`) is the same on
    /// every attempt, so an API that deduplicates sends it once.
    fn send(&mut self, email: &Email, idempotency_key: &str) -> Result<(), MailFailure>;
    /// Creates `email` without sending it; returns its id.
    fn prepare(&mut self, email: &Email, idempotency_key: &str) -> Result<String, MailFailure>;
    /// Sends the message created as `handle`.
    fn commit(&mut self, handle: &str) -> Result<(), MailFailure>;
    /// Whether the message created as `handle` was sent.
    fn probe(&mut self, handle: &str) -> Result<Probe, MailFailure>;
}

/// A one-phase mail API that accepts everything and keeps what it got, for examples and tests.
#[derive(Debug, Default, Clone)]
pub struct Accepting {
    /// Every email accepted, with its idempotency key.
    pub sent: Vec<(Email, String)>,
}

impl Mailer for Accepting {
    fn two_phase(&self) -> bool {
        false
    }

    fn send(&mut self, email: &Email, idempotency_key: &str) -> Result<(), MailFailure> {
        self.sent.push((email.clone(), idempotency_key.to_owned()));
        Ok(())
    }

    fn prepare(&mut self, _email: &Email, _key: &str) -> Result<String, MailFailure> {
        Err(MailFailure::refused(
            "a one-phase mail API prepares nothing",
        ))
    }

    fn commit(&mut self, _handle: &str) -> Result<(), MailFailure> {
        Err(MailFailure::refused("a one-phase mail API commits nothing"))
    }

    fn probe(&mut self, _handle: &str) -> Result<Probe, MailFailure> {
        Err(MailFailure::refused(
            "a one-phase mail API has nothing to probe",
        ))
    }
}
