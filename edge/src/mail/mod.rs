//! The mail APIs the component sends through, as the delivery core's [`Mailer`]: a generic JSON
//! webhook (one call per email, deduplicated by its `Idempotency-Key`) and Microsoft Graph.
//! Nothing here decides what an email says or who gets it: `rsos-rules` wrote the emails.

mod graph;
mod webhook;

use rsos_delivery::{MailFailure, Mailer, Outgoing, Probe};

use crate::outbound::CallError;
use crate::settings::{MailApi, Settings};
use crate::store::Kv;

/// The custom header that carries the tracking ID, so the mailbox team can search for it.
pub const TRACKING_HEADER: &str = "X-RSOS-Tracking-ID";

/// Why a mail API call failed. Never carries a recipient or any text of an email.
#[derive(Debug, thiserror::Error)]
pub enum MailError {
    #[error(transparent)]
    Call(#[from] CallError),
    #[error("the mail API refused the call with status {status}")]
    Refused {
        status: u16,
        retry_after_s: Option<u64>,
    },
    #[error("the sign-in service refused the mail app's credentials with status {0}")]
    SignInRefused(u16),
    #[error("the sign-in service answered without a usable token")]
    SignInUnreadable,
    #[error("the mail API answered without a usable message id")]
    Unreadable,
}

impl From<MailError> for MailFailure {
    fn from(error: MailError) -> MailFailure {
        let (answer_lost, retry_after_s) = match &error {
            MailError::Call(CallError::AnswerLost) => (true, None),
            MailError::Refused { retry_after_s, .. } => (false, *retry_after_s),
            _ => (false, None),
        };
        MailFailure {
            reason: error.to_string(),
            answer_lost,
            retry_after_s,
        }
    }
}

/// The configured mail API for one request.
pub struct MailClient<'a> {
    settings: &'a Settings,
    kv: &'a Kv,
}

impl<'a> MailClient<'a> {
    /// The mail API `settings` name, with `kv` for Graph's cached sign-in.
    pub fn new(settings: &'a Settings, kv: &'a Kv) -> MailClient<'a> {
        MailClient { settings, kv }
    }
}

/// The webhook sends in one call; Graph creates, sends by id, and can be asked.
impl Mailer for MailClient<'_> {
    fn two_phase(&self) -> bool {
        self.settings.mail_api == MailApi::Graph
    }

    fn send(&mut self, outgoing: &Outgoing) -> Result<(), MailFailure> {
        match self.settings.mail_api {
            MailApi::Webhook => webhook::send(self.settings, outgoing).map_err(MailFailure::from),
            MailApi::Graph => Err(MailFailure::refused("Graph sends in two phases")),
        }
    }

    fn prepare(&mut self, outgoing: &Outgoing) -> Result<String, MailFailure> {
        graph::create_draft(self.settings, self.kv, outgoing).map_err(MailFailure::from)
    }

    fn commit(&mut self, handle: &str) -> Result<(), MailFailure> {
        graph::send_draft(self.settings, self.kv, handle).map_err(MailFailure::from)
    }

    fn probe(&mut self, handle: &str) -> Result<Probe, MailFailure> {
        graph::find(self.settings, self.kv, handle).map_err(MailFailure::from)
    }
}
