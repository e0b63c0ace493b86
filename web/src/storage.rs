//! The drafts in `sessionStorage`, so a reload or a failed network loses nothing. Session,
//! not local, storage: member data must not outlive the tab. Each draft is stored as the
//! request's JS object (`request_js`) plus its idempotency `key`.

use js_sys::{Array, JSON};
use wasm_bindgen::JsValue;

use crate::browser::{array, get, get_str, object, session_storage};
use crate::request_js;
use crate::state::{Draft, Options};

// Drafts saved before the request had one JS encoding named the confirmation `confirm`:
// they load with their texts and the box unticked.
const KEY: &str = "rsos-form:drafts:v1";

/// The saved drafts and the active index; empty when nothing (readable) was saved.
pub fn load() -> (Vec<Draft>, usize) {
    let Some(text) = session_storage().and_then(|s| s.get_item(KEY).ok().flatten()) else {
        return (Vec::new(), 0);
    };
    // A draft written by another version or edited by hand is dropped, not trusted.
    let Ok(saved) = JSON::parse(&text) else {
        return (Vec::new(), 0);
    };
    let active = get(&saved, "active").as_f64().unwrap_or(0.0) as usize;
    let drafts = array(&get(&saved, "drafts"))
        .iter()
        .filter_map(|d| {
            let key = get_str(&d, "key").filter(|k| !k.is_empty())?;
            let request = request_js::from_object(&d);
            Some(Draft {
                request,
                key,
                touched: Vec::new(),
                server_errors: Vec::new(),
            })
        })
        .collect();
    (drafts, active)
}

/// Saves the drafts worth keeping; clears storage when none is.
pub fn save(drafts: &[Draft], active: usize, options: &Options) {
    let Some(storage) = session_storage() else {
        return;
    };
    let kept: Vec<&Draft> = drafts.iter().filter(|d| !d.is_pristine(options)).collect();
    if kept.is_empty() {
        let _ = storage.remove_item(KEY);
        return;
    }
    let list = Array::new();
    for draft in &kept {
        list.push(&request_js::to_object(
            &draft.request,
            &[("key", JsValue::from_str(&draft.key))],
        ));
    }
    let active = kept
        .iter()
        .position(|d| drafts.get(active).is_some_and(|a| a.key == d.key))
        .unwrap_or(0);
    let saved = object(&[
        ("active", JsValue::from_f64(active as f64)),
        ("drafts", list.into()),
    ]);
    if let Ok(text) = JSON::stringify(&saved) {
        // A full quota only costs the reload safety net; the form keeps working.
        let _ = storage.set_item(KEY, &String::from(text));
    }
}
