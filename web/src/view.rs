//! The form's view: one component (`App`, which holds the state) and plain functions that
//! render its parts; function components of their own cost the form ~5 KB gzip of props
//! machinery for memoisation it does not need (a verdict takes ~1 ms).
//! Nothing here judges a request; every message comes from `rsos_rules::assess` or the
//! server.

use rsos_rules::{Field, OutOfScope, Outcome, Ruleset, WarningCode};
use wasm_bindgen::JsValue;
use yew::prelude::*;

use crate::browser::{emit, local_time, new_idempotency_key, object};
use crate::state::{Action, FormState, Options, Phase, Receipt};
use crate::{storage, submit};

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
        use_effect_with((), move |_| emit(&host, "rsos-ready", &JsValue::NULL));
    }
    {
        let s = state.clone();
        use_effect_with((state.drafts.clone(), state.active), move |_| {
            storage::save(&s.drafts, s.active, &s.options);
        });
    }
    {
        // The portal hears about out-of-scope outcomes once per change, not per keystroke.
        let host = props.host.clone();
        use_effect_with(state.verdict.out_of_scope.clone(), move |oos| {
            if let Some(oos) = oos {
                emit(&host, "rsos-out-of-scope", &out_of_scope_detail(oos));
            }
        });
    }
    {
        let host = props.host.clone();
        let form_ref = form_ref.clone();
        use_effect_with(state.phase.clone(), move |phase| {
            if let Phase::Confirmed(receipt) = phase {
                emit(&host, "rsos-submitted", &receipt_detail(receipt));
            }
            if let Phase::ServerOutOfScope(oos) = phase {
                emit(&host, "rsos-out-of-scope", &out_of_scope_detail(oos));
            }
            // After a result the heading takes focus, so keyboard and screen-reader users
            // land on it instead of a control that vanished.
            if matches!(phase, Phase::Confirmed(_) | Phase::ServerOutOfScope(_)) {
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
            let endpoint = state.options.endpoint.clone();
            let token = state.options.embed_token.clone();
            let trap = trap_value(&form_ref);
            let draft = state.draft().clone();
            wasm_bindgen_futures::spawn_local(async move {
                submit::send(&endpoint, &token, &trap, &draft.key, &draft.request, |a| {
                    dispatcher.dispatch(a)
                })
                .await;
            });
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
    Callback::from(move |_| d.dispatch(Action::NewRequest))
}

/// The honeypot field: people never see it, so anything in it was typed by a bot.
fn trap_value(form_ref: &NodeRef) -> String {
    form_ref
        .cast::<web_sys::Element>()
        .and_then(|root| root.query_selector(TRAP_SELECTOR).ok().flatten())
        .and_then(|el| wasm_bindgen::JsCast::dyn_into::<web_sys::HtmlInputElement>(el).ok())
        .map(|input| input.value())
        .unwrap_or_default()
}

const TRAP_SELECTOR: &str = "input[name=\"rsos_website\"]";

fn focus(form_ref: &NodeRef, selector: &str) {
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
        Phase::Retrying { attempt, seconds } => format!(
            "No answer from the server. Trying again in {seconds} s (attempt {attempt} of {}); your draft is kept.",
            submit::MAX_ATTEMPTS
        ),
        Phase::Failed { message } => message.clone(),
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

fn form_view(
    state: &UseReducerHandle<FormState>,
    on_edit: Callback<(Field, String)>,
    on_blur: Callback<Field>,
    on_submit: Callback<SubmitEvent>,
) -> Html {
    let ruleset = Ruleset::builtin();
    let draft = state.draft();
    let verdict = &state.verdict;
    let busy = state.busy();
    let text = |field: Field, kind: Kind, autocomplete: &'static str, hint: String| {
        html! {
            { text_field(&TextFieldProps {
                field, kind, autocomplete, hint,
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
    let limit = |f: Field| ruleset.limit(f);
    let warnings = |code: WarningCode| {
        verdict
            .warnings
            .iter()
            .filter(move |w| w.code == code)
            .map(|w| w.message.clone())
    };
    let mixed: Vec<String> = warnings(WarningCode::MixedLinesOfBusiness).collect();
    let hints: Vec<String> = warnings(WarningCode::PossibleOutOfScope).collect();
    let urgent_words: Vec<String> = warnings(WarningCode::Urgent).collect();

    html! {
        <form novalidate=true onsubmit={on_submit} aria-busy={flag(busy)}>
            { drafts_nav(state) }
            if verdict.urgent {
                { urgent_banner(verdict.call_center.as_deref(), &urgent_words) }
            }
            <fieldset disabled={busy}>
                <legend>{"The request"}</legend>
                { choice(&ChoiceProps {
                    field: Field::LineOfBusiness, options: &plans,
                    value: &draft.request.line_of_business,
                    error: state.error_for(Field::LineOfBusiness),
                    on_edit: &on_edit, on_blur: &on_blur,
                    hint: "The member's plan: one plan per request.",
                }) }
                { choice(&ChoiceProps {
                    field: Field::Topic, options: &topics,
                    value: &draft.request.topic,
                    error: state.error_for(Field::Topic),
                    on_edit: &on_edit, on_blur: &on_blur,
                    hint: "What the member's issue is about.",
                }) }
            </fieldset>
            <fieldset disabled={busy}>
                <legend>{"You, the agent"}</legend>
                { text(Field::AgentName, Kind::Line, "name", format!("Up to {} characters.", limit(Field::AgentName).max)) }
                { text(Field::AgentSan, Kind::Line, "off", format!("Letters and digits, up to {}.", limit(Field::AgentSan).max)) }
                { text(Field::AgentEmail, Kind::Email, "email", "The acknowledgement and updates go here.".to_string()) }
            </fieldset>
            <fieldset disabled={busy}>
                <legend>{"The member"}</legend>
                { text(Field::MemberId, Kind::Line, "off", format!("{}–{} letters, digits or hyphens.", limit(Field::MemberId).min, limit(Field::MemberId).max)) }
                { text(Field::MemberFirstName, Kind::Line, "off", "As on the member's ID card; no commas or brackets.".to_string()) }
                { text(Field::MemberLastName, Kind::Line, "off", "As on the member's ID card; no commas or brackets.".to_string()) }
                { text(Field::ReferenceNumber, Kind::Line, "off", "Optional: a call or case reference, if you have one.".to_string()) }
                { text(Field::Summary, Kind::Multi, "off", format!("{}–{} characters: what happened, what you need.", limit(Field::Summary).min, limit(Field::Summary).max)) }
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
                // The honeypot (for deployments without embed tokens): off screen, out of the
                // tab order and hidden from assistive technology.
                <div class="trap" aria-hidden="true">
                    <label for="rsos-website">{"Leave this field empty"}</label>
                    <input id="rsos-website" name="rsos_website" type="text" tabindex="-1"
                        autocomplete="off" />
                </div>
                <div class="actions">
                    // aria-disabled, not disabled: a disabled button drops the keyboard focus
                    // while the request is in flight; the submit handler ignores presses.
                    <button type="submit" class="primary" aria-disabled={flag(busy)}>
                        { if busy { "Sending…" } else { "Send request" } }
                    </button>
                    if matches!(state.phase, Phase::Failed { .. }) {
                        <p class="error-text">{"Sending failed. Press Send request to try again with the same draft."}</p>
                    }
                </div>
            }
        </form>
    }
}

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
                html! { <li><button type="button" class={if current { "tab current" } else { "tab" }}
                    aria-current={current.then_some("true")}
                    onclick={Callback::from(move |_| d2.dispatch(Action::SwitchDraft(i)))}>
                    {format!("Request {} of {n}: {plan}", i + 1)}</button></li> }
            }) }
            </ul>
        </nav>
    }
}

#[derive(Clone, Copy, PartialEq)]
pub enum Kind {
    Line,
    Email,
    Multi,
}

pub struct TextFieldProps<'a> {
    pub field: Field,
    pub kind: Kind,
    pub autocomplete: &'static str,
    pub hint: String,
    pub value: &'a str,
    pub error: Option<&'a str>,
    pub on_edit: &'a Callback<(Field, String)>,
    pub on_blur: &'a Callback<Field>,
}

/// The element IDs of one field and what its control is described by (the error first, so
/// screen readers say what to fix before the hint).
struct FieldIds {
    id: String,
    hint_id: String,
    error_id: String,
    described: String,
}

impl FieldIds {
    fn of(field: Field, has_error: bool) -> FieldIds {
        let id = format!("rsos-{}", field.as_str());
        let hint_id = format!("{id}-hint");
        let error_id = format!("{id}-error");
        let described = if has_error {
            format!("{error_id} {hint_id}")
        } else {
            hint_id.clone()
        };
        FieldIds {
            id,
            hint_id,
            error_id,
            described,
        }
    }
}

pub fn text_field(p: &TextFieldProps) -> Html {
    let field = p.field;
    let FieldIds {
        id,
        hint_id,
        error_id,
        described,
    } = FieldIds::of(field, p.error.is_some());
    let required = field != Field::ReferenceNumber;
    let oninput = {
        let on_edit = p.on_edit.clone();
        Callback::from(move |e: InputEvent| on_edit.emit((field, event_value(&e))))
    };
    let onblur = {
        let on_blur = p.on_blur.clone();
        Callback::from(move |_: FocusEvent| on_blur.emit(field))
    };
    let invalid = flag(p.error.is_some());
    let input = match p.kind {
        Kind::Multi => html! {
            <textarea id={id.clone()} name={field.as_str()} rows="6" value={p.value.to_string()}
                required={required} aria-required={flag(required)} aria-invalid={invalid}
                aria-describedby={described} {oninput} {onblur} />
        },
        Kind::Line | Kind::Email => html! {
            <input id={id.clone()} name={field.as_str()}
                type={if p.kind == Kind::Email { "email" } else { "text" }}
                autocomplete={p.autocomplete} value={p.value.to_string()} spellcheck="false"
                required={required} aria-required={flag(required)} aria-invalid={invalid}
                aria-describedby={described} {oninput} {onblur} />
        },
    };
    html! {
        <div class={if p.error.is_some() { "field has-error" } else { "field" }}>
            <label for={id.clone()}>{field.label()}
                if !required { <span class="optional">{" (optional)"}</span> }
            </label>
            <p class="hint" id={hint_id}>{&p.hint}</p>
            if let Some(error) = &p.error {
                <p class="error-text" id={error_id}><span class="icon" aria-hidden="true">{"⚠ "}</span>{error}</p>
            }
            { input }
        </div>
    }
}

pub struct ChoiceProps<'a> {
    pub field: Field,
    pub options: &'a [(String, String)],
    pub value: &'a str,
    pub error: Option<&'a str>,
    pub hint: &'static str,
    pub on_edit: &'a Callback<(Field, String)>,
    pub on_blur: &'a Callback<Field>,
}

pub fn choice(p: &ChoiceProps) -> Html {
    let field = p.field;
    let FieldIds {
        id,
        hint_id,
        error_id,
        described,
    } = FieldIds::of(field, p.error.is_some());
    let onchange = {
        let on_edit = p.on_edit.clone();
        Callback::from(move |e: Event| on_edit.emit((field, event_value(&e))))
    };
    let onblur = {
        let on_blur = p.on_blur.clone();
        Callback::from(move |_: FocusEvent| on_blur.emit(field))
    };
    html! {
        <div class={if p.error.is_some() { "field has-error" } else { "field" }}>
            <label for={id.clone()}>{field.label()}</label>
            <p class="hint" id={hint_id}>{&p.hint}</p>
            if let Some(error) = &p.error {
                <p class="error-text" id={error_id}><span class="icon" aria-hidden="true">{"⚠ "}</span>{error}</p>
            }
            <select id={id} name={field.as_str()} required=true aria-required="true"
                aria-invalid={flag(p.error.is_some())} aria-describedby={described}
                {onchange} {onblur}>
                <option value="" selected={p.value.is_empty()}>{"Choose…"}</option>
                { for p.options.iter().map(|(code, label)| html! {
                    <option value={code.clone()} selected={*code == *p.value}>{label}</option>
                }) }
            </select>
        </div>
    }
}

/// ARIA's `"true"`/`"false"` as static text: `bool::to_string` brings formatting code.
fn flag(on: bool) -> &'static str {
    if on {
        "true"
    } else {
        "false"
    }
}

/// The `value` of the element an input event came from, read without per-type casts.
fn event_value(e: &Event) -> String {
    e.target()
        .and_then(|t| js_sys::Reflect::get(&t, &JsValue::from_str("value")).ok())
        .and_then(|v| v.as_string())
        .unwrap_or_default()
}

pub fn urgent_banner(call_center: Option<&str>, messages: &[String]) -> Html {
    html! {
        <section class="urgent" aria-labelledby="rsos-urgent-heading">
            <h3 id="rsos-urgent-heading">{"Urgent: call it in first"}</h3>
            if let Some(number) = call_center {
                <p class="call">{"Access to care and critical time-sensitive issues go to Customer Service now: "}
                    <a href={format!("tel:{}", tel_digits(number))}>{format!("call {number}")}</a></p>
            } else {
                <p class="call">{"Access to care and critical time-sensitive issues go to the plan's Customer Service now. Choose the plan to see its number."}</p>
            }
            { for messages.iter().map(|m| html! { <p>{m}</p> }) }
            if messages.is_empty() {
                <p>{"You can still send this request for follow-up."}</p>
            }
        </section>
    }
}

/// `tel:` URIs take digits; the ruleset writes numbers the way people read them.
fn tel_digits(number: &str) -> String {
    let digits: String = number.chars().filter(|c| c.is_ascii_digit()).collect();
    format!(
        "+{}",
        if digits.len() == 11 {
            digits
        } else {
            format!("1{digits}")
        }
    )
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
        Callback::from(move |_: MouseEvent| {
            d.dispatch(Action::Split {
                other_plan: code.clone(),
                key: new_idempotency_key(),
            })
        })
    });
    html! {
        <section class="mixed" aria-labelledby="rsos-mixed-heading">
            <h3 id="rsos-mixed-heading">{"One plan per request"}</h3>
            { for messages.iter().map(|m| html! { <p>{m}</p> }) }
            <div class={if error.is_some() { "check has-error" } else { "check" }}>
                if let Some(message) = &error {
                    <p class="error-text" id={error_id.clone()}><span class="icon" aria-hidden="true">{"⚠ "}</span>{message}</p>
                }
                <input type="checkbox" id={id.clone()} name={field.as_str()}
                    checked={draft.request.confirm_single_line_of_business}
                    aria-invalid={flag(error.is_some())}
                    aria-describedby={error.as_ref().map(|_| error_id.clone())} {onchange} />
                <label for={id}>{"This request is about one plan only"}</label>
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

fn receipt_detail(r: &Receipt) -> JsValue {
    object(&[
        ("trackingId", JsValue::from_str(&r.tracking_id)),
        ("subject", JsValue::from_str(&r.subject)),
        ("receivedAt", JsValue::from_str(&r.received_at)),
        ("respondBy", JsValue::from_str(&r.respond_by)),
        ("nextFollowUp", JsValue::from_str(&r.next_follow_up)),
        ("urgent", JsValue::from_bool(r.urgent)),
    ])
}

fn out_of_scope_detail(o: &OutOfScope) -> JsValue {
    object(&[
        ("category", JsValue::from_str(&o.category)),
        (
            "contact",
            o.contact
                .as_deref()
                .map(JsValue::from_str)
                .unwrap_or(JsValue::NULL),
        ),
        ("guidance", JsValue::from_str(&o.guidance)),
    ])
}
