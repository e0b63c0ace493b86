//! Signed embed tokens: how an agent portal vouches for the agent who is signed in, so that
//! only portal users can submit requests, and only for themselves. And signed links
//! ([`link`]): the status, details and team action links of a request's emails.
//!
//! The portal's server signs the agent's SAN, email address and an expiry with a secret it
//! shares with the edge function (HMAC-SHA256); the portal puts the token on the form tag
//! (`<rsos-request-form embed-token="…">`); the form sends it with every submission; the
//! edge function checks it with [`verify`] and refuses requests whose token is missing,
//! expired, tampered with or issued to another agent.
//!
//! Pure like `rsos-rules`: the caller passes the secret and the current time.
//!
//! ```
//! use rsos_embed_token::{sign, verify, Claims};
//!
//! let secret = b"a long random secret shared by portal and edge";
//! let claims = Claims { agent_san: "A12345".into(), agent_email: "pat@agency.example".into(), expires_at: 1_900_000_000 };
//! let token = sign(&claims, secret);
//! assert_eq!(verify(&token, secret, 1_899_999_000), Ok(claims.clone()));
//! assert!(verify(&token, secret, 1_900_000_001).is_err());
//! ```
//!
//! Token format: `v1.<base64url(san "\n" email "\n" expiry)>.<base64url(HMAC-SHA256)>`,
//! the MAC taken over `v1.<payload>`, so the version is signed too.

pub mod link;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use thiserror::Error;

type HmacSha256 = Hmac<Sha256>;

/// What a token says about the signed-in agent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claims {
    /// The agent's SAN, as the portal knows it (compared after the rules normalise both).
    pub agent_san: String,
    /// The agent's email address (compared without regard to ASCII case).
    pub agent_email: String,
    /// Unix seconds after which the token is refused.
    pub expires_at: i64,
}

/// Why a token is refused. `Display` is the sentence shown to the agent.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum TokenError {
    /// No token (HTTP 401).
    #[error("This form needs a sign-in token from your agent portal: reload the portal page and try again.")]
    Missing,
    /// Not `v1.<payload>.<mac>` in base64url, or a payload without its three lines (401).
    #[error(
        "The sign-in token of this form is not readable: reload the portal page and try again."
    )]
    Malformed,
    /// Past `expires_at` (401).
    #[error("The sign-in token of this form has expired: reload the portal page and try again.")]
    Expired,
    /// The MAC does not verify under this deployment's secret (403).
    #[error("The sign-in token of this form is not valid for this service.")]
    BadSignature,
    /// The token names another agent than the request (403).
    #[error("The Agent SAN and email must be those of the agent signed in to the portal.")]
    WrongAgent,
}

impl TokenError {
    /// 401 when signing in again fixes it, 403 when it never will.
    pub fn http_status(&self) -> u16 {
        match self {
            TokenError::Missing | TokenError::Malformed | TokenError::Expired => 401,
            TokenError::BadSignature | TokenError::WrongAgent => 403,
        }
    }
}

const VERSION: &str = "v1";
/// Tokens are short; a longer header is refused before any decoding.
pub const MAX_TOKEN_LEN: usize = 1024;

/// The token of `claims` under `secret` (what a portal puts on the tag): `v1.<base64url(SAN
/// "\n" email "\n" expiry)>.<base64url(HMAC-SHA256)>`, URL-safe.
pub fn sign(claims: &Claims, secret: &[u8]) -> String {
    let payload = URL_SAFE_NO_PAD.encode(format!(
        "{}\n{}\n{}",
        claims.agent_san, claims.agent_email, claims.expires_at
    ));
    let signed = format!("{VERSION}.{payload}");
    let tag = URL_SAFE_NO_PAD.encode(mac(secret, signed.as_bytes()).finalize().into_bytes());
    format!("{signed}.{tag}")
}

/// Checks the signature and the expiry; see [`verify_for`] to also check the agent.
pub fn verify(token: &str, secret: &[u8], now: i64) -> Result<Claims, TokenError> {
    let token = token.trim();
    if token.is_empty() {
        return Err(TokenError::Missing);
    }
    if token.len() > MAX_TOKEN_LEN {
        return Err(TokenError::Malformed);
    }
    let (signed, tag) = token.rsplit_once('.').ok_or(TokenError::Malformed)?;
    let (version, payload) = signed.split_once('.').ok_or(TokenError::Malformed)?;
    if version != VERSION {
        return Err(TokenError::Malformed);
    }
    let tag = URL_SAFE_NO_PAD
        .decode(tag)
        .map_err(|_| TokenError::Malformed)?;
    // Constant-time comparison, inside the hmac crate.
    mac(secret, signed.as_bytes())
        .verify_slice(&tag)
        .map_err(|_| TokenError::BadSignature)?;
    let payload = URL_SAFE_NO_PAD
        .decode(payload)
        .map_err(|_| TokenError::Malformed)?;
    let payload = String::from_utf8(payload).map_err(|_| TokenError::Malformed)?;
    let mut parts = payload.split('\n');
    let (Some(san), Some(email), Some(expiry), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(TokenError::Malformed);
    };
    let expires_at: i64 = expiry.parse().map_err(|_| TokenError::Malformed)?;
    if now > expires_at {
        return Err(TokenError::Expired);
    }
    Ok(Claims {
        agent_san: san.to_string(),
        agent_email: email.to_string(),
        expires_at,
    })
}

/// [`verify`], then: the request's agent must be the token's agent (SAN exactly, email
/// without regard to case), so a portal user cannot send as someone else.
pub fn verify_for(
    token: &str,
    secret: &[u8],
    now: i64,
    agent_san: &str,
    agent_email: &str,
) -> Result<Claims, TokenError> {
    let claims = verify(token, secret, now)?;
    if !claims.names(agent_san, agent_email) {
        return Err(TokenError::WrongAgent);
    }
    Ok(claims)
}

impl Claims {
    /// Whether these claims name the agent with this SAN (exactly) and email (without regard
    /// to ASCII case). Callers that normalise a request's fields normalise the claims the same
    /// way first.
    pub fn names(&self, agent_san: &str, agent_email: &str) -> bool {
        self.agent_san == agent_san.trim()
            && self.agent_email.eq_ignore_ascii_case(agent_email.trim())
    }
}

pub(crate) fn mac(secret: &[u8], data: &[u8]) -> HmacSha256 {
    // HMAC takes keys of any length, so this cannot fail.
    let mut mac = <HmacSha256 as Mac>::new_from_slice(secret)
        .unwrap_or_else(|_| unreachable!("HMAC accepts keys of any length"));
    mac.update(data);
    mac
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &[u8] = b"test secret, 32 bytes or more, please";
    const NOW: i64 = 1_800_000_000;

    fn claims() -> Claims {
        Claims {
            agent_san: "A12345".into(),
            agent_email: "pat@agency.example".into(),
            expires_at: NOW + 3600,
        }
    }

    #[test]
    fn a_fresh_token_for_the_same_agent_is_accepted() {
        let token = sign(&claims(), SECRET);
        assert_eq!(
            verify_for(&token, SECRET, NOW, "A12345", "Pat@Agency.example"),
            Ok(claims())
        );
    }

    #[test]
    fn a_missing_token_is_401() {
        assert_eq!(verify("  ", SECRET, NOW), Err(TokenError::Missing));
        assert_eq!(TokenError::Missing.http_status(), 401);
    }

    #[test]
    fn an_expired_token_is_401() {
        let token = sign(&claims(), SECRET);
        assert_eq!(verify(&token, SECRET, NOW + 3601), Err(TokenError::Expired));
    }

    #[test]
    fn a_tampered_payload_is_403() {
        let token = sign(&claims(), SECRET);
        let mut forged = claims();
        forged.agent_san = "B99999".into();
        let forged_payload = sign(&forged, b"another secret");
        let (_, payload_and_tag) = forged_payload.split_once('.').unwrap_or_default();
        let (payload, _) = payload_and_tag.split_once('.').unwrap_or_default();
        let (_, original_tag) = token.rsplit_once('.').unwrap_or_default();
        let spliced = format!("v1.{payload}.{original_tag}");
        assert_eq!(verify(&spliced, SECRET, NOW), Err(TokenError::BadSignature));
        assert_eq!(TokenError::BadSignature.http_status(), 403);
    }

    #[test]
    fn a_token_signed_with_another_secret_is_403() {
        let token = sign(&claims(), b"not the shared secret");
        assert_eq!(verify(&token, SECRET, NOW), Err(TokenError::BadSignature));
    }

    #[test]
    fn a_token_for_another_agent_is_403() {
        let token = sign(&claims(), SECRET);
        assert_eq!(
            verify_for(&token, SECRET, NOW, "B99999", "pat@agency.example"),
            Err(TokenError::WrongAgent)
        );
        assert_eq!(
            verify_for(&token, SECRET, NOW, "A12345", "someone@else.example"),
            Err(TokenError::WrongAgent)
        );
    }

    #[test]
    fn garbage_is_malformed_never_a_panic() {
        for token in [
            "x",
            "v1.",
            "v1..",
            "v2.a.b",
            "v1.!!!.???",
            "v1.YQ.YQ",
            &"a".repeat(5000),
        ] {
            assert!(verify(token, SECRET, NOW).is_err(), "{token}");
        }
    }
}
