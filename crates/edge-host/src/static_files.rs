//! Static files for the local stack (the built form), served by tower-http's `ServeDir`: it
//! percent-decodes, refuses paths that leave the root, serves `index.html` for directories,
//! answers `HEAD`, ranges and `If-Modified-Since`. The host adds what browsers insist on: a
//! charset on text types and `application/wasm` for WebAssembly (streaming compilation refuses
//! the module otherwise), both from [`mime_type`].

use std::path::{Path, PathBuf};

use http::{header, HeaderValue, Method, StatusCode};
use http_body_util::BodyExt;
use tower_http::services::ServeDir;
use wasmtime_wasi_http::p2::body::HyperOutgoingBody;

use crate::answer::json_error;

/// The `Content-Type` of a file: its type by extension (mime_guess), with `charset=utf-8` on
/// text types and JavaScript; `application/octet-stream` when unknown.
pub fn mime_type(path: &Path) -> String {
    with_charset(&mime_guess::from_path(path).first_or_octet_stream())
}

/// `mime` as a `Content-Type` value, with `charset=utf-8` added to text types and JavaScript
/// that name no charset (the form's files are UTF-8).
fn with_charset(mime: &mime_guess::Mime) -> String {
    let text = mime.type_() == mime_guess::mime::TEXT || mime.subtype() == "javascript";
    if text && mime.get_param(mime_guess::mime::CHARSET).is_none() {
        format!("{}; charset=utf-8", mime.essence_str())
    } else {
        mime.as_ref().to_owned()
    }
}

/// A directory served read-only.
#[derive(Debug, Clone)]
pub struct StaticFiles {
    dir: ServeDir,
}

impl StaticFiles {
    /// Serves the files under `root` (it need not exist yet: every path is then a 404).
    pub fn new(root: impl Into<PathBuf>) -> StaticFiles {
        StaticFiles {
            dir: ServeDir::new(root.into()).append_index_html_on_directories(true),
        }
    }

    /// The file at the request's path: 200 (or 206, 304) with its MIME type and
    /// `Cache-Control: no-cache`; 404 JSON for anything missing or outside the root; 405 JSON
    /// for methods other than GET and HEAD.
    pub async fn serve<B>(&self, request: hyper::Request<B>) -> hyper::Response<HyperOutgoingBody>
    where
        B: Send + 'static,
    {
        if request.method() != Method::GET && request.method() != Method::HEAD {
            return json_error(StatusCode::METHOD_NOT_ALLOWED, "Only GET is served here.");
        }
        let response = match self.dir.clone().try_call(request).await {
            Ok(response) => response,
            Err(_) => return not_found(),
        };
        if response.status() == StatusCode::NOT_FOUND {
            return not_found();
        }
        let (mut parts, body) = response.into_parts();
        // ServeDir names the type from the decoded path's extension; the charset is ours.
        let typed = parts
            .headers
            .get(header::CONTENT_TYPE)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.parse::<mime_guess::Mime>().ok())
            .map(|mime| with_charset(&mime));
        if let Some(value) = typed.and_then(|t| HeaderValue::from_str(&t).ok()) {
            parts.headers.insert(header::CONTENT_TYPE, value);
        }
        parts
            .headers
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
        let body = body
            .map_err(|e| wasmtime_wasi_http::Error::InternalError(Some(e.to_string())))
            .boxed_unsync();
        hyper::Response::from_parts(parts, body)
    }
}

fn not_found() -> hyper::Response<HyperOutgoingBody> {
    json_error(StatusCode::NOT_FOUND, "There is nothing at this address.")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wasm_files_are_served_as_application_wasm() {
        assert_eq!(
            mime_type(Path::new("rsos_form_bg.wasm")),
            "application/wasm"
        );
        assert_eq!(
            mime_type(Path::new("index.html")),
            "text/html; charset=utf-8"
        );
        assert_eq!(
            mime_type(Path::new("app.js")),
            "text/javascript; charset=utf-8"
        );
    }

    async fn status_of(root: &Path, path: &str) -> StatusCode {
        let request = hyper::Request::get(path).body(()).unwrap();
        StaticFiles::new(root).serve(request).await.status()
    }

    #[tokio::test]
    async fn paths_cannot_escape_the_static_root() {
        let outer = tempfile::tempdir().unwrap();
        let root = outer.path().join("root");
        std::fs::create_dir(&root).unwrap();
        std::fs::write(outer.path().join("secret.txt"), "not for the web").unwrap();
        std::fs::write(root.join("index.html"), "<!doctype html>").unwrap();
        assert_eq!(status_of(&root, "/").await, StatusCode::OK);
        assert_eq!(
            status_of(&root, "/../secret.txt").await,
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            status_of(&root, "/%2e%2e/secret.txt").await,
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            status_of(&root, "/..%2fsecret.txt").await,
            StatusCode::NOT_FOUND
        );
    }

    #[tokio::test]
    async fn a_percent_encoded_name_is_served_with_its_type_and_charset() {
        let root = tempfile::tempdir().unwrap();
        std::fs::write(root.path().join("form.js"), "export {};").unwrap();
        let request = hyper::Request::get("/form.j%73").body(()).unwrap();
        let response = StaticFiles::new(root.path()).serve(request).await;
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(
            response.headers()[header::CONTENT_TYPE],
            "text/javascript; charset=utf-8"
        );
        assert_eq!(response.headers()[header::CACHE_CONTROL], "no-cache");
    }
}
