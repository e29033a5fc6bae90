use super::{ClinicianRef, PatientSummary, list, time};
use crate::Exudate;
pub use hedgerow_core::clinical::news2::{ComponentScore, News2Score, Observations};
use hedgerow_core::documents::visit as core;
use hedgerow_core::workspace as ws;
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

/// A wound as assessed at a visit, as the clinician enters it.
#[derive(Clone, Debug, PartialEq, uniffi::Record)]
pub struct NewWoundAssessment {
    /// Where, e.g. "left gaiter, medial".
    pub site: String,
    pub length_cm: f64,
    pub width_cm: f64,
    #[uniffi(default)]
    pub depth_cm: Option<f64>,
    #[uniffi(default)]
    pub tissue: Option<String>,
    pub exudate: Exudate,
    #[uniffi(default)]
    pub signs_of_infection: bool,
    /// 0 (no pain) to 10 (worst imaginable).
    #[uniffi(default)]
    pub pain_score: Option<i64>,
    #[uniffi(default)]
    pub dressing: Option<String>,
}

impl From<NewWoundAssessment> for ws::NewWound {
    fn from(w: NewWoundAssessment) -> Self {
        Self {
            site: w.site,
            length_cm: w.length_cm,
            width_cm: w.width_cm,
            depth_cm: w.depth_cm,
            tissue: w.tissue,
            exudate: w.exudate,
            signs_of_infection: w.signs_of_infection,
            pain_score: w.pain_score,
            dressing: w.dressing,
        }
    }
}

#[derive(Clone, Debug, PartialEq, uniffi::Record)]
pub struct WoundAssessment {
    pub site: String,
    pub length_cm: f64,
    pub width_cm: f64,
    pub depth_cm: Option<f64>,
    pub tissue: Option<String>,
    pub exudate: Exudate,
    pub signs_of_infection: bool,
    pub pain_score: Option<i64>,
    pub dressing: Option<String>,
    pub recorded_by: ClinicianRef,
    pub recorded_at: SystemTime,
}

impl From<core::WoundAssessment> for WoundAssessment {
    fn from(w: core::WoundAssessment) -> Self {
        Self {
            site: w.site,
            length_cm: w.length_cm,
            width_cm: w.width_cm,
            depth_cm: w.depth_cm,
            tissue: w.tissue,
            exudate: w.exudate,
            signs_of_infection: w.signs_of_infection,
            pain_score: w.pain_score,
            dressing: w.dressing,
            recorded_by: w.recorded_by,
            recorded_at: time(w.recorded_at),
        }
    }
}

#[derive(Clone, Debug, PartialEq, uniffi::Record)]
pub struct VisitAction {
    pub text: String,
    pub done: bool,
}

#[derive(Clone, Debug, PartialEq, uniffi::Record)]
pub struct Signature {
    pub signed_by: ClinicianRef,
    pub device_id: String,
    pub signed_at: SystemTime,
    /// Hex SHA-256 of the signed body.
    pub body_sha256: String,
}

impl From<core::Signature> for Signature {
    fn from(s: core::Signature) -> Self {
        Self {
            signed_by: s.signed_by,
            device_id: s.device_id,
            signed_at: time(s.signed_at),
            body_sha256: s.body_sha256,
        }
    }
}

#[derive(Clone, Debug, PartialEq, uniffi::Record)]
pub struct Addendum {
    pub text: String,
    pub written_by: ClinicianRef,
    pub written_at: SystemTime,
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
            signature: v.signature.map(Into::into),
            signature_valid: v.signature_valid,
            addenda: v
                .addenda
                .into_iter()
                .map(|a| Addendum { text: a.text, written_by: a.written_by, written_at: time(a.written_at) })
                .collect(),
            wound_assessments: list(v.wound_assessments),
            actions: v.actions.into_iter().map(|a| VisitAction { text: a.text, done: a.done }).collect(),
        }
    }
}
