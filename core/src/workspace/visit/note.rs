//! What a visit note is checked against: its signature, whether it may still change, a
//! wound assessment's bounds, and its row in the query tables.

use super::NewWound;
use crate::clinical;
use crate::crypto::{DeviceKey, verify_signature};
use crate::documents::visit::Signature;
use crate::documents::{Timestamp, VisitNote};
use crate::error::{Error, Result};
use crate::ids::VisitId;
use crate::store::{LatestNews2, VisitSummary};
use crate::workspace::Identity;

/// Signs the body of a note as `who` on the device holding `key`.
pub(crate) fn sign_note(note: &VisitNote, who: &Identity, key: &DeviceKey, at: Timestamp) -> Signature {
    let digest = ring::digest::digest(&ring::digest::SHA256, &note.signed_body());
    Signature {
        signed_by: who.clinician_ref(),
        device_id: who.device_id.to_hex(),
        signed_at: at,
        body_sha256: hex::encode(digest.as_ref()),
        ed25519: hex::encode(key.sign(digest.as_ref())),
        public_key: hex::encode(key.public_key()),
    }
}

/// True when the signature matches the note's body as it is now.
pub fn signature_verifies(note: &VisitNote, sig: &Signature) -> bool {
    let digest = ring::digest::digest(&ring::digest::SHA256, &note.signed_body());
    let (Ok(key), Ok(signature)) = (hex::decode(&sig.public_key), hex::decode(&sig.ed25519)) else {
        return false;
    };
    hex::encode(digest.as_ref()) == sig.body_sha256 && verify_signature(&key, digest.as_ref(), &signature)
}

/// A visit's body may change until it is signed or cancelled.
pub(crate) fn writable(note: &VisitNote, visit: VisitId) -> Result<()> {
    if note.signature.is_some() {
        return Err(Error::VisitSigned(visit.to_hex()));
    }
    if note.cancelled.is_some() {
        return Err(Error::VisitCancelled(visit.to_hex()));
    }
    Ok(())
}

/// The visit's row in the query tables.
pub(crate) fn visit_summary(note: &VisitNote) -> Result<VisitSummary> {
    let news2 = note.observation_sets().last().map(|s| {
        let score = clinical::news2::score(&s.observations(), s.scale());
        LatestNews2 {
            total: score.total,
            partial: score.partial,
            band: score.band,
            recorded_at: s.recorded_at,
        }
    });
    let preview: String = note.narrative.as_str().lines().next().unwrap_or("").chars().take(120).collect();
    Ok(VisitSummary {
        id: note.id.parse().map_err(|e| Error::Corrupt(format!("visit id: {e}")))?,
        patient_id: note.patient_id.parse().map_err(|e| Error::Corrupt(format!("visit patient id: {e}")))?,
        started_at: note.started_at,
        clinician: note.clinician.clone(),
        signed: note.signature.is_some(),
        cancelled: note.cancelled.is_some(),
        news2,
        note_preview: preview,
    })
}

/// A wound's size and pain are what a clinician could measure; a slip is refused.
pub(super) fn check_wound(wound: &NewWound) -> Result<()> {
    if wound.site.trim().is_empty() {
        return Err(Error::Input("say where the wound is (site)".into()));
    }
    let size_ok = |v: f64| v.is_finite() && (0.0..=100.0).contains(&v);
    if !size_ok(wound.length_cm) || !size_ok(wound.width_cm) || wound.depth_cm.is_some_and(|d| !size_ok(d)) {
        return Err(Error::Input("wound length, width and depth are 0 to 100 cm".into()));
    }
    if wound.pain_score.is_some_and(|p| !(0..=10).contains(&p)) {
        return Err(Error::Input("pain score is 0 (none) to 10 (worst)".into()));
    }
    Ok(())
}
