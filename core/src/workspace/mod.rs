//! [`Workspace`]: the one facade every shell calls. It owns the unlocked store and this
//! device's identity, applies clinical rules, and keeps documents, query tables and the
//! audit log in step inside one transaction per action.

use crate::clinical::{Action, NhsNumber};
use crate::crypto::{DeviceKey, KdfParams};
use crate::documents::patient::{Demographics, Spo2ScaleSetting};
use crate::documents::team::{CaseloadEntry, Clinician, Device};
mod access;
mod audit_trail;
mod briefing;
mod care_home;
mod contacts;
mod exports;
mod merge;
mod observations;
mod peer;
mod record;
mod round_state;
mod summary;
mod sync;
mod sync_apply;
mod sync_history;
mod team;
mod visit;
mod visit_draft;

pub use peer::{PEER_STALL, PeerReport};
pub use sync::{OnlyOnThisDevice, SyncPhase, SyncProgress, SyncReport};
pub use sync_history::{PathHistory, SyncPath, SyncPathView};
pub use team::{DeviceListing, Invitation};

pub use audit_trail::{AUDIT_PUSH_AFTER, TeamAudit, TeamAuditEntry};
pub use briefing::{Briefing, RecordAt, RecordChange, VALUES_SHOWN};
pub use care_home::{CareHome, care_home_of, care_homes};
pub use contacts::LPA_KINDS;
pub use exports::FhirImportReport;
pub use merge::{MergeReport, SignedExport};
pub use round_state::RoundInProgress;
pub use visit::{NewWound, RecordedObservations, ScoredObservations, VisitView, signature_verifies};
pub(crate) use visit::{sign_note, visit_summary};
pub use visit_draft::{OpenVisit, SavedDraft, VisitDraft};

pub use record::{
    DetailsUpdate, EndOfLifeUpdate, MedicineChange, NewMedicine, NewProblem, ProblemUpdate, find_entry,
};

use crate::documents::{
    self, ChangeNote, ClinicianRef, DocumentKind, PatientRecord, Role, Team, Timestamp, VisitNote,
};
use crate::error::{Error, Result};
use crate::ids::{ClinicianId, DeviceId, PatientId, TeamId};
use crate::store::{AuditAction, AuditEntry, DueTask, PatientSummary, Store, VisitSummary, WriteTx};
use automerge::{ActorId, AutoCommit, ChangeHash, transaction::CommitOptions};
use autosurgeon::{Hydrate, Reconcile};
use serde::{Deserialize, Serialize};
use std::path::Path;

const IDENTITY: &str = "identity";
const DEVICE_KEY: &str = "device-key";
/// The shape of the query tables' rows. A store whose rows are older is reindexed when
/// unlocked (the documents are the truth), so a new field never reads as damage.
const INDEX_VERSION: &str = "index-version";
const CURRENT_INDEX_VERSION: &[u8] = b"3";

/// Who is using this device: the clinician, the device, and their team.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct Identity {
    pub clinician_id: ClinicianId,
    pub name: String,
    pub role: Role,
    pub registration: Option<String>,
    pub device_id: DeviceId,
    /// The Automerge actor this device writes with, hex.
    pub actor_id: String,
    pub team_id: TeamId,
    /// A workspace made for trying Hedgerow with fictional patients; only such a workspace
    /// accepts demo data, so fictional patients never mix with real ones.
    #[serde(default)]
    pub demo: bool,
}

impl Identity {
    pub fn clinician_ref(&self) -> ClinicianRef {
        ClinicianRef {
            id: self.clinician_id.to_hex(),
            name: self.name.clone(),
            role: self.role,
            registration: self.registration.clone(),
        }
    }
}

/// The clinician setting up a new workspace.
#[derive(Clone, Debug)]
pub struct NewClinician {
    pub name: String,
    pub role: Role,
    pub registration: Option<String>,
}

#[derive(Clone, Debug)]
pub struct NewPatient {
    pub nhs_number: NhsNumber,
    pub name: String,
    pub date_of_birth: chrono::NaiveDate,
    pub address: Option<String>,
}

/// A patient record as opened by a clinician, with the last visits and the open
/// conflicts. Screens show `record`, the record in clinicians' words with every disputed
/// value marked. The stored `document` is for edit forms that write it back and for the
/// core's own rules; its watched fields are read through [`PatientView::watched`], never
/// directly, so that a disputed value is never shown as the decision.
#[derive(Clone, Debug, Serialize)]
pub struct PatientView {
    pub summary: PatientSummary,
    pub record: crate::view::PatientRecord,
    #[serde(skip)]
    pub document: PatientRecord,
    pub recent_visits: Vec<VisitSummary>,
    pub conflicts: Vec<crate::conflicts::Conflict>,
}

impl PatientView {
    pub fn watched(&self) -> crate::view::WatchedRecord<'_> {
        crate::view::WatchedRecord::new(&self.document, &self.conflicts)
    }
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct ReindexReport {
    pub patients: usize,
    pub visits: usize,
    pub due_tasks: usize,
    /// Documents that could not be read, with the reason; the rest were indexed.
    pub unreadable: Vec<String>,
}

pub struct Workspace {
    store: Store,
    me: Identity,
    device_key: DeviceKey,
    actor: ActorId,
    /// Records opened by break-glass, and when ([`access`]).
    grants: std::sync::Mutex<std::collections::BTreeMap<PatientId, std::time::Instant>>,
    /// What checking the audit log's chain found when the workspace opened.
    audit_check: crate::store::AuditCheck,
}

impl Draft<PatientRecord> {
    pub(crate) fn conflicts(&mut self) -> Vec<crate::conflicts::Conflict> {
        crate::conflicts::detect(&mut self.doc, &self.value)
    }
}

/// Shows who the workspace belongs to; never its keys.
impl std::fmt::Debug for Workspace {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Workspace")
            .field("identity", &self.me)
            .field("dir", &self.store.dir())
            .finish_non_exhaustive()
    }
}

/// A document loaded for change under the write lock.
pub(crate) struct Draft<T> {
    doc: AutoCommit,
    heads: Vec<ChangeHash>,
    pub value: T,
    id: [u8; 16],
    kind: DocumentKind,
}

fn commit_options(action: &str, by: &Identity) -> CommitOptions {
    let note =
        ChangeNote { action: action.to_owned(), by: by.clinician_ref(), device: by.device_id.to_hex() };
    CommitOptions::default().with_message(note.to_message()).with_time(chrono::Utc::now().timestamp())
}

impl Workspace {
    /// Creates a workspace for one clinician on this device, with their team document.
    pub async fn create(
        dir: &Path,
        passphrase: &str,
        clinician: NewClinician,
        team_name: Option<String>,
    ) -> Result<Self> {
        Self::create_with_kdf(dir, passphrase, clinician, team_name, KdfParams::default()).await
    }

    /// Creates a workspace for fictional patients only (see [`crate::demo`]).
    pub async fn create_demo(dir: &Path, passphrase: &str, clinician: NewClinician) -> Result<Self> {
        Self::create_inner(
            dir,
            passphrase,
            clinician,
            Some("Hartsmoor District Nursing (demo)".into()),
            KdfParams::default(),
            true,
        )
        .await
    }

    pub async fn create_with_kdf(
        dir: &Path,
        passphrase: &str,
        clinician: NewClinician,
        team_name: Option<String>,
        kdf: KdfParams,
    ) -> Result<Self> {
        Self::create_inner(dir, passphrase, clinician, team_name, kdf, false).await
    }

    async fn create_inner(
        dir: &Path,
        passphrase: &str,
        clinician: NewClinician,
        team_name: Option<String>,
        kdf: KdfParams,
        demo: bool,
    ) -> Result<Self> {
        if clinician.name.trim().is_empty() {
            return Err(Error::Input("the clinician's name must not be empty".into()));
        }
        let store = Store::create(dir, passphrase, kdf).await?;
        let device_key = DeviceKey::generate()?;
        let (me, actor_bytes) = new_identity(clinician, TeamId::random(), demo)?;
        let mut team =
            Team::new(me.team_id.to_hex(), team_name.unwrap_or_else(|| format!("{}'s team", me.name)));
        add_member(&mut team, &me, &device_key, true, "first device", None);
        let ws = Self::assemble(store, ActorId::from(actor_bytes.as_slice()), me, device_key);
        let mut tx = ws.store.begin_write().await?;
        ws.save_identity(&mut tx).await?;
        ws.insert_document(&mut tx, ws.me.team_id.0, DocumentKind::Team, &team, "create team").await?;
        tx.commit().await?;
        Ok(ws)
    }

    pub(crate) fn assemble(store: Store, actor: ActorId, me: Identity, device_key: DeviceKey) -> Self {
        Self { store, me, device_key, actor, grants: Default::default(), audit_check: Default::default() }
    }

    /// Keeps this device's key and identity in the (sealed) settings of a new store.
    async fn save_identity(&self, tx: &mut WriteTx<'_>) -> Result<()> {
        tx.put_setting(DEVICE_KEY, self.device_key.seed()).await?;
        let identity = serde_json::to_vec(&self.me).map_err(|e| Error::Input(e.to_string()))?;
        tx.put_setting(IDENTITY, &identity).await?;
        tx.put_setting(INDEX_VERSION, CURRENT_INDEX_VERSION).await
    }

    /// Unlocks an existing workspace.
    pub async fn open(dir: &Path, passphrase: &str) -> Result<Self> {
        let store = Store::open(dir, passphrase).await?;
        let mut rx = store.begin_read().await?;
        let identity = rx.setting(IDENTITY).await?.ok_or_else(|| Error::Incomplete(dir.to_owned()))?;
        let key = rx.setting(DEVICE_KEY).await?.ok_or_else(|| Error::Incomplete(dir.to_owned()))?;
        let index_current =
            rx.setting(INDEX_VERSION).await?.as_deref().map(Vec::as_slice) == Some(CURRENT_INDEX_VERSION);
        drop(rx);
        let me: Identity = serde_json::from_slice(&identity)
            .map_err(|e| Error::Corrupt(format!("the device identity does not parse: {e}")))?;
        let device_key = DeviceKey::from_stored(&key)?;
        let actor_bytes =
            hex::decode(&me.actor_id).map_err(|_| Error::Corrupt("actor id is not hex".into()))?;
        let mut ws = Self::assemble(store, ActorId::from(actor_bytes.as_slice()), me, device_key);
        if !index_current {
            ws.reindex().await?;
        }
        ws.audit_check = ws.check_audit_log().await?;
        Ok(ws)
    }

    pub fn identity(&self) -> &Identity {
        &self.me
    }

    /// The Automerge actor this device writes with, as the registry names it.
    pub(crate) fn actor_bytes(&self) -> [u8; 16] {
        self.actor.to_bytes().try_into().unwrap_or([0; 16])
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    pub async fn close(self) {
        self.store.close().await;
    }

    // ---- documents under the write lock -------------------------------------------------

    pub(crate) async fn draft<T: Hydrate>(
        &self,
        tx: &mut WriteTx<'_>,
        id: [u8; 16],
        kind: DocumentKind,
        missing: impl FnOnce() -> Error,
    ) -> Result<Draft<T>> {
        let mut doc = tx.load_document(&id, kind).await?.ok_or_else(missing)?;
        doc.set_actor(self.actor.clone());
        let heads = doc.get_heads();
        let value = documents::read(&doc, kind)?;
        Ok(Draft { doc, heads, value, id, kind })
    }

    pub(crate) async fn save<T: Reconcile>(
        &self,
        tx: &mut WriteTx<'_>,
        draft: &mut Draft<T>,
        message: &str,
    ) -> Result<()> {
        autosurgeon::reconcile(&mut documents::KeepConflicts(&mut draft.doc), &draft.value)
            .map_err(documents::DocumentError::from)?;
        draft.doc.commit_with(commit_options(message, &self.me));
        if draft.doc.get_heads() != draft.heads {
            let chunk = draft.doc.save_after(&draft.heads);
            tx.append_chunk(&draft.id, draft.kind, &chunk, &mut draft.doc).await?;
            // Signed as this device's, so that every other device knows who wrote it.
            let team = self.me.team_id.0;
            if let Some(head) =
                crate::authorship::own_head(&mut draft.doc, &draft.heads, &self.device_key, &team, &draft.id)
            {
                tx.put_actor_head(&draft.id, &head).await?;
            }
        }
        Ok(())
    }

    pub(crate) async fn insert_document<T: Reconcile>(
        &self,
        tx: &mut WriteTx<'_>,
        id: [u8; 16],
        kind: DocumentKind,
        value: &T,
        message: &str,
    ) -> Result<()> {
        let signer = HeadSigner::Own(&self.device_key);
        insert_document_as(tx, &self.me, signer, self.actor.clone(), id, kind, value, message).await
    }

    /// This device's key, for signing what it answers for.
    pub(crate) fn device_key(&self) -> &DeviceKey {
        &self.device_key
    }

    async fn audit(
        &self,
        tx: &mut WriteTx<'_>,
        action: AuditAction,
        patient: Option<PatientId>,
        detail: String,
    ) -> Result<()> {
        self.audit_flagged(tx, action, patient, detail, false).await
    }

    pub(crate) async fn audit_flagged(
        &self,
        tx: &mut WriteTx<'_>,
        action: AuditAction,
        patient: Option<PatientId>,
        detail: String,
        flagged: bool,
    ) -> Result<()> {
        // Anything done to a record outside the team's caseload is flagged for review.
        let outside = match &patient {
            Some(p) => !tx.on_caseload(p).await?,
            None => false,
        };
        let detail =
            if outside && !flagged { format!("{detail} (outside the team's caseload)") } else { detail };
        tx.append_audit(&AuditEntry {
            at: Timestamp::now(),
            clinician: self.me.clinician_ref(),
            device: self.me.device_id,
            action,
            patient,
            detail,
            flagged: flagged || outside,
        })
        .await
    }

    /// Checks that this device's clinician role may do `action` (CLINICAL.md). A refusal is
    /// audited, flagged for review, and returned as [`Error::NotPermitted`].
    pub(crate) async fn permit(&self, action: Action, patient: Option<PatientId>) -> Result<()> {
        if self.me.role.may(action) {
            return Ok(());
        }
        let refused = Error::NotPermitted { role: self.me.role, action };
        let mut tx = self.store.begin_write().await?;
        self.audit_flagged(&mut tx, AuditAction::Refused, patient, format!("refused: {refused}"), true)
            .await?;
        tx.commit().await?;
        Err(refused)
    }

    // ---- patients ---------------------------------------------------------------------

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
    async fn reindex_caseload(&self, tx: &mut WriteTx<'_>) -> Result<()> {
        let team: Team = tx
            .read_document(&self.me.team_id.0, DocumentKind::Team)
            .await?
            .ok_or_else(|| Error::Corrupt("the team document is missing".into()))?;
        tx.set_caseload(&merge::caseload_of(&team)).await
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
        let mut doc = rx
            .load_document(&id.0, DocumentKind::Patient)
            .await?
            .ok_or_else(|| Error::Input(format!("no patient record {id}")))?;
        let document: PatientRecord = documents::read(&doc, DocumentKind::Patient)?;
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
        tx.commit().await?;
        Ok(PatientView { summary, record, document, recent_visits, conflicts })
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
        self.edit_patient_doc(patient, action, |doc, record, by, at| {
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
        self.edit_patient_doc(patient, action, |_, record, by, at| change(record, by, at)).await
    }

    /// As [`Workspace::edit_patient`], with the Automerge document at hand for the rare
    /// change that must shape the operations themselves.
    pub(crate) async fn edit_patient_doc<R>(
        &self,
        patient: PatientId,
        action: &str,
        change: impl FnOnce(&mut AutoCommit, &mut PatientRecord, &ClinicianRef, Timestamp) -> Result<R>,
    ) -> Result<R> {
        let mut tx = self.store.begin_write().await?;
        let mut draft: Draft<PatientRecord> = self
            .draft(&mut tx, patient.0, DocumentKind::Patient, || {
                Error::Input(format!("no patient {patient}"))
            })
            .await?;
        let out = change(&mut draft.doc, &mut draft.value, &self.me.clinician_ref(), Timestamp::now())?;
        self.save(&mut tx, &mut draft, action).await?;
        let conflicts = draft.conflicts();
        tx.refresh_patient(&draft.value, &conflicts).await?;
        self.audit(&mut tx, AuditAction::Edit, Some(patient), action.to_owned()).await?;
        tx.commit().await?;
        Ok(out)
    }

    /// Open tasks due on or before `date`.
    pub async fn due_tasks(&self, date: chrono::NaiveDate) -> Result<Vec<DueTask>> {
        self.store.begin_read().await?.due_tasks(&date.format("%Y-%m-%d").to_string()).await
    }

    /// The day at a glance for `date` (local): who needs attention, tasks and reviews due,
    /// visits today and this clinician's unsigned visits, triaged by the core's rules.
    pub async fn today(&self, date: chrono::NaiveDate) -> Result<crate::view::Today> {
        let caseload = self.caseload().await?;
        let due = self.due_tasks(date).await?;
        let unsigned = self.open_visits().await?;
        Ok(crate::view::today::today(date, caseload, due, unsigned))
    }

    // ---- export, audit, maintenance ---------------------------------------------------

    /// The patient record, unencrypted, as a signed export (the Automerge document and
    /// who wrote it) that another device of the team can take in: audited as an export.
    pub async fn export_patient_document(&self, patient: PatientId) -> Result<Vec<u8>> {
        let mut doc = self.load_patient_doc(patient).await?;
        let heads = self.store.begin_read().await?.actor_heads(&patient.0).await?;
        let bytes = merge::SignedExport { team: self.me.team_id.0, document: doc.save(), heads }.to_bytes();
        let mut tx = self.store.begin_write().await?;
        self.audit(
            &mut tx,
            AuditAction::Export,
            Some(patient),
            "exported the record document (Automerge, signed, unencrypted)".into(),
        )
        .await?;
        tx.commit().await?;
        Ok(bytes)
    }

    pub async fn audit_log(&self, patient: Option<PatientId>) -> Result<Vec<AuditEntry>> {
        self.store.begin_read().await?.audit_log(patient.as_ref()).await
    }

    /// Rebuilds every query table from the documents. A document that cannot be read is
    /// reported and left out; the others are indexed.
    pub async fn reindex(&self) -> Result<ReindexReport> {
        let mut tx = self.store.begin_write().await?;
        tx.clear_indexes().await?;
        let mut report = ReindexReport::default();
        for id in tx.document_ids(DocumentKind::Visit).await? {
            let summary = match tx.read_document::<VisitNote>(&id, DocumentKind::Visit).await {
                Ok(note) => note.map(|n| visit_summary(&n)).transpose(),
                Err(e) => Err(e),
            };
            match summary {
                Ok(Some(summary)) => {
                    tx.put_visit_summary(&summary).await?;
                    report.visits += 1;
                }
                Ok(None) => {}
                Err(e) => report.unreadable.push(format!("visit {}: {e}", hex::encode(id))),
            }
        }
        for id in tx.document_ids(DocumentKind::Patient).await? {
            let read = match tx.load_document(&id, DocumentKind::Patient).await {
                Ok(Some(mut doc)) => documents::read::<PatientRecord, _>(&doc, DocumentKind::Patient)
                    .map(|record| {
                        let open = crate::conflicts::detect(&mut doc, &record);
                        Some((record, open))
                    })
                    .map_err(Error::from),
                Ok(None) => Ok(None),
                Err(e) => Err(e),
            };
            match read {
                Ok(Some((record, open_conflicts))) => {
                    tx.refresh_patient(&record, &open_conflicts).await?;
                    report.patients += 1;
                }
                Ok(None) => {}
                Err(e) => report.unreadable.push(format!("patient {}: {e}", hex::encode(id))),
            }
        }
        self.reindex_caseload(&mut tx).await?;
        tx.put_setting(INDEX_VERSION, CURRENT_INDEX_VERSION).await?;
        report.due_tasks = tx.due_tasks("9999-12-31").await?.len();
        self.audit(
            &mut tx,
            AuditAction::Reindex,
            None,
            format!("rebuilt query tables: {} patients", report.patients),
        )
        .await?;
        tx.commit().await?;
        Ok(report)
    }
}

/// A new clinician's identity on a new device, with the Automerge actor it will write with.
fn new_identity(clinician: NewClinician, team_id: TeamId, demo: bool) -> Result<(Identity, [u8; 16])> {
    if clinician.name.trim().is_empty() {
        return Err(Error::Input("the clinician's name must not be empty".into()));
    }
    let actor_bytes = crate::crypto::random_bytes::<16>()?;
    let me = Identity {
        clinician_id: ClinicianId::random(),
        name: clinician.name.trim().to_owned(),
        role: clinician.role,
        registration: clinician.registration,
        device_id: DeviceId::random(),
        actor_id: hex::encode(actor_bytes),
        team_id,
        demo,
    };
    Ok((me, actor_bytes))
}

/// Adds a clinician and their device to the team document.
fn add_member(
    team: &mut Team,
    me: &Identity,
    key: &DeviceKey,
    admin: bool,
    label: &str,
    enrolled_by: Option<ClinicianRef>,
) {
    let now = Timestamp::now();
    let clinician = Clinician {
        name: me.name.clone(),
        role: me.role,
        registration: me.registration.clone(),
        admin,
        added_at: now,
    };
    team.clinicians.insert(me.clinician_id.to_hex(), clinician);
    let device = Device {
        clinician_id: me.clinician_id.to_hex(),
        label: label.to_owned(),
        public_key: hex::encode(key.public_key()),
        actor_id: me.actor_id.clone(),
        enrolled_by,
        enrolled_at: now,
        revoked: None,
    };
    team.devices.insert(me.device_id.to_hex(), device);
}

/// Who signs the head of a document written by someone: their own device, or a team device
/// that vouches for them (the demo's fictional colleagues have no device of the team).
#[derive(Clone, Copy)]
pub(crate) enum HeadSigner<'a> {
    Own(&'a DeviceKey),
    Vouch(&'a DeviceKey),
}

/// Stores a new document written by `by`, with its head signed by `signer`.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn insert_document_as<T: Reconcile>(
    tx: &mut WriteTx<'_>,
    by: &Identity,
    signer: HeadSigner<'_>,
    actor: ActorId,
    id: [u8; 16],
    kind: DocumentKind,
    value: &T,
    message: &str,
) -> Result<()> {
    let mut doc = AutoCommit::new().with_actor(actor);
    autosurgeon::reconcile(&mut doc, value).map_err(documents::DocumentError::from)?;
    doc.commit_with(commit_options(message, by));
    tx.insert_document(&id, kind, &mut doc).await?;
    let team = &by.team_id.0;
    let head = match signer {
        HeadSigner::Own(key) => crate::authorship::own_head(&mut doc, &[], key, team, &id),
        HeadSigner::Vouch(key) => <[u8; 16]>::try_from(doc.get_actor().to_bytes())
            .ok()
            .and_then(|actor| crate::authorship::vouch_for(&mut doc, actor, key, team, &id)),
    };
    if let Some(head) = head {
        tx.put_actor_head(&id, &head).await?;
    }
    Ok(())
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
        PatientSummary {
            id: PatientId::random(),
            nhs_number: nhs.into(),
            name: name.into(),
            date_of_birth: "1939-05-17".into(),
            address: None,
            alerts: vec![],
            allergies: vec![],
            cpr: crate::view::Watched::Settled { value: None },
            end_of_life: false,
            latest_news2: None,
            last_visit: None,
            open_tasks: 0,
            scale2: crate::view::Watched::Settled { value: false },
            open_conflicts: 0,
            conflicts_about: vec![],
            reviews: vec![],
        }
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
