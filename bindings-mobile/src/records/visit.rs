use super::{ClinicianRef, PatientSummary, list, time};
pub use hedgerow_core::clinical::news2::{ComponentScore, News2Score, Observations};
pub use hedgerow_core::documents::visit::{Action as VisitAction, Addendum, Signature, WoundAssessment};
use hedgerow_core::workspace as ws;
pub use hedgerow_core::workspace::NewWound as NewWoundAssessment;
pub use hedgerow_core::workspace::RecordedObservations;
use std::time::SystemTime;

/// A set of observations on a visit, as recorded, with its score.
#[derive(Clone, Debug, PartialEq, uniffi::Record)]
pub struct ObservationSet {
    pub recorded_at: SystemTime,
    pub recorded_by: ClinicianRef,
    pub observations: Observations,
    pub news2: News2Score,
}

impl From<ws::ScoredObservations> for ObservationSet {
    fn from(s: ws::ScoredObservations) -> Self {
        Self {
            recorded_at: time(s.observations.recorded_at),
            observations: s.observations.observations(),
            recorded_by: s.observations.recorded_by,
            news2: s.news2,
        }
    }
}

/// A visit note as opened.
#[derive(Clone, Debug, PartialEq, uniffi::Record)]
pub struct Visit {
    pub id: String,
    pub patient: PatientSummary,
    pub clinician: ClinicianRef,
    pub started_at: SystemTime,
    pub observations: Vec<ObservationSet>,
    pub narrative: String,
    pub signature: Option<Signature>,
    /// Whether the signature verifies against the note as it stands now.
    pub signature_valid: Option<bool>,
    /// Corrections after signing, oldest first.
    pub addenda: Vec<Addendum>,
    pub wound_assessments: Vec<WoundAssessment>,
    pub actions: Vec<VisitAction>,
}

impl From<ws::VisitView> for Visit {
    fn from(v: ws::VisitView) -> Self {
        Self {
            id: v.id.to_hex(),
            patient: v.patient,
            clinician: v.clinician,
            started_at: time(v.started_at),
            observations: list(v.observations),
            narrative: v.narrative,
            signature: v.signature,
            signature_valid: v.signature_valid,
            addenda: v.addenda,
            wound_assessments: v.wound_assessments,
            actions: v.actions,
        }
    }
}
