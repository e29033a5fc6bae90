//! FHIR R4 (UK Core) export and import.

pub mod export;
pub mod import;
pub mod model;
mod vitals;

pub use vitals::sub_score_code;

pub use export::bundle;
