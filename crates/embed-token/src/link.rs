//! Signed links (SPEC §9): the status page and details form links in an agent's emails, and
//! the team's action links in the forward. A link names one request (its tracking ID), one
//! action and an expiry, signed with HMAC-SHA256 under a secret only the edge function knows.
//! Mail security scanners open every link: a link only ever shows a page on GET; what it does
//! happens on the page's POST.
//!
//! Format: `l1.<base64url(tracking ID "\n" action "\n" expiry)>.<base64url(HMAC-SHA256)>`, the
//! MAC over `l1.<payload>`; the `l1` prefix keeps links and embed tokens (`v1`) apart even
//! under one secret.
//!
//! ```
//! use rsos_embed_token::link::{sign_link, verify_link, Link, LinkAction};
//!
//! let secret = b"the edge function's link secret";
//! let link = Link { tracking_id: "RSOS-20261130-ABCDEFGH".into(), action: LinkAction::Status, expires_at: 1_900_000_000 };
//! let token = sign_link(&link, secret);
//! assert_eq!(verify_link(&token, secret, 1_899_999_999), Ok(link));
//! ```

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use hmac::Mac;
use thiserror::Error;

use crate::mac;

/// What a link lets its holder do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LinkAction {
    /// See the request's status (agent).
    Status,
    /// Send the details the team asked for (agent).
    Details,
    /// Record the first response (team).
    Respond,
    /// Ask the agent for more details (team).
    Ask,
    /// Mark the request resolved (team).
    Resolve,
    /// See the coaching insights (team; the link names no request).
    Insights,
}

impl LinkAction {
    /// Every action.
    pub const ALL: [LinkAction; 6] = [
        LinkAction::Status,
        LinkAction::Details,
        LinkAction::Respond,
        LinkAction::Ask,
        LinkAction::Resolve,
        LinkAction::Insights,
    ];

    /// The name in a link: `status`, `details`, `respond`, `ask`, `resolve`.
    pub const fn as_str(self) -> &'static str {
        match self {
            LinkAction::Status => "status",
            LinkAction::Details => "details",
            LinkAction::Respond => "respond",
            LinkAction::Ask => "ask",
            LinkAction::Resolve => "resolve",
            LinkAction::Insights => "insights",
        }
    }

    /// The action with this name.
    pub fn from_name(name: &str) -> Option<LinkAction> {
        LinkAction::ALL.into_iter().find(|a| a.as_str() == name)
    }

    /// Whether a Customer Care Specialist's action link (in the forward), rather than the
    /// agent's or the insights page's.
    pub const fn for_team(self) -> bool {
        matches!(
            self,
            LinkAction::Respond | LinkAction::Ask | LinkAction::Resolve
        )
    }
}

/// What a link says.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Link {
    /// The request.
    pub tracking_id: String,
    /// What it lets its holder do.
    pub action: LinkAction,
    /// Unix seconds after which the link is refused.
    pub expires_at: i64,
}

/// Why a link is refused. `Display` is the sentence shown to the person.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum LinkError {
    /// Not `l1.<payload>.<mac>`, too long, or a payload without its three lines (HTTP 400).
    #[error("This link is not complete: copy the whole link from the email.")]
    Malformed,
    /// Past its expiry (403).
    #[error("This link has expired.")]
    Expired,
    /// The MAC does not verify under this deployment's link secret (403).
    #[error("This link is not valid for this service.")]
    BadSignature,
}

impl LinkError {
    /// 400 for a broken link, 403 for an expired or forged one.
    pub fn http_status(&self) -> u16 {
        match self {
            LinkError::Malformed => 400,
            LinkError::Expired | LinkError::BadSignature => 403,
        }
    }
}

const VERSION: &str = "l1";
/// Links are short; a longer one is refused before any decoding.
pub const MAX_LINK_LEN: usize = 512;

/// The signed token of `link`, URL-safe (base64url and `.`).
pub fn sign_link(link: &Link, secret: &[u8]) -> String {
    let payload = URL_SAFE_NO_PAD.encode(format!(
        "{}\n{}\n{}",
        link.tracking_id,
        link.action.as_str(),
        link.expires_at
    ));
    let signed = format!("{VERSION}.{payload}");
    let tag = URL_SAFE_NO_PAD.encode(mac(secret, signed.as_bytes()).finalize().into_bytes());
    format!("{signed}.{tag}")
}

/// Checks the signature (in constant time) and the expiry at `now` (Unix seconds).
pub fn verify_link(token: &str, secret: &[u8], now: i64) -> Result<Link, LinkError> {
    let token = token.trim();
    if token.is_empty() || token.len() > MAX_LINK_LEN {
        return Err(LinkError::Malformed);
    }
    let (signed, tag) = token.rsplit_once('.').ok_or(LinkError::Malformed)?;
    let (version, payload) = signed.split_once('.').ok_or(LinkError::Malformed)?;
    if version != VERSION {
        return Err(LinkError::Malformed);
    }
    let tag = URL_SAFE_NO_PAD
        .decode(tag)
        .map_err(|_| LinkError::Malformed)?;
    mac(secret, signed.as_bytes())
        .verify_slice(&tag)
        .map_err(|_| LinkError::BadSignature)?;
    let payload = URL_SAFE_NO_PAD
        .decode(payload)
        .map_err(|_| LinkError::Malformed)?;
    let payload = String::from_utf8(payload).map_err(|_| LinkError::Malformed)?;
    let mut parts = payload.split('\n');
    let (Some(tracking_id), Some(action), Some(expiry), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(LinkError::Malformed);
    };
    let action = LinkAction::from_name(action).ok_or(LinkError::Malformed)?;
    let expires_at: i64 = expiry.parse().map_err(|_| LinkError::Malformed)?;
    if now > expires_at {
        return Err(LinkError::Expired);
    }
    Ok(Link {
        tracking_id: tracking_id.to_owned(),
        action,
        expires_at,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &[u8] = b"link secret for the tests, long enough";

    fn link(action: LinkAction) -> Link {
        Link {
            tracking_id: "RSOS-20261130-ABCDEFGH".into(),
            action,
            expires_at: 2_000,
        }
    }

    #[test]
    fn every_action_round_trips() {
        for action in LinkAction::ALL {
            let token = sign_link(&link(action), SECRET);
            assert_eq!(verify_link(&token, SECRET, 1_000), Ok(link(action)));
        }
    }

    #[test]
    fn an_expired_link_is_refused() {
        let token = sign_link(&link(LinkAction::Status), SECRET);
        assert_eq!(verify_link(&token, SECRET, 2_001), Err(LinkError::Expired));
    }

    #[test]
    fn a_tampered_or_foreign_link_is_refused() {
        let token = sign_link(&link(LinkAction::Status), SECRET);
        let other = sign_link(&link(LinkAction::Resolve), SECRET);
        let (payload, _) = other.rsplit_once('.').unwrap();
        let (_, tag) = token.rsplit_once('.').unwrap();
        let spliced = format!("{payload}.{tag}");
        assert_eq!(
            verify_link(&spliced, SECRET, 1),
            Err(LinkError::BadSignature)
        );
        assert_eq!(
            verify_link(&token, b"another secret", 1),
            Err(LinkError::BadSignature)
        );
        assert_eq!(verify_link("l1.x", SECRET, 1), Err(LinkError::Malformed));
        assert_eq!(verify_link("", SECRET, 1), Err(LinkError::Malformed));
    }

    #[test]
    fn an_embed_token_is_no_link() {
        let claims = crate::Claims {
            agent_san: "A1".into(),
            agent_email: "a@b.example".into(),
            expires_at: 2_000,
        };
        let token = crate::sign(&claims, SECRET);
        assert_eq!(verify_link(&token, SECRET, 1), Err(LinkError::Malformed));
    }
}
