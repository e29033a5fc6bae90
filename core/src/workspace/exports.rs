//! Exports that leave the device (FHIR for GP systems, the printable summary for the home
//! folder) and FHIR import. Every export is audited; consent decides whether it may happen.

use super::{Context, NewPatient};
use crate::documents::patient::{Allergy, GpProposal, Medicine};
use crate::documents::{DocumentKind, PatientRecord, Timestamp, VisitNote};
use crate::error::{Error, Result};
use crate::fhir;
use crate::ids::{PatientId, entry_id};
use crate::store::AuditAction;
use serde::Serialize;

#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct FhirImportReport {
    pub patient: PatientId,
    pub created: bool,
    pub demographics_updated: bool,
    pub allergies_added: u64,
    pub medicines_added: u64,
    /// Current medicines whose dose or frequency differs in the GP record: kept on the
    /// medicine as a proposal for a clinician to review, never applied.
    pub gp_proposals: Vec<String>,
    /// What the bundle held that was not taken in, and why.
    pub left_out: Vec<String>,
}

/// Why this record may not leave the device, if it may not. Consent not yet recorded
/// does not stop an export for direct care, but no Consent is then asserted in it.
fn export_refusal(record: &PatientRecord, conflicts: &[crate::conflicts::Conflict]) -> Option<String> {
    let c = &record.consent;
    if c.national_data_opt_out == Some(true) {
        Some("the patient has registered a national data opt-out".into())
    } else if c.share_with_team == Some(false) {
        Some("the patient has not consented to share their record".into())
    } else if !conflicts.is_empty() {
        let about: Vec<&str> = conflicts.iter().map(|c| c.label.as_str()).collect();
        Some(format!(
            "the record has {} open clinical conflict{} ({}): a receiving system would take one value as the decision, so resolve them first",
            conflicts.len(),
            if conflicts.len() == 1 { "" } else { "s" },
            about.join("; ")
        ))
    } else {
        None
    }
}

pub(super) async fn record_and_visits(
    cx: &Context,
    patient: PatientId,
    newest_first_limit: Option<usize>,
) -> Result<(PatientRecord, Vec<VisitNote>)> {
    super::access::check_readable(cx, patient).await?;
    let mut rx = cx.store.begin_read().await?;
    let record: PatientRecord = rx
        .read_document(&patient.0, DocumentKind::Patient)
        .await?
        .ok_or_else(|| Error::Input(format!("no patient {patient}")))?;
    let mut refs: Vec<(&String, Timestamp)> =
        record.visits.iter().map(|(id, v)| (id, v.started_at)).collect();
    refs.sort_by_key(|(_, at)| std::cmp::Reverse(*at));
    let mut visits = Vec::new();
    for (id, _) in refs.into_iter().take(newest_first_limit.unwrap_or(usize::MAX)) {
        let Ok(vid) = id.parse::<crate::ids::VisitId>() else { continue };
        // A visit known to the index but not yet synced to this device is left out.
        if let Some(note) = rx.read_document::<VisitNote>(&vid.0, DocumentKind::Visit).await? {
            visits.push(note);
        }
    }
    Ok((record, visits))
}

pub(super) async fn export_fhir(cx: &Context, patient: PatientId) -> Result<String> {
    let (record, mut visits) = record_and_visits(cx, patient, None).await?;
    let conflicts = super::merge::conflicts(cx, patient).await?;
    if let Some(reason) = export_refusal(&record, &conflicts) {
        let mut tx = cx.store.begin_write().await?;
        cx.audit(&mut tx, AuditAction::Export, Some(patient), format!("FHIR export refused: {reason}"))
            .await?;
        tx.commit().await?;
        return Err(Error::ExportRefused(reason));
    }
    visits.sort_by_key(|v| v.started_at);
    let bundle = fhir::bundle(&record, &visits, &cx.me.name, Timestamp::now());
    let json = serde_json::to_string_pretty(&bundle).map_err(|e| Error::Internal(e.to_string()))?;
    let mut tx = cx.store.begin_write().await?;
    cx.audit(
        &mut tx,
        AuditAction::Export,
        Some(patient),
        format!("FHIR export: {} resources", bundle.entry.len()),
    )
    .await?;
    tx.commit().await?;
    Ok(json)
}

pub(super) async fn import_fhir(cx: &Context, json: &str) -> Result<FhirImportReport> {
    cx.permit(crate::clinical::Action::ImportRecord, None).await?;
    let imported = fhir::import::parse(json).map_err(|e| Error::Input(format!("FHIR import: {e}")))?;
    let (patient, created) = match super::patients::find_patient(cx, &imported.nhs_number).await {
        Ok(p) => (p, false),
        Err(Error::UnknownPatient(_)) => {
            let dob = imported.date_of_birth.ok_or_else(|| {
                Error::Input("FHIR import: the Patient has no birthDate, needed for a new record".into())
            })?;
            let summary = super::patients::add_patient(
                cx,
                NewPatient {
                    nhs_number: imported.nhs_number,
                    name: imported.name.clone(),
                    date_of_birth: dob,
                    address: imported.address.clone(),
                },
            )
            .await?;
            (summary.id, true)
        }
        Err(e) => return Err(e),
    };
    if !created {
        let (record, _) = record_and_visits(cx, patient, Some(0)).await?;
        if let Some(difference) = demographic_difference(&record, &imported) {
            let reason = format!(
                "the bundle's patient has NHS number {} but {difference}: it may be another person, so nothing was imported. Check the NHS number with the GP practice.",
                imported.nhs_number
            );
            let mut tx = cx.store.begin_write().await?;
            cx.audit_flagged(
                &mut tx,
                AuditAction::Import,
                Some(patient),
                format!("FHIR import refused: {reason}"),
                true,
            )
            .await?;
            tx.commit().await?;
            return Err(Error::ImportRefused(reason));
        }
    }
    let report = cx
        .edit_patient(patient, "import from FHIR", |record, by, at| {
            let d = &mut record.demographics;
            let mut demographics_updated = false;
            if d.name != imported.name {
                d.name = imported.name.clone();
                demographics_updated = true;
            }
            if imported.address.is_some() && d.address != imported.address {
                d.address = imported.address.clone();
                demographics_updated = true;
            }
            let mut allergies_added = 0;
            for a in &imported.allergies {
                let known = record.allergies.values().any(|x| x.substance.eq_ignore_ascii_case(&a.substance));
                if !known {
                    record.allergies.insert(
                        entry_id(),
                        Allergy {
                            substance: a.substance.clone(),
                            reaction: a.reaction.clone(),
                            severity: a.severity,
                            recorded_by: by.clone(),
                            recorded_at: at,
                        },
                    );
                    allergies_added += 1;
                }
            }
            let mut medicines_added = 0;
            let mut gp_proposals = Vec::new();
            for m in &imported.medicines {
                let current = record
                    .medicines
                    .values_mut()
                    .find(|x| x.stop_date.is_none() && x.name.eq_ignore_ascii_case(&m.name));
                match current {
                    Some(x) if x.dose != m.dose || x.frequency != m.frequency => {
                        let same_proposal = x
                            .gp_proposal
                            .as_ref()
                            .is_some_and(|p| p.dose == m.dose && p.frequency == m.frequency);
                        if !same_proposal {
                            x.gp_proposal = Some(GpProposal {
                                dose: m.dose.clone(),
                                frequency: m.frequency.clone(),
                                imported_by: by.clone(),
                                imported_at: at,
                            });
                        }
                        gp_proposals.push(format!(
                            "{}: this record {} {}, the GP record {} {}",
                            x.name, x.dose, x.frequency, m.dose, m.frequency
                        ));
                    }
                    Some(_) => {}
                    None => {
                        record.medicines.insert(
                            entry_id(),
                            Medicine {
                                name: m.name.clone(),
                                dmd_code: m.dmd_code.clone(),
                                dose: m.dose.clone(),
                                route: m.route,
                                frequency: m.frequency.clone(),
                                start_date: None,
                                stop_date: None,
                                anticipatory: false,
                                kept_at: None,
                                changed_by: by.clone(),
                                changed_at: at,
                                change_reason: Some("imported from the GP record".into()),
                                gp_proposal: None,
                            },
                        );
                        medicines_added += 1;
                    }
                }
            }
            Ok(FhirImportReport {
                patient,
                created,
                demographics_updated,
                allergies_added,
                medicines_added,
                gp_proposals,
                left_out: imported.left_out.clone(),
            })
        })
        .await?;
    Ok(report)
}

pub(super) async fn export_summary(cx: &Context, patient: PatientId) -> Result<String> {
    let (record, visits) = record_and_visits(cx, patient, Some(5)).await?;
    let conflicts = super::merge::conflicts(cx, patient).await?;
    let watched = crate::view::WatchedRecord::new(&record, &conflicts);
    let html = super::summary::render(&watched, &visits, &cx.me, Timestamp::now());
    let mut tx = cx.store.begin_write().await?;
    cx.audit(&mut tx, AuditAction::Export, Some(patient), "printable summary".into()).await?;
    tx.commit().await?;
    Ok(html)
}

/// Why a bundle's patient may not be the record's patient: a different date of birth or
/// family name under the same NHS number.
fn demographic_difference(
    record: &PatientRecord,
    imported: &fhir::import::ImportedPatient,
) -> Option<String> {
    let d = &record.demographics;
    if let Some(dob) = imported.date_of_birth.map(|x| x.format("%Y-%m-%d").to_string())
        && dob != d.date_of_birth
    {
        return Some(format!("date of birth {dob}, where this record has {}", d.date_of_birth));
    }
    let family = |name: &str| name.split_whitespace().next_back().unwrap_or("").to_lowercase();
    if let Some(f) = &imported.family_name
        && f.trim().to_lowercase() != family(&d.name)
    {
        return Some(format!("family name {}, where this record has {}", f.trim(), d.name));
    }
    None
}

pub(super) async fn export_patient_document(cx: &Context, patient: PatientId) -> Result<Vec<u8>> {
    let mut doc = cx.load_patient_doc(patient).await?;
    let heads = cx.store.begin_read().await?.actor_heads(&patient.0).await?;
    let bytes = super::merge::SignedExport { team: cx.me.team_id.0, document: doc.save(), heads }.to_bytes();
    let mut tx = cx.store.begin_write().await?;
    cx.audit(
        &mut tx,
        AuditAction::Export,
        Some(patient),
        "exported the record document (Automerge, signed, unencrypted)".into(),
    )
    .await?;
    tx.commit().await?;
    Ok(bytes)
}
