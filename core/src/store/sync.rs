//! What sync keeps in the store: which changes the relay already has, and the outbox of
//! statements and offers waiting to be published.

use super::{ReadTx, Store, WriteTx};
use crate::documents::DocumentKind;
use crate::error::{Error, Result};
use automerge::ChangeHash;
use sqlx::Row;

/// A document with changes the relay may not have.
#[derive(Debug)]
pub struct UnpushedDocument {
    pub id: [u8; 16],
    pub kind: DocumentKind,
    /// The heads the relay has; `None` if it has never had the document.
    pub pushed_heads: Option<Vec<ChangeHash>>,
    pub bundles_since_snapshot: i64,
}

/// One item waiting to be published at the next sync.
#[derive(Debug)]
pub struct OutboxItem {
    pub seq: i64,
    pub kind: String,
    pub payload: Vec<u8>,
}

pub(super) fn encode_heads(heads: &[ChangeHash]) -> Vec<u8> {
    heads.iter().flat_map(|h| h.0).collect()
}

pub(super) fn decode_heads(bytes: &[u8]) -> Result<Vec<ChangeHash>> {
    if !bytes.len().is_multiple_of(32) {
        return Err(Error::Corrupt("stored sync heads have the wrong length".into()));
    }
    Ok(bytes.chunks(32).map(|c| ChangeHash(c.try_into().expect("32-byte chunks"))).collect())
}

fn agreement_aad(peer: &[u8; 32]) -> Vec<u8> {
    [b"hedgerow/peer-agreement/".as_slice(), peer].concat()
}

fn outbox_aad(kind: &str) -> Vec<u8> {
    [b"hedgerow/outbox/".as_slice(), kind.as_bytes()].concat()
}

impl WriteTx<'_> {
    pub async fn unpushed_documents(&mut self) -> Result<Vec<UnpushedDocument>> {
        let rows = sqlx::query(
            "SELECT d.id, d.kind, s.pushed_heads, s.bundles_since_snapshot
             FROM documents d LEFT JOIN sync_documents s ON s.document_id = d.id
             WHERE s.pushed_version IS NULL OR s.pushed_version < d.version",
        )
        .fetch_all(&mut *self.tx)
        .await?;
        rows.into_iter()
            .map(|r| {
                let id: Vec<u8> = r.try_get("id")?;
                let kind: String = r.try_get("kind")?;
                let heads: Option<Vec<u8>> = r.try_get("pushed_heads")?;
                Ok(UnpushedDocument {
                    id: id.as_slice().try_into().map_err(|_| Error::Corrupt("document id length".into()))?,
                    kind: DocumentKind::parse(&kind)
                        .ok_or_else(|| Error::Corrupt(format!("unknown document kind {kind}")))?,
                    pushed_heads: heads.map(|h| decode_heads(&h)).transpose()?,
                    bundles_since_snapshot: r
                        .try_get::<Option<i64>, _>("bundles_since_snapshot")?
                        .unwrap_or(0),
                })
            })
            .collect()
    }

    /// The heads the relay has of a document and whether the store holds nothing newer.
    pub async fn pushed_state(&mut self, id: &[u8; 16]) -> Result<Option<(Vec<ChangeHash>, bool)>> {
        let row = sqlx::query(
            "SELECT s.pushed_heads, s.pushed_version = d.version AS current
             FROM sync_documents s JOIN documents d ON d.id = s.document_id WHERE s.document_id = ?",
        )
        .bind(id.as_slice())
        .fetch_optional(&mut *self.tx)
        .await?;
        row.map(|r| Ok((decode_heads(&r.try_get::<Vec<u8>, _>("pushed_heads")?)?, r.try_get("current")?)))
            .transpose()
    }

    /// Records that the relay has the document up to `heads` (as stored now).
    /// `bundles` is how many bundles that took; a snapshot resets the count.
    pub async fn mark_pushed(
        &mut self,
        id: &[u8; 16],
        heads: &[ChangeHash],
        bundles: i64,
        snapshot: bool,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO sync_documents (document_id, pushed_version, pushed_heads, bundles_since_snapshot)
             VALUES (?1, (SELECT version FROM documents WHERE id = ?1), ?2, ?3)
             ON CONFLICT (document_id) DO UPDATE SET
                pushed_version = excluded.pushed_version,
                pushed_heads = excluded.pushed_heads,
                bundles_since_snapshot = CASE WHEN ?4 THEN 0 ELSE bundles_since_snapshot + ?3 END",
        )
        .bind(id.as_slice())
        .bind(encode_heads(heads))
        .bind(bundles)
        .bind(snapshot)
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }

    /// Forgets what the relay was known to have of every document.
    pub async fn forget_pushed(&mut self) -> Result<()> {
        sqlx::query("DELETE FROM sync_documents").execute(&mut *self.tx).await?;
        Ok(())
    }

    pub async fn add_to_outbox(&mut self, kind: &str, payload: &[u8]) -> Result<()> {
        let sealed = self.store.sealer().seal(&outbox_aad(kind), payload)?;
        sqlx::query("INSERT INTO sync_outbox (kind, payload) VALUES (?, ?)")
            .bind(kind)
            .bind(sealed)
            .execute(&mut *self.tx)
            .await?;
        Ok(())
    }

    /// As [`Self::add_to_outbox`], returning the item's place in the outbox.
    pub async fn add_to_outbox_at(&mut self, kind: &str, payload: &[u8]) -> Result<i64> {
        let sealed = self.store.sealer().seal(&outbox_aad(kind), payload)?;
        let done = sqlx::query("INSERT INTO sync_outbox (kind, payload) VALUES (?, ?)")
            .bind(kind)
            .bind(sealed)
            .execute(&mut *self.tx)
            .await?;
        Ok(done.last_insert_rowid())
    }

    /// Removes one item the relay acknowledged.
    pub async fn remove_from_outbox(&mut self, seq: i64) -> Result<()> {
        sqlx::query("DELETE FROM sync_outbox WHERE seq = ?").bind(seq).execute(&mut *self.tx).await?;
        Ok(())
    }

    pub async fn outbox(&mut self) -> Result<Vec<OutboxItem>> {
        outbox(&mut self.tx, self.store).await
    }

    /// Removes what the relay acknowledged.
    pub async fn clear_outbox_through(&mut self, seq: i64) -> Result<()> {
        sqlx::query("DELETE FROM sync_outbox WHERE seq <= ?").bind(seq).execute(&mut *self.tx).await?;
        Ok(())
    }
}

/// One document as a direct-sync summary sees it.
#[derive(Debug)]
pub struct DocumentHeads {
    pub id: [u8; 16],
    pub kind: DocumentKind,
    /// `None` when not yet recorded (documents written before heads were kept).
    pub heads: Option<Vec<ChangeHash>>,
}

impl WriteTx<'_> {
    pub async fn all_document_heads(&mut self) -> Result<Vec<DocumentHeads>> {
        let rows = sqlx::query("SELECT id, kind, heads FROM documents").fetch_all(&mut *self.tx).await?;
        rows.into_iter()
            .map(|r| {
                let id: Vec<u8> = r.try_get("id")?;
                let kind: String = r.try_get("kind")?;
                let heads: Option<Vec<u8>> = r.try_get("heads")?;
                Ok(DocumentHeads {
                    id: id.as_slice().try_into().map_err(|_| Error::Corrupt("document id length".into()))?,
                    kind: DocumentKind::parse(&kind)
                        .ok_or_else(|| Error::Corrupt(format!("unknown document kind {kind}")))?,
                    heads: heads.map(|h| decode_heads(&h)).transpose()?,
                })
            })
            .collect()
    }

    pub async fn set_document_heads(&mut self, id: &[u8; 16], heads: &[ChangeHash]) -> Result<()> {
        sqlx::query("UPDATE documents SET heads = ? WHERE id = ?")
            .bind(encode_heads(heads))
            .bind(id.as_slice())
            .execute(&mut *self.tx)
            .await?;
        Ok(())
    }

    pub async fn peer_sync_state(&mut self, peer: &[u8; 32], id: &[u8; 16]) -> Result<Option<Vec<u8>>> {
        let row = sqlx::query("SELECT state FROM peer_sync_states WHERE peer = ? AND document_id = ?")
            .bind(peer.as_slice())
            .bind(id.as_slice())
            .fetch_optional(&mut *self.tx)
            .await?;
        Ok(row.map(|r| r.try_get("state")).transpose()?)
    }

    /// What this device and `peer` agreed at the end of their last direct sync; none if
    /// they never met, or if what was kept does not open (then they summarise whole).
    pub async fn peer_agreement(&mut self, peer: &[u8; 32]) -> Result<Option<crate::sync::peer::Agreement>> {
        let row = sqlx::query("SELECT agreement FROM peer_agreements WHERE peer = ?")
            .bind(peer.as_slice())
            .fetch_optional(&mut *self.tx)
            .await?;
        let Some(row) = row else { return Ok(None) };
        let sealed: Vec<u8> = row.try_get("agreement")?;
        let opened = self.store.sealer().open(&agreement_aad(peer), &sealed).ok();
        let agreement = opened.and_then(|plain| postcard::from_bytes(&plain).ok());
        if agreement.is_none() {
            tracing::warn!(peer = %hex::encode(peer), "the agreement kept with this device does not open: summarising whole");
        }
        Ok(agreement)
    }

    pub async fn put_peer_agreement(
        &mut self,
        peer: &[u8; 32],
        agreement: &crate::sync::peer::Agreement,
    ) -> Result<()> {
        let plain = postcard::to_stdvec(agreement).expect("encoding to a Vec cannot fail");
        let sealed = self.store.sealer().seal(&agreement_aad(peer), &plain)?;
        sqlx::query(
            "INSERT INTO peer_agreements (peer, agreement) VALUES (?, ?)
             ON CONFLICT (peer) DO UPDATE SET agreement = excluded.agreement",
        )
        .bind(peer.as_slice())
        .bind(&sealed)
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }

    /// Keeps a sync state; only for documents the store holds.
    pub async fn put_peer_sync_state(&mut self, peer: &[u8; 32], id: &[u8; 16], state: &[u8]) -> Result<()> {
        sqlx::query(
            "INSERT INTO peer_sync_states (peer, document_id, state) SELECT ?1, ?2, ?3
             WHERE EXISTS (SELECT 1 FROM documents WHERE id = ?2)
             ON CONFLICT (peer, document_id) DO UPDATE SET state = excluded.state",
        )
        .bind(peer.as_slice())
        .bind(id.as_slice())
        .bind(state)
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }
}

impl ReadTx<'_> {
    pub async fn outbox(&mut self) -> Result<Vec<OutboxItem>> {
        outbox(&mut self.tx, self.store).await
    }
}

/// What waits to go to the relay, oldest first.
async fn outbox(conn: &mut sqlx::SqliteConnection, store: &Store) -> Result<Vec<OutboxItem>> {
    let rows =
        sqlx::query("SELECT seq, kind, payload FROM sync_outbox ORDER BY seq").fetch_all(&mut *conn).await?;
    rows.into_iter()
        .map(|r| {
            let kind: String = r.try_get("kind")?;
            let sealed: Vec<u8> = r.try_get("payload")?;
            let payload = store.sealer().open(&outbox_aad(&kind), &sealed)?;
            Ok(OutboxItem { seq: r.try_get("seq")?, kind, payload: payload.to_vec() })
        })
        .collect()
}
