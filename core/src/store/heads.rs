//! What the store keeps of who wrote what: each document's signed actor heads, and the
//! documents held back from sync because no device of the team signed them.

use super::{ReadTx, WriteTx};
use crate::error::{Error, Result};
use crate::sync::heads::ActorHead;
use sqlx::{Row, SqliteConnection};

fn held_aad(id: &[u8; 16]) -> Vec<u8> {
    [b"hedgerow/held/".as_slice(), id].concat()
}

async fn heads_of(conn: &mut SqliteConnection, document: &[u8; 16]) -> Result<Vec<ActorHead>> {
    let rows =
        sqlx::query("SELECT actor, seq, change_hash, signature FROM actor_heads WHERE document_id = ?")
            .bind(document.as_slice())
            .fetch_all(conn)
            .await?;
    rows.into_iter()
        .map(|r| {
            let bad = || Error::Corrupt("a stored actor head has the wrong length".into());
            let actor: Vec<u8> = r.try_get("actor")?;
            let change: Vec<u8> = r.try_get("change_hash")?;
            Ok(ActorHead {
                actor: actor.try_into().map_err(|_| bad())?,
                seq: r.try_get::<i64, _>("seq")? as u64,
                change: change.try_into().map_err(|_| bad())?,
                signature: r.try_get("signature")?,
            })
        })
        .collect()
}

impl WriteTx<'_> {
    pub async fn actor_heads(&mut self, document: &[u8; 16]) -> Result<Vec<ActorHead>> {
        heads_of(&mut self.tx, document).await
    }

    /// Keeps a head unless a newer one of the same actor is already kept.
    pub async fn put_actor_head(&mut self, document: &[u8; 16], head: &ActorHead) -> Result<()> {
        sqlx::query(
            "INSERT INTO actor_heads (document_id, actor, seq, change_hash, signature) VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (document_id, actor) DO UPDATE SET seq = excluded.seq, change_hash = excluded.change_hash,
                 signature = excluded.signature WHERE excluded.seq > actor_heads.seq",
        )
        .bind(document.as_slice())
        .bind(head.actor.as_slice())
        .bind(head.seq as i64)
        .bind(head.change.as_slice())
        .bind(&head.signature)
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }

    /// Holds a document back from sync, with the reason it was taken in anyway.
    pub async fn hold_document(&mut self, document: &[u8; 16], reason: &str) -> Result<()> {
        let sealed = self.store.sealer().seal(&held_aad(document), reason.as_bytes())?;
        sqlx::query("INSERT OR REPLACE INTO held_documents (document_id, reason) VALUES (?, ?)")
            .bind(document.as_slice())
            .bind(sealed)
            .execute(&mut *self.tx)
            .await?;
        Ok(())
    }

    /// Every document held back from sync.
    pub async fn held_documents(&mut self) -> Result<Vec<[u8; 16]>> {
        let rows = sqlx::query("SELECT document_id FROM held_documents").fetch_all(&mut *self.tx).await?;
        rows.into_iter()
            .map(|r| {
                let id: Vec<u8> = r.try_get(0)?;
                id.try_into().map_err(|_| Error::Corrupt("a held document id has the wrong length".into()))
            })
            .collect()
    }
}

impl ReadTx<'_> {
    pub async fn actor_heads(&mut self, document: &[u8; 16]) -> Result<Vec<ActorHead>> {
        heads_of(&mut self.tx, document).await
    }
}
