//! Patients on this device's caseload: adding them, finding them, opening a record (audited),
//! and the one way a record is changed ([`Workspace::edit_patient`]).

use super::{Draft, NewPatient, PatientView, Workspace};
use crate::clinical::{Action, NhsNumber};
use crate::documents::patient::{Demographics, Spo2ScaleSetting};
use crate::documents::team::CaseloadEntry;
use crate::documents::{self, ClinicianRef, DocumentKind, PatientRecord, Team, Timestamp};
use crate::error::{Error, Result};
use crate::ids::PatientId;
use crate::store::{AuditAction, PatientSummary, WriteTx};
use automerge::AutoCommit;

impl Workspace {
    pub async fn add_patient(&self, new: NewPatient) -> Result<PatientSummary> {
        let mut added = self.add_patients(vec![new]).await?;
        Ok(added.remove(0))
    }

    /// Adds several patients in one transaction, with one change to the team's caseload
    /// (taking on a caseload, or an import). All are added, or none.
    pub async fn add_patients(&self, patients: Vec<NewPatient>) -> Result<Vec<PatientSummary>> {
        if patients.is_empty() {
            return Err(Error::Input("no patients to add".into()));
        }
        self.permit(Action::AddPatient, None).await?;
        let today = chrono::Utc::now().date_naive();
        let mut tx = self.store.begin_write().await?;
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
                self.me.clinician_ref(),
                Timestamp::now(),
            );
            self.insert_document(&mut tx, id.0, DocumentKind::Patient, &record, "add patient").await?;
            summaries.push(tx.refresh_patient(&record, &[]).await?);
            ids.push(id);
        }
        self.add_to_caseload(&mut tx, &ids).await?;
        for id in &ids {
            self.audit(&mut tx, AuditAction::Create, Some(*id), "added patient".into()).await?;
        }
        tx.commit().await?;
        Ok(summaries)
    }

    pub(crate) async fn add_to_caseload(&self, tx: &mut WriteTx<'_>, patients: &[PatientId]) -> Result<()> {
        let team_id = self.me.team_id;
        let mut team: Draft<Team> = self
            .draft(tx, team_id.0, DocumentKind::Team, || {
                Error::Corrupt("the team document is missing".into())
            })
            .await?;
        let now = Timestamp::now();
        for p in patients {
            team.value
                .caseload
                .insert(p.to_hex(), CaseloadEntry { added_by: self.me.clinician_ref(), added_at: now });
        }
        self.save(tx, &mut team, "add to caseload").await?;
        tx.add_to_caseload_index(patients).await
    }

    /// Rebuilds the caseload index from the team document.
    pub(super) async fn reindex_caseload(&self, tx: &mut WriteTx<'_>) -> Result<()> {
        let team: Team = tx
            .read_document(&self.me.team_id.0, DocumentKind::Team)
            .await?
            .ok_or_else(|| Error::Corrupt("the team document is missing".into()))?;
        tx.set_caseload(&super::merge::caseload_of(&team)).await
    }

    /// Every patient on this device, sorted by name.
    pub async fn caseload(&self) -> Result<Vec<PatientSummary>> {
        self.store.begin_read().await?.caseload().await
    }

    /// Patients whose name contains every word of `query`, or whose NHS number starts with it.
    pub async fn search(&self, query: &str) -> Result<Vec<PatientSummary>> {
        let all = self.caseload().await?;
        Ok(filter_caseload(all, query))
    }

    pub async fn find_patient(&self, nhs: &NhsNumber) -> Result<PatientId> {
        self.store
            .begin_read()
            .await?
            .patient_by_nhs(nhs)
            .await?
            .ok_or_else(|| Error::UnknownPatient(nhs.to_string()))
    }

    pub(crate) async fn open_patient_audited(
        &self,
        id: PatientId,
        action: AuditAction,
        detail: String,
        flagged: bool,
    ) -> Result<PatientView> {
        self.check_readable(id).await?;
        let mut rx = self.store.begin_read().await?;
        let (mut doc, document) = rx
            .load_with_value::<PatientRecord>(&id.0, DocumentKind::Patient)
            .await?
            .ok_or_else(|| Error::Input(format!("no patient record {id}")))?;
        let mut conflicts = crate::conflicts::detect(&mut doc, &document);
        if !conflicts.is_empty() {
            crate::conflicts::attribute(&mut conflicts, &self.authors().await?);
        }
        let reader = crate::view::Reader {
            clinician_id: &self.me.clinician_id.to_hex(),
            today: chrono::Local::now().date_naive(),
        };
        let record = crate::view::PatientRecord::read(
            &crate::view::WatchedRecord::new(&document, &conflicts),
            reader,
        )?;
        let summary =
            rx.patient_summary(&id).await?.ok_or_else(|| Error::Input(format!("no patient {id}")))?;
        let recent_visits = rx.visits_of(&id, 10).await?;
        drop(rx);
        let mut tx = self.store.begin_write().await?;
        self.audit_flagged(&mut tx, action, Some(id), detail, flagged).await?;
        self.tell_sharing_teams_of_view(&mut tx, id).await?;
        let read_only = self.read_only_reason(&mut tx, id).await?;
        tx.commit().await?;
        let shared_with = self.shared_with(id).await?;
        Ok(PatientView { summary, record, document, recent_visits, conflicts, shared_with, read_only })
    }

    /// Records, or clears, SpO2 Scale 2 on a patient's record, with the reason. Like a CPR
    /// decision, each setting is written as a new entry, so that two clinicians setting and
    /// clearing it at the same time always meet as a conflict (a write of the value already
    /// there would otherwise change nothing, and the other's would silently stand).
    pub async fn set_scale2(&self, patient: PatientId, on: bool, reason: &str) -> Result<()> {
        self.permit(Action::SetScale2, Some(patient)).await?;
        if reason.trim().is_empty() {
            return Err(Error::Input(
                "Scale 2 needs a reason: to set it, confirmed hypercapnic respiratory failure (target 88-92%); to clear it, why it no longer applies".into(),
            ));
        }
        let action = if on { "set SpO2 scale 2" } else { "clear SpO2 scale 2" };
        self.edit_patient_doc(patient, action, &["spo2_scale"], |doc, record, by, at| {
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

    /// As [`Workspace::edit_patient`], with the Automerge document at hand for the rare
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
