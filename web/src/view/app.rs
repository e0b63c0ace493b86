//! The form's one component: it holds the state (`FormState` and its reducer), keeps the
//! drafts saved, tells the portal what happened, sends the coaching insights' form events,
//! moves the focus, and picks what to show: the form, the confirmation or the server's
//! out-of-scope answer.

use rsos_rules::insights::FormEvent;
use rsos_rules::{Field, Outcome};
use yew::prelude::*;

use super::form::form_view;
use super::receipt::{confirmation, delayed};
use super::verdict::guidance;
use crate::browser::{get_str, new_idempotency_key};
use crate::state::{Action, FormState, Options, Phase};
use crate::{beacons, events, promise, storage, submit};

#[derive(Properties, PartialEq, Clone)]
pub struct AppProps {
    /// The element the portal placed: DOM events for the portal are fired on it.
    pub host: web_sys::Element,
    pub options: Options,
}

#[function_component(App)]
pub fn app(props: &AppProps) -> Html {
    let state = use_reducer(|| {
        let (drafts, active) = storage::load();
        FormState::new(props.options.clone(), drafts, active, new_idempotency_key())
    });
    let form_ref = use_node_ref();

    {
        let dispatcher = state.dispatcher();
        use_effect_with(props.options.clone(), move |options| {
            dispatcher.dispatch(Action::OptionsChanged(options.clone()));
        });
    }
    {
        let host = props.host.clone();
        use_effect_with((), move |_| events::ready(&host));
    }
    {
        let s = state.clone();
        use_effect_with((state.drafts.clone(), state.active), move |_| {
            storage::save(&s.drafts, s.active, &s.options);
            // The same change may make the draft sendable: the line "If you send now: …"
            // is asked for then, and again as the agent types once it is old (promise.rs).
            if s.verdict.outcome == Outcome::Forward {
                let dispatcher = s.dispatcher();
                promise::refresh(&s.options, move |line| {
                    dispatcher.dispatch(Action::Promise(line))
                });
            }
        });
    }
    {
        // The portal hears about out-of-scope outcomes once per change and draft, not per
        // keystroke; so do the coaching insights (`guidance_shown`, while the SAN passes its
        // rule), under a key made of the draft's and the category, so a repeat counts once.
        let host = props.host.clone();
        let draft = state.draft();
        let event = FormEvent::guidance_shown(&state.verdict, &draft.request.agent_san);
        let options = state.options.clone();
        let shown = (state.verdict.out_of_scope.clone(), draft.key.clone());
        use_effect_with(shown, move |(oos, key)| {
            if let Some(oos) = oos {
                events::out_of_scope(&host, oos);
            }
            if let Some(event) = &event {
                beacons::send(&options, event, key);
            }
        });
    }
    {
        let host = props.host.clone();
        let form_ref = form_ref.clone();
        use_effect_with(state.phase.clone(), move |phase| {
            if let Phase::Confirmed(receipt) = phase {
                events::submitted(&host, receipt);
            }
            if let Phase::ServerOutOfScope(oos) = phase {
                events::out_of_scope(&host, oos);
            }
            // After a result the heading takes focus, so keyboard and screen-reader users
            // land on it instead of a control that vanished.
            if matches!(
                phase,
                Phase::Confirmed(_)
                    | Phase::ServerOutOfScope(_)
                    | Phase::ConfirmationDelayed { .. }
            ) {
                focus(&form_ref, "[data-focus-target]");
            }
            // Sending disabled the fields; put the agent back on the button to try again.
            if matches!(phase, Phase::Failed { .. }) {
                focus(&form_ref, "button[type=\"submit\"]");
            }
        });
    }
    {
        let form_ref = form_ref.clone();
        use_effect_with(state.focus_first_error, move |seq| {
            if *seq > 0 {
                focus(&form_ref, "[aria-invalid=\"true\"]");
            }
        });
    }

    let on_edit = {
        let d = state.dispatcher();
        Callback::from(move |(field, value): (Field, String)| {
            d.dispatch(Action::Edit(field, value))
        })
    };
    let on_blur = {
        let d = state.dispatcher();
        Callback::from(move |field: Field| d.dispatch(Action::Blur(field)))
    };
    let on_submit = {
        let state = state.clone();
        let form_ref = form_ref.clone();
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            if state.busy() {
                return;
            }
            if state.verdict.outcome != Outcome::Forward {
                state.dispatch(Action::ShowErrors);
                return;
            }
            let dispatcher = state.dispatcher();
            let draft = state.draft();
            let form_ref = form_ref.clone();
            submit::send(
                &state.options,
                &trap_value(&form_ref),
                &draft.key,
                &draft.request,
                move |a| {
                    if matches!(a, Action::TrapFilled { .. }) {
                        clear_trap(&form_ref);
                    }
                    dispatcher.dispatch(a)
                },
            );
        })
    };

    let body = match &state.phase {
        Phase::Confirmed(receipt) => confirmation(
            receipt,
            state
                .drafts
                .iter()
                .filter(|d| !d.is_pristine(&state.options))
                .count(),
            next_request(&state),
        ),
        Phase::ConfirmationDelayed {
            tracking_id,
            forwarded,
            finishing,
            ..
        } => delayed(
            tracking_id,
            *forwarded,
            *finishing,
            on_submit,
            next_request(&state),
        ),
        Phase::ServerOutOfScope(oos) => html! {
            <section class="result" aria-labelledby="rsos-result-heading">
                <h2 id="rsos-result-heading" tabindex="-1" data-focus-target="">
                    {"This request does not belong in this mailbox"}</h2>
                { guidance(oos) }
                <button type="button" class="secondary" onclick={next_request(&state)}>
                    {"Start a new request"}</button>
            </section>
        },
        _ => form_view(&state, on_edit, on_blur, on_submit),
    };

    html! {
        <div class="rsos-form" ref={form_ref}>
            <h2 class="title">{"Agent Retail Service Ops. Support request"}</h2>
            <div role="status" aria-live="polite" aria-atomic="true" class="status">
                { status_text(&state) }
            </div>
            { body }
        </div>
    }
}

fn next_request(state: &UseReducerHandle<FormState>) -> Callback<MouseEvent> {
    let d = state.dispatcher();
    Callback::from(move |_| {
        d.dispatch(Action::NewRequest {
            fresh_key: new_idempotency_key(),
        })
    })
}

/// The honeypot field (form.rs): people never see it, so anything in it was typed by a bot
/// or filled in by autofill.
fn trap_value(form_ref: &NodeRef) -> String {
    trap(form_ref)
        .and_then(|input| get_str(&input, "value"))
        .unwrap_or_default()
}

/// Empties the honeypot after the edge refused it filled, so the next Send goes through.
fn clear_trap(form_ref: &NodeRef) {
    if let Some(input) = trap(form_ref) {
        let _ = js_sys::Reflect::set(&input, &"value".into(), &"".into());
    }
}

fn trap(form_ref: &NodeRef) -> Option<wasm_bindgen::JsValue> {
    let root = form_ref.cast::<web_sys::Element>()?;
    root.query_selector(TRAP_SELECTOR)
        .ok()
        .flatten()
        .map(Into::into)
}

const TRAP_SELECTOR: &str = "input[name=\"rsos_leave_empty\"]";

/// Focuses the first element under `form_ref` that `selector` finds, if any.
pub(super) fn focus(form_ref: &NodeRef, selector: &str) {
    let target = form_ref
        .cast::<web_sys::Element>()
        .and_then(|root| root.query_selector(selector).ok().flatten())
        .and_then(|el| wasm_bindgen::JsCast::dyn_into::<web_sys::HtmlElement>(el).ok());
    if let Some(el) = target {
        let _ = el.focus();
    }
}

/// The one line the status region announces (WCAG 4.1.3).
fn status_text(state: &FormState) -> String {
    match &state.phase {
        Phase::Sending { attempt: 1 } => "Sending your request…".into(),
        Phase::Sending { attempt } => format!(
            "Sending your request (attempt {attempt} of {})…",
            submit::MAX_ATTEMPTS
        ),
        Phase::Retrying { status } | Phase::Failed { message: status } => status.clone(),
        Phase::ConfirmationDelayed {
            tracking_id,
            forwarded,
            ..
        } => format!(
            "Request {}. Tracking ID {tracking_id}.",
            if *forwarded {
                "reached the mailbox"
            } else {
                "recorded"
            }
        ),
        Phase::Confirmed(r) => format!("Request sent. Tracking ID {}.", r.tracking_id),
        Phase::ServerOutOfScope(_) => "This request was not sent to the mailbox.".into(),
        Phase::Editing if state.show_all_errors && !state.verdict.errors.is_empty() => {
            let n = state.verdict.errors.len();
            format!(
                "{n} {} to fix before sending: {}.",
                if n == 1 { "problem" } else { "problems" },
                state
                    .verdict
                    .errors
                    .iter()
                    .map(|e| e.field.label())
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        }
        Phase::Editing => String::new(),
    }
}
