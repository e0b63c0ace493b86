//! Form events for the coaching insights (issue 12, `POST /api/events`): guidance shown
//! instead of the send button, and a mixed-lines draft split in two. Which event, for which
//! agent, under which Idempotency-Key and with which JSON members is `rsos_rules::insights::
//! FormEvent`'s to say; this sends it and forgets it (fetch `keepalive`): the answer is never
//! read, a failure changes nothing the agent sees, and no member data is ever in it.

use rsos_rules::insights::FormEvent;

use crate::browser::beacon;
use crate::state::Options;

/// Sends `event` for the draft `draft_key`, with the portal's embed token when it has one.
pub fn send(options: &Options, event: &FormEvent, draft_key: &str) {
    beacon(
        &options.events_url(),
        &event.idempotency_key(draft_key),
        &options.embed_token,
        &event.to_json(),
    );
}
