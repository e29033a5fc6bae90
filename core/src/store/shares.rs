//! What the store keeps of records shared with other teams: which patient's record goes to
//! which partner team, what each team already holds of each document (so that a letter
//! carries only what changed), and the read-only copies another team's ending left here.

use super::WriteTx;
use super::sync::{decode_heads, encode_heads};
use crate::documents::DocumentKind;
use crate::error::{Error, Result};
use automerge::ChangeHash;
use sqlx::Row;

/// A shared document with changes its partner team may not hold yet.
#[derive(Debug)]
pub struct SharedDocumentChange {
    pub team: [u8; 16],
    pub patient: [u8; 16],
    pub id: [u8; 16],
    pub kind: DocumentKind,
    pub version: i64,
    /// What the team is known to hold; empty if nothing.
    pub their_heads: Vec<ChangeHash>,
}

/// A document of a shared record, as this device holds it.
#[derive(Debug)]
pub struct SharedDocument {
    pub patient: [u8; 16],
    pub id: [u8; 16],
    pub kind: DocumentKind,
    pub version: i64,
    pub heads: Vec<ChangeHash>,
}

fn id16(bytes: Vec<u8>, what: &str) -> Result<[u8; 16]> {
    bytes.try_into().map_err(|_| Error::Corrupt(format!("a stored {what} has the wrong length")))
}

/// The record and visit notes of `patient`, by the index: the documents a share covers.
const PATIENT_DOCUMENTS: &str =
    "SELECT id FROM documents WHERE id = ?1 UNION SELECT visit_id FROM visit_index WHERE patient_id = ?1";

/// What a deleted document leaves elsewhere (its chunks go with it, ON DELETE CASCADE).
const DOCUMENT_ROWS: [&str; 6] = [
    "DELETE FROM actor_heads WHERE document_id = ?",
    "DELETE FROM held_documents WHERE document_id = ?",
    "DELETE FROM share_sent WHERE document_id = ?",
    "DELETE FROM sync_documents WHERE document_id = ?",
    "DELETE FROM peer_sync_states WHERE document_id = ?",
    "DELETE FROM documents WHERE id = ?",
];

/// A deleted patient's rows in the indexes and share tables.
const PATIENT_ROWS: [&str; 6] = [
    "DELETE FROM visit_index WHERE patient_id = ?",
    "DELETE FROM task_index WHERE patient_id = ?",
    "DELETE FROM patient_index WHERE patient_id = ?",
    "DELETE FROM caseload_index WHERE patient_id = ?",
    "DELETE FROM record_shares WHERE patient_id = ?",
    "DELETE FROM ended_copies WHERE patient_id = ?",
];

impl WriteTx<'_> {
    /// From now on `patient`'s record goes to `team` (idempotent).
    pub async fn share_record(&mut self, team: &[u8; 16], patient: &[u8; 16]) -> Result<()> {
        sqlx::query("INSERT OR IGNORE INTO record_shares (team_id, patient_id) VALUES (?, ?)")
            .bind(team.as_slice())
            .bind(patient.as_slice())
            .execute(&mut *self.tx)
            .await?;
        Ok(())
    }

    /// `patient`'s record no longer goes to `team`, nor is taken from it.
    pub async fn unshare_record(&mut self, team: &[u8; 16], patient: &[u8; 16]) -> Result<()> {
        sqlx::query(
            "DELETE FROM share_sent WHERE team_id = ?2 AND document_id IN
                (SELECT id FROM documents WHERE id = ?1 UNION SELECT visit_id FROM visit_index WHERE patient_id = ?1)",
        )
        .bind(patient.as_slice())
        .bind(team.as_slice())
        .execute(&mut *self.tx)
        .await?;
        sqlx::query("DELETE FROM record_shares WHERE team_id = ? AND patient_id = ?")
            .bind(team.as_slice())
            .bind(patient.as_slice())
            .execute(&mut *self.tx)
            .await?;
        Ok(())
    }

    /// The teams `patient`'s record is shared with, from this device.
    pub async fn record_shared_with(&mut self, patient: &[u8; 16]) -> Result<Vec<[u8; 16]>> {
        let rows = sqlx::query("SELECT team_id FROM record_shares WHERE patient_id = ? ORDER BY team_id")
            .bind(patient.as_slice())
            .fetch_all(&mut *self.tx)
            .await?;
        rows.into_iter().map(|r| id16(r.try_get("team_id")?, "team id")).collect()
    }

    /// Every shared document with a change its team has not had a letter for.
    pub async fn shared_document_changes(&mut self) -> Result<Vec<SharedDocumentChange>> {
        let rows = sqlx::query(
            // Each lookup by key: a shared record, then its visit notes by the index.
            "WITH shared (team_id, patient_id, document_id) AS (
                SELECT team_id, patient_id, patient_id FROM record_shares
                UNION ALL
                SELECT r.team_id, r.patient_id, v.visit_id
                FROM record_shares r JOIN visit_index v ON v.patient_id = r.patient_id)
             SELECT x.team_id, x.patient_id, d.id, d.kind, d.version, s.their_heads
             FROM shared x
             JOIN documents d ON d.id = x.document_id
             LEFT JOIN share_sent s ON s.team_id = x.team_id AND s.document_id = x.document_id
             WHERE s.version IS NULL OR s.version < d.version
             ORDER BY x.team_id, x.patient_id, d.kind DESC",
        )
        .fetch_all(&mut *self.tx)
        .await?;
        rows.into_iter()
            .map(|r| {
                let d = shared_document(&r, "their_heads")?;
                Ok(SharedDocumentChange {
                    team: id16(r.try_get("team_id")?, "team id")?,
                    patient: d.patient,
                    id: d.id,
                    kind: d.kind,
                    version: d.version,
                    their_heads: d.heads,
                })
            })
            .collect()
    }

    /// Every document of the records shared with `team`, as this device holds it.
    pub async fn documents_shared_with(&mut self, team: &[u8; 16]) -> Result<Vec<SharedDocument>> {
        shared_documents(&mut self.tx, team).await
    }

    /// What `team` holds of document `id` as a letter leaves it: through `version`, heads
    /// `heads`.
    pub async fn mark_shared(
        &mut self,
        team: &[u8; 16],
        id: &[u8; 16],
        version: i64,
        heads: &[ChangeHash],
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO share_sent (team_id, document_id, version, their_heads) VALUES (?, ?, ?, ?)
             ON CONFLICT (team_id, document_id) DO UPDATE SET version = excluded.version,
                their_heads = excluded.their_heads",
        )
        .bind(team.as_slice())
        .bind(id.as_slice())
        .bind(version)
        .bind(encode_heads(heads))
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }

    /// The heads `team` is known to hold of document `id`.
    pub async fn their_heads(&mut self, team: &[u8; 16], id: &[u8; 16]) -> Result<Vec<ChangeHash>> {
        let row = sqlx::query("SELECT their_heads FROM share_sent WHERE team_id = ? AND document_id = ?")
            .bind(team.as_slice())
            .bind(id.as_slice())
            .fetch_optional(&mut *self.tx)
            .await?;
        match row {
            Some(r) => decode_heads(&r.try_get::<Vec<u8>, _>("their_heads")?),
            None => Ok(Vec::new()),
        }
    }

    /// After a letter from `team`: it holds `heads` of document `id` too. The version is
    /// left as it was, so that anything of this device's own still goes.
    pub async fn add_their_heads(
        &mut self,
        team: &[u8; 16],
        id: &[u8; 16],
        heads: &[ChangeHash],
    ) -> Result<()> {
        let mut all = self.their_heads(team, id).await?;
        all.extend_from_slice(heads);
        all.sort();
        all.dedup();
        sqlx::query(
            "INSERT INTO share_sent (team_id, document_id, version, their_heads) VALUES (?, ?, 0, ?)
             ON CONFLICT (team_id, document_id) DO UPDATE SET their_heads = excluded.their_heads",
        )
        .bind(team.as_slice())
        .bind(id.as_slice())
        .bind(encode_heads(&all))
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }

    /// `team` says it holds `heads` of document `id`, after a letter it could not take in:
    /// that is all it is counted as holding, and the next letter writes what it lacks.
    pub async fn send_again_beyond(
        &mut self,
        team: &[u8; 16],
        id: &[u8; 16],
        heads: &[ChangeHash],
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO share_sent (team_id, document_id, version, their_heads) VALUES (?, ?, 0, ?)
             ON CONFLICT (team_id, document_id) DO UPDATE SET version = 0, their_heads = excluded.their_heads",
        )
        .bind(team.as_slice())
        .bind(id.as_slice())
        .bind(encode_heads(heads))
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }

    /// This team's copy of `patient`'s record is read-only until `keep_until` (Unix
    /// seconds), then deleted.
    pub async fn keep_ended_copy(&mut self, patient: &[u8; 16], keep_until: i64) -> Result<()> {
        sqlx::query("INSERT OR REPLACE INTO ended_copies (patient_id, keep_until) VALUES (?, ?)")
            .bind(patient.as_slice())
            .bind(keep_until)
            .execute(&mut *self.tx)
            .await?;
        Ok(())
    }

    /// This team's copy of `patient`'s record is live again (shared anew).
    pub async fn forget_ended_copy(&mut self, patient: &[u8; 16]) -> Result<()> {
        sqlx::query("DELETE FROM ended_copies WHERE patient_id = ?")
            .bind(patient.as_slice())
            .execute(&mut *self.tx)
            .await?;
        Ok(())
    }

    /// Until when this team's copy of `patient`'s record is kept read-only, if it is one.
    pub async fn ended_copy(&mut self, patient: &[u8; 16]) -> Result<Option<i64>> {
        let row = sqlx::query("SELECT keep_until FROM ended_copies WHERE patient_id = ?")
            .bind(patient.as_slice())
            .fetch_optional(&mut *self.tx)
            .await?;
        Ok(row.map(|r| r.try_get("keep_until")).transpose()?)
    }

    /// The read-only copies whose retention ended before `now`.
    pub async fn expired_copies(&mut self, now: i64) -> Result<Vec<[u8; 16]>> {
        let rows = sqlx::query("SELECT patient_id FROM ended_copies WHERE keep_until <= ?")
            .bind(now)
            .fetch_all(&mut *self.tx)
            .await?;
        rows.into_iter().map(|r| id16(r.try_get("patient_id")?, "patient id")).collect()
    }

    /// Deletes everything this store holds of `patient`: the record and visit notes
    /// (snapshots and chunks), their signed heads and sync state, and every index row.
    /// Returns how many documents went.
    pub async fn delete_patient(&mut self, patient: &[u8; 16]) -> Result<u64> {
        let p = patient.as_slice();
        let docs: Vec<Vec<u8>> = sqlx::query(PATIENT_DOCUMENTS)
            .bind(p)
            .fetch_all(&mut *self.tx)
            .await?
            .into_iter()
            .map(|r| r.try_get("id"))
            .collect::<std::result::Result<_, _>>()?;
        for id in &docs {
            if let Ok(id) = <[u8; 16]>::try_from(id.as_slice()) {
                self.written(&id);
            }
            for q in DOCUMENT_ROWS {
                sqlx::query(q).bind(id.as_slice()).execute(&mut *self.tx).await?;
            }
            self.store.loaded().forget(&id[..]);
        }
        for q in PATIENT_ROWS {
            sqlx::query(q).bind(p).execute(&mut *self.tx).await?;
        }
        Ok(docs.len() as u64)
    }
}

impl super::ReadTx<'_> {
    /// Every document of the records shared with `team`, as this device holds it.
    pub async fn documents_shared_with(&mut self, team: &[u8; 16]) -> Result<Vec<SharedDocument>> {
        shared_documents(&mut self.tx, team).await
    }
}

/// Every document of the records shared with `team`, with its patient, kind and the heads
/// this device holds: what a letter exchange by hand says it holds.
async fn shared_documents(conn: &mut sqlx::SqliteConnection, team: &[u8; 16]) -> Result<Vec<SharedDocument>> {
    let rows = sqlx::query(
        "WITH shared (patient_id, document_id) AS (
            SELECT patient_id, patient_id FROM record_shares WHERE team_id = ?1
            UNION ALL
            SELECT r.patient_id, v.visit_id
            FROM record_shares r JOIN visit_index v ON v.patient_id = r.patient_id WHERE r.team_id = ?1)
         SELECT x.patient_id, d.id, d.kind, d.version, d.heads
         FROM shared x JOIN documents d ON d.id = x.document_id
         ORDER BY x.patient_id, d.kind DESC",
    )
    .bind(team.as_slice())
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(|r| shared_document(r, "heads")).collect()
}

/// A row of a shared document: its patient, id, kind and version, and the heads in the
/// column `heads` (none when empty).
fn shared_document(r: &sqlx::sqlite::SqliteRow, heads: &str) -> Result<SharedDocument> {
    let kind: String = r.try_get("kind")?;
    let bytes: Option<Vec<u8>> = r.try_get(heads)?;
    Ok(SharedDocument {
        patient: id16(r.try_get("patient_id")?, "patient id")?,
        id: id16(r.try_get("id")?, "document id")?,
        kind: DocumentKind::parse(&kind)
            .ok_or_else(|| Error::Corrupt(format!("unknown document kind {kind}")))?,
        version: r.try_get("version")?,
        heads: bytes.map(|h| decode_heads(&h)).transpose()?.unwrap_or_default(),
    })
}
