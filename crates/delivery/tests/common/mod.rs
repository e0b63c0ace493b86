//! What the delivery tests share: one valid request, as an agent's form sends it.

/// A valid Medicare claims request (every required field, no reference number).
pub fn request() -> rsos_rules::Request {
    rsos_rules::Request {
        line_of_business: "medicare".into(),
        topic: "claims".into(),
        agent_name: "Pat Agent".into(),
        agent_san: "A12345".into(),
        agent_email: "pat@agency.example".into(),
        member_id: "H1234-5678".into(),
        member_first_name: "John".into(),
        member_last_name: "Smith".into(),
        summary: "Claim for the March 3 office visit was denied as out of network.".into(),
        ..rsos_rules::Request::default()
    }
}
