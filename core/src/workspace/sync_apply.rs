//! The store side of a relay sync: applying what arrives (each bundle checked for who
//! wrote it and that it reads, before anything is kept) and choosing what to push (team
//! keys for devices that lack them, each changed document's changes, signed heads).

use super::Context;
use crate::authorship::check_new_changes;
use crate::documents::{self, DocumentKind, PatientRecord, Team, VisitNote};
use crate::error::{Error, Result};
use crate::store::WriteTx;
use crate::sync::bundle::{BundleBody, seal_bundle, team_key_entry};
use crate::sync::client::{ClientSession, Received};
use crate::sync::keys::KeyId;
use crate::sync::registry::Registry;
use crate::sync::wire::LogEntry;
use automerge::ChangeHash;
use std::collections::{BTreeMap, BTreeSet};
use zeroize::Zeroizing;

/// After this many bundles of one document, the next push is a snapshot, which lets the
/// relay drop this device's bundles before it.
const SNAPSHOT_AFTER_BUNDLES: i64 = 32;
/// Which key each device has been sent and the relay acknowledged (an admin's ledger).
pub(crate) const KEYS_SENT: &str = "team-keys-sent-v2";

/// What a push will record once the relay acknowledges it.
#[derive(Default)]
pub(crate) struct PendingPush {
    documents: Vec<([u8; 16], Vec<ChangeHash>, bool)>,
    keys: Vec<([u8; 32], KeyId)>,
    /// The last of this device's audit entries in the push.
    audit_through: Option<u64>,
}

pub(crate) struct Applied {
    /// The bundle builds on changes not received yet: nothing was written.
    pub deferred: bool,
    /// The bundle brought changes this device did not have.
    pub changed: bool,
    pub new: bool,
    pub open_conflicts: usize,
    pub patient: Option<crate::ids::PatientId>,
    pub patient_name: Option<String>,
    pub unreadable: Option<String>,
}

/// Applies one batch of received bundles and moves the cursor, in one transaction: the
/// documents new here in bulk (`sync_bulk.rs`), the rest one by one. A bundle that
/// fails its checks is left out whole (its writes rolled back) and reported; its
/// author is named. One whose changes build on changes not received yet
/// is kept until they come (then applied, after this batch or a later one).
pub(crate) async fn apply_received(
    cx: &Context,
    registry: &Registry,
    bundles: Vec<Received>,
    log_id: [u8; 16],
    cursor: u64,
    report: &mut super::SyncReport,
    changed: &mut BTreeSet<[u8; 16]>,
) -> Result<()> {
    let mut tx = cx.store.begin_write().await?;
    report.bundles_received += bundles.len() as u64;
    let rest = super::sync_bulk::apply_new_in_bulk(cx, &mut tx, registry, bundles, report, changed).await?;
    for r in rest {
        if apply_one(cx, &mut tx, registry, r.seq, &r.author, &r.body, report, changed).await? {
            let body = Zeroizing::new(postcard::to_stdvec(&r.body).expect("encoding to a Vec cannot fail"));
            tx.defer_bundle(r.seq, &r.author, &body).await?;
        }
    }
    // Those waiting, from this batch or before, that can apply now.
    loop {
        let mut progress = false;
        for (seq, author, bytes) in tx.deferred_bundles().await? {
            let body: BundleBody = postcard::from_bytes(&bytes)
                .map_err(|e| Error::Corrupt(format!("a deferred bundle does not decode: {e}")))?;
            if !apply_one(cx, &mut tx, registry, seq, &author, &body, report, changed).await? {
                tx.drop_deferred(seq).await?;
                progress = true;
            }
        }
        if !progress {
            break;
        }
    }
    super::sync::save_cursor(&mut tx, log_id, cursor).await?;
    tx.commit().await
}

/// Applies one bundle under a savepoint; `Ok(true)` if it must wait for changes it
/// builds on. A bundle refused is rolled back and reported.
#[allow(clippy::too_many_arguments)]
async fn apply_one(
    cx: &Context,
    tx: &mut WriteTx<'_>,
    registry: &Registry,
    seq: u64,
    author: &[u8; 32],
    body: &BundleBody,
    report: &mut super::SyncReport,
    changed: &mut BTreeSet<[u8; 16]>,
) -> Result<bool> {
    let kind = DocumentKind::parse(&body.kind)
        .ok_or_else(|| Error::Corrupt(format!("a bundle of unknown kind '{}'", body.kind)))?;
    tx.savepoint().await?;
    match apply_bundle(cx, tx, registry, body, kind).await {
        Ok(Applied { deferred: true, .. }) => {
            tx.release().await?;
            return Ok(true);
        }
        Ok(Applied { changed: false, .. }) => tx.release().await?,
        Ok(Applied { new, open_conflicts, patient, patient_name, unreadable, .. }) => {
            tx.release().await?;
            if let Some(why) = unreadable {
                report.unreadable.push(format!("{} {}: {why}", body.kind, hex::encode(body.document)));
            }
            report.new_documents += u64::from(new);
            report.open_conflicts += open_conflicts as u64;
            changed.insert(body.document);
            report.team_changed |= kind == DocumentKind::Team;
            // Each once, when the sync ends.
            report.patients_changed.extend(patient_name);
            report.records_changed.extend(patient);
        }
        Err(e) => {
            tx.rollback_to_savepoint().await?;
            tracing::warn!(seq, error = %e, "a received bundle was left out");
            report.rejected.push(format!("entry {seq} by device {}: {e}", hex::encode(&author[..8])));
        }
    }
    Ok(false)
}

async fn apply_bundle(
    cx: &Context,
    tx: &mut WriteTx<'_>,
    registry: &Registry,
    body: &BundleBody,
    kind: DocumentKind,
) -> Result<Applied> {
    let id = body.document;
    let existing = tx.load_document(&id, kind).await?;
    let new = existing.is_none();
    let mut doc = existing.unwrap_or_default();
    let before = doc.get_heads();
    doc.load_incremental(&body.changes)
        .map_err(|e| Error::from_relay(format!("a bundle whose changes do not load: {e}")))?;
    if !doc.get_missing_deps(&[]).is_empty() {
        return Ok(Applied {
            deferred: true,
            changed: false,
            new: false,
            open_conflicts: 0,
            patient: None,
            patient_name: None,
            unreadable: None,
        });
    }
    let after = doc.get_heads();
    if after == before {
        return Ok(Applied {
            deferred: false,
            changed: false,
            new: false,
            open_conflicts: 0,
            patient: None,
            patient_name: None,
            unreadable: None,
        });
    }
    // Who wrote each new change: its actor's device must have signed for it.
    let stored = tx.actor_heads(&id).await?;
    let team = cx.me.team_id.0;
    let keep = check_new_changes(&mut doc, &before, &body.heads, &stored, &team, &id, registry)
        .map_err(|e| Error::from_relay(e.to_string()))?;
    // Refused whole if it does not read as its kind (a newer schema is kept: a later
    // version will read it).
    let read = match documents::check_header(&doc, kind) {
        Ok(_) => Ok(hydrates(&doc, kind)?),
        Err(e @ documents::DocumentError::NewerSchema { .. }) => Err(e.to_string()),
        Err(e) => return Err(e.into()),
    };
    let pushed = tx.pushed_state(&id).await?;
    if new {
        tx.insert_document(&id, kind, &mut doc).await?;
    } else {
        let chunk = doc.save_after(&before);
        tx.append_chunk(&id, kind, &chunk, &mut doc).await?;
    }
    for head in &keep {
        tx.put_actor_head(&id, head).await?;
    }
    // The relay has what arrived; if it also had all this device's changes, it now
    // has the merged heads.
    match pushed {
        Some((heads, true)) if heads == before => tx.mark_pushed(&id, &after, 1, false).await?,
        None if new => tx.mark_pushed(&id, &after, 1, false).await?,
        _ => {}
    }
    let read = match read {
        Ok(read) => read,
        Err(why) => {
            tracing::warn!(document = %hex::encode(id), "kept a document this version cannot read");
            return Ok(Applied {
                deferred: false,
                changed: true,
                new,
                open_conflicts: 0,
                patient: None,
                patient_name: None,
                unreadable: Some(why),
            });
        }
    };
    let (patient, open_conflicts, patient_name) =
        super::merge::refresh_read(cx, tx, id, read, &mut doc).await?;
    Ok(Applied {
        deferred: false,
        changed: true,
        new,
        open_conflicts,
        patient,
        patient_name,
        unreadable: None,
    })
}

/// Seals what the relay lacks: team keys for devices that lack them (admins), then
/// each changed document's changes, or a snapshot when its bundles pile up. Nothing is
/// recorded until the relay acknowledges ([`finish_push`]).
pub(crate) async fn bundles_to_push(
    cx: &Context,
    session: &ClientSession,
) -> Result<(Vec<LogEntry>, PendingPush)> {
    let mut tx = cx.store.begin_write().await?;
    let keyring = session.keyring();
    let team = cx.me.team_id.0;
    let registry = session.registry();
    let mut entries = Vec::new();
    let mut pending = PendingPush::default();
    let me = cx.device_key.public_key();
    if registry.device(&me).is_some_and(|d| d.admin && d.active())
        && let Some(current) = keyring.current()
    {
        let sent = keys_sent(&mut tx).await?;
        let lacking: Vec<_> = registry
            .devices()
            .filter(|d| d.active() && d.device != me && sent.get(&d.device) != Some(&current))
            .collect();
        // Keys go only to devices both the registry and the team document know: a
        // device enrolled without being added to the team is never handed keys. (The
        // team document, large in a team that shares many records, is read only then.)
        let named: BTreeSet<String> = match lacking.is_empty() {
            true => BTreeSet::new(),
            false => {
                let team_doc: Team = tx
                    .read_document(&team, DocumentKind::Team)
                    .await?
                    .ok_or_else(|| Error::Corrupt("the team document is missing".into()))?;
                team_doc.devices.values().map(|d| d.public_key.clone()).collect()
            }
        };
        let all = keyring.all();
        for d in lacking {
            if !named.contains(&hex::encode(d.device)) {
                continue;
            }
            entries
                .push(team_key_entry(&cx.device_key, &team, &all, &d.device, &d.x25519).map_err(bundle_err)?);
            pending.keys.push((d.device, current));
        }
    }
    if let Some((entry, last)) = super::audit_trail::audit_to_push(cx, &mut tx, keyring).await? {
        entries.push(entry);
        pending.audit_through = Some(last);
    }
    let held: BTreeSet<[u8; 16]> = tx.held_documents().await?.into_iter().collect();
    for doc in tx.unpushed_documents().await? {
        if held.contains(&doc.id) {
            continue; // taken in unsigned: stays on this device for review
        }
        let Some(mut loaded) = tx.load_document(&doc.id, doc.kind).await? else { continue };
        let heads = loaded.get_heads();
        if doc.pushed_heads.as_ref() == Some(&heads) {
            pending.documents.push((doc.id, heads, false));
            continue;
        }
        let snapshot = doc.pushed_heads.is_none() || doc.bundles_since_snapshot >= SNAPSHOT_AFTER_BUNDLES;
        let changes = match &doc.pushed_heads {
            Some(h) if !snapshot => loaded.save_after(h),
            _ => loaded.save(),
        };
        if changes.is_empty() {
            pending.documents.push((doc.id, heads, false));
            continue;
        }
        // This device's own changes from before heads were signed get a head now.
        loaded.set_actor(cx.actor.clone());
        if let Some(own) = crate::authorship::own_head(&mut loaded, &[], &cx.device_key, &team, &doc.id) {
            tx.put_actor_head(&doc.id, &own).await?;
        }
        let body = BundleBody {
            document: doc.id,
            kind: doc.kind.as_str().to_owned(),
            changes,
            heads: tx.actor_heads(&doc.id).await?,
        };
        entries.push(seal_bundle(&cx.device_key, &team, keyring, &body, snapshot).map_err(bundle_err)?);
        pending.documents.push((doc.id, heads, snapshot));
    }
    tx.commit().await?;
    Ok((entries, pending))
}

/// Records what the relay acknowledged: documents pushed, keys handed out, and the
/// last position its pushes took in log `pushed.0` (a log later found to end below it
/// went back, and everything is pushed again).
pub(crate) async fn finish_push(
    cx: &Context,
    pending: &PendingPush,
    pushed: Option<([u8; 16], u64)>,
) -> Result<()> {
    let mut tx = cx.store.begin_write().await?;
    if let Some((log_id, last)) = pushed {
        let mut value = log_id.to_vec();
        value.extend_from_slice(&last.to_be_bytes());
        tx.put_setting(super::sync::PUSHED_THROUGH, &value).await?;
    }
    for (id, heads, snapshot) in &pending.documents {
        tx.mark_pushed(id, heads, 1, *snapshot).await?;
    }
    if let Some(last) = pending.audit_through {
        tx.put_setting(super::audit_trail::AUDIT_PUSHED, &last.to_be_bytes()).await?;
    }
    if !pending.keys.is_empty() {
        let mut sent = keys_sent(&mut tx).await?;
        sent.extend(pending.keys.iter().copied());
        tx.put_setting(KEYS_SENT, &postcard::to_stdvec(&sent).expect("encodes")).await?;
    }
    tx.commit().await
}

async fn keys_sent(tx: &mut WriteTx<'_>) -> Result<BTreeMap<[u8; 32], KeyId>> {
    Ok(match tx.setting(KEYS_SENT).await? {
        Some(b) => postcard::from_bytes(&b).map_err(|e| Error::Corrupt(format!("the key ledger: {e}")))?,
        None => BTreeMap::new(),
    })
}

/// The relay holds none of what this device pushed (a new or restored log): push
/// everything again, keys included.
pub(crate) async fn forget_pushed(tx: &mut WriteTx<'_>) -> Result<()> {
    tx.forget_pushed().await?;
    tx.delete_setting(super::sync::PUSHED_THROUGH).await?;
    tx.delete_setting(super::audit_trail::AUDIT_PUSHED).await?;
    tx.delete_setting(KEYS_SENT).await
}

/// A document as read, once, to check it and then to index it.
pub(crate) enum ReadDocument {
    Patient(Box<PatientRecord>),
    Visit(Box<VisitNote>),
    Team(Box<Team>),
}

/// A document read as its kind, before it is kept: refused if it does not read.
pub(crate) fn hydrates(doc: &automerge::AutoCommit, kind: DocumentKind) -> Result<ReadDocument> {
    Ok(match kind {
        DocumentKind::Patient => {
            let r: PatientRecord = documents::read(doc, kind)?;
            r.demographics.nhs_number.parse::<crate::clinical::NhsNumber>()?;
            ReadDocument::Patient(Box::new(r))
        }
        DocumentKind::Visit => ReadDocument::Visit(Box::new(documents::read(doc, kind)?)),
        DocumentKind::Team => ReadDocument::Team(Box::new(documents::read(doc, kind)?)),
    })
}

fn bundle_err(e: crate::sync::bundle::BundleError) -> Error {
    Error::Internal(format!("could not seal a bundle: {e}"))
}
