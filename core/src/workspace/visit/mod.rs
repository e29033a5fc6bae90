//! Visits: start one, record observations, wounds, actions and the note, sign it, add an
//! addendum after signing, and open it to read. Every change to a note (cancelling too, in
//! `visit_draft.rs`) goes through [`Context::begin_visit_edit`], which checks once whether
//! the note may take it, and [`Context::finish_visit_edit`]; `edit_visit` is both in a
//! transaction of its own.

mod note;

pub use note::signature_verifies;
pub(crate) use note::{sign_note, visit_summary};

use super::{Context, Draft};
use crate::clinical::{self, Action, News2Score, Observations, Spo2Scale};
use crate::documents::patient::VisitRef;
use crate::documents::visit::{
    Action as VisitAction, Addendum, Cancellation, ObservationSet, Signature, WoundAssessment,
};
use crate::documents::{self, ClinicianRef, DocumentKind, PatientRecord, Timestamp, VisitNote};
use crate::error::{Error, Result};
use crate::ids::{PatientId, VisitId, entry_id};
use crate::store::{AuditAction, PatientSummary, WriteTx};
use serde::Serialize;

/// One set of observations as recorded, with its NEWS2 score on the scale it was taken on.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[cfg_attr(feature = "uniffi", uniffi(name = "ObservationSet"))]
pub struct ScoredObservations {
    pub recorded_at: Timestamp,
    pub recorded_by: ClinicianRef,
    pub observations: Observations,
    /// The patient's SpO2 scale when the set was taken.
    pub scale: Spo2Scale,
    /// Every value with its unit, air or oxygen and the scale (`view::observation_values`).
    pub values: String,
    pub news2: News2Score,
}

impl ScoredObservations {
    pub(crate) fn of(set: &ObservationSet) -> Self {
        let observations = set.observations();
        Self {
            recorded_at: set.recorded_at,
            recorded_by: set.recorded_by.clone(),
            news2: clinical::news2::score(&observations, set.scale()),
            values: crate::view::observation_values(set),
            scale: set.scale(),
            observations,
        }
    }
}

/// A visit note as opened.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[cfg_attr(feature = "uniffi", uniffi(name = "Visit"))]
pub struct VisitView {
    pub id: VisitId,
    pub patient: PatientSummary,
    pub clinician: ClinicianRef,
    pub started_at: Timestamp,
    /// Oldest first.
    pub observations: Vec<ScoredObservations>,
    pub narrative: String,
    pub signature: Option<Signature>,
    /// Whether the signature verifies against the body as it stands now.
    pub signature_valid: Option<bool>,
    /// Corrections after signing, oldest first.
    pub addenda: Vec<Addendum>,
    /// Oldest first.
    pub wound_assessments: Vec<WoundAssessment>,
    pub actions: Vec<VisitAction>,
    /// Set if the visit was cancelled before it was signed.
    pub cancelled: Option<Cancellation>,
}

/// A wound as the clinician assesses it at a visit; who and when are stamped on recording.
#[derive(Clone, Debug, PartialEq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[cfg_attr(feature = "uniffi", uniffi(name = "NewWoundAssessment"))]
pub struct NewWound {
    /// Where, e.g. "left gaiter, medial".
    pub site: String,
    pub length_cm: f64,
    pub width_cm: f64,
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub depth_cm: Option<f64>,
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub tissue: Option<String>,
    pub exudate: crate::documents::visit::Exudate,
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub signs_of_infection: bool,
    /// 0 (no pain) to 10 (worst imaginable).
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub pain_score: Option<i64>,
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub dressing: Option<String>,
}

/// What `record_observations` did.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct RecordedObservations {
    pub visit_id: VisitId,
    pub news2: News2Score,
}

/// What a change needs of the note it changes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Signing {
    /// The body: only until the visit is signed or cancelled.
    Unsigned,
    /// An addendum: only once it is signed.
    Signed,
}

/// A visit note loaded for one change, checked against what the change needs.
pub(crate) struct VisitEdit {
    pub note: Draft<VisitNote>,
    pub patient: PatientId,
    pub by: ClinicianRef,
    pub at: Timestamp,
}

impl Context {
    /// Loads the note for a change and checks, once for every kind of change, whether the
    /// note may take it.
    pub(crate) async fn begin_visit_edit(
        &self,
        tx: &mut WriteTx<'_>,
        visit: VisitId,
        needs: Signing,
    ) -> Result<VisitEdit> {
        let note: Draft<VisitNote> =
            self.draft(tx, visit.0, DocumentKind::Visit, || Error::UnknownVisit(visit.to_hex())).await?;
        match needs {
            Signing::Unsigned => note::writable(&note.value, visit)?,
            Signing::Signed if note.value.signature.is_none() => {
                return Err(Error::Input(
                    "this visit is not signed yet: change the note itself; addenda are for signed notes"
                        .into(),
                ));
            }
            Signing::Signed => {}
        }
        let patient = note.value.patient_id.parse().map_err(|e| Error::Corrupt(format!("{e}")))?;
        Ok(VisitEdit { note, patient, by: self.me.clinician_ref(), at: Timestamp::now() })
    }

    /// Saves the change, refreshes the visit's row and audits it, in the caller's transaction.
    pub(crate) async fn finish_visit_edit(
        &self,
        tx: &mut WriteTx<'_>,
        mut edit: VisitEdit,
        action: &str,
        audited: (AuditAction, String),
    ) -> Result<()> {
        self.save(tx, &mut edit.note, action).await?;
        tx.put_visit_summary(&visit_summary(&edit.note.value)?).await?;
        self.audit(tx, audited.0, Some(edit.patient), audited.1).await?;
        edit.note.keep_loaded(tx);
        Ok(())
    }

    /// One change to a visit note in its own transaction: loaded, checked, changed, saved,
    /// indexed and audited. The caller has checked the clinician may record visits.
    pub(crate) async fn edit_visit<R>(
        &self,
        visit: VisitId,
        needs: Signing,
        action: &str,
        audited: (AuditAction, String),
        change: impl FnOnce(&mut VisitEdit) -> Result<R>,
    ) -> Result<R> {
        let mut tx = self.store.begin_write().await?;
        let mut edit = self.begin_visit_edit(&mut tx, visit, needs).await?;
        let out = change(&mut edit)?;
        self.finish_visit_edit(&mut tx, edit, action, audited).await?;
        tx.commit().await?;
        Ok(out)
    }
}

pub(super) async fn start_visit(cx: &Context, patient: PatientId) -> Result<VisitId> {
    cx.permit(Action::RecordVisit, Some(patient)).await?;
    let mut tx = cx.store.begin_write().await?;
    let mut record: Draft<PatientRecord> = cx
        .draft(&mut tx, patient.0, DocumentKind::Patient, || Error::Input(format!("no patient {patient}")))
        .await?;
    let id = VisitId::random();
    let now = Timestamp::now();
    let note =
        VisitNote::new(id.to_hex(), patient.to_hex(), cx.me.clinician_ref(), cx.me.device_id.to_hex(), now);
    cx.insert_document(&mut tx, id.0, DocumentKind::Visit, &note, "start visit").await?;
    record.value.visits.insert(id.to_hex(), VisitRef { started_at: now, clinician: cx.me.clinician_ref() });
    cx.save(&mut tx, &mut record, "start visit").await?;
    tx.put_visit_summary(&visit_summary(&note)?).await?;
    let conflicts = record.conflicts();
    tx.refresh_patient(&record.value, &conflicts).await?;
    cx.audit(&mut tx, AuditAction::Edit, Some(patient), format!("started visit {id}")).await?;
    record.keep_loaded(&mut tx);
    tx.commit().await?;
    Ok(id)
}

pub(super) async fn record_observations(
    cx: &Context,
    visit: VisitId,
    obs: Observations,
) -> Result<RecordedObservations> {
    cx.permit(Action::RecordVisit, None).await?;
    let mut tx = cx.store.begin_write().await?;
    let out = record_observations_in(cx, &mut tx, visit, obs).await?;
    tx.commit().await?;
    Ok(out)
}

pub(crate) async fn record_observations_in(
    cx: &Context,
    tx: &mut WriteTx<'_>,
    visit: VisitId,
    obs: Observations,
) -> Result<RecordedObservations> {
    obs.validate()?;
    if obs.is_empty() {
        return Err(Error::Input("no observations given: record at least one vital sign".into()));
    }
    let mut edit = cx.begin_visit_edit(tx, visit, Signing::Unsigned).await?;
    let patient = edit.patient;
    let mut record: Draft<PatientRecord> = cx
        .draft(tx, patient.0, DocumentKind::Patient, || {
            Error::Corrupt("the visit's patient is missing".into())
        })
        .await?;
    let conflicts = record.conflicts();
    let scale = crate::view::scoring_scale(&record.value, &conflicts);
    let news2 = clinical::news2::score(&obs, scale);
    let set = ObservationSet::from_observations(&obs, scale, edit.by.clone(), edit.at);
    edit.note.value.observations.insert(entry_id(), set);
    let detail = format!("recorded observations, {}", news2.label());
    cx.finish_visit_edit(tx, edit, "record observations", (AuditAction::Edit, detail)).await?;
    // The caseload row shows the latest score.
    tx.refresh_patient(&record.value, &conflicts).await?;
    Ok(RecordedObservations { visit_id: visit, news2 })
}

pub(super) async fn add_action(cx: &Context, visit: VisitId, text: &str, done: bool) -> Result<String> {
    cx.permit(Action::RecordVisit, None).await?;
    let text = text.trim();
    if text.is_empty() {
        return Err(Error::Input("the action is empty".into()));
    }
    let audited = (AuditAction::Edit, format!("added an action to visit {visit}"));
    cx.edit_visit(visit, Signing::Unsigned, "add visit action", audited, |edit| {
        let id = entry_id();
        edit.note.value.actions.insert(id.clone(), VisitAction { text: text.to_owned(), done });
        Ok(id)
    })
    .await
}

pub(super) async fn record_wound(cx: &Context, visit: VisitId, wound: NewWound) -> Result<String> {
    cx.permit(Action::RecordVisit, None).await?;
    let mut tx = cx.store.begin_write().await?;
    let id = record_wound_in(cx, &mut tx, visit, wound).await?;
    tx.commit().await?;
    Ok(id)
}

pub(crate) async fn record_wound_in(
    cx: &Context,
    tx: &mut WriteTx<'_>,
    visit: VisitId,
    wound: NewWound,
) -> Result<String> {
    note::check_wound(&wound)?;
    let mut edit = cx.begin_visit_edit(tx, visit, Signing::Unsigned).await?;
    let wound = WoundAssessment {
        site: wound.site,
        length_cm: wound.length_cm,
        width_cm: wound.width_cm,
        depth_cm: wound.depth_cm,
        tissue: wound.tissue,
        exudate: wound.exudate,
        signs_of_infection: wound.signs_of_infection,
        pain_score: wound.pain_score,
        dressing: wound.dressing,
        recorded_by: edit.by.clone(),
        recorded_at: edit.at,
    };
    let id = entry_id();
    edit.note.value.wound_assessments.insert(id.clone(), wound);
    let audited = (AuditAction::Edit, format!("recorded a wound assessment on visit {visit}"));
    cx.finish_visit_edit(tx, edit, "record wound assessment", audited).await?;
    Ok(id)
}

pub(super) async fn add_note(cx: &Context, visit: VisitId, text: &str) -> Result<()> {
    cx.permit(Action::RecordVisit, None).await?;
    let mut tx = cx.store.begin_write().await?;
    add_note_in(cx, &mut tx, visit, text).await?;
    tx.commit().await
}

pub(crate) async fn add_note_in(
    cx: &Context,
    tx: &mut WriteTx<'_>,
    visit: VisitId,
    text: &str,
) -> Result<()> {
    let text = text.trim();
    if text.is_empty() {
        return Err(Error::Input("the note text is empty".into()));
    }
    let mut edit = cx.begin_visit_edit(tx, visit, Signing::Unsigned).await?;
    let narrative = &mut edit.note.value.narrative;
    let len = narrative.as_str().len(); // autosurgeon splices at byte offsets
    let insert = if len == 0 { text.to_owned() } else { format!("\n\n{text}") };
    narrative.splice(len, 0, insert);
    cx.finish_visit_edit(tx, edit, "write note", (AuditAction::Edit, format!("wrote visit note {visit}")))
        .await
}

pub(super) async fn sign_visit(cx: &Context, visit: VisitId) -> Result<Signature> {
    cx.permit(Action::RecordVisit, None).await?;
    let mut tx = cx.store.begin_write().await?;
    let mut edit = cx.begin_visit_edit(&mut tx, visit, Signing::Unsigned).await?;
    // What was typed and not saved would be left out of what is signed.
    if let Some(draft) = super::visit_draft::visit_draft_in(&mut tx, visit).await? {
        return Err(Error::UnsavedVisitDraft(draft.unsaved().join(", ")));
    }
    let note = &mut edit.note.value;
    if note.observations.is_empty()
        && note.wound_assessments.is_empty()
        && note.actions.is_empty()
        && note.narrative.as_str().trim().is_empty()
    {
        return Err(Error::Input(
            "nothing to sign: the visit has no observations, wound assessment or note".into(),
        ));
    }
    let signature = sign_note(note, &cx.me, &cx.device_key, edit.at);
    note.signature = Some(signature.clone());
    cx.finish_visit_edit(&mut tx, edit, "sign visit", (AuditAction::Sign, format!("signed visit {visit}")))
        .await?;
    tx.commit().await?;
    Ok(signature)
}

pub(super) async fn add_addendum(cx: &Context, visit: VisitId, text: &str) -> Result<String> {
    cx.permit(Action::RecordVisit, None).await?;
    let text = text.trim();
    if text.is_empty() {
        return Err(Error::Input("the addendum is empty".into()));
    }
    let audited = (AuditAction::Edit, format!("added an addendum to visit {visit}"));
    cx.edit_visit(visit, Signing::Signed, "add addendum", audited, |edit| {
        let id = entry_id();
        let addendum = Addendum { text: text.to_owned(), written_by: edit.by.clone(), written_at: edit.at };
        edit.note.value.addenda.insert(id.clone(), addendum);
        Ok(id)
    })
    .await
}

pub(super) async fn open_visit(cx: &Context, visit: VisitId) -> Result<VisitView> {
    super::access::check_readable(cx, super::access::patient_of_visit(cx, visit).await?).await?;
    let mut rx = cx.store.begin_read().await?;
    let doc = rx
        .load_document(&visit.0, DocumentKind::Visit)
        .await?
        .ok_or_else(|| Error::UnknownVisit(visit.to_hex()))?;
    let note: VisitNote = documents::read(&doc, DocumentKind::Visit)?;
    let patient_id: PatientId = note.patient_id.parse().map_err(|e| Error::Corrupt(format!("{e}")))?;
    let patient = rx
        .patient_summary(&patient_id)
        .await?
        .ok_or_else(|| Error::Corrupt("the visit's patient is missing".into()))?;
    drop(rx);
    let mut tx = cx.store.begin_write().await?;
    cx.audit(&mut tx, AuditAction::View, Some(patient_id), format!("opened visit {visit}")).await?;
    tx.commit().await?;
    let signature_valid = note.signature.as_ref().map(|s| signature_verifies(&note, s));
    let mut addenda: Vec<_> = note.addenda.values().cloned().collect();
    addenda.sort_by_key(|x| x.written_at);
    let mut wound_assessments: Vec<_> = note.wound_assessments.values().cloned().collect();
    wound_assessments.sort_by_key(|x| x.recorded_at);
    Ok(VisitView {
        id: visit,
        patient,
        clinician: note.clinician.clone(),
        started_at: note.started_at,
        observations: note.observation_sets().into_iter().map(ScoredObservations::of).collect(),
        narrative: note.narrative.as_str().to_owned(),
        signature_valid,
        signature: note.signature,
        addenda,
        wound_assessments,
        actions: note.actions.into_values().collect(),
        cancelled: note.cancelled,
    })
}
