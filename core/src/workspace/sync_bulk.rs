//! A large pull applied in bulk. The patient records and visits new to this device in a
//! batch of received bundles (in a first sync, all of them) are loaded, checked for who
//! wrote them, read, indexed and sealed off the write path, on every core, each loaded
//! once; then the one writer stores them together in a few statements. Bundles for
//! documents already here, later bundles of the same document, and the team document go
//! one by one (`sync_apply.rs`). Either way the batch commits with the cursor, so what a
//! sync reported applied survives a crash and is not received again.

use super::Context;
use crate::authorship::check_new_changes;
use crate::conflicts::{self, Conflict};
use crate::documents::{self, DocumentError, DocumentKind, PatientRecord, VisitNote};
use crate::error::{Error, Result};
use crate::ids::PatientId;
use crate::store::{NewDocumentRows, PatientRows, Store, VisitRow, WriteTx};
use crate::sync::client::Received;
use crate::sync::heads::ActorHead;
use crate::sync::registry::Registry;
use automerge::{AutoCommit, AutomergeError, ChangeHash};
use std::collections::{BTreeSet, HashSet};
use zeroize::Zeroizing;

/// Below this many bundles a batch is prepared on the calling thread.
const PER_THREAD: usize = 64;

/// What a new document's first bundle became, off the write path.
enum Prepared {
    New(Box<NewDocument>),
    /// Builds on changes not received yet: kept until they come.
    Deferred,
    /// Holds no changes.
    Empty,
    Refused(Error),
}

struct NewDocument {
    rows: NewDocumentRows,
    heads: Vec<ChangeHash>,
    keep: Vec<ActorHead>,
    read: Read,
}

enum Read {
    Patient {
        record: Box<PatientRecord>,
        conflicts: Vec<Conflict>,
        rows: PatientRows,
    },
    Visit {
        patient: PatientId,
        row: VisitRow,
    },
    /// A newer schema: kept for a later version to read.
    Unreadable(String),
}

/// Everything about one new document that needs no store: load, authorship, reading,
/// index rows and sealing.
fn prepare(
    store: &Store,
    team: &[u8; 16],
    registry: &Registry,
    kind: DocumentKind,
    r: &Received,
) -> Prepared {
    let body = &r.body;
    let id = body.document;
    // Loaded whole, not incrementally: these bytes are stored as they are, so anything in
    // them that does not parse refuses the bundle rather than damaging the record later.
    let mut doc = match AutoCommit::load(&body.changes) {
        Ok(doc) => doc,
        Err(AutomergeError::MissingDeps) => return Prepared::Deferred,
        Err(e) => {
            return Prepared::Refused(Error::from_relay(format!("a bundle whose changes do not load: {e}")));
        }
    };
    if !doc.get_missing_deps(&[]).is_empty() {
        return Prepared::Deferred;
    }
    let heads = doc.get_heads();
    if heads.is_empty() {
        return Prepared::Empty;
    }
    let checked = (|| {
        let keep = check_new_changes(&mut doc, &[], &body.heads, &[], team, &id, registry)
            .map_err(|e| Error::from_relay(e.to_string()))?;
        let read = match documents::check_header(&doc, kind) {
            Ok(_) => read(store, kind, &mut doc)?,
            Err(e @ DocumentError::NewerSchema { .. }) => Read::Unreadable(e.to_string()),
            Err(e) => return Err(e.into()),
        };
        let rows = store.new_document_rows(&id, kind, &body.changes, &heads)?;
        Ok(NewDocument { rows, heads, keep, read })
    })();
    match checked {
        Ok(new) => Prepared::New(Box::new(new)),
        Err(e) => Prepared::Refused(e),
    }
}

fn read(store: &Store, kind: DocumentKind, doc: &mut AutoCommit) -> Result<Read> {
    Ok(match kind {
        DocumentKind::Patient => {
            let record: PatientRecord = documents::read(doc, kind)?;
            let conflicts = conflicts::detect(doc, &record);
            // Its visits, if any are here already, are added once the batch is written.
            let (_, rows) = store.patient_rows(&record, &conflicts, &[])?;
            Read::Patient { record: Box::new(record), conflicts, rows }
        }
        DocumentKind::Visit => {
            let note: VisitNote = documents::read(doc, kind)?;
            let summary = super::visit_summary(&note)?;
            Read::Visit { patient: summary.patient_id, row: store.visit_row(&summary)? }
        }
        DocumentKind::Team => return Err(Error::Internal("the team document is applied on its own".into())),
    })
}

/// Prepares every bundle of `batch`, split across the machine's cores.
fn prepare_all(
    store: &Store,
    team: &[u8; 16],
    registry: &Registry,
    batch: &[(Received, DocumentKind)],
) -> Vec<Prepared> {
    let one = |(r, kind): &(Received, DocumentKind)| prepare(store, team, registry, *kind, r);
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let threads = cores.min(batch.len() / PER_THREAD).max(1);
    if threads == 1 {
        return batch.iter().map(one).collect();
    }
    let per_thread = batch.len().div_ceil(threads);
    let run = || {
        std::thread::scope(|s| {
            let parts: Vec<_> = batch
                .chunks(per_thread)
                .map(|part| s.spawn(move || part.iter().map(one).collect::<Vec<Prepared>>()))
                .collect();
            parts
                .into_iter()
                .flat_map(|p| p.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic)))
                .collect::<Vec<Prepared>>()
        })
    };
    // The work blocks this task; a multi-threaded runtime moves its other tasks elsewhere.
    match tokio::runtime::Handle::try_current() {
        Ok(h) if h.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread => {
            tokio::task::block_in_place(run)
        }
        _ => run(),
    }
}

/// Applies the first bundle of each patient record and visit in `bundles` that this
/// device does not hold yet, and gives back the rest, in order, to apply one by one.
pub(crate) async fn apply_new_in_bulk(
    cx: &Context,
    tx: &mut WriteTx<'_>,
    registry: &Registry,
    bundles: Vec<Received>,
    report: &mut super::SyncReport,
    changed: &mut BTreeSet<[u8; 16]>,
) -> Result<Vec<Received>> {
    let bulk_kind = |r: &Received| {
        DocumentKind::parse(&r.body.kind).filter(|k| matches!(k, DocumentKind::Patient | DocumentKind::Visit))
    };
    let candidates: Vec<[u8; 16]> =
        bundles.iter().filter(|r| bulk_kind(r).is_some()).map(|r| r.body.document).collect();
    if candidates.is_empty() {
        return Ok(bundles);
    }
    let stored = tx.stored_among(&candidates).await?;
    let mut first = HashSet::new();
    let (mut bulk, mut rest) = (Vec::new(), Vec::new());
    for r in bundles {
        match bulk_kind(&r) {
            Some(kind) if !stored.contains(&r.body.document) && first.insert(r.body.document) => {
                bulk.push((r, kind))
            }
            _ => rest.push(r),
        }
    }
    let prepared = prepare_all(&cx.store, &cx.me.team_id.0, registry, &bulk);
    store_new(tx, bulk, prepared, report, changed).await?;
    Ok(rest)
}

async fn store_new(
    tx: &mut WriteTx<'_>,
    bulk: Vec<(Received, DocumentKind)>,
    prepared: Vec<Prepared>,
    report: &mut super::SyncReport,
    changed: &mut BTreeSet<[u8; 16]>,
) -> Result<()> {
    let (mut documents, mut heads, mut pushed) = (Vec::new(), Vec::new(), Vec::new());
    let (mut visits, mut patients, mut visited) = (Vec::new(), Vec::new(), BTreeSet::new());
    for ((r, kind), p) in bulk.into_iter().zip(prepared) {
        let id = r.body.document;
        let new = match p {
            Prepared::Empty => continue,
            Prepared::Deferred => {
                let body =
                    Zeroizing::new(postcard::to_stdvec(&r.body).expect("encoding to a Vec cannot fail"));
                tx.defer_bundle(r.seq, &r.author, &body).await?;
                continue;
            }
            Prepared::Refused(e) => {
                tracing::warn!(seq = r.seq, error = %e, "a received bundle was left out");
                report.rejected.push(format!(
                    "entry {} by device {}: {e}",
                    r.seq,
                    hex::encode(&r.author[..8])
                ));
                continue;
            }
            Prepared::New(new) => *new,
        };
        report.new_documents += 1;
        changed.insert(id);
        documents.push(new.rows);
        heads.extend(new.keep.into_iter().map(|h| (id, h)));
        pushed.push((id, new.heads));
        match new.read {
            Read::Patient { record, conflicts, rows } => {
                report.open_conflicts += conflicts.len() as u64;
                report.patients_changed.push(record.demographics.name.clone());
                report.records_changed.push(PatientId(id));
                patients.push((PatientId(id), record, conflicts, rows));
            }
            Read::Visit { patient, row } => {
                report.records_changed.push(patient);
                visits.push(row);
                visited.insert(patient);
            }
            Read::Unreadable(why) => {
                tracing::warn!(document = %hex::encode(id), "kept a document this version cannot read");
                report.unreadable.push(format!("{} {}: {why}", kind.as_str(), hex::encode(id)));
            }
        }
    }
    tx.insert_new_documents(&documents).await?;
    tx.put_actor_heads(&heads).await?;
    // The relay has what arrived.
    tx.mark_received_pushed(&pushed).await?;
    tx.put_visit_rows(&visits).await?;
    // A patient's caseload row shows its latest visit: those with visits here (from
    // this batch or before) are indexed with them, the rest as they were prepared.
    let ids: Vec<PatientId> = patients.iter().map(|p| p.0).collect();
    let with_visits = tx.patients_with_visits(&ids).await?;
    let mut plain = Vec::new();
    for (id, record, conflicts, rows) in patients {
        visited.remove(&id);
        if with_visits.contains(&id) {
            tx.refresh_patient(&record, &conflicts).await?;
        } else {
            plain.push(rows);
        }
    }
    tx.put_patient_rows(&plain).await?;
    // Patients already here whose visits came: their latest NEWS2 may have changed.
    for id in visited {
        super::merge::refresh_stored_patient(tx, id).await?;
    }
    Ok(())
}
