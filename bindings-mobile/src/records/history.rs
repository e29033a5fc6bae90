use super::{ClinicianRef, Conflict, LatestNews2, Medicine, Task, VisitSummary, list, time};
use crate::AuditAction;
use hedgerow_core::workspace as ws;
use std::time::SystemTime;

/// One value a field has had.
#[derive(Clone, Debug, PartialEq, uniffi::Record)]
pub struct FieldChange {
    pub value: String,
    pub by: Option<ClinicianRef>,
    pub device: Option<String>,
    pub action: Option<String>,
    pub at: SystemTime,
}

impl From<hedgerow_core::history::FieldChange> for FieldChange {
    fn from(c: hedgerow_core::history::FieldChange) -> Self {
        Self { value: c.value, by: c.by, device: c.device, action: c.action, at: time(c.at) }
    }
}

#[derive(Clone, Debug, PartialEq, uniffi::Record)]
pub struct AuditEntry {
    pub at: SystemTime,
    pub clinician: ClinicianRef,
    pub device: String,
    pub action: AuditAction,
    pub patient_id: Option<String>,
    pub detail: String,
    /// Marked for review by the information governance lead (break-glass).
    pub flagged: bool,
}

impl From<hedgerow_core::store::AuditEntry> for AuditEntry {
    fn from(e: hedgerow_core::store::AuditEntry) -> Self {
        Self {
            at: time(e.at),
            clinician: e.clinician,
            device: e.device.to_hex(),
            action: e.action,
            patient_id: e.patient.map(|p| p.to_hex()),
            detail: e.detail,
            flagged: e.flagged,
        }
    }
}

#[derive(Clone, Debug, PartialEq, uniffi::Record)]
pub struct RecordChange {
    pub action: String,
    pub by: Option<ClinicianRef>,
    pub at: SystemTime,
    /// What it set, in clinicians' words ("Furosemide 40 mg tablets: dose 80 mg").
    pub changed: Vec<String>,
}

impl From<ws::RecordChange> for RecordChange {
    fn from(c: ws::RecordChange) -> Self {
        Self { action: c.action, by: c.by, at: time(c.at), changed: c.changed }
    }
}

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

#[derive(Clone, Debug, PartialEq, uniffi::Record)]
pub struct FhirImportReport {
    pub patient_id: String,
    pub created: bool,
    pub demographics_updated: bool,
    pub allergies_added: u64,
    pub medicines_added: u64,
}

impl From<ws::FhirImportReport> for FhirImportReport {
    fn from(r: ws::FhirImportReport) -> Self {
        Self {
            patient_id: r.patient.to_hex(),
            created: r.created,
            demographics_updated: r.demographics_updated,
            allergies_added: r.allergies_added as u64,
            medicines_added: r.medicines_added as u64,
        }
    }
}
