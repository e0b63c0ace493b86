//! The form's view: one component (`App`, which holds the state) and plain functions that
//! render its parts, in files by concern: `app` (state, effects, what to show), `form` (the
//! request form), `controls` (one labelled field), `verdict` (banners, hints, subject,
//! guidance), `receipt` (the confirmation); `details`, in the details build only, the details form's own
//! component (`DetailsApp`). Plain functions rather than function components
//! of their own: those cost the form ~5 KB gzip of props machinery for memoisation it does
//! not need (a verdict takes ~1 ms). Nothing here judges a request; every message comes from
//! `rsos_rules::assess` or the server.

mod app;
mod controls;
#[cfg(feature = "details")]
mod details;
mod form;
mod receipt;
mod verdict;

pub use app::{App, AppProps};
#[cfg(feature = "details")]
pub use details::DetailsApp;
