//! The pre-visit briefing, and the record as it stood at a moment: both read from the
//! documents' own history.

use super::Context;
use crate::conflicts::{self, Conflict};
use crate::documents::patient::TaskStatus;
use crate::documents::{self, ChangeNote, ClinicianRef, DocumentKind, PatientRecord, Timestamp};
use crate::error::{Error, Result};
use crate::history::{self, FieldDiff};
use crate::ids::PatientId;
use crate::store::{LatestNews2, VisitSummary};
use crate::view::WatchedRecord;
use serde::Serialize;

/// A change to the record by someone else since my last visit.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct RecordChange {
    pub action: String,
    pub by: Option<ClinicianRef>,
    /// `by` is the clinician the registry gives the change's device.
    pub verified: bool,
    /// The change's note named someone else.
    pub claimed_by: Option<ClinicianRef>,
    pub at: Timestamp,
    /// What it set, field by field in clinicians' words ("Furosemide 40 mg tablets: dose
    /// 80 mg"), at most [`VALUES_SHOWN`] lines.
    pub changed: Vec<String>,
}

/// A new entry sets many fields; the history shows this many of a change's lines.
pub const VALUES_SHOWN: usize = 8;

/// The record as it stood at a moment: `record` as a screen shows it (reviews and "changed
/// since your last visit" as they stood on that day), `document` in its stored shape.
#[derive(Clone, Debug, Serialize)]
pub struct RecordAt {
    pub at: Timestamp,
    pub record: crate::view::PatientRecord,
    #[serde(skip)]
    pub document: PatientRecord,
    pub conflicts: Vec<Conflict>,
}

impl RecordAt {
    pub fn watched(&self) -> crate::view::WatchedRecord<'_> {
        crate::view::WatchedRecord::new(&self.document, &self.conflicts)
    }
}

/// What changed since this clinician's last visit to the patient.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct Briefing {
    pub patient: PatientId,
    /// When I last visited; `None` if never (everything is new to me).
    pub my_last_visit: Option<Timestamp>,
    /// Changes others made to the record since then, newest first.
    pub record_changes: Vec<RecordChange>,
    /// Medicines started, changed or stopped since then (by anyone but me), newest first.
    pub medicines_changed: Vec<crate::view::Medicine>,
    /// Visits by others since then, newest first.
    pub visits_by_others: Vec<VisitSummary>,
    /// NEWS2 over the last visits, oldest first.
    pub news2_trend: Vec<LatestNews2>,
    pub open_tasks: Vec<crate::view::Task>,
    pub conflicts: Vec<Conflict>,
}

/// The record's changes that `keep` accepts (by time in milliseconds and change note), as
/// the clinicians who made them described them.
fn changes(
    doc: &mut automerge::AutoCommit,
    record: &PatientRecord,
    authors: &crate::attribution::Authors,
    keep: impl Fn(i64, Option<&ChangeNote>) -> bool,
) -> Vec<RecordChange> {
    let all = doc.get_changes(&[]);
    all.iter()
        .filter_map(|c| {
            let at = c.timestamp() * 1000;
            let note = c.message().and_then(ChangeNote::parse);
            if !keep(at, note.as_ref()) {
                return None;
            }
            let who = authors.attribute(c.actor_id().to_bytes(), note.as_ref());
            Some(RecordChange {
                action: note.as_ref().map(|n| n.action.clone()).unwrap_or_else(|| "change".into()),
                by: who.by,
                verified: who.verified,
                claimed_by: who.claimed_by,
                at: Timestamp(at),
                changed: crate::change_words::change_in_words(doc, c.deps(), c.hash(), record, VALUES_SHOWN),
            })
        })
        .collect()
}

impl Context {
    /// A patient's record document, its header checked.
    pub(crate) async fn load_patient_doc(&self, patient: PatientId) -> Result<automerge::AutoCommit> {
        super::access::check_readable(self, patient).await?;
        let mut rx = self.store.begin_read().await?;
        let doc = rx
            .load_document(&patient.0, DocumentKind::Patient)
            .await?
            .ok_or_else(|| Error::Input(format!("no patient {patient}")))?;
        documents::check_header(&doc, DocumentKind::Patient)?;
        Ok(doc)
    }
}

pub(super) async fn record_history(cx: &Context, patient: PatientId) -> Result<Vec<RecordChange>> {
    let mut doc = cx.load_patient_doc(patient).await?;
    let record: PatientRecord = documents::read(&doc, DocumentKind::Patient)?;
    let authors = super::access::authors(cx).await?;
    let mut all = changes(&mut doc, &record, &authors, |_, _| true);
    all.sort_by_key(|c| std::cmp::Reverse(c.at));
    Ok(all)
}

pub(super) async fn briefing(cx: &Context, patient: PatientId) -> Result<Briefing> {
    let me = cx.me.clinician_id.to_hex();
    let mut doc = cx.load_patient_doc(patient).await?;
    let record: PatientRecord = documents::read(&doc, DocumentKind::Patient)?;
    let visits = cx.store.begin_read().await?.visits_of(&patient, 50).await?;
    let my_last_visit = record.visits.values().filter(|v| v.clinician.id == me).map(|v| v.started_at).max();
    let since = my_last_visit.unwrap_or(Timestamp(i64::MIN));
    let authors = super::access::authors(cx).await?;
    let mut record_changes =
        changes(&mut doc, &record, &authors, |at, note| at > since.0 && note.is_none_or(|n| n.by.id != me));
    record_changes.sort_by_key(|c| std::cmp::Reverse(c.at));
    let mut conflicts = conflicts::detect(&mut doc, &record);
    conflicts::attribute(&mut conflicts, &authors);
    let reader = crate::view::Reader { clinician_id: &me, today: chrono::Local::now().date_naive() };
    let shown = crate::view::PatientRecord::read(&WatchedRecord::new(&record, &conflicts), reader)?;
    let mut medicines_changed: Vec<_> =
        shown.medicines.into_iter().filter(|m| m.changed_at > since && m.changed_by.id != me).collect();
    medicines_changed.sort_by_key(|m| std::cmp::Reverse(m.changed_at));
    let visits_by_others: Vec<VisitSummary> =
        visits.iter().filter(|v| v.started_at > since && v.clinician.id != me).cloned().collect();
    let mut news2_trend: Vec<LatestNews2> = visits.iter().filter_map(|v| v.news2.clone()).take(10).collect();
    news2_trend.reverse();
    let open_tasks = shown.tasks.into_iter().filter(|t| t.status == TaskStatus::Open).collect();
    Ok(Briefing {
        patient,
        my_last_visit,
        record_changes,
        medicines_changed,
        visits_by_others,
        news2_trend,
        open_tasks,
        conflicts,
    })
}

pub(super) async fn record_at(cx: &Context, patient: PatientId, at: Timestamp) -> Result<RecordAt> {
    let mut doc = cx.load_patient_doc(patient).await?;
    let heads = history::heads_at(&mut doc, at)
        .ok_or_else(|| Error::Input(format!("the record did not exist yet at {}", at.display())))?;
    let mut then = doc.fork_at(&heads).map_err(documents::DocumentError::from)?;
    let document: PatientRecord = documents::read(&then, DocumentKind::Patient)?;
    let mut conflicts = conflicts::detect(&mut then, &document);
    if !conflicts.is_empty() {
        conflicts::attribute(&mut conflicts, &super::access::authors(cx).await?);
    }
    let day = chrono::DateTime::from_timestamp_millis(at.0)
        .map(|t| t.with_timezone(&chrono::Local).date_naive())
        .unwrap_or_else(|| chrono::Local::now().date_naive());
    let reader = crate::view::Reader { clinician_id: &cx.me.clinician_id.to_hex(), today: day };
    let record = crate::view::PatientRecord::read(&WatchedRecord::new(&document, &conflicts), reader)?;
    Ok(RecordAt { at, record, document, conflicts })
}

pub(super) async fn changes_between(
    cx: &Context,
    patient: PatientId,
    from: Timestamp,
    to: Timestamp,
) -> Result<Vec<FieldDiff>> {
    let mut doc = cx.load_patient_doc(patient).await?;
    let before = history::heads_at(&mut doc, from).unwrap_or_default();
    let after = history::heads_at(&mut doc, to).unwrap_or_default();
    Ok(history::changes_between(&mut doc, &before, &after))
}
