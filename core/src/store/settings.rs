//! Sealed named values: this device's identity and private key. Read back in buffers wiped
//! when dropped, as they hold keys.

use super::{ReadTx, WriteTx};
use crate::error::Result;
use sqlx::Row;
use zeroize::Zeroizing;

fn aad(name: &str) -> Vec<u8> {
    [b"hedgerow/setting/".as_slice(), name.as_bytes()].concat()
}

impl WriteTx<'_> {
    pub async fn put_setting(&mut self, name: &str, value: &[u8]) -> Result<()> {
        let sealed = self.store.sealer().seal(&aad(name), value)?;
        sqlx::query("INSERT OR REPLACE INTO settings (name, value) VALUES (?, ?)")
            .bind(name)
            .bind(&sealed)
            .execute(&mut *self.tx)
            .await?;
        Ok(())
    }
}

impl WriteTx<'_> {
    pub async fn delete_setting(&mut self, name: &str) -> Result<()> {
        sqlx::query("DELETE FROM settings WHERE name = ?").bind(name).execute(&mut *self.tx).await?;
        Ok(())
    }

    pub async fn setting(&mut self, name: &str) -> Result<Option<Zeroizing<Vec<u8>>>> {
        read(&mut self.tx, self.store, name).await
    }
}

impl ReadTx<'_> {
    pub async fn setting(&mut self, name: &str) -> Result<Option<Zeroizing<Vec<u8>>>> {
        read(&mut self.tx, self.store, name).await
    }
}

async fn read(
    conn: &mut sqlx::SqliteConnection,
    store: &super::Store,
    name: &str,
) -> Result<Option<Zeroizing<Vec<u8>>>> {
    let row = sqlx::query("SELECT value FROM settings WHERE name = ?")
        .bind(name)
        .fetch_optional(&mut *conn)
        .await?;
    match row {
        None => Ok(None),
        Some(r) => {
            let sealed: Vec<u8> = r.try_get("value")?;
            Ok(Some(store.sealer().open(&aad(name), &sealed)?))
        }
    }
}
