//! One labelled control per request field: its hint, its error (linked with
//! `aria-describedby`, the error first) and the input, select or textarea. What kind of
//! control, whether it is required, its autocomplete token and its hint all come from
//! `rsos-rules` (`Field`, `Ruleset::hint`).

use rsos_rules::{Field, InputKind, Ruleset};
use wasm_bindgen::JsValue;
use yew::prelude::*;

pub struct TextFieldProps<'a> {
    pub field: Field,
    /// `Field::is_required`, or every field of the details form.
    pub required: bool,
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
    let required = p.required;
    let oninput = {
        let on_edit = p.on_edit.clone();
        Callback::from(move |e: InputEvent| on_edit.emit((field, event_value(&e))))
    };
    let onblur = {
        let on_blur = p.on_blur.clone();
        Callback::from(move |_: FocusEvent| on_blur.emit(field))
    };
    let invalid = flag(p.error.is_some());
    let input = match field.input() {
        InputKind::MultiLine => html! {
            <textarea id={id.clone()} name={field.as_str()} rows="6" value={p.value.to_string()}
                required={required} aria-required={flag(required)} aria-invalid={invalid}
                aria-describedby={described} {oninput} {onblur} />
        },
        kind => html! {
            <input id={id.clone()} name={field.as_str()}
                type={if kind == InputKind::Email { "email" } else { "text" }}
                autocomplete={field.autocomplete()} value={p.value.to_string()} spellcheck="false"
                required={required} aria-required={flag(required)} aria-invalid={invalid}
                aria-describedby={described} {oninput} {onblur} />
        },
    };
    html! {
        <div class="field">
            <label for={id.clone()}>{field.label()}
                if !required { <span class="optional">{" (optional)"}</span> }
            </label>
            <p class="hint" id={hint_id}>{Ruleset::builtin().hint(field)}</p>
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
        <div class="field">
            <label for={id.clone()}>{field.label()}</label>
            <p class="hint" id={hint_id}>{Ruleset::builtin().hint(field)}</p>
            if let Some(error) = &p.error {
                <p class="error-text" id={error_id}><span class="icon" aria-hidden="true">{"⚠ "}</span>{error}</p>
            }
            <select id={id} name={field.as_str()} required={field.is_required()}
                aria-required={flag(field.is_required())}
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
pub fn flag(on: bool) -> &'static str {
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
