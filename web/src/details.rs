//! The details form's state (build feature `details`, shipped as `rsos-form-details.js`): the
//! team asked the agent for more details about a forwarded request, through a link whose
//! token the portal puts on the element (`details-token`). One draft — the member's names,
//! the fields asked for, the details text in `summary` — checked as the agent types with
//! `rsos_rules::ledger::check_reply`, exactly as the edge checks the POST; never stored (it
//! holds member data). Its own reducer over the request form's [`Action`]s (typing, sending,
//! a 422) and [`DetailsAction`]s (the status loaded, the link refused, the details sent).

use std::rc::Rc;

use js_sys::Array;
use rsos_rules::ledger::{check_reply, DetailsReply};
use rsos_rules::{Field, FieldError, Ruleset};
use wasm_bindgen::prelude::*;
use yew::{Reducible, UseReducerDispatcher};

use crate::browser::{fetch_json, get, get_str, link_tracking_id};
use crate::state::{Action, Draft, Options};
use crate::submit::{self, Answer};

/// Where a tracked request stands, as `GET /api/requests/{tracking_id}` and the details' 202
/// answer it (`rsos_rules::ledger::Status`: the parts the form shows).
#[derive(Debug, Clone, PartialEq)]
pub struct RequestStatus {
    /// The state in the rules crate's words.
    pub state_label: String,
    /// RFC 3339.
    pub respond_by: String,
    /// The fields the team asked for (`needed.fields`); `None` when it is not waiting for
    /// details.
    pub asked: Option<Vec<Field>>,
    /// The specialist's note (`needed.note`).
    pub note: String,
}

impl RequestStatus {
    /// From the status JSON.
    pub fn of(json: &JsValue) -> RequestStatus {
        let needed = get(json, "needed");
        let fields = get(&needed, "fields");
        RequestStatus {
            state_label: get_str(json, "state_label").unwrap_or_default(),
            respond_by: get_str(json, "respond_by").unwrap_or_default(),
            // Read only as an array: `Array.from` of anything else would throw.
            asked: Array::is_array(&fields).then(|| {
                Array::from(&fields)
                    .iter()
                    .filter_map(|f| Field::from_name(&get_str(&f, "field")?))
                    .collect()
            }),
            note: get_str(&needed, "note").unwrap_or_default(),
        }
    }
}

pub enum DetailsAction {
    StatusLoaded(RequestStatus),
    /// The edge refused the link, or did not answer (`true`: trying again may help).
    LinkRefused(String, bool),
    /// Loading the status again after a refusal that trying again may help.
    Reload,
    /// The details reached the team (202): the request's status after them.
    Sent(RequestStatus),
}

#[derive(Debug, Clone, PartialEq)]
pub enum DetailsPhase {
    Editing,
    Sending,
    /// Waiting before the next automatic attempt, or stopped trying: what to tell the agent.
    Waiting(String),
    Failed(String),
    Sent(RequestStatus),
}

#[derive(Debug, Clone, PartialEq)]
pub struct DetailsForm {
    pub options: Options,
    /// The tracking ID the link names (read, not verified: the edge verifies the link).
    pub tracking_id: String,
    /// Loaded from the edge; `None` while loading or refused.
    pub status: Option<RequestStatus>,
    /// The edge's sentence when it refused the link, and whether trying again may help.
    pub refused: Option<(String, bool)>,
    /// The details being written, with the Idempotency-Key every attempt sends.
    pub draft: Draft,
    /// `check_reply`'s errors on the draft.
    pub errors: Vec<FieldError>,
    pub show_all_errors: bool,
    pub phase: DetailsPhase,
    /// Bumped when focus should move to the first field with an error.
    pub focus_first_error: u32,
}

impl DetailsForm {
    pub fn new(options: Options, key: String) -> DetailsForm {
        let mut form = DetailsForm {
            tracking_id: link_tracking_id(&options.details_token),
            options,
            status: None,
            refused: None,
            draft: Draft::new(&Options::default(), key),
            errors: Vec::new(),
            show_all_errors: false,
            phase: DetailsPhase::Editing,
            focus_first_error: 0,
        };
        form.recheck();
        form
    }

    /// What the team asked for, once loaded and while it waits for the agent.
    pub fn asked(&self) -> Option<&[Field]> {
        self.status.as_ref()?.asked.as_deref()
    }

    /// `GET` the status, `POST` to it + `/details`: `<endpoint>/<tracking ID>`. A link whose
    /// payload names nothing still goes to the edge, which says what is wrong with it.
    pub fn request_url(&self) -> String {
        let id = match self.tracking_id.as_str() {
            "" => "-",
            id => id,
        };
        // Unverified: the tracking ID must stay one path segment.
        let id = String::from(js_sys::encode_uri_component(id));
        format!("{}/{id}", self.options.endpoint.trim_end_matches('/'))
    }

    pub fn busy(&self) -> bool {
        matches!(self.phase, DetailsPhase::Sending | DetailsPhase::Waiting(_))
    }

    pub fn ready_to_send(&self) -> bool {
        self.asked().is_some() && self.errors.is_empty()
    }

    /// The message to show on a field: the server's word first, then the rules' once the
    /// agent has left the field or tried to send.
    pub fn error_for(&self, field: Field) -> Option<&str> {
        if let Some(e) = self.draft.server_errors.iter().find(|e| e.field == field) {
            return Some(&e.message);
        }
        if self.show_all_errors || self.draft.touched.contains(&field) {
            return self
                .errors
                .iter()
                .find(|e| e.field == field)
                .map(|e| e.message.as_str());
        }
        None
    }

    /// The edge reads the body as `DetailsReply::from_request` and checks it with
    /// `check_reply`: the form does the same as the agent types.
    fn recheck(&mut self) {
        self.errors = match self.asked() {
            Some(asked) => {
                let reply = DetailsReply::from_request(&self.draft.request);
                check_reply(asked, &reply, Ruleset::builtin())
                    .err()
                    .unwrap_or_default()
            }
            None => Vec::new(),
        };
    }
}

impl Reducible for DetailsForm {
    type Action = Action;

    fn reduce(self: Rc<Self>, action: Action) -> Rc<Self> {
        let mut s = (*self).clone();
        match action {
            Action::Edit(field, value) => {
                if let Some(text) = s.draft.request.text_mut(field) {
                    *text = value;
                }
                s.draft.server_errors.retain(|e| e.field != field);
            }
            Action::Blur(field) => {
                let draft = &mut s.draft;
                if draft.touched.contains(&field) || draft.request.text(field).is_empty() {
                    return self;
                }
                draft.touched.push(field);
            }
            Action::ShowErrors => {
                s.show_all_errors = true;
                s.focus_first_error += 1;
            }
            Action::Sending { .. } => s.phase = DetailsPhase::Sending,
            Action::Retrying { status } => s.phase = DetailsPhase::Waiting(status),
            Action::Failed { message } => s.phase = DetailsPhase::Failed(message),
            Action::Rejected { errors, .. } => {
                s.draft.server_errors = errors;
                s.phase = DetailsPhase::Editing;
                s.show_all_errors = true;
                s.focus_first_error += 1;
            }
            Action::Details(DetailsAction::StatusLoaded(status)) => {
                // The agent's own name is the portal's to prefill; member data never is.
                let asked_name = status
                    .asked
                    .as_ref()
                    .is_some_and(|a| a.contains(&Field::AgentName));
                if asked_name && s.draft.request.agent_name.is_empty() {
                    s.draft.request.agent_name = s.options.agent_name.clone();
                }
                s.status = Some(status);
            }
            Action::Details(DetailsAction::LinkRefused(sentence, retry)) => {
                s.refused = Some((sentence, retry))
            }
            Action::Details(DetailsAction::Reload) => s.refused = None,
            Action::Details(DetailsAction::Sent(status)) => {
                s.phase = DetailsPhase::Sent(status);
                s.show_all_errors = false;
            }
            // The request form's own.
            _ => return self,
        }
        s.recheck();
        Rc::new(s)
    }
}

/// What an answer to the details' POST means: 202 is sent (with the status after them), the
/// rest reads as a request's answer does (422 on the fields, 503 and 409 waited out).
pub fn answer(key: &str, reply: &JsValue) -> Answer {
    if get(reply, "status").as_f64() == Some(202.0) {
        let status = get(&get(reply, "body"), "status");
        return Answer::Final(Action::Details(DetailsAction::Sent(RequestStatus::of(
            &status,
        ))));
    }
    submit::answer(key, reply)
}

/// Loads the status (`GET <endpoint>/<tracking ID>`, the link as Bearer) and reports what
/// the edge said through `dispatch`.
pub fn load_status(form: &DetailsForm, dispatch: UseReducerDispatcher<DetailsForm>) {
    fetch_json(
        &form.request_url(),
        "",
        &form.options.details_token,
        "",
        None,
        submit::TIMEOUT_MS,
        move |reply| dispatch.dispatch(Action::Details(loaded(&reply))),
    );
}

/// What the status `GET` answered: `null` when no answer came, else `{status, body}`.
pub fn loaded(reply: &JsValue) -> DetailsAction {
    if reply.is_null() || reply.is_undefined() {
        return DetailsAction::LinkRefused(
            "No answer from the server: check the connection and try again.".into(),
            true,
        );
    }
    let status = get(reply, "status").as_f64().unwrap_or(0.0) as u32;
    let json = get(reply, "body");
    if status == 200 {
        return DetailsAction::StatusLoaded(RequestStatus::of(&json));
    }
    let sentence = get_str(&json, "error")
        .unwrap_or_else(|| format!("The server refused the link (HTTP {status})."));
    // Expired, forged, another request's, no longer kept: asking again cannot change that.
    DetailsAction::LinkRefused(sentence, status >= 500 || status == 429)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::browser::object;
    use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

    wasm_bindgen_test_configure!(run_in_browser);

    /// A details link naming RSOS-20261130-ABCD2345 (its MAC is not checked here).
    const LINK: &str = "l1.UlNPUy0yMDI2MTEzMC1BQkNEMjM0NQpkZXRhaWxzCjE5MDAwMDAwMDA.mac";

    fn form() -> Rc<DetailsForm> {
        let options = Options {
            endpoint: "/api/requests".into(),
            agent_name: "Pat Agent".into(),
            details_token: LINK.into(),
            ..Options::default()
        };
        Rc::new(DetailsForm::new(options, "key-1".into()))
    }

    fn asked(fields: &[Field]) -> RequestStatus {
        RequestStatus {
            state_label: "Waiting for more details from you".into(),
            respond_by: "2026-12-03T10:00:00-05:00".into(),
            asked: Some(fields.to_vec()),
            note: "The ID on the claim does not match.".into(),
        }
    }

    fn loaded(form: Rc<DetailsForm>, status: RequestStatus) -> Rc<DetailsForm> {
        form.reduce(Action::Details(DetailsAction::StatusLoaded(status)))
    }

    #[wasm_bindgen_test]
    fn the_link_names_its_request_and_its_url_stays_one_path_segment() {
        let f = form();
        assert_eq!(f.tracking_id, "RSOS-20261130-ABCD2345");
        assert_eq!(f.request_url(), "/api/requests/RSOS-20261130-ABCD2345");
        let mut odd = (*f).clone();
        odd.tracking_id = "../maintenance/sweep?x".into();
        assert_eq!(
            odd.request_url(),
            "/api/requests/..%2Fmaintenance%2Fsweep%3Fx"
        );
        odd.tracking_id.clear();
        assert_eq!(odd.request_url(), "/api/requests/-");
    }

    #[wasm_bindgen_test]
    fn nothing_can_be_sent_before_the_team_s_request_is_loaded() {
        assert!(!form().ready_to_send());
    }

    #[wasm_bindgen_test]
    fn the_fields_asked_for_are_checked_with_the_rules_as_the_agent_types() {
        let f = loaded(form(), asked(&[Field::MemberId]));
        let fields: Vec<Field> = f.errors.iter().map(|e| e.field).collect();
        assert_eq!(
            fields,
            [
                Field::MemberId,
                Field::MemberFirstName,
                Field::MemberLastName,
                Field::Summary
            ]
        );
        assert_eq!(
            f.error_for(Field::MemberId),
            None,
            "not before the agent leaves it"
        );
        let f = [
            Action::Edit(Field::MemberId, "-bad".into()),
            Action::Blur(Field::MemberId),
        ]
        .into_iter()
        .fold(f, |f, a| f.reduce(a));
        assert!(f.error_for(Field::MemberId).is_some());
        let f = [
            Action::Edit(Field::MemberId, "H1234-5679".into()),
            Action::Edit(Field::MemberFirstName, "John".into()),
            Action::Edit(Field::MemberLastName, "Smith".into()),
            Action::Edit(
                Field::Summary,
                "The member ID on the new card is H1234-5679.".into(),
            ),
        ]
        .into_iter()
        .fold(f, |f, a| f.reduce(a));
        assert!(f.ready_to_send(), "{:?}", f.errors);
    }

    #[wasm_bindgen_test]
    fn the_agent_s_own_name_is_prefilled_when_asked_and_member_data_never() {
        let f = loaded(form(), asked(&[Field::AgentName, Field::MemberId]));
        assert_eq!(f.draft.request.agent_name, "Pat Agent");
        assert_eq!(f.draft.request.member_id, "");
        let f = loaded(form(), asked(&[Field::MemberId]));
        assert_eq!(f.draft.request.agent_name, "", "not asked, not sent");
    }

    #[wasm_bindgen_test]
    fn the_edge_s_answers_become_the_form_s_states() {
        let f = form().reduce(Action::Details(DetailsAction::LinkRefused(
            "This link has expired.".into(),
            false,
        )));
        assert_eq!(f.refused, Some(("This link has expired.".into(), false)));
        let f = f.reduce(Action::Details(DetailsAction::Reload));
        assert_eq!(f.refused, None);

        let sent = object(&[
            ("status", 202.into()),
            (
                "body",
                object(&[(
                    "status",
                    object(&[
                        (
                            "state_label",
                            "Received: waiting for the team's first answer".into(),
                        ),
                        ("respond_by", "2026-12-03T10:00:00-05:00".into()),
                        ("needed", JsValue::NULL),
                    ]),
                )]),
            ),
        ]);
        let Answer::Final(action) = answer("key-1", &sent) else {
            panic!("a 202 is final");
        };
        let f = loaded(form(), asked(&[])).reduce(action);
        assert!(matches!(&f.phase, DetailsPhase::Sent(s) if s.asked.is_none()));

        let refused = object(&[
            ("status", 403.into()),
            (
                "body",
                object(&[("error", "This link has expired.".into())]),
            ),
        ]);
        assert!(matches!(
            super::loaded(&refused),
            DetailsAction::LinkRefused(sentence, false) if sentence == "This link has expired."
        ));
        assert!(matches!(
            super::loaded(&JsValue::NULL),
            DetailsAction::LinkRefused(_, true)
        ));
        let odd = object(&[("needed", object(&[("fields", "member_id".into())]))]);
        assert_eq!(RequestStatus::of(&odd).asked, None, "only an array is read");
    }
}
