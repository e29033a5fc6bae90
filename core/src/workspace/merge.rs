//! Bringing in another device's copy of a document, the conflicts that can follow, and
//! access to records outside the team's caseload (break-glass).

use super::sync_apply::ReadDocument;
use super::{Context, Draft, PatientView};
use crate::conflicts::{self, Conflict};
use crate::documents::{self, DocumentKind, PatientRecord, Team};
use crate::error::{Error, Result};
use crate::ids::PatientId;
use crate::store::AuditAction;
use crate::store::Reads;
use crate::store::WriteTx;
use automerge::{AutoCommit, ROOT, ReadDoc, ScalarValue, Value};

/// The patients on a team's caseload.
pub(crate) fn caseload_of(team: &Team) -> Vec<PatientId> {
    team.caseload.keys().filter_map(|k| k.parse().ok()).collect()
}
use serde::Serialize;

/// What merging a document did.
#[derive(Clone, Debug, Serialize)]
pub struct MergeReport {
    pub kind: DocumentKind,
    /// The document's id, hex.
    pub id: String,
    /// True when this device did not have the document before.
    pub new: bool,
    /// Changes this device did not have.
    pub new_changes: usize,
    /// Open conflicts on the record after the merge (patient records only).
    pub open_conflicts: usize,
    /// Taken in unsigned: kept on this device for review, never synced.
    pub held_for_review: bool,
}

const EXPORT_MAGIC: &[u8] = b"HEDGEROW-SIGNED-DOCUMENT/1\n";

/// A document as `hedgerow export document` writes it: the team it came from, the
/// Automerge document, and its signed actor heads, so that another device of the team can
/// check who wrote every change.
#[derive(Serialize, serde::Deserialize)]
pub struct SignedExport {
    pub team: [u8; 16],
    #[serde(with = "serde_bytes")]
    pub document: Vec<u8>,
    pub heads: Vec<crate::sync::heads::ActorHead>,
}

impl SignedExport {
    pub fn to_bytes(&self) -> Vec<u8> {
        [EXPORT_MAGIC, &postcard::to_stdvec(self).expect("encoding to a Vec cannot fail")].concat()
    }

    /// `None` for bytes that are not a signed export (a bare Automerge document).
    pub fn parse(bytes: &[u8]) -> Result<Option<Self>> {
        match bytes.strip_prefix(EXPORT_MAGIC) {
            None => Ok(None),
            Some(rest) => postcard::from_bytes(rest)
                .map(Some)
                .map_err(|e| Error::Input(format!("a damaged document export: {e}"))),
        }
    }
}

pub(super) fn root_str(doc: &AutoCommit, key: &str) -> Option<String> {
    match doc.get(&ROOT, key).ok()?? {
        (Value::Scalar(s), _) => match s.as_ref() {
            ScalarValue::Str(v) => Some(v.to_string()),
            _ => None,
        },
        _ => None,
    }
}

/// Rebuilds a stored patient's caseload row (after a visit of theirs came); nothing if the
/// record is not here yet.
pub(crate) async fn refresh_stored_patient(tx: &mut WriteTx<'_>, patient: PatientId) -> Result<()> {
    if let Some(mut doc) = tx.load_document(&patient.0, DocumentKind::Patient).await? {
        let record: PatientRecord = documents::read(&doc, DocumentKind::Patient)?;
        let open = conflicts::detect(&mut doc, &record);
        tx.refresh_patient(&record, &open).await?;
    }
    Ok(())
}

/// Brings the query tables up to date with a document that has just taken in changes
/// from elsewhere. Returns the patient it concerns, the record's open conflicts, and
/// the patient's name when the document is their record.
pub(crate) async fn refresh_after_merge(
    cx: &Context,
    tx: &mut WriteTx<'_>,
    id: [u8; 16],
    kind: DocumentKind,
    doc: &mut AutoCommit,
) -> Result<(Option<PatientId>, usize, Option<String>)> {
    let read = super::sync_apply::hydrates(doc, kind)?;
    refresh_read(cx, tx, id, read, doc).await
}

/// As [`refresh_after_merge`], with the document already read.
pub(crate) async fn refresh_read(
    cx: &Context,
    tx: &mut WriteTx<'_>,
    id: [u8; 16],
    read: ReadDocument,
    doc: &mut AutoCommit,
) -> Result<(Option<PatientId>, usize, Option<String>)> {
    Ok(match read {
        ReadDocument::Patient(record) => {
            let open = conflicts::detect(doc, &record);
            tx.refresh_patient(&record, &open).await?;
            (Some(PatientId(id)), open.len(), Some(record.demographics.name))
        }
        ReadDocument::Visit(note) => {
            tx.put_visit_summary(&super::visit_summary(&note)?).await?;
            let pid: PatientId = note.patient_id.parse().map_err(|e| Error::Input(format!("{e}")))?;
            // The patient's latest NEWS2 may have changed.
            refresh_stored_patient(tx, pid).await?;
            (Some(pid), 0, None)
        }
        ReadDocument::Team(team) => {
            if id == cx.me.team_id.0 {
                tx.set_caseload(&caseload_of(&team)).await?;
                super::referral_inbox::settle_answered_referrals(tx, &team).await?;
                super::shared_record::settle_shares(tx, &team).await?;
            }
            (None, 0, None)
        }
    })
}

pub(super) async fn merge_document(
    cx: &Context,
    bytes: &[u8],
    add_to_caseload: bool,
    unauthenticated: Option<&str>,
) -> Result<MergeReport> {
    cx.permit(crate::clinical::Action::ImportRecord, None).await?;
    let unauthenticated = unauthenticated.map(str::trim).filter(|r| !r.is_empty());
    let (team, doc_bytes, heads) = match SignedExport::parse(bytes)? {
        Some(e) => (Some(e.team), e.document, e.heads),
        None => (None, bytes.to_vec(), Vec::new()),
    };
    let mut incoming =
        AutoCommit::load(&doc_bytes).map_err(|e| Error::Input(format!("not an Automerge document: {e}")))?;
    let kind = root_str(&incoming, "kind")
        .and_then(|k| DocumentKind::parse(&k))
        .ok_or_else(|| Error::Input("not a Hedgerow document: it has no known kind".into()))?;
    documents::check_header(&incoming, kind)?;
    let id: [u8; 16] = root_str(&incoming, "id")
        .and_then(|h| hex::decode(h).ok())
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| Error::Input("not a Hedgerow document: its id is missing or malformed".into()))?;

    let mut tx = cx.store.begin_write().await?;
    let existing = tx.load_document(&id, kind).await?;
    let new = existing.is_none();
    let mut doc = existing.unwrap_or_default();
    let before = doc.get_heads();
    let known = doc.get_changes(&[]).len();
    doc.merge(&mut incoming).map_err(|e| Error::Input(format!("the document does not merge: {e}")))?;
    let new_changes = doc.get_changes(&[]).len() - known;
    // Who wrote the new changes: devices of this team, by their signed heads.
    let mine = cx.me.team_id.0;
    let keys = actor_keys(cx, &mut tx).await?;
    let stored = tx.actor_heads(&id).await?;
    let checked = if team.is_some_and(|t| t != mine) {
        Err("it was exported by another team's device".to_owned())
    } else {
        crate::authorship::check_new_changes(&mut doc, &before, &heads, &stored, &mine, &id, &keys)
            .map_err(|e| e.to_string())
    };
    // On a device that syncs with a team, a held record would stop syncing.
    let shared = tx.setting(super::team::KEYRING).await?.is_some();
    let held = match (&checked, unauthenticated) {
        (Ok(_), _) => None,
        // Unsigned changes cannot be kept apart within a record the team already shares.
        (Err(why), Some(_)) if !new && shared && !tx.held_documents().await?.contains(&id) => {
            return Err(Error::Unauthenticated(format!(
                "this record is already shared with your team, and this copy's changes are not signed by devices of your team ({why}): nothing was taken in. Ask for a signed export (`hedgerow export document`) from a device of the team"
            )));
        }
        (Err(why), Some(reason)) => Some(format!("{why}; taken in for review: {reason}")),
        (Err(why), None) => {
            return Err(Error::Unauthenticated(format!(
                "this document's changes are not signed by devices of your team ({why}): nothing was taken in. To take it in anyway, held on this device for review and never synced, give the reason (`hedgerow import document FILE --unauthenticated \"REASON\"`)"
            )));
        }
    };
    if documents::check_header(&doc, kind).is_ok() {
        super::sync_apply::hydrates(&doc, kind)?;
    }
    if new {
        tx.insert_document(&id, kind, &mut doc).await?;
    } else if new_changes > 0 {
        let chunk = doc.save_after(&before);
        tx.append_chunk(&id, kind, &chunk, &mut doc).await?;
    }
    if let Ok(keep) = &checked {
        for h in keep {
            tx.put_actor_head(&id, h).await?;
        }
    }
    if let Some(reason) = &held {
        tx.hold_document(&id, reason).await?;
    }
    let (patient, open_conflicts, _) = refresh_after_merge(cx, &mut tx, id, kind, &mut doc).await?;
    if add_to_caseload && let Some(pid) = patient.filter(|_| kind == DocumentKind::Patient) {
        super::patients::add_to_caseload(cx, &mut tx, &[pid]).await?;
    }
    let detail = match &held {
        None => format!("merged a {kind} document: {new_changes} new changes, signed by team devices"),
        Some(reason) => format!("merged an UNAUTHENTICATED {kind} document, held for review: {reason}"),
    };
    cx.audit_flagged(&mut tx, AuditAction::Import, patient, detail, held.is_some()).await?;
    tx.commit().await?;
    Ok(MergeReport {
        kind,
        id: hex::encode(id),
        new,
        new_changes,
        open_conflicts,
        held_for_review: held.is_some(),
    })
}

/// Which device key signs for which Automerge actor: the registry's, in a shared team;
/// the team document's on a device that shares with no one yet.
pub(crate) async fn actor_keys(cx: &Context, tx: &mut impl Reads) -> Result<crate::authorship::KnownDevices> {
    let statements = super::team::confirmed_registry(tx).await?;
    let mut out = std::collections::HashMap::new();
    let mut vouchers = std::collections::HashSet::new();
    if !statements.is_empty() {
        let registry = crate::sync::registry::Registry::replay(cx.me.team_id.0, &statements)
            .map_err(|e| Error::Corrupt(format!("the team registry does not check: {e}")))?;
        for d in registry.devices() {
            out.insert(d.actor, d.device);
            vouchers.insert(d.device);
        }
    } else if let Some(team) = tx.read_document::<Team>(&cx.me.team_id.0, DocumentKind::Team).await? {
        for d in team.devices.values() {
            let actor = hex::decode(&d.actor_id).ok().and_then(|b| <[u8; 16]>::try_from(b).ok());
            let key = hex::decode(&d.public_key).ok().and_then(|b| <[u8; 32]>::try_from(b).ok());
            if let (Some(a), Some(k)) = (actor, key) {
                out.insert(a, k);
            }
        }
    }
    out.insert(cx.actor_bytes(), cx.device_key.public_key());
    vouchers.insert(cx.device_key.public_key());
    Ok(crate::authorship::KnownDevices { actors: out, vouchers })
}

pub(super) async fn field_history(
    cx: &Context,
    patient: PatientId,
    field: &str,
) -> Result<Vec<crate::history::FieldChange>> {
    let mut doc = cx.load_patient_doc(patient).await?;
    let path: Vec<&str> = field.split('/').filter(|p| !p.is_empty()).collect();
    let path = crate::history::expand_short_keys(&doc, &path);
    let path: Vec<&str> = path.iter().map(String::as_str).collect();
    Ok(crate::history::field_history(&mut doc, &path, &super::access::authors(cx).await?))
}

pub(super) async fn conflicts(cx: &Context, patient: PatientId) -> Result<Vec<Conflict>> {
    let mut doc = cx.load_patient_doc(patient).await?;
    let record: PatientRecord = documents::read(&doc, DocumentKind::Patient)?;
    let mut conflicts = conflicts::detect(&mut doc, &record);
    if !conflicts.is_empty() {
        conflicts::attribute(&mut conflicts, &super::access::authors(cx).await?);
    }
    Ok(conflicts)
}

pub(super) async fn resolve_conflict(
    cx: &Context,
    patient: PatientId,
    field: &str,
    choice: usize,
    reason: &str,
) -> Result<()> {
    cx.permit(crate::clinical::Action::ResolveConflict, Some(patient)).await?;
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(Error::Input(
            "say why you chose this value (it is kept in the audit log with your choice)".into(),
        ));
    }
    let mut tx = cx.store.begin_write().await?;
    let mut draft: Draft<PatientRecord> = cx
        .draft(&mut tx, patient.0, DocumentKind::Patient, || Error::Input(format!("no patient {patient}")))
        .await?;
    let Some(conflict) = draft.conflicts().into_iter().find(|c| c.field == field) else {
        return Err(Error::Input(format!("no open conflict on '{field}' for this patient")));
    };
    let chosen = conflict
        .values
        .get(choice.wrapping_sub(1))
        .map(crate::view::alternative_text)
        .ok_or_else(|| Error::Input(format!("choose a value from 1 to {}", conflict.values.len())))?;
    conflicts::resolve(&mut draft.doc, field, choice).map_err(|e| Error::Input(e.to_string()))?;
    draft.value = documents::read(&draft.doc, DocumentKind::Patient)?;
    cx.save(&mut tx, &mut draft, &format!("resolve conflict: {field} (value {choice})")).await?;
    let open = draft.conflicts();
    tx.refresh_patient(&draft.value, &open).await?;
    cx.audit(
        &mut tx,
        AuditAction::Edit,
        Some(patient),
        format!("resolved the conflict on {}: chose {chosen}; reason: {reason}", conflict.label),
    )
    .await?;
    tx.commit().await
}

pub(super) async fn open_patient(cx: &Context, id: PatientId) -> Result<PatientView> {
    super::patients::open_patient_audited(cx, id, AuditAction::View, "opened record".into(), false).await
}

pub(super) async fn open_patient_break_glass(
    cx: &Context,
    id: PatientId,
    reason: &str,
) -> Result<PatientView> {
    super::access::break_glass(cx, id, reason).await?;
    super::patients::open_patient_audited(
        cx,
        id,
        AuditAction::View,
        "opened record by break-glass".into(),
        true,
    )
    .await
}
