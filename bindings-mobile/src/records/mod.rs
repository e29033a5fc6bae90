//! Records as the shells hold them. Most are the core's own view types, derived for UniFFI
//! in the core (`hedgerow_core::ffi`) and re-exported here; what is still written here is
//! `PatientView` (the core's, without the stored document) and the input records, whose
//! checks give typed errors. Times cross as timestamps (`Date`, `Instant`, `datetime`); calendar
//! dates as `YYYY-MM-DD` text, as the record stores them.

mod caseload;
mod history;
mod patient;
mod sync;
mod visit;

pub use caseload::*;
pub use history::*;
pub use patient::*;
pub use sync::*;
pub use visit::*;

use crate::error::Result;

pub use hedgerow_core::view::ClinicianRef;

/// The core's one parser for typed dates, so every shell refuses a date in the same words.
pub(crate) fn date(text: &str, what: &str) -> Result<chrono::NaiveDate> {
    Ok(hedgerow_core::view::parse_date(text, what)?)
}

pub(crate) fn date_text(text: &str) -> Result<chrono::NaiveDate> {
    date(text, "the date")
}

pub(crate) fn optional_date(text: Option<String>, what: &str) -> Result<Option<chrono::NaiveDate>> {
    text.filter(|t| !t.trim().is_empty()).map(|t| date(&t, what)).transpose()
}

pub(crate) fn list<C, T: From<C>>(items: impl IntoIterator<Item = C>) -> Vec<T> {
    items.into_iter().map(T::from).collect()
}
