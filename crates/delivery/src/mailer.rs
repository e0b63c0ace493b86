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
    /// The mail API does not find it: on its way (Graph creates the Sent Items copy some time
    /// after sending), or deleted by someone.
    NotFound,
}

/// One email on its way out, with what every attempt to send it shares.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Outgoing {
    /// The email as `rsos-rules` wrote it.
    pub email: Email,
    /// The request's tracking ID (mail APIs carry it in a header the mailbox can search).
    pub tracking_id: String,
    /// `<tracking ID>-<kind>`, the same on every attempt: an API that deduplicates by it
    /// delivers the email once.
    pub idempotency_key: String,
}

/// A mail API. One-phase APIs implement [`Mailer::send`]; two-phase ones [`Mailer::prepare`],
/// [`Mailer::commit`] and [`Mailer::probe`].
pub trait Mailer {
    /// Whether this API creates a message first and sends it by id.
    fn two_phase(&self) -> bool;
    /// Sends the email in one call.
    fn send(&mut self, outgoing: &Outgoing) -> Result<(), MailFailure>;
    /// Creates the email without sending it; returns its id.
    fn prepare(&mut self, outgoing: &Outgoing) -> Result<String, MailFailure>;
    /// Sends the message created as `handle`.
    fn commit(&mut self, handle: &str) -> Result<(), MailFailure>;
    /// Whether the message created as `handle` was sent.
    fn probe(&mut self, handle: &str) -> Result<Probe, MailFailure>;
}

/// A one-phase mail API that accepts everything and keeps what it got, for examples and tests.
#[derive(Debug, Default, Clone)]
pub struct Accepting {
    /// Every email accepted.
    pub sent: Vec<Outgoing>,
}

impl Mailer for Accepting {
    fn two_phase(&self) -> bool {
        false
    }

    fn send(&mut self, outgoing: &Outgoing) -> Result<(), MailFailure> {
        self.sent.push(outgoing.clone());
        Ok(())
    }

    fn prepare(&mut self, _outgoing: &Outgoing) -> Result<String, MailFailure> {
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
