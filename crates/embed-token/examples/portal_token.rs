//! How a portal's server makes an embed token for the agent who is signed in.
//!
//! ```sh
//! RSOS_EMBED_SECRET='…' cargo run -p rsos-embed-token --example portal_token -- A12345 pat@agency.example
//! ```
//! Put the printed token on the tag: `<rsos-request-form embed-token="…">`. Make a new one
//! with every page the portal serves; they last 8 hours here.

use std::time::{SystemTime, UNIX_EPOCH};

use rsos_embed_token::{sign, Claims};

fn main() {
    let mut args = std::env::args().skip(1);
    let (Some(agent_san), Some(agent_email)) = (args.next(), args.next()) else {
        eprintln!("usage: portal_token <agent SAN> <agent email>  (secret in RSOS_EMBED_SECRET)");
        std::process::exit(2);
    };
    let Ok(secret) = std::env::var("RSOS_EMBED_SECRET") else {
        eprintln!(
            "portal_token: set RSOS_EMBED_SECRET to the secret shared with the edge function"
        );
        std::process::exit(2);
    };
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or_default();
    let claims = Claims {
        agent_san,
        agent_email,
        expires_at: now + 8 * 3600,
    };
    println!("{}", sign(&claims, secret.as_bytes()));
}
