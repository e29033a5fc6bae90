//! Received bundles waiting for the changes they build on.

use super::WriteTx;
use crate::error::{Error, Result};
use sqlx::Row;
use zeroize::Zeroizing;

fn aad(seq: i64) -> Vec<u8> {
    [b"hedgerow/deferred-bundle/".as_slice(), &seq.to_be_bytes()].concat()
}

impl WriteTx<'_> {
    /// Keeps an opened bundle (its body's bytes) from log position `seq` until it applies.
    pub async fn defer_bundle(&mut self, seq: u64, author: &[u8; 32], body: &[u8]) -> Result<()> {
        let seq = i64::try_from(seq).map_err(|_| Error::from_relay("a log position is too large"))?;
        let sealed = self.store.sealer().seal(&aad(seq), body)?;
        sqlx::query("INSERT OR REPLACE INTO deferred_bundles (seq, author, body) VALUES (?, ?, ?)")
            .bind(seq)
            .bind(author.as_slice())
            .bind(&sealed)
            .execute(&mut *self.tx)
            .await?;
        Ok(())
    }

    /// Every bundle waiting, oldest first: (position, author, body bytes).
    pub async fn deferred_bundles(&mut self) -> Result<Vec<(u64, [u8; 32], Zeroizing<Vec<u8>>)>> {
        let rows = sqlx::query("SELECT seq, author, body FROM deferred_bundles ORDER BY seq")
            .fetch_all(&mut *self.tx)
            .await?;
        rows.into_iter()
            .map(|r| {
                let seq: i64 = r.try_get("seq")?;
                let author: Vec<u8> = r.try_get("author")?;
                let author = author
                    .try_into()
                    .map_err(|_| Error::Corrupt("a deferred bundle's author has the wrong length".into()))?;
                let sealed: Vec<u8> = r.try_get("body")?;
                Ok((seq as u64, author, self.store.sealer().open(&aad(seq), &sealed)?))
            })
            .collect()
    }

    pub async fn drop_deferred(&mut self, seq: u64) -> Result<()> {
        sqlx::query("DELETE FROM deferred_bundles WHERE seq = ?")
            .bind(seq as i64)
            .execute(&mut *self.tx)
            .await?;
        Ok(())
    }
}
