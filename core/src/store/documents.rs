//! Documents as a sealed snapshot plus sealed incremental chunks, compacted when the
//! chunks outgrow the snapshot.
//!
//! Each document has a sealed manifest: the generation its snapshot was sealed under and
//! the run of chunk numbers that must follow it. Every chunk is sealed with its number and
//! the snapshot with its generation, so a chunk deleted, put back from before a compaction,
//! or added from elsewhere, and an older snapshot put back, are found on load and refused
//! as damage, never read as a shorter record.

#[cfg(feature = "test-support")]
use super::ReadTx;
use super::{Store, WriteTx};
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

pub(super) fn snapshot_aad(id: &[u8; 16], kind: DocumentKind, generation: i64) -> Vec<u8> {
    aad(id, kind, &format!("snapshot/{generation}"))
}

/// How snapshots were sealed before documents had manifests.
fn legacy_snapshot_aad(id: &[u8; 16], kind: DocumentKind) -> Vec<u8> {
    aad(id, kind, "snapshot")
}

/// The snapshot's generation (`base`) and the chunks that follow it: numbers `base..next`.
#[derive(Clone, Copy, serde::Serialize, serde::Deserialize)]
pub(super) struct Manifest {
    pub(super) base: i64,
    pub(super) next: i64,
}

pub(super) fn seal_manifest(
    store: &Store,
    id: &[u8; 16],
    kind: DocumentKind,
    m: Manifest,
) -> Result<Vec<u8>> {
    let plain = postcard::to_stdvec(&m).expect("encoding to a Vec cannot fail");
    Ok(store.sealer().seal(&aad(id, kind, "manifest"), &plain)?)
}

fn open_manifest(
    store: &Store,
    id: &[u8; 16],
    kind: DocumentKind,
    sealed: Option<Vec<u8>>,
) -> Result<Manifest> {
    let damaged = |why: &str| Error::Corrupt(format!("document {} {why}", hex::encode(id)));
    let sealed = sealed.ok_or_else(|| damaged("has lost its manifest"))?;
    let plain = store
        .sealer()
        .open(&aad(id, kind, "manifest"), &sealed)
        .map_err(|_| damaged("has a manifest that does not open"))?;
    postcard::from_bytes(&plain).map_err(|_| damaged("has a manifest that does not decode"))
}

async fn manifest_of(
    conn: &mut SqliteConnection,
    store: &Store,
    id: &[u8; 16],
    kind: DocumentKind,
) -> Result<Manifest> {
    let row = sqlx::query("SELECT manifest FROM documents WHERE id = ?")
        .bind(id.as_slice())
        .fetch_optional(&mut *conn)
        .await?
        .ok_or_else(|| Error::Internal(format!("document {} is not in the store", hex::encode(id))))?;
    open_manifest(store, id, kind, row.try_get("manifest")?)
}

fn chunk_aad(id: &[u8; 16], kind: DocumentKind, seq: i64) -> Vec<u8> {
    aad(id, kind, &format!("chunk/{seq}"))
}

/// A document's rows as stored, still sealed: what a kept copy is checked against.
struct StoredRows {
    kind: String,
    snapshot: Vec<u8>,
    manifest: Option<Vec<u8>>,
    chunks: Vec<(i64, Vec<u8>)>,
}

impl StoredRows {
    /// SHA-256 over every stored byte of the document. A kept copy is used only while this
    /// is what it was when its transaction committed, so a row deleted, put back or
    /// altered since (by another process, a sync, or someone with the disk) is read from
    /// disk, and refused there as damage.
    fn digest(&self) -> [u8; 32] {
        let mut ctx = ring::digest::Context::new(&ring::digest::SHA256);
        let mut part = |bytes: &[u8]| {
            ctx.update(&(bytes.len() as u64).to_le_bytes());
            ctx.update(bytes);
        };
        part(self.kind.as_bytes());
        part(&self.snapshot);
        part(self.manifest.as_deref().unwrap_or_default());
        for (seq, chunk) in &self.chunks {
            part(&seq.to_le_bytes());
            part(chunk);
        }
        let mut out = [0u8; 32];
        out.copy_from_slice(ctx.finish().as_ref());
        out
    }
}

async fn stored_rows(conn: &mut SqliteConnection, id: &[u8; 16]) -> Result<Option<StoredRows>> {
    let Some(row) = sqlx::query("SELECT kind, snapshot, manifest FROM documents WHERE id = ?")
        .bind(id.as_slice())
        .fetch_optional(&mut *conn)
        .await?
    else {
        return Ok(None);
    };
    let chunks = sqlx::query("SELECT seq, chunk FROM document_chunks WHERE document_id = ? ORDER BY seq")
        .bind(id.as_slice())
        .fetch_all(&mut *conn)
        .await?
        .into_iter()
        .map(|r| Ok((r.try_get("seq")?, r.try_get("chunk")?)))
        .collect::<Result<_>>()?;
    Ok(Some(StoredRows {
        kind: row.try_get("kind")?,
        snapshot: row.try_get("snapshot")?,
        manifest: row.try_get("manifest")?,
        chunks,
    }))
}

/// The digest of a document's stored rows, for keeping a copy of it loaded.
pub(super) async fn stored_digest(conn: &mut SqliteConnection, id: &[u8; 16]) -> Result<Option<[u8; 32]>> {
    Ok(stored_rows(conn, id).await?.map(|rows| rows.digest()))
}

/// The stored rows of a document of `kind`, and their digest where a copy of the document
/// is kept loaded (only then is it needed); `None` if there is no such document.
async fn rows_of_kind(
    conn: &mut SqliteConnection,
    store: &Store,
    id: &[u8; 16],
    kind: DocumentKind,
) -> Result<Option<(StoredRows, Option<[u8; 32]>)>> {
    let Some(rows) = stored_rows(conn, id).await? else { return Ok(None) };
    if rows.kind != kind.as_str() {
        return Err(Error::Input(format!(
            "document {} is a {} document, not a {kind}",
            hex::encode(id),
            rows.kind
        )));
    }
    let digest = store.loaded().holds(id).then(|| rows.digest());
    Ok(Some((rows, digest)))
}

/// Loads a document with its value read, from what is kept loaded where it can.
pub(super) async fn load_with_value<T: autosurgeon::Hydrate + Clone + 'static>(
    conn: &mut SqliteConnection,
    store: &Store,
    id: &[u8; 16],
    kind: DocumentKind,
) -> Result<Option<(AutoCommit, T)>> {
    let Some((rows, digest)) = rows_of_kind(conn, store, id, kind).await? else { return Ok(None) };
    if let Some(kept) = digest.and_then(|d| store.loaded().copy_with_value(id, &d)) {
        return Ok(Some(kept));
    }
    let doc = match digest.and_then(|d| store.loaded().copy_of(id, &d)) {
        Some(doc) => doc,
        None => open_rows(store, id, kind, rows)?,
    };
    let value = crate::documents::read(&doc, kind)?;
    Ok(Some((doc, value)))
}

pub(super) async fn load(
    conn: &mut SqliteConnection,
    store: &Store,
    id: &[u8; 16],
    kind: DocumentKind,
) -> Result<Option<AutoCommit>> {
    let Some((rows, digest)) = rows_of_kind(conn, store, id, kind).await? else { return Ok(None) };
    match digest.and_then(|d| store.loaded().copy_of(id, &d)) {
        Some(doc) => Ok(Some(doc)),
        None => open_rows(store, id, kind, rows).map(Some),
    }
}

/// Opens and checks a document's rows against its manifest, and loads it.
fn open_rows(store: &Store, id: &[u8; 16], kind: DocumentKind, rows: StoredRows) -> Result<AutoCommit> {
    let manifest = open_manifest(store, id, kind, rows.manifest)?;
    let snapshot =
        store.sealer().open(&snapshot_aad(id, kind, manifest.base), &rows.snapshot).map_err(|_| {
            Error::Corrupt(format!(
                "document {}'s snapshot is not the one its manifest names",
                hex::encode(id)
            ))
        })?;
    let seqs: Vec<i64> = rows.chunks.iter().map(|(seq, _)| *seq).collect();
    if !seqs.iter().copied().eq(manifest.base..manifest.next) {
        return Err(Error::Corrupt(format!(
            "document {} should have changes {}..{} after its snapshot and has {seqs:?}: some were deleted or put back",
            hex::encode(id),
            manifest.base,
            manifest.next
        )));
    }
    // The snapshot and its chunks are parsed as one, so that a chunk Automerge cannot read
    // fails the load (its `load_incremental` keeps what parsed and drops the rest
    // quietly). Sized once, so that no plaintext is left behind unwiped by a reallocation.
    let sealed_len: usize = rows.chunks.iter().map(|(_, c)| c.len()).sum();
    let mut plain = zeroize::Zeroizing::new(Vec::with_capacity(snapshot.len() + sealed_len));
    plain.extend_from_slice(&snapshot);
    for (seq, sealed) in &rows.chunks {
        let chunk = store.sealer().open(&chunk_aad(id, kind, *seq), sealed)?;
        plain.extend_from_slice(&chunk);
    }
    AutoCommit::load(&plain)
        .map_err(|e| Error::Corrupt(format!("document {} does not load: {e}", hex::encode(id))))
}

/// Reads a document as its type: the value kept with it where the store still holds
/// what was kept, else the document read again.
pub(super) async fn read<T: autosurgeon::Hydrate + Clone + 'static>(
    conn: &mut SqliteConnection,
    store: &Store,
    id: &[u8; 16],
    kind: DocumentKind,
) -> Result<Option<T>> {
    let Some((rows, digest)) = rows_of_kind(conn, store, id, kind).await? else { return Ok(None) };
    if let Some(value) = digest.and_then(|d| store.loaded().value_of::<T>(id, &d)) {
        return Ok(Some(value));
    }
    let doc = match digest.and_then(|d| store.loaded().copy_of(id, &d)) {
        Some(doc) => doc,
        None => open_rows(store, id, kind, rows)?,
    };
    Ok(Some(crate::documents::read(&doc, kind)?))
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
        let rows = self.store.new_document_rows(id, kind, &doc.save(), &doc.get_heads())?;
        self.insert_new_documents(&[rows]).await
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
        self.written(id);
        let row = sqlx::query("SELECT snapshot_len, chunks_len FROM documents WHERE id = ?")
            .bind(id.as_slice())
            .fetch_optional(&mut *self.tx)
            .await?
            .ok_or_else(|| Error::Internal(format!("document {} is not in the store", hex::encode(id))))?;
        let snapshot_len: i64 = row.try_get("snapshot_len")?;
        let chunks_len: i64 = row.try_get("chunks_len")?;
        if chunks_len + chunk.len() as i64 > snapshot_len {
            return self.compact(id, kind, doc).await;
        }
        let m = manifest_of(&mut self.tx, self.store, id, kind).await?;
        let seq = m.next;
        let sealed = self.store.sealer().seal(&chunk_aad(id, kind, seq), chunk)?;
        let manifest = seal_manifest(self.store, id, kind, Manifest { next: seq + 1, ..m })?;
        sqlx::query("INSERT INTO document_chunks (document_id, seq, chunk) VALUES (?, ?, ?)")
            .bind(id.as_slice())
            .bind(seq)
            .bind(&sealed)
            .execute(&mut *self.tx)
            .await?;
        sqlx::query(
            "UPDATE documents SET chunks_len = chunks_len + ?, next_chunk = ?, version = version + 1, heads = ?, manifest = ? WHERE id = ?",
        )
        .bind(chunk.len() as i64)
        .bind(seq + 1)
        .bind(super::sync::encode_heads(&doc.get_heads()))
        .bind(&manifest)
        .bind(id.as_slice())
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }

    /// Replaces snapshot and chunks with one snapshot of the whole document.
    pub async fn compact(&mut self, id: &[u8; 16], kind: DocumentKind, doc: &mut AutoCommit) -> Result<()> {
        self.written(id);
        let m = manifest_of(&mut self.tx, self.store, id, kind).await?;
        // A new generation: chunk numbers keep rising, so that no sealed chunk or snapshot
        // from before can be put back.
        let generation = m.next + 1;
        let snapshot = doc.save();
        let sealed = self.store.sealer().seal(&snapshot_aad(id, kind, generation), &snapshot)?;
        let manifest = seal_manifest(self.store, id, kind, Manifest { base: generation, next: generation })?;
        sqlx::query("DELETE FROM document_chunks WHERE document_id = ?")
            .bind(id.as_slice())
            .execute(&mut *self.tx)
            .await?;
        sqlx::query("UPDATE documents SET snapshot = ?, snapshot_len = ?, chunks_len = 0, next_chunk = ?, version = version + 1, heads = ?, manifest = ? WHERE id = ?")
            .bind(&sealed)
            .bind(snapshot.len() as i64)
            .bind(generation)
            .bind(super::sync::encode_heads(&doc.get_heads()))
            .bind(&manifest)
            .bind(id.as_slice())
            .execute(&mut *self.tx)
            .await?;
        Ok(())
    }
}

impl WriteTx<'_> {
    /// Gives documents stored before manifests one (their snapshot sealed again under its
    /// generation), once.
    pub(super) async fn manifest_legacy_documents(&mut self) -> Result<()> {
        let rows = sqlx::query("SELECT id, kind, snapshot, next_chunk FROM documents WHERE manifest IS NULL")
            .fetch_all(&mut *self.tx)
            .await?;
        for row in rows {
            let id: Vec<u8> = row.try_get("id")?;
            let id: [u8; 16] = id
                .as_slice()
                .try_into()
                .map_err(|_| Error::Corrupt("a document id has the wrong length".into()))?;
            let kind: String = row.try_get("kind")?;
            let kind = DocumentKind::parse(&kind)
                .ok_or_else(|| Error::Corrupt(format!("document {} has an unknown kind", hex::encode(id))))?;
            let next: i64 = row.try_get("next_chunk")?;
            let first: Option<i64> =
                sqlx::query("SELECT MIN(seq) FROM document_chunks WHERE document_id = ?")
                    .bind(id.as_slice())
                    .fetch_one(&mut *self.tx)
                    .await?
                    .try_get(0)?;
            let sealed: Vec<u8> = row.try_get("snapshot")?;
            let snapshot = self.store.sealer().open(&legacy_snapshot_aad(&id, kind), &sealed)?;
            let base = first.unwrap_or(next);
            let resealed = self.store.sealer().seal(&snapshot_aad(&id, kind, base), &snapshot)?;
            let manifest = seal_manifest(self.store, &id, kind, Manifest { base, next })?;
            sqlx::query("UPDATE documents SET snapshot = ?, manifest = ? WHERE id = ?")
                .bind(&resealed)
                .bind(&manifest)
                .bind(id.as_slice())
                .execute(&mut *self.tx)
                .await?;
        }
        Ok(())
    }
}

/// How a document is held on disk, for the tests.
#[cfg(feature = "test-support")]
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub struct DocumentStorage {
    pub snapshot_bytes: i64,
    pub chunks: i64,
    pub chunk_bytes: i64,
}

#[cfg(feature = "test-support")]
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::KdfParams;
    use automerge::{ROOT, ReadDoc, transaction::Transactable};

    const ID: [u8; 16] = [7; 16];

    async fn store_with_a_document(dir: &std::path::Path) -> Store {
        let store = Store::create(dir, "kept", KdfParams { memory_kib: 1024, iterations: 1, lanes: 1 })
            .await
            .unwrap();
        let mut doc = AutoCommit::new();
        doc.put(ROOT, "dose", "40 mg").unwrap();
        doc.commit();
        let mut tx = store.begin_write().await.unwrap();
        tx.insert_document(&ID, DocumentKind::Patient, &mut doc).await.unwrap();
        tx.commit().await.unwrap();
        store
    }

    /// One change, appended and offered to be kept loaded, in a transaction left open.
    async fn change_dose<'s>(store: &'s Store, dose: &str) -> WriteTx<'s> {
        let mut tx = store.begin_write().await.unwrap();
        let mut doc = tx.load_document(&ID, DocumentKind::Patient).await.unwrap().unwrap();
        let before = doc.get_heads();
        doc.put(ROOT, "dose", dose).unwrap();
        doc.commit();
        let chunk = doc.save_after(&before);
        tx.append_chunk(&ID, DocumentKind::Patient, &chunk, &mut doc).await.unwrap();
        tx.keep_loaded(ID, doc, None, crate::store::KeepFor::Recent);
        tx
    }

    async fn dose(store: &Store) -> String {
        let mut rx = store.begin_read().await.unwrap();
        let doc = rx.load_document(&ID, DocumentKind::Patient).await.unwrap().unwrap();
        doc.get(ROOT, "dose").unwrap().unwrap().0.into_string().unwrap()
    }

    async fn kept(store: &Store) -> bool {
        let mut rx = store.begin_read().await.unwrap();
        let digest = stored_digest(&mut rx.tx, &ID).await.unwrap().unwrap();
        store.loaded().copy_of(&ID, &digest).is_some()
    }

    #[tokio::test]
    async fn a_change_rolled_back_is_never_kept_loaded_and_one_committed_is() {
        let tmp = tempfile::tempdir().unwrap();
        let store = store_with_a_document(tmp.path()).await;
        drop(change_dose(&store, "80 mg").await);
        assert_eq!(dose(&store).await, "40 mg", "the rolled-back dose is nowhere, kept or stored");
        assert!(!kept(&store).await);
        change_dose(&store, "20 mg").await.commit().await.unwrap();
        assert!(kept(&store).await);
        assert_eq!(dose(&store).await, "20 mg");
    }

    #[tokio::test]
    async fn a_kept_document_gives_way_to_what_another_store_on_the_same_files_wrote() {
        let tmp = tempfile::tempdir().unwrap();
        let store = store_with_a_document(tmp.path()).await;
        change_dose(&store, "20 mg").await.commit().await.unwrap();
        // Another process on the same directory: its own connections, nothing kept in common.
        let other = Store::open(tmp.path(), "kept").await.unwrap();
        change_dose(&other, "10 mg").await.commit().await.unwrap();
        assert!(!kept(&store).await, "the stored rows moved on: the kept copy is stale");
        assert_eq!(dose(&store).await, "10 mg");
    }

    #[tokio::test]
    async fn a_copy_kept_before_a_later_write_in_the_same_transaction_is_not_kept() {
        let tmp = tempfile::tempdir().unwrap();
        let store = store_with_a_document(tmp.path()).await;
        let mut tx = change_dose(&store, "20 mg").await;
        // The same document written again in the same transaction, its copy not offered.
        let mut doc = tx.load_document(&ID, DocumentKind::Patient).await.unwrap().unwrap();
        let before = doc.get_heads();
        doc.put(ROOT, "dose", "5 mg").unwrap();
        doc.commit();
        let chunk = doc.save_after(&before);
        tx.append_chunk(&ID, DocumentKind::Patient, &chunk, &mut doc).await.unwrap();
        tx.commit().await.unwrap();
        assert!(!kept(&store).await, "the 20 mg copy is not what the store holds");
        assert_eq!(dose(&store).await, "5 mg");
    }

    #[tokio::test]
    async fn a_copy_kept_in_a_step_rolled_back_is_not_kept() {
        let tmp = tempfile::tempdir().unwrap();
        let store = store_with_a_document(tmp.path()).await;
        let mut tx = store.begin_write().await.unwrap();
        tx.savepoint().await.unwrap();
        let mut doc = tx.load_document(&ID, DocumentKind::Patient).await.unwrap().unwrap();
        let before = doc.get_heads();
        doc.put(ROOT, "dose", "80 mg").unwrap();
        doc.commit();
        let chunk = doc.save_after(&before);
        tx.append_chunk(&ID, DocumentKind::Patient, &chunk, &mut doc).await.unwrap();
        tx.keep_loaded(ID, doc, Some(Box::new(String::from("80 mg"))), crate::store::KeepFor::Recent);
        tx.rollback_to_savepoint().await.unwrap();
        assert_eq!(tx.read_document::<String>(&ID, DocumentKind::Patient).await.ok().flatten(), None);
        tx.commit().await.unwrap();
        assert!(!kept(&store).await, "the 80 mg copy was undone");
        assert_eq!(dose(&store).await, "40 mg");
    }

    #[tokio::test]
    async fn a_copy_kept_is_what_the_rest_of_its_transaction_reads() {
        let tmp = tempfile::tempdir().unwrap();
        let store = store_with_a_document(tmp.path()).await;
        let mut tx = store.begin_write().await.unwrap();
        let mut doc = tx.load_document(&ID, DocumentKind::Patient).await.unwrap().unwrap();
        let before = doc.get_heads();
        doc.put(ROOT, "dose", "20 mg").unwrap();
        doc.commit();
        let chunk = doc.save_after(&before);
        tx.append_chunk(&ID, DocumentKind::Patient, &chunk, &mut doc).await.unwrap();
        tx.keep_loaded(ID, doc, Some(Box::new(String::from("20 mg"))), crate::store::KeepFor::Recent);
        let (again, value) = tx.load_with_value::<String>(&ID, DocumentKind::Patient).await.unwrap().unwrap();
        assert_eq!(value, "20 mg");
        assert_eq!(again.get(ROOT, "dose").unwrap().unwrap().0.into_string().unwrap(), "20 mg");
        tx.commit().await.unwrap();
        let mut rx = store.begin_read().await.unwrap();
        assert_eq!(
            rx.read_document::<String>(&ID, DocumentKind::Patient).await.unwrap().as_deref(),
            Some("20 mg")
        );
    }
}
