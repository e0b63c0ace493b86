//! The request as a JS object with SPEC §1's wire names: the one encoding the form hands to
//! JS, for the POST body (`JSON.stringify` of it) and for the drafts in `sessionStorage`, and
//! the one decoding back. The fields go exactly as typed; the server normalises them and
//! rebuilds the subject itself.

use rsos_rules::{Field, Request};
use wasm_bindgen::JsValue;

use crate::browser::{get, get_str, object};

/// `{"line_of_business": "…", …, "confirm_single_line_of_business": false}`, in SPEC §1
/// order, plus `extra` entries (the draft's key in storage).
pub fn to_object(request: &Request, extra: &[(&str, JsValue)]) -> JsValue {
    let mut entries: Vec<(&str, JsValue)> = Field::ALL
        .iter()
        .map(|&field| {
            let value = match field {
                Field::ConfirmSingleLineOfBusiness => {
                    JsValue::from_bool(request.confirm_single_line_of_business)
                }
                _ => JsValue::from_str(request.text(field)),
            };
            (field.as_str(), value)
        })
        .collect();
    entries.extend(extra.iter().cloned());
    object(&entries)
}

/// The request's JSON text, as the edge function reads it.
pub fn to_json(request: &Request) -> String {
    js_sys::JSON::stringify(&to_object(request, &[]))
        .map(String::from)
        .unwrap_or_default()
}

/// A request from such an object: a missing or non-string field reads as empty, a missing
/// confirmation as `false` (what the edge function reads for a missing field, too).
pub fn from_object(value: &JsValue) -> Request {
    let mut request = Request::default();
    for field in Field::ALL {
        if let (Some(text), Some(typed)) = (request.text_mut(field), get_str(value, field.as_str()))
        {
            *text = typed;
        }
    }
    request.confirm_single_line_of_business =
        get(value, Field::ConfirmSingleLineOfBusiness.as_str()).as_bool() == Some(true);
    request
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasm_bindgen_test::wasm_bindgen_test;

    fn typed() -> Request {
        Request {
            line_of_business: "medicare".into(),
            topic: "claims".into(),
            agent_name: " Pat  Agent ".into(),
            agent_san: "A12345".into(),
            agent_email: "pat@agency.example".into(),
            member_id: "H1234-5678".into(),
            member_first_name: "Zoë".into(),
            member_last_name: "O’Brien".into(),
            reference_number: String::new(),
            summary: "Line one\r\n\tline \"two\"".into(),
            confirm_single_line_of_business: true,
        }
    }

    #[wasm_bindgen_test]
    fn the_post_body_is_what_the_rules_crate_parses_back_to_the_same_request() {
        let request = typed();
        let parsed = Request::from_json(to_json(&request).as_bytes()).unwrap_or_default();
        assert_eq!(parsed, request);
    }

    #[wasm_bindgen_test]
    fn the_post_body_has_every_field_in_spec_order_and_nothing_else() {
        let body: serde_json::Value = serde_json::from_str(&to_json(&typed())).unwrap_or_default();
        let names: Vec<&str> = body
            .as_object()
            .map(|o| o.keys().map(String::as_str).collect())
            .unwrap_or_default();
        assert_eq!(names, Field::ALL.map(Field::as_str));
    }

    #[wasm_bindgen_test]
    fn a_stored_draft_decodes_to_the_request_it_was_made_from() {
        let request = typed();
        let stored = to_object(&request, &[("key", JsValue::from_str("k-1"))]);
        assert_eq!(from_object(&stored), request);
        assert_eq!(get_str(&stored, "key").as_deref(), Some("k-1"));
    }
}
