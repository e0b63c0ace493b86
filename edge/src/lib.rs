//! The RSOS intake HTTP API (SPEC §7) as a Spin component.
//!
//! `POST /api/requests` takes an agent's request, lets `rsos-rules` judge it, and — when it
//! is in scope and complete — has `rsos-delivery` send the forward to the mailbox and the
//! acknowledgement to the agent through an HTTP mail API (Microsoft Graph or a JSON webhook),
//! exactly once per agent and `Idempotency-Key`. Out-of-scope requests get the guidance reply;
//! incomplete ones a 422 with the rules' own messages. The promise ledger's links and pages,
//! the coaching insights, and the operator's maintenance endpoints (purge, sweep) sit beside it.
//!
//! Architecture invariant: this crate decides nothing. Validation, subject, scope, urgency,
//! service times, tracking IDs, email texts and the verdict JSON come from `rsos-rules`;
//! claims, leases and what each mail answer means from `rsos-delivery`; this crate owns
//! routing, settings, HTTP, key-value and mail I/O only.
//!
//! Built for `wasm32-wasip2` with `spin-sdk` 5.2 (exports `wasi:http/incoming-handler@0.2.0`);
//! runs under `spin up` with `edge/spin.toml`, or under `rsos-edge-host` for tests and local use.

use std::sync::OnceLock;

use spin_sdk::http::{IncomingRequest, Method, Response};
use spin_sdk::http_component;

/// One log line, written with a single write: the lines of concurrent instances then never
/// interleave mid-line (WASI stderr turns each `eprintln!` fragment into its own write).
macro_rules! log_line {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let line = format!("{}\n", format_args!($($arg)*));
        let _ = std::io::stderr().write_all(line.as_bytes());
    }};
}

mod body;
mod guard;
mod headers;
mod insights;
mod intake;
mod ledger;
mod mail;
mod maintenance;
mod outbound;
mod pages;
mod platform;
mod reply;
mod settings;
mod store;

use headers::Headers;
use reply::Reply;
use settings::Settings;

/// What each path is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Route {
    /// `POST /api/requests` (SPEC §7), for browsers and API clients.
    Requests,
    /// `GET /api/requests/{tracking_id}`: a request's status, for portals and the form.
    Status,
    /// `POST /api/requests/{tracking_id}/details`: the agent's details (the form).
    Details,
    /// `GET /api/promise`: the dates a request sent now would be promised (the form, before
    /// sending; issue 10).
    Promise,
    /// `GET /api/status/{link}`: the agent's status page.
    StatusPage,
    /// `GET`/`POST /api/actions/{link}`: a team action's page.
    Action,
    /// `POST /api/events`: a form event for the coaching insights (issue 12).
    Events,
    /// `GET /api/insights`: the insights counts, for scripts (Bearer `insights_token`).
    Insights,
    /// `GET /api/insights/{link}`: the insights page the team's digest links to.
    InsightsPage,
    /// `POST /api/maintenance/purge`, for the operator's scheduler.
    Purge,
    /// `POST /api/maintenance/sweep`, for the operator's scheduler.
    Sweep,
}

impl Route {
    /// Whether browser pages of other origins may call it (CORS): the form's endpoints, never
    /// the pages or the maintenance endpoints.
    fn for_browsers(self) -> bool {
        matches!(
            self,
            Route::Requests | Route::Status | Route::Details | Route::Promise | Route::Events
        )
    }
}

fn router() -> &'static matchit::Router<Route> {
    static ROUTER: OnceLock<matchit::Router<Route>> = OnceLock::new();
    ROUTER.get_or_init(|| {
        let mut router = matchit::Router::new();
        let routes = [
            ("/api/requests", Route::Requests),
            ("/api/requests/{id}", Route::Status),
            ("/api/requests/{id}/details", Route::Details),
            ("/api/promise", Route::Promise),
            ("/api/status/{link}", Route::StatusPage),
            ("/api/actions/{link}", Route::Action),
            ("/api/events", Route::Events),
            ("/api/insights", Route::Insights),
            ("/api/insights/{link}", Route::InsightsPage),
            ("/api/maintenance/purge", Route::Purge),
            ("/api/maintenance/sweep", Route::Sweep),
        ];
        for (path, route) in routes {
            // Fixed paths that do not overlap: inserting cannot fail.
            let _ = router.insert(path, route);
        }
        router
    })
}

#[http_component]
fn handle(request: IncomingRequest) -> Response {
    let headers = Headers::of(&request);
    let origin = headers.text("origin").map(str::to_owned);
    let path = request.path_with_query().unwrap_or_default();
    let path = path.split('?').next().unwrap_or_default();
    let matched = router()
        .at(path
            .strip_suffix('/')
            .filter(|p| !p.is_empty())
            .unwrap_or(path))
        .ok();
    let route = matched.as_ref().map(|m| *m.value);
    // The one parameter of a route ({id} or {link}), percent-decoded.
    let param = matched
        .as_ref()
        .and_then(|m| m.params.iter().next().map(|(_, v)| v))
        .map(|v| {
            percent_encoding::percent_decode_str(v)
                .decode_utf8_lossy()
                .into_owned()
        })
        .unwrap_or_default();
    let settings = Settings::load();
    let reply = match (&settings, route) {
        (Err(e), _) => {
            log_line!("rsos-edge: configuration error: {e}");
            Reply::error(
                500,
                "The service is not configured correctly; please try again later.",
            )
        }
        (Ok(settings), Some(Route::Requests)) => {
            requests(settings, request, &headers, origin.as_deref())
        }
        (Ok(settings), Some(Route::Status)) => match request.method() {
            Method::Get => ledger::status_json(settings, &headers, &param),
            Method::Options => preflight(settings, origin.as_deref(), "GET, OPTIONS"),
            _ => {
                Reply::error(405, "Only GET is accepted here.").with_header("allow", "GET, OPTIONS")
            }
        },
        (Ok(settings), Some(Route::Details)) => match request.method() {
            Method::Options => preflight(settings, origin.as_deref(), "POST, OPTIONS"),
            _ => ledger::details(settings, request, &headers, &param),
        },
        (Ok(settings), Some(Route::Promise)) => match request.method() {
            // No store, no member data, nothing changes: the business clock at the edge's
            // instant, the same one the 202 and the acknowledgement would name.
            Method::Get => Reply::json(
                200,
                &rsos_rules::promise_if_sent(platform::now_utc(), rsos_rules::Ruleset::builtin()),
            ),
            Method::Options => preflight(settings, origin.as_deref(), "GET, OPTIONS"),
            _ => {
                Reply::error(405, "Only GET is accepted here.").with_header("allow", "GET, OPTIONS")
            }
        },
        (Ok(settings), Some(Route::StatusPage)) => ledger::status_page(settings, &request, &param),
        (Ok(settings), Some(Route::Action)) => ledger::action(settings, request, &param),
        (Ok(settings), Some(Route::Events)) => match request.method() {
            Method::Options => preflight(settings, origin.as_deref(), "POST, OPTIONS"),
            _ => insights::event(settings, request, &headers),
        },
        (Ok(settings), Some(Route::Insights)) if !settings.insights_token.is_empty() => {
            insights::api(settings, &request, &headers)
        }
        (Ok(settings), Some(Route::InsightsPage)) => insights::page(settings, &request, &param),
        (Ok(settings), Some(Route::Purge)) if !settings.maintenance_token.is_empty() => {
            maintenance::purge(settings, &request, &headers)
        }
        (Ok(settings), Some(Route::Sweep)) if !settings.maintenance_token.is_empty() => {
            maintenance::sweep(settings, &request, &headers)
        }
        (Ok(_), _) => Reply::error(404, "There is nothing at this address."),
    };
    let cors = match (&settings, origin) {
        (Ok(settings), Some(origin))
            if route.is_some_and(Route::for_browsers) && settings.allows_origin(&origin) =>
        {
            Some(origin)
        }
        _ => None,
    };
    reply.into_response(cors)
}

fn requests(
    settings: &Settings,
    request: IncomingRequest,
    headers: &Headers,
    origin: Option<&str>,
) -> Reply {
    match request.method() {
        Method::Post => intake::post(settings, request, headers),
        Method::Options => preflight(settings, origin, "POST, OPTIONS"),
        _ => Reply::error(405, "Only POST is accepted here.").with_header("allow", "POST, OPTIONS"),
    }
}

/// A CORS preflight from a browser page of an allowed origin.
fn preflight(settings: &Settings, origin: Option<&str>, methods: &'static str) -> Reply {
    match origin {
        Some(origin) if settings.allows_origin(origin) => Reply::empty(204)
            .with_header("access-control-allow-methods", methods)
            .with_header(
                "access-control-allow-headers",
                "content-type, idempotency-key, authorization, x-rsos-trap",
            )
            .with_header("access-control-max-age", "600"),
        _ => Reply::error(403, "This origin may not call the API."),
    }
}

/// The store could not be reached: nothing was recorded or sent, so a retry is safe.
fn unavailable() -> Reply {
    Reply::error(
        503,
        "The service is temporarily unavailable; please try again.",
    )
    .with_header("retry-after", "5")
}
