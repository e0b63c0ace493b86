//! The confirmation after a forward (SPEC §7, 202): tracking ID, subject, the service times in
//! the agent's own time zone and the link to the request's status page; or, when the delivery
//! did not finish (503), the truth of it — the forward reached the mailbox and only the
//! confirmation email failed (`forwarded: true`), or the deployment's sweep finishes it
//! (`finishes_automatically: true`) — and a way to retry it.

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
            // Only a web address the edge signed: nothing else becomes a link.
            if let Some(url) = r.status_url.as_ref().filter(|u| u.starts_with("https://") || u.starts_with("http://")) {
                <p><a href={url.clone()}>{"Track this request"}</a>{": its status page shows where it stands and when the team answers."}</p>
            }
            if r.urgent {
                <p class="urgent-note">{"This request is flagged urgent. If the member needs care now, call Customer Service as well."}</p>
            }
            <button type="button" class="primary" onclick={on_next}>
                { if remaining > 0 { "Continue with the next request" } else { "Start a new request" } }
            </button>
        </section>
    }
}

/// The delivery did not finish. `forwarded`: the forward reached the mailbox and only the
/// confirmation email is missing; `finishing`: the deployment's sweep finishes the delivery
/// without the form. No invitation to send the request again: only to retry what is missing
/// (the same draft and key, so nothing is forwarded twice) or to go on.
pub fn delayed(
    tracking_id: &str,
    forwarded: bool,
    finishing: bool,
    on_retry: Callback<SubmitEvent>,
    on_next: Callback<MouseEvent>,
) -> Html {
    let text = match (finishing, forwarded) {
        (true, true) => notice::mail_unavailable_finishing(Some(tracking_id)),
        (true, false) => notice::recorded_finishing(tracking_id),
        (false, _) => notice::confirmation_delayed(tracking_id),
    };
    html! {
        <form class="result sent" novalidate=true onsubmit={on_retry} aria-labelledby="rsos-result-heading">
            <h2 id="rsos-result-heading" tabindex="-1" data-focus-target="">
                { if forwarded { "Request reached the mailbox" } else { "Request recorded" } }</h2>
            <dl><dt>{"Tracking ID"}</dt><dd class="tracking-id">{tracking_id}</dd></dl>
            <p>{text}</p>
            <button type="submit" class="secondary">
                { if forwarded { "Send the confirmation again" } else { "Try sending it now" } }</button>{" "}
            <button type="button" class="primary" onclick={on_next}>{"Start a new request"}</button>
        </form>
    }
}
