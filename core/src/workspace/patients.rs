//! Patients on this device's caseload: adding them, finding them, opening a record (audited),
//! and the one way a record is changed ([`Context::edit_patient`]).

use super::{Context, Draft, NewPatient, PatientView};
use crate::clinical::{Action, NhsNumber};
use crate::documents::patient::{Demographics, Spo2ScaleSetting};
use crate::documents::team::CaseloadEntry;
use crate::documents::{self, ClinicianRef, DocumentKind, PatientRecord, Team, Timestamp};
use crate::error::{Error, Result};
use crate::ids::PatientId;
use crate::store::{AuditAction, DueTask, PatientSummary, WriteTx};
use automerge::AutoCommit;

impl Context {
    /// One change to a patient record: loaded and changed under the write lock, saved,
    /// re-indexed and audited in one transaction.
    pub(crate) async fn edit_patient<R>(
        &self,
        patient: PatientId,
        action: &str,
        change: impl FnOnce(&mut PatientRecord, &ClinicianRef, Timestamp) -> Result<R>,
    ) -> Result<R> {
        self.edit_patient_doc(patient, action, &[], |_, record, by, at| change(record, by, at)).await
    }

    /// As [`Context::edit_patient`], with the Automerge document at hand for the rare
    /// change that must shape the operations themselves; `replaces` names the top-level
    /// fields whose objects it replaces there, so that they are written back whole.
    pub(crate) async fn edit_patient_doc<R>(
        &self,
        patient: PatientId,
        action: &str,
        replaces: &[&'static str],
        change: impl FnOnce(&mut AutoCommit, &mut PatientRecord, &ClinicianRef, Timestamp) -> Result<R>,
    ) -> Result<R> {
        let mut tx = self.store.begin_write().await?;
        let mut draft: Draft<PatientRecord> = self
            .draft(&mut tx, patient.0, DocumentKind::Patient, || {
                Error::Input(format!("no patient {patient}"))
            })
            .await?;
        draft.replaced.extend_from_slice(replaces);
        let out = change(&mut draft.doc, &mut draft.value, &self.me.clinician_ref(), Timestamp::now())?;
        self.save(&mut tx, &mut draft, action).await?;
        let conflicts = draft.conflicts();
        tx.refresh_patient(&draft.value, &conflicts).await?;
        self.audit(&mut tx, AuditAction::Edit, Some(patient), action.to_owned()).await?;
        draft.keep_loaded(&mut tx);
        tx.commit().await?;
        Ok(out)
    }
}

pub(super) async fn add_patient(cx: &Context, new: NewPatient) -> Result<PatientSummary> {
    let mut added = add_patients(cx, vec![new]).await?;
    Ok(added.remove(0))
}

pub(super) async fn add_patients(cx: &Context, patients: Vec<NewPatient>) -> Result<Vec<PatientSummary>> {
    if patients.is_empty() {
        return Err(Error::Input("no patients to add".into()));
    }
    cx.permit(Action::AddPatient, None).await?;
    let today = chrono::Utc::now().date_naive();
    let mut tx = cx.store.begin_write().await?;
    let mut ids = Vec::with_capacity(patients.len());
    let mut summaries = Vec::with_capacity(patients.len());
    let mut seen = std::collections::HashSet::new();
    for new in patients {
        let name = new.name.trim();
        if name.is_empty() {
            return Err(Error::Input("the patient's name must not be empty".into()));
        }
        if new.date_of_birth > today {
            return Err(Error::Input(format!("date of birth {} is in the future", new.date_of_birth)));
        }
        if !seen.insert(new.nhs_number.digits()) || tx.patient_by_nhs(&new.nhs_number).await?.is_some() {
            return Err(Error::DuplicatePatient(new.nhs_number.to_string()));
        }
        let id = PatientId::random();
        let record = PatientRecord::new(
            id.to_hex(),
            Demographics {
                nhs_number: new.nhs_number.digits(),
                name: name.to_owned(),
                preferred_name: None,
                date_of_birth: new.date_of_birth.format("%Y-%m-%d").to_string(),
                address: new.address.filter(|a| !a.trim().is_empty()),
                phone: None,
                access_notes: None,
                gender: None,
            },
            cx.me.clinician_ref(),
            Timestamp::now(),
        );
        cx.insert_document(&mut tx, id.0, DocumentKind::Patient, &record, "add patient").await?;
        summaries.push(tx.refresh_patient(&record, &[]).await?);
        ids.push(id);
    }
    add_to_caseload(cx, &mut tx, &ids).await?;
    for id in &ids {
        cx.audit(&mut tx, AuditAction::Create, Some(*id), "added patient".into()).await?;
    }
    tx.commit().await?;
    Ok(summaries)
}

pub(crate) async fn add_to_caseload(
    cx: &Context,
    tx: &mut WriteTx<'_>,
    patients: &[PatientId],
) -> Result<()> {
    let team_id = cx.me.team_id;
    let mut team: Draft<Team> = cx
        .draft(tx, team_id.0, DocumentKind::Team, || Error::Corrupt("the team document is missing".into()))
        .await?;
    let now = Timestamp::now();
    for p in patients {
        team.value
            .caseload
            .insert(p.to_hex(), CaseloadEntry { added_by: cx.me.clinician_ref(), added_at: now });
    }
    cx.save(tx, &mut team, "add to caseload").await?;
    tx.add_to_caseload_index(patients).await
}

/// Rebuilds the caseload index from the team document.
pub(super) async fn reindex_caseload(cx: &Context, tx: &mut WriteTx<'_>) -> Result<()> {
    let team: Team = tx
        .read_document(&cx.me.team_id.0, DocumentKind::Team)
        .await?
        .ok_or_else(|| Error::Corrupt("the team document is missing".into()))?;
    tx.set_caseload(&super::merge::caseload_of(&team)).await
}

pub(super) async fn caseload(cx: &Context) -> Result<Vec<PatientSummary>> {
    cx.store.begin_read().await?.caseload().await
}

pub(super) async fn search(cx: &Context, query: &str) -> Result<Vec<PatientSummary>> {
    let all = caseload(cx).await?;
    Ok(filter_caseload(all, query))
}

pub(super) async fn find_patient(cx: &Context, nhs: &NhsNumber) -> Result<PatientId> {
    cx.store
        .begin_read()
        .await?
        .patient_by_nhs(nhs)
        .await?
        .ok_or_else(|| Error::UnknownPatient(nhs.to_string()))
}

pub(crate) async fn open_patient_audited(
    cx: &Context,
    id: PatientId,
    action: AuditAction,
    detail: String,
    flagged: bool,
) -> Result<PatientView> {
    super::access::check_readable(cx, id).await?;
    let mut rx = cx.store.begin_read().await?;
    let (mut doc, document) = rx
        .load_with_value::<PatientRecord>(&id.0, DocumentKind::Patient)
        .await?
        .ok_or_else(|| Error::Input(format!("no patient record {id}")))?;
    let mut conflicts = crate::conflicts::detect(&mut doc, &document);
    if !conflicts.is_empty() {
        crate::conflicts::attribute(&mut conflicts, &super::access::authors(cx).await?);
    }
    let reader = crate::view::Reader {
        clinician_id: &cx.me.clinician_id.to_hex(),
        today: chrono::Local::now().date_naive(),
    };
    let record =
        crate::view::PatientRecord::read(&crate::view::WatchedRecord::new(&document, &conflicts), reader)?;
    let summary = rx.patient_summary(&id).await?.ok_or_else(|| Error::Input(format!("no patient {id}")))?;
    let recent_visits = rx.visits_of(&id, 10).await?;
    drop(rx);
    let mut tx = cx.store.begin_write().await?;
    cx.audit_flagged(&mut tx, action, Some(id), detail, flagged).await?;
    super::shared_record::tell_sharing_teams_of_view(cx, &mut tx, id).await?;
    let read_only = super::share_end::read_only_reason(cx, &mut tx, id).await?;
    tx.commit().await?;
    let shared_with = super::share_end::shared_with(cx, id).await?;
    Ok(PatientView { summary, record, document, recent_visits, conflicts, shared_with, read_only })
}

pub(super) async fn set_scale2(cx: &Context, patient: PatientId, on: bool, reason: &str) -> Result<()> {
    cx.permit(Action::SetScale2, Some(patient)).await?;
    if reason.trim().is_empty() {
        return Err(Error::Input(
            "Scale 2 needs a reason: to set it, confirmed hypercapnic respiratory failure (target 88-92%); to clear it, why it no longer applies".into(),
        ));
    }
    let action = if on { "set SpO2 scale 2" } else { "clear SpO2 scale 2" };
    cx.edit_patient_doc(patient, action, &["spo2_scale"], |doc, record, by, at| {
        use automerge::{ObjType, ROOT, transaction::Transactable};
        doc.put_object(&ROOT, "spo2_scale", ObjType::Map).map_err(documents::DocumentError::from)?;
        record.spo2_scale = Spo2ScaleSetting {
            scale2: on,
            set_by: Some(by.clone()),
            set_at: Some(at),
            reason: Some(reason.trim().to_owned()),
        };
        Ok(())
    })
    .await
}

/// Name words (all must match the start of a word) or an NHS number prefix.
pub fn filter_caseload(all: Vec<PatientSummary>, query: &str) -> Vec<PatientSummary> {
    let search = CaseloadSearch::new(query);
    all.into_iter().filter(|p| search.matches(p)).collect()
}

/// A search as clinicians type it: every word must start a word of the name, or the digits
/// must start the NHS number. Parsed once, then checked against each patient.
pub struct CaseloadSearch {
    digits: Option<String>,
    words: Vec<String>,
}

impl CaseloadSearch {
    pub fn new(query: &str) -> Self {
        let q = query.trim().to_lowercase();
        let digits: String = q.chars().filter(|c| !c.is_whitespace()).collect();
        if !digits.is_empty() && digits.chars().all(|c| c.is_ascii_digit()) {
            return Self { digits: Some(digits), words: Vec::new() };
        }
        Self { digits: None, words: q.split_whitespace().map(str::to_owned).collect() }
    }

    pub fn matches(&self, p: &PatientSummary) -> bool {
        if let Some(d) = &self.digits {
            return p.nhs_number.starts_with(d.as_str());
        }
        if self.words.is_empty() {
            return true;
        }
        let name = p.name.to_lowercase();
        let name_words: Vec<&str> = name.split(|c: char| !c.is_alphanumeric()).collect();
        self.words.iter().all(|w| name_words.iter().any(|n| n.starts_with(w.as_str())))
    }
}

pub(super) async fn due_tasks(cx: &Context, date: chrono::NaiveDate) -> Result<Vec<DueTask>> {
    cx.store.begin_read().await?.due_tasks(&date.format("%Y-%m-%d").to_string()).await
}

pub(super) async fn today(cx: &Context, date: chrono::NaiveDate) -> Result<crate::view::Today> {
    let caseload = caseload(cx).await?;
    let due = due_tasks(cx, date).await?;
    let unsigned = super::visit_draft::open_visits(cx).await?;
    Ok(crate::view::today::today(date, caseload, due, unsigned))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn patient(name: &str, nhs: &str) -> PatientSummary {
        PatientSummary::of(name, nhs, None)
    }

    #[test]
    fn search_by_name_words_or_nhs_number_prefix() {
        let w = patient("Winifred Mary Ashdown", "9434765919");
        let h = patient("Harold Ashdown-Coombe", "9990000018");
        let s = |q: &str| [&w, &h].iter().filter(|p| CaseloadSearch::new(q).matches(p)).count();
        assert_eq!(s(""), 2);
        assert_eq!(s("ashd"), 2);
        assert_eq!(s("win ash"), 1);
        assert_eq!(s("coombe"), 1, "hyphenated surnames split into words");
        assert_eq!(s("ary"), 0, "words match from their start");
        assert_eq!(s("943 476"), 1, "NHS numbers as displayed, with spaces");
        assert_eq!(s("999"), 1);
        assert_eq!(s("9434765918"), 0);
    }
}
