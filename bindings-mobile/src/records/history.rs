pub use hedgerow_core::history::FieldChange;
pub use hedgerow_core::view::AuditEntry;
pub use hedgerow_core::workspace::{Briefing, FhirImportReport, RecordChange};
