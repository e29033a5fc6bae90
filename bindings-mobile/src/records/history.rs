pub use hedgerow_core::history::FieldChange;
pub use hedgerow_core::store::AuditEntry;
pub use hedgerow_core::workspace::{Briefing, FhirImportReport, RecordChange};
