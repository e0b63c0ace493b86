//! One state struct for the whole form and the reducer that changes it. Every change to a
//! draft re-runs `rsos_rules::assess`; the view only renders `verdict`, it never decides.

use std::rc::Rc;

use rsos_rules::{assess, Field, OutOfScope, Request, Ruleset, Verdict};
use yew::Reducible;

/// What the embedding portal tells the form (element attributes or `mount` options).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Options {
    pub endpoint: String,
    pub agent_name: String,
    pub agent_san: String,
    pub agent_email: String,
    pub line_of_business: String,
    /// The portal's signed embed token, sent as `Authorization: Bearer`; empty = none.
    pub embed_token: String,
    /// The agent's details link token (`?details=` of the link in the email asking for more
    /// details), read by the details form's build (`details.rs`); empty = none.
    pub details_token: String,
}

impl Options {
    pub const DEFAULT_ENDPOINT: &'static str = "/api/requests";

    /// The form events' endpoint, beside the requests' (`/api/requests` → `/api/events`).
    pub fn events_url(&self) -> String {
        self.sibling_url("events")
    }

    /// The promise's endpoint, beside the requests' (`/api/requests` → `/api/promise`).
    pub fn promise_url(&self) -> String {
        self.sibling_url("promise")
    }

    /// `name` beside the requests' endpoint: same origin and path, last segment replaced.
    fn sibling_url(&self, name: &str) -> String {
        let endpoint = self.endpoint.trim_end_matches('/');
        let base = endpoint.rsplit_once('/').map_or("", |(base, _)| base);
        format!("{base}/{name}")
    }

    /// The prefilled value of a field, `""` when the portal gives none.
    pub fn prefill(&self, field: Field) -> &str {
        match field {
            Field::AgentName => &self.agent_name,
            Field::AgentSan => &self.agent_san,
            Field::AgentEmail => &self.agent_email,
            Field::LineOfBusiness => &self.line_of_business,
            _ => "",
        }
    }

    pub const PREFILLED: [Field; 4] = [
        Field::LineOfBusiness,
        Field::AgentName,
        Field::AgentSan,
        Field::AgentEmail,
    ];
}

/// One request being written, with its own idempotency key: a retry of the same draft can
/// never be forwarded twice, a new draft is a new request.
#[derive(Debug, Clone, PartialEq)]
pub struct Draft {
    pub request: Request,
    pub key: String,
    /// Fields the agent has typed in and left: their errors show from then on.
    pub touched: Vec<Field>,
    /// Errors the server returned (422), shown on their fields until the agent edits them.
    pub server_errors: Vec<ShownError>,
}

impl Draft {
    pub fn new(options: &Options, key: String) -> Draft {
        let mut request = Request::default();
        for field in Options::PREFILLED {
            if let Some(text) = request.text_mut(field) {
                *text = options.prefill(field).to_string();
            }
        }
        Draft {
            request,
            key,
            touched: Vec::new(),
            server_errors: Vec::new(),
        }
    }

    /// Nothing typed beyond what the portal prefilled: not worth keeping in storage.
    pub fn is_pristine(&self, options: &Options) -> bool {
        self.request == Draft::new(options, String::new()).request
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct ShownError {
    pub field: Field,
    pub message: String,
}

/// The acknowledgement the edge function returned for a forwarded request (SPEC §7, 202).
#[derive(Debug, Clone, PartialEq)]
pub struct Receipt {
    pub tracking_id: String,
    pub subject: String,
    pub received_at: String,
    pub respond_by: String,
    pub next_follow_up: String,
    pub urgent: bool,
    /// The agent's status page (`status_url`), when the deployment signs links.
    pub status_url: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Phase {
    Editing,
    /// A POST is in flight; `attempt` counts from 1.
    Sending {
        attempt: u32,
    },
    /// Waiting before the next automatic retry: why, how long and until when, in words.
    Retrying {
        status: String,
    },
    /// Automatic retries are exhausted or the server refused: the agent can try again.
    Failed {
        message: String,
    },
    Confirmed(Receipt),
    /// Retries ended on a 503 after the forward reached the mailbox: only the confirmation
    /// email is missing. The draft (`key`) stays active so that sending it again, with the
    /// same key, sends just that email; starting a new request drops it.
    ConfirmationDelayed {
        key: String,
        tracking_id: String,
        /// The forward reached the mailbox (else only the request is recorded).
        forwarded: bool,
        /// The deployment's sweep finishes the delivery without the form
        /// (`finishes_automatically`).
        finishing: bool,
    },
    /// The server judged the request out of scope (a newer ruleset than this form's).
    ServerOutOfScope(OutOfScope),
}

#[derive(Debug, Clone, PartialEq)]
pub struct FormState {
    pub options: Options,
    pub drafts: Vec<Draft>,
    pub active: usize,
    /// The verdict on the active draft, from `rsos_rules::assess`.
    pub verdict: Verdict,
    /// The other plan a mixed request's summary names, as the rules found it.
    pub mixed_with: Option<String>,
    /// After a submit attempt every error shows, not just those of touched fields.
    pub show_all_errors: bool,
    pub phase: Phase,
    /// Bumped when focus should move to the first field with an error.
    pub focus_first_error: u32,
    /// What the agent can tell the member if they send now (`promise.rs`), once the edge
    /// has answered.
    pub promise: Option<String>,
}

pub enum Action {
    Edit(Field, String),
    SetConfirm(bool),
    Blur(Field),
    /// Submit was pressed while the verdict does not allow sending.
    ShowErrors,
    Sending {
        attempt: u32,
    },
    Retrying {
        status: String,
    },
    /// `fresh_key` starts a new draft if this was the last one: there is always a draft.
    Forwarded {
        key: String,
        receipt: Receipt,
        fresh_key: String,
    },
    Rejected {
        key: String,
        errors: Vec<ShownError>,
    },
    OutOfScope {
        key: String,
        out_of_scope: OutOfScope,
        fresh_key: String,
    },
    Failed {
        message: String,
    },
    /// The edge found the hidden field filled (autofill, or a bot) and sent nothing: the view
    /// clears the field and the agent sends again.
    TrapFilled {
        message: String,
    },
    ConfirmationDelayed {
        key: String,
        tracking_id: String,
        forwarded: bool,
        finishing: bool,
    },
    /// The details form's actions (`details.rs`); the request form has none of them.
    #[cfg(feature = "details")]
    Details(crate::details::DetailsAction),
    /// Mixed lines of business: keep this draft for its plan and add a copy for `other_plan`.
    Split {
        other_plan: String,
        key: String,
    },
    SwitchDraft(usize),
    /// Leave the result and go on with the next draft; a draft whose confirmation is delayed
    /// is dropped (`fresh_key` replaces it if it was the last).
    NewRequest {
        fresh_key: String,
    },
    OptionsChanged(Options),
    /// The edge's answer to `GET /api/promise`, as the sentence to show (`None`: no answer).
    Promise(Option<String>),
}

impl FormState {
    pub fn new(options: Options, mut drafts: Vec<Draft>, active: usize, new_key: String) -> Self {
        if drafts.is_empty() {
            drafts.push(Draft::new(&options, new_key));
        }
        let active = active.min(drafts.len() - 1);
        let mut state = FormState {
            options,
            drafts,
            active,
            verdict: empty_verdict(),
            mixed_with: None,
            show_all_errors: false,
            phase: Phase::Editing,
            focus_first_error: 0,
            promise: None,
        };
        state.reassess();
        state
    }

    pub fn draft(&self) -> &Draft {
        // `active` is kept in range by every action; index 0 always exists.
        &self.drafts[self.active.min(self.drafts.len().saturating_sub(1))]
    }

    fn draft_mut(&mut self) -> &mut Draft {
        let i = self.active.min(self.drafts.len().saturating_sub(1));
        &mut self.drafts[i]
    }

    fn reassess(&mut self) {
        let assessment = assess(&self.draft().request, Ruleset::builtin());
        self.verdict = assessment.verdict;
        self.mixed_with = assessment.mixed_with;
    }

    /// The message to show on a field, if any: the server's word first, then the verdict's
    /// once the agent has left the field or tried to submit.
    pub fn error_for(&self, field: Field) -> Option<&str> {
        let draft = self.draft();
        if let Some(e) = draft.server_errors.iter().find(|e| e.field == field) {
            return Some(&e.message);
        }
        if self.show_all_errors || draft.touched.contains(&field) {
            return self.verdict.error_for(field).map(|e| e.message.as_str());
        }
        None
    }

    pub fn busy(&self) -> bool {
        matches!(self.phase, Phase::Sending { .. } | Phase::Retrying { .. })
    }

    /// Drops a sent draft; a fresh one (with `fresh_key`) replaces the last, so the form
    /// always has a draft to show.
    fn remove_draft(&mut self, key: &str, fresh_key: String) {
        if let Some(i) = self.drafts.iter().position(|d| d.key == key) {
            self.drafts.remove(i);
            if self.active >= i && self.active > 0 {
                self.active -= 1;
            }
        }
        if self.drafts.is_empty() {
            self.drafts.push(Draft::new(&self.options, fresh_key));
            self.active = 0;
        }
    }
}

impl Reducible for FormState {
    type Action = Action;

    fn reduce(self: Rc<Self>, action: Action) -> Rc<Self> {
        let mut s = (*self).clone();
        match action {
            Action::Edit(field, value) => {
                let draft = s.draft_mut();
                if let Some(text) = draft.request.text_mut(field) {
                    *text = value;
                }
                draft.server_errors.retain(|e| e.field != field);
                if matches!(s.phase, Phase::Failed { .. } | Phase::ServerOutOfScope(_)) {
                    s.phase = Phase::Editing;
                }
            }
            Action::SetConfirm(on) => {
                let draft = s.draft_mut();
                draft.request.confirm_single_line_of_business = on;
                draft
                    .server_errors
                    .retain(|e| e.field != Field::ConfirmSingleLineOfBusiness);
            }
            Action::Blur(field) => {
                let draft = s.draft_mut();
                // Tabbing through an empty field is not an error yet: flagging it would
                // shift the layout under the pointer on its way to another control. Empty
                // required fields are flagged on submit.
                if draft.touched.contains(&field) || draft.request.text(field).is_empty() {
                    return self;
                }
                draft.touched.push(field);
            }
            Action::ShowErrors => {
                s.show_all_errors = true;
                s.focus_first_error += 1;
            }
            Action::Sending { attempt } => s.phase = Phase::Sending { attempt },
            Action::Retrying { status } => s.phase = Phase::Retrying { status },
            Action::Forwarded {
                key,
                receipt,
                fresh_key,
            } => {
                s.remove_draft(&key, fresh_key);
                s.phase = Phase::Confirmed(receipt);
                s.show_all_errors = false;
            }
            Action::Rejected { key, errors } => {
                if let Some(draft) = s.drafts.iter_mut().find(|d| d.key == key) {
                    draft.server_errors = errors;
                }
                s.phase = Phase::Editing;
                s.show_all_errors = true;
                s.focus_first_error += 1;
            }
            Action::OutOfScope {
                key,
                out_of_scope,
                fresh_key,
            } => {
                s.remove_draft(&key, fresh_key);
                s.phase = Phase::ServerOutOfScope(out_of_scope);
            }
            Action::Failed { message } | Action::TrapFilled { message } => {
                s.phase = Phase::Failed { message }
            }
            Action::ConfirmationDelayed {
                key,
                tracking_id,
                forwarded,
                finishing,
            } => {
                // The retry button sends the active draft: make it this one.
                if let Some(i) = s.drafts.iter().position(|d| d.key == key) {
                    s.active = i;
                }
                s.phase = Phase::ConfirmationDelayed {
                    key,
                    tracking_id,
                    forwarded,
                    finishing,
                };
            }
            // The details form's own; this form never gets them.
            #[cfg(feature = "details")]
            Action::Details(_) => return self,
            Action::Split { other_plan, key } => {
                // Splitting separates the concerns: neither draft is confirmed for the agent,
                // each is judged again as the agent edits its summary.
                let draft = s.draft_mut();
                draft.request.confirm_single_line_of_business = false;
                let mut copy = draft.clone();
                copy.key = key;
                copy.request.line_of_business = other_plan;
                copy.touched.clear();
                copy.server_errors.clear();
                s.drafts.insert(s.active + 1, copy);
                s.show_all_errors = false;
            }
            Action::SwitchDraft(i) => {
                if i < s.drafts.len() {
                    s.active = i;
                    s.show_all_errors = false;
                    if !s.busy() {
                        s.phase = Phase::Editing;
                    }
                }
            }
            Action::NewRequest { fresh_key } => {
                if let Phase::ConfirmationDelayed { key, .. } = &s.phase {
                    // It reached the mailbox: never to be sent again as a new request.
                    let key = key.clone();
                    s.remove_draft(&key, fresh_key);
                }
                s.active = s.active.min(s.drafts.len().saturating_sub(1));
                s.phase = Phase::Editing;
                s.show_all_errors = false;
            }
            Action::Promise(line) => s.promise = line,
            Action::OptionsChanged(options) => {
                if options == s.options {
                    return self;
                }
                for draft in &mut s.drafts {
                    for field in Options::PREFILLED {
                        let old = s.options.prefill(field);
                        let new = options.prefill(field);
                        if let Some(text) = draft.request.text_mut(field) {
                            // Follow the portal's prefill unless the agent typed over it.
                            if text.is_empty() || text == old {
                                *text = new.to_string();
                            }
                        }
                    }
                }
                s.options = options;
            }
        }
        s.reassess();
        Rc::new(s)
    }
}

fn empty_verdict() -> Verdict {
    Verdict {
        ruleset: String::new(),
        outcome: rsos_rules::Outcome::NeedsChanges,
        subject: None,
        errors: Vec::new(),
        warnings: Vec::new(),
        out_of_scope: None,
        urgent: false,
        call_center: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rsos_rules::Outcome;
    use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

    wasm_bindgen_test_configure!(run_in_browser);

    fn portal() -> Options {
        Options {
            endpoint: Options::DEFAULT_ENDPOINT.into(),
            agent_name: "Pat Agent".into(),
            agent_san: "A12345".into(),
            agent_email: "pat@agency.example".into(),
            line_of_business: String::new(),
            embed_token: String::new(),
            details_token: String::new(),
        }
    }

    fn fresh() -> Rc<FormState> {
        Rc::new(FormState::new(portal(), Vec::new(), 0, "key-1".into()))
    }

    fn apply(state: Rc<FormState>, actions: Vec<Action>) -> Rc<FormState> {
        actions.into_iter().fold(state, |s, a| s.reduce(a))
    }

    fn complete() -> Vec<Action> {
        vec![
            Action::Edit(Field::LineOfBusiness, "medicare".into()),
            Action::Edit(Field::Topic, "claims".into()),
            Action::Edit(Field::MemberId, "H1234-5678".into()),
            Action::Edit(Field::MemberFirstName, "John".into()),
            Action::Edit(Field::MemberLastName, "Smith".into()),
            Action::Edit(
                Field::Summary,
                "Claim for the March 3 office visit was denied as out of network.".into(),
            ),
        ]
    }

    #[wasm_bindgen_test]
    fn a_new_form_starts_with_the_portal_prefills() {
        let s = fresh();
        assert_eq!(s.draft().request.agent_name, "Pat Agent");
        assert_eq!(s.draft().key, "key-1");
        assert_eq!(s.verdict.outcome, Outcome::NeedsChanges);
    }

    #[wasm_bindgen_test]
    fn every_edit_is_judged_by_the_rules_crate() {
        let s = apply(fresh(), complete());
        assert_eq!(s.verdict.outcome, Outcome::Forward);
        assert_eq!(s.verdict.subject.as_deref(), Some("Smith, John Medicare"));
    }

    #[wasm_bindgen_test]
    fn errors_show_only_after_blur_or_a_submit_attempt() {
        let s = apply(fresh(), vec![Action::Edit(Field::MemberId, "ab".into())]);
        assert_eq!(s.error_for(Field::MemberId), None);
        let s = s.reduce(Action::Blur(Field::MemberId));
        assert!(s.error_for(Field::MemberId).is_some());
        assert_eq!(s.error_for(Field::Summary), None);
        let s = s.reduce(Action::ShowErrors);
        assert!(s.error_for(Field::Summary).is_some());
        assert_eq!(s.focus_first_error, 1);
    }

    #[wasm_bindgen_test]
    fn server_errors_show_on_their_field_until_it_is_edited() {
        let s = apply(fresh(), complete());
        let s = s.reduce(Action::Rejected {
            key: "key-1".into(),
            errors: vec![ShownError {
                field: Field::MemberId,
                message: "from the server".into(),
            }],
        });
        assert_eq!(s.error_for(Field::MemberId), Some("from the server"));
        let s = s.reduce(Action::Edit(Field::MemberId, "H1234-5679".into()));
        assert_eq!(s.error_for(Field::MemberId), None);
    }

    #[wasm_bindgen_test]
    fn split_copies_the_draft_for_the_other_plan_with_its_own_key() {
        let s = apply(fresh(), complete());
        let s = s.reduce(Action::Split {
            other_plan: "individual".into(),
            key: "key-2".into(),
        });
        assert_eq!(s.drafts.len(), 2);
        // SPEC §4: only the agent confirms one line of business; splitting confirms nothing.
        assert!(!s.drafts[0].request.confirm_single_line_of_business);
        assert!(!s.drafts[1].request.confirm_single_line_of_business);
        assert_eq!(s.drafts[1].request.line_of_business, "individual");
        assert_eq!(s.drafts[1].request.member_id, "H1234-5678");
        assert_eq!(s.drafts[1].key, "key-2");
        let s = s.reduce(Action::SwitchDraft(1));
        assert_eq!(s.verdict.subject.as_deref(), Some("Smith, John HumanaOne"));
    }

    #[wasm_bindgen_test]
    fn a_forwarded_draft_is_dropped_and_a_fresh_one_takes_its_place() {
        let s = apply(fresh(), complete());
        let s = s.reduce(Action::Forwarded {
            key: "key-1".into(),
            receipt: Receipt {
                tracking_id: "RSOS-1".into(),
                subject: String::new(),
                received_at: String::new(),
                respond_by: String::new(),
                next_follow_up: String::new(),
                urgent: false,
                status_url: None,
            },
            fresh_key: "key-2".into(),
        });
        assert!(matches!(s.phase, Phase::Confirmed(_)));
        assert_eq!(s.drafts.len(), 1);
        assert_eq!(s.draft().key, "key-2");
        assert!(s.draft().is_pristine(&s.options));
    }

    #[wasm_bindgen_test]
    fn a_delayed_confirmation_keeps_the_draft_to_retry_and_a_new_request_drops_it() {
        let s = apply(fresh(), complete());
        let s = s.reduce(Action::Split {
            other_plan: "individual".into(),
            key: "key-2".into(),
        });
        let s = s.reduce(Action::SwitchDraft(1));
        let s = s.reduce(Action::ConfirmationDelayed {
            key: "key-1".into(),
            tracking_id: "RSOS-1".into(),
            forwarded: true,
            finishing: false,
        });
        assert_eq!(
            s.draft().key,
            "key-1",
            "a retry sends the delayed draft, same key"
        );
        let s = s.reduce(Action::NewRequest {
            fresh_key: "key-3".into(),
        });
        assert_eq!(s.phase, Phase::Editing);
        let keys: Vec<&str> = s.drafts.iter().map(|d| d.key.as_str()).collect();
        assert_eq!(keys, ["key-2"], "the forwarded draft is gone");
    }

    #[wasm_bindgen_test]
    fn portal_prefill_changes_apply_unless_the_agent_typed_over_them() {
        let s = apply(fresh(), vec![Action::Edit(Field::AgentSan, "B999".into())]);
        let mut options = portal();
        options.agent_name = "Sam Broker".into();
        options.agent_san = "C777".into();
        let s = s.reduce(Action::OptionsChanged(options));
        assert_eq!(s.draft().request.agent_name, "Sam Broker");
        assert_eq!(s.draft().request.agent_san, "B999");
    }

    #[wasm_bindgen_test]
    fn retries_back_off_exponentially_unless_the_server_says_when() {
        use crate::submit::delay_seconds;
        assert_eq!(
            [2, 3, 4, 5, 6].map(|n| delay_seconds(n, None)),
            [1, 2, 4, 8, 8]
        );
        assert_eq!(delay_seconds(2, Some(7)), 7);
    }

    #[wasm_bindgen_test]
    fn form_events_and_the_promise_go_beside_the_requests_endpoint() {
        let mut options = portal();
        assert_eq!(options.events_url(), "/api/events");
        assert_eq!(options.promise_url(), "/api/promise");
        options.endpoint = "https://intake.example/api/requests/".into();
        assert_eq!(options.events_url(), "https://intake.example/api/events");
        assert_eq!(options.promise_url(), "https://intake.example/api/promise");
    }
}
