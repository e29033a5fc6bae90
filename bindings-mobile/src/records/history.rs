use super::{Conflict, LatestNews2, Medicine, Task, VisitSummary, list, time};
pub use hedgerow_core::history::FieldChange;
pub use hedgerow_core::store::AuditEntry;
use hedgerow_core::workspace as ws;
pub use hedgerow_core::workspace::{FhirImportReport, RecordChange};
use std::time::SystemTime;

/// What changed since this clinician's last visit to the patient.
#[derive(Clone, Debug, PartialEq, uniffi::Record)]
pub struct Briefing {
    pub patient_id: String,
    /// Absent if this clinician never visited (everything is new).
    pub my_last_visit: Option<SystemTime>,
    pub record_changes: Vec<RecordChange>,
    pub medicines_changed: Vec<Medicine>,
    pub visits_by_others: Vec<VisitSummary>,
    pub news2_trend: Vec<LatestNews2>,
    pub open_tasks: Vec<Task>,
    pub conflicts: Vec<Conflict>,
}

impl From<ws::Briefing> for Briefing {
    fn from(b: ws::Briefing) -> Self {
        Self {
            patient_id: b.patient.to_hex(),
            my_last_visit: b.my_last_visit.map(time),
            record_changes: list(b.record_changes),
            medicines_changed: b.medicines_changed.into_iter().map(|(id, m)| Medicine::new(id, m)).collect(),
            visits_by_others: list(b.visits_by_others),
            news2_trend: list(b.news2_trend),
            open_tasks: b.open_tasks.into_iter().map(|(id, t)| Task::new(id, t)).collect(),
            conflicts: list(b.conflicts),
        }
    }
}
