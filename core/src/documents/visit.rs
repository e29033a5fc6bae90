//! The visit note: one document per visit, so that documents stay small.

use super::schema::{ClinicianRef, Timestamp};
use crate::clinical::{Consciousness, Observations, Spo2Scale};
use autosurgeon::{Hydrate, Reconcile, Text};
use serde::Serialize;
use std::collections::BTreeMap;

pub const SCHEMA_VERSION: u64 = 1;

#[derive(Clone, Debug, Reconcile, Hydrate)]
pub struct VisitNote {
    /// Always "visit".
    pub kind: String,
    pub schema: u64,
    pub id: String,
    pub patient_id: String,
    pub clinician: ClinicianRef,
    /// DeviceId of the device the visit was started on.
    pub device_id: String,
    pub started_at: Timestamp,
    /// Sets of vital signs keyed by entry id; NEWS2 is computed from them, never stored.
    pub observations: BTreeMap<String, ObservationSet>,
    /// Structured wound assessments keyed by entry id.
    pub wound_assessments: BTreeMap<String, WoundAssessment>,
    /// The contemporaneous note, as collaborative text.
    pub narrative: Text,
    pub actions: BTreeMap<String, Action>,
    /// Present once signed; the body is then read-only.
    pub signature: Option<Signature>,
    /// Attributed corrections after signing.
    pub addenda: BTreeMap<String, Addendum>,
    /// Present if the visit was cancelled before it was signed (started by mistake, or
    /// abandoned); it is then read-only, and what was typed and not saved is kept here.
    pub cancelled: Option<Cancellation>,
}

#[derive(Clone, Debug, PartialEq, Reconcile, Hydrate, Serialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct Cancellation {
    pub by: ClinicianRef,
    pub at: Timestamp,
    pub reason: String,
    /// What was typed into the visit and never saved, discarded with it (empty if nothing).
    pub discarded: String,
}

#[derive(Clone, Debug, PartialEq, Reconcile, Hydrate, Serialize)]
pub struct ObservationSet {
    pub recorded_at: Timestamp,
    pub recorded_by: ClinicianRef,
    pub respiration_rate: Option<i64>,
    pub spo2: Option<i64>,
    /// "scale-1" or "scale-2": the record's scale when the reading was taken.
    pub spo2_scale: String,
    pub on_oxygen: Option<bool>,
    pub systolic_bp: Option<i64>,
    pub pulse: Option<i64>,
    /// ACVPU letter: "A", "C" (new confusion), "V", "P" or "U".
    pub consciousness: Option<String>,
    pub temperature_c: Option<f64>,
}

crate::documents::schema::vocabulary! {
    pub enum Exudate {
        None => "none",
        Low => "low",
        Moderate => "moderate",
        High => "high",
    }
}

/// One wound as assessed at this visit.
#[derive(Clone, Debug, PartialEq, Reconcile, Hydrate, Serialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct WoundAssessment {
    /// Where, e.g. "left gaiter, medial".
    pub site: String,
    pub length_cm: f64,
    pub width_cm: f64,
    pub depth_cm: Option<f64>,
    /// Wound bed, e.g. "granulating 80%, slough 20%".
    pub tissue: Option<String>,
    pub exudate: Exudate,
    pub signs_of_infection: bool,
    /// 0 (no pain) to 10 (worst imaginable).
    pub pain_score: Option<i64>,
    pub dressing: Option<String>,
    pub recorded_by: ClinicianRef,
    pub recorded_at: Timestamp,
}

#[derive(Clone, Debug, PartialEq, Reconcile, Hydrate, Serialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[cfg_attr(feature = "uniffi", uniffi(name = "VisitAction"))]
pub struct Action {
    pub text: String,
    pub done: bool,
}

#[derive(Clone, Debug, PartialEq, Reconcile, Hydrate, Serialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct Signature {
    pub signed_by: ClinicianRef,
    pub device_id: String,
    pub signed_at: Timestamp,
    /// Hex SHA-256 of the signed body (see docs/documents.md for what it covers).
    pub body_sha256: String,
    /// Hex Ed25519 signature over the body hash, by the device's key.
    pub ed25519: String,
    pub public_key: String,
}

#[derive(Clone, Debug, PartialEq, Reconcile, Hydrate, Serialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct Addendum {
    pub text: String,
    pub written_by: ClinicianRef,
    pub written_at: Timestamp,
}

impl ObservationSet {
    pub fn from_observations(obs: &Observations, scale: Spo2Scale, by: ClinicianRef, at: Timestamp) -> Self {
        Self {
            recorded_at: at,
            recorded_by: by,
            respiration_rate: obs.respiration_rate.map(i64::from),
            spo2: obs.spo2.map(i64::from),
            spo2_scale: match scale {
                Spo2Scale::Scale1 => "scale-1".into(),
                Spo2Scale::Scale2 => "scale-2".into(),
            },
            on_oxygen: obs.on_oxygen,
            systolic_bp: obs.systolic_bp.map(i64::from),
            pulse: obs.pulse.map(i64::from),
            consciousness: obs.consciousness.map(|c| c.letter().to_string()),
            temperature_c: obs.temperature,
        }
    }

    /// Back to clinical values; out-of-range numbers from a faulty peer read as missing.
    pub fn observations(&self) -> Observations {
        let small = |v: Option<i64>| v.and_then(|x| u16::try_from(x).ok());
        Observations {
            respiration_rate: small(self.respiration_rate),
            spo2: small(self.spo2),
            on_oxygen: self.on_oxygen,
            systolic_bp: small(self.systolic_bp),
            pulse: small(self.pulse),
            consciousness: self.consciousness.as_deref().and_then(Consciousness::from_letter),
            temperature: self.temperature_c,
        }
    }

    pub fn scale(&self) -> Spo2Scale {
        if self.spo2_scale == "scale-2" { Spo2Scale::Scale2 } else { Spo2Scale::Scale1 }
    }
}

impl VisitNote {
    pub fn new(
        id: String,
        patient_id: String,
        clinician: ClinicianRef,
        device_id: String,
        started_at: Timestamp,
    ) -> Self {
        Self {
            kind: "visit".into(),
            schema: SCHEMA_VERSION,
            id,
            patient_id,
            clinician,
            device_id,
            started_at,
            observations: BTreeMap::new(),
            wound_assessments: BTreeMap::new(),
            narrative: Text::with_value(""),
            actions: BTreeMap::new(),
            signature: None,
            addenda: BTreeMap::new(),
            cancelled: None,
        }
    }

    /// The observation sets in the order they were taken.
    pub fn observation_sets(&self) -> Vec<&ObservationSet> {
        let mut sets: Vec<&ObservationSet> = self.observations.values().collect();
        sets.sort_by_key(|s| s.recorded_at);
        sets
    }

    /// The canonical bytes a signature covers: everything a clinician signs for.
    pub fn signed_body(&self) -> Vec<u8> {
        let body = serde_json::json!({
            "id": self.id,
            "patient_id": self.patient_id,
            "clinician": self.clinician,
            "started_at": self.started_at.0,
            "observations": self.observation_sets(),
            "wound_assessments": self.wound_assessments,
            "narrative": self.narrative.as_str(),
            "actions": self.actions,
        });
        serde_json::to_vec(&canonical(body)).expect("JSON of plain values")
    }
}

/// Sorts object keys at every level, so the signed bytes never depend on how a JSON map
/// happens to order its keys.
fn canonical(v: serde_json::Value) -> serde_json::Value {
    use serde_json::Value;
    match v {
        Value::Object(map) => {
            let mut entries: Vec<(String, Value)> = map.into_iter().collect();
            entries.sort_by(|a, b| a.0.cmp(&b.0));
            Value::Object(entries.into_iter().map(|(k, v)| (k, canonical(v))).collect())
        }
        Value::Array(items) => Value::Array(items.into_iter().map(canonical).collect()),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::documents::Role;

    fn note() -> VisitNote {
        let who = ClinicianRef {
            id: "ab".repeat(16),
            name: "Ada Quill".into(),
            role: Role::DistrictNurse,
            registration: None,
        };
        let mut n =
            VisitNote::new("01".repeat(16), "02".repeat(16), who.clone(), "03".repeat(16), Timestamp(5));
        let obs = Observations { pulse: Some(72), temperature: Some(37.1), ..Default::default() };
        n.observations.insert(
            "e1".into(),
            ObservationSet::from_observations(&obs, Spo2Scale::Scale1, who, Timestamp(6)),
        );
        n.narrative.update("Comfortable.");
        n
    }

    #[test]
    fn the_signed_body_is_canonical_json_with_sorted_keys() {
        let body = String::from_utf8(note().signed_body()).unwrap();
        assert!(body.starts_with(r#"{"actions":{},"clinician":{"id":""#), "{body}");
        let keys = [
            "\"actions\"",
            "\"clinician\"",
            "\"id\"",
            "\"narrative\"",
            "\"observations\"",
            "\"patient_id\"",
            "\"started_at\"",
        ];
        let positions: Vec<usize> = keys.iter().map(|k| body.find(k).unwrap()).collect();
        assert!(positions.windows(2).all(|w| w[0] < w[1]), "{body}");
        assert!(body.contains(r#""consciousness":null"#), "{body}");
        assert!(body.contains(r#""temperature_c":37.1"#), "{body}");
        assert!(!body.contains(' ') || body.contains("Ada Quill"), "no whitespace outside strings");
    }

    #[test]
    fn any_change_to_the_body_changes_the_signed_bytes() {
        let a = note();
        let mut b = note();
        b.narrative.update("Comfortable!");
        assert_ne!(a.signed_body(), b.signed_body());
        let mut c = note();
        c.observations.get_mut("e1").unwrap().pulse = Some(73);
        assert_ne!(a.signed_body(), c.signed_body());
    }
}
