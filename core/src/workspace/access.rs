//! Who may read which record on this device: a patient on the team's caseload, or one a
//! clinician has opened by break-glass, giving a reason that is recorded and flagged for
//! the team's information governance lead. Every read of a record goes through
//! [`check_readable`], called where records and visits are loaded, so no read
//! path (history, briefing, chart, exports, conflicts, visits) goes round it.

use super::Context;
use crate::error::{Error, Result};
use crate::ids::{PatientId, VisitId};
use crate::store::AuditAction;
use std::time::{Duration, Instant};

/// How long one break-glass reason opens a record for, on this device.
pub const BREAK_GLASS_FOR: Duration = Duration::from_secs(30 * 60);

pub(super) async fn break_glass(cx: &Context, patient: PatientId, reason: &str) -> Result<()> {
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(Error::Input("break-glass access needs a reason, which is recorded and reviewed".into()));
    }
    let mut tx = cx.store.begin_write().await?;
    if tx.patient_summary(&patient).await?.is_none() {
        return Err(Error::Input(format!("no patient {patient} on this device")));
    }
    cx.audit_flagged(&mut tx, AuditAction::BreakGlass, Some(patient), format!("break-glass: {reason}"), true)
        .await?;
    tx.commit().await?;
    cx.grants.lock().unwrap_or_else(|p| p.into_inner()).insert(patient, Instant::now());
    Ok(())
}

/// Whether this clinician may read the record now: on the caseload, or opened by
/// break-glass within the last [`BREAK_GLASS_FOR`].
pub(crate) async fn check_readable(cx: &Context, patient: PatientId) -> Result<()> {
    let granted = {
        let mut grants = cx.grants.lock().unwrap_or_else(|p| p.into_inner());
        grants.retain(|_, at| at.elapsed() < BREAK_GLASS_FOR);
        grants.contains_key(&patient)
    };
    if granted || cx.store.begin_read().await?.on_caseload(&patient).await? {
        Ok(())
    } else {
        Err(Error::BreakGlassRequired)
    }
}

pub(super) async fn patient_of_visit(cx: &Context, visit: VisitId) -> Result<PatientId> {
    cx.store
        .begin_read()
        .await?
        .visit_summary(&visit)
        .await?
        .map(|v| v.patient_id)
        .ok_or_else(|| Error::UnknownVisit(visit.to_hex()))
}

/// Each known actor's clinician: every device the confirmed registry enrols, by the
/// clinician the team document names for it. From the registry only (not this device's
/// own say), so that devices that merged the same changes attribute them alike.
pub(crate) async fn authors(cx: &Context) -> Result<crate::attribution::Authors> {
    use crate::documents::{ClinicianRef, DocumentKind, Team};
    let mut authors = crate::attribution::Authors::default();
    let mut rx = cx.store.begin_read().await?;
    // Other teams' clinicians, named with their team, as their letters gave them.
    for a in super::shared_record::partner_authors(&mut rx).await? {
        let mut c: ClinicianRef = a.clinician.into();
        c.name = format!("{} ({})", c.name, a.team);
        authors.insert(a.actor.to_vec(), c);
    }
    let statements: Vec<crate::sync::registry::PositionedStatement> = match rx
        .setting(super::team::REGISTRY)
        .await?
    {
        Some(b) => postcard::from_bytes(&b).map_err(|e| Error::Corrupt(format!("the team registry: {e}")))?,
        None => return Ok(authors),
    };
    let Ok(registry) = crate::sync::registry::Registry::replay(cx.me.team_id.0, &statements) else {
        return Ok(authors);
    };
    let Some(team) = rx.read_document::<Team>(&cx.me.team_id.0, DocumentKind::Team).await? else {
        return Ok(authors);
    };
    for (actor, clinician) in clinicians_by_actor(&registry, &team) {
        authors.insert(actor.to_vec(), clinician);
    }
    Ok(authors)
}

/// Every device `registry` enrols, by its Automerge actor, with the clinician `team` names
/// for it (devices the team document does not name are left out).
pub(super) fn clinicians_by_actor(
    registry: &crate::sync::registry::Registry,
    team: &crate::documents::Team,
) -> Vec<([u8; 16], crate::documents::ClinicianRef)> {
    let mut out = Vec::new();
    for d in registry.devices() {
        let key = hex::encode(d.device);
        let Some(device) = team.devices.values().find(|t| t.public_key == key) else { continue };
        let Some(c) = team.clinicians.get(&device.clinician_id) else { continue };
        let clinician = crate::documents::ClinicianRef {
            id: device.clinician_id.clone(),
            name: c.name.clone(),
            role: c.role,
            registration: c.registration.clone(),
        };
        out.push((d.actor, clinician));
    }
    out
}
