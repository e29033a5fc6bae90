//! Many rows written in a few statements, for a large pull: each row is sealed first, off
//! the write path (by the caller, on every core), then written here in multi-row
//! statements, so that applying ten thousand new documents costs tens of statements,
//! not tens of thousands.

use super::documents::{Manifest, seal_manifest, snapshot_aad};
use super::index::{DueTaskRow, PatientRows, VisitRow};
use super::{Store, WriteTx};
use crate::documents::DocumentKind;
use crate::error::Result;
use crate::ids::PatientId;
use crate::sync::heads::ActorHead;
use automerge::ChangeHash;
use sqlx::{QueryBuilder, Row, Sqlite};
use std::collections::BTreeSet;

/// Bound parameters per statement: well under SQLite's limit (32,766 since 3.32).
const PARAMETERS: usize = 8_000;

/// A new document's rows, sealed, ready to write.
pub(crate) struct NewDocumentRows {
    id: [u8; 16],
    kind: DocumentKind,
    snapshot: Vec<u8>,
    snapshot_len: i64,
    heads: Vec<u8>,
    manifest: Vec<u8>,
}

impl Store {
    /// Seals a new document: `saved` must be bytes that load, whole, as the document
    /// whose heads are `heads` (its save, or the changes it was loaded from).
    pub(crate) fn new_document_rows(
        &self,
        id: &[u8; 16],
        kind: DocumentKind,
        saved: &[u8],
        heads: &[ChangeHash],
    ) -> Result<NewDocumentRows> {
        Ok(NewDocumentRows {
            id: *id,
            kind,
            snapshot: self.sealer().seal(&snapshot_aad(id, kind, 0), saved)?,
            snapshot_len: saved.len() as i64,
            heads: super::sync::encode_heads(heads),
            manifest: seal_manifest(self, id, kind, Manifest { base: 0, next: 0 })?,
        })
    }
}

fn rows_per_statement(columns: usize) -> usize {
    PARAMETERS / columns
}

/// `start` followed by `(?, ?, ...)`, one parameter for each of `ids`.
fn in_list<'a>(start: &str, ids: impl Iterator<Item = &'a [u8]>) -> QueryBuilder<Sqlite> {
    let mut q = QueryBuilder::<Sqlite>::new(start);
    q.push(" IN (");
    let mut list = q.separated(", ");
    for id in ids {
        list.push_bind(id.to_vec());
    }
    q.push(")");
    q
}

impl WriteTx<'_> {
    /// Which of `ids` are stored documents.
    pub(crate) async fn stored_among(&mut self, ids: &[[u8; 16]]) -> Result<BTreeSet<[u8; 16]>> {
        let mut stored = BTreeSet::new();
        for chunk in ids.chunks(rows_per_statement(1)) {
            let mut q = in_list("SELECT id FROM documents WHERE id", chunk.iter().map(|id| id.as_slice()));
            for row in q.build().fetch_all(&mut *self.tx).await? {
                let id: Vec<u8> = row.try_get("id")?;
                if let Ok(id) = id.try_into() {
                    stored.insert(id);
                }
            }
        }
        Ok(stored)
    }

    /// Writes new documents, none of them stored yet.
    pub(crate) async fn insert_new_documents(&mut self, docs: &[NewDocumentRows]) -> Result<()> {
        for chunk in docs.chunks(rows_per_statement(6)) {
            let mut q = QueryBuilder::<Sqlite>::new(
                "INSERT INTO documents (id, kind, snapshot, snapshot_len, heads, manifest) ",
            );
            q.push_values(chunk, |mut row, d| {
                row.push_bind(d.id.to_vec())
                    .push_bind(d.kind.as_str())
                    .push_bind(d.snapshot.clone())
                    .push_bind(d.snapshot_len)
                    .push_bind(d.heads.clone())
                    .push_bind(d.manifest.clone());
            });
            q.build().execute(&mut *self.tx).await?;
        }
        Ok(())
    }

    /// Keeps each head unless a newer one of the same actor is already kept.
    pub(crate) async fn put_actor_heads(&mut self, heads: &[([u8; 16], ActorHead)]) -> Result<()> {
        for chunk in heads.chunks(rows_per_statement(5)) {
            let mut q = QueryBuilder::<Sqlite>::new(
                "INSERT INTO actor_heads (document_id, actor, seq, change_hash, signature) ",
            );
            q.push_values(chunk, |mut row, (document, h)| {
                row.push_bind(document.to_vec())
                    .push_bind(h.actor.to_vec())
                    .push_bind(h.seq as i64)
                    .push_bind(h.change.to_vec())
                    .push_bind(h.signature.clone());
            });
            // `WHERE true` lets SQLite tell the upsert from the VALUES list.
            q.push(
                " ON CONFLICT (document_id, actor) DO UPDATE SET seq = excluded.seq,
                   change_hash = excluded.change_hash, signature = excluded.signature
                 WHERE excluded.seq > actor_heads.seq",
            );
            q.build().execute(&mut *self.tx).await?;
        }
        Ok(())
    }

    /// Records that the relay has each of these documents, just received from it, up to
    /// its heads as stored now (one bundle each), as [`WriteTx::mark_pushed`] does.
    pub(crate) async fn mark_received_pushed(&mut self, docs: &[([u8; 16], Vec<ChangeHash>)]) -> Result<()> {
        for chunk in docs.chunks(rows_per_statement(2)) {
            let mut q = QueryBuilder::<Sqlite>::new("WITH received (id, heads) AS (");
            q.push_values(chunk, |mut row, (id, heads)| {
                row.push_bind(id.to_vec()).push_bind(super::sync::encode_heads(heads));
            });
            // `WHERE true` lets SQLite tell the upsert from the join.
            q.push(
                ") INSERT INTO sync_documents (document_id, pushed_version, pushed_heads, bundles_since_snapshot)
                 SELECT d.id, d.version, r.heads, 1 FROM received r JOIN documents d ON d.id = r.id WHERE true
                 ON CONFLICT (document_id) DO UPDATE SET pushed_version = excluded.pushed_version,
                    pushed_heads = excluded.pushed_heads,
                    bundles_since_snapshot = sync_documents.bundles_since_snapshot + 1",
            );
            q.build().execute(&mut *self.tx).await?;
        }
        Ok(())
    }

    pub(crate) async fn put_visit_rows(&mut self, rows: &[VisitRow]) -> Result<()> {
        for chunk in rows.chunks(rows_per_statement(4)) {
            let mut q = QueryBuilder::<Sqlite>::new(
                "INSERT OR REPLACE INTO visit_index (visit_id, patient_id, started_at, summary) ",
            );
            q.push_values(chunk, |mut row, v| {
                row.push_bind(v.visit.as_bytes().to_vec())
                    .push_bind(v.patient.as_bytes().to_vec())
                    .push_bind(v.started_at)
                    .push_bind(v.sealed.clone());
            });
            q.build().execute(&mut *self.tx).await?;
        }
        Ok(())
    }

    /// Replaces each patient's caseload row and all its due-task rows.
    pub(crate) async fn put_patient_rows(&mut self, rows: &[PatientRows]) -> Result<()> {
        for chunk in rows.chunks(rows_per_statement(3)) {
            let mut q = QueryBuilder::<Sqlite>::new(
                "INSERT OR REPLACE INTO patient_index (patient_id, nhs_blind, summary) ",
            );
            q.push_values(chunk, |mut row, p| {
                row.push_bind(p.patient.as_bytes().to_vec())
                    .push_bind(p.nhs_blind.clone())
                    .push_bind(p.sealed.clone());
            });
            q.build().execute(&mut *self.tx).await?;
            let patients = chunk.iter().map(|p| p.patient.as_bytes().as_slice());
            in_list("DELETE FROM task_index WHERE patient_id", patients)
                .build()
                .execute(&mut *self.tx)
                .await?;
        }
        let tasks: Vec<(&PatientId, &DueTaskRow)> =
            rows.iter().flat_map(|p| p.tasks.iter().map(move |t| (&p.patient, t))).collect();
        for chunk in tasks.chunks(rows_per_statement(4)) {
            let mut q = QueryBuilder::<Sqlite>::new(
                "INSERT INTO task_index (patient_id, task_id, due_date, summary) ",
            );
            q.push_values(chunk, |mut row, (patient, (task, due, sealed))| {
                row.push_bind(patient.as_bytes().to_vec())
                    .push_bind(task.clone())
                    .push_bind(due.clone())
                    .push_bind(sealed.clone());
            });
            q.build().execute(&mut *self.tx).await?;
        }
        Ok(())
    }

    /// Which of `patients` have visits in the visit index.
    pub(crate) async fn patients_with_visits(
        &mut self,
        patients: &[PatientId],
    ) -> Result<BTreeSet<PatientId>> {
        let mut with = BTreeSet::new();
        for chunk in patients.chunks(rows_per_statement(1)) {
            let mut q = in_list(
                "SELECT DISTINCT patient_id FROM visit_index WHERE patient_id",
                chunk.iter().map(|p| p.as_bytes().as_slice()),
            );
            for row in q.build().fetch_all(&mut *self.tx).await? {
                let id: Vec<u8> = row.try_get("patient_id")?;
                if let Some(p) = <[u8; 16]>::try_from(id.as_slice()).ok().map(PatientId) {
                    with.insert(p);
                }
            }
        }
        Ok(with)
    }
}
