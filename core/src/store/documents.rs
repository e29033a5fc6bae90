//! Documents as a sealed snapshot plus sealed incremental chunks, compacted when the
//! chunks outgrow the snapshot.

use super::{ReadTx, Store, WriteTx};
use crate::documents::DocumentKind;
use crate::error::{Error, Result};
use automerge::AutoCommit;
use sqlx::{Row, SqliteConnection};

fn aad(id: &[u8; 16], kind: DocumentKind, part: &str) -> Vec<u8> {
    let mut a = b"hedgerow/document/v1/".to_vec();
    a.extend_from_slice(id);
    a.push(b'/');
    a.extend_from_slice(kind.as_str().as_bytes());
    a.push(b'/');
    a.extend_from_slice(part.as_bytes());
    a
}

fn snapshot_aad(id: &[u8; 16], kind: DocumentKind) -> Vec<u8> {
    aad(id, kind, "snapshot")
}

fn chunk_aad(id: &[u8; 16], kind: DocumentKind, seq: i64) -> Vec<u8> {
    aad(id, kind, &format!("chunk/{seq}"))
}

pub(super) async fn load(
    conn: &mut SqliteConnection,
    store: &Store,
    id: &[u8; 16],
    kind: DocumentKind,
) -> Result<Option<AutoCommit>> {
    let Some(row) = sqlx::query("SELECT kind, snapshot FROM documents WHERE id = ?")
        .bind(id.as_slice())
        .fetch_optional(&mut *conn)
        .await?
    else {
        return Ok(None);
    };
    let stored_kind: String = row.try_get("kind")?;
    if stored_kind != kind.as_str() {
        return Err(Error::Invalid(format!(
            "document {} is a {stored_kind} document, not a {kind}",
            hex::encode(id)
        )));
    }
    let sealed: Vec<u8> = row.try_get("snapshot")?;
    let snapshot = store.sealer().open(&snapshot_aad(id, kind), &sealed)?;
    let mut doc = AutoCommit::load(&snapshot)
        .map_err(|e| Error::Corrupt(format!("document {} does not load: {e}", hex::encode(id))))?;
    let chunks = sqlx::query("SELECT seq, chunk FROM document_chunks WHERE document_id = ? ORDER BY seq")
        .bind(id.as_slice())
        .fetch_all(&mut *conn)
        .await?;
    for row in chunks {
        let seq: i64 = row.try_get("seq")?;
        let sealed: Vec<u8> = row.try_get("chunk")?;
        let chunk = store.sealer().open(&chunk_aad(id, kind, seq), &sealed)?;
        doc.load_incremental(&chunk).map_err(|e| {
            Error::Corrupt(format!("document {} chunk {seq} does not load: {e}", hex::encode(id)))
        })?;
    }
    Ok(Some(doc))
}

pub(super) async fn read<T: autosurgeon::Hydrate>(
    conn: &mut SqliteConnection,
    store: &Store,
    id: &[u8; 16],
    kind: DocumentKind,
) -> Result<Option<T>> {
    match load(conn, store, id, kind).await? {
        None => Ok(None),
        Some(doc) => Ok(Some(crate::documents::read(&doc, kind)?)),
    }
}

pub(super) async fn ids_of_kind(conn: &mut SqliteConnection, kind: DocumentKind) -> Result<Vec<[u8; 16]>> {
    let rows =
        sqlx::query("SELECT id FROM documents WHERE kind = ?").bind(kind.as_str()).fetch_all(conn).await?;
    rows.into_iter()
        .map(|r| {
            let v: Vec<u8> = r.try_get("id")?;
            v.as_slice().try_into().map_err(|_| Error::Corrupt("a document id has the wrong length".into()))
        })
        .collect()
}

impl WriteTx<'_> {
    /// Stores a new document as its first snapshot.
    pub async fn insert_document(
        &mut self,
        id: &[u8; 16],
        kind: DocumentKind,
        doc: &mut AutoCommit,
    ) -> Result<()> {
        let snapshot = doc.save();
        let sealed = self.store.sealer().seal(&snapshot_aad(id, kind), &snapshot)?;
        sqlx::query("INSERT INTO documents (id, kind, snapshot, snapshot_len, heads) VALUES (?, ?, ?, ?, ?)")
            .bind(id.as_slice())
            .bind(kind.as_str())
            .bind(&sealed)
            .bind(snapshot.len() as i64)
            .bind(super::sync::encode_heads(&doc.get_heads()))
            .execute(&mut *self.tx)
            .await?;
        Ok(())
    }

    /// Appends the changes in `chunk` (from `save_after`); compacts into a new snapshot of
    /// `doc` once the chunks together outgrow the snapshot.
    pub async fn append_chunk(
        &mut self,
        id: &[u8; 16],
        kind: DocumentKind,
        chunk: &[u8],
        doc: &mut AutoCommit,
    ) -> Result<()> {
        let row = sqlx::query("SELECT snapshot_len, chunks_len, next_chunk FROM documents WHERE id = ?")
            .bind(id.as_slice())
            .fetch_optional(&mut *self.tx)
            .await?
            .ok_or_else(|| Error::Invalid(format!("document {} is not in the store", hex::encode(id))))?;
        let snapshot_len: i64 = row.try_get("snapshot_len")?;
        let chunks_len: i64 = row.try_get("chunks_len")?;
        let seq: i64 = row.try_get("next_chunk")?;
        if chunks_len + chunk.len() as i64 > snapshot_len {
            return self.compact(id, kind, doc).await;
        }
        let sealed = self.store.sealer().seal(&chunk_aad(id, kind, seq), chunk)?;
        sqlx::query("INSERT INTO document_chunks (document_id, seq, chunk) VALUES (?, ?, ?)")
            .bind(id.as_slice())
            .bind(seq)
            .bind(&sealed)
            .execute(&mut *self.tx)
            .await?;
        sqlx::query(
            "UPDATE documents SET chunks_len = chunks_len + ?, next_chunk = next_chunk + 1, version = version + 1, heads = ? WHERE id = ?",
        )
        .bind(chunk.len() as i64)
        .bind(super::sync::encode_heads(&doc.get_heads()))
        .bind(id.as_slice())
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }

    /// Replaces snapshot and chunks with one snapshot of the whole document.
    pub async fn compact(&mut self, id: &[u8; 16], kind: DocumentKind, doc: &mut AutoCommit) -> Result<()> {
        let snapshot = doc.save();
        let sealed = self.store.sealer().seal(&snapshot_aad(id, kind), &snapshot)?;
        sqlx::query("DELETE FROM document_chunks WHERE document_id = ?")
            .bind(id.as_slice())
            .execute(&mut *self.tx)
            .await?;
        // Chunk numbers keep rising so that an old sealed chunk can never be replayed.
        sqlx::query("UPDATE documents SET snapshot = ?, snapshot_len = ?, chunks_len = 0, next_chunk = next_chunk + 1, version = version + 1, heads = ? WHERE id = ?")
            .bind(&sealed)
            .bind(snapshot.len() as i64)
            .bind(super::sync::encode_heads(&doc.get_heads()))
            .bind(id.as_slice())
            .execute(&mut *self.tx)
            .await?;
        Ok(())
    }
}

/// How a document is held on disk, for diagnostics and tests.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub struct DocumentStorage {
    pub snapshot_bytes: i64,
    pub chunks: i64,
    pub chunk_bytes: i64,
}

impl ReadTx<'_> {
    pub async fn document_storage(&mut self, id: &[u8; 16]) -> Result<Option<DocumentStorage>> {
        let row = sqlx::query(
            "SELECT snapshot_len, chunks_len, (SELECT COUNT(*) FROM document_chunks WHERE document_id = documents.id) AS n FROM documents WHERE id = ?",
        )
        .bind(id.as_slice())
        .fetch_optional(&mut *self.tx)
        .await?;
        row.map(|r| {
            Ok(DocumentStorage {
                snapshot_bytes: r.try_get("snapshot_len")?,
                chunk_bytes: r.try_get("chunks_len")?,
                chunks: r.try_get("n")?,
            })
        })
        .transpose()
    }
}
