//! The DOM events the portal hears on the element it placed (bubbling, composed):
//! `rsos-ready`; `rsos-submitted` with the receipt (`trackingId`, `subject`, `receivedAt`,
//! `respondBy`, `nextFollowUp`, `urgent`, `statusUrl`); `rsos-out-of-scope` with `category`,
//! `contact`, `guidance`; `rsos-details-sent` with `trackingId`.

use rsos_rules::OutOfScope;
use wasm_bindgen::JsValue;

use crate::browser::{emit, object};
use crate::state::Receipt;

/// The form is mounted and can be typed in.
pub fn ready(host: &web_sys::Element) {
    emit(host, "rsos-ready", &JsValue::NULL);
}

/// The edge function forwarded the request.
pub fn submitted(host: &web_sys::Element, receipt: &Receipt) {
    emit(host, "rsos-submitted", &receipt_detail(receipt));
}

#[cfg(feature = "details")]
/// The details form's details reached the team.
pub fn details_sent(host: &web_sys::Element, tracking_id: &str) {
    emit(
        host,
        "rsos-details-sent",
        &object(&[("trackingId", JsValue::from_str(tracking_id))]),
    );
}

/// The rules (in the form or at the edge) found the request out of scope.
pub fn out_of_scope(host: &web_sys::Element, oos: &OutOfScope) {
    emit(host, "rsos-out-of-scope", &out_of_scope_detail(oos));
}

fn receipt_detail(r: &Receipt) -> JsValue {
    object(&[
        ("trackingId", JsValue::from_str(&r.tracking_id)),
        ("subject", JsValue::from_str(&r.subject)),
        ("receivedAt", JsValue::from_str(&r.received_at)),
        ("respondBy", JsValue::from_str(&r.respond_by)),
        ("nextFollowUp", JsValue::from_str(&r.next_follow_up)),
        ("urgent", JsValue::from_bool(r.urgent)),
        (
            "statusUrl",
            r.status_url
                .as_deref()
                .map(JsValue::from_str)
                .unwrap_or(JsValue::NULL),
        ),
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
