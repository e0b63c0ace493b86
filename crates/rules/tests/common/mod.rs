//! A valid request to change one field at a time.
#![allow(dead_code)]

use rsos_rules::{assess, ErrorCode, Field, Request, Ruleset, Verdict, WarningCode};

pub fn valid() -> Request {
    Request {
        line_of_business: "medicare".into(),
        topic: "claims".into(),
        agent_name: "Pat Agent".into(),
        agent_san: "A12345".into(),
        agent_email: "pat.agent@agency.example".into(),
        member_id: "H1234-5678".into(),
        member_first_name: "John".into(),
        member_last_name: "Smith".into(),
        reference_number: String::new(),
        summary: "Claim for the March 3 office visit was denied as out of network.".into(),
        confirm_single_line_of_business: false,
    }
}

pub fn verdict_of(request: &Request) -> Verdict {
    assess(request, Ruleset::builtin()).verdict
}

pub fn with(field: Field, value: &str) -> Verdict {
    let mut request = valid();
    if let Some(slot) = request.text_mut(field) {
        *slot = value.to_string();
    }
    verdict_of(&request)
}

pub fn code_for(field: Field, value: &str) -> Option<ErrorCode> {
    with(field, value).error_for(field).map(|e| e.code)
}

pub fn summary(text: &str) -> Verdict {
    with(Field::Summary, text)
}

pub fn warning_codes(v: &Verdict) -> Vec<WarningCode> {
    v.warnings.iter().map(|w| w.code).collect()
}
