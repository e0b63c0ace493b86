//! The one JSON parser of a request (issue 9, "one request means one thing"). The shared
//! bodies in `tests/vectors/bodies` hold the examples every shell checks; these are the
//! kinds, field by field.

use rsos_rules::{Field, MalformedRequest, Request};

#[test]
fn every_field_given_twice_is_malformed_naming_the_field() {
    for field in Field::ALL {
        let value = match field.input() {
            rsos_rules::InputKind::Checkbox => "false",
            _ => "\"x\"",
        };
        let name = field.as_str();
        let body = format!("{{\"{name}\":{value},\"{name}\":{value}}}");
        assert_eq!(
            Request::from_json(body.as_bytes()),
            Err(MalformedRequest::RepeatedField(name)),
            "{body}"
        );
    }
}

#[test]
fn a_repeated_key_names_the_key_in_its_sentence() {
    let body = br#"{"topic":"commission","summary":"x","topic":"claims"}"#;
    let error = Request::from_json(body).err().map(|e| e.to_string());
    assert_eq!(
        error.as_deref(),
        Some("The field `topic` is given more than once; give it once.")
    );
}

#[test]
fn one_utf8_byte_order_mark_at_the_start_is_read_over() {
    let plain = Request::from_json(br#"{"topic":"claims"}"#);
    let marked = Request::from_json("\u{feff}{\"topic\":\"claims\"}".as_bytes());
    assert_eq!(marked, plain);
    assert!(plain.is_ok());
}

#[test]
fn utf16_in_either_byte_order_is_named() {
    for mark in [[0xFF, 0xFE], [0xFE, 0xFF]] {
        let mut body = mark.to_vec();
        body.extend_from_slice(b"{\0}\0");
        assert_eq!(Request::from_json(&body), Err(MalformedRequest::Utf16));
    }
}

#[test]
fn a_syntax_error_after_a_problem_is_still_a_syntax_error() {
    let body = br#"{"colour":"blue", "topic": }"#;
    assert!(matches!(
        Request::from_json(body),
        Err(MalformedRequest::NotJson { .. })
    ));
}

#[test]
fn trailing_text_after_the_object_is_not_json() {
    assert!(matches!(
        Request::from_json(br#"{"topic":"claims"} {}"#),
        Err(MalformedRequest::NotJson { .. })
    ));
}

#[test]
fn scalars_and_arrays_are_not_an_object() {
    for body in [
        "1",
        "-1",
        "1.5",
        "\"text\"",
        "true",
        "null",
        "[]",
        "[{\"topic\":1}]",
    ] {
        assert_eq!(
            Request::from_json(body.as_bytes()),
            Err(MalformedRequest::NotAnObject),
            "{body}"
        );
    }
}
