//! The details form's component (build feature `details`): what the team asked for on a
//! tracked request (the specialist's note), just the fields `rsos_rules::ledger::details_fields`
//! names, and around them the request's status. Every check and message comes from
//! `rsos_rules::ledger` or the edge. Few elements on purpose: each costs download bytes.

use rsos_rules::ledger::details_fields;
use rsos_rules::Field;
use yew::prelude::*;

use super::app::{focus, AppProps};
use super::controls::{flag, text_field, TextFieldProps};
use crate::browser::{local_time, new_idempotency_key};
use crate::details::{self, DetailsAction, DetailsForm, DetailsPhase};
use crate::state::Action;
use crate::{events, submit};

#[function_component(DetailsApp)]
pub fn details_app(props: &AppProps) -> Html {
    let form = use_reducer(|| DetailsForm::new(props.options.clone(), new_idempotency_key()));
    let root = use_node_ref();
    {
        // Once mounted: the portal hears it, and the form loads what the team asked for.
        let host = props.host.clone();
        let form = form.clone();
        use_effect_with((), move |_| {
            events::ready(&host);
            details::load_status(&form, form.dispatcher());
        });
    }
    {
        let host = props.host.clone();
        let root = root.clone();
        let id = form.tracking_id.clone();
        let answered = form.status.is_some() || form.refused.is_some();
        use_effect_with((form.phase.clone(), answered), move |(phase, answered)| {
            if let DetailsPhase::Sent(_) = phase {
                events::details_sent(&host, &id);
            }
            // A result replaced the form: its heading takes the focus.
            if *answered {
                focus(&root, "[data-focus-target]");
            }
        });
    }
    {
        let root = root.clone();
        use_effect_with(form.focus_first_error, move |seq| {
            if *seq > 0 {
                focus(&root, "[aria-invalid=\"true\"]");
            }
        });
    }
    let on_edit = {
        let d = form.dispatcher();
        Callback::from(move |(field, value): (Field, String)| {
            d.dispatch(Action::Edit(field, value))
        })
    };
    let on_blur = {
        let d = form.dispatcher();
        Callback::from(move |field: Field| d.dispatch(Action::Blur(field)))
    };
    let on_submit = {
        let form = form.clone();
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            if form.busy() {
                return;
            }
            if !form.ready_to_send() {
                return form.dispatch(Action::ShowErrors);
            }
            let d = form.dispatcher();
            submit::send_details(
                form.request_url() + "/details",
                &form.options.details_token,
                &form.draft.key,
                &form.draft.request,
                details::answer,
                move |a| d.dispatch(a),
            );
        })
    };
    let status = match &form.phase {
        DetailsPhase::Sending => "Sending…".to_string(),
        DetailsPhase::Waiting(text) | DetailsPhase::Failed(text) => text.clone(),
        DetailsPhase::Sent(_) => "Details sent.".into(),
        DetailsPhase::Editing if form.show_all_errors && !form.errors.is_empty() => {
            let fields: Vec<&str> = form.errors.iter().map(|e| e.field.label()).collect();
            format!("To fix before sending: {}.", fields.join(", "))
        }
        DetailsPhase::Editing => String::new(),
    };
    html! {
        <div class="rsos-form" ref={root}>
            <h2 class="title">{"Agent Retail Service Ops. Support request"}</h2>
            <div role="status" aria-live="polite" aria-atomic="true" class="status">{status}</div>
            { body(&form, on_edit, on_blur, on_submit) }
        </div>
    }
}

fn body(
    form: &UseReducerHandle<DetailsForm>,
    on_edit: Callback<(Field, String)>,
    on_blur: Callback<Field>,
    on_submit: Callback<SubmitEvent>,
) -> Html {
    let id = &form.tracking_id;
    // Everything but the form is one result: a heading, a line, the status when there is one.
    let (heading, text, shown, retry) = match (&form.refused, &form.status, &form.phase) {
        (Some((sentence, retry)), ..) => (
            "This details link cannot be used",
            sentence.as_str(),
            None,
            *retry,
        ),
        (_, None, _) => return html! { <p aria-busy="true">{"Loading what the team needs…"}</p> },
        (_, Some(_), DetailsPhase::Sent(after)) => (
            "Details sent",
            "The team has your details.",
            Some(after),
            false,
        ),
        (_, Some(now), _) if now.asked.is_none() => (
            "Nothing is needed from you now",
            "The team is not waiting for details on this request.",
            Some(now),
            false,
        ),
        (_, Some(now), _) => {
            let asked = now.asked.as_deref().unwrap_or_default();
            let busy = form.busy();
            return html! {
                <form novalidate=true onsubmit={on_submit} aria-busy={flag(busy)}>
                    <fieldset disabled={busy}>
                        <legend>{format!("What the team needs for request {id}")}</legend>
                        if !asked.is_empty() {
                            <p>{format!(
                                "Fill in again: {}. The member's names rebuild the subject line the mailbox files it under.",
                                asked.iter().map(|f| f.label()).collect::<Vec<_>>().join(", ")
                            )}</p>
                        }
                        if !now.note.is_empty() {
                            <p class="note">{format!("Note from the team: {}", now.note)}</p>
                        }
                        { for details_fields(asked).into_iter().map(|field| text_field(&TextFieldProps {
                            field,
                            required: true,
                            value: form.draft.request.text(field),
                            error: form.error_for(field),
                            on_edit: &on_edit,
                            on_blur: &on_blur,
                        })) }
                    </fieldset>
                    <button type="submit" class="primary" aria-disabled={flag(busy)}>
                        { if busy { "Sending…" } else { "Send details" } }
                    </button>
                </form>
            };
        }
    };
    let reload = {
        let form = form.clone();
        Callback::from(move |_| {
            form.dispatch(Action::Details(DetailsAction::Reload));
            details::load_status(&form, form.dispatcher());
        })
    };
    html! {
        <section class="result" data-done={flag(shown.is_some())} aria-labelledby="rsos-result-heading">
            <h2 id="rsos-result-heading" tabindex="-1" data-focus-target="">{heading}</h2>
            <p>{text}</p>
            if let Some(shown) = shown {
                <p>{format!(
                    "Tracking ID {id}. Status: {}. Response by {}.",
                    shown.state_label,
                    local_time(&shown.respond_by)
                )}</p>
            }
            if retry {
                <button type="button" class="secondary" onclick={reload}>{"Try again"}</button>
            }
        </section>
    }
}
