//! The request form itself: the drafts switcher, the three fieldsets, and around them what
//! the verdict says (urgent banner, hints, mixed lines, subject, out-of-scope guidance).

use rsos_rules::{Field, Outcome, Ruleset, WarningCode};
use yew::prelude::*;

use super::controls::{choice, flag, text_field, ChoiceProps, TextFieldProps};
use super::verdict::{guidance, mixed_lines, subject_preview, urgent_banner};
use crate::state::{Action, FormState, Phase};

pub fn form_view(
    state: &UseReducerHandle<FormState>,
    on_edit: Callback<(Field, String)>,
    on_blur: Callback<Field>,
    on_submit: Callback<SubmitEvent>,
) -> Html {
    let ruleset = Ruleset::builtin();
    let draft = state.draft();
    let verdict = &state.verdict;
    let busy = state.busy();
    let sendable = verdict.outcome == Outcome::Forward;
    let text = |field: Field| {
        html! {
            { text_field(&TextFieldProps {
                field,
                required: field.is_required(),
                value: draft.request.text(field),
                error: state.error_for(field),
                on_edit: &on_edit, on_blur: &on_blur,
            }) }
        }
    };
    let plans: Vec<(String, String)> = ruleset
        .lines_of_business()
        .iter()
        .map(|l| (l.code.clone(), l.label.clone()))
        .collect();
    let topics: Vec<(String, String)> = ruleset
        .topics()
        .iter()
        .map(|t| (t.code.clone(), t.label.clone()))
        .collect();
    let warnings = |code: WarningCode| {
        verdict
            .warnings
            .iter()
            .filter(move |w| w.code == code)
            .map(|w| w.message.clone())
    };
    let mixed: Vec<String> = warnings(WarningCode::MixedLinesOfBusiness).collect();
    let hints: Vec<String> = warnings(WarningCode::PossibleOutOfScope).collect();

    html! {
        <form novalidate=true onsubmit={on_submit} aria-busy={flag(busy)}>
            { drafts_nav(state) }
            if let Some(banner) = rsos_rules::urgent_banner(verdict) {
                { urgent_banner(&banner) }
            }
            <fieldset disabled={busy}>
                <legend>{"The request"}</legend>
                { choice(&ChoiceProps {
                    field: Field::LineOfBusiness, options: &plans,
                    value: &draft.request.line_of_business,
                    error: state.error_for(Field::LineOfBusiness),
                    on_edit: &on_edit, on_blur: &on_blur,
                }) }
                { choice(&ChoiceProps {
                    field: Field::Topic, options: &topics,
                    value: &draft.request.topic,
                    error: state.error_for(Field::Topic),
                    on_edit: &on_edit, on_blur: &on_blur,
                }) }
            </fieldset>
            <fieldset disabled={busy}>
                <legend>{"You, the agent"}</legend>
                { for [Field::AgentName, Field::AgentSan, Field::AgentEmail].map(&text) }
            </fieldset>
            <fieldset disabled={busy}>
                <legend>{"The member"}</legend>
                { for [
                    Field::MemberId,
                    Field::MemberFirstName,
                    Field::MemberLastName,
                    Field::ReferenceNumber,
                    Field::Summary,
                ].map(&text) }
            </fieldset>
            if !hints.is_empty() {
                <div class="note" role="note">
                    <h3>{"Is this the right place?"}</h3>
                    { for hints.iter().map(|m| html! { <p>{m}</p> }) }
                </div>
            }
            if !mixed.is_empty() || draft.request.confirm_single_line_of_business {
                { mixed_lines(&mixed, state) }
            }
            { subject_preview(verdict.subject.as_deref()) }
            if let Some(oos) = &verdict.out_of_scope {
                <section class="result oos" aria-labelledby="rsos-oos-heading">
                    <h3 id="rsos-oos-heading">{"This mailbox cannot take this request"}</h3>
                    { guidance(oos) }
                </section>
            } else {
                // The honeypot, for deployments without embed tokens: people never see it (off
                // screen, out of the tab order, hidden from assistive technology). Its name and
                // label match no autofill heuristic and password managers are told to skip it;
                // if autofill fills it anyway, the edge answers 400 `trap` and sends nothing,
                // and the form clears it (app.rs) so the agent can send again. Raw markup: the
                // password managers' attribute names (`data-1p-ignore`) are not Rust tokens.
                { Html::from_html_unchecked(TRAP.into()) }
                <div class="actions">
                    // aria-disabled, not disabled: a disabled button drops the keyboard focus
                    // while the request is in flight; the submit handler ignores presses.
                    <button type="submit" class="primary" aria-disabled={flag(busy)}>
                        { if busy { "Sending…" } else { "Send request" } }
                    </button>
                    // What the agent can tell the member before sending (promise.rs).
                    if let Some(line) = state.promise.as_ref().filter(|_| sendable && !busy && crate::promise::holds()) {
                        <p>{line}</p>
                    }
                    if matches!(state.phase, Phase::Failed { .. }) {
                        <p class="error-text">{"Sending failed. Press Send request to try again with the same draft."}</p>
                    }
                </div>
            }
        </form>
    }
}

/// The hidden field; `TRAP_SELECTOR` (app.rs) finds it.
const TRAP: &str = concat!(
    r#"<div class="trap" aria-hidden="true"><label for="rsos-leave-empty">Leave this field empty</label>"#,
    r#"<input id="rsos-leave-empty" name="rsos_leave_empty" type="text" tabindex="-1" autocomplete="off" "#,
    r#"data-1p-ignore data-lpignore="true" data-bwignore data-form-type="other"></div>"#,
);

fn drafts_nav(state: &UseReducerHandle<FormState>) -> Html {
    if state.drafts.len() < 2 {
        return html! {};
    }
    let ruleset = Ruleset::builtin();
    let n = state.drafts.len();
    html! {
        <nav class="drafts" aria-label="Drafts">
            <p>{format!("{n} requests to send, one per plan. Send each one:")}</p>
            <ul>
            { for state.drafts.iter().enumerate().map(|(i, d)| {
                let plan = ruleset.line_of_business(&d.request.line_of_business)
                    .map(|l| l.label.clone()).unwrap_or_else(|| "No plan chosen".into());
                let d2 = state.dispatcher();
                let current = i == state.active;
                html! { <li><button type="button" class="tab"
                    aria-current={current.then_some("true")}
                    onclick={Callback::from(move |_| d2.dispatch(Action::SwitchDraft(i)))}>
                    {format!("Request {} of {n}: {plan}", i + 1)}</button></li> }
            }) }
            </ul>
        </nav>
    }
}
