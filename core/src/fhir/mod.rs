//! FHIR R4 (UK Core) export and import.

pub mod export;
pub mod import;
pub mod model;

pub use export::bundle;
