//! [`Workspace`]: the one facade every shell calls. It owns the unlocked store and this
//! device's identity, applies clinical rules, and keeps documents, query tables and the
//! audit log in step inside one transaction per action.

use crate::clinical::{Action, NhsNumber};
use crate::crypto::DeviceKey;
mod access;
mod audit_trail;
mod briefing;
mod care_home;
mod contacts;
mod end_of_life;
mod exports;
mod facade;
mod lifecycle;
mod merge;
mod observations;
mod partner_link;
mod partner_registry;
mod patients;
mod peer;
mod peer_link;
mod record;
mod referral;
mod referral_inbox;
mod reindex;
mod round_state;
mod share_end;
mod share_repair;
mod shared_record;
mod sharing;
mod summary;
mod sync;
mod sync_apply;
mod sync_bulk;
mod sync_history;
mod team;
mod visit;
mod visit_draft;

pub use crate::documents::team::Revocation;
pub use peer::PeerReport;
pub use peer_link::PEER_STALL;
pub use sync::{OnlyOnThisDevice, SyncPhase, SyncProgress, SyncReport};
pub use sync_history::{PathHistory, SyncPath, SyncPathView};
pub use team::{DeviceListing, Invitation};

pub use audit_trail::{AUDIT_PUSH_AFTER, TeamAudit, TeamAuditEntry};
pub use briefing::{Briefing, RecordAt, RecordChange, VALUES_SHOWN};
pub use care_home::{CareHome, care_home_of, care_homes};
pub use contacts::{LPA_KINDS, NewContact};
pub use exports::FhirImportReport;
pub use merge::{MergeReport, SignedExport};
pub(crate) use patients::add_to_caseload;
pub use patients::{CaseloadSearch, filter_caseload};
pub use referral::ReferralSent;
pub use round_state::RoundInProgress;
pub use share_end::SharedWith;
pub use sharing::TeamCardView;
pub use visit::{NewWound, RecordedObservations, ScoredObservations, VisitView, signature_verifies};
pub(crate) use visit::{sign_note, visit_summary};
pub use visit_draft::{OpenVisit, SavedDraft, VisitDraft};

pub use end_of_life::EndOfLifeUpdate;
pub use record::{DetailsUpdate, MedicineChange, NewMedicine, NewProblem, ProblemUpdate, find_entry};
pub use reindex::ReindexReport;

use crate::documents::{
    self, ChangeNote, ClinicianRef, DocumentKind, PatientRecord, Role, Timestamp, WriteBack,
};
use crate::error::{Error, Result};
use crate::ids::{ClinicianId, DeviceId, PatientId, TeamId};
use crate::store::{AuditAction, AuditEntry, PatientSummary, Store, VisitSummary, WriteTx};
use automerge::{ActorId, AutoCommit, ChangeHash, transaction::CommitOptions};
use autosurgeon::{Hydrate, Reconcile};
use serde::{Deserialize, Serialize};

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
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct NewClinician {
    pub name: String,
    pub role: Role,
    /// NMC PIN or GMC number.
    #[cfg_attr(feature = "uniffi", uniffi(default))]
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
    /// The other teams this record is shared with, and shares that ended.
    pub shared_with: Vec<SharedWith>,
    /// Why this team's copy is read-only (another team ended the share), if it is.
    pub read_only: Option<String>,
}

impl PatientView {
    pub fn watched(&self) -> crate::view::WatchedRecord<'_> {
        crate::view::WatchedRecord::new(&self.document, &self.conflicts)
    }

    /// What a nurse needs at the door, as of `today` ([`crate::view::visit_essentials`]).
    pub fn visit_essentials(&self, today: chrono::NaiveDate) -> Vec<crate::view::Essential> {
        crate::view::visit_essentials(&self.document, today)
    }
}

/// The facade: every call a shell makes, each handed in one line to the feature module that
/// does it ([`facade`]), the way rust-analyzer's `ide::Analysis` hands its calls on.
pub struct Workspace {
    cx: Context,
}

/// What every feature works with: the unlocked store, who is using this device, its key and
/// its Automerge actor. Private to the core; the features are functions that take it.
pub(crate) struct Context {
    pub(crate) store: Store,
    me: Identity,
    device_key: DeviceKey,
    actor: ActorId,
    /// Records opened by break-glass, and when ([`access`]).
    grants: std::sync::Mutex<std::collections::BTreeMap<PatientId, std::time::Instant>>,
    /// What checking the audit log's chain found when the workspace opened.
    audit_check: crate::store::AuditCheck,
    /// The connection to the relay, kept between syncs.
    relay_connection: crate::sync::transport::KeptRelayConnection,
}

impl Draft<PatientRecord> {
    pub(crate) fn conflicts(&mut self) -> Vec<crate::conflicts::Conflict> {
        crate::conflicts::detect(&mut self.doc, &self.value)
    }
}

impl<T> Draft<T> {
    /// Keeps the saved document loaded for the next edit, once `tx` commits.
    pub(crate) fn keep_loaded(self, tx: &mut WriteTx<'_>)
    where
        T: WriteBack,
    {
        let value = self.value.kept(&self.doc);
        tx.keep_loaded(self.id, self.doc, value, crate::store::KeepFor::Recent);
    }
}

/// Shows who the workspace belongs to; never its keys.
impl std::fmt::Debug for Workspace {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Workspace")
            .field("identity", &self.cx.me)
            .field("dir", &self.cx.store.dir())
            .finish_non_exhaustive()
    }
}

/// A document loaded for change under the write lock.
pub(crate) struct Draft<T> {
    doc: AutoCommit,
    heads: Vec<ChangeHash>,
    pub value: T,
    /// The value as read, so that only what changed is written back.
    before: T,
    /// Top-level fields whose objects the change replaced in `doc` itself.
    replaced: Vec<&'static str>,
    id: [u8; 16],
    kind: DocumentKind,
}

fn commit_options(action: &str, by: &Identity) -> CommitOptions {
    let note =
        ChangeNote { action: action.to_owned(), by: by.clinician_ref(), device: by.device_id.to_hex() };
    CommitOptions::default().with_message(note.to_message()).with_time(chrono::Utc::now().timestamp())
}

impl Context {
    pub(crate) fn identity(&self) -> &Identity {
        &self.me
    }

    /// The Automerge actor this device writes with, as the registry names it.
    pub(crate) fn actor_bytes(&self) -> [u8; 16] {
        self.actor.to_bytes().try_into().unwrap_or([0; 16])
    }

    /// The store itself, for the tests that check what is written and how.
    #[cfg(feature = "test-support")]
    pub(crate) fn store(&self) -> &Store {
        &self.store
    }

    // ---- documents under the write lock -------------------------------------------------

    pub(crate) async fn draft<T: Hydrate + Clone + 'static>(
        &self,
        tx: &mut WriteTx<'_>,
        id: [u8; 16],
        kind: DocumentKind,
        missing: impl FnOnce() -> Error,
    ) -> Result<Draft<T>> {
        let (mut doc, value) = tx.load_with_value::<T>(&id, kind).await?.ok_or_else(missing)?;
        // A copy another team's ending of a share left is read-only.
        match kind {
            DocumentKind::Patient => self.check_not_ended(tx, &id).await?,
            DocumentKind::Visit => {
                let owner = merge::root_str(&doc, "patient_id").and_then(|h| h.parse::<PatientId>().ok());
                if let Some(p) = owner {
                    self.check_not_ended(tx, &p.0).await?;
                }
            }
            DocumentKind::Team => {}
        }
        doc.set_actor(self.actor.clone());
        let heads = doc.get_heads();
        Ok(Draft { doc, heads, before: value.clone(), value, replaced: Vec::new(), id, kind })
    }

    /// Writes the draft's changes into its document, appends them to the store as this
    /// device's and signs its newest change.
    pub(crate) async fn save<T: WriteBack>(
        &self,
        tx: &mut WriteTx<'_>,
        draft: &mut Draft<T>,
        message: &str,
    ) -> Result<()> {
        draft
            .value
            .write_back(&draft.before, &draft.replaced, &mut documents::KeepConflicts(&mut draft.doc))
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
            // Every letter, referral and share reads the team document; a team holding
            // many patients would otherwise be read again whole each time.
            if draft.kind == DocumentKind::Team {
                let value = draft.value.kept(&draft.doc);
                tx.keep_loaded(draft.id, draft.doc.clone(), value, crate::store::KeepFor::WhileOpen);
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
