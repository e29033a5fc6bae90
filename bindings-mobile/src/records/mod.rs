//! Records as the shells hold them. Most are the core's own view types, derived for UniFFI
//! in the core (`hedgerow_core::ffi`) and re-exported here; what is still built here is the
//! patient record and a visit as opened (entries the core keys by id arrive as lists
//! carrying their `id`, which is what edits take back) and the input records, whose checks
//! give typed errors. Times cross as timestamps (`Date`, `Instant`, `datetime`); calendar
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
use hedgerow_core::documents::Timestamp;
use std::time::{Duration, SystemTime};

pub use hedgerow_core::documents::ClinicianRef;

pub(crate) fn time(t: Timestamp) -> SystemTime {
    let ms = Duration::from_millis(t.0.unsigned_abs());
    if t.0 >= 0 { SystemTime::UNIX_EPOCH + ms } else { SystemTime::UNIX_EPOCH - ms }
}

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
