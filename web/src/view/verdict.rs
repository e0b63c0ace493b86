//! What the verdict says beside the fields: the urgent banner with the call-center number,
//! the one-plan-per-request check with the split offer, the subject preview and out-of-scope
//! guidance. Every message comes from `rsos_rules::assess`.

use rsos_rules::insights::FormEvent;
use rsos_rules::{Field, OutOfScope, Ruleset, UrgentBanner};
use wasm_bindgen::JsValue;
use yew::prelude::*;

use super::controls::flag;
use crate::beacons;
use crate::browser::new_idempotency_key;
use crate::state::{Action, FormState};

/// The banner `rsos_rules::urgent_banner` made: heading, what to do, the call link.
pub fn urgent_banner(banner: &UrgentBanner) -> Html {
    html! {
        <section class="urgent" aria-labelledby="rsos-urgent-heading">
            <h3 id="rsos-urgent-heading">{banner.heading}</h3>
            <p class="call">{banner.text}
                if let Some(call) = &banner.call {
                    {" "}<a href={call.uri.clone()}>{&call.label}</a>
                }
            </p>
            { for banner.messages.iter().map(|m| html! { <p>{m}</p> }) }
        </section>
    }
}

pub fn mixed_lines(messages: &[String], state: &UseReducerHandle<FormState>) -> Html {
    let draft = state.draft();
    let field = Field::ConfirmSingleLineOfBusiness;
    let id = format!("rsos-{}", field.as_str());
    let error = state.error_for(field).map(str::to_string);
    let error_id = format!("{id}-error");
    let onchange = {
        let d = state.dispatcher();
        Callback::from(move |e: Event| {
            let on = e
                .target()
                .and_then(|t| js_sys::Reflect::get(&t, &JsValue::from_str("checked")).ok())
                .and_then(|v| v.as_bool())
                .unwrap_or(false);
            d.dispatch(Action::SetConfirm(on))
        })
    };
    // The other plan the agent can split into: the one the rules found in the summary.
    let other_plan = state.mixed_with.as_ref().and_then(|code| {
        Ruleset::builtin()
            .line_of_business(code)
            .map(|l| (l.code.clone(), l.label.clone()))
    });
    let on_split = other_plan.clone().map(|(code, _)| {
        let d = state.dispatcher();
        // One `split` event per split (keyed by the new draft), while the SAN passes its rule.
        let event = FormEvent::split(&state.verdict, &draft.request.agent_san);
        let options = state.options.clone();
        Callback::from(move |_: MouseEvent| {
            let key = new_idempotency_key();
            if let Some(event) = &event {
                beacons::send(&options, event, &key);
            }
            d.dispatch(Action::Split {
                other_plan: code.clone(),
                key,
            })
        })
    });
    html! {
        <section class="mixed" aria-labelledby="rsos-mixed-heading">
            <h3 id="rsos-mixed-heading">{"One plan per request"}</h3>
            { for messages.iter().map(|m| html! { <p>{m}</p> }) }
            <div class="check">
                if let Some(message) = &error {
                    <p class="error-text" id={error_id.clone()}><span class="icon" aria-hidden="true">{"⚠ "}</span>{message}</p>
                }
                <input type="checkbox" id={id.clone()} name={field.as_str()}
                    checked={draft.request.confirm_single_line_of_business}
                    aria-invalid={flag(error.is_some())}
                    aria-describedby={error.as_ref().map(|_| error_id.clone())} {onchange} />
                <label for={id}>{Ruleset::builtin().hint(field)}</label>
            </div>
            if let (Some(on_split), Some((_, label)), false) = (on_split, other_plan, messages.is_empty()) {
                <button type="button" class="secondary" onclick={on_split}>
                    {format!("Split into two requests: keep this one, add one for {label}")}</button>
                <p class="hint">{"Splitting keeps everything you typed in both requests; then remove from each summary what belongs to the other plan."}</p>
            }
        </section>
    }
}

pub fn subject_preview(subject: Option<&str>) -> Html {
    html! {
        <div class="subject">
            <h3 id="rsos-subject-heading">{"Subject line the mailbox will get"}</h3>
            <output aria-labelledby="rsos-subject-heading">
                { match subject {
                    Some(s) => html! { <strong>{s}</strong> },
                    None => html! { <em>{"Appears once the plan and the member's names are filled in."}</em> },
                } }
            </output>
        </div>
    }
}

pub fn guidance(oos: &OutOfScope) -> Html {
    html! {
        <>
            <p class="guidance">{&oos.guidance}</p>
            if let Some(contact) = &oos.contact {
                <p>{"Contact: "}<a href={format!("mailto:{contact}")}>{contact}</a></p>
            }
        </>
    }
}
