//! The confirmation after a forward (SPEC §7, 202): tracking ID, subject and the service
//! times in the agent's own time zone; or, when the forward reached the mailbox and only the
//! confirmation email failed (503, `forwarded: true`), that truth and a way to retry it.

use rsos_rules::notice;
use yew::prelude::*;

use crate::browser::local_time;
use crate::state::Receipt;

pub fn confirmation(r: &Receipt, remaining: usize, on_next: Callback<MouseEvent>) -> Html {
    html! {
        <section class="result sent" aria-labelledby="rsos-result-heading">
            <h2 id="rsos-result-heading" tabindex="-1" data-focus-target="">{"Request sent"}</h2>
            <dl>
                <dt>{"Tracking ID"}</dt><dd class="tracking-id">{&r.tracking_id}</dd>
                <dt>{"Subject"}</dt><dd>{&r.subject}</dd>
                <dt>{"Received"}</dt><dd><time datetime={r.received_at.clone()}>{local_time(&r.received_at)}</time></dd>
                <dt>{"Response by"}</dt><dd><time datetime={r.respond_by.clone()}>{local_time(&r.respond_by)}</time></dd>
                <dt>{"Next update by"}</dt><dd><time datetime={r.next_follow_up.clone()}>{local_time(&r.next_follow_up)}</time></dd>
            </dl>
            <p>{"A confirmation was emailed to you. Keep the tracking ID and do not change the subject line of replies."}</p>
            if r.urgent {
                <p class="urgent-note">{"This request is flagged urgent. If the member needs care now, call Customer Service as well."}</p>
            }
            <button type="button" class="primary" onclick={on_next}>
                { if remaining > 0 { "Continue with the next request" } else { "Start a new request" } }
            </button>
        </section>
    }
}

/// The forward reached the mailbox; the confirmation email did not go out. No invitation to
/// send the request again: only to retry the confirmation (the same draft and key, so nothing
/// is forwarded twice) or to go on.
pub fn delayed(
    tracking_id: &str,
    on_retry: Callback<SubmitEvent>,
    on_next: Callback<MouseEvent>,
) -> Html {
    html! {
        <form class="result sent" novalidate=true onsubmit={on_retry} aria-labelledby="rsos-result-heading">
            <h2 id="rsos-result-heading" tabindex="-1" data-focus-target="">{"Request reached the mailbox"}</h2>
            <dl><dt>{"Tracking ID"}</dt><dd class="tracking-id">{tracking_id}</dd></dl>
            <p>{notice::confirmation_delayed(tracking_id)}</p>
            <button type="submit" class="secondary">{"Send the confirmation again"}</button>{" "}
            <button type="button" class="primary" onclick={on_next}>{"Start a new request"}</button>
        </form>
    }
}
